"""Administration screens: accounts (add, disable or enable, role and agency, unlock, reset
password or second factor) and the audit log search with its CSV export. Policy and auditing
are the services'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from asbhub.agencies.service import list_agencies
from asbhub.audit import service as audit
from asbhub.audit.schemas import AuditFilters
from asbhub.audit.service import PURPOSES
from asbhub.auth import accounts
from asbhub.errors import Conflict, InvalidInput
from asbhub.permissions import ROLE_DESCRIPTIONS, Action, Actor, Role
from asbhub.web.deps import DbSession, require_action
from asbhub.web.forms import parse_query
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=200)]


def _choices(session: Session, actor: Actor) -> dict[str, Any]:
    roles = [(r.value, r.value.replace("_", " ").capitalize(), ROLE_DESCRIPTIONS[r]) for r in Role]
    found = list_agencies(session, force_code=actor.force_code, partners_only=True)
    return {
        "roles": roles,
        "agencies": sorted(((a.code, a.name) for a in found), key=lambda t: t[1]),
    }


@router.get("/admin")
def admin_home(actor: Actor = require_action(Action.USER_MANAGE)) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/users")
def users_alias(actor: Actor = require_action(Action.USER_MANAGE)) -> Response:
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
def user_list(
    request: Request, session: DbSession, actor: Actor = require_action(Action.USER_MANAGE)
) -> Response:
    users = accounts.list_accounts(session, actor=actor)
    return render(request, "admin/users.html", {"users": users})


@router.get("/admin/users/new")
def user_new_form(
    request: Request, session: DbSession, actor: Actor = require_action(Action.USER_MANAGE)
) -> Response:
    ctx = {"form": {}, "errors": {}, **_choices(session, actor)}
    return render(request, "admin/user_new.html", ctx)


@router.post("/admin/users")
def user_create(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=80)] = "",
    display_name: Annotated[str, Form(max_length=120)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    agency: Annotated[str, Form(max_length=80)] = "",
    password: Text = "",
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role, "agency": agency}
    try:
        account = accounts.create_account(
            session,
            actor=actor,
            username=username,
            display_name=display_name,
            role=role,
            agency_code=agency or None,
            password=password,
        )
    except (InvalidInput, Conflict) as exc:
        errors = exc.fields if isinstance(exc, InvalidInput) else {"username": str(exc)}
        ctx = {"form": form, "errors": _plain(errors), **_choices(session, actor)}
        return render(request, "admin/user_new.html", ctx, status_code=422)
    return RedirectResponse(f"/admin/users/{account.id}?done=created", status_code=303)


_PLAIN = {
    "username": "User name: use letters, digits, '.', '-' and '_' only",
    "role": "Select a role",
    "password": "The password must be at least 10 characters",
}


def _plain(errors: dict[str, str]) -> dict[str, str]:
    """Field messages in the words of the form rather than the service's short notes."""
    out = {}
    for name, message in errors.items():
        if name == "username" and "already exists" in message:
            out[name] = "There is already an account with that user name"
        elif name == "agency":
            out[name] = f"Agency: {message}"
        else:
            out[name] = _PLAIN.get(name, message)
    return out


DONE = {
    "created": "Account added.",
    "disabled": "Account disabled: its sessions have stopped working.",
    "enabled": "Account enabled.",
    "updated": "Role and agency saved.",
    "unlocked": "Account unlocked.",
    "second_factor": "Second factor removed: the account sets up a new one at its next sign-in, "
    "and its sessions have ended.",
}


def _user_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    user_id: int,
    *,
    errors: dict[str, str] | None = None,
    password: str | None = None,
    status: int = 200,
) -> Response:
    account = accounts.get_account(session, actor=actor, user_id=user_id)
    ctx = {
        "account": account,
        "errors": errors or {},
        "done": DONE.get(request.query_params.get("done", "")),
        "new_password": password,
        **_choices(session, actor),
    }
    return render(request, "admin/user.html", ctx, status_code=status)


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request,
    session: DbSession,
    user_id: UserId,
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    return _user_page(request, session, actor, user_id)


@router.post("/admin/users/{user_id}/active")
def user_active(
    request: Request,
    session: DbSession,
    user_id: UserId,
    active: Annotated[str, Form(max_length=5)] = "",
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    try:
        accounts.set_active(session, actor=actor, user_id=user_id, active=active == "yes")
    except Conflict as exc:
        return _user_page(request, session, actor, user_id, errors={"active": str(exc)}, status=409)
    done = "enabled" if active == "yes" else "disabled"
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}/role")
def user_role(
    request: Request,
    session: DbSession,
    user_id: UserId,
    role: Annotated[str, Form(max_length=40)] = "",
    agency: Annotated[str, Form(max_length=80)] = "",
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    try:
        accounts.change_role(
            session, actor=actor, user_id=user_id, role=role, agency_code=agency or None
        )
    except (InvalidInput, Conflict) as exc:
        errors = _plain(exc.fields) if isinstance(exc, InvalidInput) else {"role": str(exc)}
        return _user_page(request, session, actor, user_id, errors=errors, status=422)
    return RedirectResponse(f"/admin/users/{user_id}?done=updated", status_code=303)


@router.post("/admin/users/{user_id}/unlock")
def user_unlock(
    session: DbSession, user_id: UserId, actor: Actor = require_action(Action.USER_MANAGE)
) -> Response:
    accounts.unlock(session, actor=actor, user_id=user_id)
    return RedirectResponse(f"/admin/users/{user_id}?done=unlocked", status_code=303)


@router.post("/admin/users/{user_id}/password")
def user_password(
    request: Request,
    session: DbSession,
    user_id: UserId,
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    """The new password is shown on this response only (never in a redirect's address)."""
    password = accounts.reset_password(session, actor=actor, user_id=user_id)
    return _user_page(request, session, actor, user_id, password=password)


@router.post("/admin/users/{user_id}/second-factor")
def user_second_factor(
    request: Request,
    session: DbSession,
    user_id: UserId,
    actor: Actor = require_action(Action.USER_MANAGE),
) -> Response:
    try:
        accounts.reset_second_factor(session, actor=actor, user_id=user_id)
    except Conflict as exc:
        errors = {"second_factor": str(exc)}
        return _user_page(request, session, actor, user_id, errors=errors, status=409)
    return RedirectResponse(f"/admin/users/{user_id}?done=second_factor", status_code=303)


# --- audit log -----------------------------------------------------------------------------------


def _audit_filters(request: Request) -> tuple[AuditFilters, dict[str, str]]:
    try:
        return parse_query(request, AuditFilters), {}
    except InvalidInput as exc:
        return AuditFilters(), exc.fields


@router.get("/audit")
def audit_search(
    request: Request,
    session: DbSession,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    actor: Actor = require_action(Action.AUDIT_VIEW),
) -> Response:
    filters, errors = _audit_filters(request)
    asked = {k: v for k, v in request.query_params.items() if k in AuditFilters.model_fields}
    page = None if errors else audit.search(session, actor=actor, filters=filters, before=before)
    ctx = {
        "page": page,
        "form": asked,
        "active": filters.active(),
        "errors": errors,
        "purposes": PURPOSES,
    }
    return render(request, "audit/search.html", ctx, status_code=422 if errors else 200)


@router.get("/audit.csv")
def audit_export(
    request: Request, session: DbSession, actor: Actor = require_action(Action.AUDIT_EXPORT)
) -> Response:
    filters = parse_query(request, AuditFilters)
    body = audit.export_csv(session, actor=actor, filters=filters)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="audit-log.csv"'},
    )

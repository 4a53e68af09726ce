"""Sign-in (password, then a second factor for the roles that need one), sign-out and the
declared purpose of access.

Between the password and the second factor the cookie holds only a *pending* sign-in (the
user id, its session version and when the password was given): no route treats it as signed
in, it lasts five minutes, and a lock-out or an administrator's reset voids it."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from asbhub.audit.service import PURPOSES
from asbhub.auth import second_factor
from asbhub.auth.models import User
from asbhub.auth.service import (
    SignInFailed,
    authenticate,
    check_purpose,
    second_factor_required,
    session_user,
    sign_out,
)
from asbhub.store.engine import session_scope
from asbhub.web.deps import DbSession, OptionalActor, open_session
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page cannot be used to send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "errors": {}})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    errors = {}
    if not username:
        errors["username"] = "Enter your user name"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        ctx = {"next": _safe_next(next), "errors": errors, "username": username}
        return render(request, "login.html", ctx, status_code=422)
    client = request.client.host if request.client else None
    # Own transaction: a failed attempt must be counted and audited even though we refuse it.
    with session_scope(request.app.state.engine) as session:
        user = authenticate(
            session,
            settings=request.app.state.settings,
            username=username,
            password=password,
            client_ip=client,
            device=request.headers.get("user-agent", "")[:300] or None,
        )
    if user is None:
        return _refused(request, next, username)
    if second_factor_required(user, settings=request.app.state.settings):
        # No signed-in session yet: only a pending one, which the code step completes.
        request.session.clear()
        request.session[PENDING] = {
            "uid": user.id,
            "sv": user.session_version,
            "at": int(time.time()),
            "next": _safe_next(next),
        }
        return RedirectResponse(_step_of(user), status_code=303)
    open_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


def _refused(request: Request, next: str | None, username: str = "") -> Response:
    ctx = {"next": _safe_next(next), "errors": {"username": str(SignInFailed())}}
    return render(request, "login.html", {**ctx, "username": username}, status_code=401)


# --- the second factor ---------------------------------------------------------------------------

PENDING = "pending"
PENDING_SECONDS = 300  # time to open the app and type a code, not to walk away from the form
CODE_WRONG = "The code is wrong or has been used already. Enter the latest code from your app."


def _pending_user(request: Request, session: Session) -> User | None:
    """The user whose password was given a moment ago on this browser, if that still holds:
    within five minutes, and no lock-out, disabling or reset since (the session version)."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    at = pending.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= PENDING_SECONDS:
        return None
    return session_user(session, user_id=pending["uid"], version=pending.get("sv"))


def _voided(request: Request, user: User) -> bool:
    """Whether the pending sign-in ended meanwhile (the wrong code just locked the account)."""
    return bool(request.session.get(PENDING, {}).get("sv") != user.session_version)


def _client(request: Request) -> second_factor.Client:
    ip = request.client.host if request.client else None
    return second_factor.Client(ip, request.headers.get("user-agent", "")[:300] or None)


def _finish(request: Request, user: User) -> str:
    """Open the signed-in session; return where the user was going."""
    target = _safe_next(request.session.get(PENDING, {}).get("next"))
    open_session(request, user)
    return target


def _step_of(user: User) -> str:
    return "/login/code" if second_factor.enrolled(user) else "/login/enrol"


def _at_step(request: Request, session: Session, step: str) -> User | Response:
    """The pending user if ``step`` is theirs now, else the redirect to where they belong:
    the password again (no pending sign-in, or a stale one), or the other step."""
    user = _pending_user(request, session)
    if user is None:
        request.session.pop(PENDING, None)
        return RedirectResponse("/login", status_code=303)
    if _step_of(user) != step:
        return RedirectResponse(_step_of(user), status_code=303)
    return user


@router.get("/login/code")
def code_form(request: Request) -> Response:
    with session_scope(request.app.state.engine) as session:
        user = _at_step(request, session, "/login/code")
    if isinstance(user, Response):
        return user
    return render(request, "login_code.html", {"errors": {}})


@router.post("/login/code")
def code_check(request: Request, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    if not code.strip():
        errors = {"code": "Enter the code from your authenticator app, or a recovery code"}
        return render(request, "login_code.html", {"errors": errors}, status_code=422)
    # Own transaction, as for the password: a refused code is counted and audited.
    with session_scope(request.app.state.engine) as session:
        user = _at_step(request, session, "/login/code")
        if isinstance(user, Response):
            return user
        ok = second_factor.verify(
            session,
            settings=request.app.state.settings,
            user=user,
            code=code,
            client=_client(request),
        )
    if ok:
        return RedirectResponse(_finish(request, user), status_code=303)
    if _voided(request, user):  # a lock-out ended the pending sign-in too
        request.session.pop(PENDING, None)
        return _refused(request, None)
    return render(request, "login_code.html", {"errors": {"code": CODE_WRONG}}, status_code=401)


def _enrol_page(
    request: Request, session: Session, user: User, errors: dict[str, str], status: int = 200
) -> Response:
    enrolment = second_factor.start_enrolment(
        session, settings=request.app.state.settings, user=user, client=_client(request)
    )
    ctx = {"enrolment": enrolment, "errors": errors}
    return render(request, "login_enrol.html", ctx, status_code=status)


@router.get("/login/enrol")
def enrol_form(request: Request) -> Response:
    """Set up the second factor: a QR code (and the secret as text) for the app."""
    with session_scope(request.app.state.engine) as session:
        user = _at_step(request, session, "/login/enrol")
        if isinstance(user, Response):
            return user
        return _enrol_page(request, session, user, {})


@router.post("/login/enrol")
def enrol_confirm(request: Request, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    """The first code confirms the set-up; the recovery codes are shown on this response
    only (never in an address, never again)."""
    with session_scope(request.app.state.engine) as session:
        user = _at_step(request, session, "/login/enrol")
        if isinstance(user, Response):
            return user
        if not code.strip():
            errors = {"code": "Enter the 6-digit code your authenticator app shows"}
            return _enrol_page(request, session, user, errors, status=422)
        codes = second_factor.confirm_enrolment(
            session,
            settings=request.app.state.settings,
            user=user,
            code=code,
            client=_client(request),
        )
        if codes is None:
            if _voided(request, user):
                request.session.pop(PENDING, None)
                return _refused(request, None)
            errors = {"code": "The code is wrong. Enter the code your app shows now"}
            return _enrol_page(request, session, user, errors, status=401)
    target = _finish(request, user)
    return render(request, "login_recovery_codes.html", {"codes": codes, "next": target})


@router.post("/logout")
def logout(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    if actor is not None:
        sign_out(session, actor=actor)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/purpose")
def purpose_form(request: Request, actor: OptionalActor) -> Response:
    if actor is None:
        return RedirectResponse("/login?next=/purpose", status_code=303)
    return render(request, "purpose.html", {"purposes": PURPOSES, "errors": {}})


@router.post("/purpose")
def set_purpose(
    request: Request,
    actor: OptionalActor,
    purpose: Annotated[str, Form(max_length=40)] = "",
    purpose_text: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The reason for access recorded with every later audit event of this session."""
    if actor is None:
        return RedirectResponse("/login?next=/purpose", status_code=303)
    request.session["purpose"] = check_purpose(purpose)
    request.session["purpose_text"] = purpose_text.strip() or None
    return RedirectResponse("/", status_code=303)

"""Sign-in, sign-out and the declared purpose of access."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from asbhub.audit.service import PURPOSES
from asbhub.auth.service import SignInFailed, authenticate, check_purpose, sign_out
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
        ctx = {"next": _safe_next(next), "errors": {"username": str(SignInFailed())}}
        return render(request, "login.html", {**ctx, "username": username}, status_code=401)
    open_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


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

"""One place that turns errors into responses: JSON for the API, a readable page otherwise.

API shape: ``{"error": {"status": 404, "message": "...", "fields": {"name": "problem"}}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from asbhub.audit.service import AuditAction, record
from asbhub.auth.service import NotSignedIn, SignInFailed
from asbhub.errors import (
    AsbhubError,
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    RateLimited,
    Unavailable,
)
from asbhub.store.engine import UNAVAILABLE_ERRORS, session_scope
from asbhub.web.labels import plain_errors
from asbhub.web.security import CsrfFailed, redact_path
from asbhub.web.templating import render

log = logging.getLogger("asbhub.web")


class ErrorDetail(BaseModel):
    status: int
    message: str
    fields: dict[str, str]


class ErrorBody(BaseModel):
    error: ErrorDetail


# The error responses every API router documents in the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (401, "Not signed in"),
        (403, "Not permitted for this role"),
        (404, "Not found or outside your scope"),
        (422, "Invalid input"),
    ]
}

STATUS: list[tuple[type[AsbhubError], int]] = [
    (NotSignedIn, 401),
    (SignInFailed, 401),
    (NotPermitted, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (RateLimited, 429),
    (Unavailable, 503),
]
# A refused report or chat start may be tried again after the limit's window.
RETRY_AFTER_SECONDS = 60
TITLES = {
    400: "Bad request",
    401: "Sign in needed",
    403: "Not permitted",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Check your answers",
    429: "Too many requests",
    500: "Sorry, something went wrong",
    503: "Service busy",
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request,
    status: int,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    fields = fields or {}
    if wants_json(request):
        body = {"error": {"status": status, "message": message, "fields": fields}}
        return JSONResponse(body, status_code=status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": TITLES.get(status, "Error"),
            "message": message,
            "fields": fields,
            "actor": getattr(request.state, "actor", None),
        },
        status_code=status,
        headers=headers,
    )


# Public forms whose answers must survive a lost session cookie (route path -> a page that shows
# the posted answers again, in the public's branding, with a fresh token to send them with).
ExpiredForm = Callable[[Request], Awaitable[Response]]
EXPIRED_FORMS: dict[str, ExpiredForm] = {}


def expired_form(path: str) -> Callable[[ExpiredForm], ExpiredForm]:
    """Register the page that answers a refused (expired) post to the route ``path``."""

    def register(page: ExpiredForm) -> ExpiredForm:
        EXPIRED_FORMS[path] = page
        return page

    return register


def _sign_in_again(request: Request) -> Response:
    """To the sign-in page, then back to where the user was.

    An htmx request would follow a 303 inside its XHR and swap the whole sign-in page into the
    results panel, so htmx gets ``HX-Redirect`` and navigates the window instead. Its way back
    is the request itself when it renders the page in view (a filter of the same list), else
    the page in view.
    """
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    current = urlsplit(request.headers.get("hx-current-url", ""))
    if current.path and current.path != request.url.path:
        target = current.path + (f"?{current.query}" if current.query else "")
    login = f"/login?next={quote(target, safe='')}"
    return Response(status_code=401, headers={"hx-redirect": login})


def _audit_denied(request: Request, exc: NotPermitted | NotFound) -> None:
    """A signed-in request refused, or answered "not found" (which is also what a record
    outside the actor's scope answers), is an attempted access: it is logged too."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        return
    refused = isinstance(exc, NotPermitted)
    with session_scope(request.app.state.engine) as session:
        record(
            session,
            actor=actor,
            event="web:route:access_denied" if refused else "web:route:not_found",
            action=AuditAction.ACCESS_DENIED,
            object_type="route",
            object_id=redact_path(request.url.path)[:80],
            outcome="denied",
            fields={"method": request.method, "reason": str(exc)},
        )


async def handle_domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AsbhubError)
    status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
    if isinstance(exc, NotSignedIn) and not wants_json(request):
        return _sign_in_again(request)
    route = request.scope.get("route")
    expired = EXPIRED_FORMS.get(getattr(route, "path", ""))
    if isinstance(exc, CsrfFailed) and expired is not None and not wants_json(request):
        return await expired(request)
    if isinstance(exc, NotPermitted | NotFound):
        _audit_denied(request, exc)
    if isinstance(exc, RateLimited):
        return _rate_limited(request, exc)
    if isinstance(exc, Unavailable):
        headers = {"retry-after": str(exc.retry_after)}
        return error_response(request, 503, str(exc), headers=headers)
    fields = exc.fields if isinstance(exc, InvalidInput) else {}
    message = exc.message if isinstance(exc, InvalidInput) else str(exc)
    return error_response(request, status, message, fields)


def _rate_limited(request: Request, exc: RateLimited) -> Response:
    """The public's readable 429 page (or the JSON error) for a refused report or chat start."""
    headers = {"retry-after": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        return error_response(request, 429, str(exc), headers=headers)
    response = render(
        request, "public/rate_limited.html", {"limit": exc.limit, "what": exc.what}, status_code=429
    )
    response.headers.update(headers)
    return response


async def handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, message, headers=headers)


def _place(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "request"


async def handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        fields: dict[str, str] = {}
        for err in exc.errors():
            fields.setdefault(_place(err.get("loc", ())), str(err.get("msg", "invalid")))
    else:
        fields = plain_errors(exc.errors())
    return error_response(request, 422, "Some of the values sent are not valid.", fields)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # Log the type and path only: messages can carry personal data.
    log.error(
        "web.unhandled_error",
        extra={"path": redact_path(request.url.path), "type": type(exc).__name__},
    )
    return error_response(request, 500, "The server could not complete the request.")


async def handle_database(request: Request, exc: Exception) -> Response:
    """A lock not granted within the bounded wait, a read-only file or a database that is
    down: 503 with Retry-After at once, never a generic 500 after 30 s."""
    log.warning(
        "web.database_unavailable",
        extra={"path": redact_path(request.url.path), "type": type(exc).__name__},
    )
    return await handle_domain(request, Unavailable())


async def handle_pool_exhausted(request: Request, exc: Exception) -> Response:
    """Every connection of this worker's pool stayed busy for the bounded wait."""
    log.warning("web.database_pool_exhausted", extra={"path": redact_path(request.url.path)})
    message = "All of the service's database connections are in use. Please try again in a moment."
    return await handle_domain(request, Unavailable(message, retry_after=5))


def install(app: FastAPI) -> None:
    for error in UNAVAILABLE_ERRORS[1:]:
        app.add_exception_handler(error, handle_database)
    app.add_exception_handler(sqlalchemy.exc.TimeoutError, handle_pool_exhausted)
    app.add_exception_handler(AsbhubError, handle_domain)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(Exception, handle_unexpected)

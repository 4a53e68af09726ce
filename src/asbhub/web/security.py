"""Security headers, the session cookie and CSRF tokens.

CSRF: every session holds one random token; every unsafe request (POST, PUT, PATCH, DELETE)
must carry it, either as the form field ``csrf_token`` or the header ``X-CSRF-Token`` (htmx and
API clients). The check runs as an app-wide dependency, so a route cannot forget it.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from asbhub.errors import NotPermitted

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}

# No inline script or style anywhere: every script and stylesheet is a file under /static.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
]


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers above; pages that may hold personal data are
    marked ``no-store`` so a shared machine's cache never keeps them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(conn: HTTPConnection) -> str:
    """The session's CSRF token, created on first use."""
    token = conn.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        conn.session["csrf"] = token
    return token


class CsrfFailed(NotPermitted):
    """The request's CSRF token is missing or does not match the session's."""


async def verify_csrf(conn: HTTPConnection) -> None:
    """App-wide dependency: reject an unsafe request without the session's token."""
    if conn.scope["type"] != "http" or not isinstance(conn, Request):
        return
    if conn.method in SAFE_METHODS:
        return
    expected = conn.session.get("csrf")
    sent = conn.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = conn.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await conn.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    # compare_digest takes str only when ASCII; a forged non-ASCII token must fail, not raise.
    if not (
        isinstance(expected, str)
        and sent
        and hmac.compare_digest(expected.encode(), sent.encode("utf-8", "surrogateescape"))
    ):
        raise CsrfFailed("The form has expired or did not come from this site. Please try again.")


# A public chat's token is the chatter's only credential; a query string can hold a searched
# name. Neither may reach a log file.
_TOKEN_PATHS = re.compile(r"^(/chat/)[^/?]+")


def redact_path(path: str) -> str:
    """``path`` fit for a log: the query string dropped and chat tokens masked."""
    return _TOKEN_PATHS.sub(r"\1[token]", path.split("?", 1)[0])


class RedactPaths(logging.Filter):
    """Log filter for uvicorn's access and WebSocket lines, which pass the path with its query
    string as an argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        return True


def _redact_arg(arg: Any) -> Any:
    return redact_path(arg) if isinstance(arg, str) and arg.startswith("/") else arg


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's logging set-up with :class:`RedactPaths` on every handler."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_paths": {"()": RedactPaths}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_paths"]
    return config

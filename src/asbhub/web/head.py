"""``HEAD`` answered wherever ``GET`` is.

FastAPI routes answer only the methods they declare, so every page and ``/api/v1/me`` said 405
to ``HEAD`` (which link checkers and uptime monitors send). HTTP requires a server that answers
``GET`` to answer ``HEAD`` the same way without the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: run a ``HEAD`` request as ``GET`` and drop the body it sends.

    The headers (``content-length`` included) stay those of the ``GET``, as RFC 9110 asks; a
    path without ``GET`` still answers 405 with its ``allow`` header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)

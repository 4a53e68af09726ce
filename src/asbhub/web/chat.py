"""The WebSocket plumbing both sides of a live chat share.

Every line is stored first, then published to everyone watching the chat through the app's
:class:`~asbhub.contact.relay.ChatRelay`, which reaches the connections held by the other
worker processes too. A connection starts with the whole transcript,
so a reconnect misses nothing. The handler's socket is authenticated by the session cookie (and
an Origin check against cross-site hijacking); the public's by the chat token.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from asbhub.contact import queries
from asbhub.contact.hub import Event
from asbhub.contact.models import Chat
from asbhub.contact.relay import ChatRelay, message_event, status_event
from asbhub.errors import AsbhubError, InvalidInput
from asbhub.permissions import Actor
from asbhub.store.engine import session_scope

# At most this many lines per connection in this many seconds.
SOCKET_LINES = 20
SOCKET_WINDOW_SECONDS = 10.0


def chat_relay(app: FastAPI) -> ChatRelay:
    relay: ChatRelay | None = getattr(app.state, "chat_relay", None)
    if relay is None:
        relay = ChatRelay(app.state.engine)
        app.state.chat_relay = relay
    return relay


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser: nothing to hijack
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _forward(queue: asyncio.Queue[Event], websocket: WebSocket) -> None:
    while True:
        await websocket.send_json(await queue.get())


async def run_chat_socket(
    websocket: WebSocket,
    *,
    chat_id: int,
    store: Callable[[Session, str], Event],
    actor: Actor | None = None,
) -> None:
    """Serve one side of a chat: send the transcript, then relay lines both ways until close.

    ``store`` writes one line for this side (in its own transaction) and returns its event.
    ``actor`` is the handler on the staff side, whose reading of the transcript is audited as
    opening the chat page is; the public side, which wrote it, passes none.
    """
    if not _same_origin(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    engine = websocket.app.state.engine
    relay = chat_relay(websocket.app)

    def history() -> tuple[list[Event], str, int]:
        with session_scope(engine) as session:
            if actor is None:
                force = websocket.app.state.settings.default_force  # the public site's
                chat = session.get_one(Chat, (chat_id, force))
                messages = queries.transcript(session, chat=chat)
            else:
                view = queries.chat_with_transcript(session, actor=actor, chat_id=chat_id)
                chat, messages = view.chat, view.messages
            events = [
                {"type": "history", "messages": [message_event(m, chat) for m in messages]},
                status_event(chat),
            ]
            return events, chat.force_code, messages[-1].id if messages else 0

    # Subscribe before reading the transcript so no line falls between the two.
    async with relay.hub.subscribe(chat_id) as queue:
        events, force_code, last_id = await run_in_threadpool(history)
        for event in events:
            queue.put_nowait(event)
        relay.watching(chat_id, force_code=force_code, last_id=last_id)
        forward = asyncio.create_task(_forward(queue, websocket))
        recent: collections.deque[float] = collections.deque(maxlen=SOCKET_LINES)
        try:
            while True:
                raw = await websocket.receive_text()
                try:
                    data = json.loads(raw)
                except json.JSONDecodeError:
                    data = None
                if not isinstance(data, dict) or data.get("type") != "message":
                    queue.put_nowait({"type": "error", "message": "Unknown request"})
                    continue
                now = time.monotonic()
                if len(recent) == SOCKET_LINES and now - recent[0] < SOCKET_WINDOW_SECONDS:
                    # One connection cannot flood the transcript or the other side's screen.
                    queue.put_nowait(
                        {"type": "error", "message": "Slow down: wait a moment and send again"}
                    )
                    continue
                recent.append(now)
                body = str(data.get("body", ""))

                def save(body: str = body) -> Event:
                    with session_scope(engine) as session:
                        return store(session, body)

                try:
                    event = await run_in_threadpool(save)
                except InvalidInput as exc:
                    queue.put_nowait(
                        {"type": "error", "message": exc.fields.get("body", exc.message)}
                    )
                except AsbhubError as exc:
                    queue.put_nowait({"type": "error", "message": str(exc)})
                else:
                    relay.publish(chat_id, event)
        except WebSocketDisconnect:
            pass
        finally:
            forward.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await forward

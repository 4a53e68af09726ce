"""Call handlers' contact screens (queue, live chat), the channel counts page and API, and the
WebSocket plumbing both sides of a chat share.

Chat sockets: every line is stored first, then published to everyone watching the chat through
the in-process :class:`~asbhub.contact.hub.ChatHub`. A connection starts with the whole
transcript, so a reconnect misses nothing. The handler's socket is authenticated by the session
cookie (and an Origin check against cross-site hijacking); the public's by the chat token.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from asbhub.auth.service import actor_for, get_user
from asbhub.contact import counts, queries, service
from asbhub.contact.hub import ChatHub, Event
from asbhub.contact.models import Chat, ChatMessage, ChatSender
from asbhub.contact.schemas import validate_chat_incident
from asbhub.errors import AsbhubError, InvalidInput
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, Channel, Incident, IncidentType, Qualifier
from asbhub.permissions import Action, Actor, allowed
from asbhub.store.engine import session_scope
from asbhub.web.deps import DbSession, require_action
from asbhub.web.routes.api import ERRORS
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["channels"], responses=ERRORS)

T = TypeVar("T")
# At most this many lines per connection in this many seconds.
SOCKET_LINES = 20
SOCKET_WINDOW_SECONDS = 10.0


# --- shared chat socket plumbing ----------------------------------------------------------------


def chat_hub(app: FastAPI) -> ChatHub:
    hub: ChatHub | None = getattr(app.state, "chat_hub", None)
    if hub is None:
        hub = ChatHub()
        app.state.chat_hub = hub
    return hub


def message_event(msg: ChatMessage, chat: Chat) -> Event:
    names = {
        ChatSender.PUBLIC: chat.display_name or "Member of the public",
        ChatSender.HANDLER: chat.handler_name or "Call handler",
        ChatSender.SYSTEM: "Essex Police",
    }
    return {
        "type": "message",
        "id": msg.id,
        "sender": msg.sender.value,
        "name": names[msg.sender],
        "body": msg.body,
        "sent_at": msg.sent_at.isoformat(timespec="seconds"),
    }


def status_event(chat: Chat) -> Event:
    return {
        "type": "status",
        "status": chat.status.value,
        "handler_name": chat.handler_name,
        "incident_id": chat.incident_id,
    }


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser: nothing to hijack
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _forward(queue: asyncio.Queue[Event], websocket: WebSocket) -> None:
    while True:
        await websocket.send_json(await queue.get())


async def run_chat_socket(
    websocket: WebSocket, *, chat_id: int, store: Callable[[Session, str], Event]
) -> None:
    """Serve one side of a chat: send the transcript, then relay lines both ways until close.

    ``store`` writes one line for this side (in its own transaction) and returns its event.
    """
    if not _same_origin(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    engine = websocket.app.state.engine
    hub = chat_hub(websocket.app)

    def history() -> list[Event]:
        with session_scope(engine) as session:
            chat = session.get_one(Chat, chat_id)
            messages = queries.transcript(session, chat_id=chat_id)
            return [
                {"type": "history", "messages": [message_event(m, chat) for m in messages]},
                status_event(chat),
            ]

    # Subscribe before reading the transcript so no line falls between the two.
    async with hub.subscribe(chat_id) as queue:
        for event in await run_in_threadpool(history):
            queue.put_nowait(event)
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
                    hub.publish(chat_id, event)
        except WebSocketDisconnect:
            pass
        finally:
            forward.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await forward


async def _in_session(request: Request, fn: Callable[[Session], T]) -> T:
    def run() -> T:
        with session_scope(request.app.state.engine) as session:
            return fn(session)

    return await run_in_threadpool(run)


def _publish_new(app: FastAPI, chat_id: int, events: list[Event]) -> None:
    hub = chat_hub(app)
    for event in events:
        hub.publish(chat_id, event)


def _changes(session: Session, chat: Chat, before: int) -> list[Event]:
    """Events for the lines a change added (id above ``before``) and the chat's new status."""
    session.flush()
    added = queries.transcript(session, chat_id=chat.id, after_id=before)
    return [*(message_event(m, chat) for m in added), status_event(chat)]


def _last_id(session: Session, chat_id: int) -> int:
    return int(
        session.scalar(select(func.max(ChatMessage.id)).where(ChatMessage.chat_id == chat_id)) or 0
    )


# --- queue ---------------------------------------------------------------------------------------


@router.get("/contact/queue")
def queue_page(
    request: Request,
    session: DbSession,
    actor: Actor = require_action(Action.CONTACT_QUEUE_VIEW),
) -> Response:
    q = queries.queue(session, actor=actor)
    return render(
        request,
        "contact/queue.html",
        {"queue": q, "labels": INCIDENT_TYPE_LABELS, "now": service.utcnow()},
        partial="contact/_queue.html",
    )


# --- chat handling -------------------------------------------------------------------------------


def _chat_context(
    session: Session, actor: Actor, chat_id: int, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    chat, messages = queries.chat_with_transcript(session, actor=actor, chat_id=chat_id)
    incident = session.get(Incident, chat.incident_id) if chat.incident_id else None
    return {
        "chat": chat,
        "messages": messages,
        "incident": incident,
        "errors": errors or {},
        "type_options": [(t.value, INCIDENT_TYPE_LABELS[t]) for t in IncidentType],
        "qualifiers": [q.value for q in Qualifier],
        "mine": chat.handler_id == actor.user_id,
        "can_convert": allowed(actor, Action.CONTACT_CHAT_CONVERT),
    }


@router.get("/contact/chats/{chat_id}")
def chat_page(
    request: Request,
    chat_id: int,
    session: DbSession,
    actor: Actor = require_action(Action.CONTACT_CHAT_HANDLE),
) -> Response:
    return render(request, "contact/chat.html", _chat_context(session, actor, chat_id))


@router.post("/contact/chats/{chat_id}/take")
async def chat_take(
    request: Request, chat_id: int, actor: Actor = require_action(Action.CONTACT_CHAT_HANDLE)
) -> Response:
    def take(session: Session) -> list[Event]:
        chat = service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
        before = _last_id(session, chat.id)
        service.take_chat(session, actor=actor, chat=chat)
        return _changes(session, chat, before)

    _publish_new(request.app, chat_id, await _in_session(request, take))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


@router.post("/contact/chats/{chat_id}/close")
async def chat_close(
    request: Request, chat_id: int, actor: Actor = require_action(Action.CONTACT_CHAT_HANDLE)
) -> Response:
    def close(session: Session) -> list[Event]:
        chat = service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
        before = _last_id(session, chat.id)
        service.close_chat(session, chat=chat, by=ChatSender.HANDLER, actor=actor)
        return _changes(session, chat, before)

    _publish_new(request.app, chat_id, await _in_session(request, close))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


@router.post("/contact/chats/{chat_id}/messages")
async def chat_message(
    request: Request, chat_id: int, actor: Actor = require_action(Action.CONTACT_CHAT_HANDLE)
) -> Response:
    """The handler's no-JavaScript fallback: one form post per line."""
    body = str((await request.form()).get("body", ""))

    def post(session: Session) -> list[Event]:
        chat = service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
        msg = service.post_message(
            session, chat=chat, sender=ChatSender.HANDLER, body=body, actor=actor
        )
        return [message_event(msg, chat)]

    _publish_new(request.app, chat_id, await _in_session(request, post))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


@router.post("/contact/chats/{chat_id}/incident")
async def chat_incident(
    request: Request, chat_id: int, actor: Actor = require_action(Action.CONTACT_CHAT_CONVERT)
) -> Response:
    """Record the chat as an incident linked to its transcript."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        details = validate_chat_incident(values)
    except InvalidInput as exc:
        fields = exc.fields

        def page(session: Session) -> dict[str, Any]:
            return _chat_context(session, actor, chat_id, fields) | {"form": values}

        ctx = await _in_session(request, page)
        return render(request, "contact/chat.html", ctx, status_code=422)

    def convert(session: Session) -> list[Event]:
        chat = service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
        before = _last_id(session, chat.id)
        service.chat_to_incident(session, actor=actor, chat=chat, details=details)
        return _changes(session, chat, before)

    _publish_new(request.app, chat_id, await _in_session(request, convert))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


def _socket_actor(websocket: WebSocket) -> Actor | None:
    user_id = websocket.session.get("uid") if "session" in websocket.scope else None
    if not isinstance(user_id, int):
        return None
    with session_scope(websocket.app.state.engine) as session:
        user = get_user(session, user_id)
        if user is None:
            return None
        return actor_for(
            user,
            purpose=websocket.session.get("purpose"),
            purpose_text=websocket.session.get("purpose_text"),
            channel="ui",
            client_ip=websocket.client.host if websocket.client else None,
            device=websocket.headers.get("user-agent", "")[:300] or None,
        )


@router.websocket("/contact/chats/{chat_id}/ws")
async def chat_socket(websocket: WebSocket, chat_id: int) -> None:
    """The handler's live connection, signed in through the session cookie."""
    actor = await run_in_threadpool(_socket_actor, websocket)
    if actor is None or not allowed(actor, Action.CONTACT_CHAT_HANDLE):
        await websocket.close(code=1008)
        return

    def exists() -> bool:
        with session_scope(websocket.app.state.engine) as session:
            try:
                service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
            except AsbhubError:
                return False
            return True

    if not await run_in_threadpool(exists):
        await websocket.close(code=1008)
        return

    def store(session: Session, body: str) -> Event:
        chat = service.get_chat(session, chat_id=chat_id, force_code=actor.force_code)
        msg = service.post_message(
            session, chat=chat, sender=ChatSender.HANDLER, body=body, actor=actor
        )
        return message_event(msg, chat)

    await run_chat_socket(websocket, chat_id=chat_id, store=store)


# --- channel counts ------------------------------------------------------------------------------


def _default_period(session: Session, force_code: str) -> tuple[dt.date, dt.date]:
    """The financial year of the latest contact through these channels, and the one before."""
    latest_incident = session.scalar(
        select(func.max(Incident.received_at)).where(
            Incident.force_code == force_code,
            Incident.channel.in_([Channel.ONLINE, Channel.LIVE_CHAT]),
        )
    )
    latest_chat = session.scalar(
        select(func.max(Chat.started_at)).where(Chat.force_code == force_code)
    )
    latest = max(
        (d for d in (latest_incident, latest_chat) if d is not None),
        default=service.utcnow(),
    )
    end = latest.date()
    fy_start = end.year if end.month >= 4 else end.year - 1
    return dt.date(fy_start - 1, 4, 1), end


class ChannelTotal(BaseModel):
    count: int
    first_day: dt.date | None
    days: int
    per_day: float


class QuarterCounts(BaseModel):
    quarter: str = Field(description="Financial quarter, e.g. 2020-21 Q3 (Oct-Dec 2020)")
    start: dt.date
    end: dt.date
    partial: bool = Field(description="The period covers only part of the quarter")
    online_reports: int
    chats: int
    online_reports_change: int | None = Field(description="Change on the previous quarter")
    chats_change: int | None


class DayCounts(BaseModel):
    day: dt.date
    online_reports: int
    chats: int


class ChannelCounts(BaseModel):
    force: str
    start: dt.date
    end: dt.date
    totals: dict[str, ChannelTotal]
    quarters: list[QuarterCounts]
    daily: list[DayCounts]
    definitions: dict[str, str]


def _counts(
    session: Session, actor: Actor, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    default_start, default_end = _default_period(session, actor.force_code)
    start, end = start or default_start, end or default_end
    for name, day in (("start", start), ("end", end)):
        if not 2000 <= day.year <= 2100:
            raise InvalidInput("The period is not valid", {name: "must be in 2000-2100"})
    if end < start:
        raise InvalidInput("The period is not valid", {"end": "must not be before start"})
    if (end - start).days > 366 * 20:
        raise InvalidInput("The period is too long", {"start": "at most 20 years"})
    return counts.channel_counts(session, actor=actor, start=start, end=end)


@api.get("/channels/counts", response_model=ChannelCounts)
def channel_counts_api(
    session: DbSession,
    start: Annotated[dt.date | None, Query(description="First day (default: see docs)")] = None,
    end: Annotated[dt.date | None, Query(description="Last day, inclusive")] = None,
    actor: Actor = require_action(Action.CHANNELS_VIEW),
) -> dict[str, Any]:
    """Online reports and live chats per day and per financial quarter, with definitions.

    Without dates: from 1 April of the financial year before the latest contact, to that day.
    """
    return _counts(session, actor, start, end)


@router.get("/contact/channels")
def channel_counts_page(
    request: Request,
    session: DbSession,
    start: dt.date | None = None,
    end: dt.date | None = None,
    actor: Actor = require_action(Action.CHANNELS_VIEW),
) -> Response:
    data = _counts(session, actor, start, end)
    chart = {
        "labels": [q["quarter"] for q in data["quarters"]],
        "datasets": [
            {"label": "Online reports", "data": [q["online_reports"] for q in data["quarters"]]},
            {"label": "Chats", "data": [q["chats"] for q in data["quarters"]]},
        ],
    }
    return render(request, "contact/channels.html", {"data": data, "chart": chart})

"""Call handlers' contact screens (queue, live chat) and the channel counts page and API.

The chat socket plumbing both sides share is in :mod:`asbhub.web.chat`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, WebSocket
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from asbhub.analytics import periods
from asbhub.contact import counts, queries, service
from asbhub.contact.hub import Event
from asbhub.contact.models import Chat, ChatSender
from asbhub.contact.schemas import ChannelCounts, validate_chat_incident
from asbhub.errors import AsbhubError, InvalidInput
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, IncidentType, Qualifier
from asbhub.permissions import Action, Actor, allowed
from asbhub.store.engine import session_scope
from asbhub.web.chat import chat_relay, message_event, run_chat_socket, status_event
from asbhub.web.deps import DbSession, require_action, socket_policy
from asbhub.web.errors import ERRORS
from asbhub.web.templating import render
from asbhub.web.views import area_options

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["channels"], responses=ERRORS)

T = TypeVar("T")


async def _in_session(request: Request, fn: Callable[[Session], T]) -> T:
    def run() -> T:
        with session_scope(request.app.state.engine) as session:
            return fn(session)

    return await run_in_threadpool(run)


def _publish_new(app: FastAPI, chat_id: int, events: list[Event]) -> None:
    relay = chat_relay(app)
    for event in events:
        relay.publish(chat_id, event)


def _changes(session: Session, chat: Chat, before: int) -> list[Event]:
    """Events for the lines a change added (id above ``before``) and the chat's new status."""
    session.flush()
    added = queries.transcript(session, chat=chat, after_id=before)
    return [*(message_event(m, chat) for m in added), status_event(chat)]


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
    view = queries.chat_with_transcript(session, actor=actor, chat_id=chat_id)
    chat = view.chat
    return {
        "chat": chat,
        "messages": view.messages,
        "incident": view.incident,
        "errors": errors or {},
        "type_options": [(t.value, INCIDENT_TYPE_LABELS[t]) for t in IncidentType],
        "area_options": area_options(actor.force_code),
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
        chat = service.get_chat(session, actor=actor, chat_id=chat_id)
        before = queries.last_message_id(session, chat=chat)
        service.take_chat(session, actor=actor, chat=chat)
        return _changes(session, chat, before)

    _publish_new(request.app, chat_id, await _in_session(request, take))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


@router.post("/contact/chats/{chat_id}/close")
async def chat_close(
    request: Request, chat_id: int, actor: Actor = require_action(Action.CONTACT_CHAT_HANDLE)
) -> Response:
    def close(session: Session) -> list[Event]:
        chat = service.get_chat(session, actor=actor, chat_id=chat_id)
        before = queries.last_message_id(session, chat=chat)
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
        chat = service.get_chat(session, actor=actor, chat_id=chat_id)
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
        details = validate_chat_incident(values, force_code=actor.force_code)
    except InvalidInput as exc:
        fields = exc.fields

        def page(session: Session) -> dict[str, Any]:
            return _chat_context(session, actor, chat_id, fields) | {"form": values}

        ctx = await _in_session(request, page)
        return render(request, "contact/chat.html", ctx, status_code=422)

    def convert(session: Session) -> list[Event]:
        chat = service.get_chat(session, actor=actor, chat_id=chat_id)
        before = queries.last_message_id(session, chat=chat)
        service.chat_to_incident(session, actor=actor, chat=chat, details=details)
        return _changes(session, chat, before)

    _publish_new(request.app, chat_id, await _in_session(request, convert))
    return RedirectResponse(f"/contact/chats/{chat_id}", status_code=303)


@router.websocket("/contact/chats/{chat_id}/ws")
async def chat_socket(
    websocket: WebSocket,
    chat_id: int,
    actor: Actor | None = socket_policy(Action.CONTACT_CHAT_HANDLE),
) -> None:
    """The handler's live connection, signed in through the session cookie."""
    if actor is None:
        await websocket.close(code=1008)
        return

    def exists() -> bool:
        with session_scope(websocket.app.state.engine) as session:
            try:
                service.get_chat(session, actor=actor, chat_id=chat_id)
            except AsbhubError:
                return False
            return True

    if not await run_in_threadpool(exists):
        await websocket.close(code=1008)
        return

    def store(session: Session, body: str) -> Event:
        chat = service.get_chat(session, actor=actor, chat_id=chat_id)
        msg = service.post_message(
            session, chat=chat, sender=ChatSender.HANDLER, body=body, actor=actor
        )
        return message_event(msg, chat)

    await run_chat_socket(websocket, chat_id=chat_id, store=store, actor=actor)


# --- channel counts ------------------------------------------------------------------------------


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
    return counts.channel_counts(session, actor=actor, start=start, end=end)


@router.get("/contact/channels")
def channel_counts_page(
    request: Request,
    session: DbSession,
    start: dt.date | None = None,
    end: dt.date | None = None,
    period: Annotated[
        str | None, Query(description="The month a 12-month period ends in, YYYY-MM")
    ] = None,
    actor: Actor = require_action(Action.CHANNELS_VIEW),
) -> Response:
    have = counts.months_with_contact(session, actor=actor)
    if period and not periods.MONTH.fullmatch(period):
        raise InvalidInput("The period is not valid", {"period": "choose a period from the list"})
    chosen = None
    if start is None and end is None:
        chosen = periods.choose(have, period or None)
        if chosen is not None:
            start, end = chosen.start, chosen.end
    data = counts.channel_counts(session, actor=actor, start=start, end=end)
    chart = {
        "labels": [q["quarter"] for q in data["quarters"]],
        "datasets": [
            {"label": "Online reports", "data": [q["online_reports"] for q in data["quarters"]]},
            {"label": "Chats", "data": [q["chats"] for q in data["quarters"]]},
        ],
    }
    return render(
        request,
        "contact/channels.html",
        {
            "data": data,
            "chart": chart,
            "presets": [{"key": p.key, "label": p.label} for p in periods.presets(list(have))],
            "chosen": chosen,
        },
    )

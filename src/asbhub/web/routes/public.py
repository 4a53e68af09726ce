"""The public's pages (no sign-in): the online ASB report and the public side of live chat.

Bots: the report form carries a honeypot field (``website``) hidden from people. A submission
that fills it gets the same "Report sent" page with a made-up reference, and nothing is stored,
so a bot learns nothing from the response. The event is logged without any form content.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from asbhub.contact import service
from asbhub.contact.models import HateStrand
from asbhub.contact.queries import public_chat
from asbhub.contact.schemas import (
    DESCRIPTION_MAX,
    ERROR_ANCHORS,
    IMPACT_MAX,
    STRAND_LABELS,
    WHAT_OPTIONS,
    validate_report,
)
from asbhub.errors import Conflict, InvalidInput, NotFound, Unavailable
from asbhub.incidents.service import new_reference
from asbhub.store.engine import UNAVAILABLE_ERRORS, session_scope, write_lock
from asbhub.web.chat import chat_relay, message_event, run_chat_socket, status_event
from asbhub.web.deps import committers, loop_limiter
from asbhub.web.errors import expired_form
from asbhub.web.templating import render
from asbhub.web.views import area_options

log = logging.getLogger("asbhub.web.public")
router = APIRouter(include_in_schema=False)

T = TypeVar("T")


# Public writes run two at a time per worker process, on the commit threads (web/deps.py): a
# queue of them behind a locked database must not take the worker threads that sign-in pages
# and staff lists are read on (GET /login took 18 s behind queued writers). Two, not eight:
# each write is a few short statements, and eight threads taking turns at the interpreter lock
# cost more CPU than the writes (9.5 ms of the app's CPU per report with eight, 5.8 with two,
# two workers on PostgreSQL, docs/benchmarks.md "Several workers"); one alone leaves the worker
# idle while its transaction waits on the database (54 reports/s from one worker, not 99).
PUBLIC_WRITERS = 2


async def _in_session(request: Request, fn: Callable[[Session], T]) -> T:
    """Run ``fn`` in its own committed transaction, off the event loop.

    The wait for the writer's thread is bounded like the wait for a connection: a queue that
    does not move (the database locked) answers 503 instead of holding the public's answers.
    """
    engine: Engine = request.app.state.engine

    def run() -> T:
        with write_lock(engine), session_scope(engine) as session:
            return fn(session)

    limiter = loop_limiter("public writers", PUBLIC_WRITERS)
    try:
        with anyio.fail_after(request.app.state.settings.db_pool_wait_seconds):
            await limiter.acquire()
    except TimeoutError:
        raise Unavailable() from None
    try:
        return await anyio.to_thread.run_sync(run, limiter=committers())
    finally:
        limiter.release()


def _form_dict(form: Any) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if key == "strands" else (values[0] if values else "")
    return out


def _example_day(today: dt.date) -> str:
    day = today - dt.timedelta(days=30)
    return f"{day.day} {day.month} {day.year}"


def _report_page(
    request: Request, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    strands = form.get("strands", [])
    return render(
        request,
        "public/report.html",
        {
            "form": form,
            "form_strands": strands if isinstance(strands, list) else [strands],
            "errors": errors,
            "anchors": {**ERROR_ANCHORS, "resend": "send-report"},
            "what_options": [(o.key, o.label, o.hint) for o in WHAT_OPTIONS],
            "strand_options": [(s.value, STRAND_LABELS[s]) for s in HateStrand],
            "area_options": area_options(request.app.state.settings.default_force),
            "limits": {"description": DESCRIPTION_MAX, "impact": IMPACT_MAX},
            # The hint's example date must itself be accepted (within the last year).
            "example_day": _example_day(service.utcnow().date()),
        },
        status_code=status,
    )


def _client_key(request: Request) -> str:
    address = request.client.host if request.client else "unknown"
    return service.client_key(address, request.app.state.settings.secret_key)


@router.get("/report")
def report_form(request: Request) -> Response:
    return _report_page(request, {}, {})


@router.post("/report")
async def report_submit(request: Request) -> Response:
    settings = request.app.state.settings
    form = _form_dict(await request.form())
    form.pop("csrf_token", None)
    now = service.utcnow()
    try:
        report = validate_report(form, now=now, force_code=settings.default_force)
    except InvalidInput as exc:
        return _report_page(request, form, exc.fields, status=422)
    if report.honeypot_filled:
        log.info("public.report.honeypot")
        request.session["report_ref"] = new_reference("WEB", now)
        return RedirectResponse("/report/sent", status_code=303)
    key = _client_key(request)

    def store(session: Session) -> str:
        incident = service.create_online_report(
            session,
            report=report,
            force_code=settings.default_force,
            client=key,
            rate_limit=settings.public_report_rate_limit,
            now=now,
        )
        return incident.reference

    try:
        reference = await _in_session(request, store)
    except InvalidInput as exc:
        return _report_page(request, form, exc.fields, status=422)
    except UNAVAILABLE_ERRORS:
        # The citizen's words are not lost: the form comes back filled in, to send again.
        response = _report_page(request, form, {"resend": BUSY}, status=503)
        response.headers["retry-after"] = str(Unavailable().retry_after)
        return response
    request.session["report_ref"] = reference
    return RedirectResponse("/report/sent", status_code=303)


# A lost session cookie (a long-open page, a browser that dropped it) fails the CSRF check:
# the public keep their answers and their branding, and send again with a fresh token.
BUSY = (
    "We could not save your report just now because the system is busy. Your answers are "
    "still here: please send them again in a minute."
)
RESEND = (
    "We could not send this because the page was open for a long time. Your answers are "
    "still here: check them and send again."
)


@expired_form("/report")
async def report_expired(request: Request) -> Response:
    form = _form_dict(await request.form())
    form.pop("csrf_token", None)
    return _report_page(request, form, {"resend": RESEND}, status=403)


@expired_form("/chat")
async def chat_start_expired(request: Request) -> Response:
    form = _form_dict(await request.form())
    ctx = {"form": form, "errors": {"resend": RESEND}, "anchors": {"resend": "start-chat"}}
    return render(request, "public/chat_start.html", ctx, status_code=403)


@expired_form("/chat/{token}/messages")
async def chat_message_expired(request: Request) -> Response:
    token = str(request.path_params.get("token", ""))
    return await run_in_threadpool(_chat_page, request, token, {"body": RESEND}, 403)


@router.get("/report/sent")
def report_sent(request: Request) -> Response:
    # Kept (not popped): refreshing the confirmation must not lose the reference.
    reference = request.session.get("report_ref")
    if not isinstance(reference, str):
        return RedirectResponse("/report", status_code=303)
    return render(request, "public/confirmation.html", {"reference": reference})


@router.get("/report/map.geojson")
def report_map(request: Request) -> Response:
    """The force's local authority boundaries, drawn under the pin (no third-party tiles)."""
    body = service.report_map_geojson(request.app.state.settings.default_force)
    return Response(
        body,
        media_type="application/geo+json",
        headers={"cache-control": "public, max-age=86400"},
    )


# --- live chat, public side --------------------------------------------------------------------


@router.get("/chat")
def chat_start_page(request: Request) -> Response:
    return render(request, "public/chat_start.html", {"form": {}, "errors": {}, "anchors": {}})


@router.post("/chat")
async def chat_start(request: Request) -> Response:
    form = _form_dict(await request.form())
    settings = request.app.state.settings
    key = _client_key(request)

    def start(session: Session) -> str:
        _, token = service.start_chat(
            session,
            force_code=settings.default_force,
            display_name=str(form.get("display_name", "")),
            topic=str(form.get("topic", "")),
            client=key,
            rate_limit=settings.public_report_rate_limit,
        )
        return token

    try:
        token = await _in_session(request, start)
    except InvalidInput as exc:
        return render(
            request,
            "public/chat_start.html",
            {"form": form, "errors": exc.fields, "anchors": {}},
            status_code=422,
        )
    return RedirectResponse(f"/chat/{token}", status_code=303)


def _public_force(conn: HTTPConnection) -> str:
    """The force whose public site this is: its chats are found within it."""
    return str(conn.app.state.settings.default_force)


def _chat_page(
    request: Request, token: str, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    with session_scope(request.app.state.engine) as session:
        chat, messages = public_chat(session, token=token, force_code=_public_force(request))
    return render(
        request,
        "public/chat.html",
        {"chat": chat, "messages": messages, "token": token, "errors": errors or {}},
        status_code=status,
    )


@router.get("/chat/{token}")
def chat_page(request: Request, token: str) -> Response:
    return _chat_page(request, token)


@router.post("/chat/{token}/messages")
async def chat_post(request: Request, token: str) -> Response:
    """Without JavaScript the public sends each line as a form and reloads the page."""
    body = str((await request.form()).get("body", ""))

    def post(session: Session) -> tuple[int, dict[str, Any]]:
        chat = service.chat_by_token(session, token, force_code=_public_force(request))
        msg = service.post_message(session, chat=chat, sender=service.ChatSender.PUBLIC, body=body)
        return chat.id, message_event(msg, chat)

    try:
        chat_id, event = await _in_session(request, post)
    except (InvalidInput, Conflict) as exc:
        fields = exc.fields if isinstance(exc, InvalidInput) else {"body": str(exc)}
        return await run_in_threadpool(_chat_page, request, token, fields, 422)
    chat_relay(request.app).publish(chat_id, event)
    return RedirectResponse(f"/chat/{token}", status_code=303)


@router.post("/chat/{token}/end")
async def chat_end(request: Request, token: str) -> Response:
    def end(session: Session) -> tuple[int, list[dict[str, Any]]]:
        chat = service.chat_by_token(session, token, force_code=_public_force(request))
        before = {m.id for m in chat.messages}
        service.close_chat(session, chat=chat, by=service.ChatSender.PUBLIC)
        session.refresh(chat, ["messages"])
        new = [message_event(m, chat) for m in chat.messages if m.id not in before]
        return chat.id, [*new, status_event(chat)]

    chat_id, events = await _in_session(request, end)
    relay = chat_relay(request.app)
    for event in events:
        relay.publish(chat_id, event)
    return RedirectResponse(f"/chat/{token}", status_code=303)


@router.websocket("/chat/{token}/ws")
async def chat_socket(websocket: WebSocket, token: str) -> None:
    """The public's live connection; the unguessable token is its only credential."""

    def find(session: Session) -> int:
        return service.chat_by_token(session, token, force_code=_public_force(websocket)).id

    def run() -> int | None:
        try:
            with session_scope(websocket.app.state.engine) as session:
                return find(session)
        except NotFound:
            return None

    chat_id = await run_in_threadpool(run)
    if chat_id is None:
        await websocket.close(code=1008)
        return

    def store(session: Session, body: str) -> dict[str, Any]:
        chat = service.chat_by_token(session, token, force_code=_public_force(websocket))
        msg = service.post_message(session, chat=chat, sender=service.ChatSender.PUBLIC, body=body)
        return message_event(msg, chat)

    await run_chat_socket(websocket, chat_id=chat_id, store=store)

"""What the public's channels do: store an online report, run a live chat from start to close.

Each function takes the session and plain values (keyword-only) and leaves committing to the
caller, so one request is one short transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

import shapely
from pydantic import ValidationError
from sqlalchemy import Integer, Select, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, deferred, record
from asbhub.contact.models import Chat, ChatMessage, ChatSender, ChatStatus, PublicSubmission
from asbhub.contact.schemas import ChatToIncident, OnlineReport
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted, RateLimited
from asbhub.geography.service import geography
from asbhub.incidents.models import Channel, Incident, PersonRole
from asbhub.incidents.schemas import NewIncident
from asbhub.incidents.service import record_incident
from asbhub.permissions import Action, Actor, allowed, in_scope, require, restrict
from asbhub.store.engine import lock_for_transaction

CHAT_MESSAGE_MAX = 2000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def client_key(address: str, secret: str) -> str:
    """A keyed hash of a client address, so rate limits work without storing addresses."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def _place_error(exc: InvalidInput) -> InvalidInput:
    return (
        InvalidInput(
            "There is a problem with your report",
            {"place": "The pin is outside Essex: move it to where it happened, or call 101"},
        )
        if "longitude" in exc.fields
        else exc
    )


_SUBMISSIONS = cast(Table, PublicSubmission.__table__)
_CHATS = cast(Table, Chat.__table__)
_NEW_SUBMISSION = insert(_SUBMISSIONS)  # built once, like the rate limit's count below


def _recent_count(table: Table, key_column: str, time_column: str) -> Select[int]:
    """How many of a client's rows are in the window, counting no further than ``:limit``
    (the answer is only "limit reached or not", so the cost stays a few index entries however
    busy the client, or a benchmark, has been)."""
    key, at = table.c[key_column], table.c[time_column]
    recent = (
        select(table.c.id)
        .where(key == bindparam("key", type_=key.type), at > bindparam("since", type_=at.type))
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    return select(func.count()).select_from(recent)


# What is counted for each rate limit (table, client key column and time column, indexed
# together), built once: building the statement per report cost more than running it.
_RATE_LIMITED = {
    "reports": _recent_count(_SUBMISSIONS, "client_key", "submitted_at"),
    "chats": _recent_count(_CHATS, "client_key", "started_at"),
}


_LOCK_NAMESPACE = {"reports": 1, "chats": 2}


def check_rate_limit(
    session: Session,
    *,
    key: str,
    limit: int,
    now: dt.datetime,
    window_seconds: int = 60,
    what: Literal["reports", "chats"] = "reports",
) -> None:
    """Raise :class:`RateLimited` if ``key`` already has ``limit`` reports (or chat starts)
    stored in the window.

    Counting stored rows (not an in-process counter) keeps the limit right across worker
    processes and restarts; the index on (client_key, time) makes it one short range scan of
    at most ``limit`` entries.
    """
    since = now - dt.timedelta(seconds=window_seconds)
    # Held until commit, so the count and the insert that follows it are one step per client:
    # without it 40 simultaneous reports from one client stored 24 on PostgreSQL (limit 10).
    lock_for_transaction(session, _LOCK_NAMESPACE[what], key)
    n = session.connection().scalar(
        _RATE_LIMITED[what], {"key": key, "since": since, "limit": max(limit, 0)}
    )
    if (n or 0) >= limit:
        raise RateLimited(limit, what)


def _new_incident(fields: dict[str, object]) -> NewIncident:
    """The public's answers through the same schema as an import (an unreadable pin is the
    only way they can fail it once the form has been checked)."""
    try:
        return NewIncident.model_validate(fields)
    except ValidationError:
        raise InvalidInput(
            "There is a problem with your report",
            {"place": "The map pin could not be read: place it again or describe the place"},
        ) from None


def _incident_of(report: OnlineReport, now: dt.datetime) -> NewIncident:
    """The report as a new incident, its reporter linked as caller (and victim)."""
    people = []
    if report.reporter is not None:
        r = report.reporter
        roles = [PersonRole.CALLER] + ([PersonRole.VICTIM] if report.targeted == "yes" else [])
        people = [
            {"role": role, "forename": r.forename, "surname": r.surname, "phone": r.phone,
             "email": r.email}
            for role in roles
        ]  # fmt: skip
    return _new_incident(
        {
            "received_at": now,
            "channel": Channel.ONLINE,
            "opening_code": report.incident_type,
            "qualifier": report.qualifier,
            "hate_motivated": report.hate_motivated,
            "location_text": report.place,
            "longitude": report.longitude,
            "latitude": report.latitude,
            "narrative": report.description,
            "people": people,
        }
    )


@dataclass(frozen=True)
class StoredReport:
    incident_id: int
    reference: str
    person_id: int | None


def create_online_report(
    session: Session,
    *,
    report: OnlineReport,
    force_code: str,
    client: str,
    rate_limit: int,
    now: dt.datetime | None = None,
) -> StoredReport:
    """Store an online report as a new incident (channel ``online``) in the handlers' queue.

    The reporter becomes a person linked as caller (and victim when they say they were
    targeted) unless they chose to stay anonymous. ``client`` is the keyed client hash from
    :func:`client_key`. Raises :class:`RateLimited` or :class:`InvalidInput` (pin outside the
    force) before anything is written.

    Written with Core inserts rather than the unit of work: the public form is the busiest
    write path, and a handful of plain INSERTs is several times cheaper than ORM flushes.
    """
    if not allowed(None, Action.PUBLIC_REPORT_CREATE):
        raise NotPermitted("online reporting is closed")
    now = now or utcnow()
    # The audit event is linked to the chain last, just before the caller commits, so the
    # chain's lock (one writer at a time for the whole app) covers that append and the commit
    # only, not the report's other inserts (docs/scale.md, section 4).
    with deferred(session):
        check_rate_limit(session, key=client, limit=rate_limit, now=now)
        incident = _incident_of(report, now)
        stored = _record_report(session, report, incident, force_code, client, now)
    return stored


def _record_report(
    session: Session,
    report: OnlineReport,
    incident: NewIncident,
    force_code: str,
    client: str,
    now: dt.datetime,
) -> StoredReport:
    try:
        stored = record_incident(
            session,
            actor=None,
            incident=incident,
            force_code=force_code,
            permission=Action.PUBLIC_REPORT_CREATE,
            source="online",
            reference_prefix="WEB",
            within_force=True,
            event="public:report:create",
            channel="public_web",
            named_area=report.area or None,
            now=now,
        )
    except InvalidInput as exc:
        raise _place_error(exc) from None
    incident_id = stored.incident_id
    person_id = stored.person_ids[0] if stored.person_ids else None
    conn = session.connection()
    conn.execute(
        _NEW_SUBMISSION,
        {
            "force_code": force_code,
            "incident_id": incident_id,
            "submitted_at": now,
            "client_key": client,
            "occurred_at": report.occurred_at,
            "ongoing": report.ongoing,
            "impact": report.impact,
            "targeted": report.targeted,
            "hate_strands": [s.value for s in report.hate_strands],
            "anonymous": report.reporter is None,
            "pin_longitude": report.longitude,
            "pin_latitude": report.latitude,
            "consent_at": now,
        },
    )
    return StoredReport(incident_id, stored.reference, person_id)


# --- live chat -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_chat(
    session: Session,
    *,
    force_code: str,
    display_name: str | None,
    topic: str | None,
    client: str | None = None,
    rate_limit: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Chat, str]:
    """Open a waiting chat; returns it with the token that the public side must present.

    The public route passes ``client`` (the keyed hash from :func:`client_key`), stored with
    the chat, and ``rate_limit``: more than that many starts from one client in a minute
    raise :class:`RateLimited` before anything is written.
    """
    now = now or utcnow()
    if client is not None and rate_limit is not None:
        check_rate_limit(session, key=client, limit=rate_limit, now=now, what="chats")
    display_name = (display_name or "").strip()[:80] or None
    topic = (topic or "").strip()
    if len(topic) > 500:
        raise InvalidInput(
            "There is a problem",
            {"topic": "What you want to talk about must be 500 characters or fewer"},
        )
    token = secrets.token_urlsafe(32)
    chat = Chat(
        force_code=force_code,
        token_hash=_token_hash(token),
        status=ChatStatus.WAITING,
        display_name=display_name,
        topic=topic or None,
        started_at=now,
        client_key=client,
    )
    session.add(chat)
    session.flush()
    if topic:
        session.add(
            ChatMessage(
                force_code=force_code,
                chat_id=chat.id,
                sent_at=now,
                sender=ChatSender.PUBLIC,
                body=topic,
            )
        )
        session.flush()
    return chat, token


def _same_force(actor: Actor, chat: Chat) -> None:
    if not in_scope(actor, chat):
        raise NotFound(f"chat {chat.id} not found")


def _audit(session: Session, actor: Actor, event: str, action: AuditAction, chat: Chat) -> None:
    record(session, actor=actor, event=event, action=action, object_type="chat", object_id=chat.id)


def chat_by_token(session: Session, token: str, *, force_code: str) -> Chat:
    """The chat of ``force_code`` (the public site's force) that ``token`` opens."""
    chat = session.scalar(
        select(Chat).where(Chat.force_code == force_code, Chat.token_hash == _token_hash(token))
    )
    if chat is None:
        raise NotFound("no such chat")
    return chat


def get_chat(session: Session, *, actor: Actor, chat_id: int) -> Chat:
    """A chat in the actor's scope, for a handler to act on."""
    require(actor, Action.CONTACT_CHAT_HANDLE)
    chat = session.scalar(restrict(actor, select(Chat).where(Chat.id == chat_id), Chat))
    if chat is None:
        raise NotFound(f"chat {chat_id} not found")
    return chat


def post_message(
    session: Session,
    *,
    chat: Chat,
    sender: ChatSender,
    body: str,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> ChatMessage:
    """Add a line to the transcript; closed chats take no more messages.

    A handler's line needs ``actor``, who must be the handler who took the chat.
    """
    body = body.strip()
    if not body:
        raise InvalidInput("Empty message", {"body": "Enter a message"})
    if len(body) > CHAT_MESSAGE_MAX:
        raise InvalidInput(
            "Message too long", {"body": f"Messages must be {CHAT_MESSAGE_MAX} characters or fewer"}
        )
    if chat.status == ChatStatus.CLOSED:
        raise Conflict("this chat has ended")
    if sender == ChatSender.HANDLER:
        require(actor, Action.CONTACT_CHAT_HANDLE)
        assert actor is not None
        _same_force(actor, chat)
        if chat.status != ChatStatus.ACTIVE:
            raise Conflict("take the chat before replying")
        if chat.handler_id != actor.user_id:
            raise Conflict(f"this chat is being handled by {chat.handler_name}")
    elif sender != ChatSender.PUBLIC:
        raise InvalidInput("Unknown sender", {"sender": "must be public or handler"})
    msg = ChatMessage(
        force_code=chat.force_code,
        chat_id=chat.id,
        sent_at=now or utcnow(),
        sender=sender,
        body=body,
    )
    session.add(msg)
    session.flush()
    return msg


def _system_line(session: Session, chat: Chat, now: dt.datetime, body: str) -> None:
    """A line the service itself adds to the transcript (joined, ended, recorded)."""
    session.add(
        ChatMessage(
            force_code=chat.force_code,
            chat_id=chat.id,
            sent_at=now,
            sender=ChatSender.SYSTEM,
            body=body,
        )
    )
    session.flush()


def take_chat(
    session: Session,
    *,
    actor: Actor,
    chat: Chat,
    now: dt.datetime | None = None,
) -> Chat:
    """A handler takes a waiting chat; the waiting time is fixed here."""
    require(actor, Action.CONTACT_CHAT_HANDLE)
    _same_force(actor, chat)
    now = now or utcnow()
    if chat.status != ChatStatus.WAITING:
        raise Conflict(
            "this chat has already been taken"
            if chat.status == ChatStatus.ACTIVE
            else "this chat has ended"
        )
    chat.status = ChatStatus.ACTIVE
    chat.taken_at = now
    chat.waiting_seconds = (now - chat.started_at).total_seconds()
    chat.handler_id = actor.user_id
    chat.handler_name = actor.display_name
    _system_line(session, chat, now, f"{actor.display_name} has joined the chat")
    _audit(session, actor, "contact:chat:take", AuditAction.UPDATE, chat)
    return chat


def close_chat(
    session: Session,
    *,
    chat: Chat,
    by: ChatSender,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> Chat:
    """End a chat, by the public (with its token) or a handler (``actor``).

    The handling time is fixed here; a chat closed before anyone took it has none.
    """
    if by != ChatSender.PUBLIC:
        require(actor, Action.CONTACT_CHAT_HANDLE)
        assert actor is not None
        _same_force(actor, chat)
    now = now or utcnow()
    if chat.status == ChatStatus.CLOSED:
        return chat
    if chat.taken_at is not None:
        chat.handling_seconds = (now - chat.taken_at).total_seconds()
    chat.status = ChatStatus.CLOSED
    chat.closed_at = now
    who = "The member of the public" if by == ChatSender.PUBLIC else "The call handler"
    _system_line(session, chat, now, f"{who} ended the chat")
    if actor is not None:
        _audit(session, actor, "contact:chat:close", AuditAction.UPDATE, chat)
    return chat


def chat_to_incident(
    session: Session,
    *,
    actor: Actor,
    chat: Chat,
    details: ChatToIncident,
    now: dt.datetime | None = None,
) -> Incident:
    """Record a chat as an incident (channel ``live_chat``) linked to its transcript.

    The incident is received when the chat started, which is when the report reached the force.
    """
    require(actor, Action.CONTACT_CHAT_CONVERT)
    _same_force(actor, chat)
    now = now or utcnow()
    if chat.incident_id is not None:
        raise Conflict("this chat has already been recorded as an incident")
    if chat.status == ChatStatus.WAITING:
        raise Conflict("take the chat before recording it as an incident")
    people = [
        {"role": PersonRole.CALLER, "forename": c.forename, "surname": c.surname,
         "phone": c.phone, "email": c.email}
        for c in ([details.caller] if details.caller else [])
    ]  # fmt: skip
    stored = record_incident(
        session,
        actor=actor,
        incident=NewIncident(
            received_at=chat.started_at,
            channel=Channel.LIVE_CHAT,
            opening_code=details.incident_type,
            qualifier=details.qualifier,
            hate_motivated=details.hate_motivated,
            location_text=details.place,
            narrative=details.summary,
            people=people,
        ),
        force_code=chat.force_code,
        permission=Action.CONTACT_CHAT_CONVERT,
        source="live_chat",
        reference_prefix="CHT",
        event="contact:chat:convert",
        audit_fields={"chat_id": chat.id},
        named_area=details.area or None,
        now=now,
    )
    incident = session.get_one(Incident, (stored.incident_id, chat.force_code))
    chat.incident_id = incident.id
    _system_line(session, chat, now, f"Recorded as incident {incident.reference}")
    return incident


@lru_cache(maxsize=4)
def report_map_geojson(force_code: str) -> bytes:
    """The force's local authority boundaries for the report form's map, as GeoJSON bytes."""
    geo = geography(force_code)
    names = {d.local_authority_code: d.local_authority_name for d in geo.districts}
    features = []
    for code, geom in zip(geo.la_codes, geo.la_geoms, strict=True):
        # ~50 m simplification: plenty for placing a pin, a fraction of the bytes.
        simple = shapely.simplify(geom, 0.0005, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": names.get(code, code)},
                "geometry": shapely.geometry.mapping(simple),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()

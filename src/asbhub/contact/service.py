"""What the public's channels do: store an online report, run a live chat from start to close.

Each function takes the session and plain values (keyword-only) and leaves committing to the
caller, so one request is one short transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.contact.models import Chat, ChatMessage, ChatSender, ChatStatus, PublicSubmission
from asbhub.contact.schemas import ChatToIncident, OnlineReport
from asbhub.errors import AsbhubError, Conflict, InvalidInput, NotFound, NotPermitted
from asbhub.geography.service import geography, to_bng
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatus,
    Person,
    PersonRole,
)
from asbhub.permissions import Action, Actor, allowed, require

# Crockford's base32 without I, L, O, U: read aloud over the phone without confusion.
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHAT_MESSAGE_MAX = 2000


class RateLimited(AsbhubError):
    """The client has sent more reports (or started more chats) in the last minute than the
    force accepts; ``what`` says which."""

    def __init__(self, limit: int, what: Literal["reports", "chats"] = "reports") -> None:
        super().__init__(f"more than {limit} {what} a minute from one client")
        self.limit = limit
        self.what = what


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def client_key(address: str, secret: str) -> str:
    """A keyed hash of a client address, so rate limits work without storing addresses."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def new_reference(prefix: str, now: dt.datetime) -> str:
    """An incident reference such as ``WEB-250114-7KQ2MD``: dated, unguessable, unambiguous."""
    tail = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
    return f"{prefix}-{now:%y%m%d}-{tail}"


def _place_fields(force_code: str, lon: float | None, lat: float | None) -> dict[str, object]:
    if lon is None or lat is None:
        return {}
    located = geography(force_code).locate([lon], [lat])
    if located.local_authority_code[0] is None:
        raise InvalidInput(
            "There is a problem with your report",
            {"place": "The pin is outside Essex: move it to where it happened, or call 101"},
        )
    x, y = to_bng([lon], [lat])
    return {
        "longitude": lon,
        "latitude": lat,
        "x_bng": float(x[0]),
        "y_bng": float(y[0]),
        "local_authority_code": located.local_authority_code[0],
        "district": located.district[0],
        "lsoa_code": located.lsoa_code[0],
    }


_SUBMISSIONS = cast(Table, PublicSubmission.__table__)
_CHATS = cast(Table, Chat.__table__)
_INCIDENTS = cast(Table, Incident.__table__)
_PEOPLE = cast(Table, Person.__table__)
_INCIDENT_PEOPLE = cast(Table, IncidentPerson.__table__)


# What is counted for each rate limit: (table, client key column, time column), each pair
# indexed together.
_RATE_LIMITED = {
    "reports": (_SUBMISSIONS, "client_key", "submitted_at"),
    "chats": (_CHATS, "client_key", "started_at"),
}


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
    table, key_column, time_column = _RATE_LIMITED[what]
    # Counting stops at ``limit`` rows: the answer is only "limit reached or not", so the
    # cost stays a few index entries however busy the client (or a benchmark) has been.
    recent = (
        select(table.c.id)
        .where(table.c[key_column] == key, table.c[time_column] > since)
        .limit(max(limit, 0))
        .subquery()
    )
    n = session.connection().scalar(select(func.count()).select_from(recent))
    if (n or 0) >= limit:
        raise RateLimited(limit, what)


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
    check_rate_limit(session, key=client, limit=rate_limit, now=now)
    place = _place_fields(force_code, report.longitude, report.latitude)
    conn = session.connection()
    reference = new_reference("WEB", now)
    incident_id: int = conn.execute(
        insert(_INCIDENTS).returning(_INCIDENTS.c.id),
        {
            "force_code": force_code,
            "reference": reference,
            "received_at": now,
            "channel": Channel.ONLINE,
            "opening_code": report.incident_type,
            "qualifier": report.qualifier,
            "hate_motivated": report.hate_motivated,
            "covid_breach": False,
            "attended": False,
            "location_text": report.place or "Pin on map",
            "narrative": report.description,
            "status": IncidentStatus.NEW,
            **place,
        },
    ).scalar_one()
    person_id: int | None = None
    if report.reporter is not None:
        r = report.reporter
        person_id = conn.execute(
            insert(_PEOPLE).returning(_PEOPLE.c.id),
            {
                "force_code": force_code,
                "forename": r.forename,
                "surname": r.surname,
                "phone": r.phone,
                "email": r.email,
                "vulnerable": False,
                "vulnerability_flags": [],
            },
        ).scalar_one()
        roles = [PersonRole.CALLER]
        if report.targeted == "yes":
            roles.append(PersonRole.VICTIM)
        conn.execute(
            insert(_INCIDENT_PEOPLE),
            [
                {
                    "force_code": force_code,
                    "incident_id": incident_id,
                    "person_id": person_id,
                    "role": role,
                }
                for role in roles
            ],
        )
    conn.execute(
        insert(_SUBMISSIONS),
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
    record(
        session,
        actor=None,
        event="public:report:create",
        action=AuditAction.CREATE,
        object_type="incident",
        object_id=incident_id,
        data_subjects=[person_id] if person_id is not None else [],
        force_code=force_code,
        channel="public_web",
    )
    return StoredReport(incident_id, reference, person_id)


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
    if chat.force_code != actor.force_code:
        raise NotFound(f"chat {chat.id} not found")


def _audit(session: Session, actor: Actor, event: str, action: AuditAction, chat: Chat) -> None:
    record(session, actor=actor, event=event, action=action, object_type="chat", object_id=chat.id)


def chat_by_token(session: Session, token: str) -> Chat:
    chat = session.scalar(select(Chat).where(Chat.token_hash == _token_hash(token)))
    if chat is None:
        raise NotFound("no such chat")
    return chat


def get_chat(session: Session, *, chat_id: int, force_code: str) -> Chat:
    chat = session.scalar(select(Chat).where(Chat.id == chat_id, Chat.force_code == force_code))
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
    incident = Incident(
        force_code=chat.force_code,
        reference=new_reference("CHT", now),
        received_at=chat.started_at,
        channel=Channel.LIVE_CHAT,
        opening_code=details.incident_type,
        qualifier=details.qualifier,
        hate_motivated=details.hate_motivated,
        covid_breach=False,
        attended=False,
        location_text=details.place,
        narrative=f"{details.summary}\n\n(Live chat {chat.id}: transcript kept with the chat.)",
        status=IncidentStatus.NEW,
    )
    session.add(incident)
    session.flush()
    chat.incident_id = incident.id
    _system_line(session, chat, now, f"Recorded as incident {incident.reference}")
    record(
        session,
        actor=actor,
        event="contact:chat:convert",
        action=AuditAction.CREATE,
        object_type="incident",
        object_id=incident.id,
        fields={"chat_id": chat.id},
    )
    return incident

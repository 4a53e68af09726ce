"""Reads for the call handlers' contact queue and chat screens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.contact.models import Chat, ChatMessage, ChatStatus
from asbhub.contact.service import chat_by_token
from asbhub.errors import NotFound
from asbhub.incidents.models import Channel, Incident, IncidentStatus
from asbhub.incidents.queries import people_of
from asbhub.permissions import Action, Actor, allowed, require, restrict

PUBLIC_CHANNELS = (Channel.ONLINE, Channel.LIVE_CHAT)


@dataclass(frozen=True)
class Queue:
    """What a call handler has to pick up: new reports from the public and chats."""

    new_incidents: list[Incident]
    new_total: int
    waiting_chats: list[Chat]
    active_chats: list[Chat]


def queue(session: Session, *, actor: Actor, limit: int = 50) -> Queue:
    """New incidents from the public's channels (newest first) and the chats to handle.

    Waiting chats come oldest first (the longest wait is taken first); active chats are the
    actor's own and any others in the force, so a supervisor sees who is handling what.
    """
    require(actor, Action.CONTACT_QUEUE_VIEW)
    base = restrict(
        actor,
        select(Incident).where(
            Incident.status == IncidentStatus.NEW, Incident.channel.in_(PUBLIC_CHANNELS)
        ),
        Incident,
    )
    incidents = list(
        session.scalars(base.order_by(Incident.received_at.desc(), Incident.id.desc()).limit(limit))
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    waiting = list(
        session.scalars(
            restrict(actor, select(Chat).where(Chat.status == ChatStatus.WAITING), Chat)
            .order_by(Chat.started_at, Chat.id)
            .limit(limit)
        )
    )
    active = list(
        session.scalars(
            restrict(actor, select(Chat).where(Chat.status == ChatStatus.ACTIVE), Chat)
            .order_by(
                or_(Chat.handler_id != actor.user_id, Chat.handler_id.is_(None)), Chat.taken_at
            )
            .limit(limit)
        )
    )
    named = [c.id for c in waiting if c.display_name]
    shown = [i.id for i in incidents]
    if named or shown:
        # The queue shows the names chatters gave and the reports' own words and places;
        # seeing them is a view of personal data.
        record(
            session,
            actor=actor,
            event="contact:queue:view",
            action=AuditAction.VIEW,
            object_type="chat_queue",
            result_count=len(named) + len(shown),
            data_subjects=people_of(session, actor.force_code, shown),
            fields={"chats_named": named, "incidents": shown},
        )
    return Queue(incidents, int(total), waiting, active)


@dataclass(frozen=True)
class ChatView:
    chat: Chat
    messages: list[ChatMessage]
    incident: Incident | None  # the incident it was recorded as


def chat_with_transcript(session: Session, *, actor: Actor, chat_id: int) -> ChatView:
    """A chat, its transcript and the incident it became, for a handler; opening it is
    audit-logged (it names people)."""
    require(actor, Action.CONTACT_CHAT_HANDLE)
    chat = session.scalar(restrict(actor, select(Chat).where(Chat.id == chat_id), Chat))
    if chat is None:
        raise NotFound(f"chat {chat_id} not found")
    messages = transcript(session, chat=chat)
    record(
        session,
        actor=actor,
        event="contact:chat:view",
        action=AuditAction.VIEW,
        object_type="chat",
        object_id=chat.id,
        result_count=len(messages),
    )
    incident = None
    if chat.incident_id is not None:
        incident = session.scalar(
            restrict(actor, select(Incident).where(Incident.id == chat.incident_id), Incident)
        )
    return ChatView(chat, messages, incident)


def public_chat(session: Session, *, token: str, force_code: str) -> tuple[Chat, list[ChatMessage]]:
    """The chat a public token opens, with its transcript; the token is the credential."""
    chat = chat_by_token(session, token, force_code=force_code)
    return chat, transcript(session, chat=chat)


def last_message_id(session: Session, *, chat: Chat) -> int:
    """The newest transcript line's id (0 for none): a change's new lines come after it."""
    return int(
        session.scalar(
            select(func.max(ChatMessage.id)).where(
                ChatMessage.force_code == chat.force_code, ChatMessage.chat_id == chat.id
            )
        )
        or 0
    )


def transcript(session: Session, *, chat: Chat, after_id: int = 0) -> list[ChatMessage]:
    return list(
        session.scalars(
            select(ChatMessage)
            .where(
                ChatMessage.force_code == chat.force_code,
                ChatMessage.chat_id == chat.id,
                ChatMessage.id > after_id,
            )
            .order_by(ChatMessage.id)
        )
    )


def chat_of_incident(session: Session, *, actor: Actor, incident_id: int) -> int | None:
    """The chat an incident was recorded from, for those who may open chats; else ``None``."""
    if not allowed(actor, Action.CONTACT_CHAT_HANDLE):
        return None
    chat_id = session.scalar(
        select(Chat.id).where(Chat.incident_id == incident_id, Chat.force_code == actor.force_code)
    )
    return int(chat_id) if chat_id is not None else None

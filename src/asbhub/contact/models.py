"""Tables of the public's contact channels.

An online report is stored as an ordinary :class:`~asbhub.incidents.models.Incident` (channel
``online``) so that it joins the call handlers' queue like any other incident; what only the web
form collects (when it happened, whether it is ongoing, how it affects the reporter, the hate
strands, consent, and a keyed hash of the client for rate limiting) sits beside it in
``public_submissions``. A live chat is its own record with its transcript; a handler can turn it
into an incident (channel ``live_chat``) linked back to the chat.
Times are naive UTC, as elsewhere in the store.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.auth.models import User
from asbhub.incidents.models import Incident
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class HateStrand(enum.StrEnum):
    """Why the reporter thinks they were targeted. The first five are the national strands."""

    RACE = "race"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual_orientation"
    DISABILITY = "disability"
    TRANSGENDER_IDENTITY = "transgender_identity"
    OTHER = "other"


NATIONAL_STRANDS = frozenset(HateStrand) - {HateStrand.OTHER}


class ChatStatus(enum.StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


class ChatSender(enum.StrEnum):
    PUBLIC = "public"
    HANDLER = "handler"
    SYSTEM = "system"


class PublicSubmission(ForceKeyed, Base):
    """What the online form collected beyond the incident itself (one row per stored report)."""

    __tablename__ = "public_submissions"
    __table_args__ = (
        Index("ix_public_submissions_client_submitted", "client_key", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # A keyed hash of the client address: enough to rate-limit, never the address itself.
    client_key: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ongoing: Mapped[bool] = mapped_column(Boolean)
    impact: Mapped[str] = mapped_column(Text)
    targeted: Mapped[str] = mapped_column(String(10), doc="yes, no or unsure")
    hate_strands: Mapped[list[str]] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    pin_longitude: Mapped[float | None] = mapped_column(Float)
    pin_latitude: Mapped[float | None] = mapped_column(Float)
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime)

    incident: Mapped[Incident] = relationship(
        **same_force("PublicSubmission.incident_id", "Incident")
    )


class Chat(ForceKeyed, Base):
    """One live chat conversation, from the public starting it to a handler closing it."""

    __tablename__ = "chats"
    __table_args__ = (
        Index("ix_chats_force_status_started", "force_code", "status", "started_at"),
        Index("ix_chats_force_started", "force_code", "started_at"),
        Index("ix_chats_client_started", "client_key", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    # SHA-256 of the public's chat token; the token itself is only ever in the public's hands.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ChatStatus] = mapped_column(
        enum_column(ChatStatus, "chat_status"), default=ChatStatus.WAITING
    )
    display_name: Mapped[str | None] = mapped_column(String(80))
    topic: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The starter's keyed client hash, as on public submissions, to rate-limit chat starts.
    # NULL where no public client started the chat (generated chats).
    client_key: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Stored rather than derived so the board's figures are plain column sums.
    waiting_seconds: Mapped[float | None] = mapped_column(Float, doc="started -> taken")
    handling_seconds: Mapped[float | None] = mapped_column(Float, doc="taken -> closed")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handler_name: Mapped[str | None] = mapped_column(String(120))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), unique=True
    )

    incident: Mapped[Incident | None] = relationship(**same_force("Chat.incident_id", "Incident"))
    handler: Mapped[User | None] = relationship()
    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="chat",
        order_by="ChatMessage.id",
        **same_force("ChatMessage.chat_id", "Chat"),
    )


class ChatMessage(ForceKeyed, Base):
    """One line of a chat transcript."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sender: Mapped[ChatSender] = mapped_column(enum_column(ChatSender, "chat_sender"))
    body: Mapped[str] = mapped_column(Text)

    chat: Mapped[Chat] = relationship(
        back_populates="messages", **same_force("ChatMessage.chat_id", "Chat")
    )

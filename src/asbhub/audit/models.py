"""The ``audit_events`` table (domain guide 6.5): append-only, each row chained to the last.

``hash`` is SHA-256 over the previous row's hash and this row's canonical content, so editing
or deleting any row breaks the chain from that row on; :func:`asbhub.audit.service.verify`
finds the first broken link.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.store.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("seq"),
        UniqueConstraint("event_id"),
        Index("ix_audit_events_actor_at", "actor_user_id", "occurred_at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain; unique so two writers can never both append after the same row
    # (on PostgreSQL's monthly partitions within a month, the chain's lock keeping it overall).
    seq: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, doc="UTC, millisecond precision")
    force_code: Mapped[str | None] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(80), doc="source:subject:action")
    action: Mapped[str] = mapped_column(String(20), doc="view, search, create, ... (guide 6.5)")
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(120))
    actor_organisation: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    on_behalf_of: Mapped[str | None] = mapped_column(String(120))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    data_subjects: Mapped[list[int]] = mapped_column(JSON, default=list)
    query: Mapped[str | None] = mapped_column(Text)
    result_count: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str | None] = mapped_column(String(40))
    purpose_text: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(String(80))
    isa_id: Mapped[str | None] = mapped_column(String(80))
    recipient: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), doc="ui, api or batch")
    client_ip: Mapped[str | None] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(20), doc="success, denied or error")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

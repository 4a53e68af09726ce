"""The retention decisions: who decided what about which records, under which rule version."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.store.base import Base, ForceKeyed


class RetentionDecision(ForceKeyed, Base):
    """One decision on the records of a class due on a date: deleted, or kept with a reason.

    Kept even when the records it names are gone: the record of a deletion outlives what it
    deleted (MoPI asks that disposal is itself recorded)."""

    __tablename__ = "retention_decisions"
    __table_args__ = (Index("ix_retention_decisions_force_class", "force_code", "record_class"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    record_class: Mapped[str] = mapped_column(String(60))
    rules_version: Mapped[str] = mapped_column(String(80))
    due_before: Mapped[dt.date] = mapped_column(Date, doc="records dated before this were due")
    decision: Mapped[str] = mapped_column(String(20), doc="delete or keep")
    reason: Mapped[str] = mapped_column(Text)
    records: Mapped[int] = mapped_column(Integer, doc="records due when decided")
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0, doc="due but still used by a record")
    people_deleted: Mapped[int] = mapped_column(
        Integer, default=0, doc="people named by no record once these were deleted"
    )
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

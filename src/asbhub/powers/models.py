"""Statutory power tables: each warning, notice, order, authorisation or application as a
record with its life, its deadlines on the legal calendar, the letters issued and the
administrators' settings over the rules file.

A record names its subject (a stored person, a body, premises or a locality) and keeps the
version of the rules it was decided by and a snapshot of the rule itself, so it can be shown
correctly after the law (or a force's file) changes. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote

from asbhub.casework.models import Case
from asbhub.incidents.models import Location, Person
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class PowerState(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    COMPLIED = "complied"
    BREACHED = "breached"
    VARIED = "varied"
    APPEALED = "appealed"
    EXPIRED = "expired"
    DISCHARGED = "discharged"


class SubjectType(enum.StrEnum):
    INDIVIDUAL = "individual"
    BODY = "body"
    PREMISES = "premises"
    LOCALITY = "locality"


class PowerRecord(ForceKeyed, Base):
    __tablename__ = "power_records"
    __table_args__ = (
        Index("ix_power_records_person", "person_id"),
        Index("ix_power_records_force_power_date", "force_code", "power", "record_date"),
        Index("ix_power_records_parent", "parent_id"),
        Index("ix_power_records_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    power: Mapped[str] = mapped_column(String(40))
    state: Mapped[PowerState] = mapped_column(enum_column(PowerState, "power_state"))
    subject_type: Mapped[SubjectType] = mapped_column(enum_column(SubjectType, "subject_type"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    body_name: Mapped[str | None] = mapped_column(String(200))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    place_text: Mapped[str | None] = mapped_column(String(300))
    local_authority_code: Mapped[str | None] = mapped_column(String(12))
    # The CPW a CPN follows, the authorisation a direction is given under, the notice a
    # closure order follows, the CPN or PSPO a fixed penalty is for.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("power_records.id", ondelete="RESTRICT")
    )
    # The problem-solving case the power is part of (issue 19: powers on a case). A case with
    # powers on it cannot be deleted from under them.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"))
    issuer: Mapped[str] = mapped_column(String(40))
    issuer_rank: Mapped[str | None] = mapped_column(String(40))
    issuer_name: Mapped[str] = mapped_column(String(120))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(120))
    terms: Mapped[str] = mapped_column(Text, default="")
    # What was asked for: period, amount, conviction, confirmed preconditions, ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set when issued: the date the rule was resolved on, its version and snapshot.
    record_date: Mapped[dt.date | None] = mapped_column(Date)
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rules_version: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default="recorded")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))

    person: Mapped[Person | None] = relationship(**same_force("PowerRecord.person_id", "Person"))
    case: Mapped[Case | None] = relationship(**same_force("PowerRecord.case_id", "Case"))
    location: Mapped[Location | None] = relationship(
        **same_force("PowerRecord.location_id", "Location")
    )
    parent: Mapped[PowerRecord | None] = relationship(
        primaryjoin=lambda: and_(
            remote(PowerRecord.id) == foreign(PowerRecord.parent_id),
            remote(PowerRecord.force_code) == PowerRecord.force_code,
        )
    )
    events: Mapped[list[PowerEvent]] = relationship(
        back_populates="record",
        order_by="PowerEvent.id",
        **same_force("PowerEvent.record_id", "PowerRecord"),
    )
    deadlines: Mapped[list[PowerDeadline]] = relationship(
        back_populates="record",
        order_by="PowerDeadline.due_at",
        **same_force("PowerDeadline.record_id", "PowerRecord"),
    )
    letters: Mapped[list[PowerLetter]] = relationship(
        back_populates="record",
        order_by="PowerLetter.id",
        **same_force("PowerLetter.record_id", "PowerRecord"),
    )


class PowerEvent(ForceKeyed, Base):
    """One step of a record's life: who, when, why, from and to which state, with the rule
    version the step was checked against."""

    __tablename__ = "power_events"
    __table_args__ = (Index("ix_power_events_record", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(ForeignKey("power_records.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[PowerState | None] = mapped_column(enum_column(PowerState, "power_state"))
    to_state: Mapped[PowerState] = mapped_column(enum_column(PowerState, "power_state"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    record: Mapped[PowerRecord] = relationship(
        back_populates="events", **same_force("PowerEvent.record_id", "PowerRecord")
    )


class PowerDeadline(ForceKeyed, Base):
    """A time limit of a record on the legal calendar. ``action`` deadlines are work for the
    owner (a hearing to get, a judge to bring an arrested person before) and go on the overdue
    list; the others are windows (an appeal may be made until)."""

    __tablename__ = "power_deadlines"
    __table_args__ = (
        Index("ix_power_deadlines_open", "force_code", "done_at", "due_at"),
        Index("ix_power_deadlines_record", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(ForeignKey("power_records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    section: Mapped[str] = mapped_column(String(200))
    action: Mapped[bool] = mapped_column(Boolean, default=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    record: Mapped[PowerRecord] = relationship(
        back_populates="deadlines", **same_force("PowerDeadline.record_id", "PowerRecord")
    )


class PowerReminder(ForceKeyed, Base):
    """A reminder the scheduled job gave an owner: one per deadline and kind."""

    __tablename__ = "power_reminders"
    __table_args__ = (
        UniqueConstraint("deadline_id", "kind"),
        Index("ix_power_reminders_owner", "owner_user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    deadline_id: Mapped[int] = mapped_column(ForeignKey("power_deadlines.id", ondelete="CASCADE"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    deadline: Mapped[PowerDeadline] = relationship(
        **same_force("PowerReminder.deadline_id", "PowerDeadline")
    )


class PowerLetter(ForceKeyed, Base):
    """A letter as issued (HTML and PDF), kept with its record."""

    __tablename__ = "power_letters"
    __table_args__ = (Index("ix_power_letters_record", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(ForeignKey("power_records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(120))

    record: Mapped[PowerRecord] = relationship(
        back_populates="letters", **same_force("PowerLetter.record_id", "PowerRecord")
    )


class PowerRuleSetting(Base):
    """An administrator's setting over the rules file: a 2026 change commenced on a date
    (``change:<id>``) or a config value from a date (``config:<key>``). Never updated: the
    latest row of a key wins, and the id of the latest row is part of the rules version."""

    __tablename__ = "power_rule_settings"
    __table_args__ = (Index("ix_power_rule_settings_force_key", "force_code", "key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(String(80))
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime)
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_by_name: Mapped[str] = mapped_column(String(120))

"""Restorative justice and Community Remedy tables: the referral and its two parties."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.restorative.lifecycle import Status
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class Kind(enum.StrEnum):
    RESTORATIVE_JUSTICE = "restorative_justice"
    COMMUNITY_REMEDY = "community_remedy"  # out of court, from the PFCC's menu (s.102)


class Method(enum.StrEnum):
    FACE_TO_FACE = "face_to_face"
    LETTER = "letter"
    VIDEO = "video"
    SHUTTLE = "shuttle"  # the facilitator carries messages between the parties


class Outcome(enum.StrEnum):
    AGREEMENT_KEPT = "agreement_kept"
    AGREEMENT_BROKEN = "agreement_broken"
    NO_AGREEMENT = "no_agreement"


class Party(enum.StrEnum):
    HARMED = "harmed"
    RESPONSIBLE = "responsible"


class RestorativeReferral(ForceKeyed, Base):
    __tablename__ = "restorative_referrals"
    __table_args__ = (
        UniqueConstraint("force_code", "reference"),
        Index("ix_restorative_referrals_force_referred", "force_code", "referred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40))
    local_authority_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "restorative_kind"))
    status: Mapped[Status] = mapped_column(enum_column(Status, "restorative_status"))
    referred_on: Mapped[dt.date] = mapped_column(Date)
    referred_by: Mapped[str] = mapped_column(String(120))
    referring_agency: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    casework_case_id: Mapped[int | None] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    facilitator: Mapped[str | None] = mapped_column(String(120))
    method: Mapped[Method | None] = mapped_column(enum_column(Method, "restorative_method"))
    menu_version: Mapped[str] = mapped_column(String(80))
    action_code: Mapped[str | None] = mapped_column(String(60))
    # s.102: the victim's view of which action, and why another was used if it was not theirs.
    victim_view: Mapped[str | None] = mapped_column(Text)
    victim_choice_used: Mapped[bool | None] = mapped_column(Boolean)
    not_used_reason: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, "restorative_outcome"))
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    participants: Mapped[list[RestorativeParticipant]] = relationship(
        back_populates="referral",
        order_by="RestorativeParticipant.id",
        **same_force("RestorativeParticipant.referral_id", "RestorativeReferral"),
    )


class RestorativeParticipant(ForceKeyed, Base):
    """One party: their consent (when, and who recorded it), any withdrawal, and whether they
    were satisfied."""

    __tablename__ = "restorative_participants"
    __table_args__ = (UniqueConstraint("referral_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("restorative_referrals.id", ondelete="CASCADE"), index=True
    )
    party: Mapped[Party] = mapped_column(enum_column(Party, "restorative_party"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_recorded_by: Mapped[str | None] = mapped_column(String(120))
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    feedback: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[RestorativeReferral] = relationship(
        back_populates="participants",
        **same_force("RestorativeParticipant.referral_id", "RestorativeReferral"),
    )

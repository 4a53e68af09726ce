"""Agencies and information sharing agreements (issue 18, domain guide 6.3 and 6.4).

An agency is the force, a council, a housing provider, the fire service, a health body or a
youth offending service; its areas are the local authority areas whose records it sees. An
agreement names its parties, the classes of data they may share, the purpose and lawful basis,
and the dates it runs between and is reviewed on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
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

from asbhub.permissions import AgencyKind
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class AgencyRow(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("force_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind, "agency_kind"))
    # Whom to ask: a team's name and a (fictitious in tests) mailbox or number.
    contact: Mapped[str | None] = mapped_column(String(200))
    # True for the force itself: its staff see the whole force area.
    whole_force: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the row came from: a reference data file's version, "generate" or an account.
    source: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    areas: Mapped[list[AgencyArea]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="AgencyArea.id"
    )


class AgencyArea(Base):
    __tablename__ = "agency_areas"
    __table_args__ = (UniqueConstraint("agency_id", "local_authority_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    local_authority_code: Mapped[str] = mapped_column(String(12))

    agency: Mapped[AgencyRow] = relationship(back_populates="areas")


class SharingAgreement(ForceKeyed, Base):
    __tablename__ = "sharing_agreements"
    __table_args__ = (UniqueConstraint("force_code", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str] = mapped_column(String(60))
    # permissions.DataClass values.
    data_classes: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement",
        **same_force("AgreementParty.agreement_id", "SharingAgreement"),
        cascade="all, delete-orphan",
        order_by="AgreementParty.id",
    )


class AgreementParty(ForceKeyed, Base):
    __tablename__ = "sharing_agreement_parties"
    __table_args__ = (
        UniqueConstraint("agreement_id", "agency_id"),
        Index("ix_sharing_agreement_parties_agency", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_agreements.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))

    agreement: Mapped[SharingAgreement] = relationship(
        back_populates="parties", **same_force("AgreementParty.agreement_id", "SharingAgreement")
    )
    agency: Mapped[AgencyRow] = relationship()

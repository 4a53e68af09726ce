"""Ingest tables: data.police.uk street-level records, force-months loaded, quarantined rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.store.base import Base, ForceKeyed


class SourceLoad(ForceKeyed, Base):
    """One force-month of a data.police.uk file that has been stored; makes ingest idempotent."""

    __tablename__ = "source_loads"
    __table_args__ = (UniqueConstraint("force_code", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[dt.date] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class PublicRecord(ForceKeyed, Base):
    """A data.police.uk street-level row, any crime type (ASB rows carry no Crime ID)."""

    __tablename__ = "public_records"
    __table_args__ = (
        # Serves both readers: a force's months, and a force's rows of one crime type.
        Index("ix_public_records_force_month_type", "force_code", "month", "crime_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[dt.date] = mapped_column(Date, doc="first day of the record's month")
    crime_id: Mapped[str | None] = mapped_column(String(64))
    reported_by: Mapped[str] = mapped_column(String(120))
    falls_within: Mapped[str] = mapped_column(String(120))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    x_bng: Mapped[float | None] = mapped_column(Float, doc="British National Grid easting (m)")
    y_bng: Mapped[float | None] = mapped_column(Float, doc="British National Grid northing (m)")
    mapped: Mapped[bool] = mapped_column(Boolean, doc="false where the row has no coordinates")
    location: Mapped[str] = mapped_column(String(200))
    lsoa_code: Mapped[str | None] = mapped_column(String(12))
    lsoa_name: Mapped[str | None] = mapped_column(String(120))
    crime_type: Mapped[str] = mapped_column(String(80))
    last_outcome: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[str | None] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(80))
    local_authority_code: Mapped[str | None] = mapped_column(String(12))
    source_file: Mapped[str] = mapped_column(Text)
    source_line: Mapped[int] = mapped_column(Integer)


class QuarantinedRow(Base):
    """An input row that could not be stored, kept with the reason so nothing is silently lost."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    raw_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

"""Reference geography: force, local policing areas, districts, local authorities, LSOAs.

With their populations. Every table carries ``force_code`` (a data.police.uk force slug such
as ``essex``). Times are naive UTC.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.store.base import Base
from asbhub.store.columns import enum_column


class AreaLevel(enum.StrEnum):
    FORCE = "force"
    LPA = "local_policing_area"
    DISTRICT = "policing_district"
    LOCAL_AUTHORITY = "local_authority"
    LSOA = "lsoa"


class Area(Base):
    """A reference area: force, local policing area, policing district, local authority, LSOA."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("force_code", "level", "code", "vintage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[AreaLevel] = mapped_column(enum_column(AreaLevel, "area_level"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # LSOA boundary vintage (2011 or 2021); 0 for areas that have one definition.
    vintage: Mapped[int] = mapped_column(Integer, default=0)
    geometry: Mapped[str | None] = mapped_column(Text, doc="GeoJSON geometry in WGS84")

    parent: Mapped[Area | None] = relationship(remote_side="Area.id")


class AreaPopulation(Base):
    __tablename__ = "area_populations"
    __table_args__ = (UniqueConstraint("area_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)

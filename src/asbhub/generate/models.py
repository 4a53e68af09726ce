"""The generator's own table: the truth behind a misrecorded generated incident.

Only tests and the evaluation read it (:mod:`asbhub.generate.truth`); the recording audit is
forbidden to, and ``tests/unit/recording/test_truth_unreachable.py`` proves it never does. It
exists for generated data only: a force's real incidents have no truth but the audit's.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.incidents.models import Qualifier
from asbhub.store.base import Base, ForceKeyed
from asbhub.store.columns import enum_column


class GeneratedTruth(ForceKeyed, Base):
    __tablename__ = "generated_truth"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    force_code: Mapped[str] = mapped_column(String(40))
    qualifier: Mapped[Qualifier] = mapped_column(enum_column(Qualifier, "qualifier"))
    hate_motivated: Mapped[bool] = mapped_column(Boolean)
    # "" when recorded right; else how it was misrecorded (asbhub.generate.misrecord)
    misrecord: Mapped[str] = mapped_column(String(40))
    misrecord_rate: Mapped[float] = mapped_column(Float)

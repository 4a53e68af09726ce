"""Column helpers shared by every capability's tables."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """A column type for a ``StrEnum``, stored by value.

    Stored as plain strings (not a native PostgreSQL enum) so new codes need no DDL.
    """
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )

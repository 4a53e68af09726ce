"""An enum whose members carry a description: the shape of asbhub's catalogues (the
permission actions, the audit events), so each member says what it means where it is declared.
"""

from __future__ import annotations

import enum
from typing import Self


class DescribedEnum(enum.StrEnum):
    """Members are declared as ``NAME = ("value", "description")``."""

    description: str

    def __new__(cls, value: str, description: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

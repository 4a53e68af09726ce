"""The one rule of a declared lifecycle: a status changes only by an event its table lists."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

from asbhub.errors import Conflict

S = TypeVar("S", bound=enum.StrEnum)
E = TypeVar("E", bound=enum.StrEnum)


def words(value: enum.StrEnum) -> str:
    return value.value.replace("_", " ")


def advance(transitions: Mapping[tuple[S, E], S], status: S, event: E, what: str) -> S:
    """The status ``event`` moves ``status`` to, or :class:`Conflict` naming what can happen
    instead (``what`` names the record: "a case review")."""
    try:
        return transitions[(status, event)]
    except KeyError:
        allowed = sorted(e.value for (s, e) in transitions if s is status)
        raise Conflict(
            f"{what} that is {words(status)} cannot {words(event)}"
            + (f" (it can: {', '.join(allowed)})" if allowed else " (nothing more can happen)")
        ) from None


def events_from(transitions: Mapping[tuple[S, E], S], status: S) -> list[str]:
    """The events a record in ``status`` may take, for screens to offer."""
    return sorted(e.value for (s, e) in transitions if s is status)

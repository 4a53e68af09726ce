"""The one rule of a declared lifecycle: a status changes only by an event its table lists.

Every lifecycle of asbhub (an incident's status, a SARA case's stage, a statutory power's
state, an ASB case review's and a restorative referral's status) is a table
``{(status, event): next status}`` in its own ``lifecycle.py``; the questions asked of a table
(where does this event lead, what may happen now, what can ever be reached) are answered here,
once, the same way for all of them.
"""

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


def allowed(transitions: Mapping[tuple[S, E], S], status: S) -> list[E]:
    """The events listed for ``status``, in the table's order."""
    return [e for (s, e) in transitions if s is status]


def reachable(transitions: Mapping[tuple[S, E], S], start: S) -> set[S]:
    """Every status some sequence of events leads to from ``start`` (``start`` included)."""
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for (frm, _), to in transitions.items():
            if frm is s and to not in seen:
                seen.add(to)
                todo.append(to)
    return seen

"""Every figure a report states, with where it is stated and where it came from.

A report states a quantity (incidents in the 12 months to 31 March 2016, say) in a table, in
a sentence and in a chart; the ledger keeps each statement and refuses a report in which two
statements of one quantity differ, naming both places. That is the mistake the 2021 deep dive
made twice (52,750 and 52,837 for March 2016; 41,256 and 41,365 for March 2020).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asbhub.errors import Conflict


@dataclass(frozen=True)
class Provenance:
    """Where a figure came from: enough for a reader to recompute it."""

    source: str
    period: str
    filters: str = ""
    query: str = ""


@dataclass(frozen=True)
class Statement:
    key: str
    label: str
    value: float
    place: str
    provenance: Provenance


class Inconsistent(Conflict):
    """Two places of one report state different values for the same quantity."""

    def __init__(self, clashes: list[tuple[Statement, Statement]]) -> None:
        lines = [
            f"{a.label}: {_show(a.value)} in {a.place}, but {_show(b.value)} in {b.place}"
            for a, b in clashes
        ]
        super().__init__("the report would contradict itself: " + "; ".join(lines))
        self.clashes = clashes


def _show(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,}"


@dataclass
class Ledger:
    statements: list[Statement] = field(default_factory=list)
    _first: dict[str, Statement] = field(default_factory=dict)
    _clashes: list[tuple[Statement, Statement]] = field(default_factory=list)

    def state(
        self, key: str, value: float, *, place: str, label: str, provenance: Provenance
    ) -> float:
        """Record that ``place`` states ``value`` for quantity ``key``; returns the value."""
        s = Statement(key, label, float(value), place, provenance)
        first = self._first.setdefault(key, s)
        if first is not s and abs(first.value - s.value) > 1e-9:
            self._clashes.append((first, s))
        self.statements.append(s)
        return value

    def check(self) -> None:
        """Raise :class:`Inconsistent` naming every pair of places that disagree."""
        if self._clashes:
            raise Inconsistent(self._clashes)

    def label(self, key: str) -> str:
        """The label of the first statement of ``key``, or the key itself."""
        first = self._first.get(key)
        return first.label if first else key

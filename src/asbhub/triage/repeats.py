"""Repeat victim, repeat location and repeat offender flags from the incidents found.

The queries that find the earlier incidents live in :mod:`asbhub.triage.queries`; this module
counts them against the windows of the rule set, so the counting is testable without a store.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from asbhub.triage.dates import add_months
from asbhub.triage.rules import RepeatRule, RepeatRules


class RepeatKind(enum.StrEnum):
    VICTIM = "victim"
    LOCATION = "location"
    OFFENDER = "offender"


@dataclass(frozen=True)
class Earlier:
    """An earlier incident that matched the call, and how it matched."""

    incident_id: int
    reference: str
    received_at: dt.datetime
    matched_by: str  # "person", "name", "address", "radius"
    covid_breach: bool = False
    hate_motivated: bool = False
    occurred_at: dt.datetime | None = None
    reporter_id: int | None = None
    type: str | None = None


@dataclass(frozen=True)
class RepeatResult:
    kind: RepeatKind
    repeat: bool
    count_in_window: int
    threshold: int
    window_months: int
    shown: list[Earlier]  # every match within the history window, newest first

    @property
    def rule_text(self) -> str:
        return f"{self.threshold} or more in {self.window_months} months"


def _rule(rules: RepeatRules, kind: RepeatKind) -> RepeatRule:
    return {
        RepeatKind.VICTIM: rules.victim,
        RepeatKind.LOCATION: rules.location,
        RepeatKind.OFFENDER: rules.offender,
    }[kind]


def evaluate(
    rules: RepeatRules, kind: RepeatKind, earlier: Iterable[Earlier], *, now: dt.datetime
) -> RepeatResult:
    """Count the earlier incidents in the rule's window (and the call itself, where the rule
    set says so) against the threshold. The same incident matched twice counts once (NSIR:
    one incident)."""
    rule = _rule(rules, kind)
    history_from = add_months(now, -rules.history_months)
    window_from = add_months(now, -rule.months)
    seen: dict[int, Earlier] = {}
    for e in earlier:
        if e.received_at > now or e.received_at < history_from:
            continue
        if rules.exclude_covid_breaches and e.covid_breach:
            continue
        seen.setdefault(e.incident_id, e)
    shown = sorted(seen.values(), key=lambda e: (e.received_at, e.incident_id), reverse=True)
    count = sum(1 for e in shown if e.received_at >= window_from)
    total = count + (1 if rules.count_includes_current else 0)
    return RepeatResult(
        kind=kind,
        repeat=total >= rule.count,
        count_in_window=count,
        threshold=rule.count,
        window_months=rule.months,
        shown=shown,
    )


def count_since(earlier: Iterable[Earlier], since: dt.datetime, until: dt.datetime) -> int:
    return len({e.incident_id for e in earlier if since <= e.received_at <= until})

"""Whether the ASB Case Review threshold is met at the call (2014 Act s.104; domain guide 3.2).

A report qualifies when it was made within ``report_within_months`` of the behaviour (s.104(11))
and falls within the last ``months`` months. The policy of the incident's local authority adds
the local rules: a single hate-motivated report (every Essex area), or several people reporting
one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from asbhub.triage.dates import add_months
from asbhub.triage.rules import CaseReviewPolicy


@dataclass(frozen=True)
class Report:
    """One report of the behaviour: an incident the victim (or, for the location rule, anyone)
    reported."""

    reference: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    hate_motivated: bool = False
    reporter_id: int | None = None


@dataclass(frozen=True)
class CaseReviewResult:
    version: str
    area: str | None
    eligible: bool
    qualifying: list[str]
    reasons: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # reports made more than the allowed time late


def qualifies(policy: CaseReviewPolicy, r: Report, now: dt.datetime) -> bool:
    in_window = add_months(now, -policy.months) <= r.reported_at <= now
    prompt = r.reported_at <= add_months(r.occurred_at, policy.report_within_months)
    return in_window and prompt


def _distinct(reports: Iterable[Report]) -> dict[str, Report]:
    # The same incident reported to several agencies counts once.
    out: dict[str, Report] = {}
    for r in reports:
        out.setdefault(r.reference, r)
    return out


def check(
    policy: CaseReviewPolicy,
    *,
    version: str,
    area: str | None,
    victim_reports: Iterable[Report],
    location_reports: Iterable[Report] = (),
    now: dt.datetime,
) -> CaseReviewResult:
    """Apply the area's policy to the victim's reports (the call included) and, where the
    area has the location rule, to everyone's reports about the place."""
    mine = _distinct(victim_reports)
    ok = sorted(
        (r for r in mine.values() if qualifies(policy, r, now)), key=lambda r: r.reported_at
    )
    late = sorted(
        ref
        for ref, r in mine.items()
        if add_months(now, -policy.months) <= r.reported_at <= now and not qualifies(policy, r, now)
    )
    reasons: list[str] = []
    if len(ok) >= policy.reports:
        reasons.append(
            f"{len(ok)} reports in {policy.months} months, each within "
            f"{policy.report_within_months} month(s) of the behaviour (threshold {policy.reports})"
        )
    if policy.hate_single and any(r.hate_motivated for r in ok):
        reasons.append("a hate-motivated report: one is enough in this area")
    if policy.location is not None:
        place = [r for r in _distinct(location_reports).values() if qualifies(policy, r, now)]
        people = {r.reporter_id for r in place if r.reporter_id is not None}
        if len(place) >= policy.location.reports and len(people) >= policy.location.reporters:
            reasons.append(
                f"{len(place)} reports about this place by {len(people)} people "
                f"in {policy.months} months"
            )
    return CaseReviewResult(
        version=version,
        area=area,
        eligible=bool(reasons),
        qualifying=[r.reference for r in ok],
        reasons=reasons,
        late=late,
    )

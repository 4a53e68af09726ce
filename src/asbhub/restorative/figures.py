"""Restorative justice figures from frames, with no store inside: satisfaction of those who
took part, and re-offending in the 12 months before and after.

Definitions (as the board report prints them):

- **Satisfied**: of the parties asked after the work ended (completed or withdrawn, ended in
  the period), the share who said they were satisfied.
- **Re-offending**: for each completed referral whose person responsible is a known person and
  whose 12 months after the end had passed by the report's date, the incidents naming them as
  suspect in the 12 months before the referral and in the 12 months after the end. The change
  is (after - before) / before. A referral still inside its 12 months is counted as in
  follow-up, never as a success.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from asbhub.restorative.schemas import ReoffendingOut, SatisfactionOut
from asbhub.triage.dates import add_months

DEFINITIONS = {
    "rj_satisfied_pct": "Parties asked after the work ended who said they were satisfied",
    "rj_reoffending_change_pct": (
        "Change in incidents naming those responsible as suspect, 12 months after the end "
        "against 12 months before the referral (completed referrals with 12 months' follow-up)"
    ),
}


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def satisfaction(parties: pd.DataFrame) -> SatisfactionOut:
    """``parties``: one row per party asked, column ``satisfied`` (bool)."""
    asked = parties["satisfied"].dropna() if len(parties) else pd.Series([], dtype=bool)
    yes = int(asked.astype(bool).sum())
    return SatisfactionOut(responses=len(asked), satisfied=yes, satisfied_pct=_pct(yes, len(asked)))


def reoffending(referrals: pd.DataFrame, incidents: pd.DataFrame, as_of: dt.date) -> ReoffendingOut:
    """``referrals``: completed ones, columns ``person_id``, ``referred_on``, ``ended_on``
    (dates); ``incidents``: ``person_id``, ``received_at`` (naive UTC datetimes) of incidents
    naming them as suspect."""
    before = after = reoffended = counted = waiting = 0
    people: set[int] = set()
    by_person: dict[int, list[dt.datetime]] = {}
    for rec in incidents.to_dict("records"):
        by_person.setdefault(int(rec["person_id"]), []).append(rec["received_at"])
    for ref in referrals.to_dict("records"):
        end = dt.datetime.combine(ref["ended_on"], dt.time())
        follow_up_end = add_months(end, 12)
        if follow_up_end.date() > as_of:
            waiting += 1
            continue
        start = dt.datetime.combine(ref["referred_on"], dt.time())
        times = by_person.get(int(ref["person_id"]), [])
        b = sum(add_months(start, -12) <= t < start for t in times)
        # The day after the end to the same day 12 months on, both included.
        a = sum(
            end + dt.timedelta(days=1) <= t < follow_up_end + dt.timedelta(days=1) for t in times
        )
        before, after, counted = before + b, after + a, counted + 1
        reoffended += a > 0
        people.add(int(ref["person_id"]))
    return ReoffendingOut(
        as_of=as_of,
        referrals=counted,
        people=len(people),
        incidents_before=before,
        incidents_after=after,
        change_pct=_pct(after - before, before),
        reoffended=reoffended,
        in_follow_up=waiting,
    )

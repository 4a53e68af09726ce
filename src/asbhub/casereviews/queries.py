"""The yearly table each area publishes (2014 Act s.104(10); domain guide 3.2).

Each figure counts the step that happened in the period: applications by the day received,
"threshold not met" by the day decided, reviews by the day the panel met, and of those the
reviews that made at least one recommendation. A step counts in the period it happened in, so
an application received in March and decided in April counts once in each year, as the
published returns count them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from asbhub.casereviews.models import AsbCaseReview, CaseReviewRecommendation, ThresholdBasis
from asbhub.casereviews.schemas import AreaCounts, Totals, YearTable
from asbhub.errors import InvalidInput
from asbhub.permissions import Action, Actor, require, restrict, scoped_local_authorities
from asbhub.triage.rules import CaseReviewRules

FIGURES = ("applications", "threshold_not_met", "reviews_held", "with_recommendations")


def _count_by_area(session: Session, actor: Actor, *where: object) -> dict[str, int]:
    stmt = select(AsbCaseReview.local_authority_code, func.count()).where(*where)  # type: ignore[arg-type]
    stmt = restrict(actor, stmt, AsbCaseReview).group_by(AsbCaseReview.local_authority_code)
    return {la: n for la, n in session.execute(stmt)}


def year_table(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date, rules: CaseReviewRules
) -> YearTable:
    """The four figures per local authority of the force (every area of its procedures, with
    zeros where none happened) for ``start``..``end`` inclusive, and their totals. Counts
    only: no personal data, so nothing to audit."""
    require(actor, Action.CASE_REVIEW_TABLE)
    if end < start:
        raise InvalidInput(
            "the period ends before it starts",
            {"--to": f"{end.isoformat()} is before --from {start.isoformat()}"},
        )
    c = AsbCaseReview
    recommended = exists().where(
        CaseReviewRecommendation.force_code == c.force_code,
        CaseReviewRecommendation.case_review_id == c.id,
    )
    counts = {
        "applications": _count_by_area(session, actor, c.received_on.between(start, end)),
        "threshold_not_met": _count_by_area(
            session,
            actor,
            c.threshold_decided_on.between(start, end),
            c.threshold_basis == ThresholdBasis.NOT_MET,
        ),
        "reviews_held": _count_by_area(session, actor, c.held_on.between(start, end)),
        "with_recommendations": _count_by_area(
            session, actor, c.held_on.between(start, end), recommended
        ),
    }
    scope = scoped_local_authorities(actor)
    areas = [code for code in rules.areas if scope is None or code in scope]
    rows = [
        AreaCounts(
            local_authority=rules.areas[code].name,
            **{f: counts[f].get(code, 0) for f in FIGURES},
        )
        for code in sorted(areas, key=lambda code: rules.areas[code].name)
    ]
    total = Totals(**{f: sum(getattr(r, f) for r in rows) for f in FIGURES})
    return YearTable(local_authorities=rows, total=total)

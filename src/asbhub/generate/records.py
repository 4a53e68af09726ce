"""``--replace`` for the generated case reviews and restorative referrals: their rows of the
period, with what hangs off them, go before the incidents and people they name."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from asbhub.casereviews.models import AsbCaseReview
from asbhub.generate.case_reviews import REFERENCE as CASE_REVIEW_REFERENCE
from asbhub.generate.casework import delete_generated_casework
from asbhub.generate.restorative import REFERENCE as REFERRAL_REFERENCE
from asbhub.generate.schemas import Generated
from asbhub.restorative.models import RestorativeReferral

# (table, its day column, the generated reference prefix, its children)
KINDS = (
    (AsbCaseReview, "received_on", CASE_REVIEW_REFERENCE, ("recommendations", "handling_reviews")),
    (RestorativeReferral, "referred_on", REFERRAL_REFERENCE, ("participants",)),
)


def delete_generated_records(conn: Connection, g: Generated) -> int:
    """Delete the period's generated case reviews, referrals and SARA cases; returns how
    many."""
    n = delete_generated_casework(conn, g)
    with Session(bind=conn) as session:
        for model, day, prefix, children in KINDS:
            column = getattr(model, day)
            rows = session.execute(
                select(model).where(
                    model.force_code == g.force_code,
                    model.reference.like(f"{prefix}%"),
                    column >= g.first,
                    column < g.last,
                )
            ).scalars()
            for row in rows:
                for name in children:
                    for child in getattr(row, name):
                        session.delete(child)
                session.delete(row)
                n += 1
        session.flush()
    return n

"""Score the recording audit's flags against the generator's truth.

Only tests, the evaluation script and the CLI's report read ``generated_truth``; the audit
itself (``asbhub.recording``) cannot: it imports nothing of this package, and a test runs it
with every statement watched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.generate.models import GeneratedTruth
from asbhub.incidents.models import Incident

QUALIFIERS = ("environmental", "nuisance", "personal")


def truth_frame(
    session: Session, *, force_code: str, start: dt.date, end: dt.date, exclude_covid: bool
) -> pd.DataFrame:
    """The truth of the period's generated incidents, beside what was recorded."""
    lo = dt.datetime.combine(start, dt.time())
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    stmt = (
        select(
            GeneratedTruth.incident_id,
            GeneratedTruth.qualifier,
            GeneratedTruth.hate_motivated,
            GeneratedTruth.misrecord,
        )
        .join(
            Incident,
            (Incident.id == GeneratedTruth.incident_id)
            & (Incident.force_code == GeneratedTruth.force_code),
        )
        .where(
            GeneratedTruth.force_code == force_code,
            Incident.received_at >= lo,
            Incident.received_at < hi,
        )
    )
    if exclude_covid:
        stmt = stmt.where(Incident.covid_breach.is_(False))
    df = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["incident_id", "true_qualifier", "true_hate", "misrecord"],
    )
    df["true_qualifier"] = [str(getattr(v, "value", v)) for v in df["true_qualifier"]]
    return df


def score(truth: pd.DataFrame, flagged: pd.DataFrame) -> dict[str, Any] | None:
    """Precision, recall and the true mix, or ``None`` where there is no truth.

    A flag is right when its incident was misrecorded (qualifier or hate flag); its
    suggestion is right when it names the true qualifier and hate flag.
    """
    if truth.empty:
        return None
    t = truth.set_index("incident_id")
    wrong = t["misrecord"] != ""
    f = flagged[flagged["incident_id"].isin(t.index)]
    hit = wrong.reindex(f["incident_id"]).to_numpy(bool)
    tp = int(hit.sum())
    n_wrong = int(wrong.sum())
    tf = t.loc[f["incident_id"][hit]]
    right_suggestion = (
        f["suggested_qualifier"].to_numpy(object)[hit] == tf["true_qualifier"].to_numpy(object)
    ) & (f["suggested_hate"].to_numpy(bool)[hit] == tf["true_hate"].to_numpy(bool))
    kinds = {
        k: round(
            float(f["incident_id"].isin(t.index[t["misrecord"] == k]).sum())
            / int((t["misrecord"] == k).sum()),
            4,
        )
        for k in sorted(set(t["misrecord"]) - {""})
    }
    n = len(t)
    return {
        "incidents": n,
        "misrecorded": n_wrong,
        "flags": len(f),
        "precision": round(tp / len(f), 4) if len(f) else None,
        "recall": round(tp / n_wrong, 4) if n_wrong else None,
        "suggestion_right": round(float(np.mean(right_suggestion)), 4) if tp else None,
        "recall_by_kind": kinds,
        "true_mix": {q: round(float((t["true_qualifier"] == q).sum()) / n, 4) for q in QUALIFIERS},
    }


def evaluate(
    session: Session,
    *,
    force_code: str,
    start: dt.date,
    end: dt.date,
    flagged: pd.DataFrame,
    estimated_mix: dict[str, dict[str, float]],
    exclude_covid: bool,
) -> dict[str, Any] | None:
    """:func:`score`, plus how far the audit's estimated mix is from the truth (points)."""
    out = score(
        truth_frame(
            session, force_code=force_code, start=start, end=end, exclude_covid=exclude_covid
        ),
        flagged,
    )
    if out is None:
        return None
    out["mix_error_points"] = {
        q: round(100 * abs(estimated_mix[q]["share"] - out["true_mix"][q]), 2) for q in QUALIFIERS
    }
    return out

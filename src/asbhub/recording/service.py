"""The recording audit's services: run it, work its flags, correct the record, report it.

Keyword-only ``fn(session, *, actor, ...)``: each checks the policy, narrows what it reads to
the actor's scope, changes incidents only through :func:`asbhub.incidents.lifecycle.reclassify`
and records who did what in the audit trail. The rule set (and, for an evaluation, a model
trained elsewhere) is passed in, so a test, the CLI and the web app run the same code.

The audit reads incidents and their people only; it never reads the generator's truth
(``tests/unit/recording/test_truth_unreachable.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.errors import Conflict, InvalidInput, NotFound
from asbhub.incidents import lifecycle
from asbhub.incidents.models import Incident, IncidentPerson, Qualifier
from asbhub.permissions import Action, Actor, require, restrict, scoped_local_authorities
from asbhub.recording import classifier, flags, queries
from asbhub.recording.classifier import CLASSES, Model, Progress
from asbhub.recording.models import RecordingFlag, RecordingRun
from asbhub.recording.rules import RuleSet
from asbhub.recording.schemas import FlagRow, TriageOffer, WorklistFilters
from asbhub.triage.models import TriageAssessment

OPEN, RECLASSIFIED, DISMISSED = "open", "reclassified", "dismissed"


def utcnow() -> dt.datetime:
    return lifecycle.utcnow()


def _decisions(session: Session, actor: Actor) -> dict[int, str]:
    """The qualifier the team settled on for every incident whose flag it decided."""
    stmt = restrict(
        actor,
        select(Incident.id, Incident.qualifier)
        .join(
            RecordingFlag,
            (RecordingFlag.incident_id == Incident.id)
            & (RecordingFlag.force_code == Incident.force_code),
        )
        .where(RecordingFlag.status != OPEN),
        Incident,
    )
    return {i: q.value for i, q in session.execute(stmt) if q is not None}


def data_period(session: Session, *, actor: Actor) -> tuple[dt.date, dt.date] | None:
    """The first and last day with an incident in the actor's scope."""
    require(actor, Action.RECORDING_AUDIT_RUN)
    lo, hi = session.execute(
        restrict(
            actor, select(func.min(Incident.received_at), func.max(Incident.received_at)), Incident
        )
    ).one()
    return (lo.date(), hi.date()) if lo and hi else None


def load(
    session: Session, actor: Actor, start: dt.date, end: dt.date, rules: RuleSet
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The period's incidents and their people, as the audit sees them."""
    incidents = queries.incidents(session, actor, start, end)
    people = queries.people(session, actor, start, end)
    if rules.exclude_covid_breaches:
        incidents = incidents[~incidents["covid_breach"]].reset_index(drop=True)
        people = people[people["incident_id"].isin(incidents["id"])]
    return incidents, people


def train(
    session: Session,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    rules: RuleSet,
    progress: Progress = classifier.no_progress,
) -> Model:
    """The learned check trained on the period's incidents (and the team's decisions), to
    score another period or store with :func:`run`."""
    require(actor, Action.RECORDING_AUDIT_RUN)
    incidents, people = load(session, actor, start, end, rules)
    if incidents.empty:
        raise InvalidInput(
            "no incidents with a qualifier in the period", {"period": f"{start} to {end}"}
        )
    return flags.find(
        rules, incidents, people, decisions=_decisions(session, actor), progress=progress
    ).model


def run(
    session: Session,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    rules: RuleSet,
    model: Model | None = None,
    progress: Progress = classifier.no_progress,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Audit the incidents received from ``start`` to ``end`` and store the run and its flags.

    Without ``model`` the learned check is trained on the period's own incidents (each scored
    out of fold). Returns the run's summary (see :func:`summary`).
    """
    require(actor, Action.RECORDING_AUDIT_RUN)
    if end < start:
        raise InvalidInput("the period ends before it starts", {"--to": "on or after --from"})
    now = now or utcnow()
    incidents, people = load(session, actor, start, end, rules)
    progress("read", 1)
    if incidents.empty:
        raise InvalidInput(
            "no incidents with a qualifier in the period", {"period": f"{start} to {end}"}
        )
    found = flags.find(
        rules,
        incidents,
        people,
        model=model,
        decisions=_decisions(session, actor),
        progress=progress,
    )
    summary = _summary(rules, found, start, end)
    row = RecordingRun(
        force_code=actor.force_code,
        created_at=now,
        actor_user_id=actor.user_id or None,
        actor_name=actor.display_name,
        period_from=start,
        period_to=end,
        rules_version=rules.version,
        model_version=found.model.version,
        threshold=rules.flag_threshold,
        incidents=len(incidents),
        flags=len(found.flags),
        summary=summary,
    )
    session.add(row)
    session.flush()
    _store_flags(session, actor, row.id, found.flags)
    progress("stored", 1)
    record(
        session,
        actor=actor,
        event="recording:audit:run",
        action=AuditAction.CREATE,
        object_type="recording_run",
        object_id=row.id,
        result_count=len(found.flags),
        fields={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "incidents": len(incidents),
            "flags": len(found.flags),
            "rules": rules.version,
            "model": found.model.version,
        },
    )
    return {"run": row.id, **summary}


def _store_flags(session: Session, actor: Actor, run_id: int, df: pd.DataFrame) -> None:
    rows = [
        {
            "force_code": actor.force_code,
            "run_id": run_id,
            "incident_id": int(r["incident_id"]),
            "district": r["district"],
            "month": r["month"],
            "recorded_qualifier": r["recorded_qualifier"],
            "suggested_qualifier": r["suggested_qualifier"],
            "recorded_hate": bool(r["recorded_hate"]),
            "suggested_hate": bool(r["suggested_hate"]),
            "confidence": float(r["confidence"]),
            "reasons": list(r["reasons"]),
            "drivers": list(r["drivers"]),
            "probabilities": dict(r["probabilities"]),
            "status": OPEN,
        }
        for r in df.to_dict(orient="records")
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(RecordingFlag), rows[start : start + 5_000])


def _summary(rules: RuleSet, found: flags.Found, start: dt.date, end: dt.date) -> dict[str, Any]:
    by_reason: dict[str, int] = {r.id: 0 for r in rules.rules}
    by_reason[flags.MODEL_REASON] = 0
    for reasons in found.flags["reasons"]:
        for r in reasons:
            by_reason[r] += 1
    by_change: dict[str, int] = {}
    for rec, sug, rh, sh in zip(
        found.flags["recorded_qualifier"],
        found.flags["suggested_qualifier"],
        found.flags["recorded_hate"],
        found.flags["suggested_hate"],
        strict=True,
    ):
        key = f"{rec} -> {sug}" if rec != sug else ("hate flag missing" if sh and not rh else rec)
        by_change[key] = by_change.get(key, 0) + 1
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rules_version": rules.version,
        "model_version": found.model.version,
        "threshold": rules.flag_threshold,
        "incidents": len(found.incidents),
        "flags": len(found.flags),
        "counts_by_reason": by_reason,
        "counts_by_change": dict(sorted(by_change.items())),
        "recorded_mix": flags.recorded_mix(found.incidents),
        "estimated_true_mix": flags.mix(found.probabilities),
        "cross_validation": found.model.cv or None,
        "cells": flags.cells(found),
    }


def _latest(session: Session, actor: Actor, run_id: int | None) -> RecordingRun:
    stmt = select(RecordingRun).where(RecordingRun.force_code == actor.force_code)
    stmt = stmt.where(RecordingRun.id == run_id) if run_id else stmt
    row = session.execute(stmt.order_by(RecordingRun.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound("no recording audit has been run" if not run_id else f"run {run_id}")
    return row


def latest_run(session: Session, *, actor: Actor) -> RecordingRun | None:
    """The force's latest run, or ``None`` before the first."""
    require(actor, Action.ANALYTICS_VIEW)
    try:
        return _latest(session, actor, None)
    except NotFound:
        return None


def summary(session: Session, *, actor: Actor, run_id: int | None = None) -> dict[str, Any]:
    """A run's summary without its per-cell sums: counts by reason and by change, the
    recorded and estimated true mix, the cross-validation and the team's decisions so far."""
    require(actor, Action.RECORDING_AUDIT_RUN)
    run_row = _latest(session, actor, run_id)
    out = {k: v for k, v in run_row.summary.items() if k != "cells"}
    decided = session.execute(
        select(RecordingFlag.status, func.count())
        .where(RecordingFlag.run_id == run_row.id)
        .group_by(RecordingFlag.status)
    ).all()
    out["decisions"] = {OPEN: 0, RECLASSIFIED: 0, DISMISSED: 0, **{s: n for s, n in decided}}
    return {"run": run_row.id, **out}


def flagged(session: Session, *, actor: Actor, run_id: int | None = None) -> pd.DataFrame:
    """A run's flags as a frame (incident id, suggested qualifier and hate flag, confidence):
    what an evaluation scores. Narrowed to the actor's scope."""
    require(actor, Action.RECORDING_AUDIT_RUN)
    run_row = _latest(session, actor, run_id)
    stmt = restrict(
        actor,
        select(
            RecordingFlag.incident_id,
            RecordingFlag.recorded_qualifier,
            RecordingFlag.suggested_qualifier,
            RecordingFlag.recorded_hate,
            RecordingFlag.suggested_hate,
            RecordingFlag.confidence,
            RecordingFlag.reasons,
        )
        .join(
            Incident,
            (Incident.id == RecordingFlag.incident_id)
            & (Incident.force_code == RecordingFlag.force_code),
        )
        .where(RecordingFlag.run_id == run_row.id),
        Incident,
    )
    df = pd.DataFrame(
        session.execute(stmt).all(),
        columns=[
            "incident_id",
            "recorded_qualifier",
            "suggested_qualifier",
            "recorded_hate",
            "suggested_hate",
            "confidence",
            "reasons",
        ],
    )
    for c in ("recorded_qualifier", "suggested_qualifier"):
        df[c] = [None if v is None else str(getattr(v, "value", v)) for v in df[c]]
    return df


# -- the worklist ----------------------------------------------------------------------------


def _flag_rows(actor: Actor) -> Select:
    return restrict(
        actor,
        select(RecordingFlag, Incident.reference, Incident.received_at, Incident.closing_code)
        .join(
            Incident,
            (Incident.id == RecordingFlag.incident_id)
            & (Incident.force_code == RecordingFlag.force_code),
        )
        .where(RecordingFlag.force_code == actor.force_code),
        Incident,
    )


def _row(f: RecordingFlag, reference: str, received: dt.datetime, closing: Any) -> FlagRow:
    return FlagRow(
        id=f.id,
        run_id=f.run_id,
        incident_id=f.incident_id,
        reference=reference,
        received_at=received,
        district=f.district,
        month=f.month,
        closing_code=getattr(closing, "value", closing),
        recorded_qualifier=getattr(f.recorded_qualifier, "value", None),
        suggested_qualifier=getattr(f.suggested_qualifier, "value", None),
        recorded_hate=f.recorded_hate,
        suggested_hate=f.suggested_hate,
        confidence=f.confidence,
        reasons=list(f.reasons or []),
        drivers=list(f.drivers or []),
        status=f.status,
        decided_by=f.decided_by,
        decision_reason=f.decision_reason,
        offered_to_triage_at=f.offered_to_triage_at,
    )


def worklist(
    session: Session,
    *,
    actor: Actor,
    filters: WorklistFilters,
    run_id: int | None = None,
    limit: int = 100,
) -> tuple[list[FlagRow], int]:
    """The latest run's flags matching ``filters``, most confident first, and how many match."""
    require(actor, Action.RECORDING_FLAG_LIST)
    run_row = _latest(session, actor, run_id)
    stmt = _flag_rows(actor).where(RecordingFlag.run_id == run_row.id)
    if filters.district:
        stmt = stmt.where(RecordingFlag.district == filters.district)
    if filters.month:
        stmt = stmt.where(RecordingFlag.month == filters.month)
    if filters.min_confidence:
        stmt = stmt.where(RecordingFlag.confidence >= filters.min_confidence)
    if filters.status != "all":
        stmt = stmt.where(RecordingFlag.status == filters.status)
    rows = [
        _row(f, ref, at, code)
        for f, ref, at, code in session.execute(
            stmt.order_by(RecordingFlag.confidence.desc(), RecordingFlag.id)
        )
    ]
    # Reasons are a JSON list: filtered here, on the (already narrowed) run's rows.
    if filters.reason:
        rows = [r for r in rows if filters.reason in r.reasons]
    record(
        session,
        actor=actor,
        event="recording:flag:list",
        action=AuditAction.SEARCH,
        object_type="recording_run",
        object_id=run_row.id,
        query=filters.model_dump_json(exclude_defaults=True),
        result_count=len(rows),
    )
    return rows[:limit], len(rows)


def worklist_choices(session: Session, *, actor: Actor) -> dict[str, list[str]]:
    """The districts, months and reasons the latest run's flags have, for the filters."""
    require(actor, Action.RECORDING_FLAG_LIST)
    try:
        run_row = _latest(session, actor, None)
    except NotFound:
        return {"districts": [], "months": [], "reasons": []}
    cells = run_row.summary.get("cells", [])
    return {
        "districts": sorted({c["district"] for c in cells}),
        "months": sorted({c["month"] for c in cells}),
        "reasons": [r for r, n in run_row.summary.get("counts_by_reason", {}).items() if n],
    }


def _load_flag(session: Session, actor: Actor, flag_id: int) -> tuple[RecordingFlag, Incident]:
    stmt = restrict(
        actor,
        select(RecordingFlag, Incident)
        .join(
            Incident,
            (Incident.id == RecordingFlag.incident_id)
            & (Incident.force_code == RecordingFlag.force_code),
        )
        .where(RecordingFlag.id == flag_id),
        Incident,
    )
    found = session.execute(stmt).first()
    if found is None:
        raise NotFound(f"flag {flag_id} not found")
    return found[0], found[1]


def get_flag(session: Session, *, actor: Actor, flag_id: int) -> FlagRow:
    require(actor, Action.RECORDING_FLAG_LIST)
    f, incident = _load_flag(session, actor, flag_id)
    return _row(f, incident.reference, incident.received_at, incident.closing_code)


def _subjects(session: Session, incident: Incident) -> list[int]:
    return list(
        session.execute(
            select(IncidentPerson.person_id).where(
                IncidentPerson.force_code == incident.force_code,
                IncidentPerson.incident_id == incident.id,
            )
        ).scalars()
    )


def reclassify(
    session: Session,
    *,
    actor: Actor,
    flag_id: int,
    qualifier: Qualifier,
    hate_motivated: bool,
    reason: str,
    now: dt.datetime | None = None,
) -> FlagRow:
    """Correct a flagged incident through its state machine and close the flag.

    The incident's history keeps the old and new values, who and why; a flag already decided
    is refused (:class:`Conflict`). An incident re-classified as personal is offered to triage
    for a risk assessment and a Case Review check.
    """
    require(actor, Action.RECORDING_RECLASSIFY)
    now = now or utcnow()
    f, incident = _load_flag(session, actor, flag_id)
    if f.status != OPEN:
        raise Conflict(f"flag {flag_id} was already {f.status} by {f.decided_by}")
    old = incident.qualifier
    lifecycle.reclassify(
        session,
        actor=actor,
        incident=incident,
        expected=(f.recorded_qualifier, f.recorded_hate),
        qualifier=qualifier,
        hate_motivated=hate_motivated,
        reason=reason,
        details={"recording_flag": f.id, "reasons": list(f.reasons or [])},
        at=now,
    )
    f.status, f.decided_at, f.decided_by, f.decision_reason = (
        RECLASSIFIED,
        now,
        actor.display_name,
        reason.strip(),
    )
    offered = qualifier is Qualifier.PERSONAL and old is not Qualifier.PERSONAL
    if offered:
        f.offered_to_triage_at = now
    session.flush()
    record(
        session,
        actor=actor,
        event="recording:incident:reclassify",
        action=AuditAction.UPDATE,
        object_type="incident",
        object_id=incident.id,
        data_subjects=_subjects(session, incident),
        fields={
            "flag": f.id,
            "qualifier_from": old.value if old else None,
            "qualifier_to": qualifier.value,
            "hate_motivated": hate_motivated,
            "offered_to_triage": offered,
        },
    )
    return _row(f, incident.reference, incident.received_at, incident.closing_code)


def dismiss(
    session: Session, *, actor: Actor, flag_id: int, reason: str, now: dt.datetime | None = None
) -> FlagRow:
    """Keep the record as it is and say why; the flag counts as right in the compliance."""
    require(actor, Action.RECORDING_RECLASSIFY)
    if not reason.strip():
        raise InvalidInput("say why the record is right", {"reason": "a reason is needed"})
    now = now or utcnow()
    f, incident = _load_flag(session, actor, flag_id)
    if f.status != OPEN:
        raise Conflict(f"flag {flag_id} was already {f.status} by {f.decided_by}")
    f.status, f.decided_at, f.decided_by, f.decision_reason = (
        DISMISSED,
        now,
        actor.display_name,
        reason.strip(),
    )
    session.flush()
    record(
        session,
        actor=actor,
        event="recording:flag:dismiss",
        action=AuditAction.UPDATE,
        object_type="incident",
        object_id=incident.id,
        fields={"flag": f.id},
    )
    return _row(f, incident.reference, incident.received_at, incident.closing_code)


def offers(session: Session, *, actor: Actor, incident_id: int | None = None) -> list[TriageOffer]:
    """Incidents re-classified as personal and offered to triage, with whether a risk
    assessment has been recorded since."""
    require(actor, Action.INCIDENT_VIEW)
    assessed = (
        select(func.count())
        .where(
            TriageAssessment.force_code == RecordingFlag.force_code,
            TriageAssessment.incident_id == RecordingFlag.incident_id,
            TriageAssessment.created_at >= RecordingFlag.offered_to_triage_at,
        )
        .correlate(RecordingFlag)
        .scalar_subquery()
    )
    stmt = restrict(
        actor,
        select(RecordingFlag, Incident.reference, Incident.status, assessed)
        .join(
            Incident,
            (Incident.id == RecordingFlag.incident_id)
            & (Incident.force_code == RecordingFlag.force_code),
        )
        .where(RecordingFlag.offered_to_triage_at.is_not(None)),
        Incident,
    )
    if incident_id is not None:
        stmt = stmt.where(RecordingFlag.incident_id == incident_id)
    return [
        TriageOffer(
            flag_id=f.id,
            incident_id=f.incident_id,
            reference=ref,
            offered_at=f.offered_to_triage_at,
            by=f.decided_by,
            status=status.value,
            assessed=bool(n),
        )
        for f, ref, status, n in session.execute(
            stmt.order_by(RecordingFlag.offered_to_triage_at.desc())
        )
    ]


# -- figures ---------------------------------------------------------------------------------


def figures(
    session: Session, *, actor: Actor, run_id: int | None = None, district: str | None = None
) -> dict[str, Any] | None:
    """Compliance per district and month and the estimated true mix, from the latest run.

    Compliance is the share of audited incidents whose recorded qualifier stands: those not
    flagged, and those flagged whose flag the ASB team dismissed. A flag still open counts as
    wrong (the run's confidence threshold decided it), a re-classified one as wrong.
    ``None`` before the first run, and for a partner: a run's cells are force-wide, and a
    partner's figures are narrowed to its area.
    """
    require(actor, Action.ANALYTICS_VIEW)
    if scoped_local_authorities(actor) is not None:
        return None
    try:
        run_row = _latest(session, actor, run_id)
    except NotFound:
        return None
    cells = pd.DataFrame(run_row.summary.get("cells", []))
    if cells.empty:
        return None
    dismissed = session.execute(
        select(RecordingFlag.district, RecordingFlag.month, func.count())
        .where(RecordingFlag.run_id == run_row.id, RecordingFlag.status == DISMISSED)
        .group_by(RecordingFlag.district, RecordingFlag.month)
    ).all()
    d = pd.DataFrame(dismissed, columns=["district", "month", "dismissed"])
    d["district"] = d["district"].fillna("(no district)")
    cells = cells.merge(d, on=["district", "month"], how="left").fillna({"dismissed": 0})
    if district:
        cells = cells[cells["district"] == district]
    return {
        "run": run_row.id,
        "created_at": run_row.created_at.isoformat(),
        "from": run_row.period_from.isoformat(),
        "to": run_row.period_to.isoformat(),
        "rules_version": run_row.rules_version,
        "model_version": run_row.model_version,
        "definition": (
            "Compliance: the share of audited incidents whose recorded qualifier stands (not "
            "flagged, or flagged and the flag dismissed). Estimated true mix: the mean "
            "calibrated probability of each qualifier, with a 95% interval."
        ),
        **_compliance(cells),
    }


def _compliance(cells: pd.DataFrame) -> dict[str, Any]:
    def rate(g: pd.DataFrame) -> float:
        n = float(g["n"].sum())
        return (
            round((n - float(g["flags"].sum()) + float(g["dismissed"].sum())) / n, 4) if n else 0.0
        )

    def mix(g: pd.DataFrame) -> dict[str, dict[str, float]]:
        n = float(g["n"].sum())
        out = {}
        for c in CLASSES:
            share = float(g[f"p_{c}"].sum()) / n
            half = flags.Z95 * float(np.sqrt(g[f"v_{c}"].sum())) / n
            out[c] = {
                "share": round(share, 4),
                "low": round(max(0.0, share - half), 4),
                "high": round(min(1.0, share + half), 4),
                "recorded": round(float(g[f"r_{c}"].sum()) / n, 4),
            }
        return out

    by_district = [
        {"district": k, "incidents": int(g["n"].sum()), "compliance": rate(g), "mix": mix(g)}
        for k, g in cells.groupby("district", sort=True)
    ]
    by_month = [
        {"month": k, "incidents": int(g["n"].sum()), "compliance": rate(g)}
        for k, g in cells.groupby("month", sort=True)
    ]
    by_cell = [
        {
            "district": r["district"],
            "month": r["month"],
            "incidents": int(r["n"]),
            "flags": int(r["flags"]),
            "dismissed": int(r["dismissed"]),
            "compliance": rate(pd.DataFrame([r])),
        }
        for r in cells.to_dict(orient="records")
    ]
    return {
        "incidents": int(cells["n"].sum()),
        "compliance": rate(cells),
        "estimated_true_mix": mix(cells),
        "by_district": by_district,
        "by_month": by_month,
        "by_district_month": by_cell,
    }

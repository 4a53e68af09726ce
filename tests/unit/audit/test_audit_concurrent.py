"""The chain under concurrent writers, each with its own engine as each worker process has:
public reports (whose event is linked at the end of their transaction, hashed by PostgreSQL)
interleaved with staff reads (linked at once), and a deferred event that is never linked when
its transaction fails."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import AuditAction, deferred, record, verify
from asbhub.contact.models import PublicSubmission
from asbhub.contact.schemas import validate_report
from asbhub.contact.service import create_online_report
from asbhub.permissions import Actor, Role
from asbhub.store.engine import make_engine, session_scope

NOW = dt.datetime(2025, 3, 14, 18, 0)
OFFICER = Actor(1, "officer1", "Officer One", Role.OFFICER, force_code="essex")
FORM = {
    "what": "vehicles",
    "description": "Off-road bikes across the playing field (fictitious).",
    "place": "Playing field off Imaginary Lane, Witham",
    "area": "E07000067",
    "when-day": "13",
    "when-month": "3",
    "when-year": "2025",
    "time": "19:45",
    "ongoing": "no",
    "impact": "The children cannot use the field.",
    "targeted": "no",
    "contact": "anonymous",
    "consent": "yes",
}
WRITERS, EACH = 4, 6


def _writer(url: str, n: int) -> list[tuple[str, int]]:
    """One "worker": its own engine, alternating a public report and a staff read."""
    engine = make_engine(url)
    report = validate_report(FORM, now=NOW, force_code="essex")
    seen: list[tuple[str, int]] = []
    try:
        for k in range(EACH):
            with session_scope(engine) as s:
                stored = create_online_report(
                    s, report=report, force_code="essex", client=f"w{n}", rate_limit=100, now=NOW
                )
                seen.append(("report", stored.incident_id))
            with session_scope(engine) as s:
                row = record(
                    s,
                    actor=OFFICER,
                    event="incidents:incident:view",
                    action=AuditAction.VIEW,
                    object_type="incident",
                    object_id=f"{n}-{k}",
                )
                seen.append(("view", row.seq))
    finally:
        engine.dispose()
    return seen


def test_concurrent_writers_keep_one_unbroken_chain(db_url: str, engine: Engine) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(lambda n: _writer(db_url, n), range(WRITERS)))
    with session_scope(engine) as s:
        check = verify(s)
        seqs = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        created = s.scalar(select(func.count()).where(AuditEvent.event == "public:report:create"))
        submissions = s.scalar(select(func.count()).select_from(PublicSubmission))
    total = WRITERS * EACH * 2
    assert check.intact and check.events == total
    assert seqs == list(range(1, total + 1))  # no gap, no seq taken twice
    assert created == submissions == WRITERS * EACH
    # An event linked at once knows its place in the chain before its transaction commits.
    views = [seq for seen in results for kind, seq in seen if kind == "view"]
    assert len(set(views)) == WRITERS * EACH


def test_a_deferred_event_is_linked_at_the_end_or_not_at_all(engine: Engine) -> None:
    with session_scope(engine) as s:
        with deferred(s):
            row = record(s, actor=OFFICER, event="incidents:incident:view",
                         action=AuditAction.VIEW, object_id=1)  # fmt: skip
            assert row.seq is None  # not linked yet
        assert row.seq == 1 and row.hash and verify(s).intact
    with pytest.raises(RuntimeError), session_scope(engine) as s, deferred(s):
        record(s, actor=OFFICER, event="incidents:incident:view", action=AuditAction.VIEW)
        raise RuntimeError("the unit of work failed")
    with session_scope(engine) as s:
        assert verify(s).events == 1

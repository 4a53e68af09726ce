"""Generated triage records agree with the generated attendance and fill the demo's queues."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import Engine, func, select

from asbhub.generate.service import build, generate
from asbhub.generate.triage import prior_counts
from asbhub.incidents.models import Incident
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope
from asbhub.triage import service
from asbhub.triage.models import TriageAssessment, TriageReview


def test_decisions_follow_the_published_attendance() -> None:
    g = build(11, "2020-04", "2021-03")
    y = g.years[0]
    t = y.triage
    n = len(y.received)
    assert ((t.outcome == "attend") == y.attended).all()
    assert int(y.attended.sum()) == 33_644  # the deep dive's 2020/21 attendance
    assert int((t.risk == "high").sum()) == round(0.01 * n)
    assert int((t.risk == "medium").sum()) == round(0.04 * n)
    assert y.attended[t.risk != "standard"].all()  # vulnerability always attends
    refer = t.outcome == "refer"
    assert all(p is not None for p in t.partner[refer])
    assert all(p is None for p in t.partner[~refer])
    assert set(t.grade[~y.attended]) <= {"refer", "resolved"}
    assert ((t.score >= 12) == (t.risk == "high")).all()


def test_prior_counts_by_hand() -> None:
    key = np.array([1, 1, 2, 1, -1, 1])
    day = 86400
    t = np.array([0, 10, 20, 50, 60, 200]) * day
    # Within 91 days: the 2nd has 1 before, the 4th 2, the 6th none (150 days after the 4th).
    assert prior_counts(key, t, 91 * day).tolist() == [0, 1, 0, 2, 0, 0]


def test_open_cases_have_their_reviews(engine: Engine) -> None:
    out = generate(engine, force_code="essex", start="2021-03", end="2021-03", seed=5)
    assert out["triage_assessments"] == out["incidents"]
    with session_scope(engine) as s:
        open_ids = set(
            s.execute(select(Incident.id).where(Incident.status == "assigned")).scalars()
        )
        levels = dict(
            s.execute(
                select(TriageAssessment.incident_id, TriageAssessment.risk_level).where(
                    TriageAssessment.incident_id.in_(open_ids)
                )
            ).all()
        )
        assert open_ids and all(lv.value != "standard" for lv in levels.values())
        per = dict(
            s.execute(
                select(TriageReview.incident_id, func.count()).group_by(TriageReview.incident_id)
            ).all()
        )
        assert all(per[i] == (3 if levels[i].value == "high" else 2) for i in open_ids)
        sup = Actor(0, "sup", "Sup", Role.SUPERVISOR, force_code="essex")
        queue = service.review_queue(s, actor=sup, today=dt.date(2021, 3, 31))
        assert queue and all(r.status == "assigned" for r in queue)

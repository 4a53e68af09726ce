"""The generated year's partnership casework (issue 18 item 6): the deep dive's 16 social
housing providers under one agreement, and SARA cases at repeat locations that triage found,
counted as casework counts and shared as the access policy allows."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from importlib import resources

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from asbhub.agencies.models import AgencyRow, SharingAgreement
from asbhub.agencies.service import membership
from asbhub.audit.models import AuditEvent
from asbhub.casework import lifecycle
from asbhub.casework.counts import AreaCounts, Place, Window, area_counts, assess
from asbhub.casework.counts import baseline_window as sara_baseline_window
from asbhub.casework.models import Case, CaseEvent, CaseIncident, CasePlace, CaseShare, Stage
from asbhub.casework.queries import load, points_around
from asbhub.casework.rules import shipped
from asbhub.cli import app
from asbhub.errors import NotFound
from asbhub.generate.casework import AGREEMENT, CASE_REFERENCE
from asbhub.incidents.models import Incident
from asbhub.permissions import Actor, DataClass, Role, system_actor
from asbhub.store.engine import make_engine
from asbhub.triage.models import TriageAssessment

runner = CliRunner()
YEAR_END = dt.date(2021, 3, 31)
AREAS = 14  # Essex's local authority areas: 12 districts and 2 unitaries


def _seed(measure: str) -> int:
    path = resources.files("asbhub") / "data" / "deep_dive_2021" / "casework.csv"
    with path.open("r", encoding="utf-8") as fh:
        return next(int(r["value"]) for r in csv.DictReader(fh) if r["measure"] == measure)


@pytest.fixture(scope="module")
def session(deep_dive_db: str) -> Iterator[Session]:
    """A read-only look at the shared generated database (nothing is committed)."""
    engine = make_engine(deep_dive_db)
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


@pytest.fixture(scope="module")
def cases(session: Session) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.reference.like(f"{CASE_REFERENCE}%")).order_by(Case.id)
        )
    )


def _partner(session: Session, code: str) -> Actor:
    m = membership(session, force_code="essex", agency_code=code)
    return Actor(
        user_id=900,
        username=f"{code}.user",
        display_name=f"{code} user",
        role=Role.PARTNER,
        force_code="essex",
        agency=m.agency,
        agreements=m.agreements,
    )


def test_sixteen_housing_providers_under_one_agreement(deep_dive_db: str, session: Session) -> None:
    result = runner.invoke(app, ["agencies", "list", "--json", "--db", deep_dive_db])
    assert result.exit_code == 0, result.output
    housing = [a for a in json.loads(result.stdout)["agencies"] if a["kind"] == "housing"]
    assert len(housing) == _seed("information_sharing_agreement_partners") == 16
    covered = Counter(la for a in housing for la in a["local_authorities"])
    assert len(covered) == AREAS and min(covered.values()) >= 2
    rows = session.scalars(select(AgencyRow).where(AgencyRow.kind == "housing")).all()
    assert all(r.source == "generate" and r.contact.endswith(".example.invalid") for r in rows)
    agreement = session.scalars(
        select(SharingAgreement).where(SharingAgreement.reference == AGREEMENT)
    ).one()
    assert {p.agency.code for p in agreement.parties} == {"essex-police"} | {
        a["code"] for a in housing
    }
    assert set(agreement.data_classes) == {"incident_summary", "personal_details", "case_notes"}
    assert agreement.starts_on <= dt.date(2020, 4, 1) and agreement.ends_on is None


def test_cases_open_at_repeat_locations_triage_found(session: Session, cases: list[Case]) -> None:
    assert len(cases) == 2 * AREAS
    assert Counter(c.local_authority_code for c in cases).most_common()[0][1] == 2
    assert len({c.local_authority_code for c in cases}) == AREAS
    for c in cases:
        triage, trigger = session.execute(
            select(TriageAssessment, Incident)
            .join(Incident, Incident.id == TriageAssessment.incident_id)
            .where(TriageAssessment.id == c.source_assessment_id)
        ).one()
        assert triage.repeat_location and c.trigger_kind == "location"
        assert trigger.received_at.date() == c.opened_at.date()
        assert trigger.local_authority_code == c.local_authority_code
        place = session.scalars(select(CasePlace.location_id).where(CasePlace.case_id == c.id))
        linked = session.scalars(
            select(Incident)
            .join(CaseIncident, CaseIncident.incident_id == Incident.id)
            .where(CaseIncident.case_id == c.id)
        ).all()
        assert len(linked) >= 3 and trigger in linked
        assert {i.location_id for i in linked} == set(place) == {trigger.location_id}
        assert all(
            dt.timedelta(0) <= trigger.received_at - i.received_at <= dt.timedelta(days=91)
            for i in linked
        )


def _counts(session: Session, c: Case, window: Window) -> AreaCounts:
    assert c.centre_x is not None and c.centre_y is not None
    place = Place(c.centre_x, c.centre_y, c.radius_m, c.buffer_m, c.local_authority_code)
    actor = system_actor(job="test", force_code="essex")
    return area_counts(points_around(session, actor, place, window), place, window)


def test_baselines_and_assessments_are_the_casework_counts(
    session: Session, cases: list[Case]
) -> None:
    rules = shipped()
    assessed = 0
    for c in cases:
        window = sara_baseline_window(c.opened_at.date(), rules.baseline_months)
        assert (c.baseline_from, c.baseline_to) == (window.start, window.end)
        assert _counts(session, c, window) == AreaCounts(
            c.baseline_target or 0, c.baseline_buffer or 0, c.baseline_control or 0
        )
        assert (c.baseline_control or 0) > 0
        if c.assessed_at is None:
            assert c.stage in {Stage.SCANNING, Stage.ANALYSIS, Stage.RESPONSE}
            continue
        assessed += 1
        assert c.assess_from is not None and c.assess_to is not None
        after = _counts(session, c, Window(c.assess_from, c.assess_to))
        assert after == AreaCounts(c.after_target or 0, c.after_buffer or 0, c.after_control or 0)
        before = AreaCounts(c.baseline_target or 0, c.baseline_buffer or 0, c.baseline_control or 0)
        result = assess(before, after)
        assert (result.wdq, result.displacement) == (c.wdq, c.displacement)
        assert c.assess_to < YEAR_END
    assert assessed >= 10
    assert sum(c.wdq is not None for c in cases) >= 5  # the displacement check has figures


def test_stages_follow_the_declared_machine(session: Session, cases: list[Case]) -> None:
    stages = Counter(c.stage for c in cases)
    assert len(stages) >= 4 and stages[Stage.CLOSED] >= 1 and stages[Stage.RESPONSE] >= 1
    for c in cases:
        lines = session.scalars(
            select(CaseEvent.summary)
            .where(CaseEvent.case_id == c.id, CaseEvent.kind == "stage")
            .order_by(CaseEvent.at, CaseEvent.id)
        ).all()
        stage = lifecycle.INITIAL
        for line in lines:
            frm, to = line.removeprefix("Stage ").split(" -> ")
            assert frm == stage.value
            event = lifecycle.Event.SIGN_OFF if to == "closed" else lifecycle.Event.ADVANCE
            stage = lifecycle.next_stage(stage, event)
            assert stage.value == to
        assert stage is c.stage
        assert (c.signed_off_at is not None) is (c.stage is Stage.CLOSED)


def test_a_provider_sees_what_the_agreement_shares(session: Session, cases: list[Case]) -> None:
    shared = [c for c in cases if c.stage not in {Stage.SCANNING, Stage.ANALYSIS}]
    assert shared
    for c in shared:
        (share,) = session.scalars(select(CaseShare).where(CaseShare.case_id == c.id)).all()
        assert share.agreement_reference == AGREEMENT and share.override_reason is None
        _, access, _ = load(session, _partner(session, share.agency_code), c.id, YEAR_END)
        assert access.classes == {
            DataClass.INCIDENT_SUMMARY,
            DataClass.PERSONAL_DETAILS,
            DataClass.CASE_NOTES,
        }
        assert not access.owner and not access.may_share
    # Every other provider: that the case exists and whom to ask if it is in the provider's
    # areas, else nothing at all.
    c = shared[0]
    (share,) = session.scalars(select(CaseShare).where(CaseShare.case_id == c.id)).all()
    others = session.scalars(
        select(AgencyRow).where(AgencyRow.kind == "housing", AgencyRow.code != share.agency_code)
    ).all()
    seen: Counter[str] = Counter()
    for p in others:
        actor = _partner(session, p.code)
        if c.local_authority_code in {a.local_authority_code for a in p.areas}:
            _, access, _ = load(session, actor, c.id, YEAR_END)
            assert access.exists and access.classes == frozenset()
            seen["covers"] += 1
        else:
            with pytest.raises(NotFound):
                load(session, actor, c.id, YEAR_END)
            seen["elsewhere"] += 1
    assert seen["covers"] >= 1 and seen["elsewhere"] >= 1


def test_the_generated_casework_is_audited_with_its_counts(
    session: Session, cases: list[Case]
) -> None:
    run = session.scalars(
        select(AuditEvent).where(AuditEvent.event == "generate:casework:create")
    ).one()
    assert run.result_count == len(cases)
    assert run.fields["housing_providers"] == 16 and run.isa_id == AGREEMENT
    assert sum(run.fields["stages"].values()) == len(cases)

"""SARA cases through the services, on SQLite and PostgreSQL: opened from a repeat location
found by triage, the baseline and assessment counted from hand-made incidents, the stages,
sharing under an agreement, refusal without one, the override and its review, the audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from asbhub.audit.models import AuditEvent
from asbhub.casework import lifecycle, queries, service
from asbhub.casework.models import Case, CaseIncident, CasePerson, CaseReview, Stage
from asbhub.casework.rules import shipped
from asbhub.casework.schemas import (
    ActionIn,
    AnalysisIn,
    AssessmentIn,
    FromTriageIn,
    ObjectiveIn,
    ShareIn,
)
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted
from asbhub.store.engine import session_scope
from caseseed import HOUSING, ISA, SUSPECT, VICTIM, CaseWorld, actor_of, build, incident

NOW = dt.datetime(2026, 3, 17, 12, 0)  # the baseline is 2025-09-01..2026-02-28
RULES = shipped()


@pytest.fixture
def world(engine: Engine) -> CaseWorld:
    return build(engine, NOW)


def _open(engine: Engine, w: CaseWorld, kind: str = "location", locked: bool = False) -> int:
    with session_scope(engine) as s:
        case = service.open_from_triage(
            s,
            actor=actor_of(s, "asb.t"),
            data=FromTriageIn(assessment_id=w.assessment_id, kind=kind, victim_locked=locked),
            rules=RULES,
            now=NOW,
        )
        return case.id


def _events(engine: Engine, name: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_a_case_opens_from_the_repeat_location_with_its_incidents(
    engine: Engine, world: CaseWorld
) -> None:
    case_id = _open(engine, world, "victim")
    with session_scope(engine) as s:
        case = s.get_one(Case, (case_id, "essex"))
        linked = set(
            s.scalars(select(CaseIncident.incident_id).where(CaseIncident.case_id == case_id))
        )
        people = set(s.scalars(select(CasePerson.person_id).where(CasePerson.case_id == case_id)))
        reviews = list(s.scalars(select(CaseReview).where(CaseReview.case_id == case_id)))
    assert case.reference == "SARA-2026-0001" and case.stage is Stage.SCANNING
    assert case.owner_agency_code == "essex-police" and case.spoc_name == "Test asb.t"
    assert len(linked) == 4 and world.new_incident in linked
    assert people == {world.victim}
    assert "repeat victim: 3 or more in 3 months" in case.how_found
    # Standard risk: one supervisor review at the interval the rule set gives.
    assert [(r.reviewer, r.every_days, r.due_on) for r in reviews] == [
        ("supervisor", 90, dt.date(2026, 6, 15))
    ]
    assert reviews[0].rules_version == RULES.version == case.rules_version
    with session_scope(engine) as s, pytest.raises(InvalidInput, match="no repeat offender"):
        # The triage was told of no suspect, so it found no repeat offender.
        service.open_from_triage(
            s,
            actor=actor_of(s, "asb.t"),
            data=FromTriageIn(assessment_id=world.assessment_id, kind="offender"),
            rules=RULES,
            now=NOW,
        )
    [create] = _events(engine, "casework:case:create")
    assert create.data_subjects == [world.victim] and create.object_id == str(case_id)


def test_baseline_and_assessment_counts_from_hand_made_incidents(
    engine: Engine, world: CaseWorld
) -> None:
    # The world's REP-0..2 are 10, 25 and 50 days before NOW: REP-1 (2026-02-20) and REP-2
    # (2026-01-26) fall in the baseline (2025-09-01..2026-02-28), REP-0 (2026-03-07) does not.
    with session_scope(engine) as s:
        for n, (dx, when) in enumerate(
            [
                (0, dt.datetime(2025, 9, 1, 0, 0)),  # first baseline day: target
                (50, dt.datetime(2025, 10, 3)),  # target
                (250, dt.datetime(2025, 11, 3)),  # buffer
                (450, dt.datetime(2025, 12, 3)),  # buffer
                (3000, dt.datetime(2025, 12, 4)),  # control
                (3000, dt.datetime(2025, 12, 5)),  # control
                (0, dt.datetime(2025, 8, 31, 23, 59)),  # before the baseline
                # the after period, 2026-04-01..2026-06-30
                (10, dt.datetime(2026, 4, 2)),  # target
                (300, dt.datetime(2026, 4, 3)),  # buffer
                (300, dt.datetime(2026, 5, 3)),  # buffer
                (300, dt.datetime(2026, 5, 4)),  # buffer
                (3000, dt.datetime(2026, 5, 5)),  # control
                (3000, dt.datetime(2026, 6, 5)),  # control
            ]
        ):
            incident(s, f"HM-{n}", when, dx=float(dx))
        # A COVID breach in the target area is left out (the rule set says so).
        incident(s, "HM-COVID", dt.datetime(2026, 6, 6), dx=0.0, covid_breach=True)
    case_id = _open(engine, world)
    with session_scope(engine) as s:
        case = s.get_one(Case, (case_id, "essex"))
        assert (case.baseline_from, case.baseline_to) == (dt.date(2025, 9, 1), dt.date(2026, 2, 28))
        # target: HM-0, HM-1, REP-1 (Feb 20), REP-2 (Jan 26) = 4; buffer 2; control 2.
        assert (case.baseline_target, case.baseline_buffer, case.baseline_control) == (4, 2, 2)
    asb = "asb.t"
    # Scanning -> analysis goes (there is a baseline); analysis -> response needs the
    # triangle, and the refusal rolls both back.
    with pytest.raises(Conflict, match="triangle"), session_scope(engine) as s:
        a = actor_of(s, asb)
        service.move_stage(
            s, actor=a, case_id=case_id, event="advance", reason=None, today=NOW.date()
        )
        service.move_stage(
            s, actor=a, case_id=case_id, event="advance", reason=None, today=NOW.date()
        )
    with session_scope(engine) as s:
        a = actor_of(s, asb)
        service.move_stage(
            s, actor=a, case_id=case_id, event="advance", reason=None, today=NOW.date()
        )
        service.record_analysis(
            s,
            actor=a,
            case_id=case_id,
            data=AnalysisIn(place="Stairwell of a block", manager="Test Homes"),
            today=NOW.date(),
        )
        service.move_stage(
            s, actor=a, case_id=case_id, event="advance", reason=None, today=NOW.date()
        )
        service.add_objective(
            s,
            actor=a,
            case_id=case_id,
            data=ObjectiveIn(
                text="Fewer incidents at the block",
                measure="incidents within 100 m",
                target="halved",
                due_on=dt.date(2026, 7, 1),
            ),
            today=NOW.date(),
        )
        service.add_action(
            s,
            actor=a,
            case_id=case_id,
            data=ActionIn(
                description="Lock the stairwell door",
                owner_name="Tenancy team",
                agency_code=HOUSING,
                due_on=dt.date(2026, 4, 1),
                tool="design",
            ),
            rules=RULES,
            today=NOW.date(),
        )
        service.move_stage(
            s, actor=a, case_id=case_id, event="advance", reason=None, today=NOW.date()
        )
        with pytest.raises(InvalidInput, match="say why"):
            service.move_stage(
                s, actor=a, case_id=case_id, event="back", reason=" ", today=NOW.date()
            )
    later = dt.date(2026, 7, 2)
    with session_scope(engine) as s:
        a = actor_of(s, asb)
        service.record_assessment(
            s,
            actor=a,
            case_id=case_id,
            data=AssessmentIn(
                assess_from=dt.date(2026, 4, 1),
                assess_to=dt.date(2026, 6, 30),
                outcome="Fewer calls",
            ),
            rules=RULES,
            today=later,
        )
        case = s.get_one(Case, (case_id, "essex"))
        assert (case.after_target, case.after_buffer, case.after_control) == (1, 3, 2)
        # SM = 1/2 - 4/2 = -1.5; BM = 3/2 - 2/2 = 0.5; WDQ = 0.5 / -1.5
        assert case.wdq == -0.333 and case.displacement == "displacement"
        with pytest.raises(NotPermitted):  # an ASB officer may not sign off
            service.move_stage(
                s, actor=a, case_id=case_id, event="sign_off", reason=None, today=later
            )
    with session_scope(engine) as s:
        sup = actor_of(s, "sup.t")
        service.move_stage(
            s, actor=sup, case_id=case_id, event="sign_off", reason=None, today=later
        )
        view = queries.get_case(s, actor=sup, case_id=case_id, rules=RULES, today=later)
    assert view.case.stage == "closed" and view.assessment is not None
    assert view.assessment.before.target == 4 and view.assessment.after.target == 1
    assert [e.kind for e in view.timeline][:2] == ["stage", "assessment"]
    assert lifecycle.reachable() == set(Stage)


def test_sharing_follows_the_agreement_and_an_override_is_logged(
    engine: Engine, world: CaseWorld
) -> None:
    case_id = _open(engine, world, "victim")
    today = NOW.date()
    with session_scope(engine) as s:
        housing = actor_of(s, "housing.t")
        # In its area, not yet shared: it knows the case exists and whom to ask, nothing else.
        stub = queries.get_case(s, actor=housing, case_id=case_id, rules=RULES, today=today)
        assert stub.classes == [] and stub.incidents is None and stub.people is None
        assert stub.case.spoc_name == "Test asb.t"
        with pytest.raises(NotFound):
            queries.get_case(
                s, actor=actor_of(s, "thurrock.t"), case_id=case_id, rules=RULES, today=today
            )
    with session_scope(engine) as s:
        share = service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(
                agency_code=HOUSING,
                data_classes=["incident_summary", "personal_details"],
                purpose="Tenancy action",
            ),
            today=today,
        )
        assert share.agreement_reference == ISA and share.lawful_basis == "uk-gdpr-6-1-e"
    with session_scope(engine) as s:
        seen = queries.get_case(
            s, actor=actor_of(s, "housing.t"), case_id=case_id, rules=RULES, today=today
        )
    assert seen.classes == ["incident_summary", "personal_details"]
    assert seen.people is not None and {p.label for p in seen.people} == {" ".join(VICTIM)}
    assert seen.triangle is None and seen.reviews is None and seen.shares is None
    views = [e for e in _events(engine, "casework:case:view") if e.actor_name == "Test housing.t"]
    assert views[-1].data_subjects == [world.victim]
    [shared] = _events(engine, "casework:case:share")
    assert shared.isa_id == ISA and shared.recipient.startswith("Test Homes")
    assert shared.data_subjects == [world.victim]
    # Basildon Council has no agreement: personal details are refused, the summary is not.
    with session_scope(engine) as s, pytest.raises(NotPermitted, match="no information sharing"):
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(
                agency_code="basildon-council", data_classes=["personal_details"], purpose="x"
            ),
            today=today,
        )
    with session_scope(engine) as s:
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(
                agency_code="basildon-council",
                data_classes=["personal_details"],
                purpose="Safeguarding",
                override_reason="Immediate risk to the victim tonight (fictitious)",
            ),
            today=today,
        )
    [override] = _events(engine, "casework:share:override")
    assert override.fields["override_reason"].startswith("Immediate risk")
    with session_scope(engine) as s:
        council = actor_of(s, "council.t")
        assert (
            "personal_details"
            in queries.get_case(s, actor=council, case_id=case_id, rules=RULES, today=today).classes
        )
        sup = actor_of(s, "sup.t")
        [row] = queries.override_rows(s, actor=sup)
        with pytest.raises(NotPermitted):
            queries.override_rows(s, actor=actor_of(s, "asb.t"))
        service.review_override(
            s, actor=sup, share_id=row.share_id, decision="revoked", note="No risk found"
        )
    with session_scope(engine) as s:
        council = actor_of(s, "council.t")
        # Revoked: back to knowing the case exists (it is in Basildon's area).
        assert (
            queries.get_case(s, actor=council, case_id=case_id, rules=RULES, today=today).classes
            == []
        )
    # An analyst sees the summary only, with pseudonyms; never the names.
    with session_scope(engine) as s:
        analyst = queries.get_case(
            s, actor=actor_of(s, "analyst.t"), case_id=case_id, rules=RULES, today=today
        )
    assert analyst.classes == ["incident_summary"]
    assert analyst.people and all(p.label.startswith("P-") for p in analyst.people)
    assert SUSPECT[1] not in analyst.model_dump_json()


def test_the_agreement_lapses_and_the_lock_holds(engine: Engine) -> None:
    w = build(engine, NOW, agreement_to=NOW.date() + dt.timedelta(days=10))
    case_id = _open(engine, w, "victim", locked=True)
    with session_scope(engine) as s:
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(
                agency_code=HOUSING, data_classes=["incident_summary", "case_notes"], purpose="p"
            ),
            today=NOW.date(),
        )
    with session_scope(engine) as s:
        housing = actor_of(s, "housing.t")
        now_view = queries.get_case(
            s, actor=housing, case_id=case_id, rules=RULES, today=NOW.date()
        )
        lapsed = queries.get_case(
            s, actor=housing, case_id=case_id, rules=RULES, today=NOW.date() + dt.timedelta(days=11)
        )
    assert now_view.classes == ["case_notes", "incident_summary"]
    assert lapsed.classes == ["incident_summary"]
    with session_scope(engine) as s, pytest.raises(NotPermitted, match="no information sharing"):
        # No agreement with the fire service covers personal details.
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(agency_code="ecfrs", data_classes=["personal_details"], purpose="p"),
            today=NOW.date(),
        )
    # The housing agreement covers personal details, so the share is made; the lock still
    # keeps them from every agency but the owner.
    with session_scope(engine) as s:
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            data=ShareIn(agency_code=HOUSING, data_classes=["personal_details"], purpose="p"),
            today=NOW.date(),
        )
        view = queries.get_case(
            s, actor=actor_of(s, "housing.t"), case_id=case_id, rules=RULES, today=NOW.date()
        )
    assert "personal_details" not in view.classes and view.victim_locked
    assert VICTIM[1] not in view.model_dump_json()

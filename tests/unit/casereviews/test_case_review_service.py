"""The case review services against a real store (SQLite and PostgreSQL): each threshold rule
on hand-made report sets, the application's consent rules, the lifecycle, the panel and the
request to review the handling, scoping and the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.casereviews import service
from asbhub.casereviews.models import AsbCaseReview
from asbhub.casereviews.schemas import (
    AcknowledgeIn,
    ApplicationIn,
    DecisionIn,
    HandlingDecisionIn,
    HandlingRequestIn,
    OutcomeIn,
    ReviewIn,
)
from asbhub.config import get_settings
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentType,
    Person,
    PersonRole,
)
from asbhub.inputs import parse
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope
from asbhub.triage import rules

RULES = rules.load().case_review
THURROCK, COLCHESTER = "E06000034", "E07000071"
RECEIVED = dt.date(2025, 3, 14)  # the six-month window opens after 14 September 2024


@dataclass
class World:
    engine: Engine
    actors: dict[Role, Actor]
    victim: int


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    with session_scope(engine) as s:
        actors = {}
        for role in (Role.ASB_OFFICER, Role.SUPERVISOR, Role.PARTNER, Role.ANALYST, Role.OFFICER):
            u = User(
                username=role.value,
                display_name=f"Test {role.value}",
                password_hash="x",
                role=role.value,
                force_code="essex",
                agency_code="colchester-council" if role is Role.PARTNER else None,
            )
            s.add(u)
            s.flush()
            actors[role] = actor_for(u, settings=get_settings())
        victim = Person(force_code="essex", forename="Testina", surname="Fictitious")
        s.add(victim)
        s.flush()
        # Three reports to the police in the six months before 14 March 2025, one older.
        for ref, day in (
            ("INC-A", (2024, 8, 1)),
            ("INC-B", (2024, 10, 20)),
            ("INC-C", (2025, 1, 10)),
            ("INC-D", (2025, 3, 1)),
        ):
            i = Incident(
                force_code="essex",
                reference=ref,
                received_at=dt.datetime(*day, 18, 0),
                channel=Channel.NON_EMERGENCY,
                opening_code=IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
                local_authority_code=COLCHESTER,
            )
            s.add(i)
            s.flush()
            s.add(
                IncidentPerson(
                    force_code="essex",
                    incident_id=i.id,
                    person_id=victim.id,
                    role=PersonRole.VICTIM,
                )
            )
        vid = victim.id
    yield World(engine, actors, vid)


def report(ref: str, occurred: str, reported: str, hate: bool = False) -> dict[str, Any]:
    return {
        "reference": ref,
        "agency": "Thurrock Council",
        "occurred_on": occurred,
        "reported_on": reported,
        "hate_motivated": hate,
    }


def application(**kw: Any) -> ApplicationIn:
    base: dict[str, Any] = {
        "local_authority_code": THURROCK,
        "received_on": RECEIVED.isoformat(),
        "applicant": "victim",
        "applicant_name": "Testina Fictitious",
        "victim_name": "Testina Fictitious",
        "behaviour": "Shouting and banging most nights.",
    }
    return parse(ApplicationIn, base | kw)


def decided(w: World, app: ApplicationIn, **decision: Any) -> Any:
    actor = w.actors[Role.ASB_OFFICER]
    with session_scope(w.engine) as s:
        cr = service.apply(s, actor=actor, application=app, rules=RULES)
        service.acknowledge(
            s,
            actor=actor,
            case_review_id=cr.id,
            body=AcknowledgeIn(acknowledged_on=RECEIVED),
            rules=RULES,
        )
        body = DecisionIn.model_validate({"decided_on": "2025-03-20"} | decision)
        return service.decide(s, actor=actor, case_review_id=cr.id, body=body, rules=RULES)


# --- the threshold: each rule -----------------------------------------------------------------

THREE = [
    report("T1", "2024-10-15", "2024-10-20"),
    report("T2", "2025-01-05", "2025-01-10"),
    report("T3", "2025-02-20", "2025-03-01"),
]


def test_three_qualifying_reports_in_six_months_meet_the_threshold(world: World) -> None:
    out = decided(world, application(other_reports=THREE))
    assert out.status == "threshold_met"
    t = out.threshold
    assert (t.basis, t.rules_met, t.version) == ("mandatory", True, RULES.version)
    assert t.qualifying == [
        "Thurrock Council:T1",
        "Thurrock Council:T2",
        "Thurrock Council:T3",
    ]


def test_a_report_before_the_six_month_window_does_not_count(world: World) -> None:
    # 14 September 2024 is the edge: a report that day is outside, one the day after inside.
    outside = [report("T0", "2024-09-10", "2024-09-14"), *THREE[1:]]
    out = decided(world, application(other_reports=outside))
    assert out.status == "threshold_not_met"
    assert out.threshold.qualifying == ["Thurrock Council:T2", "Thurrock Council:T3"]
    inside = [report("T0", "2024-09-14", "2024-09-15"), *THREE[1:]]
    assert decided(world, application(other_reports=inside)).status == "threshold_met"


def test_a_report_made_more_than_a_month_after_the_behaviour_does_not_qualify(
    world: World,
) -> None:
    # Behaviour on 1 November 2024 had to be reported by 1 December (s.104(11)).
    late = [report("L1", "2024-11-01", "2024-12-05"), *THREE[1:]]
    out = decided(world, application(other_reports=late))
    assert out.status == "threshold_not_met"
    assert out.threshold.late == ["Thurrock Council:L1"]
    on_time = [report("L1", "2024-11-01", "2024-12-01"), *THREE[1:]]
    assert decided(world, application(other_reports=on_time)).status == "threshold_met"


def test_one_hate_motivated_report_is_enough_in_essex(world: World) -> None:
    out = decided(
        world, application(other_reports=[report("H1", "2025-03-01", "2025-03-02", hate=True)])
    )
    assert out.status == "threshold_met"
    assert "a hate-motivated report: one is enough in this area" in out.threshold.reasons


def test_the_same_report_to_two_bodies_counts_once(world: World) -> None:
    twice = [THREE[0], THREE[1], THREE[1]]
    out = decided(world, application(other_reports=twice))
    assert out.status == "threshold_not_met" and len(out.threshold.qualifying) == 2


def test_the_victims_incidents_in_the_store_count(world: World) -> None:
    # INC-B, INC-C, INC-D are within the window; INC-A (1 August 2024) is not.
    out = decided(
        world, application(local_authority_code=COLCHESTER, victim_person_id=world.victim)
    )
    assert out.status == "threshold_met"
    assert out.threshold.qualifying == ["INC-B", "INC-C", "INC-D"]


def test_met_under_the_rules_cannot_be_decided_not_met(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        decided(world, application(other_reports=THREE), met=False)
    assert "must be treated as met (s.104(4))" in exc.value.message
    with session_scope(world.engine) as s:  # nothing half-stored
        assert s.execute(select(AsbCaseReview.status)).scalars().all() == []


def test_below_the_threshold_met_needs_discretion_and_a_reason(world: World) -> None:
    two = THREE[1:]
    with pytest.raises(InvalidInput) as exc:
        decided(world, application(other_reports=two), met=True)
    assert "persistence, harm or the adequacy of the response" in exc.value.message
    assert exc.value.fields["discretion"] == "choose at least one"
    with pytest.raises(InvalidInput) as exc:
        decided(world, application(other_reports=two), met=True, discretion={"harm": True})
    assert exc.value.fields == {"reason": "required with discretion"}
    out = decided(
        world,
        application(other_reports=two),
        met=True,
        discretion={"harm": True},
        reason="The victim is disabled and the harm is serious.",
    )
    assert (out.status, out.threshold.basis, out.threshold.rules_met) == (
        "threshold_met",
        "discretionary",
        False,
    )


# --- the application --------------------------------------------------------------------------


def test_an_application_on_behalf_needs_consent_with_its_date(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        application(applicant="on_behalf", applicant_relationship="councillor")
    assert "consent_on" in exc.value.fields
    assert "needs the date the victim consented" in exc.value.fields["consent_on"]
    with pytest.raises(InvalidInput) as exc:
        application(applicant="on_behalf", consent_on="2025-03-10")
    assert "applicant_relationship" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        application(applicant="on_behalf", applicant_relationship="mp", consent_on="2025-03-20")
    assert "must come before the application" in exc.value.fields["consent_on"]
    with pytest.raises(InvalidInput) as exc:
        application(consent_on="2025-03-10")
    assert "only for an application made on the victim's behalf" in str(exc.value.fields)
    ok = application(applicant="on_behalf", applicant_relationship="mp", consent_on="2025-03-10")
    with session_scope(world.engine) as s:
        out = service.apply(s, actor=world.actors[Role.ASB_OFFICER], application=ok, rules=RULES)
    assert (out.consent_on, out.consent_recorded_by) == (dt.date(2025, 3, 10), "Test asb_officer")


def test_applications_are_never_anonymous_and_name_a_known_area(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        application(victim_name="")
    assert "victim_name" in exc.value.fields
    with pytest.raises(InvalidInput) as exc, session_scope(world.engine) as s:
        service.apply(
            s,
            actor=world.actors[Role.ASB_OFFICER],
            application=application(local_authority_code="E07000999"),
            rules=RULES,
        )
    assert "not a local authority" in exc.value.message
    with pytest.raises(InvalidInput) as exc, session_scope(world.engine) as s:
        service.apply(
            s,
            actor=world.actors[Role.ASB_OFFICER],
            application=application(victim_person_id=999_999),
            rules=RULES,
        )
    assert exc.value.fields == {"victim_person_id": "no person 999999"}
    with pytest.raises(InvalidInput) as exc:
        application(other_reports=[report("X", "2025-03-02", "2025-03-01")])
    assert "reported_on is before occurred_on" in str(exc.value.fields)


# --- the lifecycle, the panel, the handling review --------------------------------------------


def test_from_application_to_outcome_and_a_request_to_review_the_handling(world: World) -> None:
    actor = world.actors[Role.ASB_OFFICER]
    met = decided(world, application(other_reports=THREE))
    with session_scope(world.engine) as s:
        with pytest.raises(Conflict) as exc:
            service.send_outcome(
                s,
                actor=actor,
                case_review_id=met.id,
                body=OutcomeIn(sent_on=dt.date(2025, 4, 1)),
                rules=RULES,
            )
        assert "cannot send outcome" in str(exc.value)
        with pytest.raises(InvalidInput) as bad:
            service.hold_review(
                s,
                actor=actor,
                case_review_id=met.id,
                rules=RULES,
                body=parse(ReviewIn, {"held_on": "2025-03-19", "chair": "A Chair", "outcome": "x"}),
            )
        assert "held_on is before the threshold decision" in bad.value.message
        body = parse(
            ReviewIn,
            {
                "held_on": "2025-04-10",
                "chair": "Independent Chair",
                "independent_chair": True,
                "victim_attended": True,
                "outcome": "A joint action plan was agreed.",
                "recommendations": [
                    {
                        "text": "Offer mediation",
                        "owner_agency": "Thurrock Council",
                        "owner_name": "ASB team leader",
                        "due_on": "2025-05-10",
                    }
                ],
            },
        )
        out = service.hold_review(s, actor=actor, case_review_id=met.id, body=body, rules=RULES)
        assert out.status == "reviewed"
        assert [(r.owner_agency, r.owner_name) for r in out.recommendations] == [
            ("Thurrock Council", "ASB team leader")
        ]
        out = service.send_outcome(
            s,
            actor=actor,
            case_review_id=met.id,
            body=OutcomeIn(sent_on=dt.date(2025, 4, 15)),
            rules=RULES,
        )
        assert out.status == "closed"
        # Meeting due 20 working days after Thu 20 March 2025: Thu 17 April (before Easter);
        # the outcome 5 working days after the panel of Thu 10 April: Thu 17 April too.
        dl = {d.milestone: (d.due_on, d.late) for d in out.deadlines}
        assert dl["meeting"] == (dt.date(2025, 4, 17), False)
        assert dl["outcome"] == (dt.date(2025, 4, 17), False)
        out = service.request_handling_review(
            s,
            actor=actor,
            case_review_id=met.id,
            rules=RULES,
            body=parse(
                HandlingRequestIn,
                {"requested_on": "2025-04-22", "grounds": "My earlier calls were ignored."},
            ),
        )
        (h,) = out.handling_reviews
        assert h.reviewed_by == "Office of the Police, Fire and Crime Commissioner for Essex"
        assert h.due_on == dt.date(2025, 5, 21)  # 20 working days, 5 May skipped
        with pytest.raises(Conflict):
            service.request_handling_review(
                s,
                actor=actor,
                case_review_id=met.id,
                rules=RULES,
                body=parse(HandlingRequestIn, {"requested_on": "2025-04-23", "grounds": "again"}),
            )
        out = service.decide_handling_review(
            s,
            actor=actor,
            case_review_id=met.id,
            rules=RULES,
            body=parse(
                HandlingDecisionIn,
                {
                    "decided_on": "2025-05-01",
                    "upheld": False,
                    "response": "The calls were counted.",
                },
            ),
        )
        assert out.handling_reviews[0].upheld is False


def test_a_handling_review_waits_for_a_decision_to_be_told(world: World) -> None:
    actor = world.actors[Role.ASB_OFFICER]
    with session_scope(world.engine) as s:
        cr = service.apply(s, actor=actor, application=application(), rules=RULES)
        with pytest.raises(Conflict) as exc:
            service.request_handling_review(
                s,
                actor=actor,
                case_review_id=cr.id,
                rules=RULES,
                body=parse(HandlingRequestIn, {"requested_on": "2025-03-20", "grounds": "slow"}),
            )
        assert "received cannot request handling review" in str(exc.value)


# --- who may, and the audit -------------------------------------------------------------------


def test_partners_see_their_area_pseudonymised_and_analysts_no_case(world: World) -> None:
    officer = world.actors[Role.ASB_OFFICER]
    with session_scope(world.engine) as s:
        mine = service.apply(
            s,
            actor=officer,
            rules=RULES,
            application=application(local_authority_code=COLCHESTER, victim_person_id=world.victim),
        )
        other = service.apply(s, actor=officer, application=application(), rules=RULES)
    partner = world.actors[Role.PARTNER]  # Colchester Council
    with session_scope(world.engine) as s:
        rows = service.list_reviews(s, actor=partner, rules=RULES)
        assert [r.reference for r in rows] == [mine.reference]
        seen = service.get(s, actor=partner, case_review_id=mine.id, rules=RULES)
        assert seen.victim_name.startswith("P-") and seen.applicant_name == "(withheld)"
        assert seen.behaviour is None
        with pytest.raises(NotFound):
            service.get(s, actor=partner, case_review_id=other.id, rules=RULES)
        with pytest.raises(NotPermitted):
            service.apply(s, actor=partner, application=application(), rules=RULES)
        for role in (Role.ANALYST, Role.OFFICER):
            with pytest.raises(NotPermitted):
                service.get(s, actor=world.actors[role], case_review_id=mine.id, rules=RULES)


def test_each_view_and_change_is_audited_with_the_victim(world: World) -> None:
    officer = world.actors[Role.ASB_OFFICER]
    out = decided(
        world, application(local_authority_code=COLCHESTER, victim_person_id=world.victim)
    )
    with session_scope(world.engine) as s:
        service.get(s, actor=world.actors[Role.SUPERVISOR], case_review_id=out.id, rules=RULES)
        events = s.execute(
            select(AuditEvent.event, AuditEvent.data_subjects, AuditEvent.actor_role)
            .where(AuditEvent.object_type == "case_review", AuditEvent.object_id == str(out.id))
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.event for e in events] == [
        "casereviews:case_review:create",
        "casereviews:case_review:acknowledge",
        "casereviews:case_review:decide",
        "casereviews:case_review:view",
    ]
    assert all(e.data_subjects == [world.victim] for e in events)
    assert events[-1].actor_role == "supervisor" and officer.role is Role.ASB_OFFICER

"""Powers on a problem-solving case (issue 19 item 6): drafted by the case's owner for one of
its people, listed on the case for those its notes are open to (audited, filtered by state),
with a line on the case's timeline; refused, naming why, for anyone else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from powers_world import RULES, World
from sqlalchemy import select

from asbhub.audit.models import AuditEvent
from asbhub.casework.models import CaseEvent
from asbhub.errors import InvalidInput, NotFound, NotPermitted
from asbhub.powers import service
from asbhub.powers.schemas import DraftIn
from asbhub.store.engine import session_scope
from caseseed import BASILDON_AREA, SUSPECT, VICTIM, actor_of, offender_case

NOW = dt.datetime(2026, 3, 2, 12, 0)
CPW_PRE = ["detrimental_persistent_effect", "conduct_unreasonable"]


@dataclass(frozen=True)
class OnCase:
    case_id: int
    offender: int
    victim: int
    stranger: int


@pytest.fixture(scope="module")
def on_case(world: World) -> OnCase:
    w, case_id = offender_case(
        world.engine,
        NOW,
        area=BASILDON_AREA,
        prefix="PC-",
        people=(VICTIM, SUSPECT),
        suspect_born=dt.date(1990, 5, 17),
    )
    return OnCase(case_id, w.suspect, w.victim, world.person(dt.date(1985, 1, 1)))


def _cpw(case_id: int, person: int) -> DraftIn:
    return DraftIn(
        power="CPW",
        subject_type="individual",
        person_id=person,
        case_id=case_id,
        issuer="police",
        issuer_rank="constable",
        terms="Stop the gatherings on the stairwell after 9pm.",
        confirmed=CPW_PRE,
    )


def test_the_owner_drafts_and_issues_a_power_on_the_case(world: World, on_case: OnCase) -> None:
    with session_scope(world.engine) as s:
        asb = actor_of(s, "asb.t")
        rec = service.draft(s, actor=asb, file=RULES, data=_cpw(on_case.case_id, on_case.offender))
        service.issue(s, actor=asb, file=RULES, record_id=rec.id, at=NOW - dt.timedelta(days=3))
        rec_id = rec.id
    with session_scope(world.engine) as s:
        found = service.for_case(s, actor=actor_of(s, "asb.t"), case_id=on_case.case_id)
        assert rec_id in [r.id for r in found.records] and found.may_add and found.names
        assert [p.role for p in found.people][:1] == ["offender"]
        assert found.people[0].id == on_case.offender
        lines = s.scalars(
            select(CaseEvent.summary).where(
                CaseEvent.case_id == on_case.case_id, CaseEvent.kind == "power"
            )
        ).all()
        assert f"Community Protection Warning {rec_id} drafted" in lines
        assert any(
            line.startswith(f"Community Protection Warning {rec_id} issued") for line in lines
        )
        created = s.scalars(
            select(AuditEvent).where(
                AuditEvent.event == "powers:record:create", AuditEvent.object_id == str(rec_id)
            )
        ).one()
        assert created.fields["case"] == on_case.case_id
        listed = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.event == "powers:record:list", AuditEvent.object_type == "case")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert listed is not None and listed.object_id == str(on_case.case_id)
        assert on_case.offender in listed.data_subjects and listed.result_count >= 1


def test_the_list_filters_by_state(world: World, on_case: OnCase) -> None:
    with session_scope(world.engine) as s:
        asb = actor_of(s, "asb.t")
        service.draft(s, actor=asb, file=RULES, data=_cpw(on_case.case_id, on_case.offender))
        issued = service.draft(
            s, actor=asb, file=RULES, data=_cpw(on_case.case_id, on_case.offender)
        )
        service.issue(s, actor=asb, file=RULES, record_id=issued.id, at=NOW)
    with session_scope(world.engine) as s:
        asb = actor_of(s, "asb.t")
        drafts = service.for_case(s, actor=asb, case_id=on_case.case_id, state="draft")
        in_force = service.for_case(s, actor=asb, case_id=on_case.case_id, state="in_force")
        every = service.for_case(s, actor=asb, case_id=on_case.case_id)
        assert drafts.records and all(r.state.value == "draft" for r in drafts.records)
        assert in_force.records and all(r.state.value == "issued" for r in in_force.records)
        assert len(every.records) == len(drafts.records) + len(in_force.records)
        with pytest.raises(InvalidInput) as bad:
            service.for_case(s, actor=asb, case_id=on_case.case_id, state="lost")
        assert "state" in bad.value.fields


def test_a_person_not_on_the_case_is_refused(world: World, on_case: OnCase) -> None:
    with session_scope(world.engine) as s, pytest.raises(InvalidInput) as refused:
        service.draft(
            s,
            actor=actor_of(s, "asb.t"),
            file=RULES,
            data=_cpw(on_case.case_id, on_case.stranger),
        )
    assert "person_id" in refused.value.fields
    assert "link the person to case SARA-" in refused.value.fields["person_id"]


def test_others_do_not_see_or_add_the_cases_powers(world: World, on_case: OnCase) -> None:
    with session_scope(world.engine) as s:
        # Partners (the housing provider, a council) hold no grant to see powers at all.
        for who in ("housing.t", "thurrock.t"):
            with pytest.raises(NotPermitted):
                service.for_case(s, actor=actor_of(s, who), case_id=on_case.case_id)
        # An analyst sees cases, not powers.
        with pytest.raises(NotPermitted):
            service.for_case(s, actor=actor_of(s, "analyst.t"), case_id=on_case.case_id)
        # An officer of the force with the powers grant, on a case that does not exist.
        with pytest.raises(NotFound):
            service.for_case(s, actor=actor_of(s, "asb.t"), case_id=on_case.case_id + 1000)

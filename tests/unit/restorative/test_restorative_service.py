"""Restorative referrals against a real store (SQLite and PostgreSQL): both consents before
the work, the Community Remedy's action with the victim's view, withdrawal, feedback, the
figures, scoping and the audit trail."""

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
from asbhub.restorative import queries, service
from asbhub.restorative.schemas import (
    CompleteIn,
    ConsentIn,
    FeedbackIn,
    PlanIn,
    ReferralIn,
    StartIn,
    WithdrawIn,
)
from asbhub.store.engine import session_scope

D = dt.date


@dataclass
class World:
    engine: Engine
    actors: dict[Role, Actor]
    harmed: int
    responsible: int


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    with session_scope(engine) as s:
        actors = {}
        for role in (Role.OFFICER, Role.PARTNER, Role.ANALYST, Role.CALL_HANDLER):
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
        harmed = Person(force_code="essex", forename="Fictia", surname="Harmedworth")
        responsible = Person(force_code="essex", forename="Madeup", surname="Doerson")
        s.add_all([harmed, responsible])
        s.flush()
        # Two incidents naming the responsible person in the year before 1 March 2023.
        for day in (D(2022, 5, 1), D(2023, 1, 10)):
            i = Incident(
                force_code="essex",
                reference=f"INC-{day}",
                channel=Channel.NON_EMERGENCY,
                received_at=dt.datetime.combine(day, dt.time(20)),
                opening_code=IncidentType.ROWDY_INCONSIDERATE,
                local_authority_code="E07000071",
            )
            s.add(i)
            s.flush()
            s.add(
                IncidentPerson(
                    force_code="essex",
                    incident_id=i.id,
                    person_id=responsible.id,
                    role=PersonRole.SUSPECT,
                )
            )
        w = World(engine, actors, harmed.id, responsible.id)
    yield w


def referral(w: World, **kw: Any) -> ReferralIn:
    base: dict[str, Any] = {
        "local_authority_code": "E07000071",
        "kind": "community_remedy",
        "referred_on": "2023-03-01",
        "referring_agency": "Essex Police",
        "summary": "Fictitious: damage to a fence.",
        "harmed": {"name": "Fictia Harmedworth", "person_id": w.harmed},
        "responsible": {"name": "Madeup Doerson", "person_id": w.responsible},
    }
    return ReferralIn.model_validate(base | kw)


def test_a_community_remedy_from_referral_to_feedback(world: World) -> None:
    officer = world.actors[Role.OFFICER]
    with session_scope(world.engine) as s:
        r = service.refer(s, actor=officer, referral=referral(world))
        assert r.status == "referred" and r.menu_version.startswith("essex-pfcc")
        with pytest.raises(InvalidInput) as exc:
            service.start(
                s, actor=officer, referral_id=r.id, body=StartIn(started_on=D(2023, 3, 5))
            )
        assert exc.value.fields == {
            "harmed.consent_on": "the harmed party has not consented",
            "responsible.consent_on": "the responsible party has not consented",
            "facilitator": "name the facilitator first",
        }
        for party, day in (("harmed", D(2023, 3, 2)), ("responsible", D(2023, 3, 3))):
            r = service.consent(
                s, actor=officer, referral_id=r.id, body=ConsentIn(party=party, consent_on=day)
            )
        assert [(p.consent_on, p.consent_recorded_by) for p in r.participants] == [
            (D(2023, 3, 2), "Test officer"),
            (D(2023, 3, 3), "Test officer"),
        ]
        with pytest.raises(InvalidInput) as exc:
            service.plan(
                s,
                actor=officer,
                referral_id=r.id,
                body=PlanIn(facilitator="A Facilitator", method="face_to_face"),
            )
        assert set(exc.value.fields) == {"action_code", "victim_view", "victim_choice_used"}
        with pytest.raises(InvalidInput) as exc:
            parse(
                PlanIn,
                {
                    "facilitator": "A",
                    "method": "letter",
                    "action_code": "apology",
                    "victim_choice_used": False,
                },
            )
        assert "say why it was not (s.102)" in exc.value.fields["not_used_reason"]
        r = service.plan(
            s,
            actor=officer,
            referral_id=r.id,
            body=PlanIn(
                facilitator="A Facilitator",
                method="face_to_face",
                action_code="reparation",
                victim_view="Wants the fence mended.",
                victim_choice_used=True,
            ),
        )
        assert r.action.purposes == ["reparative", "punitive"]
        r = service.start(
            s, actor=officer, referral_id=r.id, body=StartIn(started_on=D(2023, 3, 6))
        )
        r = service.complete(
            s,
            actor=officer,
            referral_id=r.id,
            body=CompleteIn(ended_on=D(2023, 3, 20), outcome="agreement_kept"),
        )
        with pytest.raises(Conflict):
            service.withdraw(
                s,
                actor=officer,
                referral_id=r.id,
                body=WithdrawIn(party="harmed", withdrawn_on=D(2023, 3, 21)),
            )
        for party, ok in (("harmed", True), ("responsible", False)):
            r = service.feedback(
                s, actor=officer, referral_id=r.id, body=FeedbackIn(party=party, satisfied=ok)
            )
        assert r.status == "completed"
        f = queries.restorative_figures(
            s, actor=world.actors[Role.ANALYST], start=D(2022, 4, 1), end=D(2024, 3, 31)
        )
    assert (f.referrals, f.completed) == (1, 1)
    assert (f.satisfaction.responses, f.satisfaction.satisfied_pct) == (2, 50.0)
    # Two incidents in the 12 months before 1 March 2023, none in the 12 after 20 March.
    ro = f.reoffending
    assert (ro.referrals, ro.incidents_before, ro.incidents_after, ro.change_pct) == (
        1,
        2,
        0,
        -100.0,
    )


def test_either_party_may_withdraw_before_the_end(world: World) -> None:
    officer = world.actors[Role.OFFICER]
    with session_scope(world.engine) as s:
        r = service.refer(s, actor=officer, referral=referral(world, kind="restorative_justice"))
        r = service.withdraw(
            s,
            actor=officer,
            referral_id=r.id,
            body=WithdrawIn(party="responsible", withdrawn_on=D(2023, 3, 4)),
        )
        assert r.status == "withdrawn"
        assert [p.withdrawn_on for p in r.participants] == [None, D(2023, 3, 4)]


def test_bad_referrals_are_named(world: World) -> None:
    officer = world.actors[Role.OFFICER]
    with session_scope(world.engine) as s:
        with pytest.raises(InvalidInput) as exc:
            service.refer(
                s,
                actor=officer,
                referral=referral(world, responsible={"name": "Same", "person_id": world.harmed}),
            )
        assert "are the same person" in exc.value.message
        with pytest.raises(InvalidInput) as exc:
            service.refer(s, actor=officer, referral=referral(world, incident_id=999_999))
        assert exc.value.fields == {"incident_id": "no incident 999999"}
        r = service.refer(s, actor=officer, referral=referral(world))
        with pytest.raises(InvalidInput) as exc:
            service.consent(
                s,
                actor=officer,
                referral_id=r.id,
                body=ConsentIn(party="harmed", consent_on=D(2023, 2, 1)),
            )
        assert "consent_on is before referred_on" in exc.value.message
        with pytest.raises(InvalidInput) as exc:
            service.plan(
                s,
                actor=officer,
                referral_id=r.id,
                body=PlanIn(
                    facilitator="F",
                    method="video",
                    action_code="stocks",
                    victim_view="x",
                    victim_choice_used=True,
                ),
            )
        assert "not on the Community Remedy menu" in exc.value.message


def test_scope_names_and_audit(world: World) -> None:
    officer = world.actors[Role.OFFICER]
    with session_scope(world.engine) as s:
        mine = service.refer(s, actor=officer, referral=referral(world))
        other = service.refer(
            s, actor=officer, referral=referral(world, local_authority_code="E06000034")
        )
    partner = world.actors[Role.PARTNER]  # Colchester Council
    with session_scope(world.engine) as s:
        assert [r.reference for r in service.list_referrals(s, actor=partner)] == [mine.reference]
        seen = service.get(s, actor=partner, referral_id=mine.id)
        assert all(p.name.startswith("P-") for p in seen.participants)
        assert seen.summary is None
        with pytest.raises(NotFound):
            service.get(s, actor=partner, referral_id=other.id)
        with pytest.raises(NotPermitted):
            service.get(s, actor=world.actors[Role.CALL_HANDLER], referral_id=mine.id)
        events = s.execute(
            select(AuditEvent.event, AuditEvent.data_subjects)
            .where(
                AuditEvent.object_type == "restorative_referral",
                AuditEvent.object_id == str(mine.id),
            )
            .order_by(AuditEvent.seq)
        ).all()
    assert [e.event for e in events] == ["restorative:referral:create", "restorative:referral:view"]
    assert all(e.data_subjects == sorted([world.harmed, world.responsible]) for e in events)

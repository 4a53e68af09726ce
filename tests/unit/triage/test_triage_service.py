"""The triage services against a real store (SQLite and PostgreSQL): history found through the
indexes, a recorded decision, and the incident's life from new to closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.config import get_settings
from asbhub.errors import Conflict, InvalidInput, NotPermitted
from asbhub.geography.service import to_bng
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatusChange,
    IncidentType,
    Location,
    Person,
    PersonRole,
    PremisesType,
    Qualifier,
)
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope
from asbhub.triage import rules, service
from asbhub.triage.models import TriageAssessment, TriageReview
from asbhub.triage.schemas import CallIn

RULES = rules.load()
NOW = dt.datetime(2026, 6, 15, 12, 0)
LOW = {
    e: {"level": "low"}
    for e in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
}
LON, LAT = 0.9030, 51.8890  # Colchester


@dataclass
class World:
    actors: dict[str, Actor]
    victim: int
    suspect: int
    location: int
    new_incident: int


def _incident(
    s: Session, ref: str, days_ago: float, loc: Location | None, **kw: object
) -> Incident:
    x, y = to_bng([LON], [LAT])
    fields: dict[str, object] = {
        "force_code": "essex",
        "reference": ref,
        "received_at": NOW - dt.timedelta(days=days_ago),
        "channel": Channel.NON_EMERGENCY,
        "opening_code": IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
        "qualifier": Qualifier.PERSONAL,
        "location_id": loc.id if loc else None,
        "longitude": LON,
        "latitude": LAT,
        "x_bng": float(x[0]),
        "y_bng": float(y[0]),
        "district": "Colchester",
        "local_authority_code": "E07000071",
    }
    fields.update(kw)
    i = Incident(**fields)
    s.add(i)
    s.flush()
    return i


def _link(s: Session, incident_id: int, person_id: int, role: PersonRole) -> None:
    s.add(
        IncidentPerson(force_code="essex", incident_id=incident_id, person_id=person_id, role=role)
    )


@pytest.fixture
def world(engine: Engine) -> Iterator[tuple[Engine, World]]:
    with session_scope(engine) as s:
        actors = {}
        for role in (Role.CALL_HANDLER, Role.OFFICER, Role.SUPERVISOR, Role.PARTNER, Role.ANALYST):
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
            actors[role.value] = actor_for(u, settings=get_settings())
        x, y = to_bng([LON], [LAT])
        loc = Location(
            force_code="essex",
            address="12 High Street",
            postcode="CO1 1AA",
            premises_type=PremisesType.RESIDENTIAL,
            longitude=LON,
            latitude=LAT,
            x_bng=float(x[0]),
            y_bng=float(y[0]),
            local_authority_code="E07000071",
        )
        s.add(loc)
        victim = Person(force_code="essex", forename="Testina", surname="Fictitious")
        suspect = Person(force_code="essex", forename="Madeup", surname="Offenderson")
        s.add_all([victim, suspect])
        s.flush()
        for n, days in enumerate((10, 40, 200)):
            i = _incident(s, f"OLD-{n}", days, loc)
            _link(s, i.id, victim.id, PersonRole.VICTIM)
            _link(s, i.id, suspect.id, PersonRole.SUSPECT)
        _incident(s, "COVID-1", 5, loc, covid_breach=True)
        new = _incident(s, "NEW-1", 0.01, loc, channel=Channel.ONLINE)
        s.add(
            IncidentPerson(
                force_code="essex", incident_id=new.id, person_id=victim.id, role=PersonRole.VICTIM
            )
        )
        w = World(actors, victim.id, suspect.id, loc.id, new.id)
    yield engine, w


def call(**kw: object) -> CallIn:
    base: dict[str, object] = {
        "incident_type": "rowdy_nuisance_neighbours",
        "thrive": LOW,
        "received_at": NOW.isoformat(),
    }
    base.update(kw)
    return CallIn.model_validate(base)


def test_history_is_found_by_id_name_address_and_radius(world: tuple[Engine, World]) -> None:
    engine, w = world
    c = call(
        victim={"forename": "TESTINA", "surname": "fictitious"},  # any case
        suspect={"forename": "Madeup", "surname": "Offenderson"},
        location={"address": "12, high st.", "postcode": "co11aa"},
    )
    with session_scope(engine) as s:
        d = service.assess(s, actor=w.actors["call_handler"], call=c, rules=RULES, now=NOW)
        audit = s.execute(
            select(AuditEvent).where(AuditEvent.event == "triage:call:assess")
        ).scalar_one()
    kinds = {r.kind: r for r in d.repeats}
    # OLD-0 (10 days) and OLD-1 (40 days) are in the 3 months; OLD-2 (200 days) is shown only.
    assert [i.reference for i in kinds["victim"].incidents] == ["NEW-1", "OLD-0", "OLD-1", "OLD-2"]
    assert kinds["victim"].incidents[1].matched_by == "name"
    assert kinds["victim"].repeat and kinds["offender"].repeat
    loc = kinds["location"]
    assert {i.reference for i in loc.incidents} == {"NEW-1", "OLD-0", "OLD-1", "OLD-2"}  # no COVID
    assert loc.repeat and {i.matched_by for i in loc.incidents} == {"address"}
    assert d.outcome == "attend"
    assert set(d.always_attend) == {"repeat_location", "identifiable_offender", "repeat_victim"}
    assert d.case_review.local_authority == "E07000071" and d.case_review.eligible
    assert sorted(audit.data_subjects) == sorted([w.victim, w.suspect])


def test_an_older_call_finds_its_own_history_not_what_came_after(
    world: tuple[Engine, World],
) -> None:
    """Assessed as of 150 days ago, the history is what was received before then: the 103
    incidents received since (more than the 100 newest a kind returns) must not push OLD-2
    (200 days ago) out, nor count as earlier."""
    engine, w = world
    with session_scope(engine) as s:
        for n in range(100):
            later = _incident(s, f"LATER-{n}", 100 - n * 0.5, None)
            _link(s, later.id, w.victim, PersonRole.VICTIM)
    then = NOW - dt.timedelta(days=150)
    with session_scope(engine) as s:
        d = service.assess(
            s,
            actor=w.actors["call_handler"],
            call=call(victim={"person_id": w.victim}, received_at=then.isoformat()),
            rules=RULES,
            now=NOW,
        )
    victim = next(r for r in d.repeats if r.kind == "victim")
    assert [i.reference for i in victim.incidents] == ["OLD-2"]
    assert not victim.repeat  # 200 days before NOW is 50 days before the call: 1 + the call


def test_a_point_finds_incidents_within_the_radius(world: tuple[Engine, World]) -> None:
    engine, w = world
    with session_scope(engine) as s:
        d = service.assess(
            s,
            actor=w.actors["call_handler"],
            call=call(location={"longitude": LON + 0.0003, "latitude": LAT}),
            rules=RULES,
            now=NOW,
        )  # ~20 m east
        far = service.assess(
            s,
            actor=w.actors["call_handler"],
            call=call(location={"longitude": LON + 0.003, "latitude": LAT}),
            rules=RULES,
            now=NOW,
        )  # ~200 m
    near = next(r for r in d.repeats if r.kind == "location")
    assert near.repeat and {i.matched_by for i in near.incidents} == {"radius"}
    assert next(r for r in far.repeats if r.kind == "location").incidents == []


def test_roles_without_triage_are_refused(world: tuple[Engine, World]) -> None:
    engine, w = world
    with session_scope(engine) as s, pytest.raises(NotPermitted):
        service.assess(s, actor=w.actors["analyst"], call=call(), rules=RULES, now=NOW)


def _counts(engine: Engine, incident_id: int) -> tuple[int, int, str]:
    with session_scope(engine) as s:
        a = s.execute(
            select(func.count()).where(TriageAssessment.incident_id == incident_id)
        ).scalar_one()
        h = s.execute(
            select(func.count()).where(IncidentStatusChange.incident_id == incident_id)
        ).scalar_one()
        st = s.get(Incident, (incident_id, "essex"))
        assert st is not None
        return int(a), int(h), st.status.value


def test_refusals_store_nothing(world: tuple[Engine, World]) -> None:
    engine, w = world
    handler = w.actors["call_handler"]
    medium = call(victim={"person_id": w.victim}, answers={"q3": "yes", "q8": "yes", "q9": "yes"})
    with pytest.raises(InvalidInput) as e, session_scope(engine) as s:
        service.record_triage(
            s, actor=handler, incident_id=w.new_incident, call=medium, rules=RULES, now=NOW
        )
    # The victim has reported three times in six months: the caller must be told of the review.
    assert set(e.value.fields) == {"case_review_informed", "spoc"}
    assert _counts(engine, w.new_incident) == (0, 0, "new")
    with pytest.raises(InvalidInput) as e, session_scope(engine) as s:
        c = medium.model_copy(update={"case_review_informed": True, "spoc": "nobody"})
        service.record_triage(
            s, actor=handler, incident_id=w.new_incident, call=c, rules=RULES, now=NOW
        )
    assert list(e.value.fields) == ["spoc"]
    assert _counts(engine, w.new_incident) == (0, 0, "new")


def test_from_new_to_closed_every_step_kept(world: tuple[Engine, World]) -> None:
    engine, w = world
    handler, officer, sup = (w.actors[r] for r in ("call_handler", "officer", "supervisor"))
    c = call(
        victim={"person_id": w.victim},
        answers={"q3": "yes", "q8": "yes", "q9": "yes"},
        case_review_informed=True,
        spoc="officer",
        override={"level": "medium", "reason": "keeps it at medium"},
    )
    with session_scope(engine) as s:
        out = service.record_triage(
            s, actor=handler, incident_id=w.new_incident, call=c, rules=RULES, now=NOW
        )
    assert out.status == "triaged" and out.seq == 1
    assert out.decision.risk.level == "medium" and out.decision.outcome == "attend"
    with session_scope(engine) as s:
        a = s.execute(select(TriageAssessment)).scalar_one()
        assert (a.risk_version, a.case_review_version) == (
            RULES.risk.version,
            RULES.case_review.version,
        )
        assert a.case_review_informed and a.spoc_name == "Test officer"
        reviews = s.execute(select(TriageReview).order_by(TriageReview.due_on)).scalars().all()
        assert [(r.rank.value, r.due_on) for r in reviews] == [
            ("sergeant", dt.date(2026, 7, 13)),
            ("inspector", dt.date(2026, 8, 10)),
        ]
        queue = service.review_queue(s, actor=sup, today=dt.date(2026, 7, 14))
        assert [(q.reference, q.rank.value, q.overdue) for q in queue] == [
            ("NEW-1", "sergeant", True)
        ]
        life = service.record_review(
            s,
            actor=sup,
            review_id=queue[0].review_id,
            note="plan in place",
            now=dt.datetime(2026, 7, 14, 9),
        )
        assert [str(r.due_on) for r in life.open_reviews] == ["2026-08-10", "2026-08-11"]
    with session_scope(engine) as s:
        service.assign(s, actor=handler, incident_id=w.new_incident, assignee="officer", now=NOW)
        mine = service.assigned_to_me(s, actor=officer)
        assert [(m.reference, m.risk_level) for m in mine] == [("NEW-1", "medium")]
        with pytest.raises(InvalidInput):
            service.attend(
                s,
                actor=officer,
                incident_id=w.new_incident,
                attended_at=NOW - dt.timedelta(days=3),
                now=NOW,
            )
        service.attend(
            s,
            actor=officer,
            incident_id=w.new_incident,
            attended_at=NOW + dt.timedelta(minutes=1),
            now=NOW + dt.timedelta(hours=1),
        )
        with pytest.raises(InvalidInput) as e:
            service.close(
                s,
                actor=officer,
                incident_id=w.new_incident,
                closing_code=IncidentType.NOISE,
                qualifier=Qualifier.NUISANCE,
                qualifier_confirmed=False,
                reason="words of advice",
            )
        assert "qualifier_confirmed" in e.value.fields
        life = service.close(
            s,
            actor=officer,
            incident_id=w.new_incident,
            closing_code=IncidentType.NOISE,
            qualifier=Qualifier.NUISANCE,
            qualifier_confirmed=True,
            reason="words of advice",
            now=NOW + dt.timedelta(hours=2),
        )
    assert life.status == "closed" and life.allowed == [
        "reclassify"
    ]  # only a correction of the record
    assert [(h.event, h.from_status, h.to_status, h.by) for h in life.history] == [
        ("triage", "new", "triaged", "Test call_handler"),
        ("assign", "triaged", "assigned", "Test call_handler"),
        ("attend", "assigned", "assigned", "Test officer"),
        ("close", "assigned", "closed", "Test officer"),
    ]
    closing = life.history[-1]
    assert closing.reason == "words of advice"
    assert (
        closing.details["opening_code"] == "rowdy_nuisance_neighbours"
        and closing.details["reclassified"]
    )
    assert life.open_reviews == []
    with session_scope(engine) as s:
        i = s.get(Incident, (w.new_incident, "essex"))
        assert i is not None and i.closing_code is IncidentType.NOISE and i.attended
        assert i.opening_code is IncidentType.ROWDY_NUISANCE_NEIGHBOURS
        assert service.assigned_to_me(s, actor=officer) == []
        with pytest.raises(Conflict):
            service.attend(
                s,
                actor=officer,
                incident_id=w.new_incident,
                attended_at=NOW,
                now=NOW + dt.timedelta(hours=3),
            )


def test_referral_and_phone_resolution_move_the_status(world: tuple[Engine, World]) -> None:
    engine, w = world
    with session_scope(engine) as s:
        i = _incident(
            s, "NOISE-1", 0.01, None, longitude=None, latitude=None, x_bng=None, y_bng=None
        )
        j = _incident(
            s, "ROWDY-1", 0.01, None, longitude=None, latitude=None, x_bng=None, y_bng=None
        )
    with session_scope(engine) as s:
        out = service.record_triage(
            s,
            actor=w.actors["call_handler"],
            incident_id=i.id,
            call=call(incident_type="noise"),
            rules=RULES,
            now=NOW,
        )
        assert (out.status, out.decision.partner) == ("referred", "environmental_health")
        out = service.record_triage(
            s, actor=w.actors["call_handler"], incident_id=j.id, call=call(), rules=RULES, now=NOW
        )
        assert out.status == "resolved"
        again = service.record_triage(
            s, actor=w.actors["officer"], incident_id=j.id, call=call(), rules=RULES, now=NOW
        )
        assert (again.seq, again.status) == (2, "resolved")  # a re-THRIVE keeps the status


def test_a_lowering_override_needs_a_supervisor(world: tuple[Engine, World]) -> None:
    engine, w = world
    c = call(
        answers={"q10": "yes"},
        override={"level": "standard", "reason": "damage was accidental"},
        spoc="officer",
    )
    with session_scope(engine) as s:
        handler = service.assess(s, actor=w.actors["call_handler"], call=c, rules=RULES, now=NOW)
        sup = service.assess(s, actor=w.actors["supervisor"], call=c, rules=RULES, now=NOW)
    assert handler.risk.level == "high" and handler.risk.override is not None
    assert sup.risk.level == "standard"

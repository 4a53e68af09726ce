"""One way to record an incident: the public form, a chat conversion and an export import all
store the same rows through ``incidents.service.record_incident`` (or its bulk form)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from asbhub.audit.models import AuditEvent
from asbhub.contact.schemas import validate_chat_incident, validate_report
from asbhub.contact.service import (
    chat_to_incident,
    client_key,
    create_online_report,
    start_chat,
    take_chat,
)
from asbhub.errors import InvalidInput, NotPermitted
from asbhub.incidents import events
from asbhub.incidents.models import Channel, Incident, IncidentPerson, Location, Person
from asbhub.incidents.schemas import NewIncident
from asbhub.incidents.service import record_incident
from asbhub.ingest.incidents import ingest_incidents
from asbhub.permissions import Action, Actor, Role
from asbhub.store.engine import session_scope
from factories import new_incident, staff_actor

T = dt.datetime(2025, 3, 14, 18, 0)
PLACE = "12 Fictional Way, Basildon"
SUMMARY = "Loud music from a flat until 3am (fictitious)."
CALLER = {"forename": "Fictio", "surname": "Testperson", "phone": "07700 900982"}


def _handler(engine: Engine) -> Actor:
    return staff_actor(engine, "handler.r", display_name="Handler R")


def _online(engine: Engine) -> int:
    form = {
        "what": "noise",
        "description": SUMMARY,
        "place": PLACE,
        "area": "E07000066",  # Basildon
        "when-day": "14",
        "when-month": "3",
        "when-year": "2025",
        "time": "02:10",
        "ongoing": "no",
        "impact": "No sleep",
        "targeted": "no",
        "contact": "details",
        **CALLER,
        "consent": "yes",
    }
    report = validate_report(form, now=T, force_code="essex")
    with session_scope(engine) as s:
        stored = create_online_report(
            s, report=report, force_code="essex", client=client_key("ip", "k"), rate_limit=5, now=T
        )
    return stored.incident_id


def _chat(engine: Engine) -> int:
    handler = _handler(engine)
    details = validate_chat_incident(
        {
            "incident_type": "noise",
            "qualifier": "nuisance",
            "place": PLACE,
            "summary": SUMMARY,
            "area": "E07000066",
            **CALLER,
        },
        force_code="essex",
    )
    with session_scope(engine) as s:
        chat, _ = start_chat(s, force_code="essex", display_name="F", topic="music", now=T)
        take_chat(s, actor=handler, chat=chat, now=T + dt.timedelta(minutes=1))
        incident = chat_to_incident(
            s, actor=handler, chat=chat, details=details, now=T + dt.timedelta(minutes=5)
        )
        return incident.id


def _imported(engine: Engine, tmp_path: Path) -> int:
    record = {
        "reference": "EXP-000001",
        "received_at": T.isoformat(),
        "channel": "101",
        "opening_code": "noise",
        "qualifier": "nuisance",
        "location_text": PLACE,
        "narrative": SUMMARY,
        "people": [{"role": "caller", **CALLER}],
    }
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(record) + "\n")
    report = ingest_incidents(engine, path, force_code="essex")
    assert report.inserted == 1, report.messages()
    with session_scope(engine) as s:
        return s.scalars(select(Incident.id).where(Incident.reference == "EXP-000001")).one()


def _stored(engine: Engine, incident_id: int) -> dict[str, Any]:
    skip = {"id", "reference", "channel", "created_at"}
    with session_scope(engine) as s:
        inc = s.get_one(Incident, (incident_id, "essex"))
        row = {c.key: getattr(inc, c.key) for c in Incident.__table__.columns if c.key not in skip}
        links = s.execute(
            select(IncidentPerson.role, Person.forename, Person.surname, Person.phone, Person.email)
            .join(Person, Person.id == IncidentPerson.person_id)
            .where(IncidentPerson.incident_id == incident_id)
        ).all()
        loc = s.get_one(Location, (inc.location_id, "essex")) if inc.location_id else None
        row["people"] = sorted(tuple(link) for link in links)
        row["location"] = (
            (loc.address, loc.premises_type, loc.x_bng, loc.district, loc.lsoa_code)
            if loc
            else None
        )
        row.pop("location_id")
        return row


def test_form_chat_and_import_store_identical_rows(engine: Engine, tmp_path: Path) -> None:
    seen: list[events.IncidentsRecorded] = []
    with events.subscribed(lambda _conn, event: seen.append(event)):
        online, chat, imported = _online(engine), _chat(engine), _imported(engine, tmp_path)
    rows = [_stored(engine, i) for i in (online, chat, imported)]
    # The form and the chat name their council area (no point); the export row names none.
    areas = [(r.pop("district"), r.pop("local_authority_code")) for r in rows]
    assert areas == [("Basildon", "E07000066")] * 2 + [(None, None)]
    assert rows[0] == rows[1] == rows[2]
    assert len(rows[0]["people"]) == 1
    assert rows[0]["location"] == (PLACE, "other", None, None, None)
    assert rows[0]["narrative"] == SUMMARY and rows[0]["received_at"] == T
    with session_scope(engine) as s:
        channels = [s.get_one(Incident, (i, "essex")).channel for i in (online, chat, imported)]
        audited = s.scalars(
            select(AuditEvent.event)
            .where(AuditEvent.object_type == "incident")
            .order_by(AuditEvent.seq)
        ).all()
    assert channels == [Channel.ONLINE, Channel.LIVE_CHAT, Channel.NON_EMERGENCY]
    assert audited == ["public:report:create", "contact:chat:convert", "ingest:incidents:load"]
    assert [(e.source, e.incident_ids) for e in seen] == [
        ("online", (online,)),
        ("live_chat", (chat,)),
        ("import", (imported,)),
    ]


def test_recording_assigns_reference_areas_and_location(engine: Engine) -> None:
    incident = NewIncident(
        received_at=T,
        channel=Channel.NON_EMERGENCY,
        opening_code="noise",  # type: ignore[arg-type]
        location_text="1 Test Road, Chelmsford",
        longitude=0.4691,
        latitude=51.7356,
    )
    handler = _handler(engine)
    with session_scope(engine) as s:
        stored = record_incident(
            s,
            actor=handler,
            incident=incident,
            force_code="essex",
            permission=Action.CONTACT_CHAT_CONVERT,
            source="test",
            reference_prefix="TST",
            now=T,
        )
        inc = s.get_one(Incident, (stored.incident_id, "essex"))
        loc = s.get_one(Location, (stored.location_id, "essex"))
    assert stored.reference.startswith("TST-250314-") and inc.reference == stored.reference
    assert inc.district == "Chelmsford & Maldon" and inc.local_authority_code == "E07000070"
    assert inc.lsoa_code is not None and inc.x_bng is not None
    assert (loc.district, loc.local_authority_code, loc.lsoa_code) == (
        inc.district,
        inc.local_authority_code,
        inc.lsoa_code,
    )


def test_recording_checks_permission_and_place_before_writing(engine: Engine) -> None:
    analyst = Actor(1, "a", "A", Role.ANALYST, force_code="essex")
    with session_scope(engine) as s, pytest.raises(NotPermitted):
        record_incident(
            s,
            actor=analyst,
            incident=new_incident(),
            force_code="essex",
            permission=Action.CONTACT_CHAT_CONVERT,
            source="test",
        )
    outside_essex = new_incident(longitude=-1.9, latitude=52.48)
    with session_scope(engine) as s, pytest.raises(InvalidInput) as err:
        record_incident(
            s,
            actor=None,
            incident=outside_essex,
            force_code="essex",
            permission=Action.PUBLIC_REPORT_CREATE,
            source="online",
            within_force=True,
        )
    assert "longitude" in err.value.fields
    with session_scope(engine) as s:
        assert s.scalars(select(Incident.id)).all() == []


def test_a_failing_subscriber_stores_nothing(engine: Engine) -> None:
    def refuse(_conn: object, _event: events.IncidentsRecorded) -> None:
        raise RuntimeError("triage is down")

    incident = new_incident()
    with events.subscribed(refuse), pytest.raises(RuntimeError), session_scope(engine) as s:
        record_incident(
            s,
            actor=None,
            incident=incident,
            force_code="essex",
            permission=Action.PUBLIC_REPORT_CREATE,
            source="online",
        )
    with session_scope(engine) as s:
        assert s.scalars(select(Incident.id)).all() == []

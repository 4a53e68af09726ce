"""The co-location checker (tests/colocation.py) on statements that must pass and must fail.

The suite-wide check (tests/conftest.py) is only as good as this: a checker that passed
everything would let the whole PostgreSQL half of the suite through.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, event, select, update

from asbhub.contact.models import Chat
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentType,
    Person,
    PersonRole,
)
from asbhub.store.engine import session_scope
from asbhub.store.registry import load_all
from colocation import LOCAL_TABLES, NOT_DISTRIBUTED, REFERENCE_TABLES, violations

SCOPED = frozenset({"incidents", "people", "incident_people", "chats", "chat_messages"})

ROUTED = [
    "SELECT incidents.id FROM incidents WHERE incidents.force_code = %(f)s AND incidents.id = 1",
    "SELECT people.id FROM people JOIN incident_people ON people.id = incident_people.person_id "
    "AND people.force_code = incident_people.force_code "
    "WHERE incident_people.force_code IN (%(f_1)s)",
    "SELECT count(*) FROM (SELECT incidents.id FROM incidents "
    "WHERE incidents.force_code = %(f)s LIMIT 10001) AS anon_1",
    "UPDATE incidents SET status=%(s)s "
    "WHERE incidents.id = %(id)s AND incidents.force_code = %(f)s",
    "DELETE FROM chats WHERE force_code = %(f)s AND id = %(id)s",
    "INSERT INTO incidents (force_code, reference) VALUES (%(f)s, %(r)s) RETURNING incidents.id",
    "SELECT i.id FROM incidents AS i WHERE i.force_code = 'essex'",
    "SELECT areas.code FROM areas WHERE areas.level = %(l)s",  # a reference table
    "SELECT pg_advisory_xact_lock(%(k)s)",
    # The unit of work's writes and loads by the ORM's key, (id, force_code).
    "UPDATE chats SET status=%(status)s "
    "WHERE chats.id = %(chats_id)s::INTEGER AND chats.force_code = %(chats_force_code)s",
    "DELETE FROM incident_people WHERE incident_people.id = %(id)s::INTEGER "
    "AND incident_people.force_code = %(force_code)s",
    "SELECT chats.id FROM chats WHERE %(param_1)s = chats.incident_id "
    "AND %(param_2)s = chats.force_code",
    "SELECT incident_people.id FROM incident_people "
    "WHERE (incident_people.incident_id, incident_people.force_code) IN "
    "(VALUES (%(p_1)s, %(p_2)s))",
]

UNROUTED = [
    ("SELECT incidents.id FROM incidents WHERE incidents.id = %(pk_1)s", "incidents"),
    (
        "SELECT people.id FROM people, incident_people WHERE %(p)s = incident_people.incident_id "
        "AND people.id = incident_people.person_id AND people.force_code = %(f)s",
        "incident_people",
    ),
    ("UPDATE chats SET status=%(s)s WHERE chats.id = %(id_1)s", "chats"),
    # A flush by ``id`` alone, as the ORM wrote before the force joined its key.
    ("UPDATE chats SET status=%(status)s WHERE chats.id = %(chats_id)s::INTEGER", "chats"),
    ("DELETE FROM incident_people WHERE incident_people.id = %(id)s::INTEGER", "incident_people"),
    (
        "SELECT incident_people.id FROM incident_people "
        "WHERE (incident_people.incident_id, incident_people.role) IN ((%(p_1)s, %(p_2)s))",
        "incident_people",
    ),
    ("DELETE FROM chat_messages WHERE chat_messages.chat_id = %(c)s", "chat_messages"),
    (
        "INSERT INTO people (force_code, forename) SELECT people.force_code, people.forename "
        "FROM people WHERE people.id = %(id)s",
        "people",
    ),
    (
        "SELECT c.id FROM chats AS c JOIN chat_messages AS m ON m.chat_id = c.id "
        "WHERE c.force_code = %(f)s",
        "chat_messages",
    ),
]


@pytest.mark.parametrize("sql", ROUTED)
def test_statements_that_name_their_force_pass(sql: str) -> None:
    assert violations(sql, "here.py:1", SCOPED) == []


@pytest.mark.parametrize(("sql", "table"), UNROUTED)
def test_statements_that_do_not_are_caught(sql: str, table: str) -> None:
    found = violations(sql, "here.py:1", SCOPED)
    assert [v.table for v in found] == [table]
    assert "here.py:1" in str(found[0])


def test_every_table_with_a_force_is_placed() -> None:
    """A table with a force_code is distributed, and then the ORM knows its rows by
    (id, force_code), so its own writes and loads name the force; or it is classified, with
    its reason, as a reference or coordinator-local table."""
    base = load_all()
    tables = {t.name: t for t in base.metadata.tables.values()}
    assert all("force_code" in tables[name].c for name in NOT_DISTRIBUTED)
    assert not set(REFERENCE_TABLES) & set(LOCAL_TABLES)
    assert all(why.strip() for why in [*REFERENCE_TABLES.values(), *LOCAL_TABLES.values()])
    keyed = {m.local_table.name: m for m in base.registry.mappers}
    for name, table in tables.items():
        if "force_code" not in table.c or name in NOT_DISTRIBUTED:
            continue
        assert table.c.force_code in keyed[name].primary_key, name


def test_the_orm_names_the_force_in_what_it_sends_by_itself(engine: Engine) -> None:
    """Flushes, loads by key and lazy loads of a real session, each checked as the suite
    checks every statement; a Core update by id alone is the counter-example."""
    sent: list[str] = []

    def note(_c: object, _cur: object, statement: str, *_a: object) -> None:
        sent.append(statement)

    scoped = frozenset({"incidents", "people", "incident_people", "chats"})
    with session_scope(engine) as s:
        incident = Incident(
            force_code="essex", reference="CO-1", received_at=dt.datetime(2024, 5, 1),
            channel=Channel.NON_EMERGENCY, opening_code=IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
        )  # fmt: skip
        person = Person(force_code="essex", forename="Testina", surname="Fictitious")
        link = IncidentPerson(
            force_code="essex", incident=incident, person=person, role=PersonRole.VICTIM
        )
        s.add_all([incident, person, link])
        s.flush()
        incident_id = incident.id
    event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(engine) as s:
            got = s.get(Incident, (incident_id, "essex"))
            assert got is not None and got.reference == "CO-1"
            assert [p.person.surname for p in got.people] == ["Fictitious"]
            got.narrative = "Changed"
            s.flush()
            s.delete(got.people[0])
            s.flush()
            assert s.get(Incident, (incident_id, "west-yorkshire")) is None
        with session_scope(engine) as s:
            s.execute(update(Incident).where(Incident.id == incident_id).values(narrative="x"))
            s.scalars(select(Chat).where(Chat.force_code == "essex")).all()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    found = [v for sql in sent for v in violations(sql, "here.py:1", scoped)]
    assert [v.table for v in found] == ["incidents"]
    assert "narrative" in found[0].statement

"""The co-location checker (tests/colocation.py) on statements that must pass and must fail.

The suite-wide check (tests/conftest.py) is only as good as this: a checker that passed
everything would let the whole PostgreSQL half of the suite through.
"""

from __future__ import annotations

import pytest

from colocation import violations

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
    # The unit of work's writes by primary key (named by the key once it is (force_code, id)).
    "UPDATE chats SET status=%(status)s WHERE chats.id = %(chats_id)s::INTEGER",
    "DELETE FROM incident_people WHERE incident_people.id = %(id)s::INTEGER",
]

UNROUTED = [
    ("SELECT incidents.id FROM incidents WHERE incidents.id = %(pk_1)s", "incidents"),
    (
        "SELECT people.id FROM people, incident_people WHERE %(p)s = incident_people.incident_id "
        "AND people.id = incident_people.person_id AND people.force_code = %(f)s",
        "incident_people",
    ),
    ("UPDATE chats SET status=%(s)s WHERE chats.id = %(id_1)s", "chats"),
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

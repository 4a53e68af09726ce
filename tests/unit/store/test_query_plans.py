"""Every read the staff screens, triage, the board and the hotspot map make has an index on
PostgreSQL: each statement they run is explained with sequential scans priced out of reach, and
a sequential scan left on a large table means no index serves it. Radius reads go through
PostGIS's point index (CI's PostgreSQL has the extension: .ci/run installs it), and a read
that names a month touches only that month's partition.

The store is small (three generated months, one month of public records), so the planner is
told to avoid sequential scans rather than trusted to prefer indexes on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # benchmarks/, beside src/

from benchmarks.triage import sample_calls

from asbhub.analytics.cli import cli_actor
from asbhub.analytics.service import dashboard, kpi_report
from asbhub.contact.counts import channel_counts
from asbhub.generate.service import generate
from asbhub.hotspots.events import load_public_records
from asbhub.incidents import service as incidents
from asbhub.incidents.schemas import IncidentFilters
from asbhub.ingest.police_uk import ingest_police_uk
from asbhub.permissions import Role
from asbhub.store.engine import make_engine, session_scope
from asbhub.triage import rules as triage_rules
from asbhub.triage import service as triage
from asbhub.triage.schemas import CallIn
from factories import staff_actor

PG_ENV = "ASBHUB_TEST_POSTGRES_URL"
# Tables that grow with the force's history; a sequential scan of any of them is a finding.
LARGE = {
    "incidents",
    "incident_people",
    "people",
    "locations",
    "triage_assessments",
    "public_records",
    "audit_events",
}
FILTERS: list[dict[str, Any]] = [
    {},
    {"district": "Basildon"},
    {"district": "Colchester", "date_from": "2020-05-01", "date_to": "2020-05-31"},
    {"local_authority": "E07000066", "type": "noise"},
    {"channel": "999", "date_from": "2020-06-01", "date_to": "2020-06-30"},
    {"qualifier": "personal", "attended": False},
    {"covid": True, "district": "Basildon"},
]


@pytest.fixture(scope="module")
def pg(_pg_template: str | None, shared_data: Path) -> Iterator[Engine]:
    """One PostgreSQL store for the module: April-June 2020 generated, January 2025 of Essex's
    public records, analysed."""
    if _pg_template is None:
        pytest.skip(f"{PG_ENV} is not set")
    base = os.environ[PG_ENV]
    name = f"asbhub_plans_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    engine = make_engine(make_url(base).set(database=name).render_as_string(False))
    generate(engine, force_code="essex", start="2020-04", end="2020-06", seed=4)
    report = ingest_police_uk(
        engine, [shared_data / "police-uk" / "2025-01" / "2025-01-essex-street.csv"]
    )
    assert report.inserted > 10_000, [vars(r) for r in report.results]
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _statements(engine: Engine, work: Callable[[], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(engine: Engine, sql: str, params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        raw = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar_one()
        conn.rollback()
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return list(_nodes(plan[0]["Plan"]))


def _parent(relation: str) -> str:
    """``public_records_y2025m01`` -> ``public_records``."""
    for table in LARGE:
        if relation == table or relation.startswith(f"{table}_"):
            return table
    return relation


def _unindexed(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    found = []
    for sql, params in statements:
        for node in _plan(engine, sql, params):
            relation = node.get("Relation Name", "")
            if node["Node Type"] == "Seq Scan" and _parent(relation) in LARGE:
                found.append(f"{relation}: {' '.join(sql.split())[:300]}")
    return found


def test_the_incident_list_filters_use_indexes(pg: Engine) -> None:
    officer = staff_actor(pg, "officer.plans", Role.OFFICER, "Officer Plans")

    def work() -> None:
        for shape in FILTERS:
            with session_scope(pg) as s:
                page = incidents.list_incidents(
                    s, actor=officer, filters=IncidentFilters.model_validate(shape)
                )
                if page.next_cursor:
                    incidents.list_incidents(
                        s,
                        actor=officer,
                        filters=IncidentFilters.model_validate(shape),
                        after=page.next_cursor,
                    )

    statements = _statements(pg, work)
    assert len(statements) >= len(FILTERS)
    assert _unindexed(pg, statements) == []


def test_triage_repeats_use_indexes_and_the_radius_uses_postgis(pg: Engine) -> None:
    url = pg.url.render_as_string(hide_password=False)
    calls, _ = sample_calls(url, 4, force_code="essex")
    handler = staff_actor(pg, "handler.plans", Role.CALL_HANDLER, "Handler Plans")
    ruleset = triage_rules.load()

    def work() -> None:
        for call in calls:
            with session_scope(pg) as s:
                triage.assess(s, actor=handler, call=CallIn.model_validate(call), rules=ruleset)

    statements = _statements(pg, work)
    assert _unindexed(pg, statements) == []
    radius = [(sql, p) for sql, p in statements if "ST_DWithin" in sql]
    assert radius, "the repeat-location read did not use PostGIS"
    used = {n.get("Index Name") for sql, p in radius for n in _plan(pg, sql, p)}
    assert "ix_incidents_bng_point" in used


def test_near_uses_the_point_index(pg: Engine) -> None:
    officer = staff_actor(pg, "officer.near", Role.OFFICER, "Officer Near")

    def work() -> None:
        with session_scope(pg) as s:
            incidents.incidents_near(s, actor=officer, longitude=0.47, latitude=51.73, radius=500)

    statements = _statements(pg, work)
    assert _unindexed(pg, statements) == []
    used = {n.get("Index Name") for sql, p in statements for n in _plan(pg, sql, p)}
    assert "ix_incidents_bng_point" in used


def test_board_figures_use_indexes(pg: Engine) -> None:
    actor = cli_actor("essex")
    end = dt.date(2021, 3, 31)

    def work() -> None:
        with session_scope(pg) as s:
            kpi_report(s, actor=actor, period_end=end, years=2)
            dashboard(s, actor=actor)
            channel_counts(s, actor=actor, start=dt.date(2020, 4, 1), end=end)

    statements = _statements(pg, work)
    assert statements
    assert _unindexed(pg, statements) == []


def test_hotspot_reads_use_indexes_and_touch_only_their_months(pg: Engine) -> None:
    statements = _statements(pg, lambda: load_public_records(pg, "essex"))
    assert len(statements) == 3
    assert _unindexed(pg, statements) == []
    with pg.connect() as conn:
        parts = conn.execute(
            text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                 "WHERE i.inhparent = 'public_records'::regclass ORDER BY 1")
        ).scalars().all()  # fmt: skip
    assert parts == ["public_records_default", "public_records_y2025m01"]
    # A read of one month is pruned to that month's partition.
    plan = _plan(
        pg,
        "SELECT count(*) FROM public_records WHERE force_code = %(f)s AND month = %(m)s",
        {"f": "essex", "m": dt.date(2025, 1, 1)},
    )
    assert {n["Relation Name"] for n in plan if "Relation Name" in n} == {"public_records_y2025m01"}

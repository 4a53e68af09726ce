"""After a bulk load the planner has committed statistics, and the incident list uses its index.

PostgreSQL's statistics are transactional: an ANALYZE inside a rolled-back transaction leaves
none, and the planner then guesses (issue 21 measured a filtered list at 195 ms p95 instead of
10 ms). Each loader runs ANALYZE after its commit; these tests read the catalogues afterwards,
from a new connection, so only committed statistics count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.incidents import service as incidents
from asbhub.incidents.schemas import IncidentFilters
from asbhub.permissions import Actor, Role
from asbhub.store.engine import make_engine, session_scope, upgrade
from factories import staff_actor

runner = CliRunner()


def _analysed(engine: Engine, table: str) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            stat = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name='sqlite_stat1'")
            )
            if not stat.scalar_one():
                return False
            q = text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t")
        else:
            q = text("SELECT count(*) FROM pg_stats WHERE tablename = :t")
        return bool(conn.execute(q, {"t": table}).scalar_one())


def _list_sql(
    engine: Engine, filters: IncidentFilters, officer: Actor | None = None
) -> list[tuple[str, Any]]:
    """The statements the incident list runs for ``filters``, with their parameters."""
    seen: list[tuple[str, Any]] = []
    officer = officer or staff_actor(engine, "officer.a", Role.OFFICER, "Officer A")

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM incidents" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with session_scope(engine) as s:
            incidents.list_incidents(s, actor=officer, filters=filters, with_count=False)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


def test_generate_leaves_committed_statistics_and_an_indexed_list(db_url: str) -> None:
    engine = make_engine(db_url)
    assert not _analysed(engine, "incidents")  # a fresh store has none: the check can fail
    result = runner.invoke(
        app,
        ["generate", "--force", "essex", "--from", "2020-04", "--to", "2020-06", "--seed", "3",
         "--db", db_url, "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["incidents"] > 10_000
    for table in ("incidents", "incident_people", "people", "locations"):
        assert _analysed(engine, table), table

    filters = IncidentFilters.model_validate(
        {"district": "Basildon", "date_from": "2020-05-01", "date_to": "2020-05-31"}
    )
    statements = _list_sql(engine, filters)
    assert statements, "the list ran no SELECT on incidents"
    sql, params = statements[0]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            )
            assert "USING INDEX ix_incidents_force_district_received" in plan, plan
        else:
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
            assert "ix_incidents_force_district_received" in plan, plan
            assert "Seq Scan on incidents" not in plan, plan
    engine.dispose()


def test_an_import_of_incidents_analyses_what_it_loaded(db_url: str, tmp_path: Path) -> None:
    rows = ["reference,received_at,channel,opening_code,qualifier,longitude,latitude"]
    rows += [
        f"EXP-{i:05d},2024-03-{1 + i % 28:02d}T10:00:00,999,noise,nuisance,0.47,51.73"
        for i in range(300)
    ]
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    engine = make_engine(db_url)
    result = runner.invoke(
        app, ["ingest", "incidents", str(export), "--force", "essex", "--db", db_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert _analysed(engine, "incidents")
    with engine.connect() as conn:
        n = conn.execute(select(text("count(*)")).select_from(text("incidents"))).scalar_one()
    assert n == 300
    engine.dispose()


def test_a_police_uk_load_analyses_public_records(db_url: str, shared_data: Path) -> None:
    month = shared_data / "police-uk" / "2025-01" / "2025-01-staffordshire-street.csv"
    engine = make_engine(db_url)
    assert not _analysed(engine, "public_records")
    result = runner.invoke(app, ["ingest", "police-uk", str(month), "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inserted"] > 5_000
    assert _analysed(engine, "public_records")
    engine.dispose()


def test_the_qualifier_index_arrives_with_statistics(tmp_path: Path) -> None:
    """Migration 0021 adds (force, qualifier, received_at) to a store that has statistics for
    its other indexes: without renewing them, SQLite's planner took the new index for an
    unfiltered list too and sorted the whole force."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0020")
    qualifiers = ["nuisance"] * 6 + ["environmental"] * 3 + ["personal"]
    rows = ["reference,received_at,channel,opening_code,qualifier,longitude,latitude"]
    rows += [
        f"EXP-{i:05d},2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00,999,noise,"
        f"{qualifiers[i % 10]},0.47,51.73"
        for i in range(3000)
    ]
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["ingest", "incidents", str(export), "--force", "essex", "--db", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert _analysed(engine, "incidents")
    upgrade(engine)
    officer = staff_actor(engine, "officer.a", Role.OFFICER, "Officer A")

    def plan(filters: dict[str, str]) -> str:
        sql, params = _list_sql(engine, IncidentFilters.model_validate(filters), officer)[0]
        with engine.connect() as conn:
            found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(r[-1]) for r in found)

    everything = plan({})
    assert "ix_incidents_force_received" in everything, everything
    assert "TEMP B-TREE" not in everything, everything
    personal = plan({"qualifier": "personal", "attended": "false"})
    assert "ix_incidents_force_qualifier_received" in personal, personal
    engine.dispose()

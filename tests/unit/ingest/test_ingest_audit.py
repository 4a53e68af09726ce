"""Ingest runs from the command line are audited as the system actor, with their counts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from test_ingest_incidents import VICTIM, incident, write_jsonl
from typer.testing import CliRunner

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.cli import app
from asbhub.store.engine import session_scope
from conftest import WriteCsv, police_row

runner = CliRunner()


def _events(engine: Engine, event: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.event == event)).all()
        assert verify(s).intact
        return list(rows)


def test_police_uk_run_is_audited_as_the_job(
    engine: Engine, db_url: str, write_csv: WriteCsv
) -> None:
    good = [police_row(crime_id=f"c{i}") for i in range(3)]
    path = write_csv("2025-01-essex-street.csv", [*good, police_row(month="2025-13")])
    result = runner.invoke(app, ["ingest", "police-uk", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    (run,) = _events(engine, "ingest:public_records:load")
    assert (run.actor_role, run.actor_name, run.actor_user_id) == (
        "system",
        "asbhub ingest police-uk",
        0,
    )
    assert run.channel == "batch" and run.force_code == "essex" and run.result_count == 3
    assert run.fields == {
        "files": 1,
        "failed_files": 0,
        "rows": 4,
        "inserted": 3,
        "duplicates_skipped": 0,
        "quarantined": 1,
    }


def test_incident_export_is_audited_as_the_job(engine: Engine, db_url: str, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl", [incident("ESX-A1"), incident("ESX-A2", people=[VICTIM])]
    )
    result = runner.invoke(app, ["ingest", "incidents", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    (run,) = _events(engine, "ingest:incidents:load")
    assert (run.actor_role, run.actor_name, run.channel) == (
        "system",
        "asbhub ingest incidents",
        "batch",
    )
    assert run.result_count == 2 and run.fields["incidents"] == 2 and run.fields["links"] == 3

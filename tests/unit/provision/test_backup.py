"""``asbhub db backup`` and ``asbhub db restore`` through the command line, on both databases:
a backup restores into an empty database with every table's rows and the audit chain intact,
and every bad input is refused with the place named and nothing half-restored."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.store.engine import make_engine

runner = CliRunner()


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind as ``db_url``: where a backup is restored."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = os.environ["ASBHUB_TEST_POSTGRES_URL"]
    name = f"asbhub_t_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _backup(db_url: str, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    out = tmp_path / "asbhub.backup"
    done = runner.invoke(app, ["db", "backup", "--out", str(out), "--db", db_url, "--json"])
    assert done.exit_code == 0, done.output
    return out, json.loads(done.stdout)


@pytest.fixture
def backed_up(db_url: str, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A month of generated incidents (with their audit events), backed up."""
    made = runner.invoke(
        app,
        ["generate", "--force", "essex", "--from", "2019-07", "--to", "2019-07", "--seed", "5",
         "--db", db_url],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    return _backup(db_url, tmp_path)


@pytest.fixture
def small_backup(db_url: str, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A backup of a store holding only the reference geography: enough for the refusals."""
    return _backup(db_url, tmp_path)


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_backup_restores_into_an_empty_database(
    backed_up: tuple[Path, dict[str, object]], empty_url: str, tmp_path: Path
) -> None:
    out, summary = backed_up
    tables = summary["tables"]
    assert isinstance(tables, dict)
    assert tables["incidents"] == 4_143 and tables["audit_events"] == summary["audit_events"]
    done = runner.invoke(app, ["db", "restore", "--from", str(out), "--db", empty_url, "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["ok"] and report["audit_intact"] and report["differences"] == {}
    assert report["tables"] == tables  # every table, row for row
    assert report["audit_events"] == summary["audit_events"]
    # The restored store verifies on its own, with its restore event appended to the chain.
    checkpoints = ["--checkpoints", str(tmp_path / "restored.checkpoints")]
    verified = runner.invoke(app, ["audit", "verify", "--db", empty_url, *checkpoints, "--json"])
    assert verified.exit_code == 0, verified.output
    check = json.loads(verified.stdout)
    assert check["intact"] and check["events"] == int(str(summary["audit_events"])) + 1


def test_restore_refuses_a_database_that_holds_tables(
    small_backup: tuple[Path, dict[str, object]], db_url: str
) -> None:
    out, _ = small_backup
    done = runner.invoke(app, ["db", "restore", "--from", str(out), "--db", db_url])
    assert done.exit_code != 0
    assert "already holds" in done.output and "restore into an empty database" in done.output


def test_a_manifest_that_does_not_match_fails_the_restore(
    small_backup: tuple[Path, dict[str, object]], empty_url: str
) -> None:
    out, _ = small_backup
    manifest = out.with_name(out.name + ".manifest.json")
    data = json.loads(manifest.read_text())
    table = next(t for t, n in data["tables"].items() if n > 0 and t != "audit_events")
    rows = data["tables"][table]
    data["tables"][table] += 1  # as if a row were lost between backup and restore
    manifest.write_text(json.dumps(data))
    done = runner.invoke(app, ["db", "restore", "--from", str(out), "--db", empty_url, "--json"])
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    assert not report["ok"]
    assert report["differences"] == {table: {"backup": rows + 1, "restored": rows}}


def test_a_missing_manifest_is_named(
    small_backup: tuple[Path, dict[str, object]], empty_url: str
) -> None:
    out, _ = small_backup
    out.with_name(out.name + ".manifest.json").unlink()
    done = runner.invoke(app, ["db", "restore", "--from", str(out), "--db", empty_url])
    assert done.exit_code == 2
    assert "asbhub.backup.manifest.json is missing" in done.output
    assert _tables(empty_url) == []


def test_a_file_that_is_not_a_backup_leaves_nothing_behind(
    small_backup: tuple[Path, dict[str, object]], empty_url: str, tmp_path: Path
) -> None:
    out, _ = small_backup
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database backup\n" * 100)
    junk.with_name(junk.name + ".manifest.json").write_bytes(
        out.with_name(out.name + ".manifest.json").read_bytes()
    )
    done = runner.invoke(app, ["db", "restore", "--from", str(junk), "--db", empty_url])
    assert done.exit_code == 2
    # SQLite names the file it could not read; PostgreSQL's restore names the tool that refused.
    expected = (
        "junk.backup is not a SQLite backup"
        if empty_url.startswith("sqlite")
        else ("pg_restore failed")
    )
    assert expected in " ".join(done.output.split())
    assert _tables(empty_url) == []  # nothing half-restored


def test_a_backup_never_overwrites_a_file(
    small_backup: tuple[Path, dict[str, object]], db_url: str
) -> None:
    out, _ = small_backup
    before = out.read_bytes()
    done = runner.invoke(app, ["db", "backup", "--out", str(out), "--db", db_url])
    assert done.exit_code != 0 and "already exists" in done.output
    assert out.read_bytes() == before

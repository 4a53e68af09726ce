"""Backups that restore: ``asbhub db backup`` and ``asbhub db restore``.

SQLite is copied with its online backup API (a consistent copy while the app serves, page by
page, never a half-written file); PostgreSQL with ``pg_dump --format=custom`` and
``pg_restore`` in one transaction. Beside each backup a manifest (``<file>.manifest.json``)
records every table's row count and the audit chain's length and last hash, so a restore
proves itself: it refuses a database that already holds tables, restores, recounts every table
against the manifest and recomputes the audit chain. A backup and a restore are audited; the
restore's event is written after the comparison, into the restored database.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.engine import URL

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import AuditAction, record, verify
from asbhub.errors import Conflict, InvalidInput
from asbhub.permissions import Actor
from asbhub.store.engine import session_scope

MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1


@dataclass
class Manifest:
    """What a backup holds: enough to check a restore of it."""

    database: str  # "sqlite" or "postgresql"
    created_at: str
    tables: dict[str, int]
    audit_events: int
    audit_last_hash: str | None
    format: int = FORMAT


@dataclass
class RestoreReport:
    tables: dict[str, int]
    differences: dict[str, tuple[int, int]] = field(default_factory=dict)  # table: (backup, now)
    audit_events: int = 0
    audit_intact: bool = False
    audit_first_broken_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.differences and self.audit_intact


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def row_counts(engine: Engine) -> dict[str, int]:
    """Every table's rows (PostgreSQL's and SQLite's own catalogue tables aside)."""
    names = sorted(n for n in inspect(engine).get_table_names() if not n.startswith("sqlite_"))
    with engine.connect() as conn:
        return {
            n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names
        }


def _audit_tail(engine: Engine) -> tuple[int, str | None]:
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one())
        last = conn.execute(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
        return n, last.scalar()


def _tool(name: str) -> str:
    """A PostgreSQL client program: on the PATH, else the newest server install, else the
    pgserver wheel's (the dev extras), so a backup works wherever ``make test`` does."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    try:
        import importlib.util

        spec = importlib.util.find_spec("pgserver")
        if spec and spec.submodule_search_locations:
            wheel = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name
            if wheel.exists():
                return str(wheel)
    except ImportError:
        pass
    raise InvalidInput(
        f"{name} is not installed: install the PostgreSQL client (apt-get install "
        "postgresql-client)",
        {"database": f"{name} not found"},
    )


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the client programs; the password goes in the environment,
    not on a command line every user of the machine can read."""
    args = ["--dbname", str(url.database or "postgres")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise InvalidInput(
            f"{what} failed: {detail[-1] if detail else f'exit {done.returncode}'}",
            {"database": what},
        )


def backup(engine: Engine, out: Path, *, actor: Actor) -> Manifest:
    """Write a backup of ``engine``'s database to ``out`` and its manifest beside it.

    ``out`` must not exist (a backup never overwrites another). The backup's own audit event
    is recorded first, so the copy holds the record of its making.
    """
    out = Path(out)
    if out.exists():
        raise Conflict(f"{out} already exists: a backup never overwrites one")
    if not out.parent.is_dir():
        raise InvalidInput(f"{out.parent} is not a folder", {"out": str(out)})
    with session_scope(engine) as session:
        record(
            session,
            actor=actor,
            event="store:database:backup",
            action=AuditAction.EXPORT,
            object_type="database",
            fields={"file": out.name},
        )
    counts = row_counts(engine)
    events, last = _audit_tail(engine)
    tmp = out.with_name(out.name + ".part")
    try:
        if engine.dialect.name == "sqlite":
            db = engine.url.database
            if not db or db == ":memory:":
                raise InvalidInput("an in-memory database cannot be backed up", {"database": ""})
            with sqlite3.connect(db) as source, sqlite3.connect(tmp) as target:
                source.backup(target)
            target.close()
        else:
            args, env = _libpq(engine.url)
            _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp), *args],
                env,
                "pg_dump",
            )
        manifest = Manifest(
            database=engine.dialect.name,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            tables=counts,
            audit_events=events,
            audit_last_hash=last,
        )
        manifest_path(out).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        tmp.rename(out)  # the backup appears whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


def read_manifest(source: Path) -> Manifest:
    path = manifest_path(source)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        return Manifest(**data)
    except FileNotFoundError:
        raise InvalidInput(
            f"{path} is missing: a restore checks the backup against its manifest",
            {"from": str(path)},
        ) from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a backup manifest: {exc}", {"from": str(path)}) from None


def restore(engine: Engine, source: Path, *, actor: Actor) -> RestoreReport:
    """Restore the backup ``source`` into ``engine``'s database, which must hold no tables;
    then recount every table and recompute the audit chain against the manifest."""
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file", {"from": str(source)})
    manifest = read_manifest(source)
    if manifest.database != engine.dialect.name:
        raise InvalidInput(
            f"{source} is a {manifest.database} backup; the target is {engine.dialect.name}",
            {"from": str(source)},
        )
    present = inspect(engine).get_table_names()
    if present:
        raise Conflict(
            f"the target database already holds {len(present)} tables ({', '.join(present[:3])}"
            f"{', ...' if len(present) > 3 else ''}): restore into an empty database"
        )
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if not db or db == ":memory:":
            raise InvalidInput("restore into a database file", {"database": ""})
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
                src.execute("PRAGMA schema_version").fetchone()
                with sqlite3.connect(db) as target:
                    src.backup(target)
                target.close()
        except sqlite3.DatabaseError as exc:
            raise InvalidInput(
                f"{source} is not a SQLite backup: {exc}", {"from": str(source)}
            ) from None
    else:
        args, env = _libpq(engine.url)
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", *args, str(source)],
            env,
            "pg_restore",
        )  # fmt: skip
    engine.dispose()  # the restored schema is new to every pooled connection
    counts = row_counts(engine)
    report = RestoreReport(tables=counts)
    for table in sorted(set(manifest.tables) | set(counts)):
        was, now = manifest.tables.get(table, 0), counts.get(table, 0)
        if was != now:
            report.differences[table] = (was, now)
    with session_scope(engine) as session:
        chain = verify(session)
    report.audit_events = chain.events
    report.audit_first_broken_seq = chain.first_broken_seq
    _, last = _audit_tail(engine)
    report.audit_intact = (
        chain.first_broken_seq is None
        and chain.events == manifest.audit_events
        and last == manifest.audit_last_hash
    )
    with session_scope(engine) as session:
        record(
            session,
            actor=actor,
            event="store:database:restore",
            action=AuditAction.CREATE,
            object_type="database",
            fields={"file": source.name, "tables": len(counts), "matches": report.ok},
        )
    return report

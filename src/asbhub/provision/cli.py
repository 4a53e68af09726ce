"""``asbhub db`` and ``asbhub demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from asbhub.agencies.service import load_reference_agencies
from asbhub.clikit import (
    DbOption,
    JsonOption,
    console,
    domain_errors,
    engine_for,
    err_console,
    print_json,
)
from asbhub.config import get_settings
from asbhub.geography.service import load_reference
from asbhub.permissions import Actor, system_actor
from asbhub.store.engine import session_scope, upgrade
from asbhub.store.schema import schema_drift

db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd(
    db: DbOption = None,
    force: str | None = typer.Option(
        None,
        help="Force whose reference geography to load (default: ASBHUB_DEFAULT_FORCE).",
        show_default=False,
    ),
) -> None:
    """Apply every migration and load the force's reference geography and agencies
    (idempotent)."""
    force = force or get_settings().default_force
    with domain_errors():
        engine = engine_for(db)
        upgrade(engine)
        with session_scope(engine) as session:
            added = load_reference(session, force)
            agencies = load_reference_agencies(session, force)
    console.print(
        f"schema at head; {added} reference areas and {agencies} agencies added for {force}"
    )


@db_app.command("check")
def check_cmd(db: DbOption = None) -> None:
    """Compare the database's tables with the models; list the differences and exit 1 if any.

    A model changed without a migration (or a migration without its model) shows here."""
    with domain_errors():
        drift = schema_drift(engine_for(db))
    if drift:
        err_console.print(f"[red]the schema differs from the models[/red] ({len(drift)}):")
        for line in drift:
            err_console.print(f"  {line}")
        raise typer.Exit(1)
    console.print("schema matches the models")


@db_app.command("backup")
def backup_cmd(
    out: Path = typer.Option(..., "--out", help="The backup file to write (never overwritten)."),
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Back up the database: SQLite's online backup, or pg_dump's custom format; a manifest
    of every table's rows and the audit chain is written beside it."""
    from asbhub.provision.backup import backup, manifest_path

    with domain_errors():
        engine = engine_for(db)
        m = backup(engine, out, actor=_job("db backup"))
    summary = {
        "file": str(out),
        "manifest": str(manifest_path(out)),
        "bytes": out.stat().st_size,
        "database": m.database,
        "tables": m.tables,
        "audit_events": m.audit_events,
    }
    if json_output:
        print_json(summary)
    else:
        rows = sum(m.tables.values())
        console.print(f"backed up {len(m.tables)} tables ({rows:,} rows) to {out}")


@db_app.command("restore")
def restore_cmd(
    source: Path = typer.Option(..., "--from", help="A backup written by `asbhub db backup`."),
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Restore a backup into an empty database, then check every table's rows and the audit
    chain against the backup's manifest; exit 1 if any differ."""
    from asbhub.provision.backup import restore

    with domain_errors():
        report = restore(engine_for(db), source, actor=_job("db restore"))
    out = {
        "ok": report.ok,
        "tables": report.tables,
        "differences": {
            t: {"backup": a, "restored": b} for t, (a, b) in report.differences.items()
        },
        "audit_events": report.audit_events,
        "audit_intact": report.audit_intact,
        "audit_first_broken_seq": report.audit_first_broken_seq,
    }
    if json_output:
        print_json(out)
    elif report.ok:
        console.print(
            f"restored {len(report.tables)} tables; every row count matches the backup and the "
            f"audit chain of {report.audit_events} events is intact"
        )
    else:
        for t, (a, b) in report.differences.items():
            err_console.print(f"[red]{t}:[/red] {a} rows in the backup, {b} restored")
        if not report.audit_intact:
            err_console.print("[red]the audit chain does not match the backup[/red]")
    if not report.ok:
        raise typer.Exit(1)


def _job(name: str) -> Actor:
    return system_actor(job=name, force_code=get_settings().default_force)


def demo_cmd(db: DbOption = None, json_output: JsonOption = False) -> None:
    """Build the demo database (quick when it is already built).

    Applies the schema, loads the Essex reference areas, generates six years (seed 2021) and
    loads the shipped 2025 data.police.uk ASB slice as public records.
    """
    from asbhub.provision.demo import build_demo

    with domain_errors():
        report = build_demo(
            engine_for(db),
            settings=get_settings(),
            progress=None if json_output else console.print,
        )
    if json_output:
        print_json(report)

"""``asbhub db`` and ``asbhub demo``."""

from __future__ import annotations

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

"""``asbhub db`` and ``asbhub demo``."""

from __future__ import annotations

import typer

from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.geography.service import load_reference
from asbhub.store.engine import session_scope, upgrade

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
    """Apply every migration and load the force's reference geography (idempotent)."""
    force = force or get_settings().default_force
    with domain_errors():
        engine = engine_for(db)
        upgrade(engine)
        with session_scope(engine) as session:
            added = load_reference(session, force)
    console.print(f"schema at head; {added} reference areas added for {force}")


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

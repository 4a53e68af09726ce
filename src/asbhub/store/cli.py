"""``asbhub db``: schema migrations and reference data."""

from __future__ import annotations

import typer

from asbhub.clikit import DbOption, console, engine_for
from asbhub.geography.service import load_reference
from asbhub.store.engine import session_scope, upgrade

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    db: DbOption = None,
    force: str = typer.Option("essex", help="Force whose reference geography to load."),
) -> None:
    """Apply every migration and load the force's reference geography (idempotent)."""
    engine = engine_for(db)
    upgrade(engine)
    with session_scope(engine) as session:
        added = load_reference(session, force)
    console.print(f"schema at head; {added} reference areas added for {force}")

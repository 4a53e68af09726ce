"""``asbhub case-reviews``: the yearly table each area publishes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from asbhub.analytics.cli import ForceOption, cli_actor, parse_day
from asbhub.casereviews.queries import FIGURES, year_table
from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.store.engine import session_scope
from asbhub.triage import rules

app = typer.Typer(help="ASB Case Reviews (2014 Act s.104).", no_args_is_help=True)


@app.command("table")
def table_cmd(
    start: Annotated[str, typer.Option("--from", help="First day of the period, YYYY-MM-DD.")],
    end: Annotated[
        str, typer.Option("--to", help="Last day of the period (included), YYYY-MM-DD.")
    ],
    force: ForceOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per local authority: applications, threshold not met, reviews held, reviews with
    recommendations (the four figures of s.104(10)), and their totals."""
    settings = get_settings()
    force = force or settings.default_force
    with domain_errors():
        first, last = parse_day(start, "--from"), parse_day(end, "--to")
        ruleset = rules.load(settings.triage_rules_dir or None)
        engine = engine_for(db)
        try:
            with session_scope(engine) as session:
                t = year_table(
                    session,
                    actor=cli_actor(force),
                    start=first,
                    end=last,
                    rules=ruleset.case_review,
                )
        finally:
            engine.dispose()
    if as_json:
        print_json(t.model_dump(mode="json"))
        return
    out = Table(title=f"ASB case reviews, {first:%d %B %Y} to {last:%d %B %Y}")
    out.add_column("Local authority")
    for f in FIGURES:
        out.add_column(f.replace("_", " ").capitalize(), justify="right")
    for r in t.local_authorities:
        out.add_row(r.local_authority, *(f"{getattr(r, f):,}" for f in FIGURES))
    out.add_row("Total", *(f"{getattr(t.total, f):,}" for f in FIGURES), style="bold")
    console.print(out)

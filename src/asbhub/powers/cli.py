"""``asbhub orders effect`` and ``asbhub powers``: the effect of orders, the deadlines job and
the rules table on the command line."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from asbhub.analytics.cli import ForceOption
from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.permissions import cli_actor, system_actor
from asbhub.powers import rules, service
from asbhub.powers.effect import DEFAULT_WINDOW_DAYS, TYPES, order_effect
from asbhub.store.engine import session_scope

orders_app = typer.Typer(help="The effect of orders on their subjects.", no_args_is_help=True)
powers_app = typer.Typer(
    help="Statutory powers: the deadlines job and the rules table.", no_args_is_help=True
)


@orders_app.command("effect")
def effect(
    kind: Annotated[
        str, typer.Option("--type", help=f"Kind of order: {', '.join(sorted(TYPES))}.")
    ],
    window_days: Annotated[
        int,
        typer.Option("--window-days", help="Days before and after each subject's order date."),
    ] = DEFAULT_WINDOW_DAYS,
    force: ForceOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Subjects of the orders and their incidents as suspect in equal windows before and after
    each one's first order (counts only, no identities)."""
    force = force or get_settings().default_force
    with domain_errors():
        engine = engine_for(db)
        try:
            with session_scope(engine) as session:
                out = order_effect(
                    session, actor=cli_actor(force), kind=kind, window_days=window_days
                )
        finally:
            engine.dispose()
    if as_json:
        print_json(out.as_dict())
        return
    pct = "n/a" if out.change_pct is None else f"{out.change_pct:+.1f}%"
    console.print(
        f"{out.subjects} subjects of {out.type} orders: {out.before} incidents in the "
        f"{out.window_days} days before the order, {out.after} in the {out.window_days} days "
        f"after ({pct})"
    )


@powers_app.command("remind")
def remind(
    force: ForceOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The scheduled job (cron, every morning): remind owners of deadlines due soon or overdue.
    Runs as the system actor; running it again adds nothing."""
    settings = get_settings()
    force = force or settings.default_force
    with domain_errors():
        file = rules.load(settings.powers_rules_dir or None)
        engine = engine_for(db)
        try:
            with session_scope(engine) as session:
                counts = service.remind(
                    session, actor=system_actor(job="powers remind", force_code=force), file=file
                )
        finally:
            engine.dispose()
    if as_json:
        print_json(counts)
        return
    console.print(
        f"{counts['due_soon']} due soon and {counts['overdue']} overdue reminders "
        f"for {counts['owners']} owners"
    )


@powers_app.command("rules")
def rules_cmd(
    on: Annotated[
        str | None, typer.Option("--on", help="The date to resolve the rules on, YYYY-MM-DD.")
    ] = None,
    force: ForceOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The rules table as in force on a date (default today), with the 2026 changes' dates."""
    from asbhub.analytics.cli import parse_day

    settings = get_settings()
    force = force or settings.default_force
    with domain_errors():
        day = parse_day(on, "--on") if on else dt.date.today()
        file = rules.load(settings.powers_rules_dir or None)
        engine = engine_for(db)
        try:
            with session_scope(engine) as session:
                table = service.table(session, file=file, force_code=force)
        finally:
            engine.dispose()
    resolved = {pid: table.resolve(pid, day) for pid in file.powers}
    if as_json:
        print_json(
            {
                "version": table.version,
                "on": day.isoformat(),
                "changes": table.changes_state(),
                "powers": resolved,
            }
        )
        return
    console.print(f"rules {table.version} on {day.isoformat()}")
    for c in table.changes_state():
        console.print(f"  {c['id']}: {c['in_force'] or 'not in force'}")
    for pid, r in resolved.items():
        console.print(f"{pid}: {r['name']} ({r['basis']}) in force {r['in_force'] or 'no'}")

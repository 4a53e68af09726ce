"""``asbhub retention``: the scheduled list of what is due, and an administrator's decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import typer
from sqlalchemy import select

from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings

retention_app = typer.Typer(
    help="Review dates per record class (MoPI-style rules as data), and decisions.",
    no_args_is_help=True,
)

AsOf = typer.Option(None, "--as-of", help="The day to count from (default: today).")


@retention_app.command("due")
def due_cmd(
    as_of: str | None = AsOf,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """List each record class with the records due for review or deletion (run it from cron:
    it lists, it never deletes)."""
    from asbhub.permissions import system_actor
    from asbhub.retention import rules, service
    from asbhub.store.engine import session_scope

    settings = get_settings()
    with domain_errors():
        day = _day(as_of)
        ruleset = rules.load(settings.retention_rules_dir)
        actor = system_actor(job="retention due", force_code=settings.default_force)
        with session_scope(engine_for(db)) as session:
            found = service.due(session, actor=actor, rules=ruleset, as_of=day)
    if json_output:
        print_json(
            {"as_of": day, "rules_version": ruleset.version, "classes": [asdict(d) for d in found]}
        )
        return
    for d in found:
        console.print(
            f"{d.label}: {d.records:,} due ({d.action}, dated before {d.due_before})"
            + (
                f", {d.held:,} held by other records ("
                + ", ".join(f"{table}: {n:,}" for table, n in d.held_by.items())
                + ")"
                if d.held
                else ""
            )
        )


@retention_app.command("decide")
def decide_cmd(
    record_class: str = typer.Option(..., "--class", help="The record class (see `due`)."),
    decision: str = typer.Option(..., "--decision", help="delete or keep"),
    reason: str = typer.Option(..., "--reason", help="Why: kept in the decision and the audit."),
    by: str = typer.Option(..., "--by", help="The administrator's account making the decision."),
    as_of: str | None = AsOf,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Keep or delete the records of a class that are due, as a named administrator."""
    from asbhub.auth.models import User
    from asbhub.auth.service import actor_for
    from asbhub.errors import InvalidInput
    from asbhub.retention import rules, service
    from asbhub.store.engine import session_scope

    settings = get_settings()
    with domain_errors():
        day = _day(as_of)
        ruleset = rules.load(settings.retention_rules_dir)
        with session_scope(engine_for(db)) as session:
            user = session.execute(
                select(User).where(User.username == by, User.active.is_(True))
            ).scalar_one_or_none()
            if user is None:
                raise InvalidInput(f"no active account {by!r}", {"by": by})
            actor = actor_for(user, settings=settings, channel="cli", purpose="administration")
            row = service.decide(
                session,
                actor=actor,
                rules=ruleset,
                record_class=record_class,
                as_of=day,
                decision=decision,
                reason=reason,
            )
            out = {
                "id": row.id,
                "class": row.record_class,
                "decision": row.decision,
                "due_before": row.due_before,
                "records": row.records,
                "deleted": row.deleted,
                "held": row.held,
                "people_deleted": row.people_deleted,
                "rules_version": row.rules_version,
            }
    if json_output:
        print_json(out)
    else:
        console.print(
            f"{out['decision']}: {out['records']:,} due, {out['deleted']:,} deleted, "
            f"{out['held']:,} held, {out['people_deleted']:,} people no longer named deleted"
        )


def _day(text: str | None) -> dt.date:
    from asbhub.errors import InvalidInput

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--as-of {text!r} is not a date (YYYY-MM-DD)", {"as_of": text}
        ) from None

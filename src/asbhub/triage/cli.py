"""``asbhub triage``: the triage decision for a call description, as the API gives it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.errors import InvalidInput
from asbhub.store.engine import session_scope
from asbhub.triage import rules, service
from asbhub.triage.schemas import DecisionOut, parse_call

app = typer.Typer(
    help="Triage calls: risk, THRIVE, repeats, Case Review, decision.", no_args_is_help=True
)


def _show(d: DecisionOut) -> None:
    console.print(
        f"[bold]{d.outcome.upper()}[/bold] · grade {d.thrive.grade_number} {d.thrive.grade_label}"
        + (f" · {d.partner_name}" if d.partner_name else "")
    )
    console.print(f"risk {d.risk.level.value} (score {d.risk.score} of {d.risk.max_score})")
    for r in d.repeats:
        if r.checked:
            refs = ", ".join(i.reference for i in r.incidents[:5]) or "none"
            flag = "REPEAT" if r.repeat else "no"
            console.print(
                f"repeat {r.kind}: {flag} ({r.count_in_window} in {r.window_months} months; {refs})"
            )
    if d.case_review.eligible:
        console.print(
            "[yellow]ASB Case Review threshold met: "
            "tell the caller of the right to a review[/yellow]"
        )
    for reason in d.reasons:
        console.print(f"  - {reason}")
    for rv in d.reviews:
        console.print(f"review: {rv.rank.value} by {rv.due_on}")


@app.command()
def assess(
    call_file: Annotated[
        Path, typer.Argument(help="The call description (JSON; see docs/triage.md).")
    ],
    user: Annotated[
        str, typer.Option("--user", help="The account the check is made as (audited).")
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Decide a call: the same decision object as ``POST /api/v1/triage``. Nothing is stored
    but the audit event of the history look-up."""
    with domain_errors():
        if not call_file.is_file():
            raise InvalidInput("no such call file", {"CALL_FILE": str(call_file)})
        call = parse_call(call_file.read_text(encoding="utf-8"), str(call_file))
        settings = get_settings()
        ruleset = rules.load(settings.triage_rules_dir or None)
        engine = engine_for(db)
        with session_scope(engine) as session:
            account = session.execute(
                select(User).where(User.username == user, User.active.is_(True))
            ).scalar_one_or_none()
            if account is None:
                raise InvalidInput(
                    f"no active account {user!r}", {"--user": "not an active account"}
                )
            actor = actor_for(account, settings=settings, channel="cli")
            decision = service.assess(session, actor=actor, call=call, rules=ruleset)
        engine.dispose()
    if json_out:
        print_json(decision.model_dump(mode="json"))
    else:
        _show(decision)

"""``asbhub audit recording``: run the recording audit and print its summary.

The command is built by :func:`recording_command` with the evaluation handed in by the root
(``asbhub/cli.py``): this package never imports the generator's truth, so precision and
recall against it are added by a function it only calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.errors import InvalidInput
from asbhub.permissions import cli_actor

# (session, force_code, start, end, flagged frame, estimated mix, exclude_covid) -> dict | None
Evaluator = Callable[..., dict[str, Any] | None]
STEPS = 10  # read, rules, features, 3 folds, final fit, explanations, stored, evaluation


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} is not a date", {option: "expected YYYY-MM-DD"}) from None


def recording_command(evaluate: Evaluator | None = None) -> Callable[..., None]:
    def recording(
        start: Annotated[
            str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: the data's).")
        ] = None,
        end: Annotated[
            str | None,
            typer.Option("--to", help="Last day, YYYY-MM-DD, included (default: the data's)."),
        ] = None,
        force: Annotated[
            str | None, typer.Option("--force", help="Force code (default: ASBHUB_DEFAULT_FORCE).")
        ] = None,
        rules_path: Annotated[
            Path | None,
            typer.Option("--rules", help="A recording rule set (default: the packaged one)."),
        ] = None,
        db: DbOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Find incidents whose qualifier is probably wrong (rules and a learned check
        trained on the store's own incidents) and print counts by reason, the estimated true
        mix and, where the generator's truth exists, precision and recall."""
        from asbhub.clikit import err_console
        from asbhub.config import get_settings
        from asbhub.recording import rules, service
        from asbhub.store.engine import session_scope

        with domain_errors():
            first, last = _day(start, "--from"), _day(end, "--to")
            ruleset = rules.load(str(rules_path) if rules_path else None)
            actor = cli_actor(force or get_settings().default_force, command="recording audit")
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
                disable=json_out,
            )
            with bar, session_scope(engine_for(db)) as session:
                task = bar.add_task("reading incidents", total=STEPS)

                def step(what: str, _n: int) -> None:
                    bar.update(task, advance=1, description=what)

                span = service.data_period(session, actor=actor)
                if span is None:
                    raise InvalidInput("the store holds no incidents", {"--db": "empty"})
                first, last = first or span[0], last or span[1]
                out = service.run(
                    session, actor=actor, start=first, end=last, rules=ruleset, progress=step
                )
                out.pop("cells", None)
                out["truth"] = None
                if evaluate is not None:
                    out["truth"] = evaluate(
                        session,
                        force_code=actor.force_code,
                        start=first,
                        end=last,
                        flagged=service.flagged(session, actor=actor, run_id=out["run"]),
                        estimated_mix=out["estimated_true_mix"],
                        exclude_covid=ruleset.exclude_covid_breaches,
                    )
                step("evaluation", 1)
        if json_out:
            print_json(out)
            return
        _show(out)

    return recording


def _show(out: dict[str, Any]) -> None:
    console.print(
        f"recording audit run {out['run']}: {out['incidents']:,} incidents {out['from']} to "
        f"{out['to']}, {out['flags']:,} flagged (confidence >= {out['threshold']})"
    )
    for reason, n in out["counts_by_reason"].items():
        console.print(f"  {reason}: {n:,}")
    for q, m in out["estimated_true_mix"].items():
        console.print(
            f"  {q}: recorded {out['recorded_mix'][q]:.1%}, estimated true {m['share']:.1%} "
            f"({m['low']:.1%} to {m['high']:.1%})"
        )
    t = out.get("truth")
    if t:
        console.print(
            f"  against the generator's truth: precision {t['precision']}, recall {t['recall']}"
        )

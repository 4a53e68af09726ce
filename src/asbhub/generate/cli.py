"""``asbhub generate``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.errors import InvalidInput
from asbhub.generate.calibration import GENERATED_FORCES, financial_year, period
from asbhub.generate.misrecord import check_rate
from asbhub.permissions import system_actor

app = typer.Typer()


def _progress(json_output: bool) -> Progress:
    from asbhub.clikit import err_console

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=json_output,
    )


@app.command("generate")
def generate_cmd(
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same data.")],
    force: Annotated[
        str | None, typer.Option("--force", help="Force code (data.police.uk slug).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM (included).")] = None,
    forces: Annotated[
        str | None,
        typer.Option(
            "--forces",
            help="A national data set instead of --force/--from/--to: 'all' (the 43 forces of "
            "England and Wales) or slugs separated by commas, each in proportion to its "
            "population (see docs/generator.md).",
        ),
    ] = None,
    years: Annotated[
        int,
        typer.Option("--years", help="With --forces: financial years, ending March 2021."),
    ] = 10,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            help="With --forces: multiplies every force's volume (0.6 gives the national "
            "million incidents a year).",
        ),
    ] = 1.0,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Delete generated incidents and live chats of the period first."
        ),
    ] = False,
    misrecord_rate: Annotated[
        float,
        typer.Option(
            "--misrecord-rate",
            help="Share of incidents recorded under the wrong qualifier, as the recording "
            "audit found (0 to 0.3; the truth goes to generated_truth).",
        ),
    ] = 0.0,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write synthetic NSIR incidents calibrated to the 2021 deep dive (see docs/generator.md)."""
    if forces is not None:
        _national(forces, years, scale, seed, replace, misrecord_rate, force, db, json_output)
        return
    from asbhub.generate.service import generate

    with domain_errors():
        if force is None or start is None or end is None:
            raise InvalidInput("give --force, --from and --to (or --forces for a national set)")
        # Fail on a bad period or force before touching the database.
        first, last = period(start, end)
        check_rate(misrecord_rate)
        if force not in GENERATED_FORCES:
            raise InvalidInput(f"the generator is calibrated to essex only, not {force!r}")
        final = last - dt.timedelta(days=1)
        years = financial_year(final.year, final.month) - financial_year(first.year, first.month)
        with _progress(json_output) as bar:
            # one step per financial year built, then one per table written (chats count once)
            task = bar.add_task("generating", total=years + 1 + 5)

            def step(what: str) -> None:
                bar.update(task, advance=1, description=what)

            report = generate(
                engine_for(db),
                force_code=force,
                start=start,
                end=end,
                seed=seed,
                replace=replace,
                progress=step,
                actor=system_actor(job="generate", force_code=force),
                misrecord_rate=misrecord_rate,
            )
    if json_output:
        print_json(report)
        return
    console.print(
        f"generated {report['incidents']:,} {force} incidents, {report['people']:,} people, "
        f"{report['links']:,} links, {report['locations']:,} locations and "
        f"{report['chats']:,} live chats in {report['seconds']} s"
        + (f" (replaced {report['replaced']:,})" if report["replaced"] else "")
    )
    if report["truth"]:
        console.print(
            f"  {misrecord_rate:.0%} misrecorded; the truth of {report['truth']:,} incidents "
            "is in generated_truth"
        )
    for period_end, counts in report["per_year"].items():
        console.print(
            f"  12 months to {period_end}: {counts['incidents']:,} incidents, "
            f"{counts['attended']:,} attended, {counts['covid_breaches']:,} COVID breaches"
        )


def _national(
    forces: str,
    years: int,
    scale: float,
    seed: int,
    replace: bool,
    misrecord_rate: float,
    force: str | None,
    db: str | None,
    json_output: bool,
) -> None:
    from asbhub.generate.national import expected_incidents, generate_national, parse_forces

    with domain_errors():
        if force is not None or misrecord_rate:
            raise InvalidInput(
                "--forces writes whole financial years: leave out --force and --misrecord-rate"
            )
        chosen = parse_forces(forces)
        total = expected_incidents(chosen, years, scale)
        with _progress(json_output) as bar:
            task = bar.add_task("generating", total=total)

            def step(what: str, written: int) -> None:
                bar.update(task, advance=written, description=what)

            report = generate_national(
                engine_for(db),
                forces=chosen,
                years=years,
                seed=seed,
                scale=scale,
                replace=replace,
                progress=step,
            )
    if json_output:
        print_json(report)
        return
    console.print(
        f"generated {report['incidents']:,} incidents of {report['forces']} forces "
        f"({report['from']} to {report['to']}), {report['people']:,} people, "
        f"{report['links']:,} links and {report['chats']:,} live chats in {report['seconds']} s"
    )

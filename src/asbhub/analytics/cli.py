"""``asbhub kpi`` and ``asbhub msg``: the board's figures on the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from asbhub.analytics.areas import Level
from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, print_json
from asbhub.config import get_settings
from asbhub.errors import InvalidInput
from asbhub.permissions import cli_actor
from asbhub.store.engine import session_scope

ForceOption = Annotated[
    str | None,
    typer.Option("--force", help="Force code (default: ASBHUB_DEFAULT_FORCE).", show_default=False),
]


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} is not a date", {option: "expected YYYY-MM-DD"}) from None


def _fmt(v: Any, suffix: str = "") -> str:
    if v is None:
        return ""
    return f"{v:,}{suffix}" if isinstance(v, int) else f"{v}{suffix}"


def register(root: typer.Typer) -> None:
    @root.command("kpi")
    def kpi(
        period_end: Annotated[
            str, typer.Option("--period-end", help="Last day of the latest 12 months, YYYY-MM-DD.")
        ],
        force: ForceOption = None,
        level: Annotated[
            Level, typer.Option("--level", help="Area level of --area.")
        ] = Level.FORCE,
        area_code: Annotated[
            str | None,
            typer.Option("--area", help="Area code: LPA or district name, or an LA code."),
        ] = None,
        years: Annotated[int, typer.Option("--years", help="How many 12-month periods.")] = 6,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """KPIs per 12 months to --period-end: volumes, year on year, attended, category mix."""
        force = force or get_settings().default_force
        from asbhub.analytics.service import kpi_report

        with domain_errors():
            end = parse_day(period_end, "--period-end")
            engine = engine_for(db)
            try:
                with session_scope(engine) as session:
                    report = kpi_report(
                        session,
                        actor=cli_actor(force),
                        period_end=end,
                        level=level,
                        code=area_code,
                        years=years,
                    )
            finally:
                engine.dispose()
        if as_json:
            print_json(report)
            return
        table = Table(title=f"ASB incidents, {report['area']['label']}, 12 months to")
        cols = [
            ("period_end", "Period end", ""),
            ("incidents", "Incidents", ""),
            ("diff", "Diff", ""),
            ("pct_diff", "% diff", "%"),
            ("excluding_covid", "Excl. COVID", ""),
            ("attended", "Attended", ""),
            ("pct_attended", "% attended", "%"),
            ("personal_pct", "Personal", "%"),
            ("nuisance_pct", "Nuisance", "%"),
            ("environmental_pct", "Environmental", "%"),
            ("per_1000", "Per 1,000", ""),
        ]
        for _, label, _s in cols:
            table.add_column(label, justify="right")
        for y in report["years"]:
            table.add_row(*(_fmt(y[k], s) for k, _, s in cols))
        console.print(table)

    @root.command("msg")
    def msg(
        month_from: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
        month_to: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM (included).")],
        force: ForceOption = None,
        source: Annotated[
            list[Path] | None,
            typer.Option(
                "--source",
                help="data.police.uk files, month folders or zips to read instead of the store.",
            ),
        ] = None,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """ASB per 1,000 residents for the force and its most similar group; rank 1 = lowest."""
        force = force or get_settings().default_force
        from asbhub.analytics.service import msg_report

        with domain_errors():
            engine = None if source else engine_for(db)
            try:
                if engine is None:
                    report = msg_report(
                        None, actor=cli_actor(force), start=month_from, end=month_to, paths=source
                    )
                else:
                    with session_scope(engine) as session:
                        report = msg_report(
                            session, actor=cli_actor(force), start=month_from, end=month_to
                        )
            finally:
                if engine is not None:
                    engine.dispose()
        if as_json:
            print_json(report)
            return
        table = Table(
            title=f"ASB per 1,000 residents, {report['from']} to {report['to']} "
            f"(most similar group of {force}, version {report['group_version']})"
        )
        for label in ("Rank", "Force", "ASB", "Population", "Per 1,000", "Missing months"):
            table.add_column(label, justify="left" if label == "Force" else "right")
        for f in report["forces"]:
            table.add_row(
                _fmt(f["rank"]),
                f["name"],
                _fmt(f["asb_count"]),
                f"{f['population']:,} ({f['population_year']})",
                _fmt(f["rate_per_1000"]),
                ", ".join(f["months_missing"]),
            )
        console.print(table)

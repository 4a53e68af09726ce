"""``asbhub hotspots``: evaluate methods out of sample, predict next month, print patrol plans."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
from asbhub.errors import InvalidInput
from asbhub.hotspots.events import (
    Events,
    GridEvents,
    load_incidents,
    load_public_records,
    month_index,
    month_label,
    month_range,
)
from asbhub.hotspots.grid import force_grid
from asbhub.hotspots.methods import REGISTRY, Method, make_methods

app = typer.Typer(help="Hotspot prediction: rank map cells by expected ASB next month.")


class Source(StrEnum):
    police_uk = "police-uk"
    incidents = "incidents"


ForceOption = Annotated[
    str | None,
    typer.Option("--force", help="Force code (default: ASBHUB_DEFAULT_FORCE).", show_default=False),
]
CellOption = Annotated[int, typer.Option("--cell", help="Cell size in metres (multiple of 50).")]
SourceOption = Annotated[
    Source,
    typer.Option(
        "--source",
        help="police-uk: data.police.uk ASB rows in public_records; incidents: the force's own.",
    ),
]
GapOption = Annotated[
    int, typer.Option("--gap", help="Months between the last month used and the target month.")
]


def load_events(db: str | None, force: str, source: Source) -> Events:
    engine = engine_for(db)
    try:
        if source is Source.incidents:
            return load_incidents(engine, force)
        return load_public_records(engine, force)
    finally:
        engine.dispose()


@app.command()
def evaluate(
    force: ForceOption = None,
    test_from: Annotated[str, typer.Option("--test-from", help="First test month, YYYY-MM.")] = "",
    test_to: Annotated[str, typer.Option("--test-to", help="Last test month, YYYY-MM.")] = "",
    train_months: Annotated[
        int, typer.Option("--train-months", help="Training window k in months.")
    ] = 6,
    cell: CellOption = 250,
    gap: GapOption = 1,
    method: Annotated[
        list[str] | None,
        typer.Option("--method", help=f"Method(s) to run (default all): {', '.join(REGISTRY)}."),
    ] = None,
    source: SourceOption = Source.police_uk,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk-forward evaluation: fit on the k months before each test month, score, measure."""
    force = force or get_settings().default_force
    from asbhub.hotspots.evaluate import evaluate as run_evaluation
    from asbhub.hotspots.evaluate import to_json

    with domain_errors():
        if not test_from or not test_to:
            raise InvalidInput("give --test-from and --test-to (YYYY-MM)")
        first, last = month_index(test_from), month_index(test_to)
        if last < first:
            raise InvalidInput("--test-to is before --test-from")
        months = month_range(first, last)
        methods = make_methods(method)
        events = load_events(db, force, source)
        data = GridEvents(events, force_grid(force, cell))
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("evaluating", total=len(months) * len(methods))

            def step(label: str) -> None:
                bar.update(task, advance=1, description=label)

            result = run_evaluation(data, methods, months, k=train_months, gap=gap, progress=step)
        out = to_json(result)
    if as_json:
        print_json(out)
        return
    table = Table(
        title=f"{force}, {cell} m cells, k = {train_months}, test {test_from}…{test_to} "
        "(tie-averaged means over months)"
    )
    table.add_column("method")
    for c in out["settings"]["coverages"]:
        table.add_column(f"HR {c}%", justify="right")
    table.add_column("PAI 1%", justify="right")
    table.add_column("s/month", justify="right")
    for m in out["methods"]:
        cov = m["coverage"]
        table.add_row(
            m["name"],
            *[f"{cov[c]['hit_rate']:.3f}" for c in out["settings"]["coverages"]],
            f"{cov['1']['pai']:.1f}" if "1" in cov else "",
            f"{m['seconds_per_month']:.2f}",
        )
    console.print(table)
    for nf in out["not_fitted"]:
        console.print(f"{nf['name']}: not fitted ({nf['reason']})")


@app.command()
def table(
    files: Annotated[list[Path], typer.Argument(help="Files written by `evaluate --json`.")],
) -> None:
    """Print the Markdown tables of saved ``evaluate --json`` results (for docs/hotspots.md)."""
    import json

    from asbhub.hotspots.evaluate import to_markdown

    with domain_errors():
        for f in files:
            try:
                out = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InvalidInput(f"{f}: not an evaluate --json file ({exc})") from exc
            if not isinstance(out, dict) or "methods" not in out or "settings" not in out:
                raise InvalidInput(f"{f}:1: not an evaluate --json object")
            typer.echo(to_markdown(out))


def _method_and_events(
    month: str, method: str, db: str | None, force: str, source: Source, cell: int
) -> tuple[Method, GridEvents]:
    """What ``predict`` and ``patrol`` both need: the chosen method and the gridded events."""
    if not month:
        raise InvalidInput("give --month YYYY-MM")
    (meth,) = [m for m in make_methods([method]) if m.name == method]
    return meth, GridEvents(load_events(db, force, source), force_grid(force, cell))


@app.command()
def predict(
    force: ForceOption = None,
    month: Annotated[str, typer.Option("--month", help="Month to predict, YYYY-MM.")] = "",
    coverage: Annotated[
        float | None, typer.Option("--coverage", help="Share of cells to flag, in per cent.")
    ] = None,
    cells: Annotated[
        int | None, typer.Option("--cells", help="Number of cells to flag (instead of coverage).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="FILE.geojson or FILE.csv")] = None,
    method: Annotated[str, typer.Option("--method", help="Method to use.")] = "naive",
    train_months: Annotated[
        int, typer.Option("--train-months", help="Training window k in months.")
    ] = 6,
    cell: CellOption = 250,
    gap: GapOption = 1,
    source: SourceOption = Source.police_uk,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank the cells for a month and write the flagged ones with the reasons they are there."""
    force = force or get_settings().default_force
    from asbhub.hotspots.predict import predict as run_predict
    from asbhub.hotspots.predict import write_prediction

    with domain_errors():
        if out is not None and out.suffix.lower() not in (".geojson", ".csv", ".json"):
            raise InvalidInput("--out must end in .geojson or .csv", {"--out": str(out)})
        meth, data = _method_and_events(month, method, db, force, source, cell)
        pred = run_predict(
            data,
            meth,
            month_index(month),
            k=train_months,
            gap=gap,
            coverage=coverage if coverage is not None or cells is not None else 1.0,
            cells=cells,
        )
        if out is not None:
            write_prediction(pred, out)
    summary = {
        "month": month_label(pred.month),
        "method": pred.method,
        "cells": len(pred.cells),
        "out": str(out) if out else None,
    }
    if as_json:
        print_json({**summary, "top": pred.cells.head(10).to_dict(orient="records")})
        return
    console.print(
        f"{summary['cells']} cells flagged for {summary['month']} by {pred.method}"
        + (f"; written to {out}" if out else "")
    )
    for row in pred.cells.head(10).itertuples():
        console.print(f"{row.rank:>3}. {row.district}: {row.reason}")


@app.command()
def patrol(
    force: ForceOption = None,
    month: Annotated[str, typer.Option("--month", help="Month to plan, YYYY-MM.")] = "",
    district: Annotated[
        str | None, typer.Option("--district", help="Policing district (default: every one).")
    ] = None,
    cells: Annotated[
        int,
        typer.Option(
            "--cells", min=1, max=99, help="Cells per district to match the patrol hours."
        ),
    ] = 15,
    out: Annotated[Path, typer.Option("--out", help="PDF file, or a folder for all districts.")] = (
        Path("patrol")
    ),
    method: Annotated[str, typer.Option("--method", help="Method to use.")] = "naive",
    train_months: Annotated[int, typer.Option("--train-months")] = 6,
    cell: CellOption = 250,
    source: SourceOption = Source.police_uk,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Patrol plan (PDF: the map, then every place with why) per policing district."""
    force = force or get_settings().default_force
    from asbhub.hotspots.patrol import write_patrol_plans

    with domain_errors():
        meth, data = _method_and_events(month, method, db, force, source, cell)
        written = write_patrol_plans(
            data,
            meth,
            month_index(month),
            out=out,
            district=district,
            cells=cells,
            k=train_months,
        )
    if as_json:
        print_json({"files": [str(p) for p in written]})
        return
    for p in written:
        console.print(f"wrote {p}")

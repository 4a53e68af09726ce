"""``asbhub ingest``: load data.police.uk files and force incident exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from asbhub.clikit import DbOption, JsonOption, console, domain_errors, engine_for, err_console
from asbhub.clikit import print_json as emit_json
from asbhub.config import get_settings
from asbhub.ingest.schemas import FileResult, FileStatus, IngestReport
from asbhub.permissions import system_actor

app = typer.Typer(
    help="Load data.police.uk files and force incident exports.", no_args_is_help=True
)

# How many problem lines to print before summarising the rest (all are in --json and quarantine).
SHOWN_MESSAGES = 20


class _Bar:
    """Adapts a Rich progress bar on standard error to the ingest ``Progress`` protocol."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress = progress
        self.task = progress.add_task(label, total=None)
        self.rows = 0

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, result: FileResult) -> None:
        self.rows += result.rows
        self.progress.update(
            self.task, advance=1, description=f"{self.rows:,} rows · {result.source[-48:]}"
        )


def _progress(json_out: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=json_out and not err_console.is_terminal,
    )


def _summarise(report: IngestReport, kind: str) -> None:
    table = Table(title=f"{kind}: {report.files} file(s)", show_edge=False)
    for col in ("rows", "ASB rows", "inserted", "duplicates skipped", "quarantined", "failed"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{report.rows:,}",
        f"{report.asb_rows:,}",
        f"{report.inserted:,}",
        f"{report.duplicates_skipped:,}",
        f"{report.quarantined:,}",
        f"{report.failed_files:,}",
    )
    console.print(table)
    _messages(report)


def _messages(report: IngestReport) -> None:
    messages = report.messages()
    for m in messages[:SHOWN_MESSAGES]:
        err_console.print(m, markup=False, highlight=False, soft_wrap=True)
    hidden = len(messages) - SHOWN_MESSAGES + sum(r.messages_left_off for r in report.results)
    if hidden > 0:
        err_console.print(f"… and {hidden} more (see --json or the quarantine table)")


@app.command("police-uk")
def police_uk_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="CSV files, folders (searched for *-street.csv and .zip) or monthly zips.",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Swap in a force-month already loaded from different content (one "
            "transaction per file).",
        ),
    ] = False,
) -> None:
    """Load data.police.uk street-level files; a force-month already loaded from the same
    file is skipped, from a different one reported as changed (see --replace).

    Exits 1 when some file could not be read at all (the others are still loaded).
    """
    from asbhub.ingest.police_uk import ingest_police_uk

    settings = get_settings()
    with domain_errors():
        engine = engine_for(db)
        with _progress(json_out) as progress:
            report = ingest_police_uk(
                engine,
                paths,
                actor=system_actor(job="ingest police-uk", force_code=settings.default_force),
                progress=_Bar(progress, "reading"),
                replace=replace,
            )
        engine.dispose()
    _finish(report, "police-uk", json_out)


def _finish(report: IngestReport, kind: str, json_out: bool) -> None:
    if json_out:
        emit_json(report.to_dict())
    else:
        _summarise(report, kind)
    if not report.ok:
        for r in report.results:
            if r.status is FileStatus.FAILED and json_out:
                message = r.messages[0] if r.messages else r.source
                err_console.print(message, markup=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command("incidents")
def incidents_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="Incident export: .csv or .jsonl (see docs/formats.md).", show_default=False
        ),
    ],
    force: Annotated[
        str | None,
        typer.Option(
            help="Force whose export this is (default: ASBHUB_DEFAULT_FORCE).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Load a force's NSIR incident export with its people; a stored reference is skipped.

    Exits 1 when the file could not be read at all.
    """
    from asbhub.ingest.incidents import ingest_incidents

    force = force or get_settings().default_force
    with domain_errors():
        engine = engine_for(db)
        with _progress(json_out) as progress:
            report = ingest_incidents(
                engine,
                file,
                force_code=force,
                actor=system_actor(job="ingest incidents", force_code=force),
                progress=_Bar(progress, "reading"),
            )
        engine.dispose()
    _finish(report, "incidents", json_out)

"""``asbhub ingest``: load data.police.uk files and force incident exports."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Load data.police.uk files and force incident exports.", no_args_is_help=True
)

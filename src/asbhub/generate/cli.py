"""``asbhub generate`` and ``asbhub demo``."""

from __future__ import annotations

import typer

app = typer.Typer()

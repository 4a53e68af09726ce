"""Shared pieces of the command line: the ``--db`` option, JSON output and error mapping."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from asbhub.config import get_settings
from asbhub.errors import AsbhubError, InvalidInput, NotFound, NotPermitted
from asbhub.store.engine import make_engine

# Errors name files and places; soft wrap keeps each on one line so it can be copied whole.
err_console = Console(stderr=True, soft_wrap=True)
console = Console()

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: ASBHUB_DATABASE_URL, else sqlite:///asbhub.db).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON object on standard output.")
]


def database_url(db: str | None) -> str:
    return db or get_settings().database_url


def engine_for(db: str | None) -> Engine:
    return make_engine(database_url(db))


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn domain errors into a message on standard error and a non-zero exit code."""
    try:
        yield
    except InvalidInput as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        for place, problem in exc.fields.items():
            err_console.print(f"  {place}: {problem}")
        raise typer.Exit(2) from exc
    except NotFound as exc:
        err_console.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(3) from exc
    except NotPermitted as exc:
        err_console.print(f"[red]not permitted:[/red] {exc}")
        raise typer.Exit(4) from exc
    except AsbhubError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc

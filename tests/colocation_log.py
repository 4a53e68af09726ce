"""Recording the statements the app sends to PostgreSQL during the suite, for
:mod:`colocation` (wired up in tests/conftest.py).

Each pytest process (every xdist worker, or the only process) keeps the distinct statements
with the first ``src/asbhub`` frame that sent each, and writes them to its own JSON file in a
folder the controlling process made; once every worker has finished, the controlling process
reads them all and checks them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

import asbhub
from colocation import NOT_DISTRIBUTED, Violation, normalise, violations

LOG_DIR_ENV = "ASBHUB_TEST_SQL_LOG_DIR"
SRC = str(Path(asbhub.__file__).resolve().parent) + os.sep
MIGRATIONS = SRC + "store" + os.sep + "migrations" + os.sep

ARTIFACT = Path(__file__).resolve().parents[1] / "test-artifacts" / "colocation.txt"

_seen: dict[str, str] = {}


def _sender() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(SRC):
            if name.startswith(MIGRATIONS):
                return None  # the schema's own DDL and data steps
            return f"{name.removeprefix(SRC)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if conn.dialect.name != "postgresql":
        return
    key = normalise(statement)
    if key in _seen:
        return
    where = _sender()
    if where is not None:
        _seen[key] = where


def start() -> None:
    event.listen(Engine, "before_cursor_execute", _record)


def write(folder: Path, name: str) -> None:
    (folder / f"{name}.json").write_text(json.dumps(_seen), encoding="utf-8")


def force_scoped() -> frozenset[str]:
    from asbhub.store.registry import load_all

    tables = load_all().metadata.tables.values()
    return frozenset(t.name for t in tables if "force_code" in t.c) - NOT_DISTRIBUTED


def check(folder: Path) -> tuple[int, list[Violation]]:
    """(statements read, violations) over every process's log in ``folder``; all of them are
    also written to test-artifacts/colocation.txt."""
    statements: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        for sql, where in json.loads(path.read_text(encoding="utf-8")).items():
            statements.setdefault(sql, where)
    scoped = force_scoped()
    found = [v for sql, where in statements.items() for v in violations(sql, where, scoped)]
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text("".join(f"{v}\n\n" for v in found), encoding="utf-8")
    return len(statements), found

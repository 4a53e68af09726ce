"""Survey tables the board sees beside the incident figures, imported in the seed's format.

Four kinds, each a CSV as in ``data/deep_dive_2021``:

* ``perception``: CSEW perception of ASB, % per measure (rows) and year (``YYYY-MM-DD``
  columns), with ``pt_diff_from_<year>`` as published;
* ``msg_positions``: rank among the most similar group (1 = best, lowest), ``diff_from_<year>``;
* ``national_ranks``: rank among the 42 forces (Metropolitan and City combined), ``diff_from_``;
* ``confidence``: ``question, period, agree_pct`` (Confidence and Satisfaction Survey).

``parse`` validates a table and reports every bad cell; ``summarise`` derives the changes;
``DEFINITIONS`` says what they mean.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from asbhub.errors import InvalidInput

DEFINITIONS: dict[str, str] = {
    "change": "Latest value minus the first year's, from the published values.",
    "given_change": "The change as published. For CSEW perception it was computed from "
    "unrounded survey values, so it can differ by 0.1 from the change of the rounded columns; "
    "the published figure is kept and the difference flagged.",
    "vs_msg_average": "For MSG positions: better when in the top half of the group "
    "(rank below the group's middle, 4.5 of 8), worse when in the bottom half. For national "
    "ranks: against the middle of the 42 forces (21.5). 1 is best.",
}

KINDS = ("perception", "msg_positions", "national_ranks", "confidence")
FILES = {
    "perception": "perception_csew.csv",
    "msg_positions": "msg_positions.csv",
    "national_ranks": "national_ranks.csv",
    "confidence": "confidence_survey.csv",
}
GROUP_SIZE = {"msg_positions": 8, "national_ranks": 42}
_YEAR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class SurveyTable:
    kind: str
    source: str
    years: list[str]
    rows: list[dict[str, Any]]


def _number(text: str, where: str, problems: dict[str, str], *, integer: bool) -> float | None:
    if text.strip() == "":
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        problems[where] = f"{text!r} is not a {'whole number' if integer else 'number'}"
        return None


def parse(kind: str, text: str, source: str) -> SurveyTable:
    """Validate a survey CSV; every bad cell is reported as ``source:line`` before refusing."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown survey kind {kind!r}", {"kind": f"one of: {', '.join(KINDS)}"})
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    problems: dict[str, str] = {}
    if kind == "confidence":
        missing = [c for c in ("question", "period", "agree_pct") if c not in header]
        if missing:
            raise InvalidInput(
                f"{source}: not a confidence survey table", {f"{source}:1": f"missing {missing}"}
            )
        rows = []
        for line, r in enumerate(reader, start=2):
            v = _number(r["agree_pct"], f"{source}:{line}", problems, integer=False)
            if v is not None and not 0 <= v <= 100:
                problems[f"{source}:{line}"] = f"agree_pct {v} is not a percentage"
            rows.append({"question": r["question"], "period": r["period"], "agree_pct": v})
        if problems:
            raise InvalidInput(f"{source}: rows are not valid", problems)
        periods = sorted({str(r["period"]) for r in rows})
        return SurveyTable(kind, source, periods, rows)
    years = [c for c in header if _YEAR.match(c)]
    diff_cols = [c for c in header if c.startswith(("pt_diff_from_", "diff_from_"))]
    if "measure" not in header or len(years) < 2 or len(diff_cols) != 1:
        raise InvalidInput(
            f"{source}: not a {kind.replace('_', ' ')} table",
            {f"{source}:1": "expected measure, 2+ YYYY-MM-DD columns and one diff_from_ column"},
        )
    integer = kind != "perception"
    rows = []
    for line, r in enumerate(reader, start=2):
        values = {
            y: _number(r[y], f"{source}:{line}:{y}", problems, integer=integer) for y in years
        }
        given = _number(
            r[diff_cols[0]], f"{source}:{line}:{diff_cols[0]}", problems, integer=integer
        )
        if integer:
            size = GROUP_SIZE[kind]
            for y, v in values.items():
                if v is not None and not 1 <= v <= size:
                    problems[f"{source}:{line}:{y}"] = f"rank {v} is outside 1-{size}"
        rows.append({"measure": r["measure"], "values": values, "given_change": given})
    if problems:
        raise InvalidInput(f"{source}: rows are not valid", problems)
    return SurveyTable(kind, source, years, rows)


def load(kind: str, path: Path | None = None) -> SurveyTable:
    """A survey table from ``path``, or the 2021 deep dive's copy shipped in the package."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path}", {str(path): str(exc)}) from None
        return parse(kind, text, str(path))
    res = resources.files("asbhub") / "data" / "deep_dive_2021" / FILES[kind]
    return parse(kind, res.read_text(encoding="utf-8"), f"data/deep_dive_2021/{FILES[kind]}")


def _versus(kind: str, rank: float | None) -> str | None:
    if rank is None or kind not in GROUP_SIZE:
        return None
    middle = (GROUP_SIZE[kind] + 1) / 2
    if rank == middle:
        return "same"
    return "better" if rank < middle else "worse"


def summarise(table: SurveyTable) -> dict[str, Any]:
    """Change since the first year per measure, the published change beside it, and for
    rank tables whether each year is better, worse or the same as the group's middle."""
    if table.kind == "confidence":
        return {
            "kind": table.kind,
            "source": table.source,
            "periods": table.years,
            "rows": table.rows,
            "definitions": DEFINITIONS,
        }
    first, last = table.years[0], table.years[-1]
    rows = []
    for r in table.rows:
        a, b = r["values"][first], r["values"][last]
        change = None if a is None or b is None else round(b - a, 1)
        # Ranks improve downwards: the seed's diff_from_2016 is first minus last.
        if table.kind in GROUP_SIZE and change is not None:
            change = int(-change)
        rows.append(
            {
                **r,
                "change": change,
                "given_differs": r["given_change"] is not None
                and change is not None
                and abs(r["given_change"] - change) > 1e-9,
                "vs_msg_average": {y: _versus(table.kind, v) for y, v in r["values"].items()},
            }
        )
    return {
        "kind": table.kind,
        "source": table.source,
        "years": table.years,
        "rows": rows,
        "definitions": DEFINITIONS,
    }

"""Field names and validation messages of the staff screens in plain words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FIELD_LABELS: dict[str, str] = {
    "date_from": "Received from",
    "date_to": "Received to",
    "district": "Policing district",
    "local_authority": "Local authority",
    "qualifier": "Category",
    "type": "Incident type",
    "channel": "Channel",
    "covid": "COVID-19 breach",
    "attended": "Attended",
    "q": "Search",
    "who": "Who",
    "what": "What",
    "subject": "Subject",
    "purpose": "Purpose",
    "radius": "Radius",
    "month": "Month",
    "start": "Start",
    "end": "End",
}


def _plain(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind.startswith(("date_", "datetime_")):
        return "Enter a real date, for example 2021-03-31"
    if kind == "enum":
        return "Select one of the options in the list"
    if kind == "bool_parsing":
        return "Select yes or no"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type"):
        return "Enter a number"
    if kind == "string_too_long":
        return f"Must be {ctx.get('max_length')} characters or fewer"
    if kind == "string_too_short":
        return f"Must be at least {ctx.get('min_length')} characters"
    if kind == "string_pattern_mismatch":
        return "Contains characters or a form that is not accepted"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        return {
            "greater_than": f"Must be more than {bound}",
            "greater_than_equal": f"Must be {bound} or more",
            "less_than": f"Must be less than {bound}",
            "less_than_equal": f"Must be {bound} or less",
        }[kind]
    if kind == "missing":
        return "Enter a value"
    return str(err.get("msg", "Not valid")).removeprefix("Value error, ")


def plain_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Pydantic errors as {field: "Label: what to do"} in plain words.

    A model-level rule names its field as "field: message" (the reversed date range).
    """
    out: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        message = _plain(err)
        field = loc[-1] if loc else ""
        if not loc and ": " in message:
            field, _, message = message.partition(": ")
        name = FIELD_LABELS.get(field, field.replace("_", " ").capitalize() or "Request")
        out.setdefault(field or "request", f"{name}: {message[:1].lower()}{message[1:]}")
    return out

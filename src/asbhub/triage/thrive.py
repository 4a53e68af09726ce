"""THRIVE: six judged elements and the response grade they lead to (domain guide 1.9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from asbhub.errors import InvalidInput
from asbhub.triage.rules import Element, Grade, GradeRule, Level, ThriveRules


@dataclass(frozen=True)
class ThriveElement:
    level: Level
    note: str = ""


@dataclass(frozen=True)
class ThriveResult:
    version: str
    grade: Grade
    reason: str


def _meets(rule: GradeRule, levels: Mapping[Element, Level]) -> bool:
    all_ok = all(levels[e].rank >= lv.rank for e, lv in rule.all.items())
    any_ok = not rule.any or any(levels[e].rank >= lv.rank for e, lv in rule.any.items())
    return all_ok and any_ok


def grade(
    rules: ThriveRules, elements: Mapping[Element, ThriveElement], *, partner_owns: bool
) -> ThriveResult:
    """The first grade rule the levels meet; below them all, refer where a partner owns the
    issue, else resolve without deployment."""
    missing = [e.value for e in rules.elements if e not in elements]
    if missing:
        raise InvalidInput(
            "every THRIVE element needs a level",
            {f"thrive.{m}": "give low, medium or high" for m in missing},
        )
    levels = {e: elements[e].level for e in rules.elements}
    for rule in rules.rules:
        if _meets(rule, levels):
            parts = [f"{e.value} {levels[e].value}" for e in rule.all] + [
                f"{e.value} {levels[e].value}"
                for e in rule.any
                if levels[e].rank >= rule.any[e].rank
            ]
            return ThriveResult(rules.version, rule.grade, f"THRIVE: {', '.join(parts)}")
    if partner_owns:
        return ThriveResult(
            rules.version, rules.otherwise.partner_owns, "THRIVE: all low; a partner owns the issue"
        )
    return ThriveResult(rules.version, rules.otherwise.default, "THRIVE: all low")

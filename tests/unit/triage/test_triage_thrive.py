"""THRIVE levels to response grades (default grade rules, domain guide 1.9)."""

from __future__ import annotations

import pytest

from asbhub.errors import InvalidInput
from asbhub.triage import rules
from asbhub.triage.rules import Element, Grade, Level
from asbhub.triage.thrive import ThriveElement, grade

T = rules.load().thrive


def levels(**given: str) -> dict[Element, ThriveElement]:
    out = {e: ThriveElement(Level.LOW) for e in Element}
    for k, v in given.items():
        out[Element(k)] = ThriveElement(Level(v), "note")
    return out


@pytest.mark.parametrize(
    ("given", "partner", "expected"),
    [
        ({"risk": "high", "harm": "high"}, False, Grade.IMMEDIATE),
        ({"risk": "high", "threat": "high"}, False, Grade.IMMEDIATE),
        ({"risk": "high"}, False, Grade.PRIORITY),  # risk high, but no high threat or harm
        ({"threat": "high"}, False, Grade.PRIORITY),
        ({"investigation": "high"}, False, Grade.PRIORITY),  # evidence likely to be lost
        ({"vulnerability": "high"}, False, Grade.PRIORITY),
        ({"harm": "medium"}, False, Grade.SCHEDULED),
        ({"engagement": "high"}, False, Grade.SCHEDULED),
        ({"engagement": "medium"}, False, Grade.RESOLVED),
        ({}, False, Grade.RESOLVED),
        ({}, True, Grade.REFER),
        ({"harm": "medium"}, True, Grade.SCHEDULED),  # a partner owns it, but harm needs us
    ],
)
def test_grades(given: dict[str, str], partner: bool, expected: Grade) -> None:
    assert grade(T, levels(**given), partner_owns=partner).grade is expected


def test_every_element_needs_a_level() -> None:
    partial = levels()
    del partial[Element.ENGAGEMENT]
    with pytest.raises(InvalidInput) as e:
        grade(T, partial, partner_owns=False)
    assert list(e.value.fields) == ["thrive.engagement"]

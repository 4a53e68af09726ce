"""Validation of the online report form: every field's error, and what a valid form becomes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.contact.models import HateStrand
from asbhub.contact.schemas import validate_chat_incident, validate_report
from asbhub.errors import InvalidInput
from asbhub.incidents.models import IncidentType, Qualifier

NOW = dt.datetime(2025, 3, 14, 18, 0)


def valid(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "what": "noise",
        "description": "Music played very loudly from a flat until 3am (fictitious test report).",
        "place": "Outside 1 Example Road, Chelmsford",
        "area": "E07000070",  # Chelmsford
        "when-day": "14",
        "when-month": "3",
        "when-year": "2025",
        "time": "17:30",
        "ongoing": "yes",
        "impact": "I cannot sleep.",
        "targeted": "no",
        "contact": "anonymous",
        "consent": "yes",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def errors_of(form: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as exc:
        validate_report(form, now=NOW, force_code="essex")
    return exc.value.fields


def test_valid_anonymous_report() -> None:
    r = validate_report(valid(), now=NOW, force_code="essex")
    assert r.incident_type is IncidentType.NOISE
    assert r.occurred_at == dt.datetime(2025, 3, 14, 17, 30)
    assert r.reporter is None and r.ongoing
    assert r.qualifier is Qualifier.NUISANCE and not r.hate_motivated
    assert not r.honeypot_filled


def test_targeted_report_is_personal_and_hate_when_a_national_strand() -> None:
    r = validate_report(
        valid(
            targeted="yes",
            strands=["race", "other"],
            contact="details",
            forename="Testy",
            surname="McTestface",
            email="testy@example.invalid.test",
        ),
        now=NOW,
        force_code="essex",
    )
    assert r.qualifier is Qualifier.PERSONAL
    assert r.hate_motivated
    assert r.hate_strands == (HateStrand.RACE, HateStrand.OTHER)
    assert r.reporter is not None and r.reporter.phone is None
    only_other = validate_report(
        valid(targeted="yes", strands="other"), now=NOW, force_code="essex"
    )
    assert only_other.qualifier is Qualifier.PERSONAL and not only_other.hate_motivated


def test_environmental_types_get_environmental_qualifier() -> None:
    assert (
        validate_report(valid(what="litter"), now=NOW, force_code="essex").qualifier
        is Qualifier.ENVIRONMENTAL
    )


def test_pin_alone_is_enough_for_where() -> None:
    r = validate_report(
        valid(place="", pin_lon="0.4691", pin_lat="51.7356"), now=NOW, force_code="essex"
    )
    assert r.place is None and r.longitude == pytest.approx(0.4691)


def test_honeypot_is_reported_not_rejected() -> None:
    assert validate_report(
        valid(website="http://spam.example"), now=NOW, force_code="essex"
    ).honeypot_filled


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"what": None}, "what", "Select what happened"),
        ({"what": "murder"}, "what", "Select what happened"),
        ({"description": "  "}, "description", "Enter what happened"),
        ({"description": "x" * 2001}, "description", "2000 characters or fewer"),
        ({"place": ""}, "place", "Enter where it happened"),
        ({"area": ""}, "area", "Select the town or council area"),
        ({"area": "E09000001"}, "area", "from the list"),  # the City of London: not Essex
        ({"place": "", "pin_lon": "abc", "pin_lat": "51"}, "place", "could not be read"),
        ({"pin_lon": "nan", "pin_lat": "51"}, "place", "could not be read"),
        ({"when-day": "", "when-month": "", "when-year": ""}, "when", "Enter the date"),
        ({"when-month": ""}, "when", "must include a month"),
        ({"when-day": "31", "when-month": "2"}, "when", "real date"),
        ({"when-day": "15"}, "when", "today or in the past"),
        ({"when-year": "2023"}, "when", "within the last year"),
        ({"time": ""}, "time", "Enter the time"),
        ({"time": "25:00"}, "time", "24-hour clock"),
        ({"time": "half nine"}, "time", "24-hour clock"),
        ({"time": "19:30"}, "time", "now or in the past"),
        ({"ongoing": "maybe"}, "ongoing", "Select whether it is still happening"),
        ({"impact": "x" * 1001}, "impact", "1000 characters or fewer"),
        ({"targeted": None}, "targeted", "Select whether you think you were targeted"),
        ({"targeted": "yes"}, "strands", "Select why"),
        ({"targeted": "yes", "strands": ["height"]}, "strands", "Select why"),
        ({"contact": None}, "contact", "Select whether you want to give"),
        ({"contact": "details", "surname": "X", "phone": "01632 960001"}, "forename", "first"),
        ({"contact": "details", "forename": "X", "phone": "01632 960001"}, "surname", "last"),
        ({"contact": "details", "forename": "X", "surname": "Y"}, "phone", "phone number or"),
        (
            {"contact": "details", "forename": "X", "surname": "Y", "phone": "12"},
            "phone",
            "Enter a phone number, like",
        ),
        (
            {"contact": "details", "forename": "X", "surname": "Y", "email": "nope"},
            "email",
            "correct format",
        ),
        ({"consent": None}, "consent", "Confirm"),
    ],
)
def test_each_field_error(changes: dict[str, Any], field: str, message: str) -> None:
    fields = errors_of(valid(**changes))
    assert field in fields
    assert message in fields[field]


def test_errors_follow_the_order_of_the_form() -> None:
    fields = errors_of({})
    assert list(fields) == [
        "what",
        "description",
        "place",
        "area",
        "when",
        "time",
        "ongoing",
        "targeted",
        "contact",
        "consent",
    ]


def test_chat_incident_form() -> None:
    ok = validate_chat_incident(
        {
            "incident_type": "noise",
            "qualifier": "nuisance",
            "summary": "Loud party",
            "area": "E07000066",
        },
        force_code="essex",
    )
    assert ok.incident_type is IncidentType.NOISE and ok.place is None
    with pytest.raises(InvalidInput) as exc:
        validate_chat_incident({"incident_type": "x", "summary": ""}, force_code="essex")
    assert set(exc.value.fields) == {"incident_type", "qualifier", "area", "summary"}


def test_a_witness_may_leave_the_impact_blank() -> None:
    assert validate_report(valid(impact=""), now=NOW, force_code="essex").impact == ""


def test_a_pin_makes_the_area_optional() -> None:
    r = validate_report(
        valid(area="", pin_lon="0.4691", pin_lat="51.7356"), now=NOW, force_code="essex"
    )
    assert r.area is None and r.longitude == 0.4691

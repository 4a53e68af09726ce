"""Typed inputs of the public's channels, and the validation of the online report form.

The form is validated field by field and every problem is collected, in the order the fields
appear on the page, so the page can show a GOV.UK error summary whose links follow the form.
Messages follow the GOV.UK Design System's wording patterns ("Enter…", "Select…").
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from asbhub.contact.models import NATIONAL_STRANDS, HateStrand
from asbhub.errors import InvalidInput
from asbhub.geography.service import council_areas
from asbhub.incidents.models import IncidentType, Qualifier


@dataclass(frozen=True)
class WhatOption:
    key: str
    label: str
    hint: str
    incident_type: IncidentType


# Plain words the public recognise, each mapped to the NSIR type a call handler would open with.
# Hoax calls and COVID breaches are not offered: the public do not report those as ASB online.
WHAT_OPTIONS: tuple[WhatOption, ...] = (
    WhatOption("noise", "Loud noise or music", "", IncidentType.NOISE),
    WhatOption(
        "neighbours",
        "Neighbours behaving badly",
        "For example, shouting, slamming doors, threats or parties at all hours",
        IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
    ),
    WhatOption(
        "rowdy",
        "People being rowdy, rude or intimidating in a public place",
        "",
        IncidentType.ROWDY_INCONSIDERATE,
    ),
    WhatOption(
        "vehicles",
        "Vehicles driven or used in a nuisance way",
        "For example, off-road bikes in a park, car meets or revving engines",
        IncidentType.VEHICLE_NUISANCE,
    ),
    WhatOption("abandoned", "An abandoned vehicle", "", IncidentType.ABANDONED_VEHICLE),
    WhatOption("drinking", "Drinking in the street", "", IncidentType.STREET_DRINKING),
    WhatOption(
        "litter",
        "Needles, drug litter or dumped rubbish",
        "",
        IncidentType.LITTERING_DRUGS_PARAPHERNALIA,
    ),
    WhatOption("begging", "Begging", "", IncidentType.BEGGING_VAGRANCY),
    WhatOption("fireworks", "Fireworks being misused", "", IncidentType.FIREWORKS),
    WhatOption(
        "animals",
        "Problems with animals",
        "For example, a dog out of control",
        IncidentType.ANIMAL_PROBLEMS,
    ),
    WhatOption(
        "trespass",
        "People on land or in buildings where they should not be",
        "",
        IncidentType.TRESPASS,
    ),
    WhatOption(
        "messages",
        "Nuisance calls, messages or posts",
        "",
        IncidentType.MALICIOUS_COMMUNICATIONS,
    ),
    WhatOption(
        "sex_work",
        "Sex work or kerb crawling causing a nuisance",
        "",
        IncidentType.PROSTITUTION,
    ),
)
WHAT_BY_KEY = {o.key: o for o in WHAT_OPTIONS}

STRAND_LABELS: dict[HateStrand, str] = {
    HateStrand.RACE: "Race or ethnicity",
    HateStrand.RELIGION: "Religion or belief",
    HateStrand.SEXUAL_ORIENTATION: "Sexual orientation",
    HateStrand.DISABILITY: "Disability",
    HateStrand.TRANSGENDER_IDENTITY: "Transgender identity",
    HateStrand.OTHER: "Something else about me",
}

ENVIRONMENTAL_TYPES = frozenset(
    {IncidentType.ABANDONED_VEHICLE, IncidentType.LITTERING_DRUGS_PARAPHERNALIA}
)

DESCRIPTION_MAX = 2000
IMPACT_MAX = 1000
PLACE_MAX = 300
NAME_MAX = 80
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{10,20}$")
TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")

# Where each error links to: the first control of the question it belongs to.
ERROR_ANCHORS: dict[str, str] = {
    "what": "what",
    "description": "description",
    "place": "place",
    "area": "area",
    "when": "when-day",
    "time": "time",
    "ongoing": "ongoing",
    "impact": "impact",
    "targeted": "targeted",
    "strands": "strands",
    "contact": "contact",
    "forename": "forename",
    "surname": "surname",
    "phone": "phone",
    "email": "email",
    "consent": "consent",
}


@dataclass(frozen=True)
class Reporter:
    forename: str
    surname: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class OnlineReport:
    """A validated online report, ready to store."""

    incident_type: IncidentType
    description: str
    place: str | None
    longitude: float | None
    latitude: float | None
    # The council area (local authority code) the reporter chose; the pin decides when given.
    area: str | None
    occurred_at: dt.datetime
    ongoing: bool
    impact: str
    targeted: str
    hate_strands: tuple[HateStrand, ...]
    reporter: Reporter | None
    consent: bool = True
    honeypot_filled: bool = False

    @property
    def hate_motivated(self) -> bool:
        """Hostility to a national strand, as perceived by the reporter (perception suffices)."""
        return any(s in NATIONAL_STRANDS for s in self.hate_strands)

    @property
    def qualifier(self) -> Qualifier:
        """The provisional ASB category a call handler confirms or changes at triage."""
        if self.targeted == "yes":
            return Qualifier.PERSONAL
        if self.incident_type in ENVIRONMENTAL_TYPES:
            return Qualifier.ENVIRONMENTAL
        return Qualifier.NUISANCE


@dataclass
class _Errors:
    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)


FormData = Mapping[str, str | Sequence[str]]


def _one(form: FormData, name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, str):
        return value.strip()
    return str(value[0]).strip() if value else ""


def _many(form: FormData, name: str) -> list[str]:
    value = form.get(name, [])
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def _pin(form: FormData, errors: _Errors) -> tuple[float | None, float | None]:
    lon_s, lat_s = _one(form, "pin_lon"), _one(form, "pin_lat")
    if not lon_s and not lat_s:
        return None, None
    try:
        lon, lat = float(lon_s), float(lat_s)
    except ValueError:
        errors.add("place", "The map pin could not be read: place it again or describe the place")
        return None, None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        errors.add("place", "The map pin could not be read: place it again or describe the place")
        return None, None
    return lon, lat


def _when(form: FormData, errors: _Errors, now: dt.datetime) -> dt.datetime | None:
    parts = {k: _one(form, f"when-{k}") for k in ("day", "month", "year")}
    date: dt.date | None = None
    if not any(parts.values()):
        errors.add("when", "Enter the date it happened")
    elif not all(parts.values()):
        missing = " and ".join(k for k, v in parts.items() if not v)
        errors.add("when", f"The date it happened must include a {missing}")
    else:
        try:
            date = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            errors.add("when", "The date it happened must be a real date")
        else:
            if date > now.date():
                errors.add("when", "The date it happened must be today or in the past")
                date = None
            elif date < now.date() - dt.timedelta(days=366):
                errors.add(
                    "when",
                    "The date it happened must be within the last year; "
                    "for anything older, call 101",
                )
                date = None
    time_s = _one(form, "time")
    clock: dt.time | None = None
    if not time_s:
        errors.add("time", "Enter the time it happened, for example 21:30")
    else:
        m = TIME_RE.match(time_s)
        if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            errors.add("time", "Enter the time in the 24-hour clock, for example 21:30")
        else:
            clock = dt.time(int(m.group(1)), int(m.group(2)))
    if date is None or clock is None:
        return None
    when = dt.datetime.combine(date, clock)
    if when > now + dt.timedelta(minutes=5):  # a little slack for clocks that run fast
        errors.add("time", "The time it happened must be now or in the past")
        return None
    return when


def _area(form: FormData, errors: _Errors, force_code: str, *, required: bool) -> str | None:
    """The chosen council area: without a pin it is what puts a typed address in a district
    (and so in its partners' lists)."""
    area = _one(form, "area")
    if not area:
        if required:
            errors.add("area", "Select the town or council area where it happened")
        return None
    if area not in {d.local_authority_code for d in council_areas(force_code)}:
        errors.add("area", "Select the town or council area from the list")
        return None
    return area


def validate_report(form: FormData, *, now: dt.datetime, force_code: str) -> OnlineReport:
    """Validate the online report form; raises :class:`InvalidInput` with every field's problem.

    ``now`` is naive UTC. The honeypot field ``website`` is reported back, not rejected, so the
    caller can drop a bot's submission quietly.
    """
    errors = _Errors()
    what = WHAT_BY_KEY.get(_one(form, "what"))
    if what is None:
        errors.add("what", "Select what happened")
    description = _one(form, "description")
    if not description:
        errors.add("description", "Enter what happened")
    elif len(description) > DESCRIPTION_MAX:
        errors.add("description", f"What happened must be {DESCRIPTION_MAX} characters or fewer")
    place = _one(form, "place")
    lon, lat = _pin(form, errors)
    if len(place) > PLACE_MAX:
        errors.add("place", f"The place must be {PLACE_MAX} characters or fewer")
    elif not place and lon is None and "place" not in errors.fields:
        errors.add("place", "Enter where it happened, or put a pin on the map")
    area = _area(form, errors, force_code, required=lon is None)
    occurred_at = _when(form, errors, now)
    ongoing_s = _one(form, "ongoing")
    if ongoing_s not in ("yes", "no"):
        errors.add("ongoing", "Select whether it is still happening")
    # Optional: a witness reporting what happened to others may have nothing to say here.
    impact = _one(form, "impact")
    if len(impact) > IMPACT_MAX:
        errors.add("impact", f"How it affects you must be {IMPACT_MAX} characters or fewer")
    targeted = _one(form, "targeted")
    strands: list[HateStrand] = []
    if targeted not in ("yes", "no", "unsure"):
        errors.add("targeted", "Select whether you think you were targeted because of who you are")
    elif targeted == "yes":
        raw = _many(form, "strands")
        try:
            strands = [HateStrand(s) for s in dict.fromkeys(raw)]
        except ValueError:
            errors.add("strands", "Select why you think you were targeted")
        if not raw:
            errors.add("strands", "Select why you think you were targeted")
    contact = _one(form, "contact")
    reporter: Reporter | None = None
    if contact not in ("details", "anonymous"):
        errors.add("contact", "Select whether you want to give your contact details")
    elif contact == "details":
        forename = _one(form, "forename")
        surname = _one(form, "surname")
        phone = _one(form, "phone")
        email = _one(form, "email")
        if not forename:
            errors.add("forename", "Enter your first name")
        elif len(forename) > NAME_MAX:
            errors.add("forename", f"First name must be {NAME_MAX} characters or fewer")
        if not surname:
            errors.add("surname", "Enter your last name")
        elif len(surname) > NAME_MAX:
            errors.add("surname", f"Last name must be {NAME_MAX} characters or fewer")
        if not phone and not email:
            errors.add("phone", "Enter a phone number or an email address")
        if phone and not PHONE_RE.match(phone):
            errors.add("phone", "Enter a phone number, like 01632 960 001 or 07700 900 982")
        if email and (len(email) > 200 or not EMAIL_RE.match(email)):
            errors.add(
                "email", "Enter an email address in the correct format, like name@example.com"
            )
        reporter = Reporter(forename, surname, phone or None, email or None)
    if _one(form, "consent") != "yes":
        errors.add("consent", "Confirm that we may store and use what you have told us")
    if errors.fields or what is None or occurred_at is None:
        raise InvalidInput("There is a problem with your report", errors.fields)
    return OnlineReport(
        incident_type=what.incident_type,
        description=description,
        place=place or None,
        longitude=lon,
        latitude=lat,
        area=area,
        occurred_at=occurred_at,
        ongoing=ongoing_s == "yes",
        impact=impact,
        targeted=targeted,
        hate_strands=tuple(strands),
        reporter=reporter,
        honeypot_filled=bool(_one(form, "website")),
    )


@dataclass(frozen=True)
class ChatToIncident:
    """What a handler records when turning a chat into an incident."""

    incident_type: IncidentType
    qualifier: Qualifier
    place: str | None
    summary: str
    hate_motivated: bool = False
    area: str | None = None
    caller: Reporter | None = None


def validate_chat_incident(form: FormData, *, force_code: str) -> ChatToIncident:
    """Validate the handler's "record as incident" form; a chat has no pin, so the council
    area is asked for."""
    errors = _Errors()
    try:
        itype: IncidentType | None = IncidentType(_one(form, "incident_type"))
    except ValueError:
        itype = None
        errors.add("incident_type", "Select the incident type")
    try:
        qual: Qualifier | None = Qualifier(_one(form, "qualifier"))
    except ValueError:
        qual = None
        errors.add("qualifier", "Select the ASB category")
    place = _one(form, "place")
    if len(place) > PLACE_MAX:
        errors.add("place", f"The place must be {PLACE_MAX} characters or fewer")
    area = _area(form, errors, force_code, required=True)
    summary = _one(form, "summary")
    if not summary:
        errors.add("summary", "Enter a summary of what the caller reported")
    elif len(summary) > DESCRIPTION_MAX:
        errors.add("summary", f"The summary must be {DESCRIPTION_MAX} characters or fewer")
    caller = _caller(form, errors)
    if errors.fields or itype is None or qual is None:
        raise InvalidInput("The incident could not be recorded", errors.fields)
    return ChatToIncident(
        incident_type=itype,
        qualifier=qual,
        place=place or None,
        summary=summary,
        hate_motivated=_one(form, "hate_motivated") == "yes",
        caller=caller,
        area=area,
    )


def _caller(form: FormData, errors: _Errors) -> Reporter | None:
    """The chatter's name and contact details, when they gave them (all optional)."""
    forename, surname = _one(form, "forename"), _one(form, "surname")
    phone, email = _one(form, "phone"), _one(form, "email")
    if not (forename or surname or phone or email):
        return None
    if not forename or not surname:
        errors.add("forename" if not forename else "surname", "Enter both names, or neither")
    for name, value in (("forename", forename), ("surname", surname)):
        if len(value) > NAME_MAX:
            errors.add(name, f"Names must be {NAME_MAX} characters or fewer")
    if phone and not PHONE_RE.match(phone):
        errors.add("phone", "Enter a phone number, like 01632 960 001 or 07700 900 982")
    if email and (len(email) > 200 or not EMAIL_RE.match(email)):
        errors.add("email", "Enter an email address in the correct format, like name@example.com")
    return Reporter(forename, surname, phone or None, email or None)


# --- the channel counts (API response) -----------------------------------------------------


class ChannelTotal(BaseModel):
    count: int
    first_day: dt.date | None
    days: int
    per_day: float


class QuarterCounts(BaseModel):
    quarter: str = Field(description="Financial quarter, e.g. 2020-21 Q3 (Oct-Dec 2020)")
    start: dt.date
    end: dt.date
    partial: bool = Field(description="The period covers only part of the quarter")
    online_reports: int
    chats: int
    online_reports_change: int | None = Field(description="Change on the previous quarter")
    chats_change: int | None


class DayCounts(BaseModel):
    day: dt.date
    online_reports: int
    chats: int


class ChannelCounts(BaseModel):
    force: str
    start: dt.date
    end: dt.date
    totals: dict[str, ChannelTotal]
    quarters: list[QuarterCounts]
    daily: list[DayCounts]
    definitions: dict[str, str]

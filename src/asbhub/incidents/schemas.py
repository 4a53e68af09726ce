"""Typed inputs and outputs of the incident reads; the API returns these as they are."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from asbhub.incidents.models import Channel, IncidentStatus, IncidentType, PersonRole, Qualifier

# Printable text only: PostgreSQL refuses NUL bytes, and no filter needs control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
COUNT_CAP = 10_000


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# The store keeps naive UTC; the API states the zone (RFC 3339 needs one).
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]
PAGE_SIZE = 50


class IncidentFilters(BaseModel):
    """Filters of the incident list; every field is optional and they combine with AND."""

    date_from: dt.date | None = Field(None, description="Received on or after this day")
    date_to: dt.date | None = Field(None, description="Received on or before this day")
    district: str | None = Field(
        None, max_length=80, pattern=PRINTABLE, description="Policing district name"
    )
    local_authority: str | None = Field(
        None, max_length=12, pattern=PRINTABLE, description="Local authority code"
    )
    qualifier: Qualifier | None = None
    type: IncidentType | None = Field(
        None, description="Incident type: the closing code once given, else the opening code"
    )
    channel: Channel | None = None
    covid: bool | None = Field(None, description="Flagged as a COVID-19 breach")
    attended: bool | None = Field(None, description="Police attended")

    def active(self) -> dict[str, str]:
        """The filters that are set, as query-string values (``true``, ``2021-03-01``)."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in data.items()}


class IncidentRow(BaseModel):
    id: int
    reference: str
    received_at: UtcDateTime
    channel: Channel
    type: IncidentType = Field(description="The closing code once given, else the opening code")
    type_label: str
    qualifier: Qualifier | None
    covid_breach: bool
    attended: bool
    status: IncidentStatus
    district: str | None
    local_authority_code: str | None
    lsoa_code: str | None
    location_text: str | None = Field(
        None, description="Street-level place; only for roles that may see personal data"
    )


class IncidentPage(BaseModel):
    items: list[IncidentRow]
    next_cursor: str | None = Field(None, description="Pass as `after` for the next page")
    count: int | None = Field(
        description="Matching incidents, counted up to `count_cap` (null when not asked for)"
    )
    count_capped: bool = Field(description="True when there are more than `count_cap`")
    count_cap: int = COUNT_CAP


class PersonLink(BaseModel):
    person_id: int | None = Field(None, description="Only for roles that may see identities")
    label: str = Field(description="The name, or a pseudonym for other roles")
    role: PersonRole


class TimelineEntry(BaseModel):
    at: UtcDateTime
    what: str


class IncidentDetail(IncidentRow):
    opening_code: IncidentType
    closing_code: IncidentType | None
    hate_motivated: bool
    attended_at: UtcDateTime | None
    narrative: str | None = Field(None, description="Only for roles that may see personal data")
    longitude: float | None
    latitude: float | None
    location_id: int | None
    people: list[PersonLink]
    timeline: list[TimelineEntry]
    personal_data_shown: bool


class PersonIncident(BaseModel):
    role: PersonRole
    incident: IncidentRow


class PersonDetail(BaseModel):
    id: int
    forename: str
    surname: str
    date_of_birth: dt.date | None
    phone: str | None
    email: str | None
    address: str | None
    vulnerable: bool
    vulnerability_flags: list[str]
    incidents: list[PersonIncident]


class PersonSummary(BaseModel):
    id: int
    name: str
    date_of_birth: dt.date | None
    incidents: int


class NearbyIncident(IncidentRow):
    distance_m: float
    longitude: float | None = Field(None, description="Rounded to about 100 m for some roles")
    latitude: float | None = None


class Nearby(BaseModel):
    label: str
    location_id: int | None
    x_bng: float
    y_bng: float
    longitude: float
    latitude: float
    radius_m: float
    items: list[NearbyIncident]
    total: int
    truncated: bool


class SearchResults(BaseModel):
    query: str
    kind: Literal["reference", "place", "person", "all"]
    incidents: list[IncidentRow]
    people: list[PersonSummary]


class MonthlyCounts(BaseModel):
    months: list[str] = Field(description="YYYY-MM, oldest first")
    districts: list[str]
    counts: dict[str, list[int]] = Field(description="District -> count per month")
    total: int

"""Typed inputs and outputs of the incident reads; the API returns these as they are."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from asbhub.geography.service import UK_LAT, UK_LON, from_bng
from asbhub.incidents.models import (
    Channel,
    IncidentStatus,
    IncidentType,
    PersonRole,
    PremisesType,
    Qualifier,
)

# Printable text only: PostgreSQL refuses NUL bytes, and no filter needs control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
COUNT_CAP = 10_000


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# The store keeps naive UTC; the API states the zone (RFC 3339 needs one).
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]
PAGE_SIZE = 50


Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


def naive_utc(value: dt.datetime) -> dt.datetime:
    """The store keeps naive UTC: an offset is honoured, none means UTC already."""
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


class NewPerson(BaseModel):
    """A person on a new incident, in the role they have on it."""

    model_config = ConfigDict(extra="forbid")

    role: PersonRole
    forename: Name
    surname: Name
    date_of_birth: dt.date | None = None
    phone: Annotated[str, StringConstraints(max_length=30)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: Address | None = None
    vulnerability_flags: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list
    )


class NewIncident(BaseModel):
    """An incident to record, whoever records it: the one schema behind every writer.

    The online report, a chat conversion and an export import (docs/formats.md) all validate
    their incident through this model before :func:`asbhub.incidents.service.record_incident`
    (or its bulk form) stores it. ``reference`` is assigned when not given. A place is given
    as longitude/latitude or as easting/northing (British National Grid), never both; the
    areas (LSOA, district, local authority) are always worked out from it, never taken as given.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    reference: Text40 | None = None
    received_at: dt.datetime
    channel: Channel
    opening_code: IncidentType
    closing_code: IncidentType | None = None
    qualifier: Qualifier | None = None
    covid_breach: bool = False
    hate_motivated: bool = False
    location_text: Address | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    premises_type: PremisesType | None = None
    longitude: float | None = None
    latitude: float | None = None
    easting: float | None = None
    northing: float | None = None
    attended: bool = False
    attended_at: dt.datetime | None = None
    narrative: str | None = None
    status: IncidentStatus = IncidentStatus.NEW
    people: list[NewPerson] = Field(default_factory=list)

    @field_validator("received_at", "attended_at")
    @classmethod
    def _naive_utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        return naive_utc(v) if v is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> NewIncident:
        lonlat = (self.longitude is None, self.latitude is None)
        grid = (self.easting is None, self.northing is None)
        if lonlat[0] != lonlat[1]:
            raise ValueError("longitude and latitude must be given together")
        if grid[0] != grid[1]:
            raise ValueError("easting and northing must be given together")
        if not any(grid) and not any(lonlat):
            raise ValueError("give longitude/latitude or easting/northing, not both")
        if self.easting is not None and self.northing is not None:
            lon, lat = from_bng([self.easting], [self.northing])
            self.longitude, self.latitude = float(lon[0]), float(lat[0])
        if self.longitude is not None and self.latitude is not None:
            in_uk = UK_LON[0] <= self.longitude <= UK_LON[1] and (
                UK_LAT[0] <= self.latitude <= UK_LAT[1]
            )
            if not in_uk:
                raise ValueError(
                    f"coordinates outside the UK: longitude {self.longitude}, "
                    f"latitude {self.latitude}"
                )
        if self.attended_at is not None:
            if not self.attended:
                raise ValueError("attended_at is given but attended is false")
            if self.attended_at < self.received_at:
                raise ValueError("attended_at is before received_at")
        if IncidentType.COVID_BREACH in (self.opening_code, self.closing_code):
            self.covid_breach = True
        return self


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

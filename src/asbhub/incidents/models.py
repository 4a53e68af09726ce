"""Incident tables: NSIR incidents recorded as ASB, their places and the people in them.

Every table carries ``force_code`` (a data.police.uk force slug such as ``essex``) so that one
store can hold several forces and every list can be narrowed to the actor's force in the query.
Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class Channel(enum.StrEnum):
    EMERGENCY = "999"
    NON_EMERGENCY = "101"
    ONLINE = "online"
    LIVE_CHAT = "live_chat"
    EMAIL = "email"
    PARTNER = "partner"
    OFFICER = "officer"


CHANNEL_LABELS: dict[str, str] = {
    "999": "999 call",
    "101": "101 call",
    "online": "Online report",
    "live_chat": "Live chat",
    "email": "E-mail",
    "partner": "Partner referral",
    "officer": "Officer-generated",
}


class Qualifier(enum.StrEnum):
    PERSONAL = "personal"
    NUISANCE = "nuisance"
    ENVIRONMENTAL = "environmental"


class IncidentType(enum.StrEnum):
    """NSIR ASB incident types (domain guide 1.4) plus the COVID-19 breach code of 2020-21."""

    ABANDONED_VEHICLE = "abandoned_vehicle"
    ANIMAL_PROBLEMS = "animal_problems"
    BEGGING_VAGRANCY = "begging_vagrancy"
    FIREWORKS = "fireworks"
    HOAX_CALL = "hoax_call"
    LITTERING_DRUGS_PARAPHERNALIA = "littering_drugs_paraphernalia"
    MALICIOUS_COMMUNICATIONS = "malicious_communications"
    NOISE = "noise"
    PROSTITUTION = "prostitution"
    ROWDY_INCONSIDERATE = "rowdy_inconsiderate"
    ROWDY_NUISANCE_NEIGHBOURS = "rowdy_nuisance_neighbours"
    STREET_DRINKING = "street_drinking"
    TRESPASS = "trespass"
    VEHICLE_NUISANCE = "vehicle_nuisance"
    COVID_BREACH = "covid_breach"


INCIDENT_TYPE_LABELS: dict[IncidentType, str] = {
    IncidentType.ABANDONED_VEHICLE: "Abandoned vehicle",
    IncidentType.ANIMAL_PROBLEMS: "Animal problems",
    IncidentType.BEGGING_VAGRANCY: "Begging / vagrancy",
    IncidentType.FIREWORKS: "Fireworks",
    IncidentType.HOAX_CALL: "Hoax call to emergency services",
    IncidentType.LITTERING_DRUGS_PARAPHERNALIA: "Littering / drugs paraphernalia",
    IncidentType.MALICIOUS_COMMUNICATIONS: "Malicious / nuisance communications",
    IncidentType.NOISE: "Noise",
    IncidentType.PROSTITUTION: "Prostitution-related activity",
    IncidentType.ROWDY_INCONSIDERATE: "Rowdy / inconsiderate behaviour",
    IncidentType.ROWDY_NUISANCE_NEIGHBOURS: "Rowdy / nuisance neighbours",
    IncidentType.STREET_DRINKING: "Street drinking",
    IncidentType.TRESPASS: "Trespass",
    IncidentType.VEHICLE_NUISANCE: "Vehicle nuisance / inappropriate use",
    IncidentType.COVID_BREACH: "COVID-19 breach",
}


class IncidentStatus(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    REFERRED = "referred"
    RESOLVED = "resolved"
    CLOSED = "closed"


class PersonRole(enum.StrEnum):
    CALLER = "caller"
    VICTIM = "victim"
    WITNESS = "witness"
    SUSPECT = "suspect"


class PremisesType(enum.StrEnum):
    RESIDENTIAL = "residential"
    SOCIAL_HOUSING = "social_housing"
    COMMERCIAL = "commercial"
    LICENSED = "licensed"
    OPEN_SPACE = "open_space"
    STREET = "street"
    TRANSPORT = "transport"
    EDUCATION = "education"
    OTHER = "other"


class Location(ForceKeyed, Base):
    """A place that incidents happen at; repeat-location checks key on it."""

    __tablename__ = "locations"
    __table_args__ = (
        Index("ix_locations_bng", "x_bng", "y_bng"),
        # The repeat-location check matches an address within its postcode.
        Index("ix_locations_force_postcode", "force_code", "postcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10))
    premises_type: Mapped[PremisesType] = mapped_column(enum_column(PremisesType, "premises_type"))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    x_bng: Mapped[float | None] = mapped_column(Float)
    y_bng: Mapped[float | None] = mapped_column(Float)
    lsoa_code: Mapped[str | None] = mapped_column(String(12))
    district: Mapped[str | None] = mapped_column(String(80))
    local_authority_code: Mapped[str | None] = mapped_column(String(12))


class Incident(ForceKeyed, Base):
    """An NSIR incident recorded as ASB."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("force_code", "reference"),
        Index("ix_incidents_force_received", "force_code", "received_at"),
        Index("ix_incidents_force_district_received", "force_code", "district", "received_at"),
        Index(
            "ix_incidents_force_la_received", "force_code", "local_authority_code", "received_at"
        ),
        Index("ix_incidents_bng", "x_bng", "y_bng", "received_at"),
        Index("ix_incidents_location", "location_id", "received_at"),
        Index("ix_incidents_force_channel_received", "force_code", "channel", "received_at"),
        Index("ix_incidents_force_qualifier_received", "force_code", "qualifier", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    opening_code: Mapped[IncidentType] = mapped_column(enum_column(IncidentType, "incident_type"))
    closing_code: Mapped[IncidentType | None] = mapped_column(
        enum_column(IncidentType, "incident_type")
    )
    qualifier: Mapped[Qualifier | None] = mapped_column(enum_column(Qualifier, "qualifier"))
    covid_breach: Mapped[bool] = mapped_column(Boolean, default=False)
    hate_motivated: Mapped[bool] = mapped_column(Boolean, default=False)
    location_text: Mapped[str | None] = mapped_column(String(300))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    x_bng: Mapped[float | None] = mapped_column(Float)
    y_bng: Mapped[float | None] = mapped_column(Float)
    lsoa_code: Mapped[str | None] = mapped_column(String(12))
    district: Mapped[str | None] = mapped_column(String(80))
    local_authority_code: Mapped[str | None] = mapped_column(String(12))
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    attended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    narrative: Mapped[str | None] = mapped_column(Text)
    status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, "incident_status"), default=IncidentStatus.NEW
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    location: Mapped[Location | None] = relationship(
        **same_force("Incident.location_id", "Location")
    )
    people: Mapped[list[IncidentPerson]] = relationship(
        back_populates="incident", **same_force("IncidentPerson.incident_id", "Incident")
    )


class Person(ForceKeyed, Base):
    """A person known to the force. Every identity asbhub holds in demos and tests is generated."""

    __tablename__ = "people"
    __table_args__ = (
        Index("ix_people_force_name", "force_code", "surname", "forename"),
        # The repeat checks match a name as typed on the call, whatever its case.
        Index(
            "ix_people_force_lower_name",
            "force_code",
            func.lower(text("surname")),
            func.lower(text("forename")),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    forename: Mapped[str] = mapped_column(String(80))
    surname: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerability_flags: Mapped[list[str]] = mapped_column(JSON, default=list)

    incidents: Mapped[list[IncidentPerson]] = relationship(
        back_populates="person", **same_force("IncidentPerson.person_id", "Person")
    )


class IncidentPerson(ForceKeyed, Base):
    __tablename__ = "incident_people"
    __table_args__ = (
        UniqueConstraint("incident_id", "person_id", "role"),
        Index("ix_incident_people_person", "person_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[PersonRole] = mapped_column(enum_column(PersonRole, "person_role"))

    incident: Mapped[Incident] = relationship(
        back_populates="people", **same_force("IncidentPerson.incident_id", "Incident")
    )
    person: Mapped[Person] = relationship(
        back_populates="incidents", **same_force("IncidentPerson.person_id", "Person")
    )


class IncidentStatusChange(ForceKeyed, Base):
    """One step of an incident's life: who moved it, when, why, from which status to which.

    Written only by :func:`asbhub.incidents.lifecycle.apply`, in the same transaction as the
    change, so ``Incident.status`` is never overwritten without a row here.
    """

    __tablename__ = "incident_status_changes"
    __table_args__ = (Index("ix_incident_status_changes_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    event: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, "incident_status")
    )
    to_status: Mapped[IncidentStatus] = mapped_column(
        enum_column(IncidentStatus, "incident_status")
    )
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class IncidentAssignment(ForceKeyed, Base):
    """An incident given to an officer or a team; ``ended_at`` is set when it is handed on."""

    __tablename__ = "incident_assignments"
    __table_args__ = (
        Index("ix_incident_assignments_assignee", "assignee_user_id", "ended_at"),
        Index("ix_incident_assignments_incident", "incident_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    assignee_name: Mapped[str | None] = mapped_column(String(120))
    team: Mapped[str | None] = mapped_column(String(120))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime)
    assigned_by: Mapped[str] = mapped_column(String(120))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

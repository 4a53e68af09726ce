"""A small, plainly fictitious casework world for the casework tests (unit, HTTP, browser).

A repeat location in Basildon (three earlier incidents and a new one at one address, a victim
and a suspect), a fictitious housing provider covering Basildon under an agreement with the
force, and a triage of the new incident that finds the repeat location. Every name is made up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asbhub.agencies import service as agencies
from asbhub.agencies.models import AgencyRow as Agency
from asbhub.auth.models import User
from asbhub.auth.service import actor_for
from asbhub.casework import rules as sara_rules
from asbhub.casework import service as casework
from asbhub.casework.schemas import FromTriageIn
from asbhub.config import get_settings
from asbhub.geography.service import to_bng
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentType,
    Location,
    Person,
    PersonRole,
    PremisesType,
    Qualifier,
)
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope
from asbhub.triage import rules as triage_rules
from asbhub.triage import service as triage
from asbhub.triage.schemas import CallIn

LON, LAT = 0.4580, 51.5760  # Basildon
BASILDON = "E07000066"


@dataclass(frozen=True)
class Area:
    lon: float
    lat: float
    local_authority_code: str
    district: str
    council: str


BASILDON_AREA = Area(LON, LAT, BASILDON, "Basildon", "basildon-council")
# Away from the web tests' seeded places, for the browser test that shares their live server.
HARLOW_AREA = Area(0.0990, 51.7700, "E07000073", "Harlow", "harlow-council")
HOUSING = "test-homes"  # a fictitious housing provider
ISA = "ISA-TEST-HOUSING"
VICTIM = ("Fictina", "Casewrightley")
SUSPECT = ("Madeupius", "Notrealton")
LOW = {
    e: {"level": "low"}
    for e in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
}


@dataclass
class CaseWorld:
    assessment_id: int
    new_incident: int
    victim: int
    suspect: int
    users: dict[str, str] = field(default_factory=dict)  # key -> username


def bng(lon: float, lat: float) -> tuple[float, float]:
    x, y = to_bng([lon], [lat])
    return float(x[0]), float(y[0])


def incident(
    s: Session,
    ref: str,
    at: dt.datetime,
    *,
    dx: float = 0.0,
    dy: float = 0.0,
    loc: Location | None = None,
    la: str | None = BASILDON,
    area: Area = BASILDON_AREA,
    **kw: object,
) -> Incident:
    """An incident ``dx``, ``dy`` metres from the repeat location, at ``at``."""
    x, y = bng(area.lon, area.lat)
    fields: dict[str, object] = {
        "force_code": "essex",
        "reference": ref,
        "received_at": at,
        "channel": Channel.NON_EMERGENCY,
        "opening_code": IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
        "qualifier": Qualifier.PERSONAL,
        "location_id": loc.id if loc else None,
        "longitude": area.lon,
        "latitude": area.lat,
        "x_bng": x + dx,
        "y_bng": y + dy,
        "district": area.district,
        "local_authority_code": la if area is BASILDON_AREA else area.local_authority_code,
        "narrative": f"Fictitious narrative naming {VICTIM[1]}.",
    }
    fields.update(kw)
    i = Incident(**fields)
    s.add(i)
    s.flush()
    return i


PASSWORD = "fictitious-password-1"
# The test cost of argon2 (see webseed): a real argon2id hash the web tests can sign in with.
_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def user(s: Session, username: str, role: Role, agency: str | None = None) -> User:
    """The test account ``username``, made once (a second world in the same database, as the
    browser tests' shared server holds, reuses it)."""
    found = s.scalars(select(User).where(User.username == username)).one_or_none()
    if found is not None:
        return found
    u = User(
        username=username,
        display_name=f"Test {username}",
        password_hash=_HASH,
        role=role.value,
        force_code="essex",
        agency_code=agency,
        demo=True,  # a test account: no second factor in development mode (as webseed's)
    )
    s.add(u)
    s.flush()
    return u


def actor_of(s: Session, username: str) -> Actor:
    u = s.scalars(select(User).where(User.username == username)).one()
    return actor_for(u, settings=get_settings())


def build(
    engine: Engine,
    now: dt.datetime,
    *,
    agreement_from: dt.date | None = None,
    agreement_to: dt.date | None = None,
    with_agreement: bool = True,
    area: Area = BASILDON_AREA,
    prefix: str = "",
    people: tuple[tuple[str, str], tuple[str, str]] = (VICTIM, SUSPECT),
    suspect_born: dt.date | None = None,
    call_names_suspect: bool = False,
) -> CaseWorld:
    """The world at ``now``: the repeat location, the housing provider (and its agreement
    with the force, unless ``with_agreement`` is false), and the triage that found it.

    A second world in the same database needs its own ``prefix``, ``area`` and ``people``
    (the triage would otherwise find the first world's reports too); the provider, its
    agreement and the accounts are the first world's. ``call_names_suspect``: the call names
    the suspect, so the triage finds a repeat offender as well.
    """
    victim_name, suspect_name = people
    with session_scope(engine) as s:
        # The agency and agreement are added as an administrator would (a job holds no grants).
        admin_user = user(s, "admin.t", Role.ADMIN)
        admin = actor_for(admin_user, settings=get_settings())
        first = s.scalars(select(Agency.id).where(Agency.code == HOUSING)).first() is None
        if first:
            agencies.add_agency(
                s,
                actor=admin,
                code=HOUSING,
                name="Test Homes (fictitious housing provider)",
                kind="housing",
                areas=[area.local_authority_code],
                contact="Tenancy team, tenancy@test-homes.example.invalid",
            )
        if with_agreement and first:
            agencies.add_agreement(
                s,
                actor=admin,
                reference=ISA,
                title="Fictitious housing agreement",
                purpose="Problem-solving of ASB at social housing",
                lawful_basis="uk-gdpr-6-1-e",
                data_classes=["incident_summary", "personal_details", "case_notes"],
                parties=["essex-police", HOUSING],
                starts_on=agreement_from or (now.date() - dt.timedelta(days=365)),
                ends_on=agreement_to,
                review_on=None,
            )
        users = {
            "asb": user(s, "asb.t", Role.ASB_OFFICER).username,
            "supervisor": user(s, "sup.t", Role.SUPERVISOR).username,
            "analyst": user(s, "analyst.t", Role.ANALYST).username,
            "housing": user(s, "housing.t", Role.PARTNER, HOUSING).username,
            "thurrock": user(s, "thurrock.t", Role.PARTNER, "thurrock-council").username,
            "council": user(s, "council.t", Role.PARTNER, area.council).username,
            "admin": admin_user.username,
        }
        x, y = bng(area.lon, area.lat)
        address = f"7 Imaginary Court, {area.district}"
        loc = Location(
            force_code="essex",
            address=address,
            postcode="SS14 1ZZ",
            premises_type=PremisesType.SOCIAL_HOUSING,
            longitude=area.lon,
            latitude=area.lat,
            x_bng=x,
            y_bng=y,
            local_authority_code=area.local_authority_code,
        )
        s.add(loc)
        victim = Person(force_code="essex", forename=victim_name[0], surname=victim_name[1])
        suspect = Person(
            force_code="essex",
            forename=suspect_name[0],
            surname=suspect_name[1],
            date_of_birth=suspect_born,
        )
        s.add_all([victim, suspect])
        s.flush()
        for n, days in enumerate((10, 25, 50)):
            i = incident(s, f"{prefix}REP-{n}", now - dt.timedelta(days=days), loc=loc, area=area)
            for pid, role in ((victim.id, PersonRole.VICTIM), (suspect.id, PersonRole.SUSPECT)):
                s.add(
                    IncidentPerson(force_code="essex", incident_id=i.id, person_id=pid, role=role)
                )
        new = incident(s, f"{prefix}REP-NEW", now - dt.timedelta(hours=1), loc=loc, area=area)
        s.add(
            IncidentPerson(
                force_code="essex", incident_id=new.id, person_id=victim.id, role=PersonRole.VICTIM
            )
        )
        s.flush()
        call = CallIn.model_validate(
            {
                "incident_type": "rowdy_nuisance_neighbours",
                "thrive": LOW,
                "received_at": (now - dt.timedelta(hours=1)).isoformat(),
                "location": {"address": address, "postcode": "SS14 1ZZ"},
                "victim": {"forename": victim_name[0], "surname": victim_name[1]},
                **(
                    {"suspect": {"forename": suspect_name[0], "surname": suspect_name[1]}}
                    if call_names_suspect
                    else {}
                ),
                "case_review_informed": True,
                "spoc": "asb.t",
            }
        )
        out = triage.record_triage(
            s,
            actor=actor_of(s, "asb.t"),
            incident_id=new.id,
            call=call,
            rules=triage_rules.load(),
            now=now,
        )
        return CaseWorld(out.assessment_id, new.id, victim.id, suspect.id, users)


def offender_case(
    engine: Engine,
    now: dt.datetime,
    *,
    area: Area,
    prefix: str,
    people: tuple[tuple[str, str], tuple[str, str]],
    suspect_born: dt.date,
) -> tuple[CaseWorld, int]:
    """A world whose triage also finds the repeat offender (see :func:`build`), and the case
    ``asb.t`` opens from it with the offender linked: where powers on a case start."""
    world = build(
        engine,
        now,
        area=area,
        prefix=prefix,
        people=people,
        suspect_born=suspect_born,
        call_names_suspect=True,
    )
    with session_scope(engine) as s:
        case = casework.open_from_triage(
            s,
            actor=actor_of(s, "asb.t"),
            data=FromTriageIn(assessment_id=world.assessment_id, kind="offender"),
            rules=sara_rules.shipped(),
            now=now,
        )
        return world, case.id

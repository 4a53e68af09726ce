"""A small, plainly fictitious data set for the web tests (functional and browser).

Every name is invented and marked as such; the canary names below must never appear in a
response to a request that is not signed in, nor to a role that may not see identities.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import Engine
from starlette.testclient import TestClient

from asbhub.auth.service import add_user
from asbhub.casereviews.lifecycle import Status as CaseReviewStatus
from asbhub.casereviews.models import Applicant, AsbCaseReview, VictimKind
from asbhub.geography.service import to_bng
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatus,
    IncidentType,
    Location,
    Person,
    PersonRole,
    PremisesType,
    Qualifier,
)
from asbhub.permissions import STAFF_ROLES, Role
from asbhub.restorative.lifecycle import Status as RestorativeStatus
from asbhub.restorative.models import Kind, Party, RestorativeParticipant, RestorativeReferral
from asbhub.store.engine import session_scope

PASSWORD = "fictitious-password-1"
# Test-only argon2 cost: the production parameters take ~0.3 s a hash, which would dominate a
# suite that creates seven accounts per test. The hash is still argon2id, checked the same way.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PARTNER_AGENCY = "basildon-council"
CANARY_PEOPLE = [
    ("Canaria", "Fictitiousworth"),
    ("Testolemew", "Zzyzxbury"),
    ("Imaginary", "Quuxleigh"),
]
# Places: (district, local authority code, longitude, latitude, street)
PLACES = [
    ("Basildon", "E07000066", 0.4580, 51.5760, "Fictional Way, Basildon"),
    ("Colchester", "E07000071", 0.9030, 51.8890, "Pretend Street, Colchester"),
    ("Thurrock", "E06000034", 0.3260, 51.4800, "Madeup Road, Grays"),
]
TYPES = [
    (IncidentType.NOISE, Qualifier.NUISANCE),
    (IncidentType.ROWDY_NUISANCE_NEIGHBOURS, Qualifier.PERSONAL),
    (IncidentType.VEHICLE_NUISANCE, Qualifier.NUISANCE),
    (IncidentType.LITTERING_DRUGS_PARAPHERNALIA, Qualifier.ENVIRONMENTAL),
    (IncidentType.COVID_BREACH, Qualifier.NUISANCE),
]
CHANNELS = [Channel.NON_EMERGENCY, Channel.EMERGENCY, Channel.ONLINE, Channel.LIVE_CHAT]


@dataclass
class Seeded:
    incident_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    location_ids: list[int] = field(default_factory=list)
    case_review_ids: list[int] = field(default_factory=list)
    referral_ids: list[int] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # role -> user name
    references: list[str] = field(default_factory=list)
    # incidents per place index, for checking filters and partner scope
    by_district: dict[str, int] = field(default_factory=dict)


def seed(engine: Engine, incidents_per_place: int = 24) -> Seeded:
    out = Seeded()
    with session_scope(engine) as s:
        for role in STAFF_ROLES:
            name = f"{role.value.replace('_', '')}1"
            add_user(
                s,
                username=name,
                password=PASSWORD,
                role=role.value,
                display_name=f"Test {role.value.replace('_', ' ').title()}",
                agency_code=PARTNER_AGENCY if role is Role.PARTNER else None,
                force_code="essex",
                # Like the demo accounts: no second factor in development mode, so the tests
                # of other screens sign in with a password alone (test_second_factor.py
                # makes accounts that need one).
                demo=True,
            )
            out.users[role.value] = name
        people = [
            Person(
                force_code="essex",
                forename=f,
                surname=sn,
                date_of_birth=dt.date(1980 + n, 1 + n, 1 + n),
                phone=f"07700 900{n:03d}",  # Ofcom's drama range: never a real number
                email=f"{f.lower()}@example.invalid",
                address=f"{n + 1} Nowhere Lane, Fictionton",
                vulnerable=n == 0,
                vulnerability_flags=["repeat victim"] if n == 0 else [],
            )
            for n, (f, sn) in enumerate(CANARY_PEOPLE)
        ]
        s.add_all(people)
        s.flush()
        out.person_ids = [p.id for p in people]
        base = dt.datetime(2021, 3, 31, 22, 0)
        serial = 0
        for district, la, lon, lat, street in PLACES:
            x, y = to_bng([lon], [lat])
            loc = Location(
                force_code="essex",
                address=f"1 {street}",
                postcode=None,
                premises_type=PremisesType.RESIDENTIAL,
                longitude=lon,
                latitude=lat,
                x_bng=float(x[0]),
                y_bng=float(y[0]),
                district=district,
                local_authority_code=la,
            )
            s.add(loc)
            s.flush()
            out.location_ids.append(loc.id)
            for k in range(incidents_per_place):
                serial += 1
                itype, qual = TYPES[k % len(TYPES)]
                dlon, dlat = 0.0004 * (k % 5), 0.0003 * (k % 7)
                ix, iy = to_bng([lon + dlon], [lat + dlat])
                inc = Incident(
                    force_code="essex",
                    reference=f"ESX-TEST-{serial:05d}",
                    received_at=base - dt.timedelta(hours=7 * serial),
                    channel=CHANNELS[k % len(CHANNELS)],
                    opening_code=itype,
                    closing_code=itype,
                    qualifier=qual,
                    covid_breach=itype is IncidentType.COVID_BREACH,
                    hate_motivated=k == 3,
                    location_text=f"{k + 2} {street}",
                    location_id=loc.id if k % 3 == 0 else None,
                    longitude=lon + dlon,
                    latitude=lat + dlat,
                    x_bng=float(ix[0]),
                    y_bng=float(iy[0]),
                    lsoa_code=None,
                    district=district,
                    local_authority_code=la,
                    attended=k % 2 == 0,
                    attended_at=base - dt.timedelta(hours=7 * serial - 1) if k % 2 == 0 else None,
                    narrative=f"Fictitious test narrative {serial} naming {CANARY_PEOPLE[0][1]}.",
                    status=IncidentStatus.NEW,
                )
                s.add(inc)
                s.flush()
                out.incident_ids.append(inc.id)
                out.references.append(inc.reference)
                out.by_district[district] = out.by_district.get(district, 0) + 1
                person = people[k % len(people)]
                role = [PersonRole.VICTIM, PersonRole.SUSPECT, PersonRole.CALLER][(k // 3) % 3]
                s.add(
                    IncidentPerson(
                        force_code="essex", incident_id=inc.id, person_id=person.id, role=role
                    )
                )
        # An ASB case review in the partner's area, applied for on the canary victim's behalf
        # (so the policy test sees its names withheld from roles that may not see them).
        review = AsbCaseReview(
            force_code="essex",
            reference="CR-2021-0001",
            local_authority_code="E07000066",
            status=CaseReviewStatus.ACKNOWLEDGED,
            received_on=dt.date(2021, 3, 1),
            applicant=Applicant.ON_BEHALF,
            applicant_name=f"{CANARY_PEOPLE[1][0]} {CANARY_PEOPLE[1][1]}",
            applicant_relationship="family",
            consent_on=dt.date(2021, 2, 26),
            consent_recorded_by="Test Asb Officer",
            victim_kind=VictimKind.INDIVIDUAL,
            victim_name=" ".join(CANARY_PEOPLE[0]),
            victim_person_id=people[0].id,
            behaviour=f"Fictitious: shouting at {CANARY_PEOPLE[0][1]}'s door most nights.",
            other_reports=[],
            procedure_version="essex-case-review-procedure-2024.1",
            created_at=dt.datetime(2021, 3, 1, 10, 0),
            created_by="Test Asb Officer",
            acknowledged_on=dt.date(2021, 3, 2),
        )
        s.add(review)
        s.flush()
        out.case_review_ids.append(review.id)
        referral = RestorativeReferral(
            force_code="essex",
            reference="RJ-2021-0001",
            local_authority_code="E07000066",
            kind=Kind.COMMUNITY_REMEDY,
            status=RestorativeStatus.REFERRED,
            referred_on=dt.date(2021, 3, 2),
            referred_by="Test Officer",
            referring_agency="Essex Police",
            summary=f"Fictitious: {CANARY_PEOPLE[2][1]} damaged a fence.",
            menu_version="essex-pfcc-community-remedy-2021.1",
            created_at=dt.datetime(2021, 3, 2, 9, 0),
        )
        for party, person in ((Party.HARMED, people[0]), (Party.RESPONSIBLE, people[2])):
            referral.participants.append(
                RestorativeParticipant(
                    force_code="essex",
                    party=party,
                    person_id=person.id,
                    name=f"{person.forename} {person.surname}",
                )
            )
        s.add(referral)
        s.flush()
        out.referral_ids.append(referral.id)
    return out


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient, path: str = "/purpose") -> str:
    """The session's CSRF token, from the form at ``path``.

    The default is the purpose-of-access form: a signed-in user gets it, and anyone else is
    sent on to the sign-in form, so it works either way at the cost of one small page. (/login
    sends a signed-in user on to the home page, whose dashboard is a whole KPI report.)"""
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

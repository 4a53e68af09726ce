"""Who may do what: the only place asbhub states access policy.

Actions read ``scope:resource:verb``. Each role is granted a set of actions; a partner's grants
are further scoped to the area its agency covers. Routes and services call :func:`require`;
lists are narrowed in the query with :func:`restrict_incidents`, so a count or an export can
never include incidents outside the actor's scope.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TypeVar

from sqlalchemy import Select, false

from asbhub.config import get_settings
from asbhub.errors import InvalidInput, NotPermitted
from asbhub.incidents.models import Incident


class Role(enum.StrEnum):
    CALL_HANDLER = "call_handler"
    OFFICER = "officer"
    ASB_OFFICER = "asb_officer"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    ADMIN = "admin"


ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.CALL_HANDLER: "Takes calls, chats and online reports; checks repeat callers.",
    Role.OFFICER: "Attends and investigates incidents.",
    Role.ASB_OFFICER: "Runs ASB casework and case reviews.",
    Role.ANALYST: "Works with figures and trends; sees no identities.",
    Role.SUPERVISOR: "Oversees handling and reviews; may read the audit log.",
    Role.PARTNER: "Works for one partner agency; sees its own area, pseudonymised.",
    Role.ADMIN: "Manages accounts; sees no identities.",
}


class Action(enum.StrEnum):
    """Every permission asbhub checks. ``description`` says what it lets the actor do."""

    description: str

    def __new__(cls, value: str, description: str) -> Action:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    DASHBOARD_VIEW = ("staff:dashboard:view", "See the staff dashboard of counts")
    INCIDENT_LIST = ("incidents:incident:list", "List and filter incidents in one's scope")
    INCIDENT_VIEW = ("incidents:incident:view", "Open an incident in one's scope")
    INCIDENT_SEARCH = ("incidents:incident:search", "Search incidents by reference or place")
    PERSON_SEARCH = ("incidents:person:search", "Search incidents by a person's name")
    PERSONAL_DATA_VIEW = (
        "incidents:personal_data:view",
        "See names, contact details, addresses and free text on incidents",
    )
    PERSON_VIEW = ("incidents:person:view", "Open a person's page with all their incidents")
    LOCATION_VIEW = ("incidents:location:view", "See all incidents within a radius of a place")
    USER_MANAGE = ("auth:user:manage", "Create accounts and change roles")
    AUDIT_VIEW = ("audit:event:view", "Read the audit log of access to personal data")
    PUBLIC_REPORT_CREATE = ("public:report:create", "Report ASB online or start a live chat")
    CONTACT_QUEUE_VIEW = ("contact:queue:view", "See new reports from the public and waiting chats")
    CONTACT_CHAT_HANDLE = ("contact:chat:handle", "Take, answer and close live chats")
    CONTACT_CHAT_CONVERT = ("contact:chat:convert", "Record a live chat as an incident")
    CHANNELS_VIEW = ("analytics:channels:view", "See counts of online reports and live chats")
    HOTSPOT_MAP_VIEW = (
        "hotspots:map:view",
        "See the predicted ASB hotspot map and print district patrol plans",
    )


_READ_INCIDENTS = {
    Action.DASHBOARD_VIEW,
    Action.INCIDENT_LIST,
    Action.INCIDENT_VIEW,
    Action.INCIDENT_SEARCH,
    Action.LOCATION_VIEW,
}
_PERSONAL = {Action.PERSON_SEARCH, Action.PERSONAL_DATA_VIEW, Action.PERSON_VIEW}

# Anyone may do these, signed in or not.
PUBLIC_ACTIONS = frozenset({Action.PUBLIC_REPORT_CREATE})
_CONTACT = {Action.CONTACT_QUEUE_VIEW, Action.CONTACT_CHAT_HANDLE, Action.CONTACT_CHAT_CONVERT}

# The hotspot map and patrol plans show aggregate cell counts of data.police.uk records, which
# are public and hold no personal data, so partners (councils, the fire service) who plan joint
# patrols and diversionary work with the force may see them too.
_HOTSPOTS = {Action.HOTSPOT_MAP_VIEW}

GRANTS: dict[Role, frozenset[Action]] = {
    Role.CALL_HANDLER: frozenset(_READ_INCIDENTS | _PERSONAL | _CONTACT),
    Role.OFFICER: frozenset(_READ_INCIDENTS | _PERSONAL | _HOTSPOTS),
    Role.ASB_OFFICER: frozenset(_READ_INCIDENTS | _PERSONAL | _HOTSPOTS),
    Role.ANALYST: frozenset(_READ_INCIDENTS | _HOTSPOTS | {Action.CHANNELS_VIEW}),
    Role.SUPERVISOR: frozenset(
        _READ_INCIDENTS
        | _PERSONAL
        | _CONTACT
        | _HOTSPOTS
        | {Action.AUDIT_VIEW, Action.CHANNELS_VIEW}
    ),
    Role.PARTNER: frozenset(_READ_INCIDENTS | _HOTSPOTS),
    Role.ADMIN: frozenset(
        {Action.DASHBOARD_VIEW, Action.USER_MANAGE, Action.AUDIT_VIEW, Action.CHANNELS_VIEW}
    ),
}


@dataclass(frozen=True)
class Agency:
    """A partner organisation and the local authority areas whose incidents it may see."""

    code: str
    name: str
    local_authority_codes: frozenset[str]


@lru_cache(maxsize=4)
def agencies(force_code: str = "essex") -> dict[str, Agency]:
    """The partner agencies of a force: each council, plus the fire service for the whole area."""
    path = resources.files("asbhub") / "data" / force_code / "districts.csv"
    out: dict[str, Agency] = {}
    with path.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        name = row["local_authority_name"]
        code = name.lower().replace(" ", "-").replace("-on-sea", "") + "-council"
        out[code] = Agency(code, f"{name} Council", frozenset({row["local_authority_code"]}))
    if force_code == "essex":
        every = frozenset(r["local_authority_code"] for r in rows)
        out["ecfrs"] = Agency("ecfrs", "Essex County Fire and Rescue Service", every)
    return out


def agency(code: str, force_code: str = "essex") -> Agency:
    try:
        return agencies(force_code)[code]
    except KeyError:
        known = ", ".join(sorted(agencies(force_code)))
        raise InvalidInput(
            f"unknown agency {code!r}", {"agency": f"must be one of: {known}"}
        ) from None


@dataclass(frozen=True)
class Actor:
    """The signed-in person a request or command acts for."""

    user_id: int
    username: str
    display_name: str
    role: Role
    force_code: str = "essex"
    agency_code: str | None = None
    purpose: str = "operational"
    purpose_text: str | None = None
    # Where the request came from, for the audit trail (domain guide 6.5 "channel").
    channel: str = "ui"
    client_ip: str | None = None
    device: str | None = None

    @property
    def organisation(self) -> str:
        if self.agency_code:
            return agency(self.agency_code, self.force_code).name
        return f"{self.force_code} police"


def allowed(actor: Actor | None, action: Action) -> bool:
    """True if ``actor`` may perform ``action``; an anonymous actor only the public actions."""
    if action in PUBLIC_ACTIONS:
        return True
    if actor is None:
        return False
    if actor.role is Role.PARTNER and actor.agency_code is None:
        return False  # a partner account without an agency has no scope at all
    return action in GRANTS[actor.role]


def check(actor: Actor | None, action: Action) -> None:
    """Raise :class:`NotPermitted` unless ``actor`` (anonymous: ``None``) may do ``action``."""
    if not allowed(actor, action):
        who = actor.role.value if actor else "anonymous"
        raise NotPermitted(f"{who} may not {action.description.lower()}")


def require(actor: Actor | None, action: Action) -> Actor:
    """Return ``actor`` if signed in and allowed, else raise :class:`NotPermitted`."""
    check(actor, action)
    if actor is None:
        raise NotPermitted(f"anonymous may not {action.description.lower()}")
    return actor


def sees_personal_data(actor: Actor) -> bool:
    return allowed(actor, Action.PERSONAL_DATA_VIEW)


def scoped_local_authorities(actor: Actor) -> frozenset[str] | None:
    """The local authority codes a partner is limited to; ``None`` means the whole force."""
    if actor.role is Role.PARTNER:
        if actor.agency_code is None:
            return frozenset()
        return agency(actor.agency_code, actor.force_code).local_authority_codes
    return None


S = TypeVar("S", bound=Select)


def restrict_incidents(actor: Actor, stmt: S) -> S:
    """Narrow a select over ``incidents`` to what ``actor`` may see: its force, its area."""
    stmt = stmt.where(Incident.force_code == actor.force_code)
    areas = scoped_local_authorities(actor)
    if areas is not None:
        stmt = stmt.where(Incident.local_authority_code.in_(sorted(areas)) if areas else false())
    return stmt


def pseudonym(person_id: int) -> str:
    """A stable label for a person shown to those who may not see identities.

    Keyed with the secret so a label cannot be reversed to an id by counting.
    """
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:8].upper()}"

"""Who may do what: the only place asbhub states access policy.

Actions read ``scope:resource:verb``. Each role is granted a set of actions; a partner's grants
are further scoped to the area its agency covers. Routes and services call :func:`require`;
every read of incidents, people, locations and chats is narrowed in the query with
:func:`restrict`, so a count or an export can never include a record outside the actor's scope;
and :func:`field_rule` decides, for every role at once, which fields of what it reads an actor
is shown (names, free text, exact positions, location ids).
"""

from __future__ import annotations

import csv
import enum
import hashlib
import hmac
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import Select, false

from asbhub.enums import DescribedEnum
from asbhub.errors import InvalidInput, NotPermitted


class Role(enum.StrEnum):
    CALL_HANDLER = "call_handler"
    OFFICER = "officer"
    ASB_OFFICER = "asb_officer"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    ADMIN = "admin"
    # No account holds it: jobs (an ingest, the generator) act as the system, so the audit
    # trail says which job wrote what. It holds no grants.
    SYSTEM = "system"


ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.CALL_HANDLER: "Takes calls, chats and online reports; checks repeat callers.",
    Role.OFFICER: "Attends and investigates incidents.",
    Role.ASB_OFFICER: "Runs ASB casework and case reviews.",
    Role.ANALYST: "Works with figures and trends; sees no identities.",
    Role.SUPERVISOR: "Oversees handling and reviews; may read the audit log.",
    Role.PARTNER: "Works for one partner agency; sees its own area, pseudonymised.",
    Role.ADMIN: "Manages accounts; sees no identities.",
    Role.SYSTEM: "A job run from the command line or a schedule; no account signs in as it.",
}


class Action(DescribedEnum):
    """Every permission asbhub checks. ``description`` says what it lets the actor do."""

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
    AUDIT_EXPORT = ("audit:event:export", "Export an audit log search as CSV")
    RETENTION_LIST = (
        "retention:records:list",
        "See how many records of each class are due for review or deletion",
    )
    RETENTION_DECIDE = (
        "retention:records:decide",
        "Keep or delete the records of a class that are due, with the reason",
    )
    PUBLIC_REPORT_CREATE = ("public:report:create", "Report ASB online or start a live chat")
    CONTACT_QUEUE_VIEW = ("contact:queue:view", "See new reports from the public and waiting chats")
    CONTACT_CHAT_HANDLE = ("contact:chat:handle", "Take, answer and close live chats")
    CONTACT_CHAT_CONVERT = ("contact:chat:convert", "Record a live chat as an incident")
    CHANNELS_VIEW = ("analytics:channels:view", "See counts of online reports and live chats")
    ANALYTICS_VIEW = (
        "analytics:figures:view",
        "See the board's figures: KPIs, most similar group, surveys and forecasts",
    )
    BOARD_REPORT_CREATE = (
        "report:board:create",
        "Download the board report of ASB figures as HTML or PDF",
    )
    HOTSPOT_MAP_VIEW = (
        "hotspots:map:view",
        "See the predicted ASB hotspot map and print district patrol plans",
    )
    TRIAGE_ASSESS = (
        "triage:call:assess",
        "Check a call's history (victim, place, suspect) and get a triage decision",
    )
    TRIAGE_RECORD = ("triage:assessment:create", "Record a risk assessment and triage decision")
    TRIAGE_RISK_LOWER = (
        "triage:risk:lower",
        "Lower a risk level below what the answers give (a supervisor's decision)",
    )
    INCIDENT_ASSIGN = ("incidents:incident:assign", "Assign an incident to an officer or a team")
    INCIDENT_ATTEND = ("incidents:incident:attend", "Record attendance at an incident")
    INCIDENT_CLOSE = (
        "incidents:incident:close",
        "Close an incident with its closing code and confirmed qualifier",
    )
    ASSIGNED_LIST = ("incidents:assigned:list", "See the incidents assigned to oneself")
    REVIEW_QUEUE = (
        "triage:review:list",
        "See medium and high risk cases with their reviews due and overdue",
    )
    REVIEW_RECORD = ("triage:review:record", "Record a supervisory review of a risk case")
    CASE_REVIEW_LIST = ("casereviews:case_review:list", "List ASB case reviews in one's scope")
    CASE_REVIEW_VIEW = (
        "casereviews:case_review:view",
        "Open an ASB case review with its applicant, victim and decisions",
    )
    CASE_REVIEW_RECORD = ("casereviews:case_review:create", "Record an ASB case review application")
    CASE_REVIEW_DECIDE = (
        "casereviews:case_review:decide",
        "Acknowledge a case review, decide its threshold, record the panel's review and outcome",
    )
    CASE_REVIEW_TABLE = (
        "casereviews:table:view",
        "See the yearly ASB case review figures each area publishes",
    )
    RESTORATIVE_LIST = (
        "restorative:referral:list",
        "List restorative justice and Community Remedy referrals in one's scope",
    )
    RESTORATIVE_VIEW = (
        "restorative:referral:view",
        "Open a restorative referral with its parties, consents and outcome",
    )
    RESTORATIVE_RECORD = (
        "restorative:referral:create",
        "Refer to restorative justice or a Community Remedy and record consents and outcomes",
    )
    SUBJECT_ACCESS_EXPORT = (
        "subject_access:person:export",
        "Export everything held about one person and who saw it (a subject access request)",
    )
    RESTORATIVE_FIGURES = (
        "restorative:figures:view",
        "See restorative justice satisfaction and re-offending figures",
    )
    POWER_VIEW = (
        "powers:record:view",
        "See the statutory powers (warnings, notices, orders) on a person, place or case",
    )
    POWER_RECORD = (
        "powers:record:create",
        "Draft, issue and record the life of statutory powers, and issue their letters",
    )
    POWER_DEADLINES = (
        "powers:deadline:list",
        "See the deadlines of statutory powers that are due or overdue",
    )
    POWER_RULES_VIEW = ("powers:rules:view", "Read the rules table of the statutory powers")
    POWER_RULES_EDIT = (
        "powers:rules:edit",
        "Switch on a change in the law with its date and set the rules' configurable values",
    )
    POWER_EFFECT_VIEW = (
        "powers:effect:view",
        "See the effect of orders: offences of their subjects before and after the order",
    )


_READ_INCIDENTS = {
    Action.DASHBOARD_VIEW,
    Action.INCIDENT_LIST,
    Action.INCIDENT_VIEW,
    Action.INCIDENT_SEARCH,
    Action.LOCATION_VIEW,
}
_PERSONAL = {Action.PERSON_SEARCH, Action.PERSONAL_DATA_VIEW, Action.PERSON_VIEW}

# Triage at first contact, then the incident's life (issue 16). Officers re-assess at the
# scene; only a supervisor lowers a level or reviews a case.
_TRIAGE = {Action.TRIAGE_ASSESS, Action.TRIAGE_RECORD}
_FRONT_LINE = {Action.INCIDENT_ATTEND, Action.INCIDENT_CLOSE, Action.ASSIGNED_LIST}
_SUPERVISION = {Action.TRIAGE_RISK_LOWER, Action.REVIEW_QUEUE, Action.REVIEW_RECORD}

# Anyone may do these, signed in or not.
PUBLIC_ACTIONS = frozenset({Action.PUBLIC_REPORT_CREATE})
_CONTACT = {Action.CONTACT_QUEUE_VIEW, Action.CONTACT_CHAT_HANDLE, Action.CONTACT_CHAT_CONVERT}

# The hotspot map and patrol plans show aggregate cell counts of data.police.uk records, which
# are public and hold no personal data, so partners (councils, the fire service) who plan joint
# patrols and diversionary work with the force may see them too.
_HOTSPOTS = {Action.HOTSPOT_MAP_VIEW}
# Board figures are counts with no identities; a partner's are narrowed to its area. The board
# report states force-wide figures, so only those who prepare it for the board may produce it.
_FIGURES = {Action.ANALYTICS_VIEW}
_BOARD = {Action.BOARD_REPORT_CREATE}
# ASB Case Reviews (2014 Act s.104): ASB officers and supervisors run them; the published
# yearly figures are counts, which analysts and partners (narrowed to their areas) may see.
_CASE_REVIEWS = {
    Action.CASE_REVIEW_LIST,
    Action.CASE_REVIEW_VIEW,
    Action.CASE_REVIEW_RECORD,
    Action.CASE_REVIEW_DECIDE,
    Action.CASE_REVIEW_TABLE,
}
_CASE_REVIEW_FIGURES = {Action.CASE_REVIEW_TABLE}
# Restorative justice and the Community Remedy (ss.101-103): officers offer a Community Remedy
# out of court, ASB officers and supervisors refer to the restorative service. The figures are
# counts, which the board report (analysts, supervisors) states.
_RESTORATIVE = {
    Action.RESTORATIVE_LIST,
    Action.RESTORATIVE_VIEW,
    Action.RESTORATIVE_RECORD,
    Action.RESTORATIVE_FIGURES,
}
# Statutory powers (issue 19): those who issue them and their supervisors; everyone on the
# staff may read the rules table, only an administrator changes it. The effect of orders is
# counts with no identities, for those who prepare the board's figures too.
_POWERS = {Action.POWER_VIEW, Action.POWER_RECORD, Action.POWER_DEADLINES}
_POWER_RULES = {Action.POWER_RULES_VIEW}
_EFFECT = {Action.POWER_EFFECT_VIEW}

GRANTS: dict[Role, frozenset[Action]] = {
    Role.CALL_HANDLER: frozenset(
        _READ_INCIDENTS
        | _PERSONAL
        | _CONTACT
        | _FIGURES
        | _TRIAGE
        | _POWER_RULES
        | {Action.INCIDENT_ASSIGN, Action.INCIDENT_CLOSE}
    ),
    Role.OFFICER: frozenset(
        _READ_INCIDENTS
        | _PERSONAL
        | _HOTSPOTS
        | _FIGURES
        | _TRIAGE
        | _FRONT_LINE
        | _POWERS
        | _POWER_RULES
        | _RESTORATIVE
    ),
    Role.ASB_OFFICER: frozenset(
        _READ_INCIDENTS
        | _PERSONAL
        | _HOTSPOTS
        | _FIGURES
        | _TRIAGE
        | _FRONT_LINE
        | _CASE_REVIEWS
        | _RESTORATIVE
        | _POWERS
        | _POWER_RULES
        | _EFFECT
        | {Action.INCIDENT_ASSIGN}
    ),
    Role.ANALYST: frozenset(
        _READ_INCIDENTS
        | _HOTSPOTS
        | _FIGURES
        | _BOARD
        | _CASE_REVIEW_FIGURES
        | _POWER_RULES
        | _EFFECT
        | {Action.CHANNELS_VIEW, Action.RESTORATIVE_FIGURES}
    ),
    Role.SUPERVISOR: frozenset(
        _READ_INCIDENTS
        | _PERSONAL
        | _CONTACT
        | _HOTSPOTS
        | _FIGURES
        | _BOARD
        | _TRIAGE
        | _FRONT_LINE
        | _SUPERVISION
        | _CASE_REVIEWS
        | _RESTORATIVE
        | _POWERS
        | _POWER_RULES
        | _EFFECT
        | {Action.SUBJECT_ACCESS_EXPORT}
        | {Action.AUDIT_VIEW, Action.AUDIT_EXPORT, Action.CHANNELS_VIEW, Action.INCIDENT_ASSIGN}
    ),
    Role.PARTNER: frozenset(
        _READ_INCIDENTS
        | _HOTSPOTS
        | _FIGURES
        | _POWER_RULES
        | _CASE_REVIEW_FIGURES
        | {
            Action.CASE_REVIEW_LIST,
            Action.CASE_REVIEW_VIEW,
            Action.RESTORATIVE_LIST,
            Action.RESTORATIVE_VIEW,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Action.DASHBOARD_VIEW,
            Action.USER_MANAGE,
            Action.AUDIT_VIEW,
            Action.AUDIT_EXPORT,
            Action.CHANNELS_VIEW,
            Action.POWER_RULES_VIEW,
            Action.POWER_RULES_EDIT,
            Action.RETENTION_LIST,
            Action.RETENTION_DECIDE,
        }
    ),
    # Jobs are audited, not authorised: whoever runs one holds the database credentials. The
    # one grant is the scheduled list of what retention makes due (counts, no identities).
    Role.SYSTEM: frozenset({Action.RETENTION_LIST}),
}
# The roles an account may have (every role but the system's).
STAFF_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


@dataclass(frozen=True)
class Agency:
    """A partner organisation and the local authority areas whose incidents it may see."""

    code: str
    name: str
    local_authority_codes: frozenset[str]


@lru_cache(maxsize=4)
def agencies(force_code: str) -> dict[str, Agency]:
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


def agency(code: str, force_code: str) -> Agency:
    try:
        return agencies(force_code)[code]
    except KeyError:
        known = ", ".join(sorted(agencies(force_code)))
        raise InvalidInput(
            f"unknown agency {code!r}", {"agency": f"must be one of: {known}"}
        ) from None


@dataclass(frozen=True)
class Actor:
    """The signed-in person a request or command acts for.

    It also carries what services need from the settings (the force, the key of the
    pseudonyms), so a service takes the session and the actor and reads no global settings:
    :func:`asbhub.auth.service.actor_for` builds it from the app's or command's settings.
    """

    user_id: int
    username: str
    display_name: str
    role: Role
    force_code: str
    agency_code: str | None = None
    purpose: str = "operational"
    purpose_text: str | None = None
    # Where the request came from, for the audit trail (domain guide 6.5 "channel").
    channel: str = "ui"
    client_ip: str | None = None
    device: str | None = None
    pseudonym_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def organisation(self) -> str:
        if self.role is Role.SYSTEM:
            return f"{self.force_code} police (asbhub job)"
        if self.agency_code:
            return agency(self.agency_code, self.force_code).name
        return f"{self.force_code.replace('_', ' ').title()} Police"


def system_actor(*, job: str, force_code: str) -> Actor:
    """The actor a job acts as (``job`` names it: ``ingest police-uk``, ``generate``).

    It has no account and no grants; it exists so that what a job writes is audited under its
    name, with its counts, like what a person does.
    """
    return Actor(
        user_id=0,  # no account: ids start at 1
        username="system",
        display_name=f"asbhub {job}",
        role=Role.SYSTEM,
        force_code=force_code,
        purpose="administration",
        channel="batch",
    )


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


def granted_actions(actor: Actor) -> frozenset[Action]:
    """Every action ``actor`` may perform (what ``/api/v1/me`` lists)."""
    return frozenset(a for a in GRANTS[actor.role] if allowed(actor, a))


S = TypeVar("S", bound=Select)


def restrict(actor: Actor, stmt: S, entity: Any) -> S:
    """Narrow a select over ``entity`` (a mapped class) to the rows ``actor`` may see.

    The one scoping rule: a row is in scope when it belongs to the actor's force and, for a
    partner, to a local authority area its agency covers. An entity with no
    ``local_authority_code`` (people, chats) is outside every partner's scope. Every service
    that reads incidents, people, locations, chats (and later cases) calls this on its query.
    """
    stmt = stmt.where(entity.force_code == actor.force_code)
    areas = scoped_local_authorities(actor)
    if areas is not None:
        column = getattr(entity, "local_authority_code", None)
        if column is None or not areas:
            return stmt.where(false())
        stmt = stmt.where(column.in_(sorted(areas)))
    return stmt


def in_scope(actor: Actor, row: Any) -> bool:
    """:func:`restrict`'s rule for one loaded row (a chat a handler acts on, say)."""
    if row.force_code != actor.force_code:
        return False
    areas = scoped_local_authorities(actor)
    if areas is None:
        return True
    return getattr(row, "local_authority_code", None) in areas


# About 100 m: three decimals of a degree are 111 m north-south and 69 m east-west at Essex's
# latitude; grid references and distances go to the nearest 100 m (docs/web.md).
COARSE_DECIMALS = 3
COARSE_METRES = 100.0


@dataclass(frozen=True)
class FieldRule:
    """Which fields of incidents, people and places an actor is shown.

    Decided in :func:`field_rule` for every role; services apply it and never test roles.
    """

    names: bool  # people's names and contact details (otherwise stable pseudonyms)
    free_text: bool  # narratives and street-level places typed by people
    exact_positions: bool  # coordinates as stored (otherwise ~100 m)
    location_ids: bool  # ids of stored locations (which link the incidents of one address)

    def position(self, value: float | None) -> float | None:
        """A longitude or latitude as this actor may see it."""
        if value is None:
            return None
        return round(value, 6) if self.exact_positions else round(value, COARSE_DECIMALS)

    def metres(self, value: float | None) -> float | None:
        """A grid coordinate or a distance in metres as this actor may see it."""
        if value is None:
            return None
        if self.exact_positions:
            return round(value, 1)
        return round(value / COARSE_METRES) * COARSE_METRES

    def location_id(self, value: int | None) -> int | None:
        return value if self.location_ids else None


def field_rule(actor: Actor) -> FieldRule:
    """The roles that may see personal data see everything; the others (analysts, partners,
    administrators) see pseudonyms, no free text, positions to ~100 m and no location ids."""
    personal = sees_personal_data(actor)
    return FieldRule(
        names=personal, free_text=personal, exact_positions=personal, location_ids=personal
    )


def pseudonym(actor: Actor, person_id: int) -> str:
    """A stable label for a person shown to those who may not see identities.

    Keyed with the secret (carried by the actor) so a label cannot be reversed to an id by
    counting.
    """
    if actor.pseudonym_key is None:
        raise ValueError("this actor carries no pseudonym key: build it with actor_for()")
    key = actor.pseudonym_key
    digest = hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:8].upper()}"

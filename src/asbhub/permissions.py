"""Who may do what: the only place asbhub states access policy.

Actions read ``scope:resource:verb``. Each role is granted a set of actions; a partner's grants
are further scoped to the area its agency covers. Routes and services call :func:`require`;
every read of incidents, people, locations and chats is narrowed in the query with
:func:`restrict`, so a count or an export can never include a record outside the actor's scope;
and :func:`field_rule` decides, for every role at once, which fields of what it reads an actor
is shown (names, free text, exact positions, location ids).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false

from asbhub.enums import DescribedEnum
from asbhub.errors import NotPermitted


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
    CASE_REVIEW_CREATE = ("casereviews:case_review:create", "Record an ASB case review application")
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
    CASE_LIST = (
        "casework:case:list",
        "List the problem-solving cases one's agency owns, covers or has been shared",
    )
    CASE_VIEW = ("casework:case:view", "Open a case, seeing what its sharing allows")
    CASE_CREATE = ("casework:case:create", "Open a problem-solving (SARA) case")
    CASE_UPDATE = (
        "casework:case:update",
        "Work a case: problem, analysis, objectives, actions, stage, assessment",
    )
    CASE_SHARE = ("casework:case:share", "Share a case's data with another agency")
    CASE_PERSONAL_VIEW = (
        "casework:personal_data:view",
        "See personal data on a case, as far as the case's sharing allows",
    )
    CASE_SHARE_OVERRIDE = (
        "casework:share:override",
        "Share personal data with no agreement in an emergency (logged and reviewed)",
    )
    CASE_SHARE_REVIEW = ("casework:share:review", "Review emergency overrides of sharing")
    CASE_SIGN_OFF = ("casework:case:sign_off", "Sign off a case's assessment and close it")
    CASE_REVIEW_RECORD = ("casework:review:record", "Record a scheduled review of a case")
    REFERRAL_LIST = (
        "casework:referral:list",
        "See the incidents triage referred to one's agency",
    )
    AGENCY_VIEW = ("agencies:agency:view", "See the agencies and sharing agreements")
    AGENCY_MANAGE = (
        "agencies:agreement:manage",
        "Add agencies and information sharing agreements",
    )
    RECORDING_AUDIT_RUN = (
        "recording:audit:run",
        "Run the recording audit over a period (rules and the learned check)",
    )
    RECORDING_FLAG_LIST = (
        "recording:flag:list",
        "See the recording audit's worklist of incidents whose qualifier looks wrong",
    )
    RECORDING_RECLASSIFY = (
        "recording:incident:reclassify",
        "Re-classify a flagged incident's qualifier or hate flag, or dismiss the flag",
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
# Casework (issue 18). What a case shows an actor is decided again per case by case_access():
# these grants only open the doors.
_CASE_READ = {Action.CASE_LIST, Action.CASE_VIEW, Action.AGENCY_VIEW}
_CASE_WORK = _CASE_READ | {
    Action.CASE_CREATE,
    Action.CASE_UPDATE,
    Action.CASE_SHARE,
    Action.CASE_PERSONAL_VIEW,
}
_CASE_SUPERVISION = {
    Action.CASE_SHARE_OVERRIDE,
    Action.CASE_SHARE_REVIEW,
    Action.CASE_SIGN_OFF,
    Action.CASE_REVIEW_RECORD,
}

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
    Action.CASE_REVIEW_CREATE,
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
# The recording audit (issue 20): the ASB team works the worklist and corrects the record;
# analysts and supervisors run it for the compliance figures the force reports.
_RECORDING_AUDIT = {
    Action.RECORDING_AUDIT_RUN,
    Action.RECORDING_FLAG_LIST,
    Action.RECORDING_RECLASSIFY,
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
        | _CASE_READ
        | _POWER_RULES
        | {Action.INCIDENT_ASSIGN, Action.INCIDENT_CLOSE, Action.CASE_PERSONAL_VIEW}
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
        | _CASE_WORK
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
        | _RECORDING_AUDIT
        | _POWERS
        | _POWER_RULES
        | _EFFECT
        | _CASE_WORK
        | {Action.INCIDENT_ASSIGN, Action.CASE_SHARE_OVERRIDE, Action.CASE_REVIEW_RECORD}
    ),
    Role.ANALYST: frozenset(
        _READ_INCIDENTS
        | _HOTSPOTS
        | _FIGURES
        | _BOARD
        | _CASE_REVIEW_FIGURES
        | _POWER_RULES
        | _EFFECT
        | _CASE_READ
        | {Action.CHANNELS_VIEW, Action.RESTORATIVE_FIGURES, Action.RECORDING_AUDIT_RUN}
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
        | _RECORDING_AUDIT
        | _POWERS
        | _POWER_RULES
        | _EFFECT
        | _CASE_WORK
        | _CASE_SUPERVISION
        | {Action.SUBJECT_ACCESS_EXPORT}
        | {Action.AUDIT_VIEW, Action.AUDIT_EXPORT, Action.CHANNELS_VIEW, Action.INCIDENT_ASSIGN}
    ),
    # A partner works the cases of its agency and the actions given to it; the referrals
    # triage routes to its agency are its work queue. Case reviews and restorative referrals of
    # its areas it may read; the published case review figures are counts.
    Role.PARTNER: frozenset(
        _READ_INCIDENTS
        | _HOTSPOTS
        | _FIGURES
        | _POWER_RULES
        | _CASE_REVIEW_FIGURES
        | _CASE_WORK
        | {
            Action.REFERRAL_LIST,
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
            Action.AGENCY_VIEW,
            Action.AGENCY_MANAGE,
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


class AgencyKind(enum.StrEnum):
    """What sort of body an agency is (domain guide 3.2, 6.4: the relevant bodies and the
    responsible authorities)."""

    POLICE = "police"
    COUNCIL = "council"
    HOUSING = "housing"
    FIRE = "fire"
    HEALTH = "health"
    YOUTH_OFFENDING = "youth_offending"
    PROBATION = "probation"
    OTHER = "other"


class DataClass(enum.StrEnum):
    """The classes of case data an information sharing agreement names (issue 18)."""

    INCIDENT_SUMMARY = "incident_summary"  # what, where (to ~100 m), when; no identities
    PERSONAL_DETAILS = "personal_details"  # names, contact details, addresses
    RISK_ASSESSMENT = "risk_assessment"  # risk level, vulnerability, reviews
    CASE_NOTES = "case_notes"  # analysis, notes, the timeline's free text


DATA_CLASS_LABELS: dict[DataClass, str] = {
    DataClass.INCIDENT_SUMMARY: "Incident summary",
    DataClass.PERSONAL_DETAILS: "Personal details",
    DataClass.RISK_ASSESSMENT: "Risk assessment",
    DataClass.CASE_NOTES: "Case notes",
}
# The incident summary is depersonalised: the Crime and Disorder Act 1998 s.17A makes sharing
# it among the responsible authorities a duty, so it needs no agreement. Every other class is
# personal data, shared only under an agreement in force or an emergency override (guide 6.3).
PERSONAL_CLASSES = frozenset(set(DataClass) - {DataClass.INCIDENT_SUMMARY})


@dataclass(frozen=True)
class Agency:
    """An agency as the policy sees it: its code, kind and the local authority areas it
    covers (``None``: the whole force area, as the force itself).

    Agencies are data (the ``agencies`` table, :mod:`asbhub.agencies`); the actor carries its
    own, loaded when it is built, so the checks below need no database.
    """

    code: str
    name: str
    kind: AgencyKind
    local_authority_codes: frozenset[str] | None
    contact: str | None = None


@dataclass(frozen=True)
class Agreement:
    """An information sharing agreement: which agencies may share which classes of data, for
    what purpose and on what lawful basis, from when to when (guide 6.3)."""

    reference: str
    parties: frozenset[str]  # agency codes
    data_classes: frozenset[DataClass]
    lawful_basis: str
    starts_on: dt.date
    ends_on: dt.date | None
    review_on: dt.date | None = None
    purpose: str = ""

    def in_force(self, on: dt.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)

    def covers(self, a: str, b: str, data_class: DataClass, on: dt.date) -> bool:
        """True if the agreement lets ``a`` and ``b`` share ``data_class`` on ``on``."""
        return (
            self.in_force(on)
            and a in self.parties
            and b in self.parties
            and data_class in self.data_classes
        )


def force_agency_code(force_code: str) -> str:
    """The code of the force as an agency: police staff belong to it."""
    return f"{force_code}-police"


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
    # A partner's agency; police staff leave it ``None`` and act for the force's own agency.
    agency: Agency | None = None
    # The agreements the actor's agency is a party to, as loaded with it.
    agreements: tuple[Agreement, ...] = ()
    purpose: str = "operational"
    purpose_text: str | None = None
    # Where the request came from, for the audit trail (domain guide 6.5 "channel").
    channel: str = "ui"
    client_ip: str | None = None
    device: str | None = None
    pseudonym_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def agency_code(self) -> str | None:
        return self.agency.code if self.agency else None

    @property
    def acts_for(self) -> str:
        """The agency the actor works for: its own, or the force's for police staff."""
        return self.agency.code if self.agency else force_agency_code(self.force_code)

    @property
    def organisation(self) -> str:
        if self.role is Role.SYSTEM:
            return f"{self.force_code} police (asbhub job)"
        if self.agency:
            return self.agency.name
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


def cli_actor(force_code: str, *, command: str = "") -> Actor:
    """Whoever runs a figures command (the board's, the recording audit's, the orders' effect)
    acts as an analyst of the force: counts and figures, no identities. ``command`` names it
    in the audit trail."""
    return Actor(
        user_id=0,
        username="cli",
        display_name=f"command line ({command})" if command else "command line",
        role=Role.ANALYST,
        force_code=force_code,
        purpose="analysis",
        channel="cli",
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
        if actor.agency is None or actor.agency.local_authority_codes is None:
            return frozenset()
        return actor.agency.local_authority_codes
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
    that reads incidents, people, locations, chats and cases calls this on its query.

    An entity may also name the rows an agency reaches outside its areas (a case it owns, or
    one shared with it) with a classmethod ``agency_reach(agency_code, force_code) -> clause``.
    """
    stmt = stmt.where(entity.force_code == actor.force_code)
    areas = scoped_local_authorities(actor)
    if areas is not None:
        column = getattr(entity, "local_authority_code", None)
        reach = getattr(entity, "agency_reach", None)
        clauses: list[ColumnElement[bool]] = []
        if column is not None and areas:
            clauses.append(column.in_(sorted(areas)))
        if reach is not None and actor.agency is not None:
            clauses.append(reach(actor.agency.code, actor.force_code))
        if not clauses:
            return stmt.where(false())
        stmt = stmt.where(clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1])
    return stmt


def in_scope(actor: Actor, row: Any) -> bool:
    """:func:`restrict`'s rule for one loaded row (a chat a handler acts on, say)."""
    if row.force_code != actor.force_code:
        return False
    areas = scoped_local_authorities(actor)
    if areas is None:
        return True
    return getattr(row, "local_authority_code", None) in areas


@dataclass(frozen=True)
class Share:
    """One grant of a case's data classes to an agency, under an agreement or an override."""

    agency_code: str
    data_classes: frozenset[DataClass]
    agreement_reference: str | None = None
    override: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class CaseSharing:
    """What the policy needs to know about one case (or any shared record): who owns it,
    where it is, whether the victim's details are locked to the owner, and its shares."""

    force_code: str
    owner_agency: str
    local_authority_code: str | None
    victim_locked: bool = False
    shares: tuple[Share, ...] = ()


@dataclass(frozen=True)
class CaseAccess:
    """What one actor may do with one case.

    ``exists``: the actor may know the case exists and whom to ask (reference, stage, owner,
    single point of contact); ``classes``: the data classes it may read; ``owner``: it acts
    for the owning agency; ``may_update`` / ``may_share``: it may work or share the case (the
    owner only; another agency updates the actions given to it, :func:`may_update_action`).
    """

    exists: bool
    classes: frozenset[DataClass]
    owner: bool
    may_update: bool
    may_share: bool

    def sees(self, data_class: DataClass) -> bool:
        return data_class in self.classes

    @property
    def personal(self) -> bool:
        return bool(self.classes & PERSONAL_CLASSES)


NO_ACCESS = CaseAccess(False, frozenset(), False, False, False)


def _agreement_for(
    agreements: Iterable[Agreement], a: str, b: str, data_class: DataClass, on: dt.date
) -> Agreement | None:
    return next((g for g in agreements if g.covers(a, b, data_class, on)), None)


def case_access(actor: Actor, case: CaseSharing, *, on: dt.date) -> CaseAccess:
    """The one access decision for a case, from role + agency + agreement + the case's
    sharing settings.

    - The owning agency's staff see every class their role allows.
    - Another agency sees the incident summary once the case is shared with it, and a personal
      class only while an agreement in force on ``on`` covers it between the two agencies (or
      an emergency override stands); never the personal details when the victim's details are
      locked to the owner.
    - Police staff of the force, and partners whose areas cover the case, see that it exists
      and whom to ask, even with nothing shared.
    - Roles without ``casework:personal_data:view`` (analysts) get at most the summary.
    """
    if case.force_code != actor.force_code or not allowed(actor, Action.CASE_VIEW):
        return NO_ACCESS
    me = actor.acts_for
    owner = me == case.owner_agency
    if owner:
        classes = set(DataClass)
    else:
        classes = set()
        for share in case.shares:
            if share.agency_code != me or share.revoked:
                continue
            for c in share.data_classes:
                if (
                    c is DataClass.INCIDENT_SUMMARY
                    or (share.override and not share.revoked)
                    or _agreement_for(actor.agreements, me, case.owner_agency, c, on)
                ):
                    classes.add(c)
        if case.victim_locked:
            classes.discard(DataClass.PERSONAL_DETAILS)
    # A partner sees identities on a case only through an agreement; analysts never.
    if not allowed(actor, Action.CASE_PERSONAL_VIEW):
        classes &= {DataClass.INCIDENT_SUMMARY}
    areas = scoped_local_authorities(actor)
    covers = areas is None or case.local_authority_code in areas
    shared = any(s.agency_code == me and not s.revoked for s in case.shares)
    exists = owner or shared or covers
    if not exists:
        return NO_ACCESS
    return CaseAccess(
        exists=True,
        classes=frozenset(classes),
        owner=owner,
        may_update=owner and allowed(actor, Action.CASE_UPDATE),
        may_share=owner and allowed(actor, Action.CASE_SHARE),
    )


def may_update_action(actor: Actor, access: CaseAccess, action_agency: str) -> bool:
    """An action on a case is updated by the owning agency, or by the agency it was given to
    once the case is shared with it (its own work)."""
    if access.may_update:
        return True
    return (
        action_agency == actor.acts_for
        and DataClass.INCIDENT_SUMMARY in access.classes
        and allowed(actor, Action.CASE_UPDATE)
    )


@dataclass(frozen=True)
class ShareDecision:
    """How a share may go ahead: the agreement that covers it, or an emergency override."""

    agreement: Agreement | None
    override: bool
    lawful_basis: str | None


def share_decision(
    actor: Actor,
    case: CaseSharing,
    *,
    recipient: str,
    data_classes: Iterable[DataClass],
    on: dt.date,
    override_reason: str | None = None,
) -> ShareDecision:
    """Decide a share of ``case``'s ``data_classes`` with the agency ``recipient``.

    Only the owning agency shares. The incident summary needs no agreement (it holds no
    personal data); a personal class needs one agreement in force on ``on`` that covers every
    class asked for between the owner and the recipient. Without one the share is refused
    (:class:`NotPermitted`) unless the actor may override and gives a reason: the share then
    goes ahead as an emergency override, which the caller logs and queues for review.
    """
    access = case_access(actor, case, on=on)
    if not access.may_share:
        raise NotPermitted("only the owning agency may share this case")
    wanted = frozenset(data_classes)
    if not wanted:
        raise NotPermitted("choose at least one class of data to share")
    if recipient == case.owner_agency:
        raise NotPermitted("the case already belongs to that agency")
    personal = wanted & PERSONAL_CLASSES
    if not personal:
        return ShareDecision(None, False, None)
    for g in actor.agreements:
        if all(g.covers(case.owner_agency, recipient, c, on) for c in personal):
            return ShareDecision(g, False, g.lawful_basis)
    reason = (override_reason or "").strip()
    if not reason:
        names = ", ".join(sorted(c.value for c in personal))
        raise NotPermitted(
            f"no information sharing agreement in force covers sharing {names} with "
            f"{recipient}: an emergency override needs a reason"
        )
    if not allowed(actor, Action.CASE_SHARE_OVERRIDE):
        raise NotPermitted(
            f"no agreement covers this share, and {actor.role.value} may not override"
        )
    return ShareDecision(None, True, None)


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


# Issue 14.2: the roles that sign in with a second factor. Those who may see personal data
# (as CJIS asks for criminal-justice data), and administrators, who can reset anyone's
# password and second factor and so could otherwise take any such account over.
_SECOND_FACTOR_ACTIONS = frozenset({Action.PERSONAL_DATA_VIEW, Action.USER_MANAGE})


def needs_second_factor(role: Role) -> bool:
    """Whether accounts of ``role`` must sign in with a second factor."""
    return bool(GRANTS[role] & _SECOND_FACTOR_ACTIONS)

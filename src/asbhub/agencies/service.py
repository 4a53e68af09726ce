"""Agencies and agreements: the reference set each force ships, what an administrator adds,
and the policy values (:class:`~asbhub.permissions.Agency`, ``Agreement``) an actor carries.

Reads here are of organisations, not people, so they are not audited; adding an agency or an
agreement is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, aliased, selectinload

from asbhub.agencies.models import AgencyArea, AgencyRow, AgreementParty, SharingAgreement
from asbhub.audit.service import AuditAction, record
from asbhub.errors import InvalidInput, NotFound
from asbhub.permissions import (
    Action,
    Actor,
    Agency,
    AgencyKind,
    Agreement,
    DataClass,
    force_agency_code,
    require,
)

# The lawful bases an agreement may cite (domain guide 6.3). Codes are stored; the labels are
# what screens and exports show.
LAWFUL_BASES: dict[str, str] = {
    "uk-gdpr-6-1-e": "UK GDPR Art 6(1)(e) public task, with DPA 2018 Sch.1 conditions",
    "dpa-2018-part-3": "DPA 2018 Part 3: processing for law enforcement purposes",
    "cda-1998-s115": "Crime and Disorder Act 1998 s.115 power to disclose",
    "asb-2014-sch4": "ASB, Crime and Policing Act 2014 Sch.4 (case reviews)",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def reference_file(force_code: str) -> dict[str, Any]:
    """The force's shipped agencies file (``agencies/data/<force>.json``)."""
    path = resources.files("asbhub.agencies") / "data" / f"{force_code}.json"
    if not path.is_file():
        raise NotFound(f"no reference agencies are shipped for force {force_code!r}")
    with path.open("r", encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def reference_agency(force_code: str, code: str) -> Agency:
    """One agency of the shipped file as the policy sees it, without a database (for tests
    and tools that build an actor by hand)."""
    for a in reference_file(force_code)["agencies"]:
        if a["code"] == code:
            return Agency(
                code=a["code"],
                name=a["name"],
                kind=AgencyKind(a["kind"]),
                local_authority_codes=None if a.get("whole_force") else frozenset(a["areas"]),
                contact=a.get("contact"),
            )
    raise NotFound(f"no reference agency {code!r} for force {force_code!r}")


def load_reference_agencies(session: Session, force_code: str) -> int:
    """Add the force's shipped agencies that are missing; return how many were added.

    Idempotent (``asbhub db upgrade`` runs it every time); an agency already stored keeps any
    change made to it since.
    """
    doc = reference_file(force_code)
    have = set(session.scalars(select(AgencyRow.code).where(AgencyRow.force_code == force_code)))
    added = 0
    for a in doc["agencies"]:
        if a["code"] in have:
            continue
        _store_agency(
            session,
            force_code=force_code,
            code=a["code"],
            name=a["name"],
            kind=AgencyKind(a["kind"]),
            areas=a["areas"],
            contact=a.get("contact"),
            whole_force=bool(a.get("whole_force")),
            source=doc["version"],
        )
        added += 1
    session.flush()
    return added


def _store_agency(
    session: Session,
    *,
    force_code: str,
    code: str,
    name: str,
    kind: AgencyKind,
    areas: Iterable[str],
    contact: str | None,
    whole_force: bool,
    source: str,
) -> AgencyRow:
    row = AgencyRow(
        force_code=force_code,
        code=code,
        name=name,
        kind=kind,
        contact=contact,
        whole_force=whole_force,
        active=True,
        source=source,
        created_at=_now(),
    )
    row.areas = [AgencyArea(force_code=force_code, local_authority_code=la) for la in areas]
    session.add(row)
    return row


def _policy_agency(row: AgencyRow) -> Agency:
    return Agency(
        code=row.code,
        name=row.name,
        kind=row.kind,
        local_authority_codes=None
        if row.whole_force
        else frozenset(a.local_authority_code for a in row.areas),
        contact=row.contact,
    )


def _policy_agreement(row: Any, parties: Iterable[str] | None = None) -> Agreement:
    """The policy's view of an agreement: a stored row with its parties loaded, or a row of
    its columns with the parties' codes given."""
    codes = (p.agency.code for p in row.parties) if parties is None else parties
    return Agreement(
        reference=row.reference,
        parties=frozenset(codes),
        data_classes=frozenset(DataClass(c) for c in row.data_classes),
        lawful_basis=row.lawful_basis,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        review_on=row.review_on,
        purpose=row.purpose,
    )


def _agency_row(session: Session, force_code: str, code: str) -> AgencyRow | None:
    return session.execute(
        select(AgencyRow)
        .where(AgencyRow.force_code == force_code, AgencyRow.code == code)
        .options(selectinload(AgencyRow.areas))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Membership:
    """What an actor carries of its agency: the agency and the agreements it is party to."""

    agency: Agency | None
    agreements: tuple[Agreement, ...]


# Built once, with the force and agency as bound values: an actor is made on every signed-in
# request, and building these joins anew each time cost more than running them.
_MINE = aliased(AgreementParty)
_PARTY = aliased(AgreementParty)
_PARTY_AGENCY = aliased(AgencyRow)
_AGENCY_AREAS = (
    select(
        AgencyRow.id,
        AgencyRow.name,
        AgencyRow.kind,
        AgencyRow.contact,
        AgencyRow.whole_force,
        AgencyArea.local_authority_code,
    )
    .outerjoin(
        AgencyArea,
        and_(AgencyArea.agency_id == AgencyRow.id, AgencyArea.force_code == bindparam("force")),
    )
    .where(AgencyRow.force_code == bindparam("force"), AgencyRow.code == bindparam("code"))
)
_AGREEMENTS = (
    select(
        SharingAgreement.id,
        SharingAgreement.reference,
        SharingAgreement.data_classes,
        SharingAgreement.lawful_basis,
        SharingAgreement.starts_on,
        SharingAgreement.ends_on,
        SharingAgreement.review_on,
        SharingAgreement.purpose,
        _PARTY_AGENCY.code,
    )
    .join(
        _MINE,
        and_(_MINE.agreement_id == SharingAgreement.id, _MINE.force_code == bindparam("force")),
    )
    .join(
        _PARTY,
        and_(_PARTY.agreement_id == SharingAgreement.id, _PARTY.force_code == bindparam("force")),
    )
    .join(
        _PARTY_AGENCY,
        and_(_PARTY_AGENCY.id == _PARTY.agency_id, _PARTY_AGENCY.force_code == bindparam("force")),
    )
    .where(SharingAgreement.force_code == bindparam("force"), _MINE.agency_id == bindparam("id"))
    .order_by(SharingAgreement.id)
)


def membership(session: Session, *, force_code: str, agency_code: str | None) -> Membership:
    """The agency an account acts for (``None``: police staff, the force's own) and every
    agreement that agency is a party to, for :func:`asbhub.auth.service.actor_for`.

    Read on every signed-in request, so as two plain joins rather than ORM objects: the
    force's own agency is party to every agreement and each names its parties, and loading
    those as objects (five queries, one object a party) was half of a request's time once
    the generated housing agreement gave the force 17 parties to carry.
    """
    code = agency_code or force_agency_code(force_code)
    rows = session.execute(_AGENCY_AREAS, {"force": force_code, "code": code}).all()
    if not rows:
        return Membership(None, ())
    first = rows[0]
    agency = (
        Agency(
            code=code,
            name=first.name,
            kind=first.kind,
            local_authority_codes=None
            if first.whole_force
            else frozenset(r.local_authority_code for r in rows if r.local_authority_code),
            contact=first.contact,
        )
        if agency_code
        else None
    )
    found = session.execute(_AGREEMENTS, {"force": force_code, "id": first.id}).all()
    agreements: dict[int, tuple[Any, set[str]]] = {}
    for r in found:
        agreements.setdefault(r.id, (r, set()))[1].add(r.code)
    return Membership(
        agency,
        tuple(_policy_agreement(r, codes) for r, codes in agreements.values()),
    )


def get_agency(session: Session, *, force_code: str, code: str) -> Agency:
    """The agency ``code`` of the force, or :class:`InvalidInput` listing the known codes."""
    row = _agency_row(session, force_code, code)
    if row is None or not row.active:
        known = ", ".join(a.code for a in list_agencies(session, force_code=force_code))
        raise InvalidInput(f"unknown agency {code!r}", {"agency": f"must be one of: {known}"})
    return _policy_agency(row)


def list_agencies(
    session: Session, *, force_code: str, partners_only: bool = False
) -> list[Agency]:
    """The force's active agencies by name (``partners_only``: without the force itself)."""
    stmt = (
        select(AgencyRow)
        .where(AgencyRow.force_code == force_code, AgencyRow.active.is_(True))
        .options(selectinload(AgencyRow.areas))
        .order_by(AgencyRow.name)
    )
    if partners_only:
        stmt = stmt.where(AgencyRow.whole_force.is_(False))
    return [_policy_agency(r) for r in session.scalars(stmt)]


def list_agreements(session: Session, *, actor: Actor) -> list[Agreement]:
    """Every agreement of the actor's force, newest first."""
    require(actor, Action.AGENCY_VIEW)
    rows = session.scalars(
        select(SharingAgreement)
        .where(SharingAgreement.force_code == actor.force_code)
        .options(selectinload(SharingAgreement.parties).selectinload(AgreementParty.agency))
        .order_by(SharingAgreement.starts_on.desc(), SharingAgreement.id.desc())
    ).all()
    return [_policy_agreement(r) for r in rows]


def add_agency(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    areas: Sequence[str],
    contact: str | None = None,
    source: str = "account",
) -> Agency:
    """Add an agency with the local authority areas it covers."""
    require(actor, Action.AGENCY_MANAGE)
    problems: dict[str, str] = {}
    code = code.strip().lower()
    if not code or not code.replace("-", "").isalnum() or len(code) > 80:
        problems["code"] = "letters, digits and hyphens, up to 80"
    elif _agency_row(session, actor.force_code, code) is not None:
        problems["code"] = f"{code!r} is taken"
    if not name.strip():
        problems["name"] = "the agency's name is missing"
    try:
        kind_ = AgencyKind(kind)
    except ValueError:
        problems["kind"] = f"one of: {', '.join(k.value for k in AgencyKind)}"
    if not areas:
        problems["areas"] = "name at least one local authority area"
    if problems:
        raise InvalidInput("the agency cannot be added", problems)
    row = _store_agency(
        session,
        force_code=actor.force_code,
        code=code,
        name=name.strip(),
        kind=kind_,
        areas=sorted(set(areas)),
        contact=(contact or "").strip() or None,
        whole_force=False,
        source=source,
    )
    session.flush()
    record(
        session,
        actor=actor,
        event="agencies:agency:create",
        action=AuditAction.CREATE,
        object_type="agency",
        object_id=row.id,
        fields={"code": code, "kind": kind_.value, "areas": sorted(set(areas))},
    )
    return _policy_agency(row)


def add_agreement(
    session: Session,
    *,
    actor: Actor,
    reference: str,
    title: str,
    purpose: str,
    lawful_basis: str,
    data_classes: Sequence[str],
    parties: Sequence[str],
    starts_on: dt.date,
    ends_on: dt.date | None,
    review_on: dt.date | None,
    source: str = "account",
) -> Agreement:
    """Record an information sharing agreement between two or more agencies of the force.

    Refused, naming each field, when the reference is taken, a party or class is unknown,
    fewer than two parties are named, or the dates are out of order.
    """
    require(actor, Action.AGENCY_MANAGE)
    problems: dict[str, str] = {}
    reference = reference.strip()
    if not reference:
        problems["reference"] = "the agreement's reference is missing"
    elif session.scalar(
        select(SharingAgreement.id).where(
            SharingAgreement.force_code == actor.force_code,
            SharingAgreement.reference == reference,
        )
    ):
        problems["reference"] = f"{reference!r} is taken"
    if not title.strip():
        problems["title"] = "the agreement's title is missing"
    if not purpose.strip():
        problems["purpose"] = "say what the sharing is for"
    if lawful_basis not in LAWFUL_BASES:
        problems["lawful_basis"] = f"one of: {', '.join(LAWFUL_BASES)}"
    classes: list[str] = []
    for c in data_classes:
        try:
            classes.append(DataClass(c).value)
        except ValueError:
            problems["data_classes"] = f"unknown class {c!r}"
    if not classes and "data_classes" not in problems:
        problems["data_classes"] = "name at least one class of data"
    rows: list[AgencyRow] = []
    for code in dict.fromkeys(parties):
        row = _agency_row(session, actor.force_code, code)
        if row is None:
            problems["parties"] = f"unknown agency {code!r}"
        else:
            rows.append(row)
    if len(rows) < 2 and "parties" not in problems:
        problems["parties"] = "an agreement has at least two parties"
    if ends_on is not None and ends_on < starts_on:
        problems["ends_on"] = "the end is before the start"
    if review_on is not None and review_on < starts_on:
        problems["review_on"] = "the review is before the start"
    if problems:
        raise InvalidInput("the agreement cannot be recorded", problems)
    g = SharingAgreement(
        force_code=actor.force_code,
        reference=reference,
        title=title.strip(),
        purpose=purpose.strip(),
        lawful_basis=lawful_basis,
        data_classes=sorted(set(classes)),
        starts_on=starts_on,
        ends_on=ends_on,
        review_on=review_on,
        source=source,
        created_at=_now(),
    )
    g.parties = [AgreementParty(force_code=actor.force_code, agency=r) for r in rows]
    session.add(g)
    session.flush()
    record(
        session,
        actor=actor,
        event="agencies:agreement:create",
        action=AuditAction.CREATE,
        object_type="sharing_agreement",
        object_id=g.id,
        isa_id=reference,
        legal_basis=lawful_basis,
        fields={
            "parties": [r.code for r in rows],
            "data_classes": g.data_classes,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    return _policy_agreement(g)

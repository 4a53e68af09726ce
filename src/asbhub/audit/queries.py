"""The audit log search as a query: filters to a ``select`` over ``audit_events``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, String, cast, or_, select

from asbhub.audit.models import AuditEvent
from asbhub.audit.schemas import AuditFilters


def _contains(column: object, text: str) -> object:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]


def _subject(kind: str | None, ident: str) -> object:
    """A record named by id: the event's object, or a person among its data subjects."""
    on_object = AuditEvent.object_id == ident
    if kind:
        on_object = on_object & (AuditEvent.object_type == kind)
    if kind not in (None, "person"):
        return on_object
    # data_subjects is a JSON list of ids written by one serialiser ("[3, 12]"), so its text
    # form can be matched portably on SQLite and PostgreSQL.
    text = cast(AuditEvent.data_subjects, String)
    n = ident
    return or_(
        on_object,
        text == f"[{n}]",
        text.like(f"[{n},%"),
        text.like(f"%, {n}]"),
        text.like(f"%, {n},%"),
    )


# The kinds of record that are cases: a problem-solving case, an ASB case review, a
# restorative referral. A bare id in the "case" filter matches any of them.
CASE_TYPES = ("case", "case_review", "restorative_referral")


def _case(value: str) -> object:
    kind, _, ident = value.rpartition(":")
    kinds = (kind,) if kind else CASE_TYPES
    return (AuditEvent.object_type.in_(kinds)) & (AuditEvent.object_id == ident)


def filtered(filters: AuditFilters, force_code: str) -> Select[AuditEvent]:
    """Newest first; events of the actor's force and force-less ones (sign-in attempts)."""
    stmt = select(AuditEvent).where(
        or_(AuditEvent.force_code == force_code, AuditEvent.force_code.is_(None))
    )
    if filters.who:
        stmt = stmt.where(
            or_(
                _contains(AuditEvent.actor_name, filters.who),  # type: ignore[arg-type]
                _contains(AuditEvent.actor_role, filters.who.replace(" ", "_")),  # type: ignore[arg-type]
            )
        )
    if filters.what:
        what = filters.what.strip()
        stmt = stmt.where(
            or_(
                _contains(AuditEvent.event, what),  # type: ignore[arg-type]
                AuditEvent.action == what.lower(),
            )
        )
    if filters.subject:
        kind, _, ident = filters.subject.rpartition(":")
        stmt = stmt.where(_subject(kind or None, ident))  # type: ignore[arg-type]
    if filters.case:
        stmt = stmt.where(_case(filters.case))  # type: ignore[arg-type]
    if filters.agency:
        stmt = stmt.where(_contains(AuditEvent.actor_organisation, filters.agency))  # type: ignore[arg-type]
    if filters.purpose:
        stmt = stmt.where(AuditEvent.purpose == filters.purpose)
    if filters.date_from:
        stmt = stmt.where(
            AuditEvent.occurred_at >= dt.datetime.combine(filters.date_from, dt.time())
        )
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
        stmt = stmt.where(AuditEvent.occurred_at < end)
    return stmt.order_by(AuditEvent.seq.desc())

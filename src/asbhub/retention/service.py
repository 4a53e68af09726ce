"""What is due for review or deletion, and the decisions that keep or delete it.

A class's records are due when their date is older than the class's period on the day asked.
Nothing is deleted by the list or by a schedule: only :func:`decide` with ``delete``, made by
an account that may decide (an administrator), recorded in ``retention_decisions`` and the
audit log in the same transaction as the deletion. Due records still used by another record
(a case, a power, anything whose foreign key does not cascade) are held, counted and kept,
with the tables that hold them named (``held_by``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Select,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.errors import InvalidInput
from asbhub.permissions import Action, Actor, require
from asbhub.retention.models import RetentionDecision
from asbhub.retention.rules import RecordClass, RetentionRules
from asbhub.store.base import Base


@dataclass(frozen=True)
class Due:
    record_class: str
    label: str
    action: str
    due_before: dt.date
    records: int
    held: int
    # Per table whose rows still use some of the due records: how many of them it holds.
    held_by: dict[str, int]
    oldest: dt.datetime | None
    rules_version: str
    reason: str


def _table(c: RecordClass) -> Table:
    return Base.metadata.tables[c.table]


def _matching(c: RecordClass, due_before: dt.date, force_code: str) -> list[ColumnElement[bool]]:
    t = _table(c)
    conds: list[ColumnElement[bool]] = [
        t.c.force_code == force_code,
        t.c[c.date_column] < dt.datetime.combine(due_before, dt.time()),
    ]
    for column, wanted in c.where.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        named = [v for v in values if v is not None]
        parts = [t.c[column].in_(named)] if named else []
        if None in values:
            parts.append(t.c[column].is_(None))
        conds.append(or_(*parts))
    return conds


def _holders(t: Table) -> list[tuple[str, ColumnElement[bool]]]:
    """For each foreign key onto ``t`` that does not cascade, the table it is on and "a row
    there uses this one"."""
    out: list[tuple[str, ColumnElement[bool]]] = []
    for other in Base.metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is t and (fk.ondelete or "").upper() not in {"CASCADE", "SET NULL"}:
                out.append((other.name, _names_row(fk)))
    return out


def _names_row(fk: ForeignKey) -> ColumnElement[bool]:
    """ "A row of ``fk``'s table names this one": within the row's force, where both tables
    have one, so a distributed PostgreSQL answers on one node (docs/scale.md section 3)."""
    child, parent = fk.parent.table, fk.column.table
    if "force_code" in child.c and "force_code" in parent.c:
        return exists().where(fk.parent == fk.column, child.c.force_code == parent.c.force_code)
    return exists().where(fk.parent == fk.column)


def _held_by(
    session: Session,
    t: Table,
    conds: list[ColumnElement[bool]],
    holders: list[tuple[str, ColumnElement[bool]]],
) -> dict[str, int]:
    """How many of the records ``conds`` selects each holding table uses (one record may be
    held by several)."""
    counts: dict[str, int] = {}
    for name, clause in holders:
        n = int(session.scalar(select(func.count()).select_from(t).where(*conds, clause)) or 0)
        if n:
            counts[name] = counts.get(name, 0) + n
    return dict(sorted(counts.items()))


def _referenced(t: Table) -> list[ColumnElement[bool]]:
    """For every foreign key onto ``t``, cascading or not, "a row there names this one"."""
    return [
        _names_row(fk)
        for other in Base.metadata.tables.values()
        for fk in other.foreign_keys
        if fk.column.table is t
    ]


def _due_before(c: RecordClass, as_of: dt.date) -> dt.date:
    return as_of - dt.timedelta(days=c.review_after_days)


def due(session: Session, *, actor: Actor, rules: RetentionRules, as_of: dt.date) -> list[Due]:
    """Each class with the records due on ``as_of`` (and how many of them are held)."""
    require(actor, Action.RETENTION_LIST)
    out = []
    for c in rules.classes:
        t = _table(c)
        before = _due_before(c, as_of)
        base = select(func.count(), func.min(t.c[c.date_column])).where(
            *_matching(c, before, actor.force_code)
        )
        n, oldest = session.execute(base).one()
        holders = _holders(t)
        held = (
            session.scalar(
                base.with_only_columns(func.count()).where(or_(*(h for _, h in holders)))
            )
            if holders and n
            else 0
        )
        conds = _matching(c, before, actor.force_code)
        held_by = _held_by(session, t, conds, holders) if held else {}
        out.append(
            Due(
                c.name,
                c.label,
                c.action,
                before,
                int(n),
                int(held or 0),
                held_by,
                oldest,
                rules.version,
                c.reason,
            )
        )
    record(
        session,
        actor=actor,
        event="retention:records:list",
        action=AuditAction.VIEW,
        object_type="retention",
        result_count=sum(d.records for d in out),
        fields={"as_of": as_of.isoformat(), "rules_version": rules.version},
    )
    return out


def decide(
    session: Session,
    *,
    actor: Actor,
    rules: RetentionRules,
    record_class: str,
    as_of: dt.date,
    decision: str,
    reason: str,
    now: dt.datetime | None = None,
) -> RetentionDecision:
    """Keep or delete the records of ``record_class`` due on ``as_of``, recorded and audited."""
    require(actor, Action.RETENTION_DECIDE)
    c = rules.named(record_class)
    if decision not in {"delete", "keep"}:
        raise InvalidInput("decide delete or keep", {"decision": decision})
    if len(reason.strip()) < 10:
        raise InvalidInput(
            "give the reason for the decision (at least 10 characters)", {"reason": reason}
        )
    t = _table(c)
    before = _due_before(c, as_of)
    conds = _matching(c, before, actor.force_code)
    n = int(session.scalar(select(func.count()).select_from(t).where(*conds)) or 0)
    holders = _holders(t)
    free = and_(*conds, *[~h for _, h in holders])
    held_by = _held_by(session, t, conds, holders) if n else {}
    deleted = held = people_deleted = 0
    if decision == "delete":
        ids: Select[Any] = select(t.c.id).where(free)
        gone = list(session.execute(ids).scalars())
        people = Base.metadata.tables["people"]
        links = Base.metadata.tables["incident_people"]
        linked: set[int] = set()
        for start in range(0, len(gone), 500):
            part = gone[start : start + 500]
            if c.table == "incidents":
                linked |= set(
                    session.execute(
                        select(links.c.person_id).where(
                            links.c.force_code == actor.force_code, links.c.incident_id.in_(part)
                        )
                    ).scalars()
                )
            # Children go with their foreign keys' ON DELETE CASCADE (SQLite's are on).
            session.execute(delete(t).where(t.c.force_code == actor.force_code, t.c.id.in_(part)))
        # People whose every record is gone go too: a name kept with no record is kept for
        # no purpose. Anyone another record still names stays.
        orphans = list(linked)
        for start in range(0, len(orphans), 500):
            part = orphans[start : start + 500]
            unused = and_(
                people.c.force_code == actor.force_code,
                people.c.id.in_(part),
                *[~r for r in _referenced(people)],
            )
            result = session.execute(delete(people).where(unused))
            people_deleted += int(getattr(result, "rowcount", 0) or 0)
        deleted, held = len(gone), n - len(gone)
    row = RetentionDecision(
        force_code=actor.force_code,
        record_class=c.name,
        rules_version=rules.version,
        due_before=before,
        decision=decision,
        reason=reason.strip(),
        records=n,
        deleted=deleted,
        held=held,
        people_deleted=people_deleted,
        decided_at=now or dt.datetime.now(dt.UTC).replace(tzinfo=None),
        decided_by=actor.display_name,
        decided_by_user_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        event="retention:records:decide",
        action=AuditAction.DELETE if decision == "delete" else AuditAction.UPDATE,
        object_type="retention_decision",
        object_id=row.id,
        result_count=deleted,
        fields={
            "class": c.name,
            "due_before": before.isoformat(),
            "decision": decision,
            "reason": reason.strip(),
            "records": n,
            "deleted": deleted,
            "held": held,
            "held_by": held_by,
            "people_deleted": people_deleted,
            "rules_version": rules.version,
        },
    )
    return row

"""Append to and check the audit trail.

Appends are serialised so each row can name its predecessor's hash: PostgreSQL takes a
transaction-scoped advisory lock; SQLite takes the database write lock up front
(``BEGIN IMMEDIATE``) unless the transaction already holds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import hmac
import io
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    Text,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from asbhub.audit import queries
from asbhub.audit.catalogue import AuditEventType
from asbhub.audit.models import AuditEvent
from asbhub.audit.schemas import EXPORT_MAX, PAGE_SIZE, AuditFilters, AuditPage, AuditRow
from asbhub.permissions import Action, Actor, require

GENESIS = "0" * 64
_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)
_LOCK_KEY = 0x61736268  # "asbh": one advisory lock for the whole chain
_CATALOGUE = frozenset(e.value for e in AuditEventType)


class AuditAction(enum.StrEnum):
    """The verbs of domain guide 6.5."""

    VIEW = "view"
    SEARCH = "search"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    PRINT = "print"
    SHARE = "share"
    MERGE = "merge"
    LINK = "link"
    LOGIN = "login"
    ACCESS_DENIED = "access_denied"


PURPOSES: dict[str, str] = {
    "operational": "Operational duty (call handling, attendance, investigation)",
    "case_review": "ASB case review or casework",
    "safeguarding": "Safeguarding a vulnerable person",
    "supervision": "Supervision or quality review",
    "partnership": "Partnership problem-solving under an information sharing agreement",
    "analysis": "Analysis and performance reporting",
    "administration": "System administration",
}

_CHAINED = (
    "seq",
    "event_id",
    "occurred_at",
    "force_code",
    "event",
    "action",
    "actor_user_id",
    "actor_name",
    "actor_organisation",
    "actor_role",
    "on_behalf_of",
    "object_type",
    "object_id",
    "data_subjects",
    "query",
    "result_count",
    "fields",
    "purpose",
    "purpose_text",
    "legal_basis",
    "isa_id",
    "recipient",
    "channel",
    "client_ip",
    "device",
    "outcome",
)


def _canonical(values: Mapping[str, Any]) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.isoformat(timespec="milliseconds")
        return v

    return json.dumps({k: norm(values[k]) for k in _CHAINED}, sort_keys=True, default=str)


def _digest(prev_hash: str, values: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(values)).encode()).hexdigest()


def _canonical_around_seq(values: Mapping[str, Any]) -> tuple[str, str]:
    """``(head, tail)`` such that ``_canonical`` of ``values`` with any ``seq`` is ``head +
    str(seq) + tail``: "seq" sorts last of the chained keys, so its number ends the JSON. This
    lets PostgreSQL finish the hash once it has read the last row (:func:`_append_in_sql`)."""
    whole = _canonical({**values, "seq": 0})
    if not whole.endswith('"seq": 0}'):  # a chained column added after "seq" in sort order
        raise RuntimeError("the audit chain's canonical form no longer ends with its seq")
    return whole[: -len("0}")], "}"


def _lock_chain(session: Session) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            # pysqlite starts transactions lazily at the first write; taking the write lock
            # now keeps "read the last hash, append" atomic across threads and processes.
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _now() -> dt.datetime:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# The chain's last row, or none: the one row a new event links to.
_LAST = select(_AUDIT_EVENTS.c.seq, _AUDIT_EVENTS.c.hash).order_by(_AUDIT_EVENTS.c.seq.desc())


def _append_statement() -> Insert:
    """``INSERT ... SELECT`` of one event after the chain's last row, hashed by the database.

    Python has written the canonical form of everything but ``seq`` (``chain_head`` and
    ``chain_tail``, :func:`_canonical_around_seq`); the statement adds the last row's hash and
    the next ``seq`` and takes the SHA-256 of the same bytes :func:`_digest` hashes (the JSON
    is ASCII), so :func:`verify` checks these rows like any other.
    """
    c = _AUDIT_EVENTS.c
    last = _LAST.limit(1).lateral("last")
    seq = func.coalesce(last.c.seq, 0) + 1
    prev = func.coalesce(last.c.hash, GENESIS)
    text_hashed = prev + bindparam("chain_head") + seq.cast(Text) + bindparam("chain_tail")
    digest = func.encode(func.sha256(func.convert_to(text_hashed, "UTF8")), "hex")
    source = select(
        seq, prev, digest, *(bindparam(f"v_{k}", type_=c[k].type) for k in _VALUES)
    ).select_from(select(literal(1).label("one")).subquery().join(last, true(), isouter=True))
    return (
        insert(_AUDIT_EVENTS)
        .from_select(["seq", "prev_hash", "hash", *_VALUES], source)
        .returning(c.id, c.seq, c.prev_hash, c.hash)
    )


_VALUES = tuple(k for k in _CHAINED if k != "seq")  # what record() fills in
# Built once, as every read of personal data appends with them.
_LAST_ONE = _LAST.limit(1)
_INSERT = insert(_AUDIT_EVENTS).returning(_AUDIT_EVENTS.c.id)
_APPEND = _append_statement()


def _append_in_sql(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL: read the last row, hash and insert in one statement (under the lock), so
    the lock is held across one round trip instead of a read and an insert."""
    head, tail = _canonical_around_seq(values)
    params = {f"v_{k}": values[k] for k in _VALUES}
    row = conn.execute(_APPEND, {**params, "chain_head": head, "chain_tail": tail}).one()
    return {**values, "id": row.id, "seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}


def _append_in_python(conn: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """SQLite (no SHA-256 in SQL): read the last row, hash here, insert."""
    # The unique index on seq makes this one step down the index's right edge.
    last = conn.execute(_LAST_ONE).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    values = {**values, "seq": seq}
    chained = {**values, "prev_hash": prev, "hash": _digest(prev, values)}
    # A Core insert on the session's connection: the same transaction as the change it
    # records, without a unit-of-work flush, which cost more than the insert on busy paths.
    chained["id"] = conn.execute(_INSERT, chained).scalar_one()
    return chained


def _append(session: Session, pending: list[tuple[dict[str, Any], AuditEvent]]) -> None:
    """Link each pending event to the chain, in order, under the chain's lock, and fill in
    its row's ``id``, ``seq`` and hashes."""
    _lock_chain(session)
    conn = session.connection()
    append = _append_in_sql if conn.dialect.name == "postgresql" else _append_in_python
    for values, row in pending:
        for key, value in append(conn, values).items():
            setattr(row, key, value)


_DEFERRED = "asbhub.audit.deferred"


def defer(session: Session) -> None:
    """From now on, hold the events recorded in ``session`` until :func:`append_deferred`.

    The web app's request session defers its events to its commit, so that on SQLite the
    database's write lock (and this process's, :func:`asbhub.store.engine.writing`) is taken
    for the append and the commit only, not across the rest of the request (its page's
    rendering included). Does nothing if events are already deferred.
    """
    session.info.setdefault(_DEFERRED, [])


def append_deferred(session: Session) -> int:
    """Link the events held since :func:`defer` to the chain, in order; stop deferring.
    Returns how many were appended."""
    pending: list[tuple[dict[str, Any], AuditEvent]] = session.info.pop(_DEFERRED, [])
    if pending:
        _append(session, pending)
    return len(pending)


def has_deferred(session: Session) -> bool:
    """Whether events recorded in ``session`` wait for :func:`append_deferred`."""
    return bool(session.info.get(_DEFERRED))


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Append the events recorded inside the block to the chain at its end, in order.

    The chain's lock is held from the first append until the transaction ends, so every
    statement after it waits in every other writer's queue. A unit of work that commits right
    after the block (the public report) holds the lock for its append and commit only,
    instead of across its remaining inserts. Nothing is appended if the block raises.
    Inside a session that already defers (:func:`defer`), the outer deferral appends.
    """
    if _DEFERRED in session.info:
        yield
        return
    defer(session)
    try:
        yield
    except BaseException:
        session.info.pop(_DEFERRED, None)
        raise
    append_deferred(session)


def record(
    session: Session,
    *,
    actor: Actor | None,
    event: str,
    action: AuditAction,
    object_type: str | None = None,
    object_id: str | int | None = None,
    data_subjects: Iterable[int] = (),
    query: str | None = None,
    result_count: int | None = None,
    fields: Mapping[str, Any] | None = None,
    outcome: str = "success",
    force_code: str | None = None,
    legal_basis: str | None = None,
    isa_id: str | None = None,
    recipient: str | None = None,
    channel: str | None = None,
    client_ip: str | None = None,
    device: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in ``session``'s transaction and return it.

    ``event`` reads ``source:subject:action`` (``incidents:person:view``) and must be in the
    catalogue (:class:`~asbhub.audit.catalogue.AuditEventType`, docs/audit.md). The actor's
    purpose, channel and client are copied from ``actor``; anonymous events pass them
    explicitly. Inside :func:`deferred` the row is linked (its ``id``, ``seq`` and hashes
    set) at the end of the block.
    """
    if event not in _CATALOGUE:
        raise ValueError(
            f"{event!r} is not in the audit event catalogue: add it to asbhub/audit/catalogue.py"
            " and docs/audit.md"
        )
    values: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": _now(),
        "force_code": force_code or (actor.force_code if actor else None),
        "event": event,
        "action": AuditAction(action).value,
        "actor_user_id": actor.user_id if actor else None,
        "actor_name": actor.display_name if actor else None,
        "actor_organisation": actor.organisation if actor else None,
        "actor_role": actor.role.value if actor else None,
        "on_behalf_of": None,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "data_subjects": sorted(set(data_subjects)),
        "query": query,
        "result_count": result_count,
        "fields": dict(fields or {}),
        "purpose": actor.purpose if actor else None,
        "purpose_text": actor.purpose_text if actor else None,
        "legal_basis": legal_basis,
        "isa_id": isa_id,
        "recipient": recipient,
        "channel": channel or (actor.channel if actor else "batch"),
        "client_ip": client_ip or (actor.client_ip if actor else None),
        "device": device or (actor.device if actor else None),
        "outcome": outcome,
    }
    row = AuditEvent(**values)
    pending = session.info.get(_DEFERRED)
    if pending is not None:
        pending.append((values, row))
    else:
        _append(session, [(values, row)])
    return row


@dataclass(frozen=True)
class ChainCheck:
    events: int
    first_broken_seq: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify(session: Session) -> ChainCheck:
    """Recompute the chain; report the first row whose hash or link does not match."""
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for row in rows:
        count += 1
        values = {k: getattr(row, k) for k in _CHAINED}
        if row.seq != expected_seq or row.prev_hash != prev or row.hash != _digest(prev, values):
            return ChainCheck(count, row.seq)
        prev, expected_seq = row.hash, expected_seq + 1
    return ChainCheck(count, None)


def recent(session: Session, *, actor: Actor, limit: int = 100) -> list[AuditEvent]:
    """The latest events, newest first; reading the log is itself logged."""
    require(actor, Action.AUDIT_VIEW)
    rows = list(
        session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)).scalars()
    )
    record(
        session,
        actor=actor,
        event="audit:event:view",
        action=AuditAction.VIEW,
        object_type="audit_log",
        result_count=len(rows),
    )
    return rows


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def search(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the events matching ``filters``, newest first, with the total count.

    ``before`` is the ``seq`` the previous page ended at. The search is itself audited with
    its filters, so who looked at the log is in the log.
    """
    require(actor, Action.AUDIT_VIEW)
    stmt = queries.filtered(filters, actor.force_code)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    if before is not None:
        stmt = stmt.where(AuditEvent.seq < before)
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    record(
        session,
        actor=actor,
        event="audit:event:search",
        action=AuditAction.SEARCH,
        object_type="audit_log",
        query=json.dumps(filters.active(), sort_keys=True),
        result_count=total,
    )
    return AuditPage(
        items=[AuditRow.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        next_before=rows[-1].seq if more and rows else None,
    )


EXPORT_COLUMNS = (
    "seq", "occurred_at", "event", "action", "actor_name", "actor_role", "actor_organisation",
    "object_type", "object_id", "data_subjects", "result_count", "purpose", "purpose_text",
    "channel", "outcome",
)  # fmt: skip


def export_csv(session: Session, *, actor: Actor, filters: AuditFilters) -> str:
    """The matching events as CSV (at most ``EXPORT_MAX`` rows); the export is audited."""
    require(actor, Action.AUDIT_EXPORT)
    stmt = queries.filtered(filters, actor.force_code).limit(EXPORT_MAX)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for row in session.execute(stmt).scalars():
        n += 1
        values = [getattr(row, c) for c in EXPORT_COLUMNS]
        writer.writerow(
            [" ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
             for v in values]
        )  # fmt: skip
    record(
        session,
        actor=actor,
        event="audit:event:export",
        action=AuditAction.EXPORT,
        object_type="audit_log",
        query=json.dumps(filters.active(), sort_keys=True),
        result_count=n,
    )
    return out.getvalue()


# --- checkpoints: the chain's tail anchored outside the table --------------------------------
#
# The chain shows an edited or removed row in the middle of the log, but deleting the newest
# rows leaves a shorter chain that is still intact. A checkpoint records the latest seq and
# hash in a file beside the database, keyed with the secret key so that whoever can write the
# database cannot also write a matching checkpoint. A checkpoint also catches a log rewritten
# with recomputed hashes: the hash it saw at its seq no longer matches.


@dataclass(frozen=True)
class Checkpoint:
    written_at: str
    seq: int  # seqs run 1..n without gaps (verify checks), so this is also the count
    hash: str
    mac: str


@dataclass(frozen=True)
class AnchoredCheck:
    chain: ChainCheck
    checkpoints: int
    latest: Checkpoint | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.chain.intact and self.problem is None


def default_checkpoint_path(database_url: str) -> Path | None:
    """Beside a SQLite file (``asbhub.db`` -> ``asbhub.db.checkpoints``); ``None`` for an
    in-memory database or a server, for which ``ASBHUB_AUDIT_CHECKPOINT_PATH`` names one."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.checkpoints")
    return None


def _mac(secret: str, written_at: str, seq: int, hash_: str) -> str:
    key = hmac.new(secret.encode(), b"asbhub:audit:checkpoint", hashlib.sha256).digest()
    return hmac.new(key, f"{written_at}|{seq}|{hash_}".encode(), hashlib.sha256).hexdigest()


def write_checkpoint(session: Session, *, secret: str, path: Path) -> Checkpoint | None:
    """Append the chain's latest seq and hash, keyed with ``secret``, to the file at ``path``
    (one JSON object a line, synced to disk). ``None`` if the log is still empty."""
    c = _AUDIT_EVENTS.c
    last = session.execute(select(c.seq, c.hash).order_by(c.seq.desc()).limit(1)).first()
    if last is None:
        return None
    written_at = _now().isoformat(timespec="milliseconds")
    point = Checkpoint(written_at, last.seq, last.hash, _mac(secret, written_at, *last))
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(asdict(point)) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return point


def _read_checkpoints(secret: str, path: Path) -> tuple[list[Checkpoint], str | None]:
    points: list[Checkpoint] = []
    if not path.exists():
        return points, None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            point = Checkpoint(**json.loads(line))
            valid = hmac.compare_digest(
                point.mac, _mac(secret, point.written_at, point.seq, point.hash)
            )
        except (TypeError, ValueError):
            valid = False
        if not valid:
            return points, f"{path.name} line {n} does not verify (altered, or another key)"
        points.append(point)
    return points, None


def verify_anchored(session: Session, *, secret: str, path: Path) -> AnchoredCheck:
    """:func:`verify`, then compare the log with every checkpoint in ``path``: each
    checkpointed seq must still hold the hash it had, and the log must reach the latest."""
    chain = verify(session)
    points, problem = _read_checkpoints(secret, path)
    latest = points[-1] if points else None
    if problem is None and points:
        seen = {p.seq: p for p in points}
        c = _AUDIT_EVENTS.c
        rows = session.execute(select(c.seq, c.hash).where(c.seq.in_(list(seen)))).tuples()
        found = {seq: hash_ for seq, hash_ in rows}
        top = session.scalar(select(func.max(c.seq))) or 0
        for point in points:
            if point.seq not in found:
                problem = (
                    f"the log ends at seq {top} but the checkpoint of {point.written_at} saw "
                    f"seq {point.seq}: events were deleted"
                    + (f" (at least the newest {point.seq - top})" if point.seq > top else "")
                )
                break
            if found[point.seq] != point.hash:
                problem = f"event {point.seq} differs from the checkpoint of {point.written_at}"
                break
    return AnchoredCheck(chain, len(points), latest, problem)

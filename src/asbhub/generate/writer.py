"""Store generated data: its incidents through the bulk form of ``record_incidents``, its chats
and transcripts through the store's bulk writer, all in one transaction.

The generator's places and people are new by construction (``--replace`` deletes the old ones
first), so the batch is not matched against stored people and locations. The run takes the
write lock first (``BEGIN IMMEDIATE`` on SQLite, table locks on PostgreSQL) so that the check
for an earlier run and the write are one step.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from asbhub.errors import Conflict
from asbhub.generate.case_reviews import write_case_reviews
from asbhub.generate.casework import write_casework
from asbhub.generate.orders import CBO_TERMS, CONVICTED_DAYS_BEFORE
from asbhub.generate.records import delete_generated_records
from asbhub.generate.restorative import write_restorative
from asbhub.generate.schemas import REFERENCE_PREFIX, Generated
from asbhub.incidents import bulk
from asbhub.incidents.service import record_incidents
from asbhub.permissions import Actor, system_actor
from asbhub.powers import rules as power_rules
from asbhub.powers.schemas import DraftIn
from asbhub.powers.service import record_for_job
from asbhub.store.bulk import (
    Constant,
    Timestamps,
    analyze,
    bulk_insert,
    insert_with_ids,
    reserve_ids,
)
from asbhub.triage import rules as triage_rules
from asbhub.triage.rules import RiskLevel as TriageRisk

# A generated chat's token_hash is ``SYN-<id>``: never a SHA-256 digest, so no token opens it,
# and the prefix marks it as generated (like incident references) for --replace.
CHAT_MARK = f"{REFERENCE_PREFIX}%"
TABLES = (
    "locations",
    "people",
    "incidents",
    "incident_people",
    "chats",
    "chat_messages",
    "triage_assessments",
    "triage_reviews",
    "asb_case_reviews",
    "asb_review_recommendations",
    "asb_review_handling_reviews",
    "restorative_referrals",
    "restorative_participants",
    "agencies",
    "cases",
    "generated_truth",
)
# The calibrated years end on 31 March 2021 (deep dive): medium and high risk cases of its last
# 8 weeks are still open, with their reviews to come; everything else was closed. The cut is
# fixed (not the period's end), so a shorter period still gives the matching rows of a longer.
OPEN_AFTER = dt.date(2021, 4, 1) - dt.timedelta(days=56)


class _Sql:
    """Plain statements with ``?`` parameters, for either driver, on the run's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    def __call__(self, text: str, params: Sequence[Any] = ()) -> Any:
        sql = text if self.sqlite else text.replace("?", "%s")
        return self.conn.exec_driver_sql(sql, tuple(params))

    def scalar(self, text: str, params: Sequence[Any] = ()) -> Any:
        return self(text, params).scalar()

    def stamp(self, d: Any) -> Any:
        # SQLAlchemy stores SQLite DateTime as text in this form; PostgreSQL takes the value.
        return f"{d:%Y-%m-%d} 00:00:00.000000" if self.sqlite else f"{d:%Y-%m-%d} 00:00:00"


def _period_clause() -> str:
    return (
        "incidents.force_code = ? AND incidents.reference LIKE ? "
        "AND incidents.received_at >= ? AND incidents.received_at < ?"
    )


_CHAT_CLAUSE = (
    "chats.force_code = ? AND chats.token_hash LIKE ? "
    "AND chats.started_at >= ? AND chats.started_at < ?"
)


def existing(sql: _Sql, g: Generated) -> tuple[int, int]:
    """(generated incidents, generated chats) of the force already in the period."""
    params = (g.force_code, f"{REFERENCE_PREFIX}%", sql.stamp(g.first), sql.stamp(g.last))
    incidents = int(sql.scalar(f"SELECT COUNT(*) FROM incidents WHERE {_period_clause()}", params))
    chat_params = (g.force_code, CHAT_MARK, sql.stamp(g.first), sql.stamp(g.last))
    chats = int(sql.scalar(f"SELECT COUNT(*) FROM chats WHERE {_CHAT_CLAUSE}", chat_params))
    return incidents, chats


def delete_generated_chats(sql: _Sql, g: Generated) -> int:
    """Delete the period's generated chats and their transcripts."""
    params = (g.force_code, CHAT_MARK, sql.stamp(g.first), sql.stamp(g.last))
    sql(
        "DELETE FROM chat_messages WHERE chat_messages.force_code = ? "
        f"AND chat_id IN (SELECT id FROM chats WHERE {_CHAT_CLAUSE})",
        (g.force_code, *params),
    )
    return int(sql(f"DELETE FROM chats WHERE {_CHAT_CLAUSE}", params).rowcount)


def delete_generated(sql: _Sql, g: Generated) -> int:
    """Delete the period's generated incidents and the people and places only they used."""
    params = (g.force_code, f"{REFERENCE_PREFIX}%", sql.stamp(g.first), sql.stamp(g.last))
    sub = f"SELECT id FROM incidents WHERE {_period_clause()}"
    force = (g.force_code,)
    sql("CREATE TEMP TABLE gen_old_people (id INTEGER)")
    sql("CREATE TEMP TABLE gen_old_places (id INTEGER)")
    sql(
        "INSERT INTO gen_old_people SELECT DISTINCT person_id FROM incident_people "
        f"WHERE incident_people.force_code = ? AND incident_people.incident_id IN ({sub})",
        force + params,
    )
    sql(
        "INSERT INTO gen_old_places SELECT DISTINCT location_id FROM incidents "
        f"WHERE {_period_clause()} AND location_id IS NOT NULL",
        params,
    )
    # The seed's orders go with the people they were made against. Every statement names
    # the force, so a distributed PostgreSQL runs each on its node (docs/scale.md section 3).
    power_ids = (
        "SELECT id FROM power_records WHERE power_records.force_code = ? "
        "AND power_records.source = 'generated' "
        "AND person_id IN (SELECT id FROM gen_old_people)"
    )
    for table, key, n in (
        (
            "power_reminders",
            "deadline_id IN (SELECT id FROM power_deadlines "
            f"WHERE power_deadlines.force_code = ? AND record_id IN ({power_ids}))",
            3,
        ),
        ("power_deadlines", f"record_id IN ({power_ids})", 2),
        ("power_events", f"record_id IN ({power_ids})", 2),
        ("power_letters", f"record_id IN ({power_ids})", 2),
    ):
        sql(f"DELETE FROM {table} WHERE {table}.force_code = ? AND {key}", force * n)
    sql(
        f"DELETE FROM power_records WHERE power_records.force_code = ? AND id IN ({power_ids})",
        force * 2,
    )
    sql(
        "DELETE FROM incident_people WHERE incident_people.force_code = ? "
        f"AND incident_people.incident_id IN ({sub})",
        force + params,
    )
    deleted = sql(f"DELETE FROM incidents WHERE {_period_clause()}", params).rowcount
    sql(
        "DELETE FROM people WHERE force_code = ? AND id IN (SELECT id FROM gen_old_people) "
        "AND NOT EXISTS (SELECT 1 FROM incident_people l WHERE l.person_id = people.id "
        "AND l.force_code = people.force_code)",
        force,
    )
    sql(
        "DELETE FROM locations WHERE force_code = ? AND id IN (SELECT id FROM gen_old_places) "
        "AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.location_id = locations.id "
        "AND i.force_code = locations.force_code)",
        force,
    )
    sql("DROP TABLE gen_old_people")
    sql("DROP TABLE gen_old_places")
    return int(deleted)


def _begin(sql: _Sql) -> int | None:
    """Take the write lock for the run; on SQLite also widen the page cache (returns the old
    size): seven indexes on incidents thrash SQLite's default 2 MB cache."""
    if sql.sqlite:
        cache_size = int(sql.scalar("PRAGMA cache_size"))
        sql(f"PRAGMA cache_size=-{256 * 1024}")
        sql("BEGIN IMMEDIATE")
        return cache_size
    sql(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    return None


def write(
    engine: Engine,
    g: Generated,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
    actor: Actor | None = None,
    append: bool = False,
    analyse: bool = True,
) -> dict[str, int]:
    """Store ``g`` in one transaction, audited as ``actor``; returns the row counts written.

    ``append`` adds a further part of a force already written in this run (no check for an
    earlier run); ``analyse=False`` leaves the statistics to the caller, which analyses once
    after a load of many parts (:func:`analyse_written`).
    """
    step = progress or (lambda _msg: None)
    with engine.connect() as conn:
        sql = _Sql(conn)
        cache_size = None
        try:
            cache_size = _begin(sql)
            replaced = replaced_chats = 0
            found, found_chats = (0, 0) if append else existing(sql, g)
            if (found or found_chats) and not replace:
                raise Conflict(
                    f"the database already holds {found:,} generated {g.force_code} incidents "
                    f"and {found_chats:,} generated chats from {g.first:%Y-%m} to before "
                    f"{g.last:%Y-%m}; pass --replace to delete and regenerate them"
                )
            if found_chats:
                # Before the incidents, so no chat is left pointing at a deleted incident.
                replaced_chats = delete_generated_chats(sql, g)
            if found:
                # Before the incidents: a case review names its victim among their people.
                delete_generated_records(conn, g)
                replaced = delete_generated(sql, g)
            counts = _write_rows(conn, g, step, actor)
            conn.commit()
            if analyse:
                analyse_written(conn, counts)
        except BaseException:
            conn.rollback()
            raise
        finally:
            if cache_size is not None:
                sql(f"PRAGMA cache_size={cache_size}")
    return {**counts, "replaced": replaced, "replaced_chats": replaced_chats}


def analyse_written(conn: Connection, counts: dict[str, int]) -> None:
    """Refresh the statistics of what was written, in full: without them SQLite picks
    ``ix_incidents_force_received`` even for ``id IN (...)`` look-ups, walking a year of
    incidents, and a sampled ANALYZE (``analysis_limit``) is no cure, as it extrapolates ~1,000
    rows per force. About a second for six years."""
    tables = {
        "incidents": "incidents",
        "incident_people": "links",
        "people": "people",
        "locations": "locations",
        "triage_assessments": "triage_assessments",
    }
    analyze(conn, {table: counts.get(key, 0) for table, key in tables.items()})


def open_cases(g: Generated) -> np.ndarray:
    """Which generated incidents are still open (see ``OPEN_AFTER``)."""
    if not g.years:
        return np.zeros(0, bool)
    received = np.concatenate([y.received for y in g.years])
    risk = np.concatenate([y.triage.risk for y in g.years])
    return (received >= np.datetime64(OPEN_AFTER)) & (risk != "standard")


def batch_of(g: Generated) -> tuple[bulk.IncidentBatch, np.ndarray]:
    """The generated incidents as a batch (only the places and people they use), and the
    offsets of each financial year's incidents in it."""
    places, people = g.pools.places, g.pools.people
    offsets = np.cumsum([0] + [len(y.received) for y in g.years])

    def cat(name: str, dtype: Any = object) -> np.ndarray:
        if not g.years:
            return np.array([], dtype=dtype)
        return np.concatenate([getattr(y, name) for y in g.years])

    place = cat("place", np.int64)
    link_incident = (
        np.concatenate([y.link_incident + off for y, off in zip(g.years, offsets, strict=False)])
        if g.years
        else np.array([], np.int64)
    )
    link_person = cat("link_person", np.int64)
    used_places, place_index = np.unique(place, return_inverse=True)
    used_people, person_index = np.unique(link_person, return_inverse=True)
    u, p = used_places, used_people
    n = len(place)
    received = cat("received", "datetime64[s]")
    day = received.astype("datetime64[D]")
    # Reference: SYN-YYYYMMDD-NNNN, numbered within the day in order of receipt.
    new_day = np.r_[True, day[1:] != day[:-1]] if n else np.array([], bool)
    starts = np.flatnonzero(new_day)
    seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    day_text = np.char.replace(np.datetime_as_string(day, unit="D"), "-", "")
    tag = f"{REFERENCE_PREFIX}" if not g.part else f"{REFERENCE_PREFIX}P{g.part}-"
    reference = [f"{tag}{d}-{s:04d}" for d, s in zip(day_text.tolist(), seq.tolist(), strict=True)]
    batch = bulk.IncidentBatch(
        force_code=g.force_code,
        reference=reference,
        received_at=received,
        channel=cat("channel").tolist(),
        opening_code=cat("opening").tolist(),
        closing_code=cat("closing").tolist(),
        qualifier=cat("qualifier").tolist(),
        covid_breach=cat("covid", bool),
        hate_motivated=cat("hate", bool),
        location_text=places.address[place].tolist(),
        longitude=places.lon[place],
        latitude=places.lat[place],
        attended=cat("attended", bool),
        attended_at=cat("attended_at", "datetime64[s]"),
        narrative=cat("narrative").tolist(),
        status=np.where(open_cases(g), "assigned", "closed").tolist(),
        place=place_index.astype(np.int64),
        places=bulk.Places(
            address=places.address[u].tolist(),
            postcode=[None] * len(u),
            premises_type=places.premises_type[u].tolist(),
            longitude=places.lon[u],
            latitude=places.lat[u],
            # The pool was located with the shipped boundaries when it was built.
            x_bng=places.x[u],
            y_bng=places.y[u],
            lsoa_code=places.lsoa_code[u].tolist(),
            district=places.district[u].tolist(),
            local_authority_code=places.la_code[u].tolist(),
        ),
        people=bulk.People(
            forename=people.forename[p].tolist(),
            surname=people.surname[p].tolist(),
            date_of_birth=Timestamps(people.date_of_birth[p], date_only=True).texts(False),
            phone=people.phone[p].tolist(),
            email=people.email[p].tolist(),
            address=people.address[p].tolist(),
            vulnerability_flags=people.flags_json(p),
        ),
        link_incident=link_incident.astype(np.int64),
        link_person=person_index.astype(np.int64),
        link_role=cat("link_role").tolist(),
        match_existing=False,
    )
    return batch, offsets


def _write_rows(
    conn: Connection, g: Generated, step: Callable[[str], None], actor: Actor | None
) -> dict[str, int]:
    batch, offsets = batch_of(g)
    written = record_incidents(
        conn,
        actor=actor,
        batch=batch,
        permission=None,
        source="generated",
        event="generate:incidents:create",
        audit_fields={
            "first": f"{g.first:%Y-%m}",
            "last": f"{g.last:%Y-%m}",
            "misrecord_rate": g.misrecord_rate,
        },
    )
    step("incidents")
    n_triage, n_reviews = _write_triage(conn, g, written.incident_ids, batch.received_at)
    step("triage")
    n_truth = _write_truth(conn, g, written.incident_ids)
    n_chats, n_lines = _write_chats(conn, g, written.incident_ids, offsets, batch.reference)
    step("chats")
    n_case_reviews = write_case_reviews(conn, g, batch, written.person_ids, actor)
    n_restorative = write_restorative(
        conn, g, batch, written.incident_ids, written.person_ids, actor
    )
    n_orders = _write_orders(conn, g, written.person_ids, actor)
    # After the triage it links to and the incidents its counts are taken from.
    casework = write_casework(conn, g, actor)
    return {
        "incidents": len(batch),
        "people": written.new_people,
        "links": written.links,
        "locations": written.new_locations,
        "chats": n_chats,
        "chat_messages": n_lines,
        "triage_assessments": n_triage,
        "triage_reviews": n_reviews,
        "case_reviews": n_case_reviews,
        "restorative_referrals": n_restorative,
        "truth": n_truth,
        "orders": n_orders,
        **casework,
    }


def _write_truth(conn: Connection, g: Generated, incident_ids: np.ndarray) -> int:
    """The true qualifier and hate flag of every incident, when some were misrecorded."""
    if g.misrecord_rate <= 0 or not len(incident_ids):
        return 0

    def cat(name: str, dtype: Any = object) -> np.ndarray:
        return np.concatenate([getattr(y, name) for y in g.years]).astype(dtype)

    bulk_insert(
        conn,
        "generated_truth",
        {
            "incident_id": incident_ids,
            "force_code": Constant(g.force_code),
            "qualifier": cat("true_qualifier").tolist(),
            "hate_motivated": cat("true_hate", bool),
            "misrecord": cat("misrecord").tolist(),
            "misrecord_rate": Constant(g.misrecord_rate),
        },
    )
    return len(incident_ids)


def _write_orders(
    conn: Connection, g: Generated, person_ids: np.ndarray, actor: Actor | None
) -> int:
    """The seed's Criminal Behaviour Orders made in the period, issued through the powers
    service (the same checks, deadlines and audit events as one recorded by hand)."""
    link_person = (
        np.concatenate([y.link_person for y in g.years]) if g.years else np.array([], np.int64)
    )
    used = np.unique(link_person)  # the people written, in the order of ``person_ids``
    orders = []
    for y in g.years:
        made = y.orders.within(g.first, g.last)
        for person, day in zip(made.person.tolist(), made.made_on, strict=True):
            k = int(np.searchsorted(used, person))
            if k < len(used) and used[k] == person:
                orders.append((int(person_ids[k]), day))
    if not orders:
        return 0
    job = actor or system_actor(job="generate", force_code=g.force_code)
    file = power_rules.load()
    pre = [c.id for c in file.powers["CBO"].pre]
    drafts = [
        (
            DraftIn(
                power="CBO",
                subject_type="individual",
                person_id=pid,
                issuer="prosecution",
                issuer_name="Crown Prosecution Service (Business Crime Unit case)",
                conviction_date=day - dt.timedelta(days=CONVICTED_DAYS_BEFORE),
                period="P2Y",
                confirmed=pre,
                terms=CBO_TERMS,
            ),
            dt.datetime.combine(day, dt.time(10, 0)),
        )
        for pid, day in orders
    ]
    session = Session(bind=conn)  # joins the write's transaction; committed with it
    try:
        record_for_job(session, actor=job, file=file, orders=drafts)
        session.flush()
    finally:
        session.close()
    return len(orders)


def _write_triage(
    conn: Connection, g: Generated, incident_ids: np.ndarray, received: np.ndarray
) -> tuple[int, int]:
    """One assessment per incident and, for the cases still open, their reviews."""
    n = len(incident_ids)
    if not n:
        return 0, 0
    ruleset = triage_rules.load()
    v = ruleset.versions()

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(y.triage, name) for y in g.years])

    risk, outcome, partner = cat("risk"), cat("outcome"), cat("partner")
    names = ruleset.routing.partners
    # A handful of distinct decisions: their JSON is built once each, not once per row.
    decisions = {
        (o, p): json.dumps(
            {
                "generated": True,
                "partner_name": names.get(p) if p else None,
                "reasons": [f"generated history: {o}, as the recorded attendance"],
            }
        )
        for o, p in set(zip(outcome.tolist(), partner.tolist(), strict=True))
    }
    received = np.asarray(received, dtype="datetime64[s]")
    ids = insert_with_ids(
        conn,
        "triage_assessments",
        {
            "force_code": Constant(g.force_code),
            "incident_id": incident_ids,
            "seq": Constant(1),
            "created_at": Timestamps((received + np.timedelta64(5, "m")).astype("datetime64[s]")),
            "actor_name": Constant("generated call handler"),
            "occurred_at": Timestamps(received),
            "risk_version": Constant(v["risk"]),
            "thrive_version": Constant(v["thrive"]),
            "repeats_version": Constant(v["repeats"]),
            "case_review_version": Constant(v["case_review"]),
            "routing_version": Constant(v["routing"]),
            "risk_score": cat("score").astype(np.int64),
            "risk_computed": risk.tolist(),
            "risk_level": risk.tolist(),
            "grade": cat("grade").tolist(),
            "outcome": outcome.tolist(),
            "partner": partner.tolist(),
            "repeat_victim": cat("repeat_victim"),
            "repeat_location": cat("repeat_location"),
            "repeat_offender": cat("repeat_offender"),
            "case_review_eligible": Constant(False),
            "case_review_informed": Constant(False),
            "call": Constant('{"generated": true}'),
            "decision": [
                decisions[(o, p)] for o, p in zip(outcome.tolist(), partner.tolist(), strict=True)
            ],
        },
    )
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("assessment_id", "incident_id", "rank", "risk_level", "due_on", "every_days")
    }
    for k in np.flatnonzero(open_cases(g)).tolist():
        day = received[k].astype("datetime64[D]").astype(dt.date)
        for r in ruleset.risk.reviews.get(TriageRisk(risk[k]), []):
            for name, value in (
                ("assessment_id", int(ids[k])),
                ("incident_id", int(incident_ids[k])),
                ("rank", r.rank.value),
                ("risk_level", risk[k]),
                ("due_on", day + dt.timedelta(days=r.every_days)),
                ("every_days", r.every_days),
            ):
                cols[name].append(value)
    if cols["incident_id"]:
        bulk_insert(
            conn,
            "triage_reviews",
            {
                "force_code": Constant(g.force_code),
                **{k: v for k, v in cols.items() if k != "due_on"},
                "due_on": Timestamps.of(cols["due_on"], date_only=True),
            },
        )
    return n, len(cols["incident_id"])


def _write_chats(
    conn: Connection,
    g: Generated,
    incident_ids: np.ndarray,
    offsets: np.ndarray,
    reference: list[str],
) -> tuple[int, int]:
    """Write the chats and a short transcript for each: the public's first line, the handler
    joining and replying, the incident it was recorded as, and the end."""
    years = [y for y in g.years if len(y.chats)]
    if not years:
        return 0, 0

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(y.chats, name) for y in years])

    started, taken, closed = cat("started"), cat("taken"), cat("closed")
    incident = np.concatenate(
        [
            np.where(y.chats.incident >= 0, y.chats.incident + off, -1)
            for y, off in zip(g.years, offsets, strict=False)
            if len(y.chats)
        ]
    )
    n = len(started)
    # Ids first: the token mark names the chat's own id. The incidents written before hold
    # the write lock, so the ids cannot be taken meanwhile.
    ids = reserve_ids(conn, "chats", n)
    was_taken = ~np.isnat(taken)
    waiting = np.where(was_taken, (taken - started).astype("int64"), -1)
    handling = np.where(was_taken, (closed - taken).astype("int64"), -1)
    linked = incident >= 0
    incident_id = np.where(linked, incident_ids[np.where(linked, incident, 0)], -1)
    handler = cat("handler")
    bulk_insert(
        conn,
        "chats",
        {
            "id": ids,
            "force_code": Constant(g.force_code),
            "token_hash": [f"{REFERENCE_PREFIX}{i}" for i in ids.tolist()],
            "status": Constant("closed"),
            "display_name": cat("display_name").tolist(),
            "topic": cat("topic").tolist(),
            "started_at": Timestamps(started),
            "taken_at": Timestamps(taken),
            "closed_at": Timestamps(closed),
            "waiting_seconds": [None if w < 0 else float(w) for w in waiting.tolist()],
            "handling_seconds": [None if h < 0 else float(h) for h in handling.tolist()],
            "handler_name": handler.tolist(),
            "incident_id": [None if i < 0 else i for i in incident_id.tolist()],
        },
    )

    # Transcript lines, in order within each chat (ids follow the order of the lines).
    chat_col: list[int] = []
    sent: list[np.datetime64] = []
    sender: list[str] = []
    body: list[str] = []
    topics, replies = cat("topic").tolist(), cat("reply").tolist()
    for k in range(n):
        cid = int(ids[k])
        lines = [(started[k], "public", topics[k])]
        if was_taken[k]:
            lines.append((taken[k], "system", f"{handler[k]} has joined the chat"))
            # The handler's first reply comes within the first minute (or the chat's length).
            reply_at = taken[k] + np.timedelta64(min(45, int(handling[k]) // 2), "s")
            lines.append((reply_at, "handler", replies[k]))
            if linked[k]:
                lines.append(
                    (closed[k], "system", f"Recorded as incident {reference[incident[k]]}")
                )
            lines.append((closed[k], "system", "The call handler ended the chat"))
        else:
            lines.append((closed[k], "system", "The member of the public ended the chat"))
        for at, who, text in lines:
            chat_col.append(cid)
            sent.append(at)
            sender.append(who)
            body.append(text)
    bulk_insert(
        conn,
        "chat_messages",
        {
            "force_code": Constant(g.force_code),
            "chat_id": chat_col,
            "sent_at": Timestamps(np.array(sent, dtype="datetime64[s]")),
            "sender": sender,
            "body": body,
        },
    )
    return n, len(chat_col)

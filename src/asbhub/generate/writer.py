"""Bulk-write generated incidents: raw ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

The ORM would spend most of a six-year run building objects, so rows go straight to the DBAPI
in one transaction. Primary keys are assigned here (after taking the write lock) because links
must name incident and person ids before either table is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import Engine

from asbhub.errors import Conflict
from asbhub.generate.schemas import REFERENCE_PREFIX, Generated


def _words(text: str) -> list[str]:
    return text.split()


# Table columns in insert order. ``created_at`` is left to its server default.
COLUMNS: dict[str, list[str]] = {
    "locations": _words(
        "id force_code address postcode premises_type longitude latitude x_bng y_bng lsoa_code "
        "district local_authority_code"
    ),
    "people": _words(
        "id force_code forename surname date_of_birth phone email address vulnerable "
        "vulnerability_flags"
    ),
    "incidents": _words(
        "id force_code reference received_at channel opening_code closing_code qualifier "
        "covid_breach hate_motivated location_text location_id longitude latitude x_bng y_bng "
        "lsoa_code district local_authority_code attended attended_at narrative status"
    ),
    "incident_people": ["id", "force_code", "incident_id", "person_id", "role"],
    "chats": _words(
        "id force_code token_hash status display_name topic started_at taken_at closed_at "
        "waiting_seconds handling_seconds handler_name incident_id"
    ),
    "chat_messages": ["id", "force_code", "chat_id", "sent_at", "sender", "body"],
}
# A generated chat's token_hash is ``SYN-<id>``: never a SHA-256 digest, so no token opens it,
# and the prefix marks it as generated (like incident references) for --replace.
CHAT_MARK = f"{REFERENCE_PREFIX}%"


class _Db:
    """The few statements the writer needs, for either driver, on one DBAPI connection."""

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw = engine.raw_connection()
        conn: Any = self.raw.driver_connection
        self.conn = conn
        self.cur = conn.cursor()
        self.cache_size: int | None = None

    def sql(self, text: str, params: Sequence[Any] = ()) -> Any:
        self.cur.execute(text if self.sqlite else text.replace("?", "%s"), tuple(params))
        return self.cur

    def scalar(self, text: str, params: Sequence[Any] = ()) -> Any:
        row = self.sql(text, params).fetchone()
        return row[0] if row else None

    def stamp(self, d: dt.date) -> Any:
        # SQLAlchemy stores SQLite DateTime as text in this form; PostgreSQL takes the value.
        return (
            f"{d:%Y-%m-%d} 00:00:00.000000" if self.sqlite else dt.datetime(d.year, d.month, d.day)
        )

    def insert(self, table: str, columns: Sequence[Sequence[Any]]) -> None:
        names = COLUMNS[table]
        rows = zip(*columns, strict=True)
        if self.sqlite:
            marks = ",".join("?" * len(names))
            with self._indexes_deferred(table, len(columns[0])):
                self.cur.executemany(
                    f"INSERT INTO {table} ({','.join(names)}) VALUES ({marks})", rows
                )
            return
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        with self.cur.copy(f"COPY {table} ({','.join(names)}) FROM STDIN (FORMAT csv)") as cp:
            cp.write(buf.getvalue())

    @contextmanager
    def _indexes_deferred(self, table: str, n_rows: int) -> Iterator[None]:
        """On SQLite, drop ``table``'s secondary indexes for a large insert and rebuild them.

        Building an index by sorting is several times faster than updating it row by row in
        random key order. Only worth it when the insert is larger than what is there already;
        the indexes are re-created from their own stored DDL, inside the same transaction.
        """
        existing = int(self.scalar(f"SELECT COUNT(*) FROM {table}"))
        if n_rows < 10_000 or n_rows < existing:
            yield
            return
        indexes = self.sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            self.sql(f'DROP INDEX "{name}"')
        yield
        for _, ddl in indexes:
            self.sql(ddl)

    def begin(self) -> None:
        if self.sqlite:
            # Seven indexes on incidents are updated in random key order; with SQLite's default
            # 2 MB page cache that thrashes, and a larger cache for this run halves the write.
            self.cache_size = self.scalar("PRAGMA cache_size")
            self.sql(f"PRAGMA cache_size=-{256 * 1024}")
            # Take the write lock before reading MAX(id), so no other writer can take our ids.
            self.sql("BEGIN IMMEDIATE")
        else:
            self.sql(
                "LOCK TABLE locations, people, incidents, incident_people, chats, chat_messages "
                "IN SHARE ROW EXCLUSIVE MODE"
            )

    def next_id(self, table: str) -> int:
        return int(self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) + 1

    def fix_sequences(self) -> None:
        if not self.sqlite:
            for table in COLUMNS:
                self.sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )


def _stamps(values: np.ndarray, sqlite: bool) -> list[str | None]:
    text = np.datetime_as_string(values, unit="us")
    if sqlite:
        return [None if s == "NaT" else f"{s[:10]} {s[11:]}" for s in text]
    return [None if s == "NaT" else s for s in text]


def _bools(values: np.ndarray, sqlite: bool) -> list[Any]:
    return values.astype(int).tolist() if sqlite else ["t" if v else "f" for v in values]


def _period_clause() -> str:
    return "force_code = ? AND reference LIKE ? AND received_at >= ? AND received_at < ?"


_CHAT_CLAUSE = "force_code = ? AND token_hash LIKE ? AND started_at >= ? AND started_at < ?"


def existing(db: _Db, g: Generated) -> tuple[int, int]:
    """(generated incidents, generated chats) of the force already in the period."""
    params = (g.force_code, f"{REFERENCE_PREFIX}%", db.stamp(g.first), db.stamp(g.last))
    incidents = int(db.scalar(f"SELECT COUNT(*) FROM incidents WHERE {_period_clause()}", params))
    chat_params = (g.force_code, CHAT_MARK, db.stamp(g.first), db.stamp(g.last))
    chats = int(db.scalar(f"SELECT COUNT(*) FROM chats WHERE {_CHAT_CLAUSE}", chat_params))
    return incidents, chats


def delete_generated_chats(db: _Db, g: Generated) -> int:
    """Delete the period's generated chats and their transcripts."""
    params = (g.force_code, CHAT_MARK, db.stamp(g.first), db.stamp(g.last))
    db.sql(
        f"DELETE FROM chat_messages WHERE chat_id IN (SELECT id FROM chats WHERE {_CHAT_CLAUSE})",
        params,
    )
    return int(db.sql(f"DELETE FROM chats WHERE {_CHAT_CLAUSE}", params).rowcount)


def delete_generated(db: _Db, g: Generated) -> int:
    """Delete the period's generated incidents and the people and places only they used."""
    params = (g.force_code, f"{REFERENCE_PREFIX}%", db.stamp(g.first), db.stamp(g.last))
    sub = f"SELECT id FROM incidents WHERE {_period_clause()}"
    db.sql("CREATE TEMP TABLE gen_old_people (id INTEGER)")
    db.sql("CREATE TEMP TABLE gen_old_places (id INTEGER)")
    db.sql(
        "INSERT INTO gen_old_people SELECT DISTINCT person_id FROM incident_people "
        f"WHERE incident_id IN ({sub})",
        params,
    )
    db.sql(
        "INSERT INTO gen_old_places SELECT DISTINCT location_id FROM incidents "
        f"WHERE {_period_clause()} AND location_id IS NOT NULL",
        params,
    )
    db.sql(f"DELETE FROM incident_people WHERE incident_id IN ({sub})", params)
    deleted = db.sql(f"DELETE FROM incidents WHERE {_period_clause()}", params).rowcount
    db.sql(
        "DELETE FROM people WHERE id IN (SELECT id FROM gen_old_people) AND NOT EXISTS "
        "(SELECT 1 FROM incident_people l WHERE l.person_id = people.id)"
    )
    db.sql(
        "DELETE FROM locations WHERE id IN (SELECT id FROM gen_old_places) AND NOT EXISTS "
        "(SELECT 1 FROM incidents i WHERE i.location_id = locations.id)"
    )
    db.sql("DROP TABLE gen_old_people")
    db.sql("DROP TABLE gen_old_places")
    return int(deleted)


def write(
    engine: Engine,
    g: Generated,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Store ``g`` in one transaction; returns the row counts written."""
    step = progress or (lambda _msg: None)
    db = _Db(engine)
    try:
        db.begin()
        replaced = replaced_chats = 0
        found, found_chats = existing(db, g)
        if (found or found_chats) and not replace:
            raise Conflict(
                f"the database already holds {found:,} generated {g.force_code} incidents "
                f"and {found_chats:,} generated chats from {g.first:%Y-%m} to before "
                f"{g.last:%Y-%m}; pass --replace to delete and regenerate them"
            )
        if found_chats:
            # Before the incidents, so no chat is left pointing at a deleted incident.
            replaced_chats = delete_generated_chats(db, g)
        if found:
            replaced = delete_generated(db, g)
        counts = _write_rows(db, g, step)
        db.fix_sequences()
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise
    finally:
        if db.sqlite and db.cache_size is not None:
            db.sql(f"PRAGMA cache_size={int(db.cache_size)}")
        db.raw.close()
    return {**counts, "replaced": replaced, "replaced_chats": replaced_chats}


def _write_rows(db: _Db, g: Generated, step: Callable[[str], None]) -> dict[str, int]:
    pools, places, people = g.pools, g.pools.places, g.pools.people
    sq = db.sqlite
    force = g.force_code
    place = np.concatenate([y.place for y in g.years]) if g.years else np.array([], np.int64)
    offsets = np.cumsum([0] + [len(y.received) for y in g.years])
    link_incident = (
        np.concatenate([y.link_incident + off for y, off in zip(g.years, offsets, strict=False)])
        if g.years
        else np.array([], np.int64)
    )
    link_person = np.concatenate([y.link_person for y in g.years]) if g.years else place
    link_role = (
        np.concatenate([y.link_role for y in g.years]) if g.years else np.array([], dtype=object)
    )

    # -- locations actually used ---------------------------------------------------------------
    used_places = np.unique(place)
    loc_id = np.full(len(places), -1, dtype=np.int64)
    loc_id[used_places] = db.next_id("locations") + np.arange(len(used_places))
    u = used_places
    db.insert(
        "locations",
        [
            loc_id[u].tolist(),
            [force] * len(u),
            places.address[u].tolist(),
            [None] * len(u),
            places.premises_type[u].tolist(),
            places.lon[u].tolist(),
            places.lat[u].tolist(),
            places.x[u].tolist(),
            places.y[u].tolist(),
            places.lsoa_code[u].tolist(),
            places.district[u].tolist(),
            places.la_code[u].tolist(),
        ],
    )
    step("locations")

    # -- people actually linked ----------------------------------------------------------------
    used_people = np.unique(link_person)
    person_id = np.full(len(people), -1, dtype=np.int64)
    person_id[used_people] = db.next_id("people") + np.arange(len(used_people))
    p = used_people
    dob = np.datetime_as_string(people.date_of_birth[p], unit="D").tolist()
    db.insert(
        "people",
        [
            person_id[p].tolist(),
            [force] * len(p),
            people.forename[p].tolist(),
            people.surname[p].tolist(),
            dob,
            people.phone[p].tolist(),
            people.email[p].tolist(),
            people.address[p].tolist(),
            _bools(people.flags[p].any(axis=1), sq),
            people.flags_json(p),
        ],
    )
    step("people")

    # -- incidents -----------------------------------------------------------------------------
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(y, name) for y in g.years])

    n = len(place)
    first_id = db.next_id("incidents")
    received = cat("received") if n else np.array([], "datetime64[s]")
    day = received.astype("datetime64[D]")
    # Reference: SYN-YYYYMMDD-NNNN, numbered within the day in order of receipt.
    new_day = np.r_[True, day[1:] != day[:-1]] if n else np.array([], bool)
    starts = np.flatnonzero(new_day)
    seq = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1
    day_text = np.char.replace(np.datetime_as_string(day, unit="D"), "-", "")
    reference = [
        f"{REFERENCE_PREFIX}{d}-{s:04d}"
        for d, s in zip(day_text.tolist(), seq.tolist(), strict=True)
    ]
    if n:
        db.insert(
            "incidents",
            [
                (first_id + np.arange(n)).tolist(),
                [force] * n,
                reference,
                _stamps(received, sq),
                cat("channel").tolist(),
                cat("opening").tolist(),
                cat("closing").tolist(),
                cat("qualifier").tolist(),
                _bools(cat("covid"), sq),
                _bools(cat("hate"), sq),
                places.address[place].tolist(),
                loc_id[place].tolist(),
                places.lon[place].tolist(),
                places.lat[place].tolist(),
                places.x[place].tolist(),
                places.y[place].tolist(),
                places.lsoa_code[place].tolist(),
                places.district[place].tolist(),
                places.la_code[place].tolist(),
                _bools(cat("attended"), sq),
                _stamps(cat("attended_at"), sq),
                cat("narrative").tolist(),
                ["closed"] * n,
            ],
        )
    step("incidents")

    m = len(link_incident)
    db.insert(
        "incident_people",
        [
            (db.next_id("incident_people") + np.arange(m)).tolist(),
            [force] * m,
            (first_id + link_incident).tolist(),
            person_id[link_person].tolist(),
            link_role.tolist(),
        ],
    )
    step("links")
    n_chats, n_lines = _write_chats(db, g, first_id, offsets, reference)
    step("chats")
    del pools
    return {
        "incidents": n,
        "people": len(used_people),
        "links": m,
        "locations": len(used_places),
        "chats": n_chats,
        "chat_messages": n_lines,
    }


def _write_chats(
    db: _Db, g: Generated, first_incident_id: int, offsets: np.ndarray, reference: list[str]
) -> tuple[int, int]:
    """Write the chats and a short transcript for each: the public's first line, the handler
    joining and replying, the incident it was recorded as, and the end."""
    years = [y for y in g.years if len(y.chats)]
    if not years:
        return 0, 0
    sq, force = db.sqlite, g.force_code

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
    ids = db.next_id("chats") + np.arange(n)
    was_taken = ~np.isnat(taken)
    waiting = np.where(was_taken, (taken - started).astype("int64"), -1)
    handling = np.where(was_taken, (closed - taken).astype("int64"), -1)
    linked = incident >= 0
    incident_id = np.where(linked, first_incident_id + incident, -1)
    handler = cat("handler")
    db.insert(
        "chats",
        [
            ids.tolist(),
            [force] * n,
            [f"{REFERENCE_PREFIX}{i}" for i in ids.tolist()],
            ["closed"] * n,
            cat("display_name").tolist(),
            cat("topic").tolist(),
            _stamps(started, sq),
            _stamps(taken, sq),
            _stamps(closed, sq),
            [None if w < 0 else float(w) for w in waiting.tolist()],
            [None if h < 0 else float(h) for h in handling.tolist()],
            handler.tolist(),
            [None if i < 0 else i for i in incident_id.tolist()],
        ],
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
    m = len(chat_col)
    db.insert(
        "chat_messages",
        [
            (db.next_id("chat_messages") + np.arange(m)).tolist(),
            [force] * m,
            chat_col,
            _stamps(np.array(sent, dtype="datetime64[s]"), sq),
            sender,
            body,
        ],
    )
    return n, m

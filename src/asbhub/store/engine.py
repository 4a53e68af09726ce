"""Engine creation, sessions and schema upgrade."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import psycopg
import sqlalchemy.exc
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from asbhub.errors import Unavailable

MMAP_BYTES = 1 << 30  # address space, not memory: pages are the OS's shared file cache


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_ms: int = 30000) -> None:
    cur = dbapi_conn.cursor()
    # Only takes effect on a new, empty file. 16 KiB pages write the WAL and checkpoints in a
    # quarter of the system calls: a police-uk ingest spends ~15% less CPU (docs/benchmarks.md).
    cur.execute("PRAGMA page_size=16384")
    # WAL lets the web app read while an ingest writes; NORMAL sync is safe with WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    # Reads through a memory map of the file instead of a read() per page into each
    # connection's own small cache: a triage decision touches a few hundred scattered pages,
    # and on a pooled connection those reads were most of its time (docs/benchmarks.md).
    cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cur.close()


# What a database that is locked past the wait, read-only or down raises: SQLAlchemy's
# wrapper, or the driver's own error from the bulk paths that use the DBAPI cursor directly.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    Unavailable,
    sqlalchemy.exc.OperationalError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
)


def make_engine(url: str, *, wait_seconds: float | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite connections get WAL and foreign keys.

    ``wait_seconds`` bounds how long a statement waits for a lock (SQLite's busy timeout,
    PostgreSQL's lock_timeout) before it fails; the web app sets it short so that a locked
    database answers 503 at once instead of holding the request for 30 s. Batch work (ingest,
    the CLI) keeps the default: SQLite waits 30 s, PostgreSQL as long as it takes.
    """
    if wait_seconds is not None and url.startswith("postgresql"):
        options = f"-c lock_timeout={int(wait_seconds * 1000)}"
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "options": options}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        busy_ms = 30000 if wait_seconds is None else int(wait_seconds * 1000)

        def pragmas(dbapi_conn: Any, record: Any) -> None:
            _sqlite_pragmas(dbapi_conn, record, busy_ms)

        event.listen(engine, "connect", pragmas)
        _WAITS[engine] = wait_seconds
    return engine


def lock_for_transaction(target: Session | Connection, namespace: int, key: str) -> None:
    """Hold a lock named by (``namespace``, ``key``) until ``session``'s transaction ends, so
    a read followed by a write ("count, then insert") is atomic against other processes.

    PostgreSQL: a transaction-scoped advisory lock on the two-integer key space (apart from
    the single-key space the audit chain uses). SQLite has one writer: the transaction takes
    the database write lock now (``BEGIN IMMEDIATE``) instead of at its first write.
    """
    conn = target.connection() if isinstance(target, Session) else target
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(key.encode()).digest()
        objid = int.from_bytes(digest[:4], "big", signed=True)
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :obj)"), {"ns": namespace, "obj": objid}
        )
    elif conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# One factory for every engine: each sessionmaker builds a Session subclass whose event
# dispatch is set up again for its first session, which per transaction was ~0.3 ms of a
# public report's CPU (docs/benchmarks.md, "Several workers").
_SESSION = sessionmaker(expire_on_commit=False)


def new_session(engine: Engine) -> Session:
    """A session on ``engine`` from the one factory (for callers that commit it themselves,
    like the web app's request session); :func:`session_scope` is the usual way."""
    return _SESSION(bind=engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with new_session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WAITS: weakref.WeakKeyDictionary[Engine, float | None] = weakref.WeakKeyDictionary()


def write_lock(engine: Engine) -> contextlib.AbstractContextManager[object]:
    """One writer at a time per SQLite engine in this process.

    SQLite allows a single writer; a second thread that finds the database locked sleeps in
    SQLite's busy handler (1, 2, 5, 10 ms ...) however soon the lock is freed, which under a
    burst of public reports costs more than the writes themselves. Queueing on a Python lock
    wakes the next writer as soon as the last commits. The busy timeout still covers other
    processes (an ingest, the CLI). PostgreSQL has row locks and needs none of this.
    """
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    return _held(lock, _WAITS.get(engine))


@contextmanager
def writing(session: Session, *, will_write: bool = True) -> Iterator[None]:
    """This process's SQLite write lock (:func:`write_lock`) around a commit that writes.

    Not taken when the transaction already holds the database's write lock (a statement in
    it wrote): waiting for the process's lock then could wait for a thread that itself waits
    for the database. Nor when ``will_write`` is false (nothing to flush or append).
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite" or not (
        will_write or session.new or session.dirty or session.deleted
    ):
        yield
        return
    if session.in_transaction():
        raw = session.connection().connection.driver_connection
        if raw is not None and raw.in_transaction:
            yield
            return
    with write_lock(engine):
        yield


@contextmanager
def _held(lock: threading.Lock, wait_seconds: float | None) -> Iterator[None]:
    # Bounded like the busy timeout: a queue of writers behind a stuck one gives up (503)
    # instead of each holding a worker thread for half a minute.
    if not lock.acquire(timeout=-1 if wait_seconds is None else wait_seconds):
        raise Unavailable("The service is busy. Please try again in a minute.")
    try:
        yield
    finally:
        lock.release()


def alembic_config(engine: Engine) -> Config:
    script_location = str(resources.files("asbhub.store") / "migrations")
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision``; at the head on PostgreSQL, also the
    audit log's partitions of the coming months (store/partitions.py)."""
    command.upgrade(alembic_config(engine), revision)
    if engine.dialect.name == "postgresql" and revision == "head":
        from asbhub.store.partitions import ensure_ahead

        with engine.begin() as conn:
            ensure_ahead(conn)

"""Monthly partitions on PostgreSQL for the two tables that grow without end.

``public_records`` (data.police.uk: about 6 million rows a year nationally) is partitioned by
``month``, ``audit_events`` (every read of personal data) by ``occurred_at``; each month is a
table of its own, ``<table>_yYYYYmMM``, and a ``<table>_default`` partition takes any row no
month partition holds, so a write never fails for want of one. Reads that name a period touch
only its months, indexes stay the size of a month, and a retention decision can drop a month
whole. SQLite keeps plain tables: it has no partitions and a force's data fits it.

Who creates the months: ``ingest police-uk`` the months it loads (before its COPY),
``asbhub db upgrade`` the audit months from the current one to ``AHEAD`` months on (run it, or
the scheduled ``asbhub db upgrade``, at least that often). A month created while the default
partition holds rows of it would fail, so those rows are moved into the new month first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sqlalchemy import Connection, text

# Table -> the column it is partitioned on (a Date or DateTime).
PARTITIONED = {"public_records": "month", "audit_events": "occurred_at"}
AHEAD = 3  # audit months created ahead of the current one by ``asbhub db upgrade``
_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?:y(?P<y>\d{4})m(?P<m>\d{2})|default)$")
# audit_events' append-only guard (migration 0007): row triggers on the parent reach every
# partition, a TRUNCATE trigger does not, so each partition gets its own.
_TRUNCATE_GUARD = (
    "CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
)


def month_start(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, 1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(table: str, month: dt.date | None) -> str:
    """``public_records_y2025m01``; ``public_records_default`` for ``None``."""
    return f"{table}_default" if month is None else f"{table}_y{month.year}m{month.month:02d}"


def is_partition(name: str) -> bool:
    """Whether a table name is one of the partitions (which the models do not list)."""
    found = _NAME.match(name)
    return bool(found and found.group("table") in PARTITIONED)


def partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            text(
                "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = :t AND c.relnamespace = 'public'::regnamespace"
            ),
            {"t": table},
        ).scalar()
    )


def existing(conn: Connection, table: str) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t"
            ),
            {"t": table},
        ).scalars()
    )


def ensure_months(conn: Connection, table: str, months: Iterable[dt.date]) -> list[str]:
    """Create the month partitions of ``table`` that ``months`` need and do not have yet, on
    ``conn``'s transaction; returns the partitions created. No-op on SQLite.

    Rows of a new month already in the default partition (written while it was missing) are
    moved into it, as PostgreSQL refuses a partition whose rows the default holds.
    """
    if not partitioned(conn, table):
        return []
    column = PARTITIONED[table]
    have = existing(conn, table)
    created = []
    for month in sorted({month_start(m) for m in months}):
        name = partition_name(table, month)
        if name in have:
            continue
        lo, hi = month, next_month(month)
        # One creator at a time per table, and nobody writes the default meanwhile.
        conn.execute(text(f"LOCK TABLE {partition_name(table, None)} IN EXCLUSIVE MODE"))
        if name in existing(conn, table):
            continue
        conn.execute(
            text(
                f"CREATE TEMP TABLE moving ON COMMIT DROP AS SELECT * FROM "
                f"{partition_name(table, None)} WHERE {column} >= :lo AND {column} < :hi"
            ),
            {"lo": lo, "hi": hi},
        )
        moved = conn.execute(text("SELECT count(*) FROM moving")).scalar_one()
        if moved:
            _delete_from_default(conn, table, column, lo, hi)
        conn.execute(
            text(
                f"CREATE TABLE {name} PARTITION OF {table} "
                f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
            )
        )
        if table == "audit_events":
            conn.execute(text(_TRUNCATE_GUARD.format(name=name)))
        if moved:
            conn.execute(text(f"INSERT INTO {table} SELECT * FROM moving"))
        conn.execute(text("DROP TABLE moving"))
        created.append(name)
    return created


def _delete_from_default(
    conn: Connection, table: str, column: str, lo: dt.date, hi: dt.date
) -> None:
    # The audit log's rows are moved, not changed: its guard is lifted for this statement only,
    # inside the transaction that puts them back.
    default = partition_name(table, None)
    guarded = table == "audit_events"
    if guarded:
        conn.execute(text(f"ALTER TABLE {default} DISABLE TRIGGER USER"))
    conn.execute(
        text(f"DELETE FROM {default} WHERE {column} >= :lo AND {column} < :hi"),
        {"lo": lo, "hi": hi},
    )
    if guarded:
        conn.execute(text(f"ALTER TABLE {default} ENABLE TRIGGER USER"))


def ensure_ahead(conn: Connection, today: dt.date | None = None) -> list[str]:
    """The audit log's partitions from this month to ``AHEAD`` months on."""
    month = month_start(today or dt.date.today())
    months = [month]
    for _ in range(AHEAD):
        months.append(next_month(months[-1]))
    return ensure_months(conn, "audit_events", months)

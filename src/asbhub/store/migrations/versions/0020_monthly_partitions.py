"""public_records and audit_events as monthly partitions on PostgreSQL

Declarative range partitions (store/partitions.py): each table is rebuilt as a partitioned
table with the same columns, defaults, sequence, indexes and (for the audit log) append-only
triggers, a default partition and one partition per month its rows hold, and the rows are
copied across in the migration's transaction. A partitioned table's primary key and unique
constraints must include the partition column, so the primary keys become (id, month) and
(id, occurred_at) and the audit log's seq and event_id are unique within a month; the chain
itself (one writer at a time under its advisory lock, ``asbhub audit verify`` checking every
seq follows the last) is what keeps seq unique overall. On a large store this copies every row:
run it in a maintenance window.

SQLite is unchanged.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 15:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from asbhub.store import partitions

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per table: the secondary indexes and unique constraints the models declare, as DDL.
INDEXES = {
    "public_records": [
        "CREATE INDEX ix_public_records_force_month_type ON public_records "
        "(force_code, month, crime_type)",
    ],
    "audit_events": [
        "ALTER TABLE audit_events ADD CONSTRAINT uq_audit_events_seq UNIQUE (seq, occurred_at)",
        "ALTER TABLE audit_events ADD CONSTRAINT uq_audit_events_event_id "
        "UNIQUE (event_id, occurred_at)",
        "CREATE INDEX ix_audit_events_actor_at ON audit_events (actor_user_id, occurred_at)",
        "CREATE INDEX ix_audit_events_object ON audit_events (object_type, object_id)",
    ],
}
AUDIT_GUARD = (
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
)


def _rebuild(table: str, column: str) -> None:
    bind = op.get_bind()
    old = f"{table}_unpartitioned"
    seq = f"{table}_id_seq"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name in bind.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
            "AND contype IN ('p', 'u')"
        ),
        {"t": old},
    ).scalars():
        op.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name}"')
    for name in bind.execute(
        text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": old}
    ).scalars():
        op.execute(f'DROP INDEX "{name}"')
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        f"PARTITION BY RANGE ({column})"
    )
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY {table}.id")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id, {column})")
    for ddl in INDEXES[table]:
        op.execute(ddl)
    op.execute(
        f"CREATE TABLE {partitions.partition_name(table, None)} PARTITION OF {table} DEFAULT"
    )
    months = bind.execute(
        text(f"SELECT DISTINCT date_trunc('month', {column})::date FROM {old}")
    ).scalars()
    if table == "audit_events":
        for ddl in AUDIT_GUARD:
            op.execute(ddl)
        op.execute(partitions._TRUNCATE_GUARD.format(name=partitions.partition_name(table, None)))
    partitions.ensure_months(bind, table, list(months))
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    if table == "audit_events":
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_truncate ON {old}")
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_change ON {old}")
    op.execute(f"DROP TABLE {old}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _rebuild("public_records", "month")
    _rebuild("audit_events", "occurred_at")
    partitions.ensure_ahead(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        raise NotImplementedError("partitioned tables are not turned back into plain ones")

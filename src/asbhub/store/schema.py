"""Does a database's schema match the models? The check behind ``asbhub db check``,
``make db-check`` and the drift test: Alembic's autogenerate compares the live tables with
every capability's tables, so a model changed without its migration (or the reverse) shows."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from asbhub.store.partitions import PARTITIONED, is_partition
from asbhub.store.registry import load_all
from asbhub.store.spatial import POINT_INDEXES


def _declared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out what the database holds beyond the models on purpose: PostGIS's own tables
    (``spatial_ref_sys``), the point indexes made only where PostGIS is installed, the monthly
    partitions of PostgreSQL's partitioned tables (and their indexes), and those tables'
    unique constraints, which PostgreSQL makes include the partition column."""
    table: Any = getattr(obj, "table", None)
    in_partition = table is not None and is_partition(table.name)
    if type_ == "table" and reflected and (name == "spatial_ref_sys" or is_partition(name or "")):
        return False
    if type_ == "index" and reflected and (name in POINT_INDEXES or in_partition):
        return False
    partitioned = table is not None and table.name in PARTITIONED
    if type_ == "unique_constraint" and partitioned and compare_to is not None:
        column = PARTITIONED[table.name]
        ours, theirs = ({c.name for c in u.columns} | {column} for u in (obj, compare_to))
        return ours != theirs
    return True


def _describe(diff: tuple[Any, ...]) -> str:
    """One line per difference, e.g. ``remove_column incidents.stray`` (the database has a
    column the models lack) or ``modify_type chats.topic: VARCHAR(40) -> VARCHAR(80)``."""
    kind = diff[0]
    if kind.startswith("modify_"):
        _, _schema, table, column, _info, old, new = diff
        return f"{kind} {table}.{column}: {old} -> {new}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {diff[2]}.{diff[3].name}"
    thing = diff[1]
    table = getattr(thing, "table", None)
    if table is not None:  # an index, constraint or foreign key
        return f"{kind} {table.name}.{thing.name}"
    return f"{kind} {getattr(thing, 'name', thing)}"


def schema_drift(engine: Engine) -> list[str]:
    """The differences between the database at ``engine`` and the models; empty when none."""
    metadata = load_all().metadata
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _declared}
        )
        diffs = compare_metadata(context, metadata)
    # Changes to one column come grouped in a list; the rest one tuple each.
    flat = [item for diff in diffs for item in (diff if isinstance(diff, list) else [diff])]
    return [_describe(item) for item in flat]

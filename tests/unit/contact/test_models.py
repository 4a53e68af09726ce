"""The contact tables as migrated (0003) agree with the models, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from asbhub.store.registry import load_all

CONTACT_TABLES = {"public_submissions", "chats", "chat_messages"}


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str):
            return part
        if name:
            return str(name)
    return None


def test_migration_matches_the_contact_models(engine: Engine) -> None:
    metadata = load_all().metadata
    assert set(metadata.tables) >= CONTACT_TABLES
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
    ours = [d for d in diffs if _table_of(d) in CONTACT_TABLES]
    assert ours == []

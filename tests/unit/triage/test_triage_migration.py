"""Migration 0008 agrees with the models, and the repeat checks' indexes are there."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from asbhub.store.registry import load_all

OURS = {"triage_assessments", "triage_reviews", "incident_status_changes", "incident_assignments"}


def test_migration_matches_the_models(engine: Engine) -> None:
    metadata = load_all().metadata
    assert set(metadata.tables) >= OURS
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
    text_of = repr(diffs)
    assert not any(t in text_of for t in OURS), text_of
    assert "ix_locations_force_postcode" not in text_of


def test_the_name_index_is_on_lower_case_names(engine: Engine) -> None:
    # Reflection skips expression indexes, so ask the catalogue directly.
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_people_force_lower_name'")
            ).scalar_one()
        else:
            ddl = conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_people_force_lower_name'"
                )
            ).scalar_one()
    # PostgreSQL prints lower((surname)::text); SQLite keeps the DDL as written.
    flat = ddl.replace('"', "").replace("(surname)::text", "surname")
    flat = flat.replace("(forename)::text", "forename")
    assert "lower(surname)" in flat and "lower(forename)" in flat
    names = {i["name"] for i in inspect(engine).get_indexes("locations")}
    assert "ix_locations_force_postcode" in names

"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and every table
declared anywhere in asbhub is one the registry (and so Alembic) knows."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.store.partitions import is_partition, month_start, partition_name
from asbhub.store.registry import load_all
from asbhub.store.schema import schema_drift

# In a fresh interpreter: the tables the registry finds, then the tables declared once every
# module of the package is imported. A table declared outside a discovered models module
# shows in the second list only.
TABLES_SEEN = """
import importlib, json, pkgutil
import asbhub
from asbhub.store.base import Base
from asbhub.store.partitions import is_partition, month_start, partition_name
from asbhub.store.registry import load_all
registry = sorted(load_all().metadata.tables)
for info in pkgutil.walk_packages(asbhub.__path__, "asbhub."):
    if ".migrations" not in info.name:
        importlib.import_module(info.name)
print(json.dumps([registry, sorted(Base.metadata.tables)]))
"""


def test_every_table_is_known_to_alembic() -> None:
    run = subprocess.run(
        [sys.executable, "-c", TABLES_SEEN], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    registry, declared = json.loads(run.stdout)
    assert registry == declared
    assert {"incidents", "areas", "public_records", "audit_events", "chats"} <= set(registry)


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert schema_drift(engine) == []
    with engine.connect() as conn:
        tables = set(conn.dialect.get_table_names(conn))
    # PostgreSQL adds the monthly partitions and PostGIS's reference table (CI installs it).
    extra = {t for t in tables if is_partition(t)} | ({"spatial_ref_sys"} & tables)
    assert tables - extra == set(load_all().metadata.tables) | {"alembic_version"}
    if engine.dialect.name == "postgresql":
        this_month = partition_name("audit_events", month_start(dt.date.today()))
        assert {"spatial_ref_sys", "audit_events_default", "public_records_default"} <= extra
        assert this_month in extra
    else:
        assert extra == set()


def test_drift_is_found_and_named(engine: Engine, db_url: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE incidents ADD COLUMN stray_note VARCHAR(20)"))
        conn.execute(text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    drift = schema_drift(engine)
    assert "remove_column incidents.stray_note" in drift
    assert "remove_table stray_table" in drift
    result = CliRunner().invoke(app, ["db", "check", "--db", db_url])
    assert result.exit_code == 1
    assert "remove_column incidents.stray_note" in result.stderr

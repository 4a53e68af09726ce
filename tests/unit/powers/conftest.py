"""The powers tests' world: one migrated database per dialect for the module, with an ASB
officer and an administrator (see powers_world.py)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from powers_world import World
from sqlalchemy import text
from sqlalchemy.engine import make_url

from asbhub.permissions import Role
from asbhub.store.engine import make_engine
from factories import staff_actor


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _pg_template: str | None,
) -> Iterator[World]:
    admin_engine = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("powers") / "asbhub.db"
        shutil.copyfile(_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        if _pg_template is None:
            pytest.skip("ASBHUB_TEST_POSTGRES_URL is not set")
        base = os.environ["ASBHUB_TEST_POSTGRES_URL"]
        name = f"asbhub_w_{uuid.uuid4().hex[:10]}"
        admin_engine = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
        url = make_url(base).set(database=name).render_as_string(False)
    engine = make_engine(url)
    officer = staff_actor(engine, "officer.p", Role.ASB_OFFICER, "PC Powers")
    admin = staff_actor(engine, "admin.p", Role.ADMIN, "Admin Powers")
    yield World(engine, officer, admin)
    engine.dispose()
    if admin_engine is not None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()

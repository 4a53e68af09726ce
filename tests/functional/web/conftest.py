"""Fixtures for the web tests: a seeded database, the app and signed-in clients per role."""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from webseed import FAST_HASHER, Seeded, csrf_of, seed, sign_in

# Re-exported for older test modules; import them from ``webseed`` instead, because every
# conftest.py is a module named "conftest" and ``from conftest import`` picks whichever
# was imported last when several directories are collected together.
__all__ = ["csrf_of", "sign_in"]

from asbhub.store.engine import make_engine
from asbhub.web.app import create_app

PG_URL = "ASBHUB_TEST_POSTGRES_URL"


class SeededTemplates:
    """The seeded data set, made once per worker and database kind into a template database
    that each test using ``seeded`` gets a copy of (the root ``db_url`` asks for it).

    Seeding took 0.1-0.2 s a test on SQLite and 0.35-0.6 s on PostgreSQL (an ORM flush per
    row), more than most web tests' own requests; a copy of the seeded template costs what a
    copy of the empty one does. The copy has the same rows and ids, so the :class:`Seeded`
    record of the one seeding describes every copy.
    """

    def __init__(self, folder: Path, sqlite_template: Path, pg_template: str | None) -> None:
        self._folder = folder
        self._sqlite, self._pg = sqlite_template, pg_template
        self._seeded: dict[str, Seeded] = {}
        self._pg_seeded: str | None = None

    def _seed(self, kind: str, url: str) -> None:
        engine = make_engine(url)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
            self._seeded[kind] = seed(engine)
        if kind == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # No connection may stay open: PostgreSQL copies a template only when no one is on it.
        engine.dispose()

    def template(self, kind: str) -> tuple[Path, str | None]:
        """The (SQLite, PostgreSQL) templates to copy for ``kind``: the seeded one of that
        kind, the empty one of the other (and no PostgreSQL without a server)."""
        path = self._folder / "seeded.db"
        if kind == "sqlite":
            if kind not in self._seeded:
                shutil.copyfile(self._sqlite, path)
                self._seed(kind, f"sqlite:///{path}")
            return path, self._pg
        if self._pg is None:
            return self._sqlite, None
        if self._pg_seeded is None:
            name = f"asbhub_seeded_{uuid.uuid4().hex[:8]}"
            admin = make_engine(os.environ[PG_URL], isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg}"'))
            admin.dispose()
            self._seed(
                kind, make_url(os.environ[PG_URL]).set(database=name).render_as_string(False)
            )
            self._pg_seeded = name
        return self._sqlite, self._pg_seeded

    def seeded(self, kind: str) -> Seeded:
        """What the seeding made, a copy of its own for each test to change if it likes."""
        return copy.deepcopy(self._seeded[kind])

    def close(self) -> None:
        if self._pg_seeded is None:
            return
        admin = make_engine(os.environ[PG_URL], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self._pg_seeded}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def seeded_templates(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, _pg_template: str | None
) -> Iterator[SeededTemplates]:
    templates = SeededTemplates(tmp_path_factory.mktemp("seeded"), _sqlite_template, _pg_template)
    yield templates
    templates.close()


@pytest.fixture
def seeded(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, seeded_templates: SeededTemplates
) -> Seeded:
    """The web tests' data set in ``engine``'s database (a copy of the seeded template, see
    the root ``db_url``), and the cheap password hasher its accounts were made with."""
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    return seeded_templates.seeded(engine.dialect.name)


@pytest.fixture
def app(db_url: str, seeded: Seeded) -> FastAPI:
    return create_app(db_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client_as(app: FastAPI, seeded: Seeded) -> Iterator[Callable[[str], TestClient]]:
    """``client_as("officer")`` gives a client signed in with that role."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        sign_in(c, seeded.users[role])
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)

"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL; suite policy.

PostgreSQL runs when ``ASBHUB_TEST_POSTGRES_URL`` names a server we may create databases on
(``make test`` and ``.ci/run`` start a throw-away one); without it the PostgreSQL variants are
skipped, never passed. On CI (``CI=true``) a skipped test fails the run, and the suite refuses
to start against a database that is not a test database.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

import colocation_log
from asbhub.agencies.service import load_reference_agencies
from asbhub.config import get_settings
from asbhub.geography.service import load_reference
from asbhub.store.engine import make_engine, session_scope, upgrade

# shared/ sits beside the clone (CI, /work/main) or above it (a worktree under /work/wt/).
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "data").is_dir()),
    Path(__file__).resolve().parents[2] / "shared",
)
POLICE_UK = SHARED / "data" / "police-uk"
DEEP_DIVE = SHARED / "data" / "deep-dive-2021"

PG_ENV = "ASBHUB_TEST_POSTGRES_URL"
_sql_log = pytest.StashKey[Path]()
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


def refusal(variable: str, url: str) -> str | None:
    """Why the suite must not run against ``url`` (given in ``variable``), or None if it may.

    The PostgreSQL tests create and drop databases on the server they are given, so it must be
    a local one; a database the app itself would use (``ASBHUB_DATABASE_URL``) must be an
    SQLite file in the temporary folder, in memory, or named as a test database."""
    try:
        parsed = make_url(url)
    except Exception:
        return f"{variable} is not a database URL"
    if variable == PG_ENV:
        if not parsed.get_backend_name().startswith("postgresql"):
            return f"{PG_ENV} must name a PostgreSQL server"
        host = parsed.host or ""
        if host not in LOCAL_HOSTS and not host.startswith("/"):
            return f"{PG_ENV} names a server on {host!r}: only a local throw-away server"
        return None
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite":
        if name in {"", ":memory:"}:
            return None
        path = Path(name).resolve()
        if Path(tempfile.gettempdir()).resolve() in path.parents or "test" in path.name:
            return None
        return f"{variable} names {path}, which is neither in the temporary folder nor a test file"
    if "test" in name.lower():
        return None
    return f"{variable} names the database {name!r}, whose name does not say it is for tests"


def pytest_configure(config: pytest.Config) -> None:
    for variable in (PG_ENV, "ASBHUB_DATABASE_URL"):
        url = os.environ.get(variable)
        if url and (why := refusal(variable, url)):
            raise pytest.UsageError(f"refusing to run the tests: {why}")
    if os.environ.get(PG_ENV):
        # The co-location check (tests/colocation.py): the controlling process makes the
        # folder its xdist workers (which inherit the variable) write their statements to.
        if not hasattr(config, "workerinput"):
            folder = tempfile.mkdtemp(prefix="asbhub-sql-")
            os.environ[colocation_log.LOG_DIR_ENV] = folder
            config.stash[_sql_log] = Path(folder)
        colocation_log.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    folder = os.environ.get(colocation_log.LOG_DIR_ENV)
    if not os.environ.get(PG_ENV) or not folder:
        return
    workerinput = getattr(session.config, "workerinput", None)
    colocation_log.write(Path(folder), workerinput["workerid"] if workerinput else "main")
    mine = session.config.stash.get(_sql_log, None)
    if mine is None:
        return
    read, found = colocation_log.check(mine)
    shutil.rmtree(mine, ignore_errors=True)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"co-location check: {read} distinct statements on PostgreSQL, {len(found)} on a "
            f"distributed table without force_code; all in {colocation_log.ARTIFACT}"
        )
        for v in found:
            reporter.write_line(f"co-location: {v}")
    # Any statement that a distributed PostgreSQL could not route to one force fails the run.
    if found and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The files that take longest, in seconds (the phase sums of a full run, 2026-12-02), run first:
# with --dist loadfile a worker takes a whole file, and a long one drawn last kept one core busy
# for its length after the other had finished.
LONGEST_FIRST = {
    "tests/browser/test_accessibility.py": 74,
    "tests/functional/web/test_web_openapi.py": 47,
    "tests/functional/web/test_web_policy.py": 46,
    "tests/unit/generate/test_generate_service.py": 35,
    "tests/browser/test_browser_usability.py": 31,
    "tests/browser/test_hotspots_map.py": 29,
    "tests/unit/provision/test_demo.py": 26,
    "tests/functional/web/test_casework_matrix.py": 25,
    "tests/unit/hotspots/test_hotspot_methods.py": 23,
    "tests/functional/web/test_faults.py": 21,
    "tests/unit/hotspots/test_hotspot_cli.py": 20,
    "tests/functional/web/test_web_app.py": 19,
    "tests/browser/test_browser_public_report.py": 19,
    "tests/functional/web/test_web_hardening.py": 17,
    "tests/functional/web/test_public_report.py": 16,
    "tests/unit/generate/test_generate_chats.py": 16,
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: -LONGEST_FIRST.get(item.nodeid.split("::")[0], 0))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On CI a skip is a failure: CI must run every test (a skipped test proves nothing)."""
    report: pytest.TestReport = yield
    if ON_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped on CI, where every test must run: {reason}"
    return report


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    with session_scope(engine) as session:
        load_reference(session, "essex")
        load_reference_agencies(session, "essex")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    _prepare(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    base = os.environ.get(PG_ENV)
    if not base:
        yield None
        return
    name = f"asbhub_tpl_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(base).set(database=name).render_as_string(False))
    _prepare(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def fresh_database(
    kind: str, folder: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    """URL of a new, migrated database of ``kind`` holding the Essex reference geography: a
    copy of the SQLite template in ``folder``, or a PostgreSQL database made from the template
    database and dropped afterwards."""
    if kind == "sqlite":
        path = folder / "asbhub.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip(f"{PG_ENV} is not set")
    base = os.environ[PG_ENV]
    name = f"asbhub_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # FILE_COPY copies the template's files; the default (WAL_LOG, PostgreSQL 15+) writes
        # every page through the WAL and took twice as long for each of the suite's databases.
        strategy = " STRATEGY FILE_COPY" if conn.dialect.server_version_info >= (15,) else ""
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"{strategy}'))
    try:
        yield make_url(base).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _pg_template: str | None,
) -> Iterator[str]:
    """URL of a fresh, migrated database holding the Essex reference geography.

    For a test that uses the web tests' ``seeded`` data set, the database is a copy of a
    template that already holds it (``seeded_templates`` in functional/web/conftest.py): the
    same rows and ids as seeding it afresh, without seeding it again for every test.
    """
    sqlite_template, pg_template = _sqlite_template, _pg_template
    if "seeded" in request.fixturenames:
        templates = request.getfixturevalue("seeded_templates")
        sqlite_template, pg_template = templates.template(request.param)
    with fresh_database(request.param, tmp_path, sqlite_template, pg_template) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _pg_template: str | None,
) -> Iterator[str]:
    """``db_url`` shared by a module's tests, for modules whose tests only read or whose
    writes do not meet."""
    folder = tmp_path_factory.mktemp("module_db")
    with fresh_database(request.param, folder, _sqlite_template, _pg_template) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def audit_unguarded(engine: Engine) -> Engine:
    """``engine`` with the triggers that keep audit_events append-only dropped: what an
    attacker holding the database owner's account can do (docs/threat-model.md), so a test
    can tamper with the log and show the chain or a checkpoint catching it."""
    with session_scope(engine) as s:
        if engine.dialect.name == "postgresql":
            s.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
        else:
            s.execute(text("DROP TRIGGER audit_events_no_update"))
            s.execute(text("DROP TRIGGER audit_events_no_delete"))
    return engine


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test reads settings afresh, so a test can override ASBHUB_* variables."""
    monkeypatch.setenv("ASBHUB_MODE", "development")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """``name`` built by ``build`` once for the whole run, whichever xdist worker asks first;
    the others wait for it (a file lock) instead of building their own."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / "built-once"
    folder.mkdir(exist_ok=True)
    target = folder / name
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            part = folder / f"{name}.part"
            build(part)
            part.rename(target)
    return target


def _six_generated_years(path: Path, template: Path) -> None:
    from asbhub.generate.service import generate

    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    report = generate(engine, force_code="essex", start="2015-04", end="2021-03", seed=2021)
    with engine.connect() as conn:  # one self-contained file, nothing left in a -wal beside it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    (path.parent / "six.json").write_text(json.dumps(report))  # written before the rename


@pytest.fixture(scope="session")
def _deep_dive_built(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    return built_once(
        tmp_path_factory, "six.db", lambda p: _six_generated_years(p, _sqlite_template)
    )


@pytest.fixture(scope="session")
def deep_dive_db(tmp_path_factory: pytest.TempPathFactory, _deep_dive_built: Path) -> str:
    """URL of a SQLite database holding the six generated years 2015-04..2021-03 (seed 2021).

    Generating takes ~10 s, so it is made once for the run; each worker reads its own copy (the
    commands it runs write their audit events), which the analytics, report, dashboard and
    generator tests share and only read.
    """
    path = tmp_path_factory.mktemp("deep_dive") / "six.db"
    shutil.copyfile(_deep_dive_built, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def deep_dive_report(_deep_dive_built: Path) -> dict[str, object]:
    """What ``generate`` reported when it made ``deep_dive_db``."""
    report: dict[str, object] = json.loads((_deep_dive_built.parent / "six.json").read_text())
    return report


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real data.police.uk files, the deep dive's tables, populations."""
    return SHARED / "data"

"""The suite's own rules, run on a throw-away test file in a child pytest with our conftest
loaded as a plugin: a skip fails on CI, and a non-test database is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SKIPPING = """
import pytest

def test_runs():
    pass

def test_skips():
    pytest.skip("no widget here")
"""


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_child.py").write_text(SKIPPING)
    clean = {k: v for k, v in os.environ.items() if k not in {"CI", "ASBHUB_DATABASE_URL"}}
    # The child needs only our conftest: without the installed plugins (schemathesis,
    # hypothesis, xdist, playwright) it starts in about half the time.
    clean["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_child.py")],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(TESTS), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def test_a_skip_fails_on_ci(tmp_path: Path) -> None:
    run = _pytest(tmp_path, CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "skipped on CI, where every test must run: Skipped: no widget here" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_a_skip_is_only_a_skip_elsewhere(tmp_path: Path) -> None:
    run = _pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout


@pytest.mark.parametrize(
    ("variable", "url", "why"),
    [
        ("ASBHUB_DATABASE_URL", "postgresql+psycopg://asbhub@db.force.example/asbhub",
         "the database 'asbhub', whose name does not say it is for tests"),
        ("ASBHUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@db.force.example/postgres",
         "names a server on 'db.force.example': only a local throw-away server"),
    ],
)  # fmt: skip
def test_refuses_a_database_that_is_not_for_tests(
    tmp_path: Path, variable: str, url: str, why: str
) -> None:
    run = _pytest(tmp_path, **{variable: url})
    assert run.returncode == 4, run.stdout + run.stderr
    assert "refusing to run the tests" in run.stderr and why in run.stderr
    assert "passed" not in run.stdout


def test_accepts_test_databases(tmp_path: Path) -> None:
    run = _pytest(
        tmp_path,
        ASBHUB_DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        ASBHUB_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:1/postgres",
    )
    assert run.returncode == 0, run.stdout + run.stderr

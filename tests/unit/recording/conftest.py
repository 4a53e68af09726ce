"""Module-scoped stores of misrecorded generated incidents for the recording audit's tests.

A few thousand incidents each (two months and one month of 2019), so the learned check trains
in seconds; the 300,000-incident evaluation is ``benchmarks/recording_audit.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asbhub.generate.service import generate
from asbhub.store.engine import make_engine


def _store(tmp: Path, template: Path, *, seed: int, start: str, end: str, rate: float) -> str:
    path = tmp / f"seed{seed}.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    generate(engine, force_code="essex", start=start, end=end, seed=seed, misrecord_rate=rate)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def train_db(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> str:
    """Two months (about 8,000 incidents) of seed 31 at a 10% misrecord rate."""
    tmp = tmp_path_factory.mktemp("recording_train")
    return _store(tmp, _sqlite_template, seed=31, start="2019-07", end="2019-08", rate=0.1)


@pytest.fixture(scope="session")
def heldout_db(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> str:
    """One month of another seed, never trained on."""
    tmp = tmp_path_factory.mktemp("recording_heldout")
    return _store(tmp, _sqlite_template, seed=32, start="2019-09", end="2019-09", rate=0.1)

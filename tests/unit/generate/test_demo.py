"""``asbhub demo`` builds the whole demo database once, then recognises it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from importlib import resources
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.store.engine import make_engine

runner = CliRunner()


def _slice_asb_rows() -> int:
    path = resources.files("asbhub") / "data" / "essex" / "asb_2025.zip"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        return sum(
            sum(1 for r in csv.DictReader(io.StringIO(zf.read(n).decode("utf-8"))))
            for n in zf.namelist()
        )


def test_demo_builds_then_returns_quickly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--db", db, "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["already_built"] is False
    assert report["generated"]["incidents"] == 302_899
    rows = _slice_asb_rows()
    assert report["public_records"]["inserted"] == rows

    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT COUNT(*) FROM incidents")) == 302_899
        assert conn.scalar(text("SELECT COUNT(*) FROM public_records")) == rows
        other = "SELECT COUNT(*) FROM public_records WHERE crime_type <> 'Anti-social behaviour'"
        assert conn.scalar(text(other)) == 0
    engine.dispose()

    second = runner.invoke(app, ["demo", "--db", db])
    assert second.exit_code == 0, second.output
    assert "demo database already built" in second.stdout
    again = json.loads(runner.invoke(app, ["demo", "--db", db, "--json"]).stdout)
    assert again["already_built"] is True
    assert "generated" not in again and "public_records" not in again

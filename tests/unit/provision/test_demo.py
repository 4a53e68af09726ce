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
from asbhub.config import Settings
from asbhub.provision.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, _demo_accounts
from asbhub.store.engine import make_engine, upgrade

runner = CliRunner()


def build_demo_accounts_only(engine, settings=None):  # type: ignore[no-untyped-def]
    upgrade(engine)
    return _demo_accounts(engine, settings or Settings())


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

    assert sorted(report["accounts_created"]) == sorted(u for u, _, _ in DEMO_ACCOUNTS)

    engine = make_engine(db)
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT username, role FROM users")).tuples().all())
        assert roles == {u: r for u, r, _ in DEMO_ACCOUNTS}
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
    assert again["accounts_created"] == []


def test_demo_accounts_sign_in(tmp_path: Path) -> None:
    """A demo account's password works on the sign-in page of the app it serves."""
    from fastapi.testclient import TestClient

    from asbhub.web.app import create_app

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(db)
    build_demo_accounts_only(engine)
    with TestClient(create_app(db)) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = client.post(
            "/login",
            data={"username": "handler", "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        assert client.get("/incidents").status_code == 200
    engine.dispose()


def test_no_demo_accounts_outside_development(tmp_path: Path) -> None:
    settings = Settings(mode="test", secret_key="kTpQr1yJAER86r_WbSAaBQQggysX_F4vjsCQv4527nM")
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    assert build_demo_accounts_only(engine, settings) == []
    engine.dispose()

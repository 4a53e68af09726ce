"""The audit chain's own check: intact after appends, broken at the first altered row; the
table refuses UPDATE and DELETE; checkpoints reveal a deleted tail (issue 14.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import AuditAction, record, verify, write_checkpoint
from asbhub.cli import app as cli
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope

OFFICER = Actor(1, "officer1", "Officer One", Role.OFFICER, force_code="essex")


def _append(engine: Engine, n: int) -> None:
    with session_scope(engine) as s:
        for k in range(n):
            record(
                s,
                actor=OFFICER,
                event="incidents:incident:view",
                action=AuditAction.VIEW,
                object_type="incident",
                object_id=k + 1,
                data_subjects=[k],
            )


def test_verify_finds_the_first_altered_or_missing_row(audit_unguarded: Engine) -> None:
    engine = audit_unguarded
    with session_scope(engine) as s:
        assert verify(s).intact and verify(s).events == 0
    _append(engine, 5)
    with session_scope(engine) as s:
        check = verify(s)
        assert check.intact and check.events == 5
    with session_scope(engine) as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(object_id="99"))
    with session_scope(engine) as s:
        check = verify(s)
        assert not check.intact and check.first_broken_seq == 3
    with session_scope(engine) as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(object_id="3"))
        assert verify(s).intact
        s.query(AuditEvent).filter(AuditEvent.seq == 2).delete()
    with session_scope(engine) as s:
        assert verify(s).first_broken_seq == 3  # the row after the gap no longer links


@pytest.mark.parametrize("change", ["update", "delete", "truncate"])
def test_the_table_refuses_update_and_delete(engine: Engine, change: str) -> None:
    _append(engine, 3)
    statement = {
        "update": update(AuditEvent).where(AuditEvent.seq == 2).values(object_id="99"),
        "delete": delete(AuditEvent).where(AuditEvent.seq >= 2),
        "truncate": text("TRUNCATE audit_events" if engine.dialect.name == "postgresql"
                         else "DELETE FROM audit_events"),
    }[change]  # fmt: skip
    with pytest.raises(DatabaseError, match="append-only"), session_scope(engine) as s:
        s.execute(statement)
    with session_scope(engine) as s:
        check = verify(s)
        assert check.intact and check.events == 3


SECRET = "kTpQr1yJAER86r_WbSAaBQQggysX_F4vjsCQv4527nM"


def _verify_cli(db_url: str, path: Path) -> tuple[int, dict[str, object]]:
    r = CliRunner().invoke(
        cli, ["audit", "verify", "--db", db_url, "--checkpoints", str(path), "--json"]
    )
    assert r.stdout, (r.output, r.exception)
    return r.exit_code, json.loads(r.stdout)


def test_checkpoint_reveals_a_deleted_tail(
    audit_unguarded: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting the newest 20 rows left verify() reporting an intact chain."""
    engine = audit_unguarded
    monkeypatch.setenv("ASBHUB_SECRET_KEY", SECRET)
    path = tmp_path / "audit.checkpoints"
    _append(engine, 30)
    args = ["audit", "checkpoint", "--db", db_url, "--checkpoints", str(path), "--json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    written = json.loads(r.stdout)["checkpoint"]
    assert written["seq"] == 30
    assert _verify_cli(db_url, path) == (
        0,
        {
            "intact": True,
            "events": 30,
            "first_broken_seq": None,
            "checkpoints": 1,
            "latest_checkpoint": written,
            "problem": None,
        },
    )
    with session_scope(engine) as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq > 10))
        assert verify(s).intact  # the chain alone cannot tell
    code, out = _verify_cli(db_url, path)
    assert code == 1 and out["intact"] is False and out["events"] == 10
    assert "the log ends at seq 10" in str(out["problem"]) and "newest 20" in str(out["problem"])


def test_checkpoint_reveals_a_rewritten_log_and_a_forged_checkpoint(
    audit_unguarded: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = audit_unguarded
    monkeypatch.setenv("ASBHUB_SECRET_KEY", SECRET)
    path = tmp_path / "audit.checkpoints"
    _append(engine, 5)
    with session_scope(engine) as s:
        assert write_checkpoint(s, secret=SECRET, path=path) is not None
    # Rewrite the log with every hash recomputed: intact as a chain, not against the anchor.
    with session_scope(engine) as s:
        s.execute(delete(AuditEvent))
    _append(engine, 5)
    code, out = _verify_cli(db_url, path)
    assert code == 1 and out["first_broken_seq"] is None
    assert "event 5 differs from the checkpoint" in str(out["problem"])
    # A checkpoint written without the key does not verify.
    with session_scope(engine) as s:
        write_checkpoint(s, secret="not-" + SECRET, path=path)
    code, out = _verify_cli(db_url, path)
    assert code == 1 and "line 2 does not verify" in str(out["problem"])


def test_the_app_writes_a_checkpoint_at_shutdown(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from asbhub.web.app import create_app

    path = tmp_path / "app.checkpoints"
    monkeypatch.setenv("ASBHUB_AUDIT_CHECKPOINT_PATH", str(path))
    _append(engine, 4)
    with TestClient(create_app(db_url)) as c:
        assert c.get("/login").status_code == 200
    [line] = path.read_text().splitlines()
    assert json.loads(line)["seq"] == 4
    code, out = _verify_cli(db_url, path)
    assert code == 0 and out["checkpoints"] == 1

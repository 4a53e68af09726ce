"""The audit chain's own check: intact after appends, broken at the first altered row."""

from __future__ import annotations

from sqlalchemy import Engine, update

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import AuditAction, record, verify
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


def test_verify_finds_the_first_altered_or_missing_row(engine: Engine) -> None:
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

"""Sign-in lock-out: too many failures lock the account, even against the right password."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.auth.service import add_user, authenticate
from asbhub.config import Settings
from asbhub.store.engine import session_scope

PASSWORD = "fictitious-password-1"
# Passed in, as create_app passes its own: the service reads no global settings.
SETTINGS = Settings(login_max_failures=3, login_lockout_minutes=15)


@pytest.fixture
def user(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(
        "asbhub.auth.service._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    with session_scope(engine) as s:
        add_user(
            s,
            username="officer9",
            password=PASSWORD,
            role="officer",
            display_name="O",
            force_code="essex",
        )
    return "officer9"


def _try(engine: Engine, username: str, password: str) -> bool:
    with session_scope(engine) as s:
        return authenticate(s, settings=SETTINGS, username=username, password=password) is not None


def test_three_failures_lock_the_account_for_the_set_time(engine: Engine, user: str) -> None:
    assert _try(engine, user, PASSWORD)
    assert not _try(engine, user, "wrong-1") and not _try(engine, user, "wrong-2")
    assert _try(engine, user, PASSWORD)  # a success resets the count
    for k in range(3):
        assert not _try(engine, user, f"wrong-{k}")
    assert not _try(engine, user, PASSWORD)  # locked: the right password is refused too
    with session_scope(engine) as s:
        u = s.scalars(select(User).where(User.username == user)).one()
        assert u.locked_until is not None
        left = u.locked_until - dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert dt.timedelta(minutes=14) < left <= dt.timedelta(minutes=15)
        u.locked_until = dt.datetime(2000, 1, 1)  # the lock has run out
    assert _try(engine, user, PASSWORD)
    with session_scope(engine) as s:
        outcomes = s.scalars(
            select(AuditEvent.outcome)
            .where(AuditEvent.event == "auth:session:login")
            .order_by(AuditEvent.seq)
        ).all()
    assert outcomes.count("success") == 3 and outcomes.count("denied") == 6

"""The second factor through HTTP (issue 14.2): enrolment with a QR code, sign-in with a code,
wrong and replayed codes, recovery codes once only, the lock-out shared with passwords, an
administrator's reset, and the audit row of every step."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from itsdangerous import TimestampSigner
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner
from webseed import PASSWORD, Seeded, csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import RecoveryCode, User
from asbhub.auth.service import add_user
from asbhub.cli import app as cli
from asbhub.config import DEFAULT_SECRET
from asbhub.store.engine import session_scope
from asbhub.web.app import SESSION_COOKIE

Clients = Callable[[str], TestClient]
SECRET_RE = re.compile(r'data-testid="secret">([A-Z2-7 ]+)<')
RECOVERY_RE = re.compile(r"<li><code>([A-Z0-9-]{19})</code></li>")


def _step() -> int:
    return int(time.time()) // 30


def _code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def _wrong(secret: str) -> str:
    """Six digits that are no code of the accepted window (now, a step either side)."""
    near = {_code(secret, _step() + d) for d in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in near)


@dataclass
class Staff:
    """An account that needs a second factor (not a demo account), with a client of its own."""

    username: str
    user_id: int
    client: TestClient
    secret: str = ""
    recovery: list[str] | None = None

    def password(self, password: str = PASSWORD) -> Any:
        token = csrf_of(self.client)
        data = {"username": self.username, "password": password, "csrf_token": token}
        return self.client.post("/login", data=data, follow_redirects=False)

    def post(self, path: str, code: str) -> Any:
        token = csrf_of(self.client, path)
        data = {"code": code, "csrf_token": token}
        return self.client.post(path, data=data, follow_redirects=False)

    def enrol(self) -> None:
        """Password, the enrolment page, then the first code: signed in, codes kept."""
        assert self.password().headers["location"] == "/login/enrol"
        page = self.client.get("/login/enrol").text
        self.secret = SECRET_RE.search(page).group(1).replace(" ", "")  # type: ignore[union-attr]
        r = self.post("/login/enrol", _code(self.secret, _step()))
        assert r.status_code == 200, r.text
        self.recovery = RECOVERY_RE.findall(r.text)

    def sign_out(self) -> None:
        self.client.post("/logout", data={"csrf_token": csrf_of(self.client, "/purpose")})

    def me(self) -> int:
        return int(self.client.get("/api/v1/me").status_code)


@pytest.fixture
def staff(app: FastAPI, engine: Engine, seeded: Seeded) -> Iterator[Callable[..., Staff]]:
    clients: list[TestClient] = []

    def make(username: str = "mfa.officer", role: str = "officer") -> Staff:
        with session_scope(engine) as s:
            user = add_user(s, username=username, password=PASSWORD, role=role, force_code="essex")
            user_id = user.id
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return Staff(username, user_id, c)

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _events(engine: Engine, prefix: str = "auth:second_factor:") -> list[tuple[str, str, Any]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(AuditEvent.event, AuditEvent.outcome, AuditEvent.fields)
            .where(AuditEvent.event.startswith(prefix))
            .order_by(AuditEvent.id)
        )
        return [(e, o, f) for e, o, f in rows]


def _user(engine: Engine, user_id: int) -> User:
    with session_scope(engine) as s:
        return s.get_one(User, user_id)


def test_enrol_then_sign_in_with_a_code_and_a_replay_refused(
    staff: Callable[..., Staff], engine: Engine
) -> None:
    officer = staff()
    r = officer.password()
    assert r.status_code == 303 and r.headers["location"] == "/login/enrol"
    # The password alone is no session: every staff route still asks for sign-in.
    assert officer.me() == 401
    assert officer.client.get("/incidents", follow_redirects=False).status_code == 303

    page = officer.client.get("/login/enrol")
    assert page.status_code == 200
    assert '<svg role="img"' in page.text and "<title>QR code to add mfa.officer" in page.text
    secret = SECRET_RE.search(page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert secret == _user(engine, officer.user_id).totp_secret
    # Reloading keeps the secret the phone may already have scanned.
    assert secret in officer.client.get("/login/enrol").text.replace(" ", "")

    r = officer.post("/login/enrol", _wrong(secret))
    assert r.status_code == 401 and "The code is wrong" in r.text
    assert officer.me() == 401
    enrol_step = _step()
    r = officer.post("/login/enrol", _code(secret, enrol_step))
    assert r.status_code == 200 and "shown only now" in r.text
    codes = RECOVERY_RE.findall(r.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert officer.me() == 200
    with session_scope(engine) as s:
        stored = s.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashed, never as shown

    officer.sign_out()
    assert officer.password().headers["location"] == "/login/code"
    assert officer.me() == 401
    r = officer.post("/login/code", _code(secret, enrol_step))  # the code typed at enrolment
    assert r.status_code == 401 and "used already" in r.text
    assert officer.me() == 401
    r = officer.post("/login/code", _code(secret, enrol_step + 1))
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert officer.me() == 200

    assert [(e, o, f.get("reason")) for e, o, f in _events(engine)] == [
        ("auth:second_factor:issue", "success", None),
        ("auth:second_factor:confirm", "denied", "wrong"),
        ("auth:second_factor:confirm", "success", None),
        ("auth:second_factor:verify", "denied", "replayed"),
        ("auth:second_factor:verify", "success", None),
    ]
    logins = [f for e, o, f in _events(engine, "auth:session:login") if o == "success"]
    assert logins[-2:] == [{"locked": False, "second_factor": True}] * 2


def test_a_recovery_code_signs_in_once_only(staff: Callable[..., Staff], engine: Engine) -> None:
    officer = staff()
    officer.enrol()
    assert officer.recovery is not None
    spare = officer.recovery[3]
    officer.sign_out()
    officer.password()
    # Typed in lower case with spaces for dashes, as people do.
    r = officer.post("/login/code", spare.lower().replace("-", " "))
    assert r.status_code == 303 and officer.me() == 200
    officer.sign_out()
    officer.password()
    r = officer.post("/login/code", spare)
    assert r.status_code == 401 and officer.me() == 401
    r = officer.post("/login/code", "ABCD-EFGH-JKLM-NPQR")
    assert r.status_code == 401
    verified = [
        (o, f["method"], f.get("reason"), f.get("recovery_codes_left"))
        for e, o, f in _events(engine)
        if e.endswith(":verify")
    ]
    assert verified == [
        ("success", "recovery", None, 9),
        ("denied", "recovery", "used", 9),
        ("denied", "recovery", "wrong", 9),
    ]


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    app: FastAPI, staff: Callable[..., Staff], engine: Engine
) -> None:
    """Five wrong tries in a row lock the account, passwords and codes counted together; the
    right password in between does not clear the count (else codes could be guessed for
    ever, four at a time); the lock-out voids a pending sign-in elsewhere too."""
    officer = staff()
    officer.enrol()
    officer.sign_out()
    elsewhere = TestClient(app, raise_server_exceptions=False)
    with elsewhere:
        other = Staff(officer.username, officer.user_id, elsewhere)
        assert other.password().headers["location"] == "/login/code"
        officer.password()
        for _ in range(3):
            assert officer.post("/login/code", _wrong(officer.secret)).status_code == 401
        officer.password()
        assert officer.post("/login/code", _wrong(officer.secret)).status_code == 401
        r = officer.post("/login/code", _wrong(officer.secret))
        assert r.status_code == 401 and "the account is locked" in r.text
        assert _user(engine, officer.user_id).locked_until is not None
        # The right code now: neither this browser nor the other's pending sign-in gets in.
        right = _code(officer.secret, _step() + 1)
        r = other.post("/login/code", right)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert other.me() == 401
        assert officer.password().status_code == 401
    revoked = [f["reason"] for e, o, f in _events(engine, "auth:session:revoke")]
    assert "locked" in revoked


def test_an_administrator_resets_the_second_factor(
    client_as: Clients, staff: Callable[..., Staff], engine: Engine, seeded: Seeded, db_url: str
) -> None:
    officer = staff()
    officer.enrol()
    assert officer.me() == 200
    admin = client_as("admin")
    page = admin.get(f"/admin/users/{officer.user_id}").text
    assert "Set up " in page and "Reset second factor" in page
    token = csrf_of(admin, "/admin/users")
    r = admin.post(
        f"/admin/users/{officer.user_id}/second-factor",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert "Second factor removed" in page and "Not set up: asked for at the next" in page
    assert officer.me() == 401  # its sessions ended with it
    user = _user(engine, officer.user_id)
    assert user.totp_secret is None and user.totp_confirmed_at is None
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    # The next sign-in enrols again, with a new secret.
    assert officer.password().headers["location"] == "/login/enrol"
    assert officer.secret not in officer.client.get("/login/enrol").text.replace(" ", "")

    # An administrator cannot reset their own (a stolen admin session must not swap it).
    admin_id = _user_id(engine, seeded.users["admin"])
    r = admin.post(f"/admin/users/{admin_id}/second-factor", data={"csrf_token": token})
    assert r.status_code == 409 and "your own second factor" in r.text

    resets = [(o, f) for e, o, f in _events(engine) if e.endswith(":reset")]
    assert resets == [("success", {"username": "mfa.officer", "was_enrolled": True})]
    with session_scope(engine) as s:
        who = s.scalar(
            select(AuditEvent.actor_role).where(AuditEvent.event == "auth:second_factor:reset")
        )
    assert who == "admin"
    revoked = [f["reason"] for e, o, f in _events(engine, "auth:session:revoke")]
    assert revoked[-1] == "second_factor_reset"

    # The way back for the last administrator: the command line, as the system.
    result = CliRunner().invoke(
        cli, ["users", "reset-second-factor", "mfa.officer", "--db", db_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["username"] == "mfa.officer"
    assert _events(engine)[-1][0] == "auth:second_factor:reset"
    missing = CliRunner().invoke(cli, ["users", "reset-second-factor", "nobody", "--db", db_url])
    assert missing.exit_code != 0 and "nobody" in missing.output


def _user_id(engine: Engine, username: str) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(User.id).where(User.username == username)) or 0)


def test_a_pending_sign_in_expires_and_roles_without_personal_data_need_none(
    app: FastAPI, staff: Callable[..., Staff]
) -> None:
    officer = staff()
    officer.password()
    assert officer.client.get("/login/code", follow_redirects=False).status_code == 303
    # A pending sign-in as the app signs it, six minutes old (the limit is five).
    at = int(time.time()) - 360
    pending = {"pending": {"uid": officer.user_id, "sv": 0, "at": at, "next": "/"}}
    cookie = TimestampSigner(DEFAULT_SECRET).sign(base64.b64encode(json.dumps(pending).encode()))
    with TestClient(app, raise_server_exceptions=False) as late:
        late.cookies.set(SESSION_COOKIE, cookie.decode())
        r = late.get("/login/enrol", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    # No pending sign-in at all: the code pages send you to the password first.
    with TestClient(app, raise_server_exceptions=False) as nobody:
        token = csrf_of(nobody)
        for path in ["/login/code", "/login/enrol"]:
            assert nobody.get(path, follow_redirects=False).headers["location"] == "/login"
            r = nobody.post(path, data={"code": "123456", "csrf_token": token})
            assert r.url.path == "/login"
    analyst = staff("mfa.analyst", "analyst")
    r = analyst.password()
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert analyst.me() == 200

"""Accounts and sign-in. Passwords are hashed with argon2id; repeated failures lock an account."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, object_session

from asbhub.agencies.service import get_agency, membership
from asbhub.audit.service import PURPOSES, AuditAction, record
from asbhub.auth.models import User
from asbhub.config import Settings
from asbhub.errors import AsbhubError, Conflict, InvalidInput, NotFound
from asbhub.permissions import STAFF_ROLES, Action, Actor, Role, needs_second_factor, require

_hasher = PasswordHasher()
_DUMMIES: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    """A hash of the current hasher's cost to verify a sign-in for no such user against, so
    that "no such user" takes as long as "wrong password". Made at the first such sign-in:
    made at import, its ~0.1 s of argon2 was paid by every ``asbhub`` command's start-up."""
    cost = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    found = _DUMMIES.get(cost)
    if found is None:
        found = _DUMMIES.setdefault(cost, _hasher.hash("not-a-real-password"))
    return found


MIN_PASSWORD = 10


class NotSignedIn(AsbhubError):
    """The request needs a signed-in user and has none."""


class SignInFailed(AsbhubError):
    """Wrong name or password, or a locked or disabled account. One message for all."""

    def __init__(self) -> None:
        super().__init__("The user name or password is wrong, or the account is locked.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def partner_agency_problem(session: Session, force_code: str, code: str) -> dict[str, str]:
    """Why ``code`` cannot be a partner account's agency (unknown, or the force itself), as a
    field problem; empty if it can."""
    try:
        found = get_agency(session, force_code=force_code, code=code)
    except InvalidInput as exc:
        return dict(exc.fields)
    if found.local_authority_codes is None:
        return {"agency": "police staff belong to the force: choose a partner agency"}
    return {}


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    agency_code: str | None = None,
    force_code: str,
    actor: Actor | None = None,
    demo: bool = False,
) -> User:
    """Create a local account. Partners must name their agency; other roles must not.

    ``actor`` is the administrator adding it on screen; the command line passes none.
    ``demo`` marks an account made with a published password (``asbhub demo``, test seeds),
    which signs in without a second factor in development mode only.
    """
    problems: dict[str, str] = {}
    role_ = Role(role) if role in set(STAFF_ROLES) else None
    if role_ is None:
        problems["role"] = "must be one of: " + ", ".join(r.value for r in STAFF_ROLES)
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        problems["username"] = "letters, digits, '.', '-' and '_' only"
    if len(password) < MIN_PASSWORD:
        problems["password"] = f"at least {MIN_PASSWORD} characters"
    if role_ is Role.PARTNER and not agency_code:
        problems["agency"] = "a partner account must name its agency"
    if role_ is not None and role_ is not Role.PARTNER and agency_code:
        problems["agency"] = "only partner accounts belong to an agency"
    if agency_code and "agency" not in problems:
        problems.update(partner_agency_problem(session, force_code, agency_code))
    if problems:
        raise InvalidInput("the account cannot be created", problems)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    assert role_ is not None
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=_hasher.hash(password),
        role=role_.value,
        force_code=force_code,
        agency_code=agency_code,
        active=True,
        failed_logins=0,
        demo=demo,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        event="auth:user:create",
        action=AuditAction.CREATE,
        object_type="user",
        object_id=user.id,
        fields={"username": username, "role": role_.value, "agency": agency_code},
        force_code=force_code,
    )
    return user


@dataclass(frozen=True, slots=True)
class Account:
    """What an actor is made from: a user's columns, read as one plain row on every signed-in
    request (an ORM load of the user was an eighth of an incident list page's time)."""

    id: int
    username: str
    display_name: str
    role: str
    force_code: str
    agency_code: str | None


_USERS = cast(Table, User.__table__)
_SESSION_ACCOUNT = select(
    *(_USERS.c[f] for f in Account.__slots__),
    _USERS.c.active,
    _USERS.c.session_version,
    _USERS.c.locked_until,
).where(_USERS.c.id == bindparam("id"))


def actor_for(
    user: User | Account,
    *,
    settings: Settings,
    session: Session | None = None,
    purpose: str | None = None,
    purpose_text: str | None = None,
    channel: str = "ui",
    client_ip: str | None = None,
    device: str | None = None,
) -> Actor:
    """The :class:`Actor` a user acts as, with the purpose and client of this request and
    what services need from ``settings`` (the pseudonym key).

    The actor carries its agency (areas, kind) and the agreements that agency is party to, read
    from ``session`` (by default the one ``user`` was loaded in), so the policy decides
    without the database.
    """
    role = Role(user.role)
    session = session or object_session(user)
    if session is None:
        raise ValueError("actor_for needs a session, or a user loaded in one")
    member = membership(session, force_code=user.force_code, agency_code=user.agency_code)
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role,
        force_code=user.force_code,
        agency=member.agency,
        agreements=member.agreements,
        purpose=purpose if purpose in PURPOSES else default_purpose(role),
        purpose_text=purpose_text,
        channel=channel,
        client_ip=client_ip,
        device=device,
        pseudonym_key=settings.secret_key.encode(),
    )


def default_purpose(role: Role) -> str:
    return {
        Role.ANALYST: "analysis",
        Role.ADMIN: "administration",
        Role.PARTNER: "partnership",
        Role.SUPERVISOR: "supervision",
        Role.ASB_OFFICER: "case_review",
    }.get(role, "operational")


def check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise InvalidInput("unknown purpose", {"purpose": "choose one of the listed purposes"})
    return purpose


def authenticate(
    session: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    client_ip: str | None = None,
    device: str | None = None,
    channel: str = "ui",
) -> User | None:
    """Check a name and password, counting failures and locking the account after too many.

    Returns ``None`` on any failure (the caller raises :class:`SignInFailed` after committing,
    so the failure count and the audit event are kept). Every attempt is audited.
    """
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    now = _now()
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        record(
            session,
            actor=None,
            event="auth:session:login",
            action=AuditAction.LOGIN,
            fields={"username": username},
            outcome="denied",
            force_code=settings.default_force,
            client_ip=client_ip,
            device=device,
            channel=channel,
        )
        return None
    locked = user.locked_until is not None and user.locked_until > now
    # The hash is checked even for a locked or disabled account: answering those without it
    # took 4 ms against 170 ms, which told a guesser the user name exists.
    ok = password_matches(user, password) and not locked and user.active
    second = ok and second_factor_required(user, settings=settings)
    if ok:
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        # With a second factor to come, the failures count on: were they cleared by the
        # password, whoever holds it could guess codes for ever, a few at a time.
        if not second:
            signed_in(user, now)
    elif not locked:
        count_failure(session, settings=settings, user=user, now=now)
    record(
        session,
        actor=actor_for(
            user, settings=settings, channel=channel, client_ip=client_ip, device=device
        ),
        event="auth:session:login",
        action=AuditAction.LOGIN,
        object_type="user",
        object_id=user.id,
        fields={
            "locked": locked or (user.locked_until is not None and not ok),
            "second_factor": second,
        },
        outcome="success" if ok else "denied",
    )
    return user if ok else None


def second_factor_required(user: User, *, settings: Settings) -> bool:
    """Whether ``user`` signs in with a second factor: every role that
    :func:`~asbhub.permissions.needs_second_factor` names, except demo accounts (published
    password, made by ``asbhub demo`` or a test seed) in development mode."""
    if user.demo and settings.mode == "development":
        return False
    return needs_second_factor(Role(user.role))


def signed_in(user: User, now: dt.datetime) -> None:
    """Book a completed sign-in (every factor given): the failure count starts again."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now


def count_failure(session: Session, *, settings: Settings, user: User, now: dt.datetime) -> None:
    """Count a wrong password or code; too many in a row lock the account and end its
    sessions. Password and second-factor failures share one count and one lock-out."""
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
        # A session opened before the lock-out (perhaps by the guesser) ends with it, and so
        # does a half-finished sign-in waiting for its code.
        end_sessions(session, user=user, actor=None, reason="locked")


def hash_password(password: str) -> str:
    """The stored form of a new password (argon2id); refuses one that is too short."""
    if len(password) < MIN_PASSWORD:
        problem = {"password": f"at least {MIN_PASSWORD} characters"}
        raise InvalidInput("the password is too short", problem)
    return _hasher.hash(password)


def end_sessions(session: Session, *, user: User, actor: Actor | None, reason: str) -> None:
    """End every session ``user`` has open, by bumping the version their cookies carry."""
    user.session_version += 1
    record(
        session,
        actor=actor,
        event="auth:session:revoke",
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.id,
        fields={"reason": reason},
        force_code=user.force_code,
    )


def sign_out(session: Session, *, actor: Actor) -> None:
    """Sign ``actor`` out everywhere: a copy of the cookie replayed later is refused."""
    user = session.get(User, actor.user_id)
    if user is not None:
        end_sessions(session, user=user, actor=actor, reason="sign_out")


def change_password(session: Session, *, actor: Actor, user_id: int, password: str) -> None:
    """Set a user's password (their own, or anyone's for an administrator); ends sessions."""
    if actor.user_id != user_id:
        require(actor, Action.USER_MANAGE)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "the password is too short", {"password": f"at least {MIN_PASSWORD} characters"}
        )
    user = _user(session, user_id)
    user.password_hash = _hasher.hash(password)
    end_sessions(session, user=user, actor=actor, reason="password_change")


def change_role(session: Session, *, actor: Actor, user_id: int, role: str) -> None:
    """Give a user another role; their open sessions end so the new grants apply at once."""
    require(actor, Action.USER_MANAGE)
    if role not in set(STAFF_ROLES):  # no account may become the jobs' system role
        raise InvalidInput(
            "unknown role", {"role": "must be one of: " + ", ".join(r.value for r in STAFF_ROLES)}
        )
    role_ = Role(role)
    user = _user(session, user_id)
    if (role_ is Role.PARTNER) != (user.agency_code is not None):
        raise InvalidInput(
            "the role does not fit the account",
            {"role": "partners, and only partners, belong to an agency"},
        )
    before, user.role = user.role, role_.value
    record(
        session,
        actor=actor,
        event="auth:user:update",
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.id,
        fields={"role": [before, role_.value]},
    )
    end_sessions(session, user=user, actor=actor, reason="role_change")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def session_account(session: Session, *, user_id: int, version: object) -> Account | None:
    """The account a session cookie names, if that session is still valid: the account is
    active and not locked, and no sign-out or change has ended sessions since it opened."""
    row = session.connection().execute(_SESSION_ACCOUNT, {"id": user_id}).first()
    if row is None or not row.active or version != row.session_version:
        return None
    if row.locked_until is not None and row.locked_until > _now():
        return None
    return Account(*(getattr(row, f) for f in Account.__slots__))


def session_user(session: Session, *, user_id: int, version: object) -> User | None:
    """:func:`session_account`'s user, loaded as an object (for changing it)."""
    account = session_account(session, user_id=user_id, version=version)
    return None if account is None else session.get(User, account.id)


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s, without counting or auditing an attempt."""
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def get_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())

"""What an administrator does to accounts: add, disable and enable, change role or agency,
unlock, reset the password or the second factor. Each change needs ``auth:user:manage`` and is
audited with what changed; an administrator cannot disable or demote their own account (no self
lock-out), nor reset their own second factor.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from asbhub.agencies.service import list_agencies
from asbhub.audit.service import AuditAction, record
from asbhub.auth import second_factor, service
from asbhub.auth.models import User
from asbhub.errors import Conflict, InvalidInput, NotFound
from asbhub.permissions import Action, Actor, Role, needs_second_factor, require


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Account:
    """An account as the admin screens show it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    agency_code: str | None
    agency_name: str | None
    active: bool
    locked: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime | None
    second_factor_needed: bool  # by its role (demo accounts are let off in development mode)
    second_factor_since: dt.datetime | None  # when it was set up; None: not (yet) set up
    demo: bool


def _agency_names(session: Session, force_code: str) -> dict[str, str]:
    return {a.code: a.name for a in list_agencies(session, force_code=force_code)}


def _account(user: User, now: dt.datetime, names: dict[str, str] | None = None) -> Account:
    if names is None:
        session = object_session(user)
        assert session is not None  # accounts are always read in a session
        names = _agency_names(session, user.force_code)
    code = user.agency_code
    return Account(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        agency_code=code,
        agency_name=names.get(code) if code else None,
        active=user.active,
        locked=user.locked_until is not None and user.locked_until > now,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        second_factor_needed=needs_second_factor(Role(user.role)),
        second_factor_since=user.totp_confirmed_at if user.totp_secret else None,
        demo=user.demo,
    )


def _load(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.force_code != actor.force_code:
        raise NotFound(f"no account {user_id}")
    return user


def _audit(
    session: Session, actor: Actor, user: User, verb: str, fields: dict[str, object]
) -> None:
    record(
        session,
        actor=actor,
        event=f"auth:user:{verb}",
        action=AuditAction.CREATE if verb == "create" else AuditAction.UPDATE,
        object_type="user",
        object_id=user.id,
        fields={"username": user.username, **fields},
    )


def list_accounts(session: Session, *, actor: Actor) -> list[Account]:
    """Every account of the actor's force, by user name."""
    require(actor, Action.USER_MANAGE)
    users = session.execute(
        select(User).where(User.force_code == actor.force_code).order_by(User.username)
    ).scalars()
    now = _now()
    names = _agency_names(session, actor.force_code)
    return [_account(u, now, names) for u in users]


def get_account(session: Session, *, actor: Actor, user_id: int) -> Account:
    require(actor, Action.USER_MANAGE)
    return _account(_load(session, actor, user_id), _now())


def create_account(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    agency_code: str | None,
    password: str,
) -> Account:
    """Add an account; the same checks as ``asbhub users add``, audited as the admin."""
    require(actor, Action.USER_MANAGE)
    user = service.add_user(
        session,
        username=username.strip(),
        password=password,
        role=role,
        display_name=display_name.strip() or None,
        agency_code=agency_code or None,
        force_code=actor.force_code,
        actor=actor,
    )
    return _account(user, _now())


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> Account:
    """Disable (the account's sessions stop working at once) or enable an account."""
    require(actor, Action.USER_MANAGE)
    user = _load(session, actor, user_id)
    if not active and user.id == actor.user_id:
        raise Conflict("you cannot disable your own account")
    if user.active != active:
        user.active = active
        _audit(session, actor, user, "enable" if active else "disable", {"active": active})
    return _account(user, _now())


def change_role(
    session: Session, *, actor: Actor, user_id: int, role: str, agency_code: str | None
) -> Account:
    """Change an account's role and, for partners, its agency (which sets what it may see);
    the account's open sessions end."""
    require(actor, Action.USER_MANAGE)
    user = _load(session, actor, user_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise InvalidInput(
            "the role is not valid", {"role": "Select one of the roles listed"}
        ) from None
    agency_code = agency_code or None
    if new_role is Role.PARTNER and agency_code is None:
        raise InvalidInput("the agency is missing", {"agency": "Select the partner's agency"})
    if new_role is not Role.PARTNER:
        agency_code = None
    if agency_code is not None and (
        problem := service.partner_agency_problem(session, actor.force_code, agency_code)
    ):
        raise InvalidInput("the agency is not valid", problem)
    if user.id == actor.user_id and new_role is not Role(user.role):
        raise Conflict("you cannot change your own role")
    before = {"role": user.role, "agency": user.agency_code}
    if (user.role, user.agency_code) != (new_role.value, agency_code):
        user.role, user.agency_code = new_role.value, agency_code
        after = {"role": new_role.value, "agency": agency_code}
        _audit(session, actor, user, "update", {"before": before, "after": after})
        # The new grants (and whether a second factor is needed) apply from the next sign-in.
        service.end_sessions(session, user=user, actor=actor, reason="role_change")
    return _account(user, _now())


def unlock(session: Session, *, actor: Actor, user_id: int) -> Account:
    """Lift a lock-out after too many failed sign-ins."""
    require(actor, Action.USER_MANAGE)
    user = _load(session, actor, user_id)
    user.failed_logins = 0
    user.locked_until = None
    _audit(session, actor, user, "unlock", {})
    return _account(user, _now())


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """Give the account a new random password and return it (shown once to the admin, who
    passes it on; the audit event records that it was reset, never the password). The
    account's open sessions end."""
    require(actor, Action.USER_MANAGE)
    user = _load(session, actor, user_id)
    password = secrets.token_urlsafe(12)
    user.password_hash = service.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _audit(session, actor, user, "reset_password", {})
    # Whoever knew the old password may hold a session opened with it.
    service.end_sessions(session, user=user, actor=actor, reason="password_reset")
    return password


def reset_second_factor(session: Session, *, actor: Actor, user_id: int) -> Account:
    """Remove an account's second factor and recovery codes (a lost or changed phone) and end
    its sessions: it sets up a new one at its next sign-in. Not one's own: another
    administrator, or ``asbhub users reset-second-factor``, does that."""
    require(actor, Action.USER_MANAGE)
    user = _load(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("you cannot reset your own second factor")
    second_factor.reset(session, actor=actor, user=user)
    return _account(user, _now())

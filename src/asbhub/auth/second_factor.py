"""The second factor of a staff sign-in: TOTP (RFC 6238) with one-time recovery codes.

Which accounts need one is :func:`asbhub.auth.service.second_factor_required`. An account
without one enrols at its next sign-in, after its password: a secret is issued (shown as a QR
code and as text), and the first code that matches confirms it and issues ten recovery codes,
shown once. From then on each sign-in asks for a code of the authenticator app, or a recovery
code, each usable once. Every step is audited; wrong codes count towards the same lock-out as
wrong passwords; a code is refused a second time (replay) even inside its 90-second window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.auth.models import RecoveryCode, User
from asbhub.auth.service import actor_for, count_failure, end_sessions, signed_in
from asbhub.config import Settings
from asbhub.errors import Conflict, NotFound
from asbhub.permissions import Actor, system_actor

ISSUER = "asbhub"
STEP_SECONDS = 30  # RFC 6238's default, which every authenticator app uses
# Codes of the step before and after now are accepted too: a phone's clock a little off, or a
# code typed as it turned over.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1 to misread
_RECOVERY_LENGTH = 16  # 16 symbols of 32: 80 bits


@dataclass(frozen=True)
class Client:
    """Where a sign-in step comes from, for its audit event."""

    ip: str | None = None
    device: str | None = None


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment screen shows: the secret as a QR code and as text."""

    secret: str
    uri: str
    qr_svg: Markup

    @property
    def secret_groups(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def enrolled(user: User) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def _audit(
    session: Session,
    settings: Settings,
    user: User,
    client: Client,
    event: str,
    fields: Mapping[str, object],
    outcome: str = "success",
) -> None:
    actor = actor_for(user, settings=settings, client_ip=client.ip, device=client.device)
    record(
        session,
        actor=actor,
        event=event,
        action=AuditAction.LOGIN if event.endswith(":verify") else AuditAction.UPDATE,
        object_type="user",
        object_id=user.id,
        fields={"username": user.username, **fields},
        outcome=outcome,
    )


def _qr_svg(uri: str, label: str) -> Markup:
    """The QR code as inline SVG, drawn here (no image service, nothing from another site)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, light="#fff", title=label)
    # role=img with its <title> names the picture for screen readers (axe: svg-img-alt).
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


def start_enrolment(
    session: Session, *, settings: Settings, user: User, client: Client
) -> Enrolment:
    """The secret for ``user`` to add to an authenticator app, issued on first call and the
    same on later calls until confirmed (so reloading the page keeps the QR code scanned)."""
    if enrolled(user):
        raise Conflict("a second factor is already set up for this account")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        _audit(session, settings, user, client, "auth:second_factor:issue", {})
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    label = f"QR code to add {user.username} at {ISSUER} to an authenticator app"
    return Enrolment(user.totp_secret, uri, _qr_svg(uri, label))


def confirm_enrolment(
    session: Session, *, settings: Settings, user: User, code: str, client: Client
) -> list[str] | None:
    """Confirm enrolment with the first code from the app; return the recovery codes (to be
    shown once), or ``None`` if the code is wrong (counted and audited as refused)."""
    if enrolled(user) or user.totp_secret is None:
        raise Conflict("there is no second factor waiting to be confirmed")
    now = _now()
    reason = _check_totp(session, user, code)
    if reason is not None:
        count_failure(session, settings=settings, user=user, now=now)
        refused = {"reason": reason}
        _audit(session, settings, user, client, "auth:second_factor:confirm", refused, "denied")
        return None
    user.totp_confirmed_at = now
    codes = _issue_recovery_codes(session, user, now)
    signed_in(user, now)
    issued = {"recovery_codes": len(codes)}
    _audit(session, settings, user, client, "auth:second_factor:confirm", issued)
    return codes


def verify(session: Session, *, settings: Settings, user: User, code: str, client: Client) -> bool:
    """Check a sign-in code: six digits from the app, or one of the recovery codes.

    A wrong, replayed or already used code is refused, counted towards the lock-out and
    audited with the reason; a locked account is refused without counting."""
    now = _now()
    method = "totp" if _normal_totp(code) is not None else "recovery"
    locked = user.locked_until is not None and user.locked_until > now
    fields: dict[str, object] = {"method": method}
    if locked or not enrolled(user) or not user.active:
        reason: str | None = "locked" if locked else "not_enrolled"
    elif method == "totp":
        reason = _check_totp(session, user, code)
    else:
        reason = _use_recovery_code(session, user, code, now)
        fields["recovery_codes_left"] = recovery_codes_left(session, user)
    if reason is None:
        signed_in(user, now)
        _audit(session, settings, user, client, "auth:second_factor:verify", fields)
        return True
    if reason != "locked":
        count_failure(session, settings=settings, user=user, now=now)
    fields["reason"] = reason
    _audit(session, settings, user, client, "auth:second_factor:verify", fields, "denied")
    return False


def reset(session: Session, *, actor: Actor, user: User) -> None:
    """Remove ``user``'s second factor and recovery codes (an administrator's step, for a
    lost phone) and end its sessions: the account enrols again at its next sign-in."""
    had = enrolled(user)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(
        session,
        actor=actor,
        event="auth:second_factor:reset",
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.id,
        fields={"username": user.username, "was_enrolled": had},
        force_code=user.force_code,
    )
    end_sessions(session, user=user, actor=actor, reason="second_factor_reset")


def reset_from_command(session: Session, *, username: str, force_code: str) -> User:
    """:func:`reset` run by ``asbhub users reset-second-factor``, as the system actor: the way
    back in for the last administrator whose phone is gone (who holds the database holds
    the app anyway)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no account {username!r}")
    job = system_actor(job="users reset-second-factor", force_code=force_code)
    reset(session, actor=job, user=user)
    return user


# --- codes ---------------------------------------------------------------------------------------


def _normal_totp(code: str) -> str | None:
    digits = code.replace(" ", "").strip()
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def _check_totp(session: Session, user: User, code: str) -> str | None:
    """``None`` if ``code`` is the app's for now (give or take a step) and newer than the last
    one accepted, else why not (``wrong``, ``replayed``)."""
    assert user.totp_secret is not None
    digits = _normal_totp(code)
    if digits is None:
        return "wrong"
    totp = pyotp.TOTP(user.totp_secret, interval=STEP_SECONDS)
    current = int(time.time()) // STEP_SECONDS
    matched = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every candidate is compared, so the time taken does not say which step matched.
        if hmac.compare_digest(totp.generate_otp(step), digits):
            matched = step
    if matched is None:
        return "wrong"
    # One conditional UPDATE, so two requests racing with the same code cannot both win.
    won = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < matched),
        )
        .values(totp_last_step=matched)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return "replayed"
    session.refresh(user, ["totp_last_step"])
    return None


def _digest(code: str) -> str:
    normal = code.upper().replace("-", "").replace(" ", "").strip()
    return hashlib.sha256(normal.encode()).hexdigest()


def _issue_recovery_codes(session: Session, user: User, now: dt.datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(c), created_at=now) for c in codes
    )
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, code: str, now: dt.datetime) -> str | None:
    """Spend a recovery code: ``None`` if it was one of ``user``'s and unused, else
    ``wrong`` or ``used``. The conditional UPDATE lets only one of two racing uses win."""
    digest = _digest(code)
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount == 1:  # type: ignore[attr-defined]
        return None
    known = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest)
    )
    return "used" if known else "wrong"


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of ``user``'s recovery codes are still unused."""
    left = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return int(left or 0)

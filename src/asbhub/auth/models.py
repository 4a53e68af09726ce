"""The ``users`` table (local accounts with argon2 password hashes and their TOTP second
factor) and ``recovery_codes`` (the second factor's one-time fall-backs, hashed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.store.base import Base


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    # A permissions.Role value; kept as text so new roles need no DDL.
    role: Mapped[str] = mapped_column(String(40))
    force_code: Mapped[str] = mapped_column(String(40))
    agency_code: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Every session cookie carries the version it was opened under; bumping it (sign-out,
    # lock-out, role or password change) ends all of the user's sessions at once.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    # The TOTP second factor (RFC 6238, base32). Set when enrolment starts; confirmed once the
    # first code matched, and only then asked for at sign-in.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The last time step a code was accepted for: a code of that step or an earlier one is a
    # replay (someone who watched it typed), refused though it is still within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Made by ``asbhub demo`` (or a test's seed) with a published password: in development
    # mode only, such an account signs in without a second factor.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RecoveryCode(Base):
    """One of an account's one-time recovery codes, stored as a SHA-256 digest only.

    The codes are 80 random bits each, so a fast digest cannot be searched back to a code;
    argon2 would cost ten slow checks per attempt for nothing.
    """

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

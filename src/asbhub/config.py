"""One typed settings object, read from ``ASBHUB_*`` environment variables."""

from __future__ import annotations

import collections
import math
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"
# Values printed in docs, examples and tutorials: anyone can sign a cookie with them.
KNOWN_SECRETS = frozenset({DEFAULT_SECRET, "", "secret", "changeme", "change-me", "a"})
MIN_SECRET_BYTES = 32
# The Shannon estimate over the key's bytes. 32 random bytes as token_urlsafe(32) never scored
# below 185 bits in 10,000 draws; 16 random bytes as hex never above 127; a repeated character
# scores 0. 170 keeps the first and refuses the others.
MIN_SECRET_BITS = 170
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def secret_bits(secret: str) -> float:
    """Estimated entropy of ``secret`` in bits: its length times the Shannon entropy of its
    byte distribution. An upper bound for text a person chose, a fair one for random keys."""
    data = secret.encode()
    counts = collections.Counter(data)
    n = len(data)
    return -sum(c * math.log2(c / n) for c in counts.values()) if n else 0.0


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot sign sessions outside development mode, or ``None``."""
    if secret in KNOWN_SECRETS:
        return "is a published value"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    if secret_bits(secret) < MIN_SECRET_BITS:
        return "is too predictable (repeated or few distinct characters)"
    return None


class Settings(BaseSettings):
    """Runtime configuration. Every field is documented in ``config.example.env``."""

    model_config = SettingsConfigDict(env_prefix="ASBHUB_", env_file=None, extra="ignore")

    database_url: str = Field(
        "sqlite:///asbhub.db",
        description="SQLAlchemy URL of the store: SQLite (WAL) by default, or PostgreSQL.",
    )
    mode: Literal["development", "test", "production"] = Field(
        "development",
        description="development allows the default secret; test and production refuse it "
        "and any key shorter than 32 random bytes.",
    )
    secret_key: str = Field(
        DEFAULT_SECRET,
        description="Signs session cookies and CSRF tokens; must be set outside development mode.",
    )
    default_force: str = Field("essex", description="Force code used when a command names none.")
    login_max_failures: int = Field(
        5, description="Failed sign-ins in a row after which an account is locked."
    )
    login_lockout_minutes: int = Field(15, description="How long a locked account stays locked.")
    session_idle_minutes: int = Field(
        30,
        ge=1,
        description="A session unused for this long is signed out (besides the absolute limit "
        "of 10 hours from sign-in).",
    )
    db_wait_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How long a web request waits for a database lock before answering 503 "
        "with Retry-After (batch commands wait longer).",
    )
    db_pool_size: int = Field(
        15,
        ge=1,
        le=200,
        description="PostgreSQL connections each web worker process may hold at once (opened "
        "as needed); workers × this must stay below the server's max_connections.",
    )
    worker_threads: int = Field(
        0,
        ge=0,
        le=200,
        description="Threads each web worker process runs blocking work on (the database "
        "requests); 0: 2 on SQLite, whose work is CPU in this process, so that more threads "
        "only contend for the interpreter lock, and db_pool_size on PostgreSQL.",
    )
    db_pool_wait_seconds: float = Field(
        10.0,
        gt=0,
        le=60,
        description="How long a web request waits for a free PostgreSQL connection when all "
        "of its worker's are in use before answering 503 with Retry-After.",
    )
    audit_checkpoint_path: str = Field(
        "",
        description="File the keyed audit checkpoints are appended to; empty: beside the "
        "SQLite file (asbhub.db.checkpoints), none for PostgreSQL unless set.",
    )
    audit_checkpoint_minutes: int = Field(
        10, ge=1, description="How often the web app writes an audit checkpoint (and at shutdown)."
    )
    public_report_rate_limit: int = Field(
        10,
        description="Public reports accepted per client per minute; live chat starts are "
        "limited to the same number (counted separately).",
    )
    triage_rules_dir: str | None = Field(
        None,
        description="Folder of the force's own triage rule sets (risk.json, thrive.json, "
        "repeats.json, case_review.json, routing.json); each file found there replaces the "
        "packaged default of the same name.",
    )
    casework_rules_file: str | None = Field(
        None,
        description="The force's own SARA rule set (a JSON file shaped like "
        "casework/rules/sara.json: baseline window, radii, tools, review intervals); empty: "
        "the packaged one.",
    )
    retention_rules_dir: str | None = Field(
        None,
        description="Folder holding the force's own retention.json (record classes and their "
        "review periods); without one the packaged default applies.",
    )
    powers_rules_dir: str | None = Field(
        None,
        description="Folder holding the force's own rules table of the statutory powers "
        "(powers.json); it replaces the packaged one.",
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        problem = None if self.mode == "development" else secret_problem(self.secret_key)
        if problem:
            # Never echo the key itself: it may be a real one that is merely short.
            raise ValueError(
                f"ASBHUB_SECRET_KEY must be set to a strong value outside development mode: "
                f"it {problem}; make one with: {MAKE_SECRET}"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

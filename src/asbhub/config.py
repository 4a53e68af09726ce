"""One typed settings object, read from ``ASBHUB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    """Runtime configuration. Every field is documented in ``config.example.env``."""

    model_config = SettingsConfigDict(env_prefix="ASBHUB_", env_file=None, extra="ignore")

    database_url: str = Field(
        "sqlite:///asbhub.db",
        description="SQLAlchemy URL of the store: SQLite (WAL) by default, or PostgreSQL.",
    )
    mode: Literal["development", "test", "production"] = Field(
        "development",
        description="development allows the default secret; test and production refuse it.",
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

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "ASBHUB_SECRET_KEY must be set to a non-default value outside development mode"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

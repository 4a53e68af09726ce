"""Typed inputs and outputs of the audit log search."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, model_validator

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
PAGE_SIZE = 50
EXPORT_MAX = 50_000


class AuditFilters(BaseModel):
    """Every field is optional; they combine with AND."""

    who: str | None = Field(
        None, max_length=120, pattern=PRINTABLE, description="Part of the actor's name or role"
    )
    what: str | None = Field(
        None,
        max_length=80,
        pattern=PRINTABLE,
        description="Part of the event name (incidents:person:view) or its verb (view, export)",
    )
    subject: str | None = Field(
        None,
        max_length=80,
        pattern=r"^(\w+:)?\d+$",
        description="A record's id, optionally with its type (person:12, incident:40, user:3)",
    )
    case: str | None = Field(
        None,
        max_length=80,
        pattern=r"^([a-z_]+:)?\d+$",
        description="A case's id, with its kind (case_review:4, restorative_referral:2, case:7) "
        "or bare for any kind of case",
    )
    agency: str | None = Field(
        None,
        max_length=120,
        pattern=PRINTABLE,
        description="Part of the acting organisation's name (Thurrock Council, Essex Police)",
    )
    purpose: str | None = Field(None, max_length=40, pattern=PRINTABLE)
    date_from: dt.date | None = Field(None, description="On or after this day (UTC)")
    date_to: dt.date | None = Field(None, description="On or before this day (UTC)")

    @model_validator(mode="after")
    def _range(self) -> AuditFilters:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to: the end date must be the same as or after the start date")
        return self

    def active(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump(mode="json", exclude_none=True).items()}


class AuditRow(BaseModel):
    seq: int
    occurred_at: dt.datetime
    event: str
    action: str
    actor_name: str | None
    actor_role: str | None
    actor_organisation: str | None
    object_type: str | None
    object_id: str | None
    data_subjects: list[int]
    result_count: int | None
    purpose: str | None
    purpose_text: str | None
    channel: str
    outcome: str


class AuditPage(BaseModel):
    items: list[AuditRow]
    total: int
    next_before: int | None = Field(None, description="Pass as `before` for the next page")

"""Typed outputs of the analytics API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MonthlyCounts(BaseModel):
    months: list[str] = Field(description="YYYY-MM, oldest first")
    districts: list[str]
    counts: dict[str, list[int]] = Field(description="District -> count per month")
    total: int

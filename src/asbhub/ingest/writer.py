"""Quarantine: input rows that could not be stored, kept with their place and reason."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert

from asbhub.ingest.models import QuarantinedRow
from asbhub.ingest.schemas import Problem


def quarantine(conn: Connection, force_code: str | None, problems: Sequence[Problem]) -> int:
    """Store problems in the quarantine table; returns how many were stored."""
    if not problems:
        return 0
    conn.execute(
        insert(QuarantinedRow),
        [
            {
                "force_code": force_code,
                "source": p.source,
                "line": p.line,
                "raw_text": p.raw_text,
                "reason": p.reason,
            }
            for p in problems
        ],
    )
    return len(problems)

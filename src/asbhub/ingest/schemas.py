"""Typed results of an ingest run: one :class:`FileResult` per input file, summed in a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

# Enough to show what went wrong without flooding a terminal or a JSON consumer.
MAX_MESSAGES_PER_FILE = 50


class FileStatus(StrEnum):
    LOADED = "loaded"  # rows stored (some may have been quarantined)
    SKIPPED = "skipped"  # already loaded before: nothing stored
    NO_ROWS = "no_rows"  # readable, but nothing to store
    FAILED = "failed"  # could not be read at all
    CHANGED = "changed"  # its force-month is loaded from other content: not loaded (--replace)
    REPLACED = "replaced"  # its force-month was loaded from other content, now swapped for it


@dataclass
class Problem:
    """One bad row (or a whole-file problem at line 0/1) with its place and reason."""

    source: str
    line: int
    reason: str
    raw_text: str = ""

    def message(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class FileResult:
    """What happened to one input file (a plain CSV or one entry of a zip)."""

    source: str
    status: FileStatus = FileStatus.LOADED
    force_code: str | None = None
    month: str | None = None
    encoding: str | None = None
    rows: int = 0
    asb_rows: int = 0
    inserted: int = 0
    duplicates_skipped: int = 0
    quarantined: int = 0
    messages: list[str] = field(default_factory=list)
    messages_left_off: int = 0

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES_PER_FILE:
            self.messages.append(message)
        else:
            self.messages_left_off += 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "status": str(self.status),
            "force_code": self.force_code,
            "month": self.month,
            "encoding": self.encoding,
            "rows": self.rows,
            "asb_rows": self.asb_rows,
            "inserted": self.inserted,
            "duplicates_skipped": self.duplicates_skipped,
            "quarantined": self.quarantined,
            "messages": self.messages,
        }
        if self.messages_left_off:
            out["messages_left_off"] = self.messages_left_off
        return out


@dataclass
class IngestReport:
    """Totals of an ingest run; ``failed_files`` counts files that could not be read at all."""

    results: list[FileResult] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(int(getattr(r, name)) for r in self.results)

    @property
    def files(self) -> int:
        return len(self.results)

    @property
    def rows(self) -> int:
        return self._sum("rows")

    @property
    def asb_rows(self) -> int:
        return self._sum("asb_rows")

    @property
    def inserted(self) -> int:
        return self._sum("inserted")

    @property
    def duplicates_skipped(self) -> int:
        return self._sum("duplicates_skipped")

    @property
    def quarantined(self) -> int:
        return self._sum("quarantined")

    @property
    def failed_files(self) -> int:
        return sum(r.status is FileStatus.FAILED for r in self.results)

    @property
    def changed_files(self) -> int:
        return sum(r.status is FileStatus.CHANGED for r in self.results)

    @property
    def ok(self) -> bool:
        return self.failed_files == 0

    def messages(self) -> list[str]:
        return [m for r in self.results for m in r.messages]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows": self.rows,
            "asb_rows": self.asb_rows,
            "inserted": self.inserted,
            "duplicates_skipped": self.duplicates_skipped,
            "quarantined": self.quarantined,
            "failed_files": self.failed_files,
            "changed_files": self.changed_files,
            "details": [r.to_dict() for r in self.results],
        }


class Progress(Protocol):
    """Receives progress of a run; the CLI drives a Rich progress bar with it."""

    def start(self, total: int) -> None: ...

    def advance(self, result: FileResult) -> None: ...

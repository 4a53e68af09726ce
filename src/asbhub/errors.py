"""Domain errors: the core raises these; ``web`` and ``cli`` map them to responses and exits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal


class AsbhubError(Exception):
    """Base class of every error asbhub raises on purpose."""


class NotFound(AsbhubError):
    """The record asked for does not exist (or is not visible to the actor)."""


class NotPermitted(AsbhubError):
    """The actor may not perform the action."""


class Conflict(AsbhubError):
    """The change clashes with the stored state."""


class InvalidInput(AsbhubError):
    """Input failed validation; ``fields`` maps a field or a ``file:line`` place to its problem."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class RateLimited(AsbhubError):
    """The client has sent more reports (or started more chats) in the last minute than the
    force accepts; ``what`` says which."""

    def __init__(self, limit: int, what: Literal["reports", "chats"] = "reports") -> None:
        super().__init__(f"more than {limit} {what} a minute from one client")
        self.limit = limit
        self.what = what


class Unavailable(AsbhubError):
    """The store cannot take the request now (locked past the bounded wait, read-only, down);
    the caller may try again after ``retry_after`` seconds."""

    def __init__(self, message: str = "", retry_after: int = 30) -> None:
        super().__init__(message or "The service is busy. Please try again in a minute.")
        self.retry_after = retry_after

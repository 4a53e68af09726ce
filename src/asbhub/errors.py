"""Domain errors: the core raises these; ``web`` and ``cli`` map them to responses and exits."""

from __future__ import annotations

from collections.abc import Mapping


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

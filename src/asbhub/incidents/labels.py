"""The words people are shown for stored codes, in one place: enum values, audit events,
counts. Screens (the ``label`` and ``plural`` template filters), services that write
sentences (an incident's timeline) and reports all use these, never a raw code ("live_chat",
"active", "contact:chat:convert") or "s" pasted onto a number ("1 incidents").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from asbhub.audit.service import PURPOSES
from asbhub.incidents.models import (
    INCIDENT_TYPE_LABELS,
    Channel,
    IncidentStatus,
    PersonRole,
    Qualifier,
)
from asbhub.permissions import Role


class ChatStatus(enum.StrEnum):
    """The stored values of ``contact.models.ChatStatus``, repeated here because the incidents
    service labels its history with this module and contact already imports incidents: naming
    the contact enum here would close an import cycle. A StrEnum member equals its value, so
    either enum finds these labels; tests/unit/test_labels.py keeps the two in step."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


LABELS: dict[enum.Enum, str] = {
    Channel.EMERGENCY: "999 call",
    Channel.NON_EMERGENCY: "101 call",
    Channel.ONLINE: "Online report",
    Channel.LIVE_CHAT: "Live chat",
    Qualifier.PERSONAL: "Personal",
    Qualifier.NUISANCE: "Nuisance",
    Qualifier.ENVIRONMENTAL: "Environmental",
    ChatStatus.WAITING: "Waiting",
    ChatStatus.ACTIVE: "In progress",
    ChatStatus.CLOSED: "Ended",
    Role.CALL_HANDLER: "Call handler",
    Role.OFFICER: "Officer",
    Role.ASB_OFFICER: "ASB officer",
    Role.ANALYST: "Analyst",
    Role.SUPERVISOR: "Supervisor",
    Role.PARTNER: "Partner",
    Role.ADMIN: "Administrator",
}
LABELS.update({k: v for k, v in INCIDENT_TYPE_LABELS.items()})


def label(value: Any) -> str:
    """The shown word for a code (an enum member or its stored value); unknown codes are
    written out plainly ("case_review" -> "Case review") rather than shown raw."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum) and value in LABELS:
        return LABELS[value]
    for kind in (IncidentStatus, PersonRole):
        if isinstance(value, kind):
            return str(value.value).replace("_", " ").capitalize()
    text = str(value.value if isinstance(value, enum.Enum) else value)
    for member, word in LABELS.items():
        if member.value == text:
            return word
    if text in PURPOSES:
        return text.replace("_", " ").capitalize()
    return text.replace("_", " ").capitalize()


# What an audit event did to a record, as a timeline says it ("Recorded from a live chat").
EVENTS: dict[str, str] = {
    "public:report:create": "Reported online by the public",
    "contact:chat:convert": "Recorded from a live chat",
    "incidents:incident:record": "Recorded",
    "ingest:incidents:load": "Imported from the force's export",
    "auth:user:create": "Account added",
    "auth:user:update": "Role or agency changed",
    "auth:user:disable": "Account disabled",
    "auth:user:enable": "Account enabled",
    "auth:user:unlock": "Account unlocked",
    "auth:user:reset_password": "Password reset",
}


def event_label(event: str) -> str:
    """The plain words for an audit event name; an unlisted one reads "Incident update"."""
    if event in EVENTS:
        return EVENTS[event]
    parts = event.split(":")
    return " ".join(parts[1:] if len(parts) > 1 else parts).replace("_", " ").capitalize()


# Irregular plurals of the nouns the screens count.
_PLURALS = {"person": "people", "is": "are", "was": "were", "this": "these"}


def plural(n: int | None, noun: str, many: str | None = None) -> str:
    """``plural(1, "incident")`` -> "1 incident"; ``plural(5717, "incident")`` -> "5,717
    incidents"."""
    count = n or 0
    word = noun if count == 1 else (many or _PLURALS.get(noun, noun + "s"))
    return f"{count:,} {word}"


def choices(members: Iterable[enum.Enum]) -> list[tuple[str, str]]:
    """(value, label) pairs for a select."""
    return [(str(m.value), label(m)) for m in members]

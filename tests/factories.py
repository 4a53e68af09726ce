"""Shared test factories: one way to make an account, an actor or a new incident in a test.

Import as ``from factories import ...`` (the tests folder is on the path, as for ``webseed``).
Every name and number here is made up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from asbhub.agencies.service import reference_agency
from asbhub.auth.models import User
from asbhub.incidents.schemas import NewIncident
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope

RECEIVED = dt.datetime(2025, 3, 14, 18, 0)


def staff_actor(
    engine: Engine,
    username: str = "handler.a",
    role: Role = Role.CALL_HANDLER,
    display_name: str = "Handler A",
    agency_code: str | None = None,
) -> Actor:
    """A stored account (never signed in through the web) and the actor it acts as."""
    with session_scope(engine) as s:
        user = User(
            username=username,
            display_name=display_name,
            password_hash="x",
            role=role.value,
            force_code="essex",
            agency_code=agency_code,
        )
        s.add(user)
        s.flush()
        return Actor(
            user.id,
            username,
            display_name,
            role,
            agency=reference_agency("essex", agency_code) if agency_code else None,
            force_code="essex",
        )


def new_incident(**fields: Any) -> NewIncident:
    """A valid :class:`NewIncident` (an online noise report by default), with ``fields`` set."""
    base: dict[str, Any] = {"received_at": RECEIVED, "channel": "online", "opening_code": "noise"}
    return NewIncident.model_validate(base | fields)

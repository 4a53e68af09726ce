"""The demo database: Essex reference areas, six generated years and the shipped 2025 slice.

``make run`` builds it every time it starts, so a database that is already complete is
recognised with three counts and left alone.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from asbhub.agencies.service import load_reference_agencies
from asbhub.auth.models import User
from asbhub.auth.service import add_user, password_matches
from asbhub.config import Settings
from asbhub.contact.models import Chat
from asbhub.generate.calibration import chat_windows, year_targets
from asbhub.generate.places import SLICE
from asbhub.generate.schemas import REFERENCE_PREFIX
from asbhub.generate.service import generate
from asbhub.geography.service import load_reference
from asbhub.incidents.models import Incident
from asbhub.ingest.models import SourceLoad
from asbhub.permissions import system_actor
from asbhub.store.engine import session_scope, upgrade

DEMO_FORCE = "essex"
DEMO_SEED = 2021
DEMO_FROM, DEMO_TO = "2015-04", "2021-03"
SLICE_MONTHS = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))

# One sign-in per role so that someone with only the repository can try every screen.
# Created in development mode only: a known password has no place in a real deployment.
DEMO_PASSWORD = "asbhub-demo-password"
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("handler", "call_handler", None),
    ("officer", "officer", None),
    ("asbofficer", "asb_officer", None),
    ("analyst", "analyst", None),
    ("supervisor", "supervisor", None),
    ("partner", "partner", "thurrock-council"),
    ("admin", "admin", None),
)


def _demo_accounts(engine: Engine, settings: Settings) -> list[str]:
    """Create the missing demo accounts; return the usernames created."""
    if settings.mode != "development":
        return []
    created: list[str] = []
    with session_scope(engine) as session:
        load_reference_agencies(session, DEMO_FORCE)  # the demo partner's agency
        existing = {u.username: u for u in session.scalars(select(User))}
        for username, role, agency in DEMO_ACCOUNTS:
            if username not in existing:
                add_user(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    display_name=f"Demo {role.replace('_', ' ')}",
                    agency_code=agency,
                    force_code=DEMO_FORCE,
                    demo=True,
                )
                created.append(username)
            elif not existing[username].demo and password_matches(
                existing[username], DEMO_PASSWORD
            ):
                # Made before the flag existed (migration 0014): still the published password,
                # so still a demo account, let off the second factor in development mode.
                existing[username].demo = True
    return created


def demo_accounts_left(session: Session) -> list[str]:
    """The demo accounts in this database that still sign in with :data:`DEMO_PASSWORD`."""
    if not inspect(session.connection()).has_table(User.__tablename__):
        return []
    names = [name for name, _, _ in DEMO_ACCOUNTS]
    users = session.scalars(select(User).where(User.username.in_(names))).all()
    return sorted(u.username for u in users if password_matches(u, DEMO_PASSWORD))


def _state(engine: Engine) -> tuple[int, int, int]:
    """(generated incidents and chats in the demo period, 2025 force-months of public records
    loaded)."""
    with engine.connect() as conn:
        generated = conn.scalar(
            select(func.count(Incident.id)).where(
                Incident.force_code == DEMO_FORCE,
                Incident.reference.like(f"{REFERENCE_PREFIX}%"),
                Incident.received_at >= dt.datetime(2015, 4, 1),
                Incident.received_at < dt.datetime(2021, 4, 1),
            )
        )
        chats = conn.scalar(
            select(func.count(Chat.id)).where(
                Chat.force_code == DEMO_FORCE,
                Chat.token_hash.like(f"{REFERENCE_PREFIX}%"),
                Chat.started_at >= dt.datetime(2015, 4, 1),
                Chat.started_at < dt.datetime(2021, 4, 1),
            )
        )
        months = conn.scalar(
            select(func.count(SourceLoad.id)).where(
                SourceLoad.force_code == DEMO_FORCE,
                SourceLoad.month >= SLICE_MONTHS[0],
                SourceLoad.month < SLICE_MONTHS[1],
            )
        )
    return int(generated or 0), int(chats or 0), int(months or 0)


def build_demo(
    engine: Engine, *, settings: Settings, progress: Callable[[str], Any] | None = None
) -> dict[str, Any]:
    """Bring the database at ``engine`` to the complete demo state; report what was done.

    ``settings`` decide whether the demo sign-ins are made (development mode only)."""
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    upgrade(engine)
    with session_scope(engine) as session:
        areas = load_reference(session, DEMO_FORCE)
        load_reference_agencies(session, DEMO_FORCE)
    expected = sum(t.incidents for t in year_targets().values())
    expected_chats = sum(w.count for w in chat_windows())
    generated, chats, months = _state(engine)
    # A database generated before chat history was added is regenerated to gain it.
    complete = generated == expected and chats == expected_chats
    report: dict[str, Any] = {"reference_areas_added": areas}
    accounts = _demo_accounts(engine, settings)
    report["accounts_created"] = accounts
    if settings.mode == "development":
        say(
            "demo sign-ins (development mode only): "
            + ", ".join(u for u, _, _ in DEMO_ACCOUNTS)
            + f"; password {DEMO_PASSWORD!r}"
        )
    if complete and months == 12:
        say(
            f"demo database already built: {generated:,} generated incidents, {chats:,} chats "
            "and the 12 months "
            "of 2025 public records are in place"
        )
        report.update(already_built=True, seconds=round(time.perf_counter() - t0, 2))
        return report
    report["already_built"] = False
    job = system_actor(job="demo", force_code=DEMO_FORCE)
    if not complete:
        # A partial or differently-sized run (an interrupted demo, a test period) is redone.
        say(f"generating {DEMO_FROM}..{DEMO_TO} (seed {DEMO_SEED})")
        gen = generate(
            engine,
            force_code=DEMO_FORCE,
            start=DEMO_FROM,
            end=DEMO_TO,
            seed=DEMO_SEED,
            replace=generated > 0 or chats > 0,
            actor=job,
        )
        say(f"  {gen['incidents']:,} incidents, {gen['people']:,} people in {gen['seconds']} s")
        report["generated"] = {
            k: gen[k] for k in ("incidents", "people", "links", "locations", "chats")
        }
    if months < 12:
        from asbhub.ingest.police_uk import ingest_police_uk

        say("loading the shipped 2025 data.police.uk ASB slice")
        with resources.as_file(resources.files("asbhub") / "data" / DEMO_FORCE / SLICE) as path:
            ingest = ingest_police_uk(engine, [path], actor=job)
        summary: dict[str, Any] = ingest.to_dict()
        summary.pop("details", None)
        say(f"  {summary.get('inserted', 0):,} public records stored")
        report["public_records"] = summary
    report["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"demo database ready in {report['seconds']} s")
    return report

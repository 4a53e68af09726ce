"""How many requests run their blocking part at once: few on SQLite, whose work is CPU in the
process (more threads only contend for the interpreter lock), the pool's size on PostgreSQL;
a setting overrides both. Each list page's audit event is appended at its commit, and with a
single worker thread every page is still answered and audited."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from webseed import Seeded, sign_in

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.config import Settings
from asbhub.web.app import create_app


def _tokens(client: TestClient) -> float:
    async def read() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    return client.portal.call(read)  # type: ignore[union-attr]


@pytest.mark.parametrize("configured", [0, 7])
def test_worker_threads_follow_the_store_unless_set(
    db_url: str, seeded: Seeded, configured: int
) -> None:
    settings = Settings(mode="development", worker_threads=configured, db_pool_size=9)
    with TestClient(create_app(db_url, settings=settings)) as client:
        tokens = _tokens(client)
    if configured:
        assert tokens == configured
    else:
        assert tokens == (2 if db_url.startswith("sqlite") else 9)


def _lists_audited(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "incidents:incident:list")
        )
        return int(found.scalar_one())


def test_one_worker_thread_serves_concurrent_audited_lists(
    db_url: str, engine: Engine, seeded: Seeded
) -> None:
    """Twelve list pages from six threads through one worker thread: every one answered, its
    audit event appended at its commit, the chain unbroken."""
    settings = Settings(mode="development", worker_threads=1)
    before = _lists_audited(engine)
    with TestClient(create_app(db_url, settings=settings)) as client:
        sign_in(client, seeded.users["officer"])
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: client.get("/incidents").status_code, range(12)))
    assert answers == [200] * 12
    assert _lists_audited(engine) - before == 12
    with Session(engine) as session:
        assert verify(session).intact

"""One chat, two worker processes' apps: the public on one, the call handler on the other.

Each app built by ``create_app`` has its own chat hub, as each process of ``asbhub serve
--workers N`` does; only the database is shared. Every line and status change must still
reach the other side (PostgreSQL: LISTEN/NOTIFY; SQLite: each app reading the store).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from webseed import FAST_HASHER, csrf_of, sign_in

from asbhub.auth.service import add_user
from asbhub.contact.models import Chat
from asbhub.store.engine import session_scope
from asbhub.web.app import create_app

PASSWORD = "fictitious-password-3"


@pytest.fixture
def workers(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient]]:
    """(the public's client of one app, a call handler's client of another), lifespans run."""
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    with session_scope(engine) as s:
        add_user(s, username="handler9", password=PASSWORD, role="call_handler",
                 display_name="Test Handler9", force_code="essex", demo=True)  # fmt: skip
    first: FastAPI = create_app(db_url)
    second: FastAPI = create_app(db_url)
    assert first.state.chat_relay is not second.state.chat_relay
    with (
        TestClient(first, raise_server_exceptions=False) as public,
        TestClient(second, raise_server_exceptions=False) as handler,
    ):
        sign_in(handler, "handler9", PASSWORD)
        yield public, handler


def within(ws: Any, match: Callable[[dict[str, Any]], bool], seconds: float = 15) -> dict[str, Any]:
    """The first event ``match`` accepts, failing (not hanging) if none comes in time."""

    def wait() -> dict[str, Any]:
        while True:
            event: dict[str, Any] = ws.receive_json()
            if match(event):
                return event

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(wait).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def test_lines_and_status_cross_between_workers(
    workers: tuple[TestClient, TestClient], engine: Engine
) -> None:
    public, handler = workers
    r = public.post(
        "/chat",
        data={
            "display_name": "Sam",
            "topic": "Fireworks late",
            "csrf_token": csrf_of(public, "/chat"),
        },
        follow_redirects=False,
    )
    token = r.headers["location"].removeprefix("/chat/")
    with session_scope(engine) as s:
        chat_id = s.scalars(select(Chat.id).order_by(Chat.id.desc())).first()

    with public.websocket_connect(f"/chat/{token}/ws") as pws:
        within(pws, lambda e: e["type"] == "history")
        csrf = csrf_of(handler, f"/contact/chats/{chat_id}")
        r = handler.post(f"/contact/chats/{chat_id}/take", data={"csrf_token": csrf})
        assert r.status_code == 200
        # Taken on the other worker: the public's worker hears of it.
        joined = within(pws, lambda e: e["type"] == "status" and e["status"] == "active")
        assert joined["handler_name"] == "Test Handler9"

        with handler.websocket_connect(f"/contact/chats/{chat_id}/ws") as hws:
            within(hws, lambda e: e["type"] == "history")
            hws.send_json({"type": "message", "body": "Where are they?"})
            got = within(pws, lambda e: e["type"] == "message" and e["sender"] == "handler")
            assert got["body"] == "Where are they?"
            pws.send_json({"type": "message", "body": "Behind the shops"})
            got = within(hws, lambda e: e["type"] == "message" and e["sender"] == "public")
            assert got["body"] == "Behind the shops"
            # Each line reaches each side once, though two paths could bring it.
            pws.send_json({"type": "message", "body": "Still going"})
            seen = [within(hws, lambda e: e["type"] == "message")["body"]]
            hws.send_json({"type": "message", "body": "Thank you"})
            seen.append(within(hws, lambda e: e["type"] == "message")["body"])
            assert seen == ["Still going", "Thank you"]

        r = handler.post(f"/contact/chats/{chat_id}/close", data={"csrf_token": csrf})
        assert r.status_code == 200
        within(pws, lambda e: e["type"] == "status" and e["status"] == "closed")

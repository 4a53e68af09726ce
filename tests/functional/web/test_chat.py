"""Live chat through HTTP and WebSockets (TestClient), on both databases.

The public starts a chat, a call handler takes it from the queue, both talk in real time, the
handler records it as an incident and ends it; the transcript and times are stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from webseed import FAST_HASHER, csrf_of, sign_in

from asbhub.auth.service import add_user
from asbhub.contact.models import Chat, ChatStatus
from asbhub.incidents.models import Channel, Incident, IncidentType
from asbhub.store.engine import session_scope
from asbhub.web.app import create_app

PASSWORD = "fictitious-password-2"
USERS = {"handler1": "call_handler", "handler2": "call_handler", "analyst1": "analyst"}


@pytest.fixture
def app(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    # Cheap argon2 parameters: these tests are about chat, not password hashing.
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    with session_scope(engine) as s:
        for name, role in USERS.items():
            add_user(
                s,
                username=name,
                password=PASSWORD,
                role=role,
                display_name=f"Test {name.title()}",
                force_code="essex",
                demo=True,  # test accounts: no second factor in development mode
            )
    return create_app(db_url)


@pytest.fixture
def clients(app: FastAPI) -> Iterator[Callable[[str | None], TestClient]]:
    opened: list[TestClient] = []

    def make(username: str | None = None) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        if username:
            sign_in(c, username, PASSWORD)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def start_chat(public: TestClient, topic: str = "Bikes on the green") -> str:
    token = csrf_of(public, "/chat")
    r = public.post(
        "/chat",
        data={"display_name": "Sam", "topic": topic, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/chat/")
    return location.removeprefix("/chat/")


def until(ws: Any, match: Callable[[dict[str, Any]], bool], limit: int = 20) -> dict[str, Any]:
    for _ in range(limit):
        event: dict[str, Any] = ws.receive_json()
        if match(event):
            return event
    raise AssertionError("event not received")


def chat_id_of(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalars(select(Chat.id).order_by(Chat.id.desc())).first() or 0


def test_chat_from_start_to_incident(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    handler = clients("handler1")
    token = start_chat(public)
    chat_id = chat_id_of(engine)
    queue = handler.get("/contact/queue")
    assert queue.status_code == 200 and f"Take chat {chat_id}" in queue.text

    with public.websocket_connect(f"/chat/{token}/ws") as pws:
        history = until(pws, lambda e: e["type"] == "history")
        assert [m["body"] for m in history["messages"]] == ["Bikes on the green"]
        assert until(pws, lambda e: e["type"] == "status")["status"] == "waiting"

        csrf = csrf_of(handler, f"/contact/chats/{chat_id}")
        r = handler.post(f"/contact/chats/{chat_id}/take", data={"csrf_token": csrf})
        assert r.status_code == 200 and "Your reply" in r.text
        joined = until(pws, lambda e: e["type"] == "message")
        assert joined["sender"] == "system" and "Test Handler1 has joined" in joined["body"]
        assert until(pws, lambda e: e["type"] == "status")["status"] == "active"

        with handler.websocket_connect(f"/contact/chats/{chat_id}/ws") as hws:
            until(hws, lambda e: e["type"] == "status")
            hws.send_json({"type": "message", "body": "Where are they now?"})
            got = until(pws, lambda e: e["type"] == "message")
            assert got == {**got, "sender": "handler", "body": "Where are they now?"}
            assert got["name"] == "Test Handler1"
            pws.send_json({"type": "message", "body": "On the green by the church"})
            got = until(hws, lambda e: e["type"] == "message" and e["sender"] == "public")
            assert got["body"] == "On the green by the church" and got["name"] == "Sam"
            # A bad line is refused to its sender only, and nothing is stored.
            pws.send_json({"type": "message", "body": "   "})
            assert until(pws, lambda e: e["type"] == "error")["message"] == "Enter a message"
            pws.send_text("not json")
            assert until(pws, lambda e: e["type"] == "error")["message"] == "Unknown request"

        r = handler.post(
            f"/contact/chats/{chat_id}/incident",
            data={
                "csrf_token": csrf,
                "incident_type": "vehicle_nuisance",
                "qualifier": "nuisance",
                "place": "The green, Fictionville",
                "area": "E07000071",
                "summary": "Off-road bikes on the green",
            },
        )
        assert r.status_code == 200
        recorded = until(pws, lambda e: e["type"] == "message" and "Recorded" in e["body"])
        reference = recorded["body"].removeprefix("Recorded as incident ")
        assert f">{reference}</a>" in r.text

        r = handler.post(f"/contact/chats/{chat_id}/close", data={"csrf_token": csrf})
        assert r.status_code == 200
        closed = until(pws, lambda e: e["type"] == "status" and e["status"] == "closed")
        assert closed["incident_id"] is not None

    with session_scope(engine) as s:
        chat = s.get_one(Chat, (chat_id, "essex"))
        assert chat.status is ChatStatus.CLOSED
        assert chat.waiting_seconds is not None and chat.waiting_seconds >= 0
        assert chat.handling_seconds is not None and chat.handling_seconds >= 0
        bodies = [m.body for m in chat.messages]
        assert "Where are they now?" in bodies and "On the green by the church" in bodies
        assert "   " not in bodies
        inc = s.scalars(select(Incident).where(Incident.reference == reference)).one()
        assert chat.incident_id == inc.id
        assert inc.channel is Channel.LIVE_CHAT
        assert inc.opening_code is IncidentType.VEHICLE_NUISANCE
        assert (inc.local_authority_code, inc.district) == ("E07000071", "Colchester")
    page = public.get(f"/chat/{token}")
    assert "This chat has ended" in page.text and "Where are they now?" in page.text
    assert f"Take chat {chat_id}" not in handler.get("/contact/queue").text


def test_handler_socket_needs_a_signed_in_handler_and_same_origin(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    start_chat(public)
    chat_id = chat_id_of(engine)
    for who in (None, "analyst1"):
        c = clients(who)
        with (
            pytest.raises(WebSocketDisconnect) as exc,
            c.websocket_connect(f"/contact/chats/{chat_id}/ws"),
        ):
            pass
        assert exc.value.code == 1008
    handler = clients("handler1")
    with (
        pytest.raises(WebSocketDisconnect),
        handler.websocket_connect(
            f"/contact/chats/{chat_id}/ws", headers={"origin": "http://evil.example"}
        ),
    ):
        pass
    with handler.websocket_connect(
        f"/contact/chats/{chat_id}/ws", headers={"origin": "http://testserver"}
    ) as ws:
        assert ws.receive_json()["type"] == "history"
    with pytest.raises(WebSocketDisconnect), public.websocket_connect("/chat/not-a-token/ws"):
        pass
    assert public.get("/chat/not-a-token").status_code == 404


def test_only_the_handler_who_took_the_chat_replies(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    start_chat(public)
    chat_id = chat_id_of(engine)
    first, second = clients("handler1"), clients("handler2")
    csrf = csrf_of(first, f"/contact/chats/{chat_id}")
    assert (
        first.post(f"/contact/chats/{chat_id}/take", data={"csrf_token": csrf}).status_code == 200
    )
    csrf2 = csrf_of(second, f"/contact/chats/{chat_id}")
    r = second.post(f"/contact/chats/{chat_id}/take", data={"csrf_token": csrf2})
    assert r.status_code == 409
    with second.websocket_connect(f"/contact/chats/{chat_id}/ws") as ws:
        ws.send_json({"type": "message", "body": "I'll take over"})
        err = until(ws, lambda e: e["type"] == "error")
        assert "being handled by Test Handler1" in err["message"]


def test_chat_works_without_javascript(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    token = start_chat(public, topic="")
    csrf = csrf_of(public, f"/chat/{token}")
    r = public.post(f"/chat/{token}/messages", data={"body": "Hello?", "csrf_token": csrf})
    assert r.status_code == 200 and "Hello?" in r.text
    r = public.post(f"/chat/{token}/messages", data={"body": "", "csrf_token": csrf})
    assert r.status_code == 422 and "Enter a message" in r.text
    r = public.post(f"/chat/{token}/messages", data={"body": "no token"})
    assert r.status_code == 403
    r = public.post(f"/chat/{token}/end", data={"csrf_token": csrf})
    assert "This chat has ended" in r.text
    with session_scope(engine) as s:
        chat = s.get_one(Chat, (chat_id_of(engine), "essex"))
        assert chat.status is ChatStatus.CLOSED and chat.waiting_seconds is None
        assert chat.messages[0].body == "Hello?"


def test_staff_pages_follow_the_policy(clients: Callable[[str | None], TestClient]) -> None:
    anonymous, analyst, handler = clients(None), clients("analyst1"), clients("handler1")
    for path in ("/contact/queue", "/contact/chats/1", "/contact/channels"):
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert analyst.get("/contact/queue").status_code == 403
    assert analyst.get("/contact/channels").status_code == 200
    assert handler.get("/contact/queue").status_code == 200
    assert handler.get("/contact/channels").status_code == 403
    assert anonymous.get("/api/v1/channels/counts").status_code == 401
    assert handler.get("/api/v1/channels/counts").status_code == 403


def test_online_report_appears_in_the_handlers_queue(
    clients: Callable[[str | None], TestClient],
) -> None:
    public, handler = clients(None), clients("handler1")
    form = {
        "what": "noise",
        "description": "Loud music (fictitious).",
        "place": "1 Notreal Road",
        "area": "E07000070",
        "time": "22:00",
        "ongoing": "yes",
        "impact": "No sleep",
        "targeted": "yes",
        "strands": "disability",
        "contact": "anonymous",
        "consent": "yes",
    }
    day = datetime.now(UTC).date() - timedelta(days=2)
    form.update(
        {"when-day": str(day.day), "when-month": str(day.month), "when-year": str(day.year)}
    )
    r = public.post("/report", data={**form, "csrf_token": csrf_of(public, "/report")})
    m = re.search(r'id="reference">([A-Z0-9-]+)<', r.text)
    assert m, r.text
    queue = handler.get("/contact/queue")
    row = queue.text[queue.text.index(m.group(1)) :]
    row = row[: row.index("</tr>")]
    assert "Online report" in row and "Noise" in row and "Personal" in row and "Hate" in row
    # htmx refreshes only the queue fragment.
    partial = handler.get("/contact/queue", headers={"HX-Request": "true"})
    assert m.group(1) in partial.text and "<html" not in partial.text


def test_a_socket_cannot_flood_the_chat(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    token = start_chat(public, topic="")
    with public.websocket_connect(f"/chat/{token}/ws") as ws:
        for n in range(21):
            ws.send_json({"type": "message", "body": f"line {n}"})
        assert "Slow down" in until(ws, lambda e: e["type"] == "error", limit=40)["message"]
    with session_scope(engine) as s:
        chat = s.get_one(Chat, (chat_id_of(engine), "essex"))
        assert [m.body for m in chat.messages] == [f"line {n}" for n in range(20)]


def test_queue_showing_a_chatters_name_is_audited(
    clients: Callable[[str | None], TestClient], engine: Engine
) -> None:
    public = clients(None)
    handler = clients("handler1")
    events = "SELECT COUNT(*) FROM audit_events WHERE event = 'contact:queue:view'"
    with engine.connect() as conn:
        before = conn.exec_driver_sql(events).scalar_one()
    # An empty queue names nobody, so nothing is recorded.
    assert handler.get("/contact/queue").status_code == 200
    with engine.connect() as conn:
        assert conn.exec_driver_sql(events).scalar_one() == before
    start_chat(public)
    queue = handler.get("/contact/queue")
    assert queue.status_code == 200 and "Sam" in queue.text
    with engine.connect() as conn:
        assert conn.exec_driver_sql(events).scalar_one() == before + 1


def test_chat_starts_over_the_limit_get_a_readable_429_and_store_nothing(
    monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine
) -> None:
    monkeypatch.setenv("ASBHUB_PUBLIC_REPORT_RATE_LIMIT", "2")
    stored = "SELECT (SELECT COUNT(*) FROM chats), (SELECT COUNT(*) FROM chat_messages)"
    with TestClient(create_app(db_url)) as public:
        for _ in range(2):
            start_chat(public)
        with engine.connect() as conn:
            before = tuple(conn.exec_driver_sql(stored).one())
        assert before == (2, 2)
        r = public.post(
            "/chat",
            data={"topic": "Bikes again", "csrf_token": csrf_of(public, "/chat")},
            follow_redirects=False,
        )
        assert r.status_code == 429
        assert "Too many chats" in r.text and "up to 2 chats a minute" in r.text
        assert 'href="/chat"' in r.text
        assert r.headers["retry-after"] == "60"
        with engine.connect() as conn:
            assert tuple(conn.exec_driver_sql(stored).one()) == before
            keys = conn.exec_driver_sql("SELECT DISTINCT client_key FROM chats").scalars().all()
    # One keyed hash for the one client, never its address.
    assert len(keys) == 1 and keys[0] and len(keys[0]) == 64 and "testclient" not in keys[0]

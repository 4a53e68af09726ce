"""The contact services against both databases: reports become incidents, chats run their course."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from asbhub.contact.models import Chat, ChatSender, ChatStatus, PublicSubmission
from asbhub.contact.schemas import ChatToIncident, validate_report
from asbhub.contact.service import (
    chat_by_token,
    chat_to_incident,
    client_key,
    close_chat,
    create_online_report,
    post_message,
    start_chat,
    take_chat,
)
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted, RateLimited
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatus,
    IncidentType,
    Person,
    PersonRole,
    Qualifier,
)
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope
from factories import staff_actor

NOW = dt.datetime(2025, 3, 14, 18, 0)
CHELMSFORD = ("0.4691", "51.7356")


def form(**changes: object) -> dict[str, object]:
    f: dict[str, object] = {
        "what": "neighbours",
        "description": "Shouting next door (fictitious).",
        "place": "",
        "pin_lon": CHELMSFORD[0],
        "pin_lat": CHELMSFORD[1],
        "when-day": "13",
        "when-month": "3",
        "when-year": "2025",
        "time": "23:10",
        "ongoing": "no",
        "impact": "Frightened",
        "targeted": "yes",
        "strands": ["religion"],
        "contact": "details",
        "forename": "Fictio",
        "surname": "Testperson",
        "phone": "07700 900982",
        "consent": "yes",
    }
    f.update(changes)
    return f


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_report_becomes_a_located_online_incident_with_its_reporter(engine: Engine) -> None:
    report = validate_report(form(), now=NOW, force_code="essex")
    with session_scope(engine) as s:
        inc = create_online_report(
            s,
            report=report,
            force_code="essex",
            client=client_key("1.2.3.4", "k"),
            rate_limit=5,
            now=NOW,
        )
        ref = inc.reference
    assert ref.startswith("WEB-250314-")
    with session_scope(engine) as s:
        inc = s.scalars(select(Incident).where(Incident.reference == ref)).one()
        assert inc.channel is Channel.ONLINE and inc.status is IncidentStatus.NEW
        assert inc.opening_code is IncidentType.ROWDY_NUISANCE_NEIGHBOURS
        assert inc.qualifier is Qualifier.PERSONAL and inc.hate_motivated
        assert inc.local_authority_code == "E07000070"  # Chelmsford
        assert inc.district and inc.lsoa_code and inc.x_bng and 570000 < inc.x_bng < 580000
        roles = sorted(
            r.role
            for r in s.scalars(select(IncidentPerson).where(IncidentPerson.incident_id == inc.id))
        )
        assert roles == sorted([PersonRole.CALLER, PersonRole.VICTIM])
        sub = s.scalars(select(PublicSubmission)).one()
        assert sub.incident_id == inc.id and sub.hate_strands == ["religion"]
        assert sub.occurred_at == dt.datetime(2025, 3, 13, 23, 10) and not sub.anonymous
        assert "1.2.3.4" not in sub.client_key


def test_anonymous_report_stores_no_person(engine: Engine) -> None:
    report = validate_report(form(contact="anonymous", targeted="no"), now=NOW, force_code="essex")
    with session_scope(engine) as s:
        create_online_report(
            s, report=report, force_code="essex", client="c", rate_limit=5, now=NOW
        )
    assert count(engine, Person) == 0 and count(engine, Incident) == 1


def test_pin_outside_the_force_is_refused_and_nothing_stored(engine: Engine) -> None:
    report = validate_report(
        form(pin_lon="-0.1276", pin_lat="51.5072"), now=NOW, force_code="essex"
    )  # London
    with pytest.raises(InvalidInput) as exc, session_scope(engine) as s:
        create_online_report(
            s, report=report, force_code="essex", client="c", rate_limit=5, now=NOW
        )
    assert "outside Essex" in exc.value.fields["place"]
    assert count(engine, Incident) == 0 and count(engine, Person) == 0


def test_rate_limit_counts_reports_in_the_last_minute_per_client(engine: Engine) -> None:
    report = validate_report(form(), now=NOW, force_code="essex")
    for i in range(2):
        with session_scope(engine) as s:
            create_online_report(
                s,
                report=report,
                force_code="essex",
                client="a",
                rate_limit=2,
                now=NOW + dt.timedelta(seconds=i),
            )
    with pytest.raises(RateLimited), session_scope(engine) as s:
        create_online_report(
            s,
            report=report,
            force_code="essex",
            client="a",
            rate_limit=2,
            now=NOW + dt.timedelta(seconds=30),
        )
    with session_scope(engine) as s:  # another client is not held back
        create_online_report(
            s,
            report=report,
            force_code="essex",
            client="b",
            rate_limit=2,
            now=NOW + dt.timedelta(seconds=30),
        )
    with session_scope(engine) as s:  # a minute on, the first client may report again
        create_online_report(
            s,
            report=report,
            force_code="essex",
            client="a",
            rate_limit=2,
            now=NOW + dt.timedelta(seconds=61),
        )
    assert count(engine, Incident) == 4


def test_chat_starts_are_limited_per_client_apart_from_reports(engine: Engine) -> None:
    def start(client: str | None, seconds: int) -> Chat:
        with session_scope(engine) as s:
            chat, _ = start_chat(
                s,
                force_code="essex",
                display_name=None,
                topic="Bikes",
                client=client,
                rate_limit=None if client is None else 2,
                now=NOW + dt.timedelta(seconds=seconds),
            )
            return chat

    with session_scope(engine) as s:  # a report from the client does not use up its chats
        create_online_report(
            s,
            report=validate_report(form(), now=NOW, force_code="essex"),
            force_code="essex",
            client="a",
            rate_limit=2,
            now=NOW,
        )
    start(None, 0)  # chats without a client (generated) are never counted
    assert start("a", 1).client_key == "a"
    start("a", 2)
    with pytest.raises(RateLimited, match="2 chats a minute") as refused:
        start("a", 30)
    assert refused.value.what == "chats"
    start("b", 30)  # another client is not held back
    start("a", 62)  # a minute on, the first client may start a chat again
    assert count(engine, Chat) == 5


def _handler(engine: Engine, username: str = "handler.a") -> Actor:
    return staff_actor(engine, username)


def test_chat_lifecycle_times_transcript_and_incident(engine: Engine) -> None:
    t0 = dt.datetime(2025, 3, 14, 10, 0, 0)
    handler = _handler(engine)
    other = _handler(engine, "handler.b")
    analyst = Actor(
        user_id=999, username="an", display_name="An", role=Role.ANALYST, force_code="essex"
    )
    at = lambda seconds: t0 + dt.timedelta(seconds=seconds)  # noqa: E731
    bikes = ChatToIncident(IncidentType.VEHICLE_NUISANCE, Qualifier.NUISANCE, "The park", "Bikes")
    with session_scope(engine) as s:
        chat, token = start_chat(s, force_code="essex", display_name="Sam", topic="Bikes", now=t0)
        chat_id = chat.id
    assert len(token) >= 40
    with session_scope(engine) as s:
        chat = chat_by_token(s, token, force_code="essex")
        with pytest.raises(Conflict):  # not taken yet
            post_message(s, chat=chat, sender=ChatSender.HANDLER, body="hi", actor=handler)
        with pytest.raises(Conflict):
            chat_to_incident(s, actor=handler, chat=chat, details=bikes)
        with pytest.raises(NotPermitted):
            take_chat(s, actor=analyst, chat=chat, now=at(10))
        take_chat(s, actor=handler, chat=chat, now=at(75))
        with pytest.raises(Conflict):
            take_chat(s, actor=other, chat=chat, now=at(80))
        with pytest.raises(Conflict):  # only the handler who took it replies
            post_message(s, chat=chat, sender=ChatSender.HANDLER, body="me?", actor=other)
        post_message(
            s, chat=chat, sender=ChatSender.HANDLER, body="Where?", actor=handler, now=at(90)
        )
        post_message(s, chat=chat, sender=ChatSender.PUBLIC, body="The park", now=at(95))
        with pytest.raises(InvalidInput):
            post_message(s, chat=chat, sender=ChatSender.PUBLIC, body="   ")
        inc = chat_to_incident(s, actor=handler, chat=chat, details=bikes, now=at(100))
        assert inc.channel is Channel.LIVE_CHAT and inc.received_at == t0
        with pytest.raises(Conflict):
            chat_to_incident(s, actor=handler, chat=chat, details=bikes)
        close_chat(s, chat=chat, by=ChatSender.HANDLER, actor=handler, now=at(375))
        with pytest.raises(Conflict):
            post_message(s, chat=chat, sender=ChatSender.PUBLIC, body="hello?")
    with session_scope(engine) as s:
        chat = s.get_one(Chat, (chat_id, "essex"))
        assert chat.status is ChatStatus.CLOSED and chat.handler_id == handler.user_id
        assert chat.waiting_seconds == 75 and chat.handling_seconds == 300
        assert chat.incident is not None and chat.incident.reference.startswith("CHT-")
        bodies = [m.body for m in chat.messages]
        assert bodies[0] == "Bikes" and "Where?" in bodies and "The park" in bodies
        assert bodies[-1] == "The call handler ended the chat"
    with session_scope(engine) as s, pytest.raises(NotFound):
        chat_by_token(s, "not-a-token", force_code="essex")


def test_chat_closed_by_the_public_before_it_is_taken_has_no_handling_time(
    engine: Engine,
) -> None:
    t0 = dt.datetime(2025, 3, 14, 10, 0, 0)
    with session_scope(engine) as s:
        chat, _ = start_chat(s, force_code="essex", display_name=None, topic=None, now=t0)
        close_chat(s, chat=chat, by=ChatSender.PUBLIC, now=t0 + dt.timedelta(minutes=3))
        assert chat.status is ChatStatus.CLOSED
        assert chat.waiting_seconds is None and chat.handling_seconds is None
        assert chat.messages[-1].body == "The member of the public ended the chat"

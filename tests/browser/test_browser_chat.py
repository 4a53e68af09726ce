"""A live chat between two browser contexts, the public and a call handler, in Chromium:
taken from the queue, answered in real time over WebSockets, recorded as an incident, ended."""

from __future__ import annotations

import re
from typing import Any

from browserkit import LiveServer, sign_in
from playwright.sync_api import expect
from sqlalchemy import select

from asbhub.contact.models import Chat, ChatStatus
from asbhub.incidents.models import Channel, Incident
from asbhub.store.engine import make_engine, session_scope


def test_live_chat_becomes_an_incident(new_page: Any, live_server: LiveServer) -> None:
    public, handler = new_page(), new_page()
    public.goto("/chat")
    public.get_by_label(re.compile("What should we call you")).fill("Fictional Fran")
    public.get_by_label(re.compile("What would you like to talk about")).fill(
        "Youths throwing stones at the bus shelter (fictitious)"
    )
    public.get_by_role("button", name="Start chat").click()
    public.wait_for_url(re.compile(r"/chat/[\w-]{40,}$"))
    expect(public.locator("#chat-status")).to_contain_text("Waiting for a call handler")
    expect(public.locator("#chat-log")).to_have_attribute("data-connected", "1")

    sign_in(handler, live_server.seeded.users["call_handler"])
    handler.goto("/contact/queue")
    take = handler.get_by_role("button", name=re.compile(r"^Take chat \d+$")).last
    chat_id = int(take.inner_text().rsplit(" ", 1)[1])
    take.click()
    handler.wait_for_url(re.compile(rf"/contact/chats/{chat_id}$"))
    expect(handler.locator("#chat-log")).to_contain_text("throwing stones")
    expect(handler.locator("#chat-log")).to_have_attribute("data-connected", "1")
    # The public side hears at once that someone has joined.
    expect(public.locator("#chat-status")).to_contain_text(
        "You are chatting with Test Call Handler"
    )

    handler.get_by_label("Your reply").fill("Are they still there now?")
    handler.get_by_label("Your reply").press("Enter")
    expect(public.locator(".essex-chat__msg--handler")).to_contain_text("Are they still there now?")
    public.get_by_label("Your message").fill("Yes, five of them, by the shelter on Fake Street")
    public.get_by_role("button", name="Send").click()
    expect(handler.locator(".essex-chat__msg--public").last).to_contain_text("five of them")

    handler.get_by_label("Incident type").select_option("rowdy_inconsiderate")
    handler.get_by_label("Nuisance").check()
    handler.get_by_label("Place").fill("Bus shelter, Fake Street")
    handler.get_by_label("Town or council area").select_option(label="Tendring")
    handler.get_by_label("Summary").fill("Group throwing stones at the bus shelter, ongoing.")
    handler.get_by_role("button", name="Record incident").click()
    reference = handler.get_by_test_id("chat-incident").inner_text()
    assert reference.startswith("CHT-")
    expect(public.locator("#chat-log")).to_contain_text(f"Recorded as incident {reference}")

    handler.get_by_role("button", name="End chat").click()
    expect(public.locator("#chat-status")).to_have_text("This chat has ended.")
    expect(public.locator("#chat-form")).to_be_hidden()
    expect(public.locator("#chat-end")).to_be_hidden()

    handler.get_by_test_id("chat-incident").click()
    handler.wait_for_url(re.compile(r"/incidents/\d+$"))
    expect(handler.locator("main")).to_contain_text(reference)

    engine = make_engine(live_server.database_url)
    try:
        with session_scope(engine) as s:
            chat = s.get_one(Chat, (chat_id, "essex"))
            assert chat.status is ChatStatus.CLOSED
            assert chat.waiting_seconds is not None and chat.handling_seconds is not None
            incident = s.scalars(select(Incident).where(Incident.id == chat.incident_id)).one()
            assert incident.reference == reference and incident.channel is Channel.LIVE_CHAT
            bodies = [m.body for m in chat.messages]
            assert "Are they still there now?" in bodies
            assert "Yes, five of them, by the shelter on Fake Street" in bodies
    finally:
        engine.dispose()
    assert public.console_errors == [] and handler.console_errors == []

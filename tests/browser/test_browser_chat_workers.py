"""A live chat whose two sides are served by different worker processes of one app.

An ``asbhub serve`` process and an app served in the test's own process, on one PostgreSQL
database, are two workers as ``asbhub serve --workers 2`` runs them: each has its own chat hub
and shares only the database. The public's page and socket go to one, the call handler's to
the other (two ports, so which worker serves whom is certain rather than left to the kernel);
the lines cross by LISTEN/NOTIFY.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from browserkit import sign_in, track
from playwright.sync_api import expect

from asbhub.store.engine import make_engine
from asbhub.web.app import create_app
from functional.web.webseed import FAST_HASHER, seed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_here(url: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    """A worker in this process (as the shared live server runs)."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="chat-worker", daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{port}"


def _serve_apart(url: str) -> tuple[subprocess.Popen[bytes], str]:
    """A worker in a process of its own: ``asbhub serve``."""
    port = _free_port()
    env = {**os.environ, "ASBHUB_MODE": "development"}
    env.pop("ASBHUB_SECRET_KEY", None)
    cmd = [sys.executable, "-m", "asbhub.cli", "serve", "--db", url, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _wait_for(base: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/chat", timeout=2)
            return
        except httpx.TransportError:
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the worker at {base} did not start") from None
            time.sleep(0.1)


@pytest.fixture
def two_workers(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, str]]:
    """(public's worker URL, handler's worker URL, call handler's user name), one database."""
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    engine = make_engine(db_url)
    seeded = seed(engine, incidents_per_place=1)
    engine.dispose()
    proc, apart = _serve_apart(db_url)
    server, thread, here = _serve_here(db_url)
    try:
        _wait_for(here, thread.is_alive)
        _wait_for(apart, lambda: proc.poll() is None)
        yield apart, here, seeded.users["call_handler"]
    finally:
        server.should_exit = True
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        thread.join(timeout=10)


@pytest.fixture
def page_at(browser: Any) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def make(base_url: str) -> Any:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = track(context.new_page())
        page.console_errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()


# LISTEN/NOTIFY is the relay to see in a browser; SQLite's polling crosses in
# tests/functional/web/test_chat_workers.py.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_chat_across_two_workers(
    two_workers: tuple[str, str, str], page_at: Callable[[str], Any]
) -> None:
    public_url, handler_url, call_handler = two_workers
    public, handler = page_at(public_url), page_at(handler_url)
    public.goto("/chat")
    public.get_by_label(re.compile("What should we call you")).fill("Fictional Fran")
    public.get_by_label(re.compile("What would you like to talk about")).fill(
        "Music from the flat above every night (fictitious)"
    )
    public.get_by_role("button", name="Start chat").click()
    public.wait_for_url(re.compile(r"/chat/[\w-]{40,}$"))
    expect(public.locator("#chat-log")).to_have_attribute("data-connected", "1")

    sign_in(handler, call_handler)
    handler.goto("/contact/queue")
    handler.get_by_role("button", name=re.compile(r"^Take chat \d+$")).last.click()
    handler.wait_for_url(re.compile(r"/contact/chats/\d+$"))
    expect(handler.locator("#chat-log")).to_have_attribute("data-connected", "1")
    # Taken on the handler's worker; heard on the public's.
    expect(public.locator("#chat-status")).to_contain_text(
        "You are chatting with Test Call Handler"
    )

    handler.get_by_label("Your reply").fill("Which flat is it?")
    handler.get_by_label("Your reply").press("Enter")
    expect(public.locator(".essex-chat__msg--handler")).to_contain_text("Which flat is it?")
    public.get_by_label("Your message").fill("Number 4, above mine")
    public.get_by_role("button", name="Send").click()
    expect(handler.locator(".essex-chat__msg--public").last).to_contain_text("Number 4")

    handler.get_by_role("button", name="End chat").click()
    expect(public.locator("#chat-status")).to_have_text("This chat has ended.")
    assert public.console_errors == [] and handler.console_errors == []

"""Playwright fixtures shared by every browser test: a live server and Debian's Chromium.

- ``live_server``: uvicorn serving the real app in a thread, on a free port, against a temp
  SQLite database seeded with the web tests' fictitious data set and one account per role
  (user names in ``live_server.seeded.users``, password ``PASSWORD``).
- ``browser``: Chromium from ``ASBHUB_BROWSER``, else the first Chromium on the system. With
  none, the browser tests are left out with one line saying what to install; on CI (where a
  skip fails the run) they are kept, so a missing Chromium fails CI instead.
- ``page``: a fresh context and page per test; ``new_page()`` gives more (for example two
  people in a chat). Every page a test opened is screenshotted into
  ``test-artifacts/screenshots/`` when the test ends, pass or fail.
- ``sign_in(page, role)``: signs in through the form.
- ``public_records``: the real Essex 2025 data.police.uk ASB rows in the live server's store,
  for the hotspot pages (loaded once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from browserkit import LiveServer, sign_in, track
from sqlalchemy import func, insert, select

from asbhub.hotspots import service
from asbhub.hotspots.events import month_label, read_police_uk
from asbhub.ingest.models import PublicRecord
from asbhub.permissions import Actor, Role
from asbhub.store.engine import make_engine
from asbhub.web.app import create_app
from functional.web.webseed import FAST_HASHER, seed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUMS = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def find_chromium() -> str | None:
    named = os.environ.get("ASBHUB_BROWSER")
    if named:
        return named
    return next((found for name in CHROMIUMS if (found := shutil.which(name))), None)


BROWSER = find_chromium()
MISSING = (
    "browser tests not run: no Chromium found; install it (Debian: apt-get install chromium) "
    "or set ASBHUB_BROWSER to its path"
)
_missing = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    if ours and BROWSER is None and os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        config.hook.pytest_deselected(items=ours)
        left_out = set(map(id, ours))
        items[:] = [item for item in items if id(item) not in left_out]
        config.stash[_missing] = True


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash.get(_missing, False):
        terminalreporter.write_line(MISSING)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[LiveServer]:
    mp = pytest.MonkeyPatch()
    mp.setenv("ASBHUB_MODE", "development")
    # Cheap argon2 for the seeded accounts and for sign-in checks in this process.
    mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    path = tmp_path_factory.mktemp("browser") / "asbhub.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    seeded = seed(engine)
    engine.dispose()
    port = _free_port()
    config = uvicorn.Config(
        create_app(url), host="127.0.0.1", port=port, log_level="warning", ws="auto"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asbhub-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", url, seeded)
    server.should_exit = True
    thread.join(timeout=10)
    mp.undo()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if BROWSER is None or not shutil.which(BROWSER):
        pytest.skip(MISSING if BROWSER is None else f"no Chromium at {BROWSER} (ASBHUB_BROWSER)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=BROWSER, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def new_page(
    browser: Any, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Any]]:
    """Open pages in fresh browser contexts (separate cookies); all are screenshotted."""
    pages: list[Any] = []
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = track(context.new_page())
        page.console_errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        pages.append(page)
        return page

    yield make
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    for n, page in enumerate(pages):
        suffix = "" if n == 0 else f"-{n + 1}"
        # A crashed page must not hide the test's own failure.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    return new_page()


@pytest.fixture
def sign_in_as(live_server: LiveServer) -> Callable[[Any, str], None]:
    """``sign_in_as(page, "officer")``."""

    def go(page: Any, role: str) -> None:
        sign_in(page, live_server.seeded.users[role])

    return go


# The shared data sit beside the checkout, or beside the folder of worktrees.
POLICE_UK = next(
    (
        p / "shared" / "data" / "police-uk"
        for p in ROOT.parents
        if (p / "shared" / "data" / "police-uk").exists()
    ),
    ROOT.parent / "shared" / "data" / "police-uk",
)


HOTSPOT_ACTOR = Actor(user_id=1, username="warm", display_name="Cache warmer", role=Role.OFFICER,
                      force_code="essex")  # fmt: skip


@pytest.fixture(scope="session")
def public_records(live_server: LiveServer) -> None:
    """Essex 2025 ASB rows from the real files, as the ingest would store them."""
    if not POLICE_UK.exists():
        pytest.skip(f"no police-uk data at {POLICE_UK}")
    engine = make_engine(live_server.database_url)
    with engine.begin() as conn:
        have = conn.scalar(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.force_code == "essex")
        )
        if not have:
            paths = [POLICE_UK / "2025-01", *sorted(POLICE_UK.glob("2025-*.zip"))]
            f = read_police_uk(paths, "essex").frame
            rows = [
                {
                    "force_code": "essex",
                    "month": dt.date.fromisoformat(month_label(int(m)) + "-01"),
                    "reported_by": "Essex Police",
                    "falls_within": "Essex Police",
                    "x_bng": None if np.isnan(x) else float(x),
                    "y_bng": None if np.isnan(y) else float(y),
                    "mapped": not np.isnan(x),
                    "location": loc,
                    "crime_type": "Anti-social behaviour",
                    "source_file": "test",
                    "source_line": i + 2,
                }
                for i, (m, x, y, loc) in enumerate(
                    zip(f["month"], f["x"], f["y"], f["location"], strict=True)
                )
            ]
            conn.execute(insert(PublicRecord), rows)
    # The first page would compute the prediction (seconds on a busy machine): do it here,
    # into the same in-process cache the live server reads.
    service.hotspot_map(engine, actor=HOTSPOT_ACTOR)
    engine.dispose()

"""Helpers for browser tests; import them from here, not from conftest (see conftest.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functional.web.webseed import PASSWORD, Seeded


@dataclass
class LiveServer:
    url: str
    database_url: str
    seeded: Seeded


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # to the next page, or back to the form with an error
        page.get_by_role("button", name="Sign in").click()
    settle(page)


def track(page: Any) -> Any:
    """Count ``page``'s requests in flight, for ``settle``; the page factories call it."""
    inflight: set[Any] = set()
    # Playwright tags each handler, so they are functions rather than the set's own methods.
    page.on("request", lambda r: inflight.add(r))
    page.on("requestfinished", lambda r: inflight.discard(r))
    page.on("requestfailed", lambda r: inflight.discard(r))
    page.asbhub_inflight = inflight
    return page


def settle(page: Any, quiet: float = 0.1, timeout: float = 30.0) -> None:
    """Wait for the load event, then until no request has been in flight for ``quiet`` seconds.

    Playwright's "networkidle" is the same rule with a fixed quiet window of 500 ms, which was
    the larger part of the browser tests' time. The pages' own requests after load (htmx
    ``load`` triggers, the map's data) start before the load event or from a response that
    has just ended, well inside 100 ms.
    """
    inflight = getattr(page, "asbhub_inflight", None)
    if inflight is None:  # not made by a factory: it may have requests we never saw start
        track(page)
        page.wait_for_load_state("networkidle")
        return
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        now = time.monotonic()
        if inflight:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet:
            return
        if now > deadline:
            pending = sorted(r.url for r in inflight)
            raise AssertionError(f"still loading {page.url} after {timeout} s: {pending}")
        page.wait_for_timeout(20)  # lets Playwright deliver the request events


AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# WCAG 2.0, 2.1 and 2.2 at A and AA, plus axe's best practices (landmarks, headings), which the
# issue's review also ran.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in ``page`` and return its violations (rule id, impact, offending nodes).

    The engine is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the app's policy stays as strict in tests as in production.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )
    return result


def assert_axe_clean(page: Any, state: str = "") -> None:
    """Fail with every axe violation on the page as it is now, named by ``state``."""
    found = axe_violations(page)
    lines = [
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    ]
    assert not found, f"axe violations on {page.url} {state}:\n" + "\n".join(lines)

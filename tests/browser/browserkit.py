"""Helpers for browser tests; import them from here, not from conftest (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
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
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")

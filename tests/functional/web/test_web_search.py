"""Staff search: places by town, council area and district for every role, results counted and
paged, and a one-letter query explained rather than refused with a bare 422."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient
from webseed import Seeded

Clients = Callable[[str], TestClient]


def _refs(html: str) -> list[str]:
    return re.findall(r'href="/incidents/\d+">(ESX-TEST-\d+)</a>', html)


@pytest.mark.parametrize("role", ["analyst", "supervisor"])
def test_a_town_finds_its_council_areas_incidents(client_as: Clients, role: str) -> None:
    c = client_as(role)
    grays = c.get("/search?q=Grays")  # a town in Thurrock: not a district or council name
    assert grays.status_code == 200
    assert len(_refs(grays.text)) == 24
    assert "24 incidents match" in grays.text
    assert len(_refs(c.get("/search?q=thurrock").text)) == 24  # the council area itself


def test_a_partner_finds_only_its_own_area(client_as: Clients) -> None:
    c = client_as("partner")  # Basildon Council
    assert len(_refs(c.get("/search?q=Laindon").text)) == 24  # a town in Basildon
    assert _refs(c.get("/search?q=Grays").text) == []  # Thurrock is not the partner's


def test_results_are_paged(
    client_as: Clients, monkeypatch: pytest.MonkeyPatch, seeded: Seeded
) -> None:
    monkeypatch.setattr("asbhub.incidents.service.SEARCH_LIMIT", 10)
    c = client_as("analyst")
    seen: list[str] = []
    url = "/search?q=Colchester"
    while url:
        page = c.get(url).text
        seen += _refs(page)
        nxt = re.search(r'data-testid="search-next" href="([^"]+)"', page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert len(seen) == len(set(seen)) == 24  # every match once, over three pages
    api = c.get("/api/v1/search?q=Colchester").json()
    assert api["total"] == 24 and len(api["incidents"]) == 10 and api["next_cursor"]


def test_one_letter_is_explained(client_as: Clients) -> None:
    r = client_as("analyst").get("/search?q=G")
    assert r.status_code == 422
    assert "Enter at least 2 characters" in r.text and 'id="q"' in r.text  # the form is there

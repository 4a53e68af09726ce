"""The powers on a case through HTTP: the case links to them, a power drafted from the case
for its offender, the list's htmx fragment filtered by state, and the bad filters refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import Seeded, csrf_of

from caseseed import Area, offender_case

TENDRING = Area(1.1550, 51.7890, "E07000076", "Tendring", "tendring-council")
OFFENDER = ("Partialus", "Rowlandby")


def test_powers_on_a_case_page_form_and_fragment(
    client_as: Callable[[str], TestClient], seeded: Seeded, engine: Engine
) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    w, case_id = offender_case(
        engine,
        now,
        area=TENDRING,
        prefix="HPC-",
        people=(("Htmxina", "Casefold"), OFFENDER),
        suspect_born=dt.date(1988, 2, 3),
    )
    officer = client_as("asb_officer")
    assert f'href="/cases/{case_id}/powers"' in officer.get(f"/cases/{case_id}").text
    page = officer.get(f"/cases/{case_id}/powers")
    assert page.status_code == 200
    assert "No powers have been added to this case." in page.text
    assert f"{' '.join(OFFENDER)} (offender on the case)" in page.text

    form = f"/powers/new?power=CPW&person_id={w.suspect}&case_id={case_id}"
    r = officer.get(form)
    assert r.status_code == 200 and f'name="case_id" value="{case_id}"' in r.text
    assert officer.get(f"/powers/new?power=CPN&person_id=&case_id={case_id}").status_code == 200
    data = {
        "power": "CPW",
        "person_id": str(w.suspect),
        "case_id": str(case_id),
        "subject_type": "individual",
        "issuer": "police",
        "issuer_rank": "constable",
        "confirmed": ["detrimental_persistent_effect", "conduct_unreasonable"],
        "terms": "Stop the gatherings on the stairwell after 9pm.",
        "csrf_token": csrf_of(officer, form),
    }
    created = officer.post("/powers/new", data=data, follow_redirects=False)
    assert created.status_code == 303, created.text
    record = created.headers["location"].rsplit("/", 1)[1]
    shown = officer.get(f"/powers/{record}").text
    assert f'href="/cases/{case_id}/powers"' in shown and "SARA-" in shown

    fragment = officer.get(f"/cases/{case_id}/powers?state=draft", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'href="/powers/{record}"' in fragment.text and " ".join(OFFENDER) in fragment.text
    ended = officer.get(f"/cases/{case_id}/powers?state=ended", headers={"HX-Request": "true"})
    assert "There are no ended powers on this case." in ended.text
    assert officer.get(f"/cases/{case_id}/powers?state=lost").status_code == 422
    # A partner may not see powers at all; a case that does not exist is not found.
    assert client_as("partner").get(f"/cases/{case_id}/powers").status_code == 403
    assert officer.get(f"/cases/{case_id + 999}/powers").status_code == 404

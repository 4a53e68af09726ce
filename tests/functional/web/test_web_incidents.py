"""Staff screens and their API through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, text, update
from starlette.testclient import TestClient
from webseed import CANARY_PEOPLE, PLACES, Seeded, csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.incidents.models import Incident
from asbhub.store.engine import session_scope

Client = Callable[[str], TestClient]


def test_list_filters_combine(client_as: Client, seeded: Seeded) -> None:
    c = client_as("officer")
    everything = c.get("/api/v1/incidents?limit=200").json()
    assert everything["count"] == len(seeded.incident_ids) == 72
    r = c.get("/api/v1/incidents?district=Colchester&covid=true&limit=200").json()
    assert r["count"] == len(r["items"]) > 0
    assert all(i["district"] == "Colchester" and i["covid_breach"] for i in r["items"])
    # The seed's one such combination per place (k = 13); 101 calls are all attended there.
    r = c.get("/api/v1/incidents?qualifier=environmental&attended=false&channel=999").json()
    assert len(r["items"]) == 3
    for i in r["items"]:
        assert (i["qualifier"], i["attended"], i["channel"]) == ("environmental", False, "999")
    r = c.get("/api/v1/incidents?date_from=2021-03-20&date_to=2021-03-25&limit=200").json()
    assert r["items"] and all(
        "2021-03-20" <= i["received_at"][:10] <= "2021-03-25" for i in r["items"]
    )
    r = c.get("/api/v1/incidents?local_authority=E06000034&type=noise").json()
    assert r["items"] and all(
        i["local_authority_code"] == "E06000034" and i["type"] == "noise" for i in r["items"]
    )


def test_keyset_paging_walks_every_incident_once_newest_first(
    client_as: Client, seeded: Seeded
) -> None:
    c = client_as("analyst")
    seen, after, pages = [], "", 0
    while True:
        page = c.get(f"/api/v1/incidents?limit=10&after={after}").json()
        seen += [(i["received_at"], i["id"]) for i in page["items"]]
        pages += 1
        if not page["next_cursor"]:
            break
        after = page["next_cursor"]
    assert pages == 8
    assert len(seen) == len(set(seen)) == len(seeded.incident_ids)
    assert seen == sorted(seen, reverse=True)
    assert c.get("/api/v1/incidents?after=garbage").status_code == 422


def test_count_is_capped(
    client_as: Client, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("asbhub.incidents.service.COUNT_CAP", 30)
    c = client_as("officer")
    page = c.get("/api/v1/incidents?limit=5").json()
    assert (page["count"], page["count_capped"]) == (30, True)
    html = c.get("/incidents").text
    assert 'hx-get="/incidents/count?"' in html  # the rows come first; the count follows
    assert "<strong>30+</strong>" in c.get("/incidents/count").text
    assert "<html" not in c.get("/incidents/count", headers={"HX-Request": "true"}).text


def test_list_page_works_without_javascript_and_as_htmx_partial(
    client_as: Client, seeded: Seeded
) -> None:
    c = client_as("officer")
    # A plain GET form sends every field, blank ones included.
    blank = "date_from=&date_to=&district=Thurrock&local_authority=&qualifier=&type="
    full = c.get(f"/incidents?{blank}&channel=&covid=&attended=")
    assert full.status_code == 200 and "<html" in full.text and 'id="filters"' in full.text
    assert "Madeup Road" in full.text and "Pretend Street" not in full.text
    part = c.get("/incidents?district=Thurrock", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    assert 'data-testid="incident-table"' in part.text
    # Thurrock's incidents fit on one page, so the count needs no second query.
    assert f"<strong>{seeded.by_district['Thurrock']}</strong>" in part.text


def test_partner_sees_only_its_area_and_no_identities(client_as: Client, seeded: Seeded) -> None:
    c = client_as("partner")
    page = c.get("/api/v1/incidents?limit=200").json()
    assert page["count"] == seeded.by_district["Basildon"]
    assert {i["local_authority_code"] for i in page["items"]} == {"E07000066"}
    assert all(i["location_text"] is None for i in page["items"])
    colchester = c.get("/api/v1/incidents?district=Colchester").json()
    assert colchester["count"] == 0
    outside = next(i for i in c.get("/api/v1/incidents?limit=1").json()["items"])  # inside its area
    detail = c.get(f"/api/v1/incidents/{outside['id']}").json()
    assert detail["personal_data_shown"] is False and detail["narrative"] is None
    assert detail["people"] and all(
        p["person_id"] is None and p["label"].startswith("P-") for p in detail["people"]
    )
    # An incident in another area is simply not found for the partner.
    officer = client_as("officer")
    colchester_id = officer.get("/api/v1/incidents?district=Colchester").json()["items"][0]["id"]
    assert c.get(f"/api/v1/incidents/{colchester_id}").status_code == 404
    assert c.get(f"/incidents/{colchester_id}").status_code == 404


def test_incident_page_links_and_timeline(client_as: Client, seeded: Seeded) -> None:
    c = client_as("officer")
    first = seeded.incident_ids[0]  # attended, at a stored location, victim linked
    html = c.get(f"/incidents/{first}").text
    assert seeded.references[0] in html
    assert "Received by" in html and "Police attended" in html
    assert f'href="/people/{seeded.person_ids[0]}"' in html
    assert f'href="/locations/{seeded.location_ids[0]}"' in html
    assert 'data-testid="nearby"' in html
    assert CANARY_PEOPLE[0][1] in html  # positive control for the policy test's canaries


def test_person_page_lists_all_roles_and_is_audited_with_purpose(
    client_as: Client, seeded: Seeded, engine: Engine
) -> None:
    c = client_as("asb_officer")
    token = csrf_of(c, "/purpose")
    r = c.post(
        "/purpose",
        data={
            "purpose": "case_review",
            "purpose_text": "ASB case review 2026/014",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    pid = seeded.person_ids[0]
    person = c.get(f"/api/v1/people/{pid}").json()
    assert (person["forename"], person["surname"]) == CANARY_PEOPLE[0]
    roles = {pi["role"] for pi in person["incidents"]}
    assert roles == {"victim", "suspect", "caller"}
    assert len(person["incidents"]) == len(seeded.incident_ids) // 3
    html = c.get(f"/people/{pid}").text
    assert "recorded in the audit log" in html
    with session_scope(engine) as s:
        events = (
            s.execute(select(AuditEvent).where(AuditEvent.event == "incidents:person:view"))
            .scalars()
            .all()
        )
        assert len(events) == 2
        e = events[-1]
        assert e.actor_role == "asb_officer" and e.data_subjects == [pid]
        assert (e.purpose, e.purpose_text) == ("case_review", "ASB case review 2026/014")
        assert e.channel == "ui" and events[0].channel == "api"
        assert e.object_type == "person" and e.object_id == str(pid)
        assert verify(s).intact


def test_audit_chain_detects_tampering(
    client_as: Client, seeded: Seeded, audit_unguarded: Engine
) -> None:
    engine = audit_unguarded
    c = client_as("officer")
    c.get(f"/people/{seeded.person_ids[1]}")
    c.get(f"/incidents/{seeded.incident_ids[1]}")
    with session_scope(engine) as s:
        assert verify(s).intact
        target = s.execute(
            select(AuditEvent.seq).where(AuditEvent.event == "incidents:person:view")
        ).scalar_one()
        s.execute(
            update(AuditEvent).where(AuditEvent.seq == target).values(actor_name="Someone Else")
        )
    with session_scope(engine) as s:
        check = verify(s)
        assert not check.intact and check.first_broken_seq == target


def test_search_by_reference_place_and_person(client_as: Client, seeded: Seeded) -> None:
    c = client_as("call_handler")
    r = c.get(f"/search?q={seeded.references[5].lower()}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{seeded.incident_ids[5]}"
    places = c.get("/api/v1/search?q=pretend street").json()
    assert places["kind"] == "place" and places["incidents"]
    assert all("Pretend Street" in i["location_text"] for i in places["incidents"])
    people = c.get(f"/api/v1/search?q={CANARY_PEOPLE[2][0]} {CANARY_PEOPLE[2][1][:4]}").json()
    assert [p["id"] for p in people["people"]] == [seeded.person_ids[2]]
    assert people["people"][0]["incidents"] == len(seeded.incident_ids) // 3
    # An analyst searching the same name learns nothing about people.
    analyst = c_json = client_as("analyst").get(f"/api/v1/search?q={CANARY_PEOPLE[2][1]}").json()
    assert analyst["people"] == [] and c_json["incidents"] == []
    assert c.get("/api/v1/search?q=x").status_code == 422


def test_location_radius_is_exact(client_as: Client, seeded: Seeded, engine: Engine) -> None:
    c = client_as("officer")
    loc = seeded.location_ids[0]
    near = c.get(f"/api/v1/locations/{loc}/incidents?radius=60").json()
    with session_scope(engine) as s:
        rows = s.execute(select(Incident.id, Incident.x_bng, Incident.y_bng)).all()
    x0, y0 = near["x_bng"], near["y_bng"]
    expected = {i for i, x, y in rows if math.hypot(x - x0, y - y0) <= 60}
    assert {i["id"] for i in near["items"]} == expected
    assert 0 < len(expected) < seeded.by_district["Basildon"]  # the circle cuts the cluster
    assert all(i["distance_m"] <= 60 for i in near["items"])
    wide = c.get(f"/api/v1/locations/{loc}/incidents?radius=2000").json()
    assert wide["total"] == seeded.by_district["Basildon"]
    lon, lat = PLACES[1][2], PLACES[1][3]
    pt = c.get(f"/api/v1/near?lon={lon}&lat={lat}&radius=2000").json()
    assert pt["total"] == seeded.by_district["Colchester"]
    html = c.get(f"/locations/{loc}?radius=60").text
    assert "data-map=" in html and f"<strong>{len(expected)}</strong>" in html
    assert c.get(f"/api/v1/locations/{loc}/incidents?radius=0").status_code == 422


def test_dashboard_counts_by_month_and_district(client_as: Client, seeded: Seeded) -> None:
    c = client_as("supervisor")
    counts = c.get("/api/v1/dashboard/monthly").json()
    assert counts["total"] == len(seeded.incident_ids)
    assert set(counts["districts"]) == {"Basildon", "Colchester", "Thurrock"}
    assert counts["months"][-1] == "2021-03"
    assert {d: sum(v) for d, v in counts["counts"].items()} == seeded.by_district
    html = c.get("/").text
    assert "data-chart=" in html and 'data-testid="monthly-table"' in html
    partner = client_as("partner").get("/api/v1/dashboard/monthly").json()
    assert partner["districts"] == ["Basildon"]
    admin = client_as("admin").get("/").text
    assert "does not include incident figures" in admin


def test_type_follows_the_closing_code(client_as: Client, seeded: Seeded, engine: Engine) -> None:
    """NSIR returns and the qualifier use the closing code, so the type filter does too."""
    c = client_as("officer")
    target = seeded.incident_ids[0]
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE incidents SET opening_code = 'hoax_call', "
                "closing_code = 'malicious_communications' WHERE id = :id"
            ),
            {"id": target},
        )
    closed_as = c.get("/api/v1/incidents?type=malicious_communications&limit=200").json()
    assert target in [i["id"] for i in closed_as["items"]]
    assert all(i["type"] == "malicious_communications" for i in closed_as["items"])
    opened_as = c.get("/api/v1/incidents?type=hoax_call&limit=200").json()
    assert target not in [i["id"] for i in opened_as["items"]]
    detail = c.get(f"/api/v1/incidents/{target}").json()
    assert (detail["type"], detail["opening_code"], detail["closing_code"]) == (
        "malicious_communications",
        "hoax_call",
        "malicious_communications",
    )
    page = c.get(f"/incidents/{target}").text
    assert "(opened as hoax call)" in page

"""``POST /api/v1/triage`` and ``asbhub triage assess`` give the same decision; the life API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner
from webseed import Seeded, csrf_of

from asbhub.cli import app as cli

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "call.json"
runner = CliRunner()


def post(c: TestClient, path: str, body: object) -> object:
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf_of(c)})


def test_api_and_cli_give_the_same_decision(
    client_as: Callable[[str], TestClient], db_url: str, seeded: Seeded
) -> None:
    c = client_as("call_handler")
    call = json.loads(EXAMPLE.read_text())
    r = post(c, "/api/v1/triage", call)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    api = r.json()  # type: ignore[attr-defined]
    out = runner.invoke(
        cli,
        [
            "triage",
            "assess",
            str(EXAMPLE),
            "--json",
            "--db",
            db_url,
            "--user",
            seeded.users["call_handler"],
        ],
    )
    assert out.exit_code == 0, out.output
    local = json.loads(out.stdout)
    for d in (api, local):
        d.pop("assessed_at")
    assert api == local
    # Worked by hand in docs/triage.md: 2 + 1 + 1 + 1 + 1 + 2 + 1 + 1 = 10, medium.
    assert (api["risk"]["score"], api["risk"]["level"]) == (10, "medium")
    assert api["outcome"] == "attend" and api["grade"] == "scheduled"
    # The seeded Colchester incidents lie within 50 m of the example's point.
    assert set(api["always_attend"]) == {
        "vulnerability",
        "identifiable_offender",
        "repeat_location",
    }
    place = next(r for r in api["repeats"] if r["kind"] == "location")
    assert place["repeat"] and all(
        i["reference"].startswith("ESX-TEST-") for i in place["incidents"]
    )
    assert api["partner"] == "housing_provider"
    assert [r["due_on"] for r in api["reviews"]] == ["2021-04-17", "2021-05-15"]
    assert api["versions"]["risk"] == "asbhub-default-risk-2026.1"


def test_bad_call_descriptions_name_the_field(
    client_as: Callable[[str], TestClient], db_url: str, seeded: Seeded, tmp_path: Path
) -> None:
    c = client_as("call_handler")
    call = json.loads(EXAMPLE.read_text())
    call["answers"]["q2"] = "perhaps"
    call["thrive"]["threat"]["level"] = "severe"
    r = post(c, "/api/v1/triage", call)
    assert r.status_code == 422  # type: ignore[attr-defined]
    fields = r.json()["error"]["fields"]  # type: ignore[attr-defined]
    assert any("q2" in k for k in fields) and any("threat" in k for k in fields)
    bad = tmp_path / "call.json"
    bad.write_text(json.dumps(call))
    out = runner.invoke(
        cli, ["triage", "assess", str(bad), "--db", db_url, "--user", seeded.users["call_handler"]]
    )
    assert out.exit_code == 2 and "answers.q2" in out.output and "thrive.threat.level" in out.output
    bad.write_text('{"incident_type": "noise",\n "thrive": }')
    out = runner.invoke(
        cli, ["triage", "assess", str(bad), "--db", db_url, "--user", seeded.users["call_handler"]]
    )
    assert out.exit_code == 2 and f"{bad}:2" in out.output
    out = runner.invoke(cli, ["triage", "assess", str(EXAMPLE), "--db", db_url, "--user", "nobody"])
    assert out.exit_code == 2 and "--user" in out.output
    out = runner.invoke(
        cli, ["triage", "assess", str(EXAMPLE), "--db", db_url, "--user", seeded.users["analyst"]]
    )
    assert out.exit_code == 4


def test_the_life_of_an_incident_through_the_api(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    handler, officer, sup = (client_as(r) for r in ("call_handler", "officer", "supervisor"))
    incident = seeded.incident_ids[1]  # a new 999 call in Basildon
    call = json.loads(EXAMPLE.read_text())
    del call["location"], call["received_at"], call["occurred_at"]
    call["case_review_informed"] = True
    r = post(handler, f"/api/v1/incidents/{incident}/triage", call)
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "spoc" in r.json()["error"]["fields"]  # type: ignore[attr-defined]
    call["spoc"] = seeded.users["officer"]
    r = post(handler, f"/api/v1/incidents/{incident}/triage", call)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.json()["status"] == "triaged"  # type: ignore[attr-defined]
    r = post(handler, f"/api/v1/incidents/{incident}/assign", {"assignee": seeded.users["officer"]})
    assert r.json()["status"] == "assigned"  # type: ignore[attr-defined]
    mine = officer.get("/api/v1/me/incidents").json()
    assert [m["incident_id"] for m in mine] == [incident]
    r = post(
        officer, f"/api/v1/incidents/{incident}/attend", {"attended_at": "2030-01-01T00:00:00Z"}
    )
    assert r.status_code == 422  # type: ignore[attr-defined]  # in the future
    received = officer.get(f"/api/v1/incidents/{incident}").json()["received_at"]
    r = post(officer, f"/api/v1/incidents/{incident}/attend", {"attended_at": received})
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = {
        "closing_code": "noise",
        "qualifier": "nuisance",
        "qualifier_confirmed": False,
        "reason": "advice",
    }
    assert post(officer, f"/api/v1/incidents/{incident}/close", body).status_code == 422  # type: ignore[attr-defined]
    body["qualifier_confirmed"] = True
    life = post(officer, f"/api/v1/incidents/{incident}/close", body).json()  # type: ignore[attr-defined]
    assert life["status"] == "closed"
    assert [h["event"] for h in life["history"]] == ["triage", "assign", "attend", "close"]
    assert life["assessments"][0]["versions"]["case_review"] == "asbhub-default-case-review-2026.1"
    # Closed: nothing more is allowed, and the API says why.
    r = post(officer, f"/api/v1/incidents/{incident}/attend", {"attended_at": received})
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert sup.get("/api/v1/triage/reviews").status_code == 200
    assert handler.get("/api/v1/triage/reviews").status_code == 403

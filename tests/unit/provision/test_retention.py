"""``asbhub retention``: what is due under the rules, and deletion only by an administrator's
recorded, audited decision (records still used elsewhere held), on both databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from asbhub.audit.models import AuditEvent
from asbhub.casework.models import Case, CaseIncident, Stage
from asbhub.cli import app
from asbhub.config import get_settings
from asbhub.incidents.models import Incident, IncidentPerson, Person, Qualifier
from asbhub.incidents.service import record_incident
from asbhub.permissions import Action, Role
from asbhub.store.engine import session_scope
from asbhub.triage.rules import RiskLevel
from factories import new_incident, staff_actor

runner = CliRunner()
OLD = dt.datetime(2018, 5, 1, 12, 0)  # more than six years before AS_OF
NEW = dt.datetime(2024, 5, 1, 12, 0)
AS_OF = "2026-12-01"


def _record(engine: Engine, at: dt.datetime, qualifier: Qualifier, person: str) -> int:
    with session_scope(engine) as s:
        return record_incident(
            s,
            actor=None,
            incident=new_incident(
                received_at=at,
                qualifier=qualifier,
                people=[{"role": "victim", "forename": person, "surname": "Fictitious"}],
            ),
            force_code="essex",
            permission=Action.PUBLIC_REPORT_CREATE,
            source="test",
        ).incident_id


@pytest.fixture
def store(engine: Engine) -> Engine:
    staff_actor(engine, "admin.a", Role.ADMIN, "Admin A")
    staff_actor(engine, "officer.a", Role.OFFICER, "Officer A")
    for i in range(3):
        _record(engine, OLD, Qualifier.NUISANCE, f"Old{i}")
    _record(engine, OLD, Qualifier.PERSONAL, "Victim")
    _record(engine, NEW, Qualifier.NUISANCE, "Recent")
    return engine


def _due(db_url: str) -> dict[str, dict[str, object]]:
    done = runner.invoke(app, ["retention", "due", "--as-of", AS_OF, "--db", db_url, "--json"])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["rules_version"] == "asbhub-default-retention-2026.1"
    return {c["record_class"]: c for c in out["classes"]}


def _decide(db_url: str, *args: str) -> tuple[int, str]:
    done = runner.invoke(
        app, ["retention", "decide", "--as-of", AS_OF, "--db", db_url, "--json", *args]
    )
    return done.exit_code, done.stdout if done.exit_code == 0 else done.output


def _count(engine: Engine, what: object) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_the_list_counts_what_is_due_per_class_and_deletes_nothing(
    store: Engine, db_url: str
) -> None:
    due = _due(db_url)
    assert due["incident_other"]["records"] == 3  # the 2024 incident is not yet due
    assert due["incident_personal"]["records"] == 1
    assert due["incident_personal"]["action"] == "review"
    assert due["incident_other"]["due_before"] == "2020-11-30"  # 2,192 days before AS_OF
    assert _count(store, Incident) == 5
    with session_scope(store) as s:
        listed = s.execute(
            select(AuditEvent).where(AuditEvent.event == "retention:records:list")
        ).scalar_one()
    assert listed.actor_name == "asbhub retention due" and listed.result_count == 4


def test_an_administrators_delete_removes_the_due_records_and_their_people(
    store: Engine, db_url: str
) -> None:
    code, out = _decide(
        db_url, "--class", "incident_other", "--decision", "delete",
        "--reason", "Six years without a further report", "--by", "admin.a",
    )  # fmt: skip
    assert code == 0, out
    result = json.loads(out)
    assert (result["records"], result["deleted"], result["held"]) == (3, 3, 0)
    assert result["people_deleted"] == 3
    assert _count(store, Incident) == 2  # the personal one (review) and the recent one
    assert _count(store, IncidentPerson) == 2 and _count(store, Person) == 2
    with session_scope(store) as s:
        ev = s.execute(
            select(AuditEvent).where(AuditEvent.event == "retention:records:decide")
        ).scalar_one()
    assert ev.actor_name == "Admin A" and ev.action == "delete" and ev.result_count == 3
    assert ev.fields["reason"] == "Six years without a further report"
    assert _due(db_url)["incident_other"]["records"] == 0


def test_a_keep_decision_deletes_nothing_and_is_recorded(store: Engine, db_url: str) -> None:
    code, out = _decide(
        db_url, "--class", "incident_personal", "--decision", "keep",
        "--reason", "The victim reported again in 2026", "--by", "admin.a",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["deleted"] == 0 and _count(store, Incident) == 5


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--class", "incident_other", "--decision", "delete", "--reason", "Six years clear",
          "--by", "officer.a"], "not permitted"),
        (["--class", "incident_other", "--decision", "delete", "--reason", "Six years clear",
          "--by", "nobody"], "no active account 'nobody'"),
        (["--class", "chats_forever", "--decision", "delete", "--reason", "Six years clear",
          "--by", "admin.a"], "no record class 'chats_forever'"),
        (["--class", "incident_other", "--decision", "purge", "--reason", "Six years clear",
          "--by", "admin.a"], "decide delete or keep"),
        (["--class", "incident_other", "--decision", "delete", "--reason", "old",
          "--by", "admin.a"], "give the reason"),
    ],
)  # fmt: skip
def test_refused_decisions_name_the_problem_and_delete_nothing(
    store: Engine, db_url: str, args: list[str], named: str
) -> None:
    code, out = _decide(db_url, *args)
    assert code != 0 and named in " ".join(out.split()), out
    assert _count(store, Incident) == 5


def test_a_bad_date_and_a_bad_rules_file_are_named(
    store: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = runner.invoke(app, ["retention", "due", "--as-of", "1 Dec", "--db", db_url])
    assert done.exit_code == 2 and "'1 Dec' is not a date" in done.output
    (tmp_path / "retention.json").write_text(
        json.dumps(
            {"kind": "retention", "version": "x", "effective_from": "2026-01-01", "source": "t",
             "classes": [{"name": "sneaky", "label": "x", "table": "incidents",
                          "date_column": "narrative", "review_after_days": 100,
                          "action": "dispose", "reason": "x"}]}
        )
    )  # fmt: skip
    monkeypatch.setenv("ASBHUB_RETENTION_RULES_DIR", str(tmp_path))
    get_settings.cache_clear()
    done = runner.invoke(app, ["retention", "due", "--db", db_url])
    assert done.exit_code == 2
    assert "names column 'narrative' of incidents" in " ".join(done.output.split())


def test_an_incident_a_case_links_is_held_and_its_holder_named(store: Engine, db_url: str) -> None:
    with session_scope(store) as s:
        old = s.scalars(
            select(Incident.id)
            .where(Incident.qualifier == Qualifier.NUISANCE, Incident.received_at == OLD)
            .order_by(Incident.id)
        ).first()
        case = Case(
            force_code="essex",
            reference="SARA-2018-0001",
            title="A fictitious repeat location",
            stage=Stage.SCANNING,
            owner_agency_code="essex-police",
            risk_level=RiskLevel.STANDARD,
            opened_at=OLD,
            opened_by="Officer A",
            how_found="test",
            radius_m=100.0,
            buffer_m=500.0,
            rules_version="test",
        )
        s.add(case)
        s.flush()
        s.add(
            CaseIncident(
                force_code="essex",
                case_id=case.id,
                incident_id=old,
                linked_at=OLD,
                linked_by="Officer A",
            )
        )
    due = _due(db_url)["incident_other"]
    assert (due["records"], due["held"], due["held_by"]) == (3, 1, {"case_incidents": 1})
    code, out = _decide(
        db_url, "--class", "incident_other", "--decision", "delete",
        "--reason", "Six years without a further report", "--by", "admin.a",
    )  # fmt: skip
    assert code == 0, out
    assert (json.loads(out)["deleted"], json.loads(out)["held"]) == (2, 1)
    # The case keeps its incident: nothing was unlinked behind its back.
    assert _count(store, CaseIncident) == 1 and _count(store, Incident) == 3
    with session_scope(store) as s:
        ev = s.execute(
            select(AuditEvent).where(AuditEvent.event == "retention:records:decide")
        ).scalar_one()
    assert ev.fields["held_by"] == {"case_incidents": 1}
    # The database itself refuses to delete an incident a case links (RESTRICT), on both.
    with pytest.raises(IntegrityError), session_scope(store) as s:
        s.execute(delete(Incident).where(Incident.id == old))

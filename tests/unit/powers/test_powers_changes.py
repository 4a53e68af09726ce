"""The 2026 Act changes: off until an administrator switches each on with its date (audited);
a record dated before the date keeps the old rule and its version, a record after gets the new
one. Also the fixed penalty maxima, the Respect Order, the deadlines job and the overdue list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from powers_world import RULES, World
from sqlalchemy import select

from asbhub.audit.models import AuditEvent
from asbhub.errors import InvalidInput, NotPermitted
from asbhub.permissions import system_actor
from asbhub.powers import service
from asbhub.powers.lifecycle import Refused
from asbhub.store.engine import session_scope

D = dt.datetime
ON = dt.date(2026, 6, 29)
INSP: dict[str, Any] = {"issuer": "police", "issuer_rank": "inspector"}
AUTH_PRE = ["reasonable_belief_needed", "regard_echr_10_11", "written_signed_grounds"]
CLOSURE_PRE = [
    "nuisance_or_disorder",
    "necessary_to_prevent",
    "consult_appropriate",
    "inform_residents",
]
CPW_PRE = ["detrimental_persistent_effect", "conduct_unreasonable"]
CPN_PRE = [*CPW_PRE, "inform_relevant_bodies"]
RESPECT_PRE = ["asb_HAD_limb", "just_and_convenient", "applicant_risk_assessment"]


def refused(e: pytest.ExceptionInfo[Refused], reason: str, section: str) -> None:
    assert reason in e.value.reason, e.value.reason
    assert e.value.section == section


def authorise(w: World, at: D, period: str) -> dict[str, Any]:
    return w.give(
        at,
        power="DISPERSAL_AUTH",
        subject_type="locality",
        place_text=f"Seafront {at:%m%d%H}",
        confirmed=AUTH_PRE,
        period=period,
        **INSP,
    )


def notice(w: World, at: D) -> dict[str, Any]:
    return w.give(
        at,
        power="CLOSURE_NOTICE",
        subject_type="premises",
        place_text=f"Unit {at:%m%d%H}",
        confirmed=CLOSURE_PRE,
        **INSP,
    )


def fpn(w: World, at: D, amount: int) -> dict[str, Any]:
    who = w.person(dt.date(1985, 1, 1))
    base: dict[str, Any] = {
        "subject_type": "individual",
        "person_id": who,
        "issuer": "police",
        "issuer_rank": "constable",
    }
    w.give(at - dt.timedelta(days=60), power="CPW", confirmed=CPW_PRE, **base)
    cpn = w.give(at - dt.timedelta(days=30), power="CPN", confirmed=CPN_PRE, **base)
    return w.give(at, power="FPN_CPN", parent_id=cpn["id"], amount_gbp=amount, **base)


def test_only_an_administrator_switches_a_change_on(world: World) -> None:
    with session_scope(world.engine) as s, pytest.raises(NotPermitted):
        service.set_commencement(
            s,
            actor=world.officer,
            file=RULES,
            change_id="cpa2026_dispersal_72h",
            in_force=ON,
            reason="circular",
        )
    with session_scope(world.engine) as s, pytest.raises(InvalidInput):
        service.set_commencement(
            s, actor=world.admin, file=RULES, change_id="cpa2026_nothing", in_force=ON, reason="x"
        )


def test_the_2026_changes_before_and_after_their_commencement(world: World) -> None:
    # Before anything is switched on: the 2014 rules, whatever the date.
    before = authorise(world, D(2026, 6, 20, 18), "PT48H")
    old_notice = notice(world, D(2026, 6, 20, 9))
    assert old_notice["deadlines"]["hearing"] == D(2026, 6, 22, 9)
    with pytest.raises(Refused) as e:
        authorise(world, D(2026, 7, 3, 18), "PT72H")
    refused(e, "at most 48 hours", "ASBCPA 2014 s.34(1)")
    assert fpn(world, D(2026, 7, 3, 10), 100)["rule"]["max_amount_gbp"]["value"] == 100

    for change in ("cpa2026_dispersal_72h", "cpa2026_closure_hearing_72h", "cpa2026_fpn_500"):
        world.commence(change, ON)

    # Dated before the commencement: still 48 hours, £100.
    with pytest.raises(Refused) as e:
        authorise(world, D(2026, 6, 28, 18), "PT72H")
    refused(e, "at most 48 hours", "ASBCPA 2014 s.34(1)")
    assert notice(world, D(2026, 6, 28, 9))["deadlines"]["hearing"] == D(2026, 6, 30, 9)
    with pytest.raises(Refused) as e:
        fpn(world, D(2026, 6, 28, 10), 500)
    refused(e, "at most £100 on 28 June 2026", "ASBCPA 2014 s.52(6)")

    # From the commencement: 72 hours (reviewed at 48), the 72-hour hearing, £500.
    after = authorise(world, D(2026, 6, 29, 18), "PT72H")
    assert after["ends_at"] == D(2026, 7, 2, 18)
    assert after["deadlines"]["review"] == D(2026, 7, 1, 18)
    assert after["rule"]["duration"]["max"] == "PT72H"
    assert notice(world, D(2026, 7, 1, 9))["deadlines"]["hearing"] == D(2026, 7, 4, 9)
    assert fpn(world, D(2026, 7, 3, 10), 500)["rule"]["max_amount_gbp"]["value"] == 500
    with pytest.raises(Refused) as e:
        fpn(world, D(2026, 7, 3, 10), 501)
    assert "Crime and Policing Act 2026" in e.value.section

    # The record made before keeps the rule and the version it was decided by.
    with session_scope(world.engine) as s:
        kept = service.get_record(s, actor=world.officer, record_id=before["id"])
        assert kept.rule["duration"]["max"] == "PT48H"
        assert kept.rules_version == before["rules_version"]
        assert kept.rules_version != after["rules_version"]
        audited = (
            s.execute(select(AuditEvent).where(AuditEvent.event == "powers:rules:update"))
            .scalars()
            .all()
        )
    assert {a.object_id for a in audited} >= {
        "change:cpa2026_dispersal_72h",
        "change:cpa2026_fpn_500",
    }
    assert audited[-1].fields["in_force"] == {"before": None, "after": "2026-06-29"}


def test_respect_orders_are_refused_until_commenced_then_from_18(world: World) -> None:
    order: dict[str, Any] = {
        "power": "RESPECT_ORDER",
        "subject_type": "individual",
        "issuer": "council",
        "confirmed": RESPECT_PRE,
        "period": "P2Y",
    }
    who = world.person(dt.date(1995, 3, 1))
    with pytest.raises(Refused) as e:
        world.give(D(2026, 8, 3, 10), person_id=who, **order)
    refused(
        e,
        "the Respect Order is not in force on 3 August 2026 (not yet commenced)",
        "Crime and Policing Act 2026 s.1 (new Part A1 of ASBCPA 2014)",
    )
    world.commence("cpa2026_respect_orders", dt.date(2026, 8, 1))
    with pytest.raises(Refused) as e:
        world.give(D(2026, 7, 30, 10), person_id=who, **order)
    refused(
        e,
        "not in force on 30 July 2026 (in force from 1 August 2026)",
        "Crime and Policing Act 2026 s.1 (new Part A1 of ASBCPA 2014)",
    )
    assert world.give(D(2026, 8, 3, 10), person_id=who, **order)["state"] == "issued"
    with pytest.raises(Refused) as e:
        world.give(D(2026, 8, 3, 10), person_id=world.person(dt.date(2009, 1, 1)), **order)
    refused(e, "the person is 17", "ASBCPA 2014 Part A1 (as inserted)")
    with pytest.raises(Refused) as e:
        world.give(D(2026, 8, 3, 10), person_id=who, **{**order, "confirmed": RESPECT_PRE[:2]})
    refused(
        e,
        "not confirmed: the applicant has carried out a risk assessment",
        "ASBCPA 2014 Part A1 (as inserted)",
    )


def test_a_config_value_set_from_a_date(world: World) -> None:
    with session_scope(world.engine) as s:
        service.set_config(
            s,
            actor=world.admin,
            file=RULES,
            key="cpw_compliance_days",
            value=28,
            effective_from=dt.date(2026, 9, 1),
            reason="force policy",
        )
        with pytest.raises(InvalidInput, match="outside 1-90"):
            service.set_config(
                s,
                actor=world.admin,
                file=RULES,
                key="cpw_compliance_days",
                value=120,
                effective_from=dt.date(2026, 9, 1),
                reason="x",
            )
    base: dict[str, Any] = {
        "power": "CPW",
        "subject_type": "body",
        "confirmed": CPW_PRE,
        "issuer": "council_officer",
    }
    early = world.give(D(2026, 8, 3, 10), body_name="Early Ltd", **base)
    late = world.give(D(2026, 9, 1, 10), body_name="Late Ltd", **base)
    assert early["ends_at"] == D(2026, 8, 17, 23, 59, 59)
    assert late["ends_at"] == D(2026, 9, 29, 23, 59, 59)


def test_the_deadlines_job_reminds_owners_once_and_lists_overdue(world: World) -> None:
    n = notice(world, D(2026, 10, 5, 9))  # Monday; the hearing is due within 48 or 72 hours
    hearing = n["deadlines"]["hearing"]
    job = system_actor(job="powers remind", force_code="essex")
    with session_scope(world.engine) as s:
        early = service.remind(s, actor=job, file=RULES, now=hearing - dt.timedelta(days=7))
        first = service.remind(s, actor=job, file=RULES, now=hearing - dt.timedelta(hours=20))
        again = service.remind(s, actor=job, file=RULES, now=hearing - dt.timedelta(hours=19))
        late = service.remind(s, actor=job, file=RULES, now=hearing + dt.timedelta(hours=1))
        mine = service.reminders_for(s, actor=world.officer)
        due = service.deadlines_due(
            s, actor=world.officer, file=RULES, now=hearing + dt.timedelta(hours=1)
        )
    assert early["due_soon"] == 0
    assert first["due_soon"] >= 1 and again == {"due_soon": 0, "overdue": 0, "owners": 0}
    assert late["overdue"] >= 1
    kinds = {(r.deadline.record_id, r.kind) for r in mine}
    assert {(n["id"], "due_soon"), (n["id"], "overdue")} <= kinds
    row = next(r for r in due if r.record.id == n["id"])
    assert row.overdue and row.deadline.kind == "hearing"
    with session_scope(world.engine) as s:
        events = (
            s.execute(select(AuditEvent).where(AuditEvent.event == "powers:reminder:create"))
            .scalars()
            .all()
        )
    assert events and events[0].actor_role == "system"

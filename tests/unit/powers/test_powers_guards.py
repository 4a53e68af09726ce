"""Every rule of issue 19 item 2, through the powers services on a real store: each refusal
names its reason and its section, each limit and each deadline holds on the legal calendar
(bank holidays, Christmas Day, Good Friday, Sundays), and a 2026 change switched on at a date
leaves a record dated before it with the old rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from powers_world import World

from asbhub.errors import Conflict, InvalidInput
from asbhub.powers.lifecycle import Event, Refused

D = dt.datetime
CONST: dict[str, Any] = {"issuer": "police", "issuer_rank": "constable"}
INSP: dict[str, Any] = {"issuer": "police", "issuer_rank": "inspector"}
SUPT: dict[str, Any] = {"issuer": "police", "issuer_rank": "superintendent"}
CPW_PRE = ["detrimental_persistent_effect", "conduct_unreasonable"]
CPN_PRE = [*CPW_PRE, "inform_relevant_bodies"]
CLOSURE_PRE = [
    "nuisance_or_disorder",
    "necessary_to_prevent",
    "consult_appropriate",
    "inform_residents",
]
ORDER_PRE = ["court_satisfied_behaviour", "order_necessary"]
AUTH_PRE = ["reasonable_belief_needed", "regard_echr_10_11", "written_signed_grounds"]
CBO_PRE = ["behaviour_caused_or_likely_HAD", "order_will_help_prevent"]
INJ_PRE = ["asb_s2", "just_and_convenient"]
PSPO_PRE = [
    "detrimental_effect_public_place",
    "persistent_or_continuing",
    "unreasonable",
    "consultation_s72",
    "publication",
]


def refused(excinfo: pytest.ExceptionInfo[Refused], reason: str, section: str) -> None:
    assert reason in excinfo.value.reason, excinfo.value.reason
    assert excinfo.value.section == section
    assert section in str(excinfo.value)


def adult(w: World) -> int:
    return w.person(dt.date(1990, 5, 1))


def cpw(w: World, who: int, at: D, **kw: Any) -> dict[str, Any]:
    return w.give(
        at, power="CPW", subject_type="individual", person_id=who, confirmed=CPW_PRE, **CONST, **kw
    )


# --- CPW and CPN --------------------------------------------------------------------------------


def test_a_cpn_needs_an_earlier_cpw_to_the_same_person(world: World) -> None:
    who, other = adult(world), adult(world)
    cpw(world, other, D(2025, 1, 6, 10))
    draft = world.draft(
        power="CPN", subject_type="individual", person_id=who, confirmed=CPN_PRE, **CONST
    )
    with pytest.raises(Refused) as e:
        world.issue(draft, D(2025, 3, 1, 10))
    refused(
        e,
        "a Community Protection Notice needs an earlier Community Protection Warning to the "
        "same person or body",
        "ASBCPA 2014 s.43(5)",
    )


def test_a_cpn_is_refused_until_the_warnings_time_to_comply_has_passed(world: World) -> None:
    who = adult(world)
    warning = cpw(world, who, D(2025, 2, 3, 10))
    # 14 days (the default, a setting) from 3 February: the end of 17 February.
    assert warning["ends_at"] == D(2025, 2, 17, 23, 59, 59)
    assert warning["deadlines"]["compliance"] == warning["ends_at"]
    notice = world.draft(
        power="CPN", subject_type="individual", person_id=who, confirmed=CPN_PRE, **CONST
    )
    with pytest.raises(Refused) as e:
        world.issue(notice, D(2025, 2, 10, 10))
    refused(e, "time to comply runs until 17 February 2025 23:59", "ASBCPA 2014 s.43(5)")
    issued = world.issue(notice, D(2025, 2, 18, 9))
    assert issued["state"] == "issued"
    assert issued["rules_version"] == "asbhub-default-powers-2026.1+0" or issued["rules_version"]
    # The warning's compliance check is settled by the notice that followed it.
    with world.engine.connect() as conn:
        done = conn.exec_driver_sql(
            "SELECT done_at FROM power_deadlines WHERE record_id = "
            f"{int(warning['id'])} AND kind = 'compliance'"
        ).scalar()
    assert done is not None


def test_a_cpn_body_subject_uses_the_bodys_warning(world: World) -> None:
    body: dict[str, Any] = {"subject_type": "body", "body_name": "Acme Scrap Ltd"}
    world.give(D(2025, 1, 6, 10), power="CPW", confirmed=CPW_PRE, **body, **CONST)
    cpn = world.give(D(2025, 2, 1, 10), power="CPN", confirmed=CPN_PRE, **body, **CONST)
    assert cpn["state"] == "issued"


@pytest.mark.parametrize("power", ["CPW", "CPN"])
def test_cpw_and_cpn_only_to_someone_16_or_over(world: World, power: str) -> None:
    at = D(2025, 6, 2, 10)
    young = world.person(dt.date(2009, 6, 3))  # 15, a day short of 16
    pre = CPW_PRE if power == "CPW" else CPN_PRE
    with pytest.raises(Refused) as e:
        world.give(
            at, power=power, subject_type="individual", person_id=young, confirmed=pre, **CONST
        )
    refused(e, "the person is 15", "ASBCPA 2014 s.43(1)")
    assert "16 or over or to a body" in e.value.reason
    unknown = world.person(None)
    with pytest.raises(Refused) as e:
        world.give(
            at, power=power, subject_type="individual", person_id=unknown, confirmed=pre, **CONST
        )
    refused(e, "date of birth is not known", "ASBCPA 2014 s.43(1)")


def test_a_cpw_on_the_16th_birthday(world: World) -> None:
    sixteen = world.person(dt.date(2009, 6, 2))
    assert cpw(world, sixteen, D(2025, 6, 2, 10))["state"] == "issued"


def test_a_cpw_not_to_premises(world: World) -> None:
    with pytest.raises(Refused) as e:
        world.give(
            D(2025, 6, 2),
            power="CPW",
            subject_type="premises",
            place_text="1 High Street",
            confirmed=CPW_PRE,
            **CONST,
        )
    refused(e, "given to a person or a body, not to premises", "ASBCPA 2014 s.43(5)(a)")


def test_each_precondition_must_be_confirmed(world: World) -> None:
    who = adult(world)
    with pytest.raises(Refused) as e:
        world.give(
            D(2025, 6, 2),
            power="CPW",
            subject_type="individual",
            person_id=who,
            confirmed=["detrimental_persistent_effect"],
            **CONST,
        )
    refused(e, "not confirmed: the conduct is unreasonable", "ASBCPA 2014 s.43(1)(b)")


def test_the_cpn_appeal_window_is_21_days_beginning_with_the_day_of_issue(world: World) -> None:
    who = adult(world)
    cpw(world, who, D(2025, 1, 2, 10))
    # Issued Monday 3 March: day 21 is Sunday 23 March, so the court's next working day.
    cpn = world.give(
        D(2025, 3, 3, 10),
        power="CPN",
        subject_type="individual",
        person_id=who,
        confirmed=CPN_PRE,
        **CONST,
    )
    assert cpn["deadlines"]["appeal"] == D(2025, 3, 24, 23, 59, 59)
    with pytest.raises(Refused) as e:
        world.step(cpn["id"], Event.APPEAL, D(2025, 3, 25, 9))
    refused(e, "the time to appeal ended on 24 March 2025", "ASBCPA 2014 s.46(1)")
    assert world.step(cpn["id"], Event.APPEAL, D(2025, 3, 24, 16))["state"] == "appealed"


@pytest.mark.parametrize(
    ("issued", "last_day"),
    [
        # Day 21 is Easter Monday 2025 (a bank holiday): Tuesday.
        (D(2025, 4, 1, 10), dt.date(2025, 4, 22)),
        # Day 21 is Christmas Day 2025, then Boxing Day and a weekend: Monday 29 December.
        (D(2025, 12, 5, 10), dt.date(2025, 12, 29)),
        # Day 21 is Monday 27 December 2021, the substitute for Christmas Day on a Saturday;
        # the 28th is Boxing Day's: Wednesday 29th.
        (D(2021, 12, 7, 10), dt.date(2021, 12, 29)),
    ],
)
def test_the_appeal_window_moves_past_bank_holidays(
    world: World, issued: D, last_day: dt.date
) -> None:
    who = adult(world)
    cpw(world, who, issued - dt.timedelta(days=30))
    cpn = world.give(
        issued, power="CPN", subject_type="individual", person_id=who, confirmed=CPN_PRE, **CONST
    )
    assert cpn["deadlines"]["appeal"].date() == last_day


def test_there_is_no_appeal_against_a_cpw(world: World) -> None:
    warning = cpw(world, adult(world), D(2025, 5, 1, 10))
    with pytest.raises(Refused) as e:
        world.step(warning["id"], Event.APPEAL, D(2025, 5, 2, 10))
    refused(
        e, "there is no appeal against a Community Protection Warning", "ASBCPA 2014 s.43(5)(a)"
    )


# --- closure ------------------------------------------------------------------------------------


def notice(w: World, at: D, **kw: Any) -> dict[str, Any]:
    issuer = {k: kw.pop(k) for k in ("issuer", "issuer_rank") if k in kw} or INSP
    return w.give(
        at,
        power="CLOSURE_NOTICE",
        subject_type="premises",
        place_text=f"Flat {at:%d%H}, Tower Road",
        confirmed=CLOSURE_PRE,
        **issuer,
        **kw,
    )


def test_a_closure_notice_lasts_24_hours_and_the_hearing_is_due_within_48(world: World) -> None:
    n = notice(world, D(2025, 3, 4, 15))
    assert n["ends_at"] == D(2025, 3, 5, 15)
    assert n["deadlines"]["hearing"] == D(2025, 3, 6, 15)


def test_christmas_day_is_not_counted_in_a_closure_notice_or_its_hearing(world: World) -> None:
    n = notice(world, D(2025, 12, 24, 18))
    assert n["ends_at"] == D(2025, 12, 26, 18)
    assert n["deadlines"]["hearing"] == D(2025, 12, 27, 18)


def test_only_an_inspector_or_above_issues_a_closure_notice(world: World) -> None:
    with pytest.raises(Refused) as e:
        notice(world, D(2025, 3, 4, 16), issuer="police", issuer_rank="sergeant")
    refused(e, "a police sergeant may not issue a Closure notice", "ASBCPA 2014 s.76(1)")


def test_48_hours_only_from_a_superintendent_or_a_council_chief_executive(world: World) -> None:
    with pytest.raises(Refused) as e:
        notice(world, D(2025, 3, 4, 17), period="PT48H")
    refused(
        e,
        "only a police officer of the rank of superintendent or above; the council's chief "
        "executive (or designate) may issue a Closure notice for 48 hours",
        "ASBCPA 2014 s.77(1)-(2)",
    )
    by_supt = notice(world, D(2025, 3, 4, 18), period="PT48H", **SUPT)
    assert by_supt["ends_at"] == D(2025, 3, 6, 18)
    by_ceo = notice(world, D(2025, 3, 4, 19), period="PT48H", issuer="council_chief_executive")
    assert by_ceo["ends_at"] == D(2025, 3, 6, 19)
    with pytest.raises(Refused) as e:
        notice(world, D(2025, 3, 4, 20), period="PT36H", **SUPT)
    refused(e, "lasts 24 hours, or 48 hours", "ASBCPA 2014 s.77(1)-(2)")


def test_a_superintendent_extends_a_closure_notice_to_48_hours(world: World) -> None:
    n = notice(world, D(2025, 12, 23, 12))
    with pytest.raises(Refused) as e:
        world.step(n["id"], Event.EXTEND, D(2025, 12, 23, 20), **INSP)
    refused(e, "may extend a Closure notice to 48 hours", "ASBCPA 2014 s.77(1)-(2)")
    # 48 hours from noon on the 23rd, Christmas Day not counted: noon on the 26th.
    out = world.step(n["id"], Event.EXTEND, D(2025, 12, 23, 20), **SUPT)
    assert out["ends_at"] == D(2025, 12, 26, 12)
    with pytest.raises(Refused) as e:
        world.step(n["id"], Event.EXTEND, D(2025, 12, 23, 21), **SUPT)
    refused(e, "lasts at most 48 hours", "ASBCPA 2014 s.77(1)-(2)")


def closure_order(w: World, parent: int, at: D, **kw: Any) -> dict[str, Any]:
    return w.give(
        at,
        power="CLOSURE_ORDER",
        subject_type="premises",
        parent_id=parent,
        confirmed=ORDER_PRE,
        **CONST,
        **kw,
    )


def test_the_closure_order_must_be_heard_within_48_hours_of_service(world: World) -> None:
    n = notice(world, D(2025, 5, 6, 9))
    with pytest.raises(Refused) as e:
        closure_order(world, n["id"], D(2025, 5, 8, 10), period="P3M")
    refused(e, "the application had to be heard by 8 May 2025 09:00", "ASBCPA 2014 s.80(3)-(4)")
    # Adjourned (s.81): up to 14 days after the first hearing.
    with pytest.raises(Refused) as e:
        closure_order(world, n["id"], D(2025, 5, 23, 10), period="P3M", adjourned=True)
    refused(e, "at most 14 days after the first", "ASBCPA 2014 s.81(2)")
    made = closure_order(world, n["id"], D(2025, 5, 8, 8), period="P3M")
    assert made["ends_at"] == D(2025, 8, 8, 8)
    assert made["deadlines"]["appeal"] == D(2025, 5, 28, 23, 59, 59)


def test_a_closure_order_needs_a_closure_notice(world: World) -> None:
    with pytest.raises(Refused) as e:
        world.give(
            D(2025, 5, 6, 9),
            power="CLOSURE_ORDER",
            subject_type="premises",
            place_text="2 Mill Lane",
            confirmed=ORDER_PRE,
            period="P3M",
            **CONST,
        )
    refused(e, "needs an earlier Closure notice", "ASBCPA 2014 s.80(1)")


def test_a_closure_order_runs_at_most_3_months_and_6_in_total(world: World) -> None:
    n = notice(world, D(2025, 6, 2, 9))
    with pytest.raises(Refused) as e:
        closure_order(world, n["id"], D(2025, 6, 3, 9), period="P4M")
    refused(e, "may last at most 3 months; 4 months was asked for", "ASBCPA 2014 s.80(6)")
    order = closure_order(world, n["id"], D(2025, 6, 3, 9), period="P3M")
    with pytest.raises(Refused) as e:
        world.step(order["id"], Event.EXTEND, D(2025, 8, 1, 9), period="P4M")
    refused(e, "each extension of a Closure order is at most 3 months", "ASBCPA 2014 s.82(7)")
    extended = world.step(order["id"], Event.EXTEND, D(2025, 8, 1, 9), period="P3M")
    assert extended["ends_at"] == D(2025, 12, 3, 9)
    with pytest.raises(Refused) as e:
        world.step(order["id"], Event.EXTEND, D(2025, 11, 1, 9), period="P1M")
    refused(e, "in force for at most 6 months in total", "ASBCPA 2014 s.82(7)")


# --- dispersal ----------------------------------------------------------------------------------


def authorise(w: World, at: D, **kw: Any) -> dict[str, Any]:
    issuer = {k: kw.pop(k) for k in ("issuer", "issuer_rank") if k in kw} or INSP
    return w.give(
        at,
        power="DISPERSAL_AUTH",
        subject_type="locality",
        place_text=f"Town centre {at:%Y%m%d%H}",
        confirmed=AUTH_PRE,
        **issuer,
        **kw,
    )


def test_dispersal_is_authorised_by_an_inspector_for_at_most_48_hours(world: World) -> None:
    with pytest.raises(Refused) as e:
        authorise(world, D(2025, 7, 4, 18), issuer="police", issuer_rank="sergeant")
    refused(e, "a police sergeant may not issue a Dispersal authorisation", "ASBCPA 2014 s.34(1)")
    with pytest.raises(Refused) as e:
        authorise(world, D(2025, 7, 4, 18), period="PT72H")
    refused(e, "may last at most 48 hours; 72 hours was asked for", "ASBCPA 2014 s.34(1)")
    auth = authorise(world, D(2025, 7, 4, 18), period="PT48H")
    assert auth["ends_at"] == D(2025, 7, 6, 18)
    assert "review" not in auth["deadlines"]


def test_a_direction_needs_an_authorisation_and_ends_within_it(world: World) -> None:
    who = world.person(dt.date(2000, 1, 1))
    direct: dict[str, Any] = {
        "power": "DISPERSAL_DIRECTION",
        "subject_type": "individual",
        "person_id": who,
        "confirmed": ["contributed_to_HAD_or_crime"],
        **CONST,
    }
    with pytest.raises(Refused) as e:
        world.give(D(2025, 8, 1, 20), period="PT12H", **direct)
    refused(e, "needs a Dispersal authorisation in force at the time", "ASBCPA 2014 s.35(1)")
    auth = authorise(world, D(2025, 8, 1, 18), period="PT24H")
    with pytest.raises(Refused) as e:
        world.give(D(2025, 8, 1, 20), period="PT48H", parent_id=auth["id"], **direct)
    refused(
        e,
        "must end by the end of the Dispersal authorisation (2 August 2025 18:00)",
        "ASBCPA 2014 s.35(2)",
    )
    ok = world.give(D(2025, 8, 1, 20), period="PT12H", parent_id=auth["id"], **direct)
    assert ok["ends_at"] == D(2025, 8, 2, 8)
    with pytest.raises(Refused) as e:
        world.give(D(2025, 8, 3, 20), period="PT1H", parent_id=auth["id"], **direct)
    refused(e, "in force at the time", "ASBCPA 2014 s.35(1)")
    child = world.person(dt.date(2016, 1, 1))
    with pytest.raises(Refused) as e:
        world.give(
            D(2025, 8, 1, 21),
            period="PT2H",
            parent_id=auth["id"],
            **{**direct, "person_id": child},
        )
    refused(e, "the person is 9", "ASBCPA 2014 s.35(1)")


# --- CBO and injunctions ------------------------------------------------------------------------


def cbo(w: World, who: int, at: D, **kw: Any) -> dict[str, Any]:
    kw.setdefault("confirmed", CBO_PRE)
    kw.setdefault("conviction_date", "2025-01-10")
    return w.give(
        at, power="CBO", subject_type="individual", person_id=who, issuer="prosecution", **kw
    )


def test_a_cbo_only_on_conviction(world: World) -> None:
    with pytest.raises(Refused) as e:
        cbo(world, adult(world), D(2025, 2, 1, 10), period="P2Y", conviction_date=None)
    refused(e, "may be made only on conviction", "Sentencing Act 2020 s.330(1)")
    with pytest.raises(Refused) as e:
        world.give(
            D(2025, 2, 1, 10),
            power="CBO",
            subject_type="individual",
            person_id=adult(world),
            confirmed=CBO_PRE,
            conviction_date="2025-01-10",
            period="P2Y",
            **CONST,
        )
    refused(e, "may not issue a Criminal Behaviour Order", "Sentencing Act 2020 s.331(1)")


def test_a_cbo_for_an_adult_is_at_least_2_years_or_indefinite(world: World) -> None:
    with pytest.raises(Refused) as e:
        cbo(world, adult(world), D(2025, 2, 1, 10), period="P1Y")
    refused(e, "for an adult lasts at least 2 years", "Sentencing Act 2020 s.335(3)")
    assert cbo(world, adult(world), D(2025, 2, 1, 10), period="P2Y")["ends_at"] == D(2027, 2, 1, 10)
    assert cbo(world, adult(world), D(2025, 2, 1, 10), indefinite=True)["ends_at"] is None


def test_a_cbo_for_an_under_18_is_1_to_3_years_with_yot_views(world: World) -> None:
    young = world.person(dt.date(2009, 1, 1))  # 16
    youth = [*CBO_PRE, "obtain_yot_views"]
    with pytest.raises(Refused) as e:
        cbo(world, young, D(2025, 2, 1, 10), period="P2Y")
    refused(
        e,
        "not confirmed: the prosecution has found out the views of the youth offending team",
        "Sentencing Act 2020 s.332(2)",
    )
    for period, words in (("P6M", "at least 1 year"), ("P4Y", "at most 3 years")):
        with pytest.raises(Refused) as e:
            cbo(world, young, D(2025, 2, 1, 10), period=period, confirmed=youth)
        refused(e, f"for someone under 18 lasts {words}", "Sentencing Act 2020 s.335(2)")
    with pytest.raises(Refused) as e:
        cbo(world, young, D(2025, 2, 1, 10), indefinite=True, confirmed=youth)
    refused(e, "must have an end: at most 3 years", "Sentencing Act 2020 s.335(2)")
    order = cbo(world, young, D(2025, 2, 1, 10), period="P2Y", confirmed=youth)
    assert order["deadlines"]["review"] == D(2026, 2, 1, 10)


def injunction(w: World, who: int, at: D, **kw: Any) -> dict[str, Any]:
    kw.setdefault("confirmed", INJ_PRE)
    return w.give(
        at,
        power="CIVIL_INJUNCTION",
        subject_type="individual",
        person_id=who,
        issuer="council",
        **kw,
    )


def test_an_injunction_for_an_under_18_is_at_most_12_months_after_consulting_the_yot(
    world: World,
) -> None:
    young = world.person(dt.date(2010, 1, 1))  # 15
    with pytest.raises(Refused) as e:
        injunction(world, young, D(2025, 3, 3, 10), period="P6M")
    refused(e, "not confirmed: the youth offending team has been consulted", "ASBCPA 2014 s.14(1)")
    youth = [*INJ_PRE, "consult_yot"]
    with pytest.raises(Refused) as e:
        injunction(world, young, D(2025, 3, 3, 10), period="P18M", confirmed=youth)
    refused(e, "for someone under 18 lasts at most 12 months", "ASBCPA 2014 s.1(6)")
    assert injunction(world, young, D(2025, 3, 3, 10), period="P12M", confirmed=youth)[
        "ends_at"
    ] == D(2026, 3, 3, 10)
    assert injunction(world, adult(world), D(2025, 3, 3, 10), indefinite=True)["state"] == "issued"
    with pytest.raises(Refused) as e:
        injunction(world, adult(world), D(2015, 1, 5, 10), indefinite=True)
    refused(e, "not in force on 5 January 2015 (in force from 23 March 2015)", "ASBCPA 2014 s.1-21")


@pytest.mark.parametrize(
    ("arrested", "judge_by"),
    [
        (D(2025, 3, 5, 9), D(2025, 3, 6, 9)),  # a Wednesday: 24 hours
        (D(2025, 4, 19, 20), D(2025, 4, 21, 20)),  # Saturday: Sunday not counted
        (D(2025, 4, 17, 20), D(2025, 4, 19, 20)),  # Thursday: Good Friday not counted
        (D(2025, 12, 24, 12), D(2025, 12, 26, 12)),  # Christmas Eve: Christmas Day not counted
        (D(2027, 12, 25, 10), D(2027, 12, 28, 0)),  # on Christmas Day (a Saturday), then Sunday
    ],
)
def test_an_arrested_injunction_breacher_is_before_a_judge_within_24_hours(
    world: World, arrested: D, judge_by: D
) -> None:
    inj = injunction(world, adult(world), D(2025, 1, 6, 10), indefinite=True, power_of_arrest=True)
    out = world.step(inj["id"], Event.ARREST, arrested)
    assert out["state"] == "breached"
    assert out["deadlines"]["before_judge"] == judge_by


def test_no_arrest_without_a_power_of_arrest(world: World) -> None:
    inj = injunction(world, adult(world), D(2025, 1, 6, 10), indefinite=True)
    with pytest.raises(Refused) as e:
        world.step(inj["id"], Event.ARREST, D(2025, 2, 1, 10))
    refused(e, "no power of arrest is attached", "ASBCPA 2014 s.4(1)")


# --- PSPO, FPN, possession ----------------------------------------------------------------------


def pspo(w: World, at: D, **kw: Any) -> dict[str, Any]:
    issuer = {k: kw.pop(k) for k in ("issuer", "issuer_rank") if k in kw} or {"issuer": "council"}
    return w.give(
        at,
        power="PSPO",
        subject_type="locality",
        place_text=f"Park {at:%Y%m%d%H}",
        confirmed=PSPO_PRE,
        **issuer,
        **kw,
    )


def test_a_pspo_is_made_by_the_council_for_at_most_3_years_extendable_by_3(world: World) -> None:
    with pytest.raises(Refused) as e:
        pspo(world, D(2025, 4, 1, 9), period="P1Y", **CONST)
    refused(
        e,
        "a police constable may not issue a Public Spaces Protection Order",
        "ASBCPA 2014 s.59(1)",
    )
    with pytest.raises(Refused) as e:
        pspo(world, D(2025, 4, 1, 9), period="P4Y")
    refused(e, "may last at most 3 years; 4 years was asked for", "ASBCPA 2014 s.60(1)")
    order = pspo(world, D(2025, 4, 1, 9), period="P3Y")
    assert order["ends_at"] == D(2028, 4, 1, 9)
    # Challenge in the High Court within 6 weeks beginning with the day it is made.
    assert order["deadlines"]["appeal"] == D(2025, 5, 12, 23, 59, 59)
    with pytest.raises(Refused) as e:
        world.step(order["id"], Event.EXTEND, D(2028, 3, 1, 9), period="P4Y")
    refused(
        e,
        "each extension of a Public Spaces Protection Order is at most 3 years",
        "ASBCPA 2014 s.60(2)",
    )
    again = world.step(order["id"], Event.EXTEND, D(2028, 3, 1, 9), period="P3Y")
    assert again["ends_at"] == D(2031, 4, 1, 9)


def test_an_nsp_on_the_absolute_ground_within_12_months_of_the_conviction(world: World) -> None:
    nsp: dict[str, Any] = {
        "power": "ABSOLUTE_GROUND",
        "subject_type": "individual",
        "issuer": "landlord",
        "condition": "serious_offence_conviction",
        "condition_date": "2024-01-15",
    }
    with pytest.raises(Refused) as e:
        world.give(D(2025, 2, 1, 10), person_id=adult(world), **nsp)
    refused(e, "within 12 months of 15 January 2024", "Housing Act 1985 s.84A(3)")
    ok = world.give(D(2024, 12, 2, 10), person_id=adult(world), **nsp)
    assert ok["deadlines"]["review_request"] == D(2024, 12, 9, 23, 59, 59)
    with pytest.raises(Refused) as e:
        world.give(
            D(2024, 8, 1, 10),
            person_id=adult(world),
            **{**nsp, "condition": "closure_order_48h_plus", "condition_date": "2024-04-01"},
        )
    refused(e, "within 3 months of 1 April 2024", "Housing Act 1985 s.84A(6)")


# --- state machine ------------------------------------------------------------------------------


def test_steps_outside_the_state_machine_are_refused(world: World) -> None:
    warning = cpw(world, adult(world), D(2025, 9, 1, 10))
    with pytest.raises(InvalidInput):
        world.step(warning["id"], Event.DISCHARGE, D(2025, 9, 2, 10))  # a reason is needed
    with pytest.raises(Refused) as e:
        world.step(warning["id"], Event.EXPIRE, D(2025, 9, 5, 10))
    refused(e, "runs until 15 September 2025 23:59", "ASBCPA 2014 s.43(5)(a)")
    assert world.step(warning["id"], Event.COMPLY, D(2025, 9, 14, 10))["state"] == "complied"
    with pytest.raises(Conflict, match="a power record that is complied cannot breach"):
        world.step(warning["id"], Event.BREACH, D(2025, 9, 20, 10), reason="again")
    draft = world.draft(
        power="CPW", subject_type="individual", person_id=adult(world), confirmed=CPW_PRE, **CONST
    )
    with pytest.raises(Conflict, match="a power record that is draft cannot comply"):
        world.step(draft, Event.COMPLY, D(2025, 9, 20, 10))

"""KPIs on SQLite and PostgreSQL equal plain SQL counts over the same rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from asbhub.agencies.service import reference_agency
from asbhub.analytics.service import dashboard, kpi_report
from asbhub.generate.service import generate
from asbhub.permissions import Actor, Role, cli_actor
from asbhub.store.engine import session_scope


def test_kpis_equal_sql_counts_on_both_databases(engine: Engine) -> None:
    generate(engine, force_code="essex", start="2021-02", end="2021-03", seed=7)
    with session_scope(engine) as session:
        got = kpi_report(
            session, actor=cli_actor("essex"), period_end=dt.date(2021, 3, 31), years=1
        )
    sql = (
        "SELECT COUNT(*), SUM(CASE WHEN attended THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN covid_breach THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN qualifier = 'personal' THEN 1 ELSE 0 END) FROM incidents "
        "WHERE received_at >= '2020-04-01' AND received_at < '2021-04-01'"
    )
    with engine.connect() as conn:
        n, attended, excl, personal = conn.execute(text(sql)).one()
    year = got["years"][0]
    assert (year["incidents"], year["attended"], year["excluding_covid"], year["personal"]) == (
        n,
        attended,
        excl,
        personal,
    )
    assert n > 5_000


def test_a_partner_sees_only_its_area(engine: Engine) -> None:
    generate(engine, force_code="essex", start="2021-03", end="2021-03", seed=7)
    partner = Actor(
        user_id=1,
        username="p",
        display_name="P",
        role=Role.PARTNER,
        agency=reference_agency("essex", "thurrock-council"),
        force_code="essex",
    )
    with session_scope(engine) as session:
        got = kpi_report(session, actor=partner, period_end=dt.date(2021, 3, 31), years=1)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT COUNT(*) FROM incidents WHERE local_authority_code = 'E06000034'")
        ).scalar_one()
    assert got["area"]["code"] == "E06000034"
    assert got["years"][0]["incidents"] == n


def test_dashboard_months_and_district_table_on_both_databases(engine: Engine) -> None:
    generate(engine, force_code="essex", start="2021-02", end="2021-03", seed=7)
    with session_scope(engine) as session:
        got = dashboard(session, actor=cli_actor("essex"))
    # No complete financial year: the 12 months holding the most incidents.
    assert got["period"]["key"] == "2021-03"
    assert got["period"]["label"] == "12 months to 31 March 2021"
    assert [p["key"] for p in got["presets"]] == ["2021-02", "2021-03"]
    assert (got["first_month"], got["last_month"]) == ("2021-02", "2021-03")
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM incidents "
                "WHERE received_at >= '2020-04-01' AND received_at < '2021-04-01'"
            )
        ).scalar_one()
    monthly = got["monthly"]
    assert monthly["months"][-1] == "2021-03" and len(monthly["months"]) == 12
    assert monthly["total"] == n == got["latest"]["incidents"]

"""The dashboard on the six generated years: period control, areas, CSV downloads, the board
report for entitled roles, and a default that follows the data when new reports arrive."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient
from webseed import FAST_HASHER, PASSWORD, sign_in

from asbhub.auth.service import add_user
from asbhub.incidents.models import Channel, Incident, IncidentType, Qualifier
from asbhub.permissions import STAFF_ROLES, Role
from asbhub.store.engine import make_engine, session_scope
from asbhub.web.app import create_app

Client = Callable[[str], TestClient]


@pytest.fixture(scope="module")
def six_year_app(
    deep_dive_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Client]]:
    mp = pytest.MonkeyPatch()
    mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    mp.setenv("ASBHUB_MODE", "development")
    src = Path(deep_dive_db.removeprefix("sqlite:///"))
    path = tmp_path_factory.mktemp("dash") / "six.db"
    shutil.copyfile(src, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with session_scope(engine) as s:
        for role in STAFF_ROLES:
            add_user(
                s,
                username=f"d{role.value}",
                password=PASSWORD,
                role=role.value,
                display_name=f"Dash {role.value}",
                agency_code="thurrock-council" if role is Role.PARTNER else None,
                force_code="essex",
                demo=True,  # test accounts: no second factor in development mode
            )
    engine.dispose()
    app = create_app(url)
    opened: list[TestClient] = []

    def client(role: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        sign_in(c, f"d{role}")
        return c

    yield url, client
    for c in opened:
        c.__exit__(None, None, None)
    app.state.engine.dispose()
    mp.undo()


def test_default_is_the_latest_financial_year_and_the_page_says_so(
    six_year_app: tuple[str, Client],
) -> None:
    _, client = six_year_app
    html = client("analyst").get("/").text
    assert "Showing the financial year 2020-21 (April 2020 to March 2021)" in html
    assert "1 April 2020 to 31 March 2021" in html
    assert "60,391" in html and "44,995" in html
    for fy in ("2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21"):
        assert f"Financial year {fy}" in html


def test_choosing_a_period_and_an_area(six_year_app: tuple[str, Client]) -> None:
    url, client = six_year_app
    c = client("analyst")
    html = c.get("/?period=2018-03").text
    assert "Showing the financial year 2017-18" in html and "49,430" in html
    html = c.get("/?period=2021-03&area=policing_district:Thurrock").text
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM incidents WHERE district = 'Thurrock' "
                "AND received_at >= '2020-04-01' AND received_at < '2021-04-01'"
            )
        ).scalar_one()
    engine.dispose()
    assert "Thurrock (policing district)" in html and f"{n:,}" in html
    assert c.get("/?period=2021-13").status_code == 422
    assert c.get("/?area=policing_district:Gotham").status_code == 422


def test_each_table_downloads_as_csv(six_year_app: tuple[str, Client]) -> None:
    _, client = six_year_app
    c = client("officer")
    years = list(csv.reader(io.StringIO(c.get("/dashboard/years.csv?period=2021-03").text)))
    assert years[0][:3] == ["period_start", "period_end", "incidents"]
    assert [r[2] for r in years[1:]] == ["52837", "52264", "49430", "46612", "41365", "60391"]
    r = c.get("/dashboard/monthly.csv?period=2021-03")
    assert r.headers["content-disposition"].endswith('-2021-03.csv"')
    monthly = list(csv.reader(io.StringIO(r.text)))
    assert len(monthly[0]) == 13 and sum(int(v) for row in monthly[1:] for v in row[1:]) == 60391
    channels = list(csv.reader(io.StringIO(c.get("/dashboard/channels.csv").text)))
    assert sum(int(row[1]) for row in channels[1:]) == 60391
    assert c.get("/dashboard/nothing.csv").status_code == 422


def test_a_partner_sees_its_own_area_only(six_year_app: tuple[str, Client]) -> None:
    _, client = six_year_app
    c = client("partner")
    html = c.get("/").text
    assert "Thurrock (local authority)" in html
    assert "Essex Police" not in html.split('id="area"')[1].split("</select>")[0]
    assert c.get("/?area=force:essex").status_code == 422
    assert c.get("/reports/board?format=html").status_code == 403
    assert 'href="/reports/board' not in html


def test_board_report_downloads_for_entitled_roles(six_year_app: tuple[str, Client]) -> None:
    _, client = six_year_app
    c = client("supervisor")
    assert 'href="/reports/board?period_end=2021-03-31&amp;format=pdf"' in c.get("/").text
    r = c.get("/reports/board?period_end=2021-03-31&format=html")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    assert "a 21.7% decrease compared to March 2016 (52,837)" in r.text


def test_new_reports_in_a_later_month_do_not_move_the_default(
    six_year_app: tuple[str, Client],
) -> None:
    """Issue 15: four online reports in 2026 made the dashboard show 2026 for every role."""
    url, client = six_year_app
    engine = make_engine(url)
    with session_scope(engine) as s:
        for k in range(4):
            s.add(
                Incident(
                    force_code="essex",
                    reference=f"ESX-NEW-{k}",
                    received_at=dt.datetime(2026, 12, 1 + k, 10),
                    channel=Channel.ONLINE,
                    opening_code=IncidentType.NOISE,
                    qualifier=Qualifier.NUISANCE,
                    district="Thurrock",
                    local_authority_code="E06000034",
                )
            )
    try:
        for role in ("analyst", "partner"):
            html = client(role).get("/").text
            assert "Showing the financial year 2020-21" in html, role
            assert "12 months to 31 December 2026" in html  # still one choice away
        html = client("analyst").get("/contact/channels").text
        assert "Showing the financial year 2020-21 (April 2020 to March 2021)" in html
        # 10,730 chats to 31 December 2020 and 3,458 in January-March 2021 (docs/generator.md)
        assert "14,188" in html
        later = client("analyst").get("/contact/channels?period=2026-12").text
        assert "1 January 2026 to 31 December 2026" in later
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE reference LIKE 'ESX-NEW-%'"))
        engine.dispose()

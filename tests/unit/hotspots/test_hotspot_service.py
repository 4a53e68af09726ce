"""What the hotspot page asks of the service: which month, from which data, refused why."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from test_hotspot_cli import seed

from asbhub.errors import InvalidInput, NotFound
from asbhub.hotspots import service
from asbhub.hotspots.events import month_index
from asbhub.permissions import Actor, Role

OFFICER = Actor(user_id=1, username="o", display_name="Officer", role=Role.OFFICER,
                force_code="essex")  # fmt: skip


def test_predictable_months_need_the_whole_window() -> None:
    have = [month_index(f"2025-{m:02d}") for m in (1, 2, 3, 4, 5, 6, 7, 9, 10)]
    got = service.predictable_months(have, k=3, gap=1)
    # 2025-04..2025-08 have their three months before; 2025-09 and 2025-10 miss August.
    assert [month_index(m) for m in ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08")] == (
        got[:5]
    )
    assert month_index("2025-09") not in got and month_index("2025-11") not in got
    assert service.predictable_months([]) == []


def test_the_page_says_which_month_from_which_data(engine: Engine) -> None:
    seed(engine)  # ASB records of 2025-01 to 2025-09
    view = service.map_view(engine, actor=OFFICER, today=dt.date(2026, 12, 1))
    assert (view.month, view.data_from, view.data_to) == ("2025-10", "2025-01", "2025-09")
    assert (view.train_from, view.train_to) == ("2025-04", "2025-09")
    assert view.stale  # 2025-10 is long over on 1 December 2026
    assert view.months == ["2025-07", "2025-08", "2025-09", "2025-10"]
    assert not service.map_view(engine, actor=OFFICER, today=dt.date(2025, 10, 3)).stale
    earlier = service.map_view(engine, actor=OFFICER, month="2025-08")
    assert (earlier.month, earlier.train_to, earlier.data_to) == ("2025-08", "2025-07", "2025-09")


@pytest.mark.parametrize(
    ("month", "said", "choose"),
    [
        ("2026-11", "the records in the store end in 2025-09", "2025-07 to 2025-10"),
        ("2025-03", "needs the 6 months of records before it", "2025-07 to 2025-10"),
        ("2026-13", "is not a month", "for example 2026-01"),
        ("soon", "is not a month", "for example 2026-01"),
    ],
)
def test_a_refused_month_says_why_and_what_to_choose(
    engine: Engine, month: str, said: str, choose: str
) -> None:
    seed(engine)
    with pytest.raises(InvalidInput) as exc:
        service.map_view(engine, actor=OFFICER, month=month)
    assert said in exc.value.message and choose in exc.value.fields["month"]
    with pytest.raises(InvalidInput):
        service.patrol_view(engine, actor=OFFICER, district="Basildon", month=month, cells=15)


def test_every_flagged_place_is_on_some_page(engine: Engine) -> None:
    seed(engine)
    first = service.map_view(engine, actor=OFFICER)
    assert first.flagged == 605 and len(first.places) == service.PAGE_SIZE
    p = first.paging
    assert (p.number, p.pages, p.first, p.last) == (1, 31, 1, 20)
    ranks = []
    for page in range(1, p.pages + 1):
        ranks += [c["rank"] for c in service.map_view(engine, actor=OFFICER, page=page).places]
    assert ranks == list(range(1, 606))
    beyond = service.map_view(engine, actor=OFFICER, page=99).paging
    assert (beyond.number, beyond.first, beyond.last) == (31, 601, 605)


def test_patrol_view_lists_the_plans_places(engine: Engine) -> None:
    seed(engine)
    view = service.patrol_view(engine, actor=OFFICER, district="Basildon", month=None, cells=15)
    assert view.places[0]["location"] == "On or near Dummy Lane, Basildon"
    flagged = service.map_view(engine, actor=OFFICER, district="Southend").flagged
    view = service.patrol_view(engine, actor=OFFICER, district="Southend", month=None, cells=15)
    assert [p["district_rank"] for p in view.places] == list(range(1, min(flagged, 15) + 1))
    with pytest.raises(NotFound):
        service.patrol_view(engine, actor=OFFICER, district="Atlantis", month=None, cells=15)

"""The generated year's restorative referrals give the Hub's 93% participant satisfaction."""

from __future__ import annotations

import datetime as dt

from asbhub.analytics.cli import cli_actor
from asbhub.generate.restorative import seed_satisfaction
from asbhub.restorative.queries import restorative_figures
from asbhub.store.engine import make_engine, session_scope


def test_the_generated_year_gives_the_hubs_satisfaction(deep_dive_db: str) -> None:
    engine = make_engine(deep_dive_db)
    with session_scope(engine) as s:
        f = restorative_figures(
            s, actor=cli_actor("essex"), start=dt.date(2020, 4, 1), end=dt.date(2021, 3, 31)
        )
    engine.dispose()
    assert (f.referrals, f.completed) == (60, 50)
    assert f.satisfaction.responses == 100
    assert f.satisfaction.satisfied_pct == seed_satisfaction() == 93
    # Their 12 months after the end run past March 2021: all still in follow-up.
    assert (f.reoffending.referrals, f.reoffending.in_follow_up) == (0, 50)

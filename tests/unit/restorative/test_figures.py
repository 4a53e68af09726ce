"""The restorative figures on hand-made frames: satisfaction, and re-offending 12 months
before and after, with the follow-up rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from asbhub.errors import InvalidInput
from asbhub.restorative import figures
from asbhub.restorative.menu import Purpose, load, parse_menu

D = dt.date


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, 0)


def test_satisfaction_counts_only_those_asked() -> None:
    parties = pd.DataFrame({"satisfied": [True] * 13 + [False]})
    s = figures.satisfaction(parties)
    assert (s.responses, s.satisfied, s.satisfied_pct) == (14, 13, 92.9)
    assert figures.satisfaction(pd.DataFrame({"satisfied": []})).satisfied_pct is None


def test_reoffending_before_and_after_with_twelve_months_follow_up() -> None:
    referrals = pd.DataFrame(
        {
            "person_id": [1, 2, 3],
            "referred_on": [D(2019, 6, 1), D(2019, 9, 1), D(2020, 9, 1)],
            "ended_on": [D(2019, 7, 1), D(2019, 10, 1), D(2020, 10, 1)],
        }
    )
    incidents = pd.DataFrame(
        {
            "person_id": [1, 1, 1, 1, 2, 2, 1, 3],
            "received_at": [
                at(2018, 6, 2),  # person 1: 12 months before 1 June 2019 starts 1 June 2018
                at(2018, 12, 1),
                at(2019, 5, 31),
                at(2019, 6, 15),  # between referral and end: neither window
                at(2019, 3, 1),  # person 2: one before
                at(2020, 9, 30),  # and one after the end (1 Oct 2019 .. 1 Oct 2020)
                at(2018, 5, 31),  # person 1: before the window
                at(2020, 12, 1),  # person 3 is still in follow-up on 31 March 2021
            ],
        }
    )
    r = figures.reoffending(referrals, incidents, D(2021, 3, 31))
    assert (r.referrals, r.people, r.in_follow_up) == (2, 2, 1)
    assert (r.incidents_before, r.incidents_after) == (4, 1)
    assert r.change_pct == -75.0  # (1 - 4) / 4
    assert r.reoffended == 1


def test_the_menu_gives_every_action_a_purpose() -> None:
    m = load()
    assert m.version == "essex-pfcc-community-remedy-2021.1"
    assert all(a.purposes for a in m.actions)
    assert {p for a in m.actions for p in a.purposes} == set(Purpose)
    with pytest.raises(InvalidInput) as exc:
        m.action("stocks")
    assert "not on the Community Remedy menu" in exc.value.message


def test_a_menu_action_without_a_purpose_is_refused() -> None:
    text = (
        '{"kind": "community_remedy", "version": "x", "effective_from": "2021-01-01", '
        '"source": "test", "actions": [{"code": "apology", "name": "Apology", "purposes": []}]}'
    )
    with pytest.raises(InvalidInput) as exc:
        parse_menu(text, "menu.json")
    assert "menu.json: actions.0.purposes" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        parse_menu(text.replace('"purposes": []', '"purposes": ["retributive"]'), "menu.json")
    assert "menu.json: actions.0.purposes.0" in exc.value.fields

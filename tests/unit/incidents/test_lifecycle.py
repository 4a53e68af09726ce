"""The incident state machine: every allowed and every refused (status, event) pair."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asbhub.errors import Conflict
from asbhub.incidents.lifecycle import (
    FINAL,
    INITIAL,
    TRANSITIONS,
    Event,
    allowed_events,
    next_status,
    reachable,
)
from asbhub.incidents.models import IncidentStatus as S

# Written out by hand from the issue (new -> triaged -> assigned/referred/resolved -> closed),
# independently of TRANSITIONS, so a change to the machine has to change this table too.
EXPECTED = {
    ("new", "triage"): "triaged",
    ("triaged", "reassess"): "triaged",
    ("triaged", "assign"): "assigned",
    ("triaged", "refer"): "referred",
    ("triaged", "resolve"): "resolved",
    ("assigned", "reassess"): "assigned",
    ("assigned", "assign"): "assigned",
    ("assigned", "attend"): "assigned",
    ("assigned", "refer"): "referred",
    ("assigned", "resolve"): "resolved",
    ("assigned", "close"): "closed",
    ("referred", "reassess"): "referred",
    ("referred", "assign"): "assigned",
    ("referred", "close"): "closed",
    ("resolved", "reassess"): "resolved",
    ("resolved", "close"): "closed",
    # A correction of the record (issue 20) keeps every status, closed included.
    **{(s.value, "reclassify"): s.value for s in S},
}
PAIRS = list(itertools.product(S, Event))


@pytest.mark.parametrize(("status", "event"), PAIRS, ids=[f"{s}-{e}" for s, e in PAIRS])
def test_every_pair(status: S, event: Event) -> None:
    want = EXPECTED.get((status.value, event.value))
    if want is None:
        with pytest.raises(Conflict) as exc:
            next_status(status, event)
        assert status.value in str(exc.value) and event.value in str(exc.value)
    else:
        assert next_status(status, event).value == want


def test_machine_matches_the_table() -> None:
    assert {(s.value, e.value): t.value for (s, e), t in TRANSITIONS.items()} == EXPECTED


def test_every_status_is_reachable_and_closed_is_final() -> None:
    assert reachable() == set(S)
    assert INITIAL is S.NEW and {S.CLOSED} == FINAL
    # Only a correction of the record is allowed once closed, and it keeps the status.
    assert allowed_events(S.CLOSED) == [Event.RECLASSIFY]
    assert next_status(S.CLOSED, Event.RECLASSIFY) is S.CLOSED
    assert set(allowed_events(S.NEW)) == {Event.TRIAGE, Event.RECLASSIFY}


@given(st.lists(st.sampled_from(list(Event)), max_size=40))
def test_no_sequence_reaches_a_state_the_machine_does_not_allow(events: list[Event]) -> None:
    status = INITIAL
    path = [status]
    for event in events:
        try:
            nxt = next_status(status, event)
        except Conflict:
            assert (status, event) not in TRANSITIONS  # refused only when not declared
            continue
        assert (status, event) in TRANSITIONS and TRANSITIONS[(status, event)] is nxt
        status = nxt
        path.append(status)
    assert set(path) <= reachable()
    # Nothing leaves closed, and nothing but triage leaves new.
    if S.CLOSED in path:
        assert path[path.index(S.CLOSED) :] == [S.CLOSED] * (len(path) - path.index(S.CLOSED))
    moves = [s for prev, s in itertools.pairwise(path) if s is not prev]
    if moves:
        assert moves[0] is S.TRIAGED

"""Working days and the deadlines of each area's procedure, computed by hand on a calendar."""

from __future__ import annotations

import datetime as dt

from asbhub.casereviews import procedure
from asbhub.casereviews.procedure import Dates, Milestone, deadlines
from asbhub.powers.calendar import add_working_days

RULES = procedure.procedures()
DEFAULT = RULES.procedure("E06000034")  # Thurrock: the Essex default
COLCHESTER = RULES.procedure("E07000071")
CASTLE_POINT = RULES.procedure("E07000069")
D = dt.date


def due(p: procedure.Procedure, dates: Dates) -> dict[str, dt.date]:
    return {d.milestone.value: d.due_on for d in deadlines(p, dates)}


def test_working_days_skip_weekends_and_the_day_itself() -> None:
    # Received on Friday 14 March 2025: five working days is Friday 21 March.
    assert add_working_days(D(2025, 3, 14), 5) == D(2025, 3, 21)
    assert add_working_days(D(2025, 3, 15), 1) == D(2025, 3, 17)  # a Saturday


def test_working_days_skip_bank_holidays() -> None:
    # Wed 16 April 2025: Thu 17 (1), Good Friday and Easter Monday skipped, Tue 22 .. Fri 25 (5).
    assert add_working_days(D(2025, 4, 16), 5) == D(2025, 4, 25)
    # Christmas and New Year 2025-26: 20 working days from Mon 15 December is Thu 15 January.
    assert add_working_days(D(2025, 12, 15), 20) == D(2026, 1, 15)
    # The 2022 State Funeral was a bank holiday.
    assert add_working_days(D(2022, 9, 16), 1) == D(2022, 9, 20)


def test_default_acknowledge_then_decide_from_the_acknowledgement() -> None:
    received = D(2025, 3, 14)
    # Not yet acknowledged: the decision runs from the acknowledgement's due day (21 March).
    assert due(DEFAULT, Dates(received)) == {
        "acknowledge": D(2025, 3, 21),
        "decision": D(2025, 4, 4),
    }
    # Acknowledged early on Tue 18 March: ten working days on is Tue 1 April.
    assert due(DEFAULT, Dates(received, acknowledged_on=D(2025, 3, 18)))["decision"] == D(
        2025, 4, 1
    )


def test_colchester_decides_from_receipt() -> None:
    # Ten working days from Friday 14 March 2025, whenever it was acknowledged.
    got = due(COLCHESTER, Dates(D(2025, 3, 14), acknowledged_on=D(2025, 3, 20)))
    assert got["decision"] == D(2025, 3, 28)


def test_meeting_and_outcome_after_the_threshold_is_met() -> None:
    dates = Dates(
        D(2025, 3, 14),
        acknowledged_on=D(2025, 3, 18),
        decided_on=D(2025, 3, 31),
        threshold_met=True,
    )
    # 20 working days from Mon 31 March, Easter skipped: Wed 30 April.
    assert due(DEFAULT, dates)["meeting"] == D(2025, 4, 30)
    # Castle Point meets within 10 working days: Mon 14 April; it acknowledges within 10.
    cp = due(CASTLE_POINT, dates)
    assert cp["meeting"] == D(2025, 4, 14) and cp["acknowledge"] == D(2025, 3, 28)
    held = Dates(**{**dates.__dict__, "held_on": D(2025, 4, 30)})
    # Five working days from Wed 30 April, the early May bank holiday skipped: Thu 8 May.
    assert due(DEFAULT, held)["outcome"] == D(2025, 5, 8)


def test_no_meeting_deadline_when_the_threshold_is_not_met() -> None:
    dates = Dates(D(2025, 3, 14), D(2025, 3, 18), D(2025, 3, 31), threshold_met=False)
    assert set(due(DEFAULT, dates)) == {"acknowledge", "decision"}


def test_late_is_done_after_the_day_or_open_past_it() -> None:
    (ack, _) = deadlines(DEFAULT, Dates(D(2025, 3, 14), acknowledged_on=D(2025, 3, 24)))
    assert ack.milestone is Milestone.ACKNOWLEDGE and ack.late(D(2025, 3, 24))
    (ack, _) = deadlines(DEFAULT, Dates(D(2025, 3, 14)))
    assert not ack.late(D(2025, 3, 21)) and ack.late(D(2025, 3, 22))


def test_handling_review_goes_to_the_pfcc_office() -> None:
    assert DEFAULT.handling_review_by == (
        "Office of the Police, Fire and Crime Commissioner for Essex"
    )
    assert procedure.handling_review_due(DEFAULT, D(2025, 12, 15)) == D(2026, 1, 15)

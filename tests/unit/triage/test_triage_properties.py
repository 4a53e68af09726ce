"""Property tests: more history never lowers the level or removes a flag; overrides stay."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from asbhub.triage import rules
from asbhub.triage.assessment import History, evaluate
from asbhub.triage.repeats import Earlier
from asbhub.triage.rules import RiskLevel
from asbhub.triage.schemas import CallIn

RULES = rules.load()
NOW = dt.datetime(2026, 6, 15, 12, 0)
QIDS = [q.id for q in RULES.risk.questions]
ELEMENTS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")

answers = st.dictionaries(st.sampled_from(QIDS), st.sampled_from(["yes", "no", "unknown"]))
thrive = st.fixed_dictionaries(
    {
        e: st.fixed_dictionaries({"level": st.sampled_from(["low", "medium", "high"])})
        for e in ELEMENTS
    }
)
# Days before the call; some beyond the 12 months shown, some within the windows.
ago = st.floats(min_value=0.01, max_value=500)


def earlier_list(prefix: str) -> st.SearchStrategy[list[Earlier]]:
    return st.lists(
        st.tuples(ago, st.booleans(), st.integers(0, 45)),
        max_size=6,
    ).map(
        lambda xs: [
            Earlier(
                1000 * (ord(prefix[0])) + i,
                f"{prefix}{i}",
                NOW - dt.timedelta(days=d),
                "person",
                hate_motivated=h,
                occurred_at=NOW - dt.timedelta(days=d + late),
            )
            for i, (d, h, late) in enumerate(xs)
        ]
    )


def calls() -> st.SearchStrategy[CallIn]:
    return st.builds(
        lambda a, t, n, hate, ov: CallIn.model_validate(
            {
                "incident_type": "rowdy_nuisance_neighbours",
                "received_at": NOW.isoformat(),
                "victim": {"person_id": 5},
                "location": {"address": "2 Mill Lane"},
                "suspect": None,
                "answers": a,
                "thrive": t,
                "times_last_3_months": n,
                "hate_motivated": hate,
                **({"override": {"level": ov, "reason": "judgement"}} if ov else {}),
            }
        ),
        answers,
        thrive,
        st.integers(0, 5),
        st.booleans(),
        st.sampled_from([None, "standard", "medium", "high"]),
    )


@settings(max_examples=150, deadline=None)
@given(
    calls(),
    earlier_list("V"),
    earlier_list("L"),
    st.sampled_from(["victim", "location"]),
    ago,
    st.booleans(),
    st.sampled_from([None, "E07000071"]),
)
def test_an_earlier_incident_never_lowers_the_level_or_removes_a_flag(
    call: CallIn,
    victim: list[Earlier],
    location: list[Earlier],
    which: str,
    days: float,
    hate: bool,
    area: str | None,
) -> None:
    before = History(victim=victim, location=location, local_authority_code=area)
    extra = Earlier(99_999, "NEW", NOW - dt.timedelta(days=days), "person", hate_motivated=hate)
    after = History(
        victim=victim + ([extra] if which == "victim" else []),
        location=location + ([extra] if which == "location" else []),
        local_authority_code=area,
    )
    a = evaluate(RULES, call, before, now=NOW, by="PC A")
    b = evaluate(RULES, call, after, now=NOW, by="PC A")
    assert RiskLevel(b.risk.level).rank >= RiskLevel(a.risk.level).rank
    assert b.risk.score >= a.risk.score
    for ra, rb in zip(a.repeats, b.repeats, strict=True):
        assert rb.repeat or not ra.repeat
        assert rb.count_in_window >= ra.count_in_window
    assert b.case_review.eligible or not a.case_review.eligible
    assert set(a.always_attend) <= set(b.always_attend)


@settings(max_examples=150, deadline=None)
@given(calls(), earlier_list("V"), st.booleans())
def test_an_override_is_never_lost(call: CallIn, victim: list[Earlier], supervisor: bool) -> None:
    d = evaluate(RULES, call, History(victim=victim), now=NOW, by="Sgt B", may_lower=supervisor)
    if call.override is None:
        assert d.risk.override is None
        assert d.risk.level == d.risk.computed_level
        return
    assert d.risk.override is not None
    assert (d.risk.override.level, d.risk.override.reason, d.risk.override.by) == (
        call.override.level,
        call.override.reason,
        "Sgt B",
    )
    if supervisor:
        assert d.risk.level == call.override.level
    else:  # a raise always applies; a lowering waits for a supervisor
        assert RiskLevel(d.risk.level).rank == max(
            RiskLevel(d.risk.computed_level).rank, call.override.level.rank
        )
    assert any(call.override.reason in r for r in d.risk.reasons)

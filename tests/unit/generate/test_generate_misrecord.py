"""``--misrecord-rate``: the recorded figures stay the published ones, the truth differs by
exactly the share asked for, and behaviour follows the truth."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.errors import InvalidInput
from asbhub.generate.misrecord import KIND_SHARES
from asbhub.generate.service import build


@pytest.fixture(scope="module")
def pair() -> tuple[object, object]:
    return build(9, "2019-04", "2020-03"), build(9, "2019-04", "2020-03", misrecord_rate=0.2)


def test_recorded_counts_are_unchanged_and_the_truth_moves(pair: tuple[object, object]) -> None:
    plain, mis = pair
    p, m = plain.years[0], mis.years[0]  # type: ignore[attr-defined]
    for q in ("personal", "nuisance", "environmental"):
        assert (p.qualifier == q).sum() == (m.qualifier == q).sum()
    assert (p.true_qualifier == p.qualifier).all() and (p.misrecord == "").all()
    n = int((~m.covid).sum())  # COVID breaches keep the category the deep dive fixes
    wrong = m.misrecord != ""
    assert wrong.sum() == pytest.approx(0.2 * n, abs=3)
    for kind, share in KIND_SHARES.items():
        assert (m.misrecord == kind).sum() == pytest.approx(share * 0.2 * n, abs=2)
    pn = m.misrecord == "personal_as_nuisance"
    assert (m.qualifier[pn] == "nuisance").all() and (m.true_qualifier[pn] == "personal").all()
    hm = m.misrecord == "hate_flag_missing"
    assert m.true_hate[hm].all() and not m.hate[hm].any()
    # The narrative follows the truth: personal words in incidents recorded as nuisance.
    assert (
        np.mean(["targeted" in t or "aimed at" in t or "directed at" in t for t in m.narrative[pn]])
        > 0.6
    )


def test_rate_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        build(9, "2019-04", "2019-04", misrecord_rate=0.5)
    assert "--misrecord-rate" in exc.value.fields

"""Triage records for generated incidents, consistent with the published attendance.

The deep dive fixes how many incidents were attended (56% in 2020/21); the generator has
already chosen which. Each incident gets the assessment a call handler would have recorded:

- outcome: attend where it was attended; otherwise refer where a partner owns the issue
  (the packaged routing rules), else resolved by phone;
- risk: medium and high go only to attended incidents with a victim (vulnerability always
  attends), weighted to personal and hate-motivated ones: 1% high and 4% medium of all
  incidents, in line with the deep dive's "about 3%" of high-risk or repeat-victim cases;
- grade: immediate or priority for 999 calls and high risk, scheduled or priority otherwise;
- repeats: counted from the generated history itself (same place, victim or suspect, 3 or more
  with the incident in about 3 months, within the financial year).

Drawn from their own random stream, so every other generated value stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asbhub.triage import rules

HIGH_SHARE, MEDIUM_SHARE = 0.01, 0.04
WINDOW_S = 91 * 86400  # "3 months", as days: the generator works on instants
REPEAT_AT = 3


@dataclass
class TriageData:
    risk: np.ndarray  # "standard" / "medium" / "high"
    score: np.ndarray
    grade: np.ndarray
    outcome: np.ndarray
    partner: np.ndarray  # partner code or None
    repeat_victim: np.ndarray
    repeat_location: np.ndarray
    repeat_offender: np.ndarray

    def take(self, keep: np.ndarray) -> TriageData:
        return TriageData(**{k: v[keep] for k, v in self.__dict__.items()})


def prior_counts(key: np.ndarray, seconds: np.ndarray, window: int) -> np.ndarray:
    """For each row, how many earlier rows share its key within ``window`` seconds
    (``key`` -1 means none). One sort and one binary search: no pairwise loop."""
    out = np.zeros(len(key), dtype=np.int64)
    sel = np.flatnonzero(key >= 0)
    if not len(sel):
        return out
    combined = key[sel].astype(np.int64) * (1 << 40) + seconds[sel]
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    first = np.searchsorted(ordered, ordered - window, side="left")
    out[sel[order]] = np.arange(len(ordered)) - first
    return out


def build_triage(
    rng: np.random.Generator,
    *,
    received: np.ndarray,
    channel: np.ndarray,
    closing: np.ndarray,
    qualifier: np.ndarray,
    hate: np.ndarray,
    attended: np.ndarray,
    premises: np.ndarray,
    place: np.ndarray,
    victim: np.ndarray,
    suspect: np.ndarray,
) -> TriageData:
    n = len(received)
    routing = rules.load().routing
    seconds = received.astype("datetime64[s]").astype(np.int64)
    rep_loc = prior_counts(place, seconds, WINDOW_S) + 1 >= REPEAT_AT
    rep_vic = prior_counts(victim, seconds, WINDOW_S) + 1 >= REPEAT_AT
    rep_off = prior_counts(suspect, seconds, WINDOW_S) + 1 >= REPEAT_AT

    risk = np.full(n, "standard", dtype=object)
    candidates = np.flatnonzero(attended & (victim >= 0))
    w = (
        np.where(qualifier[candidates] == "personal", 4.0, 1.0)
        * np.where(hate[candidates], 3.0, 1.0)
        * np.where(rep_vic[candidates], 2.0, 1.0)
    )
    k_high = min(round(HIGH_SHARE * n), len(candidates))
    k_med = min(round(MEDIUM_SHARE * n), len(candidates) - k_high)
    if k_high + k_med:
        keys = np.log(w) + rng.gumbel(size=len(candidates))
        ranked = candidates[np.argsort(-keys, kind="stable")]
        risk[ranked[:k_high]] = "high"
        risk[ranked[k_high : k_high + k_med]] = "medium"
    score = np.where(
        risk == "high",
        rng.integers(12, 20, n),
        np.where(risk == "medium", rng.integers(6, 12, n), rng.integers(0, 6, n)),
    )

    partner = np.array(
        [routing.partner_for(str(t), str(p)) for t, p in zip(closing, premises, strict=True)],
        dtype=object,
    )
    owned = np.array([p is not None for p in partner], dtype=bool)
    outcome = np.where(attended, "attend", np.where(owned, "refer", "resolve"))
    u = rng.random(n)
    urgent = (channel == "999") | (risk == "high")
    grade = np.where(
        attended,
        np.where(
            urgent,
            np.where(u < 0.4, "immediate", "priority"),
            np.where(u < 0.6, "scheduled", "priority"),
        ),
        np.where(outcome == "refer", "refer", "resolved"),
    ).astype(object)
    partner[outcome != "refer"] = None
    return TriageData(
        risk=risk,
        score=score,
        grade=grade,
        outcome=outcome.astype(object),
        partner=partner,
        repeat_victim=rep_vic,
        repeat_location=rep_loc,
        repeat_offender=rep_off,
    )

"""Misrecording: the generator's version of what the force's recording audit found.

The published qualifier counts are what was *recorded*; with ``--misrecord-rate R`` a share R
of the incidents (COVID breaches aside, whose category the deep dive fixes) is given a true
qualifier or hate flag that differs from the recorded one, in the proportions the audit
reported: mostly personal ASB closed as nuisance, some environmental / nuisance confusion, and
hate-motivated incidents closed without their hate flag. The behaviour (closing code, place,
people, narrative) then follows the truth, as it did on the call; only the record is wrong.

The truth is stored apart (``generated_truth``, :mod:`asbhub.generate.models`) so that tests
and the evaluation can score the audit, which never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asbhub.errors import InvalidInput

MAX_RATE = 0.3
# How the misrecorded incidents divide between the kinds (shares of R).
KIND_SHARES: dict[str, float] = {
    "personal_as_nuisance": 0.70,
    "environmental_as_nuisance": 0.10,
    "nuisance_as_environmental": 0.10,
    "hate_flag_missing": 0.10,
}
# kind -> (recorded qualifier it is drawn from, true qualifier)
QUALIFIER_KINDS: dict[str, tuple[str, str]] = {
    "personal_as_nuisance": ("nuisance", "personal"),
    "environmental_as_nuisance": ("nuisance", "environmental"),
    "nuisance_as_environmental": ("environmental", "nuisance"),
}


@dataclass
class Misrecording:
    truth: np.ndarray  # the true qualifier of each incident
    hate_missing: np.ndarray  # true hate-motivated, recorded without the flag
    kind: np.ndarray  # "" where recorded right, else a key of KIND_SHARES


def check_rate(rate: float) -> float:
    if not 0.0 <= rate <= MAX_RATE:
        raise InvalidInput(
            f"--misrecord-rate must be between 0 and {MAX_RATE}, not {rate}",
            {"--misrecord-rate": f"a share between 0 and {MAX_RATE}"},
        )
    return rate


def draw(
    rng: np.random.Generator, recorded: np.ndarray, covid: np.ndarray, rate: float
) -> Misrecording:
    """Choose which incidents are misrecorded, and how; exact counts, random places."""
    n = len(recorded)
    truth = recorded.copy()
    kind = np.full(n, "", dtype=object)
    hate_missing = np.zeros(n, dtype=bool)
    if rate <= 0 or not n:
        return Misrecording(truth, hate_missing, kind)
    eligible = ~covid
    total = round(rate * int(eligible.sum()))
    for name, share in KIND_SHARES.items():
        k = round(total * share)
        if name in QUALIFIER_KINDS:
            source, true = QUALIFIER_KINDS[name]
            cand = np.flatnonzero(eligible & (recorded == source) & (kind == ""))
            chosen = rng.choice(cand, min(k, len(cand)), replace=False)
            truth[chosen] = true
        else:
            # Personal incidents recorded as personal, whose hate flag was left off.
            cand = np.flatnonzero(eligible & (recorded == "personal") & (kind == ""))
            chosen = rng.choice(cand, min(k, len(cand)), replace=False)
            hate_missing[chosen] = True
        kind[chosen] = name
    return Misrecording(truth, hate_missing, kind)

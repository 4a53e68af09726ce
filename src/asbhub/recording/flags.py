"""From a period's incidents to flags: the rules, the learned check and the estimated mix.

Pure functions on DataFrames (no session): :mod:`asbhub.recording.service` reads the store,
calls :func:`find` and stores what it returns.

A flag's confidence is the larger of the learned check's probability that the recorded
qualifier is wrong and the stated confidence of each rule that fired; an incident is flagged
when it reaches the rule set's ``flag_threshold``. A rule below the threshold never flags on
its own, but it is a feature of the learned check and is listed among a flag's reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from asbhub.recording import classifier
from asbhub.recording.classifier import CLASSES, Model, Progress
from asbhub.recording.rules import RuleSet, evaluate, repeat_counts

MODEL_REASON = "learned_check"
Z95 = 1.959964


@dataclass
class Found:
    """What one audit run found."""

    flags: pd.DataFrame  # one row per flagged incident
    probabilities: np.ndarray  # (incidents x CLASSES), out of fold or from the given model
    incidents: pd.DataFrame
    model: Model


def labels(
    rules: RuleSet,
    incidents: pd.DataFrame,
    hits: pd.DataFrame,
    decisions: dict[int, str] | None = None,
) -> np.ndarray:
    """The training labels: the recorded qualifier, replaced by the suggestion of each rule
    that defines the category (``label``) and by the team's decisions on earlier flags."""
    y = incidents["qualifier"].to_numpy(object).copy()
    for r in rules.rules:
        if r.label and r.suggest:
            y[hits[r.id].to_numpy(bool)] = r.suggest
    if decisions:
        pos = pd.Series(np.arange(len(incidents)), index=incidents["id"].to_numpy())
        for incident_id, q in decisions.items():
            if incident_id in pos.index:
                y[pos[incident_id]] = q
    return y


def find(
    rules: RuleSet,
    incidents: pd.DataFrame,
    people: pd.DataFrame,
    *,
    model: Model | None = None,
    decisions: dict[int, str] | None = None,
    progress: Progress = classifier.no_progress,
) -> Found:
    """Run every rule and the learned check over ``incidents``.

    Without ``model`` the check is trained here on these incidents and each is scored out of
    fold; with one (trained on another store or period) they are scored by it.
    """
    window = max((r.window_days for r in rules.rules if r.kind == "repeat_victim"), default=28)
    repeats = repeat_counts(incidents, people, window)
    hits = evaluate(rules, incidents, repeats)
    progress("rules", 1)
    frame = classifier.design(incidents, repeats, hits)
    if model is None:
        model, proba, X = classifier.train(
            frame, labels(rules, incidents, hits, decisions), progress
        )
    else:
        proba, X = classifier.score(model, frame, progress)
    flags = _flags(rules, incidents, hits, proba)
    rows = flags["row"].to_numpy(np.int64)
    explained = classifier.drivers(
        model,
        X,
        rows,
        flags["recorded_qualifier"].to_numpy(object),
        flags["suggested_qualifier"].to_numpy(object),
    )
    flags["drivers"] = pd.Series(explained, index=flags.index, dtype=object)
    progress("explanations", 1)
    return Found(flags=flags, probabilities=proba, incidents=incidents, model=model)


def _flags(
    rules: RuleSet, incidents: pd.DataFrame, hits: pd.DataFrame, proba: np.ndarray
) -> pd.DataFrame:
    n = len(incidents)
    recorded = incidents["qualifier"].to_numpy(object)
    idx = np.array([CLASSES.index(q) for q in recorded], dtype=np.int64)
    p_wrong = 1.0 - proba[np.arange(n), idx] if n else np.zeros(0)
    best = np.array(CLASSES, dtype=object)[proba.argmax(axis=1)] if n else np.zeros(0, object)
    confidence = p_wrong.copy()
    rule_suggest = np.full(n, None, dtype=object)
    hate_suggest = np.zeros(n, bool)
    reasons: list[list[str]] = [[] for _ in range(n)]
    threshold = rules.flag_threshold
    for r in rules.rules:
        hit = hits[r.id].to_numpy(bool)
        confidence = np.where(hit, np.maximum(confidence, r.confidence), confidence)
        for i in np.flatnonzero(hit).tolist():
            reasons[i].append(r.id)
        if r.suggest:
            take = hit & (rule_suggest == None) & (r.confidence >= threshold)  # noqa: E711
            rule_suggest[take] = r.suggest
        if r.suggest_hate:
            hate_suggest |= hit & (r.confidence >= threshold)
    model_flag = p_wrong >= threshold
    for i in np.flatnonzero(model_flag).tolist():
        reasons[i].append(MODEL_REASON)
    # The learned check names the qualifier where it is the one flagging; otherwise the rule.
    suggested = np.where(model_flag, best, np.where(rule_suggest != None, rule_suggest, recorded))  # noqa: E711
    flagged = np.flatnonzero(confidence >= threshold)
    recorded_hate = incidents["hate_motivated"].to_numpy(bool)
    return pd.DataFrame(
        {
            "row": flagged,
            "incident_id": incidents["id"].to_numpy()[flagged],
            "district": incidents["district"].to_numpy(object)[flagged],
            "month": incidents["received_at"].dt.strftime("%Y-%m").to_numpy(object)[flagged],
            "recorded_qualifier": recorded[flagged],
            "suggested_qualifier": suggested[flagged],
            "recorded_hate": recorded_hate[flagged],
            "suggested_hate": (recorded_hate | hate_suggest)[flagged],
            "confidence": np.round(confidence[flagged], 4),
            "reasons": [reasons[i] for i in flagged.tolist()],
            "probabilities": [
                {c: round(float(proba[i, k]), 4) for k, c in enumerate(CLASSES)}
                for i in flagged.tolist()
            ],
        }
    )


def mix(proba: np.ndarray) -> dict[str, dict[str, float]]:
    """The estimated true share of each qualifier, with a 95% interval.

    The estimate is the mean calibrated probability (probabilistic classify-and-count); the
    interval treats each incident's true qualifier as an independent draw from its
    probabilities (a Poisson-binomial count), so it says how sure the shares are given the
    model, not how good the model is: the evaluation (docs/recording-audit.md) measures that.
    """
    n = len(proba)
    out: dict[str, dict[str, float]] = {}
    for k, c in enumerate(CLASSES):
        p = proba[:, k] if n else np.zeros(0)
        share = float(p.mean()) if n else 0.0
        half = Z95 * math.sqrt(float((p * (1 - p)).sum())) / n if n else 0.0
        out[c] = {
            "share": round(share, 4),
            "low": round(max(0.0, share - half), 4),
            "high": round(min(1.0, share + half), 4),
        }
    return out


def recorded_mix(incidents: pd.DataFrame) -> dict[str, float]:
    n = len(incidents)
    counts = incidents["qualifier"].value_counts()
    return {c: round(float(counts.get(c, 0)) / n, 4) if n else 0.0 for c in CLASSES}


def cells(found: Found) -> list[dict[str, Any]]:
    """Per district and month: incidents, flags and the sums the mix of the cell needs."""
    inc = found.incidents
    df = pd.DataFrame(
        {
            "district": inc["district"].fillna("(no district)").to_numpy(object),
            "month": inc["received_at"].dt.strftime("%Y-%m").to_numpy(object),
        }
    )
    for k, c in enumerate(CLASSES):
        p = found.probabilities[:, k]
        df[f"p_{c}"] = p
        df[f"v_{c}"] = p * (1 - p)
        df[f"r_{c}"] = (inc["qualifier"].to_numpy(object) == c).astype(np.int64)
    df["n"] = 1
    flagged = np.zeros(len(inc), np.int64)
    flagged[found.flags["row"].to_numpy(np.int64)] = 1
    df["flags"] = flagged
    g = df.groupby(["district", "month"], sort=True).sum().reset_index()
    return [
        {str(k): (round(float(v), 4) if isinstance(v, float) else v) for k, v in row.items()}
        for row in g.to_dict(orient="records")
    ]

"""The learned check: which qualifier an incident's words and structure point to.

TF-IDF on the narrative (words and pairs of words), the opening and closing codes, the hate
flag, the people's roles, the repeat counts and the rules' hits go into a multinomial logistic
regression whose probabilities are calibrated (sigmoid, :class:`CalibratedClassifierCV`).

It is trained on the store's own incidents. Their recorded qualifier is the label except where
a rule whose hits are the definition itself (``label`` in the rule set) or the ASB team's
decision on an earlier flag says otherwise: the audit found most personal ASB closed as
nuisance, and a model of the recorded label alone would learn that misrecording as the rule.

Every incident of the store is scored by a model that did not see it (out-of-fold predictions
over ``FOLDS`` stratified folds), which is also the cross-validation reported with each run; a
model trained on one store can score another (:func:`score`). A linear model keeps each flag
explainable: the words and features that pushed the suggested qualifier above the recorded one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from asbhub.errors import InvalidInput

# scikit-learn is imported where a model is built or trained: its import takes seconds, which
# every command and web worker would otherwise pay at start-up.
if TYPE_CHECKING:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer

CLASSES = ("environmental", "nuisance", "personal")  # sklearn's sorted order
FOLDS = 3
SEED = 20
STRUCTURE = (
    "hate_motivated",
    "victims",
    "suspects",
    "witnesses",
    "caller_is_victim",
    "repeat_victim_at_place",
    "repeat_victim_with_suspect",
)
PARAMS: dict[str, Any] = {"C": 4.0, "min_df": 3, "ngrams": (1, 2), "max_features": 60_000}
VERSION = "tfidf-logreg-sigmoid-1"

Progress = Callable[[str, int], None]


def no_progress(_what: str, _n: int) -> None:
    return None


def design(incidents: pd.DataFrame, repeats: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns, one row per incident."""
    df = pd.DataFrame(
        {
            "narrative": incidents["narrative"].to_numpy(object),
            "closing_code": incidents["closing_code"].fillna("none").to_numpy(object),
            "opening_code": incidents["opening_code"].fillna("none").to_numpy(object),
            "hate_motivated": incidents["hate_motivated"].to_numpy(float),
            "victims": repeats["victims"].to_numpy(float),
            "suspects": repeats["suspects"].to_numpy(float),
            "witnesses": repeats["witnesses"].to_numpy(float),
            "caller_is_victim": repeats["caller_is_victim"].to_numpy(float),
            "repeat_victim_at_place": np.log1p(repeats["victim_at_place"].to_numpy(float)),
            "repeat_victim_with_suspect": np.log1p(repeats["victim_with_suspect"].to_numpy(float)),
        }
    )
    for rule_id in hits.columns:
        df[f"rule_{rule_id}"] = hits[rule_id].to_numpy(float)
    return df


def _featurizer(columns: list[str]) -> ColumnTransformer:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import OneHotEncoder

    numeric = [c for c in columns if c in STRUCTURE or c.startswith("rule_")]
    return ColumnTransformer(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=PARAMS["ngrams"],
                    min_df=PARAMS["min_df"],
                    max_features=PARAMS["max_features"],
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
                "narrative",
            ),
            (
                "type",
                OneHotEncoder(handle_unknown="ignore"),
                ["closing_code", "opening_code"],
            ),
            ("feature", "passthrough", numeric),
        ],
        sparse_threshold=1.0,
    )


def _classifier() -> CalibratedClassifierCV:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    base = LogisticRegression(C=PARAMS["C"], max_iter=400)
    return CalibratedClassifierCV(base, method="sigmoid", cv=2)


@dataclass
class Model:
    """A fitted featurizer and calibrated classifier, with what it was trained on."""

    featurizer: ColumnTransformer
    classifier: CalibratedClassifierCV
    trained_on: int
    label_counts: dict[str, int]
    cv: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        digest = hashlib.sha256(
            json.dumps([VERSION, PARAMS, self.trained_on, self.label_counts], default=str).encode()
        ).hexdigest()[:10]
        return f"{VERSION} on {self.trained_on} incidents ({digest})"

    @property
    def feature_names(self) -> np.ndarray:
        names = self.featurizer.get_feature_names_out()
        return np.array([n.split("__", 1)[1] if "__" in n else n for n in names], dtype=object)

    def coefficients(self) -> np.ndarray:
        """(classes x features): the mean of the calibrated folds' linear models."""
        return np.mean([c.estimator.coef_ for c in self.classifier.calibrated_classifiers_], axis=0)

    def probabilities(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(X))


def _check_labels(labels: np.ndarray) -> None:
    present = {str(v) for v in np.unique(labels)}
    missing = [c for c in CLASSES if c not in present]
    counts = pd.Series(labels).value_counts()
    if missing or counts.min() < 2 * FOLDS:
        raise InvalidInput(
            "too few incidents to train the recording check",
            {
                "period": "every qualifier needs at least "
                f"{2 * FOLDS} incidents (missing: {', '.join(missing) or 'none'})"
            },
        )


def train(
    frame: pd.DataFrame, labels: np.ndarray, progress: Progress = no_progress
) -> tuple[Model, np.ndarray, sp.csr_matrix]:
    """Fit on ``frame`` and return the model, the out-of-fold probabilities of every row (each
    from a model that did not see it) and the feature matrix."""
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    _check_labels(labels)
    featurizer = _featurizer(list(frame.columns))
    X = sp.csr_matrix(featurizer.fit_transform(frame))
    progress("features", 1)
    oof = np.zeros((len(frame), len(CLASSES)))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    fold_scores = []
    for k, (tr, te) in enumerate(folds.split(X, labels), start=1):
        clf = _classifier().fit(X[tr], labels[tr])
        oof[te] = clf.predict_proba(X[te])
        fold_scores.append(
            {
                "fold": k,
                "log_loss": round(float(log_loss(labels[te], oof[te], labels=list(CLASSES))), 4),
                "accuracy": round(
                    float(accuracy_score(labels[te], np.array(CLASSES)[oof[te].argmax(1)])), 4
                ),
            }
        )
        progress(f"cross-validation fold {k}/{FOLDS}", 1)
    final = _classifier().fit(X, labels)
    progress("final fit", 1)
    counts = {c: int((labels == c).sum()) for c in CLASSES}
    model = Model(featurizer, final, trained_on=len(frame), label_counts=counts)
    model.cv = {
        "folds": fold_scores,
        "log_loss": round(float(np.mean([f["log_loss"] for f in fold_scores])), 4),
        "accuracy": round(float(np.mean([f["accuracy"] for f in fold_scores])), 4),
    }
    return model, oof, X


def score(
    model: Model, frame: pd.DataFrame, progress: Progress = no_progress, batch: int = 20_000
) -> tuple[np.ndarray, sp.csr_matrix]:
    """Probabilities of every row of ``frame`` under a model trained elsewhere."""
    parts, mats = [], []
    for start in range(0, len(frame), batch):
        X = sp.csr_matrix(model.featurizer.transform(frame.iloc[start : start + batch]))
        parts.append(model.probabilities(X))
        mats.append(X)
        progress("scoring", min(batch, len(frame) - start))
    if not parts:
        return np.zeros((0, len(CLASSES))), sp.csr_matrix((0, 0))
    return np.vstack(parts), sp.vstack(mats).tocsr()


def drivers(
    model: Model,
    X: sp.csr_matrix,
    rows: np.ndarray,
    recorded: np.ndarray,
    suggested: np.ndarray,
    top: int = 6,
) -> list[list[dict[str, Any]]]:
    """For each row, the features that most raised ``suggested`` over ``recorded``: its value
    times the difference of the two classes' weights."""
    coef = model.coefficients()
    names = model.feature_names
    index = {c: i for i, c in enumerate(CLASSES)}
    out: list[list[dict[str, Any]]] = []
    for row, r, s in zip(rows.tolist(), recorded.tolist(), suggested.tolist(), strict=True):
        x = X.getrow(row)
        if r not in index or s not in index or r == s:
            out.append([])
            continue
        w = coef[index[s], x.indices] - coef[index[r], x.indices]
        contrib = x.data * w
        order = np.argsort(-contrib)[:top]
        out.append(
            [
                {"feature": str(names[x.indices[j]]), "weight": round(float(contrib[j]), 3)}
                for j in order
                if contrib[j] > 0
            ]
        )
    return out

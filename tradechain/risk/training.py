"""Training a customs risk model on the training year, judged on the validation months against baselines
measured in the same run: a customs rule set and a logistic regression, with scikit-learn's histogram gradient
boosting as a peer of the LightGBM model the artifact carries.

The split is by time and nothing is tuned on the withheld months: the featurizer and every model are fitted on the
training rows only; validation chooses nothing but the inspection threshold (the score above which
:data:`INSPECTION_RATE` of the validation declarations would be inspected)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradechain.risk import metrics as metrics_
from tradechain.risk.declarations import CRITICAL, FRAUD, DataSplit
from tradechain.risk.features import FEATURES, Featurizer

if TYPE_CHECKING:
    import numpy as np

INSPECTION_RATE = 0.10
"""The share of declarations the default threshold sends to inspection (on validation)."""
SEED = 20201231

LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 600,
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_child_samples": 40,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "deterministic": True,
    "force_row_wise": True,
    "n_jobs": 2,
    "verbose": -1,
}
"""Fixed before looking at validation (and never tuned on the withheld months)."""


@dataclass
class Trained:
    """A trained model and what was measured."""

    featurizer: Featurizer
    booster: Any  # lightgbm.Booster
    threshold: float
    metrics: dict[str, dict[str, Any]]
    """Per model (``lightgbm``, ``hist_gradient_boosting``, ``logistic_regression``, ``rules``): validation metrics."""
    seconds: dict[str, float] = field(default_factory=dict)
    train_rows: int = 0
    valid_rows: int = 0

    @property
    def best_baseline(self) -> str:
        return max(("logistic_regression", "rules"), key=lambda m: self.metrics[m]["rocAuc"])


def _labels(frame: Any) -> tuple[np.ndarray, np.ndarray]:
    return frame[FRAUD].astype("int64").to_numpy(), frame[CRITICAL].astype("int64").to_numpy()


def rule_scores(featurizer: Featurizer, matrix: np.ndarray) -> np.ndarray:
    """The rule set of a customs selectivity engine: one point per rule hit, each rule a threshold a customs analyst
    sets from the training year (under-valuation, risky traders and commodities, transhipment, a new importer)."""
    import numpy as np

    col = {name: matrix[:, i] for i, name in enumerate(FEATURES)}
    prior = featurizer.prior
    rules = (
        col["unit_price_vs_hs6_origin"] < np.log(0.5),  # declared at under half the norm for its HS6 and origin
        col["unit_price_vs_hs6"] < np.log(0.5),
        (col["rate_importer"] > 2 * prior) & (col["seen_importer"] > np.log1p(2)),  # an importer caught before
        col["seen_importer"] == 0,  # a first declaration
        col["rate_seller"] > 2 * prior,
        col["rate_hs6"] > 1.5 * prior,  # a risky commodity
        col["origin_differs"] == 1,  # transhipment
    )
    points: np.ndarray = np.sum(rules, axis=0).astype("float64")
    return points


def train(
    split: DataSplit,
    *,
    seed: int = SEED,
    inspection_rate: float = INSPECTION_RATE,
    peers: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Trained:
    """Fit the featurizer and the models on ``split.train``, measure them on ``split.valid``. Without ``peers``
    only the LightGBM model is trained (the baselines are not measured: a quick model for a demo)."""
    import lightgbm as lgb
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    seconds: dict[str, float] = {}
    y, _ = _labels(split.train)
    yv, cv = _labels(split.valid)
    if len(set(y.tolist())) < 2:
        raise ValueError("the training declarations must hold both fraud and non-fraud rows")
    start = time.perf_counter()
    featurizer, matrix = Featurizer.fit(split.train)
    valid = featurizer.transform(split.valid)
    seconds["features"] = time.perf_counter() - start
    progress(f"features: {matrix.shape[1]} from {len(matrix):,} training declarations")

    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    model = lgb.LGBMClassifier(random_state=seed, **LIGHTGBM_PARAMS)
    model.fit(matrix.astype("float32"), y)
    seconds["lightgbm"] = time.perf_counter() - start
    scores = np.asarray(model.predict_proba(valid.astype("float32")))[:, 1]
    results["lightgbm"] = metrics_.evaluate(yv, cv, scores)
    progress(f"lightgbm: {metrics_.summary(results['lightgbm'])}")

    if not peers:
        return _trained(featurizer, model, scores, inspection_rate, results, seconds, split)
    start = time.perf_counter()
    hgb = HistGradientBoostingClassifier(max_iter=400, learning_rate=0.05, random_state=seed)
    hgb.fit(matrix, y)
    seconds["hist_gradient_boosting"] = time.perf_counter() - start
    results["hist_gradient_boosting"] = metrics_.evaluate(yv, cv, hgb.predict_proba(valid)[:, 1])
    progress(f"hist gradient boosting: {metrics_.summary(results['hist_gradient_boosting'])}")

    start = time.perf_counter()
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    logistic.fit(matrix, y)
    seconds["logistic_regression"] = time.perf_counter() - start
    results["logistic_regression"] = metrics_.evaluate(yv, cv, logistic.predict_proba(valid)[:, 1])
    progress(f"logistic regression: {metrics_.summary(results['logistic_regression'])}")

    results["rules"] = metrics_.evaluate(yv, cv, rule_scores(featurizer, valid))
    progress(f"rule set: {metrics_.summary(results['rules'])}")

    return _trained(featurizer, model, scores, inspection_rate, results, seconds, split)


def _trained(
    featurizer: Featurizer,
    model: Any,
    scores: np.ndarray,
    inspection_rate: float,
    results: dict[str, dict[str, Any]],
    seconds: dict[str, float],
    split: DataSplit,
) -> Trained:
    import numpy as np

    k = max(1, round(len(scores) * inspection_rate))
    threshold = float(np.sort(scores)[::-1][k - 1])
    return Trained(
        featurizer=featurizer,
        booster=model.booster_,
        threshold=threshold,
        metrics=results,
        seconds={k_: round(v, 3) for k_, v in seconds.items()},
        train_rows=len(split.train),
        valid_rows=len(split.valid),
    )

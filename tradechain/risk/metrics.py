"""How a customs risk model is judged: ranking (ROC-AUC, PR-AUC) and, as administrations compare engines, the
precision and recall when the top 1%, 5%, 10% or 25% of declarations are inspected, with the recall of critical
fraud (a threat to public safety) among them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

RATES: tuple[float, ...] = (0.01, 0.05, 0.10, 0.25)
"""The inspection rates reported."""


def evaluate(fraud: np.ndarray, critical: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """The metrics of ``scores`` (higher = riskier) against the labels: ``fraud`` 0/1, ``critical`` 0/1/2 (2: a
    threat to public safety). Ties are broken by row order (a stable sort), so the figures do not depend on luck."""
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    order = np.argsort(-scores, kind="stable")
    frauds = max(int(fraud.sum()), 1)
    severe = critical == 2
    severe_total = max(int(severe.sum()), 1)
    at: dict[str, dict[str, float]] = {}
    for rate in RATES:
        k = max(1, math.ceil(len(scores) * rate))
        top = order[:k]
        found = int(fraud[top].sum())
        at[f"{rate:.0%}"] = {
            "inspected": k,
            "precision": round(found / k, 4),
            "recall": round(found / frauds, 4),
            "criticalRecall": round(int(severe[top].sum()) / severe_total, 4),
        }
    return {
        "rows": len(scores),
        "fraudRate": round(float(fraud.mean()), 4),
        "rocAuc": round(float(roc_auc_score(fraud, scores)), 4),
        "prAuc": round(float(average_precision_score(fraud, scores)), 4),
        "at": at,
    }


def summary(metrics: dict[str, Any]) -> str:
    """One line: ROC-AUC, PR-AUC, precision at each rate."""
    parts = [f"ROC-AUC {metrics['rocAuc']:.3f}", f"PR-AUC {metrics['prAuc']:.3f}"]
    parts += [f"P@{rate} {m['precision']:.2f}" for rate, m in metrics["at"].items()]
    return ", ".join(parts)

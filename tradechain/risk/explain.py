"""Why a declaration scored as it did: TreeSHAP values (``shap.TreeExplainer`` on the artifact's booster, in
log-odds) and the top reasons in words, e.g. "unit price 0.21x the norm for HS6 440890 from BE". An explanation is
canonical JSON (values rounded to 6 decimals) whose keccak-256 the decision records."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tradechain.formats import canonical
from tradechain.risk.features import FEATURES, Featurizer

if TYPE_CHECKING:
    import numpy as np

    from tradechain.risk.artifact import RiskModel

TOP = 3
DIGITS = 6

_WHO = {
    "importer": ("importer", "Importer ID"),
    "declarant": ("declarant", "Declarant ID"),
    "seller": ("seller", "Seller ID"),
    "courier": ("courier", "Courier ID"),
    "office": ("office", "Office ID"),
    "hs6": ("HS6", "HS6 Code"),
    "hs4": ("HS4", None),
    "hs2": ("HS chapter", None),
    "hs6_origin": ("HS6", None),
    "origin": ("origin", "Country of Origin"),
}
_CODE_NAMES = {
    "office": ("office", "Office ID"),
    "process": ("process type", "Process Type"),
    "import_type": ("import type", "Import Type"),
    "import_use": ("import use", "Import Use"),
    "payment": ("payment type", "Payment Type"),
    "transport": ("mode of transport", "Mode of Transport"),
    "tax_type": ("tax type", "Tax Type"),
    "origin_indicator": ("origin indicator", "Country of Origin Indicator"),
    "hs2": ("HS chapter", None),
}


def _subject(stem: str, row: Mapping[str, str]) -> str:
    hs = row["HS6 Code"]
    if stem == "hs4":
        return f"HS4 {hs[:4]}"
    if stem == "hs2":
        return f"HS chapter {hs[:2]}"
    if stem == "hs6_origin":
        return f"HS6 {hs} from {row['Country of Origin']}"
    label, column = _WHO[stem]
    value = row[column] if column else ""
    return f"{label} {value}" if value else f"no {label}"


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"


def reason(feature: str, value: float, row: Mapping[str, str], featurizer: Featurizer) -> str:
    """A feature's value in words, for the declaration ``row``."""
    if feature.startswith("rate_") or feature.startswith("seen_"):
        stem = feature.split("_", 1)[1]
        key = {
            "hs6_origin": f"{row['HS6 Code']}/{row['Country of Origin']}",
            "hs4": row["HS6 Code"][:4],
            "hs2": row["HS6 Code"][:2],
        }.get(stem)
        if key is None:
            key = row[_WHO[stem][1] or ""]
        rate, seen = featurizer.history[stem].get(key, (featurizer.prior, 0))
        who = _subject(stem, row)
        if seen == 0:
            return f"{who}: no earlier declaration"
        plural = "s" if seen != 1 else ""
        if feature.startswith("seen_"):
            return f"{who}: {seen:,} earlier declaration{plural}"
        return f"{who}: {rate:.0%} fraud in {seen:,} earlier declaration{plural}"
    if feature == "unit_price_vs_hs6_origin":
        return f"unit price {math.exp(value):.2f}x the norm for HS6 {row['HS6 Code']} from {row['Country of Origin']}"
    if feature == "unit_price_vs_hs6":
        return f"unit price {math.exp(value):.2f}x the norm for HS6 {row['HS6 Code']}"
    if feature == "log_unit_price":
        return f"unit price {_number(math.expm1(value) if value > 0 else math.exp(value))} KRW/kg"
    if feature == "log_net_mass":
        return f"net mass {_number(math.expm1(value))} kg"
    if feature == "log_item_price":
        return f"item price {_number(math.expm1(value))} KRW"
    if feature == "tax_rate":
        return f"tax rate {_number(value)}%"
    if feature == "origin_differs":
        origin, departure = row["Country of Origin"], row["Country of Departure"]
        return f"origin {origin} differs from departure {departure}" if value else f"shipped from its origin {origin}"
    if feature.startswith("code_"):
        label, column = _CODE_NAMES[feature[5:]]
        shown = row[column] if column else row["HS6 Code"][:2]
        return f"{label} {shown}"
    return feature


def explanation(
    row: Mapping[str, str], features: np.ndarray, values: np.ndarray, base: float, featurizer: Featurizer
) -> dict[str, Any]:
    """The explanation of one declaration: SHAP value per feature, the base value, the top reasons raising the
    risk (largest positive SHAP value first) and those lowering it."""
    rounded = [round(float(v), DIGITS) for v in values]
    order = sorted(range(len(FEATURES)), key=lambda i: (-rounded[i], FEATURES[i]))

    def top(indices: list[int]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in indices:
            text = reason(FEATURES[i], float(features[i]), row, featurizer)
            if all(item["reason"] != text for item in out):
                out.append({"feature": FEATURES[i], "shap": rounded[i], "reason": text})
            if len(out) == TOP:
                break
        return out

    return {
        "method": "TreeSHAP (shap.TreeExplainer), log-odds of fraud",
        "base": round(float(base), DIGITS),
        "shap": dict(zip(FEATURES, rounded, strict=True)),
        "raising": top([i for i in order if rounded[i] > 0]),
        "lowering": top([i for i in reversed(order) if rounded[i] < 0]),
    }


def explain(model: RiskModel, frame: Any, features: np.ndarray | None = None) -> list[dict[str, Any]]:
    """The explanation of each declaration of ``frame`` (a DataFrame of declarations)."""
    import warnings

    import numpy as np

    from tradechain.risk.declarations import rows

    matrix = model.features(frame) if features is None else features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(model.explainer.shap_values(matrix))
    base = float(np.asarray(model.explainer.expected_value).reshape(-1)[-1])
    if values.ndim == 3:  # (classes, rows, features) on some versions
        values = values[-1]
    return [explanation(row, matrix[i], values[i], base, model.featurizer) for i, row in enumerate(rows(frame))]


def explanation_hash(value: dict[str, Any]) -> bytes:
    return canonical.json_hash(value, "explanation")


def reasons_line(value: dict[str, Any]) -> str:
    """The reasons raising the risk, joined: what an officer reads first."""
    return "; ".join(item["reason"] for item in value.get("raising", ())) or "no factor raised the risk"

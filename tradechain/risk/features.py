"""The features a customs risk engine scores a declaration on, fitted on the training year only and computed
without leakage.

- **History** of the importer, declarant, seller, courier, office, HS6 code (and HS6 with origin), HS4, HS2 and
  origin: the smoothed fraud rate and the number of earlier declarations. For a training row they count only
  declarations of *earlier dates* (an expanding window over days), so no row sees its own label or a later one;
  for a row scored later, the whole training year.
- **Value**: the unit price (item price / net mass, in log) against the median of its HS6 code and of its HS6
  code with its origin in the training year, the net mass, the item price and the tax rate.
- **Routing**: whether the country of origin differs from the country of departure.
- **Codes**: office, process, import type and use, payment, mode of transport, tax type, origin indicator, HS2.

A :class:`Featurizer` is plain data (tables of numbers and codes), written into the model artifact as canonical
JSON: a replay computes the same float64 values from the same declaration, bit for bit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradechain.risk.declarations import DATE, FRAUD

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SMOOTHING = 10.0
"""Earlier declarations worth as much as the prior in a smoothed fraud rate."""
MAX_CODES = 250

HISTORY: tuple[tuple[str, str], ...] = (
    ("importer", "Importer ID"),
    ("declarant", "Declarant ID"),
    ("seller", "Seller ID"),
    ("courier", "Courier ID"),
    ("office", "Office ID"),
    ("hs6", "HS6 Code"),
    ("hs6_origin", "_hs6_origin"),
    ("hs4", "_hs4"),
    ("hs2", "_hs2"),
    ("origin", "Country of Origin"),
)
"""(feature stem, column) whose history is kept: ``rate_<stem>`` and ``seen_<stem>``."""

CODES: tuple[tuple[str, str], ...] = (
    ("office", "Office ID"),
    ("process", "Process Type"),
    ("import_type", "Import Type"),
    ("import_use", "Import Use"),
    ("payment", "Payment Type"),
    ("transport", "Mode of Transport"),
    ("tax_type", "Tax Type"),
    ("origin_indicator", "Country of Origin Indicator"),
    ("hs2", "_hs2"),
)
"""(feature stem, column) given as category codes: ``code_<stem>``."""

VALUES: tuple[str, ...] = (
    "unit_price_vs_hs6",
    "unit_price_vs_hs6_origin",
    "log_unit_price",
    "log_net_mass",
    "log_item_price",
    "tax_rate",
    "origin_differs",
)

FEATURES: tuple[str, ...] = (
    *(f"rate_{stem}" for stem, _ in HISTORY),
    *(f"seen_{stem}" for stem, _ in HISTORY),
    *VALUES,
    *(f"code_{stem}" for stem, _ in CODES),
)
"""Every feature, in the order of the model's input columns."""

CATEGORICAL: tuple[int, ...] = tuple(FEATURES.index(f"code_{stem}") for stem, _ in CODES)


def _derived(frame: pd.DataFrame) -> pd.DataFrame:
    import numpy as np

    out = frame.copy()
    out["_hs2"] = out["HS6 Code"].str[:2]
    out["_hs4"] = out["HS6 Code"].str[:4]
    out["_hs6_origin"] = out["HS6 Code"] + "/" + out["Country of Origin"]
    mass = out["Net Mass"].astype("float64").to_numpy()
    price = out["Item Price"].astype("float64").to_numpy()
    out["_log_mass"] = np.log1p(mass)
    out["_log_price"] = np.log1p(price)
    out["_log_unit"] = out["_log_price"] - out["_log_mass"]
    return out


@dataclass
class Featurizer:
    """The fitted tables. ``history[stem]`` maps a value to (fraud rate, earlier declarations); ``norms`` the
    median log unit price of an HS6 code (``hs6``) and of an HS6 code with its origin (``hs6_origin``)."""

    prior: float
    history: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)
    norms: dict[str, dict[str, float]] = field(default_factory=dict)
    norm_default: float = 0.0
    codes: dict[str, dict[str, int]] = field(default_factory=dict)

    # --- fitting ---

    @classmethod
    def fit(cls, train: pd.DataFrame) -> tuple[Featurizer, np.ndarray]:
        """The featurizer of a training set and the training matrix, whose history columns count only rows of
        earlier dates (no leakage)."""
        import numpy as np

        data = _derived(train)
        y = data[FRAUD].astype("int64").to_numpy()
        prior = float(y.mean())
        self = cls(prior=prior)
        columns: dict[str, np.ndarray] = {}
        for stem, column in HISTORY:
            frame = data[[column, DATE]].assign(_y=y)
            grouped = frame.groupby([column, DATE], sort=True)["_y"].agg(["sum", "count"]).reset_index()
            grouped = grouped.sort_values([column, DATE], kind="stable")
            grouped["before_sum"] = grouped.groupby(column)["sum"].cumsum() - grouped["sum"]
            grouped["before_n"] = grouped.groupby(column)["count"].cumsum() - grouped["count"]
            merged = frame.merge(grouped[[column, DATE, "before_sum", "before_n"]], on=[column, DATE], how="left")
            columns[f"rate_{stem}"] = self._rate(merged["before_sum"].to_numpy(), merged["before_n"].to_numpy())
            columns[f"seen_{stem}"] = np.log1p(merged["before_n"].to_numpy().astype("float64"))
            totals = frame.groupby(column, sort=True)["_y"].agg(["sum", "count"])
            self.history[stem] = {
                str(k): (float(self._rate(np.float64(s), np.float64(n))), int(n))
                for k, s, n in zip(totals.index, totals["sum"], totals["count"], strict=True)
            }
        for stem, column in (("hs6", "HS6 Code"), ("hs6_origin", "_hs6_origin")):
            medians = data.groupby(column, sort=True)["_log_unit"].median()
            self.norms[stem] = {str(k): float(v) for k, v in medians.items()}
        self.norm_default = float(data["_log_unit"].median())
        for stem, column in CODES:
            counts = data[column].value_counts(sort=True)
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CODES]
            self.codes[stem] = {str(k): i for i, (k, _) in enumerate(ordered)}
        return self, self._matrix(data, columns)

    def norm(self, hs6: str, origin: str) -> float:
        """The median log unit price the model compares a declaration of ``hs6`` from ``origin`` with: of that HS6
        code and origin, else of the HS6 code, else of every training declaration."""
        by_code = self.norms["hs6"].get(hs6, self.norm_default)
        return self.norms["hs6_origin"].get(f"{hs6}/{origin}", by_code)

    def _rate(self, before_sum: Any, before_n: Any) -> Any:
        return (before_sum + SMOOTHING * self.prior) / (before_n + SMOOTHING)

    # --- transforming ---

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The feature matrix (float64, :data:`FEATURES` columns) of declarations scored after the training year."""
        import numpy as np

        data = _derived(frame)
        columns: dict[str, np.ndarray] = {}
        empty = (self._rate(0.0, 0.0), 0)
        for stem, column in HISTORY:
            table = self.history[stem]
            pairs = [table.get(v, empty) for v in data[column]]
            columns[f"rate_{stem}"] = np.array([p[0] for p in pairs], dtype="float64")
            columns[f"seen_{stem}"] = np.log1p(np.array([p[1] for p in pairs], dtype="float64"))
        return self._matrix(data, columns)

    def _matrix(self, data: pd.DataFrame, columns: dict[str, np.ndarray]) -> np.ndarray:
        import numpy as np

        log_unit = data["_log_unit"].to_numpy()
        for stem, column in (("hs6", "HS6 Code"), ("hs6_origin", "_hs6_origin")):
            table = self.norms[stem]
            fallback = self.norms["hs6"] if stem == "hs6_origin" else {}
            norm = np.array(
                [
                    table.get(v, fallback.get(h, self.norm_default))
                    for v, h in zip(data[column], data["HS6 Code"], strict=True)
                ],
                dtype="float64",
            )
            columns[f"unit_price_vs_{stem}"] = log_unit - norm
        columns["log_unit_price"] = log_unit
        columns["log_net_mass"] = data["_log_mass"].to_numpy()
        columns["log_item_price"] = data["_log_price"].to_numpy()
        columns["tax_rate"] = data["Tax Rate"].astype("float64").to_numpy()
        columns["origin_differs"] = (data["Country of Origin"] != data["Country of Departure"]).to_numpy(
            dtype="float64"
        )
        for stem, column in CODES:
            codes = self.codes[stem]
            columns[f"code_{stem}"] = np.array([codes.get(v, -1) for v in data[column]], dtype="float64")
        return np.column_stack([columns[name] for name in FEATURES])

    # --- the artifact's form ---

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "smoothing": SMOOTHING,
            "prior": self.prior,
            "history": {stem: {k: [r, n] for k, (r, n) in t.items()} for stem, t in self.history.items()},
            "norms": self.norms,
            "normDefault": self.norm_default,
            "codes": self.codes,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Featurizer:
        if list(data.get("features", ())) != list(FEATURES) or data.get("smoothing") != SMOOTHING:
            raise ValueError("the model's features are not the ones this version of tradechain computes")
        return cls(
            prior=float(data["prior"]),
            history={s: {k: (float(r), int(n)) for k, (r, n) in t.items()} for s, t in data["history"].items()},
            norms={s: {k: float(v) for k, v in t.items()} for s, t in data["norms"].items()},
            norm_default=float(data["normDefault"]),
            codes={s: {k: int(v) for k, v in t.items()} for s, t in data["codes"].items()},
        )


def unit_price_ratio(log_ratio: float) -> float:
    """A log unit-price difference as a ratio to the norm (0.21 = 0.21x the norm)."""
    return math.expm1(log_ratio) + 1 if log_ratio < 700 else math.inf

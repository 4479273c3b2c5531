"""Customs import declarations as the Korea Customs Service data set writes them (one item per row, 20 input
columns and the labels ``Fraud`` and ``Critical Fraud``): reading and checking a CSV file, the split by time, the
hash of one declaration (what a decision records) and a small synthetic sample with the same columns."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tradechain.errors import InputError
from tradechain.formats import canonical
from tradechain.formats.merkle import MerkleTree

if TYPE_CHECKING:
    import pandas as pd

ID = "Declaration ID"
DATE = "Date"
INPUTS: tuple[str, ...] = (
    ID,
    DATE,
    "Office ID",
    "Process Type",
    "Import Type",
    "Import Use",
    "Payment Type",
    "Mode of Transport",
    "Declarant ID",
    "Importer ID",
    "Seller ID",
    "Courier ID",
    "HS6 Code",
    "Country of Departure",
    "Country of Origin",
    "Tax Rate",
    "Tax Type",
    "Country of Origin Indicator",
    "Net Mass",
    "Item Price",
)
"""The columns a declaration is scored on, in the data set's order."""
FRAUD, CRITICAL = "Fraud", "Critical Fraud"
LABELS: tuple[str, ...] = (FRAUD, CRITICAL)
TRAIN_FILE, VALID_FILE = "df_syn_train_eng.csv", "df_syn_valid_eng.csv"
NUMERIC: tuple[str, ...] = ("Tax Rate", "Net Mass", "Item Price")
MAX_FIELD = 64

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HS6 = re.compile(r"\d{6}")
_COUNTRY = re.compile(r"[A-Z]{2}|")


@dataclass(frozen=True)
class DataSplit:
    """The training year and the validation months, as read from a data directory."""

    train: pd.DataFrame
    valid: pd.DataFrame
    source: Path


def read_csv(path: Path, *, labels: bool = False, field: str = "file") -> pd.DataFrame:
    """Declarations from a CSV file with the data set's header, every value kept as the text written (so a hash
    reads the same bytes the officer saw). Each row is checked; the first bad one is refused with an InputError
    naming its row (1 = the first after the header), its column and the rule. With ``labels`` the two label
    columns must be there too (0/1 and 0/1/2)."""
    import pandas as pd

    if not path.is_file():
        raise InputError(field, "not found", str(path))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(field, f"not a CSV file of declarations ({str(exc).splitlines()[0]})", str(path)) from None
    need = INPUTS + LABELS if labels else INPUTS
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(field, f"lacks the column(s) {', '.join(missing)}", str(path))
    if frame.empty:
        raise InputError(field, "holds no declaration", str(path))
    check(frame, labels=labels)
    return frame[list(need)].reset_index(drop=True)


def check(frame: pd.DataFrame, *, labels: bool = False) -> None:
    """Refuse the first value that breaks a rule (InputError ``row N: COLUMN``)."""
    for column in INPUTS:
        values = frame[column]
        too_long = values.str.len() > MAX_FIELD
        if too_long.any():
            _refuse(frame, too_long, column, f"at most {MAX_FIELD} characters")
    ids = frame[ID]
    _refuse(frame, ids == "", ID, "must not be empty")
    _refuse(frame, ids.duplicated(), ID, "appears twice in the file")
    _refuse(frame, ~frame[DATE].str.fullmatch(_DATE.pattern), DATE, "must be a date YYYY-MM-DD")
    _refuse(frame, ~frame["HS6 Code"].str.fullmatch(_HS6.pattern), "HS6 Code", "must be 6 digits")
    for column in ("Country of Departure", "Country of Origin"):
        _refuse(frame, ~frame[column].str.fullmatch(_COUNTRY.pattern), column, "must be 2 capital letters")
    for column in NUMERIC:
        numbers = _numbers(frame[column])
        bad = numbers.isna() | (numbers < 0)
        _refuse(frame, bad, column, "must be a number of at least 0")
    if labels:
        _refuse(frame, ~frame[FRAUD].isin(("0", "1")), FRAUD, "must be 0 or 1")
        _refuse(frame, ~frame[CRITICAL].isin(("0", "1", "2")), CRITICAL, "must be 0, 1 or 2")


def _numbers(values: pd.Series) -> pd.Series:
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.where(numbers.map(lambda v: isinstance(v, float | int) and math.isfinite(v)))


def _refuse(frame: pd.DataFrame, bad: pd.Series, column: str, rule: str) -> None:
    if bad.any():
        at = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"row {at + 1}: {column}", rule, str(frame[column].iloc[at]))


def load(data_dir: Path, field: str = "DATA_DIR") -> DataSplit:
    """The training and validation files of a data directory (:data:`TRAIN_FILE`, :data:`VALID_FILE`), labelled."""
    if not data_dir.is_dir():
        raise InputError(field, "must be a directory holding the declarations", str(data_dir))
    for name in (TRAIN_FILE, VALID_FILE):
        if not (data_dir / name).is_file():
            raise InputError(field, f"lacks {name}", str(data_dir))
    train = read_csv(data_dir / TRAIN_FILE, labels=True, field=f"{field}/{TRAIN_FILE}")
    valid = read_csv(data_dir / VALID_FILE, labels=True, field=f"{field}/{VALID_FILE}")
    if valid[DATE].min() <= train[DATE].max():
        raise InputError(field, "validation declarations must all be later than the training ones (split by time)")
    return DataSplit(train, valid, data_dir)


def record(row: Mapping[str, object]) -> dict[str, str]:
    """A declaration as a decision records it: its 20 input columns as text."""
    return {column: str(row[column]) for column in INPUTS}


def declaration_hash(row: Mapping[str, object]) -> bytes:
    """keccak-256 of the canonical JSON of the declaration's input columns (:func:`record`)."""
    return canonical.json_hash(record(row), "declaration")


def row_hash(row: Mapping[str, object]) -> bytes:
    """keccak-256 of the canonical JSON of a training row: its inputs and labels."""
    return canonical.json_hash({column: str(row[column]) for column in INPUTS + LABELS}, "row")


def data_root(frame: pd.DataFrame) -> bytes:
    """The Merkle root over the row hashes of a training set, in file order (the model card's data commitment)."""
    return MerkleTree.build([row_hash(r) for r in rows(frame, INPUTS + LABELS)]).root


def rows(frame: pd.DataFrame, columns: Sequence[str] = INPUTS) -> Iterable[dict[str, str]]:
    for values in frame[list(columns)].itertuples(index=False, name=None):
        yield dict(zip(columns, values, strict=True))


# --- a synthetic sample with the data set's columns (tests, and users without the data set) ---

_OFFICES = ("10", "20", "30", "40", "50", "60")
_COUNTRIES = ("CN", "US", "DE", "BE", "JP", "VN", "KR", "HK", "IT", "NL")
_HS6S = ("440890", "690722", "760711", "321590", "030487", "851762", "610910", "300490", "870899", "940360")


def sample(rows_: int = 2000, *, seed: int = 7, start: str = "2020-01-01", days: int = 365) -> pd.DataFrame:
    """``rows_`` synthetic labelled declarations over ``days`` days from ``start``, with planted risk signals a
    model can learn (an under-valued unit price for the HS6 code, a risky importer, origin differing from
    departure). Deterministic for a seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = rows_
    importers = [f"IMP{i:04d}" for i in range(max(20, n // 20))]
    risky = set(importers[: len(importers) // 8])
    hs = rng.choice(_HS6S, n)
    norm = {code: 10 ** (1 + i % 4) for i, code in enumerate(_HS6S)}
    mass = np.round(rng.lognormal(5, 1.2, n), 1)
    under = rng.random(n) < 0.2
    unit = np.array([norm[h] for h in hs]) * rng.lognormal(0, 0.3, n) * np.where(under, 0.2, 1.0)
    importer = rng.choice(importers, n)
    origin = rng.choice(_COUNTRIES, n)
    departure = np.where(rng.random(n) < 0.8, origin, rng.choice(_COUNTRIES, n))
    logit = -2.2 + 2.0 * under + 1.6 * np.isin(importer, list(risky)) + 0.9 * (origin != departure)
    fraud = rng.random(n) < 1 / (1 + np.exp(-logit))
    critical = np.where(fraud & (rng.random(n) < 0.05), 2, np.where(fraud & (rng.random(n) < 0.3), 1, 0))
    day = np.sort(rng.integers(0, days, n))
    dates = pd.Timestamp(start) + pd.to_timedelta(day, unit="D")
    frame = pd.DataFrame(
        {
            ID: [f"{seed:02d}{i:06d}" for i in range(n)],
            DATE: dates.strftime("%Y-%m-%d"),
            "Office ID": rng.choice(_OFFICES, n),
            "Process Type": rng.choice(("A", "B"), n, p=(0.2, 0.8)),
            "Import Type": rng.choice(("11", "21", "29"), n),
            "Import Use": rng.choice(("11", "21", "23"), n),
            "Payment Type": rng.choice(("11", "13", "43"), n),
            "Mode of Transport": rng.choice(("10", "40"), n),
            "Declarant ID": rng.choice([f"DCL{i:03d}" for i in range(30)], n),
            "Importer ID": importer,
            "Seller ID": rng.choice([f"SEL{i:04d}" for i in range(max(20, n // 25))], n),
            "Courier ID": np.where(rng.random(n) < 0.9, "", rng.choice(("C1", "C2"), n)),
            "HS6 Code": hs,
            "Country of Departure": departure,
            "Country of Origin": origin,
            "Tax Rate": rng.choice(("0.0", "8.0", "6.5", "13.0"), n),
            "Tax Type": rng.choice(("A", "FCN1", "FEU1", "C"), n),
            "Country of Origin Indicator": rng.choice(("G", "Y", "E", "B"), n),
            "Net Mass": [f"{m:.1f}" for m in mass],
            "Item Price": [f"{p:.2f}" for p in mass * unit],
            FRAUD: fraud.astype(int).astype(str),
            CRITICAL: critical.astype(str),
        }
    )
    return frame


def write_sample(data_dir: Path, rows_: int = 2000, *, seed: int = 7) -> Path:
    """A data directory laid out as the real one: a training year (2020) and a later validation quarter (2021)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sample(rows_, seed=seed).to_csv(data_dir / TRAIN_FILE, index=False)
    sample(max(200, rows_ // 4), seed=seed + 1, start="2021-01-01", days=90).to_csv(data_dir / VALID_FILE, index=False)
    return data_dir

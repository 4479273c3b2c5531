"""The canonical JSON form that tradechain hashes (certificate metadata, JSON documents): keys sorted, no
insignificant white space, UTF-8, numbers as written; NaN and infinities refused (they have no JSON form)."""

from __future__ import annotations

import json
import math
from typing import Any

from eth_hash.auto import keccak

from tradechain.errors import InputError


def _check(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(path, "NaN and infinities have no canonical JSON form")
    if isinstance(value, dict):
        for k, v in value.items():
            _check(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check(v, f"{path}[{i}]")


def canonical_json(value: dict[str, Any], field: str = "document") -> bytes:
    if not isinstance(value, dict):
        raise InputError(field, "must be a JSON object")
    _check(value, field)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_hash(value: dict[str, Any], field: str = "document") -> bytes:
    return keccak(canonical_json(value, field))

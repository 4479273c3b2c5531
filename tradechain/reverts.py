"""Decoding of revert data into Python exceptions: every Solidity custom error of every compiled contract,
by its 4-byte selector, with its NatSpec ``@notice`` as the readable description."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from tradechain import artifacts
from tradechain.errors import ContractRevert, TransactionFailed, _show, revert_class

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
_PANIC_REASONS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    inputs: tuple[tuple[str, str], ...]  # (name, canonical type)
    notice: str


def _canonical_type(param: dict[str, Any]) -> str:
    typ = str(param["type"])
    if typ.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){typ[5:]}"
    return typ


@functools.cache
def error_specs() -> dict[bytes, ErrorSpec]:
    """Selector -> error, over every artifact (our contracts carry OpenZeppelin's errors they inherit)."""
    specs: dict[bytes, ErrorSpec] = {}
    for art in artifacts.all_artifacts():
        notices = art.natspec.get("errors", {}) if isinstance(art.natspec, dict) else {}
        for item in art.abi:
            if item.get("type") != "error":
                continue
            types = [_canonical_type(p) for p in item["inputs"]]
            signature = f"{item['name']}({','.join(types)})"
            selector = function_signature_to_4byte_selector(signature)
            notice = ""
            doc = notices.get(signature)
            if isinstance(doc, list) and doc:
                doc = doc[0]
            if isinstance(doc, dict):
                notice = str(doc.get("notice") or doc.get("details") or "")
            prev = specs.get(selector)
            if prev is None or (not prev.notice and notice):
                specs[selector] = ErrorSpec(
                    item["name"],
                    tuple(
                        (p["name"] or f"arg{i}", t) for i, (p, t) in enumerate(zip(item["inputs"], types, strict=True))
                    ),
                    notice,
                )
    return specs


def _render(notice: str, args: dict[str, Any]) -> str:
    # NatSpec may name parameters in backticks: "Organisation `organisation` is suspended."
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        return _show(args[key]) if key in args else m.group(0)

    return re.sub(r"`(\w+)`", sub, " ".join(notice.split()))


def decode_revert(data: bytes | str | None) -> TransactionFailed | ContractRevert:
    """The exception for revert data (``0x`` hex or bytes); a generic one when it cannot be decoded."""
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            data = bytes.fromhex(text)
        except ValueError:
            return TransactionFailed(f"transaction reverted: {text}")
    if not data:
        return TransactionFailed("transaction reverted without a reason")
    selector, body = data[:4], data[4:]
    if selector == _ERROR_STRING:
        (reason,) = abi_decode(["string"], body)
        return TransactionFailed(f"transaction reverted: {reason}")
    if selector == _PANIC:
        (code,) = abi_decode(["uint256"], body)
        return TransactionFailed(f"transaction panicked: {_PANIC_REASONS.get(code, hex(code))}")
    spec = error_specs().get(selector)
    if spec is None:
        return TransactionFailed(f"transaction reverted with unknown error 0x{data.hex()}")
    values = abi_decode([t for _, t in spec.inputs], body) if spec.inputs else ()
    args = {name: _normalise(v, t) for (name, t), v in zip(spec.inputs, values, strict=True)}
    cls = revert_class(spec.name)
    return cls(spec.name, args, _render(spec.notice, args))


def _normalise(value: Any, typ: str) -> Any:
    if typ == "address":
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return tuple(_normalise(v, "") for v in value)
    return value

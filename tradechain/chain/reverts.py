"""Decoding of revert data into Python exceptions: every Solidity custom error of every compiled contract,
by its 4-byte selector, with its NatSpec ``@notice`` as the readable description.

A revert is decoded against the ABI of the contract that was called first (its own errors and those it inherits),
then against every other artifact (an error bubbling up from a contract it calls, such as the participant
registry's): two contracts may declare the same signature with other argument names or another meaning, and the
called contract's reading is the one that applies. The transaction layer passes the callee's name
(:class:`~tradechain.chain.tx.Call` ``contract``, filled by :meth:`~tradechain.client.Client.send`); a client holding a
revert decoded without it re-decodes with :func:`decoding_for`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from tradechain.chain import artifacts
from tradechain.errors import ContractRevert, DeploymentMissing, TransactionFailed, _show, revert_class

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
    contract: str = ""  # the artifact that declares it (or inherits it)
    enums: tuple[tuple[str, str], ...] = ()  # (argument, enum) pairs: ("status", "ITradeEscrow.Status")


def _canonical_type(param: dict[str, Any]) -> str:
    typ = str(param["type"])
    if typ.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){typ[5:]}"
    return typ


def _specs_of(art: artifacts.Artifact) -> dict[bytes, ErrorSpec]:
    notices = art.natspec.get("errors", {}) if isinstance(art.natspec, dict) else {}
    specs: dict[bytes, ErrorSpec] = {}
    for item in art.abi:
        if item.get("type") != "error":
            continue
        types = [_canonical_type(p) for p in item["inputs"]]
        signature = f"{item['name']}({','.join(types)})"
        notice = ""
        doc = notices.get(signature)
        if isinstance(doc, list) and doc:
            doc = doc[0]
        if isinstance(doc, dict):
            notice = str(doc.get("notice") or doc.get("details") or "")
        names = tuple((p["name"] or f"arg{i}", t) for i, (p, t) in enumerate(zip(item["inputs"], types, strict=True)))
        enums = tuple(
            (name, str(p["internalType"])[5:])
            for (name, _), p in zip(names, item["inputs"], strict=True)
            if str(p.get("internalType", "")).startswith("enum ")
        )
        specs[function_signature_to_4byte_selector(signature)] = ErrorSpec(item["name"], names, notice, art.name, enums)
    return specs


@functools.cache
def _enum_members() -> dict[str, tuple[str, ...]]:
    """Enum -> its member names ("ITradeEscrow.Status" -> ("None", "Open", ...)), from the packaged artifacts."""
    return artifacts.enums()


@functools.cache
def contract_error_specs(contract: str) -> dict[bytes, ErrorSpec]:
    """Selector -> error, of one contract's ABI (its own errors and the ones it inherits); empty for a name with
    no artifact."""
    try:
        return _specs_of(artifacts.load(contract))
    except DeploymentMissing:
        return {}


@functools.cache
def error_specs() -> dict[bytes, ErrorSpec]:
    """Selector -> error, over every artifact (our contracts carry OpenZeppelin's errors they inherit): for a
    selector declared by several, the first with a description (contracts come before interfaces)."""
    specs: dict[bytes, ErrorSpec] = {}
    for art in artifacts.all_artifacts():
        for selector, spec in _specs_of(art).items():
            prev = specs.get(selector)
            if prev is None or (not prev.notice and spec.notice):
                specs[selector] = spec
    return specs


def _is_time(name: str, typ: str) -> bool:
    # Our contracts keep every time as uint40; deadlines given by users are uint256 (an acknowledgment's).
    return typ == "uint40" or name == "deadline"


def _render(notice: str, args: dict[str, Any], spec: ErrorSpec) -> str:
    """The notice with its backticked parameters filled in ("Organisation `organisation` is suspended."): times
    as dates, enum values by their names."""
    types, enums = dict(spec.inputs), dict(spec.enums)

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in args:
            return m.group(0)
        value = args[key]
        if key in enums and isinstance(value, int):
            members = _enum_members().get(enums[key], ())
            if value < len(members):
                return members[value]
        if key in ("gtin", "key", "sscc") and isinstance(value, int) and 0 < value < 10**18:
            return str(value).zfill(14 if value < 10**14 else 18)  # GS1 keys keep their leading zeros
        if _is_time(key, types.get(key, "")) and isinstance(value, int) and 0 < value < 2**40:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return _show(value)

    return re.sub(r"`(\w+)`", sub, " ".join(notice.split()))


def decode_revert(data: bytes | str | None, contract: str | None = None) -> TransactionFailed | ContractRevert:
    """The exception for revert data (``0x`` hex or bytes); a generic one when it cannot be decoded.

    ``contract``: the name of the contract that was called; its ABI is read first, then every other's."""
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
    spec = contract_error_specs(contract).get(selector) if contract else None
    if spec is None:
        spec = error_specs().get(selector)
    if spec is None:
        return TransactionFailed(f"transaction reverted with unknown error 0x{data.hex()}")
    values = abi_decode([t for _, t in spec.inputs], body) if spec.inputs else ()
    args = {name: _normalise(v, t) for (name, t), v in zip(spec.inputs, values, strict=True)}
    cls = revert_class(spec.name)
    return cls(spec.name, args, _render(spec.notice, args, spec), contract=spec.contract, data=data)


@contextlib.contextmanager
def decoding_for(contract: str) -> Iterator[None]:
    """Within: a custom error raised by a call to ``contract`` is read against that contract's ABI first (the
    transaction layer below decodes without knowing which contract it called)."""
    try:
        yield
    except ContractRevert as exc:
        if not exc.data or exc.contract == contract:
            raise
        again = decode_revert(exc.data, contract)
        if not isinstance(again, ContractRevert) or again.contract == exc.contract:
            raise
        raise again.with_traceback(exc.__traceback__) from None


def _normalise(value: Any, typ: str) -> Any:
    if typ == "address":
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return tuple(_normalise(v, "") for v in value)
    return value

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
from tradechain.formats import identity
from tradechain.formats.document_types import DOC_TYPE_NAMES

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


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso_time(seconds: int) -> str:
    """A Unix time as ISO 8601 in UTC, to the second: ``2030-06-30T23:59:59Z`` (every date tradechain shows)."""
    return datetime.fromtimestamp(seconds, UTC).strftime(TIME_FORMAT)


def token_hex(token: int) -> str:
    """A certificate (ERC-721 token) id as tradechain shows it everywhere: 0x and 64 hex digits."""
    return f"0x{token:064x}"


def _is_time(name: str, typ: str) -> bool:
    # Our contracts keep every time as uint40; deadlines given by users are uint256 (an acknowledgment's).
    return typ == "uint40" or name == "deadline"


def _doc_types(mask: int, sep: str) -> str:
    names = [DOC_TYPE_NAMES.get(t, f"type {t}") for t in range(mask.bit_length()) if mask >> t & 1]
    return sep.join(names) or "none"


def readable(key: str, value: Any, spec: ErrorSpec, *, compact: bool = False) -> str:
    """One argument of a custom error as a person reads it: times as ISO dates in UTC, enum values by their names,
    role bitmasks by the roles' names, certificate ids in hex, document types by name, escrow milestones by their
    number from 1 (the contracts count from 0), GS1 keys with their leading zeros; else as it is.

    ``compact``: for the ``Name(arg=value, ...)`` recap, with no comma or space in a value (``brand|manufacturer``,
    milestone ``#2``)."""
    types, enums = dict(spec.inputs), dict(spec.enums)
    typ = types.get(key, "")
    if not isinstance(value, int) or isinstance(value, bool):
        return _show(value)
    if key in enums:
        members = _enum_members().get(enums[key], ())
        if value < len(members):
            return members[value]
    if key in ("role", "roles") and typ == "uint16":
        return "|".join(identity.role_labels(value)) or "0" if compact else identity.roles_text(value)
    if key == "tokenId" and typ == "uint256":
        return token_hex(value)
    if key == "missingDocs" and typ == "uint16":
        return _doc_types(value, "|" if compact else ", ")
    if key == "docType" and typ == "uint8":
        return DOC_TYPE_NAMES.get(value, str(value))
    if key == "milestone" and typ == "uint8" and spec.contract.endswith("TradeEscrow"):
        return f"#{value + 1}" if compact else f"{value + 1} (numbered from 1)"
    if key in ("gtin", "key", "sscc") and 0 < value < 10**18:
        return str(value).zfill(14 if value < 10**14 else 18)  # GS1 keys keep their leading zeros
    if _is_time(key, typ) and 0 < value < 2**40:
        return iso_time(value)
    return _show(value)


def _render(notice: str, args: dict[str, Any], spec: ErrorSpec) -> str:
    """The notice with its backticked parameters filled in ("Organisation `organisation` is suspended."), each as
    :func:`readable` shows it."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        return readable(key, args[key], spec) if key in args else m.group(0)

    return re.sub(r"`(\w+)`", sub, " ".join(notice.split()))


def _message(exc: ContractRevert, spec: ErrorSpec) -> ContractRevert:
    """``exc`` with its message written as people read it, ``Name(arg=readable, ...): description`` (the exact
    values stay in ``args_by_name``)."""
    shown = ", ".join(f"{k}={readable(k, v, spec, compact=True)}" for k, v in exc.args_by_name.items())
    text = f"{spec.name}({shown})" + (f": {exc.description}" if exc.description else "")
    exc.user_message = text
    exc.args = (text,)
    return exc


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
    return _message(cls(spec.name, args, _render(spec.notice, args, spec), contract=spec.contract, data=data), spec)


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

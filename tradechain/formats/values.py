"""Parsing of generic user-given values (addresses, hashes, ids), each failing with the field and the rule."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

from eth_utils import is_checksum_address, keccak, to_checksum_address
from eth_utils.address import is_hex_address

from tradechain.errors import InputError

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


def parse_address(value: str, field: str = "address") -> str:
    """A 20-byte hex address; mixed case must be a valid EIP-55 checksum. Returns the checksummed form."""
    text = str(value).strip()
    if not is_hex_address(text) or not text.startswith("0x"):
        raise InputError(field, "an address is 0x followed by 40 hex digits", value)
    body = text[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(text):
        raise InputError(field, "bad EIP-55 checksum (mixed-case address with wrong capitalisation)", value)
    return to_checksum_address(text)


def parse_bytes32(value: str, field: str) -> bytes:
    text = str(value).strip()
    if not _HEX32.fullmatch(text):
        raise InputError(field, "a 32-byte hash is 0x followed by 64 hex digits", value)
    return bytes.fromhex(text[2:])


def parse_uint(value: str | int, field: str, *, bits: int = 256, minimum: int = 0) -> int:
    try:
        number = int(str(value).strip(), 10)
    except ValueError:
        raise InputError(field, "must be a whole number", value) from None
    if number < minimum:
        raise InputError(field, f"must be at least {minimum}", value)
    if number >= 1 << bits:
        raise InputError(field, f"must be below 2^{bits}", value)
    return number


def parse_amount(
    value: str,
    decimals: int,
    field: str = "amount",
    *,
    below: int = 2**96,
    too_large: str = "too large (below 2^96 units)",
) -> int:
    """A positive decimal amount (``1250.00``, ``1,250.00``, ``1_250``, ``1.25e3``) in whole smallest units of a
    token with ``decimals`` decimals, exactly: never rounded, never a ``decimal`` exception (``1e999999999`` and
    ``Infinity`` are too large, ``NaN`` is not a number, ``1e-999999999`` has too many decimals)."""
    text = str(value).strip().replace(",", "").replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InputError(field, "must be a number, e.g. 1250.00", value) from None
    if number.is_nan():
        raise InputError(field, "must be a number, e.g. 1250.00", value)
    if number <= 0:
        raise InputError(field, "must be positive", value)
    if number.is_infinite() or number.adjusted() + decimals > len(str(below)):
        raise InputError(field, too_large, value)
    if number.adjusted() < -decimals:
        raise InputError(field, f"at most {decimals} decimals", value)
    with localcontext() as exact:  # digits enough that nothing is rounded, whatever the text's length
        exact.prec = len(number.as_tuple().digits) + decimals + 2
        units = number.scaleb(decimals)
    if units != units.to_integral_value():
        raise InputError(field, f"at most {decimals} decimals", value)
    if units >= below:
        raise InputError(field, too_large, value)
    return int(units)


def reason_code(text: str, field: str = "reason") -> bytes:
    """A reason as bytes32: a 0x-hash as given, else short text (<= 32 bytes, right-padded), else its keccak."""
    text = text.strip()
    if not text:
        raise InputError(field, "must not be empty")
    if _HEX32.fullmatch(text):
        return bytes.fromhex(text[2:])
    raw = text.encode()
    return raw.ljust(32, b"\0") if len(raw) <= 32 else keccak(raw)


def file_hash(data: bytes) -> bytes:
    return keccak(data)

"""Canonical invoices and their keyed fingerprints: the specification other implementations can follow.

Canonical form (version 1), one line of ``key=value`` fields joined by ``|``:

    v1|seller=<SCHEME>:<ID>|buyer=<SCHEME>:<ID>|number=<NUMBER>|date=<YYYY-MM-DD>|currency=<ISO 4217>
      |amount=<minor units>        (one line; wrapped here)

* parties: the scheme upper case (LEI, VAT, TAX, DUNS, GLN, ...); the id upper case with white space, ``.``,
  ``-`` and ``/`` removed; an LEI must pass its mod-97 check;
* number: upper case, every character but A-Z and 0-9 removed (``INV-2024/0042`` and ``inv 2024 0042`` are one);
* date: ISO 8601, read with the given format (``DD.MM.YYYY``, ``MM/DD/YYYY``, ``DD/MM/YYYY``, ``YYYYMMDD``, ISO
  by default);
* currency: an ISO 4217 code; amount: an integer of the currency's minor units (JPY 0 decimals, KWD 3), read
  with the given decimal separator (``.`` by default; the other of ``.``/``,``, spaces and apostrophes group
  thousands). More decimals than the currency has is an error, never a rounding.

The fingerprint is HMAC-SHA256 of the canonical line under the network key (32 bytes, held by members, never
committed), so nobody outside the network can confirm a guessed invoice from its fingerprint. Secondary
fingerprints leave one field out each (number, date, buyer, amount), so an altered copy is still flagged as a
near-duplicate.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

from tradechain.errors import InputError
from tradechain.formats import canonical
from tradechain.formats.identity import parse_lei

KEY_ENV = "TRADECHAIN_INVOICE_KEY"
# ISO 4217 codes in use and their minor units (decimals).
_TWO = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CNY COP CRC CUP CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL"""
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    "CLF": 4,
    "UYW": 4,
}
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD.MM.YYYY": "%d.%m.%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "YYYYMMDD": "%Y%m%d",
    "DD-MM-YYYY": "%d-%m-%Y",
}
_ID_NOISE = re.compile(r"[\s.\-/]")
_NUMBER_NOISE = re.compile(r"[^A-Z0-9]")
SECONDARY_FIELDS = ("number", "date", "buyer", "amount")  # each secondary leaves one of these out


@dataclass(frozen=True)
class CanonicalInvoice:
    seller: str
    buyer: str
    number: str
    issue_date: str
    currency: str
    amount: int  # minor units

    def fields(self) -> dict[str, str]:
        return {
            "seller": self.seller,
            "buyer": self.buyer,
            "number": self.number,
            "date": self.issue_date,
            "currency": self.currency,
            "amount": str(self.amount),
        }

    def line(self, without: str | None = None) -> str:
        parts = [f"{k}={v}" for k, v in self.fields().items() if k != without]
        return ("v1" if without is None else f"v1-no-{without}") + "|" + "|".join(parts)


def _party(value: Any, field: str) -> str:
    if not isinstance(value, dict) or "scheme" not in value or "id" not in value:
        raise InputError(field, 'a party is {"scheme": "LEI", "id": "..."}', value)
    scheme = str(value["scheme"]).strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,15}", scheme):
        raise InputError(f"{field}.scheme", "letters and digits, e.g. LEI, VAT, TAX, DUNS", value["scheme"])
    ident = _ID_NOISE.sub("", str(value["id"])).upper()
    if not ident:
        raise InputError(f"{field}.id", "must not be empty")
    if scheme == "LEI":
        ident = parse_lei(ident, f"{field}.id")
    return f"{scheme}:{ident}"


def _number(value: Any) -> str:
    text = _NUMBER_NOISE.sub("", str(value).upper())
    if not text:
        raise InputError("number", "an invoice number needs at least one letter or digit", value)
    if len(text) > 64:
        raise InputError("number", "at most 64 letters and digits", value)
    return text


def _date(value: Any, fmt: str | None) -> str:
    pattern = DATE_FORMATS.get(fmt or "YYYY-MM-DD")
    if pattern is None:
        raise InputError("date_format", f"one of {', '.join(DATE_FORMATS)}", fmt)
    from datetime import datetime

    try:
        return datetime.strptime(str(value).strip(), pattern).date().isoformat()
    except ValueError:
        raise InputError("issue_date", f"not a valid date in the format {fmt or 'YYYY-MM-DD'}", value) from None


def _amount(value: Any, currency: str, separator: str) -> int:
    if separator not in (".", ","):
        raise InputError("decimal_separator", 'either "." or ","', separator)
    raw = str(value).strip().replace("\u00a0", " ")
    if raw.startswith("-"):
        raise InputError("amount", "must be positive", value)
    group = "," if separator == "." else "."
    sep, grp = re.escape(separator), re.escape(group)
    # digits, or thousands grouped by threes (with the other separator, a space or an apostrophe), then decimals
    strict = rf"\d+({sep}\d+)?|\d{{1,3}}(?:(?:{grp}|'| )\d{{3}})+({sep}\d+)?"
    if not re.fullmatch(strict, raw):
        raise InputError("amount", f"not an amount with decimal separator {separator!r}", value)
    text = re.sub(rf"{grp}|'| ", "", raw).replace(separator, ".")
    number = Decimal(text)
    if number <= 0:
        raise InputError("amount", "must be positive", value)
    decimals = MINOR_UNITS[currency]
    with localcontext() as exact:  # enough digits that nothing is rounded (28 by default)
        exact.prec = len(text) + decimals + 2
        units = number.scaleb(decimals)
    if units != units.to_integral_value():
        raise InputError("amount", f"{currency} has {decimals} decimals", value)
    if units >= 2**96:
        raise InputError("amount", "too large", value)
    return int(units)


def canonicalise(invoice: dict[str, Any]) -> CanonicalInvoice:
    """The canonical invoice, or an InputError naming the field and the rule."""
    if not isinstance(invoice, dict):
        raise InputError("invoice", "an invoice is a JSON object")
    for key in ("seller", "buyer", "number", "issue_date", "currency", "amount"):
        if key not in invoice:
            raise InputError(key, "is required")
    currency = str(invoice["currency"]).strip().upper()
    if currency not in MINOR_UNITS:
        raise InputError("currency", "not an ISO 4217 currency code", invoice["currency"])
    try:
        amount = _amount(invoice["amount"], currency, str(invoice.get("decimal_separator", ".")))
    except InvalidOperation:
        raise InputError("amount", "not a number", invoice["amount"]) from None
    return CanonicalInvoice(
        _party(invoice["seller"], "seller"),
        _party(invoice["buyer"], "buyer"),
        _number(invoice["number"]),
        _date(invoice["issue_date"], invoice.get("date_format")),
        currency,
        amount,
    )


@dataclass(frozen=True)
class Fingerprints:
    primary: bytes
    secondary: tuple[bytes, ...]  # in SECONDARY_FIELDS order

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": "0x" + self.primary.hex(), "secondary": ["0x" + s.hex() for s in self.secondary]}


class Fingerprinter:
    """HMAC-SHA256 under one network key, with the key's inner and outer hash states computed once (RFC 2104):
    each fingerprint then costs two SHA-256 continuations. Checked against ``hmac`` in the tests."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise InputError("key", "the network key is 32 bytes (64 hex digits)")
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def mac(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __call__(self, invoice: CanonicalInvoice) -> Fingerprints:
        return Fingerprints(
            self.mac(invoice.line().encode()), tuple(self.mac(invoice.line(f).encode()) for f in SECONDARY_FIELDS)
        )


def fingerprints(invoice: CanonicalInvoice, key: bytes) -> Fingerprints:
    return Fingerprinter(key)(invoice)


def load_key(key_file: Path | None = None) -> bytes:
    """The network key: ``--key-file`` or ``$TRADECHAIN_INVOICE_KEY`` (hex)."""
    if key_file is not None:
        if not key_file.is_file():
            raise InputError("key-file", "not found", str(key_file))
        text = key_file.read_text().strip()
    else:
        text = os.environ.get(KEY_ENV, "").strip()
        if not text:
            raise InputError("key", f"give --key-file or set {KEY_ENV} (the network's 32-byte key, as hex)")
    try:
        key = bytes.fromhex(text[2:] if text.startswith("0x") else text)
    except ValueError:
        raise InputError("key", "the network key is hex") from None
    if len(key) != 32:
        raise InputError("key", f"the network key is 32 bytes, not {len(key)}")
    return key


def read_invoices(path: Path) -> list[dict[str, Any]]:
    """A JSON invoice, a JSON array of them, or a CSV (columns seller_scheme, seller_id, buyer_scheme, buyer_id,
    number, issue_date, currency, amount, and optionally date_format, decimal_separator). JSON is read by
    :func:`tradechain.formats.canonical.loads` (a key given twice, NaN, a size, depth or number beyond the limits are
    refused, naming the path as ``invoice.KEY``; numbers as written)."""
    data = canonical.read_bytes(path, "file")
    text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise InputError("file", "is empty", str(path))
    if path.suffix.lower() == ".csv":
        return _csv_rows(text, path)
    try:
        value = canonical.loads(data, "invoice", shown=str(path))
    except canonical.JsonSyntaxError as exc:
        where = f", line {exc.lineno}" if exc.lineno else ""
        raise InputError("file", f"not JSON or CSV ({exc.msg}{where})", str(path)) from None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError("file", "holds no invoice", str(path))
    return items


def _csv_rows(text: str, path: Path) -> list[dict[str, Any]]:
    rows = []
    reader = csv.DictReader(text.splitlines())
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            try:
                rows.append(
                    {
                        "seller": {"scheme": row["seller_scheme"], "id": row["seller_id"]},
                        "buyer": {"scheme": row["buyer_scheme"], "id": row["buyer_id"]},
                        **{k: row[k] for k in ("number", "issue_date", "currency", "amount")},
                        **{k: row[k] for k in ("date_format", "decimal_separator") if row.get(k)},
                    }
                )
            except KeyError as exc:
                raise InputError(f"line {line}", f"missing column {exc}") from None
    except csv.Error as exc:
        raise InputError(f"line {line + 1}", f"not CSV ({exc})") from None
    if not rows:
        raise InputError("file", "holds no invoice", str(path))
    return rows


def invoice_date(value: str) -> date:
    return date.fromisoformat(value)

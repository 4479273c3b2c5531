"""Canonical invoices and keyed fingerprints: formatting variants collide, different invoices never do, altered
copies are near-duplicates, bad input names its field."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import INVOICE, INVOICE_KEY
from hypothesis import given, settings
from hypothesis import strategies as st

from tradechain.errors import InputError
from tradechain.formats import invoice_fingerprints

KEY, BASE = INVOICE_KEY, INVOICE


def fp(**changes: Any) -> invoice_fingerprints.Fingerprints:
    return invoice_fingerprints.fingerprints(invoice_fingerprints.canonicalise({**BASE, **changes}), KEY)


@pytest.mark.parametrize(
    "variant",
    [
        {"number": "inv 2024 0042"},
        {"number": "INV.2024.0042"},
        {"number": " inv-2024-0042 "},
        {"issue_date": "05.03.2024", "date_format": "DD.MM.YYYY"},
        {"issue_date": "03/05/2024", "date_format": "MM/DD/YYYY"},
        {"issue_date": "20240305", "date_format": "YYYYMMDD"},
        {"amount": "1,250.00"},
        {"amount": "1250"},
        {"amount": "1.250,00", "decimal_separator": ","},
        {"amount": "1 250,00", "decimal_separator": ","},
        {"amount": "1'250.00"},
        {"currency": "eur"},
        {"seller": {"scheme": "lei", "id": "5299 00T8 BM49 AURS DO55"}},
        {"buyer": {"scheme": "vat", "id": "de 123.456.789"}},
    ],
)
def test_formatting_variants_collide(variant: dict[str, Any]) -> None:
    assert fp(**variant).primary == fp().primary


@pytest.mark.parametrize(
    "different",
    [
        {"amount": "1250.01"},
        {"amount": "12500"},
        {"currency": "USD"},
        {"buyer": {"scheme": "VAT", "id": "DE123456788"}},
        {"buyer": {"scheme": "TAX", "id": "DE123456789"}},
        {"issue_date": "2024-03-06"},
        {"number": "INV-2024/0043"},
        {"seller": {"scheme": "LEI", "id": "5493001KJTIIGC8Y1R12"}},
    ],
)
def test_different_invoices_never_collide(different: dict[str, Any]) -> None:
    assert fp(**different).primary != fp().primary


@pytest.mark.parametrize(
    ("altered", "field"),
    [
        ({"number": "INV-2024/0042-B"}, "number"),
        ({"issue_date": "2024-03-09"}, "date"),
        ({"buyer": {"scheme": "VAT", "id": "FR123"}}, "buyer"),
        ({"amount": "1350.00"}, "amount"),
    ],
)
def test_an_altered_field_leaves_a_matching_secondary(altered: dict[str, Any], field: str) -> None:
    original, copy = fp(), fp(**altered)
    assert copy.primary != original.primary
    matches = [
        f
        for f, a, b in zip(invoice_fingerprints.SECONDARY_FIELDS, copy.secondary, original.secondary, strict=True)
        if a == b
    ]
    assert matches == [field]


def test_minor_units_follow_the_currency() -> None:
    assert invoice_fingerprints.canonicalise({**BASE, "currency": "JPY", "amount": "1,250"}).amount == 1250
    assert invoice_fingerprints.canonicalise({**BASE, "currency": "KWD", "amount": "1.250"}).amount == 1250
    assert invoice_fingerprints.canonicalise({**BASE, "currency": "EUR", "amount": "1.25"}).amount == 125


def test_the_canonical_line_is_the_specification() -> None:
    line = invoice_fingerprints.canonicalise({**BASE, "number": "inv 2024 0042"}).line()
    assert line == (
        "v1|seller=LEI:529900T8BM49AURSDO55|buyer=VAT:DE123456789|number=INV20240042|date=2024-03-05"
        "|currency=EUR|amount=125000"
    )
    assert fp().primary == hmac.new(KEY, line.encode(), hashlib.sha256).digest()  # plain HMAC-SHA256


def test_the_key_matters() -> None:
    other = invoice_fingerprints.fingerprints(invoice_fingerprints.canonicalise(BASE), bytes(32))
    assert other.primary != fp().primary


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_fast_hmac_equals_the_standard_library(message: bytes) -> None:
    assert invoice_fingerprints.Fingerprinter(KEY).mac(message) == hmac.new(KEY, message, hashlib.sha256).digest()


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"currency": "EUX"}, "currency", "not an ISO 4217"),
        ({"amount": "-5"}, "amount", "must be positive"),
        ({"amount": "12.345"}, "amount", "EUR has 2 decimals"),
        ({"currency": "JPY", "amount": "10.5"}, "amount", "JPY has 0 decimals"),
        ({"amount": "1e30000"}, "amount", "not an amount"),
        ({"amount": "1.250,00"}, "amount", "not an amount with decimal separator '.'"),
        ({"issue_date": "2024-02-30"}, "issue_date", "not a valid date"),
        ({"issue_date": "05.03.2024", "date_format": "DD.MM.YY"}, "date_format", "one of"),
        ({"seller": {"scheme": "LEI", "id": "529900T8BM49AURSDO56"}}, "seller.id", "check digits"),
        ({"buyer": "DE123"}, "buyer", "a party is"),
        ({"number": "---"}, "number", "at least one letter or digit"),
        ({"decimal_separator": ";"}, "decimal_separator", "either"),
    ],
)
def test_bad_invoices_name_the_field_and_rule(changes: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        invoice_fingerprints.canonicalise({**BASE, **changes})
    assert info.value.field == field and rule in info.value.user_message


def test_missing_fields_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="amount: is required"):
        invoice_fingerprints.canonicalise({k: v for k, v in BASE.items() if k != "amount"})
    monkeypatch.delenv(invoice_fingerprints.KEY_ENV, raising=False)
    with pytest.raises(InputError, match="give --key-file or set TRADECHAIN_INVOICE_KEY"):
        invoice_fingerprints.load_key()
    monkeypatch.setenv(invoice_fingerprints.KEY_ENV, "00" * 16)
    with pytest.raises(InputError, match="32 bytes, not 16"):
        invoice_fingerprints.load_key()
    key_file = tmp_path / "key"
    key_file.write_text("0x" + KEY.hex())
    assert invoice_fingerprints.load_key(key_file) == KEY


def test_reading_json_arrays_and_csv(tmp_path: Path) -> None:
    many = tmp_path / "many.json"
    many.write_text(json.dumps([BASE, {**BASE, "number": "X-1"}]))
    assert len(invoice_fingerprints.read_invoices(many)) == 2
    table = tmp_path / "book.csv"
    table.write_text(
        "seller_scheme,seller_id,buyer_scheme,buyer_id,number,issue_date,currency,amount\n"
        'LEI,529900T8BM49AURSDO55,VAT,DE123456789,inv 2024 0042,2024-03-05,EUR,"1,250.00"\n'
    )
    (row,) = invoice_fingerprints.read_invoices(table)
    assert invoice_fingerprints.fingerprints(invoice_fingerprints.canonicalise(row), KEY).primary == fp().primary
    for name, content, message in (
        ("e.json", "", "is empty"),
        ("x.json", "{oops", "not JSON or CSV"),
        ("h.csv", "number\n1\n", "missing column"),
    ):
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(InputError, match=message):
            invoice_fingerprints.read_invoices(path)

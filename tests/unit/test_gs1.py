"""GS1 identifiers: check digits, character sets, dates, element strings (bracketed and raw) and Digital Link."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from tradechain.cli.main import cli
from tradechain.errors import InputError
from tradechain.formats import gs1

TODAY = date(2026, 11, 23)
EXPECTED = {"gtin": "09506000134352", "serial": "12345", "lot": "ABC123", "expiry": "2026-12-31"}


@pytest.mark.parametrize(
    "text",
    [
        "(01)09506000134352(17)261231(10)ABC123(21)12345",
        "01095060001343521726123110ABC123\x1d2112345",
        "]d201095060001343521726123110ABC123\x1d2112345",
        "\x1d01095060001343521726123110ABC123\x1d2112345\x1d",
        "https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=261231",
        "https://brand.example.com/products/01/09506000134352/10/ABC123/21/12345?17=261231&utm=x",
    ],
)
def test_every_form_of_the_same_pack_gives_the_same_identifiers(text: str) -> None:
    assert gs1.parse_any(text, TODAY).to_json() == EXPECTED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        ("4006381333931", "04006381333931"),
        ("09506000134352", "09506000134352"),
    ],
)
def test_gtin_8_12_13_14_normalise_to_gtin_14(value: str, expected: str) -> None:
    assert gs1.parse_gtin(value) == expected


@pytest.mark.parametrize(
    ("call", "field", "rule"),
    [
        (lambda: gs1.parse_gtin("09506000134353"), "gtin", "GTIN check digit is wrong: expected 2, got 3"),
        (lambda: gs1.parse_gtin("09506000134"), "gtin", "8/12/13/14 digits, not 11"),
        (lambda: gs1.parse_gtin("0950600013435A"), "gtin", "digits only"),
        (lambda: gs1.parse_sscc("106141411234567890"), "sscc", "SSCC check digit is wrong: expected 7"),
        (lambda: gs1.parse_gln("4000001000006"), "gln", "GLN check digit is wrong"),
        (lambda: gs1.parse_serial("x" * 21), "serial", "at most 20 characters"),
        (lambda: gs1.parse_serial("AB#1"), "serial", "character set 82"),
        (lambda: gs1.parse_serial(""), "serial", "must not be empty"),
        (lambda: gs1.parse_lot("lot é"), "lot", "character set 82"),
        (lambda: gs1.parse_yymmdd("261331"), "expiry", "month 13 is not 01-12"),
        (lambda: gs1.parse_yymmdd("260230"), "expiry", "day 30 does not exist in 2026-02"),
        (lambda: gs1.parse_yymmdd("2612"), "expiry", "YYMMDD, 6 digits"),
        (lambda: gs1.parse_any("(01)09506000134352(23)x"), "element string", "unknown application identifier (23)"),
        (lambda: gs1.parse_any("(21)12345"), "serial", "qualifies a GTIN (AI 01), which is missing"),
        (lambda: gs1.parse_any("(01)0950600013435"), "gtin", "exactly 14 characters, not 13"),
        (lambda: gs1.parse_any("0109506000134352" + "21" + "1" * 21), "serial", "at most 20 characters"),
        (lambda: gs1.parse_any("https://x.org/21/12345"), "digital link", "no primary key"),
        (lambda: gs1.parse_any("https://x.org/01/09506000134352/21/1/10/L"), "digital link", "in that order"),
        (lambda: gs1.parse_any("ftp://x.org/01/09506000134352"), "digital link", "must be an http(s) URI"),
        (lambda: gs1.parse_any("   "), "identifier", "empty input"),
    ],
)
def test_bad_identifiers_name_the_field_and_rule(call: object, field: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        call()  # type: ignore[operator]
    assert info.value.user_message.startswith(field) and rule in info.value.user_message


def test_expiry_day_00_is_the_last_day_of_the_month_and_century_follows_the_gs1_window() -> None:
    assert gs1.parse_yymmdd("240200", today=TODAY) == date(2024, 2, 29)
    assert gs1.parse_yymmdd("761231", today=TODAY) == date(2076, 12, 31)  # 50 years ahead: this century
    assert gs1.parse_yymmdd("771231", today=TODAY) == date(1977, 12, 31)  # 51 ahead: the previous one
    assert gs1.parse_yymmdd("990101", today=date(2051, 1, 1)) == date(2099, 1, 1)


def test_sscc_and_gln_and_other_ais() -> None:
    # a pallet label: SSCC, the GTIN of its contents and their count (37 requires 02, 11 a trade item's GTIN)
    ids = gs1.parse_any("(00)106141411234567897(02)09506000134352(37)24(11)260101(410)4000001000005", TODAY)
    assert ids.sscc == "106141411234567897"
    assert ids.other == {
        "content_gtin": "09506000134352",
        "count": "24",
        "production_date": "2026-01-01",
        "ship_to_gln": "4000001000005",
    }
    assert gs1.parse_any("https://id.gs1.org/414/4000001000005").gln == "4000001000005"


def test_printing_round_trips() -> None:
    ids = gs1.parse_any("https://id.gs1.org/01/09506000134352/10/A%2FB/21/12345?17=261231", TODAY)
    assert ids.lot == "A/B"
    assert gs1.parse_any(ids.element_string(), TODAY) == ids
    assert gs1.parse_any(ids.digital_link("https://t.example"), TODAY) == ids
    assert ids.digital_link() == "https://id.gs1.org/01/09506000134352/10/A%2FB/21/12345?17=261231"


def test_cli_parse_prints_json_keys() -> None:
    result = CliRunner().invoke(cli, ["gs1", "parse", "(01)09506000134352(17)261231(10)ABC123(21)12345", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == EXPECTED


def test_cli_parse_rejects_with_exit_2_and_one_line() -> None:
    result = CliRunner().invoke(cli, ["gs1", "parse", "(01)09506000134353"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: gtin (AI 01): GTIN check digit is wrong: expected 2, got 3 (got '09506000134353')\n"
    )


def test_a_company_prefix_is_a_digit_string_whose_length_counts() -> None:
    assert gs1.parse_company_prefix("0614141") == "0614141"  # 7 digits, not the number 614141
    assert gs1.parse_company_prefix(" 9506 ") == "9506"
    for bad, rule in (
        ("061", "4 to 12 digits, not 3"),
        ("0614141234567", "4 to 12 digits, not 13"),
        ("06141-1", "digits only"),
        ("０６１４１４１", "digits only"),  # full-width digits are not GS1 digits
        (614141, "its leading zeros count"),
    ):
        with pytest.raises(InputError) as info:
            gs1.parse_company_prefix(bad)  # type: ignore[arg-type]
        assert info.value.field == "prefix" and rule in info.value.user_message


def test_the_company_prefix_of_a_gtin_or_an_sscc_follows_its_first_digit() -> None:
    assert gs1.parse_prefixed_key("106141411234567897") == "106141411234567897"  # an SSCC
    assert gs1.parse_prefixed_key("9506000134352") == "09506000134352"  # a GTIN-13, as GTIN-14
    assert gs1.key_prefix("09506000134352", 7) == "9506000"
    assert gs1.key_prefix("106141411234567897", 7) == "0614141"
    with pytest.raises(InputError, match="key: a GTIN is 8/12/13/14 digits and an SSCC 18, not 17"):
        gs1.parse_prefixed_key("10614141123456789")


@pytest.mark.parametrize(
    "text",
    [
        "01095060001343521726123110ABC123<GS>2112345",
        "]d201095060001343521726123110ABC123<gs>2112345",
        "(01)09506000134352(10)ABC123<GS>(21)12345",
    ],
)
def test_a_printed_gs_is_refused_never_taken_for_data_or_a_separator(text: str) -> None:
    with pytest.raises(InputError) as info:
        gs1.parse_any(text, TODAY)
    assert info.value.field == "element string" and info.value.rule.startswith("holds '<GS>', the printed form")


def test_a_raw_scan_without_its_fnc1_offers_the_reading_with_one() -> None:
    joined = "01095060001343521726123110ABC1232112345"  # the GS before (21) lost
    assert gs1.parse_any(joined, TODAY).lot == "ABC1232112345"  # legal GS1 as sent: the verifier decides
    (reading,) = gs1.missing_separator_readings(joined, TODAY)
    assert (reading.field, reading.ids.to_json()) == ("lot (AI 10)", EXPECTED)
    assert reading.rule().startswith("'ABC1232112345' runs into AI 21 (serial) with no FNC1 separator")
    assert gs1.missing_separator_readings("01095060001343521726123110ABC123\x1d2112345", TODAY) == []
    assert gs1.missing_separator_readings("(01)09506000134352(10)ABC1232112345", TODAY) == []

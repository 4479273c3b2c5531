"""`tradechain gs1 parse` on the classes of GS1 strings a real scanner produces: every AI of the General
Specifications (internal 90-99, net weight 310n, 235, 8004 reported in ``ais``), the AI pairing rules (req/ex),
GS1 Digital Link 1.4 (rightmost primary key, path and query rules, URI syntax) and AIM symbology identifiers.

The strings follow the examples of the GS1 General Specifications and the GS1 Digital Link standard; the
tables are our own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ok, refused, run
from tradechain.formats import gs1

GTIN = "09506000134352"
SSCC = "106141411234567897"
GLN = "9520123456788"
RAW = f"01{GTIN}1730123110ABC123\x1d2112345"  # GTIN, expiry, lot, FNC1, serial
PACK = {"gtin": GTIN, "expiry": "2030-12-31", "lot": "ABC123", "serial": "12345"}

VALID: list[tuple[str, dict[str, Any]]] = [
    # every AI of the General Specifications: the ones without a key of ours are reported in `ais`
    (f"(01){GTIN}(3103)000189", {"gtin": GTIN, "ais": {"3103": "000189"}}),  # net weight 0.189 kg
    (f"01{GTIN}3103000189", {"gtin": GTIN, "ais": {"3103": "000189"}}),  # 310n is predefined length: no FNC1
    (f"(01){GTIN}(21)S1(91)INT-7(99)X", {"gtin": GTIN, "serial": "S1", "ais": {"91": "INT-7", "99": "X"}}),
    (f"01{GTIN}91INT-7\x1d21S1", {"gtin": GTIN, "serial": "S1", "ais": {"91": "INT-7"}}),
    (f"(01){GTIN}(235)TPX-1234", {"gtin": GTIN, "ais": {"235": "TPX-1234"}}),  # third-party serial
    ("(8004)95061234ABC", {"ais": {"8004": "95061234ABC"}}),  # GIAI: an asset, a key of its own
    (f"(01){GTIN}(17)301231(10)ABC123(21)12345(7003)3012310930", {**PACK, "ais": {"7003": "3012310930"}}),
    # pairing rules: 10 is valid with 02 (the content GTIN on an SSCC pallet label), 02 with its count 37
    (f"(00){SSCC}(02){GTIN}(37)24(10)L7", {"sscc": SSCC, "content_gtin": GTIN, "count": "24", "lot": "L7"}),
    (f"00{SSCC}02{GTIN}3724\x1d10L7", {"sscc": SSCC, "content_gtin": GTIN, "count": "24", "lot": "L7"}),
    (f"(00){SSCC}(3301)001250", {"sscc": SSCC, "ais": {"3301": "001250"}}),  # gross weight of a pallet
    (f"(01){GTIN}(30)12", {"gtin": GTIN, "count": "12"}),  # a variable measure trade item's count
    (f"(01){GTIN}(21)A(21)A", {"gtin": GTIN, "serial": "A"}),  # an AI repeated with the same value
    # GS1 Digital Link 1.4
    (f"https://id.gs1.org/01/{GTIN}", {"gtin": GTIN}),
    (f"https://id.gs1.org/01/{GTIN}/10/ABC123/21/12345?17=301231", PACK),
    (f"https://example.com/01/{GTIN}/22/2A/10/ABC123", {"gtin": GTIN, "cpv": "2A", "lot": "ABC123"}),
    (f"https://id.gs1.org/01/{GTIN}/235/TPX1", {"gtin": GTIN, "ais": {"235": "TPX1"}}),
    (f"https://id.gs1.org/01/{GTIN}?3103=000195", {"gtin": GTIN, "ais": {"3103": "000195"}}),
    (f"https://id.gs1.org/00/{SSCC}", {"sscc": SSCC}),
    ("https://id.gs1.org/01/9506000134352/21/7", {"gtin": GTIN, "serial": "7"}),  # a GTIN-13 in the URI
    (
        f"https://id.gs1.org/00/{SSCC}?02={GTIN}&37=24&10=L7",  # GS1's pallet example: 10 as a data attribute
        {"sscc": SSCC, "content_gtin": GTIN, "count": "24", "lot": "L7"},
    ),
    (f"https://id.gs1.org/414/{GLN}/254/32a%2Fb", {"gln": GLN, "gln_extension": "32a/b"}),
    ("https://id.gs1.org/8004/95061234ABC", {"ais": {"8004": "95061234ABC"}}),
    (f"https://example.com/01/{GTIN}/21/5?linkType=gs1:pip", {"gtin": GTIN, "serial": "5"}),
    # the primary key is the rightmost key element: what comes before it is the path prefix
    (f"https://example.com/00/{SSCC}/01/{GTIN}/21/5", {"gtin": GTIN, "serial": "5"}),
    (f"https://example.com/shop/01/{GTIN}/10/01", {"gtin": GTIN, "lot": "01"}),
    # AIM symbology identifiers
    (f"]C1{RAW}", PACK),  # GS1-128
    (f"]d2{RAW}", PACK),  # GS1 DataMatrix
    (f"]Q3{RAW}", PACK),  # GS1 QR Code
    (f"]J1{RAW}", PACK),  # GS1 DotCode
    (f"]e001{GTIN}", {"gtin": GTIN}),  # GS1 DataBar
    (f"]Q1https://id.gs1.org/01/{GTIN}/10/ABC123/21/12345?17=301231", PACK),  # a Digital Link in a QR Code
    (f"]d1https://id.gs1.org/01/{GTIN}/10/ABC123/21/12345?17=301231", PACK),  # ... in a Data Matrix
    ("]E05901234123457", {"gtin": "05901234123457"}),  # EAN-13
    ("]E496385074", {"gtin": "00000096385074"}),  # EAN-8
    ("]E0042100005264", {"gtin": "00042100005264"}),  # UPC-A, 12 digits as the scanner sends them
    ("]E004252614", {"gtin": "00042100005264"}),  # UPC-E 0425261-4, expanded to its UPC-A
    ("]E3590123412345712", {"gtin": "05901234123457"}),  # EAN-13 with a 2-digit add-on (dropped)
    ("]E304210000526453999", {"gtin": "00042100005264"}),  # UPC-A with a 5-digit add-on
    (f"]I1{GTIN}", {"gtin": GTIN}),  # ITF-14
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_a_valid_gs1_string_parses_to_its_fields(value: str, expected: dict[str, Any]) -> None:
    assert ok("gs1", "parse", value) == expected


INVALID: list[tuple[str, str, str]] = [
    # AIs
    (f"(01){GTIN}(23)X", "element string", "unknown application identifier (23)"),
    (f"(01){GTIN}(3103)00018X", "AI 3103", "AI 3103 (NET WEIGHT (kg)) is N6"),
    (f"(01){GTIN}(91)", "AI 91", "must not be empty"),
    (f"(02){GTIN}(37)1A", "count", "AI 37 (COUNT) is N..8"),
    # pairing rules (General Specifications 4.14)
    (f"(01){GTIN}(250)ABC", "AI 250", "AI 250 (SECONDARY SERIAL) requires AI 01 (GTIN) with AI 21 (SERIAL)"),
    (f"(01){GTIN}(12)261231", "AI 12", "AI 12 (DUE DATE) requires AI 8020 (REF No.)"),  # from the dictionary only
    ("(37)24", "count", "AI 37 (COUNT) requires AI 00 (SSCC) with AI 02 (CONTENT) or AI 00 (SSCC) with AI 8026"),
    (f"(02){GTIN}", "content_gtin", "AI 02 (CONTENT) requires AI 37 (COUNT)"),
    (
        f"(00)106141412345678908(02){GTIN}(37)1(01){GTIN}",
        "element string",
        "AI 02 (CONTENT) and AI 01 (GTIN) may not appear together",
    ),  # a content GTIN and a GTIN: the syntax dictionary's ex=01 of AI 02
    (f"(01){GTIN}(37)5", "element string", "AI 01 (GTIN) and AI 37 (COUNT) may not appear together"),
    (f"(01){GTIN}(21)1(235)X", "element string", "AI 21 (SERIAL) and AI 235 (TPX) may not appear together"),
    (f"(00){SSCC}(10)L7", "lot", "a lot (AI 10) qualifies a GTIN (AI 01) or a content GTIN (AI 02)"),
    (f"(00){SSCC}(17)301231", "expiry", "requires AI 01 (GTIN)"),
    ("(3103)000189", "AI 3103", "requires AI 01 (GTIN) or AI 02 (CONTENT)"),
    ("(254)1", "gln_extension", "requires AI 414"),
    (f"(01){GTIN}(3103)000189(3102)001890", "element string", "one measure (NET WEIGHT (kg)) given twice"),
    (f"(01){GTIN}(10)A(10)B", "element string", "AI 10 (BATCH/LOT) is given twice with different values"),
    # Digital Link path
    (f"https://id.gs1.org/01/{GTIN}/21/1/10/L", "digital link", "/22/, /10/ and /21/ in that order"),
    (f"https://id.gs1.org/01/{GTIN}/235/T/21/1", "digital link", "or /235/ alone"),
    (f"https://id.gs1.org/00/{SSCC}/10/L", "digital link", "/00/ (SSCC) takes no key qualifier in the path"),
    (f"https://id.gs1.org/01/{GTIN}/23/x", "digital link", "unknown application identifier /23/ in the path"),
    ("https://id.gs1.org/21/12345", "digital link", "no primary key"),
    # Digital Link query
    (f"https://id.gs1.org/01/{GTIN}?10=ABC", "digital link", "AI 10 (BATCH/LOT) is a key qualifier of /01/"),
    (f"https://id.gs1.org/01/{GTIN}/10/A?21=5", "digital link", "AI 21 (SERIAL) is a key qualifier of /01/"),
    (f"https://id.gs1.org/01/{GTIN}?17=301231&17=301231", "digital link", "AI 17 (USE BY or EXPIRY) is given twice"),
    (f"https://id.gs1.org/01/{GTIN}?17=", "digital link", "query attribute '17' has no value"),
    (f"https://id.gs1.org/01/{GTIN}?17", "digital link", "query attribute '17' has no value"),
    (f"https://id.gs1.org/01/{GTIN}?&17=301231", "digital link", "empty query attribute"),
    (f"https://id.gs1.org/01/{GTIN}?23=x", "digital link", "unknown application identifier 23= in the query"),
    (f"https://id.gs1.org/01/{GTIN}?3103=1", "AI 3103", "is N6"),
    (f"https://id.gs1.org/01/{GTIN}/10/AB%00C", "digital link", "holds %00"),
    # URI syntax
    (f"HTTPS://id.gs1.org/01/{GTIN}", "digital link", "the scheme is written lowercase"),
    (f"Https://id.gs1.org/01/{GTIN}", "digital link", "the scheme is written lowercase"),
    (f"https://id.gs1.org//01/{GTIN}", "digital link", "empty path segment"),
    (f"https://id.gs1.org/01/{GTIN}/", "digital link", "ends with '/'"),
    (f"ftp://id.gs1.org/01/{GTIN}", "digital link", "must be an http(s) URI"),
    # symbology identifiers
    ("]A0ABC123", "symbology", "]A0 (CODE 39) does not carry GS1 data"),
    ("]?9123", "symbology", "not an AIM symbology identifier"),
    (f"]d1{RAW}", "element string", "]d1 (Data Matrix) carries plain data, here not a GS1 Digital Link"),
    ("]E059012341234", "gtin", "a ]E0 (EAN-13, UPC-A or UPC-E) scan is 13 digits"),  # 11 digits
    ("]E05901234123458", "gtin (]E0 EAN-13, UPC-A or UPC-E)", "GTIN check digit is wrong"),
    ("]E004252615", "gtin", "a ]E0 scan of 8 digits is a UPC-E"),  # a UPC-E with a wrong check digit
    ("]E30421000052645", "gtin", "12 or 13 digits and 2 or 5 more"),  # 13 digits: no add-on length fits
    (
        "https://id.gs1.org/01/09506000134352?00=106141412345678908",
        "digital link",
        "AI 00 (SSCC) is a primary key: a Digital Link has one",
    ),  # a second primary key in the query
]


@pytest.mark.parametrize(("value", "field", "rule"), INVALID)
def test_an_invalid_gs1_string_is_refused_with_exit_2_and_one_line(value: str, field: str, rule: str) -> None:
    refused(run("gs1", "parse", value), field, rule)


def test_the_text_output_lists_every_other_ai_by_its_title() -> None:
    result = run("gs1", "parse", f"(01){GTIN}(3103)000189(91)INT-7")
    assert result.exit_code == 0, result.stderr
    assert "ai 3103  000189 (NET WEIGHT (kg))\n" in result.output
    assert "ai 91    INT-7 (INTERNAL)\n" in result.output
    assert f"(01){GTIN}(3103)000189(91)INT-7" in result.output


def test_the_pairing_rules_are_read_from_gs1s_syntax_dictionary() -> None:
    """Every AI of the dictionary has its rules, read from the shipped file: an AI with a req= or ex= attribute in
    the file has them in the table, and a serial's secondary serial needs its GTIN and serial together."""
    from tradechain.formats.gs1 import SYNTAX_DICTIONARY, _pairing_rules

    requires, excludes = _pairing_rules()
    text = (Path(gs1.__file__).parent / SYNTAX_DICTIONARY).read_text()
    listed = [line.split()[0] for line in text.splitlines() if line[:1].isdigit()]
    assert len(listed) > 200 and all(ai.split("-")[0] in requires for ai in listed)  # 224 entries (AIs, ranges)
    assert requires["250"] == [[("01", "21"), ("03", "21"), ("8006", "21")]]
    assert excludes["01"] == ["255", "37"] and "310n" in excludes["3103"]

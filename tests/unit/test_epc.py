"""EPC URNs of every Tag Data Standard scheme to canonical GS1 Digital Link and back: a table written from the
TDS 2.x worked examples (GS1 element string and pure identity URN of each scheme), each example's element string
written here as its Digital Link path (GS1 Digital Link 1.4), plus bad URNs refused with one line."""

from __future__ import annotations

import pytest

from tradechain.errors import InputError
from tradechain.formats.epc import SCHEMES, gln_of, to_digital_link, to_urn

DL = "https://id.gs1.org"

# (URN, canonical Digital Link, GS1 Company Prefix length): one or more per scheme.
PAIRS = [
    ("urn:epc:id:sgtin:0614141.812345.6789", f"{DL}/01/80614141123458/21/6789", 7),
    ("urn:epc:id:sgtin:0614141.712345.32a%2Fb", f"{DL}/01/70614141123451/21/32a%2Fb", 7),
    ("urn:epc:id:sscc:0614141.1234567890", f"{DL}/00/106141412345678908", 7),
    ("urn:epc:id:sgln:0614141.12345.5678", f"{DL}/414/0614141123452/254/5678", 7),
    ("urn:epc:id:sgln:0614141.12345.0", f"{DL}/414/0614141123452", 7),  # extension 0: the GLN alone
    ("urn:epc:id:grai:0614141.12345.5678", f"{DL}/8003/006141411234525678", 7),
    ("urn:epc:id:giai:0614141.12345400", f"{DL}/8004/061414112345400", 7),
    ("urn:epc:id:giai:0614141.A%2F%25", f"{DL}/8004/0614141A%2F%25", 7),
    ("urn:epc:id:gsrn:0614141.1234567890", f"{DL}/8018/061414112345678902", 7),
    ("urn:epc:id:gsrnp:0614141.1234567890", f"{DL}/8017/061414112345678902", 7),
    ("urn:epc:id:gdti:0614141.12345.006847", f"{DL}/253/0614141123452006847", 7),
    ("urn:epc:id:cpi:0614141.123ABC.123456789", f"{DL}/8010/0614141123ABC/8011/123456789", 7),
    ("urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345", f"{DL}/8010/06141415PQ7%2FZ43/8011/12345", 7),
    ("urn:epc:id:sgcn:4012345.67890.04711", f"{DL}/255/401234567890104711", 7),
    ("urn:epc:id:ginc:0614141.xyz47%2F11", f"{DL}/401/0614141xyz47%2F11", 7),
    ("urn:epc:id:gsin:0614141.123456789", f"{DL}/402/06141411234567890", 7),
    ("urn:epc:id:itip:4012345.012345.01.02.987", f"{DL}/8006/040123451234560102/21/987", 7),
    (
        "urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB",
        f"{DL}/01/01234567894560/235/51qIgY%29%3C%26Jp3%2Aj7%27SDB",
        7,
    ),
    ("urn:epc:id:pgln:1234567.89012", f"{DL}/417/1234567890128", 7),
    ("urn:epc:class:lgtin:4012345.012345.998877", f"{DL}/01/04012345123456/10/998877", 7),
    ("urn:epc:idpat:sgtin:4012345.066666.*", f"{DL}/01/04012345666663", 7),  # a pattern: the product class
]


@pytest.mark.parametrize(("urn", "link", "prefix"), PAIRS, ids=[p[0] for p in PAIRS])
def test_each_scheme_urn_to_its_digital_link_and_back(urn: str, link: str, prefix: int) -> None:
    assert to_digital_link(urn) == link
    assert to_digital_link(link) == link  # canonical already
    assert to_urn(link, prefix) == urn
    assert to_urn(urn, prefix) == urn


def test_the_table_covers_every_scheme_with_a_gs1_key() -> None:
    named = {urn.split(":")[3] for urn, _, _ in PAIRS}
    assert named == set(SCHEMES)


def test_a_digital_link_on_another_domain_is_the_same_item() -> None:
    assert to_digital_link("https://brand.example/shop/8003/006141411234525678?linkType=gs1:pip") == (
        f"{DL}/8003/006141411234525678"
    )
    assert to_urn("https://brand.example/414/0614141123452/254/5678", 7) == "urn:epc:id:sgln:0614141.12345.5678"
    assert to_urn(f"{DL}/01/80614141123458/10/LOT1/21/6789", 7) == "urn:epc:id:sgtin:0614141.812345.6789"
    assert to_urn(f"{DL}/00/106141412345678908", 9) == "urn:epc:id:sscc:061414123.14567890"


def test_schemes_with_no_gs1_key_stay_urns_and_other_uris_pass() -> None:
    assert to_digital_link("urn:epc:id:gid:95100000.12345.400") == "urn:epc:id:gid:95100000.12345.400"
    assert to_urn("urn:epc:id:gid:95100000.12345.400", 7) == "urn:epc:id:gid:95100000.12345.400"
    assert to_digital_link("https://example.com/pallet/7") == "https://example.com/pallet/7"
    assert gln_of("urn:epc:id:pgln:1234567.89012") == 0
    assert gln_of("urn:epc:id:sgln:0614141.12345.0") == 614141123452


BAD_URNS = [
    ("urn:epc:id:sgtin:0614141.812345", "expected 3 dot-separated parts"),
    ("urn:epc:id:sgtin:0614141.81234.6789", "not a valid SGTIN URN"),  # 12 digits, not 13
    ("urn:epc:id:sgtin:0614141.812345.123456789012345678901", "not a valid SGTIN URN"),  # 21-character serial
    ("urn:epc:id:sscc:0614141.123456789", "not a valid SSCC URN"),
    ("urn:epc:id:sgln:0614141.1234.5678", "not a valid SGLN URN"),
    ("urn:epc:id:grai:0614141.12345", "expected 3 dot-separated parts"),
    ("urn:epc:id:gsrn:0614141.123456789", "not a valid GSRN URN"),
    ("urn:epc:id:gdti:0614141.12345.123456789012345678", "not a valid GDTI URN"),  # 18-character serial
    ("urn:epc:id:gsin:0614141.12345678", "not a valid GSIN URN"),
    ("urn:epc:id:pgln:1234567.8901", "not a valid PGLN URN"),
    ("urn:epc:id:itip:4012345.012345.01.987", "expected 5 dot-separated parts"),
    ("urn:epc:id:gid:95100000.12345.x", "not a valid GID URN"),
    ("urn:epc:id:gtin:0614141.812345", "'gtin' is not an EPC scheme of the Tag Data Standard"),
    ("urn:epc:class:sgtin:0614141.812345.6789", "an EPC SGTIN URN starts with urn:epc:id:sgtin:"),
    ("urn:epc:id:lgtin:4012345.012345.998877", "an EPC LGTIN URN starts with urn:epc:class:lgtin:"),
    ("urn:epc:idpat:sgtin:0614141.*.*", "only its last component is *"),
    ("urn:epc:idpat:gsrn:0614141.*", "EPC patterns are read for"),
    ("urn:epc:sgtin:0614141.812345.6789", "not a valid EPC URN"),
]


@pytest.mark.parametrize(("urn", "rule"), BAD_URNS, ids=[b[0] for b in BAD_URNS])
def test_a_bad_urn_is_refused_with_one_line_naming_field_and_rule(urn: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        to_digital_link(urn, "eventList[0].epcList[0]")
    assert info.value.field == "eventList[0].epcList[0]"
    assert rule in info.value.rule
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("link", "prefix", "field", "rule"),
    [
        (f"{DL}/01/80614141123458/21/6789", 5, "company_prefix_length", "6 to 12 digits"),
        (f"{DL}/01/80614141123458/21/6789", 13, "company_prefix_length", "6 to 12 digits"),
        (f"{DL}/01/80614141123458/22/ABC", 7, "epc", "no EPC scheme has the Digital Link keys 01/22"),
        ("https://example.com/pallet/7", 7, "epc", "not a GS1 Digital Link or EPC URN"),
        (f"{DL}/8010/0614141123ABC/8011/1", 12, "epc", "not a valid CPI with a 12-digit company prefix"),
    ],
)
def test_a_digital_link_with_no_urn_is_refused_with_one_line(link: str, prefix: int, field: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        to_urn(link, prefix)
    assert info.value.field == field and rule in info.value.rule
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "link"),
    [
        ("urn:epc:idpat:sgtin:0614141.812345.*", f"{DL}/01/80614141123458"),
        ("urn:epc:idpat:sgln:0614141.12345.*", f"{DL}/414/0614141123452"),
        ("urn:epc:idpat:grai:0614141.12345.*", f"{DL}/8003/00614141123452"),
        ("urn:epc:idpat:gdti:0614141.12345.*", f"{DL}/253/0614141123452"),
        ("urn:epc:idpat:sgcn:4012345.67890.*", f"{DL}/255/4012345678901"),
        ("urn:epc:idpat:cpi:0614141.123ABC.*", f"{DL}/8010/0614141123ABC"),
    ],
)
def test_a_pattern_naming_a_class_is_the_class_digital_link(pattern: str, link: str) -> None:
    assert to_digital_link(pattern) == link

"""`tradechain product`: claim (another company's GTIN refused; a reassigned prefix's GTIN claimed over), bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TUNA, assert_bad_input, tx_count
from helpers import ok, run

from tradechain.chain import accounts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["product", "claim", "09506000134353"], "error: gtin: GTIN check digit is wrong"),
        (["product", "lot", TUNA, "L1", "--expiry", "2030-13-01", "--origin", "ID"], "error: expiry: a date is"),
        (["product", "lot", TUNA, "L1", "--expiry", "301301", "--origin", "ID"], "error: expiry: month 13"),
        (["product", "lot", TUNA, "L1", "--expiry", "301201", "--origin", "XX"], "error: origin: not an ISO 3166-1"),
        (["product", "lot", TUNA, "L#1", "--expiry", "301201", "--origin", "ID"], "error: lot: a lot (AI 10) uses"),
        (["product", "commission", TUNA, "L1"], "error: serials: give --serials FILE or --count N"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    assert_bad_input(args, message)


def test_a_claim_of_another_companys_gtin_is_one_line_and_sends_nothing(
    cli_env: Path, sdk_members: dict[str, int]
) -> None:
    maker = accounts.dev_account("manufacturer").address
    before = tx_count(maker)
    result = run("product", "claim", TUNA, "--account", "manufacturer")  # the brand's prefix
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: CompanyPrefixNotHeld(key={TUNA}, licensee={sdk_members['brand']}, "
        f"caller={sdk_members['manufacturer']}): GS1 key {TUNA} (a GTIN or an SSCC) carries a company prefix "
        f"licensed to organisation {sdk_members['brand']} (0: to nobody), not to the caller's organisation "
        f"{sdk_members['manufacturer']}.\n"
    )
    assert tx_count(maker) == before


def test_a_reassigned_prefix_lets_the_new_licensee_claim_the_gtin_over(
    cli_env: Path, sdk_members: dict[str, int]
) -> None:
    ok("product", "claim", TUNA, "--account", "brand")
    moved = ok("participant", "assign-prefix", str(sdk_members["manufacturer"]), "8999990")
    assert moved["previous"] == sdk_members["brand"]
    claimed = ok("product", "claim", TUNA, "--account", "manufacturer")
    assert claimed["owner"] == sdk_members["manufacturer"]
    owner = ok("participant", "prefix-owner", TUNA)
    assert (owner["prefix"], owner["organisation"]) == ("8999990", sdk_members["manufacturer"])

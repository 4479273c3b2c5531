"""`tradechain product`: claim (another company's GTIN refused; a reassigned prefix's GTIN claimed over), bad input;
issue 14: commission lists or exports the serials it generated with their Digital Links, and refuses a recalled
lot."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MED, TUNA, assert_bad_input, tx_count
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


def test_commission_count_lists_its_serials_with_digital_links_that_verify(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """Issue 14: `product commission --count` neither printed nor exported the serials it generated."""
    ok("product", "claim", MED, "--account", "manufacturer")
    ok("product", "lot", MED, "C1", "--expiry", "301231", "--origin", "IN", "--account", "manufacturer")
    text = run("product", "commission", MED, "C1", "--count", "3", "--prefix", "X", "--account", "manufacturer")
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"commissioned 3 items of {MED}/C1 as batch 0x")
    assert lines[1:] == [f"X{i}  https://id.gs1.org/01/{MED}/10/C1/21/X{i}?17=301231" for i in (1, 2, 3)]
    for line in lines[1:]:
        assert ok("verify", line.split("  ")[1])["status"] == "AUTHENTIC"  # the code to print on the pack
    listed = ok("product", "commission", MED, "C1", "--count", "2", "--prefix", "Y", "--account", "manufacturer")
    assert listed["serials"] == [
        {"serial": f"Y{i}", "digitalLink": f"https://id.gs1.org/01/{MED}/10/C1/21/Y{i}?17=301231"} for i in (1, 2)
    ]

    out = tmp_path / "serials.csv"
    written = ok(
        "product",
        "commission",
        MED,
        "C1",
        "--count",
        "12",
        "--prefix",
        "Z",
        "--out",
        str(out),
        "--account",
        "manufacturer",
    )
    assert written["file"] == str(out) and written["count"] == 12 and "serials" not in written
    rows = out.read_text().splitlines()
    assert rows[0] == "serial,digital_link" and len(rows) == 13
    assert rows[1] == f"Z01,https://id.gs1.org/01/{MED}/10/C1/21/Z01?17=301231"
    assert ok("verify", rows[12].split(",")[1])["status"] == "AUTHENTIC"
    maker = accounts.dev_account("manufacturer").address
    before = tx_count(maker)
    again = run(
        "product",
        "commission",
        MED,
        "C1",
        "--count",
        "2",
        "--prefix",
        "W",
        "--out",
        str(out),
        "--account",
        "manufacturer",
    )
    assert again.exit_code == 2 and again.stderr.startswith("error: out: exists already: it is never overwritten")
    assert tx_count(maker) == before and len(out.read_text().splitlines()) == 13


def test_commissioning_into_a_recalled_lot_is_refused_and_sends_nothing(
    cli_env: Path, sdk_members: dict[str, int]
) -> None:
    """Issue 14: commissioning into a recalled lot was allowed silently."""
    ok("product", "claim", MED, "--account", "manufacturer")
    lot = ok("product", "lot", MED, "R1", "--expiry", "301231", "--origin", "IN", "--account", "manufacturer")["lot"]
    ok("recall", f"lot:{MED}/R1", "--reason", "contamination", "--account", "regulator")
    maker = accounts.dev_account("manufacturer").address
    before = tx_count(maker)
    result = run("product", "commission", MED, "R1", "--count", "5", "--account", "manufacturer")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: LotIsRecalled(lot={lot}): Lot {lot} is recalled: no items of it may be commissioned or dispensed, "
        "nor it transformed.\n"
    )
    assert tx_count(maker) == before

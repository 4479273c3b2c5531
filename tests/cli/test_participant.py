"""`tradechain participant`: admit, show, list, suspension, company prefixes, bad input (exit 2, one line,
nothing sent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import tx_count
from helpers import lei, run

from tradechain.chain import accounts

ADMIN = accounts.dev_account("admin").address
BRAND = accounts.dev_account("brand").address
CARRIER = accounts.dev_account("carrier").address


def test_admit_show_and_list_as_json(cli_env: Path) -> None:
    result = run(
        "participant",
        "admit",
        "--lei",
        lei(1),
        "--country",
        "de",
        "--roles",
        "brand,manufacturer",
        "--manager",
        BRAND,
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["organisation"]["id"] == 1 and out["organisation"]["country"] == "DE"
    assert out["organisation"]["roles"] == ["brand", "manufacturer"] and out["txHash"].startswith("0x")
    shown = json.loads(run("participant", "show", BRAND, "--json").output)
    assert shown["lei"] == lei(1) and shown["accounts"] == [{"account": BRAND, "manager": True}]
    assert json.loads(run("participant", "show", lei(1), "--json").output)["id"] == 1
    listed = json.loads(run("participant", "list", "--json").output)
    assert [o["id"] for o in listed] == [1]


def test_text_output_names_id_address_and_transaction(cli_env: Path) -> None:
    result = run(
        "participant", "admit", "--gln", "4000001000005", "--country", "FR", "--roles", "carrier", "--manager", CARRIER
    )
    assert result.exit_code == 0
    assert result.output.startswith("admitted organisation 1 (4000001000005, FR, roles carrier) in registry 0x")
    assert " tx 0x" in result.output


def test_bad_lei_check_digits_exit_2_with_one_line_and_nothing_sent(cli_env: Path) -> None:
    bad = lei(1)[:18] + ("00" if lei(1)[18:] != "00" else "01")
    before = tx_count(ADMIN)
    result = run("participant", "admit", "--lei", bad, "--country", "DE", "--roles", "brand", "--manager", BRAND)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: lei: LEI check digits are wrong (ISO 17442: the mod-97 remainder must be 1) (got '{bad}')\n"
    )
    assert tx_count(ADMIN) == before


def test_suspended_organisation_is_refused(cli_env: Path) -> None:
    assert (
        run(
            "participant", "admit", "--lei", lei(2), "--country", "NL", "--roles", "carrier", "--manager", CARRIER
        ).exit_code
        == 0
    )
    assert run("participant", "suspend", "1", "--reason", "KYC expired").exit_code == 0
    result = run("participant", "add-account", "1", BRAND, "--account", "carrier")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: OrganisationIsSuspended(organisation=1): Organisation 1 is suspended: its "
        "accounts hold no role until it is reinstated.\n"
    )
    assert json.loads(run("participant", "show", "1", "--json").output)["suspended"] is True
    assert run("participant", "reinstate", "1").exit_code == 0
    assert run("participant", "add-account", "1", BRAND, "--account", "carrier").exit_code == 0


def test_assign_prefix_round_trip_shown_with_the_participant(cli_env: Path) -> None:
    admit = ("participant", "admit", "--country", "DE", "--roles", "brand", "--json")
    assert run(*admit, "--lei", lei(1), "--manager", BRAND).exit_code == 0
    assert run(*admit, "--lei", lei(2), "--manager", CARRIER).exit_code == 0
    result = run("participant", "assign-prefix", "1", "0614141", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["prefix"], out["digits"], out["organisation"], out["previous"]) == ("0614141", 7, 1, 0)
    assert out["txHash"].startswith("0x")
    text = run("participant", "assign-prefix", "2", "0614141")  # reassigned
    assert text.exit_code == 0
    assert text.output.startswith(
        "company prefix 0614141 (7 digits) licensed to organisation 2 (before: organisation 1); tx 0x"
    )
    assert run("participant", "assign-prefix", "1", "9506000").exit_code == 0
    owner = json.loads(run("participant", "prefix-owner", "106141411234567897", "--json").output)
    assert owner == {"key": "106141411234567897", "prefix": "0614141", "organisation": 2}
    assert run("participant", "prefix-owner", "09506000134352").output == (
        "09506000134352: company prefix 9506000, licensed to organisation 1\n"
    )
    assert run("participant", "prefix-owner", "04000000000006").output == "04000000000006: no licensed company prefix\n"
    assert json.loads(run("participant", "show", "1", "--json").output)["prefixes"] == ["9506000"]
    assert "  prefixes 0614141\n" in run("participant", "show", "2").output
    listed = json.loads(run("participant", "list", "--json").output)
    assert [o["prefixes"] for o in listed] == [["9506000"], ["0614141"]]
    withdrawn = json.loads(run("participant", "assign-prefix", "0", "0614141", "--json").output)
    assert (withdrawn["organisation"], withdrawn["previous"]) == (0, 2)
    assert json.loads(run("participant", "show", "2", "--json").output)["prefixes"] == []


def test_only_the_admin_assigns_prefixes_and_the_refusal_is_one_line(cli_env: Path) -> None:
    assert (
        run(
            "participant", "admit", "--lei", lei(1), "--country", "DE", "--roles", "brand", "--manager", BRAND
        ).exit_code
        == 0
    )
    before = tx_count(BRAND)
    result = run("participant", "assign-prefix", "1", "0614141", "--account", "brand")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: AccessControlUnauthorizedAccount(account=" + BRAND)
    assert result.stderr.count("\n") == 1
    assert tx_count(BRAND) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["participant", "list", "--rpc-url", "ftp://x"], "error: rpc-url: must be an http:// or https:// URL"),
        (["participant", "list", "--network", "moon"], "error: network: unknown network; known: local"),
        (["participant", "show", "0"], "error: organisation: must be at least 1"),
        (["participant", "add-account", "1", "0xZZ"], "error: account: an address is 0x followed by 40 hex digits"),
        (
            ["participant", "admit", "--country", "DE", "--roles", "brand", "--manager", BRAND],
            "error: lei: an organisation needs an LEI, a GLN or both",
        ),
        (
            ["participant", "admit", "--lei", "X" * 20, "--country", "DE", "--roles", "brand", "--manager", BRAND],
            "error: lei: an LEI is 18 characters 0-9/A-Z followed by 2 check digits",
        ),
        (["participant", "set-roles", "1", "--roles", "king"], "error: roles: unknown role 'king'"),
        (["participant", "suspend", "1", "--reason", " "], "error: reason: must not be empty"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    before = tx_count(ADMIN)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tx_count(ADMIN) == before

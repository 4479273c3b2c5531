"""`tradechain trace`: tuna to cans to a retailer (custody, history, origin, impact) and its recall, a handover by
a non-custodian, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CANS, SSCC, TUNA, assert_bad_input
from helpers import ok, run


def test_tuna_to_cans_to_retailer_and_recall(cli_env: Path, sdk_members: dict[str, int]) -> None:
    m = sdk_members
    ok("product", "claim", TUNA, "--account", "brand")
    ok("product", "lot", TUNA, "TUNA-1", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    ok("trace", "ship", f"lot:{TUNA}/TUNA-1", "--to", str(m["manufacturer"]), "--account", "brand")
    ok("trace", "receive", f"lot:{TUNA}/TUNA-1", "--account", "manufacturer")
    ok("product", "claim", CANS, "--account", "manufacturer")
    out = ok(
        "trace",
        "transform",
        "--input",
        f"lot:{TUNA}/TUNA-1",
        "--output",
        f"{CANS}/CAN-1:300630:TH",
        "--account",
        "manufacturer",
    )
    assert len(out["outputs"]) == 1
    ok("trace", "pack", SSCC, f"lot:{CANS}/CAN-1", "--account", "manufacturer")
    ok("trace", "ship", SSCC, "--to", str(m["retailer"]), "--account", "manufacturer")
    received = ok("trace", "receive", SSCC, "--account", "retailer")
    assert received["custodian"] == m["retailer"]
    custody = ok("trace", "custody", f"lot:{CANS}/CAN-1")
    assert custody["holder"] == m["retailer"]
    history = ok("trace", "history", f"lot:{CANS}/CAN-1")
    assert [h["name"] for h in history] == ["LotRegistered", "Transformed", "Packed", "Shipped", "Received"]
    origin = ok("trace", "origin", f"lot:{CANS}/CAN-1")
    assert [o["origin"] for o in origin] == ["TH", "ID"]
    assert ok("verify", f"(01){CANS}(17)300630(10)CAN-1")["status"] == "AUTHENTIC"
    recalled = ok("recall", f"lot:{TUNA}/TUNA-1", "--reason", "histamine", "--downstream", "--account", "brand")
    assert len(recalled["recalled"]) == 1  # the cans belong to the cannery: the brand may recall only its own
    assert [(o["gtin"], o["lotNumber"], o["owner"]) for o in recalled["notRecalled"]] == [
        (CANS, "CAN-1", m["manufacturer"])
    ]
    impact = ok("trace", "impact", f"lot:{TUNA}/TUNA-1")
    assert impact["holders"] == [m["retailer"]]
    regulator = ok("recall", f"lot:{CANS}/CAN-1", "--reason", "histamine", "--account", "regulator")
    assert len(regulator["recalled"]) == 1
    after = run("verify", f"(01){CANS}(17)300630(10)CAN-1", "--json")
    assert after.exit_code == 4 and json.loads(after.output)["status"] == "RECALLED"  # 4: withdrawn from use


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trace", "ship", "lot:123/L1", "--to", "2"], "error: gtin: a GTIN is 8/12/13/14 digits"),
        (["trace", "ship", "nonsense", "--to", "2"], "error: unit: name a unit as lot:GTIN/LOT"),
        (["trace", "ship", f"lot:{TUNA}/L1", "--to", "0"], "error: receiver: must be at least 1"),
        (["trace", "pack", "123", f"lot:{TUNA}/L1"], "error: sscc: an SSCC is 18 digits, not 3"),
        (["trace", "transform", "--input", f"lot:{TUNA}/L1", "--output", "x"], "error: output: an output is"),
        (["trace", "dispense", f"(01){TUNA}(10)L1"], "error: pack: dispensing needs a GTIN (AI 01) and a serial"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    assert_bad_input(args, message)


def test_a_handover_by_a_non_custodian_is_one_line(cli_env: Path, sdk_members: dict[str, int]) -> None:
    ok("product", "claim", TUNA, "--account", "brand")
    ok("product", "lot", TUNA, "TUNA-2", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    result = run("trace", "ship", f"lot:{TUNA}/TUNA-2", "--to", str(sdk_members["retailer"]), "--account", "carrier")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: NotCustodian(unit=0x") and "is not the custodian" in result.stderr

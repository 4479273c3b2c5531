"""`tradechain verify`: a serialized medicine commissioned, verified and dispensed; bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MED, TUNA, assert_bad_input
from helpers import ok, run


def test_serialized_medicine_commission_verify_dispense(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    ok("product", "claim", MED, "--account", "manufacturer")
    ok("product", "lot", MED, "B1", "--expiry", "301231", "--origin", "IN", "--account", "manufacturer")
    serials = tmp_path / "serials.txt"
    serials.write_text("\n".join(f"S{i:05d}" for i in range(500)) + "\n")
    batch = ok("product", "commission", MED, "B1", "--serials", str(serials), "--account", "manufacturer")
    assert batch["count"] == 500
    ok("trace", "ship", batch["batch"], "--to", str(sdk_members["retailer"]), "--account", "manufacturer")
    ok("trace", "receive", batch["batch"], "--account", "retailer")
    link = f"https://id.gs1.org/01/{MED}/10/B1/21/S00007?17=301231"
    assert ok("verify", link) == {
        "status": "AUTHENTIC",
        "custodian": sdk_members["retailer"],
        "batch": batch["batch"],
        "gtin": MED,
        "serial": "S00007",
        "lot": "B1",
        "expiry": "2030-12-31",
    }
    ok("trace", "dispense", link, "--account", "retailer")
    assert verdict(4, "verify", link)["status"] == "DECOMMISSIONED"
    assert verdict(3, "verify", f"(01){MED}(17)301231(10)B2(21)S00008")["status"] == "MISMATCH"
    assert verdict(3, "verify", f"(01){MED}(17)301231(10)B1(21)CLONE")["status"] == "UNKNOWN"


def verdict(code: int, *args: str) -> Any:
    """``tradechain ARGS --json`` that must exit ``code`` (a negative verdict): its JSON output."""
    result = run(*args, "--json")
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "(01)09506000134353"], "error: gtin (AI 01): GTIN check digit is wrong"),
        (["verify", f"(01){TUNA}"], "error: lot: verification needs the lot (AI 10)"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    assert_bad_input(args, message)

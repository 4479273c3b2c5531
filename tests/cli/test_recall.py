"""`tradechain recall`: bad input, and a recall downstream through a transformation recorded only in EPCIS (recalls
downstream on chain, by the brand and a regulator, are in test_trace.py's flow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TUNA, assert_bad_input
from helpers import document, ok, run

from tradechain.contracts.product_registry import lot_id
from tradechain.formats.gs1 import with_check_digit


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recall", "sscc:x", "--reason", "r"], "error: sscc: an SSCC is digits only"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    assert_bad_input(args, message)


def test_recall_downstream_crosses_a_transformation_recorded_only_in_epcis(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """The brand's tuna lot is on chain; its cutting into loins and scraps is recorded in EPCIS only (imported with
    `trace import`). `recall --downstream` of the tuna recalls the loin lot, which the brand registered on chain,
    and names the scraps, which only EPCIS knows."""
    loins = with_check_digit("0899999000002")
    ok("product", "claim", TUNA, "--account", "brand")
    ok("product", "claim", loins, "--account", "brand")
    ok("product", "lot", TUNA, "TUNA-5", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    ok("product", "lot", loins, "LOIN-5", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    cutting = {
        "type": "TransformationEvent",
        "eventTime": "2026-04-03T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "bizStep": "commissioning",
        "inputQuantityList": [{"epcClass": f"https://id.gs1.org/01/{TUNA}/10/TUNA-5", "quantity": 500, "uom": "KGM"}],
        "outputQuantityList": [
            {"epcClass": f"https://id.gs1.org/01/{loins}/10/LOIN-5", "quantity": 300, "uom": "KGM"},
            {"epcClass": f"https://id.gs1.org/01/{loins}/10/SCRAP-5", "quantity": 150, "uom": "KGM"},
        ],
    }
    path = tmp_path / "cutting.jsonld"
    path.write_text(json.dumps(document(cutting)))
    assert ok("trace", "import", str(path), "--account", "brand")["anchored"] == 1
    result = run("recall", f"lot:{TUNA}/TUNA-5", "--reason", "histamine", "--downstream", "--account", "brand")
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.output.splitlines()
    assert lines[0].startswith("recalled 2 lot(s); ")
    assert lines[1:] == [
        f"not a lot on chain (made from it in EPCIS): https://id.gs1.org/01/{loins}/10/SCRAP-5: tell its holder"
    ]
    assert ok("trace", "impact", f"lot:{TUNA}/TUNA-5")["lots"][1]["lot"] == "0x" + lot_id(loins, "LOIN-5").hex()
    for lot in (f"(01){TUNA}(17)300630(10)TUNA-5", f"(01){loins}(17)300630(10)LOIN-5"):
        after = run("verify", lot, "--json")
        assert after.exit_code == 4 and json.loads(after.output)["status"] == "RECALLED"

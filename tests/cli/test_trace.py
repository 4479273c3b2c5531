"""`tradechain trace`: tuna to cans to a retailer (custody, history, origin, impact) and its recall, the life of a
medicine pack (commissioned, shipped, received, inspected, dispensed, recalled) from its Digital Link, a handover by
a non-custodian, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CANS, MED, SSCC, TUNA, assert_bad_input
from helpers import ok, run

from tradechain.formats import serials

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


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


def test_the_life_of_a_dispensed_then_recalled_pack_from_its_digital_link(
    cli_env: Path, sdk_members: dict[str, int]
) -> None:
    """Issue 14: `trace history` of a pack printed "no EPCIS events" although it was commissioned, shipped,
    received, inspected, dispensed and recalled. Now each step is a line with its UTC time and the organisations,
    and the pack stays DECOMMISSIONED with the recall noted."""
    m = sdk_members
    ok("product", "claim", MED, "--account", "manufacturer")
    ok("product", "lot", MED, "AMX-9", "--expiry", "301231", "--origin", "IN", "--account", "manufacturer")
    made = ok("product", "commission", MED, "AMX-9", "--count", "5", "--prefix", "P", "--account", "manufacturer")
    batch, pack = made["batch"], made["serials"][2]
    ok("trace", "ship", batch, "--to", str(m["retailer"]), "--account", "manufacturer")
    ok("trace", "receive", batch, "--account", "retailer")
    ok("trace", "inspect", batch, "--pass", "--account", "inspector")
    ok("trace", "dispense", pack["digitalLink"], "--account", "retailer")
    ok("recall", f"lot:{MED}/AMX-9", "--reason", "contamination", "--account", "regulator")

    result = run("trace", "history", pack["digitalLink"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "EPCIS" not in result.stdout and result.stderr == ""
    assert lines[0] == f"pack {MED}/{pack['serial']}: item 2 of batch {batch} (5 pack(s) of lot {MED}/AMX-9)"
    steps = [re.match(rf"({ISO})  (.+?)  +(.*)$", line) for line in lines[1:-1]]
    assert all(steps), lines
    assert [s.group(2) for s in steps if s] == [
        "lot registered",
        "commissioned",
        "shipped",
        "received",
        "inspected, passed",
        "dispensed",
        "recalled",
    ]
    details = [s.group(3) for s in steps if s]
    maker, pharmacy = f"org {m['manufacturer']} (manufacturer, TH)", f"org {m['retailer']} (retailer, NL)"
    assert details[0] == f"lot {MED}/AMX-9 by {maker}, expires 2030-12-31, origin IN"
    assert details[1] == f"5 serialized pack(s) as batch {batch[:10]}… by {maker}"
    assert details[2] == f"{maker} → {pharmacy}"
    assert details[3] == f"by {pharmacy} from {maker}"
    assert details[4] == f"by org {m['inspector']} (inspector, CH)"
    assert details[5] == f"serial {pack['serial']} (item 2) by {pharmacy}"  # this pack's only, not its siblings'
    assert details[6] == f"lot {MED}/AMX-9 by org {m['regulator']} (regulator, BE): contamination"
    assert lines[-1].startswith("now: DECOMMISSIONED (dispensed ") and f"by {pharmacy}; its lot recalled " in lines[-1]
    assert lines[-1].endswith("): a second pack with this code is a clone")

    # the same life as JSON, by element string and by EPC URN; and the verdict keeps the clone signal
    life = ok("trace", "history", f"(01){MED}(17)301231(10)AMX-9(21){pack['serial']}")
    assert [e["step"] for e in life] == [s.group(2) for s in steps if s]
    assert all(re.fullmatch(ISO, e["timeUtc"]) and e["recordedIn"] == "chain" for e in life)
    urn = f"urn:epc:id:sgtin:{MED[1:8]}.{MED[0]}{MED[8:13]}.{pack['serial']}"
    assert [e["step"] for e in ok("trace", "history", urn)] == [e["step"] for e in life]
    scanned = run("verify", pack["digitalLink"], "--json")
    verdict = json.loads(scanned.stdout)
    assert (scanned.exit_code, verdict["status"], verdict["lotRecalled"]) == (4, "DECOMMISSIONED", True)

    # a pharmacist without the brand's serial list still finds the dispensed pack, by its dispensing
    for path in serials.store_dir().glob("*.json"):
        path.unlink()
    assert [e["step"] for e in ok("trace", "history", pack["digitalLink"])] == [e["step"] for e in life]
    # a pack never dispensed cannot be placed without the list: said so, and its lot's life shown
    other = run("trace", "history", made["serials"][3]["digitalLink"])
    assert other.exit_code == 0
    note, *lot_life = other.stdout.splitlines()
    assert note.startswith(f"note: serial {made['serials'][3]['serial']} of GTIN {MED} is in no commissioning")
    assert note.endswith("the life of its lot AMX-9 follows") and other.stderr == ""
    assert [line.split("  ")[1].strip() for line in lot_life[:-1]] == ["lot registered", "recalled"]
    assert lot_life[-1].startswith("now: its lot recalled ")  # who holds this pack is not known here


def test_gs1_transformation_imported_then_impact_and_origin_cross_it(
    cli_env: Path, sdk_members: dict[str, int], shared_dir: Path
) -> None:
    """GS1's TransformationEvent example (EPCIS 2.0, 9.6.4) imported: the impact of an input (named by its EPC
    URN) lists the four outputs, the origin of an output (by its Digital Link) lists the inputs."""
    example = shared_dir / "epcis-examples" / "Example_9.6.4-TransformationEvent.jsonld"
    assert ok("trace", "import", str(example), "--account", "carrier")["anchored"] == 1
    outputs = [f"https://id.gs1.org/01/04012345778892/21/{s}" for s in (25, 26, 27, 28)]
    impact = ok("trace", "impact", "urn:epc:id:sgtin:4012345.011122.25")
    assert [(e["lot"], e["depth"], e["onChain"]) for e in impact["lots"][1:]] == [(o, 1, False) for o in outputs]
    text = run("trace", "impact", "urn:epc:class:lgtin:4012345.011111.4444")
    assert text.exit_code == 0
    assert text.output.splitlines() == [f"  04012345778892 serial {s}  (EPCIS only)" for s in (25, 26, 27, 28)] + [
        "0 serialized items; holders: -"
    ]
    origin = ok("trace", "origin", outputs[0])
    assert sorted(o["lot"] for o in origin if o["depth"] == 1) == sorted(
        [
            "https://id.gs1.org/01/04012345111224/21/25",
            "https://id.gs1.org/01/04000001654321/21/99886655",
            "https://id.gs1.org/01/04012345111118/10/4444",
            "https://id.gs1.org/01/00614141777778/10/987",
            "https://id.gs1.org/01/04012345666663",
        ]
    )
    lines = run("trace", "origin", "urn:epc:id:sgtin:4012345.077889.25").output.splitlines()
    assert "  04012345111118/4444  (EPCIS only)" in lines and "  04012345666663 (any lot)  (EPCIS only)" in lines
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trace", "impact", "urn:epc:id:sgtin:4012345.011122"], "error: lot: expected 3 dot-separated parts"),
        (["trace", "origin", "https://id.gs1.org/01/04012345111225/10/L1"], "error: lot: GTIN check digit is wrong"),
        (["trace", "origin", "nonsense"], "error: unit: name a unit as lot:GTIN/LOT"),
    ],
)
def test_origin_and_impact_of_a_bad_epc_are_exit_2_with_field_and_rule(
    cli_env: Path, args: list[str], message: str
) -> None:
    assert_bad_input(args, message)

"""Traceability through the SDK and the indexer: a tuna-to-cans chain, serialized medicine, queries, a
reorganisation the indexer survives, and a crash in the middle of a sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from conftest import CANS, EXP, MED, SSCC, TUNA, tx_count

from tradechain.chain import accounts
from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec, Status, lot_id, sscc_unit
from tradechain.errors import ContractRevert, InputError, revert_class
from tradechain.formats.gs1 import parse_any, with_check_digit
from tradechain.indexer import Indexer, Store


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def test_sdk_flow_moves_custody_and_verifies(chain_of_custody: dict[str, Any]) -> None:
    m, retailer = chain_of_custody["members"], chain_of_custody["retailer"]
    cans = chain_of_custody["cans"]
    assert retailer.products.custodian_of(cans) == m["retailer"]
    assert retailer.products.unit(chain_of_custody["tuna"])["consumed"] is True
    ids = parse_any(f"(01){CANS}(17){EXP:%y%m%d}(10)CAN-7")
    v = retailer.products.verify(ids)
    assert (v.status, v.custodian) == (Status.AUTHENTIC, m["retailer"])
    assert retailer.products.verify(parse_any(f"(01){CANS}(17)300629(10)CAN-7")).status == Status.MISMATCH


def test_indexer_answers_history_origin_impact_and_custody(
    chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path
) -> None:
    m, tuna, cans = chain_of_custody["members"], _hex(chain_of_custody["tuna"]), _hex(chain_of_custody["cans"])
    store = Store(tmp_path / "index.db")
    result = Indexer(sdk, store).sync()
    assert result.events >= 12 and result.rewound_to is None
    names = [e["name"] for e in store.history(cans)]
    assert names == ["LotRegistered", "Transformed", "Packed", "Shipped", "Received", "Shipped", "Received"]
    origin = store.origin(cans)
    assert [(o["lot"], o["depth"], o["origin"]) for o in origin] == [(cans, 0, "TH"), (tuna, 1, "ID")]
    impact = store.impact(tuna)
    assert [x["lot"] for x in impact["lots"]] == [tuna, cans]
    assert impact["lots"][1]["holder"] == m["retailer"] and impact["holders"] == [m["retailer"]]
    custody = store.current_custody(cans)
    assert custody == {
        "unit": cans,
        "holder": m["retailer"],
        "inTransitTo": None,
        "consumed": False,
        "via": [_hex(sscc_unit(SSCC))],
    }
    assert store.contents(_hex(sscc_unit(SSCC))) == [cans]
    assert Indexer(sdk, store).sync().events == 0  # incremental: nothing new


def test_serialized_medicine_clone_and_recall_are_caught(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    maker, pharmacy, regulator = sdk_as("manufacturer"), sdk_as("retailer"), sdk_as("regulator")
    maker.products.claim_gtin(MED)
    maker.products.register_lot(LotSpec(MED, "B2030", EXP, "IN"))
    serials = [f"P{i:08d}" for i in range(10_000)]
    batch, receipt = maker.products.commission(MED, "B2030", serials)
    assert receipt.gas_used / len(serials) < 100  # under 100 gas per serial
    unit = bytes.fromhex(batch.batch[2:])
    maker.products.ship(unit, sdk_members["retailer"])
    pharmacy.products.receive(unit)
    scan = parse_any(f"https://id.gs1.org/01/{MED}/10/B2030/21/P00000042?17={EXP:%y%m%d}")
    assert pharmacy.products.verify(scan).status == Status.AUTHENTIC
    pharmacy.products.dispense(MED, "P00000042")
    clone = pharmacy.products.verify(scan)
    assert (clone.status, clone.custodian) == (Status.DECOMMISSIONED, sdk_members["retailer"])
    with pytest.raises(revert_class("ItemAlreadyDecommissioned")):
        pharmacy.products.dispense(MED, "P00000042")
    fake = parse_any(f"(01){MED}(17){EXP:%y%m%d}(10)B2030(21)NOTREAL")
    assert pharmacy.products.verify(fake).status == Status.UNKNOWN
    assert clone.lot_recalled is False and clone.to_json()["lotRecalled"] is False
    regulator.products.recall([lot_id(MED, "B2030")], "contamination")
    assert (
        pharmacy.products.verify(parse_any(f"(01){MED}(17){EXP:%y%m%d}(10)B2030(21)P00000043")).status
        == Status.RECALLED
    )
    # the pack dispensed before the recall keeps the clone signal, the recall noted beside it
    after = pharmacy.products.verify(scan)
    assert (after.status, after.lot_recalled) == (Status.DECOMMISSIONED, True)
    assert after.to_json()["status"] == "DECOMMISSIONED" and after.to_json()["lotRecalled"] is True
    with pytest.raises(revert_class("LotIsRecalled")):  # a recalled pack is never handed to a patient
        pharmacy.products.dispense(MED, "P00000043")


def test_a_container_reports_its_exact_height_and_children(chain_of_custody: dict[str, Any]) -> None:
    retailer = chain_of_custody["retailer"]
    box = retailer.products.unit(sscc_unit(SSCC))
    assert (box["kind"], box["height"], box["children"]) == ("container", 1, [1, 0, 0, 0, 0, 0, 0, 0])
    retailer.products.unpack(sscc_unit(SSCC), [chain_of_custody["cans"]])
    box = retailer.products.unit(sscc_unit(SSCC))
    assert (box["height"], box["children"]) == (0, [0] * 8)  # exact: it fell with its only child gone
    assert retailer.products.unit(chain_of_custody["cans"])["packed"] is False


def test_a_producer_is_refused_a_gtin_of_another_companys_prefix(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    maker = sdk_as("manufacturer")
    before = tx_count(accounts.dev_account("manufacturer").address)
    with pytest.raises(revert_class("CompanyPrefixNotHeld")) as info:
        maker.products.claim_gtin(TUNA)  # the brand's prefix 8999990
    err = info.value
    assert isinstance(err, ContractRevert)
    assert (err.key, err.licensee, err.caller) == (int(TUNA), sdk_members["brand"], sdk_members["manufacturer"])
    assert err.user_message == (
        f"CompanyPrefixNotHeld(key={TUNA}, licensee={sdk_members['brand']}, caller={sdk_members['manufacturer']})"
        f": GS1 key {TUNA} (a GTIN or an SSCC) carries a company prefix licensed to organisation "
        f"{sdk_members['brand']} (0: to nobody), not to the caller's organisation {sdk_members['manufacturer']}."
    )
    assert tx_count(accounts.dev_account("manufacturer").address) == before  # refused by the estimate: not sent
    with pytest.raises(revert_class("CompanyPrefixNotHeld")) as info:
        maker.products.claim_gtin(with_check_digit("0400000000001"))  # nobody's prefix
    assert info.value.licensee == 0


def test_a_gtin_changes_hands_when_its_prefix_is_reassigned_and_the_new_licensee_claims_it(
    sdk: Client, sdk_as: Any, sdk_members: dict[str, int]
) -> None:
    brand, maker = sdk_as("brand"), sdk_as("manufacturer")
    brand.products.claim_gtin(TUNA)
    brand.products.register_lot(LotSpec(TUNA, "OLD-1", EXP, "ID"))
    moved = sdk.participants.assign_company_prefix("8999990", sdk_members["manufacturer"])
    assert (moved.previous, moved.organisation) == (sdk_members["brand"], sdk_members["manufacturer"])
    assert brand.products.gtin_owner(TUNA) == sdk_members["brand"]  # until the new licensee claims it
    with pytest.raises(revert_class("CompanyPrefixNotHeld")):
        brand.products.claim_gtin(TUNA)
    maker.products.claim_gtin(TUNA)
    assert maker.products.gtin_owner(TUNA) == sdk_members["manufacturer"]
    with pytest.raises(revert_class("NotGtinOwner")) as info:
        brand.products.register_lot(LotSpec(TUNA, "OLD-2", EXP, "ID"))
    assert info.value.owner == sdk_members["manufacturer"]
    maker.products.register_lot(LotSpec(TUNA, "NEW-1", EXP, "TH"))
    assert maker.products.lot(lot_id(TUNA, "OLD-1"))["owner"] == sdk_members["brand"]  # its lots stay its own


def test_a_container_is_created_only_under_the_packers_own_prefix(
    sdk_as: Any, sdk_members: dict[str, int], chain_of_custody: dict[str, Any]
) -> None:
    brand = chain_of_custody["brand"]
    lot, _ = brand.products.register_lot(LotSpec(TUNA, "TUNA-43", EXP, "ID"))
    with pytest.raises(revert_class("CompanyPrefixNotHeld")) as info:
        brand.products.pack(sscc_unit(with_check_digit("08888880000000002")), [lot])  # the manufacturer's SSCC
    assert (info.value.licensee, info.value.caller) == (sdk_members["manufacturer"], sdk_members["brand"])
    with pytest.raises(InputError, match="container: a container is named by an SSCC"):
        brand.products.pack(chain_of_custody["tuna"], [lot])  # a lot id: never a container
    brand.products.pack(sscc_unit(with_check_digit("08999990000000001")), [lot])  # the brand's own
    assert brand.products.custodian_of(lot) == sdk_members["brand"]


def test_sdk_refuses_bad_input_before_sending(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    maker = sdk_as("manufacturer")
    with pytest.raises(InputError, match="GTIN check digit is wrong"):
        maker.products.claim_gtin("08900000000002")
    with pytest.raises(InputError, match="each serial appears once"):
        maker.products.commission(MED, "B1", ["A", "B", "A"])
    with pytest.raises(InputError, match=r"serials\[1\]: a serial \(AI 21\) uses only GS1 character set 82"):
        maker.products.commission(MED, "B1", ["A", "B#"])
    with pytest.raises(InputError, match="origin: not an ISO 3166-1"):
        maker.products.register_lot(LotSpec(MED, "B1", EXP, "XX"))


def test_handover_by_a_party_that_is_not_the_custodian_is_refused(
    chain_of_custody: dict[str, Any], sdk_as: Any
) -> None:
    with pytest.raises(revert_class("NotCustodian")) as info:
        sdk_as("carrier").products.ship(sscc_unit(SSCC), chain_of_custody["members"]["brand"])
    assert info.value.caller == chain_of_custody["members"]["carrier"]


def test_indexer_survives_a_reorganisation(
    chain_of_custody: dict[str, Any], sdk: Client, sdk_as: Any, tmp_path: Path
) -> None:
    m = chain_of_custody["members"]
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store)
    indexer.sync()
    snapshot = web3.provider.make_request("evm_snapshot", [])["result"]
    retailer = chain_of_custody["retailer"]
    retailer.products.ship(sscc_unit(SSCC), m["carrier"])  # this branch is about to vanish
    indexer.sync()
    assert store.current_custody(_hex(sscc_unit(SSCC)))["inTransitTo"] == m["carrier"]
    web3.provider.make_request("evm_revert", [snapshot])
    inspector = sdk_as("inspector")
    inspector.products.inspect(sscc_unit(SSCC), passed=True)  # the new branch, at the same height
    inspector.products.inspect(sscc_unit(SSCC), passed=True)
    result = indexer.sync()
    assert result.rewound_to is not None
    assert store.current_custody(_hex(sscc_unit(SSCC)))["inTransitTo"] is None
    names = [e["name"] for e in store.history(_hex(sscc_unit(SSCC)))]
    assert names.count("Inspected") == 2 and names.count("Shipped") == 2  # the vanished shipment is gone


def test_indexer_survives_anvil_reorg(chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path) -> None:
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store)
    indexer.sync()
    head = web3.eth.block_number
    old = web3.eth.get_block(head).hash
    web3.provider.make_request("anvil_reorg", [3, []])  # replace the last 3 blocks by empty ones
    assert web3.eth.get_block(head).hash != old
    result = indexer.sync()
    assert result.rewound_to is not None and result.rewound_to < head
    assert store.current_custody(_hex(chain_of_custody["cans"]))["holder"] != chain_of_custody["members"]["retailer"]


def test_a_crash_mid_sync_loses_nothing_and_doubles_nothing(
    chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "index.db")
    calls = {"n": 0}
    original = Store.apply

    def crash_after_five(self: Store, *args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt("power cut")
        original(self, *args)

    monkeypatch.setattr(Store, "apply", crash_after_five)
    with pytest.raises(KeyboardInterrupt):
        Indexer(sdk, store, chunk=100_000).sync()
    assert store.last_block() == -1 and store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    monkeypatch.setattr(Store, "apply", original)
    reopened = Store(tmp_path / "index.db")
    result = Indexer(sdk, reopened).sync()
    total = reopened.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert total == result.events and len(reopened.history(_hex(chain_of_custody["cans"]))) == 7


def test_an_index_of_another_deployment_is_refused(sdk: Client, tmp_path: Path) -> None:
    store = Store(tmp_path / "index.db")
    with store.transaction():
        store.set_meta("deployment", "1:0xdead")
    with pytest.raises(Exception, match="belongs to another deployment"):
        Indexer(sdk, store)


def test_a_lot_whose_origin_is_raw_bytes_reads_as_hex_not_a_crash(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    """A member may register any two bytes as an origin (the contract takes bytes2): the SDK shows them as hex."""
    brand = sdk_as("brand")
    brand.products.claim_gtin(TUNA)
    raw_origin = b"\xff\x1b"
    brand.send(brand.products.contract, "registerLot", int(TUNA), b"RAW".ljust(20, b"\0"), 0, raw_origin, b"\0" * 32, 0)
    lot = brand.products.lot(lot_id(TUNA, "RAW"))
    assert (lot["origin"], lot["originHex"]) == ("0xff1b", True)
    honest = brand.products.lot(brand.products.register_lot(LotSpec(TUNA, "FINE", EXP, "ID"))[0])
    assert (honest["origin"], honest["originHex"]) == ("ID", False)

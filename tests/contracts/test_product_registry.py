"""ProductRegistry: GTINs, lots, commissioning, two-party custody, aggregation, transformation, dispensing,
recalls, verification and EPCIS anchors (contract level, via Brownie; proofs from tradechain.formats.merkle)."""

from __future__ import annotations

from typing import Any

import pytest
from brownie import chain
from conftest import reverts_with
from eth_abi import encode
from helpers import b20

from tradechain.contracts.product_registry import Status, batch_id, lot_id
from tradechain.formats.gs1 import with_check_digit
from tradechain.formats.merkle import MerkleTree, serial_leaf

GTIN = int(with_check_digit("0950600013435"))  # the brand's (prefix 9506000, see conftest.MEMBER_PREFIXES)
GTIN_B = int(with_check_digit("0950600099999"))  # the manufacturer's (prefix 950600099)
GTIN_C = int(with_check_digit("0950600013436"))  # the brand's too
SSCC = int(with_check_digit("10614141123456789"))  # the brand's (prefix 0614141)
CONTAINER = SSCC.to_bytes(32, "big")
ZERO32 = b"\0" * 32
FAR = 2_000_000_000  # 2033
SERIALS = [f"SN{i:06d}" for i in range(100)]


def sscc(serial: int, prefix: str = "0614141") -> bytes:
    """The unit id of an SSCC of ``prefix`` (the brand's by default): extension digit 1, a serial reference."""
    body = f"1{prefix}{serial:0{16 - len(prefix)}d}"
    return int(with_check_digit(body)).to_bytes(32, "big")


@pytest.fixture(scope="module")
def lot(products: Any, brand: Any) -> bytes:
    products.claimGtin(GTIN, {"from": brand})
    products.registerLot(GTIN, b20("LOT1"), FAR, b"IT", b"\x01" * 32, 0, {"from": brand})
    return lot_id(GTIN, "LOT1")


@pytest.fixture(scope="module")
def batch(products: Any, brand: Any, lot: bytes) -> tuple[bytes, MerkleTree]:
    tree = MerkleTree.build([serial_leaf(GTIN, s, i) for i, s in enumerate(SERIALS)])
    products.commission(lot, tree.root, len(SERIALS), 0, {"from": brand})
    return batch_id(lot, tree.root), tree


def verify(
    products: Any,
    batch: tuple[bytes, MerkleTree],
    i: int,
    *,
    serial: str | None = None,
    lot_number: str = "LOT1",
    expiry: int = FAR,
) -> tuple[int, int]:
    bid, tree = batch
    return products.verify(GTIN, b20(serial or SERIALS[i]), b20(lot_number), expiry, bid, i, tree.proof(i))


# ------------------------------------------------------------------ GTINs and lots


def test_claim_gtin_once_by_a_producer(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any, carrier: Any
) -> None:
    tx = products.claimGtin(GTIN, {"from": brand})
    assert tx.events["GtinClaimed"]["owner"] == members["brand"] and products.gtinOwner(GTIN) == members["brand"]
    with reverts_with("GtinAlreadyClaimed", GTIN, members["brand"]):
        products.claimGtin(GTIN, {"from": brand})
    with reverts_with("CompanyPrefixNotHeld", GTIN, members["brand"], members["manufacturer"]):
        products.claimGtin(GTIN, {"from": manufacturer})
    with reverts_with("InvalidGtin", GTIN + 1):
        products.claimGtin(GTIN + 1, {"from": manufacturer})
    with reverts_with("MissingRole"):
        products.claimGtin(GTIN_B, {"from": carrier})


def test_register_lot_records_expiry_origin_and_custody(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any
) -> None:
    products.claimGtin(GTIN, {"from": brand})
    tx = products.registerLot(GTIN, b20("L7"), FAR, b"VN", b"\x02" * 32, 0, {"from": brand})
    ev = tx.events["LotRegistered"]
    lid = lot_id(GTIN, "L7")
    assert ev["lot"] == "0x" + lid.hex() and ev["dataHash"] == "0x" + "02" * 32 and ev["origin"] == "0x564e"
    assert products.getLot(lid) == (GTIN, FAR, "0x564e", False, members["brand"])
    assert products.custodianOf(lid) == members["brand"]
    with reverts_with("LotAlreadyRegistered", lid):
        products.registerLot(GTIN, b20("L7"), FAR, b"VN", ZERO32, 0, {"from": brand})
    with reverts_with("EmptyLotNumber"):
        products.registerLot(GTIN, b"\0" * 20, FAR, b"VN", ZERO32, 0, {"from": brand})
    with reverts_with("NotGtinOwner", GTIN, members["brand"], members["manufacturer"]):
        products.registerLot(GTIN, b20("L8"), FAR, b"VN", ZERO32, 0, {"from": manufacturer})


# ------------------------------------------------------------------ commissioning and verification


def test_commissioning_stores_one_root_for_any_number_of_serials(products: Any, brand: Any, lot: bytes) -> None:
    gas = {}
    for n in (1, 1000):
        serials = [f"C{n}-{i}" for i in range(n)]
        tree = MerkleTree.build([serial_leaf(GTIN, s, i) for i, s in enumerate(serials)])
        tx = products.commission(lot, tree.root, n, 0, {"from": brand})
        gas[n] = tx.gas_used
        assert tx.events["Commissioned"]["count"] == n
        assert products.getUnit(batch_id(lot, tree.root))[5] == n
        assert products.batchOf(batch_id(lot, tree.root)) == ("0x" + lot.hex(), "0x" + tree.root.hex())
    assert abs(gas[1000] - gas[1]) < 100  # the cost does not depend on the count


def test_commissioning_rules(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any, batch: tuple[bytes, MerkleTree], lot: bytes
) -> None:
    with reverts_with("BatchAlreadyCommissioned", batch[0]):
        products.commission(lot, batch[1].root, 100, 0, {"from": brand})
    with reverts_with("InvalidSerialCount", 0):
        products.commission(lot, b"\x09" * 32, 0, 0, {"from": brand})
    with reverts_with("NotGtinOwner", GTIN, members["brand"], members["manufacturer"]):
        products.commission(lot, b"\x09" * 32, 5, 0, {"from": manufacturer})
    with reverts_with("NonexistentLot"):
        products.commission(b"\x07" * 32, b"\x09" * 32, 5, 0, {"from": brand})


def test_commissioning_into_a_recalled_or_expired_lot_is_refused(
    products: Any, brand: Any, regulator: Any, lot: bytes
) -> None:
    """Issue 14: a brand commissioning fresh serials into a recalled lot, or into one past its expiry, is refused
    with the lot named; nothing is commissioned."""
    tree = MerkleTree.build([serial_leaf(GTIN, s, i) for i, s in enumerate(SERIALS[:4])])
    products.recall([lot], ZERO32, {"from": regulator})
    with reverts_with("LotIsRecalled", lot):
        products.commission(lot, tree.root, 4, 0, {"from": brand})
    assert products.batchOf(batch_id(lot, tree.root)) == ("0x" + "00" * 32, "0x" + "00" * 32)
    products.claimGtin(GTIN_C, {"from": brand})
    soon = chain.time() + 100
    products.registerLot(GTIN_C, b20("SOON"), soon, b"IT", ZERO32, 0, {"from": brand})
    short = lot_id(GTIN_C, "SOON")
    short_tree = MerkleTree.build([serial_leaf(GTIN_C, s, i) for i, s in enumerate(SERIALS[:4])])
    chain.sleep(200)
    chain.mine()
    with reverts_with("LotExpired", short, soon):
        products.commission(short, short_tree.root, 4, 0, {"from": brand})
    assert products.batchOf(batch_id(short, short_tree.root))[0] == "0x" + "00" * 32
    products.registerLot(GTIN_C, b20("NEVER"), 0, b"IT", ZERO32, 0, {"from": brand})  # no expiry: never expires
    tx = products.commission(lot_id(GTIN_C, "NEVER"), short_tree.root, 4, 0, {"from": brand})
    assert tx.events["Commissioned"]["count"] == 4


def test_a_pack_dispensed_before_its_lots_recall_stays_decommissioned(
    products: Any, members: dict[str, int], brand: Any, regulator: Any, batch: tuple[bytes, MerkleTree], lot: bytes
) -> None:
    """Issue 14: the pharmacist dispensed pack 5, then its lot was recalled. A second box with pack 5's code is
    still DECOMMISSIONED (the clone signal), and a pack never dispensed reads RECALLED."""
    bid, tree = batch
    products.dispense(bid, b20(SERIALS[5]), 5, tree.proof(5), 0, {"from": brand})
    products.recall([lot], b"CONTAMINATION".ljust(32, b"\0"), {"from": regulator})
    assert verify(products, batch, 5) == (Status.DECOMMISSIONED, members["brand"])
    assert verify(products, batch, 6) == (Status.RECALLED, members["brand"])
    assert products.getLot(lot)[3] is True  # the recall is on record beside it
    assert verify(products, batch, 5, expiry=FAR + 1) == (Status.MISMATCH, members["brand"])  # a wrong label first


def test_verify_tells_authentic_unknown_and_mismatch(
    products: Any, members: dict[str, int], batch: tuple[bytes, MerkleTree]
) -> None:
    assert verify(products, batch, 7) == (Status.AUTHENTIC, members["brand"])
    assert verify(products, batch, 7, serial="FAKE0001") == (Status.UNKNOWN, 0)
    assert verify(products, batch, 7, lot_number="LOT2") == (Status.MISMATCH, members["brand"])
    assert verify(products, batch, 7, expiry=FAR + 86400) == (Status.MISMATCH, members["brand"])
    assert products.verify(GTIN, b20(SERIALS[7]), b20("LOT1"), FAR, b"\x05" * 32, 7, []) == (Status.UNKNOWN, 0)
    assert products.verify(GTIN_B, b20(SERIALS[7]), b20("LOT1"), FAR, batch[0], 7, batch[1].proof(7))[0] == 0
    assert products.verify(GTIN, b20(SERIALS[7]), b20("LOT1"), FAR, batch[0], 100, [])[0] == Status.UNKNOWN


def test_expired_pack(products: Any, brand: Any) -> None:
    products.claimGtin(GTIN_C, {"from": brand})
    soon = chain.time() + 100
    products.registerLot(GTIN_C, b20("E1"), soon, b"IT", ZERO32, 0, {"from": brand})
    assert products.verifyLot(GTIN_C, b20("E1"), soon)[0] == Status.AUTHENTIC
    chain.sleep(200)
    chain.mine()
    assert products.verifyLot(GTIN_C, b20("E1"), soon)[0] == Status.EXPIRED
    assert products.verifyLot(GTIN_C, b20("E2"), soon) == (Status.UNKNOWN, 0)
    assert products.verifyLot(GTIN_C, b20("E1"), soon + 1)[0] == Status.MISMATCH


# ------------------------------------------------------------------ two-party handover


def test_custody_moves_only_when_the_named_receiver_receives(
    products: Any, members: dict[str, int], brand: Any, carrier: Any, retailer: Any, lot: bytes
) -> None:
    tx = products.ship(lot, members["carrier"], 0, {"from": brand})
    assert tx.events["Shipped"]["from"] == members["brand"] and tx.events["Shipped"]["to"] == members["carrier"]
    assert products.custodianOf(lot) == members["brand"]  # not yet moved
    with reverts_with("NotPendingReceiver", lot, members["carrier"], members["retailer"]):
        products.receiveShipment(lot, 0, {"from": retailer})
    with reverts_with("UnitInTransit", lot, members["carrier"]):
        products.ship(lot, members["retailer"], 0, {"from": brand})
    tx = products.receiveShipment(lot, 0, {"from": carrier})
    assert tx.events["Received"]["from"] == members["brand"] and tx.events["Received"]["to"] == members["carrier"]
    assert products.custodianOf(lot) == members["carrier"]
    assert products.getUnit(lot)[4] == 0  # nothing pending
    with reverts_with("NotCustodian", lot, members["carrier"], members["brand"]):
        products.ship(lot, members["retailer"], 0, {"from": brand})
    with reverts_with("UnitNotInTransit", lot):
        products.receiveShipment(lot, 0, {"from": carrier})


def test_handover_rules(
    products: Any, members: dict[str, int], brand: Any, carrier: Any, admin: Any, registry: Any, lot: bytes
) -> None:
    with reverts_with("ShipmentToSelf", members["brand"]):
        products.ship(lot, members["brand"], 0, {"from": brand})
    with reverts_with("NonexistentUnit"):
        products.ship(b"\x01" * 32, members["carrier"], 0, {"from": brand})
    with reverts_with("NonexistentUnit"):
        products.receiveShipment(b"\x01" * 32, 0, {"from": carrier})
    products.ship(lot, members["carrier"], 0, {"from": brand})
    tx = products.cancelShipment(lot, {"from": brand})
    assert tx.events["ShipmentCancelled"]["to"] == members["carrier"]
    with reverts_with("UnitNotInTransit", lot):
        products.cancelShipment(lot, {"from": brand})
    products.ship(lot, members["carrier"], 0, {"from": brand})
    with reverts_with("NotCustodian"):
        products.cancelShipment(lot, {"from": carrier})
    registry.suspend(members["carrier"], ZERO32, {"from": admin})
    with reverts_with("OrganisationIsSuspended", members["carrier"]):
        products.receiveShipment(lot, 0, {"from": carrier})


# ------------------------------------------------------------------ aggregation


def test_a_container_moves_everything_packed_in_it(
    products: Any,
    members: dict[str, int],
    brand: Any,
    carrier: Any,
    retailer: Any,
    lot: bytes,
    batch: tuple[bytes, MerkleTree],
) -> None:
    bid = batch[0]
    tx = products.pack(CONTAINER, [bid, lot], 0, {"from": brand})
    assert tx.events["Packed"]["children"] == ["0x" + bid.hex(), "0x" + lot.hex()]
    assert products.parentOf(bid) == "0x" + CONTAINER.hex()
    with reverts_with("UnitPacked", bid, CONTAINER):
        products.ship(bid, members["carrier"], 0, {"from": brand})
    ship = products.ship(CONTAINER, members["carrier"], 0, {"from": brand})
    products.receiveShipment(CONTAINER, 0, {"from": carrier})
    assert products.custodianOf(bid) == members["carrier"] and products.custodianOf(lot) == members["carrier"]
    assert verify(products, batch, 3) == (Status.AUTHENTIC, members["carrier"])
    products.ship(CONTAINER, members["retailer"], 0, {"from": carrier})
    products.receiveShipment(CONTAINER, 0, {"from": retailer})
    with reverts_with("UnitNotInContainer"):
        products.unpack(CONTAINER, [b"\x03" * 32], 0, {"from": retailer})
    with reverts_with("NotCustodian"):
        products.unpack(CONTAINER, [bid], 0, {"from": brand})
    tx = products.unpack(CONTAINER, [bid], 0, {"from": retailer})
    assert tx.events["Unpacked"]["children"] == ["0x" + bid.hex()]
    assert products.parentOf(bid) == "0x" + "00" * 32
    assert products.getUnit(bid)[3] == members["retailer"]
    assert ship.gas_used < 60_000


def test_container_handover_costs_the_same_for_10_or_10000_items(
    products: Any, members: dict[str, int], brand: Any, lot: bytes
) -> None:
    gas = []
    for n, box in ((10, CONTAINER), (10_000, sscc(999_999_999))):
        tree = MerkleTree.build([serial_leaf(GTIN, f"X{n}-{i}", i) for i in range(n)])
        products.commission(lot, tree.root, n, 0, {"from": brand})
        products.pack(box, [batch_id(lot, tree.root)], 0, {"from": brand})
        gas.append(products.ship(box, members["carrier"], 0, {"from": brand}).gas_used)
    assert gas[0] == gas[1]


def test_nesting_is_bounded(products: Any, brand: Any, lot: bytes) -> None:
    inner = lot
    for level in range(8):
        box = sscc(1000 + level)
        products.pack(box, [inner], 0, {"from": brand})
        assert products.getUnit(box)[2] == level + 1
        inner = box
    with reverts_with("NestingTooDeep", 8):
        products.pack(sscc(2000), [inner], 0, {"from": brand})
    with reverts_with("NotAContainer"):
        products.pack(lot, [inner], 0, {"from": brand})


# ------------------------------------------------------------------ transformation, inspection, dispensing


def test_transformation_consumes_inputs_and_produces_owned_lots(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any, carrier: Any, lot: bytes
) -> None:
    products.ship(lot, members["manufacturer"], 0, {"from": brand})
    products.receiveShipment(lot, 0, {"from": manufacturer})
    can_gtin = int(with_check_digit("0885000000001"))
    products.claimGtin(can_gtin, {"from": manufacturer})
    out = (can_gtin, b20("CAN-1"), FAR, b"TH", b"\x04" * 32)
    tx = products.transform([lot], [out], 0, {"from": manufacturer})
    ev = tx.events["Transformed"]
    can_lot = lot_id(can_gtin, "CAN-1")
    assert ev["inputs"] == ["0x" + lot.hex()] and ev["outputs"] == ["0x" + can_lot.hex()]
    assert (
        ev["transformation"]
        == "0x" + __import__("eth_hash.auto").auto.keccak(encode(["bytes32[]", "bytes32[]"], [[lot], [can_lot]])).hex()
    )
    assert products.getUnit(lot)[1] is True  # consumed
    assert products.custodianOf(can_lot) == members["manufacturer"]
    assert products.getLot(can_lot)[4] == members["manufacturer"]
    with reverts_with("UnitConsumed", lot):
        products.ship(lot, members["carrier"], 0, {"from": manufacturer})
    with reverts_with("NotGtinOwner", GTIN, members["brand"], members["manufacturer"]):
        products.transform([can_lot], [(GTIN, b20("X"), FAR, b"TH", ZERO32)], 0, {"from": manufacturer})
    with reverts_with("InvalidListLength", 0, 64):
        products.transform([], [out], 0, {"from": manufacturer})


def test_inspection_by_inspectors_only(
    products: Any, members: dict[str, int], inspector: Any, brand: Any, lot: bytes
) -> None:
    tx = products.inspect(lot, False, b"\x05" * 32, 0, {"from": inspector})
    assert tx.events["Inspected"]["passed"] is False and tx.events["Inspected"]["inspector"] == members["inspector"]
    with reverts_with("MissingRole"):
        products.inspect(lot, True, ZERO32, 0, {"from": brand})
    with reverts_with("NonexistentUnit"):
        products.inspect(b"\x01" * 32, True, ZERO32, 0, {"from": inspector})


def test_dispensing_decommissions_one_pack_and_a_clone_is_caught(
    products: Any, members: dict[str, int], brand: Any, retailer: Any, batch: tuple[bytes, MerkleTree]
) -> None:
    bid, tree = batch
    products.ship(bid, members["retailer"], 0, {"from": brand})
    products.receiveShipment(bid, 0, {"from": retailer})
    with reverts_with("InvalidItemProof"):
        products.dispense(bid, b20("FAKE"), 5, tree.proof(5), 0, {"from": retailer})
    with reverts_with("NotCustodian", bid, members["retailer"], members["brand"]):
        products.dispense(bid, b20(SERIALS[5]), 5, tree.proof(5), 0, {"from": brand})
    tx = products.dispense(bid, b20(SERIALS[5]), 5, tree.proof(5), 0, {"from": retailer})
    assert tx.events["Dispensed"]["index"] == 5
    assert products.isDecommissioned(bid, 5) and not products.isDecommissioned(bid, 6)
    assert verify(products, batch, 5) == (Status.DECOMMISSIONED, members["retailer"])
    assert verify(products, batch, 6)[0] == Status.AUTHENTIC
    with reverts_with("ItemAlreadyDecommissioned", bid, 5):
        products.dispense(bid, b20(SERIALS[5]), 5, tree.proof(5), 0, {"from": retailer})
    with reverts_with("NotABatch"):
        products.dispense(b"\x01" * 32, b20(SERIALS[5]), 5, [], 0, {"from": retailer})


# ------------------------------------------------------------------ recalls


def test_recall_by_owner_or_regulator(
    products: Any,
    members: dict[str, int],
    brand: Any,
    manufacturer: Any,
    regulator: Any,
    batch: tuple[bytes, MerkleTree],
    lot: bytes,
) -> None:
    products.claimGtin(GTIN_B, {"from": manufacturer})
    products.registerLot(GTIN_B, b20("M1"), FAR, b"DE", ZERO32, 0, {"from": manufacturer})
    other = lot_id(GTIN_B, "M1")
    with reverts_with("UnauthorizedRecall", other, members["brand"]):
        products.recall([other], ZERO32, {"from": brand})
    tx = products.recall([lot], b"SALMONELLA".ljust(32, b"\0"), {"from": brand})
    assert tx.events["Recalled"]["by"] == members["brand"]
    assert verify(products, batch, 1)[0] == Status.RECALLED
    assert products.verifyLot(GTIN, b20("LOT1"), FAR)[0] == Status.RECALLED
    with reverts_with("LotAlreadyRecalled", lot):
        products.recall([lot], ZERO32, {"from": brand})
    products.recall([other], ZERO32, {"from": regulator})
    assert products.getLot(other)[3] is True
    with reverts_with("NonexistentLot"):
        products.recall([b"\x01" * 32], ZERO32, {"from": regulator})


# ------------------------------------------------------------------ EPCIS anchors


def test_record_events_anchors_each_event(products: Any, members: dict[str, int], carrier: Any, outsider: Any) -> None:
    anchors = [(bytes([i]) * 32, 1 + i % 5, 1_700_000_000 + i, 0) for i in range(50)]
    tx = products.recordEvents(anchors, {"from": carrier})
    events = tx.events["EpcisEventRecorded"]
    assert len(events) == 50
    assert [e["eventHash"] for e in events] == ["0x" + a[0].hex() for a in anchors]
    assert all(e["organisation"] == members["carrier"] for e in events)
    with reverts_with("InvalidListLength", 0, 4096):
        products.recordEvents([], {"from": carrier})
    with reverts_with("UnregisteredAccount"):
        products.recordEvents(anchors[:1], {"from": outsider})


# ------------------------------------------------------------------ edges of the rules above


def test_gtin_zero_is_not_a_gtin(products: Any, brand: Any) -> None:
    with reverts_with("InvalidGtin", 0):
        products.claimGtin(0, {"from": brand})


def test_serialized_packs_expire_with_their_lot_and_a_lot_without_expiry_never_does(
    products: Any, members: dict[str, int], brand: Any
) -> None:
    products.claimGtin(GTIN_C, {"from": brand})
    soon = chain.time() + 100
    batches = {}
    for number, expiry in (("NOEXP", 0), ("SOON", soon)):
        products.registerLot(GTIN_C, b20(number), expiry, b"IT", ZERO32, 0, {"from": brand})
        tree = MerkleTree.build([serial_leaf(GTIN_C, s, i) for i, s in enumerate(SERIALS[:4])])
        products.commission(lot_id(GTIN_C, number), tree.root, 4, 0, {"from": brand})
        batches[number] = (batch_id(lot_id(GTIN_C, number), tree.root), tree, expiry)

    def status(number: str) -> int:
        bid, tree, expiry = batches[number]
        return int(products.verify(GTIN_C, b20(SERIALS[1]), b20(number), expiry, bid, 1, tree.proof(1))[0])

    assert status("NOEXP") == status("SOON") == Status.AUTHENTIC
    chain.sleep(200)
    chain.mine()
    assert status("SOON") == Status.EXPIRED
    assert status("NOEXP") == Status.AUTHENTIC
    assert products.verifyLot(GTIN_C, b20("NOEXP"), 0) == (Status.AUTHENTIC, members["brand"])


def test_a_container_fills_over_several_packings_and_never_holds_itself(
    products: Any, brand: Any, lot: bytes, batch: tuple[bytes, MerkleTree]
) -> None:
    with reverts_with("PackedIntoItself", CONTAINER):
        products.pack(CONTAINER, [CONTAINER], 0, {"from": brand})
    products.pack(CONTAINER, [batch[0]], 0, {"from": brand})
    tx = products.pack(CONTAINER, [lot], 0, {"from": brand})  # the same container again: added to it
    assert tx.events["Packed"]["children"] == ["0x" + lot.hex()]
    assert products.parentOf(batch[0]) == products.parentOf(lot) == "0x" + CONTAINER.hex()
    with reverts_with("PackedIntoItself", CONTAINER):
        products.pack(CONTAINER, [CONTAINER], 0, {"from": brand})


def test_only_a_container_is_unpacked(products: Any, brand: Any, lot: bytes, batch: tuple[bytes, MerkleTree]) -> None:
    with reverts_with("NotAContainer", lot):
        products.unpack(lot, [batch[0]], 0, {"from": brand})


def test_lists_hold_at_most_their_bound(products: Any, brand: Any, lot: bytes) -> None:
    children = [i.to_bytes(32, "big") for i in range(1, 258)]
    with reverts_with("InvalidListLength", 257, 256):
        products.pack(CONTAINER, children, 0, {"from": brand})
    with reverts_with("InvalidListLength", 0, 256):
        products.pack(CONTAINER, [], 0, {"from": brand})


def test_unknown_units_and_lots_are_named_as_such(products: Any, brand: Any) -> None:
    unknown = b"\x09" * 32
    with reverts_with("NonexistentUnit", unknown):
        products.cancelShipment(unknown, {"from": brand})
    with reverts_with("NonexistentUnit", unknown):
        products.getUnit(unknown)
    with reverts_with("NonexistentLot", unknown):
        products.getLot(unknown)


def test_an_index_beyond_the_batch_is_no_item(
    products: Any, brand: Any, members: dict[str, int], batch: tuple[bytes, MerkleTree]
) -> None:
    bid, tree = batch
    with reverts_with("InvalidItemProof", bid, b20(SERIALS[5]), len(SERIALS)):
        products.dispense(bid, b20(SERIALS[5]), len(SERIALS), tree.proof(5), 0, {"from": brand})
    assert not products.isDecommissioned(bid, len(SERIALS))


# ------------------------------------------------------------------ company prefixes (issue 11)


def test_a_gtin_is_claimed_only_by_the_licensee_of_its_company_prefix(
    products: Any, registry: Any, members: dict[str, int], brand: Any, manufacturer: Any
) -> None:
    unlicensed = int(with_check_digit("0400000000001"))
    with reverts_with("CompanyPrefixNotHeld", unlicensed, 0, members["brand"]):
        products.claimGtin(unlicensed, {"from": brand})
    # GTIN_B carries the brand's 9506000 too, but the manufacturer's longer 950600099 wins
    assert registry.companyPrefixOwner(GTIN_B, 14) == (members["manufacturer"], 9)
    with reverts_with("CompanyPrefixNotHeld", GTIN_B, members["manufacturer"], members["brand"]):
        products.claimGtin(GTIN_B, {"from": brand})
    products.claimGtin(GTIN_B, {"from": manufacturer})
    assert products.gtinOwner(GTIN_B) == members["manufacturer"]


def test_the_new_licensee_of_a_reassigned_prefix_takes_the_gtin_over_by_claiming_it(
    products: Any, registry: Any, members: dict[str, int], admin: Any, brand: Any, manufacturer: Any, lot: bytes
) -> None:
    registry.assignCompanyPrefix(9506000, 7, members["manufacturer"], {"from": admin})
    assert products.gtinOwner(GTIN) == members["brand"]  # until the new licensee claims it
    with reverts_with("CompanyPrefixNotHeld", GTIN, members["manufacturer"], members["brand"]):
        products.claimGtin(GTIN, {"from": brand})
    tx = products.claimGtin(GTIN, {"from": manufacturer})
    assert tx.events["GtinClaimed"]["owner"] == members["manufacturer"]
    assert products.gtinOwner(GTIN) == members["manufacturer"]
    with reverts_with("GtinAlreadyClaimed", GTIN, members["manufacturer"]):
        products.claimGtin(GTIN, {"from": manufacturer})
    with reverts_with("NotGtinOwner", GTIN, members["manufacturer"], members["brand"]):
        products.registerLot(GTIN, b20("AFTER"), FAR, b"IT", ZERO32, 0, {"from": brand})
    assert products.getLot(lot)[4] == members["brand"]  # the lots registered before stay the brand's


def test_a_new_container_is_an_sscc_of_the_callers_own_company_prefix(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any, lot: bytes
) -> None:
    future_lot = lot_id(GTIN, "NOT-YET")  # a hash: far above 10^18
    bad_check = (SSCC + 1).to_bytes(32, "big")
    for name in (future_lot, (2000).to_bytes(32, "big"), bad_check):
        with reverts_with("InvalidSscc", name):
            products.pack(name, [lot], 0, {"from": brand})
    with reverts_with("NotAContainer", lot):
        products.pack(lot, [lot], 0, {"from": brand})
    foreign = sscc(7, prefix="0400000")
    with reverts_with("CompanyPrefixNotHeld", int.from_bytes(foreign, "big"), 0, members["brand"]):
        products.pack(foreign, [lot], 0, {"from": brand})
    products.ship(lot, members["manufacturer"], 0, {"from": brand})
    products.receiveShipment(lot, 0, {"from": manufacturer})
    with reverts_with("CompanyPrefixNotHeld", SSCC, members["brand"], members["manufacturer"]):
        products.pack(CONTAINER, [lot], 0, {"from": manufacturer})


def test_a_containers_height_is_exact_and_falls_when_its_tallest_child_leaves(
    products: Any, brand: Any, lot: bytes, batch: tuple[bytes, MerkleTree]
) -> None:
    inner, outer = sscc(1), sscc(2)
    products.pack(inner, [lot], 0, {"from": brand})
    products.pack(outer, [inner, batch[0]], 0, {"from": brand})
    unit = products.getUnit(outer)
    assert unit[2] == 2 and unit[8] == 1 | (1 << 11)  # one child of height 0, one of height 1
    products.unpack(outer, [inner], 0, {"from": brand})
    assert products.getUnit(outer)[2] == 1 and products.getUnit(outer)[8] == 1
    products.unpack(outer, [batch[0]], 0, {"from": brand})
    assert products.getUnit(outer)[2] == 0 and products.getUnit(outer)[8] == 0
    assert products.getUnit(inner)[2] == 1  # untouched


def test_packing_two_containers_into_each_other_by_turns_never_grows_their_height(
    products: Any, brand: Any, lot: bytes
) -> None:
    a, b = sscc(1), sscc(2)
    products.pack(a, [lot], 0, {"from": brand})
    products.pack(b, [a], 0, {"from": brand})
    products.unpack(b, [a], 0, {"from": brand})
    for _ in range(10):  # without exact heights, each round trip added one: NestingTooDeep by the 8th
        products.pack(a, [b], 0, {"from": brand})
        products.unpack(a, [b], 0, {"from": brand})
        products.pack(b, [a], 0, {"from": brand})
        products.unpack(b, [a], 0, {"from": brand})
    assert (products.getUnit(a)[2], products.getUnit(b)[2]) == (1, 0)


def test_dispensing_is_refused_in_transit_recalled_expired_or_consumed(
    products: Any, members: dict[str, int], brand: Any, manufacturer: Any, lot: bytes, batch: tuple[bytes, MerkleTree]
) -> None:
    bid, tree = batch
    products.pack(CONTAINER, [bid], 0, {"from": brand})
    products.ship(CONTAINER, members["manufacturer"], 0, {"from": brand})
    with reverts_with("UnitInTransit", CONTAINER, members["manufacturer"]):  # the sender shipped it: not its to sell
        products.dispense(bid, b20(SERIALS[1]), 1, tree.proof(1), 0, {"from": brand})
    products.cancelShipment(CONTAINER, {"from": brand})
    products.unpack(CONTAINER, [bid], 0, {"from": brand})
    products.recall([lot], ZERO32, {"from": brand})
    with reverts_with("LotIsRecalled", lot):
        products.dispense(bid, b20(SERIALS[1]), 1, tree.proof(1), 0, {"from": brand})
    products.claimGtin(GTIN_C, {"from": brand})
    soon = chain.time() + 100
    products.registerLot(GTIN_C, b20("SOON"), soon, b"IT", ZERO32, 0, {"from": brand})
    short = lot_id(GTIN_C, "SOON")
    short_tree = MerkleTree.build([serial_leaf(GTIN_C, s, i) for i, s in enumerate(SERIALS[:4])])
    products.commission(short, short_tree.root, 4, 0, {"from": brand})
    short_batch = batch_id(short, short_tree.root)
    chain.sleep(200)
    chain.mine()
    with reverts_with("LotExpired", short, soon):
        products.dispense(short_batch, b20(SERIALS[1]), 1, short_tree.proof(1), 0, {"from": brand})
    products.claimGtin(GTIN_B, {"from": manufacturer})
    products.ship(short_batch, members["manufacturer"], 0, {"from": brand})
    products.receiveShipment(short_batch, 0, {"from": manufacturer})
    with reverts_with("LotExpired", short, soon):  # nor is an expired lot transformed into a fresh one
        products.transform([short_batch], [(GTIN_B, b20("MIX"), FAR, b"DE", ZERO32)], 0, {"from": manufacturer})
    products.registerLot(GTIN_C, b20("LONG"), FAR, b"IT", ZERO32, 0, {"from": brand})
    long_lot = lot_id(GTIN_C, "LONG")
    products.commission(long_lot, short_tree.root, 4, 0, {"from": brand})
    long_batch = batch_id(long_lot, short_tree.root)
    products.transform([long_batch], [(GTIN_C, b20("MIX"), FAR, b"DE", ZERO32)], 0, {"from": brand})
    with reverts_with("UnitConsumed", long_batch):
        products.dispense(long_batch, b20(SERIALS[1]), 1, short_tree.proof(1), 0, {"from": brand})

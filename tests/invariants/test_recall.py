"""Stateful property test of recalls in ProductRegistry (a Hypothesis state machine): random recalls (of one lot or
several, with duplicates and unknown lots) by GTIN owners, a regulator, a suspended regulator, members without the
right and an outsider, among registrations, commissionings, dispensing, handovers and time passing (so that lots
expire). A Python model predicts every outcome, down to the custom error (dispensing refuses an item of a recalled or
expired lot, commissioning refuses a recalled or expired lot), and every verdict.

Invariants, after every step: each pack of every commissioned batch, and each lot, verifies as the model says
(authentic, expired, decommissioned, recalled; a wrong expiry is a mismatch); a pack dispensed before its lot's recall
stays DECOMMISSIONED (the clone signal survives the recall); and once a lot was seen recalled it stays recalled and
none of its items, nor the lot, ever verifies as AUTHENTIC again, whatever else happens.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brownie import chain
from helpers import ROLE, b20, lei_bytes
from hypothesis import strategies as st
from stateful_support import (
    Counter,
    Fast,
    Refused,
    admit_suspended,
    latest_timestamp,
    license_prefix,
    run_machine,
    skip_under_coverage,
    sleep,
)

from tradechain.contracts.product_registry import Status, batch_id, lot_id
from tradechain.formats.gs1 import with_check_digit
from tradechain.formats.merkle import MerkleTree, serial_leaf

GTIN = int(with_check_digit("0950600013435"))  # company prefix 9506000: the brand's
GTIN_B = int(with_check_digit("0950600099999"))  # company prefix 95060009 (the longer one wins): the manufacturer's
FAR = 2_000_000_000
ITEMS = 4
PRODUCERS, REGULATOR, ALL_ROLES = 1 | 2, 1 << 6, (1 << 9) - 1
ZERO32 = b"\0" * 32
COUNTER = Counter()


@dataclass(frozen=True)
class LotSpec:
    gtin: int
    number: str
    expires_at: int  # 0: never; set per test (some expire soon)
    serials: tuple[str, ...]

    @property
    def id(self) -> bytes:
        return bytes(lot_id(self.gtin, self.number))

    @property
    def tree(self) -> MerkleTree:
        return MerkleTree.build([serial_leaf(self.gtin, s, i) for i, s in enumerate(self.serials)])

    @property
    def batch(self) -> bytes:
        return bytes(batch_id(self.id, self.tree.root))


@dataclass
class Lot:
    owner: int
    registered: bool = False
    commissioned: bool = False
    recalled: bool = False
    custodian: int = 0  # of the batch
    dispensed: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Actor:
    address: str
    organisation: int  # 0: not a member
    roles: int = 0
    suspended: bool = False


Expected = tuple[str, tuple[Any, ...]] | None


class RecallMachine:
    lot = st.integers(0, 3)
    lots = st.lists(st.integers(0, 4), max_size=3)  # 4: a lot that is never registered
    item = st.integers(0, ITEMS - 1)
    actor = st.integers(0, 6)
    receiver = st.integers(0, 4)
    forged = st.booleans()
    seconds = st.integers(0, 3_000)

    def __init__(cls, products: Any, actors: list[Actor], specs: list[LotSpec], owners: list[int]) -> None:
        cls.fast, cls.actors, cls.specs, cls.owners = Fast(products), actors, specs, owners
        cls.ids = [*(s.id for s in specs), b"\x09" * 32]
        cls.proofs = [[s.tree.proof(i) for i in range(ITEMS)] for s in specs]

    def setup(self) -> None:
        COUNTER.examples += 1
        # lots 0-2 are registered and commissioned before the examples start; lot 3 is left to the rules
        self.model = [Lot(o, i < 3, i < 3, custodian=o if i < 3 else 0) for i, o in enumerate(self.owners)]
        self.recalled_seen: set[int] = set()
        # every example starts with a lot recalled by its owner and an item dispensed from another
        self.rule_recall_by_owner(0)
        self.rule_dispense_by_custodian(1, 2)

    # ------------------------------------------------------------------ predictions

    def _member(self, who: Actor, roles: int) -> Expected:
        if not who.organisation:
            return "UnregisteredAccount", (who.address,)
        if who.suspended:
            return "OrganisationIsSuspended", (who.organisation,)
        if not who.roles & roles:
            return "MissingRole", (who.address, who.organisation, roles)
        return None

    def _actor_of(self, org: int) -> int:
        return next((n for n, a in enumerate(self.actors) if a.organisation == org and not a.suspended), 0)

    # ------------------------------------------------------------------ rules

    def rule_recall(self, lots: list[int], actor: int) -> None:
        who = self.actors[actor]
        expected = self._member(who, PRODUCERS | REGULATOR)
        if expected is None and not lots:
            expected = "InvalidListLength", (0, 256)
        regulator = bool(who.roles & REGULATOR)
        done: set[int] = set()
        for i in lots:
            if expected is not None:
                break
            if i == 4 or not self.model[i].registered:
                expected = "NonexistentLot", (self.ids[i],)
            elif not regulator and self.model[i].owner != who.organisation:
                expected = "UnauthorizedRecall", (self.ids[i], who.organisation)
            elif self.model[i].recalled or i in done:
                expected = "LotAlreadyRecalled", (self.ids[i],)
            done.add(i)
        out = self.fast.send(who.address, "recall", [self.ids[i] for i in lots], b"\x0e" * 32)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            for i in lots:
                self.model[i].recalled = True

    def rule_recall_by_owner(self, lot: int) -> None:
        self.rule_recall([lot], self._actor_of(self.owners[lot]))

    def rule_register(self, lot: int, actor: int) -> None:
        who, spec, m = self.actors[actor], self.specs[lot], self.model[lot]
        expected = self._member(who, PRODUCERS)
        if expected is None and m.owner != who.organisation:
            expected = "NotGtinOwner", (spec.gtin, m.owner, who.organisation)
        elif expected is None and m.registered:
            expected = "LotAlreadyRegistered", (spec.id,)
        out = self.fast.send(who.address, "registerLot", spec.gtin, b20(spec.number), spec.expires_at, b"IT", ZERO32, 0)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            m.registered = True

    def rule_commission(self, lot: int, actor: int) -> None:
        who, spec, m = self.actors[actor], self.specs[lot], self.model[lot]
        expected = self._member(who, PRODUCERS)
        if expected is None and not m.registered:
            expected = "NonexistentLot", (spec.id,)
        elif expected is None and m.owner != who.organisation:
            expected = "NotGtinOwner", (spec.gtin, m.owner, who.organisation)
        out = self.fast.send(who.address, "commission", spec.id, spec.tree.root, ITEMS, 0)
        if expected is None and m.recalled:  # no fresh packs of a recalled lot
            expected = "LotIsRecalled", (spec.id,)
        elif expected is None and spec.expires_at and out.timestamp > spec.expires_at:  # nor of an expired one
            expected = "LotExpired", (spec.id, spec.expires_at)
        elif expected is None and m.commissioned:
            expected = "BatchAlreadyCommissioned", (spec.batch,)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            m.commissioned, m.custodian = True, who.organisation

    def rule_register_and_commission_by_owner(self, lot: int) -> None:
        actor = self._actor_of(self.owners[lot])
        self.rule_register(lot, actor)
        self.rule_commission(lot, actor)

    def rule_dispense(self, lot: int, item: int, actor: int, forged: bool) -> None:
        who, spec, m = self.actors[actor], self.specs[lot], self.model[lot]
        serial = "FORGED" if forged else spec.serials[item]
        out = self.fast.send(who.address, "dispense", spec.batch, b20(serial), item, self.proofs[lot][item], 0)
        expected = self._member(who, ALL_ROLES)
        if expected is None and not m.commissioned:
            expected = "NotABatch", (spec.batch,)
        elif expected is None and m.custodian != who.organisation:
            expected = "NotCustodian", (spec.batch, m.custodian, who.organisation)
        elif expected is None and m.recalled:  # nothing of a recalled lot is dispensed
            expected = "LotIsRecalled", (spec.id,)
        elif expected is None and spec.expires_at and out.timestamp > spec.expires_at:  # nor of an expired one
            expected = "LotExpired", (spec.id, spec.expires_at)
        elif expected is None and forged:
            expected = "InvalidItemProof", (spec.batch, b20(serial), item)
        elif expected is None and item in m.dispensed:
            expected = "ItemAlreadyDecommissioned", (spec.batch, item)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            m.dispensed.add(item)

    def rule_dispense_by_custodian(self, lot: int, item: int) -> None:
        self.rule_dispense(lot, item, self._actor_of(self.model[lot].custodian), False)

    def rule_hand_over(self, lot: int, receiver: int) -> None:
        """The batch's custodian ships it, the receiver receives it (a two-party handover)."""
        m, spec = self.model[lot], self.specs[lot]
        to = self.actors[receiver].organisation
        if not m.commissioned or to == m.custodian:
            return
        assert self.fast.send(self.actors[self._actor_of(m.custodian)].address, "ship", spec.batch, to, 0).ok
        assert self.fast.send(self.actors[receiver].address, "receiveShipment", spec.batch, 0).ok
        m.custodian = to

    def rule_time_passes(self, seconds: int) -> None:
        sleep(seconds)

    # ------------------------------------------------------------------ invariants

    def _verdict(self, lot: int, now: int, item: int | None) -> set[int]:
        """The verdicts the model allows for a correct scan (two around the second of expiry)."""
        m, expires = self.model[lot], self.specs[lot].expires_at
        if item is not None and item in m.dispensed:  # dispensed before any recall: still the clone signal
            return {Status.DECOMMISSIONED}
        if m.recalled:
            return {Status.RECALLED}
        if expires and abs(now - expires) <= 2:
            return {Status.EXPIRED, Status.AUTHENTIC}
        return {Status.EXPIRED} if expires and now > expires else {Status.AUTHENTIC}

    def invariant(self) -> None:
        COUNTER.checks += 1
        now = latest_timestamp()
        calls: list[tuple[str, list[Any]]] = []
        for i, spec in enumerate(self.specs):
            calls.append(("getLot", [spec.id]))
            calls.append(("verifyLot", [spec.gtin, b20(spec.number), spec.expires_at]))
            calls.append(("verifyLot", [spec.gtin, b20(spec.number), spec.expires_at + 86_400]))  # a wrong expiry
            if self.model[i].commissioned:
                for j in range(ITEMS):
                    scan = [spec.gtin, b20(spec.serials[j]), b20(spec.number), spec.expires_at, spec.batch, j]
                    calls.append(("verify", [*scan, self.proofs[i][j]]))
                calls.append(("verify", [*scan[:3], spec.expires_at + 1, *scan[4:], self.proofs[i][ITEMS - 1]]))
        values = iter(self.fast.views(calls))
        for i, (spec, m) in enumerate(zip(self.specs, self.model, strict=True)):
            record, lot_scan, wrong_lot_scan = next(values), next(values), next(values)
            scans = [lot_scan, wrong_lot_scan]
            if not m.registered:
                assert isinstance(record, Refused) and record.error == "NonexistentLot"
                assert lot_scan == wrong_lot_scan == (Status.UNKNOWN, 0)
            else:
                assert record == (spec.gtin, spec.expires_at, b"IT", m.recalled, m.owner)
                assert lot_scan[0] in self._verdict(i, now, None) and lot_scan[1] == m.owner
                assert wrong_lot_scan == (Status.MISMATCH, m.owner)
                if m.recalled:
                    self.recalled_seen.add(i)
            if m.commissioned:
                for j in range(ITEMS):
                    scan = next(values)
                    assert scan[0] in self._verdict(i, now, j) and scan[1] == m.custodian
                    scans.append(scan)
                wrong = next(values)
                assert wrong == (Status.MISMATCH, m.custodian)
                scans.append(wrong)
            # once recalled, always recalled, and nothing of the lot ever verifies as AUTHENTIC again
            if i in self.recalled_seen:
                assert not isinstance(record, Refused) and record[3] is True
                assert all(s[0] != Status.AUTHENTIC for s in scans)


def test_a_recalled_lot_never_verifies_as_authentic(
    products: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    brand: Any,
    manufacturer: Any,
    accounts: Any,
    request: Any,
) -> None:
    skip_under_coverage(request)
    suspended = admit_suspended(registry, admin, lei_bytes(90), b"BE", ROLE["regulator"], accounts[13])
    soon = chain.time() + 4_000  # expires while the examples let time pass
    specs = [
        LotSpec(GTIN, "RC-L0", FAR, tuple(f"L0-SN{j}" for j in range(ITEMS))),
        LotSpec(GTIN, "RC-L1", soon, tuple(f"L1-SN{j}" for j in range(ITEMS))),
        LotSpec(GTIN_B, "RC-L2", 0, tuple(f"L2-SN{j}" for j in range(ITEMS))),
        LotSpec(GTIN_B, "RC-L3", FAR, tuple(f"L3-SN{j}" for j in range(ITEMS))),
    ]
    owners = [members["brand"], members["brand"], members["manufacturer"], members["manufacturer"]]
    license_prefix(registry, admin, "9506000", members["brand"])
    license_prefix(registry, admin, "95060009", members["manufacturer"])
    products.claimGtin(GTIN, {"from": brand})
    products.claimGtin(GTIN_B, {"from": manufacturer})
    for spec in specs[:3]:
        sender = brand if spec.gtin == GTIN else manufacturer
        products.registerLot(spec.gtin, b20(spec.number), spec.expires_at, b"IT", ZERO32, 0, {"from": sender})
        products.commission(spec.id, spec.tree.root, ITEMS, 0, {"from": sender})
    actors = [
        Actor(str(brand), members["brand"], ROLE["brand"]),
        Actor(str(manufacturer), members["manufacturer"], ROLE["manufacturer"]),
        Actor(str(accounts[7]), members["regulator"], ROLE["regulator"]),
        Actor(str(accounts[3]), members["carrier"], ROLE["carrier"]),  # a member that may not recall
        Actor(str(accounts[8]), members["retailer"], ROLE["retailer"]),
        Actor(str(accounts[13]), suspended, ROLE["regulator"], suspended=True),
        Actor(str(accounts[19]), 0),  # an outsider
    ]
    run_machine("recall", RecallMachine, COUNTER, products, actors, specs, owners)

"""Stateful property test of custody in ProductRegistry (Brownie's state_machine): random shipments, receipts,
cancellations, packing and unpacking of lots and nested containers, by the custodian, by the named receiver and by
anyone else (members, a suspended member, an outsider), to members, to oneself and to an organisation that does not
exist. A Python model predicts every outcome, down to the custom error.

Invariants, after every step: every unit's record, container and custodian (``custodianOf``, through its
containers) are the model's; and custody only ever moved by a two-party handover: a unit's custodian changes only in
a step that was the receipt, by the receiver its custodian named in a shipment, of that unit or of a container it
is packed in, and then to that receiver. Every other attempt reverts and leaves custody as it was.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conftest import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import Counter, Fast, Refused, admit_suspended, run_machine, skip_under_coverage

from tradechain.gs1 import with_check_digit
from tradechain.products import lot_id

LOT, CONTAINER = 1, 3
GTIN = int(with_check_digit("0950600013435"))
GTIN_B = int(with_check_digit("0950600099999"))
FAR = 2_000_000_000
LOTS = [(GTIN, "CUST-L0"), (GTIN, "CUST-L1"), (GTIN_B, "CUST-L2")]  # the brand's two, the manufacturer's one
UNITS = [
    *(lot_id(g, n) for g, n in LOTS),
    int(with_check_digit("10614141123456789")).to_bytes(32, "big"),  # containers (SSCC), made by packing
    int(with_check_digit("10614141123456780")).to_bytes(32, "big"),
    b"\x07" * 32,  # never exists
]
C1, C2 = 3, 4
NOWHERE = 999  # an organisation that does not exist: a shipment to it can only be cancelled
ZERO32 = b"\0" * 32
COUNTER = Counter()


@dataclass
class Unit:
    kind: int
    custodian: int
    pending: int = 0
    parent: int | None = None  # index of the container it is packed in


@dataclass(frozen=True)
class Actor:
    address: str
    organisation: int  # 0: not a member
    suspended: bool = False


Expected = tuple[str, tuple[Any, ...]] | None


class CustodyMachine:
    unit = st.integers(0, len(UNITS) - 1)
    box = st.sampled_from([C1, C1, C2, C2, 0])
    children = st.lists(st.integers(0, len(UNITS) - 1), max_size=3)
    actor = st.integers(0, 5)
    receiver = st.integers(0, 5)

    def __init__(cls, products: Any, actors: list[Actor], brand_org: int, maker_org: int) -> None:
        cls.fast, cls.actors = Fast(products), actors
        cls.receivers = [*(a.organisation for a in actors if a.organisation), NOWHERE]
        cls.initial = {0: brand_org, 1: brand_org, 2: maker_org}

    def setup(self) -> None:
        COUNTER.examples += 1
        self.units: dict[int, Unit] = {i: Unit(LOT, org) for i, org in self.initial.items()}
        self.handover: tuple[int, int] | None = None  # (unit, receiver) of this step's receipt
        self.created: int | None = None  # the container this step's packing created
        self.custody: list[int] | None = None  # custodianOf of every unit at the last check
        # every example starts with a lot in a container, and a lot in transit to the carrier
        self.rule_pack(C1, [0], 0)
        self.rule_ship(2, 2, 1)

    # ------------------------------------------------------------------ predictions

    def _member(self, who: Actor) -> Expected:
        if not who.organisation:
            return "UnregisteredAccount", (who.address,)
        if who.suspended:
            return "OrganisationIsSuspended", (who.organisation,)
        return None

    def _held(self, i: int, org: int, units: dict[int, Unit]) -> Expected:
        u = units.get(i)
        if u is None:
            return "NonexistentUnit", (UNITS[i],)
        if u.custodian != org:
            return "NotCustodian", (UNITS[i], u.custodian, org)
        if u.pending:
            return "UnitInTransit", (UNITS[i], u.pending)
        if u.parent is not None:
            return "UnitPacked", (UNITS[i], UNITS[u.parent])
        return None

    def _custodian(self, i: int) -> int:
        u = self.units.get(i)
        if u is None:
            return 0
        return self._custodian(u.parent) if u.parent is not None else u.custodian

    def _holder(self, org: int) -> int:
        return next((n for n, a in enumerate(self.actors) if a.organisation == org), len(self.actors) - 1)

    # ------------------------------------------------------------------ rules

    def rule_ship(self, unit: int, receiver: int, actor: int) -> None:
        who, to = self.actors[actor], self.receivers[receiver]
        expected = self._member(who) or self._held(unit, who.organisation, self.units)
        if expected is None and to == who.organisation:
            expected = "ShipmentToSelf", (to,)
        out = self.fast.send(who.address, "ship", UNITS[unit], to, 0)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self.units[unit].pending = to

    def rule_ship_by_custodian(self, unit: int, receiver: int) -> None:
        u = self.units.get(unit)
        self.rule_ship(unit, receiver, self._holder(u.custodian) if u else 0)

    def rule_receive(self, unit: int, actor: int) -> None:
        who = self.actors[actor]
        u = self.units.get(unit)
        expected = self._member(who)
        if expected is None and (u is None or u.pending != who.organisation):
            if u is None:
                expected = "NonexistentUnit", (UNITS[unit],)
            elif not u.pending:
                expected = "UnitNotInTransit", (UNITS[unit],)
            else:
                expected = "NotPendingReceiver", (UNITS[unit], u.pending, who.organisation)
        out = self.fast.send(who.address, "receiveShipment", UNITS[unit], 0)
        assert out.refused() == expected, (out, expected)
        if u is not None and out.ok:
            u.custodian, u.pending = who.organisation, 0
            self.handover = (unit, who.organisation)

    def rule_receive_by_receiver(self, unit: int) -> None:
        u = self.units.get(unit)
        self.rule_receive(unit, self._holder(u.pending) if u and u.pending else 0)

    def rule_cancel_shipment(self, unit: int, actor: int) -> None:
        who = self.actors[actor]
        u = self.units.get(unit)
        expected = self._member(who)
        if expected is None:
            if u is None:
                expected = "NonexistentUnit", (UNITS[unit],)
            elif u.custodian != who.organisation:
                expected = "NotCustodian", (UNITS[unit], u.custodian, who.organisation)
            elif not u.pending:
                expected = "UnitNotInTransit", (UNITS[unit],)
        out = self.fast.send(who.address, "cancelShipment", UNITS[unit])
        assert out.refused() == expected, (out, expected)
        if u is not None and out.ok:
            u.pending = 0

    def rule_pack(self, box: int, children: list[int], actor: int) -> None:
        who = self.actors[actor]
        org = who.organisation
        after = {i: Unit(u.kind, u.custodian, u.pending, u.parent) for i, u in self.units.items()}
        expected = self._member(who)
        if expected is None and not children:
            expected = "InvalidListLength", (0, 256)
        if expected is None:
            if box not in after:
                after[box] = Unit(CONTAINER, org)
            elif after[box].kind != CONTAINER:
                expected = "NotAContainer", (UNITS[box],)
            else:
                expected = self._held(box, org, after)
        for child in children:
            if expected is not None:
                break
            if child == box:
                expected = "NestingTooDeep", (8,)
            else:
                expected = self._held(child, org, after)
                if expected is None:
                    after[child].parent = box
        out = self.fast.send(who.address, "pack", UNITS[box], [UNITS[c] for c in children], 0)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            if box not in self.units:
                self.created = box
            self.units = after

    def rule_pack_by_custodian(self, box: int, children: list[int]) -> None:
        u = self.units.get(children[0] if children else box)
        self.rule_pack(box, children, self._holder(u.custodian) if u else 0)

    def rule_unpack(self, box: int, children: list[int], actor: int) -> None:
        who = self.actors[actor]
        org = who.organisation
        after = {i: Unit(u.kind, u.custodian, u.pending, u.parent) for i, u in self.units.items()}
        expected = self._member(who)
        if expected is None and not children:
            expected = "InvalidListLength", (0, 256)
        if expected is None and (box not in after or after[box].kind != CONTAINER):
            expected = "NotAContainer", (UNITS[box],)
        if expected is None:
            expected = self._held(box, org, after)
        for child in children:
            if expected is not None:
                break
            if child not in after or after[child].parent != box:
                expected = "UnitNotInContainer", (UNITS[child], UNITS[box])
            else:
                after[child].parent, after[child].custodian = None, org
        out = self.fast.send(who.address, "unpack", UNITS[box], [UNITS[c] for c in children], 0)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self.units = after

    def rule_unpack_by_custodian(self, box: int, children: list[int]) -> None:
        u = self.units.get(box)
        self.rule_unpack(box, children, self._holder(u.custodian) if u else 0)

    def rule_unpack_everything(self, box: int) -> None:
        u = self.units.get(box)
        inside = [i for i, c in self.units.items() if c.parent == box]
        self.rule_unpack(box, inside, self._holder(u.custodian) if u else 0)

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        calls: list[tuple[str, list[Any]]] = []
        for unit in UNITS:
            calls += [("getUnit", [unit]), ("parentOf", [unit]), ("custodianOf", [unit])]
        values = iter(self.fast.views(calls))
        custody, parents = [], []
        for i in range(len(UNITS)):
            record, parent, custodian = next(values), next(values), next(values)
            u = self.units.get(i)
            if u is None:
                assert isinstance(record, Refused) and record.error == "NonexistentUnit" and custodian == 0
            else:
                kind, consumed, _, held_by, pending, _, _, packed = record
                assert (kind, consumed, held_by, pending, packed) == (
                    u.kind,
                    False,
                    u.custodian,
                    u.pending,
                    bool(u.parent is not None),
                )
            assert parent == (UNITS[u.parent] if u and u.parent is not None else ZERO32)
            assert custodian == self._custodian(i)
            custody.append(custodian)
            parents.append(UNITS.index(parent) if parent != ZERO32 else None)
        # custody only moved by a two-party handover: the receipt of the unit or of a container around it
        if self.custody is not None:
            for i, (before, now) in enumerate(zip(self.custody, custody, strict=True)):
                if before == now or (before == 0 and i == self.created):  # unchanged, or a new container
                    continue
                assert self.handover is not None, f"custody of unit {i} moved without a receipt"
                received, receiver = self.handover
                enclosing, node = {i}, parents[i]
                while node is not None:
                    enclosing.add(node)
                    node = parents[node]
                assert received in enclosing and now == receiver
        self.custody, self.handover, self.created = custody, None, None


def test_custody_only_moves_by_a_two_party_handover(
    state_machine: Any,
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
    suspended = admit_suspended(registry, admin, lei_bytes(80), b"NL", ROLE["carrier"], accounts[13])
    products.claimGtin(GTIN, {"from": brand})
    products.claimGtin(GTIN_B, {"from": manufacturer})
    for gtin, number in LOTS:
        sender = brand if gtin == GTIN else manufacturer
        products.registerLot(gtin, number.encode().ljust(20, b"\0"), FAR, b"IT", ZERO32, 0, {"from": sender})
    actors = [
        Actor(str(brand), members["brand"]),
        Actor(str(manufacturer), members["manufacturer"]),
        Actor(str(accounts[3]), members["carrier"]),
        Actor(str(accounts[8]), members["retailer"]),
        Actor(str(accounts[13]), suspended, suspended=True),
        Actor(str(accounts[19]), 0),  # an outsider
    ]
    run_machine(
        "custody", state_machine, CustodyMachine, COUNTER, products, actors, members["brand"], members["manufacturer"]
    )

"""Stateful property test of custody in ProductRegistry (a Hypothesis state machine): random shipments, receipts,
cancellations, packing and unpacking of lots and nested containers, by the custodian, by the named receiver and by
anyone else (members, a suspended member, an outsider), to members, to oneself and to an organisation that does not
exist; and the hostile moves: creating containers under foreign ids (a lot id, a brand's future lot id, a batch id,
another company's SSCC, an SSCC of no licensed prefix, a bad check digit, a hash), packing a container into itself,
nesting containers three deep and unpacking them in turn. A Python model (GS1 company prefix licences included)
predicts every outcome, down to the custom error.

Invariants, after every step: every unit's record, container and custodian (``custodianOf``, through its
containers) are the model's, and every container's height is its real height (one more than its tallest child, 0
when empty) and its per-height child counts the model's; and custody only ever moved by a two-party handover: a
unit's custodian changes only in a step that was the receipt, by the receiver its custodian named in a shipment,
of that unit or of a container it is packed in, and then to that receiver. Every other attempt reverts and leaves
custody as it was.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpers import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import (
    Counter,
    Fast,
    Refused,
    admit_suspended,
    license_prefix,
    run_machine,
    skip_under_coverage,
)

from tradechain.contracts.product_registry import batch_id, lot_id
from tradechain.formats.gs1 import check_digit, with_check_digit

LOT, CONTAINER = 1, 3
PRODUCERS = 1 | 2
GTIN = int(with_check_digit("0950600013435"))  # company prefix 9506000: the brand's
GTIN_B = int(with_check_digit("0950600099999"))  # company prefix 95060009 (the longer one wins): the manufacturer's
LICENCES = {"9506000": "brand", "95060009": "manufacturer", "0614141": "brand", "0614142": "manufacturer"}
FAR = 2_000_000_000
LOTS = [(GTIN, "CUST-L0"), (GTIN, "CUST-L1"), (GTIN_B, "CUST-L2")]  # the brand's two, the manufacturer's one
FUTURE_LOT = (GTIN, "CUST-FUTURE")  # a lot the brand registers later (its id is predictable)


def sscc(body: str) -> bytes:
    return int(with_check_digit(body)).to_bytes(32, "big")


UNITS = [
    *(lot_id(g, n) for g, n in LOTS),
    sscc("10614141123456789"),  # containers of the brand (SSCCs of its prefix), made by packing
    sscc("10614141123456780"),
    sscc("10614141123456781"),
    sscc("10614142000000017"),  # a container of the manufacturer: another company's SSCC for everyone else
    lot_id(*FUTURE_LOT),
    batch_id(lot_id(*LOTS[0]), b"\x05" * 32),  # a batch id, never commissioned
    sscc("10614143000000012"),  # an SSCC of a prefix licensed to nobody
    (int(with_check_digit("10614141000000099")) ^ 1).to_bytes(32, "big"),  # a wrong check digit
    b"\x07" * 32,  # never exists (a hash, not an SSCC)
]
C1, C2, C3, CM, FUTURE = 3, 4, 5, 6, 7
NOWHERE = 999  # an organisation that does not exist: a shipment to it can only be cancelled
ZERO32 = b"\0" * 32
BITS = 11  # per height in a container's child counts
COUNTER = Counter()


def licensee(key: int, licences: dict[str, int]) -> int:
    """ParticipantRegistry.companyPrefixOwner for an SSCC: the longest licensed prefix after the extension digit."""
    digits = f"{key:018d}"
    return next((licences[digits[1 : 1 + d]] for d in range(12, 3, -1) if digits[1 : 1 + d] in licences), 0)


def valid_sscc(key: int) -> bool:
    digits = f"{key:018d}"
    return 0 < key < 10**18 and check_digit(digits[:17]) == int(digits[17])


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
    producer: bool = False  # a brand or a manufacturer


Expected = tuple[str, tuple[Any, ...]] | None


class CustodyMachine:
    unit = st.integers(0, len(UNITS) - 1)
    box = st.sampled_from([C1, C1, C2, C2, C3, C3, *range(CM, len(UNITS)), 0])  # mostly the brand's containers
    foreign = st.sampled_from([0, 2, CM, *range(FUTURE, len(UNITS))])  # ids no brand container may take
    children = st.lists(st.integers(0, len(UNITS) - 1), max_size=3)
    lot = st.integers(0, 1)
    actor = st.integers(0, 5)
    receiver = st.integers(0, 5)

    def __init__(cls, products: Any, actors: list[Actor], orgs: dict[str, int]) -> None:
        cls.fast, cls.actors = Fast(products), actors
        cls.receivers = [*(a.organisation for a in actors if a.organisation), NOWHERE]
        cls.initial = {0: orgs["brand"], 1: orgs["brand"], 2: orgs["manufacturer"]}
        cls.licences = {prefix: orgs[name] for prefix, name in LICENCES.items()}
        cls.brand_org = orgs["brand"]

    def setup(self) -> None:
        COUNTER.examples += 1
        self.units: dict[int, Unit] = {i: Unit(LOT, org) for i, org in self.initial.items()}
        self.handover: tuple[int, int] | None = None  # (unit, receiver) of this step's receipt
        self.created: int | None = None  # the container this step's packing created
        self.custody: list[int] | None = None  # custodianOf of every unit at the last check
        # every example starts with a lot in a container in a container in a container, a refused "container" of
        # the manufacturer under the brand's future lot id, and a lot in transit to the carrier
        self.rule_nest_three_deep(0)
        self.rule_pack(FUTURE, [2], 1)
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

    def _list_call(self, actor: int, children: list[int]) -> tuple[Actor, dict[int, Unit], Expected]:
        """What pack and unpack check first (a member calls, with a list that is not empty): the caller, a copy of
        the units to apply the call to, the refusal so far."""
        who = self.actors[actor]
        after = {i: Unit(u.kind, u.custodian, u.pending, u.parent) for i, u in self.units.items()}
        expected = self._member(who)
        if expected is None and not children:
            expected = "InvalidListLength", (0, 256)
        return who, after, expected

    def _height(self, i: int, units: dict[int, Unit] | None = None) -> int:
        """The real height of unit ``i``: 0 for a lot or an empty container, else one more than its tallest child."""
        units = self.units if units is None else units
        inside = [c for c, u in units.items() if u.parent == i]
        return 1 + max(self._height(c, units) for c in inside) if inside else 0

    def _levels(self, i: int) -> int:
        """A container's child counts by height (``Unit.children``): 11 bits per height."""
        return sum(1 << (BITS * self._height(c)) for c, u in self.units.items() if u.parent == i)

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
        who, after, expected = self._list_call(actor, children)
        org = who.organisation
        if expected is None:
            key = int.from_bytes(UNITS[box], "big")
            if box not in after:  # a new container: an SSCC of the caller's own company prefix
                if not valid_sscc(key):
                    expected = "InvalidSscc", (UNITS[box],)
                elif (owner := licensee(key, self.licences)) != org:
                    expected = "CompanyPrefixNotHeld", (key, owner, org)
                else:
                    after[box] = Unit(CONTAINER, org)
            elif after[box].kind != CONTAINER:
                expected = "NotAContainer", (UNITS[box],)
            else:
                expected = self._held(box, org, after)
        for child in children:
            if expected is not None:
                break
            if child == box:
                expected = "PackedIntoItself", (UNITS[box],)
            else:
                expected = self._held(child, org, after)
                if expected is None and self._height(child, after) >= 8:
                    expected = "NestingTooDeep", (8,)
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
        who, after, expected = self._list_call(actor, children)
        org = who.organisation
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

    def rule_pack_into_itself(self, box: int) -> None:
        u = self.units.get(box)
        self.rule_pack(box, [box], self._holder(u.custodian) if u else 0)

    def rule_create_container_under_foreign_id(self, foreign: int, actor: int) -> None:
        """A member packs a lot it holds into a new "container" under an id that is not an SSCC of its own prefix
        (a lot id, the brand's future lot id, a batch id, another company's SSCC, ...): refused."""
        org = self.actors[actor].organisation
        held = [i for i, u in self.units.items() if u.custodian == org and u.kind == LOT and u.parent is None]
        self.rule_pack(foreign, held[:1] or [0], actor)

    def rule_register_future_lot(self, actor: int) -> None:
        """The brand registers the lot whose id the hostile moves tried as a container."""
        who = self.actors[actor]
        expected = self._member(who)
        if expected is None and not who.producer:
            expected = "MissingRole", (who.address, who.organisation, PRODUCERS)
        elif expected is None and who.organisation != self.brand_org:
            expected = "NotGtinOwner", (GTIN, self.brand_org, who.organisation)
        elif expected is None and FUTURE in self.units:
            expected = "LotAlreadyRegistered", (UNITS[FUTURE],)
        number = FUTURE_LOT[1].encode().ljust(20, b"\0")
        out = self.fast.send(who.address, "registerLot", GTIN, number, FAR, b"IT", ZERO32, 0)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self.units[FUTURE] = Unit(LOT, who.organisation)
            self.created = FUTURE

    def rule_nest_three_deep(self, lot: int) -> None:
        """The brand packs a lot into C1, C1 into C2, C2 into C3 (heights 1, 2, 3)."""
        for box, child in ((C1, lot), (C2, C1), (C3, C2)):
            u = self.units.get(child)
            self.rule_pack(box, [child], self._holder(u.custodian) if u else 0)
            self._check_units()

    def rule_unpack_in_turn(self) -> None:
        """Unpacks C3, C2 and C1 in turn, from the outside in, by each one's custodian: every height falls back
        exactly, checked after each unpack."""
        for box in (C3, C2, C1):
            if any(u.parent == box for u in self.units.values()):
                self.rule_unpack_everything(box)
                self._check_units()

    # ------------------------------------------------------------------ invariants

    def _check_units(self) -> list[tuple[int, bytes]]:
        """Every unit's record, parent and custodian are the model's, every height the real one. Returns each
        unit's (custodianOf, parentOf)."""
        calls: list[tuple[str, list[Any]]] = []
        for unit in UNITS:
            calls += [("getUnit", [unit]), ("parentOf", [unit]), ("custodianOf", [unit])]
        values = iter(self.fast.views(calls))
        seen = []
        for i in range(len(UNITS)):
            record, parent, custodian = next(values), next(values), next(values)
            u = self.units.get(i)
            if u is None:
                assert isinstance(record, Refused) and record.error == "NonexistentUnit" and custodian == 0
            else:
                kind, consumed, height, held_by, pending, _, _, packed, levels = record
                assert (kind, consumed, held_by, pending, packed) == (
                    u.kind,
                    False,
                    u.custodian,
                    u.pending,
                    bool(u.parent is not None),
                )
                # a container's height is exact: its real nesting depth, whatever was packed and unpacked before
                real = (self._height(i), self._levels(i))
                assert (height, levels) == real, f"unit {i}: height {height} children {levels:#x}, real {real}"
            assert parent == (UNITS[u.parent] if u and u.parent is not None else ZERO32)
            assert custodian == self._custodian(i)
            seen.append((custodian, parent))
        return seen

    def invariant(self) -> None:
        COUNTER.checks += 1
        seen = self._check_units()
        custody = [c for c, _ in seen]
        parents = [UNITS.index(p) if p != ZERO32 else None for _, p in seen]
        # custody only moved by a two-party handover: the receipt of the unit or of a container around it
        if self.custody is not None:
            for i, (before, now) in enumerate(zip(self.custody, custody, strict=True)):
                if before == now or (before == 0 and i == self.created):  # unchanged, or a new unit
                    continue
                assert self.handover is not None, f"custody of unit {i} moved without a receipt"
                received, receiver = self.handover
                enclosing, node = {i}, parents[i]
                while node is not None:
                    enclosing.add(node)
                    node = parents[node]
                assert received in enclosing and now == receiver
        self.custody, self.handover, self.created = custody, None, None


def test_custody_only_moves_by_a_two_party_handover_and_containers_are_own_ssccs_of_exact_height(
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
    for prefix, name in LICENCES.items():
        license_prefix(registry, admin, prefix, members[name])
    products.claimGtin(GTIN, {"from": brand})
    products.claimGtin(GTIN_B, {"from": manufacturer})
    for gtin, number in LOTS:
        sender = brand if gtin == GTIN else manufacturer
        products.registerLot(gtin, number.encode().ljust(20, b"\0"), FAR, b"IT", ZERO32, 0, {"from": sender})
    actors = [
        Actor(str(brand), members["brand"], producer=True),
        Actor(str(manufacturer), members["manufacturer"], producer=True),
        Actor(str(accounts[3]), members["carrier"]),
        Actor(str(accounts[8]), members["retailer"]),
        Actor(str(accounts[13]), suspended, suspended=True),
        Actor(str(accounts[19]), 0),  # an outsider
    ]
    run_machine("custody", CustodyMachine, COUNTER, products, actors, members)

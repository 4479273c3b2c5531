"""Stateful property test of TitleRegistry and DvPSettlement together (a Hypothesis state machine): eBLs issued by
two carriers and moved by random actors (two sellers, two buyers, two banks as funders and pledgees, the carriers, an
outsider, a revoked key, a suspended member, and members suspended and reinstated on the way): holder and
beneficiary transfers, nominations, endorsements, transfers of both, rejections with the right and wrong previous
parties, approvals, surrenders accepted and rejected, pledges and releases, freezes by the issuer, voids,
reassignments on a court order (frozen first, by the issuing carrier; refused to any other); and
delivery-versus-payment settlements over them (several per title, sharing titles): open, fund, deliver, settle,
refund, returnTitle (the title leg alone), with time passing around the deadlines (blocks exactly at the deadline
second, one after, one before). Hostile moves: a seller delivering a title another holder approved, settlements by
outsiders, double settlements, refunds before the deadline, buyers and sellers that are no party any more, terms
naming the settlement or the registry as a party, a buyer rejecting the settlement's (final) transfer, a holder
sending its title to the settlement's address directly (recovered by the carrier: freeze, reassign, unfreeze), and
RACES: a surrender, a transfer or a freeze of
the title and the settlement (or the delivery, or a refund) mined in the SAME block, in either order (Anvil's
automine off, the transactions sent, one ``evm_mine``). A Python model predicts every outcome, down to the custom
error (a transaction refused inside a block is read back from its trace).

Invariants, after every step: every title is the model's (one holder at a time: the model's holder is getTitle's
and the last ERC-721 ``Transfer`` of the title); every settlement's state is the model's; never payment without
title and never title without payment: in every transaction, every payment out of the settlement contract is a
settlement's payment to its seller (with the title to its buyer, holder and beneficiary, in the same transaction)
or a refund to its funder, and every title out of it goes to the buyer of a settlement settled or back to the seller
of one refunded (or returned), in that transaction (or leaves it by the carrier's reassignment); returnTitle never
pays; no settlement was both settled and refunded; every account's token balance is the model's, and the contract
holds exactly the funded, unsettled, unrefunded amounts; every title the contract took over (custody) belongs to
exactly one open settlement it was delivered to (a title it holds otherwise was sent to its address directly); and no
funds are locked: after its deadline every open settlement's payment and (unless frozen) title can be refunded.

The model keeps the registry's custody flag (hidden by getTitle): a title taken over by the settlement leaves it
for good (undo 0), so the buyer's rejection of a settlement is refused (NothingToReject), in a race too.

A title its carrier reassigns (on a court order) out of a settlement is gone from it: the settlement keeps
which title it was delivered (``custody_of``, as the contract's ``_custodyOf``), so it can no longer settle
(NotDelivered), and its refund returns the payment and closes it (``TitleLeftSettlement``), even when the title is
delivered again into another settlement, which alone may then settle with it.

Run length: ``TRADECHAIN_STATEFUL_EXAMPLES`` x ``TRADECHAIN_STATEFUL_STEPS`` (short in ``make test``, longer in
``make bench``, ``python -m bench.invariants titles``); see tests/stateful_support.py, whose fast transactions and
batched views it uses. Skipped under --coverage (too slow there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from brownie import (  # type: ignore[attr-defined]
    DocumentRegistry,
    DvPSettlement,
    InvoiceRegistry,
    MockUSDC,
    TitleRegistry,
)
from eth_abi import encode
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import (
    GAS,
    TALLY,
    Call,
    Counter,
    Fast,
    Outcome,
    Refused,
    admit_suspended,
    batch,
    latest_timestamp,
    rpc,
    run_machine,
    skip_under_coverage,
    sleep,
)

from tradechain.contracts.document_registry import leaf

ZERO = "0x" + "00" * 20
ZERO32 = b"\0" * 32
BILL_OF_LADING = 1
CARRIER, FINANCIER = ROLE["carrier"], ROLE["financier"]
# ITitleRegistry.Status
NONE, ISSUED, PENDING_DELIVERY, PENDING_AMENDMENT, SURRENDERED_DELIVERY, SURRENDERED_AMENDMENT, VOIDED = range(7)
HOLDER, BENEFICIARY, BOTH = 1, 2, 3  # what the last transfer moved (the title's undo)
# IDvPSettlement.Status
S_NONE, S_OPEN, S_SETTLED, S_CLOSED = range(4)
TERMS_TYPE = "(address,address,address,address,uint96,uint40,uint256,uint16,uint32,bytes32,bytes32)"
MAX_TITLES = 10
MAX_SETTLEMENTS = 48  # in an example; at most MAX_LIVE of them open before their deadline
MAX_LIVE = 10
COUNTER = Counter()


def topic(signature: str) -> str:
    return "0x" + keccak(signature.encode()).hex()


TRANSFER = topic("Transfer(address,address,uint256)")  # ERC-20's and ERC-721's (told apart by the emitter)
BENEFICIARY_TRANSFERRED = topic("BeneficiaryTransferred(uint256,address,address)")
SETTLED = topic("Settled(bytes32,address,address,uint96)")
PAYMENT_REFUNDED = topic("PaymentRefunded(bytes32,address,uint96)")
TITLE_RETURNED = topic("TitleReturned(bytes32,address,uint256)")
PAYMENT_DEPOSITED = topic("PaymentDeposited(bytes32,address,uint96)")
TITLE_DEPOSITED = topic("TitleDeposited(bytes32,address,uint256)")

Expected = tuple[str, tuple[Any, ...]] | None
DVP_FUNCTIONS = frozenset({"open", "fund", "deliver", "settle", "refund", "returnTitle"})

# the actors, by index
SELLER1, SELLER2, BUYER1, BUYER2, BANK1, BANK2, CARRIER1, CARRIER2, OUTSIDER, REVOKED, SUSPENDED = range(11)
NAMES: tuple[str, ...] = ("seller1", "seller2", "buyer1", "buyer2", "bank1", "bank2", "carrier1", "carrier2")
NAMES += ("outsider", "revoked", "suspended")
THE_HOLDER, THE_BENEFICIARY = 11, 12  # title rules: the title's holder, its beneficiary
THE_SELLER, THE_BUYER, THE_FUNDER = 11, 12, 13  # settlement rules: the parties of the terms
THE_NOMINEE = 11  # a recipient: the beneficiary's nominee


def address_topic(value: str) -> str:
    return "0x" + value[-40:].lower()


@dataclass
class Title:
    id: int
    doc: bytes  # the transport document's hash
    issuer: int  # the carrier organisation
    holder: str
    beneficiary: str
    status: int = ISSUED
    frozen: bool = False
    undo: int = 0
    pledgee: int = 0
    nominee: str = ZERO
    approved: str = ZERO
    prev: tuple[str, str] = (ZERO, ZERO)  # holder and beneficiary before the last transfer (the rejection tag)
    custody: bool = False  # taken over by the settlement (takeOver): its transfers are final (undo 0)
    custodian: bytes = b""  # the settlement whose delivery took it over (while in custody)

    def view(self) -> tuple[Any, ...]:
        """What getTitle returns."""
        return (
            self.holder,
            self.status,
            self.frozen,
            self.undo,
            self.issuer,
            self.pledgee,
            self.beneficiary,
            self.nominee,
            self.approved,
        )


@dataclass
class Settlement:
    n: int
    terms: tuple[Any, ...]
    id: bytes
    status: int = S_OPEN
    funded: bool = False
    delivered: bool = False

    @property
    def seller(self) -> str:
        return str(self.terms[0])

    @property
    def buyer(self) -> str:
        return str(self.terms[1])

    @property
    def funder(self) -> str:
        return str(self.terms[2])

    @property
    def amount(self) -> int:
        return int(self.terms[4])

    @property
    def deadline(self) -> int:
        return int(self.terms[5])

    @property
    def title(self) -> int:
        return int(self.terms[6])


@dataclass
class Facts:
    """What the chain's receipts showed of a settlement (the transactions' hashes)."""

    settled: list[str] = field(default_factory=list)
    refunded: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Op:
    """A transaction to send and the check of its outcome against the model (which also updates the model): the
    check runs when the transaction's outcome is known, after those mined before it."""

    fast: Fast
    sender: str
    fn: str
    args: tuple[Any, ...]
    check: Callable[[Outcome], None]


def title_id_of(org: int, doc: bytes) -> int:
    return int.from_bytes(keccak(encode(["uint32", "bytes32"], [org, doc])), "big")


def settlement_id_of(terms: tuple[Any, ...]) -> bytes:
    return bytes(keccak(encode([TERMS_TYPE], [terms])))


class TitleMachine:
    which = st.integers(0, 15)
    actor = st.sampled_from([*range(11), THE_HOLDER, THE_HOLDER, THE_HOLDER, THE_HOLDER, THE_BENEFICIARY] * 1)
    recipient = st.sampled_from([SELLER1, SELLER2, BUYER1, BUYER2, BANK1, BANK2, SELLER1, BUYER1, BANK1, CARRIER1])
    whom = st.sampled_from(
        [SELLER1, SELLER2, BUYER1, BUYER2, BANK1, BANK2, CARRIER2, OUTSIDER, REVOKED, SUSPENDED, THE_NOMINEE]
    )
    holder = st.sampled_from([SELLER1, SELLER1, SELLER2, SELLER2, BUYER1, BANK1, CARRIER1, OUTSIDER, REVOKED])
    beneficiary = st.sampled_from([SELLER1, SELLER2, BANK1, BANK2, BUYER2, SUSPENDED, -1, -1, -1])  # -1: the holder
    issuer = st.sampled_from([0, 0, 0, 1, 1, 2, 3])  # carrier1, carrier2, a seller, the outsider
    kind = st.sampled_from([0, 0, 0, 0, 1, 2])
    previous = st.sampled_from([0, 0, 0, 1, 2, 3])  # reject: the right previous parties, or wrong ones
    operator = st.sampled_from(["dvp", "dvp", "dvp", "zero", "bank1", "outsider"])
    pledgee = st.integers(0, 4)
    flag = st.booleans()
    # settlements
    sactor = st.sampled_from([*range(11), THE_SELLER, THE_BUYER, THE_FUNDER] + [THE_SELLER, THE_BUYER, THE_FUNDER] * 2)
    # -1: the title's holder; -2 the settlement contract, -3 the title registry (refused as parties)
    seller = st.sampled_from([-1, -1, -1, -1, SELLER1, SELLER2, BUYER1, REVOKED, -2, -3])
    buyer = st.sampled_from([BUYER1, BUYER1, BUYER2, BUYER2, SELLER1, SUSPENDED, REVOKED])
    funder = st.sampled_from([BANK1, BANK1, BANK2, BANK2, BUYER1, BUYER2, OUTSIDER])
    opener = st.integers(0, 3)  # the funder, the buyer, the seller, the outsider
    amount = st.integers(1, 10**12)
    ttl = st.sampled_from([2, 5, 60, 3_000, 30_000, 30_000])
    offset = st.sampled_from([-1, 0, 0, 1, 1, 2])
    action = st.integers(0, 4)
    race = st.integers(0, 9)
    seconds = st.one_of(*[st.integers(0, 20)] * 4, st.integers(0, 400), st.sampled_from([3_001, 40_000]))
    toggled = st.integers(0, 1)

    def __init__(
        cls,
        titles: Any,
        dvp: Any,
        token: Any,
        docs: Any,
        registry: Any,
        admin: Any,
        actors: list[Any],
        orgs: dict[str, int],
        roles: dict[int, int],
    ) -> None:
        cls.titles, cls.dvp, cls.token = Fast(titles), Fast(dvp), Fast(token)
        cls.docs, cls.registry, cls.admin = Fast(docs), Fast(registry), str(admin)
        cls.actors = [str(a) for a in actors]
        cls.orgs, cls.roles = orgs, roles
        cls.org_count = max(roles)
        cls.contracts = {cls.dvp.address, cls.token.address, cls.titles.address}
        cls.carrier_account = {orgs["carrier1"]: cls.actors[CARRIER1], orgs["carrier2"]: cls.actors[CARRIER2]}
        # the organisations a rule may suspend and reinstate: buyer2's and bank2's
        cls.toggles = [orgs["buyer2"], orgs["bank2"]]
        cls.pledgees = [orgs["bank1"], orgs["bank2"], orgs["seller1"], 0, 999]

    def setup(self) -> None:
        COUNTER.examples += 1
        # the membership: account -> organisation (revoked keys and outsiders have none), suspended organisations
        self.org_of: dict[str, int] = {self.actors[i]: self.orgs[NAMES[i]] for i in range(11) if NAMES[i] in self.orgs}
        self.suspended: set[int] = {self.orgs["suspended"]}
        self.anchored: set[tuple[bytes, int]] = set()  # (document hash, carrier organisation)
        self.serial = 0
        self.titles_: list[Title] = []
        self.by_id: dict[int, Title] = {}
        self.settlements: list[Settlement] = []
        self.by_sid: dict[bytes, Settlement] = {}
        self.facts: dict[bytes, Facts] = {}
        self.last_to: dict[int, str] = {}  # title -> the `to` of its last ERC-721 Transfer
        # settlements whose delivered title the carrier reassigned out of their custody (see the module's finding)
        self.custody_of: dict[int, bytes] = {}  # title -> the settlement it was delivered to (DvP's _custodyOf)
        watched = [*self.actors, self.dvp.address]
        self.balance = dict(zip(watched, self.token.views([("balanceOf", [a]) for a in watched]), strict=True))
        # every example starts with titles and settlements in the interesting states, so short sequences reach them:
        # title 0 (seller1's) in settlement 0, funded and delivered, and in settlement 1 (funded, another buyer);
        # title 1 (seller2's) in settlement 2 (open), and in settlement 3, whose seller is seller1 (not the holder);
        # title 2 issued by carrier2 to seller1 with bank1 as beneficiary; seller2 approved the contract for title 1
        self.rule_issue(0, SELLER1, -1, 0)
        self.rule_issue(0, SELLER2, -1, 0)
        self.rule_issue(1, SELLER1, BANK1, 0)
        self.rule_open(SELLER1, BUYER1, BANK1, 0, 0, 10**9, 3_000)
        self.rule_open(SELLER1, BUYER2, BANK2, 0, 0, 7 * 10**8 + 1, 300)
        self.rule_open(SELLER2, BUYER1, BUYER1, 1, 1, 123_456_789, 3_000)
        self.rule_open(SELLER1, BUYER2, BANK1, 1, 0, 5_555, 30)
        self.rule_fund(0, THE_FUNDER)
        self.rule_fund(1, THE_FUNDER)
        self.rule_approve_and_deliver(0)
        self.rule_approve(1, THE_HOLDER, "dvp")

    # ------------------------------------------------------------------ membership in the model

    def _member_error(self, account: str) -> Expected:
        """The error ParticipantRegistry.activeRoles gives for ``account``, None if it is an active member."""
        org = self.org_of.get(account, 0)
        if org == 0:
            return "UnregisteredAccount", (account,)
        if org in self.suspended:
            return "OrganisationIsSuspended", (org,)
        return None

    def _party(self, account: str) -> bool:
        """TitleRegistry.isParty: an active member's account, or a contract the membership does not know (a
        suspended organisation's account never passes; the model's contracts are the settlement and the token)."""
        err = self._member_error(account)
        return account != ZERO and (err is None or (err[0] == "UnregisteredAccount" and account in self.contracts))

    def _financier(self, org: int) -> bool:
        return 0 < org <= self.org_count and org not in self.suspended and bool(self.roles[org] & FINANCIER)

    # ------------------------------------------------------------------ sending, one by one or in one block

    def _run(self, op: Op) -> Outcome:
        out = op.fast.send(op.sender, op.fn, *op.args)
        op.check(out)
        if out.ok:
            self._observe(out)
        return out

    def _run_block(self, ops: list[Op], timestamp: int | None = None) -> list[Outcome]:
        """Mines ``ops`` in one block (at ``timestamp`` if given), then checks each in the order it was mined."""
        hashes = []
        rpc("evm_setAutomine", [False])
        try:
            for op in ops:
                tx = {"from": op.sender, "to": op.fast.address, "data": op.fast.calldata(op.fn, op.args)}
                reply = rpc("eth_sendTransaction", [{**tx, "gas": hex(GAS)}])
                assert "error" not in reply, reply
                hashes.append(reply["result"])
            if timestamp is not None:
                assert "error" not in rpc("evm_setNextBlockTimestamp", [timestamp])
            assert "error" not in rpc("evm_mine", [])
        finally:
            rpc("evm_setAutomine", [True])
        receipts = [rpc("eth_getTransactionReceipt", [h])["result"] for h in hashes]
        assert len({r["blockNumber"] for r in receipts}) == 1, "the race was not mined in one block"
        block = rpc("eth_getBlockByHash", [receipts[0]["blockHash"], False])["result"]
        stamp = int(block["timestamp"], 16)
        order = sorted(range(len(ops)), key=lambda i: int(receipts[i]["transactionIndex"], 16))
        outs: list[Outcome] = []
        for i in order:
            op, receipt = ops[i], receipts[i]
            if int(receipt["status"], 16) == 1:
                out = Outcome(True, logs=receipt["logs"], timestamp=stamp, fn=op.fn)
            else:
                trace = rpc("debug_traceTransaction", [hashes[i], {"tracer": "callTracer"}])["result"]
                name, args = op.fast.decode_error(trace["output"])
                out = Outcome(False, name, args, timestamp=stamp, fn=op.fn)
            TALLY[f"race {op.fn}: {'ok' if out.ok else out.error}"] += 1
            op.check(out)
            if out.ok:
                self._observe(out)
            outs.append(out)
        return outs

    def _observe(self, out: Outcome) -> None:
        """Reads a mined transaction's logs: the titles' last ERC-721 Transfer, and what went into and out of the
        settlement contract, which must be exactly what its own events of the transaction say (from the chain
        alone: the terms are those the events name)."""
        dvp, titles, token = self.dvp.address.lower(), self.titles.address.lower(), self.token.address.lower()
        money_out: list[tuple[str, int]] = []
        money_in: list[int] = []
        titles_out: list[tuple[int, str]] = []
        titles_in: list[int] = []
        endorsed: list[tuple[int, str, str]] = []
        said_out: list[tuple[str, int]] = []
        said_titles: list[tuple[int, str]] = []
        said_in: list[int] = []
        said_titles_in: list[int] = []
        settled: list[Settlement] = []
        for log in out.logs:
            emitter, topics = log["address"].lower(), log["topics"]
            if emitter == titles and topics[0] == TRANSFER:
                tid, to = int(topics[3], 16), address_topic(topics[2])
                self.last_to[tid] = to
                if address_topic(topics[1]) == dvp:
                    titles_out.append((tid, to))
                if to == dvp:
                    titles_in.append(tid)
            elif emitter == titles and topics[0] == BENEFICIARY_TRANSFERRED:
                endorsed.append((int(topics[1], 16), address_topic(topics[2]), address_topic(topics[3])))
            elif emitter == token and topics[0] == TRANSFER:
                value = int(log["data"], 16)
                if address_topic(topics[1]) == dvp:
                    money_out.append((address_topic(topics[2]), value))
                if address_topic(topics[2]) == dvp:
                    money_in.append(value)
            elif emitter == dvp:
                s = self.by_sid[bytes.fromhex(topics[1][2:])]
                facts = self.facts.setdefault(s.id, Facts())
                tx = str(log["transactionHash"])
                if topics[0] == SETTLED:
                    facts.settled.append(tx)
                    said_out.append((s.seller.lower(), s.amount))
                    said_titles.append((s.title, s.buyer.lower()))
                    settled.append(s)
                elif topics[0] == PAYMENT_REFUNDED:
                    facts.refunded.append(tx)
                    said_out.append((s.funder.lower(), s.amount))
                elif topics[0] == TITLE_RETURNED:
                    facts.returned.append(tx)
                    said_titles.append((s.title, s.seller.lower()))
                elif topics[0] == PAYMENT_DEPOSITED:
                    said_in.append(s.amount)
                elif topics[0] == TITLE_DEPOSITED:
                    said_titles_in.append(s.title)
        where = f"{out.fn} in block at {out.timestamp}"
        for s in settled:  # the buyer is made holder AND beneficiary, in this very transaction
            assert (s.title, dvp, s.buyer.lower()) in endorsed, f"{where}: settlement {s.n}: buyer not endorsed"
        # never payment without title, never title without payment: what left the contract is what its events say
        assert sorted(money_out) == sorted(said_out), f"{where}: paid {money_out}, settled/refunded {said_out}"
        if out.fn != "reassign":  # out of it only by a settlement or a return (or the carrier's court order)
            assert sorted(titles_out) == sorted(said_titles), f"{where}: titles out {titles_out}, said {said_titles}"
        assert sorted(money_in) == sorted(said_in), f"{where}: paid in {money_in}, said {said_in}"
        if out.fn == "returnTitle":  # the title leg alone: never a payment
            assert money_out == [], f"{where}: returnTitle paid {money_out}"
        if out.fn in DVP_FUNCTIONS:  # by the contract's own calls, titles come in only by a delivery (a holder may
            # still send one to its address directly: a registry call, the carrier's to recover by a reassignment)
            assert sorted(titles_in) == sorted(said_titles_in), f"{where}: titles in {titles_in}, {said_titles_in}"

    # ------------------------------------------------------------------ picking

    def _title(self, which: int) -> Title | None:
        return self.titles_[which % len(self.titles_)] if self.titles_ else None

    def _settlement(self, which: int) -> Settlement | None:
        return self.settlements[which % len(self.settlements)] if self.settlements else None

    def _account(self, index: int) -> str:
        return self.actors[index]

    def _acting(self, address: str) -> str:
        """An account that can sign: ``address``, unless it is zero or a contract (then seller1)."""
        return self.actors[SELLER1] if address == ZERO or address in self.contracts else address

    def _title_sender(self, t: Title, actor: int) -> str:
        if actor == THE_HOLDER:
            return self._acting(t.holder)
        if actor == THE_BENEFICIARY:
            return self._acting(t.beneficiary)
        return self.actors[actor]

    def _settlement_sender(self, s: Settlement, actor: int) -> str:
        if actor in (THE_SELLER, THE_BUYER, THE_FUNDER):
            return str(s.terms[actor - THE_SELLER])
        return self.actors[actor]

    def _target(self, t: Title, recipient: int) -> str:
        return t.nominee if recipient == THE_NOMINEE else self.actors[recipient]

    # ------------------------------------------------------------------ title predictions

    def _movable(self, t: Title) -> Expected:
        if t.status != ISSUED:
            return "InvalidStatus", (t.id, t.status)
        if t.frozen:
            return "TitleFrozen", (t.id,)
        return None

    def _by_holder(self, t: Title, sender: str) -> Expected:
        if err := self._movable(t):
            return err
        if sender != t.holder:
            return "UnauthorizedParty", (t.id, sender, "holder")
        if t.pledgee:
            return "TitlePledged", (t.id, t.pledgee)
        if not self._party(sender):
            return "InvalidParty", (sender,)
        return None

    def _endorsable(self, t: Title, to: str) -> Expected:
        if t.holder != t.beneficiary and (t.nominee == ZERO or to != t.nominee):
            return "NotNominated", (t.id, t.beneficiary)
        if not self._party(to):
            return "InvalidParty", (to,)
        return None

    def _by_issuer(self, t: Title, sender: str) -> Expected:
        if err := self._member_error(sender):
            return err
        if self.org_of[sender] != t.issuer:
            return "UnauthorizedParty", (t.id, sender, "issuer")
        return None

    def _unfrozen_by_issuer(self, t: Title, sender: str) -> Expected:
        if err := self._by_issuer(t, sender):
            return err
        if t.frozen:
            return "TitleFrozen", (t.id,)
        return None

    def _move_both(self, t: Title, holder_to: str, beneficiary_to: str, custody: bool = False) -> None:
        """transferOwners (custody False) or takeOver (True): a custodian's transfer is final (undo 0)."""
        t.prev = (t.holder, t.beneficiary)
        t.approved = t.nominee = ZERO
        undo = BOTH if custody or not t.custody else 0
        t.holder, t.beneficiary, t.undo, t.custody = holder_to, beneficiary_to, undo, custody

    @staticmethod
    def _assert(out: Outcome, expected: Expected, *context: Any) -> None:
        assert out.refused() == expected, (out, expected, *context)

    # ------------------------------------------------------------------ title operations

    def _op_issue(self, sender: str, doc: bytes, root: bytes, holder: str, beneficiary: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._member_error(sender)
            org = self.org_of.get(sender, 0)
            tid = title_id_of(org, doc)
            if expected is None and not self.roles[org] & CARRIER:
                expected = "UnauthorizedIssuer", (sender,)
            elif expected is None and tid in self.by_id:
                expected = "TitleAlreadyIssued", (tid,)
            elif expected is None and ((doc, org) not in self.anchored or root != leaf(doc, BILL_OF_LADING, ZERO32)):
                expected = "UnprovenDocument", (doc, org)
            elif expected is None and not self._party(holder):
                expected = "InvalidParty", (holder,)
            elif expected is None and beneficiary != holder and not self._party(beneficiary):
                expected = "InvalidParty", (beneficiary,)
            self._assert(out, expected)
            if out.ok:
                t = Title(tid, doc, org, holder, beneficiary)
                self.titles_.append(t)
                self.by_id[tid] = t

        issuance: tuple[Any, ...] = (doc, ZERO32, root, [], holder, beneficiary)
        return Op(self.titles, sender, "issue", (issuance,), check)

    def _op_transfer_holder(self, t: Title, sender: str, to: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender) or (None if self._party(to) else ("InvalidParty", (to,)))
            self._assert(out, expected)
            if out.ok:
                t.prev, t.approved = (t.holder, t.beneficiary), ZERO
                t.holder, t.undo, t.custody = to, 0 if t.custody else HOLDER, False

        return Op(self.titles, sender, "transferHolder", (t.id, to, ZERO32), check)

    def _op_transfer_beneficiary(self, t: Title, sender: str, to: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender) or self._endorsable(t, to)
            self._assert(out, expected)
            if out.ok:
                t.prev, t.approved, t.nominee = (t.holder, t.beneficiary), ZERO, ZERO
                t.beneficiary, t.undo = to, 0 if t.custody else BENEFICIARY  # custody stays (the holder is unchanged)

        return Op(self.titles, sender, "transferBeneficiary", (t.id, to, ZERO32), check)

    def _op_transfer_owners(self, t: Title, sender: str, holder_to: str, beneficiary_to: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender) or self._endorsable(t, beneficiary_to)
            if expected is None and holder_to != beneficiary_to and not self._party(holder_to):
                expected = "InvalidParty", (holder_to,)
            self._assert(out, expected)
            if out.ok:
                self._move_both(t, holder_to, beneficiary_to)

        return Op(self.titles, sender, "transferOwners", (t.id, holder_to, beneficiary_to, ZERO32), check)

    def _reject_expected(self, t: Title, sender: str, previous: tuple[str, str]) -> Expected:
        """TitleRegistry.reject(t, *previous) by ``sender`` (also the settlement's own, in refund and returnTitle)."""
        expected = self._movable(t)
        what = t.undo
        if expected is None and (what == 0 or previous != t.prev):
            expected = "NothingToReject", (t.id,)
        if expected is None and (
            (what & HOLDER and sender != t.holder) or (what & BENEFICIARY and sender != t.beneficiary)
        ):
            expected = (
                "UnauthorizedParty",
                (t.id, sender, "holder and beneficiary" if what == BOTH else "recipient"),
            )
        if expected is None and not self._party(sender):
            expected = "InvalidParty", (sender,)
        return expected

    def _rejected(self, t: Title, previous: tuple[str, str]) -> None:
        """The model of a rejection that went through."""
        what = t.undo
        if what & HOLDER:
            t.holder = previous[0]
        if what & BENEFICIARY:
            t.beneficiary, t.nominee = previous[1], ZERO
        t.approved, t.undo, t.custody = ZERO, 0, False

    def _op_reject(self, t: Title, sender: str, previous: tuple[str, str]) -> Op:
        def check(out: Outcome) -> None:
            self._assert(out, self._reject_expected(t, sender, previous), t.prev)
            if out.ok:
                self._rejected(t, previous)

        return Op(self.titles, sender, "reject", (t.id, *previous, ZERO32), check)

    def _op_nominate(self, t: Title, sender: str, nominee: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._movable(t)
            if expected is None and sender != t.beneficiary:
                expected = "UnauthorizedParty", (t.id, sender, "beneficiary")
            elif expected is None and not self._party(sender):
                expected = "InvalidParty", (sender,)
            elif expected is None and nominee != ZERO and not self._party(nominee):
                expected = "InvalidParty", (nominee,)
            self._assert(out, expected)
            if out.ok:
                if t.undo & BENEFICIARY:
                    t.undo = 0  # the beneficiary accepted its endorsement
                t.nominee = nominee

        return Op(self.titles, sender, "nominate", (t.id, nominee, ZERO32), check)

    def _op_approve(self, t: Title, sender: str, operator: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender)
            if expected is None and t.beneficiary != t.holder:
                expected = "UnauthorizedParty", (t.id, sender, "holder and beneficiary")
            elif expected is None and operator != ZERO and not self._party(operator):
                expected = "InvalidParty", (operator,)
            self._assert(out, expected)
            if out.ok:
                t.undo, t.approved = 0, operator

        return Op(self.titles, sender, "approve", (operator, t.id), check)

    def _op_surrender(self, t: Title, sender: str, amendment: bool) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender)
            if expected is None and t.beneficiary != sender:
                expected = "UnauthorizedParty", (t.id, sender, "holder and beneficiary")
            self._assert(out, expected)
            if out.ok:
                t.approved, t.undo = ZERO, 0
                t.status = PENDING_AMENDMENT if amendment else PENDING_DELIVERY

        return Op(self.titles, sender, "surrender", (t.id, amendment, ZERO32), check)

    def _op_answer_surrender(self, t: Title, sender: str, accept: bool) -> Op:
        def check(out: Outcome) -> None:
            expected = self._unfrozen_by_issuer(t, sender)
            if expected is None and t.status not in (PENDING_DELIVERY, PENDING_AMENDMENT):
                expected = "InvalidStatus", (t.id, t.status)
            self._assert(out, expected)
            if out.ok and accept:
                t.status = SURRENDERED_AMENDMENT if t.status == PENDING_AMENDMENT else SURRENDERED_DELIVERY
                t.holder = ZERO
            elif out.ok:
                t.status = ISSUED

        fn = "acceptSurrender" if accept else "rejectSurrender"
        return Op(self.titles, sender, fn, (t.id, ZERO32), check)

    def _op_void(self, t: Title, sender: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._unfrozen_by_issuer(t, sender)
            if expected is None and t.status != ISSUED:
                expected = "InvalidStatus", (t.id, t.status)
            elif expected is None and t.pledgee:
                expected = "TitlePledged", (t.id, t.pledgee)
            elif expected is None and (
                self.org_of.get(t.holder) != t.issuer or self.org_of.get(t.beneficiary) != t.issuer
            ):
                expected = "UnauthorizedParty", (t.id, t.holder, "issuer's own account as holder and beneficiary")
            self._assert(out, expected)
            if out.ok:
                t.approved, t.status, t.holder, t.undo = ZERO, VOIDED, ZERO, 0

        return Op(self.titles, sender, "voidTitle", (t.id, ZERO32), check)

    def _op_pledge(self, t: Title, sender: str, pledgee: int) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_holder(t, sender)
            if expected is None and not self._financier(pledgee):
                expected = "InvalidPledgee", (pledgee,)
            self._assert(out, expected)
            if out.ok:
                t.approved, t.pledgee, t.undo = ZERO, pledgee, 0

        return Op(self.titles, sender, "pledge", (t.id, pledgee), check)

    def _op_release_pledge(self, t: Title, sender: str) -> Op:
        def check(out: Outcome) -> None:
            expected: Expected = None
            if not t.pledgee:
                expected = "NotPledged", (t.id,)
            elif err := self._member_error(sender):
                expected = err
            elif self.org_of[sender] != t.pledgee:
                expected = "UnauthorizedParty", (t.id, sender, "pledgee")
            self._assert(out, expected)
            if out.ok:
                t.pledgee = 0

        return Op(self.titles, sender, "releasePledge", (t.id,), check)

    def _op_freeze(self, t: Title, sender: str, frozen: bool) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_issuer(t, sender)
            if expected is None and t.status >= SURRENDERED_DELIVERY:
                expected = "InvalidStatus", (t.id, t.status)
            elif expected is None and frozen == t.frozen:
                expected = ("TitleFrozen", (t.id,)) if frozen else ("NotFrozen", (t.id,))
            self._assert(out, expected)
            if out.ok:
                t.frozen = frozen

        return Op(self.titles, sender, "setFrozen", (t.id, frozen, keccak(b"court order")), check)

    def _leaves_custody(self, t: Title, by: Settlement | None) -> None:
        """The title leaves the settlement contract, by settlement ``by`` (None: the carrier's reassignment). If it
        was in the custody of another settlement, that one stays delivered without it (the module's finding)."""
        if t.custody and t.custodian and (by is None or by.id != t.custodian):
            TALLY[f"a delivered title left by {'reassign' if by is None else 'another settlement'}"] += 1
        t.custodian = b""

    def _op_reassign(self, t: Title, sender: str, holder: str, beneficiary: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._by_issuer(t, sender)
            if expected is None and not t.frozen:
                expected = "NotFrozen", (t.id,)
            elif expected is None and t.status != ISSUED:
                expected = "InvalidStatus", (t.id, t.status)
            elif expected is None and not self._party(holder):
                expected = "InvalidParty", (holder,)
            elif expected is None and beneficiary != holder and not self._party(beneficiary):
                expected = "InvalidParty", (beneficiary,)
            self._assert(out, expected)
            if not out.ok:
                return
            self._leaves_custody(t, None)
            t.holder, t.beneficiary, t.prev = holder, beneficiary, (ZERO, ZERO)
            t.approved, t.nominee, t.undo, t.pledgee, t.custody = ZERO, ZERO, 0, 0, False

        return Op(self.titles, sender, "reassign", (t.id, holder, beneficiary, keccak(b"court order")), check)

    # ------------------------------------------------------------------ settlement operations

    def _before_deadline(self, s: Settlement, timestamp: int) -> Expected:
        if s.status != S_OPEN:
            return "SettlementNotOpen", (s.id, s.status)
        if timestamp > s.deadline:
            return "DeadlinePassed", (s.id, s.deadline)
        return None

    def _acts_for(self, s: Settlement, sender: str, role: str) -> Expected:
        parties = {"funder": (s.funder,), "seller": (s.seller,), "seller, buyer or funder": s.terms[:3]}[role]
        if sender not in parties:
            return "UnauthorizedParty", (s.id, sender, role)
        if not self._party(sender):
            return "UnauthorizedParty", (s.id, sender, "active member")
        return None

    def _op_open(self, terms: tuple[Any, ...], sender: str) -> Op:
        sid = settlement_id_of(terms)

        def check(out: Outcome) -> None:
            seller, buyer, funder, _, _, deadline, tid = terms[:7]
            expected: Expected = None
            t = self.by_id.get(tid)
            if sender not in (buyer, funder):
                expected = "UnauthorizedParty", (sid, sender, "buyer or funder")
            elif not self._party(sender):
                expected = "UnauthorizedParty", (sid, sender, "active member")
            elif seller == buyer:
                expected = "InvalidTerms", ("the seller is the buyer",)
            elif self.dvp.address in (seller, buyer, funder) or self.titles.address in (seller, buyer):
                expected = "InvalidTerms", ("a party is this contract or the title registry",)
            elif deadline <= out.timestamp:
                expected = "InvalidTerms", ("deadline is not in the future",)
            elif t is None or t.status != ISSUED:
                expected = "InvalidTerms", ("the title is not issued",)
            elif not self._party(buyer):
                expected = "InvalidTerms", ("the buyer is no active member's account or contract",)
            elif sid in self.by_sid:
                expected = "SettlementExists", (sid,)
            self._assert(out, expected)
            if out.ok:
                s = Settlement(len(self.settlements), terms, sid)
                self.settlements.append(s)
                self.by_sid[sid] = s

        return Op(self.dvp, sender, "open", (terms,), check)

    def _op_fund(self, s: Settlement, sender: str) -> Op:
        def check(out: Outcome) -> None:
            expected = self._before_deadline(s, out.timestamp) or self._acts_for(s, sender, "funder")
            if expected is None and s.funded:
                expected = "AlreadyFunded", (s.id,)
            self._assert(out, expected)
            if out.ok:
                s.funded = True
                self.balance[s.funder] -= s.amount
                self.balance[self.dvp.address] += s.amount

        return Op(self.dvp, sender, "fund", (s.terms,), check)

    def _op_deliver(self, s: Settlement, sender: str) -> Op:
        def check(out: Outcome) -> None:
            t = self.by_id[s.title]
            expected = self._before_deadline(s, out.timestamp) or self._acts_for(s, sender, "seller")
            if expected is None and s.delivered:
                expected = "AlreadyDelivered", (s.id,)
            # TitleRegistry.takeOver(title, seller) by the settlement contract
            if expected is None:
                expected = self._movable(t)
            if expected is None and t.approved != self.dvp.address:
                expected = "UnauthorizedParty", (t.id, self.dvp.address, "approved operator")
            elif expected is None and (t.holder != s.seller or t.beneficiary != s.seller):
                expected = "UnauthorizedParty", (t.id, s.seller, "holder and beneficiary")
            self._assert(out, expected, f"settlement {s.n}")
            if out.ok:
                s.delivered = True
                self._move_both(t, self.dvp.address, self.dvp.address, custody=True)
                t.custodian = s.id
                self.custody_of[t.id] = s.id

        return Op(self.dvp, sender, "deliver", (s.terms,), check)

    def _op_settle(self, s: Settlement, sender: str) -> Op:
        def check(out: Outcome) -> None:
            t = self.by_id[s.title]
            expected = self._before_deadline(s, out.timestamp) or self._acts_for(s, sender, "seller, buyer or funder")
            if expected is None and not s.funded:
                expected = "NotFunded", (s.id,)
            elif expected is None and (not s.delivered or self.custody_of.get(t.id) != s.id):
                expected = "NotDelivered", (s.id,)
            elif expected is None and not self._party(s.seller):  # a seller revoked or suspended since is not paid
                expected = "UnauthorizedParty", (s.id, s.seller, "active seller")
                TALLY["settle: UnauthorizedParty (active seller)"] += 1
            # TitleRegistry.transferOwners(title, buyer, buyer) by the settlement contract, its holder
            elif expected is None:
                expected = self._by_holder(t, self.dvp.address) or self._endorsable(t, s.buyer)
            self._assert(out, expected, f"settlement {s.n}")
            if out.ok:
                self._leaves_custody(t, s)
                self.custody_of.pop(t.id, None)
                s.status, s.funded, s.delivered = S_SETTLED, False, False
                self._move_both(t, s.buyer, s.buyer)
                self.balance[self.dvp.address] -= s.amount
                self.balance[s.seller] += s.amount

        return Op(self.dvp, sender, "settle", (s.terms, []), check)

    def _refund_expected(self, s: Settlement, sender: str, timestamp: int) -> Expected:
        if s.status != S_OPEN:
            return "SettlementNotOpen", (s.id, s.status)
        if sender not in s.terms[:3]:  # no membership needed: a revoked seller still gets its title back
            return "UnauthorizedParty", (s.id, sender, "seller, buyer or funder")
        if timestamp <= s.deadline:
            return "DeadlineNotPassed", (s.id, s.deadline)
        leg = self._title_leg(s)
        if not s.funded and leg == "keep":
            return "NothingToRefund", (s.id,)
        return None

    def _title_leg(self, s: Settlement) -> str:
        """DvPSettlement._titleLeg: keep (not in, or frozen), return (held here for it), gone (reassigned away)."""
        t = self.by_id[s.title]
        if not s.delivered:
            return "keep"
        if self.custody_of.get(t.id) != s.id or t.holder != self.dvp.address:
            return "gone"
        if t.frozen:
            return "keep"
        # the contract rejects its take-over; a refusal (reassigned away and back otherwise) means gone, too
        return "return" if self._reject_expected(t, self.dvp.address, (s.seller, s.seller)) is None else "gone"

    def _release(self, s: Settlement) -> None:
        s.delivered = False
        if self.custody_of.get(s.title) == s.id:
            del self.custody_of[s.title]

    def _op_refund(self, s: Settlement, sender: str) -> Op:
        def check(out: Outcome) -> None:
            t = self.by_id[s.title]
            self._assert(out, self._refund_expected(s, sender, out.timestamp), f"settlement {s.n}")
            if not out.ok:
                return
            leg = self._title_leg(s)
            if s.funded:
                s.funded = False
                self.balance[self.dvp.address] -= s.amount
                self.balance[s.funder] += s.amount
            if leg == "gone":
                self._release(s)
                TALLY["refund: TitleLeftSettlement"] += 1
            elif leg == "return":  # TitleRegistry.reject(title, seller, seller) by the contract
                self._release(s)
                self._leaves_custody(t, s)
                self._rejected(t, (s.seller, s.seller))
            if not s.funded and not s.delivered:
                s.status = S_CLOSED

        return Op(self.dvp, sender, "refund", (s.terms,), check)

    def _op_return_title(self, s: Settlement, sender: str) -> Op:
        """DvPSettlement.returnTitle: after the deadline, the title leg alone (never a payment)."""

        def check(out: Outcome) -> None:
            t = self.by_id[s.title]
            expected: Expected = None
            if s.status != S_OPEN:
                expected = "SettlementNotOpen", (s.id, s.status)
            elif sender not in s.terms[:3]:
                expected = "UnauthorizedParty", (s.id, sender, "seller, buyer or funder")
            elif out.timestamp <= s.deadline:
                expected = "DeadlineNotPassed", (s.id, s.deadline)
            elif not s.delivered:
                expected = "NotDelivered", (s.id,)
            elif self._title_leg(s) == "keep":  # frozen: it stays until its carrier unfreezes it
                expected = "TitleFrozen", (t.id,)
            self._assert(out, expected, f"settlement {s.n}")
            if out.ok:
                gone = self._title_leg(s) == "gone"
                self._release(s)
                if not gone:
                    self._leaves_custody(t, s)
                    self._rejected(t, (s.seller, s.seller))
                if not s.funded:
                    s.status = S_CLOSED

        return Op(self.dvp, sender, "returnTitle", (s.terms,), check)

    # ------------------------------------------------------------------ rules: titles

    def rule_issue(self, issuer: int, holder: int, beneficiary: int, kind: int) -> None:
        """A carrier (or a seller, or the outsider) issues an eBL to a holder and beneficiary: of a document it
        anchored just now (kind 0), of a title's document again (1), or of the other carrier's document (2)."""
        if len(self.titles_) >= MAX_TITLES:
            return
        sender = self.actors[[CARRIER1, CARRIER2, SELLER1, OUTSIDER][issuer]]
        org = self.org_of.get(sender, 0)
        existing = [t for t in self.titles_]
        if kind == 0 or not existing:
            self.serial += 1
            doc = keccak(f"transport document {self.serial}".encode())
            if org and self._member_error(sender) is None:  # any active member may anchor; only carriers prove a BL
                out = self.docs.send(sender, "anchor", leaf(doc, BILL_OF_LADING, ZERO32), 1)
                assert out.ok, out
                self.anchored.add((doc, org))
        else:
            t = existing[(holder + beneficiary) % len(existing)]
            doc = t.doc
            if kind == 2:  # issued by the other carrier: unproven for this one
                sender = self.carrier_account[
                    self.orgs["carrier2"] if t.issuer == self.orgs["carrier1"] else self.orgs["carrier1"]
                ]
            else:
                sender = self.carrier_account[t.issuer]
        holder_account = self.actors[holder]
        beneficiary_account = holder_account if beneficiary < 0 else self.actors[beneficiary]
        root = leaf(doc, BILL_OF_LADING, ZERO32)
        self._run(self._op_issue(sender, doc, root, holder_account, beneficiary_account))

    def rule_transfer_holder(self, which: int, actor: int, whom: int) -> None:
        if t := self._title(which):
            self._run(self._op_transfer_holder(t, self._title_sender(t, actor), self._target(t, whom)))

    def rule_transfer_holder_by_holder(self, which: int, recipient: int) -> None:
        self.rule_transfer_holder(which, THE_HOLDER, recipient)

    def rule_transfer_beneficiary(self, which: int, actor: int, whom: int) -> None:
        if t := self._title(which):
            self._run(self._op_transfer_beneficiary(t, self._title_sender(t, actor), self._target(t, whom)))

    def rule_endorse_to_nominee(self, which: int) -> None:
        self.rule_transfer_beneficiary(which, THE_HOLDER, THE_NOMINEE)

    def rule_transfer_owners(self, which: int, actor: int, recipient: int, whom: int) -> None:
        if t := self._title(which):
            sender = self._title_sender(t, actor)
            self._run(self._op_transfer_owners(t, sender, self.actors[recipient], self._target(t, whom)))

    def rule_transfer_owners_by_holder(self, which: int, recipient: int) -> None:
        if t := self._title(which):
            to = self.actors[recipient]
            self._run(self._op_transfer_owners(t, self._title_sender(t, THE_HOLDER), to, to))

    def rule_nominate(self, which: int, actor: int, whom: int, flag: bool) -> None:
        if t := self._title(which):
            nominee = ZERO if flag and whom == THE_NOMINEE else self._target(t, whom)
            sender = self._title_sender(t, THE_BENEFICIARY if actor == THE_HOLDER else actor)
            self._run(self._op_nominate(t, sender, nominee))

    def rule_reject(self, which: int, actor: int, previous: int) -> None:
        """The recipient of the last transfer (or anyone) rejects it, naming the right previous parties (0) or
        wrong ones: swapped, the sender twice, or the right holder with the sender as beneficiary."""
        t = self._title(which)
        if t is None:
            return
        sender = self._title_sender(t, actor)
        right = t.prev
        names = [right, (right[1], right[0]), (sender, sender), (right[0], sender)][previous]
        self._run(self._op_reject(t, sender, names))

    def rule_approve(self, which: int, actor: int, operator: str) -> None:
        if t := self._title(which):
            to = {"dvp": self.dvp.address, "zero": ZERO, "bank1": self.actors[BANK1], "outsider": self.actors[OUTSIDER]}
            self._run(self._op_approve(t, self._title_sender(t, actor), to[operator]))

    def rule_surrender(self, which: int, actor: int, flag: bool) -> None:
        if t := self._title(which):
            self._run(self._op_surrender(t, self._title_sender(t, actor), flag))

    def rule_answer_surrender(self, which: int, issuer: int, flag: bool) -> None:
        """The issuing carrier (or another carrier, a seller, the outsider) accepts or rejects a surrender."""
        if t := self._title(which):
            sender = self._issuer_sender(t, issuer)
            self._run(self._op_answer_surrender(t, sender, flag))

    def _issuer_sender(self, t: Title, issuer: int) -> str:
        """0 and 1: the title's own carrier; 2: the other carrier; 3: a seller; otherwise the outsider."""
        own = self.carrier_account[t.issuer]
        other = self.actors[CARRIER2] if own == self.actors[CARRIER1] else self.actors[CARRIER1]
        return [own, own, other, self.actors[SELLER1]][issuer] if issuer < 4 else self.actors[OUTSIDER]

    def rule_void(self, which: int, issuer: int) -> None:
        if t := self._title(which):
            self._run(self._op_void(t, self._issuer_sender(t, issuer)))

    def rule_pledge(self, which: int, actor: int, pledgee: int) -> None:
        if t := self._title(which):
            self._run(self._op_pledge(t, self._title_sender(t, actor), self.pledgees[pledgee]))

    def rule_release_pledge(self, which: int, actor: int) -> None:
        """By the pledgee's account (actor the holder), or by whoever ``actor`` is."""
        t = self._title(which)
        if t is None:
            return
        pledgee_account = {self.orgs["bank1"]: self.actors[BANK1], self.orgs["bank2"]: self.actors[BANK2]}
        sender = (
            pledgee_account.get(t.pledgee, self.actors[BANK1]) if actor == THE_HOLDER else self._title_sender(t, actor)
        )
        self._run(self._op_release_pledge(t, sender))

    def rule_freeze(self, which: int, issuer: int, flag: bool) -> None:
        """The issuer (or another) freezes (``flag``) or unfreezes a title, refused if it is in that state already;
        never a second freeze, so that titles are frozen a third of the time at most."""
        if t := self._title(which):
            self._run(self._op_freeze(t, self._issuer_sender(t, issuer), (not t.frozen) and flag))

    def rule_suspend_or_reinstate(self, toggled: int) -> None:
        org = self.toggles[toggled]
        if org in self.suspended:
            out = self.registry.send(self.admin, "reinstate", org)
            self.suspended.discard(org)
        else:
            out = self.registry.send(self.admin, "suspend", org, ZERO32)
            self.suspended.add(org)
        assert out.ok, out

    # ------------------------------------------------------------------ rules: settlements

    def rule_open(self, seller: int, buyer: int, funder: int, which: int, opener: int, amount: int, ttl: int) -> None:
        now = latest_timestamp()
        live = sum(1 for s in self.settlements if s.status == S_OPEN and s.deadline >= now)
        if len(self.settlements) >= MAX_SETTLEMENTS or live >= MAX_LIVE:
            return
        t = self._title(which)
        tid = t.id if t else 1
        deadline = now + ttl
        salt = len(self.settlements).to_bytes(32, "big")
        seller_account = self._acting(t.holder) if t and seller == -1 else self.actors[max(seller, 0)]
        if seller < -1:
            seller_account = self.dvp.address if seller == -2 else self.titles.address
        parties = (seller_account, self.actors[buyer], self.actors[funder])
        terms = (*parties, self.token.address, amount, deadline, tid, 0, 0, ZERO32, salt)
        sender = self._acting([parties[2], parties[1], parties[0], self.actors[OUTSIDER]][opener])
        self._run(self._op_open(terms, sender))

    def rule_open_again(self, which: int, opener: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_open(s.terms, [s.funder, s.buyer, s.seller, self.actors[OUTSIDER]][opener]))

    def rule_fund(self, which: int, sactor: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_fund(s, self._settlement_sender(s, sactor)))

    def rule_deliver(self, which: int, sactor: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_deliver(s, self._settlement_sender(s, sactor)))

    def rule_approve_and_deliver(self, which: int) -> None:
        """The settlement's seller approves the contract for the title and delivers it."""
        if s := self._settlement(which):
            t = self.by_id[s.title]
            self._run(self._op_approve(t, s.seller, self.dvp.address))
            self._run(self._op_deliver(s, s.seller))

    def rule_deliver_title_approved_by_its_holder(self, which: int) -> None:
        """HOSTILE: the title's holder approved the contract (for a settlement of its own); the seller of this
        settlement, another party, delivers: the registry refuses, the title stays with its holder."""
        if s := self._settlement(which):
            t = self.by_id[s.title]
            self._run(self._op_approve(t, self._acting(t.holder), self.dvp.address))
            self._run(self._op_deliver(s, s.seller))

    def rule_fund_deliver_settle(self, which: int, sactor: int) -> None:
        """The honest path: the funder pays in, the seller approves and delivers, a party (or another) settles."""
        if s := self._settlement(which):
            self._run(self._op_fund(s, s.funder))
            self._run(self._op_approve(self.by_id[s.title], s.seller, self.dvp.address))
            self._run(self._op_deliver(s, s.seller))
            self._run(self._op_settle(s, self._settlement_sender(s, THE_SELLER + sactor % 3)))

    def rule_settle_ready(self, which: int, sactor: int) -> None:
        """A party settles one of the settlements that are funded and delivered (if any)."""
        ready = [s for s in self.settlements if s.status == S_OPEN and s.funded and s.delivered]
        if ready:
            s = ready[which % len(ready)]
            self._run(self._op_settle(s, self._settlement_sender(s, THE_SELLER + sactor % 3)))

    def rule_settle(self, which: int, sactor: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_settle(s, self._settlement_sender(s, sactor)))

    def rule_double_settle(self, which: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_settle(s, s.funder))
            self._run(self._op_settle(s, s.buyer))

    def rule_refund(self, which: int, sactor: int) -> None:
        if s := self._settlement(which):
            self._run(self._op_refund(s, self._settlement_sender(s, sactor)))

    def rule_return_title(self, which: int, sactor: int) -> None:
        """The title leg of a refund alone (after the deadline, never a payment)."""
        if s := self._settlement(which):
            self._run(self._op_return_title(s, self._settlement_sender(s, sactor)))

    def rule_reassign(self, which: int, issuer: int, holder: int, beneficiary: int, flag: bool) -> None:
        """The issuing carrier (or another carrier, a seller, the outsider: refused) reassigns a title on a court
        order: frozen first if ``flag`` (by its carrier), unfrozen after it went through if ``flag``."""
        t = self._title(which)
        if t is None:
            return
        carrier = self.carrier_account[t.issuer]
        if flag and not t.frozen and t.status == ISSUED:
            self._run(self._op_freeze(t, carrier, True))
        holder_account = self.actors[holder]
        beneficiary_account = holder_account if beneficiary < 0 else self.actors[beneficiary]
        out = self._run(self._op_reassign(t, self._issuer_sender(t, issuer), holder_account, beneficiary_account))
        if flag and out.ok:
            self._run(self._op_freeze(t, carrier, False))

    def rule_send_to_settlement(self, which: int) -> None:
        """A holder sends its title to the settlement's address directly (no delivery): the carrier recovers it
        (see :meth:`rule_recover_sent`)."""
        if t := self._title(which):
            sender = self._title_sender(t, THE_HOLDER)
            if t.holder == t.beneficiary:
                self._run(self._op_transfer_owners(t, sender, self.dvp.address, self.dvp.address))
            else:
                self._run(self._op_transfer_holder(t, sender, self.dvp.address))

    def rule_recover_sent(self, which: int, holder: int) -> None:
        """The carrier recovers a title sent to the settlement directly: freeze, reassign, unfreeze."""
        sent = [t for t in self.titles_ if t.holder == self.dvp.address and not t.custody]
        if sent:
            t = sent[which % len(sent)]
            self.rule_reassign(self.titles_.index(t), 0, holder, -1, True)

    def rule_buyer_rejects_settlement(self, which: int) -> None:
        """The buyer tries to reject the transfer a settlement made to it: refused (a custodian's transfer is
        final), as the model's reject predicts (NothingToReject)."""
        s = self._settlement(which)
        if s is None or s.status != S_SETTLED:
            return
        t = self.by_id[s.title]
        self._run(self._op_reject(t, s.buyer, (self.dvp.address, self.dvp.address)))

    def rule_at_deadline(self, which: int, offset: int, action: int, sactor: int) -> None:
        """Fund, deliver, settle or refund in a block at the deadline plus ``offset`` seconds (-1, 0, 1, 2)."""
        s = self._settlement(which)
        if s is None:
            return
        at = s.deadline + offset
        if latest_timestamp() < at <= latest_timestamp() + 3_600:  # not a jump of hours: other deadlines would pass
            assert "error" not in rpc("evm_setNextBlockTimestamp", [at])
        sender = self._settlement_sender(s, sactor)
        ops = [self._op_fund, self._op_deliver, self._op_settle, self._op_refund, self._op_return_title]
        op = ops[action](s, sender)
        self._run(op)

    def rule_sleep(self, seconds: int) -> None:
        sleep(seconds)

    def rule_race(self, which: int, race: int, flag: bool, offset: int) -> None:
        """Two or three transactions in ONE block, in either order (``flag`` swaps them), now or at the
        deadline plus ``offset``: the settlement against a surrender, a transfer, a freeze of its title, a second
        settlement, a refund or the buyer's rejection; the delivery against the seller's transfer or surrender."""
        # mostly a settlement the race can settle (funded and delivered), or deliver (its seller holds the title)
        live = [s for s in self.settlements if s.status == S_OPEN and s.deadline >= latest_timestamp()]
        live = [s for s in live if s.delivered or self.by_id[s.title].holder == s.seller]
        if not live and which % 4:  # a new settlement of a title its holder and beneficiary can sell
            sellable = [
                i
                for i, t in enumerate(self.titles_)
                if t.status == ISSUED and not t.frozen and not t.pledgee and t.holder == t.beneficiary
                if t.holder in self.actors[: BANK2 + 1] and self._party(t.holder)
            ]
            if sellable:
                i = sellable[which % len(sellable)]
                buyer = BUYER2 if self.titles_[i].holder == self.actors[BUYER1] else BUYER1
                before = len(self.settlements)
                self.rule_open(-1, buyer, BANK1 + which % 2, i, 0, 10**6 + which, 3_000)
                live = self.settlements[before:]
        s = live[which % len(live)] if live and which % 4 else self._settlement(which)
        if s is None:
            return
        t = self.by_id[s.title]
        if race not in (4, 5) and s.status == S_OPEN and not s.delivered:  # made ready first, one by one
            if not s.funded:
                self._run(self._op_fund(s, s.funder))
            self._run(self._op_approve(t, self._acting(t.holder), self.dvp.address))
            self._run(self._op_deliver(s, s.seller))
        carrier = self.carrier_account[t.issuer]
        bank = self.actors[BANK2] if s.buyer != self.actors[BANK2] else self.actors[BANK1]
        twin = next((o for o in self.settlements if o.title == s.title and o is not s), s)
        ops: list[Op]
        if race == 0:
            ops = [self._op_settle(s, s.funder), self._op_surrender(t, s.buyer, False)]
        elif race == 1:
            ops = [self._op_settle(s, s.funder), self._op_surrender(t, s.seller, False)]
        elif race == 2:
            ops = [self._op_settle(s, s.buyer), self._op_transfer_holder(t, s.buyer, bank)]
        elif race == 3:
            ops = [self._op_settle(s, s.seller), self._op_freeze(t, carrier, not t.frozen)]
        elif race == 4:
            ops = [self._op_deliver(s, s.seller), self._op_transfer_holder(t, s.seller, bank)]
            ops.insert(0, self._op_approve(t, s.seller, self.dvp.address))
        elif race == 5:
            ops = [self._op_deliver(s, s.seller), self._op_surrender(t, s.seller, True)]
            ops.insert(0, self._op_approve(t, s.seller, self.dvp.address))
        elif race == 6:
            ops = [self._op_settle(s, s.funder), self._op_settle(s, s.buyer)]
        elif race == 7:
            ops = [
                self._op_settle(s, s.funder),
                self._op_settle(twin, twin.funder),
                self._op_deliver(twin, twin.seller),
            ]
        elif race == 8:
            ops = [self._op_refund(s, s.funder), self._op_settle(s, s.buyer)]
        else:
            ops = [self._op_settle(s, s.funder), self._op_reject(t, s.buyer, (self.dvp.address, self.dvp.address))]
        if flag:
            ops.reverse()
        at: int | None = s.deadline + offset
        if offset == 2 or not latest_timestamp() < s.deadline + offset <= latest_timestamp() + 3_600:
            at = None  # now (not a jump of hours)
        self._run_block(ops, at)

    def rule_race_now(self, which: int, race: int, flag: bool) -> None:
        """As :meth:`rule_race`, in the next block (so that races are a good part of the steps)."""
        self.rule_race(which, race, flag, 2)

    def rule_race_in_order(self, which: int, race: int) -> None:
        self.rule_race(which, race, False, 2)

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        t_next = latest_timestamp() + 1
        watched = list(self.balance)
        calls = [Call(self.titles, "getTitle", [t.id]) for t in self.titles_]
        calls += [Call(self.dvp, "getState", [s.id]) for s in self.settlements]
        calls += [Call(self.token, "balanceOf", [a]) for a in watched]
        # no funds locked: after its deadline, every open settlement with something in can be refunded by its funder
        unlocks = [s for s in self.settlements if s.status == S_OPEN and (s.funded or s.delivered)]
        calls += [Call(self.dvp, "refund", [s.terms], s.funder, max(t_next, s.deadline + 1)) for s in unlocks]
        values = iter(batch(calls))

        chain_titles = {}
        for t in self.titles_:
            got = next(values)
            chain_titles[t.id] = got
            # one holder at a time: the model's, getTitle's and the last Transfer's
            assert got == t.view(), (f"title {self.titles_.index(t)}", got, t.view())
            assert self.last_to.get(t.id, ZERO).lower() == t.holder.lower(), (t.id, self.last_to.get(t.id), t.holder)
        states = {}
        for s in self.settlements:
            got = next(values)
            states[s.id] = got
            assert got == (s.status, s.funded, s.delivered), (f"settlement {s.n}", got)
        balances = {a: next(values) for a in watched}
        assert balances == self.balance, {
            a: (balances[a], self.balance[a]) for a in watched if balances[a] != self.balance[a]
        }
        # the contract holds exactly the funded, unsettled, unrefunded payments (from the chain's own states)
        funded = sum(s.amount for s in self.settlements if states[s.id][1])
        assert balances[self.dvp.address] == funded, (balances[self.dvp.address], funded)
        # every title the contract holds belongs to exactly one open settlement it was delivered to
        for tid, got in chain_titles.items():
            if got[0] != self.dvp.address:
                continue
            owners = [
                s.n for s in self.settlements if s.title == tid and states[s.id] == (S_OPEN, states[s.id][1], True)
            ]
            # taken over (custody): for exactly one settlement (its custodian) of those still delivered whose title
            # it still is (not reassigned away); otherwise a holder sent it there directly
            t = self.by_id[tid]
            owners = [n for n in owners if self.custody_of.get(tid) == self.settlements[n].id]
            if t.custody:
                assert owners == [self.by_sid[t.custodian].n], f"title {tid:#x} held for settlements {owners}"
        for t in self.titles_:  # custody only while the settlement holds the title
            assert not t.custody or t.holder == self.dvp.address, (t.id, t.holder)
        # never both: no settlement was settled and refunded, each at most once
        for s in self.settlements:
            f = self.facts.get(s.id, Facts())
            assert len(f.settled) <= 1 and len(f.refunded) <= 1 and len(f.returned) <= 1, (s.n, f)
            assert not (f.settled and (f.refunded or f.returned)), (s.n, f)
            assert bool(f.settled) == (states[s.id][0] == S_SETTLED), (s.n, f, states[s.id])
        for s in unlocks:
            outcome = next(values)
            frozen_only = not s.funded and self._title_leg(s) == "keep"
            expected = Refused("NothingToRefund", (s.id,)) if frozen_only else None
            got = outcome if isinstance(outcome, Refused) else None
            assert got == expected, f"funds locked: refund of settlement {s.n} after its deadline: {got}"


@pytest.mark.no_call_coverage
def test_title_passes_exactly_when_the_seller_is_paid(
    registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
) -> None:
    skip_under_coverage(request)
    documents = DocumentRegistry.deploy(registry, {"from": admin})
    invoices = InvoiceRegistry.deploy(registry, {"from": admin})
    titles = TitleRegistry.deploy(registry, documents, {"from": admin})
    dvp = DvPSettlement.deploy(registry, documents, invoices, titles, {"from": admin})
    token = MockUSDC.deploy({"from": admin})
    orgs = {
        "seller1": members["brand"],
        "seller2": members["manufacturer"],
        "buyer1": members["retailer"],
        "bank1": members["financier"],
        "carrier1": members["carrier"],
    }
    roles = {org: ROLE[name] for name, org in members.items()}
    for n, (name, account, role) in enumerate(
        [
            ("buyer2", accounts[9], "retailer"),
            ("bank2", accounts[15], "financier"),
            ("carrier2", accounts[12], "carrier"),
        ]
    ):
        tx = registry.admit(lei_bytes(80 + n), 0, b"KE", ROLE[role], ZERO32, account, {"from": admin})
        orgs[name] = int(tx.events["OrganisationAdmitted"]["organisation"])
        roles[orgs[name]] = ROLE[role]
    # a revoked key (it signed for seller1's organisation), and a member suspended for good
    registry.addAccount(orgs["seller1"], accounts[13], False, {"from": admin})
    registry.revokeAccount(accounts[13], {"from": admin})
    orgs["suspended"] = admit_suspended(registry, admin, lei_bytes(90), b"KE", ROLE["retailer"], accounts[14])
    roles[orgs["suspended"]] = ROLE["retailer"]
    actors = [accounts[i] for i in (1, 2, 8, 9, 6, 15, 3, 12, 19, 13, 14)]
    for i in (BUYER1, BUYER2, BANK1, BANK2):
        token.mint(actors[i], 2**95, {"from": admin})
        token.approve(dvp, 2**256 - 1, {"from": actors[i]})
    run_machine("titles", TitleMachine, COUNTER, titles, dvp, token, documents, registry, admin, actors, orgs, roles)

"""Stateful property test of TradeEscrow (a Hypothesis state machine): random sequences of open, fund,
anchor, release, refund, dispute, resolve and time passing (some jumps past the 30-day arbitration period), by
random actors, among hostile moves: escrows in pairs sharing one trade id (different salts), each honest batch also
holding a document that names the trade id instead of the escrow, releases with the twin's documents, the trade's or
copies; a member (the buyer) anchoring another issuer's leaf as its own batch of one and revoking it, and revoking
others' documents. A Python model predicts every outcome, down to the custom error (from the block time of each
transaction).

Invariants, after every step: every escrow's state and every document's verification are the model's; funds are
conserved and nobody was paid who should not have been; and no funds are ever locked: every funded or disputed
escrow can be refunded (by anyone) once its deadline plus the arbitration period has passed, and an arbiter can
still resolve a dispute on the last second of its period.

Run length: ``TRADECHAIN_STATEFUL_EXAMPLES`` x ``TRADECHAIN_STATEFUL_STEPS`` (short in ``make test``, longer in
``make bench``); see tests/stateful_support.py, whose fast transactions and batched views it uses. Skipped under
--coverage (too slow there)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from brownie import DocumentRegistry, MockUSDC, TradeEscrow  # type: ignore[attr-defined]
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import (
    Call,
    Counter,
    Fast,
    Refused,
    batch,
    latest_timestamp,
    run_machine,
    skip_under_coverage,
    sleep,
)

from tradechain.contracts.document_registry import leaf
from tradechain.formats.identity import parse_roles
from tradechain.formats.merkle import MerkleTree, verify

OPEN, FUNDED, DISPUTED, CLOSED = 1, 2, 3, 4
PERIOD = 30 * 86_400  # TradeEscrow.ARBITRATION_PERIOD
DOCS = {0: 1, 1: 6}  # milestone -> document type: bill of lading, delivery attestation
REQUIRED = {1: ROLE["carrier"], 6: ROLE["carrier"] | ROLE["inspector"]}  # DocumentRegistry.requiredRoles
ZERO32 = b"\0" * 32
LAPSED_TOPIC = "0x" + keccak(b"DisputeLapsed(bytes32,uint40)").hex()
SOURCES = ("its own documents", "its twin's", "the trade's", "the buyer's copies", "all")
COUNTER = Counter()
MAX_ESCROWS = 16

Expected = tuple[str, tuple[Any, ...]] | None


@dataclass(frozen=True)
class Doc:
    hash: bytes
    type: int
    trade: bytes  # the trade id in its leaf: an escrow id, or a terms.tradeId
    root: bytes
    issuer: int
    proof: tuple[bytes, ...] = ()

    @property
    def leaf(self) -> bytes:
        return bytes(leaf(self.hash, self.type, self.trade))

    def as_proof(self) -> tuple[Any, ...]:
        return (self.hash, self.type, self.root, self.issuer, list(self.proof))


@dataclass
class Escrow:
    terms: tuple[Any, ...]
    id: bytes
    n: int  # its index; escrows 2k and 2k+1 share one trade id
    amount: int
    deadline: int
    status: int = OPEN
    mask: int = 0
    funded: int = 0
    paid: int = 0
    disputed_at: int = 0
    docs: dict[int, Doc] = field(default_factory=dict)  # milestone -> the latest honest document, for this escrow

    @property
    def trade(self) -> bytes:
        return bytes(self.terms[7])

    def effective(self, timestamp: int) -> int:
        """The status a release or refund in a block at ``timestamp`` sees: a lapsed dispute counts as funded."""
        if self.status == DISPUTED and timestamp > self.disputed_at + PERIOD:
            return FUNDED
        return self.status


def now() -> int:
    return latest_timestamp()


class EscrowMachine:
    amount = st.integers(1, 10**13)
    split = st.integers(1, 9_999)
    which = st.integers(0, 11)
    milestone = st.sampled_from([0, 0, 1, 1, 2])  # 2 does not exist
    share = st.one_of(st.integers(0, 10_000), st.sampled_from([10_001, 65_535]))
    actor = st.integers(0, 5)
    revoker = st.integers(0, 6)
    source = st.integers(0, 4)
    flag = st.booleans()
    # now and then past a deadline and the whole arbitration period
    seconds = st.one_of(*[st.integers(0, 4_000)] * 3, st.sampled_from([PERIOD - 1_000, PERIOD + 1, PERIOD + 5_000]))

    def __init__(
        cls, escrow: Any, token: Any, docs: Any, parties: dict[str, Any], orgs: dict[str, int], admin: Any
    ) -> None:
        cls.escrow, cls.token, cls.docs, cls.p, cls.orgs = Fast(escrow), Fast(token), Fast(docs), parties, orgs
        cls.admin = str(admin)
        cls.actors = [parties[k] for k in ("funder", "buyer", "seller", "arbiter", "carrier", "outsider")]
        # who may try to revoke: the two issuers, the hostile buyer, the admin, an outsider, a member, a non-member
        cls.revokers = [
            *(parties[k] for k in ("carrier", "inspector", "buyer")),
            admin,
            *(parties[k] for k in ("outsider", "funder", "seller")),
        ]
        cls.org_of = {str(parties[k]): orgs[k] for k in orgs}
        cls.roles = {
            orgs["carrier"]: ROLE["carrier"],
            orgs["inspector"]: ROLE["inspector"],
            orgs["buyer"]: ROLE["retailer"],
        }
        cls.issuers = {0: (parties["carrier"], orgs["carrier"]), 1: (parties["inspector"], orgs["inspector"])}

    def setup(self) -> None:
        COUNTER.examples += 1
        self.escrows: list[Escrow] = []
        self.seller_start, self.funder_start = self.token.views(
            [("balanceOf", [self.p["seller"]]), ("balanceOf", [self.p["funder"]])]
        )
        self.refunded = 0
        self.to_seller = 0
        self.serial = 0  # tells documents apart (deterministic, so that Hypothesis can replay an example)
        # the document registry: batches (root, issuer) -> the issuer's roles, and what was revoked
        self.batches: dict[tuple[bytes, int], int] = {}
        self.batch_revoked: set[tuple[bytes, int]] = set()
        self.doc_revoked: set[tuple[int, bytes]] = set()  # (issuer, leaf)
        self.all_docs: list[Doc] = []
        self.trade_docs: dict[tuple[bytes, int], Doc] = {}  # (trade id, milestone) -> a document naming the trade
        self.touched: set[int] = set()  # the escrows this step acted on (or their documents)
        # every example starts with escrows in each interesting state, so short sequences reach them all: 0 funded
        # with both documents anchored, and its bill of lading copied and revoked by the buyer; 1 (0's twin: the same
        # trade id) funded without documents; 2 funded and disputed; 3 (2's twin) open
        self.rule_open(10**9, 3_000)
        self.rule_open(7 * 10**8 + 3, 5_001)
        self.rule_open(123_456_789, 9_999)
        self.rule_open(555, 4_000)
        for i in range(3):
            self.rule_fund(i, 0)
        self.rule_anchor(0, 0)
        self.rule_anchor(0, 1)
        self.rule_anchor_foreign_leaf_and_revoke(0, 0, False)
        self.rule_dispute(2, 1)

    # ------------------------------------------------------------------ the model's documents

    def _pick(self, which: int) -> Escrow | None:
        return self.escrows[which % len(self.escrows)] if self.escrows else None

    def _twin(self, e: Escrow) -> Escrow | None:
        other = e.n ^ 1
        return self.escrows[other] if other < len(self.escrows) else None

    def _valid(self, proof: tuple[Any, ...], trade: bytes) -> bool:
        """Whether DocumentRegistry.verify holds for a DocumentProof ``proof`` checked against trade id ``trade``."""
        doc_hash, doc_type, root, issuer, path = proof
        lf = leaf(doc_hash, doc_type, trade)
        roles = self.batches.get((root, issuer))
        return (
            roles is not None
            and verify(path, root, lf)
            and (root, issuer) not in self.batch_revoked
            and (issuer, lf) not in self.doc_revoked
            and bool(roles & REQUIRED[doc_type])
        )

    def _missing(self, e: Escrow, milestone: int, proofs: list[tuple[Any, ...]]) -> int:
        missing = 1 << DOCS[milestone]
        for p in proofs:
            if missing & (1 << p[1]) and self._valid(p, e.id):  # documents count for the escrow they name only
                missing &= ~(1 << p[1])
        return missing

    def _proofs(self, e: Escrow, source: int) -> list[tuple[Any, ...]]:
        """0: the escrow's own documents; 1: its twin's; 2: the documents naming the trade id; 3: the buyer's copies
        of the escrow's own leaves; 4: all of them, the escrow's own last."""
        twin = self._twin(e)
        sets = [
            [d.as_proof() for d in e.docs.values()],
            [d.as_proof() for d in twin.docs.values()] if twin else [],
            [d.as_proof() for (t, _), d in self.trade_docs.items() if t == e.trade],
            [(d.hash, d.type, d.leaf, self.orgs["buyer"], []) for d in e.docs.values()],
        ]
        return sets[source] if source < 4 else [*sets[1], *sets[2], *sets[3], *sets[0]]

    def _next_hash(self, what: str) -> bytes:
        self.serial += 1
        return keccak(f"{what} {self.serial}".encode())

    # ------------------------------------------------------------------ rules: escrows

    def rule_open(self, amount: int, split: int) -> None:
        n = len(self.escrows)
        if n >= MAX_ESCROWS:  # keeps the invariant's reads (every escrow, every step) bounded in long examples
            return
        deadline = now() + 2_000
        terms = (
            self.p["funder"],
            self.p["buyer"],
            self.p["seller"],
            self.p["arbiter"],
            self.token.address,
            amount,
            deadline,
            f"TRADE-{n // 2}".encode().ljust(32, b"\0"),  # twins: one trade id, two salts
            n.to_bytes(32, "big"),
            [(split, 1 << DOCS[0], 0), (10_000 - split, 1 << DOCS[1], 0)],
        )
        out = self.escrow.send(self.p["funder"], "open", terms)
        assert out.ok, out
        (escrow_id,) = self.escrow.views([("escrowIdOf", [terms])])
        self.escrows.append(Escrow(terms, escrow_id, n, amount, deadline))
        self.touched.add(n)

    def rule_open_again(self, which: int, actor: int) -> None:
        e, sender = self._pick(which), self.actors[actor]
        if e is None:
            return
        self.touched.add(e.n)
        out = self.escrow.send(sender, "open", e.terms)
        expected: Expected
        if sender not in (self.p["buyer"], self.p["funder"]):
            expected = "UnauthorizedParty", (e.id, str(sender), "buyer or funder")
        elif e.deadline <= out.timestamp:
            expected = "InvalidTerms", ("deadline is not in the future",)
        else:
            expected = "EscrowExists", (e.id,)
        assert out.refused() == expected, (out, expected)

    def rule_fund(self, which: int, actor: int) -> None:
        e, sender = self._pick(which), self.actors[actor]
        if e is None:
            return
        self.touched.add(e.n)
        expected: Expected = None
        if e.status != OPEN:
            expected = "InvalidStatus", (e.id, e.status, OPEN)
        elif sender != self.p["funder"]:
            expected = "UnauthorizedParty", (e.id, str(sender), "funder")
        out = self.escrow.send(sender, "fund", e.terms)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            e.status, e.funded = FUNDED, e.amount

    def rule_fund_by_funder(self, which: int) -> None:
        self.rule_fund(which, 0)

    def _expect_release(self, e: Escrow, milestone: int, proofs: list[tuple[Any, ...]], timestamp: int) -> Expected:
        status = e.effective(timestamp)
        if status != FUNDED:
            return "InvalidStatus", (e.id, status, FUNDED)
        if milestone >= 2:
            return "InvalidMilestone", (e.id, milestone)
        if e.mask & (1 << milestone):
            return "MilestoneAlreadyReleased", (e.id, milestone)
        if missing := self._missing(e, milestone, proofs):
            return "ConditionsNotMet", (e.id, milestone, missing)
        return None

    def rule_release(self, which: int, milestone: int, actor: int, source: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        self.touched.add(e.n)
        proofs = self._proofs(e, source)
        out = self.escrow.send(self.actors[actor], "release", e.terms, milestone, proofs)
        expected = self._expect_release(e, milestone, proofs, out.timestamp)
        assert out.refused() == expected, (out, expected, source)
        if not out.ok:
            return
        self._lapse(e, out.logs)
        e.mask |= 1 << milestone
        if e.mask == 0b11:
            pay = e.funded - e.paid  # the last one takes the rounding remainder
            e.status = CLOSED
        else:
            pay = e.amount * e.terms[9][milestone][0] // 10_000
        e.paid += pay  # the invariant checks the seller's balance
        self.to_seller += pay

    def rule_release_with_own_documents(self, which: int, milestone: int) -> None:
        self.rule_release(which, milestone, 5, 0)

    def _lapse(self, e: Escrow, logs: list[dict[str, Any]]) -> None:
        """A release or refund of a disputed escrow went through: the dispute lapsed, and said so."""
        lapsed = [log for log in logs if log["topics"][0] == LAPSED_TOPIC]
        assert len(lapsed) == (1 if e.status == DISPUTED else 0)
        if e.status == DISPUTED:
            e.status = FUNDED

    def rule_refund(self, which: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        self.touched.add(e.n)
        out = self.escrow.send(self.actors[actor], "refund", e.terms)
        status = e.effective(out.timestamp)
        deadline = e.deadline + PERIOD if e.disputed_at else e.deadline
        expected: Expected = None
        if status != FUNDED:
            expected = "InvalidStatus", (e.id, status, FUNDED)
        elif out.timestamp <= deadline:
            expected = "DeadlineNotPassed", (e.id, deadline)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self._lapse(e, out.logs)
            self.refunded += e.funded - e.paid
            e.paid, e.status = e.funded, CLOSED

    def rule_sleep(self, seconds: int) -> None:
        sleep(seconds)

    def rule_dispute(self, which: int, actor: int) -> None:
        e, sender = self._pick(which), self.actors[actor]
        if e is None:
            return
        self.touched.add(e.n)
        out = self.escrow.send(sender, "dispute", e.terms, ZERO32)
        expected: Expected = None
        if e.status != FUNDED:  # a lapsed dispute is still Disputed here: the buyer disputes once
            expected = "InvalidStatus", (e.id, e.status, FUNDED)
        elif sender != self.p["buyer"]:
            expected = "UnauthorizedParty", (e.id, str(sender), "buyer")
        elif e.disputed_at:
            expected = "AlreadyDisputed", (e.id, e.disputed_at)
        elif out.timestamp > e.deadline:
            expected = "DisputeWindowClosed", (e.id, e.deadline)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            e.status, e.disputed_at = DISPUTED, out.timestamp

    def rule_resolve(self, which: int, share: int, actor: int) -> None:
        e, sender = self._pick(which), self.actors[actor]
        if e is None:
            return
        self.touched.add(e.n)
        out = self.escrow.send(sender, "resolve", e.terms, share)
        expected: Expected = None
        if e.status != DISPUTED:
            expected = "InvalidStatus", (e.id, e.status, DISPUTED)
        elif sender != self.p["arbiter"]:
            expected = "UnauthorizedParty", (e.id, str(sender), "arbiter")
        elif out.timestamp > e.disputed_at + PERIOD:
            expected = "ArbitrationLapsed", (e.id, e.disputed_at + PERIOD)
        elif share > 10_000:
            expected = "InvalidSellerShare", (share,)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            left = e.funded - e.paid
            self.to_seller += left * share // 10_000
            self.refunded += left - left * share // 10_000
            e.paid, e.status = e.funded, CLOSED

    def rule_resolve_by_arbiter(self, which: int, share: int) -> None:
        self.rule_resolve(which, share, 3)

    # ------------------------------------------------------------------ rules: documents

    def rule_anchor(self, which: int, milestone: int) -> None:
        """The milestone's issuer anchors a batch of two: the document for the escrow (its leaf names the escrow
        id), and one naming the trade id, which must release neither twin."""
        e = self._pick(which)
        if e is None or milestone >= 2 or (milestone in e.docs and self._valid(e.docs[milestone].as_proof(), e.id)):
            return
        self.touched.add(e.n)
        account, org = self.issuers[milestone]
        kind = DOCS[milestone]
        own_hash, trade_hash = self._next_hash("document"), self._next_hash("trade document")
        tree = MerkleTree.build([leaf(own_hash, kind, e.id), leaf(trade_hash, kind, e.trade)])
        out = self.docs.send(account, "anchor", tree.root, 2)
        assert out.ok, out
        self.batches[(tree.root, org)] = self.roles[org]
        own = Doc(own_hash, kind, e.id, tree.root, org, tuple(tree.proof(0)))
        shared = Doc(trade_hash, kind, e.trade, tree.root, org, tuple(tree.proof(1)))
        e.docs[milestone] = own
        self.trade_docs[(e.trade, milestone)] = shared
        self.all_docs += [own, shared]

    def rule_anchor_foreign_leaf_and_revoke(self, which: int, milestone: int, flag: bool) -> None:
        """The buyer, a member with no issuing role, anchors the leaf of another issuer's document as its own batch
        of one and revokes it (the document, or the whole batch when ``flag``): the real document stays valid."""
        e = self._pick(which)
        d = e.docs.get(milestone) if e else None
        if e is None or d is None:
            return
        self.touched.add(e.n)
        buyer, org, lf = self.p["buyer"], self.orgs["buyer"], d.leaf
        out = self.docs.send(buyer, "anchor", lf, 1)
        expected: Expected = ("BatchAlreadyAnchored", (lf,)) if (lf, org) in self.batches else None
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self.batches[(lf, org)] = self.roles[org]
            self.all_docs.append(Doc(d.hash, d.type, d.trade, lf, org))
        if flag:
            out = self.docs.send(buyer, "revokeBatch", lf, org, b"\x0b" * 32)
            expected = ("AlreadyRevoked", (lf, ZERO32)) if (lf, org) in self.batch_revoked else None
        else:
            out = self.docs.send(buyer, "revokeDocument", lf, org, d.hash, d.type, d.trade, [], b"\x0b" * 32)
            revoked = (lf, org) in self.batch_revoked or (org, lf) in self.doc_revoked
            expected = ("AlreadyRevoked", (lf, lf)) if revoked else None
        assert out.refused() == expected, (out, expected)
        if out.ok:
            (self.batch_revoked.add((lf, org)) if flag else self.doc_revoked.add((org, lf)))

    def rule_revoke(self, which: int, milestone: int, revoker: int, flag: bool, source: int) -> None:
        """Anyone revokes an honest document of an escrow (the whole batch when ``flag``) in the name of its issuer
        (``source`` even) or of its own organisation: only the issuer's accounts and the admin may, for the issuer."""
        e = self._pick(which)
        d = e.docs.get(milestone) if e else None
        if e is None or d is None:
            return
        self.touched.add(e.n)
        sender = self.revokers[revoker]
        own = self.org_of.get(str(sender), 0)
        issuer = d.issuer if source % 2 == 0 else own
        expected: Expected = None
        if str(sender) != self.admin:
            if not own:
                expected = "UnregisteredAccount", (str(sender),)
            elif own != issuer:
                expected = "UnauthorizedRevoker", (str(sender), issuer)
        if expected is None and (d.root, issuer) not in self.batches:
            expected = "NonexistentBatch", (d.root,)
        if flag:
            if expected is None and (d.root, issuer) in self.batch_revoked:
                expected = "AlreadyRevoked", (d.root, ZERO32)
            out = self.docs.send(sender, "revokeBatch", d.root, issuer, b"\x0c" * 32)
        else:
            revoked = (d.root, issuer) in self.batch_revoked or (issuer, d.leaf) in self.doc_revoked
            if expected is None and revoked:
                expected = "AlreadyRevoked", (d.root, d.leaf)
            args = (d.root, issuer, d.hash, d.type, d.trade, list(d.proof), b"\x0c" * 32)
            out = self.docs.send(sender, "revokeDocument", *args)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            (self.batch_revoked.add((d.root, issuer)) if flag else self.doc_revoked.add((issuer, d.leaf)))

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        t = now() + 1
        esc, token, outsider = self.escrow, self.token, self.p["outsider"]
        calls = [Call(esc, "getState", [e.id]) for e in self.escrows]
        calls += [Call(token, "balanceOf", [a]) for a in (esc.address, self.p["seller"], self.p["funder"])]
        calls += [
            Call(self.docs, "verify", [d.hash, d.type, d.trade, d.root, d.issuer, d.proof]) for d in self.all_docs
        ]
        # no funds are ever locked: once the deadline and the arbitration period have passed, anyone can refund
        # whatever is left of an escrow; and an arbiter has its whole period, to the last second
        unlocks: list[Call] = []
        for e in self.escrows:
            if e.status in (FUNDED, DISPUTED):
                unlocks.append(Call(esc, "refund", [e.terms], outsider, max(t, e.deadline + PERIOD + 1)))
            if e.status == DISPUTED and t <= e.disputed_at + PERIOD:
                unlocks.append(Call(esc, "resolve", [e.terms, 0], self.p["arbiter"], e.disputed_at + PERIOD))
        # what releases of the funded escrows this step touched would do now, with their own documents, their
        # twin's, the trade's, or the buyer's copies: the same prediction as rule_release's
        releases: list[Call] = []
        predicted: list[Expected] = []
        sources: list[str] = []
        for e in (self.escrows[i] for i in sorted(self.touched)):
            if e.effective(t) != FUNDED:
                continue
            for milestone in (0, 1):
                for source in range(4):
                    proofs = self._proofs(e, source)
                    releases.append(Call(esc, "release", [e.terms, milestone, proofs], outsider, t))
                    predicted.append(self._expect_release(e, milestone, proofs, t))
                    sources.append(SOURCES[source])
        self.touched.clear()
        values = iter(batch([*calls, *unlocks, *releases]))

        held = 0
        for e in self.escrows:
            state = next(values)
            assert state == (e.status, e.mask, e.funded, e.paid, e.disputed_at), (e.n, state)
            held += e.funded - e.paid
        in_escrow, seller, funder = next(values), next(values), next(values)
        # the escrow holds exactly what its escrows still owe
        assert in_escrow == held
        # the seller got exactly the releases and splits; the funder exactly the refunds
        assert seller - self.seller_start == self.to_seller
        assert funder - self.funder_start == self.refunded - sum(e.funded for e in self.escrows)
        # every document verifies as the model says: nobody's action changed another issuer's document
        wrong = []
        for d in self.all_docs:
            valid, issuer, _, _, revoked_at = next(values)
            revoked = (d.root, d.issuer) in self.batch_revoked or (d.issuer, d.leaf) in self.doc_revoked
            model = (self._valid(d.as_proof(), d.trade), d.issuer, revoked)
            if (valid, issuer, revoked_at != 0) != model:
                what = (
                    "copy"
                    if d.root == d.leaf
                    else "escrow's"
                    if any(d.trade == e.id for e in self.escrows)
                    else "trade's"
                )
                wrong.append(f"{what} document of issuer {d.issuer}: chain valid {valid} revoked {revoked_at != 0}")
        assert not wrong, "; ".join(wrong)
        for call in unlocks:
            outcome = next(values)
            if isinstance(outcome, Refused):
                n = int.from_bytes(call.args[0][8], "big")
                raise AssertionError(f"funds locked: {call.fn} of escrow {n} at {call.timestamp}: {outcome.error}")
        wrong = []
        for call, origin, expected in zip(releases, sources, predicted, strict=True):
            outcome = next(values)
            got = (outcome.error, outcome.args[1:]) if isinstance(outcome, Refused) else None
            if got != (expected and (expected[0], expected[1][1:])):
                what = f"escrow {int.from_bytes(call.args[0][8], 'big')} milestone {call.args[1]} with {origin}"
                wrong.append(f"{what}: chain {got or 'ok'}, model {(expected and expected[0]) or 'ok'}")
        assert not wrong, "; ".join(wrong)


@pytest.mark.no_call_coverage
def test_funds_are_conserved_and_never_locked_and_documents_pay_one_escrow(
    registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
) -> None:
    skip_under_coverage(request)
    docs = DocumentRegistry.deploy(registry, {"from": admin})
    escrow = TradeEscrow.deploy(registry, docs, {"from": admin})
    token = MockUSDC.deploy({"from": admin})
    funder = accounts[6]  # the financier member
    token.mint(funder, 2**96 - 1, {"from": admin})
    token.approve(escrow, 2**256 - 1, {"from": funder})
    buyer = accounts[9]  # a member too (a retailer): the hostile one of the document moves
    tx = registry.admit(lei_bytes(50), 0, b"FR", ROLE["retailer"], ZERO32, buyer, {"from": admin})
    # The arbiter acts from a member's account (an arbitration body): resolve checks its membership.
    registry.admit(lei_bytes(51), 0, b"FR", parse_roles("certifier"), ZERO32, accounts[11], {"from": admin})
    parties = {
        "funder": funder,
        "buyer": buyer,
        "seller": accounts[10],
        "arbiter": accounts[11],
        "carrier": accounts[3],
        "inspector": accounts[5],
        "outsider": accounts[19],
    }
    orgs = {
        "funder": members["financier"],
        "buyer": int(tx.events["OrganisationAdmitted"]["organisation"]),
        "carrier": members["carrier"],
        "inspector": members["inspector"],
    }
    run_machine("escrow", EscrowMachine, COUNTER, escrow, token, docs, parties, orgs, admin)

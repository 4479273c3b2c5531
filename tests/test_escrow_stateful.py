"""Stateful property test of TradeEscrow (Brownie's state_machine, hypothesis): random sequences of open, fund,
anchor, release, refund, dispute, resolve and time passing, by random actors. A Python model predicts every
outcome; after every step, funds are conserved and nobody was paid who should not have been.

Run length: ``TRADECHAIN_STATEFUL_EXAMPLES`` x ``TRADECHAIN_STATEFUL_STEPS`` (short in ``make test``, longer in
``make bench``); see tests/stateful_support.py, whose fast transactions and batched views it uses. Skipped under
--coverage (too slow there)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from brownie import DocumentRegistry, MockUSDC, TradeEscrow, chain
from brownie.test import strategy
from stateful_support import Counter, Fast, latest_timestamp, run_machine, skip_under_coverage

DOCS = {0: 1, 1: 6}  # milestone -> document type: bill of lading, delivery attestation
COUNTER = Counter()
MAX_ESCROWS = 16


@dataclass
class Model:
    terms: tuple[Any, ...]
    amount: int
    deadline: int
    id: bytes
    status: str = "open"  # open, funded, disputed, closed
    released: set[int] = field(default_factory=set)
    paid: int = 0
    anchored: dict[int, tuple[bytes, int, bytes, int]] = field(default_factory=dict)  # -> (hash, type, root, org)


def now() -> int:
    return latest_timestamp()


class EscrowMachine:
    amount = strategy("uint64", min_value=1, max_value=10**13)
    split = strategy("uint16", min_value=1, max_value=9_999)
    which = strategy("uint8", max_value=11)
    milestone = strategy("uint8", max_value=1)
    share = strategy("uint16", max_value=10_000)
    actor = strategy("uint8", max_value=5)
    seconds = strategy("uint16", max_value=4_000)

    def __init__(cls, escrow: Any, token: Any, docs: Any, parties: dict[str, Any], orgs: dict[int, int]) -> None:
        cls.escrow, cls.token, cls.docs, cls.p, cls.orgs = Fast(escrow), Fast(token), Fast(docs), parties, orgs
        cls.actors = [parties[k] for k in ("funder", "buyer", "seller", "arbiter", "carrier", "outsider")]

    def setup(self) -> None:
        COUNTER.examples += 1
        self.escrows: list[Model] = []
        self.seller_start, self.funder_start = self.token.views(
            [("balanceOf", [self.p["seller"]]), ("balanceOf", [self.p["funder"]])]
        )
        self.refunded = 0
        self.to_seller = 0
        # every example starts with one escrow in each interesting state, so short sequences reach them all:
        # 0 funded with its bill of lading anchored, 1 funded and disputed, 2 open
        self.rule_open(10**9, 3_000)
        self.rule_open(7 * 10**8 + 3, 5_001)
        self.rule_open(123_456_789, 9_999)
        self.rule_fund(0, 0)
        self.rule_fund(1, 0)
        self.rule_anchor(0, 0)
        self.rule_dispute(1, 1)

    def _pick(self, which: int) -> Model | None:
        return self.escrows[which % len(self.escrows)] if self.escrows else None

    def _attempt(self, fn: str, sender: Any, *args: Any) -> bool:
        return self.escrow.send(sender, fn, *args).ok

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
            f"TRADE-{n}".encode().ljust(32, b"\0"),
            n.to_bytes(32, "big"),
            [(split, 1 << DOCS[0], 0), (10_000 - split, 1 << DOCS[1], 0)],
        )
        assert self.escrow.send(self.p["funder"], "open", terms).ok
        (escrow_id,) = self.escrow.views([("escrowIdOf", [terms])])
        self.escrows.append(Model(terms, amount, deadline, escrow_id))

    def rule_fund(self, which: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        sender = self.actors[actor]
        ok = self._attempt("fund", sender, e.terms)
        assert ok == (e.status == "open" and sender == self.p["funder"])
        if ok:
            e.status = "funded"

    def rule_fund_by_funder(self, which: int) -> None:
        self.rule_fund(which, 0)

    def rule_dispute_by_buyer(self, which: int) -> None:
        self.rule_dispute(which, 1)

    def rule_resolve_by_arbiter(self, which: int, share: int) -> None:
        self.rule_resolve(which, share, 3)

    def rule_anchor(self, which: int, milestone: int) -> None:
        e = self._pick(which)
        if e is None or milestone in e.anchored:
            return
        doc_hash = os.urandom(32)
        kind = DOCS[milestone]
        (root,) = self.docs.views([("leafOf", [doc_hash, kind, e.terms[7]])])  # a batch of one: its root is its leaf
        issuer = self.p["carrier"] if milestone == 0 else self.p["inspector"]
        assert self.docs.send(issuer, "anchor", root, 1).ok
        e.anchored[milestone] = (doc_hash, kind, root, self.orgs[milestone])

    def rule_release(self, which: int, milestone: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        proofs: list[tuple[Any, ...]] = [(h, k, r, org, []) for h, k, r, org in e.anchored.values()]
        (before,) = self.token.views([("balanceOf", [self.p["seller"]])])
        ok = self._attempt("release", self.actors[actor], e.terms, milestone, proofs)
        expected = e.status == "funded" and milestone not in e.released and milestone in e.anchored
        assert ok == expected
        if ok:
            e.released.add(milestone)
            pay = e.amount - e.paid if len(e.released) == 2 else e.amount * e.terms[9][milestone][0] // 10_000
            assert self.token.views([("balanceOf", [self.p["seller"]])])[0] - before == pay
            e.paid += pay
            self.to_seller += pay
            if len(e.released) == 2:
                e.status = "closed"

    def rule_refund(self, which: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        t = now()
        ok = self._attempt("refund", self.actors[actor], e.terms)
        if e.status != "funded" or t + 1 < e.deadline - 2:
            assert not ok
        elif t > e.deadline + 2:
            assert ok
        if ok:
            self.refunded += e.amount - e.paid
            e.paid = e.amount
            e.status = "closed"

    def rule_sleep(self, seconds: int) -> None:
        chain.sleep(seconds)
        chain.mine()

    def rule_dispute(self, which: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        sender = self.actors[actor]
        ok = self._attempt("dispute", sender, e.terms, b"\0" * 32)
        assert ok == (e.status == "funded" and sender == self.p["buyer"])
        if ok:
            e.status = "disputed"

    def rule_resolve(self, which: int, share: int, actor: int) -> None:
        e = self._pick(which)
        if e is None:
            return
        sender = self.actors[actor]
        ok = self._attempt("resolve", sender, e.terms, share)
        assert ok == (e.status == "disputed" and sender == self.p["arbiter"])
        if ok:
            left = e.amount - e.paid
            self.to_seller += left * share // 10_000
            self.refunded += left - left * share // 10_000
            e.paid = e.amount
            e.status = "closed"

    def invariant(self) -> None:
        COUNTER.checks += 1
        held = 0
        states = self.escrow.views([("getState", [e.id]) for e in self.escrows])
        for e, (_, _, state_funded, state_paid) in zip(self.escrows, states, strict=True):
            funded = e.amount if e.status != "open" else 0
            assert (state_funded, state_paid) == (funded, e.paid if funded else 0)
            held += state_funded - state_paid
        in_escrow, seller, funder = self.token.views(
            [("balanceOf", [self.escrow.address]), ("balanceOf", [self.p["seller"]]), ("balanceOf", [self.p["funder"]])]
        )
        # the escrow holds exactly what its escrows still owe
        assert in_escrow == held
        # the seller got exactly the releases and splits; the funder exactly the refunds
        assert seller - self.seller_start == self.to_seller
        funded_total = sum(e.amount for e in self.escrows if e.status != "open")
        assert funder - self.funder_start == self.refunded - funded_total


@pytest.mark.no_call_coverage
def test_funds_are_conserved_over_random_sequences(
    state_machine: Any, registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
) -> None:
    skip_under_coverage(request)
    docs = DocumentRegistry.deploy(registry, {"from": admin})
    escrow = TradeEscrow.deploy(registry, docs, {"from": admin})
    token = MockUSDC.deploy({"from": admin})
    funder = accounts[6]  # the financier member
    token.mint(funder, 2**96 - 1, {"from": admin})
    token.approve(escrow, 2**256 - 1, {"from": funder})
    parties = {
        "funder": funder,
        "buyer": accounts[9],
        "seller": accounts[10],
        "arbiter": accounts[11],
        "carrier": accounts[3],
        "inspector": accounts[5],
        "outsider": accounts[19],
    }
    run_machine(
        "escrow",
        state_machine,
        EscrowMachine,
        COUNTER,
        escrow,
        token,
        docs,
        parties,
        {0: members["carrier"], 1: members["inspector"]},
    )

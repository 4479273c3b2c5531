"""Stateful property test of InvoiceRegistry (Brownie's state_machine): random registrations, batches with
duplicates and bad shares, cancellations, settlements and suspensions, by four financier organisations, a member
without the financier role and an outsider. A Python model predicts every outcome, down to the custom error.

Invariants, after every step, for every fingerprint of the pool: no invoice is financed over 100%; its total is the
sum of the organisations' shares; status, shares, first financier and date are the model's; a settled invoice stays
settled and never gains (or loses) a share.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conftest import ROLE, lei_bytes
from eth_hash.auto import keccak
from hypothesis import strategies as st
from stateful_support import Counter, Fast, run_machine, skip_under_coverage

FULL = 10_000
NONE, FINANCED, SETTLED = 0, 1, 2
FINANCIER_ROLE = 1 << 5
POOL = 6
FINGERPRINTS = [keccak(f"invoice {i}".encode()) for i in range(POOL)]
ZERO4 = [b"\0" * 32] * 4
SECONDARY = [keccak(b"without number"), b"\0" * 32, keccak(b"without buyer"), b"\0" * 32]
FINANCED_TOPIC = "0x" + keccak(b"InvoiceFinanced(bytes32,uint32,uint16,uint16)").hex()
REFUSED_TOPIC = "0x" + keccak(b"RegistrationRefused(bytes32,uint32,uint8,uint16)").hex()
COUNTER = Counter()

VALID_SHARES = [1, 1_000, 2_500, 3_333, 5_000, 6_667, 7_500, 9_999, 10_000]
SHARES = st.sampled_from([*VALID_SHARES, *VALID_SHARES, 0, 10_001, 65_535])


@dataclass
class Invoice:
    status: int = NONE
    shares: dict[int, int] = field(default_factory=dict)  # organisation -> basis points, zero shares left out
    first_org: int = 0
    first_bps: int = 0
    since: int = 0

    @property
    def total(self) -> int:
        return sum(self.shares.values())


@dataclass(frozen=True)
class Actor:
    account: Any
    organisation: int  # 0: not a member
    financier: bool


class InvoiceMachine:
    fp = st.integers(0, POOL - 1)
    share = SHARES
    actor = st.integers(0, 5)
    financier = st.integers(0, 3)
    items = st.lists(st.tuples(st.integers(0, POOL - 1), SHARES), max_size=6)

    def __init__(cls, invoices: Any, registry: Any, admin: Any, actors: list[Actor]) -> None:
        cls.fast, cls.members, cls.admin, cls.actors = Fast(invoices), Fast(registry), admin, actors
        cls.orgs = sorted({a.organisation for a in actors if a.organisation})

    def setup(self) -> None:
        COUNTER.examples += 1
        self.invoices = [Invoice() for _ in range(POOL)]
        self.suspended: set[int] = set()
        self.settled_seen: dict[int, dict[int, int]] = {}  # fingerprint index -> shares seen on chain when settled
        # every example starts with a syndication at 100% and a settled invoice
        self.rule_register(0, 6_000, 0)
        self.rule_register(0, 4_000, 1)
        self.rule_register(1, 5_000, 0)
        self.rule_settle(1, 0)

    # ------------------------------------------------------------------ predictions

    def _membership_error(self, actor: Actor) -> tuple[str, tuple[Any, ...]] | None:
        if not actor.organisation:
            return "UnregisteredAccount", (str(actor.account),)
        if actor.organisation in self.suspended:
            return "OrganisationIsSuspended", (actor.organisation,)
        if not actor.financier:
            return "MissingRole", (str(actor.account), actor.organisation, FINANCIER_ROLE)
        return None

    def _record(self, i: int, org: int, share: int, timestamp: int) -> None:
        inv = self.invoices[i]
        if inv.status == NONE:
            inv.status, inv.first_org, inv.first_bps, inv.since = FINANCED, org, share, timestamp
        inv.shares[org] = share

    # ------------------------------------------------------------------ rules

    def rule_register(self, fp: int, share: int, actor: int) -> None:
        who, inv = self.actors[actor], self.invoices[fp]
        expected: tuple[str, tuple[Any, ...]] | None
        if inv.status == SETTLED:
            expected = "InvoiceAlreadySettled", (FINGERPRINTS[fp],)
        elif share == 0 or share > FULL:
            expected = "InvalidShare", (share,)
        elif inv.total + share > FULL:
            expected = "InvoiceAlreadyFinanced", (FINGERPRINTS[fp], inv.first_org, inv.since)
        else:
            expected = self._membership_error(who)
            if expected is None and who.organisation in inv.shares:
                expected = "AlreadyParticipating", (FINGERPRINTS[fp], who.organisation)
        secondary = SECONDARY if fp % 2 else ZERO4
        out = self.fast.send(who.account, "register", FINGERPRINTS[fp], share, secondary)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self._record(fp, who.organisation, share, out.timestamp)

    def rule_register_by_financier(self, fp: int, share: int, financier: int) -> None:
        self.rule_register(fp, share, financier)

    def rule_register_batch(self, items: list[tuple[int, int]], actor: int) -> None:
        who = self.actors[actor]
        expected = self._membership_error(who)
        if expected is None and not items:
            expected = "InvalidBatch", (0, 500)
        bad = [s for _, s in items if s == 0 or s > FULL]
        if expected is None and bad:
            expected = "InvalidShare", (bad[0],)
        predicted: list[tuple[str, bytes]] = []
        if expected is None:  # items one by one, as the contract does: a duplicate is refused, not fatal
            added: dict[int, int] = {}  # fingerprint index -> share taken earlier in this batch
            for i, share in items:
                inv = self.invoices[i]
                refused = (
                    inv.status == SETTLED
                    or inv.total + added.get(i, 0) + share > FULL
                    or who.organisation in inv.shares
                    or i in added
                )
                if not refused:
                    added[i] = share
                predicted.append((REFUSED_TOPIC if refused else FINANCED_TOPIC, FINGERPRINTS[i]))
        batch = [(FINGERPRINTS[i], share, ZERO4) for i, share in items]
        out = self.fast.send(who.account, "registerBatch", batch)
        assert out.refused() == expected, (out, expected)
        if not out.ok:
            return
        seen = [
            (log["topics"][0], bytes.fromhex(log["topics"][1][2:]))
            for log in out.logs
            if log["topics"][0] in (FINANCED_TOPIC, REFUSED_TOPIC)
        ]
        assert seen == predicted
        for (i, share), (topic, _) in zip(items, predicted, strict=True):
            if topic == FINANCED_TOPIC:
                self._record(i, who.organisation, share, out.timestamp)

    def rule_cancel(self, fp: int, actor: int) -> None:
        who, inv = self.actors[actor], self.invoices[fp]
        expected = self._membership_error(who)
        if expected is None and inv.status == SETTLED:
            expected = "InvoiceAlreadySettled", (FINGERPRINTS[fp],)
        elif expected is None and who.organisation not in inv.shares:
            expected = "NotParticipating", (FINGERPRINTS[fp], who.organisation)
        out = self.fast.send(who.account, "cancel", FINGERPRINTS[fp])
        assert out.refused() == expected, (out, expected)
        if out.ok:
            if who.organisation == inv.first_org:
                inv.first_bps = 0
            del inv.shares[who.organisation]
            if not inv.shares:  # nobody finances it: the record is gone, it may be financed anew
                self.invoices[fp] = Invoice()

    def rule_cancel_by_financier(self, fp: int, financier: int) -> None:
        self.rule_cancel(fp, financier)

    def rule_settle(self, fp: int, actor: int) -> None:
        who, inv = self.actors[actor], self.invoices[fp]
        expected = self._membership_error(who)
        if expected is None and inv.status == SETTLED:
            expected = "InvoiceAlreadySettled", (FINGERPRINTS[fp],)
        elif expected is None and who.organisation not in inv.shares:
            expected = "NotParticipating", (FINGERPRINTS[fp], who.organisation)
        out = self.fast.send(who.account, "settle", FINGERPRINTS[fp])
        assert out.refused() == expected, (out, expected)
        if out.ok:
            inv.status = SETTLED

    def rule_settle_by_financier(self, fp: int, financier: int) -> None:
        self.rule_settle(fp, financier)

    def rule_suspend_or_reinstate(self, financier: int) -> None:
        org = self.actors[financier].organisation
        if org in self.suspended:
            out = self.members.send(self.admin, "reinstate", org)
            self.suspended.discard(org)
        else:
            out = self.members.send(self.admin, "suspend", org, b"\0" * 32)
            self.suspended.add(org)
        assert out.ok

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        calls: list[tuple[str, list[Any]]] = []
        for f in FINGERPRINTS:
            calls.append(("check", [f]))
            calls.extend(("shareOf", [f, org]) for org in self.orgs)
        values = iter(self.fast.views(calls))
        for i, inv in enumerate(self.invoices):
            first_org, first_bps, total, status, since = next(values)
            shares = {org: bps for org in self.orgs if (bps := next(values))}
            # no invoice is financed over 100%, and its total is the sum of its shares
            assert total <= FULL
            assert total == sum(shares.values())
            # a settled invoice stays settled and never gains (nor loses) a share
            if i in self.settled_seen:
                assert status == SETTLED and shares == self.settled_seen[i]
            elif status == SETTLED:
                self.settled_seen[i] = shares
            # the chain is the model
            assert (status, shares) == (inv.status, inv.shares)
            assert (first_org, first_bps, since) == (inv.first_org, inv.first_bps, inv.since)


def test_invoices_are_never_financed_over_100_percent(
    state_machine: Any, registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
) -> None:
    from brownie import InvoiceRegistry  # type: ignore[attr-defined]

    skip_under_coverage(request)
    invoices = InvoiceRegistry.deploy(registry, {"from": admin})
    orgs = {}
    for n, (account, roles) in enumerate(
        [(accounts[15], ROLE["financier"]), (accounts[16], ROLE["financier"]), (accounts[17], ROLE["financier"] | 1)]
    ):
        tx = registry.admit(lei_bytes(60 + n), 0, b"DE", roles, b"\0" * 32, account, {"from": admin})
        orgs[account] = tx.events["OrganisationAdmitted"]["organisation"]
    actors = [
        Actor(accounts[6], members["financier"], True),
        Actor(accounts[15], orgs[accounts[15]], True),
        Actor(accounts[16], orgs[accounts[16]], True),
        Actor(accounts[17], orgs[accounts[17]], True),  # a financier that is a brand too
        Actor(accounts[1], members["brand"], False),  # a member without the financier role
        Actor(accounts[19], 0, False),  # an outsider
    ]
    run_machine("invoices", state_machine, InvoiceMachine, COUNTER, invoices, registry, admin, actors)

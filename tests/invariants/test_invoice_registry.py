"""Stateful property test of InvoiceRegistry (a Hypothesis state machine): random registrations, batches with
duplicates and bad shares, batches that would take an invoice over 100%, 1-bps front-runs of an honest 100%
registration, cancellations and settlements by every financier, and suspensions, by four financier organisations, a
member without the financier role and an outsider. A Python model of the syndicate rule (every financier settles or
cancels its own share only; the invoice is settled when every share is; no new financing once any share is settled)
predicts every outcome, down to the custom error and the event.

Invariants, after every step, for every fingerprint of the pool: no invoice is financed over 100%; its total is the
sum of the organisations' shares, its settled part the sum of the settled shares; status, shares, first financier
and date are the model's; a settled invoice stays settled and never gains (or loses) a share; a partly settled one
gains no share; and a financier's share changes (and is settled) only by its own action.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
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
SETTLED_TOPIC = "0x" + keccak(b"InvoiceSettled(bytes32,uint32,uint16,uint16)").hex()
CANCELLED_TOPIC = "0x" + keccak(b"FinancingCancelled(bytes32,uint32,uint16)").hex()
COUNTER = Counter()

VALID_SHARES = [1, 1_000, 2_500, 3_333, 5_000, 6_667, 7_500, 9_999, 10_000]
SHARES = st.sampled_from([*VALID_SHARES, *VALID_SHARES, 0, 10_001, 65_535])
Expected = tuple[str, tuple[Any, ...]] | None


@dataclass
class Invoice:
    status: int = NONE
    shares: dict[int, int] = field(default_factory=dict)  # organisation -> basis points, zero shares left out
    settled: set[int] = field(default_factory=set)  # the organisations whose share is settled
    first_org: int = 0
    first_bps: int = 0
    since: int = 0

    @property
    def total(self) -> int:
        return sum(self.shares.values())

    @property
    def settled_bps(self) -> int:
        return sum(self.shares[org] for org in self.settled)


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
    other = st.integers(0, 3)
    items = st.lists(st.tuples(st.integers(0, POOL - 1), SHARES), max_size=6)
    valid_items = st.lists(st.tuples(st.integers(0, POOL - 1), st.sampled_from(VALID_SHARES)), max_size=3)
    excess = st.sampled_from([1, 1, 2, 100, 5_000, FULL])

    def __init__(cls, invoices: Any, registry: Any, admin: Any, actors: list[Actor]) -> None:
        cls.fast, cls.members, cls.admin, cls.actors = Fast(invoices), Fast(registry), admin, actors
        cls.orgs = sorted({a.organisation for a in actors if a.organisation})

    def setup(self) -> None:
        COUNTER.examples += 1
        self.invoices = [Invoice() for _ in range(POOL)]
        self.suspended: set[int] = set()
        self.settled_seen: dict[int, dict[int, int]] = {}  # fingerprint index -> shares seen on chain when settled
        self.seen: list[tuple[int, dict[int, int]]] | None = None  # (settled bps, shares) of each, at the last check
        self.actions: list[tuple[int, int, str]] = []  # this step's successful (fingerprint, organisation, action)
        # every example starts with a syndication at 100% with one share settled, a settled invoice, a 1-bps
        # front-run of an honest 100% registration, and a batch item that would take that invoice over 100%
        self.rule_register(0, 6_000, 0)
        self.rule_register(0, 4_000, 1)
        self.rule_settle(0, 1)
        self.rule_register(1, 5_000, 0)
        self.rule_settle(1, 0)
        self.rule_front_run(2, 3, 2)
        self.rule_register_batch_over_full(2, 0, 1, [(3, 2_500)])

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
        expected: Expected
        if inv.status == SETTLED or inv.settled_bps:  # no new financing once any share is settled
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
            self.actions.append((fp, who.organisation, "register"))

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
                    or inv.settled_bps != 0
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
        if seen != predicted:
            names = {FINANCED_TOPIC: "financed", REFUSED_TOPIC: "refused"}
            show = [[f"invoice {FINGERPRINTS.index(f)} {names[t]}" for t, f in x] for x in (seen, predicted)]
            raise AssertionError(f"registerBatch{[(i, s) for i, s in items]}: chain {show[0]}, model {show[1]}")
        for (i, share), (topic, _) in zip(items, predicted, strict=True):
            if topic == FINANCED_TOPIC:
                self._record(i, who.organisation, share, out.timestamp)
                self.actions.append((i, who.organisation, "register"))

    def rule_register_batch_over_full(
        self, fp: int, financier: int, excess: int, valid_items: list[tuple[int, int]]
    ) -> None:
        """A batch whose first item would take invoice ``fp`` over 100% (by a financier with no share in it, if
        there is one): the item is refused (RegistrationRefused), the rest of the batch goes on."""
        if self.invoices[fp].total == 0 and self.invoices[fp].status == NONE:
            self.rule_register(fp, 5_000, (financier + 1) % 4)  # an honest first share
        inv = self.invoices[fp]
        outside = [n for n in range(4) if self.actors[n].organisation not in inv.shares]
        who = financier if not outside or financier in outside else outside[0]
        share = min(FULL, FULL - inv.total + excess)
        if share <= FULL - inv.total:
            return
        self.rule_register_batch([(fp, share), *valid_items], who)

    def _own_share_error(self, fp: int, who: Actor) -> Expected:
        """What settle and cancel check: the caller, the invoice, and the caller's own unsettled share."""
        inv = self.invoices[fp]
        expected = self._membership_error(who)
        if expected is None and inv.status == SETTLED:
            expected = "InvoiceAlreadySettled", (FINGERPRINTS[fp],)
        elif expected is None and who.organisation not in inv.shares:
            expected = "NotParticipating", (FINGERPRINTS[fp], who.organisation)
        elif expected is None and who.organisation in inv.settled:
            expected = "ShareAlreadySettled", (FINGERPRINTS[fp], who.organisation)
        return expected

    def rule_cancel(self, fp: int, actor: int) -> None:
        """Withdraws the caller's own unsettled share; if only settled shares are left the invoice is settled; if
        none is left its record is gone (it may be financed anew)."""
        who, inv = self.actors[actor], self.invoices[fp]
        expected = self._own_share_error(fp, who)
        out = self.fast.send(who.account, "cancel", FINGERPRINTS[fp])
        assert out.refused() == expected, (out, expected)
        if not out.ok:
            return
        org = who.organisation
        share = inv.shares.pop(org)
        if org == inv.first_org:
            inv.first_bps = 0
        if not inv.shares:
            self.invoices[fp] = Invoice()
        elif inv.settled_bps == inv.total:
            inv.status = SETTLED
        assert self._event(out.logs, CANCELLED_TOPIC, fp) == [(org, share)]
        self.actions.append((fp, org, "cancel"))

    def _event(self, logs: list[dict[str, Any]], topic: str, fp: int) -> list[tuple[int, ...]]:
        """The (organisation, data...) of every ``topic`` event of invoice ``fp`` in ``logs``."""
        found = []
        for log in logs:
            if log["topics"][0] == topic and bytes.fromhex(log["topics"][1][2:]) == FINGERPRINTS[fp]:
                data = bytes.fromhex(log["data"][2:])
                words = [int.from_bytes(data[i : i + 32], "big") for i in range(0, len(data), 32)]
                found.append((int(log["topics"][2], 16), *words))
        return found

    def rule_cancel_by_financier(self, fp: int, financier: int) -> None:
        self.rule_cancel(fp, financier)

    def rule_settle(self, fp: int, actor: int) -> None:
        """Settles the caller's own share: the invoice is settled when every share is."""
        who, inv = self.actors[actor], self.invoices[fp]
        expected = self._own_share_error(fp, who)
        out = self.fast.send(who.account, "settle", FINGERPRINTS[fp])
        assert out.refused() == expected, (out, expected)
        if not out.ok:
            return
        org = who.organisation
        inv.settled.add(org)
        if inv.settled_bps == inv.total:
            inv.status = SETTLED
        assert self._event(out.logs, SETTLED_TOPIC, fp) == [(org, inv.shares[org], inv.settled_bps)]
        self.actions.append((fp, org, "settle"))

    def rule_settle_by_financier(self, fp: int, financier: int) -> None:
        self.rule_settle(fp, financier)

    def rule_every_financier_settles(self, fp: int) -> None:
        for financier in range(4):
            self.rule_settle(fp, financier)

    def rule_every_financier_cancels(self, fp: int) -> None:
        for financier in range(4):
            self.rule_cancel(fp, financier)

    def rule_front_run(self, fp: int, financier: int, other: int) -> None:
        """A rogue financier registers 1 bps of invoice ``fp`` just before an honest one registers 100%: the honest
        registration is refused (before it pays anything out), and it takes what is left instead. The rogue can then
        settle only its own 1 bps."""
        honest = other if other != financier else (financier + 1) % 4
        self.rule_register(fp, 1, financier)
        self.rule_register(fp, FULL, honest)
        left = FULL - self.invoices[fp].total
        if left > 0:
            self.rule_register(fp, left, honest)

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
        seen: list[tuple[int, dict[int, int]]] = []
        for i, inv in enumerate(self.invoices):
            first_org, first_bps, total, status, since, settled_bps = next(values)
            shares = {org: bps for org in self.orgs if (bps := next(values))}
            seen.append((settled_bps, shares))
            # no invoice is financed over 100%; its total is the sum of its shares; its settled part at most that,
            # and it is settled exactly when every share is
            assert total <= FULL
            assert total == sum(shares.values())
            assert settled_bps <= total
            assert (status == SETTLED) == (total > 0 and settled_bps == total), (i, status, settled_bps, total)
            # a settled invoice stays settled and never gains (nor loses) a share
            if i in self.settled_seen:
                assert status == SETTLED and shares == self.settled_seen[i]
            elif status == SETTLED:
                self.settled_seen[i] = shares
            # the chain is the model
            assert (status, shares, settled_bps) == (inv.status, inv.shares, inv.settled_bps)
            assert (first_org, first_bps, since) == (inv.first_org, inv.first_bps, inv.since)
            if self.seen is None:
                continue
            # a financier's share changes, and is settled, only by its own action
            before_settled, before = self.seen[i]
            acted = {org for f, org, _ in self.actions if f == i}
            changed = {org for org in {*before, *shares} if before.get(org) != shares.get(org)}
            assert changed <= acted, (i, changed, acted)
            settles = sum(before[org] for f, org, action in self.actions if f == i and action == "settle")
            assert settled_bps == before_settled + settles
            # once any share is settled, the invoice gains no share
            if before_settled:
                assert set(shares) <= set(before)
        self.seen, self.actions = seen, []


def test_invoices_are_never_financed_over_100_percent(
    registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
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
    run_machine("invoices", InvoiceMachine, COUNTER, invoices, registry, admin, actors)

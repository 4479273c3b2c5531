"""Stateful property test of RiskRegistry (a Hypothesis state machine): models proposed (each naming its approver:
any actor's organisation, its own, none or an unknown one), approved and retired by two customs administrations, a
customs authority that is also a regulator, a financier, a regulator, a member with no role and an outsider, with
suspensions; a regulator the proposer did not name racing to approve (then retire) the model; decision batches
anchored under models in and out of force (and dated before their model's approval); reviews and outcomes by the
batch's organisation and by every other actor, with forged proofs, invalid decisions and outcomes, second reviews and
second outcomes, a declaration re-scored in a new leaf to record its outcome twice, and a review flipping the model's
decision after the inspection, before the outcome; federated rounds in sequence, with gaps and repeats. A Python model
predicts every outcome, down to the custom error and its arguments.

Invariants, after every step: every model's record and counters are the model's; the counters are also what the
outcomes on chain give, counted under the model's own decisions, with at most one outcome per (organisation, model,
declaration); an outcome, once recorded, never changes (nor its effective decision); every batch on chain was
anchored while its model was approved and not retired; every federation's last round and each round's digest are the
model's, rounds numbered 1, 2, 3... without a gap.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import Counter, Fast, latest_timestamp, run_machine, skip_under_coverage

from tradechain.contracts.risk_registry import INSPECT, RELEASE, Decision, decision_tree, round_digest

COUNTER = Counter()
MODELS = [keccak(b"risk model %d" % i) for i in range(2)]
FEDERATIONS = [keccak(b"federation %d" % i) for i in range(2)]
CARD = keccak(b"card")
ZERO = bytes(32)
CUSTOMS, INSPECTOR, FINANCIER, REGULATOR = ROLE["customs"], ROLE["inspector"], ROLE["financier"], ROLE["regulator"]
ANCHORERS, REVIEWERS = CUSTOMS | FINANCIER, CUSTOMS | INSPECTOR
COUNTERS = (
    "confirmations",
    "overrides",
    "inspected_outcomes",
    "inspected_fraud",
    "inspected_critical",
    "released_outcomes",
    "released_fraud",
    "released_critical",
)
Expected = tuple[str, tuple[Any, ...]] | None


@dataclass(frozen=True)
class Actor:
    account: Any
    organisation: int  # 0: not a member
    roles: int


@dataclass
class ModelState:
    proposed_at: int = 0
    approver: int = 0
    approved_at: int = 0
    retired_at: int = 0
    decisions: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))


@dataclass
class BatchState:
    root: bytes
    org: int
    model: tuple[bytes, int]  # (model id, proposer)
    decisions: list[Decision]
    proofs: list[list[bytes]]
    anchored_at: int


class RiskMachine:
    model = st.integers(0, len(MODELS) - 1)
    proposer = st.integers(0, 3)  # an index into the proposing actors
    actor = st.integers(0, 6)
    anchorer = st.integers(0, 3)
    n = st.integers(0, 4)
    early = st.booleans()
    pick = st.integers(0, 15)  # a decision of one of the last batches (see _decision): repeats are frequent
    final = st.sampled_from([RELEASE, INSPECT, RELEASE, INSPECT, 0, 3])
    outcome = st.sampled_from([1, 2, 3, 1, 2, 3, 0, 4])
    forged = st.sampled_from([False, False, False, True])
    federation = st.integers(0, len(FEDERATIONS) - 1)
    step = st.sampled_from([1, 1, 1, 2, 0, -1])
    clients = st.sampled_from([1, 3, 10, 0])
    regulator = st.sampled_from([2, 4])  # the customs authority, the regulator
    by_approver = st.booleans()
    # the approver a proposal names: an actor's organisation (mostly a regulator; 6, the outsider: none, 0), or
    # 7: an organisation that does not exist
    approver = st.sampled_from([4, 4, 2, 2, 4, 2, 0, 1, 3, 5, 6, 7])

    def __init__(cls, risk: Any, registry: Any, admin: Any, actors: list[Actor]) -> None:
        cls.fast, cls.members, cls.admin, cls.actors = Fast(risk), Fast(registry), admin, actors
        cls.proposers = [a for a in actors if a.roles & ANCHORERS]  # customs A, customs B, the authority, the bank
        cls.unknown_org = int(registry.organisationCount()) + 1

    def setup(self) -> None:
        COUNTER.examples += 1
        self.models: dict[tuple[bytes, int], ModelState] = {}
        self.batches: list[BatchState] = []
        self.states: dict[tuple[int, bytes], list[int]] = {}  # (org, leaf) -> [final, outcome, effective]
        self.rounds: dict[tuple[int, bytes], list[bytes]] = {}  # (org, federation) -> digests of rounds 1, 2...
        self.suspended: set[int] = set()
        self.outcomes_seen: dict[tuple[int, bytes], tuple[int, int]] = {}
        self.declared: set[tuple[int, bytes, bytes]] = set()  # (org, model id, declaration hash) with an outcome
        self.nonce = 0
        # every example starts with an approved model of customs A in use, an outcome recorded (then a review that
        # would move the counters after it), an inspection that found nothing flipped to release by a review before
        # its outcome, the declaration with an outcome re-scored in a new leaf and its second outcome refused, a
        # batch scored before the model's approval and its outcome refused, the customs authority trying to approve
        # its own model, the customs authority approving a model of customs A that names the regulator, and proposals
        # naming their own organisation or an unknown one
        self.rule_propose(0, 0, 4)
        self.rule_approve(0, 0, 4)
        self.rule_anchor(0, 0, 0, 3, False)
        self.rule_outcome_by_own(0, 2, False)
        self.rule_review_by_own(0, RELEASE, False)
        self.rule_flip_then_outcome(4, 1)
        self.rule_rescore(0, 2)
        self.rule_anchor(0, 0, 0, 2, True)
        self.rule_outcome_by_own(0, 2, False)
        self.rule_propose(1, 2, 4)
        self.rule_approve(1, 2, 2)
        self.rule_propose(1, 0, 4)
        self.rule_approve_by_a_regulator(1, 0, 2)
        self.rule_propose(0, 2, 2)  # naming itself
        self.rule_propose(0, 1, len(self.actors))  # naming nobody that exists

    # ------------------------------------------------------------------ predictions

    def _membership(self, who: Actor, roles: int | None) -> Expected:
        if not who.organisation:
            return "UnregisteredAccount", (str(who.account),)
        if who.organisation in self.suspended:
            return "OrganisationIsSuspended", (who.organisation,)
        if roles is not None and not who.roles & roles:
            return "MissingRole", (str(who.account), who.organisation, roles)
        return None

    def _check(self, out: Any, expected: Expected) -> None:
        assert out.refused() == expected, (out, expected)

    # ------------------------------------------------------------------ models

    def rule_propose(self, model: int, actor: int, approver: int) -> None:
        who = self.actors[actor]
        key = (MODELS[model], who.organisation)
        named = self.unknown_org if approver == len(self.actors) else self.actors[approver].organisation
        expected = self._membership(who, ANCHORERS)
        if expected is None and named == who.organisation:
            expected = "SelfApproval", key
        elif expected is None and not 0 < named < self.unknown_org:
            expected = "NonexistentApprover", (key[0], named)
        elif expected is None and key in self.models:
            expected = "ModelAlreadyProposed", key
        out = self.fast.send(who.account, "proposeModel", MODELS[model], CARD, named)
        self._check(out, expected)
        if out.ok:
            self.models[key] = ModelState(proposed_at=out.timestamp, approver=named)

    def rule_approve(self, model: int, proposer: int, actor: int) -> None:
        who, org = self.actors[actor], self.proposers[proposer].organisation
        key = (MODELS[model], org)
        m = self.models.get(key)
        expected = self._membership(who, REGULATOR)
        if expected is None and m is None:
            expected = "NonexistentModel", key
        elif expected is None and who.organisation == org:
            expected = "SelfApproval", key
        elif expected is None and m is not None and who.organisation != m.approver:
            expected = "NotDesignatedApprover", (str(who.account), who.organisation, m.approver)
        elif expected is None and m is not None and m.retired_at:
            expected = "ModelIsRetired", (*key, m.retired_at)
        elif expected is None and m is not None and m.approved_at:
            expected = "ModelAlreadyApproved", (*key, m.approver)
        out = self.fast.send(who.account, "approveModel", *key)
        self._check(out, expected)
        if out.ok and m is not None:
            m.approved_at = out.timestamp

    def rule_approve_by_a_regulator(self, model: int, proposer: int, regulator: int) -> None:
        """A regulator approves: the named one, or one racing uninvited to become the approver (refused)."""
        self.rule_approve(model, proposer, regulator)

    def rule_retire_by_its_party(self, model: int, proposer: int, by_approver: bool) -> None:
        """The proposer, or its named approver (the regulator for a model not proposed), retires the model."""
        m = self.models.get((MODELS[model], self.proposers[proposer].organisation))
        if by_approver:
            approver = m.approver if m is not None else self.actors[4].organisation
            self.rule_retire(model, proposer, next(i for i, a in enumerate(self.actors) if a.organisation == approver))
        else:
            self.rule_retire(model, proposer, self.actors.index(self.proposers[proposer]))

    def rule_retire(self, model: int, proposer: int, actor: int) -> None:
        who, org = self.actors[actor], self.proposers[proposer].organisation
        key = (MODELS[model], org)
        m = self.models.get(key)
        expected = self._membership(who, None)
        if expected is None and m is None:
            expected = "NonexistentModel", key
        elif expected is None and m is not None and who.organisation not in (org, m.approver):
            expected = "UnauthorizedRetirer", (str(who.account), *key)
        elif expected is None and m is not None and m.retired_at:
            expected = "ModelIsRetired", (*key, m.retired_at)
        out = self.fast.send(who.account, "retireModel", *key, b"why".ljust(32, b"\0"))
        self._check(out, expected)
        if out.ok and m is not None:
            m.retired_at = out.timestamp

    # ------------------------------------------------------------------ decisions

    def rule_anchor_by_an_anchorer(self, model: int, proposer: int, anchorer: int, n: int, early: bool) -> None:
        self.rule_anchor(model, proposer, self.actors.index(self.proposers[anchorer]), n, early)

    def rule_anchor(self, model: int, proposer: int, actor: int, n: int, early: bool) -> None:
        """A batch of n decisions (0: an empty batch) of the model of `proposer`; `early`: dated before the
        model's approval (customs scored with it before it was approved)."""
        who, org = self.actors[actor], self.proposers[proposer].organisation
        key = (MODELS[model], org)
        at = 1 if early else latest_timestamp()
        self.nonce += 1
        decisions = [
            Decision(
                keccak(b"%d/%d" % (self.nonce, i)),
                key[0],
                600_000 + i,
                600_000,
                INSPECT if i % 2 else RELEASE,
                keccak(b"why %d" % i),
                at,
            )
            for i in range(max(n, 1))
        ]
        self._anchor(who, key, decisions, n)

    def _anchor(self, who: Actor, key: tuple[bytes, int], decisions: list[Decision], n: int) -> bool:
        """Anchors `decisions` (declared as n) under the model `key` by `who`: whether it was."""
        m = self.models.get(key)
        tree = decision_tree(decisions)
        expected = self._membership(who, ANCHORERS)
        if expected is None and n == 0:
            expected = "InvalidDecisionCount", (0,)
        elif expected is None and who.organisation != key[1]:
            expected = "ForeignModel", (*key, who.organisation)
        elif expected is None and m is not None and m.retired_at:
            expected = "ModelIsRetired", (*key, m.retired_at)
        elif expected is None and (m is None or not m.approved_at):
            expected = "ModelNotApproved", key
        out = self.fast.send(who.account, "anchorDecisions", tree.root, n, *key)
        self._check(out, expected)
        if out.ok and m is not None:
            m.decisions += n
            proofs = [tree.proof(i) for i in range(n)]
            self.batches.append(BatchState(tree.root, who.organisation, key, decisions, proofs, out.timestamp))
        return bool(out.ok)

    def rule_rescore(self, pick: int, outcome: int) -> None:
        """The attack on precision: the batch's organisation re-scores a declaration of a recent batch (a new leaf:
        new reasons, the time now), anchors it alone under the same model and records an outcome for it: refused
        if the declaration has one already under that model."""
        if not self.batches:
            return
        b = self.batches[-1 - pick % min(len(self.batches), 4)]
        d = b.decisions[(pick // 4) % len(b.decisions)]
        self.nonce += 1
        again = Decision(*d.fields()[:5], keccak(b"re-scored %d" % self.nonce), latest_timestamp())
        owner = next(a for a in self.actors if a.organisation == b.org)
        if self._anchor(owner, b.model, [again], 1):
            self.rule_outcome_by_own(0, outcome, False)

    def rule_anchor_again(self, pick: int, actor: int) -> None:
        """Anchors the root of an existing batch again: refused to its organisation, and to any other (the model is
        not its own)."""
        if not self.batches:
            return
        b = self.batches[pick % len(self.batches)]
        who = self.actors[actor]
        m = self.models[b.model]
        expected = self._membership(who, ANCHORERS)
        if expected is None and who.organisation != b.model[1]:
            expected = "ForeignModel", (*b.model, who.organisation)
        elif expected is None and any(x.root == b.root and x.org == who.organisation for x in self.batches):
            expected = "DecisionsAlreadyAnchored", (b.root, who.organisation)
        elif expected is None and m.retired_at:
            expected = "ModelIsRetired", (*b.model, m.retired_at)
        out = self.fast.send(who.account, "anchorDecisions", b.root, len(b.decisions), *b.model)
        self._check(out, expected)
        if out.ok:
            m.decisions += len(b.decisions)
            self.batches.append(BatchState(b.root, who.organisation, b.model, b.decisions, b.proofs, out.timestamp))

    def _decision(
        self, pick: int, actor: int, forged: bool
    ) -> tuple[BatchState, Decision, list[bytes], Actor, Expected]:
        """A decision of an anchored batch, what a review or an outcome of it by `actor` checks first."""
        b = self.batches[-1 - pick % min(len(self.batches), 4)]
        i = (pick // 4) % len(b.decisions)
        d, proof = b.decisions[i], b.proofs[i]
        if forged:  # the score raised after the fact
            d = Decision(
                d.declaration_hash, d.model_id, 1_000_000, d.threshold, d.decision, d.explanation_hash, d.decided_at
            )
        who = self.actors[actor]
        expected = self._membership(who, REVIEWERS)
        approved_at = self.models[b.model].approved_at
        if expected is None and who.organisation != b.org:
            expected = "NotBatchOrganisation", (str(who.account), who.organisation, b.org)
        elif expected is None and not approved_at <= d.decided_at <= b.anchored_at:
            expected = "DecisionTimeOutOfRange", (d.decided_at, approved_at, b.anchored_at)
        elif expected is None and forged:
            expected = "InvalidDecisionProof", (b.root, d.leaf)
        return b, d, proof, who, expected

    def rule_review(self, pick: int, actor: int, final: int, forged: bool) -> None:
        b, d, proof, who, expected = self._decision(pick, actor, forged)
        state = self.states.get((b.org, d.leaf))
        if expected is None and final not in (RELEASE, INSPECT):
            expected = "InvalidDecision", (final,)
        elif expected is None and state is not None and state[1]:
            expected = "OutcomeAlreadyRecorded", (d.leaf, b.org)
        elif expected is None and state is not None and state[0]:
            expected = "AlreadyReviewed", (d.leaf, b.org)
        out = self.fast.send(who.account, "reviewDecision", b.root, b.org, d.fields(), proof, final, ZERO)
        self._check(out, expected)
        if out.ok:
            self.states.setdefault((b.org, d.leaf), [0, 0, 0])[0] = final
            self.models[b.model].counts["overrides" if final != d.decision else "confirmations"] += 1

    def _own(self, pick: int) -> int:
        """The actor of the organisation that anchored the batch `pick` designates."""
        org = self.batches[-1 - pick % min(len(self.batches), 4)].org
        return next(i for i, a in enumerate(self.actors) if a.organisation == org)

    def rule_review_by_own(self, pick: int, final: int, forged: bool) -> None:
        self.rule_review(pick, self._own(pick), final, forged)

    def rule_outcome_by_own(self, pick: int, outcome: int, forged: bool) -> None:
        self.rule_outcome(pick, self._own(pick), outcome, forged)

    def rule_flip_then_outcome(self, pick: int, outcome: int) -> None:
        """The attack on precision: after the inspection, a review flips the model's decision (an inspection that
        found nothing "released"), then the outcome is recorded: it counts under the model's own decision."""
        if not self.batches:
            return
        b = self.batches[-1 - pick % min(len(self.batches), 4)]
        d = b.decisions[(pick // 4) % len(b.decisions)]
        self.rule_review_by_own(pick, RELEASE if d.decision == INSPECT else INSPECT, False)
        self.rule_outcome_by_own(pick, outcome, False)

    def rule_outcome(self, pick: int, actor: int, outcome: int, forged: bool) -> None:
        b, d, proof, who, expected = self._decision(pick, actor, forged)
        state = self.states.get((b.org, d.leaf))
        if expected is None and outcome not in (1, 2, 3):
            expected = "InvalidOutcome", (outcome,)
        elif expected is None and state is not None and state[1]:
            expected = "OutcomeAlreadyRecorded", (d.leaf, b.org)
        elif expected is None and (b.org, d.model_id, d.declaration_hash) in self.declared:
            expected = "DeclarationOutcomeAlreadyRecorded", (d.declaration_hash, d.model_id, b.org)
        out = self.fast.send(who.account, "recordOutcome", b.root, b.org, d.fields(), proof, outcome)
        self._check(out, expected)
        if out.ok:
            self.declared.add((b.org, d.model_id, d.declaration_hash))
            state = self.states.setdefault((b.org, d.leaf), [0, 0, 0])
            state[1], state[2] = outcome, state[0] or d.decision
            side = "inspected" if d.decision == INSPECT else "released"  # the model's decision, not the review's
            counts = self.models[b.model].counts
            counts[f"{side}_outcomes"] += 1
            counts[f"{side}_fraud"] += outcome >= 2
            counts[f"{side}_critical"] += outcome == 3

    # ------------------------------------------------------------------ rounds

    def rule_round(self, federation: int, actor: int, step: int, clients: int) -> None:
        """Round last + step (1: the next; 2: a gap; 0: a repeat; -1: an earlier one) of the caller's federation."""
        who = self.actors[actor]
        fed = FEDERATIONS[federation]
        done = self.rounds.get((who.organisation, fed), [])
        number = max(len(done) + step, 0)
        updates, aggregate = keccak(b"updates %d" % number), keccak(b"aggregate %d %d" % (number, clients))
        expected = self._membership(who, ANCHORERS)
        if expected is None and clients == 0:
            expected = "InvalidRoundData", (fed, updates, 0, aggregate)
        elif expected is None and number != len(done) + 1:
            expected = "InvalidRound", (fed, number, len(done) + 1)
        out = self.fast.send(who.account, "anchorRound", fed, number, updates, clients, aggregate)
        self._check(out, expected)
        if out.ok:
            self.rounds.setdefault((who.organisation, fed), []).append(round_digest(updates, clients, aggregate))

    def rule_suspend_or_reinstate(self, anchorer: int) -> None:
        org = self.proposers[anchorer].organisation
        if org in self.suspended:
            out = self.members.send(self.admin, "reinstate", org)
            self.suspended.discard(org)
        else:
            out = self.members.send(self.admin, "suspend", org, ZERO)
            self.suspended.add(org)
        assert out.ok

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        keys = [(m, p.organisation) for m in MODELS for p in self.proposers]
        calls: list[tuple[str, list[Any]]] = [("model", list(k)) for k in keys]
        calls += [("batch", [b.root, b.org]) for b in self.batches]
        leaves = sorted({(b.org, d.leaf) for b in self.batches for d in b.decisions})
        calls += [("decisionState", list(k)) for k in leaves]
        feds = [(p.organisation, f) for p in self.proposers for f in FEDERATIONS]
        calls += [("federation", list(k)) for k in feds]
        calls += [("round", [org, f, n + 1]) for (org, f), digests in self.rounds.items() for n in range(len(digests))]
        values = iter(self.fast.views(calls))
        chain_models = {}
        chain_counts = {}
        for key in keys:
            card, proposer, approver, proposed, approved, retired, decisions, *counts = next(values)
            chain_models[key] = (approved, retired)
            chain_counts[key] = dict(zip(COUNTERS[2:], counts[2:], strict=True))
            m = self.models.get(key)
            if m is None:
                assert proposed == 0 and decisions == 0 and not any(counts), key
                continue
            assert (card, proposer, approver, proposed, approved, retired) == (
                CARD,
                key[1],
                m.approver,
                m.proposed_at,
                m.approved_at,
                m.retired_at,
            ), key
            assert decisions == m.decisions and dict(zip(COUNTERS, counts, strict=True)) == m.counts, key
        for b in self.batches:
            model_id, proposer, anchored_at, _ = next(values)
            assert (model_id, proposer) == b.model and anchored_at > 0
            approved, retired = chain_models[b.model]
            # no batch under a model that was not approved, or was retired, when it was anchored
            assert approved != 0 and approved <= anchored_at and (retired == 0 or retired >= anchored_at)
        decision_of = {(b.org, d.leaf): (b.model, d) for b in self.batches for d in b.decisions}
        from_chain = {k: dict.fromkeys(COUNTERS[2:], 0) for k in keys}
        declarations: set[tuple[int, bytes, bytes]] = set()
        for key in leaves:
            final, _, outcome, effective, _ = next(values)
            state = self.states.get(key, [0, 0, 0])
            assert (final, outcome, effective) == tuple(state), key
            if outcome:  # an outcome, once recorded, never changes
                assert self.outcomes_seen.setdefault(key, (outcome, effective)) == (outcome, effective), key
                model_key, d = decision_of[key]
                declaration = (key[0], d.model_id, d.declaration_hash)
                assert declaration not in declarations, declaration  # one outcome per declaration and model
                declarations.add(declaration)
                side = "inspected" if d.decision == INSPECT else "released"
                from_chain[model_key][f"{side}_outcomes"] += 1
                from_chain[model_key][f"{side}_fraud"] += outcome >= 2
                from_chain[model_key][f"{side}_critical"] += outcome == 3
        # the model's counters are what its outcomes on chain give under the model's own decisions
        assert chain_counts == from_chain, (chain_counts, from_chain)
        for key in feds:
            last, _ = next(values)
            assert last == len(self.rounds.get(key, [])), key
        for digests in self.rounds.values():
            for digest in digests:
                got, anchored_at = next(values)
                assert got == digest and anchored_at > 0


def test_risk_models_counters_outcomes_and_rounds_follow_the_model(
    registry: Any, members: dict[str, int], admin: Any, accounts: Any, request: Any
) -> None:
    from brownie import RiskRegistry  # type: ignore[attr-defined]

    skip_under_coverage(request)
    risk = RiskRegistry.deploy(registry, {"from": admin})
    extra = [
        (accounts[4], CUSTOMS),  # customs A
        (accounts[14], CUSTOMS),  # customs B
        (accounts[13], CUSTOMS | REGULATOR),  # a customs authority: it approves models naming it, never its own
    ]
    orgs = {}
    for n, (account, roles) in enumerate(extra):
        tx = registry.admit(lei_bytes(80 + n), 0, b"NL", roles, ZERO, account, {"from": admin})
        orgs[account] = int(tx.events["OrganisationAdmitted"]["organisation"])
    actors = [
        *(Actor(account, orgs[account], roles) for account, roles in extra),
        Actor(accounts[6], members["financier"], FINANCIER),
        Actor(accounts[7], members["regulator"], REGULATOR),
        Actor(accounts[8], members["retailer"], ROLE["retailer"]),  # a member with none of the roles
        Actor(accounts[19], 0, 0),  # an outsider
    ]
    run_machine("risk", RiskMachine, COUNTER, risk, registry, admin, actors)

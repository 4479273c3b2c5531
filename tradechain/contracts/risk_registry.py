"""Client of ``RiskRegistry``: risk models (proposed by customs or a financier, approved by a regulator of another
organisation, retired for ever), decisions anchored in Merkle batches, the human review and the inspection outcome of
each decision (counted per model, so that every model's precision follows from the chain alone), and the rounds of
federated training.

The leaf of a decision, as the contract hashes it (:func:`decision_leaf`)::

    keccak256(bytes.concat(keccak256(abi.encode(bytes32 declarationHash, bytes32 modelId, uint32 score,
        uint32 threshold, uint8 decision, bytes32 explanationHash, uint40 decidedAt))))

``score`` and ``threshold`` in millionths (0 to 1,000,000), ``decision`` 1 (release) or 2 (inspect). A batch's tree is
:class:`tradechain.formats.merkle.MerkleTree` (OpenZeppelin's sorted pairs). Only hashes reach the chain: the
declaration, its score's inputs and its explanation stay with the customs administration.

Every input is checked before anything is sent (an :class:`~tradechain.errors.InputError` names the field)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from tradechain.chain.tx import Receipt
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError
from tradechain.formats.merkle import MerkleTree
from tradechain.formats.values import parse_bytes32, reason_code

NAME = "RiskRegistry"
RELEASE, INSPECT = 1, 2
DECISION_NAMES = {RELEASE: "release", INSPECT: "inspect"}
DECISIONS = {name: code for code, name in DECISION_NAMES.items()}
NO_FRAUD, FRAUD, CRITICAL = 1, 2, 3
OUTCOME_NAMES = {NO_FRAUD: "no fraud", FRAUD: "fraud", CRITICAL: "critical fraud"}
OUTCOMES = {"no-fraud": NO_FRAUD, "fraud": FRAUD, "critical": CRITICAL}
SCALE = 1_000_000  # scores and thresholds are in millionths
MAX_PROOF_DEPTH = 64
_TIME_MASK = (1 << 40) - 1
_ZERO = bytes(32)
_LEAF_TYPES = ["bytes32", "bytes32", "uint32", "uint32", "uint8", "bytes32", "uint40"]


# ------------------------------------------------------------------ checked inputs


def _hash(value: Any, field: str, *, nonzero: bool = False) -> bytes:
    """A bytes32: 32 bytes, or 0x and 64 hex digits."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 32:
            raise InputError(field, "a 32-byte hash is 32 bytes", "0x" + bytes(value).hex())
        raw = bytes(value)
    elif isinstance(value, str):
        raw = parse_bytes32(value, field)
    else:
        raise InputError(field, "a 32-byte hash is 0x followed by 64 hex digits", value)
    if nonzero and raw == _ZERO:
        raise InputError(field, "must not be zero")
    return raw


def _whole(value: Any, field: str, *, bits: int, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, "must be a whole number", value)
    top = (1 << bits) - 1 if maximum is None else maximum
    if not minimum <= value <= top:
        raise InputError(field, f"must be from {minimum} to {top:,}", value)
    return value


def parse_decision(value: int | str, field: str = "decision") -> int:
    """1 (release) or 2 (inspect), by number or by name."""
    if isinstance(value, str) and value.strip().lower() in DECISIONS:
        return DECISIONS[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in DECISION_NAMES:
        return value
    raise InputError(field, "a decision is 1 (release) or 2 (inspect)", value)


def parse_outcome(value: int | str, field: str = "outcome") -> int:
    """1 (no fraud), 2 (fraud) or 3 (critical fraud), by number or by name (no-fraud, fraud, critical)."""
    if isinstance(value, str) and value.strip().lower() in OUTCOMES:
        return OUTCOMES[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in OUTCOME_NAMES:
        return value
    raise InputError(field, "an outcome is 1 (no fraud), 2 (fraud) or 3 (critical fraud)", value)


def _proof(proof: Sequence[Any], field: str = "proof") -> list[bytes]:
    if isinstance(proof, (str, bytes)) or not isinstance(proof, Sequence) or len(proof) > MAX_PROOF_DEPTH:
        raise InputError(field, f"a list of at most {MAX_PROOF_DEPTH} 32-byte hashes")
    return [_hash(p, f"{field}[{i}]") for i, p in enumerate(proof)]


def _org(value: Any, field: str) -> int:
    return _whole(value, field, bits=32, minimum=1)


# ------------------------------------------------------------------ pure functions


def decision_leaf(
    declaration_hash: bytes,
    model_id: bytes,
    score: int,
    threshold: int,
    decision: int,
    explanation_hash: bytes,
    decided_at: int,
) -> bytes:
    """The leaf of a decision, as ``RiskRegistry.decisionLeaf`` computes it (the fields are not range-checked here:
    :class:`Decision` checks them)."""
    values = [declaration_hash, model_id, score, threshold, decision, explanation_hash, decided_at]
    return keccak(keccak(abi_encode(_LEAF_TYPES, values)))


def round_digest(updates_root: bytes, clients: int, aggregate_hash: bytes) -> bytes:
    """What the chain keeps of a federated round, as ``RiskRegistry.roundDigest``: ``keccak256(abi.encode(bytes32
    updatesRoot, uint32 clients, bytes32 aggregateHash))`` with its low 40 bits cleared."""
    digest = keccak(abi_encode(["bytes32", "uint32", "bytes32"], [updates_root, clients, aggregate_hash]))
    return (int.from_bytes(digest, "big") & ~_TIME_MASK).to_bytes(32, "big")


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class Decision:
    """One decision of a risk model on one declaration: every field checked on construction (InputError)."""

    declaration_hash: bytes
    model_id: bytes
    score: int  # millionths
    threshold: int  # millionths
    decision: int  # RELEASE or INSPECT
    explanation_hash: bytes
    decided_at: int  # Unix time

    def __post_init__(self) -> None:
        object.__setattr__(self, "declaration_hash", _hash(self.declaration_hash, "declaration_hash"))
        object.__setattr__(self, "model_id", _hash(self.model_id, "model_id", nonzero=True))
        _whole(self.score, "score", bits=32, maximum=SCALE)
        _whole(self.threshold, "threshold", bits=32, maximum=SCALE)
        object.__setattr__(self, "decision", parse_decision(self.decision))
        object.__setattr__(self, "explanation_hash", _hash(self.explanation_hash, "explanation_hash"))
        _whole(self.decided_at, "decided_at", bits=40, minimum=1)

    @property
    def leaf(self) -> bytes:
        return decision_leaf(*self.fields())

    def fields(self) -> tuple[bytes, bytes, int, int, int, bytes, int]:
        """The leaf's fields in order: the ``Decision`` tuple the contract takes."""
        return (
            self.declaration_hash,
            self.model_id,
            self.score,
            self.threshold,
            self.decision,
            self.explanation_hash,
            self.decided_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "declarationHash": "0x" + self.declaration_hash.hex(),
            "modelId": "0x" + self.model_id.hex(),
            "score": self.score,
            "threshold": self.threshold,
            "decision": DECISION_NAMES[self.decision],
            "explanationHash": "0x" + self.explanation_hash.hex(),
            "decidedAt": self.decided_at,
        }


def decision_tree(decisions: Sequence[Decision]) -> MerkleTree:
    """The Merkle tree of a batch of decisions, in their order (proof of decision i: ``tree.proof(i)``)."""
    if not decisions:
        raise InputError("decisions", "a batch has at least one decision")
    return MerkleTree.build([d.leaf for d in decisions])


@dataclass(frozen=True)
class ModelRecord:
    """A model of one proposer, with its statistics (see ``IRiskRegistry.Model``)."""

    model_id: bytes
    card_hash: bytes
    proposer: int
    approver: int  # named by the proposer at proposal: approved only once approved_at is set
    proposed_at: int
    approved_at: int
    retired_at: int
    decisions: int
    confirmations: int
    overrides: int
    inspected_outcomes: int
    inspected_fraud: int
    inspected_critical: int
    released_outcomes: int
    released_fraud: int
    released_critical: int

    @property
    def exists(self) -> bool:
        return self.proposed_at != 0

    @property
    def status(self) -> str:
        """unknown, proposed, approved or retired (approved: ``approved_at`` set; ``approver`` is named at proposal
        and says nothing of approval)."""
        if not self.exists:
            return "unknown"
        if self.retired_at:
            return "retired"
        return "approved" if self.approved_at else "proposed"

    @property
    def precision(self) -> float | None:
        """Fraud found among the outcomes of the decisions the model said to inspect, whatever their review (None
        before any). Self-reported by the deciding organisation."""
        return self.inspected_fraud / self.inspected_outcomes if self.inspected_outcomes else None

    @property
    def critical_precision(self) -> float | None:
        """Critical fraud found among the same outcomes (None before any)."""
        return self.inspected_critical / self.inspected_outcomes if self.inspected_outcomes else None

    @property
    def override_rate(self) -> float | None:
        reviews = self.confirmations + self.overrides
        return self.overrides / reviews if reviews else None

    def in_force_at(self, when: int) -> bool:
        """Whether the model was approved and not retired at Unix time ``when``."""
        return bool(self.approved_at) and self.approved_at <= when and (not self.retired_at or when < self.retired_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "modelId": "0x" + self.model_id.hex(),
            "cardHash": "0x" + self.card_hash.hex(),
            "status": self.status,
            "proposer": self.proposer,
            "approver": self.approver or None,
            "proposedAt": self.proposed_at or None,
            "approvedAt": self.approved_at or None,
            "retiredAt": self.retired_at or None,
            "decisions": self.decisions,
            "confirmations": self.confirmations,
            "overrides": self.overrides,
            "inspectedOutcomes": self.inspected_outcomes,
            "inspectedFraud": self.inspected_fraud,
            "inspectedCritical": self.inspected_critical,
            "releasedOutcomes": self.released_outcomes,
            "releasedFraud": self.released_fraud,
            "releasedCritical": self.released_critical,
            "precision": self.precision,
        }


@dataclass(frozen=True)
class Batch:
    root: bytes
    org: int
    model_id: bytes
    model_proposer: int
    anchored_at: int  # 0: not anchored
    count: int

    @property
    def exists(self) -> bool:
        return self.anchored_at != 0


@dataclass(frozen=True)
class DecisionState:
    final_decision: int  # 0: not reviewed
    reviewed_at: int
    outcome: int  # 0: none yet
    effective_decision: int  # the decision the outcome was counted under (0 before it)
    outcome_at: int


@dataclass(frozen=True)
class DecisionCheck:
    """What verifying a decision found: ``proven`` (in the anchored batch), ``in_force`` (of the batch's model,
    decided while it was approved and before the batch was anchored), its batch, review and outcome."""

    decision: Decision
    leaf: bytes
    proven: bool
    in_force: bool
    batch: Batch
    state: DecisionState

    @property
    def effective_decision(self) -> int:
        """The reviewer's final decision if reviewed, else the model's."""
        return self.state.final_decision if self.state.reviewed_at else self.decision.decision

    @property
    def overridden(self) -> bool:
        return bool(self.state.reviewed_at) and self.state.final_decision != self.decision.decision


@dataclass(frozen=True)
class RoundRecord:
    org: int
    federation: bytes
    round: int
    digest: bytes  # zero: not anchored
    anchored_at: int

    @property
    def exists(self) -> bool:
        return self.anchored_at != 0

    def matches(self, updates_root: bytes, clients: int, aggregate_hash: bytes) -> bool:
        """Whether a round's manifest (updates root, client count, aggregate hash) is what was anchored."""
        return self.exists and round_digest(updates_root, clients, aggregate_hash) == self.digest


# ------------------------------------------------------------------ the client


class RiskRegistryClient(ContractClient, name=NAME):
    # -------------------------------------------------------------- models

    def propose_model(self, model_id: bytes | str, card_hash: bytes | str, approver: int) -> Receipt:
        """Proposes a model (customs or financier role): ``model_id`` the SHA-256 of its ONNX artifact,
        ``card_hash`` the keccak-256 of its card's canonical JSON, ``approver`` the organisation (another one, with
        the regulator role) that alone may approve it."""
        model = _hash(model_id, "model_id", nonzero=True)
        card = _hash(card_hash, "card_hash", nonzero=True)
        return self._send("proposeModel", model, card, _org(approver, "approver"))

    def approve_model(self, model_id: bytes | str, proposer: int) -> Receipt:
        """Approves the model of ``proposer`` (regulator role, of the organisation the proposer named)."""
        return self._send("approveModel", _hash(model_id, "model_id", nonzero=True), _org(proposer, "proposer"))

    def retire_model(self, model_id: bytes | str, proposer: int, reason: str) -> Receipt:
        """Retires the model of ``proposer`` for ever (an account of the proposer or of its named approver)."""
        model, org = _hash(model_id, "model_id", nonzero=True), _org(proposer, "proposer")
        return self._send("retireModel", model, org, reason_code(reason))

    def model(self, model_id: bytes | str, proposer: int, *, block: int | str = "latest") -> ModelRecord:
        """The model of ``proposer`` with its statistics (``exists`` False if unknown)."""
        model = _hash(model_id, "model_id", nonzero=True)
        raw = self._call("model", model, _org(proposer, "proposer"), block=block)
        card, *rest = raw
        return ModelRecord(model, bytes(card), *(int(v) for v in rest))

    # -------------------------------------------------------------- decisions

    def anchor_decisions(self, root: bytes | str, count: int, model_id: bytes | str, proposer: int) -> Receipt:
        """Anchors the Merkle root of ``count`` decisions of the model of ``proposer`` (customs or financier)."""
        raw = _hash(root, "root", nonzero=True)
        n = _whole(count, "count", bits=32, minimum=1)
        model = _hash(model_id, "model_id", nonzero=True)
        return self._send("anchorDecisions", raw, n, model, _org(proposer, "proposer"))

    def anchor_batch(self, decisions: Sequence[Decision], proposer: int) -> tuple[MerkleTree, Receipt]:
        """Anchors ``decisions`` (all of one model) as one batch: the tree (its proofs) and the receipt."""
        tree = decision_tree(decisions)
        models = {d.model_id for d in decisions}
        if len(models) != 1:
            raise InputError("decisions", "every decision of a batch names the same model")
        return tree, self.anchor_decisions(tree.root, len(decisions), decisions[0].model_id, proposer)

    def batch(self, root: bytes | str, org: int) -> Batch:
        raw, owner = _hash(root, "root"), _org(org, "org")
        model, proposer, anchored, count = self._call("batch", raw, owner)
        return Batch(raw, owner, bytes(model), int(proposer), int(anchored), int(count))

    def decision_state(self, org: int, leaf: bytes | str) -> DecisionState:
        raw = self._call("decisionState", _org(org, "org"), _hash(leaf, "leaf"))
        return DecisionState(*(int(v) for v in raw))

    def verify_decision(
        self,
        root: bytes | str,
        org: int,
        decision: Decision,
        proof: Sequence[bytes | str],
        *,
        block: int | str = "latest",
    ) -> DecisionCheck:
        """Checks ``decision`` with its ``proof`` against batch ``root`` of ``org``, with its review and outcome."""
        raw, owner, branch = _hash(root, "root"), _org(org, "org"), _proof(proof)
        proven, in_force, leaf, b, s = self._call("verifyDecision", raw, owner, decision.fields(), branch, block=block)
        batch = Batch(raw, owner, bytes(b[0]), int(b[1]), int(b[2]), int(b[3]))
        return DecisionCheck(
            decision, bytes(leaf), bool(proven), bool(in_force), batch, DecisionState(*(int(v) for v in s))
        )

    def review_decision(
        self,
        root: bytes | str,
        org: int,
        decision: Decision,
        proof: Sequence[bytes | str],
        final_decision: int | str,
        reason: str,
    ) -> Receipt:
        """Confirms (``final_decision`` the model's) or overrides the decision, with a reason code (customs or
        inspector of ``org``)."""
        raw, owner, branch = _hash(root, "root"), _org(org, "org"), _proof(proof)
        final = parse_decision(final_decision, "final_decision")
        return self._send("reviewDecision", raw, owner, decision.fields(), branch, final, reason_code(reason))

    def record_outcome(
        self, root: bytes | str, org: int, decision: Decision, proof: Sequence[bytes | str], outcome: int | str
    ) -> Receipt:
        """Records the inspection outcome of the decision, once and for ever (customs or inspector of ``org``)."""
        raw, owner, branch = _hash(root, "root"), _org(org, "org"), _proof(proof)
        return self._send("recordOutcome", raw, owner, decision.fields(), branch, parse_outcome(outcome))

    # -------------------------------------------------------------- federated rounds

    def anchor_round(
        self,
        federation: bytes | str,
        number: int,
        updates_root: bytes | str,
        clients: int,
        aggregate_hash: bytes | str,
    ) -> Receipt:
        """Anchors round ``number`` (1, 2, 3... without a gap) of the caller's federation ``federation``."""
        fed = _hash(federation, "federation", nonzero=True)
        number = _whole(number, "round", bits=32, minimum=1)
        updates = _hash(updates_root, "updates_root", nonzero=True)
        n = _whole(clients, "clients", bits=32, minimum=1)
        aggregate = _hash(aggregate_hash, "aggregate_hash", nonzero=True)
        return self._send("anchorRound", fed, number, updates, n, aggregate)

    def round(self, org: int, federation: bytes | str, number: int) -> RoundRecord:
        """Round ``number`` of ``org``'s federation (``exists`` False if not anchored)."""
        owner, fed = _org(org, "org"), _hash(federation, "federation")
        number = _whole(number, "round", bits=32)
        digest, anchored = self._call("round", owner, fed, number)
        return RoundRecord(owner, fed, number, bytes(digest), int(anchored))

    def federation(self, org: int, federation: bytes | str) -> tuple[int, int]:
        """(last round, when it was anchored) of ``org``'s federation; (0, 0) if none."""
        last, at = self._call("federation", _org(org, "org"), _hash(federation, "federation"))
        return int(last), int(at)

    def models(self) -> list[ModelRecord]:
        """Every model proposed on this chain (from the ``ModelProposed`` events), in the order proposed, with its
        current record and statistics."""
        seen: list[tuple[bytes, int]] = []
        for log in self._event_logs("ModelProposed"):
            key = (bytes(log["args"]["modelId"]), int(log["args"]["proposer"]))
            if key not in seen:
                seen.append(key)
        return [self.model(mid, proposer) for mid, proposer in seen]

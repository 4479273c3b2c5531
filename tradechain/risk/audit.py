"""The replay audit of one decision, for an auditor holding only the decision file, the model store and a node:
the model is fetched by its id (its SHA-256 checked), the score recomputed from the recorded declaration with the
pinned runtime, the explanation recomputed, the leaf's Merkle proof checked against the root the chain anchored,
and the model's approval checked at the time of the decision. MATCH, or every mismatch by name:

``declaration``  the recorded input does not hash to the decision's declaration hash (the input was changed);
``model``        the store has no artifact of that id, or other bytes under it;
``score``        the model scores the recorded input otherwise than recorded;
``threshold``    the decision's threshold is not the approved model's own (an officer's own cut-off);
``decision``     the decision is not what the score and threshold give;
``explanation``  the recorded or recomputed explanation does not hash to the decision's explanation hash;
``proof``        the leaf (of the recorded fields) is not under the batch's root;
``anchor``       the chain has no such batch of that organisation, or it names another model;
``approval``     the model was not approved, or was retired, at the time of the decision, or the decision is
                 dated after its batch was anchored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradechain.contracts.risk_registry import DECISION_NAMES
from tradechain.errors import InputError, TradechainError
from tradechain.formats import merkle
from tradechain.risk import decisions as decisions_
from tradechain.risk import declarations as declarations_
from tradechain.risk.artifact import RiskModel, to_ppm
from tradechain.risk.explain import explain, explanation_hash
from tradechain.risk.store import ModelStore

if TYPE_CHECKING:
    from tradechain.client import Client

CHECKS = ("declaration", "model", "score", "threshold", "explanation", "decision", "proof", "anchor", "approval")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class AuditReport:
    declaration_id: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "MATCH" if all(c.ok for c in self.checks) else "MISMATCH"

    @property
    def mismatches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "declaration": self.declaration_id,
            "mismatches": [c.name for c in self.mismatches],
            "checks": [c.to_json() for c in self.checks],
            **self.facts,
        }


def _h(value: bytes) -> str:
    return "0x" + value.hex()


def batch_fields(data: dict[str, Any]) -> tuple[bytes, int, int, list[bytes]]:
    batch = data.get("batch")
    if not isinstance(batch, dict):
        raise InputError("DECISION.batch", "must be the decision's batch (root, proof, org)")
    root = decisions_.bytes32_field(batch, "root", "DECISION.batch")
    org = decisions_.whole_field(batch, "org", "DECISION.batch", 1, 2**32 - 1)
    proposer = decisions_.whole_field(batch, "modelProposer", "DECISION.batch", 1, 2**32 - 1)
    proof = batch.get("proof")
    if not isinstance(proof, list) or len(proof) > 64:
        raise InputError("DECISION.batch.proof", "must be a list of at most 64 hashes")
    branch = [decisions_.bytes32_field({"p": p}, "p", "DECISION.batch.proof") for p in proof]
    return root, org, proposer, branch


def audit(
    data: dict[str, Any], store: ModelStore, client: Client | None, *, expected_org: int | None = None
) -> AuditReport:
    """Replay the decision file ``data`` (see the module's docstring). Without ``client``, the chain checks
    (``anchor``, ``approval``) are skipped and the report says so; the verdict needs them. ``expected_org``: the
    organisation the auditor holds responsible (a file naming another fails ``anchor``)."""
    record = decisions_.DecisionRecord.from_json(data, "DECISION")
    root, org, proposer, proof = batch_fields(data)
    declarations_.check(_frame(record.declaration))  # a hostile value is refused by its column, never scored
    report = AuditReport(record.declaration_id)

    claimed = decisions_.bytes32_field(data, "declarationHash", "DECISION")
    actual = record.declaration_hash
    report.add(
        "declaration",
        actual == claimed,
        "the recorded input hashes to the decision's declaration hash"
        if actual == claimed
        else f"the recorded input hashes to {_h(actual)}, the decision commits to {_h(claimed)}",
    )

    model: RiskModel | None = None
    try:
        model = RiskModel.from_bytes(store.get(record.model_id), field="store")
        report.add("model", True, f"artifact {_h(record.model_id)} from {store.location}, its SHA-256 checked")
    except (TradechainError, InputError) as exc:
        report.add("model", False, str(exc))

    if model is not None:
        frame = _frame(record.declaration)
        features = model.features(frame)
        recomputed = to_ppm(float(model.score_matrix(features)[0]))
        report.facts["recomputedScore"] = recomputed
        own = to_ppm(model.threshold)
        threshold_report = (
            "threshold",
            own == record.threshold,
            f"the approved model's own, {own:,} millionths"
            if own == record.threshold
            else f"recorded {record.threshold:,} millionths, the approved model's own is {own:,}",
        )
        report.add(
            "score",
            recomputed == record.score,
            f"recomputed {recomputed:,} millionths, as recorded"
            if recomputed == record.score
            else f"recorded {record.score:,} millionths, recomputed {recomputed:,} from the recorded input",
        )
        report.add(*threshold_report)
        again = explain(model, frame, features)[0]
        again_hash, claimed_hash = (
            explanation_hash(again),
            decisions_.bytes32_field(data, "explanationHash", "DECISION"),
        )
        ok = again_hash == claimed_hash == record.explanation_hash
        report.add(
            "explanation",
            ok,
            "recomputed explanation hashes as recorded"
            if ok
            else f"recorded explanation {_h(record.explanation_hash)}, recomputed {_h(again_hash)}, "
            f"the decision commits to {_h(claimed_hash)}",
        )
    else:
        report.add("score", False, "not recomputed: no model")
        report.add("threshold", False, "not compared: no model")
        report.add("explanation", False, "not recomputed: no model")

    expected = decisions_.decide(record.score, record.threshold)
    report.add(
        "decision",
        expected == record.decision,
        f"{DECISION_NAMES[record.decision]}: score {'at or above' if expected == 2 else 'below'} "
        f"threshold {record.threshold:,}"
        if expected == record.decision
        else f"recorded {DECISION_NAMES[record.decision]}, the score and threshold give {DECISION_NAMES[expected]}",
    )

    leaf = record.leaf
    in_tree = merkle.verify(proof, root, leaf)
    report.add(
        "proof",
        in_tree,
        f"leaf {_h(leaf)} is under root {_h(root)}"
        if in_tree
        else f"leaf {_h(leaf)} of the recorded fields is not under root {_h(root)}",
    )

    if client is None:
        report.add("anchor", False, "not checked: no node (give --rpc-url or --network)")
        report.add("approval", False, "not checked: no node")
        return report
    check = client.risk.verify_decision(root, org, record.onchain, proof)
    batch = check.batch
    anchored = batch.exists and batch.model_id == record.model_id and batch.model_proposer == proposer
    report.facts["batch"] = {"root": _h(root), "org": org, "anchoredAt": batch.anchored_at, "count": batch.count}
    if not batch.exists:
        detail = f"the chain has no batch {_h(root)} of organisation {org}"
    elif batch.model_id != record.model_id or batch.model_proposer != proposer:
        detail = f"batch {_h(root)} names model {_h(batch.model_id)} of organisation {batch.model_proposer}"
    elif not check.proven:
        detail = f"batch {_h(root)} of organisation {org} is anchored, but the chain refuses this leaf's proof"
    else:
        detail = f"anchored by organisation {org} in batch {_h(root)} ({batch.count:,} decisions)"
    if expected_org is not None and org != expected_org:
        anchored, detail = False, f"the file names organisation {org}, the auditor expects {expected_org}"
    report.add("anchor", anchored and check.proven, detail)

    model_record = client.risk.model(record.model_id, proposer)
    report.facts["model"] = model_record.to_json()
    when = record.decided_at
    in_force = model_record.in_force_at(when) and (not batch.exists or when <= batch.anchored_at)
    if in_force:
        detail = f"approved by organisation {model_record.approver} before the decision, not retired then"
    elif not model_record.approved_at:
        detail = f"model {_h(record.model_id)} of organisation {proposer} was never approved"
    elif when < model_record.approved_at:
        detail = "decided before the model was approved"
    elif model_record.retired_at and when >= model_record.retired_at:
        detail = "decided after the model was retired"
    else:
        detail = "dated after its batch was anchored"
    report.add("approval", in_force, detail)
    state = check.state
    report.facts["review"] = (
        {"finalDecision": DECISION_NAMES.get(state.final_decision), "at": state.reviewed_at}
        if state.reviewed_at
        else None
    )
    report.facts["outcome"] = state.outcome or None
    return report


def _frame(declaration: dict[str, str]) -> Any:
    import pandas as pd

    return pd.DataFrame([{c: declaration[c] for c in declarations_.INPUTS}], dtype=str)

"""RiskRegistry at the contract level (via Brownie): a model is proposed by customs or a financier, naming the
regulator of another organisation that approves it before any decision is anchored under it; decisions in Merkle
batches; a human review (confirmation or override) and an inspection outcome per decision, each once, counted in the
model's statistics under the model's own decision; federated rounds in sequence. Every refusal, and the moves of an
attacker: squatting a model id, approving one's own model, a regulator approving (then retiring) a model uninvited,
anchoring under a model not in force, acting on another organisation's decisions, a second outcome, a declaration
re-scored to count its fraud twice, a review that would move the counters before or after the outcome, a forged
proof, gaps in rounds. The gas of a 1,000-decision batch, of an outcome and of a round. (The SDK client:
tests/sdk/test_risk_registry.py.)"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from brownie import RiskRegistry, chain
from conftest import dev, reverts_with
from eth_hash.auto import keccak
from helpers import ROLE, b32, lei_bytes

from tradechain.contracts.risk_registry import (
    CRITICAL,
    FRAUD,
    INSPECT,
    NO_FRAUD,
    RELEASE,
    Decision,
    decision_leaf,
    decision_tree,
    round_digest,
)

MODEL = hashlib.sha256(b"onnx artifact of the customs risk model v1").digest()
MODEL_2 = hashlib.sha256(b"onnx artifact of the customs risk model v2").digest()
CARD = keccak(b'{"model":"v1"}')
CARD_2 = keccak(b'{"model":"v1","by":"another customs"}')
REASON = b"drift".ljust(32, b"\0")
ZERO = bytes(32)
FED = b"office-federation".ljust(32, b"\0")
CUSTOMS_OR_FINANCIER = ROLE["customs"] | ROLE["financier"]
CUSTOMS_OR_INSPECTOR = ROLE["customs"] | ROLE["inspector"]


@pytest.fixture(scope="module")
def risk(registry: Any, admin: Any) -> Any:
    return RiskRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def w(registry: Any, members: dict[str, int], admin: Any) -> SimpleNamespace:
    """The members' organisations, and: customs (a clerk as its second account), a second customs administration,
    a customs authority that is also a regulator, and a bank that inspects."""
    orgs = dict(members)
    extra = {
        "customs": ("customs", ROLE["customs"]),
        "customs2": ("carrier2", ROLE["customs"]),
        "authority": ("manufacturer2", ROLE["customs"] | ROLE["regulator"]),
        "bank": ("financier2", ROLE["financier"] | ROLE["inspector"]),
    }
    accounts = {role: dev(role) for role in members}
    for i, (name, (account, roles)) in enumerate(extra.items(), start=300):
        tx = registry.admit(lei_bytes(i), 0, b"NL", roles, ZERO, dev(account), {"from": admin})
        orgs[name] = int(tx.events["OrganisationAdmitted"]["organisation"])
        accounts[name] = dev(account)
    registry.addAccount(orgs["customs"], dev("seller"), False, {"from": dev("customs")})
    return SimpleNamespace(orgs=orgs, registry=registry, clerk=dev("seller"), outsider=dev("outsider"), **accounts)


def approved(risk: Any, w: Any, model: bytes = MODEL, by: str = "customs") -> Any:
    """The model proposed by `by` and approved by the regulator: the approval's transaction."""
    risk.proposeModel(model, CARD, w.orgs["regulator"], {"from": getattr(w, by)})
    return risk.approveModel(model, w.orgs[by], {"from": w.regulator})


def decisions(at: int, n: int = 4, model: bytes = MODEL) -> list[Decision]:
    """n decisions at time `at`, inspect for even i, scores around the threshold of 0.5."""
    return [
        Decision(
            keccak(f"declaration {i}".encode()),
            model,
            (400_000 + 50_000 * i) % 1_000_001,
            500_000,
            INSPECT if i % 2 == 0 else RELEASE,
            keccak(f"explanation {i}".encode()),
            at,
        )
        for i in range(n)
    ]


def anchored(risk: Any, w: Any, n: int = 4, by: str = "customs") -> tuple[bytes, list[Decision], Any]:
    """An approved model and a batch of n decisions of `by` under it: (root, decisions, tree)."""
    tx = approved(risk, w, by=by)
    batch = decisions(tx.timestamp, n)
    tree = decision_tree(batch)
    risk.anchorDecisions(tree.root, n, MODEL, w.orgs[by], {"from": getattr(w, by)})
    return tree.root, batch, tree


def stats(risk: Any, model: bytes, proposer: int) -> dict[str, int]:
    m = risk.model(model, proposer)
    keys = ("decisions", "confirmations", "overrides", "inspectedOutcomes", "inspectedFraud", "inspectedCritical")
    keys += ("releasedOutcomes", "releasedFraud", "releasedCritical")
    return {k: int(m[k]) for k in keys}


# ------------------------------------------------------------------ models


def test_a_model_is_proposed_by_customs_and_approved_by_a_regulator_of_another_organisation(risk: Any, w: Any) -> None:
    tx = risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs})
    event = tx.events["ModelProposed"]
    assert (b32(event["modelId"]), event["proposer"], event["approver"], b32(event["cardHash"]), event["by"]) == (
        MODEL,
        w.orgs["customs"],
        w.orgs["regulator"],
        CARD,
        w.customs,
    )
    m = risk.model(MODEL, w.orgs["customs"])
    assert (b32(m["cardHash"]), m["proposer"], m["approver"], m["proposedAt"], m["approvedAt"]) == (
        CARD,
        w.orgs["customs"],
        w.orgs["regulator"],  # named, not yet approved
        tx.timestamp,
        0,
    )
    approval = risk.approveModel(MODEL, w.orgs["customs"], {"from": w.regulator})
    event = approval.events["ModelApproved"]
    assert (event["proposer"], event["approver"], event["by"]) == (w.orgs["customs"], w.orgs["regulator"], w.regulator)
    m = risk.model(MODEL, w.orgs["customs"])
    assert (m["approver"], m["approvedAt"], m["retiredAt"]) == (w.orgs["regulator"], approval.timestamp, 0)
    bank = risk.proposeModel(MODEL_2, CARD, w.orgs["regulator"], {"from": w.financier})  # a financier proposes too
    assert bank.events["ModelProposed"]["proposer"] == w.orgs["financier"]


def test_a_proposal_needs_the_customs_or_financier_role_values_and_is_made_once(risk: Any, w: Any) -> None:
    with reverts_with("MissingRole", w.retailer, w.orgs["retailer"], CUSTOMS_OR_FINANCIER):
        risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.retailer})
    with reverts_with("MissingRole", w.regulator, w.orgs["regulator"], CUSTOMS_OR_FINANCIER):
        risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.regulator})
    with reverts_with("UnregisteredAccount", w.outsider):
        risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.outsider})
    with reverts_with("InvalidModelProposal", ZERO, CARD):
        risk.proposeModel(ZERO, CARD, w.orgs["regulator"], {"from": w.customs})
    with reverts_with("InvalidModelProposal", MODEL, ZERO):
        risk.proposeModel(MODEL, ZERO, w.orgs["regulator"], {"from": w.customs})
    with reverts_with("SelfApproval", MODEL, w.orgs["authority"]):
        risk.proposeModel(MODEL, CARD, w.orgs["authority"], {"from": w.authority})  # customs and regulator: itself
    unknown = w.registry.organisationCount() + 1
    for approver in (0, unknown):
        with reverts_with("NonexistentApprover", MODEL, approver):
            risk.proposeModel(MODEL, CARD, approver, {"from": w.customs})
    assert risk.model(MODEL, w.orgs["customs"])["proposedAt"] == 0
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs})
    with reverts_with("ModelAlreadyProposed", MODEL, w.orgs["customs"]):
        risk.proposeModel(MODEL, CARD_2, w.orgs["authority"], {"from": w.clerk})  # another account of the same org
    assert b32(risk.model(MODEL, w.orgs["customs"])["cardHash"]) == CARD


def test_a_model_id_proposed_by_another_organisation_first_is_a_record_of_its_own(risk: Any, w: Any) -> None:
    """The attacker proposes the honest customs' model id first, with its own card, and gets it approved: the
    honest organisation's record is untouched, and nobody anchors under it before its own approval."""
    honest, squatter = w.orgs["customs"], w.orgs["customs2"]
    approved(risk, w, by="customs2")
    risk.proposeModel(MODEL, CARD_2, w.orgs["regulator"], {"from": w.customs})  # not refused: a record of its own
    mine, theirs = risk.model(MODEL, honest), risk.model(MODEL, squatter)
    assert (b32(mine["cardHash"]), mine["proposer"], mine["approvedAt"]) == (CARD_2, honest, 0)
    assert (b32(theirs["cardHash"]), theirs["proposer"], theirs["approver"]) == (CARD, squatter, w.orgs["regulator"])
    with reverts_with("ForeignModel", MODEL, honest, squatter):
        risk.anchorDecisions(b"\x01" * 32, 1, MODEL, honest, {"from": w.customs2})  # nor uses the honest record
    risk.retireModel(MODEL, squatter, REASON, {"from": w.customs2})
    risk.approveModel(MODEL, honest, {"from": w.regulator})
    tx = risk.anchorDecisions(b"\x01" * 32, 1, MODEL, honest, {"from": w.customs})  # the squatter's retirement: none
    assert tx.events["DecisionsAnchored"]["modelProposer"] == honest
    assert risk.model(MODEL, honest)["retiredAt"] == 0


def test_nobody_approves_its_own_model_and_a_model_is_approved_once(risk: Any, w: Any) -> None:
    authority = w.orgs["authority"]
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.authority})
    with reverts_with("SelfApproval", MODEL, authority):
        risk.approveModel(MODEL, authority, {"from": w.authority})  # customs and regulator: still itself
    with reverts_with("MissingRole", w.customs2, w.orgs["customs2"], ROLE["regulator"]):
        risk.approveModel(MODEL, authority, {"from": w.customs2})
    with reverts_with("NonexistentModel", MODEL_2, authority):
        risk.approveModel(MODEL_2, authority, {"from": w.regulator})
    with reverts_with("NonexistentModel", MODEL, w.orgs["customs"]):
        risk.approveModel(MODEL, w.orgs["customs"], {"from": w.regulator})  # nobody of that org proposed it
    risk.approveModel(MODEL, authority, {"from": w.regulator})
    with reverts_with("ModelAlreadyApproved", MODEL, authority, w.orgs["regulator"]):
        risk.approveModel(MODEL, authority, {"from": w.regulator})
    # the customs authority approves another administration's model, which names it
    risk.proposeModel(MODEL, CARD, authority, {"from": w.customs})
    tx = risk.approveModel(MODEL, w.orgs["customs"], {"from": w.authority})
    assert tx.events["ModelApproved"]["approver"] == authority


def test_a_regulator_the_proposer_did_not_name_neither_approves_nor_retires_its_model(risk: Any, w: Any) -> None:
    """The attack: customs proposes its model naming the regulator; the customs authority, a regulator too, races
    to approve it first, to become its approver and retire it for ever. Refused: only the named approver approves,
    and the uninvited one retires nothing; the model is approved by the regulator and used."""
    customs, authority, regulator = w.orgs["customs"], w.orgs["authority"], w.orgs["regulator"]
    risk.proposeModel(MODEL, CARD, regulator, {"from": w.customs})
    with reverts_with("NotDesignatedApprover", w.authority, authority, regulator):
        risk.approveModel(MODEL, customs, {"from": w.authority})
    with reverts_with("UnauthorizedRetirer", w.authority, MODEL, customs):
        risk.retireModel(MODEL, customs, REASON, {"from": w.authority})
    m = risk.model(MODEL, customs)
    assert (m["approver"], m["approvedAt"], m["retiredAt"]) == (regulator, 0, 0)
    tx = risk.approveModel(MODEL, customs, {"from": w.regulator})
    assert tx.events["ModelApproved"]["approver"] == regulator
    with reverts_with("UnauthorizedRetirer", w.authority, MODEL, customs):
        risk.retireModel(MODEL, customs, REASON, {"from": w.authority})  # nor once approved
    assert risk.anchorDecisions(b"\x01" * 32, 1, MODEL, customs, {"from": w.customs}).events["DecisionsAnchored"]


def test_a_model_is_retired_once_by_its_proposer_or_its_approver_and_never_used_again(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs})
    with reverts_with("UnauthorizedRetirer", w.authority, MODEL, customs):
        risk.retireModel(MODEL, customs, REASON, {"from": w.authority})  # a regulator, not its named approver
    risk.approveModel(MODEL, customs, {"from": w.regulator})
    with reverts_with("UnauthorizedRetirer", w.customs2, MODEL, customs):
        risk.retireModel(MODEL, customs, REASON, {"from": w.customs2})
    with reverts_with("NonexistentModel", MODEL_2, customs):
        risk.retireModel(MODEL_2, customs, REASON, {"from": w.customs})
    tx = risk.retireModel(MODEL, customs, REASON, {"from": w.clerk})  # any account of the proposer
    event = tx.events["ModelRetired"]
    assert (event["proposer"], event["retiredBy"], b32(event["reason"]), event["by"]) == (
        customs,
        customs,
        REASON,
        w.clerk,
    )
    assert risk.model(MODEL, customs)["retiredAt"] == tx.timestamp
    with reverts_with("ModelIsRetired", MODEL, customs, tx.timestamp):
        risk.retireModel(MODEL, customs, REASON, {"from": w.regulator})
    with reverts_with("ModelIsRetired", MODEL, customs, tx.timestamp):
        risk.anchorDecisions(b"\x01" * 32, 1, MODEL, customs, {"from": w.customs})
    # its approver retires a model too; a retired model is never approved
    approved(risk, w, MODEL_2)
    by_regulator = risk.retireModel(MODEL_2, customs, REASON, {"from": w.regulator})
    assert by_regulator.events["ModelRetired"]["retiredBy"] == w.orgs["regulator"]
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs2})
    retired = risk.retireModel(MODEL, w.orgs["customs2"], REASON, {"from": w.customs2}).timestamp
    with reverts_with("ModelIsRetired", MODEL, w.orgs["customs2"], retired):
        risk.approveModel(MODEL, w.orgs["customs2"], {"from": w.regulator})
    # the named approver rejects a proposal by retiring it before approving
    risk.proposeModel(MODEL_2, CARD, w.orgs["regulator"], {"from": w.customs2})
    rejected = risk.retireModel(MODEL_2, w.orgs["customs2"], REASON, {"from": w.regulator})
    assert rejected.events["ModelRetired"]["retiredBy"] == w.orgs["regulator"]
    assert risk.model(MODEL_2, w.orgs["customs2"])["approvedAt"] == 0


# ------------------------------------------------------------------ decisions


def test_a_batch_is_anchored_under_an_approved_model_and_counted_in_it(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    root, _, _ = anchored(risk, w, n=4)
    record = risk.batch(root, customs)
    assert (b32(record["modelId"]), record["modelProposer"], record["count"]) == (MODEL, customs, 4)
    assert record["anchoredAt"] > 0
    assert risk.model(MODEL, customs)["decisions"] == 4
    tx = risk.anchorDecisions(b"\x02" * 32, 6, MODEL, customs, {"from": w.clerk})
    event = tx.events["DecisionsAnchored"]
    assert (b32(event["root"]), event["org"], b32(event["modelId"]), event["modelProposer"], event["count"]) == (
        b"\x02" * 32,
        customs,
        MODEL,
        customs,
        6,
    )
    assert risk.model(MODEL, customs)["decisions"] == 10
    # another administration uses the same model under its own record, approved in its own right: its own batch,
    # even of the same root, counted in its own record
    approved(risk, w, by="customs2")
    other = risk.anchorDecisions(root, 4, MODEL, w.orgs["customs2"], {"from": w.customs2})
    assert other.events["DecisionsAnchored"]["org"] == w.orgs["customs2"]
    assert risk.batch(root, customs)["anchoredAt"] == record["anchoredAt"]  # the first batch stands
    assert (risk.model(MODEL, customs)["decisions"], risk.model(MODEL, w.orgs["customs2"])["decisions"]) == (10, 4)


def test_anchoring_refuses_a_model_not_in_force_someone_elses_an_empty_batch_and_a_repeat(risk: Any, w: Any) -> None:
    customs, customs2 = w.orgs["customs"], w.orgs["customs2"]
    root = b"\x03" * 32
    with reverts_with("ModelNotApproved", MODEL, customs):
        risk.anchorDecisions(root, 1, MODEL, customs, {"from": w.customs})  # nobody proposed it
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs2})
    with reverts_with("ForeignModel", MODEL, customs2, customs):
        risk.anchorDecisions(root, 1, MODEL, customs2, {"from": w.customs})  # someone else's, unapproved
    with reverts_with("ModelNotApproved", MODEL, customs2):
        risk.anchorDecisions(root, 1, MODEL, customs2, {"from": w.customs2})  # its own, unapproved
    risk.approveModel(MODEL, customs2, {"from": w.regulator})
    with reverts_with("ForeignModel", MODEL, customs2, customs):
        risk.anchorDecisions(root, 1, MODEL, customs2, {"from": w.clerk})  # someone else's, approved
    with reverts_with("InvalidDecisionCount", 0):
        risk.anchorDecisions(root, 0, MODEL, customs2, {"from": w.customs2})
    with reverts_with("MissingRole", w.inspector, w.orgs["inspector"], CUSTOMS_OR_FINANCIER):
        risk.anchorDecisions(root, 1, MODEL, customs2, {"from": w.inspector})
    risk.anchorDecisions(root, 1, MODEL, customs2, {"from": w.customs2})
    with reverts_with("DecisionsAlreadyAnchored", root, customs2):
        risk.anchorDecisions(root, 2, MODEL, customs2, {"from": w.customs2})
    assert risk.batch(root, customs2)["count"] == 1 and risk.batch(root, customs)["anchoredAt"] == 0
    assert risk.model(MODEL, customs2)["decisions"] == 1


def test_the_python_leaf_is_the_contracts_and_a_decision_is_verified_with_its_proof(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    root, batch, tree = anchored(risk, w, n=5)
    for i, d in enumerate(batch):
        assert b32(risk.decisionLeaf(d.fields())) == d.leaf == decision_leaf(*d.fields())
        check = risk.verifyDecision(root, customs, d.fields(), tree.proof(i))
        assert (check["proven"], check["inForce"], b32(check["leaf"])) == (True, True, d.leaf)
        assert (b32(check["batch"]["modelId"]), check["batch"]["count"]) == (MODEL, 5)
    forged = Decision(*(batch[0].fields()[:2]), 999_999, *batch[0].fields()[3:])  # the score raised
    assert risk.verifyDecision(root, customs, forged.fields(), tree.proof(0))["proven"] is False
    assert risk.verifyDecision(root, w.orgs["customs2"], batch[0].fields(), tree.proof(0))["proven"] is False
    assert risk.verifyDecision(root, customs, batch[0].fields(), tree.proof(1))["proven"] is False


# ------------------------------------------------------------------ reviews and outcomes


def test_a_reviewer_confirms_or_overrides_a_decision_once_with_a_reason(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    root, batch, tree = anchored(risk, w)
    code = b"MANIFEST-OK".ljust(32, b"\0")
    tx = risk.reviewDecision(root, customs, batch[0].fields(), tree.proof(0), INSPECT, code, {"from": w.clerk})
    event = tx.events["DecisionReviewed"]
    assert (b32(event["leaf"]), event["org"], event["modelDecision"], event["finalDecision"]) == (
        batch[0].leaf,
        customs,
        INSPECT,
        INSPECT,
    )
    assert (event["overridden"], b32(event["reasonCode"]), event["by"]) == (False, code, w.clerk)
    override = risk.reviewDecision(root, customs, batch[1].fields(), tree.proof(1), INSPECT, code, {"from": w.customs})
    assert override.events["DecisionReviewed"]["overridden"] is True  # the model released it
    state = risk.decisionState(customs, batch[1].leaf)
    assert (state["finalDecision"], state["reviewedAt"], state["outcome"]) == (INSPECT, override.timestamp, 0)
    assert (stats(risk, MODEL, customs)["confirmations"], stats(risk, MODEL, customs)["overrides"]) == (1, 1)
    with reverts_with("AlreadyReviewed", batch[1].leaf, customs):
        risk.reviewDecision(root, customs, batch[1].fields(), tree.proof(1), RELEASE, code, {"from": w.customs})
    with reverts_with("InvalidDecision", 3):
        risk.reviewDecision(root, customs, batch[2].fields(), tree.proof(2), 3, code, {"from": w.customs})
    with reverts_with("InvalidDecision", 0):
        risk.reviewDecision(root, customs, batch[2].fields(), tree.proof(2), 0, code, {"from": w.customs})


def test_outcomes_are_counted_once_under_the_models_own_decision(risk: Any, w: Any) -> None:
    """Decision 0 inspected (fraud), 1 released by the model then overridden to inspect (critical: the model's miss),
    2 inspected (no fraud found, then a review "releases" it to move the model's false positive out of its inspected
    counters: it stays there), 3 released (fraud found later, post-clearance)."""
    customs = w.orgs["customs"]
    root, batch, tree = anchored(risk, w)
    risk.reviewDecision(root, customs, batch[1].fields(), tree.proof(1), INSPECT, REASON, {"from": w.customs})
    outcomes = {0: FRAUD, 1: CRITICAL, 2: NO_FRAUD, 3: FRAUD}
    for i, outcome in outcomes.items():
        if i == 2:  # the late flip, after the inspection found nothing
            risk.reviewDecision(root, customs, batch[2].fields(), tree.proof(2), RELEASE, REASON, {"from": w.customs})
        tx = risk.recordOutcome(root, customs, batch[i].fields(), tree.proof(i), outcome, {"from": w.customs})
        event = tx.events["OutcomeRecorded"]
        assert (b32(event["leaf"]), event["outcome"], event["by"]) == (batch[i].leaf, outcome, w.customs)
        assert event["effectiveDecision"] == (INSPECT if i < 2 else RELEASE)  # kept for the record
        state = risk.decisionState(customs, batch[i].leaf)
        assert (state["outcome"], state["outcomeAt"], state["effectiveDecision"]) == (
            outcome,
            tx.timestamp,
            event["effectiveDecision"],
        )
    assert stats(risk, MODEL, customs) == {
        "decisions": 4,
        "confirmations": 0,
        "overrides": 2,
        "inspectedOutcomes": 2,  # decisions 0 and 2, as the model decided
        "inspectedFraud": 1,  # the flipped false positive still counts against the model's precision
        "inspectedCritical": 0,
        "releasedOutcomes": 2,  # decisions 1 and 3
        "releasedFraud": 2,  # fraud and critical fraud
        "releasedCritical": 1,
    }
    for i in range(4):  # final: neither a second outcome nor a review that would move the counters
        with reverts_with("OutcomeAlreadyRecorded", batch[i].leaf, customs):
            risk.recordOutcome(root, customs, batch[i].fields(), tree.proof(i), NO_FRAUD, {"from": w.customs})
    with reverts_with("OutcomeAlreadyRecorded", batch[3].leaf, customs):
        risk.reviewDecision(root, customs, batch[3].fields(), tree.proof(3), INSPECT, REASON, {"from": w.customs})
    check = risk.verifyDecision(root, customs, batch[3].fields(), tree.proof(3))
    assert (check["state"]["outcome"], check["state"]["finalDecision"]) == (FRAUD, 0)


def test_a_declaration_re_scored_in_a_new_leaf_gets_no_second_outcome(risk: Any, w: Any) -> None:
    """The attack: customs re-scores a declaration known to be fraud (the same declaration, a new decidedAt: a new
    leaf), anchors it and records FRAUD again, to inflate its model's precision. Refused under the same model of the
    same organisation, whatever the leaf; another declaration of the new batch, and another organisation's record of
    the same model, count as usual."""
    customs = w.orgs["customs"]
    root, batch, tree = anchored(risk, w)
    send = {"from": w.customs}
    risk.recordOutcome(root, customs, batch[0].fields(), tree.proof(0), FRAUD, send)
    chain.sleep(5)
    chain.mine()
    at = chain[-1].timestamp
    again = [Decision(*d.fields()[:6], at) for d in batch[:2]]  # declarations 0 (the fraud) and 1, re-scored
    tree2 = decision_tree(again)
    risk.anchorDecisions(tree2.root, 2, MODEL, customs, send)
    assert again[0].leaf != batch[0].leaf
    with reverts_with("DeclarationOutcomeAlreadyRecorded", batch[0].declaration_hash, MODEL, customs):
        risk.recordOutcome(tree2.root, customs, again[0].fields(), tree2.proof(0), FRAUD, send)
    risk.recordOutcome(tree2.root, customs, again[1].fields(), tree2.proof(1), NO_FRAUD, send)
    with reverts_with("DeclarationOutcomeAlreadyRecorded", batch[1].declaration_hash, MODEL, customs):
        risk.recordOutcome(root, customs, batch[1].fields(), tree.proof(1), NO_FRAUD, send)  # nor the other way
    counted = stats(risk, MODEL, customs)
    assert (counted["inspectedOutcomes"], counted["inspectedFraud"], counted["releasedOutcomes"]) == (1, 1, 1)
    assert risk.decisionState(customs, again[0].leaf)["outcome"] == 0
    theirs = [Decision(*batch[0].fields()[:6], approved(risk, w, by="customs2").timestamp)]
    tree3 = decision_tree(theirs)
    risk.anchorDecisions(tree3.root, 1, MODEL, w.orgs["customs2"], {"from": w.customs2})
    other = risk.recordOutcome(tree3.root, w.orgs["customs2"], theirs[0].fields(), [], FRAUD, {"from": w.customs2})
    assert other.events["OutcomeRecorded"]["org"] == w.orgs["customs2"]


def test_another_organisation_never_reviews_nor_records_outcomes_on_your_decisions(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    approved(risk, w, by="customs2")  # the other administration holds the same model, approved first
    root, batch, tree = anchored(risk, w)
    args = (root, customs, batch[0].fields(), tree.proof(0))
    with reverts_with("NotBatchOrganisation", w.customs2, w.orgs["customs2"], customs):
        risk.reviewDecision(*args, RELEASE, REASON, {"from": w.customs2})
    with reverts_with("NotBatchOrganisation", w.customs2, w.orgs["customs2"], customs):
        risk.recordOutcome(*args, NO_FRAUD, {"from": w.customs2})
    with reverts_with("NotBatchOrganisation", w.inspector, w.orgs["inspector"], customs):
        risk.recordOutcome(*args, NO_FRAUD, {"from": w.inspector})  # an inspector of another organisation
    with reverts_with("MissingRole", w.regulator, w.orgs["regulator"], CUSTOMS_OR_INSPECTOR):
        risk.recordOutcome(*args, NO_FRAUD, {"from": w.regulator})  # its approver neither
    with reverts_with("UnregisteredAccount", w.outsider):
        risk.reviewDecision(*args, RELEASE, REASON, {"from": w.outsider})
    # nor by anchoring the same root under its own record: its own batch, its own decisions, its own counters
    risk.anchorDecisions(root, 4, MODEL, w.orgs["customs2"], {"from": w.customs2})
    risk.recordOutcome(root, w.orgs["customs2"], batch[0].fields(), tree.proof(0), FRAUD, {"from": w.customs2})
    assert risk.decisionState(customs, batch[0].leaf)["outcome"] == 0
    assert (stats(risk, MODEL, customs)["releasedOutcomes"], stats(risk, MODEL, customs)["inspectedOutcomes"]) == (0, 0)
    # a financier's decisions are reviewed by its own organisation with the inspector role
    approved(risk, w, MODEL_2, by="financier")
    approved(risk, w, MODEL_2, by="bank")
    bank_batch = decisions(chain[-1].timestamp, 2, MODEL_2)
    bank_tree = decision_tree(bank_batch)
    risk.anchorDecisions(bank_tree.root, 2, MODEL_2, w.orgs["bank"], {"from": w.bank})
    bank_args = (bank_tree.root, w.orgs["bank"], bank_batch[0].fields(), bank_tree.proof(0))
    assert risk.reviewDecision(*bank_args, RELEASE, REASON, {"from": w.bank}).events["DecisionReviewed"]["overridden"]
    risk.anchorDecisions(bank_tree.root, 2, MODEL_2, w.orgs["financier"], {"from": w.financier})
    with reverts_with("MissingRole", w.financier, w.orgs["financier"], CUSTOMS_OR_INSPECTOR):
        risk.recordOutcome(bank_tree.root, w.orgs["financier"], *bank_args[2:], FRAUD, {"from": w.financier})


def test_a_forged_or_ill_formed_decision_is_refused(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    root, batch, tree = anchored(risk, w)
    d = batch[0]
    send = {"from": w.customs}
    raised = Decision(
        d.declaration_hash, d.model_id, 999_999, d.threshold, d.decision, d.explanation_hash, d.decided_at
    )
    with reverts_with("InvalidDecisionProof", root, raised.leaf):
        risk.recordOutcome(root, customs, raised.fields(), tree.proof(0), NO_FRAUD, send)
    with reverts_with("InvalidDecisionProof", root, d.leaf):
        risk.recordOutcome(root, customs, d.fields(), tree.proof(1), NO_FRAUD, send)
    with reverts_with("NonexistentDecisionBatch", b"\x09" * 32, customs):
        risk.recordOutcome(b"\x09" * 32, customs, d.fields(), tree.proof(0), NO_FRAUD, send)
    for outcome in (0, 4):
        with reverts_with("InvalidOutcome", outcome):
            risk.recordOutcome(root, customs, d.fields(), tree.proof(0), outcome, send)
    fields = list(d.fields())
    with reverts_with("InvalidDecision", 3):
        risk.recordOutcome(root, customs, (*fields[:4], 3, *fields[5:]), [], NO_FRAUD, send)
    with reverts_with("InvalidScore", 1_000_001, 500_000):
        risk.recordOutcome(root, customs, (*fields[:2], 1_000_001, *fields[3:]), [], NO_FRAUD, send)
    with reverts_with("ModelMismatch", MODEL_2, MODEL):
        risk.recordOutcome(root, customs, (fields[0], MODEL_2, *fields[2:]), [], NO_FRAUD, send)
    approved_at = risk.model(MODEL, customs)["approvedAt"]
    anchored_at = risk.batch(root, customs)["anchoredAt"]
    for when in (approved_at - 1, anchored_at + 1):  # scored before the approval; dated after the anchoring
        with reverts_with("DecisionTimeOutOfRange", when, approved_at, anchored_at):
            risk.reviewDecision(root, customs, (*fields[:6], when), [], RELEASE, REASON, send)


def test_a_decision_scored_before_its_models_approval_is_not_in_force(risk: Any, w: Any) -> None:
    """Customs scores with a model not yet approved, waits for the approval, then anchors: the chain cannot see it
    in the root, but the decision is never in force and never counted."""
    customs = w.orgs["customs"]
    risk.proposeModel(MODEL, CARD, w.orgs["regulator"], {"from": w.customs})
    early = decisions(chain[-1].timestamp, 2)
    chain.sleep(60)
    risk.approveModel(MODEL, customs, {"from": w.regulator})
    tree = decision_tree(early)
    risk.anchorDecisions(tree.root, 2, MODEL, customs, {"from": w.customs})
    check = risk.verifyDecision(tree.root, customs, early[0].fields(), tree.proof(0))
    assert (check["proven"], check["inForce"]) == (True, False)
    approved_at, anchored_at = risk.model(MODEL, customs)["approvedAt"], risk.batch(tree.root, customs)["anchoredAt"]
    with reverts_with("DecisionTimeOutOfRange", early[0].decided_at, approved_at, anchored_at):
        risk.recordOutcome(tree.root, customs, early[0].fields(), tree.proof(0), FRAUD, {"from": w.customs})


# ------------------------------------------------------------------ federated rounds


def test_rounds_are_anchored_in_sequence_per_organisation_and_federation(risk: Any, w: Any) -> None:
    customs = w.orgs["customs"]
    updates, aggregate = keccak(b"updates 1"), keccak(b"aggregate 1")
    with reverts_with("InvalidRound", FED, 2, 1):
        risk.anchorRound(FED, 2, updates, 3, aggregate, {"from": w.customs})  # a gap
    with reverts_with("InvalidRound", FED, 0, 1):
        risk.anchorRound(FED, 0, updates, 3, aggregate, {"from": w.customs})
    tx = risk.anchorRound(FED, 1, updates, 3, aggregate, {"from": w.customs})
    event = tx.events["RoundAnchored"]
    assert (event["org"], b32(event["federation"]), event["round"], b32(event["updatesRoot"])) == (
        customs,
        FED,
        1,
        updates,
    )
    assert (event["clients"], b32(event["aggregateHash"])) == (3, aggregate)
    record = risk.round(customs, FED, 1)
    assert (b32(record["digest"]), record["anchoredAt"]) == (round_digest(updates, 3, aggregate), tx.timestamp)
    assert b32(risk.roundDigest(updates, 3, aggregate)) == round_digest(updates, 3, aggregate)
    assert tuple(risk.federation(customs, FED)) == (1, tx.timestamp)
    with reverts_with("InvalidRound", FED, 1, 2):
        risk.anchorRound(FED, 1, keccak(b"other"), 3, aggregate, {"from": w.clerk})  # a repeat, rewritten
    assert b32(risk.round(customs, FED, 1)["digest"]) == round_digest(updates, 3, aggregate)
    risk.anchorRound(FED, 2, keccak(b"updates 2"), 3, keccak(b"aggregate 2"), {"from": w.customs})
    with reverts_with("InvalidRound", FED, 4, 3):
        risk.anchorRound(FED, 4, updates, 3, aggregate, {"from": w.customs})
    assert (b32(risk.round(customs, FED, 3)["digest"]), risk.round(customs, FED, 3)["anchoredAt"]) == (ZERO, 0)
    # another organisation's federation of the same id: its own sequence, nothing of the first changed
    with reverts_with("InvalidRound", FED, 3, 1):
        risk.anchorRound(FED, 3, updates, 3, aggregate, {"from": w.customs2})
    other = risk.anchorRound(FED, 1, keccak(b"forged"), 9, aggregate, {"from": w.customs2})
    assert other.events["RoundAnchored"]["org"] == w.orgs["customs2"]
    assert b32(risk.round(customs, FED, 1)["digest"]) == round_digest(updates, 3, aggregate)
    assert risk.federation(customs, FED)[0] == 2


def test_a_round_needs_the_role_and_every_field(risk: Any, w: Any) -> None:
    u, a = keccak(b"u"), keccak(b"a")
    with reverts_with("MissingRole", w.regulator, w.orgs["regulator"], CUSTOMS_OR_FINANCIER):
        risk.anchorRound(FED, 1, u, 1, a, {"from": w.regulator})
    for args in ((ZERO, u, 1, a), (FED, ZERO, 1, a), (FED, u, 0, a), (FED, u, 1, ZERO)):
        with reverts_with("InvalidRoundData", *args):
            risk.anchorRound(args[0], 1, *args[1:], {"from": w.financier})


# ------------------------------------------------------------------ gas


def test_gas_a_batch_of_1000_decisions_an_outcome_and_a_round(risk: Any, w: Any) -> None:
    """Aims: under 1,000 gas per decision at 1,000 per batch; under 100,000 gas per federated round. An outcome (its
    proof 10 deep) is measured too."""
    approval = approved(risk, w)
    batch = decisions(approval.timestamp, 1_000)
    tree = decision_tree(batch)
    first = risk.anchorDecisions(tree.root, 1_000, MODEL, w.orgs["customs"], {"from": w.customs})
    assert first.gas_used < 1_000 * 100  # 100 gas per decision (measured: see the report)
    outcome = risk.recordOutcome(
        tree.root, w.orgs["customs"], batch[7].fields(), tree.proof(7), FRAUD, {"from": w.customs}
    ).gas_used
    assert outcome < 150_000
    rounds = [
        risk.anchorRound(FED, n, keccak(b"u%d" % n), 12, keccak(b"a%d" % n), {"from": w.customs}).gas_used
        for n in (1, 2)
    ]
    assert max(rounds) < 100_000
    print(f"\ngas: anchorDecisions(1,000) {first.gas_used}, recordOutcome {outcome}, anchorRound {rounds}")

"""RiskRegistry through the SDK (``client.risk``): a customs administration proposes a model naming the regulator that
approves it, customs anchors a batch of decisions and keeps each one's proof, overrides one, records the inspection
outcomes (a re-scored declaration gets no second one), and the model's precision is read back from the chain alone;
a federated round anchored and its manifest checked. The contract's refusals arrive as readable exceptions; bad input
is refused before anything is sent."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from conftest import tx_count
from eth_hash.auto import keccak

from tradechain.chain.reverts import iso_time
from tradechain.contracts import risk_registry
from tradechain.contracts.risk_registry import (
    CRITICAL,
    FRAUD,
    INSPECT,
    NO_FRAUD,
    RELEASE,
    Decision,
    decision_leaf,
    round_digest,
)
from tradechain.errors import ContractRevert, InputError, revert_class

MODEL = hashlib.sha256(b"onnx artifact, sdk test").digest()
MODEL_2 = hashlib.sha256(b"onnx artifact, sdk test, v2").digest()
CARD = keccak(b'{"card":"sdk test"}')
FED = "0x" + keccak(b"federation of the customs offices").hex()


def _time(client: Any, receipt: Any) -> int:
    return int(client.w3.eth.get_block(receipt.block_number)["timestamp"])


def _decisions(at: int, n: int) -> list[Decision]:
    """n decisions: the model inspects those scored at or over the threshold 0.6."""
    out = []
    for i in range(n):
        score = (i * 137_777) % 1_000_001
        out.append(
            Decision(
                keccak(b"declaration %d" % i),
                MODEL,
                score,
                600_000,
                INSPECT if score >= 600_000 else RELEASE,
                keccak(b"reasons %d" % i),
                at,
            )
        )
    return out


@pytest.fixture
def approved(sdk_as: Any, sdk_members: dict[str, int]) -> int:
    """The model proposed by customs and approved by the regulator: the approval's time."""
    customs, regulator = sdk_as("customs"), sdk_as("regulator")
    customs.risk.propose_model(MODEL, CARD, sdk_members["regulator"])
    return _time(regulator, regulator.risk.approve_model(MODEL, sdk_members["customs"]))


def test_a_model_decides_a_reviewer_overrides_outcomes_follow_and_precision_reads_from_the_chain(
    sdk_as: Any, sdk_members: dict[str, int], approved: int
) -> None:
    customs, org = sdk_as("customs"), sdk_members["customs"]
    batch = _decisions(approved, 8)
    tree, receipt = customs.risk.anchor_batch(batch, org)
    assert receipt.gas_used < 100_000
    anchored = customs.risk.batch(tree.root, org)
    assert (anchored.exists, anchored.model_id, anchored.model_proposer, anchored.count) == (True, MODEL, org, 8)
    for i, d in enumerate(batch):
        contract_leaf = bytes(customs.risk.contract.functions.decisionLeaf(d.fields()).call())
        assert contract_leaf == d.leaf == decision_leaf(*d.fields())
        check = customs.risk.verify_decision(tree.root, org, d, tree.proof(i))
        assert (check.proven, check.in_force, check.leaf, check.batch.count) == (True, True, d.leaf, 8)
    released = next(i for i, d in enumerate(batch) if d.decision == RELEASE)
    customs.risk.review_decision(tree.root, org, batch[released], tree.proof(released), "inspect", "TIP-OFF")
    check = customs.risk.verify_decision(tree.root, org, batch[released], tree.proof(released))
    assert (check.overridden, check.effective_decision, check.state.final_decision) == (True, INSPECT, INSPECT)
    outcomes = [FRAUD, NO_FRAUD, CRITICAL, NO_FRAUD, FRAUD, NO_FRAUD, NO_FRAUD, FRAUD]
    for i, (d, outcome) in enumerate(zip(batch, outcomes, strict=True)):
        customs.risk.record_outcome(tree.root, org, d, tree.proof(i), outcome)
    inspected = [i for i, d in enumerate(batch) if d.decision == INSPECT]  # the model's decisions, not the review's
    model = customs.risk.model(MODEL, org)
    assert (model.status, model.decisions, model.overrides, model.confirmations) == ("approved", 8, 1, 0)
    assert model.inspected_outcomes == len(inspected)
    assert model.inspected_fraud == sum(outcomes[i] >= FRAUD for i in inspected)
    assert model.inspected_critical == sum(outcomes[i] == CRITICAL for i in inspected)
    assert model.released_outcomes == 8 - len(inspected)
    assert model.precision == model.inspected_fraud / len(inspected)
    assert model.in_force_at(approved) and not model.in_force_at(approved - 1)
    assert model.to_json()["precision"] == model.precision
    fraud = outcomes.index(FRAUD)  # re-scored in a new leaf (new reasons), to count the same fraud twice: refused
    again = Decision(*batch[fraud].fields()[:5], keccak(b"re-scored"), approved)
    tree2, _ = customs.risk.anchor_batch([again], org)
    with pytest.raises(revert_class("DeclarationOutcomeAlreadyRecorded")) as twice:
        customs.risk.record_outcome(tree2.root, org, again, [], FRAUD)
    assert twice.value.args_by_name["declarationHash"] == batch[fraud].declaration_hash
    assert customs.risk.model(MODEL, org).inspected_fraud == model.inspected_fraud


def test_a_round_is_anchored_and_its_manifest_checked(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    customs, org = sdk_as("customs"), sdk_members["customs"]
    updates, aggregate = keccak(b"client updates"), keccak(b"aggregate")
    receipt = customs.risk.anchor_round(FED, 1, updates, 5, aggregate)
    assert receipt.gas_used < 100_000
    record = customs.risk.round(org, FED, 1)
    assert record.exists and record.digest == round_digest(updates, 5, aggregate)
    assert record.matches(updates, 5, aggregate)
    assert not record.matches(updates, 5, keccak(b"another aggregate"))  # a tampered manifest
    assert customs.risk.federation(org, FED) == (1, record.anchored_at)
    assert not customs.risk.round(org, FED, 2).exists


def test_the_contracts_refusals_are_readable_exceptions(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    customs, regulator, inspector = sdk_as("customs"), sdk_as("regulator"), sdk_as("inspector")
    org = sdk_members["customs"]
    with pytest.raises(revert_class("ModelNotApproved")) as info:
        customs.risk.anchor_decisions(b"\x01" * 32, 10, MODEL, org)
    assert info.value.contract == "RiskRegistry"
    assert "ModelNotApproved(modelId=0x" in info.value.user_message and "no decision is anchored" in str(info.value)
    customs.risk.propose_model(MODEL, CARD, sdk_members["inspector"])  # names another organisation
    with pytest.raises(revert_class("NotDesignatedApprover")) as uninvited:
        regulator.risk.approve_model(MODEL, org)
    assert uninvited.value.args_by_name["approver"] == sdk_members["inspector"]
    record = customs.risk.model(MODEL, org)
    assert (record.approver, record.status, record.to_json()["status"]) == (
        sdk_members["inspector"],
        "proposed",
        "proposed",
    )
    assert not record.in_force_at(record.proposed_at)
    customs.risk.retire_model(MODEL, org, "wrong approver")
    customs.risk.propose_model(MODEL_2, CARD, sdk_members["regulator"])
    regulator.risk.approve_model(MODEL_2, org)
    assert customs.risk.model(MODEL_2, org).status == "approved"
    with pytest.raises(revert_class("ModelAlreadyApproved")) as again:
        regulator.risk.approve_model(MODEL_2, org)
    assert again.value.args_by_name["approver"] == sdk_members["regulator"]
    retired = _time(customs, customs.risk.retire_model(MODEL_2, org, "superseded"))
    with pytest.raises(revert_class("ModelIsRetired")) as late:
        customs.risk.anchor_decisions(b"\x01" * 32, 10, MODEL_2, org)
    assert iso_time(retired) in str(late.value)  # the retirement's time, as a date
    customs.risk.anchor_round(FED, 1, keccak(b"u"), 2, keccak(b"a"))
    with pytest.raises(revert_class("InvalidRound")) as gap:
        customs.risk.anchor_round(FED, 3, keccak(b"u"), 2, keccak(b"a"))
    assert (gap.value.args_by_name["round"], gap.value.args_by_name["expected"]) == (3, 2)
    with pytest.raises(revert_class("NonexistentDecisionBatch")):
        d = _decisions(retired, 1)[0]
        inspector.risk.record_outcome(b"\x05" * 32, sdk_members["inspector"], d, [], NO_FRAUD)
    with pytest.raises(ContractRevert) as foreign:
        inspector.risk.record_outcome(b"\x05" * 32, org, d, [], NO_FRAUD)
    assert foreign.value.error_name == "NotBatchOrganisation"


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (lambda r, o: r.propose_model(bytes(32), CARD, 1), "model_id"),
        (lambda r, o: r.propose_model("0x1234", CARD, 1), "model_id"),
        (lambda r, o: r.propose_model(MODEL, b"short", 1), "card_hash"),
        (lambda r, o: r.propose_model(MODEL, CARD, 0), "approver"),
        (lambda r, o: r.propose_model(MODEL, CARD, 2**32), "approver"),
        (lambda r, o: r.approve_model(MODEL, 0), "proposer"),
        (lambda r, o: r.anchor_decisions(MODEL, 0, MODEL, o), "count"),
        (lambda r, o: r.anchor_decisions(MODEL, 2**32, MODEL, o), "count"),
        (lambda r, o: r.anchor_decisions(bytes(32), 1, MODEL, o), "root"),
        (lambda r, o: r.record_outcome(MODEL, o, _decisions(1, 1)[0], [], 4), "outcome"),
        (lambda r, o: r.review_decision(MODEL, o, _decisions(1, 1)[0], [], "maybe", "x"), "final_decision"),
        (lambda r, o: r.review_decision(MODEL, o, _decisions(1, 1)[0], [MODEL] * 65, 1, "x"), "proof"),
        (lambda r, o: r.anchor_round(FED, 0, MODEL, 1, MODEL), "round"),
        (lambda r, o: r.anchor_round(FED, 1, MODEL, 0, MODEL), "clients"),
        (lambda r, o: r.anchor_round(bytes(32), 1, MODEL, 1, MODEL), "federation"),
        (lambda r, o: Decision(MODEL, MODEL, 1_000_001, 0, 1, MODEL, 1), "score"),
        (lambda r, o: Decision(MODEL, MODEL, 1, 1_000_001, 1, MODEL, 1), "threshold"),
        (lambda r, o: Decision(MODEL, MODEL, 1, 1, 3, MODEL, 1), "decision"),
        (lambda r, o: Decision(MODEL, MODEL, 1, 1, 0, MODEL, 1), "decision"),
        (lambda r, o: Decision(MODEL, MODEL, 1, 1, True, MODEL, 1), "decision"),
        (lambda r, o: Decision(MODEL, MODEL, 1, 1, 1, MODEL, 2**40), "decided_at"),
        (lambda r, o: Decision(MODEL, bytes(32), 1, 1, 1, MODEL, 1), "model_id"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    sdk_as: Any, sdk_members: dict[str, int], action: Any, field: str
) -> None:
    customs = sdk_as("customs")
    before = tx_count(customs.signer.address)
    with pytest.raises(InputError) as info:
        action(customs.risk, sdk_members["customs"])
    assert info.value.field == field
    assert tx_count(customs.signer.address) == before


def test_names_and_codes_agree_with_the_contract(sdk: Any) -> None:
    c = sdk.risk.contract.functions
    assert (c.RELEASE().call(), c.INSPECT().call()) == (risk_registry.RELEASE, risk_registry.INSPECT)
    assert (c.NO_FRAUD().call(), c.FRAUD().call(), c.CRITICAL().call()) == (NO_FRAUD, FRAUD, CRITICAL)
    assert c.SCALE().call() == risk_registry.SCALE
    assert risk_registry.OUTCOME_NAMES[CRITICAL] == "critical fraud" and risk_registry.DECISION_NAMES[1] == "release"
    assert risk_registry.parse_outcome("critical") == CRITICAL and risk_registry.parse_decision("Inspect") == INSPECT

"""TradeEscrow through the SDK: a two-milestone life cycle, conditions, refunds, disputes, and hostile tokens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from brownie import FeeOnTransferToken, ReentrantToken, chain
from conftest import now
from helpers import addr

from tradechain.chain import reverts
from tradechain.contracts import document_registry
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.errors import InputError, revert_class

AMOUNT = 1_000_000 * 10**6  # 1,000,000 USDC
MILESTONES = (Milestone(3_000, ("bill-of-lading",)), Milestone(7_000, ("delivery-attestation",)))


@pytest.fixture
def usdc(sdk: Any, sdk_members: dict[str, int]) -> Any:
    token = sdk.contract("MockUSDC")
    sdk.send(token, "mint", addr("financier"), 10 * AMOUNT)
    return token


def terms(token: str, **overrides: Any) -> Terms:
    base = {
        "funder": addr("financier"),
        "buyer": addr("buyer"),
        "seller": addr("seller"),
        "arbiter": addr("arbiter"),
        "token": token,
        "amount": AMOUNT,
        "deadline": now() + 30 * 86400,
        "trade_id": "KE-CN-0042",
        "milestones": MILESTONES,
    }
    return Terms(**{**base, **overrides})


def open_and_fund(bank: Any, t: Terms) -> str:
    """Opens the escrow of terms ``t`` and funds it, as its funder ``bank``: its id."""
    escrow_id, _ = bank.escrow.open(t)
    bank.escrow.fund(t)
    return str(escrow_id)


def doc(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(f"%PDF {name} {time.time_ns()}".encode())
    return path


def test_two_milestone_life_cycle(sdk_as: Any, usdc: Any, tmp_path: Path) -> None:
    bank, carrier, inspector, anyone = (sdk_as(r) for r in ("financier", "carrier", "inspector", "outsider"))
    t = terms(usdc.address)
    escrow_id, opened = bank.escrow.open(t)
    funded = bank.escrow.fund(t)
    assert bank.escrow.state(escrow_id) == {
        "status": "FUNDED",
        "releasedMilestones": [],
        "funded": AMOUNT,
        "paidOut": 0,
        "held": AMOUNT,
        "disputedAt": 0,
    }
    assert bank.escrow.terms_of(escrow_id) == t  # terms come back from the opening event
    bl = doc(tmp_path, "bl.pdf")
    carrier.documents.anchor([bl], "bill-of-lading", escrow_id)  # issued for this escrow
    assert anyone.escrow.missing(t, 0, [bl]) == []
    first = anyone.escrow.release(t, 0, [bl])  # anyone may trigger a release
    assert usdc.functions.balanceOf(addr("seller")).call() == AMOUNT * 3 // 10
    attestation = doc(tmp_path, "delivered.pdf")
    inspector.documents.anchor([attestation], "delivery-attestation", escrow_id)
    second = anyone.escrow.release(t, 1, [attestation])
    assert usdc.functions.balanceOf(addr("seller")).call() == AMOUNT
    assert usdc.functions.balanceOf(bank.escrow.address).call() == 0
    state = bank.escrow.state(escrow_id)
    assert (state["status"], state["releasedMilestones"], state["held"]) == ("CLOSED", [0, 1], 0)
    total = opened.gas_used + funded.gas_used + first.gas_used + second.gas_used
    assert total < 320_000  # recorded precisely in make bench


def test_release_before_the_conditions_says_what_is_missing(sdk_as: Any, usdc: Any, tmp_path: Path) -> None:
    bank = sdk_as("financier")
    t = terms(usdc.address)
    open_and_fund(bank, t)
    assert bank.escrow.missing(t, 0) == ["bill-of-lading"]
    with pytest.raises(revert_class("ConditionsNotMet")) as info:
        bank.escrow.release(t, 0, [])
    assert (info.value.milestone, info.value.missingDocs) == (0, 1 << 1)
    assert info.value.contract == "TradeEscrow"


def test_a_document_issued_for_the_trade_reference_or_another_trade_is_named_before_sending(
    sdk_as: Any, usdc: Any, tmp_path: Path
) -> None:
    bank, carrier = sdk_as("financier"), sdk_as("carrier")
    t = terms(usdc.address)
    escrow_id = open_and_fund(bank, t)
    by_reference = doc(tmp_path, "bl.pdf")
    carrier.documents.anchor([by_reference], "bill-of-lading", "KE-CN-0042")  # the terms' trade id: not enough
    rule = (
        "bl.pdf was issued for trade KE-CN-0042, this escrow's trade reference (escrow documents name the escrow "
        f"id), not for escrow {escrow_id}; its issuer anchors it for this escrow: "
        f"tradechain doc anchor bl.pdf --type bill-of-lading --escrow {escrow_id}"
    )
    with pytest.raises(InputError) as info:
        bank.escrow.missing(t, 0, [by_reference])
    assert info.value.user_message == f"documents: {rule}"
    with pytest.raises(InputError, match="issued for trade KE-CN-0042"):
        bank.escrow.release(t, 0, [by_reference])
    other = doc(tmp_path, "other.pdf")
    carrier.documents.anchor([other], "bill-of-lading", "ANOTHER-TRADE")
    with pytest.raises(InputError, match=f"other.pdf was issued for trade ANOTHER-TRADE, not for escrow {escrow_id}"):
        bank.escrow.missing(t, 0, [other])
    # without the SDK's check, the escrow passes such documents over: they prove nothing for it
    assert missing_on_chain(bank, t, 0, [by_reference, other]) == 1 << 1
    elsewhere = doc(tmp_path, "elsewhere.pdf")
    carrier.documents.anchor([elsewhere], "bill-of-lading", escrow_id)
    sidecar = document_registry.proof_path(elsewhere)
    sidecar.write_text(sidecar.read_text().replace(carrier.documents.address, "0x" + "12" * 20))
    with pytest.raises(InputError, match=r"elsewhere\.pdf was anchored in another document registry"):
        bank.escrow.missing(t, 0, [elsewhere])


def missing_on_chain(client: Any, t: Terms, milestone: int, files: list[Path]) -> int:
    """The escrow's own answer (missingDocuments), the SDK's check of the documents' escrow left out."""
    return int(
        client.call(client.escrow.contract, "missingDocuments", t.encoded(), milestone, client.escrow.proofs_for(files))
    )


def test_one_set_of_documents_pays_one_escrow_of_a_trade(sdk_as: Any, usdc: Any, tmp_path: Path) -> None:
    bank, carrier = sdk_as("financier"), sdk_as("carrier")
    first, second = terms(usdc.address), terms(usdc.address)  # the same trade, two escrows (salts differ)
    first_id, _ = bank.escrow.open(first)
    second_id, _ = bank.escrow.open(second)
    bank.escrow.fund(first)
    bank.escrow.fund(second)
    bl = doc(tmp_path, "bl.pdf")
    carrier.documents.anchor([bl], "bill-of-lading", first_id)
    bank.escrow.release(first, 0, [bl])
    with pytest.raises(
        InputError, match=f"bl.pdf was issued for another escrow, {first_id}, not for escrow {second_id}"
    ):
        bank.escrow.release(second, 0, [bl])
    with pytest.raises(revert_class("ConditionsNotMet")):  # sent anyway, the escrow refuses it
        bank.send(bank.escrow.contract, "release", second.encoded(), 0, bank.escrow.proofs_for([bl]))
    assert bank.escrow.state(second_id)["paidOut"] == 0


def test_a_document_by_an_issuer_without_the_role_or_revoked_does_not_count(
    sdk_as: Any, usdc: Any, tmp_path: Path
) -> None:
    bank, carrier = sdk_as("financier"), sdk_as("carrier")
    t = terms(usdc.address)
    escrow_id = open_and_fund(bank, t)
    by_retailer = doc(tmp_path, "fake-bl.pdf")
    with pytest.raises(InputError, match="may not issue a bill-of-lading"):  # the SDK refuses before sending
        sdk_as("retailer").documents.anchor([by_retailer], "bill-of-lading", escrow_id)
    rogue = sdk_as("retailer")  # a client that skips the check anchors it itself
    kind, trade = document_registry.parse_doc_type("bill-of-lading"), document_registry.trade_id(escrow_id)
    doc_hash = document_registry.document_hash(by_retailer)
    root = document_registry.leaf(doc_hash, kind, trade)  # a batch of one: its root is its leaf
    rogue.send(rogue.documents.contract, "anchor", root, 1)
    org, _ = rogue.participants.organisation_of(rogue.signer.address)
    proof = ("0x" + root.hex(), "0x" + doc_hash.hex(), kind, "0x" + trade.hex(), [], rogue.documents.address)
    document_registry.write_proof(by_retailer, document_registry.DocumentProof(*proof, rogue.chain_id, org))
    with pytest.raises(revert_class("ConditionsNotMet")):
        bank.escrow.release(t, 0, [by_retailer])
    revoked = doc(tmp_path, "bl.pdf")
    carrier.documents.anchor([revoked], "bill-of-lading", escrow_id)
    carrier.documents.revoke(revoked, "superseded")
    with pytest.raises(revert_class("ConditionsNotMet")):
        bank.escrow.release(t, 0, [revoked])


def test_a_named_issuer_must_be_the_issuer(sdk_as: Any, usdc: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    bank = sdk_as("financier")
    named = (Milestone(10_000, ("bill-of-lading",), issuer=sdk_members["carrier"] + 1000),)
    t = terms(usdc.address, milestones=named)
    escrow_id = open_and_fund(bank, t)
    bl = doc(tmp_path, "bl.pdf")
    sdk_as("carrier").documents.anchor([bl], "bill-of-lading", escrow_id)
    assert bank.escrow.missing(t, 0, [bl]) == ["bill-of-lading"]  # a carrier, but not the one named


def test_refund_after_the_deadline_and_no_release_after_it(sdk_as: Any, usdc: Any, tmp_path: Path) -> None:
    bank, carrier = sdk_as("financier"), sdk_as("carrier")
    t = terms(usdc.address, deadline=now() + 100)
    escrow_id = open_and_fund(bank, t)
    with pytest.raises(revert_class("DeadlineNotPassed")):
        bank.escrow.refund(t)
    chain.sleep(200)
    chain.mine()
    with pytest.raises(revert_class("DisputeWindowClosed")) as closed:
        sdk_as("buyer").escrow.dispute(t, "too late")
    assert closed.value.deadline == t.deadline  # the date, readable: ISO 8601 in UTC
    assert closed.value.description == f"The dispute window closed at the deadline {reverts.iso_time(t.deadline)}."
    before = usdc.functions.balanceOf(addr("financier")).call()
    sdk_as("outsider").escrow.refund(t)
    assert usdc.functions.balanceOf(addr("financier")).call() - before == AMOUNT
    bl = doc(tmp_path, "bl.pdf")
    carrier.documents.anchor([bl], "bill-of-lading", escrow_id)
    with pytest.raises(revert_class("InvalidStatus")) as info:
        bank.escrow.release(t, 0, [bl])
    assert info.value.status == 4  # Closed
    assert bank.escrow.state(escrow_id)["held"] == 0


def test_a_dispute_freezes_until_the_arbiter_splits(sdk_as: Any, usdc: Any, tmp_path: Path) -> None:
    bank, buyer, arbiter = sdk_as("financier"), sdk_as("buyer"), sdk_as("arbiter")
    t = terms(usdc.address)
    escrow_id = open_and_fund(bank, t)
    bl = doc(tmp_path, "bl.pdf")
    sdk_as("carrier").documents.anchor([bl], "bill-of-lading", escrow_id)
    bank.escrow.release(t, 0, [bl])
    with pytest.raises(revert_class("UnauthorizedParty")):
        bank.escrow.dispute(t, "not the buyer")
    buyer.escrow.dispute(t, "machinery damaged")
    state = bank.escrow.state(escrow_id)
    assert state["status"] == "DISPUTED" and state["disputedAt"] == now()
    times = bank.escrow.timeline(t, state)
    assert times["arbitrationLapsesAt"] == state["disputedAt"] + 30 * 86400
    assert (times["disputeLapsed"], times["refundableAfter"]) == (False, t.deadline + 30 * 86400)
    with pytest.raises(revert_class("InvalidStatus")):
        bank.escrow.release(t, 1, [])
    with pytest.raises(revert_class("UnauthorizedParty")):
        buyer.escrow.resolve(t, 5_000)
    seller_before, bank_before = (usdc.functions.balanceOf(addr(r)).call() for r in ("seller", "financier"))
    arbiter.escrow.resolve(t, 6_000)  # 60% of the remaining 70% to the seller
    left = AMOUNT - AMOUNT * 3 // 10
    assert usdc.functions.balanceOf(addr("seller")).call() - seller_before == left * 6 // 10
    assert usdc.functions.balanceOf(addr("financier")).call() - bank_before == left - left * 6 // 10
    assert usdc.functions.balanceOf(bank.escrow.address).call() == 0


def test_a_buyer_disputes_once_and_a_lapsed_dispute_gives_way_to_the_documents(
    sdk_as: Any, usdc: Any, tmp_path: Path
) -> None:
    bank, buyer, arbiter = sdk_as("financier"), sdk_as("buyer"), sdk_as("arbiter")
    t = terms(usdc.address)
    escrow_id = open_and_fund(bank, t)
    buyer.escrow.dispute(t, "stalling")
    disputed_at = bank.escrow.state(escrow_id)["disputedAt"]
    with pytest.raises(revert_class("InvalidStatus")) as frozen:
        buyer.escrow.dispute(t, "stalling again")
    assert frozen.value.description == "The escrow is Disputed, and this needs Funded."
    chain.sleep(30 * 86400 + 10)  # the arbiter does nothing for 30 days
    chain.mine()
    with pytest.raises(revert_class("ArbitrationLapsed")) as lapsed:
        arbiter.escrow.resolve(t, 10_000)
    assert lapsed.value.lapsedAt == disputed_at + 30 * 86400
    assert bank.escrow.timeline(t, bank.escrow.state(escrow_id))["disputeLapsed"] is True
    bl = doc(tmp_path, "bl.pdf")
    sdk_as("carrier").documents.anchor([bl], "bill-of-lading", escrow_id)
    receipt = bank.escrow.release(t, 0, [bl])  # the documentary rules apply again
    [event] = bank.events(bank.escrow.contract, receipt, "DisputeLapsed")
    assert event["lapsedAt"] == disputed_at + 30 * 86400
    assert bank.escrow.state(escrow_id)["status"] == "FUNDED"
    with pytest.raises(revert_class("AlreadyDisputed")) as again:  # a buyer disputes once
        buyer.escrow.dispute(t, "stalling once more")
    assert again.value.disputedAt == disputed_at


def test_after_a_lapsed_dispute_the_refund_waits_for_the_deadline_plus_the_arbitration_period(
    sdk_as: Any, usdc: Any
) -> None:
    bank, buyer = sdk_as("financier"), sdk_as("buyer")
    t = terms(usdc.address, deadline=now() + 100)
    escrow_id = open_and_fund(bank, t)
    buyer.escrow.dispute(t, "damaged")
    chain.sleep(30 * 86400 + 10)  # the arbitration lapsed, but the deadline + 30 days has not quite passed
    chain.mine()
    with pytest.raises(revert_class("DeadlineNotPassed")) as info:
        bank.escrow.refund(t)
    assert info.value.deadline == t.deadline + 30 * 86400
    chain.sleep(200)
    chain.mine()
    before = usdc.functions.balanceOf(addr("financier")).call()
    receipt = sdk_as("outsider").escrow.refund(t)
    assert [e["escrowId"] for e in bank.events(bank.escrow.contract, receipt, "DisputeLapsed")] == [
        bytes.fromhex(escrow_id[2:])
    ]
    assert usdc.functions.balanceOf(addr("financier")).call() - before == AMOUNT
    assert bank.escrow.state(escrow_id)["status"] == "CLOSED"


def test_fee_on_transfer_tokens_are_refused(sdk_as: Any, sdk_members: dict[str, int], admin: Any) -> None:
    token = FeeOnTransferToken.deploy({"from": admin})
    token.mint(addr("financier"), AMOUNT, {"from": admin})
    bank = sdk_as("financier")
    t = terms(token.address)
    bank.escrow.open(t)
    with pytest.raises(revert_class("UnsupportedToken")) as info:
        bank.escrow.fund(t)
    assert (info.value.expected, info.value.received) == (AMOUNT, AMOUNT - AMOUNT // 100)


def test_a_token_that_reenters_on_transfer_cannot_take_twice(
    sdk_as: Any, sdk_members: dict[str, int], admin: Any, tmp_path: Path
) -> None:
    token = ReentrantToken.deploy({"from": admin})
    token.mint(addr("financier"), AMOUNT, {"from": admin})
    bank = sdk_as("financier")
    t = terms(token.address, milestones=(Milestone(5_000, ("bill-of-lading",)), Milestone(5_000, ("bill-of-lading",))))
    open_and_fund(bank, t)
    bl = doc(tmp_path, "bl.pdf")
    sdk_as("carrier").documents.anchor([bl], "bill-of-lading", bank.escrow.escrow_id(t))
    proofs = bank.escrow.proofs_for([bl], t)
    replay = bank.escrow.contract.encode_abi("release", args=[t.encoded(), 1, proofs])
    token.arm(bank.escrow.address, replay, {"from": admin})  # on paying milestone 0, try to release milestone 1
    bank.escrow.release(t, 0, [bl])
    assert token.reentered() is True and token.reentrySucceeded() is False
    assert token.balanceOf(addr("seller")) == AMOUNT // 2
    assert token.balanceOf(bank.escrow.address) == AMOUNT // 2


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"amount": 0}, "amount: must be positive"),
        ({"milestones": (Milestone(5_000, ("bill-of-lading",)),)}, "shares must add up to 100%"),
        ({"milestones": ()}, "1 to 8 milestones"),
        ({"milestones": (Milestone(10_000, ("bill-of-laden",)),)}, "unknown document type"),
        ({"seller": "0x123"}, "seller: an address is"),
        ({"trade_id": ""}, "trade: a trade id is"),
    ],
)
def test_invalid_terms_are_refused_before_sending(sdk_as: Any, usdc: Any, overrides: dict[str, Any], rule: str) -> None:
    with pytest.raises(InputError, match=rule):
        sdk_as("financier").escrow.open(terms(usdc.address, **overrides))


def test_invalid_terms_are_refused_on_chain_too(sdk_as: Any, usdc: Any) -> None:
    with pytest.raises(revert_class("InvalidTerms")) as info:
        sdk_as("financier").escrow.open(terms(usdc.address, deadline=now() - 10))
    assert info.value.rule == "deadline is not in the future"
    with pytest.raises(revert_class("UnauthorizedParty")):
        sdk_as("carrier").escrow.open(terms(usdc.address))  # neither buyer nor funder

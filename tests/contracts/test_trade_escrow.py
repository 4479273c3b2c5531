"""TradeEscrow at the contract level (via Brownie): the rules the SDK checks before sending are enforced on chain
too, and the edges of releasing, resolving and proving documents. (The life cycle through the SDK: test_escrow.)"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import DocumentRegistry, MockUSDC, TradeEscrow, accounts, web3
from conftest import reverts_with
from helpers import b32, lei_bytes

from tradechain.formats.identity import parse_roles

AMOUNT = 1_000 * 10**6
ZERO = "0x" + "00" * 20
TRADE = b"KE-CN-0042".ljust(32, b"\0")
BILL_OF_LADING, DELIVERY = 1, 6


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def escrow(registry: Any, documents: Any, admin: Any) -> Any:
    # The arbiter acts from an active member's account: an arbitration body (a chamber of commerce) is admitted.
    registry.admit(lei_bytes(60), 0, b"FR", parse_roles("certifier"), b"\0" * 32, accounts[16], {"from": admin})
    return TradeEscrow.deploy(registry, documents, {"from": admin})


@pytest.fixture(scope="module")
def usdc(admin: Any, financier: Any) -> Any:
    token = MockUSDC.deploy({"from": admin})
    token.mint(financier, 10 * AMOUNT, {"from": admin})
    return token


def terms(usdc: Any, financier: Any, retailer: Any, **changes: Any) -> tuple[Any, ...]:
    """Terms as the contract takes them: the financier funds, the retailer buys, two milestones (30% on the bill
    of lading, 70% on the delivery attestation)."""
    t = {
        "funder": financier.address,
        "buyer": retailer.address,
        "seller": accounts[15].address,
        "arbiter": accounts[16].address,
        "token": usdc.address,
        "amount": AMOUNT,
        "deadline": int(web3.eth.get_block("latest")["timestamp"]) + 30 * 86400,
        "tradeId": TRADE,
        "salt": b"\0" * 32,
        "milestones": [(3_000, 1 << BILL_OF_LADING, 0), (7_000, 1 << DELIVERY, 0)],
    }
    t.update(changes)
    return tuple(t.values())


def anchored(documents: Any, issuer: Any, doc_type: int, name: bytes, escrow_id: Any) -> tuple[Any, ...]:
    """One document issued for escrow `escrow_id` (its trade id), anchored alone (its leaf is the root) by
    `issuer`; its proof as the escrow takes it."""
    document = name.ljust(32, b"\0")
    leaf = documents.leafOf(document, doc_type, b32(escrow_id))
    tx = documents.anchor(leaf, 1, {"from": issuer})
    return (document, doc_type, leaf, tx.events["BatchAnchored"]["issuer"], [])


@pytest.fixture
def funded(escrow: Any, usdc: Any, financier: Any, retailer: Any) -> tuple[Any, ...]:
    t = terms(usdc, financier, retailer)
    escrow.open(t, {"from": financier})
    usdc.approve(escrow, AMOUNT, {"from": financier})
    escrow.fund(t, {"from": financier})
    return t


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("seller", ZERO, "a party is the zero address"),
        ("funder", ZERO, "a party is the zero address"),
        ("arbiter", ZERO, "a party is the zero address"),
        ("token", "0x" + "ab" * 20, "token is not a contract"),
        ("amount", 0, "amount is zero"),
        ("milestones", [], "1 to 8 milestones"),
        ("milestones", [(1_250, 1 << BILL_OF_LADING, 0)] * 9, "1 to 8 milestones"),
        ("milestones", [(10_000, 0, 0)], "each milestone requires known document types"),
        ("milestones", [(10_000, 1, 0)], "each milestone requires known document types"),  # type 0 is none
        ("milestones", [(10_000, 1 << 10, 0)], "each milestone requires known document types"),
        ("milestones", [(5_000, 1 << BILL_OF_LADING, 0)], "milestone shares add up to 10,000 bps"),
    ],
)
def test_the_contract_refuses_invalid_terms_itself(
    escrow: Any, usdc: Any, financier: Any, retailer: Any, field: str, value: Any, rule: str
) -> None:
    t = terms(usdc, financier, retailer, **{field: value})
    with reverts_with("InvalidTerms", rule):
        escrow.open(t, {"from": retailer})  # the buyer opens (the funder may be the zero address here)
    assert escrow.getState(escrow.escrowIdOf(t))["status"] == 0


def test_a_buyer_of_zero_is_refused(escrow: Any, usdc: Any, financier: Any, retailer: Any) -> None:
    with reverts_with("InvalidTerms", "a party is the zero address"):
        escrow.open(terms(usdc, financier, retailer, buyer=ZERO), {"from": financier})


def test_the_same_terms_open_one_escrow_only(escrow: Any, usdc: Any, financier: Any, retailer: Any) -> None:
    t = terms(usdc, financier, retailer)
    tx = escrow.open(t, {"from": retailer})
    escrow_id = b32(tx.events["EscrowOpened"]["escrowId"])
    with reverts_with("EscrowExists", escrow_id):
        escrow.open(t, {"from": financier})
    salted = terms(usdc, financier, retailer, salt=b"\x01" * 32)  # a salt tells equal terms apart
    assert b32(escrow.open(salted, {"from": financier}).events["EscrowOpened"]["escrowId"]) != escrow_id


def test_only_the_funder_funds_an_opened_escrow(
    escrow: Any, usdc: Any, financier: Any, retailer: Any, outsider: Any
) -> None:
    t = terms(usdc, financier, retailer)
    escrow_id = b32(escrow.escrowIdOf(t))
    with reverts_with("NonexistentEscrow", escrow_id):
        escrow.fund(t, {"from": financier})
    escrow.open(t, {"from": retailer})
    with reverts_with("UnauthorizedParty", escrow_id, retailer, "funder"):
        escrow.fund(t, {"from": retailer})
    assert escrow.getState(escrow_id)["status"] == 1  # still open


def test_each_milestone_is_released_once_and_only_if_it_exists(
    escrow: Any, documents: Any, usdc: Any, funded: tuple[Any, ...], carrier: Any, outsider: Any
) -> None:
    escrow_id = b32(escrow.escrowIdOf(funded))
    with reverts_with("InvalidMilestone", escrow_id, 2):
        escrow.release(funded, 2, [], {"from": outsider})
    with reverts_with("InvalidMilestone", escrow_id, 2):
        escrow.missingDocuments(funded, 2, [])
    bl = anchored(documents, carrier, BILL_OF_LADING, b"bl.pdf", escrow_id)
    tx = escrow.release(funded, 0, [bl], {"from": outsider})
    assert tx.events["MilestoneReleased"]["amount"] == AMOUNT * 3 // 10
    with reverts_with("MilestoneAlreadyReleased", escrow_id, 0):
        escrow.release(funded, 0, [bl], {"from": outsider})
    assert usdc.balanceOf(accounts[15]) == AMOUNT * 3 // 10


def test_proofs_of_unknown_or_unrequired_types_are_passed_over(
    escrow: Any, documents: Any, funded: tuple[Any, ...], carrier: Any, inspector: Any
) -> None:
    escrow_id = escrow.escrowIdOf(funded)
    delivery = anchored(documents, inspector, DELIVERY, b"delivered.pdf", escrow_id)  # proven, but for milestone 1
    unknown: tuple[Any, ...] = (b"x".ljust(32, b"\0"), 12, b"\0" * 32, 0, [])  # no such document type
    assert escrow.missingDocuments(funded, 0, [unknown, delivery]) == 1 << BILL_OF_LADING
    bl = anchored(documents, carrier, BILL_OF_LADING, b"bl.pdf", escrow_id)
    assert escrow.missingDocuments(funded, 0, [unknown, delivery, bl]) == 0
    assert escrow.missingDocuments(funded, 1, [bl, delivery]) == 0


@pytest.mark.parametrize(("seller_bps", "to_seller"), [(0, 0), (10_000, AMOUNT)])
def test_an_arbiter_may_give_everything_to_one_side(
    escrow: Any, usdc: Any, funded: tuple[Any, ...], retailer: Any, financier: Any, seller_bps: int, to_seller: int
) -> None:
    escrow.dispute(funded, b"late".ljust(32, b"\0"), {"from": retailer})
    arbiter, seller = accounts[16], accounts[15]
    with reverts_with("InvalidSellerShare", 10_001):
        escrow.resolve(funded, 10_001, {"from": arbiter})
    funder_before = usdc.balanceOf(financier)
    tx = escrow.resolve(funded, seller_bps, {"from": arbiter})
    assert (tx.events["DisputeResolved"]["toSeller"], tx.events["DisputeResolved"]["toFunder"]) == (
        to_seller,
        AMOUNT - to_seller,
    )
    assert usdc.balanceOf(seller) == to_seller and usdc.balanceOf(financier) - funder_before == AMOUNT - to_seller
    assert len(tx.events["Transfer"]) == 1  # no transfer of zero
    assert escrow.getState(escrow.escrowIdOf(funded))["status"] == 4  # closed


def test_documents_issued_for_the_trade_reference_or_another_escrow_prove_nothing(
    escrow: Any, documents: Any, usdc: Any, funded: tuple[Any, ...], financier: Any, retailer: Any, carrier: Any
) -> None:
    escrow_id = escrow.escrowIdOf(funded)
    by_trade = anchored(documents, carrier, BILL_OF_LADING, b"bl.pdf", TRADE)  # the terms' tradeId, as before
    assert escrow.missingDocuments(funded, 0, [by_trade]) == 1 << BILL_OF_LADING
    other = terms(usdc, financier, retailer, salt=b"\x01" * 32)  # another escrow of the same trade
    escrow.open(other, {"from": financier})
    for_other = anchored(documents, carrier, BILL_OF_LADING, b"bl-2.pdf", escrow.escrowIdOf(other))
    with reverts_with("ConditionsNotMet", b32(escrow_id), 0, 1 << BILL_OF_LADING):
        escrow.release(funded, 0, [by_trade, for_other], {"from": carrier})

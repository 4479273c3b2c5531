"""InvoiceRegistry at the contract level (via Brownie): shares and batch sizes the SDK checks before sending,
a batch's per-item refusals, cancelling by a syndicate member, settling, shares and acknowledgment deadlines.
(Fingerprints, syndication and acknowledgments through the SDK: test_invoice_registry.)"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import InvoiceRegistry, accounts, web3
from conftest import reverts_with
from helpers import ROLE, lei_bytes

ZERO32 = b"\0" * 32
NO_SECONDARY = [ZERO32] * 4
INVOICE, OTHER, THIRD, FOURTH = (bytes([i]) * 32 for i in (0xA1, 0xB2, 0xC3, 0xD4))
SETTLED, FINANCED = 2, 1


@pytest.fixture(scope="module")
def invoices(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return InvoiceRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def bank_b(registry: Any, members: dict[str, int], admin: Any) -> tuple[Any, int]:
    """A second financier (account 12) and its organisation."""
    account = accounts[12]
    tx = registry.admit(lei_bytes(40), 0, b"DE", ROLE["financier"], ZERO32, account, {"from": admin})
    return account, int(tx.events["OrganisationAdmitted"]["organisation"])


@pytest.mark.parametrize("share", [0, 10_001])
def test_a_share_is_1_to_10000_bps(invoices: Any, financier: Any, share: int) -> None:
    with reverts_with("InvalidShare", share):
        invoices.register(INVOICE, share, NO_SECONDARY, {"from": financier})
    with reverts_with("InvalidShare", share):
        invoices.registerBatch([(INVOICE, share, NO_SECONDARY)], {"from": financier})
    assert invoices.check(INVOICE)["status"] == 0


@pytest.mark.parametrize("size", [0, 501])
def test_a_batch_holds_1_to_500_invoices(invoices: Any, financier: Any, size: int) -> None:
    items = [(i.to_bytes(32, "big"), 10_000, NO_SECONDARY) for i in range(1, size + 1)]
    with reverts_with("InvalidBatch", size, 500):
        invoices.registerBatch(items, {"from": financier})


def test_without_secondary_fingerprints_no_log_of_them(invoices: Any, financier: Any) -> None:
    tx = invoices.register(INVOICE, 10_000, NO_SECONDARY, {"from": financier})
    assert "InvoiceFinanced" in tx.events and len(tx.logs) == 1


def test_a_batch_refuses_settled_full_and_already_joined_invoices_one_by_one(
    invoices: Any, members: dict[str, int], financier: Any, bank_b: tuple[Any, int]
) -> None:
    account_b, _ = bank_b
    invoices.register(INVOICE, 10_000, NO_SECONDARY, {"from": account_b})
    invoices.settle(INVOICE, {"from": account_b})  # settled
    invoices.register(OTHER, 10_000, NO_SECONDARY, {"from": account_b})  # fully financed elsewhere
    invoices.register(THIRD, 4_000, NO_SECONDARY, {"from": financier})  # joined already
    items = [(f, 5_000, NO_SECONDARY) for f in (INVOICE, OTHER, THIRD, FOURTH)]
    tx = invoices.registerBatch(items, {"from": financier})
    assert list(tx.return_value) == [False, False, False, True]
    refused = [(e["status"], e["totalBps"]) for e in tx.events["RegistrationRefused"]]
    assert refused == [(SETTLED, 10_000), (FINANCED, 10_000), (FINANCED, 4_000)]
    assert invoices.shareOf(FOURTH, members["financier"]) == 5_000


def test_a_syndicate_member_cancels_its_own_share_only(
    invoices: Any, members: dict[str, int], financier: Any, bank_b: tuple[Any, int], retailer: Any
) -> None:
    account_b, org_b = bank_b
    first = members["financier"]
    invoices.register(INVOICE, 6_000, NO_SECONDARY, {"from": financier})
    invoices.register(INVOICE, 4_000, NO_SECONDARY, {"from": account_b})
    assert (invoices.shareOf(INVOICE, first), invoices.shareOf(INVOICE, org_b)) == (6_000, 4_000)
    assert invoices.shareOf(INVOICE, members["retailer"]) == 0
    tx = invoices.cancel(INVOICE, {"from": account_b})  # the second member: its share slot
    assert tx.events["FinancingCancelled"]["shareBps"] == 4_000
    assert invoices.check(INVOICE)["totalBps"] == 6_000 and invoices.shareOf(INVOICE, org_b) == 0
    with reverts_with("NotParticipating", INVOICE, org_b):
        invoices.cancel(INVOICE, {"from": account_b})
    invoices.register(INVOICE, 4_000, NO_SECONDARY, {"from": account_b})
    invoices.cancel(INVOICE, {"from": financier})  # the first financier leaves; the invoice stays financed
    assert invoices.shareOf(INVOICE, first) == 0 and invoices.check(INVOICE)["firstOrg"] == first
    with reverts_with("NotParticipating", INVOICE, first):
        invoices.cancel(INVOICE, {"from": financier})  # its own share is gone, none in a share slot either
    assert invoices.check(INVOICE)["totalBps"] == 4_000


def test_an_invoice_is_settled_once_and_only_when_financed(
    invoices: Any, members: dict[str, int], financier: Any
) -> None:
    org = members["financier"]
    with reverts_with("NotParticipating", INVOICE, org):
        invoices.settle(INVOICE, {"from": financier})  # nobody financed it
    invoices.register(INVOICE, 10_000, NO_SECONDARY, {"from": financier})
    tx = invoices.settle(INVOICE, {"from": financier})
    assert (tx.events["InvoiceSettled"]["shareBps"], tx.events["InvoiceSettled"]["settledBps"]) == (10_000, 10_000)
    with reverts_with("InvoiceAlreadySettled", INVOICE):
        invoices.settle(INVOICE, {"from": financier})
    record = invoices.check(INVOICE)
    assert (record["status"], record["settledBps"], record["firstBps"]) == (SETTLED, 10_000, 10_000)
    assert invoices.shareOf(INVOICE, org) == 10_000  # the settled share, without its flag


def test_a_settled_share_keeps_the_rest_of_a_syndicate_financed(
    invoices: Any, members: dict[str, int], financier: Any, bank_b: tuple[Any, int]
) -> None:
    account_b, org_b = bank_b
    invoices.register(INVOICE, 6_000, NO_SECONDARY, {"from": financier})
    invoices.register(INVOICE, 4_000, NO_SECONDARY, {"from": account_b})
    invoices.settle(INVOICE, {"from": account_b})  # the second member, its share slot
    with reverts_with("ShareAlreadySettled", INVOICE, org_b):
        invoices.settle(INVOICE, {"from": account_b})
    with reverts_with("ShareAlreadySettled", INVOICE, org_b):
        invoices.cancel(INVOICE, {"from": account_b})
    record = invoices.check(INVOICE)
    assert (record["status"], record["totalBps"], record["settledBps"]) == (FINANCED, 10_000, 4_000)
    assert invoices.shareOf(INVOICE, org_b) == 4_000


def test_an_acknowledgment_past_its_deadline_is_refused(invoices: Any, financier: Any, retailer: Any) -> None:
    deadline = int(web3.eth.get_block("latest")["timestamp"]) - 1
    with reverts_with("AcknowledgmentExpired", INVOICE, deadline):
        invoices.acknowledge(INVOICE, retailer, 0, deadline, b"\0" * 65, {"from": financier})
    assert invoices.acknowledgedAt(INVOICE, retailer) == 0

"""DocumentRegistry at the contract level (via Brownie): the role each document type needs, and the refusals
of anchoring and revoking that the SDK checks before sending. (Anchoring and verifying through the SDK:
test_documents.)"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import DocumentRegistry
from conftest import reverts_with
from eth_hash.auto import keccak
from helpers import b32

from tradechain.formats.identity import parse_roles

TRADE = b"KE-CN-0042".ljust(32, b"\0")
REASON = b"superseded".ljust(32, b"\0")
BILL_OF_LADING = 1


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


def doc(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def pair(documents: Any) -> tuple[bytes, bytes, bytes]:
    """Two bills of lading in one batch: (root, leaf of the first, leaf of the second)."""
    a, b = (b32(documents.leafOf(doc(n), BILL_OF_LADING, TRADE)) for n in ("bl-1", "bl-2"))
    return keccak(min(a, b) + max(a, b)), a, b  # OpenZeppelin's Merkle pair hash is commutative


@pytest.mark.parametrize(
    ("doc_type", "roles"),
    [
        (1, ("carrier",)),
        (2, ("certifier", "customs")),
        (3, ("inspector",)),
        (4, ("inspector", "regulator")),
        (5, ("customs",)),
        (6, ("carrier", "inspector")),
        (7, ("manufacturer", "brand")),
        (8, ("manufacturer", "brand", "carrier")),
        (9, ("financier",)),
    ],
)
def test_each_document_type_names_the_roles_that_may_issue_it(
    documents: Any, doc_type: int, roles: tuple[str, ...]
) -> None:
    assert documents.requiredRoles(doc_type) == parse_roles(",".join(roles))


@pytest.mark.parametrize("doc_type", [0, 10, 255])
def test_there_are_nine_document_types(documents: Any, doc_type: int) -> None:
    with reverts_with("InvalidDocumentType", doc_type):
        documents.requiredRoles(doc_type)


def test_a_batch_declares_at_least_one_document(documents: Any, carrier: Any) -> None:
    with reverts_with("InvalidDocumentCount", 0):
        documents.anchor(b"\x01" * 32, 0, {"from": carrier})


def test_only_an_anchored_batch_of_ones_own_is_revoked(
    documents: Any, members: dict[str, int], carrier: Any, inspector: Any
) -> None:
    root, _, _ = pair(documents)
    issuer = members["carrier"]
    with reverts_with("NonexistentBatch", root):
        documents.revokeBatch(root, issuer, REASON, {"from": carrier})
    documents.anchor(root, 2, {"from": carrier})
    with reverts_with("UnauthorizedRevoker", inspector, issuer):
        documents.revokeBatch(root, issuer, REASON, {"from": inspector})  # another issuer's batch
    with reverts_with("NonexistentBatch", root):
        documents.revokeBatch(root, members["inspector"], REASON, {"from": inspector})  # none of its own
    batch = documents.getBatch(root, issuer)
    assert (batch["issuer"], batch["count"], batch["revokedAt"]) == (issuer, 2, 0)
    assert batch["issuerRoles"] == documents.requiredRoles(BILL_OF_LADING)  # a carrier: the carrier role
    tx = documents.revokeBatch(root, issuer, REASON, {"from": carrier})
    event = tx.events["BatchRevoked"]
    assert (event["issuer"], event["reason"], event["by"]) == (issuer, "0x" + REASON.hex(), carrier)
    assert documents.getBatch(root, issuer)["revokedAt"] == tx.timestamp
    with reverts_with("AlreadyRevoked", root, b"\0" * 32):
        documents.revokeBatch(root, issuer, REASON, {"from": carrier})


def test_a_document_is_revoked_with_its_proof_once(documents: Any, members: dict[str, int], carrier: Any) -> None:
    root, first, second = pair(documents)
    issuer = members["carrier"]
    documents.anchor(root, 2, {"from": carrier})
    with reverts_with("InvalidDocumentProof", root, doc("bl-1")):
        documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [], REASON, {"from": carrier})
    tx = documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": carrier})
    event = tx.events["DocumentRevoked"]
    assert (b32(event["leaf"]), event["issuer"], event["by"]) == (first, issuer, carrier)
    with reverts_with("AlreadyRevoked", root, first):
        documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": carrier})
    assert documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, issuer, [second])["revokedAt"] > 0
    assert documents.verify(doc("bl-2"), BILL_OF_LADING, TRADE, root, issuer, [first])["valid"] is True
    documents.revokeBatch(root, issuer, REASON, {"from": carrier})
    with reverts_with("AlreadyRevoked", root, second):  # its batch is revoked: so is it
        documents.revokeDocument(root, issuer, doc("bl-2"), BILL_OF_LADING, TRADE, [first], REASON, {"from": carrier})
    assert documents.verify(doc("bl-2"), BILL_OF_LADING, TRADE, root, issuer, [first])["valid"] is False


def test_a_revoked_document_is_revoked_in_every_batch_of_its_issuer(
    documents: Any, members: dict[str, int], carrier: Any
) -> None:
    root, first, second = pair(documents)
    issuer = members["carrier"]
    documents.anchor(root, 2, {"from": carrier})
    documents.anchor(first, 1, {"from": carrier})  # the same document again, as a batch of one
    documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": carrier})
    assert documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, first, issuer, [])["valid"] is False


def test_anchoring_and_revoking_someone_elses_leaf_changes_nothing_for_its_issuer(
    documents: Any, members: dict[str, int], carrier: Any, retailer: Any
) -> None:
    root, first, second = pair(documents)
    documents.anchor(root, 2, {"from": carrier})
    documents.anchor(first, 1, {"from": retailer})  # the carrier's leaf, copied as a batch of one of its own
    tx = documents.revokeDocument(
        first, members["retailer"], doc("bl-1"), BILL_OF_LADING, TRADE, [], REASON, {"from": retailer}
    )
    assert tx.events["DocumentRevoked"]["issuer"] == members["retailer"]
    result = documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, members["carrier"], [second])
    assert (result["valid"], result["revokedAt"]) == (True, 0)


def test_the_admin_revokes_any_issuers_documents_even_a_suspended_ones(
    documents: Any, registry: Any, members: dict[str, int], carrier: Any, admin: Any
) -> None:
    root, first, second = pair(documents)
    issuer = members["carrier"]
    documents.anchor(root, 2, {"from": carrier})
    registry.suspend(issuer, REASON, {"from": admin})
    with reverts_with("OrganisationIsSuspended", issuer):
        documents.revokeBatch(root, issuer, REASON, {"from": carrier})
    assert documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, issuer, [second])["revokedAt"] == 0
    tx = documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": admin})
    assert (tx.events["DocumentRevoked"]["issuer"], tx.events["DocumentRevoked"]["by"]) == (issuer, admin)
    tx = documents.revokeBatch(root, issuer, REASON, {"from": admin})
    assert tx.events["BatchRevoked"]["by"] == admin
    assert documents.verify(doc("bl-2"), BILL_OF_LADING, TRADE, root, issuer, [first])["valid"] is False


def test_outsiders_revoke_nothing(documents: Any, members: dict[str, int], carrier: Any, outsider: Any) -> None:
    root, _, second = pair(documents)
    issuer = members["carrier"]
    documents.anchor(root, 2, {"from": carrier})
    with reverts_with("UnregisteredAccount", outsider):
        documents.revokeBatch(root, issuer, REASON, {"from": outsider})
    with reverts_with("UnregisteredAccount", outsider):
        documents.revokeDocument(root, issuer, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": outsider})


def test_a_batch_nobody_anchored_proves_nothing(documents: Any, members: dict[str, int], carrier: Any) -> None:
    root, _, second = pair(documents)
    result = documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, members["carrier"], [second])
    assert (result["valid"], result["issuer"], result["anchoredAt"]) == (False, 0, 0)

"""DocumentRegistry at the contract level (via Brownie): the role each document type needs, and the refusals
of anchoring and revoking that the SDK checks before sending. (Anchoring and verifying through the SDK:
test_documents.)"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import DocumentRegistry
from conftest import reverts_with
from eth_hash.auto import keccak

from tradechain.identity import parse_roles

TRADE = b"KE-CN-0042".ljust(32, b"\0")
REASON = b"superseded".ljust(32, b"\0")
BILL_OF_LADING = 1


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


def doc(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def b32(value: Any) -> bytes:
    return bytes.fromhex(str(value)[2:]) if isinstance(value, str) else bytes(value)


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
    with reverts_with("NonexistentBatch", root):
        documents.revokeBatch(root, REASON, {"from": carrier})
    documents.anchor(root, 2, {"from": carrier})
    with reverts_with("NonexistentBatch", root):
        documents.revokeBatch(root, REASON, {"from": inspector})  # another issuer's batch
    batch = documents.getBatch(root, members["carrier"])
    assert (batch["issuer"], batch["count"], batch["revokedAt"]) == (members["carrier"], 2, 0)
    assert batch["issuerRoles"] == documents.requiredRoles(BILL_OF_LADING)  # a carrier: the carrier role
    tx = documents.revokeBatch(root, REASON, {"from": carrier})
    assert tx.events["BatchRevoked"]["issuer"] == members["carrier"]
    assert documents.getBatch(root, members["carrier"])["revokedAt"] == tx.timestamp
    with reverts_with("AlreadyRevoked", root, b"\0" * 32):
        documents.revokeBatch(root, REASON, {"from": carrier})


def test_a_document_is_revoked_with_its_proof_once(documents: Any, members: dict[str, int], carrier: Any) -> None:
    root, first, second = pair(documents)
    documents.anchor(root, 2, {"from": carrier})
    with reverts_with("InvalidDocumentProof", root, doc("bl-1")):
        documents.revokeDocument(root, doc("bl-1"), BILL_OF_LADING, TRADE, [], REASON, {"from": carrier})
    tx = documents.revokeDocument(root, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": carrier})
    assert b32(tx.events["DocumentRevoked"]["leaf"]) == first
    with reverts_with("AlreadyRevoked", root, first):
        documents.revokeDocument(root, doc("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": carrier})
    issuer = members["carrier"]
    assert documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, issuer, [second])["revokedAt"] > 0
    assert documents.verify(doc("bl-2"), BILL_OF_LADING, TRADE, root, issuer, [first])["valid"] is True
    documents.revokeBatch(root, REASON, {"from": carrier})
    with reverts_with("AlreadyRevoked", root, second):  # its batch is revoked: so is it
        documents.revokeDocument(root, doc("bl-2"), BILL_OF_LADING, TRADE, [first], REASON, {"from": carrier})
    assert documents.verify(doc("bl-2"), BILL_OF_LADING, TRADE, root, issuer, [first])["valid"] is False


def test_a_batch_nobody_anchored_proves_nothing(documents: Any, members: dict[str, int], carrier: Any) -> None:
    root, _, second = pair(documents)
    result = documents.verify(doc("bl-1"), BILL_OF_LADING, TRADE, root, members["carrier"], [second])
    assert (result["valid"], result["issuer"], result["anchoredAt"]) == (False, 0, 0)

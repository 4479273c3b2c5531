"""The SDK's table of document types (tradechain/formats/document_types.py) against the deployed contracts: the
DocumentRegistry gives each type the SDK's issuer roles and knows no other type, the TradeEscrow takes a milestone
requiring every SDK type and refuses any other bit. (The same table against the Solidity source, with no chain:
tests/unit/test_document_types.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from brownie import DocumentRegistry, MockUSDC, TradeEscrow, accounts, web3
from conftest import reverts_with

from tradechain.contracts import document_registry
from tradechain.formats.document_types import ALL_DOC_TYPES, DOC_TYPES, MAX_DOC_TYPE, TABLE
from tradechain.formats.identity import parse_roles


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def escrow(registry: Any, documents: Any, admin: Any) -> Any:
    return TradeEscrow.deploy(registry, documents, {"from": admin})


def terms(token: Any, financier: Any, retailer: Any, required: int) -> tuple[Any, ...]:
    """Terms with one milestone that requires the document types of the mask `required`."""
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 30 * 86400
    return (financier, retailer, accounts[15], accounts[16], token, 10**6, deadline, b"T" * 32, b"\0" * 32,
            [(10_000, required, 0)])  # fmt: skip


def test_the_sdk_client_re_exports_the_table() -> None:
    assert document_registry.DOC_TYPES is DOC_TYPES
    assert set(document_registry.DOC_TYPE_NAMES) == set(range(1, MAX_DOC_TYPE + 1))


@pytest.mark.parametrize("doc_type", TABLE, ids=[t.name for t in TABLE])
def test_the_registry_requires_the_sdk_issuer_roles(documents: Any, doc_type: Any) -> None:
    assert documents.requiredRoles(doc_type.code) == parse_roles(doc_type.issuers)


def test_the_registry_knows_the_sdk_types_and_no_other(documents: Any) -> None:
    assert documents.MAX_DOC_TYPE() == MAX_DOC_TYPE
    for code in (0, MAX_DOC_TYPE + 1, 255):
        with reverts_with("InvalidDocumentType", code):
            documents.requiredRoles(code)


def test_the_escrow_takes_every_sdk_type_and_no_other_bit(
    escrow: Any, admin: Any, financier: Any, retailer: Any
) -> None:
    token = MockUSDC.deploy({"from": admin})
    assert escrow.missingDocuments(terms(token, financier, retailer, ALL_DOC_TYPES), 0, []) == ALL_DOC_TYPES
    escrow.open(terms(token, financier, retailer, ALL_DOC_TYPES), {"from": financier})
    for bit in (0, MAX_DOC_TYPE + 1, 15):
        with reverts_with("InvalidTerms", "each milestone requires known document types"):
            escrow.open(terms(token, financier, retailer, ALL_DOC_TYPES | 1 << bit), {"from": financier})

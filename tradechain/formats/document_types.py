"""The trade document types: the SDK's copy of contracts/libraries/DocumentTypes.sol, the one table of the
DocumentRegistry (which checks an issuer's roles) and the TradeEscrow (whose milestones require types).

Same names as the Solidity constants, in kebab-case (``BILL_OF_LADING`` is ``bill-of-lading``), same numbers, same
issuer roles; tests/unit/test_document_types.py (against the source) and tests/contracts/test_document_types.py
(against the deployed contracts) fail if the two disagree."""

from __future__ import annotations

from typing import NamedTuple


class DocumentType(NamedTuple):
    code: int  # the uint8 of the contracts; bit `code` of a milestone's requiredDocs
    name: str
    issuers: tuple[str, ...]  # the roles (tradechain.formats.identity.ROLE_NAMES) that may issue it, any one of them


TABLE = (
    DocumentType(1, "bill-of-lading", ("carrier",)),
    DocumentType(2, "certificate-of-origin", ("certifier", "customs")),
    DocumentType(3, "inspection-certificate", ("inspector",)),
    DocumentType(4, "phytosanitary-certificate", ("inspector", "regulator")),
    DocumentType(5, "customs-clearance", ("customs",)),
    DocumentType(6, "delivery-attestation", ("carrier", "inspector")),
    DocumentType(7, "commercial-invoice", ("manufacturer", "brand")),
    DocumentType(8, "packing-list", ("manufacturer", "brand", "carrier")),
    DocumentType(9, "insurance-certificate", ("financier",)),
)

DOC_TYPES = {t.name: t.code for t in TABLE}
DOC_TYPE_NAMES = {t.code: t.name for t in TABLE}
MAX_DOC_TYPE = max(DOC_TYPE_NAMES)  # DocumentTypes.MAX: the codes are 1 to MAX_DOC_TYPE, with no gap
ALL_DOC_TYPES = sum(1 << code for code in DOC_TYPE_NAMES)  # DocumentTypes.ALL: bit t for type t

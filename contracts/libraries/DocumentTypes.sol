// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDocumentRegistry} from "../../interfaces/IDocumentRegistry.sol";
import {Roles} from "./Roles.sol";

/// @title DocumentTypes
/// @notice The trade document types (a `uint8` from 1 to {MAX}) and the roles that may issue each: the one table of
/// the {DocumentRegistry} (which checks an issuer's roles) and the {TradeEscrow} (whose milestones require types, as
/// the bits of a `uint16`).
/// @dev The SDK's copy is tradechain/formats/document_types.py, by the same names (kebab-case there);
/// tests/unit/test_document_types.py and tests/contracts/test_document_types.py fail if the two disagree.
library DocumentTypes {
    /// @dev Issued by a carrier.
    uint8 internal constant BILL_OF_LADING = 1;
    /// @dev Issued by a certifier (a chamber of commerce) or customs.
    uint8 internal constant CERTIFICATE_OF_ORIGIN = 2;
    /// @dev Issued by an inspector.
    uint8 internal constant INSPECTION_CERTIFICATE = 3;
    /// @dev Issued by an inspector or a regulator.
    uint8 internal constant PHYTOSANITARY_CERTIFICATE = 4;
    /// @dev Issued by customs.
    uint8 internal constant CUSTOMS_CLEARANCE = 5;
    /// @dev Issued by a carrier or an inspector.
    uint8 internal constant DELIVERY_ATTESTATION = 6;
    /// @dev Issued by a manufacturer or a brand.
    uint8 internal constant COMMERCIAL_INVOICE = 7;
    /// @dev Issued by a manufacturer, a brand or a carrier.
    uint8 internal constant PACKING_LIST = 8;
    /// @dev Issued by a financier.
    uint8 internal constant INSURANCE_CERTIFICATE = 9;

    /// @dev The highest type: the types are 1 to MAX, with no gap.
    uint8 internal constant MAX = 9;
    /// @dev Every type as a set (bit t: type t): bits 1 to {MAX}. (A literal: an expression of {MAX} would be computed,
    /// with overflow checks, at every use.)
    uint16 internal constant ALL = 0x3FE;

    /// @dev The roles that may issue a document of type `docType` (any one of them). Reverts with
    /// {IDocumentRegistry-InvalidDocumentType} if `docType` is not a type.
    function requiredRoles(uint8 docType) internal pure returns (uint16) {
        if (docType == BILL_OF_LADING) return Roles.CARRIER;
        if (docType == CERTIFICATE_OF_ORIGIN) return Roles.CERTIFIER | Roles.CUSTOMS;
        if (docType == INSPECTION_CERTIFICATE) return Roles.INSPECTOR;
        if (docType == PHYTOSANITARY_CERTIFICATE) return Roles.INSPECTOR | Roles.REGULATOR;
        if (docType == CUSTOMS_CLEARANCE) return Roles.CUSTOMS;
        if (docType == DELIVERY_ATTESTATION) return Roles.CARRIER | Roles.INSPECTOR;
        if (docType == COMMERCIAL_INVOICE) return Roles.MANUFACTURER | Roles.BRAND;
        if (docType == PACKING_LIST) return Roles.MANUFACTURER | Roles.BRAND | Roles.CARRIER;
        if (docType == INSURANCE_CERTIFICATE) return Roles.FINANCIER;
        revert IDocumentRegistry.InvalidDocumentType(docType);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvoiceRegistry} from "../../interfaces/IInvoiceRegistry.sol";

/// @dev The record of an invoice ({IInvoiceRegistry-Invoice}) packed in one storage word, so that it is read with one
/// SLOAD and written with one SSTORE (as v4-core's `Slot0`). Layout, from the least significant bit:
///
/// | bits    | field      | type   |
/// | ------- | ---------- | ------ |
/// | 0-31    | firstOrg   | uint32 |
/// | 32-47   | firstBps   | uint16 |
/// | 48-63   | totalBps   | uint16 |
/// | 64-71   | status     | uint8  |
/// | 72-111  | since      | uint40 |
/// | 112-127 | settledBps | uint16 |
/// | 128-255 | zero       |        |
type InvoiceSlot is uint256;

using InvoiceSlotLibrary for InvoiceSlot global;

/// @title InvoiceSlotLibrary
/// @notice Getters and setters of an {InvoiceSlot}: a setter returns the word with that one field replaced.
library InvoiceSlotLibrary {
    uint256 private constant FIRST_ORG_OFFSET = 0;
    uint256 private constant FIRST_BPS_OFFSET = 32;
    uint256 private constant TOTAL_BPS_OFFSET = 48;
    uint256 private constant STATUS_OFFSET = 64;
    uint256 private constant SINCE_OFFSET = 72;
    uint256 private constant SETTLED_BPS_OFFSET = 112;

    uint256 private constant MASK_8 = 0xFF;
    uint256 private constant MASK_16 = 0xFFFF;
    uint256 private constant MASK_32 = 0xFFFFFFFF;
    uint256 private constant MASK_40 = 0xFFFFFFFFFF;

    // #### GETTERS ####

    /// @dev The organisation that financed the invoice first.
    function firstOrg(InvoiceSlot slot) internal pure returns (uint32) {
        return uint32(InvoiceSlot.unwrap(slot) >> FIRST_ORG_OFFSET);
    }

    /// @dev Its share, with the flag of a settled share if it is settled.
    function firstBps(InvoiceSlot slot) internal pure returns (uint16) {
        return uint16(InvoiceSlot.unwrap(slot) >> FIRST_BPS_OFFSET);
    }

    /// @dev The sum of every share.
    function totalBps(InvoiceSlot slot) internal pure returns (uint16) {
        return uint16(InvoiceSlot.unwrap(slot) >> TOTAL_BPS_OFFSET);
    }

    /// @dev The status (reverts with a panic on a byte that is no {IInvoiceRegistry-Status}, which a setter never
    /// writes).
    function status(InvoiceSlot slot) internal pure returns (IInvoiceRegistry.Status) {
        return IInvoiceRegistry.Status(uint8(InvoiceSlot.unwrap(slot) >> STATUS_OFFSET));
    }

    /// @dev When the invoice was first financed.
    function since(InvoiceSlot slot) internal pure returns (uint40) {
        return uint40(InvoiceSlot.unwrap(slot) >> SINCE_OFFSET);
    }

    /// @dev The shares settled so far.
    function settledBps(InvoiceSlot slot) internal pure returns (uint16) {
        return uint16(InvoiceSlot.unwrap(slot) >> SETTLED_BPS_OFFSET);
    }

    // #### SETTERS ####

    function setFirstOrg(InvoiceSlot slot, uint32 value) internal pure returns (InvoiceSlot) {
        return _set(slot, FIRST_ORG_OFFSET, MASK_32, value);
    }

    function setFirstBps(InvoiceSlot slot, uint16 value) internal pure returns (InvoiceSlot) {
        return _set(slot, FIRST_BPS_OFFSET, MASK_16, value);
    }

    function setTotalBps(InvoiceSlot slot, uint16 value) internal pure returns (InvoiceSlot) {
        return _set(slot, TOTAL_BPS_OFFSET, MASK_16, value);
    }

    function setStatus(InvoiceSlot slot, IInvoiceRegistry.Status value) internal pure returns (InvoiceSlot) {
        return _set(slot, STATUS_OFFSET, MASK_8, uint8(value));
    }

    function setSince(InvoiceSlot slot, uint40 value) internal pure returns (InvoiceSlot) {
        return _set(slot, SINCE_OFFSET, MASK_40, value);
    }

    function setSettledBps(InvoiceSlot slot, uint16 value) internal pure returns (InvoiceSlot) {
        return _set(slot, SETTLED_BPS_OFFSET, MASK_16, value);
    }

    // #### WHOLE RECORD ####

    /// @dev The record as the interface returns it.
    function unpack(InvoiceSlot slot) internal pure returns (IInvoiceRegistry.Invoice memory invoice) {
        invoice.firstOrg = slot.firstOrg();
        invoice.firstBps = slot.firstBps();
        invoice.totalBps = slot.totalBps();
        invoice.status = slot.status();
        invoice.since = slot.since();
        invoice.settledBps = slot.settledBps();
    }

    /// @dev The word of a record (the inverse of {unpack}).
    function pack(IInvoiceRegistry.Invoice memory invoice) internal pure returns (InvoiceSlot) {
        return
            InvoiceSlot.wrap(
                (uint256(invoice.firstOrg) << FIRST_ORG_OFFSET) |
                    (uint256(invoice.firstBps) << FIRST_BPS_OFFSET) |
                    (uint256(invoice.totalBps) << TOTAL_BPS_OFFSET) |
                    (uint256(uint8(invoice.status)) << STATUS_OFFSET) |
                    (uint256(invoice.since) << SINCE_OFFSET) |
                    (uint256(invoice.settledBps) << SETTLED_BPS_OFFSET)
            );
    }

    /// @dev `slot` with the field at `offset` (of `mask`'s width) replaced by `value` (at most `mask`).
    function _set(InvoiceSlot slot, uint256 offset, uint256 mask, uint256 value) private pure returns (InvoiceSlot) {
        return InvoiceSlot.wrap((InvoiceSlot.unwrap(slot) & ~(mask << offset)) | (value << offset));
    }
}

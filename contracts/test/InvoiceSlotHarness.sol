// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvoiceRegistry} from "../../interfaces/IInvoiceRegistry.sol";
import {InvoiceSlot, InvoiceSlotLibrary} from "../libraries/InvoiceSlot.sol";

/// @dev Test harness: {InvoiceSlotLibrary} on raw words, for the fuzzed pack/unpack test
/// (tests/contracts/test_invoice_slot.py).
contract InvoiceSlotHarness {
    function pack(IInvoiceRegistry.Invoice memory invoice) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlotLibrary.pack(invoice));
    }

    function unpack(uint256 word) external pure returns (IInvoiceRegistry.Invoice memory) {
        return InvoiceSlot.wrap(word).unpack();
    }

    /// @dev Every getter of `word`, in the order of the fields of {IInvoiceRegistry-Invoice}.
    function get(uint256 word) external pure returns (uint32, uint16, uint16, IInvoiceRegistry.Status, uint40, uint16) {
        InvoiceSlot slot = InvoiceSlot.wrap(word);
        return (slot.firstOrg(), slot.firstBps(), slot.totalBps(), slot.status(), slot.since(), slot.settledBps());
    }

    function setFirstOrg(uint256 word, uint32 value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setFirstOrg(value));
    }

    function setFirstBps(uint256 word, uint16 value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setFirstBps(value));
    }

    function setTotalBps(uint256 word, uint16 value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setTotalBps(value));
    }

    function setStatus(uint256 word, IInvoiceRegistry.Status value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setStatus(value));
    }

    function setSince(uint256 word, uint40 value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setSince(value));
    }

    function setSettledBps(uint256 word, uint16 value) external pure returns (uint256) {
        return InvoiceSlot.unwrap(InvoiceSlot.wrap(word).setSettledBps(value));
    }
}

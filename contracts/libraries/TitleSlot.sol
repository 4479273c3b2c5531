// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITitleRegistry} from "../../interfaces/ITitleRegistry.sol";

/// @dev The first word of an eBL's record ({ITitleRegistry-Title}), read with one SLOAD and written with one SSTORE
/// (as v4-core's `Slot0`). Layout, from the least significant bit:
///
/// | bits    | field    | type    |
/// | ------- | -------- | ------- |
/// | 0-159   | holder   | address |
/// | 160-167 | status   | uint8   |
/// | 168-175 | flags    | uint8   |
/// | 176-207 | issuer   | uint32  |
/// | 208-239 | pledgee  | uint32  |
/// | 240-255 | zero     |         |
///
/// Flags: bit 0 frozen; bits 1-2 what the last transfer moved (1 holder, 2 beneficiary, 3 both; 0 nothing to
/// reject); bit 3 a nominee is set; bit 4 an operator is approved (so that a transfer reads neither word when there
/// is none); bit 5 the holder took the title over into custody ({ITitleRegistry-takeOver}): its transfers are final.
type TitleSlot is uint256;

using TitleSlotLibrary for TitleSlot global;

/// @title TitleSlotLibrary
/// @notice Getters and setters of a {TitleSlot}: a setter returns the word with that one field replaced.
library TitleSlotLibrary {
    uint256 private constant STATUS_OFFSET = 160;
    uint256 private constant FLAGS_OFFSET = 168;
    uint256 private constant ISSUER_OFFSET = 176;
    uint256 private constant PLEDGEE_OFFSET = 208;

    uint256 private constant MASK_8 = 0xFF;
    uint256 private constant MASK_32 = 0xFFFFFFFF;
    uint256 private constant MASK_160 = (1 << 160) - 1;

    uint8 internal constant FROZEN = 1;
    uint8 internal constant NOMINATED = 8;
    uint8 internal constant APPROVED = 16;
    uint8 internal constant CUSTODY = 32;
    uint8 internal constant UNDO_SHIFT = 1;
    uint8 internal constant UNDO_MASK = 6; // 3 << UNDO_SHIFT

    /// @dev A new title: its first holder, issued by `issuer_`.
    function create(address holder_, uint32 issuer_) internal pure returns (TitleSlot) {
        return
            TitleSlot.wrap(
                uint256(uint160(holder_)) |
                    (uint256(uint8(ITitleRegistry.Status.Issued)) << STATUS_OFFSET) |
                    (uint256(issuer_) << ISSUER_OFFSET)
            );
    }

    // #### GETTERS ####

    /// @dev The holder (the possessor, the ERC-721 owner); zero once surrendered or void.
    function holder(TitleSlot slot) internal pure returns (address) {
        return address(uint160(TitleSlot.unwrap(slot)));
    }

    /// @dev The status (a setter never writes a byte that is no {ITitleRegistry-Status}).
    function status(TitleSlot slot) internal pure returns (ITitleRegistry.Status) {
        return ITitleRegistry.Status(uint8(TitleSlot.unwrap(slot) >> STATUS_OFFSET));
    }

    /// @dev Whether the issuer froze the title on a court order.
    function frozen(TitleSlot slot) internal pure returns (bool) {
        return (TitleSlot.unwrap(slot) >> FLAGS_OFFSET) & FROZEN != 0;
    }

    /// @dev Whether flag `bit` ({NOMINATED}, {APPROVED}) is set.
    function has(TitleSlot slot, uint8 bit) internal pure returns (bool) {
        return (TitleSlot.unwrap(slot) >> FLAGS_OFFSET) & bit != 0;
    }

    /// @dev What the last transfer moved, while it can still be rejected ({ITitleRegistry-HOLDER} and/or
    /// {ITitleRegistry-BENEFICIARY} bits; 0: nothing to reject).
    function undo(TitleSlot slot) internal pure returns (uint8) {
        return uint8((TitleSlot.unwrap(slot) >> FLAGS_OFFSET) & UNDO_MASK) >> UNDO_SHIFT;
    }

    /// @dev The carrier organisation that issued the title.
    function issuer(TitleSlot slot) internal pure returns (uint32) {
        return uint32(TitleSlot.unwrap(slot) >> ISSUER_OFFSET);
    }

    /// @dev The organisation the title is pledged to (0: none).
    function pledgee(TitleSlot slot) internal pure returns (uint32) {
        return uint32(TitleSlot.unwrap(slot) >> PLEDGEE_OFFSET);
    }

    // #### SETTERS ####

    function setHolder(TitleSlot slot, address value) internal pure returns (TitleSlot) {
        return TitleSlot.wrap((TitleSlot.unwrap(slot) & ~MASK_160) | uint256(uint160(value)));
    }

    function setStatus(TitleSlot slot, ITitleRegistry.Status value) internal pure returns (TitleSlot) {
        return _set(slot, STATUS_OFFSET, MASK_8, uint8(value));
    }

    function setFrozen(TitleSlot slot, bool value) internal pure returns (TitleSlot) {
        return setFlag(slot, FROZEN, value);
    }

    /// @dev The word with flag `bit` set to `value`.
    function setFlag(TitleSlot slot, uint8 bit, bool value) internal pure returns (TitleSlot) {
        uint256 word = TitleSlot.unwrap(slot) & ~(uint256(bit) << FLAGS_OFFSET);
        return TitleSlot.wrap(value ? word | (uint256(bit) << FLAGS_OFFSET) : word);
    }

    function setUndo(TitleSlot slot, uint8 what) internal pure returns (TitleSlot) {
        uint256 word = TitleSlot.unwrap(slot) & ~(uint256(UNDO_MASK) << FLAGS_OFFSET);
        return TitleSlot.wrap(word | (uint256((what << UNDO_SHIFT) & UNDO_MASK) << FLAGS_OFFSET));
    }

    function setPledgee(TitleSlot slot, uint32 value) internal pure returns (TitleSlot) {
        return _set(slot, PLEDGEE_OFFSET, MASK_32, value);
    }

    function _set(TitleSlot slot, uint256 offset, uint256 mask, uint256 value) private pure returns (TitleSlot) {
        return TitleSlot.wrap((TitleSlot.unwrap(slot) & ~(mask << offset)) | ((value & mask) << offset));
    }
}

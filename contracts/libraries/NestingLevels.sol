// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProductRegistry} from "../../interfaces/IProductRegistry.sol";

/// @title NestingLevels
/// @notice What a container holds, by nesting height, packed in 88 bits of its {IProductRegistry-Unit}: eight
/// 11-bit counts, count h being the units of height h packed directly in it. A container's height is one more than
/// its tallest child's, so it falls again when that child is unpacked, and no sequence of packs and unpacks can make
/// a container look deeper than it is.
library NestingLevels {
    uint256 private constant BITS = 11;
    uint256 private constant MAX_COUNT = (1 << BITS) - 1; // 2,047
    uint8 private constant LEVELS = 8;

    /// @dev `levels` with one more child of height `level` (below 8). Reverts with
    /// {IProductRegistry-ContainerFull} when `container` holds 2,047 of that height already.
    function add(uint88 levels, uint8 level, bytes32 container) internal pure returns (uint88) {
        // Unchecked: level < 8, so the shift is below 88; a full count is refused before it could carry over.
        unchecked {
            uint256 shift = uint256(level) * BITS;
            if ((uint256(levels) >> shift) & MAX_COUNT == MAX_COUNT) {
                revert IProductRegistry.ContainerFull(container, level);
            }
            return uint88(uint256(levels) + (1 << shift));
        }
    }

    /// @dev `levels` with one child of height `level` fewer (the caller knows there is one).
    function remove(uint88 levels, uint8 level) internal pure returns (uint88) {
        // Unchecked: the caller unpacks a child it counted at this height, so the count is at least 1.
        unchecked {
            return uint88(uint256(levels) - (1 << (uint256(level) * BITS)));
        }
    }

    /// @dev The height of a container holding `levels`: 0 when empty, else one more than its tallest child.
    function height(uint88 levels) internal pure returns (uint8) {
        // Unchecked: h runs from 8 down to 1.
        unchecked {
            for (uint8 h = LEVELS; h > 0; --h) {
                if ((uint256(levels) >> (uint256(h - 1) * BITS)) & MAX_COUNT != 0) return h;
            }
        }
        return 0;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title GS1
/// @notice Check digits of GS1 keys held as integers (GTIN-14, GLN, SSCC).
library GS1 {
    /// @dev True if `key` has at most `digits` digits (at most 77) and its last digit is the GS1 mod-10 check digit
    /// of the others: weights 3,1,3,... from the right of the digits before the check digit. Leading zeros weigh
    /// nothing, so the loop stops at the key's first non-zero digit.
    function isValidKey(uint256 key, uint256 digits) internal pure returns (bool) {
        // Unchecked: 10 ** digits fits 256 bits for digits <= 77 (checked first); the sum stays below 27 per digit.
        unchecked {
            if (key == 0 || digits > 77 || key >= 10 ** digits) return false;
            uint256 check = key % 10;
            uint256 rest = key / 10;
            uint256 sum = 0;
            while (rest != 0) {
                sum += (rest % 10) * 3;
                rest /= 10;
                sum += rest % 10;
                rest /= 10;
            }
            return (10 - (sum % 10)) % 10 == check;
        }
    }
}

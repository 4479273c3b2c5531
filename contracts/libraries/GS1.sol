// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title GS1
/// @notice Check digits of GS1 keys held as integers (GTIN-14, GLN, SSCC).
library GS1 {
    /// @dev True if `key` has at most `digits` digits and its last digit is the GS1 mod-10 check digit of the
    /// others: weights 3,1,3,... from the right of the digits before the check digit.
    function isValidKey(uint256 key, uint256 digits) internal pure returns (bool) {
        if (key == 0 || key >= 10 ** digits) return false;
        uint256 check = key % 10;
        uint256 rest = key / 10;
        uint256 sum = 0;
        for (uint256 i = 0; i < digits - 1; ++i) {
            sum += (rest % 10) * (i % 2 == 0 ? 3 : 1);
            rest /= 10;
        }
        return (10 - (sum % 10)) % 10 == check;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roles
/// @notice The roles an organisation holds in the consortium, as bits of a `uint16`.
/// @dev Every contract of the suite checks roles through {IParticipantRegistry-requireRole} with one of these.
library Roles {
    uint16 internal constant BRAND = 1 << 0;
    uint16 internal constant MANUFACTURER = 1 << 1;
    uint16 internal constant CARRIER = 1 << 2;
    uint16 internal constant CUSTOMS = 1 << 3;
    uint16 internal constant INSPECTOR = 1 << 4;
    uint16 internal constant FINANCIER = 1 << 5;
    uint16 internal constant REGULATOR = 1 << 6;
    uint16 internal constant RETAILER = 1 << 7;
    /// @dev Issues certificates of origin (a chamber of commerce).
    uint16 internal constant CERTIFIER = 1 << 8;
    /// @dev The union of every defined role; any other bit is invalid.
    uint16 internal constant ALL = (1 << 9) - 1;
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {GS1} from "./libraries/GS1.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title ParticipantRegistry
/// @notice The consortium's membership, consulted by every contract of the suite for permissions.
/// @dev Trust: the holder of `DEFAULT_ADMIN_ROLE` (the consortium admin) admits, suspends and sets roles. There is
/// exactly one admin (OpenZeppelin's `AccessControlDefaultAdminRules`): it is handed over in two steps with a delay of
/// {ADMIN_TRANSFER_DELAY}, never granted to a second account, and never renounced by accident.
/// An organisation's manager accounts rotate its own keys. Legal identities are validated here too (LEI
/// mod-97, GLN mod-10), so the chain never holds a malformed one; the SDK checks them before sending.
contract ParticipantRegistry is IParticipantRegistry, AccessControlDefaultAdminRules {
    /// @notice How long a handover of the admin role waits between its start and its acceptance.
    uint48 public constant ADMIN_TRANSFER_DELAY = 3 days;

    struct AccountRecord {
        uint32 organisation;
        bool manager;
    }

    mapping(uint32 organisation => Organisation) private _organisations;
    mapping(address account => AccountRecord) private _accounts;
    mapping(bytes20 lei => uint32 organisation) private _byLei;
    mapping(uint64 gln => uint32 organisation) private _byGln;
    uint32 private _count;
    /// @dev Licensee of each GS1 company prefix, keyed by {_prefixKey}.
    mapping(uint64 prefixKey => uint32 organisation) private _prefixOwners;
    /// @dev Bit d set: some prefix of d digits is (or was) licensed; lookups try only those lengths.
    uint16 private _prefixLengths;
    /// @dev The organisation each revoked (or rotated-away) account was revoked from, until it is added again: a
    /// revoked account is otherwise indistinguishable from one never registered (see {revokedFrom}).
    mapping(address account => uint32 organisation) private _revokedFrom;

    /// @param admin The consortium admin.
    constructor(address admin) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) {}

    // ------------------------------------------------------------------ consortium admin

    /// @inheritdoc IParticipantRegistry
    function admit(
        bytes20 lei,
        uint64 gln,
        bytes2 country,
        uint16 roles,
        bytes32 profileHash,
        address manager
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint32 organisation) {
        if (lei == bytes20(0) && gln == 0) revert MissingLegalIdentity();
        if (lei != bytes20(0)) {
            if (!_validLei(lei)) revert InvalidLei(lei);
            uint32 holder = _byLei[lei];
            if (holder != 0) revert LeiAlreadyAdmitted(lei, holder);
        }
        if (gln != 0) {
            if (!GS1.isValidKey(gln, 13)) revert InvalidGln(gln);
            uint32 holder = _byGln[gln];
            if (holder != 0) revert GlnAlreadyAdmitted(gln, holder);
        }
        if (!_validCountry(country)) revert InvalidCountryCode(country);
        _checkRoles(roles);

        organisation = ++_count;
        _organisations[organisation] = Organisation({
            lei: lei,
            gln: gln,
            roles: roles,
            suspended: false,
            country: country,
            activeAccounts: 0,
            admittedAt: uint64(block.timestamp),
            profileHash: profileHash
        });
        if (lei != bytes20(0)) _byLei[lei] = organisation;
        if (gln != 0) _byGln[gln] = organisation;
        emit OrganisationAdmitted(organisation, lei, gln, country, roles, profileHash);
        _addAccount(organisation, manager, true);
    }

    /// @inheritdoc IParticipantRegistry
    function setRoles(uint32 organisation, uint16 roles) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Organisation storage org = _existing(organisation);
        _checkRoles(roles);
        uint16 previous = org.roles;
        org.roles = roles;
        emit RolesChanged(organisation, previous, roles);
    }

    /// @inheritdoc IParticipantRegistry
    function suspend(uint32 organisation, bytes32 reason) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Organisation storage org = _existing(organisation);
        if (org.suspended) revert OrganisationIsSuspended(organisation);
        org.suspended = true;
        emit OrganisationSuspended(organisation, reason);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstate(uint32 organisation) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Organisation storage org = _existing(organisation);
        if (!org.suspended) revert OrganisationNotSuspended(organisation);
        org.suspended = false;
        emit OrganisationReinstated(organisation);
    }

    /// @inheritdoc IParticipantRegistry
    function assignCompanyPrefix(
        uint64 prefix,
        uint8 digits,
        uint32 organisation
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (digits < 4 || digits > 12 || prefix >= 10 ** digits) revert InvalidCompanyPrefix(prefix, digits);
        if (organisation != 0) _existing(organisation);
        uint64 key = _prefixKey(prefix, digits);
        uint32 previous = _prefixOwners[key];
        _prefixOwners[key] = organisation;
        _prefixLengths |= uint16(1) << digits;
        emit CompanyPrefixAssigned(prefix, digits, previous, organisation);
    }

    // ------------------------------------------------------------------ admin or organisation manager

    /// @inheritdoc IParticipantRegistry
    function updateProfile(uint32 organisation, bytes32 profileHash) external {
        Organisation storage org = _existing(organisation);
        _checkManager(organisation, org);
        bytes32 previous = org.profileHash;
        org.profileHash = profileHash;
        emit ProfileUpdated(organisation, previous, profileHash);
    }

    /// @inheritdoc IParticipantRegistry
    function addAccount(uint32 organisation, address account, bool manager) external {
        _checkManager(organisation, _existing(organisation));
        _addAccount(organisation, account, manager);
    }

    /// @inheritdoc IParticipantRegistry
    function revokeAccount(address account) external {
        uint32 organisation = _accounts[account].organisation;
        if (organisation == 0) revert UnregisteredAccount(account);
        _checkManager(organisation, _organisations[organisation]);
        _revokeAccount(organisation, account);
    }

    /// @inheritdoc IParticipantRegistry
    function rotateAccount(address oldAccount, address newAccount) external {
        AccountRecord memory record = _accounts[oldAccount];
        if (record.organisation == 0) revert UnregisteredAccount(oldAccount);
        _checkManager(record.organisation, _organisations[record.organisation]);
        _revokeAccount(record.organisation, oldAccount);
        _addAccount(record.organisation, newAccount, record.manager);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IParticipantRegistry
    function getOrganisation(uint32 organisation) external view returns (Organisation memory) {
        return _existing(organisation);
    }

    /// @inheritdoc IParticipantRegistry
    function organisationOf(address account) external view returns (uint32 organisation, bool manager) {
        AccountRecord memory record = _accounts[account];
        return (record.organisation, record.manager);
    }

    /// @inheritdoc IParticipantRegistry
    function revokedFrom(address account) external view returns (uint32) {
        return _revokedFrom[account];
    }

    /// @inheritdoc IParticipantRegistry
    function organisationByLei(bytes20 lei) external view returns (uint32) {
        return _byLei[lei];
    }

    /// @inheritdoc IParticipantRegistry
    function organisationByGln(uint64 gln) external view returns (uint32) {
        return _byGln[gln];
    }

    /// @inheritdoc IParticipantRegistry
    function organisationCount() external view returns (uint32) {
        return _count;
    }

    /// @inheritdoc IParticipantRegistry
    function companyPrefixOwner(
        uint256 key,
        uint8 keyDigits
    ) external view returns (uint32 organisation, uint8 digits) {
        uint16 lengths = _prefixLengths;
        // Bounded: at most the 9 lengths from 12 down to 4. Unchecked: d + 1 < keyDigits is checked before the
        // powers of ten are taken (keyDigits is 14 or 18 here; 10 ** 77 is the largest that fits).
        unchecked {
            if (keyDigits > 77) return (0, 0);
            for (uint8 d = 12; d >= 4; --d) {
                if (lengths & (uint16(1) << d) == 0 || d + 1 >= keyDigits) continue;
                uint256 prefix = (key / 10 ** (keyDigits - 1 - d)) % 10 ** d;
                organisation = _prefixOwners[_prefixKey(uint64(prefix), d)];
                if (organisation != 0) return (organisation, d);
            }
        }
        return (0, 0);
    }

    /// @inheritdoc IParticipantRegistry
    function isAdmin(address account) external view returns (bool) {
        return hasRole(DEFAULT_ADMIN_ROLE, account);
    }

    /// @inheritdoc IParticipantRegistry
    function isAuthorized(address account, uint16 role) external view returns (bool) {
        uint32 organisation = _accounts[account].organisation;
        if (organisation == 0) return false;
        Organisation storage org = _organisations[organisation];
        return !org.suspended && role != 0 && org.roles & role == role;
    }

    /// @inheritdoc IParticipantRegistry
    function requireRole(address account, uint16 role) external view returns (uint32 organisation) {
        organisation = _active(account);
        uint16 held = _organisations[organisation].roles;
        if (role == 0 || held & role != role) revert MissingRole(account, organisation, role);
    }

    /// @inheritdoc IParticipantRegistry
    function requireAnyRole(address account, uint16 roles) external view returns (uint32 organisation) {
        organisation = _active(account);
        if (_organisations[organisation].roles & roles == 0) revert MissingRole(account, organisation, roles);
    }

    /// @inheritdoc IParticipantRegistry
    function activeRoles(address account) external view returns (uint32 organisation, uint16 roles) {
        organisation = _active(account);
        roles = _organisations[organisation].roles;
    }

    /// @dev The organisation of `account`, reverting if it has none or it is suspended (one slot of each read).
    function _active(address account) private view returns (uint32 organisation) {
        organisation = _accounts[account].organisation;
        if (organisation == 0) revert UnregisteredAccount(account);
        if (_organisations[organisation].suspended) revert OrganisationIsSuspended(organisation);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Adds `account` to `organisation`.
    /// Requirements: `account` is not zero and signs for no organisation. Emits an {AccountAdded} event.
    function _addAccount(uint32 organisation, address account, bool manager) private {
        if (account == address(0)) revert InvalidAccount(account);
        uint32 current = _accounts[account].organisation;
        if (current != 0) revert AccountAlreadyRegistered(account, current);
        _accounts[account] = AccountRecord({organisation: organisation, manager: manager});
        if (_revokedFrom[account] != 0) delete _revokedFrom[account];
        // Bounded by the number of addresses; cannot overflow in practice (2^32 accounts).
        unchecked {
            ++_organisations[organisation].activeAccounts;
        }
        emit AccountAdded(organisation, account, manager);
    }

    /// @dev Removes `account` from `organisation` (the caller checked it belongs there).
    /// Emits an {AccountRevoked} event.
    function _revokeAccount(uint32 organisation, address account) private {
        delete _accounts[account];
        _revokedFrom[account] = organisation;
        // The account was counted when added, so the count is at least 1.
        unchecked {
            --_organisations[organisation].activeAccounts;
        }
        emit AccountRevoked(organisation, account);
    }

    function _existing(uint32 organisation) private view returns (Organisation storage org) {
        org = _organisations[organisation];
        if (org.admittedAt == 0) revert NonexistentOrganisation(organisation);
    }

    /// @dev The consortium admin may always manage; a manager account only while its organisation is active.
    function _checkManager(uint32 organisation, Organisation storage org) private view {
        if (hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) return;
        AccountRecord memory caller = _accounts[msg.sender];
        if (caller.organisation != organisation || !caller.manager) {
            revert UnauthorizedManager(msg.sender, organisation);
        }
        if (org.suspended) revert OrganisationIsSuspended(organisation);
    }

    /// @dev A prefix and its length as one key: "0614141" (7 digits) and "614141" (6) are different prefixes.
    function _prefixKey(uint64 prefix, uint8 digits) private pure returns (uint64) {
        return (uint64(digits) << 56) | prefix;
    }

    function _checkRoles(uint16 roles) private pure {
        if (roles == 0 || roles & ~Roles.ALL != 0) revert InvalidRoles(roles);
    }

    /// @dev ISO 17442: characters 0-9 and A-Z, the last two digits; read as a number with A=10 ... Z=35,
    /// the whole LEI is 1 modulo 97 (ISO 7064 MOD 97-10).
    function _validLei(bytes20 lei) private pure returns (bool) {
        uint256 remainder = 0;
        for (uint256 i = 0; i < 20; ++i) {
            uint8 c = uint8(lei[i]);
            if (c >= 0x30 && c <= 0x39) {
                remainder = (remainder * 10 + (c - 0x30)) % 97;
            } else if (c >= 0x41 && c <= 0x5A && i < 18) {
                remainder = (remainder * 100 + (c - 0x41 + 10)) % 97;
            } else {
                return false;
            }
        }
        return remainder == 1;
    }

    function _validCountry(bytes2 country) private pure returns (bool) {
        uint8 a = uint8(country[0]);
        uint8 b = uint8(country[1]);
        return a >= 0x41 && a <= 0x5A && b >= 0x41 && b <= 0x5A;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IParticipantRegistry
/// @notice The consortium's membership: organisations, their legal identity, roles and signing accounts.
/// Every other contract of the suite asks this registry who may do what.
/// @dev Only public identifiers reach the chain: an LEI (ISO 17442), a GS1 GLN, an ISO 3166-1 alpha-2 country
/// and the hash of an off-chain profile document. No personal data.
interface IParticipantRegistry {
    /// @notice The on-chain record of an organisation (three storage slots). `roles` and `suspended` share the
    /// first slot with the identity, so a role check reads one slot of the organisation.
    struct Organisation {
        bytes20 lei; // ISO 17442 LEI as 20 ASCII characters; zero when the organisation has only a GLN
        uint64 gln; // GS1 Global Location Number (13 digits); zero when it has only an LEI
        uint16 roles; // bits of {Roles}
        bool suspended;
        bytes2 country; // ISO 3166-1 alpha-2, ASCII upper case
        uint32 activeAccounts;
        uint64 admittedAt;
        bytes32 profileHash; // hash of the off-chain profile (legal name, address, contacts)
    }

    /// @dev `lei` is not a valid LEI: 18 characters 0-9/A-Z and 2 check digits with mod-97 remainder 1.
    /// @param lei The rejected LEI.
    error InvalidLei(bytes20 lei);
    /// @dev `gln` is not a valid GLN: 13 digits with a GS1 mod-10 check digit.
    /// @param gln The rejected GLN.
    error InvalidGln(uint64 gln);
    /// @dev `country` is not an ISO 3166-1 alpha-2 code of two upper-case letters.
    /// @param country The rejected code.
    error InvalidCountryCode(bytes2 country);
    /// @dev Roles `roles` are empty or contain undefined bits.
    /// @param roles The rejected bitmask.
    error InvalidRoles(uint16 roles);
    /// @dev An organisation needs an LEI, a GLN or both.
    error MissingLegalIdentity();
    /// @dev `account` cannot be a signing account (the zero address).
    /// @param account The rejected account.
    error InvalidAccount(address account);
    /// @dev The LEI `lei` is already held by organisation `organisation`.
    /// @param lei The duplicate LEI.
    /// @param organisation The organisation that holds it.
    error LeiAlreadyAdmitted(bytes20 lei, uint32 organisation);
    /// @dev The GLN `gln` is already held by organisation `organisation`.
    /// @param gln The duplicate GLN.
    /// @param organisation The organisation that holds it.
    error GlnAlreadyAdmitted(uint64 gln, uint32 organisation);
    /// @dev No organisation has id `organisation`.
    /// @param organisation The unknown id.
    error NonexistentOrganisation(uint32 organisation);
    /// @dev Account `account` already signs for organisation `organisation`.
    /// @param account The account.
    /// @param organisation Its organisation.
    error AccountAlreadyRegistered(address account, uint32 organisation);
    /// @dev Account `account` signs for no organisation.
    /// @param account The unknown account.
    error UnregisteredAccount(address account);
    /// @dev `caller` is neither the consortium admin nor a manager of organisation `organisation`.
    /// @param caller The caller.
    /// @param organisation The organisation it tried to manage.
    error UnauthorizedManager(address caller, uint32 organisation);
    /// @dev Organisation `organisation` is suspended: its accounts hold no role until it is reinstated.
    /// @param organisation The suspended organisation.
    error OrganisationIsSuspended(uint32 organisation);
    /// @dev Organisation `organisation` is not suspended.
    /// @param organisation The organisation.
    error OrganisationNotSuspended(uint32 organisation);
    /// @dev Account `account` of organisation `organisation` lacks role `role`.
    /// @param account The account.
    /// @param organisation Its organisation.
    /// @param role The missing role (bits of {Roles}).
    error MissingRole(address account, uint32 organisation, uint16 role);
    /// @dev `prefix` is not a GS1 company prefix of `digits` digits (4 to 12 digits, the number below 10^digits).
    /// @param prefix The rejected prefix.
    /// @param digits Its declared length.
    error InvalidCompanyPrefix(uint64 prefix, uint8 digits);

    /// @notice Organisation `organisation` was admitted.
    event OrganisationAdmitted(
        uint32 indexed organisation,
        bytes20 indexed lei,
        uint64 indexed gln,
        bytes2 country,
        uint16 roles,
        bytes32 profileHash
    );
    /// @notice The roles of `organisation` changed from `previousRoles` to `newRoles`.
    event RolesChanged(uint32 indexed organisation, uint16 previousRoles, uint16 newRoles);
    /// @notice The profile hash of `organisation` changed.
    event ProfileUpdated(uint32 indexed organisation, bytes32 previousProfileHash, bytes32 newProfileHash);
    /// @notice `account` now signs for `organisation`; a manager may add and revoke the organisation's accounts.
    event AccountAdded(uint32 indexed organisation, address indexed account, bool manager);
    /// @notice `account` no longer signs for `organisation`.
    event AccountRevoked(uint32 indexed organisation, address indexed account);
    /// @notice `organisation` was suspended for `reason` (a reason code or the hash of an off-chain decision).
    event OrganisationSuspended(uint32 indexed organisation, bytes32 reason);
    /// @notice `organisation` was reinstated.
    event OrganisationReinstated(uint32 indexed organisation);
    /// @notice The GS1 company prefix `prefix` of `digits` digits is licensed to `organisation` (0: to nobody),
    /// before to `previous` (0: to nobody).
    event CompanyPrefixAssigned(
        uint64 indexed prefix,
        uint8 digits,
        uint32 indexed previous,
        uint32 indexed organisation
    );

    /// @notice Admits an organisation with its legal identity, country, roles and first (manager) account.
    /// @dev Only the consortium admin. Emits {OrganisationAdmitted} and {AccountAdded}.
    /// @param lei ISO 17442 LEI (20 ASCII characters) or zero.
    /// @param gln GS1 GLN (13 digits) or zero; at least one of `lei` and `gln` is required.
    /// @param country ISO 3166-1 alpha-2 code, upper case.
    /// @param roles Bits of {Roles}; at least one.
    /// @param profileHash Hash of the off-chain profile document.
    /// @param manager The organisation's first signing account, able to manage its accounts.
    /// @return organisation The new organisation's id (from 1).
    function admit(
        bytes20 lei,
        uint64 gln,
        bytes2 country,
        uint16 roles,
        bytes32 profileHash,
        address manager
    ) external returns (uint32 organisation);

    /// @notice Replaces the roles of an organisation. Only the consortium admin. Emits {RolesChanged}.
    /// @param organisation The organisation.
    /// @param roles The new roles (bits of {Roles}); at least one.
    function setRoles(uint32 organisation, uint16 roles) external;

    /// @notice Replaces the profile hash. The consortium admin or a manager of the organisation.
    /// Emits {ProfileUpdated}.
    /// @param organisation The organisation.
    /// @param profileHash The new hash.
    function updateProfile(uint32 organisation, bytes32 profileHash) external;

    /// @notice Adds a signing account. The consortium admin or a manager of the (active) organisation.
    /// Emits {AccountAdded}.
    /// @param organisation The organisation.
    /// @param account The account; it may not sign for another organisation.
    /// @param manager Whether it may add and revoke the organisation's accounts.
    function addAccount(uint32 organisation, address account, bool manager) external;

    /// @notice Revokes a signing account at once. The consortium admin or a manager of its organisation.
    /// Emits {AccountRevoked}.
    /// @param account The account.
    function revokeAccount(address account) external;

    /// @notice Replaces a signing account by a new one with the same manager flag, in one step (key rotation).
    /// Emits {AccountRevoked} and {AccountAdded}.
    /// @param oldAccount The account to revoke.
    /// @param newAccount The account to add.
    function rotateAccount(address oldAccount, address newAccount) external;

    /// @notice Suspends an organisation: at once, none of its accounts holds any role. Only the consortium admin.
    /// Emits {OrganisationSuspended}.
    /// @param organisation The organisation.
    /// @param reason A reason code or the hash of the off-chain decision.
    function suspend(uint32 organisation, bytes32 reason) external;

    /// @notice Lifts a suspension. Only the consortium admin. Emits {OrganisationReinstated}.
    /// @param organisation The organisation.
    function reinstate(uint32 organisation) external;

    /// @notice The record of an organisation; reverts with {NonexistentOrganisation} for an unknown id.
    /// @param organisation The organisation id.
    /// @return The record.
    function getOrganisation(uint32 organisation) external view returns (Organisation memory);

    /// @notice The organisation an account signs for (0 if none) and whether it is a manager.
    /// @param account The account.
    /// @return organisation The organisation id, 0 for none.
    /// @return manager Whether the account manages the organisation's accounts.
    function organisationOf(address account) external view returns (uint32 organisation, bool manager);

    /// @notice The organisation holding an LEI, 0 if none.
    /// @param lei The LEI.
    /// @return The organisation id.
    function organisationByLei(bytes20 lei) external view returns (uint32);

    /// @notice The organisation holding a GLN, 0 if none.
    /// @param gln The GLN.
    /// @return The organisation id.
    function organisationByGln(uint64 gln) external view returns (uint32);

    /// @notice How many organisations were ever admitted (ids run from 1 to this number).
    /// @return The count.
    function organisationCount() external view returns (uint32);

    /// @notice Whether `account` signs for an active organisation holding every bit of `role`.
    /// @param account The account.
    /// @param role Bits of {Roles}.
    /// @return True if authorised.
    function isAuthorized(address account, uint16 role) external view returns (bool);

    /// @notice The organisation of `account` if it may act in `role`; reverts with the reason otherwise
    /// ({UnregisteredAccount}, {OrganisationIsSuspended} or {MissingRole}).
    /// @param account The account.
    /// @param role Bits of {Roles}.
    /// @return organisation The account's organisation.
    function requireRole(address account, uint16 role) external view returns (uint32 organisation);

    /// @notice The organisation of `account` if it may act in at least one of `roles`; reverts with the reason
    /// otherwise ({UnregisteredAccount}, {OrganisationIsSuspended} or {MissingRole}).
    /// @param account The account.
    /// @param roles Bits of {Roles}, any of which suffices (`Roles.ALL`: any active member).
    /// @return organisation The account's organisation.
    function requireAnyRole(address account, uint16 roles) external view returns (uint32 organisation);

    /// @notice The organisation of `account` and its roles, if it is an active member; reverts otherwise
    /// ({UnregisteredAccount} or {OrganisationIsSuspended}).
    /// @param account The account.
    /// @return organisation The account's organisation.
    /// @return roles Its roles (bits of {Roles}).
    function activeRoles(address account) external view returns (uint32 organisation, uint16 roles);

    /// @notice Licenses the GS1 company prefix `prefix` of `digits` digits to `organisation`, or withdraws it
    /// (`organisation` 0); assigning it again reassigns it. Every GTIN and SSCC carrying the prefix belongs to its
    /// licensee (see {companyPrefixOwner}).
    /// @dev Only the consortium admin. Emits {CompanyPrefixAssigned}.
    /// @param prefix The prefix as a number (its leading zeros are told by `digits`).
    /// @param digits Its length, 4 to 12.
    /// @param organisation The licensee (an admitted organisation), or 0.
    function assignCompanyPrefix(uint64 prefix, uint8 digits, uint32 organisation) external;

    /// @notice The licensee of the company prefix that GS1 key `key` of `keyDigits` digits carries after its first
    /// digit (the indicator of a GTIN-14, the extension digit of an SSCC), the longest licensed prefix first.
    /// @param key The key as a number (a GTIN-14: 14 digits; an SSCC: 18).
    /// @param keyDigits The key's length (14 or 18).
    /// @return organisation The licensee, 0 if no licensed prefix matches.
    /// @return digits The length of the matching prefix, 0 if none.
    function companyPrefixOwner(uint256 key, uint8 keyDigits) external view returns (uint32 organisation, uint8 digits);

    /// @notice The organisation `account` was revoked (or rotated away) from, if it was and has not been added again
    /// since; 0 otherwise. Tells a revoked key (or a revoked multisig) from an account never registered.
    /// @param account The account.
    /// @return The organisation, or 0.
    function revokedFrom(address account) external view returns (uint32);

    /// @notice Whether `account` is the consortium admin (it may admit, suspend, license prefixes and revoke any
    /// issuer's documents).
    /// @param account The account.
    /// @return True for the admin.
    function isAdmin(address account) external view returns (bool);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IInvoiceRegistry
/// @notice No invoice financed twice across the network: financiers register the keyed fingerprint of each invoice
/// they finance (with their share, for syndications up to 100%), and its near-duplicate fingerprints.
/// @dev Fingerprints are HMAC-SHA256 under a network key (see tradechain/invoices.py): they reveal nothing of an
/// invoice to anyone outside the network. Secondary fingerprints are emitted, not stored (looked up in the logs).
interface IInvoiceRegistry {
    enum Status {
        None,
        Financed,
        Settled
    }

    /// @notice The record of an invoice (one slot); further syndication shares are kept per organisation.
    struct Invoice {
        uint32 firstOrg; // the organisation that financed it first
        uint16 firstBps; // its share
        uint16 totalBps; // the sum of every share, at most 10,000
        Status status;
        uint40 since; // when it was first financed
    }

    /// @notice One registration of a batch.
    struct Registration {
        bytes32 fingerprint;
        uint16 shareBps;
        bytes32[] secondary;
    }

    /// @dev Invoice `fingerprint` is financed already (first by `organisation` since `since`): this share would
    /// take it over 100%.
    error InvoiceAlreadyFinanced(bytes32 fingerprint, uint32 organisation, uint40 since);
    /// @dev Invoice `fingerprint` was settled (repaid): it can never be financed again.
    error InvoiceAlreadySettled(bytes32 fingerprint);
    /// @dev A share of `shareBps` basis points: from 1 to 10,000.
    error InvalidShare(uint16 shareBps);
    /// @dev Organisation `organisation` finances invoice `fingerprint` already.
    error AlreadyParticipating(bytes32 fingerprint, uint32 organisation);
    /// @dev Organisation `organisation` does not finance invoice `fingerprint`.
    error NotParticipating(bytes32 fingerprint, uint32 organisation);
    /// @dev A batch of `length` registrations: from 1 to `maximum`.
    error InvalidBatch(uint256 length, uint256 maximum);

    /// @notice `organisation` finances `shareBps` of invoice `fingerprint`; `totalBps` are financed now.
    event InvoiceFinanced(bytes32 indexed fingerprint, uint32 indexed organisation, uint16 shareBps, uint16 totalBps);
    /// @notice `secondary` is a near-duplicate fingerprint of invoice `fingerprint`.
    event SecondaryFingerprint(bytes32 indexed secondary, bytes32 indexed fingerprint);
    /// @notice In a batch, the registration of `fingerprint` by `organisation` was refused (it is financed over
    /// 100% or settled; see `status` and `totalBps`).
    event RegistrationRefused(bytes32 indexed fingerprint, uint32 indexed organisation, Status status, uint16 totalBps);
    /// @notice `organisation` withdrew its share `shareBps` (the deal fell through).
    event FinancingCancelled(bytes32 indexed fingerprint, uint32 indexed organisation, uint16 shareBps);
    /// @notice `organisation` marked invoice `fingerprint` settled (repaid).
    event InvoiceSettled(bytes32 indexed fingerprint, uint32 indexed organisation);

    /// @notice Registers the caller's financing of an invoice (a financier). Emits {InvoiceFinanced} and a
    /// {SecondaryFingerprint} per secondary.
    function register(bytes32 fingerprint, uint16 shareBps, bytes32[] calldata secondary) external;

    /// @notice Registers many: each item either succeeds or is refused with {RegistrationRefused}; the batch does
    /// not revert for one duplicate (per-item results). At most 500 per transaction.
    /// @return financed Which items were registered.
    function registerBatch(Registration[] calldata items) external returns (bool[] memory financed);

    /// @notice Withdraws the caller's share (the deal fell through). Emits {FinancingCancelled}.
    function cancel(bytes32 fingerprint) external;

    /// @notice Marks the invoice settled (repaid): never financeable again. A participant. Emits {InvoiceSettled}.
    function settle(bytes32 fingerprint) external;

    /// @notice The record of an invoice (status None if never financed).
    function check(bytes32 fingerprint) external view returns (Invoice memory);

    /// @notice The share of organisation `organisation` in invoice `fingerprint`.
    function shareOf(bytes32 fingerprint, uint32 organisation) external view returns (uint16);
}

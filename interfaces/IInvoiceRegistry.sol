// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IInvoiceRegistry
/// @notice No invoice financed twice across the network: financiers register the keyed fingerprint of each invoice
/// they finance (with their share, for syndications up to 100%), and its near-duplicate fingerprints. A buyer may
/// acknowledge an invoice with an EIP-712 signature, which the registry checks and records per signer.
/// Syndicate rule: every financier answers for its own share only. It settles (was repaid) or cancels its own share,
/// never another's; the invoice is settled when every share is, and once any share is settled the invoice takes no
/// new financing. A financier sees its registration refused (not cut short) when the shares taken leave less than
/// it asked for, before it pays anything out.
/// @dev Fingerprints are HMAC-SHA256 under a network key (see tradechain/invoices.py): they reveal nothing of an
/// invoice to anyone outside the network. Secondary fingerprints are emitted, not stored: all four are topics of one
/// anonymous log, so a node's log filter finds them by position.
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
        Status status; // Settled once every share is settled
        uint40 since; // when it was first financed
        uint16 settledBps; // the shares settled so far
    }

    /// @notice One registration of a batch (a static struct: no offsets in the calldata).
    struct Registration {
        bytes32 fingerprint;
        uint16 shareBps;
        bytes32[4] secondary; // without number, date, buyer, amount; zero where none
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
    /// @dev Organisation `organisation` settled its share of invoice `fingerprint` already.
    error ShareAlreadySettled(bytes32 fingerprint, uint32 organisation);
    /// @dev A batch of `length` registrations: from 1 to `maximum`.
    error InvalidBatch(uint256 length, uint256 maximum);
    /// @dev The signature is not `buyer`'s acknowledgment of invoice `fingerprint` (forged, for another invoice,
    /// chain, contract or nonce).
    error InvalidBuyerSignature(bytes32 fingerprint, address buyer);
    /// @dev The buyer's acknowledgment of invoice `fingerprint` expired at `deadline`.
    error AcknowledgmentExpired(bytes32 fingerprint, uint256 deadline);
    /// @dev `buyer` acknowledged invoice `fingerprint` already.
    error InvoiceAlreadyAcknowledged(bytes32 fingerprint, address buyer);

    /// @notice `organisation` finances `shareBps` of invoice `fingerprint`; `totalBps` are financed now.
    event InvoiceFinanced(bytes32 indexed fingerprint, uint32 indexed organisation, uint16 shareBps, uint16 totalBps);
    /// @notice Near-duplicate fingerprints of invoice `fingerprint`, each leaving one field out (anonymous: the four
    /// are the log's four topics; zero where none).
    event SecondaryFingerprints(
        bytes32 indexed withoutNumber,
        bytes32 indexed withoutDate,
        bytes32 indexed withoutBuyer,
        bytes32 indexed withoutAmount,
        bytes32 fingerprint
    ) anonymous;
    /// @notice In a batch, the registration of `fingerprint` by `organisation` was refused (it is financed over
    /// 100%, by this organisation already, or settled; see `status` and `totalBps`).
    event RegistrationRefused(bytes32 indexed fingerprint, uint32 indexed organisation, Status status, uint16 totalBps);
    /// @notice `organisation` withdrew its share `shareBps` (the deal fell through).
    event FinancingCancelled(bytes32 indexed fingerprint, uint32 indexed organisation, uint16 shareBps);
    /// @notice `organisation` marked its share `shareBps` of invoice `fingerprint` settled (repaid); `settledBps` of
    /// the invoice are settled now.
    event InvoiceSettled(bytes32 indexed fingerprint, uint32 indexed organisation, uint16 shareBps, uint16 settledBps);
    /// @notice `buyer` acknowledged invoice `fingerprint` with its signature of nonce `nonce`.
    event InvoiceAcknowledged(bytes32 indexed fingerprint, address indexed buyer, uint256 nonce);

    /// @notice Registers the caller's financing of an invoice (a financier). Emits {InvoiceFinanced} and, unless
    /// all four are zero, {SecondaryFingerprints}.
    /// @dev A duplicate is refused before the membership is read (cheapest refusal; it tells nothing that
    /// `check` does not).
    function register(bytes32 fingerprint, uint16 shareBps, bytes32[4] calldata secondary) external;

    /// @notice Registers many: each item either succeeds or is refused with {RegistrationRefused}; the batch does
    /// not revert for one duplicate (per-item results). At most 500 per transaction.
    /// @return financed Which items were registered.
    function registerBatch(Registration[] calldata items) external returns (bool[] memory financed);

    /// @notice Withdraws the caller's own unsettled share (the deal fell through). Emits {FinancingCancelled}.
    function cancel(bytes32 fingerprint) external;

    /// @notice Marks the caller's own share settled (repaid). The invoice is settled when every share is, and takes no
    /// new financing once any share is. A participant. Emits {InvoiceSettled}.
    function settle(bytes32 fingerprint) external;

    /// @notice Records `buyer`'s EIP-712 acknowledgment of invoice `fingerprint` (typed data
    /// `Acknowledgment(bytes32 fingerprint,uint256 nonce,uint256 deadline)` under this contract's domain), relayed by
    /// anyone. ERC-1271 wallets may sign. Uses up `nonce`. Acknowledgments are kept per signer: one by a key that
    /// is not the buyer's proves nothing and blocks nobody; the financier checks the buyer it knows with
    /// {acknowledgedAt}. Emits {InvoiceAcknowledged}.
    function acknowledge(
        bytes32 fingerprint,
        address buyer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice The record of an invoice (status None if never financed).
    function check(bytes32 fingerprint) external view returns (Invoice memory);

    /// @notice The share of organisation `organisation` in invoice `fingerprint`.
    function shareOf(bytes32 fingerprint, uint32 organisation) external view returns (uint16);

    /// @notice The share of organisation `organisation` in each invoice of `fingerprints` (a resumed portfolio
    /// import reads which of its invoices it registered already).
    function sharesOf(bytes32[] calldata fingerprints, uint32 organisation) external view returns (uint16[] memory);

    /// @notice When `buyer` acknowledged invoice `fingerprint` (0 if it did not).
    function acknowledgedAt(bytes32 fingerprint, address buyer) external view returns (uint40);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ILuxuryCertificate
/// @notice Authenticity certificates of luxury goods, one ERC-721 contract for many brands. A certificate's id is
/// derived from (brand organisation, product serial), so an item can never get two. Owners resell by transfer
/// or by a claim secret handed over with the item; a stolen or lost certificate is frozen until its brand
/// recovers it.
/// @dev Metadata (model, reference, materials, origin, date, image hashes) stays off chain; the certificate's
/// metadata hash (keccak-256 of the canonical JSON, which verification recomputes) is emitted, not stored: nothing
/// on chain reads it. The brand is the top 32 bits of the id, so issuing stores nothing beyond ERC-721's owner and
/// balance; a certificate's own record is written only when a claim or a report needs it.
interface ILuxuryCertificate {
    /// @notice The state of a certificate.
    enum Status {
        Valid,
        Stolen,
        Lost
    }

    /// @notice The on-chain record of a certificate (one slot, written when a claim or a report needs it).
    struct Certificate {
        Status status;
        uint40 reportedAt; // when the current report was made, 0 when valid
        uint32 claimNonce; // claims opened so far (binds claim signatures to one claim)
        address claimKey; // address of the open claim's one-time key, 0 when none
    }

    /// @dev Organisation `caller` may not act for brand `brand`.
    error UnauthorizedBrand(uint32 brand, uint32 caller);
    /// @dev The serial is empty.
    error EmptySerial();
    /// @dev Certificate `tokenId` was issued already (serial `serial` of brand `brand`).
    error CertificateAlreadyIssued(uint256 tokenId, uint32 brand, bytes32 serial);
    /// @dev Certificate `tokenId` is frozen: reported `status` at `reportedAt`; only its brand can clear it.
    error CertificateFrozen(uint256 tokenId, Status status, uint40 reportedAt);
    /// @dev Certificate `tokenId` is not reported stolen or lost.
    error CertificateNotReported(uint256 tokenId);
    /// @dev `caller` is neither the owner of certificate `tokenId` nor an account of its brand.
    error UnauthorizedReporter(uint256 tokenId, address caller);
    /// @dev Certificate `tokenId` has no open claim.
    error NoOpenClaim(uint256 tokenId);
    /// @dev The claim signature does not come from the claim key of certificate `tokenId`.
    error InvalidClaimSignature(uint256 tokenId);
    /// @dev The claim key is the zero address.
    error InvalidClaimKey();
    /// @dev Lists of different lengths, or longer than `maximum`.
    error InvalidIssueBatch(uint256 length, uint256 maximum);

    /// @notice Certificate `tokenId` was issued by `brand` for `serial`, with metadata hash `metadataHash`.
    event CertificateIssued(uint256 indexed tokenId, uint32 indexed brand, bytes32 serial, bytes32 metadataHash);
    /// @notice The metadata hash of `tokenId` is now `newHash` (an ERC-4906 MetadataUpdate is emitted too).
    event MetadataHashChanged(uint256 indexed tokenId, bytes32 newHash);
    /// @notice The base URI of `brand`'s certificates changed.
    event BaseURIChanged(uint32 indexed brand, string baseURI);
    /// @notice The owner of `tokenId` opened a claim: whoever signs with the key `claimKey` may take it.
    event ClaimOpened(uint256 indexed tokenId, address indexed owner, address claimKey, uint32 claimNonce);
    /// @notice The open claim of `tokenId` was cancelled, or ended by a transfer.
    event ClaimClosed(uint256 indexed tokenId, uint32 claimNonce);
    /// @notice `claimant` claimed `tokenId` from `previousOwner` with the claim secret.
    event CertificateClaimed(uint256 indexed tokenId, address indexed previousOwner, address indexed claimant);
    /// @notice `reporter` reported `tokenId` stolen or lost (`reportHash`: the police report or declaration).
    event CertificateReported(uint256 indexed tokenId, Status status, address indexed reporter, bytes32 reportHash);
    /// @notice The brand cleared the report on `tokenId` (recovered): it moves again.
    event ReportCleared(uint256 indexed tokenId, Status previousStatus, address indexed by);
    /// @notice The brand serviced or repaired `tokenId` (`kind`: a service code; `recordHash`: the record).
    event ServiceRecorded(uint256 indexed tokenId, uint32 indexed brand, bytes32 kind, bytes32 recordHash);

    /// @notice Issues one certificate of `brand` for `serial` to `to`. An account of `brand` only.
    /// Emits {CertificateIssued} and {IERC721-Transfer}.
    /// @param brand The brand organisation (the caller's).
    /// @param to The first owner.
    /// @param serial The product serial, ASCII right-padded (at most 32 characters).
    /// @param metadataHash keccak-256 of the canonical metadata JSON.
    /// @return tokenId See {certificateId}.
    function issue(uint32 brand, address to, bytes32 serial, bytes32 metadataHash) external returns (uint256 tokenId);

    /// @notice Issues many certificates of `brand` to `to` in one transaction (at most 2,000).
    /// @param brand The brand organisation (the caller's).
    /// @param to The first owner of all of them.
    /// @param serials The serials.
    /// @param metadataHashes Their metadata hashes, in the same order.
    function issueBatch(
        uint32 brand,
        address to,
        bytes32[] calldata serials,
        bytes32[] calldata metadataHashes
    ) external;

    /// @notice Replaces the metadata hash (after a documented change). An account of the brand only.
    /// Emits {MetadataHashChanged} and {IERC4906-MetadataUpdate}.
    function updateMetadata(uint256 tokenId, bytes32 metadataHash) external;

    /// @notice Sets the base URI of a brand's certificates (`tokenURI` is base URI + id in hex).
    /// Emits {BaseURIChanged} and {IERC4906-BatchMetadataUpdate}.
    function setBaseURI(uint32 brand, string calldata baseURI) external;

    /// @notice Opens a claim: the owner hands the one-time key (printed in the box, on an NFC tag) to the buyer.
    /// Emits {ClaimOpened}.
    /// @param tokenId The certificate.
    /// @param claimKey The address of the one-time claim key.
    function openClaim(uint256 tokenId, address claimKey) external;

    /// @notice Cancels the open claim. The owner only. Emits {ClaimClosed}.
    function cancelClaim(uint256 tokenId) external;

    /// @notice Takes the certificate with the claim secret: `signature` by the claim key over
    /// {claimDigest}(tokenId, msg.sender), so a copied signature serves nobody else. Emits {CertificateClaimed}.
    function claim(uint256 tokenId, bytes calldata signature) external;

    /// @notice Reports a certificate stolen (`stolen` true) or lost. Its owner or an account of its brand. An open
    /// claim is closed (its secret may be in the thief's hands): after the brand clears the report, the owner opens a
    /// new one. Emits {ClaimClosed} if a claim was open, and {CertificateReported}.
    function report(uint256 tokenId, bool stolen, bytes32 reportHash) external;

    /// @notice Clears a report (the item was recovered). An account of the brand only. Emits {ReportCleared}.
    function clearReport(uint256 tokenId) external;

    /// @notice Records a service or repair. An account of the brand only. Emits {ServiceRecorded}.
    function recordService(uint256 tokenId, bytes32 kind, bytes32 recordHash) external;

    /// @notice The record of a certificate; reverts for an unknown id.
    function getCertificate(uint256 tokenId) external view returns (Certificate memory);

    /// @notice The brand of a certificate id: its top 32 bits.
    function brandOf(uint256 tokenId) external pure returns (uint32);

    /// @notice The id of `brand`'s certificate for `serial` (issued or not): the brand in the top 32 bits, the top
    /// 224 bits of `keccak256(abi.encode(serial))` below.
    function certificateId(uint32 brand, bytes32 serial) external pure returns (uint256);

    /// @notice Which of `tokenIds` exist (for resumable batch issuance).
    function existing(uint256[] calldata tokenIds) external view returns (bool[] memory);

    /// @notice The digest a claim key signs to let `claimant` take `tokenId` under the open claim.
    function claimDigest(uint256 tokenId, address claimant) external view returns (bytes32);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDocumentRegistry
/// @notice Trade documents (bills of lading, certificates of origin, inspection certificates, customs clearances,
/// delivery attestations) anchored by their issuers as the Merkle root of a batch: one document or ten thousand,
/// one transaction of the same cost. Only hashes reach the chain.
/// @dev Leaf of a document: `keccak256(bytes.concat(keccak256(abi.encode(bytes32 documentHash, uint8 docType,
/// bytes32 tradeId))))`, pairs hashed sorted (OpenZeppelin's MerkleProof). The issuer's organisation and roles are
/// recorded at anchoring, so a document stays attributable after its issuer rotates keys. Batches are kept per
/// (root, issuer): nobody can block an issuer by anchoring its root first. Revocations are kept per (issuer, leaf):
/// a document is revoked only by its issuer (or the consortium admin), and anchoring somebody else's leaf as a
/// batch of one changes nothing for the real issuer's document.
interface IDocumentRegistry {
    /// @notice An anchored batch (one slot).
    struct Batch {
        uint32 issuer; // the issuing organisation
        uint16 issuerRoles; // its roles when it anchored the batch
        uint40 anchoredAt;
        uint40 revokedAt; // 0 unless the whole batch is revoked
        uint32 count; // documents in the batch (as declared by the issuer)
    }

    /// @notice What verifying a document finds.
    struct Verification {
        bool valid; // proven, issued by a holder of the type's role, not revoked
        uint32 issuer;
        uint16 issuerRoles;
        uint40 anchoredAt;
        uint40 revokedAt; // of the document or its batch, 0 if not revoked
    }

    /// @dev Root `root` was anchored already by this issuer.
    error BatchAlreadyAnchored(bytes32 root);
    /// @dev No batch `root` is anchored (by the issuer named, for a revocation).
    error NonexistentBatch(bytes32 root);
    /// @dev A batch declares `count` documents: at least one.
    error InvalidDocumentCount(uint32 count);
    /// @dev Document type `docType` is not defined (see contracts/libraries/DocumentTypes.sol).
    error InvalidDocumentType(uint8 docType);
    /// @dev The document is not in batch `root` (the Merkle proof does not hold).
    error InvalidDocumentProof(bytes32 root, bytes32 documentHash);
    /// @dev The document, or its batch `root`, is revoked already.
    error AlreadyRevoked(bytes32 root, bytes32 leaf);
    /// @dev `caller` may not revoke documents of organisation `issuer`: only an active account of the issuer or the
    /// consortium admin.
    error UnauthorizedRevoker(address caller, uint32 issuer);

    /// @notice `issuer` anchored batch `root` of `count` documents.
    event BatchAnchored(bytes32 indexed root, uint32 indexed issuer, uint16 issuerRoles, uint32 count);
    /// @notice The whole batch `root` of `issuer` was revoked, by account `by` (the issuer's or the admin's).
    event BatchRevoked(bytes32 indexed root, uint32 indexed issuer, bytes32 reason, address by);
    /// @notice One document of `issuer` (leaf `leaf` of batch `root`) was revoked, by account `by`.
    event DocumentRevoked(
        bytes32 indexed root,
        bytes32 indexed leaf,
        uint32 indexed issuer,
        bytes32 reason,
        address by
    );

    /// @notice Anchors the Merkle root of a batch of documents. Any active member; what its documents prove
    /// depends on the roles it holds (see {requiredRoles}). Emits {BatchAnchored}.
    /// @param root The Merkle root of the batch's leaves.
    /// @param count The number of documents in it.
    function anchor(bytes32 root, uint32 count) external;

    /// @notice Revokes the whole batch `root` of organisation `issuer`. An active account of the issuer, or the
    /// consortium admin (the one path for a suspended issuer's documents). Emits {BatchRevoked}.
    function revokeBatch(bytes32 root, uint32 issuer, bytes32 reason) external;

    /// @notice Revokes one document of organisation `issuer`, proven to be in its batch `root`: from then on it is
    /// revoked in every batch of that issuer. An active account of the issuer, or the consortium admin.
    /// Emits {DocumentRevoked}.
    function revokeDocument(
        bytes32 root,
        uint32 issuer,
        bytes32 documentHash,
        uint8 docType,
        bytes32 tradeId,
        bytes32[] calldata proof,
        bytes32 reason
    ) external;

    /// @notice Verifies a document: in an anchored batch, issued by a holder of the role its type requires, not
    /// revoked.
    function verify(
        bytes32 documentHash,
        uint8 docType,
        bytes32 tradeId,
        bytes32 root,
        uint32 issuer,
        bytes32[] calldata proof
    ) external view returns (Verification memory);

    /// @notice The roles (any of which) that may issue `docType` (the table: contracts/libraries/DocumentTypes.sol).
    function requiredRoles(uint8 docType) external pure returns (uint16);

    /// @notice The batch `root` of organisation `issuer`; `anchoredAt` is 0 if unknown.
    function getBatch(bytes32 root, uint32 issuer) external view returns (Batch memory);

    /// @notice The leaf of a document.
    function leafOf(bytes32 documentHash, uint8 docType, bytes32 tradeId) external pure returns (bytes32);
}

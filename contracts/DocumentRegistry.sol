// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {DocumentTypes} from "./libraries/DocumentTypes.sol";

/// @title DocumentRegistry
/// @notice Hash-anchored trade documents, batched as Merkle roots, typed, bound to a trade, revocable.
/// @dev Gas: an anchor is one slot whatever the batch size. Document types, and the roles that may issue each:
/// {DocumentTypes}.
contract DocumentRegistry is IDocumentRegistry {
    uint8 public constant MAX_DOC_TYPE = DocumentTypes.MAX;

    IParticipantRegistry public immutable participants;

    mapping(bytes32 root => mapping(uint32 issuer => Batch)) private _batches;
    /// @dev Per issuer: a leaf revoked by one organisation says nothing of the same leaf issued by another.
    mapping(uint32 issuer => mapping(bytes32 leaf => uint40 revokedAt)) private _revokedDocuments;

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) {
        participants = participantRegistry;
    }

    /// @inheritdoc IDocumentRegistry
    function anchor(bytes32 root, uint32 count) external {
        (uint32 org, uint16 roles) = participants.activeRoles(msg.sender);
        if (count == 0) revert InvalidDocumentCount(count);
        if (_batches[root][org].anchoredAt != 0) revert BatchAlreadyAnchored(root);
        _batches[root][org] = Batch(org, roles, uint40(block.timestamp), 0, count);
        emit BatchAnchored(root, org, roles, count);
    }

    /// @inheritdoc IDocumentRegistry
    function revokeBatch(bytes32 root, uint32 issuer, bytes32 reason) external {
        Batch storage batch = _revocable(root, issuer);
        if (batch.revokedAt != 0) revert AlreadyRevoked(root, 0);
        batch.revokedAt = uint40(block.timestamp);
        emit BatchRevoked(root, issuer, reason, msg.sender);
    }

    /// @inheritdoc IDocumentRegistry
    function revokeDocument(
        bytes32 root,
        uint32 issuer,
        bytes32 documentHash,
        uint8 docType,
        bytes32 tradeId,
        bytes32[] calldata proof,
        bytes32 reason
    ) external {
        Batch storage batch = _revocable(root, issuer);
        bytes32 leaf = leafOf(documentHash, docType, tradeId);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidDocumentProof(root, documentHash);
        if (_revokedDocuments[issuer][leaf] != 0 || batch.revokedAt != 0) revert AlreadyRevoked(root, leaf);
        _revokedDocuments[issuer][leaf] = uint40(block.timestamp);
        emit DocumentRevoked(root, leaf, issuer, reason, msg.sender);
    }

    /// @inheritdoc IDocumentRegistry
    function verify(
        bytes32 documentHash,
        uint8 docType,
        bytes32 tradeId,
        bytes32 root,
        uint32 issuer,
        bytes32[] calldata proof
    ) external view returns (Verification memory result) {
        Batch memory batch = _batches[root][issuer];
        bytes32 leaf = leafOf(documentHash, docType, tradeId);
        if (batch.anchoredAt == 0 || !MerkleProof.verifyCalldata(proof, root, leaf)) return result;
        uint40 revokedAt = batch.revokedAt != 0 ? batch.revokedAt : _revokedDocuments[issuer][leaf];
        result = Verification({
            valid: revokedAt == 0 && batch.issuerRoles & DocumentTypes.requiredRoles(docType) != 0,
            issuer: batch.issuer,
            issuerRoles: batch.issuerRoles,
            anchoredAt: batch.anchoredAt,
            revokedAt: revokedAt
        });
    }

    /// @inheritdoc IDocumentRegistry
    function requiredRoles(uint8 docType) public pure returns (uint16) {
        return DocumentTypes.requiredRoles(docType);
    }

    /// @inheritdoc IDocumentRegistry
    function getBatch(bytes32 root, uint32 issuer) external view returns (Batch memory) {
        return _batches[root][issuer];
    }

    /// @inheritdoc IDocumentRegistry
    function leafOf(bytes32 documentHash, uint8 docType, bytes32 tradeId) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(documentHash, docType, tradeId))));
    }

    /// @dev The batch `root` of `issuer`, if the caller may revoke it: an active account of the issuer (whatever its
    /// roles), or the consortium admin, who has the only path for a suspended issuer.
    function _revocable(bytes32 root, uint32 issuer) private view returns (Batch storage batch) {
        if (!participants.isAdmin(msg.sender)) {
            // Called for the organisation (and the revert if the caller is not an active member).
            // slither-disable-next-line unused-return -- the roles are not needed (see the line above)
            (uint32 org, ) = participants.activeRoles(msg.sender);
            if (org != issuer) revert UnauthorizedRevoker(msg.sender, issuer);
        }
        batch = _batches[root][issuer];
        if (batch.anchoredAt == 0) revert NonexistentBatch(root);
    }
}

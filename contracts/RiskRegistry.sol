// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IRiskRegistry} from "../interfaces/IRiskRegistry.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title RiskRegistry
/// @notice Risk models, their approval and retirement; decisions anchored in Merkle batches; human reviews;
/// inspection outcomes counted per model; federated training rounds (see {IRiskRegistry}).
/// @dev Gas: a decision batch is two new slots and one warm update of its model's record, whatever its size; a
/// federated round one new slot (a 216-bit digest beside its time) and the update of its federation's slot. No loop
/// anywhere but the Merkle proof's (over calldata the caller gives). No value moves.
contract RiskRegistry is IRiskRegistry {
    uint8 public constant RELEASE = 1;
    uint8 public constant INSPECT = 2;
    uint8 public constant NO_FRAUD = 1;
    uint8 public constant FRAUD = 2;
    uint8 public constant CRITICAL = 3;
    uint32 public constant SCALE = 1_000_000; // scores and thresholds are in millionths

    /// @dev The low 40 bits of a round's word hold its time, the 216 above its digest.
    uint256 private constant TIME_MASK = (1 << 40) - 1;

    IParticipantRegistry public immutable participants;

    mapping(bytes32 modelId => mapping(uint32 proposer => Model)) private _models;
    mapping(bytes32 root => mapping(uint32 org => Batch)) private _batches;
    mapping(uint32 org => mapping(bytes32 leaf => DecisionState)) private _decisions;
    /// @dev Whether an outcome was recorded for a declaration under a model of an organisation (whatever the leaf:
    /// a declaration re-scored in a new leaf gets no second outcome).
    mapping(uint32 org => mapping(bytes32 modelId => mapping(bytes32 declarationHash => bool))) private _outcomeOf;
    mapping(uint32 org => mapping(bytes32 federationId => FederationState)) private _federations;
    mapping(uint32 org => mapping(bytes32 federationId => mapping(uint32 roundNumber => uint256))) private _rounds;

    /// @dev The last round of a federation (one slot).
    struct FederationState {
        uint32 lastRound;
        uint40 lastAt;
    }

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) {
        participants = participantRegistry;
    }

    // ------------------------------------------------------------------ models

    /// @inheritdoc IRiskRegistry
    function proposeModel(bytes32 modelId, bytes32 cardHash, uint32 approver) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.CUSTOMS | Roles.FINANCIER);
        if (modelId == 0 || cardHash == 0) revert InvalidModelProposal(modelId, cardHash);
        if (approver == org) revert SelfApproval(modelId, org);
        if (approver == 0 || approver > participants.organisationCount()) revert NonexistentApprover(modelId, approver);
        Model storage m = _models[modelId][org];
        if (m.proposedAt != 0) revert ModelAlreadyProposed(modelId, org);
        m.cardHash = cardHash;
        m.proposer = org;
        m.approver = approver;
        m.proposedAt = uint40(block.timestamp);
        emit ModelProposed(modelId, org, approver, cardHash, msg.sender);
    }

    /// @inheritdoc IRiskRegistry
    function approveModel(bytes32 modelId, uint32 proposer) external {
        uint32 org = participants.requireRole(msg.sender, Roles.REGULATOR);
        Model storage m = _existing(modelId, proposer);
        if (org == proposer) revert SelfApproval(modelId, proposer);
        if (org != m.approver) revert NotDesignatedApprover(msg.sender, org, m.approver);
        if (m.retiredAt != 0) revert ModelIsRetired(modelId, proposer, m.retiredAt);
        if (m.approvedAt != 0) revert ModelAlreadyApproved(modelId, proposer, m.approver);
        m.approvedAt = uint40(block.timestamp);
        emit ModelApproved(modelId, proposer, org, msg.sender);
    }

    /// @inheritdoc IRiskRegistry
    function retireModel(bytes32 modelId, uint32 proposer, bytes32 reason) external {
        // slither-disable-next-line unused-return -- any role: the organisation decides (proposer or named approver)
        (uint32 org, ) = participants.activeRoles(msg.sender);
        Model storage m = _existing(modelId, proposer);
        if (org != proposer && org != m.approver) {
            revert UnauthorizedRetirer(msg.sender, modelId, proposer);
        }
        if (m.retiredAt != 0) revert ModelIsRetired(modelId, proposer, m.retiredAt);
        m.retiredAt = uint40(block.timestamp);
        emit ModelRetired(modelId, proposer, org, reason, msg.sender);
    }

    // ------------------------------------------------------------------ decisions

    /// @inheritdoc IRiskRegistry
    function anchorDecisions(bytes32 root, uint32 count, bytes32 modelId, uint32 modelProposer) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.CUSTOMS | Roles.FINANCIER);
        if (count == 0) revert InvalidDecisionCount(count);
        if (org != modelProposer) revert ForeignModel(modelId, modelProposer, org);
        if (_batches[root][org].anchoredAt != 0) revert DecisionsAlreadyAnchored(root, org);
        Model storage m = _models[modelId][modelProposer];
        if (m.retiredAt != 0) revert ModelIsRetired(modelId, modelProposer, m.retiredAt);
        if (m.approvedAt == 0) revert ModelNotApproved(modelId, modelProposer);
        _batches[root][org] = Batch(modelId, modelProposer, uint40(block.timestamp), count);
        m.decisions += count;
        emit DecisionsAnchored(root, org, modelId, modelProposer, count);
    }

    /// @inheritdoc IRiskRegistry
    function reviewDecision(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof,
        uint8 finalDecision,
        bytes32 reasonCode
    ) external {
        bytes32 leaf = _provenByOrg(root, org, decision, proof);
        if (finalDecision != RELEASE && finalDecision != INSPECT) revert InvalidDecision(finalDecision);
        DecisionState storage state = _decisions[org][leaf];
        if (state.outcomeAt != 0) revert OutcomeAlreadyRecorded(leaf, org);
        if (state.reviewedAt != 0) revert AlreadyReviewed(leaf, org);
        state.finalDecision = finalDecision;
        state.reviewedAt = uint40(block.timestamp);
        Batch storage b = _batches[root][org];
        Model storage m = _models[b.modelId][b.modelProposer];
        bool overridden = finalDecision != decision.decision;
        if (overridden) m.overrides += 1;
        else m.confirmations += 1;
        emit DecisionReviewed(root, leaf, org, decision.decision, finalDecision, overridden, reasonCode, msg.sender);
    }

    /// @inheritdoc IRiskRegistry
    function recordOutcome(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof,
        uint8 outcome
    ) external {
        bytes32 leaf = _provenByOrg(root, org, decision, proof);
        if (outcome < NO_FRAUD || outcome > CRITICAL) revert InvalidOutcome(outcome);
        DecisionState storage state = _decisions[org][leaf];
        if (state.outcomeAt != 0) revert OutcomeAlreadyRecorded(leaf, org);
        mapping(bytes32 => bool) storage recorded = _outcomeOf[org][decision.modelId];
        if (recorded[decision.declarationHash]) {
            revert DeclarationOutcomeAlreadyRecorded(decision.declarationHash, decision.modelId, org);
        }
        recorded[decision.declarationHash] = true;
        uint8 effective = state.reviewedAt != 0 ? state.finalDecision : decision.decision;
        state.outcome = outcome;
        state.effectiveDecision = effective;
        state.outcomeAt = uint40(block.timestamp);
        Batch storage b = _batches[root][org];
        Model storage m = _models[b.modelId][b.modelProposer];
        uint32 fraud = outcome >= FRAUD ? 1 : 0;
        uint32 critical = outcome == CRITICAL ? 1 : 0;
        // the model's own decision, not the review's: a review cannot move a model's false positive out of its
        // inspected counters (nor a miss out of its released ones)
        if (decision.decision == INSPECT) {
            m.inspectedOutcomes += 1;
            m.inspectedFraud += fraud;
            m.inspectedCritical += critical;
        } else {
            m.releasedOutcomes += 1;
            m.releasedFraud += fraud;
            m.releasedCritical += critical;
        }
        emit OutcomeRecorded(root, leaf, org, effective, outcome, msg.sender);
    }

    // ------------------------------------------------------------------ federated rounds

    /// @inheritdoc IRiskRegistry
    function anchorRound(
        bytes32 federationId,
        uint32 roundNumber,
        bytes32 updatesRoot,
        uint32 clients,
        bytes32 aggregateHash
    ) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.CUSTOMS | Roles.FINANCIER);
        if (federationId == 0 || updatesRoot == 0 || clients == 0 || aggregateHash == 0) {
            revert InvalidRoundData(federationId, updatesRoot, clients, aggregateHash);
        }
        FederationState storage f = _federations[org][federationId];
        uint32 expected = f.lastRound + 1;
        if (roundNumber != expected) revert InvalidRound(federationId, roundNumber, expected);
        f.lastRound = roundNumber;
        f.lastAt = uint40(block.timestamp);
        _rounds[org][federationId][roundNumber] =
            uint256(roundDigest(updatesRoot, clients, aggregateHash)) | block.timestamp;
        emit RoundAnchored(org, federationId, roundNumber, updatesRoot, clients, aggregateHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRiskRegistry
    function model(bytes32 modelId, uint32 proposer) external view returns (Model memory) {
        return _models[modelId][proposer];
    }

    /// @inheritdoc IRiskRegistry
    function batch(bytes32 root, uint32 org) external view returns (Batch memory) {
        return _batches[root][org];
    }

    /// @inheritdoc IRiskRegistry
    function decisionState(uint32 org, bytes32 leaf) external view returns (DecisionState memory) {
        return _decisions[org][leaf];
    }

    /// @inheritdoc IRiskRegistry
    function verifyDecision(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof
    ) external view returns (DecisionCheck memory result) {
        result.leaf = decisionLeaf(decision);
        Batch memory b = _batches[root][org];
        if (b.anchoredAt == 0 || !MerkleProof.verifyCalldata(proof, root, result.leaf)) return result;
        result.proven = true;
        result.batch = b;
        result.state = _decisions[org][result.leaf];
        uint40 approvedAt = _models[b.modelId][b.modelProposer].approvedAt;
        result.inForce =
            decision.modelId == b.modelId &&
            _validFields(decision) &&
            approvedAt != 0 &&
            approvedAt <= decision.decidedAt &&
            decision.decidedAt <= b.anchoredAt;
    }

    /// @inheritdoc IRiskRegistry
    function round(uint32 org, bytes32 federationId, uint32 roundNumber) external view returns (Round memory) {
        uint256 word = _rounds[org][federationId][roundNumber];
        return Round(bytes32(word & ~TIME_MASK), uint40(word & TIME_MASK));
    }

    /// @inheritdoc IRiskRegistry
    function federation(uint32 org, bytes32 federationId) external view returns (uint32 lastRound, uint40 lastAt) {
        FederationState memory f = _federations[org][federationId];
        return (f.lastRound, f.lastAt);
    }

    /// @inheritdoc IRiskRegistry
    function decisionLeaf(Decision calldata decision) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(decision))));
    }

    /// @inheritdoc IRiskRegistry
    function roundDigest(bytes32 updatesRoot, uint32 clients, bytes32 aggregateHash) public pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode(updatesRoot, clients, aggregateHash))) & ~TIME_MASK);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The model `modelId` of `proposer`, which must exist.
    function _existing(bytes32 modelId, uint32 proposer) private view returns (Model storage m) {
        m = _models[modelId][proposer];
        if (m.proposedAt == 0) revert NonexistentModel(modelId, proposer);
    }

    /// @dev The leaf of `decision`, checked for a review or an outcome: the caller is an active account of `org`
    /// with the customs or inspector role; the batch exists; the decision is well formed, of the batch's model,
    /// dated from the model's approval to the batch's anchoring, and proven in the batch.
    function _provenByOrg(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof
    ) private view returns (bytes32 leaf) {
        uint32 caller = participants.requireAnyRole(msg.sender, Roles.CUSTOMS | Roles.INSPECTOR);
        if (caller != org) revert NotBatchOrganisation(msg.sender, caller, org);
        Batch storage b = _batches[root][org];
        uint40 anchoredAt = b.anchoredAt;
        if (anchoredAt == 0) revert NonexistentDecisionBatch(root, org);
        if (decision.decision != RELEASE && decision.decision != INSPECT) revert InvalidDecision(decision.decision);
        if (decision.score > SCALE || decision.threshold > SCALE) {
            revert InvalidScore(decision.score, decision.threshold);
        }
        if (decision.modelId != b.modelId) revert ModelMismatch(decision.modelId, b.modelId);
        uint40 approvedAt = _models[b.modelId][b.modelProposer].approvedAt;
        if (decision.decidedAt < approvedAt || decision.decidedAt > anchoredAt) {
            revert DecisionTimeOutOfRange(decision.decidedAt, approvedAt, anchoredAt);
        }
        leaf = decisionLeaf(decision);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidDecisionProof(root, leaf);
    }

    /// @dev Whether the decision's own fields are well formed (a decision 1 or 2, a score and threshold in range).
    function _validFields(Decision calldata decision) private pure returns (bool) {
        return
            (decision.decision == RELEASE || decision.decision == INSPECT) &&
            decision.score <= SCALE &&
            decision.threshold <= SCALE;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRiskRegistry
/// @notice The auditable trail of AI risk assessment: risk models proposed by a customs administration or a financier
/// and approved by a regulator of another organisation before use; their decisions anchored in Merkle batches; the
/// human review (confirmation or override, with a reason code) and the inspection outcome of each decision; and the
/// rounds of federated training. Only hashes reach the chain: a declaration, its score and its explanation never do.
/// @dev Identifiers, and who chooses them:
/// - a model is kept per (modelId, proposer organisation): modelId is the SHA-256 of the ONNX artifact, chosen by
///   the proposer; another organisation proposing the same id makes a record of its own (nobody squats a model id),
///   and each organisation anchors decisions under its own records only (nobody else's outcomes enter its counters);
/// - a decision batch is kept per (root, anchoring organisation), as in {IDocumentRegistry}; reviews and outcomes
///   per (organisation, leaf);
/// - a federation's rounds per (organisation, federation id), numbered 1, 2, 3... without a gap.
///
/// Leaf of a decision: `keccak256(bytes.concat(keccak256(abi.encode(bytes32 declarationHash, bytes32 modelId,
/// uint32 score, uint32 threshold, uint8 decision, bytes32 explanationHash, uint40 decidedAt))))` (the fields of
/// {Decision} in order), pairs hashed sorted (OpenZeppelin's MerkleProof). `score` and `threshold` are in millionths
/// (0 to 1,000,000); `decision` is 1 (release) or 2 (inspect).
///
/// A model is approved only by the organisation its proposer names at proposal ({proposeModel}): nobody else may
/// approve it (nor, therefore, retire it uninvited).
///
/// A decision counts in its model's statistics once its outcome is recorded, under the MODEL's own decision (the
/// leaf's `decision`), whatever the review decided: the counters measure the model's decisions, so a human review,
/// before or after the inspection, never moves a false positive out of the inspected counters. The effective decision
/// (the reviewer's final decision if reviewed, else the model's) is kept in {DecisionState} and the event for the
/// record, and reviews count as confirmations or overrides. A declaration gets at most one outcome per (organisation,
/// model), whatever leaf it is in, so re-scoring a known fraud in a new leaf does not count it twice. A review is
/// refused once the outcome is recorded. Outcomes, and each leaf's `decidedAt`, are reported by the deciding
/// organisation itself: the precision the counters give is self-reported by it.
interface IRiskRegistry {
    /// @notice A model of one proposer (the storage record: three slots).
    struct Model {
        bytes32 cardHash; // keccak-256 of the model card's canonical JSON
        uint32 proposer; // the proposing organisation
        uint32 approver; // the organisation named by the proposer to approve it (set at proposal; see approvedAt)
        uint40 proposedAt;
        uint40 approvedAt; // 0 until approved (by `approver`): the only sign of approval
        uint40 retiredAt; // 0 unless retired
        uint64 decisions; // decisions anchored under the model (the sum of its batches' counts)
        uint32 confirmations; // reviews that confirmed the model's decision
        uint32 overrides; // reviews that overrode it
        uint32 inspectedOutcomes; // outcomes of decisions the model said to inspect (whatever the review decided)
        uint32 inspectedFraud; // ... of which fraud was found (critical included)
        uint32 inspectedCritical; // ... of which critical fraud
        uint32 releasedOutcomes; // outcomes of decisions the model said to release (a post-clearance audit)
        uint32 releasedFraud; // ... of which fraud was found (critical included)
        uint32 releasedCritical; // ... of which critical fraud
    }

    /// @notice A decision, as its leaf hashes it.
    struct Decision {
        bytes32 declarationHash; // the declaration scored (its hash only)
        bytes32 modelId; // the model that scored it (SHA-256 of its ONNX artifact)
        uint32 score; // in millionths
        uint32 threshold; // in millionths
        uint8 decision; // 1 release, 2 inspect
        bytes32 explanationHash; // the hash of its explanation (the top reasons)
        uint40 decidedAt;
    }

    /// @notice An anchored batch of decisions (two slots).
    struct Batch {
        bytes32 modelId; // the model every decision of the batch names
        uint32 modelProposer; // ... of this proposer
        uint40 anchoredAt; // 0 if unknown
        uint32 count; // decisions in the batch (as declared by the anchoring organisation)
    }

    /// @notice The review and outcome of one decision of one organisation (one slot).
    struct DecisionState {
        uint8 finalDecision; // the reviewer's decision, 0 if not reviewed
        uint40 reviewedAt;
        uint8 outcome; // 1 no fraud, 2 fraud, 3 critical fraud; 0 if none yet
        uint8 effectiveDecision; // the decision in force at the outcome (the review's, else the model's), 0 before
        uint40 outcomeAt;
    }

    /// @notice What verifying a decision finds.
    struct DecisionCheck {
        bool proven; // the leaf is in the anchored batch `root` of the organisation
        bool inForce; // proven, of the batch's model, decided while that model was approved and before anchoring
        bytes32 leaf;
        Batch batch;
        DecisionState state;
    }

    /// @notice A federated round (one slot: a 216-bit digest and the time).
    struct Round {
        bytes32 digest; // {roundDigest} of what was anchored, 0 if the round is unknown
        uint40 anchoredAt;
    }

    /// @dev A model is proposed with a zero `modelId` or a zero `cardHash`.
    error InvalidModelProposal(bytes32 modelId, bytes32 cardHash);
    /// @dev Organisation `proposer` proposed model `modelId` already.
    error ModelAlreadyProposed(bytes32 modelId, uint32 proposer);
    /// @dev Organisation `proposer` proposed no model `modelId`.
    error NonexistentModel(bytes32 modelId, uint32 proposer);
    /// @dev Organisation `proposer` may not approve its own model `modelId`: a different organisation approves.
    error SelfApproval(bytes32 modelId, uint32 proposer);
    /// @dev Model `modelId` is proposed with `approver` 0 or no organisation of the consortium: the proposer names an
    /// existing organisation, other than its own, to approve it.
    error NonexistentApprover(bytes32 modelId, uint32 approver);
    /// @dev `caller`, of organisation `callerOrg`, may not approve the model: its proposer named organisation
    /// `approver` to approve it.
    error NotDesignatedApprover(address caller, uint32 callerOrg, uint32 approver);
    /// @dev Model `modelId` of `proposer` was approved already, by organisation `approver`.
    error ModelAlreadyApproved(bytes32 modelId, uint32 proposer, uint32 approver);
    /// @dev Model `modelId` of `proposer` was retired at `retiredAt`: it is never used nor approved again.
    error ModelIsRetired(bytes32 modelId, uint32 proposer, uint40 retiredAt);
    /// @dev Model `modelId` of `proposer` is not approved: no decision is anchored under it.
    error ModelNotApproved(bytes32 modelId, uint32 proposer);
    /// @dev Organisation `org` may not anchor decisions under model `modelId` of `proposer`: an organisation uses
    /// its own model records only (to use another's model it proposes the same id itself, approved in its own right),
    /// so that nobody's outcomes enter the statistics of another organisation's model.
    error ForeignModel(bytes32 modelId, uint32 proposer, uint32 org);
    /// @dev `caller` may not retire model `modelId` of `proposer`: only an account of the proposer or of the named
    /// approver.
    error UnauthorizedRetirer(address caller, bytes32 modelId, uint32 proposer);
    /// @dev A batch declares `count` decisions: at least one.
    error InvalidDecisionCount(uint32 count);
    /// @dev Root `root` was anchored already by organisation `org`.
    error DecisionsAlreadyAnchored(bytes32 root, uint32 org);
    /// @dev Organisation `org` anchored no decision batch `root`.
    error NonexistentDecisionBatch(bytes32 root, uint32 org);
    /// @dev The decision (leaf `leaf`) is not in batch `root` (the Merkle proof does not hold).
    error InvalidDecisionProof(bytes32 root, bytes32 leaf);
    /// @dev A decision `decision` is neither 1 (release) nor 2 (inspect).
    error InvalidDecision(uint8 decision);
    /// @dev A score `score` or threshold `threshold` is over 1,000,000 millionths.
    error InvalidScore(uint32 score, uint32 threshold);
    /// @dev An outcome `outcome` is none of 1 (no fraud), 2 (fraud), 3 (critical fraud).
    error InvalidOutcome(uint8 outcome);
    /// @dev The decision names model `leafModelId`, its batch was anchored under `batchModelId`.
    error ModelMismatch(bytes32 leafModelId, bytes32 batchModelId);
    /// @dev A decision dated `decidedAt` is outside its model's approval (from `approvedAt`) and its batch's
    /// anchoring (until `anchoredAt`).
    error DecisionTimeOutOfRange(uint40 decidedAt, uint40 approvedAt, uint40 anchoredAt);
    /// @dev `caller`, of organisation `callerOrg`, may not act on the decisions of organisation `org`.
    error NotBatchOrganisation(address caller, uint32 callerOrg, uint32 org);
    /// @dev The decision `leaf` of organisation `org` was reviewed already.
    error AlreadyReviewed(bytes32 leaf, uint32 org);
    /// @dev The decision `leaf` of organisation `org` has its outcome already: it is final.
    error OutcomeAlreadyRecorded(bytes32 leaf, uint32 org);
    /// @dev Declaration `declarationHash` has an outcome already under model `modelId` of organisation `org` (in
    /// this leaf or another: re-scoring a declaration does not give it a second outcome).
    error DeclarationOutcomeAlreadyRecorded(bytes32 declarationHash, bytes32 modelId, uint32 org);
    /// @dev Round `round` of federation `federation` is not the next: that is round `expected`.
    error InvalidRound(bytes32 federation, uint32 round, uint32 expected);
    /// @dev A round names a zero federation, updates root or aggregate hash, or no client (`clients` 0).
    error InvalidRoundData(bytes32 federation, bytes32 updatesRoot, uint32 clients, bytes32 aggregateHash);

    /// @notice Organisation `proposer` proposed model `modelId`, its card hashing to `cardHash`, to be approved by
    /// organisation `approver`; account `by` sent it.
    event ModelProposed(
        bytes32 indexed modelId,
        uint32 indexed proposer,
        uint32 indexed approver,
        bytes32 cardHash,
        address by
    );
    /// @notice Organisation `approver` approved model `modelId` of `proposer`; account `by` sent it.
    event ModelApproved(bytes32 indexed modelId, uint32 indexed proposer, uint32 indexed approver, address by);
    /// @notice Model `modelId` of `proposer` was retired by organisation `retiredBy` (account `by`), for `reason`.
    event ModelRetired(
        bytes32 indexed modelId,
        uint32 indexed proposer,
        uint32 indexed retiredBy,
        bytes32 reason,
        address by
    );
    /// @notice Organisation `org` anchored batch `root` of `count` decisions of model `modelId` of `modelProposer`.
    event DecisionsAnchored(
        bytes32 indexed root,
        uint32 indexed org,
        bytes32 indexed modelId,
        uint32 modelProposer,
        uint32 count
    );
    /// @notice A reviewer (account `by` of `org`) confirmed or overrode (`overridden`) the decision `leaf` of batch
    /// `root`: the model decided `modelDecision`, the reviewer `finalDecision`, for `reasonCode`.
    event DecisionReviewed(
        bytes32 indexed root,
        bytes32 indexed leaf,
        uint32 indexed org,
        uint8 modelDecision,
        uint8 finalDecision,
        bool overridden,
        bytes32 reasonCode,
        address by
    );
    /// @notice The outcome `outcome` of the decision `leaf` of batch `root` of `org` was recorded (account `by`),
    /// the decision in force then being `effectiveDecision` (the model's counters count the model's own decision).
    event OutcomeRecorded(
        bytes32 indexed root,
        bytes32 indexed leaf,
        uint32 indexed org,
        uint8 effectiveDecision,
        uint8 outcome,
        address by
    );
    /// @notice Organisation `org` anchored round `round` of federation `federation`: `clients` client updates of
    /// Merkle root `updatesRoot`, aggregated into a model hashing to `aggregateHash`.
    event RoundAnchored(
        uint32 indexed org,
        bytes32 indexed federation,
        uint32 indexed round,
        bytes32 updatesRoot,
        uint32 clients,
        bytes32 aggregateHash
    );

    /// @notice Proposes model `modelId` for use, naming the organisation `approver` that is to approve it. An active
    /// member with the customs or financier role. Emits {ModelProposed}.
    /// @param modelId The SHA-256 of the model's ONNX artifact (not zero).
    /// @param cardHash The keccak-256 of its model card's canonical JSON (not zero).
    /// @param approver The approving organisation: an existing one, not the proposer's ({SelfApproval},
    /// {NonexistentApprover}); it needs the regulator role when it approves.
    function proposeModel(bytes32 modelId, bytes32 cardHash, uint32 approver) external;

    /// @notice Approves model `modelId` of `proposer`, once. An active member with the regulator role, of the
    /// organisation the proposer named ({NotDesignatedApprover} otherwise). Emits {ModelApproved}.
    /// @param modelId The model.
    /// @param proposer Its proposing organisation.
    function approveModel(bytes32 modelId, uint32 proposer) external;

    /// @notice Retires model `modelId` of `proposer`, once and for ever: no decision is anchored under it afterwards
    /// and it is never approved again. An active account of the proposer or of the named approver (which may so
    /// reject it before approving). Emits {ModelRetired}.
    /// @param modelId The model.
    /// @param proposer Its proposing organisation.
    /// @param reason A reason code.
    function retireModel(bytes32 modelId, uint32 proposer, bytes32 reason) external;

    /// @notice Anchors the Merkle root of a batch of decisions of the caller's own model `modelId`, which must be
    /// approved and not retired. An active member with the customs or financier role, of organisation
    /// `modelProposer`. Emits {DecisionsAnchored}.
    /// @param root The Merkle root of the batch's leaves (see the leaf above).
    /// @param count The number of decisions in it (at least one).
    /// @param modelId The model every decision of the batch names.
    /// @param modelProposer Its proposing organisation.
    function anchorDecisions(bytes32 root, uint32 count, bytes32 modelId, uint32 modelProposer) external;

    /// @notice Records the human review of a decision of batch `root` of `org`: a confirmation when `finalDecision`
    /// is the model's, else an override. Once per decision, before its outcome. An active account of `org` with the
    /// customs or inspector role. Emits {DecisionReviewed}.
    /// @param root The batch.
    /// @param org The organisation that anchored it.
    /// @param decision The decision (its leaf's fields).
    /// @param proof Its Merkle proof in the batch.
    /// @param finalDecision The reviewer's decision: 1 release, 2 inspect.
    /// @param reasonCode Why (a reason code).
    function reviewDecision(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof,
        uint8 finalDecision,
        bytes32 reasonCode
    ) external;

    /// @notice Records the inspection outcome of a decision of batch `root` of `org`, once and for ever, and counts it
    /// in its model's statistics under the model's own decision (not the review's). Once per declaration and model
    /// of `org`, whatever the leaf ({DeclarationOutcomeAlreadyRecorded}). An active account of `org` with the customs
    /// or inspector role. Emits {OutcomeRecorded}.
    /// @param root The batch.
    /// @param org The organisation that anchored it.
    /// @param decision The decision (its leaf's fields).
    /// @param proof Its Merkle proof in the batch.
    /// @param outcome 1 no fraud found, 2 fraud, 3 critical fraud.
    function recordOutcome(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof,
        uint8 outcome
    ) external;

    /// @notice Anchors round `roundNumber` of federation `federationId` of the caller's organisation: rounds run 1, 2, 3...
    /// without a gap or a repeat. An active member with the customs or financier role. Emits {RoundAnchored} with
    /// every field; the chain keeps their {roundDigest}.
    /// @param federationId The federation's id (chosen by the organisation that runs it; not zero).
    /// @param roundNumber The round's number.
    /// @param updatesRoot The Merkle root of the round's client update hashes (not zero).
    /// @param clients The number of client updates (at least one).
    /// @param aggregateHash The hash of the aggregated model (not zero).
    function anchorRound(
        bytes32 federationId,
        uint32 roundNumber,
        bytes32 updatesRoot,
        uint32 clients,
        bytes32 aggregateHash
    ) external;

    /// @notice Model `modelId` of `proposer`, with its statistics; `proposedAt` is 0 if unknown.
    /// @param modelId The model.
    /// @param proposer Its proposing organisation.
    /// @return The record.
    function model(bytes32 modelId, uint32 proposer) external view returns (Model memory);

    /// @notice The batch `root` of organisation `org`; `anchoredAt` is 0 if unknown.
    /// @param root The batch.
    /// @param org The organisation that anchored it.
    /// @return The batch.
    function batch(bytes32 root, uint32 org) external view returns (Batch memory);

    /// @notice The review and outcome of decision `leaf` of organisation `org`.
    /// @param org The organisation that anchored it.
    /// @param leaf The decision's leaf.
    /// @return The state (zero if neither is recorded).
    function decisionState(uint32 org, bytes32 leaf) external view returns (DecisionState memory);

    /// @notice Verifies a decision against the anchored batch `root` of `org`, with its review and outcome.
    /// @param root The batch.
    /// @param org The organisation that anchored it.
    /// @param decision The decision (its leaf's fields).
    /// @param proof Its Merkle proof in the batch.
    /// @return What was found (`proven` false: nothing else is filled in but the leaf).
    function verifyDecision(
        bytes32 root,
        uint32 org,
        Decision calldata decision,
        bytes32[] calldata proof
    ) external view returns (DecisionCheck memory);

    /// @notice Round `roundNumber` of federation `federationId` of organisation `org`.
    /// @param org The organisation that anchored it.
    /// @param federationId The federation.
    /// @param roundNumber The round's number.
    /// @return The round (digest 0 if unknown).
    function round(uint32 org, bytes32 federationId, uint32 roundNumber) external view returns (Round memory);

    /// @notice The last round anchored of federation `federationId` of organisation `org`, and when (0, 0 if none).
    /// @param org The organisation.
    /// @param federationId The federation.
    /// @return lastRound The last round's number.
    /// @return lastAt When it was anchored.
    function federation(uint32 org, bytes32 federationId) external view returns (uint32 lastRound, uint40 lastAt);

    /// @notice The leaf of a decision.
    /// @param decision The decision's fields.
    /// @return The leaf.
    function decisionLeaf(Decision calldata decision) external pure returns (bytes32);

    /// @notice The digest a round is kept as: `keccak256(abi.encode(updatesRoot, clients, aggregateHash))` with its
    /// low 40 bits cleared (they hold the anchoring time in storage).
    /// @param updatesRoot The Merkle root of the round's client update hashes.
    /// @param clients The number of client updates.
    /// @param aggregateHash The hash of the aggregated model.
    /// @return The digest.
    function roundDigest(bytes32 updatesRoot, uint32 clients, bytes32 aggregateHash) external pure returns (bytes32);
}

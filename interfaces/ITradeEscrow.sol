// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ITradeEscrow
/// @notice ERC-20 escrow of a trade: funded by the buyer or its financier, released to the seller milestone by
/// milestone once the documents each milestone requires are anchored for this escrow by issuers holding the
/// matching role; refunded after the deadline; frozen by a buyer's dispute (before the deadline) until the arbiter
/// splits it, for at most {ARBITRATION_PERIOD}: then the dispute lapses and the documentary rules apply again, with
/// the refund deadline moved on by the same period.
/// @dev Documents are bound to the escrow they were issued for: the trade id of their leaf (see IDocumentRegistry)
/// is the escrow's id, so one set of documents pays at most one escrow, however many share a `tradeId`.
/// @dev An escrow's terms are not stored: its id is `keccak256(abi.encode(terms))`, every call passes the terms
/// (emitted in full at opening), and one slot holds its state. Fee-on-transfer and rebasing tokens are refused
/// (funding checks the balance delta). Invariant: the contract's balance of a token is the sum, over its escrows,
/// of funded minus paid out.
interface ITradeEscrow {
    enum Status {
        None,
        Open,
        Funded,
        Disputed,
        Closed
    }

    /// @notice A stage of payment.
    struct Milestone {
        uint16 bps; // share of the amount, in basis points; all milestones add up to 10,000
        uint16 requiredDocs; // bit t set: a document of type t (see DocumentTypes) is required
        uint32 issuer; // the organisation that must issue them (e.g. the named carrier); 0: any holder of the role
    }

    /// @notice The terms of an escrow (its id is their hash).
    struct Terms {
        address funder; // pays in, and gets refunds: the buyer or its financier
        address buyer; // may dispute
        address seller; // is paid
        address arbiter; // resolves disputes
        IERC20 token;
        uint96 amount;
        uint40 deadline; // after it, an escrow not fully released can be refunded
        bytes32 tradeId; // the trade's reference (its documents name the escrow id, see above)
        bytes32 salt; // tells apart escrows with otherwise equal terms
        Milestone[] milestones; // 1 to 8
    }

    /// @notice A document shown to release a milestone (see IDocumentRegistry.verify).
    struct DocumentProof {
        bytes32 documentHash;
        uint8 docType;
        bytes32 root;
        uint32 issuer; // the organisation that anchored the batch
        bytes32[] proof;
    }

    /// @notice The state of an escrow (one slot).
    struct State {
        Status status;
        uint8 releasedMask; // bit i: milestone i was released
        uint96 funded;
        uint96 paidOut; // to the seller and back to the funder
        uint40 disputedAt; // when the buyer disputed, 0 if never (a buyer disputes once)
    }

    /// @dev The terms are invalid: `rule` names what is wrong.
    error InvalidTerms(string rule);
    /// @dev No escrow has these terms (id `escrowId`).
    error NonexistentEscrow(bytes32 escrowId);
    /// @dev An escrow with these terms exists already.
    error EscrowExists(bytes32 escrowId);
    /// @dev The escrow is `status`, and this needs `expected`.
    error InvalidStatus(bytes32 escrowId, Status status, Status expected);
    /// @dev `caller` may not do this (it needs `role`: "buyer or funder", "funder", "buyer", "arbiter").
    error UnauthorizedParty(bytes32 escrowId, address caller, string role);
    /// @dev Milestone `milestone` does not exist.
    error InvalidMilestone(bytes32 escrowId, uint8 milestone);
    /// @dev Milestone `milestone` was released already.
    error MilestoneAlreadyReleased(bytes32 escrowId, uint8 milestone);
    /// @dev Milestone `milestone` cannot be released: documents of the types in `missingDocs` (bit t: type t) are
    /// missing, revoked, issued for another escrow, or not issued by a holder of the role (or by the named issuer).
    error ConditionsNotMet(bytes32 escrowId, uint8 milestone, uint16 missingDocs);
    /// @dev The deadline `deadline` has not passed.
    error DeadlineNotPassed(bytes32 escrowId, uint40 deadline);
    /// @dev The token moved `received` instead of `expected`: fee-on-transfer and rebasing tokens are refused.
    error UnsupportedToken(address token, uint256 expected, uint256 received);
    /// @dev The seller's share of a resolution, `sellerBps` basis points, is over 10,000.
    error InvalidSellerShare(uint16 sellerBps);
    /// @dev The buyer disputed this escrow already, at `disputedAt`: a buyer disputes once.
    error AlreadyDisputed(bytes32 escrowId, uint40 disputedAt);
    /// @dev The dispute window closed at the deadline `deadline`.
    error DisputeWindowClosed(bytes32 escrowId, uint40 deadline);
    /// @dev The arbiter's time ran out at `lapsedAt`: the dispute lapsed and the documentary rules apply.
    error ArbitrationLapsed(bytes32 escrowId, uint40 lapsedAt);

    event EscrowOpened(
        bytes32 indexed escrowId,
        address indexed buyer,
        address indexed seller,
        bytes32 tradeId,
        address token,
        uint96 amount,
        uint40 deadline,
        bytes terms
    );
    event EscrowFunded(bytes32 indexed escrowId, address indexed funder, uint96 amount);
    event MilestoneReleased(bytes32 indexed escrowId, uint8 indexed milestone, address indexed seller, uint96 amount);
    event EscrowRefunded(bytes32 indexed escrowId, address indexed funder, uint96 amount);
    event DisputeRaised(bytes32 indexed escrowId, address indexed buyer, bytes32 reason);
    event DisputeResolved(bytes32 indexed escrowId, address indexed arbiter, uint96 toSeller, uint96 toFunder);
    /// @notice The arbiter did not resolve the dispute in time: the escrow is funded again (the first release or
    /// refund after the lapse records it).
    event DisputeLapsed(bytes32 indexed escrowId, uint40 lapsedAt);

    /// @notice Opens an escrow with `terms`. The buyer or the funder, an active consortium member.
    /// Emits {EscrowOpened}. @return escrowId The id, `keccak256(abi.encode(terms))`.
    function open(Terms calldata terms) external returns (bytes32 escrowId);

    /// @notice Pays the amount in (the funder; it approved the token first). Emits {EscrowFunded}.
    function fund(Terms calldata terms) external;

    /// @notice Releases a milestone to the seller once its documents hold: documents issued for this escrow (their
    /// trade id is the escrow id). Anyone may call. Emits {MilestoneReleased} (after {DisputeLapsed} if a dispute
    /// lapsed).
    function release(Terms calldata terms, uint8 milestone, DocumentProof[] calldata documents) external;

    /// @notice Returns what is left to the funder after the deadline (moved on by {ARBITRATION_PERIOD} if the buyer
    /// disputed). Anyone may call. Emits {EscrowRefunded} (after {DisputeLapsed} if a dispute lapsed).
    function refund(Terms calldata terms) external;

    /// @notice Freezes the escrow until the arbiter resolves it, for at most {ARBITRATION_PERIOD}. The buyer, from an
    /// active member's account (not a revoked or suspended key), once, up to the deadline, before everything is
    /// released. Emits {DisputeRaised}.
    function dispute(Terms calldata terms, bytes32 reason) external;

    /// @notice Splits what is left: `sellerBps` to the seller, the rest to the funder. The arbiter, from an active
    /// member's account, within {ARBITRATION_PERIOD} of the dispute. Emits {DisputeResolved}.
    function resolve(Terms calldata terms, uint16 sellerBps) external;

    /// @notice What is still missing to release `milestone` with `documents` (0: nothing; bit t: type t).
    function missingDocuments(
        Terms calldata terms,
        uint8 milestone,
        DocumentProof[] calldata documents
    ) external view returns (uint16);

    /// @notice How long the arbiter has to resolve a dispute (30 days).
    // The getter of a constant, named as the constant (as OpenZeppelin's UPGRADE_INTERFACE_VERSION).
    // slither-disable-next-line naming-convention -- a constant's getter (see the line above)
    function ARBITRATION_PERIOD() external view returns (uint40);

    /// @notice The id of `terms`.
    function escrowIdOf(Terms calldata terms) external pure returns (bytes32);

    /// @notice The state of an escrow.
    function getState(bytes32 escrowId) external view returns (State memory);
}

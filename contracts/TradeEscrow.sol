// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITradeEscrow} from "../interfaces/ITradeEscrow.sol";
import {DocumentTypes} from "./libraries/DocumentTypes.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title TradeEscrow
/// @notice Pays an exporter when the shipping documents and delivery are proven; never early, twice, or to the
/// wrong party.
/// @dev Checks, then effects (the state slot), then the token transfer, under `nonReentrant`, with SafeERC20.
/// Trust: documents are as good as their issuers' roles in the {IParticipantRegistry}, checked by the
/// {IDocumentRegistry} at anchoring; the arbiter is trusted by both parties to split a disputed escrow.
contract TradeEscrow is ITradeEscrow, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint256 private constant MAX_MILESTONES = 8;
    /// @inheritdoc ITradeEscrow
    uint40 public constant ARBITRATION_PERIOD = 30 days;

    IParticipantRegistry public immutable participants;
    IDocumentRegistry public immutable documents;

    mapping(bytes32 escrowId => State) private _states;

    /// @param participantRegistry The consortium's membership.
    /// @param documentRegistry Where trade documents are anchored.
    constructor(IParticipantRegistry participantRegistry, IDocumentRegistry documentRegistry) {
        participants = participantRegistry;
        documents = documentRegistry;
    }

    /// @inheritdoc ITradeEscrow
    function open(Terms calldata terms) external returns (bytes32 escrowId) {
        if (msg.sender != terms.buyer && msg.sender != terms.funder) {
            revert UnauthorizedParty(escrowIdOf(terms), msg.sender, "buyer or funder");
        }
        // slither-disable-next-line unused-return -- called for its revert (any member may open); the org is not needed
        participants.requireAnyRole(msg.sender, Roles.ALL);
        _checkTerms(terms);
        escrowId = escrowIdOf(terms);
        if (_states[escrowId].status != Status.None) revert EscrowExists(escrowId);
        _states[escrowId] = State(Status.Open, 0, 0, 0, 0);
        emit EscrowOpened(
            escrowId,
            terms.buyer,
            terms.seller,
            terms.tradeId,
            address(terms.token),
            terms.amount,
            terms.deadline,
            abi.encode(terms)
        );
    }

    /// @inheritdoc ITradeEscrow
    function fund(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _state(terms, Status.Open);
        if (msg.sender != terms.funder) revert UnauthorizedParty(id, msg.sender, "funder");
        state.status = Status.Funded;
        state.funded = terms.amount;
        uint256 before = terms.token.balanceOf(address(this));
        terms.token.safeTransferFrom(msg.sender, address(this), terms.amount);
        uint256 received = terms.token.balanceOf(address(this)) - before;
        if (received != terms.amount) revert UnsupportedToken(address(terms.token), terms.amount, received);
        emit EscrowFunded(id, msg.sender, terms.amount);
    }

    /// @inheritdoc ITradeEscrow
    function release(Terms calldata terms, uint8 milestone, DocumentProof[] calldata proofs) external nonReentrant {
        (bytes32 id, State storage state) = _funded(terms);
        if (milestone >= terms.milestones.length) revert InvalidMilestone(id, milestone);
        uint8 bit = uint8(1 << milestone);
        if (state.releasedMask & bit != 0) revert MilestoneAlreadyReleased(id, milestone);
        uint16 missing = _missing(id, terms.milestones[milestone], proofs);
        if (missing != 0) revert ConditionsNotMet(id, milestone, missing);
        uint8 mask = state.releasedMask | bit;
        uint96 amount;
        if (mask == (1 << terms.milestones.length) - 1) {
            amount = state.funded - state.paidOut; // the last one takes the rounding remainder
            state.status = Status.Closed;
        } else {
            amount = uint96((uint256(terms.amount) * terms.milestones[milestone].bps) / 10_000);
        }
        state.releasedMask = mask;
        state.paidOut += amount;
        emit MilestoneReleased(id, milestone, terms.seller, amount);
        terms.token.safeTransfer(terms.seller, amount);
    }

    /// @inheritdoc ITradeEscrow
    function refund(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _funded(terms);
        // A dispute froze the escrow for up to ARBITRATION_PERIOD: the seller keeps the time it lost.
        uint40 deadline = state.disputedAt == 0 ? terms.deadline : terms.deadline + ARBITRATION_PERIOD;
        // Intended: the refund deadline is a date of the terms; a validator's few seconds of drift are immaterial.
        if (block.timestamp <= deadline) revert DeadlineNotPassed(id, deadline);
        uint96 amount = state.funded - state.paidOut;
        state.paidOut += amount;
        state.status = Status.Closed;
        emit EscrowRefunded(id, terms.funder, amount);
        terms.token.safeTransfer(terms.funder, amount);
    }

    /// @inheritdoc ITradeEscrow
    function dispute(Terms calldata terms, bytes32 reason) external {
        (bytes32 id, State storage state) = _state(terms, Status.Funded);
        if (msg.sender != terms.buyer) revert UnauthorizedParty(id, msg.sender, "buyer");
        _checkActive();
        if (state.disputedAt != 0) revert AlreadyDisputed(id, state.disputedAt);
        // Intended: the dispute window ends at the deadline of the terms (drift is immaterial).
        if (block.timestamp > terms.deadline) revert DisputeWindowClosed(id, terms.deadline);
        state.status = Status.Disputed;
        state.disputedAt = uint40(block.timestamp);
        emit DisputeRaised(id, msg.sender, reason);
    }

    /// @inheritdoc ITradeEscrow
    function resolve(Terms calldata terms, uint16 sellerBps) external nonReentrant {
        (bytes32 id, State storage state) = _state(terms, Status.Disputed);
        if (msg.sender != terms.arbiter) revert UnauthorizedParty(id, msg.sender, "arbiter");
        _checkActive();
        uint40 lapsesAt = state.disputedAt + ARBITRATION_PERIOD;
        // Intended: the arbiter's time is a period of days (drift is immaterial).
        if (block.timestamp > lapsesAt) revert ArbitrationLapsed(id, lapsesAt);
        if (sellerBps > 10_000) revert InvalidSellerShare(sellerBps);
        uint96 left = state.funded - state.paidOut;
        uint96 toSeller = uint96((uint256(left) * sellerBps) / 10_000);
        uint96 toFunder = left - toSeller;
        state.paidOut += left;
        state.status = Status.Closed;
        emit DisputeResolved(id, msg.sender, toSeller, toFunder);
        if (toSeller != 0) terms.token.safeTransfer(terms.seller, toSeller);
        if (toFunder != 0) terms.token.safeTransfer(terms.funder, toFunder);
    }

    /// @inheritdoc ITradeEscrow
    function missingDocuments(
        Terms calldata terms,
        uint8 milestone,
        DocumentProof[] calldata proofs
    ) external view returns (uint16) {
        bytes32 id = escrowIdOf(terms);
        if (milestone >= terms.milestones.length) revert InvalidMilestone(id, milestone);
        return _missing(id, terms.milestones[milestone], proofs);
    }

    /// @inheritdoc ITradeEscrow
    function escrowIdOf(Terms calldata terms) public pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @inheritdoc ITradeEscrow
    function getState(bytes32 escrowId) external view returns (State memory) {
        return _states[escrowId];
    }

    /// @dev The required document types of `m` not proven by `proofs` issued for escrow `id` (bounded: the
    /// {DocumentTypes}, and the caller's list).
    function _missing(
        bytes32 id,
        Milestone calldata m,
        DocumentProof[] calldata proofs
    ) private view returns (uint16 missing) {
        missing = m.requiredDocs;
        for (uint256 i = 0; i < proofs.length && missing != 0; ++i) {
            DocumentProof calldata d = proofs[i];
            uint16 bit = uint16(1) << d.docType;
            if (d.docType > DocumentTypes.MAX || missing & bit == 0) continue;
            // A view call to the document registry fixed at deployment (ours, immutable), which returns and does not
            // revert for a bad proof; each call needs a still-missing type, and the caller pays for its own list.
            // slither-disable-next-line calls-loop -- a trusted view call, bounded (see the lines above)
            IDocumentRegistry.Verification memory v = documents.verify(
                d.documentHash,
                d.docType,
                id,
                d.root,
                d.issuer,
                d.proof
            );
            if (v.valid && (m.issuer == 0 || v.issuer == m.issuer)) missing &= ~bit;
        }
    }

    /// @dev The funded escrow of `terms`; a dispute the arbiter let lapse counts as funded again (it is recorded so,
    /// with {DisputeLapsed}).
    function _funded(Terms calldata terms) private returns (bytes32 id, State storage state) {
        id = escrowIdOf(terms);
        state = _states[id];
        if (state.status == Status.Disputed) {
            uint40 lapsesAt = state.disputedAt + ARBITRATION_PERIOD;
            // Intended: the arbiter's time is a period of days (drift is immaterial).
            if (block.timestamp > lapsesAt) {
                state.status = Status.Funded;
                emit DisputeLapsed(id, lapsesAt);
            }
        }
        Status status = state.status;
        if (status == Status.None) revert NonexistentEscrow(id);
        if (status != Status.Funded) revert InvalidStatus(id, status, Status.Funded);
    }

    /// @dev Reverts unless the caller is an active member's account: a revoked (leaked) or suspended key of the buyer
    /// or the arbiter may neither freeze nor split an escrow (an arbiter that cannot act lets the dispute lapse).
    function _checkActive() private view {
        // slither-disable-next-line unused-return -- called for its revert; the organisation is not needed
        participants.requireAnyRole(msg.sender, Roles.ALL);
    }

    function _state(Terms calldata terms, Status expected) private view returns (bytes32 id, State storage state) {
        id = escrowIdOf(terms);
        state = _states[id];
        Status status = state.status;
        if (status == Status.None) revert NonexistentEscrow(id);
        if (status != expected) revert InvalidStatus(id, status, expected);
    }

    function _checkTerms(Terms calldata t) private view {
        if (t.seller == address(0) || t.funder == address(0) || t.buyer == address(0) || t.arbiter == address(0)) {
            revert InvalidTerms("a party is the zero address");
        }
        if (address(t.token).code.length == 0) revert InvalidTerms("token is not a contract");
        if (t.amount == 0) revert InvalidTerms("amount is zero");
        // Intended: the deadline must lie in the future (drift is immaterial).
        if (t.deadline <= block.timestamp) revert InvalidTerms("deadline is not in the future");
        uint256 n = t.milestones.length;
        if (n == 0 || n > MAX_MILESTONES) revert InvalidTerms("1 to 8 milestones");
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) {
            Milestone calldata m = t.milestones[i];
            if (m.requiredDocs == 0 || m.requiredDocs & ~DocumentTypes.ALL != 0) {
                revert InvalidTerms("each milestone requires known document types");
            }
            total += m.bps;
        }
        if (total != 10_000) revert InvalidTerms("milestone shares add up to 10,000 bps");
    }
}

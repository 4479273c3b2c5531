// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IDvPSettlement} from "../interfaces/IDvPSettlement.sol";
import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITitleRegistry} from "../interfaces/ITitleRegistry.sol";
import {ITradeEscrow} from "../interfaces/ITradeEscrow.sol";
import {DocumentTypes} from "./libraries/DocumentTypes.sol";

/// @title DvPSettlement
/// @notice Delivery versus payment of an eBL: the title passes to the buyer exactly when the seller is paid, in one
/// transaction; before the deadline neither side can take both, after it each side gets its own back.
/// @dev The settlement holds the title (as its holder and beneficiary, taken over with the seller's approval) and
/// the payment (SafeERC20, with the received amount checked). Checks, effects (the state slot), then the title's
/// move and the token transfer, under `nonReentrant`. A title returns to the seller by the TitleRegistry's
/// `reject` of the take-over, which checks nothing of the seller then, so a seller suspended meanwhile still gets
/// it back. Trust: the TitleRegistry, DocumentRegistry and InvoiceRegistry fixed at deployment.
contract DvPSettlement is IDvPSettlement, ReentrancyGuard {
    using SafeERC20 for IERC20;

    IParticipantRegistry public immutable participants;
    IDocumentRegistry public immutable documents;
    IInvoiceRegistry public immutable invoices;
    ITitleRegistry public immutable titles;

    enum TitleLeg {
        Keep,
        Return,
        Gone
    }

    mapping(bytes32 settlementId => State) private _states;
    /// @dev The settlement each title in custody was delivered to: a title its carrier reassigned away and then
    /// delivered into another settlement belongs to that one only.
    mapping(uint256 titleId => bytes32 settlementId) private _custodyOf;

    /// @param participantRegistry The consortium's membership.
    /// @param documentRegistry Where the documentary conditions are anchored.
    /// @param invoiceRegistry Where a financed settlement's invoice is registered.
    /// @param titleRegistry The eBLs.
    constructor(
        IParticipantRegistry participantRegistry,
        IDocumentRegistry documentRegistry,
        IInvoiceRegistry invoiceRegistry,
        ITitleRegistry titleRegistry
    ) {
        participants = participantRegistry;
        documents = documentRegistry;
        invoices = invoiceRegistry;
        titles = titleRegistry;
    }

    /// @inheritdoc IDvPSettlement
    function open(Terms calldata terms) external returns (bytes32 settlementId) {
        settlementId = settlementIdOf(terms);
        if (msg.sender != terms.buyer && msg.sender != terms.funder) {
            revert ITradeEscrow.UnauthorizedParty(settlementId, msg.sender, "buyer or funder");
        }
        _requireParty(settlementId);
        _checkTerms(terms);
        if (!titles.isParty(terms.buyer))
            revert ITradeEscrow.InvalidTerms("the buyer is no active member's account or contract");
        if (_states[settlementId].status != Status.None) revert SettlementExists(settlementId);
        _states[settlementId] = State(Status.Open, false, false);
        emit SettlementOpened(
            settlementId,
            terms.seller,
            terms.buyer,
            terms.titleId,
            address(terms.token),
            terms.amount,
            terms.deadline,
            abi.encode(terms)
        );
    }

    /// @inheritdoc IDvPSettlement
    function fund(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _beforeDeadline(terms);
        if (msg.sender != terms.funder) revert ITradeEscrow.UnauthorizedParty(id, msg.sender, "funder");
        _requireParty(id);
        if (state.funded) revert AlreadyFunded(id);
        // The funder pays against an invoice it already registered in whole, so nobody can register it first and
        // block the settlement once the terms are public.
        if (terms.invoice != 0) _checkInvoice(id, terms);
        state.funded = true;
        emit PaymentDeposited(id, msg.sender, terms.amount);
        uint256 before = terms.token.balanceOf(address(this));
        terms.token.safeTransferFrom(msg.sender, address(this), terms.amount);
        uint256 received = terms.token.balanceOf(address(this)) - before;
        if (received != terms.amount)
            revert ITradeEscrow.UnsupportedToken(address(terms.token), terms.amount, received);
    }

    /// @inheritdoc IDvPSettlement
    function deliver(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _beforeDeadline(terms);
        if (msg.sender != terms.seller) revert ITradeEscrow.UnauthorizedParty(id, msg.sender, "seller");
        _requireParty(id);
        if (state.delivered) revert AlreadyDelivered(id);
        state.delivered = true;
        _custodyOf[terms.titleId] = id;
        emit TitleDeposited(id, msg.sender, terms.titleId);
        // The registry checks that the seller is the title's holder and beneficiary and approved this contract.
        titles.takeOver(terms.titleId, msg.sender);
    }

    /// @inheritdoc IDvPSettlement
    function settle(Terms calldata terms, ITradeEscrow.DocumentProof[] calldata proofs) external nonReentrant {
        (bytes32 id, State storage state) = _beforeDeadline(terms);
        if (msg.sender != terms.seller && msg.sender != terms.buyer && msg.sender != terms.funder) {
            revert ITradeEscrow.UnauthorizedParty(id, msg.sender, "seller, buyer or funder");
        }
        _requireParty(id);
        if (!state.funded) revert NotFunded(id);
        // Delivered, and the title still this settlement's (not reassigned away by its carrier, nor since delivered
        // into another settlement).
        if (!state.delivered || _custodyOf[terms.titleId] != id) revert NotDelivered(id);
        // A seller's key revoked (leaked) since it delivered is not paid: after the deadline each side takes its
        // own back, and the carrier recovers the title on a court order ({ITitleRegistry-reassign}).
        if (!titles.isParty(terms.seller)) revert ITradeEscrow.UnauthorizedParty(id, terms.seller, "active seller");
        uint16 missing = _missing(id, terms, proofs);
        if (missing != 0) revert ConditionsNotMet(id, missing);
        if (terms.invoice != 0) _checkInvoice(id, terms);
        state.status = Status.Settled;
        state.funded = false;
        state.delivered = false;
        delete _custodyOf[terms.titleId];
        emit Settled(id, terms.seller, terms.buyer, terms.amount);
        // Both or neither: a title the issuer froze meanwhile (or a buyer no longer a party) reverts the payment too.
        titles.transferOwners(terms.titleId, terms.buyer, terms.buyer, bytes32(0));
        terms.token.safeTransfer(terms.seller, terms.amount);
    }

    /// @inheritdoc IDvPSettlement
    function refund(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _afterDeadline(terms);
        bool payment = state.funded;
        TitleLeg leg = _titleLeg(terms, state);
        if (!payment && leg == TitleLeg.Keep) revert NothingToRefund(id);
        if (payment) state.funded = false;
        if (leg != TitleLeg.Keep) _release(terms, state, id);
        if (!state.funded && !state.delivered) state.status = Status.Closed;
        if (payment) emit PaymentRefunded(id, terms.funder, terms.amount);
        if (leg == TitleLeg.Gone) emit TitleLeftSettlement(id, terms.titleId);
        if (leg == TitleLeg.Return) _returnTitle(id, terms);
        if (payment) terms.token.safeTransfer(terms.funder, terms.amount);
    }

    /// @inheritdoc IDvPSettlement
    function returnTitle(Terms calldata terms) external nonReentrant {
        (bytes32 id, State storage state) = _afterDeadline(terms);
        if (!state.delivered) revert NotDelivered(id);
        TitleLeg leg = _titleLeg(terms, state);
        // A frozen title stays until its carrier unfreezes it.
        if (leg == TitleLeg.Keep) revert ITitleRegistry.TitleFrozen(terms.titleId);
        _release(terms, state, id);
        if (!state.funded) state.status = Status.Closed;
        if (leg == TitleLeg.Gone) emit TitleLeftSettlement(id, terms.titleId);
        else _returnTitle(id, terms);
    }

    /// @dev Gives the title back to the seller by rejecting the take-over; if the registry refuses (the title was
    /// reassigned away by its carrier and came back here otherwise), it has left the settlement: the other leg of a
    /// refund is never held up by it.
    function _returnTitle(bytes32 id, Terms calldata terms) private {
        try titles.reject(terms.titleId, terms.seller, terms.seller, bytes32(0)) {
            emit TitleReturned(id, terms.seller, terms.titleId);
        } catch {
            emit TitleLeftSettlement(id, terms.titleId);
        }
    }

    /// @inheritdoc IDvPSettlement
    function missingDocuments(
        Terms calldata terms,
        ITradeEscrow.DocumentProof[] calldata proofs
    ) external view returns (uint16) {
        return _missing(settlementIdOf(terms), terms, proofs);
    }

    /// @inheritdoc IDvPSettlement
    function settlementIdOf(Terms calldata terms) public pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @inheritdoc IDvPSettlement
    function getState(bytes32 settlementId) external view returns (State memory) {
        return _states[settlementId];
    }

    /// @dev The required document types of `terms` not proven by `proofs` naming settlement `id` (bounded: the
    /// {DocumentTypes}, and the caller's list).
    function _missing(
        bytes32 id,
        Terms calldata terms,
        ITradeEscrow.DocumentProof[] calldata proofs
    ) private view returns (uint16 missing) {
        missing = terms.requiredDocs;
        for (uint256 i = 0; i < proofs.length && missing != 0; ++i) {
            ITradeEscrow.DocumentProof calldata d = proofs[i];
            uint16 bit = uint16(1) << d.docType;
            if (d.docType > DocumentTypes.MAX || missing & bit == 0) continue;
            // A view call to the document registry fixed at deployment, which returns and does not revert for a bad
            // proof; each call needs a still-missing type, and the caller pays for its own list.
            // slither-disable-next-line calls-loop -- a trusted view call, bounded (see the lines above)
            IDocumentRegistry.Verification memory v = documents.verify(
                d.documentHash,
                d.docType,
                id,
                d.root,
                d.issuer,
                d.proof
            );
            if (v.valid && (terms.docIssuer == 0 || v.issuer == terms.docIssuer)) missing &= ~bit;
        }
    }

    /// @dev Reverts unless the whole invoice (10,000 bps) is financed by the funder's organisation alone: nobody else
    /// financed any share of it, nobody can finance one later, and the bank that pays here is the one that
    /// registered it.
    function _checkInvoice(bytes32 id, Terms calldata terms) private view {
        IInvoiceRegistry.Invoice memory inv = invoices.check(terms.invoice);
        // slither-disable-next-line unused-return -- the manager flag is not needed
        (uint32 funderOrg, ) = participants.organisationOf(terms.funder);
        if (
            inv.status != IInvoiceRegistry.Status.Financed ||
            funderOrg == 0 ||
            inv.firstOrg != funderOrg ||
            inv.firstBps != 10_000 ||
            inv.totalBps != 10_000
        ) revert InvoiceNotFinanced(id, terms.invoice);
    }

    /// @dev The open settlement of `terms`, after its deadline, for a party of its terms.
    function _afterDeadline(Terms calldata terms) private view returns (bytes32 id, State storage state) {
        (id, state) = _state(terms);
        if (state.status != Status.Open) revert SettlementNotOpen(id, state.status);
        if (msg.sender != terms.seller && msg.sender != terms.buyer && msg.sender != terms.funder) {
            revert ITradeEscrow.UnauthorizedParty(id, msg.sender, "seller, buyer or funder");
        }
        // Intended: the deadline is a date of the terms; a validator's few seconds of drift are immaterial.
        if (block.timestamp <= terms.deadline) revert ITradeEscrow.DeadlineNotPassed(id, terms.deadline);
    }

    /// @dev What the title's leg of a refund does: `Return` it (held here for this settlement, not frozen), `Keep`
    /// it (frozen, until its carrier unfreezes it; or never put in), or nothing, as it is `Gone` (its carrier
    /// reassigned it away on a court order, whether or not it was delivered into another settlement since).
    function _titleLeg(Terms calldata terms, State storage state) private view returns (TitleLeg) {
        if (!state.delivered) return TitleLeg.Keep;
        bytes32 id = settlementIdOf(terms);
        if (_custodyOf[terms.titleId] != id) return TitleLeg.Gone;
        ITitleRegistry.Title memory t = titles.getTitle(terms.titleId);
        if (t.holder != address(this)) return TitleLeg.Gone;
        return t.frozen ? TitleLeg.Keep : TitleLeg.Return;
    }

    /// @dev The settlement no longer holds its title (returned, or gone).
    function _release(Terms calldata terms, State storage state, bytes32 id) private {
        state.delivered = false;
        if (_custodyOf[terms.titleId] == id) delete _custodyOf[terms.titleId];
    }

    /// @dev The open settlement of `terms`, before its deadline.
    function _beforeDeadline(Terms calldata terms) private view returns (bytes32 id, State storage state) {
        (id, state) = _state(terms);
        if (state.status != Status.Open) revert SettlementNotOpen(id, state.status);
        // Intended: the deadline is a date of the terms (drift is immaterial).
        if (block.timestamp > terms.deadline) revert DeadlinePassed(id, terms.deadline);
    }

    function _state(Terms calldata terms) private view returns (bytes32 id, State storage state) {
        id = settlementIdOf(terms);
        state = _states[id];
        if (state.status == Status.None) revert NonexistentSettlement(id);
    }

    /// @dev Reverts unless the caller is an active member's account or a contract (a revoked key cannot act).
    function _requireParty(bytes32 id) private view {
        if (!titles.isParty(msg.sender)) revert ITradeEscrow.UnauthorizedParty(id, msg.sender, "active member");
    }

    function _checkTerms(Terms calldata t) private view {
        if (t.seller == address(0) || t.buyer == address(0) || t.funder == address(0)) {
            revert ITradeEscrow.InvalidTerms("a party is the zero address");
        }
        if (t.seller == t.buyer) revert ITradeEscrow.InvalidTerms("the seller is the buyer");
        address self = address(this);
        address registry = address(titles);
        if (t.seller == self || t.buyer == self || t.funder == self || t.seller == registry || t.buyer == registry) {
            revert ITradeEscrow.InvalidTerms("a party is this contract or the title registry");
        }
        if (address(t.token).code.length == 0) revert ITradeEscrow.InvalidTerms("token is not a contract");
        if (t.amount == 0) revert ITradeEscrow.InvalidTerms("amount is zero");
        // Intended: the deadline must lie in the future (drift is immaterial).
        if (t.deadline <= block.timestamp) revert ITradeEscrow.InvalidTerms("deadline is not in the future");
        if (t.requiredDocs & ~DocumentTypes.ALL != 0)
            revert ITradeEscrow.InvalidTerms("required documents of known types");
        if (titles.getTitle(t.titleId).status != ITitleRegistry.Status.Issued) {
            revert ITradeEscrow.InvalidTerms("the title is not issued");
        }
    }
}

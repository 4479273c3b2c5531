// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ITradeEscrow} from "./ITradeEscrow.sol";

/// @title IDvPSettlement
/// @notice Delivery versus payment of an electronic bill of lading: the seller puts the title in, the buyer (or its
/// bank) the payment; one call pays the seller and makes the buyer holder and beneficiary, or, after the deadline,
/// each side takes its own back. Never payment without title, never title without payment.
/// @dev Errors shared with the escrow's (the same meaning, declared once): {ITradeEscrow-InvalidTerms},
/// {ITradeEscrow-UnauthorizedParty}, {ITradeEscrow-DeadlineNotPassed}, {ITradeEscrow-UnsupportedToken}; the id they
/// carry is the settlement's.
interface IDvPSettlement {
    enum Status {
        None,
        Open,
        Settled,
        Closed // refunded after the deadline: nothing left in
    }

    /// @notice The terms of a settlement; its id is the hash of their ABI encoding ({settlementIdOf}).
    struct Terms {
        address seller; // puts the title in (its holder and beneficiary), is paid
        address buyer; // becomes holder and beneficiary
        address funder; // pays in and gets a refund: the buyer or its bank
        IERC20 token;
        uint96 amount;
        uint40 deadline; // settle until then; after it each side takes its own back
        uint256 titleId; // the eBL in the TitleRegistry
        uint16 requiredDocs; // document types (DocumentTypes bits) to prove, naming the settlement id; 0: none
        uint32 docIssuer; // the organisation that must issue them; 0: any holder of the role
        bytes32 invoice; // the invoice's fingerprint when the settlement is financed: financed in whole (10,000
        // bps), once, by the funder's organisation alone in the InvoiceRegistry; 0: not financed
        bytes32 salt; // tells apart settlements with otherwise equal terms
    }

    struct State {
        Status status;
        bool funded; // the payment is in
        bool delivered; // the title is in
    }

    error NonexistentSettlement(bytes32 settlementId);
    error SettlementExists(bytes32 settlementId);
    /// @dev The settlement is not open (settled or closed).
    error SettlementNotOpen(bytes32 settlementId, Status status);
    error AlreadyFunded(bytes32 settlementId);
    error AlreadyDelivered(bytes32 settlementId);
    error NotFunded(bytes32 settlementId);
    error NotDelivered(bytes32 settlementId);
    error DeadlinePassed(bytes32 settlementId, uint40 deadline);
    error ConditionsNotMet(bytes32 settlementId, uint16 missingDocs);
    /// @dev The invoice is not financed in whole by the funder's organisation alone (or not at all, or settled).
    error InvoiceNotFinanced(bytes32 settlementId, bytes32 invoice);
    /// @dev After the deadline: nothing is left in, or only a title its issuer froze.
    error NothingToRefund(bytes32 settlementId);

    event SettlementOpened(
        bytes32 indexed settlementId,
        address indexed seller,
        address indexed buyer,
        uint256 titleId,
        address token,
        uint96 amount,
        uint40 deadline,
        bytes terms
    );
    event PaymentDeposited(bytes32 indexed settlementId, address indexed funder, uint96 amount);
    event TitleDeposited(bytes32 indexed settlementId, address indexed seller, uint256 indexed titleId);
    event Settled(bytes32 indexed settlementId, address indexed seller, address indexed buyer, uint96 amount);
    event PaymentRefunded(bytes32 indexed settlementId, address indexed funder, uint96 amount);
    event TitleReturned(bytes32 indexed settlementId, address indexed seller, uint256 indexed titleId);
    /// @dev The title left the settlement otherwise (its carrier reassigned it on a court order): nothing to return.
    event TitleLeftSettlement(bytes32 indexed settlementId, uint256 indexed titleId);

    /// @notice Opens a settlement (by the buyer or the funder, an active member).
    /// @dev Emits {SettlementOpened}.
    function open(Terms calldata terms) external returns (bytes32 settlementId);

    /// @notice The funder pays the amount in (before the deadline); a financed settlement's invoice must already be
    /// registered in whole by the funder's organisation. Emits {PaymentDeposited}.
    function fund(Terms calldata terms) external;

    /// @notice The seller, holder and beneficiary of the title, puts it in (before the deadline): the settlement
    /// takes it over, so it must be approved first ({IERC721-approve} on the TitleRegistry).
    /// Emits {TitleDeposited}.
    function deliver(Terms calldata terms) external;

    /// @notice Once both are in and the documents (and the invoice) hold, until the deadline: pays the seller and
    /// makes the buyer holder and beneficiary, in this one call (by a party of the terms; the seller must still be an
    /// active member's account or a contract). Emits {Settled}.
    function settle(Terms calldata terms, ITradeEscrow.DocumentProof[] calldata proofs) external;

    /// @notice After the deadline: the payment back to the funder and the title back to the seller, whichever is
    /// in (a title its issuer froze stays until it is unfrozen; one its carrier reassigned away is no longer here).
    /// Emits {PaymentRefunded} and/or {TitleReturned} (or {TitleLeftSettlement}).
    function refund(Terms calldata terms) external;

    /// @notice After the deadline: the title alone back to the seller (a party of the terms), for when the payment's
    /// leg of {refund} cannot go through (a token that blocks the funder). Emits {TitleReturned}.
    function returnTitle(Terms calldata terms) external;

    /// @notice The document types of the terms still missing with `proofs`.
    function missingDocuments(
        Terms calldata terms,
        ITradeEscrow.DocumentProof[] calldata proofs
    ) external view returns (uint16);

    function settlementIdOf(Terms calldata terms) external pure returns (bytes32);

    function getState(bytes32 settlementId) external view returns (State memory);
}

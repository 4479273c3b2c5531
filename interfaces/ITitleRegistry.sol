// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ITitleRegistry
/// @notice Electronic bills of lading as transferable titles (DCSA eBL 3.0, MLETR): one holder at a time, endorsement
/// to a named party, surrender to the carrier for delivery or amendment. Read as ERC-721 by wallets and explorers
/// (the holder is the owner: ERC-721's `Transfer` is the holder's history; its `approve` lets a settlement contract
/// take a title over, see {takeOver}).
interface ITitleRegistry {
    /// @notice The DCSA statuses of a title (`transportDocumentStatus` of eBL 3.0, from issuance on).
    enum Status {
        None,
        Issued,
        PendingSurrenderForDelivery,
        PendingSurrenderForAmendment,
        SurrenderedForDelivery,
        SurrenderedForAmendment,
        Voided
    }

    /// @notice An eBL. The holder possesses it (and may act); the beneficiary is the endorsee, entitled to the goods.
    struct Title {
        address holder; // zero once surrendered or void
        Status status;
        bool frozen; // by the issuer, on a court order
        uint8 undo; // what the last transfer moved while it can be rejected: 1 holder, 2 beneficiary, 3 both
        uint32 issuer; // the carrier organisation
        uint32 pledgee; // the organisation holding a pledge over it (0: none)
        address beneficiary;
        address nominee; // the beneficiary's nominee for endorsement (0: none)
        address approved; // may take holder and beneficiary over, once (a settlement contract)
    }

    /// @notice What a carrier issues: the hash of the transport document (canonical JSON of DCSA 3.0's
    /// `TransportDocument`), proven anchored by the carrier as a bill of lading, and the first holder and beneficiary.
    struct Issuance {
        bytes32 documentHash;
        bytes32 tradeId; // the trade its leaf names (see {IDocumentRegistry-leafOf})
        bytes32 root; // the carrier's batch in the DocumentRegistry
        bytes32[] proof;
        address holder;
        address beneficiary;
    }

    /// @dev The caller is no active account with the carrier role.
    error UnauthorizedIssuer(address caller);
    /// @dev The transport document is not anchored, valid, as a bill of lading by the caller's organisation.
    error UnprovenDocument(bytes32 documentHash, uint32 issuer);
    error TitleAlreadyIssued(uint256 titleId);
    error NonexistentTitle(uint256 titleId);
    /// @dev The caller is not the party this action needs (`role`: "holder", "beneficiary", "issuer", ...).
    error UnauthorizedParty(uint256 titleId, address caller, string role);
    /// @dev `party` is neither an active member's account nor a contract (an EIP-7702-delegated account is no
    /// contract here).
    error InvalidParty(address party);
    error InvalidStatus(uint256 titleId, Status status);
    error TitleFrozen(uint256 titleId);
    error TitlePledged(uint256 titleId, uint32 pledgee);
    error NotPledged(uint256 titleId);
    error NotFrozen(uint256 titleId);
    /// @dev The holder is not the beneficiary and the new beneficiary is not the beneficiary's nominee.
    error NotNominated(uint256 titleId, address beneficiary);
    /// @dev Nothing can be rejected: no transfer since the last action, or the previous parties given are wrong.
    error NothingToReject(uint256 titleId);
    /// @dev The pledgee organisation does not exist, is suspended, or has no financier role.
    error InvalidPledgee(uint32 pledgee);
    /// @dev ERC-721 balances, approvals for all and transfers are not kept: a title moves by its own functions.
    error UnsupportedOperation();

    event TitleIssued(
        uint256 indexed titleId,
        uint32 indexed issuer,
        bytes32 documentHash,
        address holder,
        address beneficiary
    );
    /// @dev The beneficiary changed; the nomination, if any, is cleared with it.
    event BeneficiaryTransferred(uint256 indexed titleId, address indexed from, address indexed to);
    event BeneficiaryNominated(uint256 indexed titleId, address indexed beneficiary, address indexed nominee);
    event TransferRejected(uint256 indexed titleId, address indexed by, uint8 what);
    /// @dev The hash of a remark on the action of the same transaction (the text is kept off chain).
    event Remarked(uint256 indexed titleId, address indexed by, bytes32 remarkHash);
    event SurrenderRequested(uint256 indexed titleId, address indexed holder, bool forAmendment);
    event SurrenderAccepted(uint256 indexed titleId, address indexed by, bool forAmendment);
    event SurrenderRejected(uint256 indexed titleId, address indexed by);
    event TitlePledgedTo(uint256 indexed titleId, uint32 indexed pledgee);
    event PledgeReleased(uint256 indexed titleId, uint32 indexed pledgee);
    event TitleFreezeChanged(uint256 indexed titleId, bool frozen, bytes32 courtOrderHash);
    event TitleVoided(uint256 indexed titleId, address indexed by);
    event TitleReassigned(uint256 indexed titleId, address indexed by, bytes32 courtOrderHash);

    /// @notice Issues the eBL of a transport document to its first holder and beneficiary.
    /// @dev The caller is an active carrier account; the document is anchored by its organisation as a bill of
    /// lading (valid, not revoked); both parties are active members' accounts or contracts. The id is
    /// {titleIdOf}(the caller's organisation, `documentHash`): one title per transport document and carrier.
    /// Emits {TitleIssued} and {Transfer}.
    function issue(Issuance calldata issuance) external returns (uint256 titleId);

    /// @notice The beneficiary nominates the next beneficiary (zero withdraws the nomination).
    /// @dev The caller is the beneficiary, active. Emits {BeneficiaryNominated}.
    function nominate(uint256 titleId, address nominee, bytes32 remarkHash) external;

    /// @notice The holder passes possession to `to`.
    /// @dev The caller is the holder, active; the title is issued, not frozen, not pledged. Emits {Transfer}.
    function transferHolder(uint256 titleId, address to, bytes32 remarkHash) external;

    /// @notice The holder endorses the title to `to`: the beneficiary's nominee, or anyone if the holder is the
    /// beneficiary. Emits {BeneficiaryTransferred}.
    function transferBeneficiary(uint256 titleId, address to, bytes32 remarkHash) external;

    /// @notice Both at once: possession to `holderTo`, endorsement to `beneficiaryTo` (the rule of
    /// {transferBeneficiary}). Emits {Transfer} and {BeneficiaryTransferred}.
    function transferOwners(uint256 titleId, address holderTo, address beneficiaryTo, bytes32 remarkHash) external;

    /// @notice The party that received the last transfer rejects it, as its next action: the title goes back to
    /// `previousHolder` and `previousBeneficiary` (the parties before that transfer, from the events). A transfer
    /// made by a contract (a settlement handing the title to its buyer) is final and cannot be rejected.
    /// @dev Emits {TransferRejected} and the events of the parties restored.
    function reject(uint256 titleId, address previousHolder, address previousBeneficiary, bytes32 remarkHash) external;

    /// @notice The approved operator takes holder and beneficiary over from `from`, its holder and beneficiary.
    /// @dev The transfer can be rejected by the operator (which returns it to `from`). Emits {Transfer} and
    /// {BeneficiaryTransferred}.
    function takeOver(uint256 titleId, address from) external;

    /// @notice The holder, who is also the beneficiary, surrenders the title to the carrier for delivery of the
    /// goods or for an amendment. Emits {SurrenderRequested}.
    function surrender(uint256 titleId, bool forAmendment, bytes32 remarkHash) external;

    /// @notice The issuing carrier accepts a surrender: the title is void from then on. Emits {SurrenderAccepted}
    /// and {Transfer} to zero.
    function acceptSurrender(uint256 titleId, bytes32 remarkHash) external;

    /// @notice The issuing carrier rejects a surrender: the title is issued again to the same holder.
    /// Emits {SurrenderRejected}.
    function rejectSurrender(uint256 titleId, bytes32 remarkHash) external;

    /// @notice The holder pledges the title to a financier organisation: it cannot move or be surrendered until the
    /// pledgee releases it. Emits {TitlePledgedTo}.
    function pledge(uint256 titleId, uint32 pledgee) external;

    /// @notice The pledgee releases its pledge. Emits {PledgeReleased}.
    function releasePledge(uint256 titleId) external;

    /// @notice The issuing carrier freezes or unfreezes a title on a court order (its hash). While frozen, nothing
    /// moves. Emits {TitleFreezeChanged}.
    function setFrozen(uint256 titleId, bool frozen, bytes32 courtOrderHash) external;

    /// @notice On a court order, the issuing carrier gives a frozen title to the holder and beneficiary the order
    /// names: the recovery of a title whose holder lost its key (revoked or rotated away, so it can never act
    /// again) or whose pledgee can no longer release it. Clears the pledge, the nomination, the approval; the title
    /// stays frozen until the carrier unfreezes it. Emits {TitleReassigned}, ERC-721's `Transfer` and
    /// {BeneficiaryTransferred}.
    function reassign(uint256 titleId, address holder, address beneficiary, bytes32 courtOrderHash) external;

    /// @notice The issuing carrier voids a title it holds and is the beneficiary of (issued by mistake, or
    /// returned). Emits {TitleVoided} and {Transfer} to zero.
    function voidTitle(uint256 titleId, bytes32 remarkHash) external;

    /// @notice The title `titleId`.
    function getTitle(uint256 titleId) external view returns (Title memory);

    /// @notice The id of the title of `documentHash` issued by carrier organisation `issuer`.
    function titleIdOf(uint32 issuer, bytes32 documentHash) external pure returns (uint256);

    /// @notice Whether `party` may hold, be endorsed or nominated: an active member's account or a contract.
    function isParty(address party) external view returns (bool);
}

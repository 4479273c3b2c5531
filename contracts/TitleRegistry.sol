// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IDocumentRegistry} from "../interfaces/IDocumentRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ITitleRegistry} from "../interfaces/ITitleRegistry.sol";
import {DocumentTypes} from "./libraries/DocumentTypes.sol";
import {Roles} from "./libraries/Roles.sol";
import {TitleSlot, TitleSlotLibrary} from "./libraries/TitleSlot.sol";

/// @title TitleRegistry
/// @notice Electronic bills of lading as titles: a carrier issues one per anchored transport document; the holder
/// possesses it and the beneficiary (endorsee) is entitled to the goods; it is surrendered to the carrier for
/// delivery. Semantics of TradeTrust's TitleEscrow (nominate, endorse, transfer holder, both, reject as the next
/// action, return to the issuer) with DCSA's statuses, pledges, court-order freezes and hashed remarks.
/// @dev Gas: a title is two words (a {TitleSlot} and the beneficiary with the rejection tag), plus a nominee or an
/// approved operator only when there is one; there is no title escrow contract per eBL. ERC-721 is implemented
/// for reading (owner = holder, `Transfer` events, metadata); balances are not kept (they would double the cost of a
/// transfer), so {balanceOf}, approvals for all and ERC-721 transfers revert with {UnsupportedOperation}.
/// Trust: carriers are organisations with the carrier role in the {IParticipantRegistry}; only the issuing carrier
/// accepts a surrender, freezes, or voids. Every party that acts is an active member's account or a contract, so a
/// revoked (leaked) key or a suspended organisation cannot move a title; the admin has no power here.
contract TitleRegistry is ITitleRegistry, IERC721Metadata {
    uint8 private constant HOLDER = 1;
    uint8 private constant BENEFICIARY = 2;
    uint8 private constant BOTH = 3;

    IParticipantRegistry public immutable participants;
    IDocumentRegistry public immutable documents;

    struct Record {
        TitleSlot slot;
        uint256 beneficiaryAndTag; // bits 0-159 the beneficiary, 160-255 the rejection tag ({_tag})
        address nominee;
        address approved;
    }

    mapping(uint256 titleId => Record) private _titles;

    /// @param participantRegistry The consortium's membership.
    /// @param documentRegistry Where the carriers anchor their transport documents.
    constructor(IParticipantRegistry participantRegistry, IDocumentRegistry documentRegistry) {
        participants = participantRegistry;
        documents = documentRegistry;
    }

    // ------------------------------------------------------------------ issuance

    /// @inheritdoc ITitleRegistry
    function issue(Issuance calldata issuance) external returns (uint256 titleId) {
        (uint32 org, uint16 roles) = participants.activeRoles(msg.sender);
        if (roles & Roles.CARRIER == 0) revert UnauthorizedIssuer(msg.sender);
        titleId = titleIdOf(org, issuance.documentHash);
        if (TitleSlot.unwrap(_titles[titleId].slot) != 0) revert TitleAlreadyIssued(titleId);
        IDocumentRegistry.Verification memory v = documents.verify(
            issuance.documentHash,
            DocumentTypes.BILL_OF_LADING,
            issuance.tradeId,
            issuance.root,
            org,
            issuance.proof
        );
        if (!v.valid) revert UnprovenDocument(issuance.documentHash, org);
        _requireParty(issuance.holder);
        if (issuance.beneficiary != issuance.holder) _requireParty(issuance.beneficiary);
        Record storage r = _titles[titleId];
        r.slot = TitleSlotLibrary.create(issuance.holder, org);
        r.beneficiaryAndTag = uint160(issuance.beneficiary);
        emit TitleIssued(titleId, org, issuance.documentHash, issuance.holder, issuance.beneficiary);
        emit Transfer(address(0), issuance.holder, titleId);
    }

    // ------------------------------------------------------------------ the holder and the beneficiary

    /// @inheritdoc ITitleRegistry
    function nominate(uint256 titleId, address nominee, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _movable(titleId, r.slot);
        uint256 word = r.beneficiaryAndTag;
        if (msg.sender != address(uint160(word))) revert UnauthorizedParty(titleId, msg.sender, "beneficiary");
        _requireParty(msg.sender);
        if (nominee != address(0)) _requireParty(nominee);
        if (slot.undo() & BENEFICIARY != 0) slot = slot.setUndo(0); // the beneficiary accepted its endorsement
        r.slot = slot.setFlag(TitleSlotLibrary.NOMINATED, nominee != address(0));
        r.nominee = nominee;
        emit BeneficiaryNominated(titleId, msg.sender, nominee);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function transferHolder(uint256 titleId, address to, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        _requireParty(to);
        address from = slot.holder();
        uint256 word = r.beneficiaryAndTag;
        address beneficiary = address(uint160(word));
        r.slot = _clearApproval(titleId, r, slot).setHolder(to).setUndo(_undoOf(slot, HOLDER)).setFlag(
            TitleSlotLibrary.CUSTODY,
            false
        );
        r.beneficiaryAndTag = uint160(beneficiary) | _tag(from, beneficiary);
        emit Transfer(from, to, titleId);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function transferBeneficiary(uint256 titleId, address to, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        address holder = slot.holder();
        address beneficiary;
        (slot, beneficiary) = _endorsable(titleId, r, slot, holder, to);
        r.slot = _clearApproval(titleId, r, slot).setUndo(_undoOf(slot, BENEFICIARY));
        r.beneficiaryAndTag = uint160(to) | _tag(holder, beneficiary);
        emit BeneficiaryTransferred(titleId, beneficiary, to);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function transferOwners(uint256 titleId, address holderTo, address beneficiaryTo, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        address holder = slot.holder();
        address beneficiary;
        (slot, beneficiary) = _endorsable(titleId, r, slot, holder, beneficiaryTo);
        if (holderTo != beneficiaryTo) _requireParty(holderTo);
        uint8 undo = _undoOf(slot, BOTH);
        slot = slot.setFlag(TitleSlotLibrary.CUSTODY, false);
        _moveBoth(titleId, r, slot, holder, beneficiary, holderTo, beneficiaryTo, undo);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function reject(uint256 titleId, address previousHolder, address previousBeneficiary, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _movable(titleId, r.slot);
        uint8 what = slot.undo();
        uint256 word = r.beneficiaryAndTag;
        address holder = slot.holder();
        address beneficiary = address(uint160(word));
        if (what == 0 || word >> 160 != _tag(previousHolder, previousBeneficiary) >> 160) {
            revert NothingToReject(titleId);
        }
        if ((what & HOLDER != 0 && msg.sender != holder) || (what & BENEFICIARY != 0 && msg.sender != beneficiary)) {
            revert UnauthorizedParty(titleId, msg.sender, what == BOTH ? "holder and beneficiary" : "recipient");
        }
        _requireParty(msg.sender);
        // The parties restored are those of before the transfer (each was a party then); nothing is checked of them
        // now, so a contract custodian can always return a title to whoever put it in.
        address newHolder = what & HOLDER != 0 ? previousHolder : holder;
        address newBeneficiary = what & BENEFICIARY != 0 ? previousBeneficiary : beneficiary;
        slot = _clearApproval(titleId, r, slot);
        if (what & BENEFICIARY != 0) slot = _clearNominee(r, slot);
        r.slot = slot.setHolder(newHolder).setUndo(0).setFlag(TitleSlotLibrary.CUSTODY, false);
        r.beneficiaryAndTag = uint160(newBeneficiary);
        emit TransferRejected(titleId, msg.sender, what);
        if (what & HOLDER != 0) emit Transfer(holder, newHolder, titleId);
        if (what & BENEFICIARY != 0) emit BeneficiaryTransferred(titleId, beneficiary, newBeneficiary);
        _remark(titleId, remarkHash);
    }

    /// @notice The holder, who is also the beneficiary, lets `operator` take the title over once, with
    /// {takeOver} (zero withdraws). Emits {IERC721-Approval}.
    function approve(address operator, uint256 titleId) external override(IERC721) {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        address holder = slot.holder();
        if (address(uint160(r.beneficiaryAndTag)) != holder) {
            revert UnauthorizedParty(titleId, msg.sender, "holder and beneficiary");
        }
        if (operator != address(0)) _requireParty(operator);
        r.slot = slot.setUndo(0).setFlag(TitleSlotLibrary.APPROVED, operator != address(0));
        r.approved = operator;
        emit Approval(holder, operator, titleId);
    }

    /// @inheritdoc ITitleRegistry
    function takeOver(uint256 titleId, address from) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _movable(titleId, r.slot);
        address holder = slot.holder();
        if (!slot.has(TitleSlotLibrary.APPROVED) || r.approved != msg.sender) {
            revert UnauthorizedParty(titleId, msg.sender, "approved operator");
        }
        if (holder != from || address(uint160(r.beneficiaryAndTag)) != from) {
            revert UnauthorizedParty(titleId, from, "holder and beneficiary");
        }
        _requireParty(msg.sender);
        slot = slot.setFlag(TitleSlotLibrary.CUSTODY, true); // its own transfers are final (see {_undoOf})
        _moveBoth(titleId, r, slot, from, from, msg.sender, msg.sender, BOTH);
    }

    // ------------------------------------------------------------------ surrender to the carrier

    /// @inheritdoc ITitleRegistry
    function surrender(uint256 titleId, bool forAmendment, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        if (address(uint160(r.beneficiaryAndTag)) != msg.sender) {
            revert UnauthorizedParty(titleId, msg.sender, "holder and beneficiary");
        }
        r.slot = _clearApproval(titleId, r, slot)
            .setStatus(forAmendment ? Status.PendingSurrenderForAmendment : Status.PendingSurrenderForDelivery)
            .setUndo(0);
        emit SurrenderRequested(titleId, msg.sender, forAmendment);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function acceptSurrender(uint256 titleId, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _unfrozenByIssuer(titleId, r.slot);
        Status status = slot.status();
        bool forAmendment = status == Status.PendingSurrenderForAmendment;
        if (!forAmendment && status != Status.PendingSurrenderForDelivery) revert InvalidStatus(titleId, status);
        address holder = slot.holder();
        r.slot = slot
            .setStatus(forAmendment ? Status.SurrenderedForAmendment : Status.SurrenderedForDelivery)
            .setHolder(address(0));
        emit SurrenderAccepted(titleId, msg.sender, forAmendment);
        emit Transfer(holder, address(0), titleId);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function rejectSurrender(uint256 titleId, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _unfrozenByIssuer(titleId, r.slot);
        Status status = slot.status();
        if (status != Status.PendingSurrenderForDelivery && status != Status.PendingSurrenderForAmendment) {
            revert InvalidStatus(titleId, status);
        }
        r.slot = slot.setStatus(Status.Issued);
        emit SurrenderRejected(titleId, msg.sender);
        _remark(titleId, remarkHash);
    }

    /// @inheritdoc ITitleRegistry
    function voidTitle(uint256 titleId, bytes32 remarkHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _unfrozenByIssuer(titleId, r.slot);
        if (slot.status() != Status.Issued) revert InvalidStatus(titleId, slot.status());
        if (slot.pledgee() != 0) revert TitlePledged(titleId, slot.pledgee());
        address holder = slot.holder();
        uint32 issuer = slot.issuer();
        if (!_isAccountOf(holder, issuer) || !_isAccountOf(address(uint160(r.beneficiaryAndTag)), issuer)) {
            revert UnauthorizedParty(titleId, holder, "issuer's own account as holder and beneficiary");
        }
        r.slot = _clearApproval(titleId, r, slot).setStatus(Status.Voided).setHolder(address(0)).setUndo(0);
        emit TitleVoided(titleId, msg.sender);
        emit Transfer(holder, address(0), titleId);
        _remark(titleId, remarkHash);
    }

    // ------------------------------------------------------------------ pledges and court orders

    /// @inheritdoc ITitleRegistry
    function pledge(uint256 titleId, uint32 pledgee) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byHolder(titleId, r.slot);
        if (!_isFinancier(pledgee)) revert InvalidPledgee(pledgee);
        r.slot = _clearApproval(titleId, r, slot).setPledgee(pledgee).setUndo(0);
        emit TitlePledgedTo(titleId, pledgee);
    }

    /// @inheritdoc ITitleRegistry
    function releasePledge(uint256 titleId) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = r.slot;
        if (TitleSlot.unwrap(slot) == 0) revert NonexistentTitle(titleId);
        uint32 pledgee = slot.pledgee();
        if (pledgee == 0) revert NotPledged(titleId);
        // slither-disable-next-line unused-return -- the roles are not needed, only the organisation
        (uint32 org, ) = participants.activeRoles(msg.sender);
        if (org != pledgee) revert UnauthorizedParty(titleId, msg.sender, "pledgee");
        r.slot = slot.setPledgee(0);
        emit PledgeReleased(titleId, pledgee);
    }

    /// @inheritdoc ITitleRegistry
    function setFrozen(uint256 titleId, bool frozen, bytes32 courtOrderHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byIssuer(titleId, r.slot);
        Status status = slot.status();
        // A surrendered or void title is final: there is nothing left to freeze.
        if (uint8(status) >= uint8(Status.SurrenderedForDelivery)) revert InvalidStatus(titleId, status);
        if (frozen == slot.frozen()) {
            if (frozen) revert TitleFrozen(titleId);
            revert NotFrozen(titleId);
        }
        r.slot = slot.setFrozen(frozen);
        emit TitleFreezeChanged(titleId, frozen, courtOrderHash);
    }

    /// @inheritdoc ITitleRegistry
    function reassign(uint256 titleId, address holder, address beneficiary, bytes32 courtOrderHash) external {
        Record storage r = _titles[titleId];
        TitleSlot slot = _byIssuer(titleId, r.slot);
        if (!slot.frozen()) revert NotFrozen(titleId);
        if (slot.status() != Status.Issued) revert InvalidStatus(titleId, slot.status());
        _requireParty(holder);
        if (beneficiary != holder) _requireParty(beneficiary);
        address from = slot.holder();
        address previous = address(uint160(r.beneficiaryAndTag));
        slot = _clearNominee(r, _clearApproval(titleId, r, slot));
        r.slot = slot.setHolder(holder).setUndo(0).setPledgee(0).setFlag(TitleSlotLibrary.CUSTODY, false);
        r.beneficiaryAndTag = uint160(beneficiary);
        emit TitleReassigned(titleId, msg.sender, courtOrderHash);
        emit Transfer(from, holder, titleId);
        emit BeneficiaryTransferred(titleId, previous, beneficiary);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITitleRegistry
    function getTitle(uint256 titleId) external view returns (Title memory title) {
        Record storage r = _titles[titleId];
        TitleSlot slot = r.slot;
        if (TitleSlot.unwrap(slot) == 0) return title;
        title = Title({
            holder: slot.holder(),
            status: slot.status(),
            frozen: slot.frozen(),
            undo: slot.undo(),
            issuer: slot.issuer(),
            pledgee: slot.pledgee(),
            beneficiary: address(uint160(r.beneficiaryAndTag)),
            nominee: slot.has(TitleSlotLibrary.NOMINATED) ? r.nominee : address(0),
            approved: slot.has(TitleSlotLibrary.APPROVED) ? r.approved : address(0)
        });
    }

    /// @inheritdoc ITitleRegistry
    function titleIdOf(uint32 issuer, bytes32 documentHash) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(issuer, documentHash)));
    }

    /// @inheritdoc ITitleRegistry
    function isParty(address party) external view returns (bool) {
        return _isParty(party);
    }

    // ------------------------------------------------------------------ ERC-721, for reading

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return "tradechain electronic bill of lading";
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return "TCEBL";
    }

    /// @inheritdoc IERC721Metadata
    /// @dev `tradechain:ebl:<id in hex>`: the portal and `tradechain ebl status` resolve it.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        if (TitleSlot.unwrap(_titles[tokenId].slot) == 0) revert NonexistentTitle(tokenId);
        return string.concat("tradechain:ebl:", Strings.toHexString(tokenId, 32));
    }

    /// @inheritdoc IERC721
    /// @dev The holder; reverts for a title never issued, surrendered or void.
    function ownerOf(uint256 tokenId) external view returns (address holder) {
        holder = _titles[tokenId].slot.holder();
        if (holder == address(0)) revert NonexistentTitle(tokenId);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        Record storage r = _titles[tokenId];
        return r.slot.has(TitleSlotLibrary.APPROVED) ? r.approved : address(0);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == type(IERC721).interfaceId ||
            interfaceId == type(IERC721Metadata).interfaceId ||
            interfaceId == type(IERC165).interfaceId;
    }

    /// @dev Not kept (see the contract's notes).
    function balanceOf(address) external pure returns (uint256) {
        revert UnsupportedOperation();
    }

    /// @dev A title moves by {transferHolder}, {transferBeneficiary}, {transferOwners} or {takeOver}.
    function setApprovalForAll(address, bool) external pure {
        revert UnsupportedOperation();
    }

    /// @dev As {setApprovalForAll}.
    function transferFrom(address, address, uint256) external pure {
        revert UnsupportedOperation();
    }

    /// @dev As {setApprovalForAll}.
    function safeTransferFrom(address, address, uint256) external pure {
        revert UnsupportedOperation();
    }

    /// @dev As {setApprovalForAll}.
    function safeTransferFrom(address, address, uint256, bytes calldata) external pure {
        revert UnsupportedOperation();
    }

    // ------------------------------------------------------------------ internal

    /// @dev Moves holder and beneficiary at once; `undo`: what the recipient may reject (both, or nothing); the
    /// custody flag is the caller's, set on `slot`.
    function _moveBoth(
        uint256 titleId,
        Record storage r,
        TitleSlot slot,
        address holder,
        address beneficiary,
        address holderTo,
        address beneficiaryTo,
        uint8 undo
    ) private {
        slot = _clearNominee(r, _clearApproval(titleId, r, slot));
        r.slot = slot.setHolder(holderTo).setUndo(undo);
        r.beneficiaryAndTag = uint160(beneficiaryTo) | _tag(holder, beneficiary);
        emit Transfer(holder, holderTo, titleId);
        emit BeneficiaryTransferred(titleId, beneficiary, beneficiaryTo);
    }

    /// @dev The beneficiary, if the holder may endorse the title to `to`: the holder is the beneficiary, or `to` is
    /// the beneficiary's nominee. Clears the nomination.
    function _endorsable(
        uint256 titleId,
        Record storage r,
        TitleSlot slot,
        address holder,
        address to
    ) private returns (TitleSlot, address beneficiary) {
        beneficiary = address(uint160(r.beneficiaryAndTag));
        if (holder != beneficiary && (!slot.has(TitleSlotLibrary.NOMINATED) || to != r.nominee)) {
            revert NotNominated(titleId, beneficiary);
        }
        _requireParty(to);
        return (_clearNominee(r, slot), beneficiary);
    }

    /// @dev The title's slot if the caller is its holder, an active party, and the title may move (issued, not
    /// frozen, not pledged).
    function _byHolder(uint256 titleId, TitleSlot slot) private view returns (TitleSlot) {
        _movable(titleId, slot);
        if (msg.sender != slot.holder()) revert UnauthorizedParty(titleId, msg.sender, "holder");
        if (slot.pledgee() != 0) revert TitlePledged(titleId, slot.pledgee());
        _requireParty(msg.sender);
        return slot;
    }

    /// @dev The title's slot if it is issued and not frozen.
    function _movable(uint256 titleId, TitleSlot slot) private pure returns (TitleSlot) {
        if (TitleSlot.unwrap(slot) == 0) revert NonexistentTitle(titleId);
        if (slot.status() != Status.Issued) revert InvalidStatus(titleId, slot.status());
        if (slot.frozen()) revert TitleFrozen(titleId);
        return slot;
    }

    /// @dev The title's slot if the caller is an active account of its issuing carrier.
    function _byIssuer(uint256 titleId, TitleSlot slot) private view returns (TitleSlot) {
        if (TitleSlot.unwrap(slot) == 0) revert NonexistentTitle(titleId);
        // slither-disable-next-line unused-return -- the roles are not needed, only the organisation
        (uint32 org, ) = participants.activeRoles(msg.sender);
        if (org != slot.issuer()) revert UnauthorizedParty(titleId, msg.sender, "issuer");
        return slot;
    }

    /// @dev As {_byIssuer}, for an unfrozen title.
    function _unfrozenByIssuer(uint256 titleId, TitleSlot slot) private view returns (TitleSlot) {
        _byIssuer(titleId, slot);
        if (slot.frozen()) revert TitleFrozen(titleId);
        return slot;
    }

    /// @dev The slot without its approval (and the approval's word cleared, if there was one).
    /// @dev What a transfer from `slot` lets its recipient reject: `what`, unless the holder took the title over into
    /// custody ({takeOver}): a custodian (a settlement) hands a title over for good, since a rejection would send it
    /// back to a contract that has closed its books and could never move it again.
    function _undoOf(TitleSlot slot, uint8 what) private pure returns (uint8) {
        return slot.has(TitleSlotLibrary.CUSTODY) ? 0 : what;
    }

    /// @dev The slot without its approval (the approval's word cleared and {IERC721-Approval} to zero emitted, if
    /// there was one).
    function _clearApproval(uint256 titleId, Record storage r, TitleSlot slot) private returns (TitleSlot) {
        if (!slot.has(TitleSlotLibrary.APPROVED)) return slot;
        r.approved = address(0);
        emit Approval(slot.holder(), address(0), titleId);
        return slot.setFlag(TitleSlotLibrary.APPROVED, false);
    }

    /// @dev The slot without its nominee (the nominee's word cleared, if there was one). Only a change of
    /// beneficiary clears it, and its {BeneficiaryTransferred} says so.
    function _clearNominee(Record storage r, TitleSlot slot) private returns (TitleSlot) {
        if (!slot.has(TitleSlotLibrary.NOMINATED)) return slot;
        r.nominee = address(0);
        return slot.setFlag(TitleSlotLibrary.NOMINATED, false);
    }

    function _remark(uint256 titleId, bytes32 remarkHash) private {
        if (remarkHash != 0) emit Remarked(titleId, msg.sender, remarkHash);
    }

    /// @dev The rejection tag of a transfer from (`holder`, `beneficiary`): the top 96 bits of their hash, in the
    /// word's bits 160-255. Finding other parties with the same tag takes about 2^96 hashes.
    /// The hash is that of `abi.encode(holder, beneficiary)`, taken in the scratch space (no memory allocated).
    function _tag(address holder, address beneficiary) private pure returns (uint256 tag) {
        // slither-disable-next-line assembly -- a hash in the scratch space, cleaned inputs (see the lines below)
        assembly ("memory-safe") {
            // An address's upper bits may be dirty in assembly: cleaned as abi.encode would.
            mstore(0x00, and(holder, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, and(beneficiary, 0xffffffffffffffffffffffffffffffffffffffff))
            tag := shl(160, shr(160, keccak256(0x00, 0x40)))
        }
    }

    function _requireParty(address party) private view {
        if (!_isParty(party)) revert InvalidParty(party);
    }

    /// @dev An active member's account, or a contract the registry does not know. An account delegated by EIP-7702
    /// (code `0xef0100` and an address) is an externally owned key, so a revoked key cannot pass as a contract by
    /// delegating itself; a suspended organisation's account, or an account revoked from its organisation, never
    /// passes, code or not.
    function _isParty(address party) private view returns (bool) {
        if (party == address(0)) return false;
        // slither-disable-next-line unused-return -- the call's success is the answer; its values are not needed
        try participants.activeRoles(party) returns (uint32, uint16) {
            return true;
        } catch (bytes memory reason) {
            // A registered account of a suspended organisation (a bank's multisig among them) is no party, whatever
            // code it holds; only an account the registry does not know may pass as a contract.
            if (reason.length < 4 || bytes4(reason) != IParticipantRegistry.UnregisteredAccount.selector) return false;
            // A revoked account (a compromised multisig among them) is no party either, code or not.
            return participants.revokedFrom(party) == 0 && _isContract(party);
        }
    }

    /// @dev Whether `account` holds code other than an EIP-7702 delegation (`0xef0100` and an address).
    function _isContract(address account) private view returns (bool) {
        uint256 size = account.code.length;
        if (size == 0) return false;
        if (size != 23) return true;
        return bytes3(account.code) != 0xef0100;
    }

    function _isAccountOf(address account, uint32 organisation) private view returns (bool) {
        // slither-disable-next-line unused-return -- the manager flag is not needed
        (uint32 org, ) = participants.organisationOf(account);
        return org == organisation;
    }

    function _isFinancier(uint32 organisation) private view returns (bool) {
        if (organisation == 0 || organisation > participants.organisationCount()) return false;
        IParticipantRegistry.Organisation memory o = participants.getOrganisation(organisation);
        return !o.suspended && o.roles & Roles.FINANCIER != 0;
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {InvoiceSlot} from "./libraries/InvoiceSlot.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title InvoiceRegistry
/// @notice The network's register of financed invoices, by keyed fingerprint: a second financing beyond 100% is
/// refused, a settled invoice is never financed again.
/// @dev Gas: a single financier's registration writes one slot (its share sits in the invoice's own record, an
/// {InvoiceSlot}, read and written with one SLOAD and one SSTORE); only further syndication shares take a slot each. The four secondary fingerprints are the topics of one anonymous log. Syndicates: each financier
/// settles or cancels its own share only (see {IInvoiceRegistry}).
contract InvoiceRegistry is IInvoiceRegistry, EIP712, Nonces {
    uint256 private constant MAX_BATCH = 500;
    uint16 private constant FULL = 10_000;
    bytes32 private constant ACKNOWLEDGMENT_TYPEHASH = keccak256(
        "Acknowledgment(bytes32 fingerprint,uint256 nonce,uint256 deadline)"
    );

    IParticipantRegistry public immutable participants;

    /// @dev An {Invoice} packed in one word (see {InvoiceSlot}). A share (firstBps here, or in `_shares`) carries the
    /// flag {SETTLED} once it is settled.
    mapping(bytes32 fingerprint => InvoiceSlot) private _invoices;
    mapping(bytes32 fingerprint => mapping(uint32 organisation => uint16 shareBps)) private _shares;
    mapping(bytes32 fingerprint => mapping(address buyer => uint40 at)) private _acknowledgedAt;

    /// @dev The flag of a settled share (shares are at most 10,000, below bit 14).
    uint16 private constant SETTLED = 0x8000;

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) EIP712("tradechain InvoiceRegistry", "1") {
        participants = participantRegistry;
    }

    /// @inheritdoc IInvoiceRegistry
    function register(bytes32 fingerprint, uint16 shareBps, bytes32[4] calldata secondary) external {
        InvoiceSlot invoice = _invoices[fingerprint];
        if (invoice.status() == Status.Settled || invoice.settledBps() != 0) revert InvoiceAlreadySettled(fingerprint);
        if (shareBps == 0 || shareBps > FULL) revert InvalidShare(shareBps);
        if (uint256(invoice.totalBps()) + shareBps > FULL) {
            revert InvoiceAlreadyFinanced(fingerprint, invoice.firstOrg(), invoice.since());
        }
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        if (invoice.status() == Status.Financed && _participating(fingerprint, org, invoice)) {
            revert AlreadyParticipating(fingerprint, org);
        }
        _record(fingerprint, org, shareBps, invoice);
        _emitSecondary(fingerprint, secondary);
    }

    /// @inheritdoc IInvoiceRegistry
    function registerBatch(Registration[] calldata items) external returns (bool[] memory financed) {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        uint256 n = items.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        financed = new bool[](n);
        for (uint256 i = 0; i < n; ++i) {
            Registration calldata item = items[i];
            bytes32 fingerprint = item.fingerprint;
            uint16 shareBps = item.shareBps;
            if (shareBps == 0 || shareBps > FULL) revert InvalidShare(shareBps);
            InvoiceSlot invoice = _invoices[fingerprint];
            if (
                invoice.status() == Status.Settled ||
                invoice.settledBps() != 0 ||
                uint256(invoice.totalBps()) + shareBps > FULL ||
                (invoice.status() == Status.Financed && _participating(fingerprint, org, invoice))
            ) {
                emit RegistrationRefused(fingerprint, org, invoice.status(), invoice.totalBps());
                continue;
            }
            _record(fingerprint, org, shareBps, invoice);
            _emitSecondary(fingerprint, item.secondary);
            financed[i] = true;
        }
    }

    /// @inheritdoc IInvoiceRegistry
    function cancel(bytes32 fingerprint) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        InvoiceSlot invoice = _invoices[fingerprint];
        if (invoice.status() == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        (uint16 share, bool first) = _ownShare(fingerprint, org, invoice);
        if (first) invoice = invoice.setFirstBps(0);
        else delete _shares[fingerprint][org];
        uint16 total = invoice.totalBps() - share;
        if (total == 0) {
            _invoices[fingerprint] = InvoiceSlot.wrap(0); // nobody finances it: it may be financed anew
        } else {
            invoice = invoice.setTotalBps(total);
            if (invoice.settledBps() == total) invoice = invoice.setStatus(Status.Settled); // every share left is settled
            _invoices[fingerprint] = invoice;
        }
        emit FinancingCancelled(fingerprint, org, share);
    }

    /// @inheritdoc IInvoiceRegistry
    function settle(bytes32 fingerprint) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        InvoiceSlot invoice = _invoices[fingerprint];
        if (invoice.status() == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        (uint16 share, bool first) = _ownShare(fingerprint, org, invoice);
        if (first) invoice = invoice.setFirstBps(share | SETTLED);
        else _shares[fingerprint][org] = share | SETTLED;
        uint16 settled = invoice.settledBps() + share;
        invoice = invoice.setSettledBps(settled);
        if (settled == invoice.totalBps()) invoice = invoice.setStatus(Status.Settled);
        _invoices[fingerprint] = invoice;
        emit InvoiceSettled(fingerprint, org, share, settled);
    }

    /// @inheritdoc IInvoiceRegistry
    function acknowledge(
        bytes32 fingerprint,
        address buyer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        // Intended: a deadline of the buyer's choosing; a validator's few seconds of drift are immaterial.
        if (block.timestamp > deadline) revert AcknowledgmentExpired(fingerprint, deadline);
        if (_acknowledgedAt[fingerprint][buyer] != 0) revert InvoiceAlreadyAcknowledged(fingerprint, buyer);
        _useCheckedNonce(buyer, nonce);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(ACKNOWLEDGMENT_TYPEHASH, fingerprint, nonce, deadline)));
        if (!SignatureChecker.isValidSignatureNowCalldata(buyer, digest, signature)) {
            revert InvalidBuyerSignature(fingerprint, buyer);
        }
        _acknowledgedAt[fingerprint][buyer] = uint40(block.timestamp);
        emit InvoiceAcknowledged(fingerprint, buyer, nonce);
    }

    /// @inheritdoc IInvoiceRegistry
    function check(bytes32 fingerprint) external view returns (Invoice memory invoice) {
        invoice = _invoices[fingerprint].unpack();
        invoice.firstBps &= ~SETTLED;
    }

    /// @inheritdoc IInvoiceRegistry
    function shareOf(bytes32 fingerprint, uint32 organisation) external view returns (uint16) {
        return _shareOf(fingerprint, organisation);
    }

    /// @inheritdoc IInvoiceRegistry
    function sharesOf(
        bytes32[] calldata fingerprints,
        uint32 organisation
    ) external view returns (uint16[] memory shares) {
        shares = new uint16[](fingerprints.length);
        for (uint256 i = 0; i < fingerprints.length; ++i) {
            shares[i] = _shareOf(fingerprints[i], organisation);
        }
    }

    /// @inheritdoc IInvoiceRegistry
    function acknowledgedAt(bytes32 fingerprint, address buyer) external view returns (uint40) {
        return _acknowledgedAt[fingerprint][buyer];
    }

    /// @dev The share of `organisation` in invoice `fingerprint` (settled or not): in the invoice's own record or a
    /// share slot.
    function _shareOf(bytes32 fingerprint, uint32 organisation) private view returns (uint16) {
        InvoiceSlot invoice = _invoices[fingerprint];
        if (invoice.firstOrg() == organisation && invoice.firstBps() != 0) return invoice.firstBps() & ~SETTLED;
        return _shares[fingerprint][organisation] & ~SETTLED;
    }

    /// @dev Whether `org` holds a share of the financed invoice `fingerprint`.
    function _participating(bytes32 fingerprint, uint32 org, InvoiceSlot invoice) private view returns (bool) {
        return (invoice.firstOrg() == org && invoice.firstBps() != 0) || _shares[fingerprint][org] != 0;
    }

    /// @dev The unsettled share of `org` and whether it is the first (held in the record). Reverts with
    /// {NotParticipating} if `org` holds none, {ShareAlreadySettled} if it is settled.
    function _ownShare(
        bytes32 fingerprint,
        uint32 org,
        InvoiceSlot invoice
    ) private view returns (uint16 share, bool first) {
        first = invoice.firstOrg() == org && invoice.firstBps() != 0;
        share = first ? invoice.firstBps() : _shares[fingerprint][org];
        if (share == 0) revert NotParticipating(fingerprint, org);
        if (share & SETTLED != 0) revert ShareAlreadySettled(fingerprint, org);
    }

    /// @dev Records `org`'s share: the invoice's own slot for the first financier, a share slot for the others.
    /// Requirements: the caller checked the total, the settlement and that `org` takes no part yet.
    /// Emits {InvoiceFinanced}.
    function _record(bytes32 fingerprint, uint32 org, uint16 shareBps, InvoiceSlot invoice) private {
        uint16 total = invoice.totalBps() + shareBps; // at most FULL: checked by the caller
        if (invoice.status() == Status.None) {
            invoice = invoice.setFirstOrg(org).setFirstBps(shareBps).setStatus(Status.Financed).setSince(
                uint40(block.timestamp)
            );
        } else {
            _shares[fingerprint][org] = shareBps;
        }
        _invoices[fingerprint] = invoice.setTotalBps(total);
        emit InvoiceFinanced(fingerprint, org, shareBps, total);
    }

    /// @dev Emits {SecondaryFingerprints} unless the four are zero.
    function _emitSecondary(bytes32 fingerprint, bytes32[4] calldata s) private {
        if (s[0] | s[1] | s[2] | s[3] != 0) emit SecondaryFingerprints(s[0], s[1], s[2], s[3], fingerprint);
    }
}

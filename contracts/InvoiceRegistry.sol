// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title InvoiceRegistry
/// @notice The network's register of financed invoices, by keyed fingerprint: a second financing beyond 100% is
/// refused, a settled invoice is never financed again.
/// @dev Gas: a single financier's registration writes one slot (its share sits in the invoice's own record, packed
/// by hand so that it is read and written with one SLOAD and one SSTORE); only further syndication shares take a
/// slot each. The four secondary fingerprints are the topics of one anonymous log. Syndicates: each financier
/// settles or cancels its own share only (see {IInvoiceRegistry}).
contract InvoiceRegistry is IInvoiceRegistry, EIP712, Nonces {
    uint256 private constant MAX_BATCH = 500;
    uint16 private constant FULL = 10_000;
    bytes32 private constant ACKNOWLEDGMENT_TYPEHASH =
        keccak256("Acknowledgment(bytes32 fingerprint,uint256 nonce,uint256 deadline)");

    IParticipantRegistry public immutable participants;

    // Slither note: `since` (block.timestamp) is packed into the same word as every other field of an invoice, and
    // Slither's data flow is not field-sensitive, so it takes each comparison of a status, a share or an organisation
    // read from that word for a timestamp comparison (`timestamp`) and a strict equality on a manipulable value
    // (`incorrect-equality`). None of them compares a time or a balance; each is marked where it stands. The only
    // real time comparison is the acknowledgment deadline.

    /// @dev An {Invoice} packed: firstOrg bits 0-31, firstBps 32-47, totalBps 48-63, status 64-71, since 72-111,
    /// settledBps 112-127. A share (firstBps here, or in `_shares`) carries the flag {SETTLED} once it is settled.
    mapping(bytes32 fingerprint => uint256 packed) private _invoices;
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
        Invoice memory invoice = _load(fingerprint);
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        if (invoice.status == Status.Settled || invoice.settledBps != 0) revert InvoiceAlreadySettled(fingerprint);
        if (shareBps == 0 || shareBps > FULL) revert InvalidShare(shareBps);
        if (uint256(invoice.totalBps) + shareBps > FULL) {
            revert InvoiceAlreadyFinanced(fingerprint, invoice.firstOrg, invoice.since);
        }
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        // slither-disable-next-line incorrect-equality -- no time compared (Slither note above)
        if (invoice.status == Status.Financed && _participating(fingerprint, org, invoice)) {
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
            Invoice memory invoice = _load(fingerprint);
            if (
                // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
                invoice.status == Status.Settled || invoice.settledBps != 0
                    || uint256(invoice.totalBps) + shareBps > FULL
                    || (invoice.status == Status.Financed && _participating(fingerprint, org, invoice))
            ) {
                emit RegistrationRefused(fingerprint, org, invoice.status, invoice.totalBps);
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
        Invoice memory invoice = _load(fingerprint);
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        if (invoice.status == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        (uint16 share, bool first) = _ownShare(fingerprint, org, invoice);
        if (first) invoice.firstBps = 0;
        else delete _shares[fingerprint][org];
        invoice.totalBps -= share;
        // slither-disable-next-line incorrect-equality -- no time compared (Slither note above)
        if (invoice.totalBps == 0) {
            delete _invoices[fingerprint]; // nobody finances it: it may be financed anew
        } else {
            // slither-disable-next-line incorrect-equality -- no time compared (Slither note above)
            if (invoice.settledBps == invoice.totalBps) invoice.status = Status.Settled; // every share left is settled
            _store(fingerprint, invoice);
        }
        emit FinancingCancelled(fingerprint, org, share);
    }

    /// @inheritdoc IInvoiceRegistry
    function settle(bytes32 fingerprint) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        Invoice memory invoice = _load(fingerprint);
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        if (invoice.status == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        (uint16 share, bool first) = _ownShare(fingerprint, org, invoice);
        if (first) invoice.firstBps = share | SETTLED;
        else _shares[fingerprint][org] = share | SETTLED;
        invoice.settledBps += share;
        // slither-disable-next-line incorrect-equality -- no time compared (Slither note above)
        if (invoice.settledBps == invoice.totalBps) invoice.status = Status.Settled;
        _store(fingerprint, invoice);
        emit InvoiceSettled(fingerprint, org, share, invoice.settledBps);
    }

    /// @inheritdoc IInvoiceRegistry
    function acknowledge(bytes32 fingerprint, address buyer, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
    {
        // Intended: a deadline of the buyer's choosing; a validator's few seconds of drift are immaterial.
        // slither-disable-next-line timestamp -- the acknowledgment deadline (see the line above)
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
        invoice = _load(fingerprint);
        invoice.firstBps &= ~SETTLED;
    }

    /// @inheritdoc IInvoiceRegistry
    function shareOf(bytes32 fingerprint, uint32 organisation) external view returns (uint16) {
        return _shareOf(fingerprint, organisation);
    }

    /// @inheritdoc IInvoiceRegistry
    function sharesOf(bytes32[] calldata fingerprints, uint32 organisation)
        external
        view
        returns (uint16[] memory shares)
    {
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
        Invoice memory invoice = _load(fingerprint);
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        if (invoice.firstOrg == organisation && invoice.firstBps != 0) return invoice.firstBps & ~SETTLED;
        return _shares[fingerprint][organisation] & ~SETTLED;
    }

    /// @dev Whether `org` holds a share of the financed invoice `fingerprint`.
    function _participating(bytes32 fingerprint, uint32 org, Invoice memory invoice) private view returns (bool) {
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        return (invoice.firstOrg == org && invoice.firstBps != 0) || _shares[fingerprint][org] != 0;
    }

    /// @dev The unsettled share of `org` and whether it is the first (held in the record). Reverts with
    /// {NotParticipating} if `org` holds none, {ShareAlreadySettled} if it is settled.
    function _ownShare(bytes32 fingerprint, uint32 org, Invoice memory invoice)
        private
        view
        returns (uint16 share, bool first)
    {
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        first = invoice.firstOrg == org && invoice.firstBps != 0;
        share = first ? invoice.firstBps : _shares[fingerprint][org];
        // slither-disable-next-line incorrect-equality -- a share, not a time or a balance (Slither note above)
        if (share == 0) revert NotParticipating(fingerprint, org);
        if (share & SETTLED != 0) revert ShareAlreadySettled(fingerprint, org);
    }

    /// @dev Records `org`'s share: the invoice's own slot for the first financier, a share slot for the others.
    /// Requirements: the caller checked the total, the settlement and that `org` takes no part yet.
    /// Emits {InvoiceFinanced}.
    function _record(bytes32 fingerprint, uint32 org, uint16 shareBps, Invoice memory invoice) private {
        uint16 total = invoice.totalBps + shareBps; // at most FULL: checked by the caller
        // slither-disable-next-line incorrect-equality,timestamp -- no time compared (Slither note above)
        if (invoice.status == Status.None) {
            invoice.firstOrg = org;
            invoice.firstBps = shareBps;
            invoice.status = Status.Financed;
            invoice.since = uint40(block.timestamp);
        } else {
            _shares[fingerprint][org] = shareBps;
        }
        invoice.totalBps = total;
        _store(fingerprint, invoice);
        emit InvoiceFinanced(fingerprint, org, shareBps, total);
    }

    /// @dev The record of `fingerprint`, unpacked (one SLOAD).
    function _load(bytes32 fingerprint) private view returns (Invoice memory invoice) {
        uint256 packed = _invoices[fingerprint];
        invoice.firstOrg = uint32(packed);
        invoice.firstBps = uint16(packed >> 32);
        invoice.totalBps = uint16(packed >> 48);
        invoice.status = Status(uint8(packed >> 64));
        invoice.since = uint40(packed >> 72);
        invoice.settledBps = uint16(packed >> 112);
    }

    /// @dev Writes the record of `fingerprint` (one SSTORE).
    function _store(bytes32 fingerprint, Invoice memory invoice) private {
        _invoices[fingerprint] = uint256(invoice.firstOrg) | (uint256(invoice.firstBps) << 32)
            | (uint256(invoice.totalBps) << 48) | (uint256(uint8(invoice.status)) << 64) | (uint256(invoice.since) << 72)
            | (uint256(invoice.settledBps) << 112);
    }

    /// @dev Emits {SecondaryFingerprints} unless the four are zero.
    function _emitSecondary(bytes32 fingerprint, bytes32[4] calldata s) private {
        if (s[0] | s[1] | s[2] | s[3] != 0) emit SecondaryFingerprints(s[0], s[1], s[2], s[3], fingerprint);
    }
}

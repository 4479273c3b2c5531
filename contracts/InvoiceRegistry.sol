// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title InvoiceRegistry
/// @notice The network's register of financed invoices, by keyed fingerprint: a second financing beyond 100% is
/// refused, a settled invoice is never financed again.
/// @dev Gas: a single financier's registration writes one slot (its share sits in the invoice's own record); only
/// further syndication shares take a slot each. Secondary fingerprints are events.
contract InvoiceRegistry is IInvoiceRegistry {
    uint256 private constant MAX_BATCH = 500;

    IParticipantRegistry public immutable participants;

    mapping(bytes32 fingerprint => Invoice) private _invoices;
    mapping(bytes32 fingerprint => mapping(uint32 organisation => uint16 shareBps)) private _shares;

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) {
        participants = participantRegistry;
    }

    /// @inheritdoc IInvoiceRegistry
    function register(bytes32 fingerprint, uint16 shareBps, bytes32[] calldata secondary) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        Invoice storage invoice = _invoices[fingerprint];
        if (invoice.status == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        if (shareBps == 0 || shareBps > 10_000) revert InvalidShare(shareBps);
        if (uint256(invoice.totalBps) + shareBps > 10_000) {
            revert InvoiceAlreadyFinanced(fingerprint, invoice.firstOrg, invoice.since);
        }
        _register(fingerprint, org, shareBps, invoice, secondary);
    }

    /// @inheritdoc IInvoiceRegistry
    function registerBatch(Registration[] calldata items) external returns (bool[] memory financed) {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        uint256 n = items.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        financed = new bool[](n);
        for (uint256 i = 0; i < n; ++i) {
            Registration calldata item = items[i];
            if (item.shareBps == 0 || item.shareBps > 10_000) revert InvalidShare(item.shareBps);
            Invoice storage invoice = _invoices[item.fingerprint];
            bool participating = invoice.firstOrg == org || _shares[item.fingerprint][org] != 0;
            if (
                invoice.status == Status.Settled || uint256(invoice.totalBps) + item.shareBps > 10_000
                    || (invoice.status == Status.Financed && participating)
            ) {
                emit RegistrationRefused(item.fingerprint, org, invoice.status, invoice.totalBps);
                continue;
            }
            _register(item.fingerprint, org, item.shareBps, invoice, item.secondary);
            financed[i] = true;
        }
    }

    /// @inheritdoc IInvoiceRegistry
    function cancel(bytes32 fingerprint) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        Invoice storage invoice = _invoices[fingerprint];
        if (invoice.status == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        uint16 share;
        if (invoice.firstOrg == org && invoice.firstBps != 0) {
            share = invoice.firstBps;
            invoice.firstBps = 0;
        } else {
            share = _shares[fingerprint][org];
            if (share == 0) revert NotParticipating(fingerprint, org);
            delete _shares[fingerprint][org];
        }
        invoice.totalBps -= share;
        if (invoice.totalBps == 0) delete _invoices[fingerprint]; // nobody finances it: it may be financed anew
        emit FinancingCancelled(fingerprint, org, share);
    }

    /// @inheritdoc IInvoiceRegistry
    function settle(bytes32 fingerprint) external {
        uint32 org = participants.requireRole(msg.sender, Roles.FINANCIER);
        Invoice storage invoice = _invoices[fingerprint];
        if (invoice.status == Status.Settled) revert InvoiceAlreadySettled(fingerprint);
        if (!((invoice.firstOrg == org && invoice.firstBps != 0) || _shares[fingerprint][org] != 0)) {
            revert NotParticipating(fingerprint, org);
        }
        invoice.status = Status.Settled;
        emit InvoiceSettled(fingerprint, org);
    }

    /// @inheritdoc IInvoiceRegistry
    function check(bytes32 fingerprint) external view returns (Invoice memory) {
        return _invoices[fingerprint];
    }

    /// @inheritdoc IInvoiceRegistry
    function shareOf(bytes32 fingerprint, uint32 organisation) external view returns (uint16) {
        Invoice memory invoice = _invoices[fingerprint];
        if (invoice.firstOrg == organisation && invoice.firstBps != 0) return invoice.firstBps;
        return _shares[fingerprint][organisation];
    }

    /// @dev Records `org`'s share. Requirements: the caller checked the total and the settlement.
    /// Emits {InvoiceFinanced} and a {SecondaryFingerprint} per secondary.
    function _register(
        bytes32 fingerprint,
        uint32 org,
        uint16 shareBps,
        Invoice storage invoice,
        bytes32[] calldata secondary
    ) private {
        if (secondary.length > 8) revert InvalidBatch(secondary.length, 8);
        if (invoice.status == Status.None) {
            invoice.firstOrg = org;
            invoice.firstBps = shareBps;
            invoice.status = Status.Financed;
            invoice.since = uint40(block.timestamp);
        } else {
            if ((invoice.firstOrg == org && invoice.firstBps != 0) || _shares[fingerprint][org] != 0) {
                revert AlreadyParticipating(fingerprint, org);
            }
            _shares[fingerprint][org] = shareBps;
        }
        invoice.totalBps += shareBps;
        emit InvoiceFinanced(fingerprint, org, shareBps, invoice.totalBps);
        for (uint256 i = 0; i < secondary.length; ++i) {
            emit SecondaryFingerprint(secondary[i], fingerprint);
        }
    }
}

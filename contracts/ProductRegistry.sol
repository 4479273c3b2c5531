// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {IProductRegistry} from "../interfaces/IProductRegistry.sol";
import {GS1} from "./libraries/GS1.sol";
import {NestingLevels} from "./libraries/NestingLevels.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title ProductRegistry
/// @notice Traceability of food and medicine: who made each lot, who holds it, what it became, whether a pack is
/// genuine. Every action is recorded by the party that made it, authorised by the {IParticipantRegistry}.
/// @dev Gas design:
/// - serialized items are never one slot each: a commissioning stores a Merkle root of its serials (cost
///   independent of the count) and per-item status is one bit in a bitmap;
/// - custody is kept per unit (lot, batch, container): a container moves everything packed in it for the cost
///   of one slot, whatever it holds;
/// - each action checks the caller's organisation with one call to the membership registry.
/// Trust: the registry decides who is an active member with which roles; this contract trusts it.
contract ProductRegistry is IProductRegistry {
    /// @dev Bounds of user-given lists (no unbounded loops).
    uint256 private constant MAX_CHILDREN = 256;
    uint256 private constant MAX_TRANSFORM = 64;
    uint256 private constant MAX_RECALL = 256;
    uint256 private constant MAX_EVENTS = 4096;
    /// @dev Containers nest at most this deep (pallets in containers in ...), which bounds {custodianOf}.
    uint8 private constant MAX_HEIGHT = 8;
    uint16 private constant PRODUCERS = Roles.BRAND | Roles.MANUFACTURER;
    uint16 private constant INSPECTORS = Roles.INSPECTOR | Roles.CUSTOMS | Roles.REGULATOR;

    IParticipantRegistry public immutable participants;

    mapping(uint64 gtin => uint32 owner) private _gtinOwner;
    mapping(bytes32 lot => Lot) private _lots;
    mapping(bytes32 unit => Unit) private _units;
    mapping(bytes32 unit => bytes32 container) private _parent;
    mapping(bytes32 batch => bytes32 lot) private _batchLot;
    mapping(bytes32 batch => bytes32 root) private _batchRoot;
    mapping(bytes32 batch => mapping(uint256 word => uint256 bits)) private _decommissioned;

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) {
        participants = participantRegistry;
    }

    // ------------------------------------------------------------------ products and lots

    /// @inheritdoc IProductRegistry
    function claimGtin(uint64 gtin) external {
        uint32 org = participants.requireAnyRole(msg.sender, PRODUCERS);
        if (!GS1.isValidKey(gtin, 14)) revert InvalidGtin(gtin);
        _checkLicensee(gtin, 14, org);
        uint32 owner = _gtinOwner[gtin];
        if (owner == org) revert GtinAlreadyClaimed(gtin, owner);
        _gtinOwner[gtin] = org;
        emit GtinClaimed(gtin, org);
    }

    /// @inheritdoc IProductRegistry
    function registerLot(
        uint64 gtin,
        bytes20 lotNumber,
        uint40 expiresAt,
        bytes2 origin,
        bytes32 dataHash,
        uint64 location
    ) external returns (bytes32 lot) {
        uint32 org = participants.requireAnyRole(msg.sender, PRODUCERS);
        lot = _registerLot(org, LotInput(gtin, lotNumber, expiresAt, origin, dataHash), location);
    }

    /// @inheritdoc IProductRegistry
    function commission(
        bytes32 lot,
        bytes32 serialsRoot,
        uint32 count,
        uint64 location
    ) external returns (bytes32 batch) {
        uint32 org = participants.requireAnyRole(msg.sender, PRODUCERS);
        Lot memory record = _lots[lot]; // one slot, read once: cheaper than four reads of its fields
        if (record.gtin == 0) revert NonexistentLot(lot);
        if (record.owner != org) revert NotGtinOwner(record.gtin, record.owner, org);
        // No fresh packs of a recalled or expired lot: none of them could ever be dispensed.
        if (record.recalled) revert LotIsRecalled(lot);
        uint40 expiresAt = record.expiresAt;
        // Intended: the expiry date; a validator's few seconds of drift are immaterial.
        if (expiresAt != 0 && block.timestamp > expiresAt) revert LotExpired(lot, expiresAt);
        if (count == 0) revert InvalidSerialCount(count);
        batch = keccak256(abi.encode(lot, serialsRoot));
        if (_units[batch].kind != UnitKind.None) revert BatchAlreadyCommissioned(batch);
        // Field by field: cheaper than a struct literal, which the compiler writes with a read of the slot first.
        Unit storage unit = _units[batch];
        unit.kind = UnitKind.Batch;
        unit.custodian = org;
        unit.size = count;
        unit.since = uint40(block.timestamp);
        _batchLot[batch] = lot;
        _batchRoot[batch] = serialsRoot;
        emit Commissioned(batch, lot, org, serialsRoot, count, location);
    }

    // ------------------------------------------------------------------ aggregation

    /// @inheritdoc IProductRegistry
    function pack(bytes32 container, bytes32[] calldata children, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        _checkLength(children.length, MAX_CHILDREN);
        Unit storage box = _units[container];
        if (box.kind == UnitKind.None) {
            // A new container is named by an SSCC of the caller's own company prefix: no lot or batch id (hashes,
            // far above 10^18) can be taken, and no other company's SSCC.
            uint256 sscc = uint256(container);
            if (!GS1.isValidKey(sscc, 18)) revert InvalidSscc(container);
            _checkLicensee(sscc, 18, org);
            box.kind = UnitKind.Container;
            box.custodian = org;
            box.since = uint40(block.timestamp);
        } else {
            if (box.kind != UnitKind.Container) revert NotAContainer(container);
            _checkHeld(container, box, org);
        }
        uint88 levels = box.children;
        for (uint256 i = 0; i < children.length; ++i) {
            bytes32 child = children[i];
            if (child == container) revert PackedIntoItself(container);
            Unit storage unit = _units[child];
            _checkHeld(child, unit, org);
            uint8 height = unit.height;
            if (height >= MAX_HEIGHT) revert NestingTooDeep(MAX_HEIGHT);
            levels = NestingLevels.add(levels, height, container);
            unit.packed = true;
            _parent[child] = container;
        }
        box.children = levels;
        box.height = NestingLevels.height(levels);
        emit Packed(container, org, children, location);
    }

    /// @inheritdoc IProductRegistry
    function unpack(bytes32 container, bytes32[] calldata children, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        _checkLength(children.length, MAX_CHILDREN);
        Unit storage box = _units[container];
        if (box.kind != UnitKind.Container) revert NotAContainer(container);
        _checkHeld(container, box, org);
        uint40 now_ = uint40(block.timestamp);
        uint88 levels = box.children;
        for (uint256 i = 0; i < children.length; ++i) {
            bytes32 child = children[i];
            if (_parent[child] != container) revert UnitNotInContainer(child, container);
            // Each child leaves the container: one slot per child is the data itself (bounded by MAX_CHILDREN).
            // slither-disable-next-line costly-loop -- the write is the operation (see the line above)
            delete _parent[child];
            Unit storage unit = _units[child];
            // A packed unit's height cannot change (nothing is packed into or out of a packed container), so it is
            // the height it was counted at.
            levels = NestingLevels.remove(levels, unit.height);
            unit.packed = false;
            unit.custodian = org; // it travelled inside the container: it is the container holder's now
            unit.since = now_;
        }
        box.children = levels;
        box.height = NestingLevels.height(levels); // exact: the tallest child left decides
        emit Unpacked(container, org, children, location);
    }

    // ------------------------------------------------------------------ two-party handover

    /// @inheritdoc IProductRegistry
    function ship(bytes32 unit, uint32 receiver, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        Unit storage record = _units[unit];
        _checkHeld(unit, record, org);
        if (receiver == org) revert ShipmentToSelf(org);
        record.pendingReceiver = receiver;
        emit Shipped(unit, org, receiver, location);
    }

    /// @inheritdoc IProductRegistry
    function receiveShipment(bytes32 unit, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        Unit storage record = _units[unit];
        uint32 pending = record.pendingReceiver;
        if (pending == 0 || pending != org) {
            if (record.kind == UnitKind.None) revert NonexistentUnit(unit);
            if (pending == 0) revert UnitNotInTransit(unit);
            revert NotPendingReceiver(unit, pending, org);
        }
        uint32 from = record.custodian;
        record.custodian = org;
        record.pendingReceiver = 0;
        record.since = uint40(block.timestamp);
        emit Received(unit, from, org, location);
    }

    /// @inheritdoc IProductRegistry
    function cancelShipment(bytes32 unit) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        Unit storage record = _units[unit];
        if (record.kind == UnitKind.None) revert NonexistentUnit(unit);
        if (record.custodian != org) revert NotCustodian(unit, record.custodian, org);
        uint32 pending = record.pendingReceiver;
        if (pending == 0) revert UnitNotInTransit(unit);
        record.pendingReceiver = 0;
        emit ShipmentCancelled(unit, org, pending);
    }

    // ------------------------------------------------------------------ transformation, inspection, dispensing

    /// @inheritdoc IProductRegistry
    function transform(
        bytes32[] calldata inputs,
        LotInput[] calldata outputs,
        uint64 location
    ) external returns (bytes32[] memory outputLots) {
        uint32 org = participants.requireAnyRole(msg.sender, PRODUCERS);
        _checkLength(inputs.length, MAX_TRANSFORM);
        _checkLength(outputs.length, MAX_TRANSFORM);
        for (uint256 i = 0; i < inputs.length; ++i) {
            Unit storage unit = _units[inputs[i]];
            _checkHeld(inputs[i], unit, org);
            _checkUsable(inputs[i], unit);
            unit.consumed = true;
        }
        outputLots = new bytes32[](outputs.length);
        for (uint256 i = 0; i < outputs.length; ++i) {
            outputLots[i] = _registerLot(org, outputs[i], location);
        }
        emit Transformed(keccak256(abi.encode(inputs, outputLots)), org, inputs, outputLots, location);
    }

    /// @inheritdoc IProductRegistry
    function inspect(bytes32 unit, bool passed, bytes32 reportHash, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, INSPECTORS);
        if (_units[unit].kind == UnitKind.None) revert NonexistentUnit(unit);
        emit Inspected(unit, org, passed, reportHash, location);
    }

    /// @inheritdoc IProductRegistry
    function dispense(bytes32 batch, bytes20 serial, uint32 index, bytes32[] calldata proof, uint64 location) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        Unit storage unit = _units[batch];
        if (unit.kind != UnitKind.Batch) revert NotABatch(batch);
        _checkDispensable(batch, unit, org);
        if (index >= unit.size || !_provesItem(batch, serial, index, proof)) {
            revert InvalidItemProof(batch, serial, index);
        }
        uint256 mask = 1 << (index & 255);
        uint256 bits = _decommissioned[batch][index >> 8];
        if (bits & mask != 0) revert ItemAlreadyDecommissioned(batch, index);
        _decommissioned[batch][index >> 8] = bits | mask;
        emit Dispensed(batch, org, index, serial, location);
    }

    /// @inheritdoc IProductRegistry
    function recall(bytes32[] calldata lots, bytes32 reason) external {
        uint32 org = participants.requireAnyRole(msg.sender, PRODUCERS | Roles.REGULATOR);
        _checkLength(lots.length, MAX_RECALL);
        bool regulator = participants.isAuthorized(msg.sender, Roles.REGULATOR);
        for (uint256 i = 0; i < lots.length; ++i) {
            Lot storage record = _lots[lots[i]];
            if (record.gtin == 0) revert NonexistentLot(lots[i]);
            if (!regulator && record.owner != org) revert UnauthorizedRecall(lots[i], org);
            if (record.recalled) revert LotAlreadyRecalled(lots[i]);
            record.recalled = true;
            emit Recalled(lots[i], org, reason);
        }
    }

    /// @inheritdoc IProductRegistry
    function recordEvents(EpcisAnchor[] calldata events) external {
        uint32 org = participants.requireAnyRole(msg.sender, Roles.ALL);
        _checkLength(events.length, MAX_EVENTS);
        for (uint256 i = 0; i < events.length; ++i) {
            EpcisAnchor calldata e = events[i];
            emit EpcisEventRecorded(e.eventHash, org, e.eventType, e.eventTime, e.location);
        }
    }

    // ------------------------------------------------------------------ verification and views

    /// @inheritdoc IProductRegistry
    function verify(
        uint64 gtin,
        bytes20 serial,
        bytes20 lotNumber,
        uint40 expiresAt,
        bytes32 batch,
        uint32 index,
        bytes32[] calldata proof
    ) external view returns (Status status, uint32 custodian) {
        bytes32 lot = _batchLot[batch];
        if (lot == 0 || _lots[lot].gtin != gtin || index >= _units[batch].size) return (Status.Unknown, 0);
        if (!_provesItem(batch, serial, index, proof)) return (Status.Unknown, 0);
        custodian = custodianOf(batch);
        Lot memory record = _lots[lot];
        if (lot != _lotId(gtin, lotNumber) || expiresAt != record.expiresAt) return (Status.Mismatch, custodian);
        // Dispensed first: a pack dispensed before its lot's recall stays Decommissioned, so a second pack with its
        // serial is still seen as a clone (nothing is dispensed after a recall: {dispense} refuses it).
        if (isDecommissioned(batch, index)) return (Status.Decommissioned, custodian);
        if (record.recalled) return (Status.Recalled, custodian);
        // Intended: expiry is a date; a validator's few seconds of drift are immaterial.
        if (record.expiresAt != 0 && block.timestamp > record.expiresAt) return (Status.Expired, custodian);
        return (Status.Authentic, custodian);
    }

    /// @inheritdoc IProductRegistry
    function verifyLot(
        uint64 gtin,
        bytes20 lotNumber,
        uint40 expiresAt
    ) external view returns (Status status, uint32 custodian) {
        bytes32 lot = _lotId(gtin, lotNumber);
        Lot memory record = _lots[lot];
        if (record.gtin == 0) return (Status.Unknown, 0);
        custodian = custodianOf(lot);
        if (expiresAt != record.expiresAt) return (Status.Mismatch, custodian);
        if (record.recalled) return (Status.Recalled, custodian);
        if (record.expiresAt != 0 && block.timestamp > record.expiresAt) return (Status.Expired, custodian);
        return (Status.Authentic, custodian);
    }

    /// @inheritdoc IProductRegistry
    function getUnit(bytes32 unit) external view returns (Unit memory record) {
        record = _units[unit];
        if (record.kind == UnitKind.None) revert NonexistentUnit(unit);
    }

    /// @inheritdoc IProductRegistry
    function getLot(bytes32 lot) external view returns (Lot memory record) {
        record = _lots[lot];
        if (record.gtin == 0) revert NonexistentLot(lot);
    }

    /// @inheritdoc IProductRegistry
    function parentOf(bytes32 unit) external view returns (bytes32) {
        return _parent[unit];
    }

    /// @inheritdoc IProductRegistry
    function gtinOwner(uint64 gtin) external view returns (uint32) {
        return _gtinOwner[gtin];
    }

    /// @inheritdoc IProductRegistry
    function batchOf(bytes32 batch) external view returns (bytes32 lot, bytes32 serialsRoot) {
        return (_batchLot[batch], _batchRoot[batch]);
    }

    /// @inheritdoc IProductRegistry
    function custodianOf(bytes32 unit) public view returns (uint32) {
        return _units[_outermost(unit)].custodian;
    }

    /// @inheritdoc IProductRegistry
    function isDecommissioned(bytes32 batch, uint32 index) public view returns (bool) {
        return _decommissioned[batch][index >> 8] & (1 << (index & 255)) != 0;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Registers a lot owned and held by `org`. Requirements: `org` owns the GTIN, the lot number is not
    /// empty and the lot is new. Emits a {LotRegistered} event.
    function _registerLot(uint32 org, LotInput memory input, uint64 location) private returns (bytes32 lot) {
        uint32 owner = _gtinOwner[input.gtin];
        if (owner != org) revert NotGtinOwner(input.gtin, owner, org);
        if (input.lotNumber == bytes20(0)) revert EmptyLotNumber();
        lot = _lotId(input.gtin, input.lotNumber);
        if (_lots[lot].gtin != 0) revert LotAlreadyRegistered(lot);
        _lots[lot] = Lot(input.gtin, input.expiresAt, input.origin, false, org);
        Unit storage unit = _units[lot]; // field by field (see commission)
        unit.kind = UnitKind.Lot;
        unit.custodian = org;
        unit.since = uint40(block.timestamp);
        emit LotRegistered(
            lot,
            input.gtin,
            org,
            input.lotNumber,
            input.expiresAt,
            input.origin,
            input.dataHash,
            location
        );
    }

    /// @dev Reverts unless `org` holds `unit` directly: it exists, is not consumed, not packed, not in transit.
    function _checkHeld(bytes32 id, Unit storage unit, uint32 org) private view {
        if (unit.kind == UnitKind.None) revert NonexistentUnit(id);
        if (unit.custodian != org) revert NotCustodian(id, unit.custodian, org);
        if (unit.consumed) revert UnitConsumed(id);
        if (unit.pendingReceiver != 0) revert UnitInTransit(id, unit.pendingReceiver);
        if (unit.packed) revert UnitPacked(id, _parent[id]); // the flag spares a cold read of _parent
    }

    /// @dev Reverts unless a transformation may use `id` up: a lot or a batch (a container's contents would be used
    /// up unseen), of a lot neither recalled nor expired, so no recall is washed out into fresh output lots.
    function _checkUsable(bytes32 id, Unit storage unit) private view {
        UnitKind kind = unit.kind;
        if (kind == UnitKind.Container) revert ContainerNotTransformable(id);
        _checkLotUsable(kind == UnitKind.Lot ? id : _batchLot[id]);
    }

    /// @dev Reverts if lot `lot` is recalled or expired.
    function _checkLotUsable(bytes32 lot) private view {
        Lot storage record = _lots[lot];
        if (record.recalled) revert LotIsRecalled(lot);
        uint40 expiresAt = record.expiresAt;
        // Intended: the expiry date; a validator's few seconds of drift are immaterial.
        if (expiresAt != 0 && block.timestamp > expiresAt) revert LotExpired(lot, expiresAt);
    }

    /// @dev Reverts unless `org` may dispense from `batch` now: not consumed (no container is ever consumed, since a
    /// transformation refuses containers), held by `org` (directly or in its containers) and not in transit, its lot
    /// neither recalled nor expired.
    function _checkDispensable(bytes32 batch, Unit storage unit, uint32 org) private view {
        if (unit.consumed) revert UnitConsumed(batch);
        bytes32 top = _outermost(batch);
        Unit storage held = _units[top];
        uint32 holder = held.custodian;
        if (holder != org) revert NotCustodian(batch, holder, org);
        uint32 receiver = held.pendingReceiver;
        if (receiver != 0) revert UnitInTransit(top, receiver);
        _checkLotUsable(_batchLot[batch]);
    }

    /// @dev The outermost container holding `unit` (`unit` itself if it is not packed). Bounded: packing keeps every
    /// nesting at most MAX_HEIGHT deep.
    function _outermost(bytes32 unit) private view returns (bytes32) {
        for (bytes32 parent = _parent[unit]; parent != 0; parent = _parent[unit]) {
            unit = parent;
        }
        return unit;
    }

    /// @dev Reverts unless GS1 key `key` of `digits` digits carries a company prefix licensed to `org`.
    function _checkLicensee(uint256 key, uint8 digits, uint32 org) private view {
        // slither-disable-next-line unused-return -- the prefix length is not needed
        (uint32 licensee, ) = participants.companyPrefixOwner(key, digits);
        if (licensee != org) revert CompanyPrefixNotHeld(key, licensee, org);
    }

    function _provesItem(
        bytes32 batch,
        bytes20 serial,
        uint32 index,
        bytes32[] calldata proof
    ) private view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(_lots[_batchLot[batch]].gtin, serial, index))));
        return MerkleProof.verifyCalldata(proof, _batchRoot[batch], leaf);
    }

    function _lotId(uint64 gtin, bytes20 lotNumber) private pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lotNumber));
    }

    function _checkLength(uint256 length, uint256 maximum) private pure {
        if (length == 0 || length > maximum) revert InvalidListLength(length, maximum);
    }
}

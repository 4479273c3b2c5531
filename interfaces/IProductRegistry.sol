// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProductRegistry
/// @notice Traceability of food and medicine: GTIN claims, lots, serialized items, custody of lots, commissioning
/// batches and SSCC containers through two-party handovers, transformations, inspections, dispensing, recalls,
/// verification of a pack, and anchors of EPCIS 2.0 events.
/// @dev On chain go identifiers, hashes and what verification needs. Serial lists are committed as Merkle roots
/// (leaf: `keccak256(bytes.concat(keccak256(abi.encode(uint64 gtin, bytes20 serial, uint32 index))))`, pairs
/// hashed sorted, as OpenZeppelin's MerkleProof); quantities, prices and partners stay off chain.
interface IProductRegistry {
    /// @notice What a custody unit is.
    enum UnitKind {
        None,
        Lot, // a lot of a GTIN (bulk, or the lot of serialized items)
        Batch, // a commissioning of serialized items: a Merkle root of serials of one lot
        Container // an SSCC logistic unit: pallet, container
    }

    /// @notice The answer of {verify}.
    enum Status {
        Unknown, // not commissioned here (or the proof does not hold)
        Authentic,
        Mismatch, // lot or expiry differ from the record
        Expired,
        Recalled,
        Decommissioned // already dispensed (also before its lot's recall): a second pack with this serial is a clone
    }

    /// @notice A custody unit (one storage slot).
    struct Unit {
        UnitKind kind;
        bool consumed; // a transformation used it up
        uint8 height; // nesting below it: 0 for lots and batches
        uint32 custodian; // organisation holding it
        uint32 pendingReceiver; // organisation it was shipped to, 0 when not in transit
        uint32 size; // serials in a batch
        uint40 since; // when the custodian took it
        bool packed; // inside a container (see {parentOf}): it moves with the container
        uint88 children; // containers: how many units of each height 0-7 they hold directly, 11 bits each
    }

    /// @notice A registered lot (one storage slot).
    struct Lot {
        uint64 gtin;
        uint40 expiresAt; // unix time of the end of the expiry day, UTC; 0 when it does not expire
        bytes2 origin; // ISO 3166-1 alpha-2
        bool recalled;
        uint32 owner; // the organisation owning the GTIN
    }

    /// @notice An output of a transformation: a new lot.
    struct LotInput {
        uint64 gtin;
        bytes20 lotNumber;
        uint40 expiresAt;
        bytes2 origin;
        bytes32 dataHash;
    }

    /// @notice An EPCIS 2.0 event anchored on chain; the document itself stays off chain.
    struct EpcisAnchor {
        bytes32 eventHash; // keccak-256 of the event's canonical JSON
        uint8 eventType; // 1 Object, 2 Aggregation, 3 Transaction, 4 Transformation, 5 Association
        uint40 eventTime;
        uint64 location; // GLN of the read point or business location, 0 if none
    }

    /// @dev GTIN `gtin` is not a GTIN-14 with a valid check digit.
    error InvalidGtin(uint64 gtin);
    /// @dev GS1 key `key` (a GTIN or an SSCC) carries a company prefix licensed to organisation `licensee` (0: to
    /// nobody), not to the caller's organisation `caller`.
    error CompanyPrefixNotHeld(uint256 key, uint32 licensee, uint32 caller);
    /// @dev A new container is named by its SSCC: `container` is not an 18-digit SSCC with a valid check digit (lots
    /// and batches have ids of their own, which no container can take).
    error InvalidSscc(bytes32 container);
    /// @dev Container `container` cannot be packed into itself.
    error PackedIntoItself(bytes32 container);
    /// @dev Container `container` holds 2,047 units of height `height` directly, its most.
    error ContainerFull(bytes32 container, uint8 height);
    /// @dev Lot `lot` is recalled: no items of it may be commissioned or dispensed, nor it transformed.
    error LotIsRecalled(bytes32 lot);
    /// @dev Lot `lot` expired at `expiresAt`: no items of it may be commissioned or dispensed, nor it transformed.
    error LotExpired(bytes32 lot, uint40 expiresAt);
    /// @dev Unit `unit` is a container: a transformation uses up lots and batches, never a container (unpack it).
    error ContainerNotTransformable(bytes32 unit);
    /// @dev GTIN `gtin` is already claimed by organisation `owner`.
    error GtinAlreadyClaimed(uint64 gtin, uint32 owner);
    /// @dev GTIN `gtin` is owned by organisation `owner`, not by the caller's organisation `caller`.
    error NotGtinOwner(uint64 gtin, uint32 owner, uint32 caller);
    /// @dev Lot `lot` is registered already.
    error LotAlreadyRegistered(bytes32 lot);
    /// @dev A lot number is empty.
    error EmptyLotNumber();
    /// @dev No lot `lot` is registered.
    error NonexistentLot(bytes32 lot);
    /// @dev No custody unit `unit` exists.
    error NonexistentUnit(bytes32 unit);
    /// @dev A commissioning of `count` serials: the count must be 1 or more.
    error InvalidSerialCount(uint32 count);
    /// @dev Batch `batch` (this lot and serial root) was commissioned already.
    error BatchAlreadyCommissioned(bytes32 batch);
    /// @dev Organisation `caller` is not the custodian of unit `unit` (held by `custodian`).
    error NotCustodian(bytes32 unit, uint32 custodian, uint32 caller);
    /// @dev Unit `unit` is in transit to organisation `receiver`.
    error UnitInTransit(bytes32 unit, uint32 receiver);
    /// @dev Unit `unit` is not in transit to the caller's organisation `caller` (pending receiver `receiver`).
    error NotPendingReceiver(bytes32 unit, uint32 receiver, uint32 caller);
    /// @dev Unit `unit` is not in transit.
    error UnitNotInTransit(bytes32 unit);
    /// @dev Unit `unit` is packed in container `container`: handle the container.
    error UnitPacked(bytes32 unit, bytes32 container);
    /// @dev Unit `unit` is not packed in container `container`.
    error UnitNotInContainer(bytes32 unit, bytes32 container);
    /// @dev Unit `unit` was consumed by a transformation.
    error UnitConsumed(bytes32 unit);
    /// @dev Unit `unit` is not a container.
    error NotAContainer(bytes32 unit);
    /// @dev Unit `unit` is not a commissioning batch.
    error NotABatch(bytes32 unit);
    /// @dev Packing would nest containers deeper than `maximum`.
    error NestingTooDeep(uint8 maximum);
    /// @dev A unit cannot be shipped to its own custodian `organisation`.
    error ShipmentToSelf(uint32 organisation);
    /// @dev A list is empty or longer than `maximum`.
    error InvalidListLength(uint256 length, uint256 maximum);
    /// @dev The serial `serial` at `index` is not in batch `batch` (the Merkle proof does not hold).
    error InvalidItemProof(bytes32 batch, bytes20 serial, uint32 index);
    /// @dev Item `index` of batch `batch` was dispensed or decommissioned already.
    error ItemAlreadyDecommissioned(bytes32 batch, uint32 index);
    /// @dev Lot `lot` is recalled already.
    error LotAlreadyRecalled(bytes32 lot);
    /// @dev Organisation `caller` may not recall lot `lot`: only its GTIN owner or a regulator.
    error UnauthorizedRecall(bytes32 lot, uint32 caller);

    /// @notice GTIN `gtin` belongs to `owner`.
    event GtinClaimed(uint64 indexed gtin, uint32 indexed owner);
    /// @notice Lot `lot` of `gtin` was registered at `location` (GLN).
    event LotRegistered(
        bytes32 indexed lot,
        uint64 indexed gtin,
        uint32 indexed owner,
        bytes20 lotNumber,
        uint40 expiresAt,
        bytes2 origin,
        bytes32 dataHash,
        uint64 location
    );
    /// @notice `count` serials of `lot` were commissioned as batch `batch` (EPCIS ObjectEvent ADD, commissioning).
    event Commissioned(
        bytes32 indexed batch,
        bytes32 indexed lot,
        uint32 indexed owner,
        bytes32 serialsRoot,
        uint32 count,
        uint64 location
    );
    /// @notice `children` were packed into `container` (EPCIS AggregationEvent ADD, packing).
    event Packed(bytes32 indexed container, uint32 indexed organisation, bytes32[] children, uint64 location);
    /// @notice `children` were unpacked from `container` (EPCIS AggregationEvent DELETE, unpacking).
    event Unpacked(bytes32 indexed container, uint32 indexed organisation, bytes32[] children, uint64 location);
    /// @notice `unit` left custodian `from` for `to` (EPCIS shipping, in_transit). Custody moves on receipt.
    event Shipped(bytes32 indexed unit, uint32 indexed from, uint32 indexed to, uint64 location);
    /// @notice `to` received `unit` from `from`: custody moved (EPCIS receiving, in_progress).
    event Received(bytes32 indexed unit, uint32 indexed from, uint32 indexed to, uint64 location);
    /// @notice The shipment of `unit` to `to` was cancelled by its custodian `from`.
    event ShipmentCancelled(bytes32 indexed unit, uint32 indexed from, uint32 indexed to);
    /// @notice `inputs` were consumed and `outputs` produced (EPCIS TransformationEvent).
    event Transformed(
        bytes32 indexed transformation,
        uint32 indexed organisation,
        bytes32[] inputs,
        bytes32[] outputs,
        uint64 location
    );
    /// @notice `inspector` inspected `unit`: `passed`, report `reportHash` (EPCIS inspecting).
    event Inspected(bytes32 indexed unit, uint32 indexed inspector, bool passed, bytes32 reportHash, uint64 location);
    /// @notice Item `index` of `batch` was dispensed or decommissioned by `organisation` (EPCIS dispensing).
    event Dispensed(bytes32 indexed batch, uint32 indexed organisation, uint32 index, bytes20 serial, uint64 location);
    /// @notice Lot `lot` was recalled by `by` for `reason`.
    event Recalled(bytes32 indexed lot, uint32 indexed by, bytes32 reason);
    /// @notice `organisation` anchored the EPCIS event `eventHash`.
    event EpcisEventRecorded(
        bytes32 indexed eventHash,
        uint32 indexed organisation,
        uint8 eventType,
        uint40 eventTime,
        uint64 location
    );

    /// @notice Claims a GTIN for the caller's organisation (brand or manufacturer), the licensee of the GS1 company
    /// prefix the GTIN carries (see {IParticipantRegistry-companyPrefixOwner}). After the consortium admin reassigns
    /// a prefix, its new licensee claims the prefix's GTINs from the old one. Emits {GtinClaimed}.
    /// @param gtin GTIN-14 as an integer.
    function claimGtin(uint64 gtin) external;

    /// @notice Registers a lot of an owned GTIN; the caller's organisation becomes its custodian.
    /// Emits {LotRegistered}.
    /// @param gtin The GTIN.
    /// @param lotNumber AI 10 lot number, ASCII, right-padded with zeros.
    /// @param expiresAt End of the expiry day (unix time), 0 if none.
    /// @param origin ISO 3166-1 alpha-2 country of origin.
    /// @param dataHash Hash of off-chain lot data (certificates, lab results).
    /// @param location GLN where it happened, 0 if none.
    /// @return lot The lot id, `keccak256(abi.encode(gtin, lotNumber))`.
    function registerLot(
        uint64 gtin,
        bytes20 lotNumber,
        uint40 expiresAt,
        bytes2 origin,
        bytes32 dataHash,
        uint64 location
    ) external returns (bytes32 lot);

    /// @notice Commissions `count` serialized items of `lot` in one step, committed as the Merkle root of their
    /// serials. The GTIN owner only; never into a recalled or expired lot ({LotIsRecalled}, {LotExpired}).
    /// Emits {Commissioned}.
    /// @param lot The lot.
    /// @param serialsRoot Merkle root of the serial leaves.
    /// @param count Number of serials.
    /// @param location GLN, 0 if none.
    /// @return batch The batch id, `keccak256(abi.encode(lot, serialsRoot))`: a custody unit.
    function commission(
        bytes32 lot,
        bytes32 serialsRoot,
        uint32 count,
        uint64 location
    ) external returns (bytes32 batch);

    /// @notice Packs units held by the caller into a container, so they move with it. A new container is created
    /// for the caller: its id must be an SSCC whose company prefix is licensed to the caller's organisation.
    /// Emits {Packed}.
    /// @param container The SSCC as a unit id (`bytes32(uint256(sscc))`).
    /// @param children Units to pack (at most 256), held by the caller, not in transit, not packed.
    /// @param location GLN, 0 if none.
    function pack(bytes32 container, bytes32[] calldata children, uint64 location) external;

    /// @notice Unpacks units from a container held by the caller; they become the caller's. Emits {Unpacked}.
    /// @param container The container.
    /// @param children Units to take out (at most 256).
    /// @param location GLN, 0 if none.
    function unpack(bytes32 container, bytes32[] calldata children, uint64 location) external;

    /// @notice Ships a unit (with everything packed in it) to organisation `receiver`. The custodian only.
    /// Custody moves when the receiver calls {receiveShipment}. Emits {Shipped}.
    /// @param unit The unit.
    /// @param receiver The receiving organisation.
    /// @param location GLN, 0 if none.
    function ship(bytes32 unit, uint32 receiver, uint64 location) external;

    /// @notice Receives a unit shipped to the caller's organisation: custody moves. Emits {Received}.
    /// @param unit The unit.
    /// @param location GLN, 0 if none.
    function receiveShipment(bytes32 unit, uint64 location) external;

    /// @notice Cancels a shipment not yet received. The custodian only. Emits {ShipmentCancelled}.
    /// @param unit The unit.
    function cancelShipment(bytes32 unit) external;

    /// @notice Consumes input units held by the caller and registers output lots (of GTINs it owns). Inputs are lots
    /// or batches, never containers, and never of a recalled or expired lot: a transformation does not wash out a
    /// recall. Emits {Transformed} and a {LotRegistered} per output.
    /// @param inputs Units consumed (at most 64).
    /// @param outputs Lots produced (at most 64).
    /// @param location GLN, 0 if none.
    /// @return outputLots The new lot ids.
    function transform(
        bytes32[] calldata inputs,
        LotInput[] calldata outputs,
        uint64 location
    ) external returns (bytes32[] memory outputLots);

    /// @notice Records an inspection by an inspector, customs or a regulator. Emits {Inspected}.
    /// @param unit The unit.
    /// @param passed Whether it passed.
    /// @param reportHash Hash of the inspection report.
    /// @param location GLN, 0 if none.
    function inspect(bytes32 unit, bool passed, bytes32 reportHash, uint64 location) external;

    /// @notice Dispenses (decommissions) one serialized item, proven to be in the batch. The custodian of the
    /// batch only, while it holds it (not in transit); never an item of a recalled or expired lot, or of a batch a
    /// transformation consumed. Emits {Dispensed}.
    /// @param batch The batch.
    /// @param serial The serial, ASCII right-padded.
    /// @param index Its index in the batch's serial list.
    /// @param proof Merkle proof of the leaf.
    /// @param location GLN, 0 if none.
    function dispense(bytes32 batch, bytes20 serial, uint32 index, bytes32[] calldata proof, uint64 location) external;

    /// @notice Recalls lots: by the GTIN owner (brand or manufacturer) or a regulator. Emits {Recalled} each.
    /// @param lots The lots (at most 256).
    /// @param reason Reason code or hash of the recall notice.
    function recall(bytes32[] calldata lots, bytes32 reason) external;

    /// @notice Anchors EPCIS 2.0 events attested by the caller's organisation (any active member).
    /// Emits {EpcisEventRecorded} per event.
    /// @param events The anchors (at most 4,096).
    function recordEvents(EpcisAnchor[] calldata events) external;

    /// @notice Verifies a serialized pack as scanned: GTIN, serial, lot and expiry, with the batch and Merkle
    /// proof of its serial. Verdicts in order: Unknown, Mismatch, Decommissioned (a pack dispensed before its lot's
    /// recall stays Decommissioned: a second pack with its serial is a clone), Recalled, Expired, Authentic.
    /// @return status The verdict.
    /// @return custodian The organisation holding the pack now (0 when unknown).
    function verify(
        uint64 gtin,
        bytes20 serial,
        bytes20 lotNumber,
        uint40 expiresAt,
        bytes32 batch,
        uint32 index,
        bytes32[] calldata proof
    ) external view returns (Status status, uint32 custodian);

    /// @notice Verifies a lot-level product as scanned (GTIN, lot, expiry).
    /// @return status The verdict (never Decommissioned).
    /// @return custodian The organisation holding the lot now (0 when unknown).
    function verifyLot(
        uint64 gtin,
        bytes20 lotNumber,
        uint40 expiresAt
    ) external view returns (Status status, uint32 custodian);

    /// @notice A custody unit; reverts with {NonexistentUnit} if unknown.
    function getUnit(bytes32 unit) external view returns (Unit memory);

    /// @notice A lot; reverts with {NonexistentLot} if unknown.
    function getLot(bytes32 lot) external view returns (Lot memory);

    /// @notice The container a unit is packed in, 0 if none.
    function parentOf(bytes32 unit) external view returns (bytes32);

    /// @notice The organisation holding a unit now: the custodian of its outermost container.
    function custodianOf(bytes32 unit) external view returns (uint32);

    /// @notice The owner of a GTIN, 0 if unclaimed.
    function gtinOwner(uint64 gtin) external view returns (uint32);

    /// @notice The lot and Merkle root of a batch (zero if unknown).
    function batchOf(bytes32 batch) external view returns (bytes32 lot, bytes32 serialsRoot);

    /// @notice Whether item `index` of `batch` was dispensed.
    function isDecommissioned(bytes32 batch, uint32 index) external view returns (bool);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";
import {ILuxuryCertificate} from "../interfaces/ILuxuryCertificate.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title LuxuryCertificate
/// @notice Multi-brand ERC-721 authenticity certificates with claim-secret resale and theft freezing.
/// @dev OpenZeppelin's ERC721 keeps owners, balances and approvals. Ours: the brand is the top 32 bits of the id,
/// the metadata hash and issue time are emitted (nothing on chain reads them), the number of previous owners is
/// the count of Transfer events; one packed slot per certificate (status, report time, claim nonce and key) is
/// written only when a claim or a report needs it. The freeze and the closing of open claims live in the one choke point,
/// the override of {ERC721-_update}. Claims: the secret handed over with the item is a one-time private key;
/// the claimant shows it by a signature over (certificate, claimant, contract, chain, claim nonce), so a
/// signature seen in the mempool cannot be used by anyone else, and none works twice.
/// Trust: brands are organisations with the brand role in the {IParticipantRegistry}.
contract LuxuryCertificate is ERC721, IERC4906, ILuxuryCertificate {
    uint256 private constant MAX_BATCH = 2_000;

    IParticipantRegistry public immutable participants;

    mapping(uint256 tokenId => Certificate) private _certificates;
    mapping(uint32 brand => string) private _baseURIs;

    /// @param participantRegistry The consortium's membership.
    constructor(IParticipantRegistry participantRegistry) ERC721("tradechain luxury certificate", "TCLUX") {
        participants = participantRegistry;
    }

    // ------------------------------------------------------------------ issuance

    /// @inheritdoc ILuxuryCertificate
    function issue(uint32 brand, address to, bytes32 serial, bytes32 metadataHash) external returns (uint256 tokenId) {
        _checkBrand(brand);
        tokenId = _issue(brand, to, serial, metadataHash);
    }

    /// @inheritdoc ILuxuryCertificate
    function issueBatch(
        uint32 brand,
        address to,
        bytes32[] calldata serials,
        bytes32[] calldata metadataHashes
    ) external {
        _checkBrand(brand);
        uint256 n = serials.length;
        if (n == 0 || n > MAX_BATCH || metadataHashes.length != n) revert InvalidIssueBatch(n, MAX_BATCH);
        for (uint256 i = 0; i < n; ++i) {
            _issue(brand, to, serials[i], metadataHashes[i]);
        }
    }

    /// @inheritdoc ILuxuryCertificate
    function updateMetadata(uint256 tokenId, bytes32 metadataHash) external {
        _requireOwned(tokenId);
        _checkBrand(brandOf(tokenId));
        emit MetadataHashChanged(tokenId, metadataHash);
        emit MetadataUpdate(tokenId);
    }

    /// @inheritdoc ILuxuryCertificate
    function setBaseURI(uint32 brand, string calldata baseURI) external {
        _checkBrand(brand);
        _baseURIs[brand] = baseURI;
        emit BaseURIChanged(brand, baseURI);
        emit BatchMetadataUpdate(0, type(uint256).max);
    }

    // ------------------------------------------------------------------ claims

    /// @inheritdoc ILuxuryCertificate
    function openClaim(uint256 tokenId, address claimKey) external {
        address owner = _requireOwned(tokenId);
        if (owner != msg.sender) revert ERC721IncorrectOwner(msg.sender, tokenId, owner);
        if (claimKey == address(0)) revert InvalidClaimKey();
        Certificate storage cert = _certificates[tokenId];
        _checkNotFrozen(tokenId, cert);
        uint32 nonce = ++cert.claimNonce;
        cert.claimKey = claimKey;
        emit ClaimOpened(tokenId, owner, claimKey, nonce);
    }

    /// @inheritdoc ILuxuryCertificate
    function cancelClaim(uint256 tokenId) external {
        address owner = _requireOwned(tokenId);
        if (owner != msg.sender) revert ERC721IncorrectOwner(msg.sender, tokenId, owner);
        Certificate storage cert = _certificates[tokenId];
        if (cert.claimKey == address(0)) revert NoOpenClaim(tokenId);
        cert.claimKey = address(0);
        emit ClaimClosed(tokenId, cert.claimNonce);
    }

    /// @inheritdoc ILuxuryCertificate
    function claim(uint256 tokenId, bytes calldata signature) external {
        address owner = _requireOwned(tokenId);
        Certificate storage cert = _certificates[tokenId];
        address key = cert.claimKey;
        if (key == address(0)) revert NoOpenClaim(tokenId);
        // A malformed signature recovers address(0), and `key` is not zero: it fails the check below with the
        // claim's own error, so the recovery error is not needed.
        // slither-disable-next-line unused-return -- the recovery error is not needed (see the lines above)
        (address signer, , ) = ECDSA.tryRecover(claimDigest(tokenId, msg.sender), signature);
        if (signer != key) revert InvalidClaimSignature(tokenId);
        _update(msg.sender, tokenId, address(0)); // closes the claim, checks the freeze
        emit CertificateClaimed(tokenId, owner, msg.sender);
    }

    /// @inheritdoc ILuxuryCertificate
    function claimDigest(uint256 tokenId, address claimant) public view returns (bytes32) {
        bytes32 inner = keccak256(
            abi.encode(
                "tradechain certificate claim",
                block.chainid,
                address(this),
                tokenId,
                claimant,
                _certificates[tokenId].claimNonce
            )
        );
        return MessageHashUtils.toEthSignedMessageHash(inner);
    }

    // ------------------------------------------------------------------ theft, loss, service

    /// @inheritdoc ILuxuryCertificate
    function report(uint256 tokenId, bool stolen, bytes32 reportHash) external {
        address owner = _requireOwned(tokenId);
        Certificate storage cert = _certificates[tokenId];
        if (msg.sender != owner && !_isBrandAccount(brandOf(tokenId), msg.sender)) {
            revert UnauthorizedReporter(tokenId, msg.sender);
        }
        _checkNotFrozen(tokenId, cert);
        Status status = stolen ? Status.Stolen : Status.Lost;
        cert.status = status;
        cert.reportedAt = uint40(block.timestamp);
        // The claim secret travels with the item: whoever holds the item now may hold it. A claim opened before the
        // report must not outlive it, or the thief claims the certificate the moment the brand clears the report.
        if (cert.claimKey != address(0)) {
            cert.claimKey = address(0);
            emit ClaimClosed(tokenId, cert.claimNonce);
        }
        emit CertificateReported(tokenId, status, msg.sender, reportHash);
    }

    /// @inheritdoc ILuxuryCertificate
    function clearReport(uint256 tokenId) external {
        _requireOwned(tokenId);
        Certificate storage cert = _certificates[tokenId];
        _checkBrand(brandOf(tokenId));
        Status previous = cert.status;
        if (previous == Status.Valid) revert CertificateNotReported(tokenId);
        cert.status = Status.Valid;
        cert.reportedAt = 0;
        emit ReportCleared(tokenId, previous, msg.sender);
    }

    /// @inheritdoc ILuxuryCertificate
    function recordService(uint256 tokenId, bytes32 kind, bytes32 recordHash) external {
        _requireOwned(tokenId);
        uint32 brand = brandOf(tokenId);
        _checkBrand(brand);
        emit ServiceRecorded(tokenId, brand, kind, recordHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILuxuryCertificate
    function getCertificate(uint256 tokenId) external view returns (Certificate memory) {
        _requireOwned(tokenId);
        return _certificates[tokenId];
    }

    /// @inheritdoc ILuxuryCertificate
    function brandOf(uint256 tokenId) public pure returns (uint32) {
        return uint32(tokenId >> 224);
    }

    /// @inheritdoc ILuxuryCertificate
    function certificateId(uint32 brand, bytes32 serial) public pure returns (uint256) {
        // 224 bits of the serial's hash: a collision within one brand needs ~2^112 serials
        return (uint256(brand) << 224) | (uint256(keccak256(abi.encode(serial))) >> 32);
    }

    /// @inheritdoc ILuxuryCertificate
    function existing(uint256[] calldata tokenIds) external view returns (bool[] memory found) {
        found = new bool[](tokenIds.length);
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            found[i] = _ownerOf(tokenIds[i]) != address(0);
        }
    }

    /// @inheritdoc ERC721
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        string memory base = _baseURIs[brandOf(tokenId)];
        return bytes(base).length == 0 ? "" : string.concat(base, Strings.toHexString(tokenId, 32));
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Every change of owner passes here: a frozen certificate never moves, and an open claim ends with the
    /// owner who opened it. Minting (from zero) is left to {_issue}, which writes no record.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        if (_ownerOf(tokenId) != address(0)) {
            Certificate storage cert = _certificates[tokenId];
            _checkNotFrozen(tokenId, cert);
            if (cert.claimKey != address(0)) {
                cert.claimKey = address(0);
                emit ClaimClosed(tokenId, cert.claimNonce);
            }
        }
        from = super._update(to, tokenId, auth);
    }

    /// @dev Issues one certificate. Requirements: a non-empty serial not issued before by this brand.
    /// Emits {CertificateIssued} and a mint {IERC721-Transfer}.
    function _issue(uint32 brand, address to, bytes32 serial, bytes32 metadataHash) private returns (uint256 tokenId) {
        if (serial == bytes32(0)) revert EmptySerial();
        tokenId = certificateId(brand, serial);
        if (_ownerOf(tokenId) != address(0)) revert CertificateAlreadyIssued(tokenId, brand, serial);
        _mint(to, tokenId);
        emit CertificateIssued(tokenId, brand, serial, metadataHash);
    }

    function _checkBrand(uint32 brand) private view {
        uint32 org = participants.requireRole(msg.sender, Roles.BRAND);
        if (org != brand) revert UnauthorizedBrand(brand, org);
    }

    function _isBrandAccount(uint32 brand, address account) private view returns (bool) {
        // slither-disable-next-line unused-return -- whether the account is a manager does not matter here
        (uint32 org, ) = participants.organisationOf(account);
        return org == brand && participants.isAuthorized(account, Roles.BRAND);
    }

    function _checkNotFrozen(uint256 tokenId, Certificate storage cert) private view {
        Status status = cert.status;
        if (status != Status.Valid) revert CertificateFrozen(tokenId, status, cert.reportedAt);
    }
}

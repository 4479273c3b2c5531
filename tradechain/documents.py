"""Trade documents: hashing (file bytes, or canonical JSON for .json), Merkle batches, anchoring with each
document's proof kept beside it (``<file>.tcproof.json``), verification and revocation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from tradechain import canonical
from tradechain.errors import InputError
from tradechain.merkle import MerkleTree
from tradechain.reverts import decoding_for
from tradechain.tx import Receipt

if TYPE_CHECKING:
    from tradechain.client import Client

NAME = "DocumentRegistry"
PROOF_SUFFIX = ".tcproof.json"
MAX_BATCH = 100_000
DOC_TYPES = {
    "bill-of-lading": 1,
    "certificate-of-origin": 2,
    "inspection-certificate": 3,
    "phytosanitary-certificate": 4,
    "customs-clearance": 5,
    "delivery-attestation": 6,
    "commercial-invoice": 7,
    "packing-list": 8,
    "insurance-certificate": 9,
}
DOC_TYPE_NAMES = {v: k for k, v in DOC_TYPES.items()}


def parse_doc_type(value: str | int, field: str = "type") -> int:
    if isinstance(value, int):
        if value in DOC_TYPE_NAMES:
            return value
    elif value in DOC_TYPES:
        return DOC_TYPES[value]
    raise InputError(field, f"unknown document type; known: {', '.join(DOC_TYPES)}", value)


def trade_id(value: str, field: str = "trade") -> bytes:
    """A trade id as bytes32: a 0x hash as given, else up to 32 printable ASCII characters, right-padded."""
    text = str(value).strip()
    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    if not text or len(text) > 32 or not all(0x20 < ord(c) < 0x7F for c in text):
        raise InputError(field, "a trade id is 1-32 printable ASCII characters or a 0x 32-byte hash", value)
    return text.encode().ljust(32, b"\0")


def text_or_hex(value: bytes, *, spaces: bool = False) -> str:
    """A bytes32 as people read it: its text if it is printable ASCII (a trade id; with ``spaces``, a reason
    code), else 0x hex (an escrow id, a hash). A trade id read so parses back to the same bytes (:func:`trade_id`)."""
    raw = bytes(value)
    text = raw.rstrip(b"\0")
    low = 0x20 if spaces else 0x21
    if text.strip() and all(low <= b < 0x7F for b in text):
        return text.decode()
    return "0x" + raw.hex()


def document_hash(path: Path) -> bytes:
    """keccak-256 of the file's bytes; for ``.json`` files, of their canonical JSON (formatting ignored)."""
    if not path.is_file():
        raise InputError("file", "not found", str(path))
    data = path.read_bytes()
    if not data:
        raise InputError("file", "is empty", str(path))
    if path.suffix.lower() == ".json":
        try:
            return canonical.json_hash(json.loads(data.decode("utf-8")), str(path))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError("file", f"a .json document must be JSON ({exc})", str(path)) from None
    return keccak(data)


def leaf(doc_hash: bytes, doc_type: int, trade: bytes) -> bytes:
    return keccak(keccak(abi_encode(["bytes32", "uint8", "bytes32"], [doc_hash, doc_type, trade])))


@dataclass(frozen=True)
class DocumentProof:
    root: str
    document_hash: str
    doc_type: int
    trade_id: str
    proof: list[str]
    registry: str
    chain_id: int
    issuer: int

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "documentHash": self.document_hash,
            "docType": DOC_TYPE_NAMES[self.doc_type],
            "tradeId": self.trade_id,
            "proof": self.proof,
            "registry": self.registry,
            "chainId": self.chain_id,
            "issuer": self.issuer,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentProof:
        return cls(
            data["root"],
            data["documentHash"],
            parse_doc_type(data["docType"]),
            data["tradeId"],
            list(data["proof"]),
            data["registry"],
            int(data["chainId"]),
            int(data["issuer"]),
        )

    def call_args(self) -> tuple[bytes, int, bytes, bytes, int, list[bytes]]:
        """(document hash, type, trade id, root, issuer, proof): the arguments of DocumentRegistry.verify."""
        return (
            bytes.fromhex(self.document_hash[2:]),
            self.doc_type,
            bytes.fromhex(self.trade_id[2:]),
            bytes.fromhex(self.root[2:]),
            self.issuer,
            [bytes.fromhex(p[2:]) for p in self.proof],
        )


def proof_path(path: Path) -> Path:
    return path.with_name(path.name + PROOF_SUFFIX)


def read_proof(path: Path) -> DocumentProof:
    sidecar = proof_path(path)
    if not sidecar.is_file():
        raise InputError("file", f"no proof beside it ({sidecar.name}): was it anchored here?", str(path))
    try:
        return DocumentProof.from_json(json.loads(sidecar.read_text()))
    except (ValueError, KeyError) as exc:
        raise InputError("file", f"its proof file is not valid ({exc})", str(sidecar)) from None


def _iso(t: int) -> str | None:
    return datetime.fromtimestamp(t, UTC).isoformat() if t else None


@dataclass(frozen=True)
class Revocation:
    """A revocation, from its event: of the whole batch ``root`` (``leaf`` None) or of one document of
    ``issuer``; by account ``by``, the issuer's or the consortium admin's."""

    root: str
    leaf: str | None
    issuer: int
    reason: str
    by: str
    by_admin: bool
    block: int

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "leaf": self.leaf,
            "issuer": self.issuer,
            "reason": self.reason,
            "by": self.by,
            "byAdmin": self.by_admin,
            "block": self.block,
        }


@dataclass(frozen=True)
class DocumentCheck:
    valid: bool
    hash_matches: bool
    issuer: int
    issuer_roles: list[str]
    anchored_at: int
    revoked_at: int
    doc_type: str
    trade_id: str  # the trade id as text, or 0x hex (an escrow id)
    revocation: Revocation | None = None  # who revoked it and why, when it is revoked

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "hashMatches": self.hash_matches,
            "issuer": self.issuer,
            "issuerRoles": self.issuer_roles,
            "anchoredAt": _iso(self.anchored_at),
            "revokedAt": _iso(self.revoked_at),
            "revokedBy": self.revocation.by if self.revocation else None,
            "revokedByAdmin": self.revocation.by_admin if self.revocation else None,
            "revocationReason": self.revocation.reason if self.revocation else None,
            "type": self.doc_type,
            "tradeId": self.trade_id,
        }


class DocumentClient:
    def __init__(self, client: Client, address: str | None = None) -> None:
        self.client = client
        self.contract = client.contract(NAME, address)
        self.address = self.contract.address

    def _send(self, fn: str, *args: Any) -> Receipt:
        with decoding_for(NAME):
            return self.client.send(self.contract, fn, *args, label=f"{NAME}.{fn}")

    def _call(self, fn: str, *args: Any) -> Any:
        with decoding_for(NAME):
            return self.client.call(self.contract, fn, *args)

    def anchor(self, files: Sequence[Path], doc_type: str | int, trade: str) -> tuple[str, Receipt]:
        """Anchors ``files`` as one batch and writes each one's proof beside it. ``trade``: the trade id the
        documents are issued for; for an escrow's documents, the escrow id (0x and 64 hex digits)."""
        if not files:
            raise InputError("files", "at least one file")
        if len(files) > MAX_BATCH:
            raise InputError("files", f"at most {MAX_BATCH:,} per batch", len(files))
        kind, trade_bytes = parse_doc_type(doc_type), trade_id(trade)
        hashes = [document_hash(Path(f)) for f in files]
        leaves = [leaf(h, kind, trade_bytes) for h in hashes]
        if len(set(leaves)) != len(leaves):
            raise InputError("files", "the same document appears twice in the batch")
        tree = MerkleTree.build(leaves)
        issuer, _ = self.client.participants.organisation_of(self.client.require_signer().address)
        receipt = self._send("anchor", tree.root, len(files))
        root = "0x" + tree.root.hex()
        for i, (path, doc_hash) in enumerate(zip(files, hashes, strict=True)):
            proof = DocumentProof(
                root,
                "0x" + doc_hash.hex(),
                kind,
                "0x" + trade_bytes.hex(),
                ["0x" + p.hex() for p in tree.proof(i)],
                self.address,
                self.client.chain_id,
                issuer,
            )
            proof_path(Path(path)).write_text(json.dumps(proof.to_json(), indent=2) + "\n")
        return root, receipt

    def verify(self, path: Path) -> DocumentCheck:
        """Recomputes the file's hash and checks it, with its proof, against the chain: a changed byte fails.
        A revoked document comes with its revocation (who, why)."""
        proof = read_proof(path)
        actual = "0x" + document_hash(path).hex()
        args = proof.call_args()
        if actual != proof.document_hash:
            args = (bytes.fromhex(actual[2:]), *args[1:])
        valid, issuer, roles, anchored, revoked = self._call("verify", *args)
        from tradechain.identity import role_names

        return DocumentCheck(
            bool(valid),
            actual == proof.document_hash,
            int(issuer),
            role_names(int(roles)),
            int(anchored),
            int(revoked),
            DOC_TYPE_NAMES[proof.doc_type],
            text_or_hex(bytes.fromhex(proof.trade_id[2:])),
            self.revocation_of(proof) if int(revoked) else None,
        )

    def revocation_of(self, proof: DocumentProof) -> Revocation | None:
        """The revocation of a document, from the events: of its batch, else of the document itself (in any batch
        of its issuer: a document is revoked per issuer)."""
        doc_hash, kind, trade, root, issuer, _ = proof.call_args()
        start = self.client.deployment.contracts[NAME].block
        logs = self.contract.events.BatchRevoked().get_logs(
            from_block=start, argument_filters={"root": root, "issuer": issuer}
        )
        if not logs:
            logs = self.contract.events.DocumentRevoked().get_logs(
                from_block=start, argument_filters={"leaf": leaf(doc_hash, kind, trade), "issuer": issuer}
            )
        return self._revocation(logs[0]) if logs else None

    def revocations(self, receipt: Receipt) -> list[Revocation]:
        """The revocations a transaction recorded (BatchRevoked and DocumentRevoked events)."""
        from web3.logs import DISCARD

        found = [
            *self.contract.events.BatchRevoked().process_receipt(receipt.raw, errors=DISCARD),
            *self.contract.events.DocumentRevoked().process_receipt(receipt.raw, errors=DISCARD),
        ]
        return [self._revocation(e) for e in sorted(found, key=lambda e: int(e["logIndex"]))]

    def _revocation(self, event: Any) -> Revocation:
        args = event["args"]
        by = str(args["by"])
        is_admin = bool(self.client.call(self.client.participants.contract, "isAdmin", by))
        return Revocation(
            "0x" + bytes(args["root"]).hex(),
            "0x" + bytes(args["leaf"]).hex() if "leaf" in args else None,
            int(args["issuer"]),
            text_or_hex(bytes(args["reason"]), spaces=True),
            by,
            is_admin,
            int(event["blockNumber"]),
        )

    def revoke(self, path: Path, reason: str, *, issuer: int | None = None) -> Receipt:
        """Revokes one document, of the issuer its proof names: an account of that issuer, or the consortium admin.
        ``issuer``, if given, must be the proof's (a guard against revoking the wrong document)."""
        from tradechain.values import reason_code

        proof = read_proof(path)
        if issuer is not None and issuer != proof.issuer:
            raise InputError(
                "issuer", f"the proof of {Path(path).name} names issuer {proof.issuer}, not {issuer}", issuer
            )
        code = reason_code(reason)
        doc_hash, kind, trade, root, proof_issuer, branch = proof.call_args()
        return self._send("revokeDocument", root, proof_issuer, doc_hash, kind, trade, branch, code)

    def revoke_batch(self, root: str, reason: str, *, issuer: int | None = None) -> Receipt:
        """Revokes the whole batch ``root`` of ``issuer`` (by default the signer's own organisation). The
        consortium admin names the issuer."""
        from tradechain.values import parse_bytes32, reason_code

        batch, code = parse_bytes32(root, "batch"), reason_code(reason)
        if issuer is None:
            issuer, _ = self.client.participants.organisation_of(self.client.require_signer().address)
            if issuer == 0:
                raise InputError("issuer", "this account signs for no organisation: name the batch's issuer")
        return self._send("revokeBatch", batch, issuer, code)

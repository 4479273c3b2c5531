"""Trade documents: hashing (file bytes, or canonical JSON for .json), Merkle batches, anchoring with each
document's proof kept beside it (``<file>.tcproof.json``), verification and revocation."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from tradechain.chain.tx import Receipt
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError
from tradechain.formats import canonical, document_types
from tradechain.formats.merkle import MerkleTree

NAME = "DocumentRegistry"
PROOF_SUFFIX = ".tcproof.json"
MAX_BATCH = 100_000
MAX_PROOF_DEPTH = 64  # a branch of a batch of at most 100,000 documents has 17 hashes
# The document types: the table shared with the contracts (tradechain/formats/document_types.py), re-exported.
DOC_TYPES, DOC_TYPE_NAMES = document_types.DOC_TYPES, document_types.DOC_TYPE_NAMES


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


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(field, "must be text")
    return value


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, "must be a whole number")
    return value


def _hash32(value: Any, field: str) -> str:
    from tradechain.formats.values import parse_bytes32

    return "0x" + parse_bytes32(_text(value, field), field).hex()


def document_hash(path: Path) -> bytes:
    """keccak-256 of the file's bytes; for ``.json`` files, of their canonical JSON (formatting ignored, numbers
    as written). A ``.json`` file that gives a key twice, holds NaN or breaks a limit of
    :mod:`tradechain.formats.canonical` is refused: the same text must not read as two different documents."""
    if not path.is_file():
        raise InputError("file", "not found", str(path))
    is_json = path.suffix.lower() == ".json"
    data = canonical.read_bytes(path, "file") if is_json else path.read_bytes()
    return content_hash(data, is_json=is_json, shown=str(path))


def content_hash(data: bytes, *, is_json: bool, shown: str = "") -> bytes:
    """The document hash of a file's content (:func:`document_hash`), for content held in memory (an upload)."""
    if not data:
        raise InputError("file", "is empty", shown)
    if is_json:
        try:
            value = canonical.loads(data, "file", shown=shown)
        except canonical.JsonSyntaxError as exc:
            raise InputError("file", f"a .json document must be JSON ({exc.detail})", shown) from None
        if not isinstance(value, dict):
            raise InputError("file", "a .json document must be a JSON object", shown)
        return canonical.json_hash(value, "file")
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
    def from_json(cls, data: Any) -> DocumentProof:
        """A proof as :meth:`to_json` writes it, every field checked (an InputError names it as ``proof.KEY``)."""
        if not isinstance(data, dict):
            raise InputError("proof", "a proof file is a JSON object")
        for key in ("root", "documentHash", "docType", "tradeId", "proof", "registry", "chainId", "issuer"):
            if key not in data:
                raise InputError(f"proof.{key}", "is required")
        branch = data["proof"]
        if not isinstance(branch, list) or len(branch) > MAX_PROOF_DEPTH:
            raise InputError("proof.proof", f"a list of at most {MAX_PROOF_DEPTH} 32-byte hashes")
        from tradechain.formats.values import parse_address, parse_uint

        return cls(
            _hash32(data["root"], "proof.root"),
            _hash32(data["documentHash"], "proof.documentHash"),
            parse_doc_type(_text(data["docType"], "proof.docType"), "proof.docType"),
            _hash32(data["tradeId"], "proof.tradeId"),
            [_hash32(p, f"proof.proof[{i}]") for i, p in enumerate(branch)],
            parse_address(_text(data["registry"], "proof.registry"), "proof.registry"),
            parse_uint(_whole(data["chainId"], "proof.chainId"), "proof.chainId", minimum=1),
            parse_uint(_whole(data["issuer"], "proof.issuer"), "proof.issuer", bits=32, minimum=1),
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
        return DocumentProof.from_json(canonical.read_file(sidecar, "proof"))
    except InputError as exc:
        detail = exc.detail if isinstance(exc, canonical.JsonSyntaxError) else f"{exc.field}: {exc.rule}"
        raise InputError("file", f"its proof file is not valid ({detail})", str(sidecar)) from None


def read_proof_file(path: Path, field: str = "proof") -> DocumentProof:
    """A document's proof from a file of its own (received apart from the document); errors name ``field``."""
    if not path.is_file():
        raise InputError(field, "file not found", str(path))
    try:
        return DocumentProof.from_json(canonical.read_file(path, "proof"))
    except InputError as exc:
        detail = exc.detail if isinstance(exc, canonical.JsonSyntaxError) else f"{exc.field}: {exc.rule}"
        raise InputError(field, f"not a document proof ({detail})", str(path)) from None


def _proof_text(proof: DocumentProof) -> bytes:
    return (json.dumps(proof.to_json(), indent=2) + "\n").encode()


def _same_proof(a: DocumentProof, b: DocumentProof) -> bool:
    def norm(p: DocumentProof) -> tuple[Any, ...]:
        return (
            p.root.lower(),
            p.document_hash.lower(),
            p.doc_type,
            p.trade_id.lower(),
            [x.lower() for x in p.proof],
            p.registry.lower(),
            p.chain_id,
            p.issuer,
        )

    return norm(a) == norm(b)


@dataclass(frozen=True)
class ProofWrite:
    """What :func:`write_proof` did beside ``path``: ``written`` (False: the same proof was there already) and
    ``kept``, where the different proof that was there was moved (never overwritten, never lost)."""

    path: Path
    proof: DocumentProof
    written: bool
    kept: Path | None = None


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def write_proof(path: Path, proof: DocumentProof) -> ProofWrite:
    """Writes ``proof`` beside ``path`` (``<file>.tcproof.json``) atomically: in full or not at all, created
    exclusively (``O_EXCL``, never following a link). Refused (InputError naming the file) where the proof's place
    is a symbolic link (never written through: a link planted beside the file would redirect the write) or not a
    regular file. The same proof already there is left as it is; another one (of another batch, trade or issuer)
    is never overwritten: it is moved aside first, to ``<file>.tcproof-<its root>.json``."""
    path = Path(path)
    sidecar = proof_path(path)
    kept = None
    occupied, there = _existing(path, sidecar)
    if occupied:
        if there is not None and _same_proof(there, proof):
            return ProofWrite(path, proof, False)
        kept = _move_aside(path, sidecar, there)
    data = _proof_text(proof)
    tmp = sidecar.with_name(f".{sidecar.name}.{os.urandom(6).hex()}.tmp")
    try:
        fd = os.open(tmp, _CREATE, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, sidecar, follow_symlinks=False)  # atomic, and never replaces what is there
            except FileExistsError:
                raise InputError(
                    "file", f"{sidecar.name} appeared while its proof was written: run again", str(path)
                ) from None
            except OSError:  # a file system without hard links: an exclusive create in place
                _write_exclusive(path, sidecar, data)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        if kept is not None:
            _restore(sidecar, kept)
        raise InputError("file", f"its proof cannot be written beside it ({exc.strerror})", str(path)) from None
    except InputError:
        if kept is not None:
            _restore(sidecar, kept)
        raise
    return ProofWrite(path, proof, True, kept)


def _existing(path: Path, sidecar: Path) -> tuple[bool, DocumentProof | None]:
    """Whether a file is at ``sidecar``, and the proof it holds (None: not a proof)."""
    try:
        st = os.lstat(sidecar)
    except FileNotFoundError:
        return False, None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(
            "file",
            f"{sidecar.name} beside it is a symbolic link: a proof is never written through one (remove the link)",
            str(path),
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputError("file", f"{sidecar.name} beside it is not a regular file", str(path))
    try:
        return True, read_proof(path)
    except InputError:
        return True, None


def _move_aside(path: Path, sidecar: Path, there: DocumentProof | None) -> Path:
    """Moves the file at ``sidecar`` to a name of its own (by its root), never replacing another file."""
    stem = f"{path.name}.tcproof-{there.root[2:14] if there is not None else 'old'}"
    for n in range(100):
        target = sidecar.with_name(f"{stem}{'' if n == 0 else f'-{n + 1}'}.json")
        try:
            os.link(sidecar, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(
                "file", f"{sidecar.name} beside it cannot be moved aside ({exc.strerror})", str(path)
            ) from None
        os.unlink(sidecar)
        return target
    raise InputError("file", f"{sidecar.name} beside it cannot be moved aside (too many old proofs)", str(path))


def _restore(sidecar: Path, kept: Path) -> None:
    with contextlib.suppress(OSError):
        os.link(kept, sidecar, follow_symlinks=False)
        os.unlink(kept)


def _write_exclusive(path: Path, sidecar: Path, data: bytes) -> None:
    try:
        fd = os.open(sidecar, _CREATE, 0o644)
    except FileExistsError:
        raise InputError("file", f"{sidecar.name} appeared while its proof was written: run again", str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        os.unlink(sidecar)
        raise


def undo_proof(done: ProofWrite) -> None:
    """Undoes :func:`write_proof`: removes the proof it wrote (if it is still that one) and puts back the proof
    it moved aside."""
    sidecar = proof_path(done.path)
    if done.written:
        try:
            st = os.lstat(sidecar)
            if stat.S_ISREG(st.st_mode) and _same_proof(read_proof(done.path), done.proof):
                os.unlink(sidecar)
        except (OSError, InputError):
            return
    if done.kept is not None:
        _restore(sidecar, done.kept)


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

    @property
    def verdict(self) -> str:
        """VALID; REVOKED (the document anchored, unchanged, and revoked since); INVALID (a changed byte, not
        anchored on this chain, or an issuer without the role for its type)."""
        if self.valid:
            return "VALID"
        return "REVOKED" if self.hash_matches and self.revoked_at else "INVALID"

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
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


class DocumentClient(ContractClient, name=NAME):
    def _batch(
        self, files: Sequence[Path], doc_type: str | int, trade: str
    ) -> tuple[int, bytes, list[bytes], MerkleTree]:
        """(type, trade id, each file's hash, the tree) of the batch of ``files``, in this order."""
        if not files:
            raise InputError("files", "at least one file")
        if len(files) > MAX_BATCH:
            raise InputError("files", f"at most {MAX_BATCH:,} per batch", len(files))
        kind, trade_bytes = parse_doc_type(doc_type), trade_id(trade)
        hashes = [document_hash(Path(f)) for f in files]
        leaves = [leaf(h, kind, trade_bytes) for h in hashes]
        if len(set(leaves)) != len(leaves):
            raise InputError("files", "the same document appears twice in the batch")
        return kind, trade_bytes, hashes, MerkleTree.build(leaves)

    def _proofs(
        self, files: Sequence[Path], batch: tuple[int, bytes, list[bytes], MerkleTree], issuer: int
    ) -> list[tuple[Path, DocumentProof]]:
        kind, trade_bytes, hashes, tree = batch
        root = "0x" + tree.root.hex()
        return [
            (
                Path(path),
                DocumentProof(
                    root,
                    "0x" + doc_hash.hex(),
                    kind,
                    "0x" + trade_bytes.hex(),
                    ["0x" + p.hex() for p in tree.proof(i)],
                    self.address,
                    self.client.chain_id,
                    issuer,
                ),
            )
            for i, (path, doc_hash) in enumerate(zip(files, hashes, strict=True))
        ]

    def is_anchored(self, root: str | bytes, issuer: int) -> bool:
        """Whether batch ``root`` of ``issuer`` is anchored on this chain (revoked or not)."""
        raw = root if isinstance(root, bytes) else bytes.fromhex(root[2:])
        return int(self._call("getBatch", raw, issuer)[2]) != 0

    def anchor(self, files: Sequence[Path], doc_type: str | int, trade: str) -> tuple[str, Receipt]:
        """Anchors ``files`` as one batch, each one's proof beside it. ``trade``: the trade id the documents are
        issued for; for an escrow's documents, the escrow id (0x and 64 hex digits).

        Every proof is written before anything is sent (see :func:`write_proof`: atomically, never through a
        symbolic link, never over another proof), so a proof that cannot be written sends nothing. If the sending
        fails and the chain shows the batch not anchored, this call's proofs are removed (and the ones they moved
        aside put back); when the chain cannot tell (the node is gone), they stay: they are right if the batch
        lands, and ``doc verify`` asks the chain anyway. Running it again is safe either way;
        :meth:`write_proofs` writes the proofs of an anchored batch again without sending."""
        batch = self._batch(files, doc_type, trade)
        signer = self.client.require_signer().address
        issuer = self.client.participants.require_role_any(signer)  # the anchor's own check, before any proof
        self.require_issuer_role(issuer, batch[0])  # what `verify` checks: a document it would call invalid
        done: list[ProofWrite] = []
        try:
            for path, proof in self._proofs(files, batch, issuer):
                done.append(write_proof(path, proof))
        except BaseException:
            for one in reversed(done):
                undo_proof(one)
            raise
        root = batch[3].root
        try:
            receipt = self._send("anchor", root, len(files))
        except BaseException:
            try:
                landed = self.is_anchored(root, issuer)
            except Exception:  # the chain cannot tell: the proofs stay (right if the batch lands)
                landed = True
            if not landed:
                for one in reversed(done):
                    undo_proof(one)
            raise
        return "0x" + root.hex(), receipt

    def require_issuer_role(self, issuer: int, doc_type: str | int) -> None:
        """Refuses (InputError, nothing sent) a document type that organisation ``issuer`` has no role to issue
        (:data:`tradechain.formats.document_types.TABLE`): the registry would anchor it, gas spent and proof
        written, and every ``verify`` would then call it invalid."""
        code = parse_doc_type(doc_type)
        kind = next(t for t in document_types.TABLE if t.code == code)
        holds = self.client.participants.get(issuer).roles
        if not set(kind.issuers) & set(holds):
            raise InputError(
                "type",
                f"organisation {issuer} may not issue a {kind.name}: it takes the role {' or '.join(kind.issuers)}, "
                f"and the organisation holds {', '.join(holds) or 'no role'}; nothing sent, no proof written",
            )

    def write_proofs(
        self, files: Sequence[Path], doc_type: str | int, trade: str, *, issuer: int | None = None
    ) -> tuple[str, list[ProofWrite]]:
        """Writes again the proofs of a batch already anchored, from the same files, given in the same order with
        the same type and trade (e.g. after its proofs were lost). Sends nothing. ``issuer``: the organisation that
        anchored it (by default the signer's). Returns the root and what was done beside each file (a proof
        already there and the same is left alone; another one is moved aside, as in :meth:`anchor`)."""
        batch = self._batch(files, doc_type, trade)
        if issuer is None:
            issuer, _ = self.client.participants.organisation_of(self.client.require_signer().address)
            if issuer == 0:
                raise InputError(
                    "account", "this account signs for no organisation: sign as one of the batch's issuer (--account)"
                )
        root = "0x" + batch[3].root.hex()
        if not self.is_anchored(batch[3].root, issuer):
            raise InputError(
                "files",
                f"batch {root} of organisation {issuer} is not anchored on this chain: give the files as they were "
                "anchored (the same files, in the same order, with the same type and trade)",
            )
        return root, [write_proof(path, proof) for path, proof in self._proofs(files, batch, issuer)]

    def verify(self, path: Path, proof_file: Path | None = None) -> DocumentCheck:
        """Recomputes the file's hash and checks it, with its proof, against the chain: a changed byte fails.
        A revoked document comes with its revocation (who, why). The proof is ``proof_file`` when given (a proof
        received apart from the document), else the one beside the file (FILE.tcproof.json)."""
        if not path.is_file():
            raise InputError("file", "not found", str(path))
        proof = read_proof(path) if proof_file is None else read_proof_file(proof_file, "proof")
        return self.check(document_hash(path), proof)

    def check(self, actual_hash: bytes, proof: DocumentProof, *, block: int | str = "latest") -> DocumentCheck:
        """The verdict on a document whose content hashes to ``actual_hash``, with its ``proof`` (at ``block``)."""
        actual = "0x" + actual_hash.hex()
        args = proof.call_args()
        if actual != proof.document_hash:
            args = (actual_hash, *args[1:])
        valid, issuer, roles, anchored, revoked = self._call("verify", *args, block=block)
        from tradechain.formats.identity import role_names

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
        logs = self._event_logs("BatchRevoked", {"root": root, "issuer": issuer})
        if not logs:
            logs = self._event_logs("DocumentRevoked", {"leaf": leaf(doc_hash, kind, trade), "issuer": issuer})
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
        from tradechain.formats.values import reason_code

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
        from tradechain.formats.values import parse_bytes32, reason_code

        batch, code = parse_bytes32(root, "batch"), reason_code(reason)
        if issuer is None:
            issuer, _ = self.client.participants.organisation_of(self.client.require_signer().address)
            if issuer == 0:
                raise InputError("issuer", "this account signs for no organisation: name the batch's issuer")
        return self._send("revokeBatch", batch, issuer, code)

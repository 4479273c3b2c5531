"""The portal's proof service: serial lists published by the brand (or a member it delegates to), checked against
the commissioning's Merkle root on chain, and answered one proof at a time to whoever already holds a pack's GTIN
and serial. Nothing lists them: no listing, no prefix search, and the proof endpoint is rate limited.

Also kept here: the brands' published certificate descriptions (accepted from anyone, shown only when their hash
is the one on chain). Publishing is idempotent: the same list twice is one list.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak

from tradechain.client import Client
from tradechain.contracts import luxury_certificate as certs
from tradechain.contracts.product_registry import batch_id, lot_id
from tradechain.errors import InputError
from tradechain.formats import gs1, serials
from tradechain.formats.merkle import MerkleTree, serial_leaf

MAX_SERIALS = 1_000_000  # per published batch
TREES_KEPT = 32  # Merkle trees of published batches kept built
# What a call to the chain node raises when the node is down or too slow (web3's HTTP provider runs on requests):
# the portal answers 503, never a refusal.
CHAIN_UNREACHABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
)
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


class PublishRefused(Exception):
    """A publication the portal refuses: ``status`` is the HTTP status (403 not allowed, 409 not what the chain
    holds, 400 malformed), ``field`` and ``rule`` say why in one line."""

    def __init__(self, status: int, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.status, self.field, self.rule = status, field, rule


def serials_digest(serial_list: Sequence[str]) -> str:
    return "0x" + keccak(json.dumps(list(serial_list), separators=(",", ":")).encode()).hex()


def publish_message(chain_id: int, registry: str, batch: str, serial_list: Sequence[str]) -> str:
    """What a publisher signs (EIP-191): the chain, the registry, the batch and the digest of its serial list."""
    return (
        f"tradechain serials publish\nchain {chain_id}\nregistry {registry.lower()}\nbatch {batch.lower()}\n"
        f"serials {serials_digest(serial_list)}"
    )


DELEGATION_WINDOW = 600  # seconds: a delegation signed longer ago (or ahead of the portal's clock) is refused


def delegate_message(chain_id: int, registry: str, gtin: str, organisation: int, revoke: bool, signed_at: int) -> str:
    """What the GTIN's owner signs to delegate (or revoke), with the time it signs (Unix milliseconds): a signature
    seen once (an old "allow" after a revocation) cannot be replayed, since the portal takes only a delegation
    later than the last one it applied for that GTIN and organisation, and signed within
    :data:`DELEGATION_WINDOW`."""
    verb = "revoke" if revoke else "allow"
    head = f"tradechain serials delegate\nchain {chain_id}\nregistry {registry.lower()}"
    return f"{head}\ngtin {gtin}\n{verb} org {organisation}\nsigned at {signed_at}"


def _recover(message: str, signature: str) -> str:
    try:
        return str(Account.recover_message(encode_defunct(text=message), signature=signature))
    except Exception:  # eth-account raises several types for a malformed signature
        raise PublishRefused(400, "signature", "is not an EIP-191 signature of the request") from None


@dataclass(frozen=True)
class Published:
    batch: str
    gtin: str
    lot: str
    count: int
    organisation: int
    new: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "gtin": self.gtin,
            "lot": self.lot,
            "count": self.count,
            "publishedBy": self.organisation,
            "new": self.new,
        }


class PublishedStore:
    """The portal's published serial lists and certificate descriptions (SQLite, one file). A
    :class:`~tradechain.formats.serials.ProofSource`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._trees: OrderedDict[str, tuple[str, MerkleTree]] = OrderedDict()
        self._trees_lock = threading.Lock()
        db = self._db()
        db.executescript(
            """
            CREATE TABLE IF NOT EXISTS batches (batch TEXT PRIMARY KEY, gtin TEXT NOT NULL, lot TEXT NOT NULL,
                serials TEXT NOT NULL, organisation INTEGER NOT NULL, published_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS batches_gtin ON batches (gtin);
            CREATE TABLE IF NOT EXISTS items (gtin TEXT NOT NULL, serial TEXT NOT NULL, batch TEXT NOT NULL,
                idx INTEGER NOT NULL, PRIMARY KEY (gtin, serial, batch)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS delegates (gtin TEXT NOT NULL, organisation INTEGER NOT NULL,
                PRIMARY KEY (gtin, organisation)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS delegations (gtin TEXT NOT NULL, organisation INTEGER NOT NULL,
                signed_at INTEGER NOT NULL, PRIMARY KEY (gtin, organisation)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS metadata (token TEXT PRIMARY KEY, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        db.commit()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    @property
    def version(self) -> int:
        """Grows with every publication: part of the verdict cache's key (a newly published list can turn a
        PROOF UNAVAILABLE into AUTHENTIC)."""
        row = self._db().execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('version', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # ------------------------------------------------------------------ ProofSource

    def proof(self, gtin: str, serial: str) -> serials.SerialProof | None:
        db = self._db()
        row = db.execute(
            "SELECT batch, idx FROM items WHERE gtin = ? AND serial = ? LIMIT 1", (gtin, serial)
        ).fetchone()
        if row is None:
            return None
        batch, index = str(row[0]), int(row[1])
        lot, tree = self._tree(batch)
        return serials.SerialProof(batch, lot, index, tuple(tree.proof(index)))

    def _tree(self, batch: str) -> tuple[str, MerkleTree]:
        """A published batch's lot and Merkle tree, built once (a batch never changes once published)."""
        with self._trees_lock:
            known = self._trees.get(batch)
            if known is not None:
                self._trees.move_to_end(batch)
                return known
        gtin, lot, listed = (
            self._db().execute("SELECT gtin, lot, serials FROM batches WHERE batch = ?", (batch,)).fetchone()
        )
        tree = MerkleTree.build([serial_leaf(int(gtin), s, i) for i, s in enumerate(json.loads(listed))])
        with self._trees_lock:
            self._trees[batch] = (str(lot), tree)
            while len(self._trees) > TREES_KEPT:
                self._trees.popitem(last=False)
        return str(lot), tree

    def batches(self, gtin: str) -> set[str]:
        return {str(r[0]) for r in self._db().execute("SELECT batch FROM batches WHERE gtin = ?", (gtin,))}

    # ------------------------------------------------------------------ publishing

    def publish(self, client: Client, body: Any) -> Published:
        """Publishes a serial list: ``{"batch", "gtin", "lot", "serials": [...], "signature"}``, signed by an
        active account of the lot's owner, of the GTIN's owner or of an organisation the GTIN's owner delegated
        to; the list must be the one whose Merkle root the commissioning holds on chain."""
        if not isinstance(body, dict):
            raise PublishRefused(400, "body", "is a JSON object {batch, gtin, lot, serials, signature}")
        batch, lot, listed, signature = (body.get(k) for k in ("batch", "lot", "serials", "signature"))
        try:
            gtin = gs1.parse_gtin(str(body.get("gtin", "")))
        except InputError as exc:
            raise PublishRefused(400, "gtin", exc.rule) from None
        if not (isinstance(batch, str) and _HEX32.fullmatch(batch)):
            raise PublishRefused(400, "batch", "is the commissioning's 0x 32-byte id")
        if not isinstance(lot, str) or not lot:
            raise PublishRefused(400, "lot", "is the lot number as text")
        if not isinstance(listed, list) or not 0 < len(listed) <= MAX_SERIALS:
            raise PublishRefused(400, "serials", f"is a list of 1 to {MAX_SERIALS:,} serials")
        if not all(isinstance(s, str) and 0 < len(s) <= 20 for s in listed):
            raise PublishRefused(400, "serials", "each serial is text of 1 to 20 characters")
        if not isinstance(signature, str):
            raise PublishRefused(400, "signature", "is the publisher's EIP-191 signature (0x hex)")
        batch = batch.lower()
        products = client.products
        signer = _recover(publish_message(client.chain_id, products.address, batch, listed), signature)
        organisation = self._member(client, signer)
        on_lot, root = products._call("batchOf", bytes.fromhex(batch[2:]))
        if bytes(on_lot) != lot_id(gtin, lot):
            raise PublishRefused(409, "batch", f"is not a commissioning of lot {lot} of GTIN {gtin} on this chain")
        self.require_publisher(client, organisation, gtin, lot)
        tree = MerkleTree.build([serial_leaf(int(gtin), s, i) for i, s in enumerate(listed)])
        if tree.root != bytes(root) or batch_id(bytes(on_lot), tree.root) != bytes.fromhex(batch[2:]):
            raise PublishRefused(409, "serials", "are not the list whose Merkle root the commissioning holds")
        db = self._db()
        with db:
            new = db.execute(
                "INSERT OR IGNORE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
                (batch, gtin, lot, json.dumps(listed), organisation, int(time.time())),
            ).rowcount
            if new:
                db.executemany(
                    "INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?)",
                    ((gtin, s, batch, i) for i, s in enumerate(listed)),
                )
                self._bump(db)
        return Published(batch, gtin, lot, len(listed), organisation, bool(new))

    def require_publisher(self, client: Client, organisation: int, gtin: str, lot: str) -> None:
        """Only the lot's owner, the GTIN's owner (now: after a takeover, the new licensee) or an organisation the
        GTIN's owner delegated to (and did not revoke) publishes a lot's lists; not the consortium's admin, whose
        role is the registry, nor any other member. Refused with 403."""
        products = client.products
        owner = int(products.lot(lot_id(gtin, lot))["owner"])
        allowed = {owner, products.gtin_owner(gtin)} | self.delegates(gtin)
        if organisation not in allowed:
            raise PublishRefused(
                403,
                "signature",
                f"org {organisation} neither owns lot {lot} or GTIN {gtin} nor was delegated by its owner",
            )

    def _member(self, client: Client, signer: str) -> int:
        try:
            return client.participants.require_role_any(signer)
        except CHAIN_UNREACHABLE:
            raise  # the portal's 503, not a refusal
        except Exception:  # the registry's revert: not an active account of an active member
            raise PublishRefused(403, "signature", f"{signer} is not an active account of a member") from None

    def delegate(self, client: Client, body: Any) -> dict[str, Any]:
        """Lets (or stops) another member publish the serial lists of a GTIN: ``{"gtin", "organisation",
        "revoke", "signature"}`` signed by an account of the GTIN's owner."""
        if not isinstance(body, dict):
            raise PublishRefused(400, "body", "is a JSON object {gtin, organisation, revoke, signature}")
        try:
            gtin = gs1.parse_gtin(str(body.get("gtin", "")))
        except InputError as exc:
            raise PublishRefused(400, "gtin", exc.rule) from None
        organisation, revoke, signature = body.get("organisation"), body.get("revoke", False), body.get("signature")
        if not isinstance(organisation, int) or isinstance(organisation, bool) or not 0 < organisation < 2**32:
            raise PublishRefused(400, "organisation", "is the delegate's organisation number")
        if not isinstance(revoke, bool):
            raise PublishRefused(400, "revoke", "is true or false")
        if not isinstance(signature, str):
            raise PublishRefused(400, "signature", "is the GTIN owner's EIP-191 signature (0x hex)")
        signed_at = body.get("signedAt")
        if not isinstance(signed_at, int) or isinstance(signed_at, bool) or not 0 < signed_at < 2**53:
            raise PublishRefused(400, "signedAt", "is the time of the signature (Unix milliseconds)")
        signer = _recover(
            delegate_message(client.chain_id, client.products.address, gtin, organisation, revoke, signed_at),
            signature,
        )
        if self._member(client, signer) != client.products.gtin_owner(gtin):
            raise PublishRefused(403, "signature", f"only an account of the owner of GTIN {gtin} delegates it")
        if abs(time.time() * 1000 - signed_at) > DELEGATION_WINDOW * 1000:
            raise PublishRefused(
                403,
                "signedAt",
                f"the delegation was signed more than {DELEGATION_WINDOW // 60} minutes from now: sign it again",
            )
        try:
            client.participants.get(organisation)
        except Exception:  # the registry's revert: no such organisation
            raise PublishRefused(400, "organisation", f"org {organisation} is not a member") from None
        db = self._db()
        with db:
            last = db.execute(
                "SELECT signed_at FROM delegations WHERE gtin = ? AND organisation = ?", (gtin, organisation)
            ).fetchone()
            if last is not None and signed_at <= int(last[0]):
                raise PublishRefused(
                    409,
                    "signedAt",
                    f"is not later than the last delegation of org {organisation} for GTIN {gtin} applied here "
                    "(a replayed signature)",
                )
            db.execute("INSERT OR REPLACE INTO delegations VALUES (?, ?, ?)", (gtin, organisation, signed_at))
            if revoke:
                db.execute("DELETE FROM delegates WHERE gtin = ? AND organisation = ?", (gtin, organisation))
            else:
                db.execute("INSERT OR IGNORE INTO delegates VALUES (?, ?)", (gtin, organisation))
        return {"gtin": gtin, "organisation": organisation, "delegated": not revoke}

    def delegates(self, gtin: str) -> set[int]:
        return {int(r[0]) for r in self._db().execute("SELECT organisation FROM delegates WHERE gtin = ?", (gtin,))}

    # ------------------------------------------------------------------ certificate descriptions

    def publish_metadata(self, client: Client, body: Any) -> dict[str, Any]:
        """Keeps brands' certificate descriptions: ``{"certificates": [{"certificate": "0x..", "metadata": {..}}]}``;
        each must hash to its certificate's on-chain metadata hash (so anyone may publish them: none can be
        forged)."""
        rows = body.get("certificates") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not 0 < len(rows) <= 10_000:
            raise PublishRefused(400, "certificates", "is a list of 1 to 10,000 {certificate, metadata}")
        kept: list[tuple[str, str]] = []
        for n, row in enumerate(rows, 1):
            if not isinstance(row, dict) or not isinstance(row.get("metadata"), dict):
                raise PublishRefused(400, f"certificates[{n}]", "is {certificate, metadata}")
            try:
                token = certs.parse_token_id(str(row.get("certificate", "")), f"certificates[{n}].certificate")
            except InputError as exc:
                raise PublishRefused(400, exc.field, exc.rule) from None
            if "0x" + certs.metadata_hash(row["metadata"]).hex() != client.certificates.metadata_hash_of(token):
                raise PublishRefused(409, f"certificates[{n}]", "is not the description whose hash is on chain")
            kept.append((f"0x{token:064x}", json.dumps(row["metadata"])))
        db = self._db()
        with db:
            db.executemany("INSERT OR REPLACE INTO metadata VALUES (?, ?)", kept)
            self._bump(db)
        return {"published": len(kept)}

    def metadata(self, token_id: int) -> dict[str, Any] | None:
        row = self._db().execute("SELECT body FROM metadata WHERE token = ?", (f"0x{token_id:064x}",)).fetchone()
        return None if row is None else dict(json.loads(row[0]))


class RateLimiter:
    """A token bucket per client: ``rate`` requests per minute, bursts of as many."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 if the request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.refill)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.refill

"""The off-chain side of commissioning: each batch's serial list, from which Merkle proofs are rebuilt.

The chain holds only the root; the commissioning organisation keeps the list (here: one JSON file per batch in
``<state home>/serials``) and shares it with those who verify or dispense, or publishes it to a portal, which
answers the proof of one (GTIN, serial) to whoever already holds both (:mod:`tradechain.portal.proofs`).

A verifier asks a :class:`ProofSource` for the proof of the pack it holds: :class:`LocalStore` (this machine's
serial store), a portal's published store, or a remote resolver (``tradechain verify --resolver URL``).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tradechain.chain import project
from tradechain.formats.merkle import MerkleTree, serial_leaf


@dataclass(frozen=True)
class SerialBatch:
    batch: str  # 0x id
    gtin: str  # GTIN-14
    lot: str
    serials: tuple[str, ...]

    def tree(self) -> MerkleTree:
        """The batch's Merkle tree, built once per batch (verify and dispense ask for it on every pack)."""
        return _tree(self.gtin, self.serials)

    def index_of(self, serial: str) -> int | None:
        try:
            return self.serials.index(serial)
        except ValueError:
            return None


@functools.lru_cache(maxsize=64)
def _tree(gtin: str, serial_list: tuple[str, ...]) -> MerkleTree:
    number = int(gtin)
    return MerkleTree.build([serial_leaf(number, s, i) for i, s in enumerate(serial_list)])


@dataclass(frozen=True)
class SerialProof:
    """What the contract's ``verify`` needs beside the scan: the commissioning that holds the serial, the serial's
    index in it and the Merkle path from its leaf to the commissioning's root."""

    batch: str  # 0x id of the commissioning
    lot: str
    index: int
    path: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        return {"batch": self.batch, "lot": self.lot, "index": self.index, "proof": ["0x" + p.hex() for p in self.path]}

    @classmethod
    def from_json(cls, data: object) -> SerialProof:
        """A proof as a portal answers it; raises ValueError (or KeyError, TypeError) for anything else."""
        if not isinstance(data, dict):
            raise ValueError("a serial proof is a JSON object")
        batch, lot, index, path = data["batch"], data["lot"], data["index"], data["proof"]
        if not (isinstance(batch, str) and batch.startswith("0x") and len(batch) == 66):
            raise ValueError("batch is a 0x 32-byte hex id")
        if not isinstance(lot, str) or not isinstance(index, int) or not 0 <= index < 2**32:
            raise ValueError("lot is text and index a uint32")
        if not isinstance(path, list) or len(path) > 64:
            raise ValueError("proof is a list of at most 64 hashes")
        hashes = tuple(bytes.fromhex(str(h)[2:]) for h in path)
        if any(len(h) != 32 or not str(p).startswith("0x") for h, p in zip(hashes, path, strict=True)):
            raise ValueError("each proof hash is 0x and 32 bytes")
        return cls(batch.lower(), lot, index, hashes)


class ProofSource(Protocol):
    """Where a verifier finds the proof of a serialized pack."""

    def proof(self, gtin: str, serial: str) -> SerialProof | None:
        """The proof of ``serial`` of ``gtin``, if this source holds the list it is in."""

    def batches(self, gtin: str) -> set[str]:
        """The ids (0x hex, lower case) of the commissionings of ``gtin`` whose serial list this source holds (a
        serial in none of them, when they are all of its lot's, was never commissioned)."""


class LocalStore:
    """This machine's serial store (``$TRADECHAIN_SERIALS``, else ``<state home>/serials``)."""

    def proof(self, gtin: str, serial: str) -> SerialProof | None:
        found = find(gtin, serial)
        if found is None:
            return None
        batch, index = found
        return SerialProof(batch.batch.lower(), batch.lot, index, tuple(batch.tree().proof(index)))

    def batches(self, gtin: str) -> set[str]:
        folder = store_dir()
        held: set[str] = set()
        for path in sorted(folder.glob(f"{gtin}-*.json")) if folder.is_dir() else []:
            try:
                held.add(str(json.loads(path.read_text())["batch"]).lower())
            except (OSError, ValueError, KeyError, TypeError):
                continue  # an unreadable list proves nothing: its batch counts as unavailable
        return held


def store_dir() -> Path:
    return Path(os.environ.get("TRADECHAIN_SERIALS", project.state_home() / "serials"))


def save(batch: SerialBatch) -> Path:
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{batch.gtin}-{batch.batch[2:18]}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"batch": batch.batch, "gtin": batch.gtin, "lot": batch.lot, "serials": list(batch.serials)})
    )
    os.replace(tmp, path)
    return path


def find(gtin: str, serial: str) -> tuple[SerialBatch, int] | None:
    """The batch holding ``serial`` of ``gtin`` and its index, if this store knows it."""
    folder = store_dir()
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob(f"{gtin}-*.json")):
        try:
            data = json.loads(path.read_text())
            batch = SerialBatch(str(data["batch"]), str(data["gtin"]), str(data["lot"]), tuple(data["serials"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # one unreadable list never stops the verification of another's packs
        index = batch.index_of(serial)
        if index is not None:
            return batch, index
    return None

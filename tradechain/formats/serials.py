"""The off-chain side of commissioning: each batch's serial list, from which Merkle proofs are rebuilt.

The chain holds only the root; the commissioning organisation keeps the list (here: one JSON file per batch in
``<state home>/serials``) and shares it with those who verify or dispense.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

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
        data = json.loads(path.read_text())
        batch = SerialBatch(data["batch"], data["gtin"], data["lot"], tuple(data["serials"]))
        index = batch.index_of(serial)
        if index is not None:
            return batch, index
    return None

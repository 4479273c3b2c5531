"""Merkle trees of serial lists, as ``ProductRegistry`` checks them with OpenZeppelin's ``MerkleProof``:
pairs hashed in sorted order, leaves hashed twice (``keccak256(bytes.concat(keccak256(abi.encode(...))))``) so
that no leaf can pass for an inner node. Levels pair neighbours left to right; an odd node moves up unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def serial_leaf(gtin: int, serial: str, index: int) -> bytes:
    """The leaf of item ``index``: ``abi.encode(uint64 gtin, bytes20 serial, uint32 index)``, hashed twice."""
    raw = serial.encode("ascii")
    encoded = gtin.to_bytes(32, "big") + raw.ljust(32, b"\0") + index.to_bytes(32, "big")
    return keccak(keccak(encoded))


@dataclass(frozen=True)
class MerkleTree:
    levels: tuple[tuple[bytes, ...], ...]  # leaves first, root last

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        levels = [tuple(leaves)]
        while len(levels[-1]) > 1:
            level = levels[-1]
            nxt = [_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            levels.append(tuple(nxt))
        return cls(tuple(levels))

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        out = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                out.append(level[sibling])
            index //= 2
        return out


def verify(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    node = leaf
    for sibling in proof:
        node = _pair(node, sibling)
    return node == root

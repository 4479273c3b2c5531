"""Federated averaging that an auditor can recompute bit for bit: the canonical bytes of a parameter list, the hash
of a client update, the weighted FedAvg aggregate in a fixed order and the Merkle root over a round's update hashes.

Pure numpy (plus ``tradechain.formats.merkle``, whose only dependency is ``eth-hash``): imported both by the Flower
engine in ``.venv-fl`` and by the auditor in the main venv, so both compute the same bytes.

**Canonical bytes** of a parameter list (``serialise``), all integers little-endian::

    b"TCFL1"                      magic and version
    u32 count                     number of arrays
    per array: u32 ndim, ndim x u64 dims
    per array: its values as IEEE-754 float64 little-endian, C order

Only finite float64 values are accepted (an int or float32 array is converted first; NaN or infinity is refused).

**Hashes** are keccak-256 (``eth-hash`` with the pycryptodome backend, pinned in both venvs), as the chain computes
them: ``update_hash`` is keccak-256 of the canonical bytes; ``updates_root`` is
:class:`tradechain.formats.merkle.MerkleTree`'s root (sorted pairs, odd node moves up) over the update hashes in
the order of the clients' ids (sorted as text), exactly the root a contract checks with OpenZeppelin's MerkleProof.

**Aggregate** (``aggregate``): ``sum_i n_i * w_i / sum_i n_i`` computed element by element in float64 with the
clients taken in the order of their ids: every step is one correctly rounded IEEE operation (no reduction whose
order depends on the CPU or the BLAS), so any machine gets the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

import numpy as np
from eth_hash.auto import keccak
from numpy.typing import NDArray

from tradechain.formats.merkle import MerkleTree

MAGIC = b"TCFL1"
Arrays = list[NDArray[np.float64]]


class FormatError(ValueError):
    """Bytes that are not a canonical parameter list, or parameters that cannot be written as one."""


def _as_float64(array: object, at: int) -> NDArray[np.float64]:
    out = np.ascontiguousarray(np.asarray(array, dtype=np.float64))
    if not np.isfinite(out).all():
        raise FormatError(f"array {at} holds a value that is not finite (NaN or infinity)")
    return out


def serialise(arrays: Sequence[object]) -> bytes:
    """The canonical bytes of a parameter list (see the module's text)."""
    clean = [_as_float64(a, i) for i, a in enumerate(arrays)]
    head = [MAGIC, struct.pack("<I", len(clean))]
    for a in clean:
        head.append(struct.pack("<I", a.ndim) + struct.pack(f"<{a.ndim}Q", *a.shape))
    return b"".join(head + [a.astype("<f8", copy=False).tobytes(order="C") for a in clean])


def deserialise(data: bytes) -> Arrays:
    """The parameter list of canonical bytes; refuses anything else (a bad magic, a short or long file)."""
    view = memoryview(data)
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise FormatError("not a canonical parameter list (bad magic)")
    at = len(MAGIC)

    def take(fmt: str) -> tuple[int, ...]:
        nonlocal at
        size = struct.calcsize(fmt)
        if at + size > len(view):
            raise FormatError("truncated parameter list")
        values = struct.unpack_from(fmt, view, at)
        at += size
        return values

    (count,) = take("<I")
    shapes = []
    for _ in range(count):
        (ndim,) = take("<I")
        shapes.append(take(f"<{ndim}Q"))
    out: Arrays = []
    for shape in shapes:
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if at + 8 * n > len(view):
            raise FormatError("truncated parameter list")
        array = np.frombuffer(view, dtype="<f8", count=n, offset=at).astype(np.float64).reshape(shape)
        at += 8 * n
        out.append(array)
    if at != len(view):
        raise FormatError(f"{len(view) - at} bytes after the last array")
    for i, a in enumerate(out):
        _as_float64(a, i)
    return out


def bytes_hash(data: bytes) -> bytes:
    """keccak-256 of bytes (32 bytes)."""
    return bytes(keccak(data))


def update_hash(arrays: Sequence[object]) -> bytes:
    """keccak-256 of the canonical bytes of a parameter list."""
    return bytes_hash(serialise(arrays))


def aggregate(updates: Mapping[str, tuple[Sequence[object], int]]) -> Arrays:
    """Weighted FedAvg of ``{client id: (parameters, number of training examples)}``: the clients in the order of
    their ids, ``sum n_i * w_i`` accumulated element by element, then divided by ``sum n_i``. Every client must
    send the same shapes and at least one example."""
    if not updates:
        raise ValueError("an aggregate needs at least one client update")
    ids = sorted(updates)
    total = 0
    acc: Arrays = []
    for client in ids:
        arrays, examples = updates[client]
        if int(examples) <= 0:
            raise ValueError(f"client {client} trained on {examples} examples (must be at least 1)")
        clean = [_as_float64(a, i) for i, a in enumerate(arrays)]
        if not acc:
            acc = [np.zeros_like(a) for a in clean]
        if [a.shape for a in clean] != [a.shape for a in acc]:
            raise ValueError(f"client {client} sent parameters of other shapes than client {ids[0]}")
        weight = np.float64(int(examples))
        for sum_, a in zip(acc, clean, strict=True):
            sum_ += a * weight
        total += int(examples)
    return [a / np.float64(total) for a in acc]


def updates_root(hashes: Sequence[bytes]) -> bytes:
    """The Merkle root over a round's update hashes, given in the order of the clients' ids."""
    return MerkleTree.build([bytes(h) for h in hashes]).root

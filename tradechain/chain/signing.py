"""A lean EIP-1559 transaction signer: the hot path of bulk sends.

eth-account validates and formats every field through generic machinery and derives the public key twice per
signature (about 1,300 signatures/s here). This signer encodes the typed transaction with a minimal RLP encoder
and signs its keccak hash with libsecp256k1 (coincurve) directly. Its output is byte-for-byte that of
``eth_account.Account.sign_transaction`` (RFC 6979 deterministic, low-s signatures): the test suite checks
it against eth-account on random transactions.
"""

from __future__ import annotations

from coincurve import PrivateKey
from eth_hash.auto import keccak


def _encode_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


def rlp_bytes(value: bytes) -> bytes:
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _encode_length(len(value), 0x80) + value


def rlp_int(value: int) -> bytes:
    if value < 0:
        raise ValueError("RLP encodes non-negative integers only")
    return rlp_bytes(value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b"")


def rlp_list(encoded_items: list[bytes]) -> bytes:
    body = b"".join(encoded_items)
    return _encode_length(len(body), 0xC0) + body


EMPTY_ACCESS_LIST = rlp_list([])


class Eip1559Signer:
    """Signs type-2 transactions with one private key."""

    def __init__(self, private_key: bytes) -> None:
        self._key = PrivateKey(bytes(private_key))

    def sign(
        self,
        *,
        chain_id: int,
        nonce: int,
        max_priority_fee: int,
        max_fee: int,
        gas: int,
        to: bytes | None,
        value: int,
        data: bytes,
    ) -> bytes:
        """The raw signed transaction (``0x02 || rlp([...])``), ready for ``eth_sendRawTransaction``."""
        fields = [
            rlp_int(chain_id),
            rlp_int(nonce),
            rlp_int(max_priority_fee),
            rlp_int(max_fee),
            rlp_int(gas),
            rlp_bytes(to or b""),
            rlp_int(value),
            rlp_bytes(data),
            EMPTY_ACCESS_LIST,
        ]
        digest = keccak(b"\x02" + rlp_list(fields))
        signature = self._key.sign_recoverable(digest, hasher=None)  # r (32) || s (32) || recovery id (1)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        fields += [rlp_int(signature[64]), rlp_int(r), rlp_int(s)]
        return b"\x02" + rlp_list(fields)

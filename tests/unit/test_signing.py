"""The lean EIP-1559 signer against the reference, eth-account, on random transactions."""

from __future__ import annotations

from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from tradechain.chain.signing import Eip1559Signer, rlp_bytes, rlp_int, rlp_list

KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
uint = st.integers(min_value=0, max_value=2**256 - 1)


@settings(max_examples=300, deadline=None)
@given(
    chain_id=st.integers(1, 2**64 - 1),
    nonce=st.integers(0, 2**64 - 2),
    tip=uint,
    extra=uint,
    gas=st.integers(0, 2**64 - 1),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
    value=uint,
    data=st.binary(max_size=300),
)
def test_signature_is_byte_for_byte_eth_accounts(
    chain_id: int, nonce: int, tip: int, extra: int, gas: int, to: bytes | None, value: int, data: bytes
) -> None:
    max_fee = min(tip + extra, 2**256 - 1)
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": max_fee,
        "gas": gas,
        "value": value,
        "data": data,
        "accessList": [],
    }
    if to is not None:
        tx["to"] = to_checksum_address("0x" + to.hex())
    expected = bytes(Account.sign_transaction(tx, KEY).raw_transaction)
    ours = Eip1559Signer(KEY).sign(
        chain_id=chain_id, nonce=nonce, max_priority_fee=tip, max_fee=max_fee, gas=gas, to=to, value=value, data=data
    )
    assert ours == expected


def test_rlp_edge_cases_match_the_specification() -> None:
    assert rlp_int(0) == b"\x80"
    assert rlp_int(0x7F) == b"\x7f" and rlp_int(0x80) == b"\x81\x80"
    assert rlp_bytes(b"") == b"\x80"
    assert rlp_bytes(b"a" * 55)[:1] == b"\xb7" and rlp_bytes(b"a" * 56)[:2] == b"\xb8\x38"
    assert rlp_list([]) == b"\xc0"
    assert rlp_list([rlp_bytes(b"cat"), rlp_bytes(b"dog")]) == bytes.fromhex("c88363617483646f67")

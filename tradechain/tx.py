"""The one transaction layer of tradechain: build, sign (local key), send, wait, decode reverts, record gas.

Speed: the nonce is kept locally, chain id and fees are filled once (fees refreshed every few seconds), and
where the node answers ``eth_sendRawTransactionSync`` (Anvil does) a transaction and its receipt take one
round trip. Bulk work goes through :meth:`Transactor.send_many`: one JSON-RPC batch to send, one to collect
receipts.

Safety: unless a gas limit is given, every transaction is estimated first; a revert there is decoded into the
contract's custom error (a :class:`~tradechain.errors.ContractRevert`) and nothing is sent.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.method_formatters import receipt_formatter
from web3.datastructures import AttributeDict

from tradechain.errors import ContractRevert, NodeUnreachable, TransactionFailed
from tradechain.network import rpc_with_retry
from tradechain.reverts import decode_revert
from tradechain.signing import Eip1559Signer

FEE_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Call:
    """A transaction to send: ``to=None`` deploys ``data`` as init code."""

    to: str | None
    data: bytes
    value: int = 0
    label: str = ""
    gas: int | None = None
    contract: str = ""  # the called contract's name: its own errors are decoded first


class Receipt:
    """A mined transaction's receipt. ``raw`` (web3's formatted receipt, for event decoding) is built on first
    use: a batch of thousands of logs is not formatted unless someone reads its events."""

    __slots__ = ("__dict__", "block_number", "contract_address", "gas_used", "rpc", "status", "tx_hash")

    def __init__(self, rpc: dict[str, Any]) -> None:
        self.rpc = rpc
        self.tx_hash: str = str(rpc["transactionHash"])
        self.block_number = int(rpc["blockNumber"], 16)
        self.gas_used = int(rpc["gasUsed"], 16)
        self.status = int(rpc["status"], 16)
        address = rpc.get("contractAddress")
        self.contract_address: str | None = to_checksum_address(address) if address else None

    @cached_property
    def raw(self) -> AttributeDict[str, Any]:
        formatted: AttributeDict[str, Any] = AttributeDict.recursive(receipt_formatter(self.rpc))
        return formatted

    @property
    def logs(self) -> list[Any]:
        return list(self.raw["logs"])

    def __repr__(self) -> str:
        return f"Receipt(tx_hash={self.tx_hash!r}, block_number={self.block_number}, gas_used={self.gas_used})"


@dataclass
class GasLog:
    """Gas used per operation label, for the benchmarks and ``--json`` output."""

    by_label: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def record(self, label: str, gas: int) -> None:
        if label:
            self.by_label[label].append(gas)


def _revert_data(error: Any) -> str | None:
    if isinstance(error, dict):
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return data
    return None


class Transactor:
    """Sends transactions for one signer. Not shared across signers; safe across threads of one signer."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        confirmations: int = 1,
        gas_margin: float = 1.2,
        receipt_timeout: float = 120.0,
    ) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self.w3 = w3
        self.account = account
        self.address = to_checksum_address(account.address)
        self.chain_id: int = getattr(w3, "tradechain_chain_id", None) or int(self._rpc("eth_chainId", []), 16)
        self.confirmations = confirmations
        self.gas_margin = gas_margin
        self.receipt_timeout = receipt_timeout
        self.gas = GasLog()
        self._lock = threading.Lock()
        self._nonce: int | None = None
        self._fees: tuple[float, int, int] | None = None  # (fetched at, max fee, priority fee)
        self._sync: bool | None = None  # does the node answer eth_sendRawTransactionSync?
        self._signer = Eip1559Signer(account.key)

    # -------------------------------------------------------------- raw RPC

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return rpc_with_retry(self.w3, method, params)

    def _lost_node(self, exc: OSError) -> NodeUnreachable:
        return NodeUnreachable(
            f"lost the JSON-RPC node at {getattr(self.w3.provider, 'endpoint_uri', '?')} ({type(exc).__name__}); "
            "once it is back, run the command again: bulk jobs resume where the chain stands"
        )

    def _rpc_raw(self, method: str, params: list[Any]) -> dict[str, Any]:
        """Like _rpc, but returns the response with its error instead of raising on a JSON-RPC error."""
        for attempt in range(4):
            try:
                return dict(self.w3.provider.make_request(method, params))  # type: ignore[arg-type]
            except OSError as exc:
                if attempt == 3:
                    raise self._lost_node(exc) from exc
                time.sleep(0.25 * 2**attempt)
            except Exception as exc:  # requests' ConnectionError is an OSError; anything else is fatal
                raise NodeUnreachable(f"{getattr(self.w3.provider, 'endpoint_uri', '?')}: {exc}") from exc
        raise AssertionError("unreachable")

    # -------------------------------------------------------------- fields

    def next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self._rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
        n = self._nonce
        self._nonce += 1
        return n

    def resync_nonce(self) -> None:
        self._nonce = None

    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas): EIP-1559, twice the base fee plus the tip."""
        now = time.monotonic()
        if self._fees is None or now - self._fees[0] > FEE_TTL_SECONDS:
            block = self._rpc("eth_getBlockByNumber", ["latest", False])
            base = int(block.get("baseFeePerGas") or "0x0", 16)
            try:
                tip = int(self._rpc("eth_maxPriorityFeePerGas", []), 16)
            except NodeUnreachable:
                tip = 10**9
            self._fees = (now, 2 * base + tip, tip)
        return self._fees[1], self._fees[2]

    def _tx_fields(self, call: Call) -> dict[str, Any]:
        tx: dict[str, Any] = {"from": self.address, "data": "0x" + call.data.hex(), "value": hex(call.value)}
        if call.to is not None:
            tx["to"] = call.to
        return tx

    def estimate(self, call: Call) -> int:
        """Gas for ``call`` (with a margin); a revert is raised as the decoded custom error."""
        response = self._rpc_raw("eth_estimateGas", [self._tx_fields(call)])
        if "error" in response:
            raise self._error_from(response["error"], "estimating gas", call.contract)
        return int(int(response["result"], 16) * self.gas_margin) + 5_000

    def call(self, call: Call, block: str = "latest") -> bytes:
        """``eth_call``; a revert is raised as the decoded custom error."""
        response = self._rpc_raw("eth_call", [self._tx_fields(call), block])
        if "error" in response:
            raise self._error_from(response["error"], "calling", call.contract)
        return bytes(HexBytes(response["result"]))

    def _error_from(self, error: dict[str, Any], doing: str, contract: str = "") -> TransactionFailed | ContractRevert:
        data = _revert_data(error)
        if data is not None:
            return decode_revert(data, contract or None)
        return TransactionFailed(f"node refused {doing}: {error.get('message', error)}")

    def sign(self, call: Call, nonce: int, gas: int) -> bytes:
        """The raw signed EIP-1559 transaction (see :mod:`tradechain.signing`)."""
        max_fee, tip = self.fees()
        to = bytes.fromhex(call.to[2:]) if call.to is not None else None
        return self._signer.sign(
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee=tip,
            max_fee=max_fee,
            gas=gas,
            to=to,
            value=call.value,
            data=call.data,
        )

    # -------------------------------------------------------------- send

    def send(self, call: Call) -> Receipt:
        """Sends one transaction and waits for its receipt (and the configured confirmations)."""
        gas = call.gas if call.gas is not None else self.estimate(call)
        with self._lock:
            for attempt in range(2):
                raw = self.sign(call, self.next_nonce(), gas)
                try:
                    receipt = self._submit(raw, call.contract)
                    break
                except TransactionFailed as exc:
                    self.resync_nonce()  # another sender used this account: read the nonce again, once
                    if attempt == 1 or "nonce" not in exc.user_message.lower():
                        raise
                except BaseException:
                    self.resync_nonce()
                    raise
        return self._finish(call, receipt)

    def send_many(self, calls: Sequence[Call]) -> list[Receipt]:
        """Signs every call with consecutive nonces, sends them in one JSON-RPC batch and collects the receipts
        in another. Calls without a gas limit are estimated first (a revert is raised before anything is sent;
        later calls are estimated on the state before the earlier ones run, so give ``gas`` for dependent
        calls)."""
        if not calls:
            return []
        gases = [c.gas if c.gas is not None else self.estimate(c) for c in calls]
        with self._lock:
            raws = [self.sign(c, self.next_nonce(), g) for c, g in zip(calls, gases, strict=True)]
            try:
                responses = self._batch([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws])
            except BaseException:
                self.resync_nonce()
                raise
            hashes: list[str] = []
            for raw, resp in zip(raws, responses, strict=True):
                if "error" in resp and "already known" not in str(resp["error"].get("message", "")):
                    self.resync_nonce()
                    raise TransactionFailed(f"node refused a batched transaction: {resp['error'].get('message')}")
                hashes.append(Web3.to_hex(Web3.keccak(raw)))
        receipts = self._wait_many(hashes)
        return [self._finish(c, r) for c, r in zip(calls, receipts, strict=True)]

    def _batch(self, requests: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        provider: Any = self.w3.provider
        try:
            out = provider.make_batch_request(requests)
        except OSError as exc:
            raise self._lost_node(exc) from exc
        if isinstance(out, dict):  # the whole batch failed
            raise NodeUnreachable(f"batch request failed: {out.get('error', out)}")
        return [dict(r) for r in sorted(out, key=lambda r: int(r["id"]))]

    def _submit(self, raw: bytes, contract: str = "") -> dict[str, Any]:
        raw_hex = "0x" + raw.hex()
        if self._sync is not False:
            response = self._rpc_raw("eth_sendRawTransactionSync", [raw_hex])
            if response.get("result"):
                self._sync = True
                return dict(response["result"])
            err = response.get("error", {})
            if (
                self._sync is None
                and err.get("code") in (-32601, -32600, -32602)
                and "decode" not in str(err.get("message", "")).lower()
            ):
                self._sync = False  # not supported: fall back below
            else:
                raise self._send_error(err, contract)
        response = self._rpc_raw("eth_sendRawTransaction", [raw_hex])
        if "error" in response and "already known" not in str(response["error"].get("message", "")):
            raise self._send_error(response["error"], contract)
        return self._wait_many([Web3.to_hex(Web3.keccak(raw))])[0]

    def _send_error(self, err: dict[str, Any], contract: str = "") -> TransactionFailed | ContractRevert:
        data = _revert_data(err)
        if data is not None:
            return decode_revert(data, contract or None)
        return TransactionFailed(f"node refused the transaction: {err.get('message', err)}")

    def _wait_many(self, hashes: list[str]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + self.receipt_timeout
        delay = 0.002
        while True:
            missing = [h for h in hashes if h not in found]
            responses = self._batch([("eth_getTransactionReceipt", [h]) for h in missing])
            for h, resp in zip(missing, responses, strict=True):
                if resp.get("result"):
                    found[h] = dict(resp["result"])
            if len(found) == len(hashes):
                return [found[h] for h in hashes]
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"{len(hashes) - len(found)} transaction(s) not mined after {self.receipt_timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _finish(self, call: Call, rpc: dict[str, Any]) -> Receipt:
        receipt = Receipt(rpc)
        if receipt.status != 1:
            raise self._explain_failure(call, receipt)
        self.gas.record(call.label, receipt.gas_used)
        if self.confirmations > 1:
            self._wait_confirmations(receipt.block_number)
        return receipt

    def _explain_failure(self, call: Call, receipt: Receipt) -> TransactionFailed | ContractRevert:
        """Replays a failed transaction as a call at its block to recover the revert data."""
        tx = self._tx_fields(call)
        response = self._rpc_raw("eth_call", [tx, hex(receipt.block_number - 1)])
        if "error" in response:
            return self._error_from(response["error"], "replaying", call.contract)
        return TransactionFailed(f"transaction {receipt.tx_hash} failed (out of gas at {receipt.gas_used}?)")

    def _wait_confirmations(self, block_number: int) -> None:
        deadline = time.monotonic() + self.receipt_timeout
        while int(self._rpc("eth_blockNumber", []), 16) < block_number + self.confirmations - 1:
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"block {block_number} did not reach {self.confirmations} confirmations in "
                    f"{self.receipt_timeout:.0f} s"
                )
            time.sleep(0.5)

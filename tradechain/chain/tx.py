"""The one transaction layer of tradechain: build, sign (local key), send, wait, decode reverts, record gas.

Exactly once. A transaction is identified by its hash (the keccak of its signed bytes) before it is sent, and
written to a journal of in-flight transactions of its signer (``$TRADECHAIN_HOME/pending/<chainId>-<address>.json``,
atomically, before it is sent; removed once it is mined or known dropped). A lost reply (a dropped connection, a
timeout) or an ambiguous answer ("nonce too low", "already known", "replacement transaction underpriced") is
resolved by asking the node for that hash (receipt, then pending); the same signed bytes may be sent again (same
hash: at most one of them runs), and a call is signed again with a new nonce only when the node shows that another
transaction used its nonce. A new :class:`Transactor` for the same account first resolves its journal: an identical
call (same ``to``, ``data``, ``value``) left mined or pending by an earlier run is not sent again, its receipt is
returned (or waited for). After a lost node, :class:`~tradechain.errors.TransactionUnresolved` says what is known
(mined, pending with its hash, may have been sent, not sent) and what is safe to do.

Batches. :meth:`Transactor.send_many` signs consecutive nonces and sends one JSON-RPC batch. When the node refuses
one, the later ones would wait in its pool behind the nonce gap and run when the next send fills it: they are
replaced by 0-value transfers to self at the same nonces (cancelled) and the gap is filled with one, and
:class:`~tradechain.errors.BatchRefused` reports per transaction what was mined, refused or cancelled. If the
cancellation cannot be made, the Transactor refuses to send until :meth:`Transactor.settle` succeeds.

Waiting. A receipt is polled for in short requests, never waited for inside one HTTP request longer than its
timeout (``eth_sendRawTransactionSync`` is used only with a timeout shorter than the HTTP timeout, where the node
accepts one), so a slow chain leaves a transaction pending, never "refused". With ``confirmations`` N > 1, a receipt
counts only if, N blocks later, its block is still the canonical block at its height and the transaction is still
in it (:class:`~tradechain.errors.TransactionReorganised` otherwise).

Fees. EIP-1559, twice the base fee plus the tip, refused before signing above the network's cap
(``max_fee_gwei`` in networks.yaml; 100 gwei on the local chain, 500 gwei elsewhere by default): a lying endpoint
cannot set the price (:class:`~tradechain.errors.FeeAboveCap`).

Safety: unless a gas limit is given, every transaction is estimated first; a revert there is decoded into the
contract's custom error (a :class:`~tradechain.errors.ContractRevert`) and nothing is sent.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.method_formatters import receipt_formatter
from web3.datastructures import AttributeDict

from tradechain.chain import accounts, project
from tradechain.chain.network import DEFAULT_MAX_FEE_GWEI, LOCAL_MAX_FEE_GWEI, redact_url, rpc_with_retry, scrub
from tradechain.chain.reverts import decode_revert
from tradechain.chain.signing import Eip1559Signer
from tradechain.errors import (
    BatchRefused,
    ContractRevert,
    FeeAboveCap,
    InputError,
    NodeUnreachable,
    TradechainError,
    TransactionFailed,
    TransactionReorganised,
    TransactionUnresolved,
    UnsettledNonces,
)

FEE_TTL_SECONDS = 5.0
DROP_CHECK_SECONDS = 2.0  # while waiting for a receipt, how often to check the transaction is still known
SEND_ATTEMPTS = 4  # sends of the same signed bytes after lost replies
RESIGN_ATTEMPTS = 3  # new nonces when other transactions took ours
SELF_TRANSFER_GAS = 21_000
TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

# answers to a send that do not say whether *our* transaction is known: resolved by asking for its hash
AMBIGUOUS = (
    "nonce too low",
    "already known",
    "already imported",
    "known transaction",
    "replacement transaction underpriced",
    "replacement underpriced",
)

# what is known about one transaction (Outcome.state, TxStatus.state)
MINED = "mined"
PENDING = "pending"
UNKNOWN = "unknown"  # it may have reached the node
NOT_SENT = "not sent"
REFUSED = "refused"
CANCELLED = "cancelled"
DROPPED = "dropped"  # its nonce was used by another transaction: it will never run


@dataclass(frozen=True)
class Call:
    """A transaction to send: ``to=None`` deploys ``data`` as init code."""

    to: str | None
    data: bytes
    value: int = 0
    label: str = ""
    gas: int | None = None
    contract: str = ""  # the called contract's name: its own errors are decoded first

    @property
    def key(self) -> str:
        """What makes two calls identical for the journal: ``to``, ``value`` and ``data``."""
        to = bytes.fromhex(self.to[2:]) if self.to is not None else b""
        return Web3.keccak(bytes([len(to)]) + to + self.value.to_bytes(32, "big") + self.data).hex()


class Receipt:
    """A mined transaction's receipt. ``raw`` (web3's formatted receipt, for event decoding) is built on first
    use: a batch of thousands of logs is not formatted unless someone reads its events. ``resumed`` is true when
    the transaction was sent by an earlier run and found in the journal instead of being sent again."""

    __slots__ = (
        "__dict__",
        "block_hash",
        "block_number",
        "contract_address",
        "gas_used",
        "resumed",
        "rpc",
        "status",
        "tx_hash",
    )

    def __init__(self, rpc: dict[str, Any], *, resumed: bool = False) -> None:
        self.rpc = rpc
        self.tx_hash: str = str(rpc["transactionHash"])
        self.block_hash: str = str(rpc.get("blockHash") or "")
        self.block_number = int(rpc["blockNumber"], 16)
        self.gas_used = int(rpc["gasUsed"], 16)
        self.status = int(rpc["status"], 16)
        address = rpc.get("contractAddress")
        self.contract_address: str | None = to_checksum_address(address) if address else None
        self.resumed = resumed

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


@dataclass
class Outcome:
    """What is known about one transaction of a send: ``state`` is ``mined`` (``receipt``), ``pending``,
    ``unknown`` (it may have reached the node), ``not sent``, ``refused`` (``reason``) or ``cancelled``
    (``cancel_hash``: the 0-value transfer to self that took its nonce)."""

    index: int
    label: str
    nonce: int | None
    tx_hash: str | None
    state: str
    receipt: Receipt | None = None
    reason: str = ""
    cancel_hash: str | None = None

    def describe(self) -> str:
        what = f"#{self.index} {self.label or 'transaction'}"
        if self.state == MINED and self.receipt is not None:
            return f"{what}: mined in block {self.receipt.block_number} as {self.tx_hash}"
        if self.state == REFUSED:
            return f"{what}: refused ({self.reason}), not sent"
        if self.state == CANCELLED:
            return f"{what}: cancelled ({self.tx_hash} replaced by {self.cancel_hash} at nonce {self.nonce})"
        if self.state == NOT_SENT:
            return f"{what}: not sent"
        return f"{what}: {self.state} as {self.tx_hash} (nonce {self.nonce})"


@dataclass(frozen=True)
class TxStatus:
    """What the node says about a transaction hash (:meth:`Transactor.status`)."""

    tx_hash: str
    state: str  # mined, pending, unknown or dropped
    receipt: Receipt | None = None
    confirmations: int = 0  # blocks from its block to the head, both included (0 unless mined)
    nonce: int | None = None

    def describe(self) -> str:
        if self.state == MINED and self.receipt is not None:
            ok = "succeeded" if self.receipt.status == 1 else "failed (reverted)"
            return (
                f"{self.tx_hash}: mined in block {self.receipt.block_number} ({self.confirmations} confirmation"
                f"{'s' if self.confirmations != 1 else ''}), {ok}"
            )
        if self.state == PENDING:
            return f"{self.tx_hash}: pending (nonce {self.nonce}): it may still be mined"
        if self.state == DROPPED:
            return f"{self.tx_hash}: dropped: its nonce {self.nonce} was used by another transaction, it will never run"
        return f"{self.tx_hash}: unknown to the node (never sent, dropped from its pool, or reorganised away)"

    def to_json(self) -> dict[str, Any]:
        return {
            "txHash": self.tx_hash,
            "state": self.state,
            "block": self.receipt.block_number if self.receipt else None,
            "status": self.receipt.status if self.receipt else None,
            "confirmations": self.confirmations,
            "nonce": self.nonce,
        }


@dataclass
class _Signed:
    """A transaction this Transactor signed: what the journal keeps of it."""

    raw: bytes
    nonce: int
    key: str  # Call.key, or "cancel" for a 0-value transfer to self
    label: str
    max_fee: int
    tip: int

    @cached_property
    def tx_hash(self) -> str:
        return "0x" + bytes(Web3.keccak(self.raw)).hex()

    def entry(self) -> dict[str, Any]:
        return {
            "hash": self.tx_hash,
            "nonce": self.nonce,
            "call": self.key,
            "label": self.label,
            "maxFee": self.max_fee,
            "tip": self.tip,
            "raw": "0x" + self.raw.hex(),
            "time": int(time.time()),
        }

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> _Signed:
        return cls(
            bytes.fromhex(str(entry["raw"])[2:]),
            int(entry["nonce"]),
            str(entry["call"]),
            str(entry.get("label", "")),
            int(entry.get("maxFee", 0)),
            int(entry.get("tip", 0)),
        )


@dataclass
class _Resumed:
    """A journal entry left by an earlier run, resolved against the node."""

    tx: _Signed
    state: str  # mined, pending or unknown (to be sent again, same bytes)
    rpc: dict[str, Any] | None = None


class _NonceTaken(Exception):
    """Our hash is unknown to the node and another transaction used our nonce: ours will never run."""


class _Refused(Exception):
    """The node refused the transaction for good: it is not in the pool and its nonce is free."""

    def __init__(self, error: TradechainError) -> None:
        super().__init__(error.user_message)
        self.error = error


class _Lost(Exception):
    """The node stopped answering (or no receipt came in time) with transactions in flight."""

    def __init__(
        self, state: str, cause: BaseException | None = None, found: dict[str, dict[str, Any]] | None = None
    ) -> None:
        super().__init__(state)
        self.state = state  # of the transactions not in ``found``: unknown, not sent or pending
        self.cause = cause
        self.found = found or {}


class Journal:
    """The in-flight transactions of one signer on one chain, in a JSON file written atomically (a temporary file
    renamed over it) under an advisory lock, so that two processes of one account do not lose each other's
    entries. ``path=None`` keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: list[dict[str, Any]] = []

    def entries(self) -> list[dict[str, Any]]:
        if self.path is None:
            return list(self._memory)
        with self._locked():
            return self._read()

    def add(self, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            self._update(lambda old: old + list(entries))

    def remove(self, hashes: Iterable[str]) -> None:
        gone = {h.lower() for h in hashes}
        if gone:
            self._update(lambda old: [e for e in old if str(e.get("hash", "")).lower() not in gone])

    def _update(self, change: Any) -> None:
        if self.path is None:
            self._memory = change(self._memory)
            return
        with self._locked():
            old = self._read()
            new = change(old)
            if new == old:
                return
            if not new:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                return
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(new, out, indent=1)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise

    def _read(self) -> list[dict[str, Any]]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (ValueError, UnicodeDecodeError) as exc:
            raise TransactionFailed(
                f"the pending-transaction journal {self.path} is unreadable ({type(exc).__name__}): "
                "check it by hand (it lists signed transactions that may still be mined), then move it away"
            ) from None
        if not isinstance(data, list) or not all(
            isinstance(e, dict) and TX_HASH.fullmatch(str(e.get("hash"))) for e in data
        ):
            raise TransactionFailed(f"the pending-transaction journal {self.path} is not a list of transactions")
        return data

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def journal_path(chain_id: int, address: str, folder: Path | None = None) -> Path:
    """Where the journal of ``address`` on ``chain_id`` lives (default ``$TRADECHAIN_HOME/pending``)."""
    return (folder or project.state_home() / "pending") / f"{chain_id}-{to_checksum_address(address)}.json"


def _revert_data(error: Any) -> str | None:
    if isinstance(error, dict):
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return data
    return None


def _gwei(wei: int) -> str:
    return format((Decimal(wei) / 10**9).normalize(), "f")


def _eth(wei: int) -> str:
    return format((Decimal(wei) / 10**18).normalize(), "f")


def account_name(address: str, chain_id: int) -> str | None:
    """The name a user knows ``address`` by: a keystore's name, else (on the local chain) a dev account's role."""
    for name, known in accounts.list_keystores():
        if known.lower() == address.lower():
            return name
    if chain_id == project.DEV_CHAIN_ID:
        for role in accounts.DEV_ROLES:
            if accounts.dev_account(role).address.lower() == address.lower():
                return role
    return None


def _may_have_reached(exc: BaseException) -> bool:
    """False only when the request surely never reached the node (the connection was refused or not made)."""
    text = f"{type(exc).__name__} {exc}"
    return not any(s in text for s in ("ConnectTimeout", "NewConnectionError", "Connection refused"))


class Transactor:
    """Sends transactions for one signer. Not shared across signers; safe across threads of one signer.

    ``max_fee_gwei``: the fee cap (default: the network's ``max_fee_gwei``, else 100 gwei on the local chain and
    500 elsewhere). ``journal_dir``: where the journal lives (default ``$TRADECHAIN_HOME/pending``); ``journal=False``
    keeps it in memory (nothing survives the process). ``backoff``: the first pause before retrying a lost reply."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        confirmations: int = 1,
        gas_margin: float = 1.2,
        receipt_timeout: float = 120.0,
        max_fee_gwei: Decimal | float | None = None,
        journal_dir: Path | None = None,
        journal: bool = True,
        backoff: float = 0.25,
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
        self.backoff = backoff  # the first pause before a retry (doubled each time)
        if max_fee_gwei is not None:
            self.max_fee_wei = int(Decimal(str(max_fee_gwei)) * 10**9)
        else:
            default = LOCAL_MAX_FEE_GWEI if self.chain_id == project.DEV_CHAIN_ID else DEFAULT_MAX_FEE_GWEI
            self.max_fee_wei = int(getattr(w3, "tradechain_max_fee_wei", None) or default * 10**9)
        self.gas = GasLog()
        self.journal = Journal(journal_path(self.chain_id, self.address, journal_dir) if journal else None)
        self._lock = threading.RLock()
        self._nonce: int | None = None
        self._fees: tuple[float, int, int] | None = None  # (fetched at, max fee, priority fee)
        self._sync: bool | None = None  # does the node answer eth_sendRawTransactionSync with a timeout?
        self._signer = Eip1559Signer(account.key)
        self._resumed: list[_Resumed] | None = None  # journal entries of earlier runs, resolved on first send
        self._stranded: list[_Signed] = []  # waiting behind a nonce gap: sending is refused until settled
        http_timeout = getattr(w3, "tradechain_http_timeout", None)
        if http_timeout is None:
            http_timeout = dict(getattr(w3.provider, "_request_kwargs", None) or {}).get("timeout", 30.0)
        self.http_timeout = float(http_timeout)

    # -------------------------------------------------------------- raw RPC

    @property
    def _url(self) -> str:
        return str(getattr(self.w3.provider, "endpoint_uri", "?"))

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return rpc_with_retry(self.w3, method, params, attempts=6, backoff=self.backoff)

    def _rpc_raw(self, method: str, params: list[Any]) -> dict[str, Any]:
        """Like _rpc, but returns the response with its error instead of raising on a JSON-RPC error (for reads:
        retried on lost replies)."""
        last: BaseException | None = None
        for attempt in range(4):
            try:
                return dict(self.w3.provider.make_request(method, params))  # type: ignore[arg-type]
            except OSError as exc:  # requests' errors are OSErrors
                last = exc
                if attempt < 3:
                    time.sleep(self.backoff * 2**attempt)
            except Exception as exc:
                raise NodeUnreachable(scrub(f"{redact_url(self._url)}: {exc}", self._url)) from exc
        raise NodeUnreachable(
            f"lost the JSON-RPC node at {redact_url(self._url)} ({type(last).__name__}) calling {method}"
        ) from last

    def _batch(self, requests: list[tuple[str, list[Any]]], *, attempts: int = 6) -> list[dict[str, Any]]:
        """One JSON-RPC batch, tried up to ``attempts`` times on lost replies (1 for sends)."""
        provider: Any = self.w3.provider
        last: BaseException | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 1.0))
            try:
                out = provider.make_batch_request(requests)
            except Exception as exc:  # a lost reply, a garbled one
                last = exc
                continue
            if isinstance(out, dict):  # the whole batch failed
                raise NodeUnreachable(scrub(f"batch request failed: {out.get('error', out)}", self._url))
            answers = [dict(r) for r in sorted(out, key=lambda r: int(r["id"]))]
            if len(answers) != len(requests):
                last = TransactionFailed(f"the node answered {len(answers)} of {len(requests)} batched calls")
                continue
            return answers
        raise NodeUnreachable(f"lost the JSON-RPC node at {redact_url(self._url)} ({type(last).__name__})") from last

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
        """(maxFeePerGas, maxPriorityFeePerGas): EIP-1559, twice the base fee plus the tip, at most the cap.
        Raises :class:`FeeAboveCap` when the base fee plus the tip the node asks is above the cap."""
        now = time.monotonic()
        if self._fees is None or now - self._fees[0] > FEE_TTL_SECONDS:
            block = self._rpc("eth_getBlockByNumber", ["latest", False])
            base = int(block.get("baseFeePerGas") or "0x0", 16)
            try:
                tip = int(self._rpc("eth_maxPriorityFeePerGas", []), 16)
            except NodeUnreachable:
                tip = 10**9
            if base + tip > self.max_fee_wei:
                raise FeeAboveCap(
                    f"fee: the node asks {_gwei(base + tip)} gwei per gas (base fee {_gwei(base)} + tip {_gwei(tip)}), "
                    f"above this network's cap of {_gwei(self.max_fee_wei)} gwei (max_fee_gwei in networks.yaml): "
                    "nothing was signed",
                    asked_wei=base + tip,
                    cap_wei=self.max_fee_wei,
                )
            self._fees = (now, min(2 * base + tip, self.max_fee_wei), tip)
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
        return self._insufficient_funds(error) or TransactionFailed(
            f"node refused {doing}: {error.get('message', error)}"
        )

    def sign(self, call: Call, nonce: int, gas: int) -> bytes:
        """The raw signed EIP-1559 transaction (see :mod:`tradechain.chain.signing`)."""
        max_fee, tip = self.fees()
        return self._sign(call.to, call.value, call.data, nonce, gas, max_fee, tip)

    def _sign(self, to: str | None, value: int, data: bytes, nonce: int, gas: int, max_fee: int, tip: int) -> bytes:
        return self._signer.sign(
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee=tip,
            max_fee=max_fee,
            gas=gas,
            to=bytes.fromhex(to[2:]) if to is not None else None,
            value=value,
            data=data,
        )

    def _signed(self, call: Call, nonce: int, gas: int) -> _Signed:
        max_fee, tip = self.fees()
        raw = self._sign(call.to, call.value, call.data, nonce, gas, max_fee, tip)
        return _Signed(raw, nonce, call.key, call.label, max_fee, tip)

    # -------------------------------------------------------------- send

    def send(self, call: Call) -> Receipt:
        """Sends one transaction and waits for its receipt (and the configured confirmations), exactly once: an
        identical call an earlier run left mined or pending in the journal is returned (or waited for)."""
        with self._lock:
            self._check_settled()
            resumed = self._claim(call)
            if resumed is not None:
                rpc = self._resume(resumed, call.contract)
                if rpc is not None:
                    return self._finish_tracked(call, rpc, resumed.tx, resumed=True)
        gas = call.gas if call.gas is not None else self.estimate(call)
        with self._lock:
            self._check_settled()
            for _ in range(RESIGN_ATTEMPTS):
                try:
                    tx = self._signed(call, self.next_nonce(), gas)
                    self.journal.add([tx.entry()])
                except BaseException:
                    self.resync_nonce()  # nothing sent: the nonce is free again
                    raise
                try:
                    rpc = self._deliver(tx, call.contract)
                except _NonceTaken:
                    self.journal.remove([tx.tx_hash])
                    self.resync_nonce()
                    continue
                except _Refused as exc:
                    self.journal.remove([tx.tx_hash])
                    self.resync_nonce()
                    raise exc.error from None
                except _Lost as exc:
                    self.resync_nonce()
                    if exc.state == NOT_SENT:
                        self.journal.remove([tx.tx_hash])
                    raise self._unresolved([self._outcome(0, call.label, tx, exc.state)], exc.cause) from None
                except BaseException:
                    self.resync_nonce()
                    raise
                break
            else:
                raise TransactionFailed(
                    f"other transactions took the nonce of {self.address} {RESIGN_ATTEMPTS} times in a row: "
                    "is another program sending from this account?"
                )
        return self._finish_tracked(call, rpc, tx)

    def _finish_tracked(self, call: Call, rpc: dict[str, Any], tx: _Signed, *, resumed: bool = False) -> Receipt:
        """``_finish``, then the journal entry goes; it stays when the outcome is not final (a reorganisation, a
        lost node while counting confirmations)."""
        try:
            receipt = self._finish(call, rpc)
        except (TransactionReorganised, TransactionUnresolved):
            raise
        except NodeUnreachable as exc:  # lost while counting confirmations: it was mined
            raise self._unresolved([self._outcome(0, call.label, tx, MINED, rpc)], exc) from None
        except BaseException:
            self.journal.remove([tx.tx_hash])
            raise
        self.journal.remove([tx.tx_hash])
        receipt.resumed = resumed
        return receipt

    def _deliver(self, tx: _Signed, contract: str = "") -> dict[str, Any]:
        """Sends ``tx`` and waits for its receipt (raw RPC dict)."""
        rpc = self._broadcast(tx, contract)
        if rpc is not None:
            return rpc
        found, taken = self._await([tx])
        if taken:
            raise _NonceTaken()
        return found[tx.tx_hash]

    def _post_raw(self, raw_hex: str) -> dict[str, Any]:
        """One send of signed bytes: ``eth_sendRawTransactionSync`` with a timeout shorter than the HTTP timeout
        where the node takes one, else ``eth_sendRawTransaction``. Transport errors propagate."""
        provider: Any = self.w3.provider
        if self._sync is not False:
            timeout_ms = max(1, int(self.http_timeout * 500))  # half the HTTP timeout
            response = dict(provider.make_request("eth_sendRawTransactionSync", [raw_hex, timeout_ms]))
            if response.get("result"):
                self._sync = True
                return response
            err = response.get("error") or {}
            if self._sync is None and err.get("code") in (-32601, -32600, -32602):
                self._sync = False  # not supported, or not with a timeout: send, then poll
            else:
                return response
        return dict(provider.make_request("eth_sendRawTransaction", [raw_hex]))

    def _broadcast(self, tx: _Signed, contract: str = "") -> dict[str, Any] | None:
        """Sends the signed bytes, again after a lost reply (same hash: at most one runs). Returns the receipt if
        the node gave it, None when the transaction is known to be pending; raises ``_Refused`` (not sent, nonce
        free), ``_NonceTaken`` (another transaction used the nonce) or ``_Lost``."""
        raw_hex = "0x" + tx.raw.hex()
        maybe_sent = False
        last: BaseException | None = None
        for attempt in range(SEND_ATTEMPTS):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._post_raw(raw_hex)
            except Exception as exc:  # a lost reply: ask for the hash before anything else
                last = exc
                maybe_sent = maybe_sent or _may_have_reached(exc)
                known = self._lookup(tx.tx_hash, attempts=1)  # the loop retries: one quick look each time
                if known is not None and known[0] == MINED:
                    return known[1]
                if known is not None and known[0] == PENDING:
                    return None
                continue  # unknown: the same bytes again
            result = response.get("result")
            if isinstance(result, dict):
                return result
            if result:
                return None
            err = response.get("error") or {}
            if "timeout" in str(err.get("message", "")).lower() or err.get("code") == 4:
                return None  # the node's own wait for the receipt ran out: pending, poll for it
            return self._after_error(tx, err, contract, maybe_sent)
        if not maybe_sent:
            raise _Lost(NOT_SENT, last)  # every attempt was refused a connection: it never reached the node
        known = self._lookup(tx.tx_hash)  # a last, patient look
        if known is not None and known[0] == MINED:
            return known[1]
        if known is not None and known[0] == PENDING:
            return None
        raise _Lost(UNKNOWN, last)

    def _after_error(self, tx: _Signed, err: dict[str, Any], contract: str, maybe_sent: bool) -> dict[str, Any] | None:
        """The node answered a send with an error: refused, or ours after all (mined or pending), or its nonce
        taken by another transaction."""
        message = str(err.get("message", err))
        ambiguous = any(s in message.lower() for s in AMBIGUOUS)
        data = _revert_data(err)
        refusal = decode_revert(data, contract or None) if data is not None else self._send_error(err)
        if not ambiguous and not maybe_sent:
            raise _Refused(refusal)
        deadline = time.monotonic() + self.receipt_timeout
        delay = self.backoff / 4
        while True:
            try:
                latest = self._count()
                known = self._known(tx.tx_hash)  # after the count: a mined copy of ours shows here
            except NodeUnreachable as exc:
                raise _Lost(UNKNOWN, exc) from None
            if known[0] == MINED:
                return known[1]
            if known[0] == PENDING:
                return None
            if latest > tx.nonce:
                raise _NonceTaken()  # our hash unknown, its nonce used by another transaction: ours never runs
            if not ambiguous:
                raise _Refused(refusal)
            # our hash unknown and its nonce free, yet the node says it knows a transaction at that nonce (another
            # one of this account, in its pool): wait until that one is mined or ours shows
            if time.monotonic() > deadline:
                raise _Lost(UNKNOWN)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _send_error(self, err: dict[str, Any]) -> TransactionFailed:
        return self._insufficient_funds(err) or TransactionFailed(
            f"node refused the transaction: {scrub(str(err.get('message', err)), self._url)}"
        )

    def _insufficient_funds(self, err: dict[str, Any]) -> TransactionFailed | None:
        """The node's "insufficient funds" as the user can act on it: which account (its name and address), its
        balance in ETH, and how to fund it (``tradechain account fund NAME`` on the local chain, elsewhere from a
        wallet). None for any other error."""
        message = str(err.get("message", err))
        if "insufficient funds" not in message.lower():
            return None
        name = account_name(self.address, self.chain_id)
        who = f"{name} ({self.address})" if name else self.address
        try:
            balance = f"has {_eth(int(self._rpc('eth_getBalance', [self.address, 'latest']), 16))} ETH"
        except (NodeUnreachable, ValueError, TypeError):
            balance = "has an unknown balance (the node did not say)"
        wanted = re.search(r"want (\d+)", message)
        need = f" (it needs {_eth(int(wanted.group(1)))} ETH)" if wanted else ""
        if self.chain_id == project.DEV_CHAIN_ID:
            fix = f"fund it on the local chain: `tradechain account fund {name or self.address}`"
        else:
            fix = "fund it from your wallet"
        return TransactionFailed(
            f"insufficient funds: account {who} {balance}, not enough for this transaction's gas and value{need}; {fix}"
        )

    def _lookup(self, tx_hash: str, attempts: int = 6) -> tuple[str, dict[str, Any] | None] | None:
        """(mined, receipt), (pending, None) or (unknown, None) for a hash; None if the node cannot be reached."""
        try:
            receipt, pending = self._batch(
                [("eth_getTransactionReceipt", [tx_hash]), ("eth_getTransactionByHash", [tx_hash])], attempts=attempts
            )
        except NodeUnreachable:
            return None
        if receipt.get("result"):
            return MINED, dict(receipt["result"])
        if pending.get("result"):
            return PENDING, None
        return UNKNOWN, None

    def _lookup_many(self, hashes: Sequence[str]) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """_lookup for many hashes in one batch; raises NodeUnreachable."""
        calls: list[tuple[str, list[Any]]] = []
        for h in hashes:
            calls += [("eth_getTransactionReceipt", [h]), ("eth_getTransactionByHash", [h])]
        answers = self._batch(calls)
        out: dict[str, tuple[str, dict[str, Any] | None]] = {}
        for k, h in enumerate(hashes):
            receipt, pending = answers[2 * k], answers[2 * k + 1]
            if receipt.get("result"):
                out[h] = (MINED, dict(receipt["result"]))
            else:
                out[h] = (PENDING, None) if pending.get("result") else (UNKNOWN, None)
        return out

    def _patiently(self, read: Any, rounds: int = 3) -> Any:
        """``read()``, tried for ``rounds`` rounds of retries (each ends in a NodeUnreachable) before giving up:
        for the reads whose loss would leave a transaction unresolved."""
        for round_ in range(rounds):
            try:
                return read()
            except NodeUnreachable:
                if round_ == rounds - 1:
                    raise
                time.sleep(self.backoff)
        raise AssertionError("unreachable")

    def _count(self, block: str = "latest") -> int:
        return int(self._patiently(lambda: self._rpc("eth_getTransactionCount", [self.address, block])), 16)

    def _known(self, tx_hash: str) -> tuple[str, dict[str, Any] | None]:
        """Like _lookup, patiently; raises NodeUnreachable."""

        def read() -> tuple[str, dict[str, Any] | None]:
            known = self._lookup(tx_hash)
            if known is None:
                raise NodeUnreachable(f"lost the JSON-RPC node at {redact_url(self._url)} looking up {tx_hash}")
            return known

        result: tuple[str, dict[str, Any] | None] = self._patiently(read)
        return result

    def _await(self, txs: Sequence[_Signed]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Polls for the receipts of ``txs`` in short requests until all are mined. Every few seconds it checks
        that the missing ones are still known: one the node forgot is sent again (same bytes) while its nonce is
        free; one whose nonce another transaction used is returned in the second set (it will never run).
        Raises ``_Lost`` (pending) after ``receipt_timeout`` or when the node stops answering."""
        found: dict[str, dict[str, Any]] = {}
        taken: set[str] = set()
        start = time.monotonic()
        deadline, checked = start + self.receipt_timeout, start
        delay = 0.002
        failures = 0
        while True:
            missing = [t for t in txs if t.tx_hash not in found and t.tx_hash not in taken]
            try:
                responses = self._batch([("eth_getTransactionReceipt", [t.tx_hash]) for t in missing])
            except NodeUnreachable as exc:
                failures += 1
                if failures >= 3:
                    raise _Lost(PENDING, exc, found) from None
                time.sleep(self.backoff)
                continue
            failures = 0
            for t, resp in zip(missing, responses, strict=True):
                if resp.get("result"):
                    found[t.tx_hash] = dict(resp["result"])
            if len(found) + len(taken) == len(txs):
                return found, taken
            now = time.monotonic()
            if now > deadline:
                raise _Lost(PENDING, None, found)
            if now - checked > DROP_CHECK_SECONDS:
                checked = now
                self._recheck([t for t in missing if t.tx_hash not in found], taken)
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _recheck(self, missing: Sequence[_Signed], taken: set[str]) -> None:
        try:
            latest = int(self._rpc("eth_getTransactionCount", [self.address, "latest"]), 16)
        except NodeUnreachable:
            return  # the next poll reports it
        for t in missing:
            known = self._lookup(t.tx_hash)
            if known is None or known[0] != UNKNOWN:
                continue
            if latest > t.nonce:
                taken.add(t.tx_hash)
            else:  # forgotten by the node (evicted from its pool): the same bytes again
                with contextlib.suppress(Exception):
                    self.w3.provider.make_request("eth_sendRawTransaction", ["0x" + t.raw.hex()])  # type: ignore[arg-type]

    # -------------------------------------------------------------- the journal of earlier runs

    def _claim(self, call: Call) -> _Resumed | None:
        """The entry an earlier run left for an identical call, if any (each entry serves one call)."""
        if self._resumed is None:
            self._resumed = self._resolve_journal()
        key = call.key
        for i, entry in enumerate(self._resumed):
            if entry.tx.key == key:
                return self._resumed.pop(i)
        return None

    def _resolve_journal(self) -> list[_Resumed]:
        """Resolves what earlier runs left in flight: mined and dropped entries leave the journal (a mined one is
        kept in memory for an identical call), pending ones stay, one the node does not know stays to be sent
        again (same bytes) by an identical call while its nonce is the account's next; a pending one behind a
        nonce gap is stranded: sending is refused until :meth:`settle`."""
        entries = self.journal.entries()
        if not entries:
            return []
        latest = int(self._rpc("eth_getTransactionCount", [self.address, "latest"]), 16)
        pending_count = int(self._rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
        out: list[_Resumed] = []
        gone: list[str] = []
        for entry in entries:
            tx = _Signed.from_entry(entry)
            known = self._lookup(tx.tx_hash)
            if known is None:
                raise NodeUnreachable(
                    f"cannot reach the JSON-RPC node at {redact_url(self._url)} to resolve {tx.tx_hash}"
                )
            state, rpc = known
            if state == MINED:
                gone.append(tx.tx_hash)
                if tx.key != "cancel":
                    out.append(_Resumed(tx, MINED, rpc))
            elif state == PENDING:
                if tx.key == "cancel":
                    continue  # a 0-value transfer to self: harmless wherever it runs
                if tx.nonce >= pending_count:  # queued behind a gap: the next send would run it
                    self._stranded.append(tx)
                else:
                    out.append(_Resumed(tx, PENDING))
            elif tx.nonce < latest or tx.nonce > pending_count or tx.key == "cancel":
                gone.append(tx.tx_hash)  # its nonce was used by another one, or it would open a gap: never sent
            else:
                out.append(_Resumed(tx, UNKNOWN))
        self.journal.remove(gone)
        return out

    def _resume(self, resumed: _Resumed, contract: str) -> dict[str, Any] | None:
        """The receipt of a transaction an earlier run sent (waited for if pending, the same bytes sent again if
        the node forgot them); None if it turned out never to run (the caller then sends the call afresh)."""
        tx = resumed.tx
        if resumed.state == MINED:
            assert resumed.rpc is not None
            return resumed.rpc
        try:
            if resumed.state == PENDING:
                found, taken = self._await([tx])
                if not taken:
                    return found[tx.tx_hash]
            else:
                return self._deliver(tx, contract)
        except (_NonceTaken, _Refused):
            pass
        except _Lost as exc:
            raise self._unresolved([self._outcome(0, tx.label, tx, exc.state)], exc.cause) from None
        self.journal.remove([tx.tx_hash])
        self.resync_nonce()
        return None

    # -------------------------------------------------------------- batches

    def send_many(self, calls: Sequence[Call]) -> list[Receipt]:
        """Signs every call with consecutive nonces, sends them in one JSON-RPC batch and collects the receipts
        in another. Calls without a gas limit are estimated first (a revert is raised before anything is sent;
        later calls are estimated on the state before the earlier ones run, so give ``gas`` for dependent
        calls). A refusal raises :class:`BatchRefused` with an outcome per call; the later calls are cancelled."""
        if not calls:
            return []
        rpcs: list[dict[str, Any] | None] = [None] * len(calls)
        resumed_txs: dict[int, _Signed] = {}
        with self._lock:
            self._check_settled()
            for i, c in enumerate(calls):
                claim = self._claim(c)
                if claim is not None:
                    rpcs[i] = self._resume(claim, c.contract)
                    if rpcs[i] is not None:
                        resumed_txs[i] = claim.tx
        fresh = [i for i in range(len(calls)) if rpcs[i] is None]
        gases: dict[int, int] = {}
        for i in fresh:
            given = calls[i].gas
            gases[i] = given if given is not None else self.estimate(calls[i])
        with self._lock:
            self._check_settled()
            try:
                txs = {i: self._signed(calls[i], self.next_nonce(), gases[i]) for i in fresh}
                self.journal.add([t.entry() for t in txs.values()])
            except BaseException:
                self.resync_nonce()  # nothing sent
                raise
            try:
                refused = self._broadcast_many(txs, calls)
                if refused:
                    raise self._refused_batch(calls, txs, refused, rpcs, resumed_txs)
                found, taken = self._await(list(txs.values()))
            except _Lost as exc:
                self.resync_nonce()
                outcomes = self._outcomes(calls, txs, rpcs, exc.found, exc.state)
                self.journal.remove([o.tx_hash for o in outcomes if o.tx_hash and o.state == NOT_SENT])
                raise self._unresolved(outcomes, exc.cause) from None
            except BaseException:
                self.resync_nonce()
                raise
            if taken:
                self.resync_nonce()
                outcomes = self._outcomes(calls, txs, rpcs, found, PENDING)
                for o in outcomes:
                    if o.tx_hash in taken:
                        o.state, o.reason = REFUSED, "its nonce was used by another transaction"
                self.journal.remove(txs[i].tx_hash for i in txs)
                raise BatchRefused(
                    f"{len(taken)} transaction(s) of the batch never ran: another transaction used their nonce",
                    outcomes,
                )
        for i, t in txs.items():
            rpcs[i] = found[t.tx_hash]
        mined = [t.tx_hash for t in [*txs.values(), *resumed_txs.values()]]
        receipts = []
        try:
            for i, c in enumerate(calls):
                rpc = rpcs[i]
                assert rpc is not None
                receipt = self._finish(c, rpc)
                receipt.resumed = i in resumed_txs
                receipts.append(receipt)
        except (TransactionReorganised, TransactionUnresolved):
            raise
        except NodeUnreachable as exc:  # lost while counting confirmations: all were mined
            outcomes = self._outcomes(calls, txs, rpcs, {}, MINED)
            raise self._unresolved(outcomes, exc) from None
        except BaseException:
            self.journal.remove(mined)  # mined, final (one reverted: raised as its error)
            raise
        self.journal.remove(mined)
        return receipts

    def _broadcast_many(self, txs: dict[int, _Signed], calls: Sequence[Call]) -> dict[int, str]:
        """Sends the batch (again, same bytes, for the ones whose replies were lost); returns the refused ones
        (index -> reason). Raises ``_Lost`` when the node stops answering."""
        todo = dict(txs)
        refused: dict[int, str] = {}
        maybe_sent = False
        last: BaseException | None = None
        for attempt in range(SEND_ATTEMPTS):
            if not todo:
                return refused
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            order = sorted(todo, key=lambda i: todo[i].nonce)
            try:
                responses = self._batch(
                    [("eth_sendRawTransaction", ["0x" + todo[i].raw.hex()]) for i in order], attempts=1
                )
            except NodeUnreachable as exc:
                last = exc.__cause__ or exc
                maybe_sent = maybe_sent or _may_have_reached(last)
                responses = [{} for _ in order]  # every reply lost: each is looked up below
            errors: dict[int, dict[str, Any]] = {}
            for i, resp in zip(order, responses, strict=True):
                if resp.get("result"):
                    del todo[i]
                else:
                    errors[i] = resp.get("error") or {}
            if not errors:
                return refused
            if not maybe_sent and all(not err for err in errors.values()):
                continue  # no connection at all: nothing reached the node yet
            try:
                latest = self._count()
                hashes = [todo[i].tx_hash for i in errors]
                states = self._patiently(lambda: self._lookup_many(hashes))  # noqa: B023 (called at once)
            except NodeUnreachable as exc:
                raise _Lost(UNKNOWN, exc) from None
            looked = {i: states[todo[i].tx_hash] for i in errors}
            for i, err in errors.items():
                known = looked[i]
                if known[0] != UNKNOWN:
                    del todo[i]  # ours after all: mined or pending
                elif err:  # an answer, not a lost reply
                    message = str(err.get("message", err))
                    if latest > todo[i].nonce:
                        message = "its nonce was used by another transaction"
                    refused[i] = scrub(message, self._url)
                    del todo[i]
        raise _Lost(UNKNOWN if maybe_sent else NOT_SENT, last)

    def _refused_batch(
        self,
        calls: Sequence[Call],
        txs: dict[int, _Signed],
        refused: dict[int, str],
        rpcs: list[dict[str, Any] | None],
        resumed_txs: dict[int, _Signed],
    ) -> BatchRefused:
        """After a refusal: the accepted transactions below the node's next nonce run (they are waited for); those
        queued behind the gap are cancelled (0-value transfers to self at their nonces, the gap filled), so no
        later send runs them by surprise. Reports each transaction."""
        pending_count = self._count("pending")
        accepted = [t for i, t in txs.items() if i not in refused]
        stranded = [t for t in accepted if t.nonce >= pending_count]
        flowing = [t for t in accepted if t.nonce < pending_count]
        cancels, gap_filled = self._cancel(stranded, pending_count) if stranded else ({}, True)
        found, _ = self._await(flowing + (list(cancels.values()) if gap_filled else []))
        for t in stranded:  # one mined after all (its cancellation lost a race) is reported as mined
            cancel = cancels.get(t.nonce)
            if cancel is None or cancel.tx_hash not in found:
                known = self._lookup(t.tx_hash)
                if known is not None and known[0] == MINED and known[1] is not None:
                    found[t.tx_hash] = known[1]
        self.resync_nonce()
        outcomes = self._outcomes(calls, txs, rpcs, found, PENDING)
        for i, t in txs.items():
            o = outcomes[i]
            if i in refused:
                o.state, o.reason = REFUSED, refused[i]
            elif o.state != MINED and (cancel := cancels.get(t.nonce)) is not None and cancel.tx_hash in found:
                o.state, o.cancel_hash = CANCELLED, cancel.tx_hash
            elif o.state == MINED and t.tx_hash in found:
                self._record(calls[i], found[t.tx_hash])
        done = [txs[i].tx_hash for i in txs if outcomes[i].state in (MINED, REFUSED, CANCELLED)]
        self.journal.remove(done + [c.tx_hash for c in cancels.values() if c.tx_hash in found])
        first = min(refused, key=lambda i: txs[i].nonce)
        counts = {s: sum(o.state == s for o in outcomes) for s in (MINED, REFUSED, CANCELLED)}
        text = (
            f"node refused transaction #{first} of a batch of {len(calls)} ({refused[first]}): {counts[MINED]} mined, "
            f"{counts[REFUSED]} refused, {counts[CANCELLED]} cancelled (replaced by 0-value transfers to self at their "
            "nonces: they will not run)"
        )
        if self._stranded:
            text += (
                f"; {len(self._stranded)} could not be cancelled and wait behind the nonce gap: this account sends "
                "nothing more until they are settled (Transactor.settle())"
            )
        return BatchRefused(text, outcomes)

    def _record(self, call: Call, rpc: dict[str, Any]) -> None:
        receipt = Receipt(rpc)
        if receipt.status == 1:
            self.gas.record(call.label, receipt.gas_used)

    def _cancel(self, stranded: Sequence[_Signed], pending_count: int) -> tuple[dict[int, _Signed], bool]:
        """Replaces ``stranded`` (queued behind a nonce gap) with 0-value transfers to self at their nonces, at a
        quarter more fee, then fills the gap below them with such transfers. Returns (nonce -> the transfer the
        node holds, whether the gap was filled). What could not be replaced is left in ``self._stranded`` and the
        gap left open (filling it would run them)."""
        stranded = sorted(stranded, key=lambda t: t.nonce)
        try:
            max_fee, tip = self.fees()
        except FeeAboveCap:
            max_fee, tip = stranded[0].max_fee, stranded[0].tip
        replacements = []
        for t in stranded:
            bump_tip = max(tip, t.tip * 5 // 4 + 1)
            bump_fee = max(max_fee, t.max_fee * 5 // 4 + 1, bump_tip)
            raw = self._sign(self.address, 0, b"", t.nonce, SELF_TRANSFER_GAS, bump_fee, bump_tip)
            replacements.append(_Signed(raw, t.nonce, "cancel", f"cancel {t.label}".strip(), bump_fee, bump_tip))
        accepted = self._send_cancels(replacements)
        failed = [t for t in stranded if t.nonce not in accepted]
        if failed:
            merged = {t.tx_hash: t for t in [*self._stranded, *failed]}
            self._stranded = sorted(merged.values(), key=lambda t: t.nonce)
            return accepted, False
        self._stranded = []
        fillers = [
            _Signed(
                self._sign(self.address, 0, b"", n, SELF_TRANSFER_GAS, max_fee, tip), n, "cancel", "fill", max_fee, tip
            )
            for n in range(pending_count, stranded[-1].nonce)
            if n not in accepted
        ]
        filled = self._send_cancels(fillers)
        return {**accepted, **filled}, len(filled) == len(fillers)

    def _send_cancels(self, txs: Sequence[_Signed]) -> dict[int, _Signed]:
        """Sends 0-value transfers to self in one batch; returns nonce -> transfer for those the node holds."""
        if not txs:
            return {}
        self.journal.add([t.entry() for t in txs])
        try:
            responses = self._batch([("eth_sendRawTransaction", ["0x" + t.raw.hex()]) for t in txs], attempts=1)
        except NodeUnreachable:
            responses = [{} for _ in txs]
        out: dict[int, _Signed] = {}
        for t, resp in zip(txs, responses, strict=True):
            known = (PENDING, None) if resp.get("result") else self._lookup(t.tx_hash)
            if known is not None and known[0] in (MINED, PENDING):
                out[t.nonce] = t
        self.journal.remove([t.tx_hash for t in txs if t.nonce not in out])
        return out

    def _check_settled(self) -> None:
        """Refuses to send while transactions of this account wait behind a nonce gap (the send would fill it)."""
        if self._resumed is None:
            self._resumed = self._resolve_journal()
        if not self._stranded:
            return
        still = []
        for t in self._stranded:
            known = self._lookup(t.tx_hash)
            if known is None or known[0] == PENDING:  # still in the pool (or the node cannot say)
                still.append(t)
        self._stranded = still
        if still:
            nonces = ", ".join(str(t.nonce) for t in still)
            raise UnsettledNonces(
                f"{len(still)} transaction(s) of {self.address} (nonces {nonces}) wait behind a nonce gap left by a "
                "refused transaction: sending now would fill the gap and run them; cancel them first with "
                "Transactor.settle()",
                [(t.nonce, t.tx_hash) for t in still],
            )

    def settle(self) -> list[Outcome]:
        """Cancels the transactions stranded behind a nonce gap (see :class:`UnsettledNonces`) and waits for the
        cancellations. Returns an outcome per stranded transaction (cancelled, or mined after all)."""
        with self._lock:
            if self._resumed is None:
                self._resumed = self._resolve_journal()
            stranded = [t for t in self._stranded if (k := self._lookup(t.tx_hash)) is None or k[0] == PENDING]
            self._stranded = []
            if not stranded:
                return []
            pending_count = int(self._rpc("eth_getTransactionCount", [self.address, "pending"]), 16)
            cancels, gap_filled = self._cancel(stranded, pending_count)
            if not gap_filled:
                raise UnsettledNonces(
                    f"{len(stranded)} stranded transaction(s) could not be cancelled: the node refused the "
                    "replacements or the gap filler",
                    [(t.nonce, t.tx_hash) for t in stranded],
                )
            try:
                found, _ = self._await(list(cancels.values()))
            except _Lost as exc:
                outcomes = [self._outcome(i, t.label, t, PENDING) for i, t in enumerate(stranded)]
                raise self._unresolved(outcomes, exc.cause) from None
            self.resync_nonce()
            outcomes = []
            for i, t in enumerate(stranded):
                o = self._outcome(i, t.label, t, PENDING)
                cancel = cancels.get(t.nonce)
                if cancel is not None and cancel.tx_hash in found:
                    o.state, o.cancel_hash = CANCELLED, cancel.tx_hash
                elif (known := self._lookup(t.tx_hash)) is not None and known[0] == MINED and known[1] is not None:
                    o.state, o.receipt = MINED, Receipt(known[1])
                outcomes.append(o)
            self.journal.remove([t.tx_hash for t in stranded] + [c.tx_hash for c in cancels.values()])
            return outcomes

    # -------------------------------------------------------------- outcomes and messages

    def _outcome(self, index: int, label: str, tx: _Signed, state: str, rpc: dict[str, Any] | None = None) -> Outcome:
        if rpc is not None:
            return Outcome(index, label, tx.nonce, tx.tx_hash, MINED, Receipt(rpc))
        return Outcome(index, label, tx.nonce, tx.tx_hash, state)

    def _outcomes(
        self,
        calls: Sequence[Call],
        txs: dict[int, _Signed],
        rpcs: list[dict[str, Any] | None],
        found: dict[str, dict[str, Any]],
        state: str,
    ) -> list[Outcome]:
        out = []
        for i, c in enumerate(calls):
            rpc = rpcs[i]
            if rpc is not None:
                out.append(Outcome(i, c.label, None, str(rpc["transactionHash"]), MINED, Receipt(rpc, resumed=True)))
            else:
                t = txs[i]
                out.append(self._outcome(i, c.label, t, state, found.get(t.tx_hash)))
        return out

    def _unresolved(self, outcomes: Sequence[Outcome], cause: BaseException | None) -> TransactionUnresolved:
        """The exception for a lost node (or a receipt that did not come): what is known and what is safe."""
        url = redact_url(self._url)
        if cause is not None:
            why = f"lost the JSON-RPC node at {url} ({type(cause.__cause__ or cause).__name__})"
        else:
            why = f"no receipt from {url} within {self.receipt_timeout:g} s"
        if len(outcomes) == 1:
            o = outcomes[0]
            h = o.tx_hash
            if o.state == NOT_SENT:
                text = (
                    f"{why} before the transaction reached it: nothing was sent; once the node is back it is safe "
                    "to run the command again"
                )
            elif o.state == MINED and o.receipt is not None:
                text = (
                    f"{why}: transaction {h} was mined in block {o.receipt.block_number}; check "
                    f"`tradechain tx status {h}`"
                )
            elif o.state == PENDING:
                text = (
                    f"{why}: the transaction is pending as {h} (nonce {o.nonce}); it may still be mined: check "
                    f"`tradechain tx status {h}` or wait; running the same command again waits for it, it does not "
                    "send it twice"
                )
            else:
                text = (
                    f"{why}: transaction {h} (nonce {o.nonce}) may have reached the node and may still be mined: "
                    f"check `tradechain tx status {h}` or wait; running the same command again sends the same signed "
                    "transaction, never a second one"
                )
            return TransactionUnresolved(text, outcomes)
        counts: dict[str, int] = defaultdict(int)
        for o in outcomes:
            counts[o.state] += 1
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        open_ = [o.tx_hash for o in outcomes if o.state in (PENDING, UNKNOWN) and o.tx_hash]
        text = f"{why} with a batch of {len(outcomes)} in flight: {summary}"
        if open_:
            shown = ", ".join(str(h) for h in open_[:3]) + (", ..." if len(open_) > 3 else "")
            text += (
                f"; pending or unknown: {shown} (they may still be mined: check `tradechain tx status HASH` or wait; "
                "running the same command again waits for them, it does not send them twice)"
            )
        return TransactionUnresolved(text, outcomes)

    # -------------------------------------------------------------- status

    def status(self, tx_hash: str) -> TxStatus:
        """What the node says about ``tx_hash`` (for ``tradechain tx status``): mined (with its confirmations,
        its block checked to be canonical), pending, dropped (its nonce used by another transaction) or unknown."""
        if not TX_HASH.fullmatch(tx_hash):
            raise InputError("tx", "a transaction hash is 0x and 64 hex digits", tx_hash)
        known = self._lookup(tx_hash)
        if known is None:
            raise NodeUnreachable(f"cannot reach the JSON-RPC node at {redact_url(self._url)}")
        state, rpc = known
        if state == MINED and rpc is not None:
            receipt = Receipt(rpc)
            head = int(self._rpc("eth_blockNumber", []), 16)
            block = self._rpc("eth_getBlockByNumber", [hex(receipt.block_number), False]) or {}
            if str(block.get("hash", "")).lower() == receipt.block_hash.lower():
                return TxStatus(tx_hash, MINED, receipt, head - receipt.block_number + 1)
            return TxStatus(tx_hash, UNKNOWN)
        if state == PENDING:
            tx = self._rpc("eth_getTransactionByHash", [tx_hash]) or {}
            nonce = int(tx["nonce"], 16) if tx.get("nonce") else None
            return TxStatus(tx_hash, PENDING, nonce=nonce)
        ours = [e for e in self.journal.entries() if str(e.get("hash", "")).lower() == tx_hash.lower()]
        if ours:
            nonce = int(ours[0]["nonce"])
            latest = int(self._rpc("eth_getTransactionCount", [self.address, "latest"]), 16)
            return TxStatus(tx_hash, DROPPED if latest > nonce else UNKNOWN, nonce=nonce)
        return TxStatus(tx_hash, UNKNOWN)

    # -------------------------------------------------------------- receipts

    def _finish(self, call: Call, rpc: dict[str, Any]) -> Receipt:
        receipt = Receipt(rpc)
        if receipt.status != 1:
            raise self._explain_failure(call, receipt)
        if self.confirmations > 1:
            receipt = self._confirm(receipt)
        self.gas.record(call.label, receipt.gas_used)
        return receipt

    def _explain_failure(self, call: Call, receipt: Receipt) -> TransactionFailed | ContractRevert:
        """Replays a failed transaction as a call at its block to recover the revert data."""
        tx = self._tx_fields(call)
        response = self._rpc_raw("eth_call", [tx, hex(receipt.block_number - 1)])
        if "error" in response:
            return self._error_from(response["error"], "replaying", call.contract)
        return TransactionFailed(f"transaction {receipt.tx_hash} failed (out of gas at {receipt.gas_used}?)")

    def _confirm(self, receipt: Receipt) -> Receipt:
        """Waits until ``confirmations`` blocks stand on the receipt's block, then checks that this block is still
        the canonical one at its height and still holds the transaction. A transaction moved into another block by
        a reorganisation is followed there (and counted again); one no longer included raises
        :class:`TransactionReorganised`."""
        deadline = time.monotonic() + self.receipt_timeout
        delay = 0.05
        while True:
            head = int(self._rpc("eth_blockNumber", []), 16)
            if head >= receipt.block_number + self.confirmations - 1:
                block = self._rpc("eth_getBlockByNumber", [hex(receipt.block_number), False]) or {}
                again = self._rpc("eth_getTransactionReceipt", [receipt.tx_hash])
                canonical = str(block.get("hash", "")).lower() == receipt.block_hash.lower()
                if canonical and again and str(again.get("blockHash", "")).lower() == receipt.block_hash.lower():
                    return receipt
                if again:  # included in another block: is that one canonical? count again from there
                    moved = Receipt(dict(again))
                    other = self._rpc("eth_getBlockByNumber", [hex(moved.block_number), False]) or {}
                    if (
                        str(other.get("hash", "")).lower() == moved.block_hash.lower()
                        and moved.status == receipt.status
                    ):
                        receipt = moved
                        continue
                pending = bool(self._rpc("eth_getTransactionByHash", [receipt.tx_hash]))
                state = PENDING if pending else UNKNOWN
                fate = "pending again: it may be mined in another block" if pending else "no longer known to the node"
                raise TransactionReorganised(
                    f"transaction {receipt.tx_hash} was mined in block {receipt.block_number} "
                    f"({receipt.block_hash[:12]}...), but that block was reorganised away and the transaction is "
                    f"{fate}; "
                    f"check `tradechain tx status {receipt.tx_hash}`",
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    state=state,
                )
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"block {receipt.block_number} did not reach {self.confirmations} confirmations in "
                    f"{self.receipt_timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

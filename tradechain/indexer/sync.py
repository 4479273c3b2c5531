"""Following the chain into the store: incremental, resumable, reorganisation-safe, and never stopped by one
member's data.

Reorganisations. Every indexed block is kept with its hash and its parent's hash. A block range is applied only
when it is one piece of one chain: each block's parent hash is the hash of the block before it (the first one's,
that of the last block already indexed), every log's ``blockHash`` is the hash of its block, and the range's last
block still has that hash after ``eth_getLogs`` answered. The headers are read before the logs and the last one
again after them, so a reorganisation landing anywhere in the range, or between the tip check and ``eth_getLogs``,
or between ``eth_getLogs`` and the write, is seen: nothing is written, the index rewinds to the common ancestor
and reads again (a bounded number of times).

Bad data. An event that cannot be decoded, or whose write fails on its data, is kept raw (``raw_logs``: topics and
data as the node gave them) and skipped with a warning naming its block, transaction and log index; the rest of
the range is applied. ``string`` arguments are decoded as bytes and kept as text only when they are safe text
(:func:`tradechain.indexer.store.readable`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decoding
from eth_abi.codec import ABICodec
from eth_abi.registry import BaseEquals
from eth_abi.registry import registry as default_registry
from eth_hash.auto import keccak
from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from web3._utils.events import get_event_data

from tradechain.chain.network import rpc_with_retry
from tradechain.client import Client
from tradechain.contracts import registry
from tradechain.errors import NodeUnreachable, TradechainError
from tradechain.indexer.store import Store, readable

INDEXED_CONTRACTS = registry.INDEXED  # the rows of the contract registry marked indexed
EPCIS_TOPIC = "0x" + keccak(b"EpcisEventRecorded(bytes32,uint32,uint8,uint40,uint64)").hex()
HEADER_BATCH = 500  # headers per JSON-RPC batch (geth refuses batches of more than 1,000)
ANCESTOR_STEP = 64  # stored blocks compared per batch while looking for the common ancestor
MAX_REREADS = 8  # reorganisations seen in one sync before it gives up (the next sync starts again)

log = logging.getLogger("tradechain.indexer")


class _RawStringDecoder(decoding.ByteStringDecoder):
    """A ``string`` decoded as the bytes it is (the same encoding as ``bytes``): strict UTF-8 would make one
    member's invalid string an undecodable event; :func:`readable` makes it text or hex afterwards."""

    @classmethod
    def from_type_str(cls, abi_type: str, registry: Any) -> _RawStringDecoder:
        return cls()


def _raw_string_codec() -> ABICodec:
    registry = default_registry.copy()  # type: ignore[no-untyped-call]
    registry.unregister_decoder("string")
    registry.register_decoder(BaseEquals("string"), _RawStringDecoder, label="string")  # type: ignore[no-untyped-call]
    return ABICodec(registry)


CODEC = _raw_string_codec()  # the default registry is left as it is


@dataclass(frozen=True)
class SyncResult:
    from_block: int
    to_block: int
    events: int  # events applied (a range read again after a reorganisation counts again)
    rewound_to: int | None  # the common ancestor after a reorganisation, if any
    skipped: int = 0  # events kept raw (undecodable), see Store.raw_logs

    def to_json(self) -> dict[str, Any]:
        return {
            "fromBlock": self.from_block,
            "toBlock": self.to_block,
            "events": self.events,
            "rewoundTo": self.rewound_to,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class ChainMoved(Exception):
    """The chain changed under a block range being read: nothing of it is written."""


class Undecodable(Exception):
    """A log that none of the indexed ABIs reads."""


class Indexer:
    """Reads the suite's events of one deployment into a :class:`Store`."""

    def __init__(self, client: Client, store: Store, *, chunk: int = 2_000, confirmations: int = 0) -> None:
        self.client, self.store, self.chunk, self.confirmations = client, store, chunk, confirmations
        deployment = client.deployment
        self.start_block = deployment.block
        self.addresses: list[str] = []
        self._decoders: dict[tuple[str, bytes], Any] = {}
        self._text_fields: dict[tuple[str, bytes], tuple[str, ...]] = {}
        for name in INDEXED_CONTRACTS:
            if name not in deployment.contracts:
                continue
            contract = client.contract(name)
            self.addresses.append(contract.address)
            for item in contract.abi:
                if item.get("type") != "event":
                    continue
                key = (contract.address.lower(), event_abi_to_log_topic(item))  # type: ignore[arg-type]
                self._decoders[key] = item
                self._text_fields[key] = tuple(  # decoded as bytes (CODEC); an indexed string is its hash
                    str(arg["name"])
                    for arg in item["inputs"]  # type: ignore[typeddict-item]
                    if arg["type"] == "string" and not arg.get("indexed")
                )
        self._bind()

    def _bind(self) -> None:
        identity = f"{self.client.chain_id}:{','.join(sorted(a.lower() for a in self.addresses))}"
        stored = self.store.get_meta("deployment")
        if stored is None:
            with self.store.transaction():
                self.store.set_meta("deployment", identity)
        elif stored != identity:
            raise TradechainError(
                f"index {self.store.path} belongs to another deployment ({stored}); use another --db or delete it"
            )

    # -------------------------------------------------------------- reading the chain

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return rpc_with_retry(self.client.w3, method, params)

    def _batch(self, calls: list[tuple[str, list[Any]]], attempts: int = 4) -> list[Any]:
        """The results of one JSON-RPC batch, in the order of ``calls`` (reads only: retried on connection
        failures)."""
        provider: Any = self.client.w3.provider
        delay = 0.25
        for attempt in range(attempts):
            try:
                out = provider.make_batch_request(calls)
                break
            except (requests.ConnectionError, requests.Timeout, OSError):
                if attempt + 1 == attempts:
                    raise NodeUnreachable(
                        f"cannot reach the JSON-RPC node after {attempts} attempts (batch of {len(calls)})"
                    ) from None
                time.sleep(delay)
                delay *= 2
        if not isinstance(out, list) or len(out) != len(calls):
            raise NodeUnreachable(f"the JSON-RPC node answered a batch of {len(calls)} calls with {out!r:.200}")
        results = []
        for resp in sorted(out, key=lambda r: int(r["id"])):
            if "error" in resp:
                raise NodeUnreachable(f"the JSON-RPC node answered {calls[0][0]} with an error: {resp['error']}")
            results.append(resp.get("result"))
        return results

    def _headers(self, numbers: Iterable[int]) -> dict[int, Header | None]:
        """The chain's headers of ``numbers`` now (None: no such block on the chain)."""
        wanted = list(numbers)
        headers: dict[int, Header | None] = {}
        for i in range(0, len(wanted), HEADER_BATCH):
            part = wanted[i : i + HEADER_BATCH]
            for n, block in zip(
                part, self._batch([("eth_getBlockByNumber", [hex(n), False]) for n in part]), strict=True
            ):
                headers[n] = (
                    None
                    if block is None
                    else Header(
                        n, str(block["hash"]).lower(), str(block["parentHash"]).lower(), int(block["timestamp"], 16)
                    )
                )
        return headers

    def find_ancestor(self) -> int | None:
        """The tip check: None if the last indexed block is still on the chain; else the highest indexed block
        that still is (the block before the deployment if none)."""
        last = self.store.last_block()
        if last < self.start_block:
            return None
        header = self._headers([last])[last]
        if header is not None and header.hash == self.store.block_hash(last):
            return None
        high = last - 1
        while high >= self.start_block:
            low = max(self.start_block, high - ANCESTOR_STEP + 1)
            stored = self.store.block_hashes(low, high)
            chain = self._headers(range(low, high + 1))
            for n in range(high, low - 1, -1):
                h = chain[n]
                if h is not None and stored.get(n) == h.hash:
                    return n
            high = low - 1
        return self.start_block - 1

    # -------------------------------------------------------------- syncing

    def sync(self, to_block: int | None = None, progress: Callable[[int, int], None] | None = None) -> SyncResult:
        """Reads new blocks up to ``to_block`` (default: the head less ``confirmations``)."""
        rewound: int | None = None
        count = skipped = 0
        first: int | None = None
        for _ in range(MAX_REREADS):
            ancestor = self.find_ancestor()
            if ancestor is not None:
                with self.store.transaction():
                    self.store.rewind(ancestor)
                rewound = ancestor if rewound is None else min(rewound, ancestor)
                log.info("reorganisation: the index rewound to block %d", ancestor)
            start = max(self.store.last_block() + 1, self.start_block)
            first = start if first is None else min(first, start)
            head = int(self._rpc("eth_blockNumber", []), 16) - self.confirmations
            end = head if to_block is None else min(to_block, head)
            try:
                block = start
                while block <= end:
                    upto = min(block + self.chunk - 1, end)
                    applied, raw = self._sync_range(block, upto)
                    count, skipped = count + applied, skipped + raw
                    if progress:
                        progress(upto - start + 1, end - start + 1)
                    block = upto + 1
            except ChainMoved as exc:
                log.info("reorganisation while reading: %s; reading again", exc)
                continue
            if self.find_ancestor() is None:  # the tip check again: a range may have been empty
                return SyncResult(first, end, count, rewound, skipped)
        raise TradechainError(f"the chain reorganised {MAX_REREADS} times during one sync; sync again")

    def _sync_range(self, first: int, last: int) -> tuple[int, int]:
        """Applies blocks ``first`` to ``last`` in one database transaction, if they are one piece of the chain
        continuing the index; else raises :class:`ChainMoved` and writes nothing. (applied, kept raw)."""
        headers = self._headers(range(first, last + 1))
        parent = self.store.block_hash(first - 1) if first > self.start_block else None
        if parent is None and first > self.start_block:
            raise ChainMoved(f"block {first - 1} is not in the index")
        chain: dict[int, Header] = {}
        for n in range(first, last + 1):
            h = headers[n]
            if h is None:
                raise ChainMoved(f"block {n} is no longer on the chain")
            if parent is not None and h.parent_hash != parent:
                raise ChainMoved(f"block {n} does not follow block {n - 1} as indexed")
            chain[n], parent = h, h.hash
        logs = self._rpc("eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last), "address": self.addresses}])
        for entry in logs:
            n = int(entry["blockNumber"], 16)
            h = chain.get(n)
            if h is None or str(entry["blockHash"]).lower() != h.hash or entry.get("removed"):
                raise ChainMoved(f"a log of block {n} is from another branch")
        again = self._headers([last])[last]
        if again is None or again.hash != chain[last].hash:
            raise ChainMoved(f"block {last} changed while its range was read")
        applied = raw = 0
        with self.store.transaction():
            for h in chain.values():
                self.store.put_block(h.number, h.hash, h.parent_hash, h.timestamp)
            for entry in sorted(logs, key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16))):
                if self._apply_log(entry):
                    applied += 1
                else:
                    raw += 1
            self.store.set_meta("last_block", str(last))
        return applied, raw

    def _apply_log(self, entry: dict[str, Any]) -> bool:
        """Writes one log (inside the range's transaction); False if it was kept raw instead."""
        block, log_index, tx_hash = int(entry["blockNumber"], 16), int(entry["logIndex"], 16), entry["transactionHash"]
        db = self.store.db
        error: Exception
        try:
            name, args = self._decode(entry)
            db.execute("SAVEPOINT event")  # a write that fails on this event's data leaves nothing of it
            try:
                self.store.apply(name, args, block, log_index, tx_hash)
            except BaseException:
                db.execute("ROLLBACK TO event")
                db.execute("RELEASE event")
                raise
            db.execute("RELEASE event")
            return True
        except MemoryError:
            raise
        except sqlite3.Error as exc:
            if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
                raise  # the database itself (locked, full, corrupt), not the event: the range rolls back
            error = exc
        except Exception as exc:  # the event's data: it must not stop the index
            error = exc
        reason = _printable(f"{type(error).__name__}: {error}")[:300]
        self.store.put_raw_log(
            block,
            log_index,
            tx_hash,
            str(entry["address"]),
            [str(t) for t in entry["topics"]],
            str(entry["data"]),
            reason,
        )
        log.warning(
            "skipped an undecodable event at block %d, tx %s, log index %d (%s); kept raw in raw_logs",
            block,
            tx_hash,
            log_index,
            reason,
        )
        return False

    def _decode(self, entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        topics = [HexBytes(t) for t in entry["topics"]]
        if not topics:
            raise Undecodable("a log without topics")
        if str(entry["topics"][0]).lower() == EPCIS_TOPIC:  # the bulk event: static fields, decoded directly
            data = bytes(HexBytes(entry["data"]))
            if len(topics) != 3 or len(data) != 96:
                raise Undecodable(f"EpcisEventRecorded with {len(topics)} topics and {len(data)} data bytes")
            return "EpcisEventRecorded", {
                "eventHash": "0x" + bytes(topics[1]).hex(),
                "organisation": int.from_bytes(topics[2], "big"),
                "eventType": int.from_bytes(data[0:32], "big"),
                "eventTime": int.from_bytes(data[32:64], "big"),
                "location": int.from_bytes(data[64:96], "big"),
            }
        key = (str(entry["address"]).lower(), bytes(topics[0]))
        abi = self._decoders.get(key)
        if abi is None:
            raise Undecodable("no indexed contract has an event with this topic")
        decoded = get_event_data(
            CODEC,
            abi,
            {
                "address": entry["address"],
                "topics": topics,
                "data": HexBytes(entry["data"]),
                "blockNumber": int(entry["blockNumber"], 16),
                "logIndex": int(entry["logIndex"], 16),
                "transactionIndex": int(entry["transactionIndex"], 16),
                "transactionHash": HexBytes(entry["transactionHash"]),
                "blockHash": HexBytes(entry["blockHash"]),
            },
        )
        args = dict(decoded["args"])
        hex_fields = []
        for field in self._text_fields[key]:
            args[field], is_hex = readable(bytes(args[field]), padded=False)
            if is_hex:
                hex_fields.append(field)
        if hex_fields:
            args["hexFields"] = hex_fields
        return str(decoded["event"]), args


def _printable(text: str) -> str:
    """``text`` with anything unprintable escaped (a message may quote an event's bytes)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)

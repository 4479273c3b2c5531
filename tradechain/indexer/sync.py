"""Following the chain into the store: incremental, resumable, reorganisation-safe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak
from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from web3._utils.events import get_event_data

from tradechain.client import Client
from tradechain.errors import TradechainError
from tradechain.indexer.store import Store
from tradechain.network import rpc_with_retry

INDEXED_CONTRACTS = ("ParticipantRegistry", "ProductRegistry", "LuxuryCertificate")
EPCIS_TOPIC = "0x" + keccak(b"EpcisEventRecorded(bytes32,uint32,uint8,uint40,uint64)").hex()


@dataclass(frozen=True)
class SyncResult:
    from_block: int
    to_block: int
    events: int
    rewound_to: int | None  # the common ancestor after a reorganisation, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "fromBlock": self.from_block,
            "toBlock": self.to_block,
            "events": self.events,
            "rewoundTo": self.rewound_to,
        }


class Indexer:
    """Reads the suite's events of one deployment into a :class:`Store`."""

    def __init__(self, client: Client, store: Store, *, chunk: int = 2_000, confirmations: int = 0) -> None:
        self.client, self.store, self.chunk, self.confirmations = client, store, chunk, confirmations
        deployment = client.deployment
        self.start_block = deployment.block
        self.addresses: list[str] = []
        self._decoders: dict[tuple[str, bytes], Any] = {}
        for name in INDEXED_CONTRACTS:
            if name not in deployment.contracts:
                continue
            contract = client.contract(name)
            self.addresses.append(contract.address)
            for item in contract.abi:
                if item.get("type") == "event":
                    self._decoders[(contract.address.lower(), event_abi_to_log_topic(item))] = item  # type: ignore[arg-type]
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

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return rpc_with_retry(self.client.w3, method, params)

    def _blocks(self, numbers: list[int]) -> dict[int, tuple[str, int]]:
        if not numbers:
            return {}
        provider: Any = self.client.w3.provider
        out = provider.make_batch_request([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        result = {}
        for n, resp in zip(numbers, sorted(out, key=lambda r: int(r["id"])), strict=True):
            block = resp["result"]
            result[n] = (str(block["hash"]), int(block["timestamp"], 16))
        return result

    def find_ancestor(self) -> int | None:
        """None if the stored tip is still on the chain; else the highest stored block that still is."""
        last = self.store.last_block()
        if last < 0:
            return None
        stored = self.store.block_hash(last)
        head = int(self._rpc("eth_blockNumber", []), 16)
        if stored is not None and last <= head and self._blocks([last])[last][0] == stored:
            return None
        for row in self.store.db.execute(
            "SELECT number, hash FROM blocks WHERE number < ? ORDER BY number DESC", (last,)
        ):
            number, block_hash = int(row[0]), str(row[1])
            if number <= head and self._blocks([number])[number][0] == block_hash:
                return number
        return self.start_block - 1

    def sync(self, to_block: int | None = None, progress: Callable[[int, int], None] | None = None) -> SyncResult:
        """Reads new blocks up to ``to_block`` (default: the head less ``confirmations``)."""
        rewound = self.find_ancestor()
        if rewound is not None:
            with self.store.transaction():
                self.store.rewind(rewound)
        start = max(self.store.last_block() + 1, self.start_block)
        head = int(self._rpc("eth_blockNumber", []), 16) - self.confirmations
        end = head if to_block is None else min(to_block, head)
        count = 0
        block = start
        while block <= end:
            upto = min(block + self.chunk - 1, end)
            count += self._sync_range(block, upto)
            if progress:
                progress(upto - start + 1, end - start + 1)
            block = upto + 1
        return SyncResult(start, end, count, rewound)

    def _sync_range(self, first: int, last: int) -> int:
        logs = self._rpc("eth_getLogs", [{"fromBlock": hex(first), "toBlock": hex(last), "address": self.addresses}])
        numbers = sorted({int(log["blockNumber"], 16) for log in logs} | {last})
        blocks = self._blocks(numbers)
        for log in logs:  # a reorganisation while reading: the next sync rewinds and reads again
            if blocks[int(log["blockNumber"], 16)][0] != log["blockHash"]:
                raise TradechainError(f"block {int(log['blockNumber'], 16)} changed while indexing; sync again")
        with self.store.transaction():
            for log in sorted(logs, key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16))):
                if log["topics"][0] == EPCIS_TOPIC:  # the bulk event: static fields, decoded directly
                    data = bytes.fromhex(log["data"][2:])
                    self.store.apply(
                        "EpcisEventRecorded",
                        {
                            "eventHash": log["topics"][1],
                            "organisation": int(log["topics"][2], 16),
                            "eventType": int.from_bytes(data[0:32], "big"),
                            "eventTime": int.from_bytes(data[32:64], "big"),
                            "location": int.from_bytes(data[64:96], "big"),
                        },
                        int(log["blockNumber"], 16),
                        int(log["logIndex"], 16),
                        log["transactionHash"],
                    )
                    continue
                topics = [HexBytes(t) for t in log["topics"]]
                abi = self._decoders.get((log["address"].lower(), bytes(topics[0])))
                if abi is None:
                    continue
                entry = {
                    "address": log["address"],
                    "topics": topics,
                    "data": HexBytes(log["data"]),
                    "blockNumber": int(log["blockNumber"], 16),
                    "logIndex": int(log["logIndex"], 16),
                    "transactionIndex": int(log["transactionIndex"], 16),
                    "transactionHash": HexBytes(log["transactionHash"]),
                    "blockHash": HexBytes(log["blockHash"]),
                }
                decoded = get_event_data(self.client.w3.codec, abi, entry)
                self.store.apply(
                    decoded["event"],
                    dict(decoded["args"]),
                    entry["blockNumber"],
                    entry["logIndex"],
                    log["transactionHash"],
                )
            for number, (block_hash, timestamp) in blocks.items():
                self.store.db.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)", (number, block_hash, timestamp))
            self.store.set_meta("last_block", str(last))
        return len(logs)

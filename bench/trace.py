"""Benchmarks of traceability (issue 3): gas of each ProductRegistry operation, EPCIS events per second, the
indexer's sync rate, and query latency on a database of 1,000,000 item-events over 1,000 lots."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from web3 import Web3

from tradechain.chain import accounts
from tradechain.chain.tx import Call
from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec, lot_id, sscc_unit
from tradechain.formats import epcis
from tradechain.formats.gs1 import with_check_digit
from tradechain.indexer import Indexer, Store

EXPIRY = date(2031, 12, 31)
GAS_CAP = 2**24  # EIP-7825: the most gas one transaction may use
PREFIX = "8990000"  # the manufacturer's GS1 company prefix: its GTINs 0 8990000 xxxxx c and SSCCs 0 8990000 xxxxxxxxx c


def _members(admin: Client) -> dict[str, int]:
    out = {}
    roles = {
        "manufacturer": "manufacturer,brand",
        "carrier": "carrier",
        "retailer": "retailer",
        "regulator": "regulator",
        "inspector": "inspector",
        "brand2": "manufacturer",
    }
    for i, (name, role) in enumerate(roles.items()):
        from tradechain.formats.identity import lei_with_check_digits

        out[name] = admin.participants.admit(
            lei=lei_with_check_digits(f"529900TRACE{i:07d}"),
            country="DE",
            roles=role,
            manager=accounts.dev_account(name).address,
        ).organisation
    admin.participants.assign_company_prefix(PREFIX, out["manufacturer"])  # before it claims GTINs, packs SSCCs
    return out


def measure_gas(admin: Client, as_role: Callable[[str], Client]) -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    orgs = _members(admin)
    maker, carrier, retailer = as_role("manufacturer"), as_role("carrier"), as_role("retailer")
    gtin = with_check_digit("0899000000001")
    ops["product.claimGtin"] = {"gas": maker.products.claim_gtin(gtin).gas_used}
    lot, receipt = maker.products.register_lot(LotSpec(gtin, "L1", EXPIRY, "TH"))
    ops["product.registerLot"] = {"gas": receipt.gas_used}
    for n in (1, 100, 10_000):
        _, receipt = maker.products.commission(gtin, "L1", [f"S{n}-{i}" for i in range(n)])
        ops[f"product.commission ({n:,} serials)"] = {
            "gas": receipt.gas_used,
            "gas_per_serial": round(receipt.gas_used / n, 1),
        }
    items, _ = maker.products.commission(gtin, "L1", [f"P{i}" for i in range(1_000)])
    container = sscc_unit(with_check_digit("08990000000000001"))
    ops["trace.pack (1 batch of 1,000 items)"] = {
        "gas": maker.products.pack(container, [bytes.fromhex(items.batch[2:])]).gas_used
    }
    ops["trace.ship (SSCC holding 1,000 items)"] = {"gas": maker.products.ship(container, orgs["carrier"]).gas_used}
    ops["trace.receive (SSCC holding 1,000 items)"] = {"gas": carrier.products.receive(container).gas_used}
    ops["trace.ship+receive (SSCC holding 1,000 items)"] = {
        "gas": ops["trace.ship (SSCC holding 1,000 items)"]["gas"]
        + ops["trace.receive (SSCC holding 1,000 items)"]["gas"]
    }
    ops["trace.inspect"] = {"gas": as_role("inspector").products.inspect(container, passed=True).gas_used}
    carrier.products.ship(container, orgs["retailer"])
    retailer.products.receive(container)
    ops["trace.unpack (1 unit)"] = {
        "gas": retailer.products.unpack(container, [bytes.fromhex(items.batch[2:])]).gas_used
    }
    ops["trace.dispense (proof of 10 hashes)"] = {"gas": retailer.products.dispense(gtin, "P7").gas_used}
    out_gtin = with_check_digit("0899000000002")
    maker.products.claim_gtin(out_gtin)
    lot2, _ = maker.products.register_lot(LotSpec(gtin, "L2", EXPIRY, "TH"))
    _, receipt = maker.products.transform([lot2], [LotSpec(out_gtin, "T1", EXPIRY, "TH")])
    ops["trace.transform (1 input, 1 output)"] = {"gas": receipt.gas_used}
    ops["recall (1 lot)"] = {"gas": as_role("regulator").products.recall([lot], "bench").gas_used}
    proof_batch = items
    tree = proof_batch.tree()
    data = maker.products.contract.encode_abi(
        "verify",
        args=[
            int(gtin),
            b"P7".ljust(20, b"\0"),
            b"L1".ljust(20, b"\0"),
            0,
            bytes.fromhex(proof_batch.batch[2:]),
            7,
            tree.proof(7),
        ],
    )
    gas = admin.w3.eth.estimate_gas({"to": maker.products.address, "data": data})
    ops["verify (view, serialized pack)"] = {"gas": gas, "note": "eth_estimateGas of the call"}
    anchors = [(bytes([i % 256]) * 32, 1, 1_700_000_000 + i, 0) for i in range(2_000)]
    ops["epcis.recordEvents (2,000 events)"] = {
        "gas": (r := carrier.products.record_events(anchors)).gas_used,
        "gas_per_event": round(r.gas_used / 2000, 1),
    }
    ops["max gas of any transaction here"] = {"gas": max(v["gas"] for v in ops.values()), "cap": GAS_CAP}
    return ops


def _synthetic_events(n: int, items_per_event: int = 1, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    steps = ["shipping", "receiving", "inspecting", "storing", "picking"]
    events = []
    for i in range(n):
        serials = [rng.randrange(10**9) for _ in range(items_per_event)]
        events.append(
            {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": steps[i % 5],
                "disposition": "in_progress",
                "epcList": [f"https://id.gs1.org/01/09506000134352/21/{s}" for s in serials],
                "eventTime": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00.{i % 1000:03d}Z",
                "eventTimeZoneOffset": "+00:00",
                "readPoint": {"id": "https://id.gs1.org/414/4000001000005"},
                "example:seq": i,
            }
        )
    return events


def measure_epcis(w3: Web3, client: Client, *, n: int, n_baseline: int) -> dict[str, Any]:
    """End-to-end EPCIS events per second: validate, normalise, hash, store, anchor (batched) and index."""
    out: dict[str, Any] = {}
    document = {"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": _synthetic_events(n)}}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "index.db")
        Indexer(client, store).sync()
        t = time.perf_counter()
        events = epcis.read_document(document)
        result = epcis.import_events(client, store, events)
        elapsed = time.perf_counter() - t
        assert result.anchored == n
        out["epcis_import_batched"] = {
            "events": n,
            "seconds": round(elapsed, 3),
            "events_per_s": round(n / elapsed, 1),
            "transactions": len(result.transactions),
        }
        t = time.perf_counter()
        synced = Indexer(client, store).sync()
        elapsed = time.perf_counter() - t
        out["indexer_sync"] = {
            "events": synced.events,
            "seconds": round(elapsed, 3),
            "events_per_s": round(synced.events / elapsed, 1),
        }
    baseline = epcis.read_document(
        {"type": "EPCISDocument", "epcisBody": {"eventList": _synthetic_events(n_baseline, seed=99)}}
    )
    tx = client.require_signer()
    data = [
        bytes.fromhex(client.products.contract.encode_abi("recordEvents", args=[[e.anchor()]])[2:]) for e in baseline
    ]
    t = time.perf_counter()
    for d in data:
        tx.send(Call(client.products.address, d))
    elapsed = time.perf_counter() - t
    out["epcis_one_tx_per_event"] = {
        "events": n_baseline,
        "seconds": round(elapsed, 3),
        "events_per_s": round(n_baseline / elapsed, 1),
    }
    return out


def fill_and_query(*, item_events: int = 1_000_000, lots: int = 1_000, samples: int = 200) -> dict[str, Any]:
    """Fills an index with generated events through its own writer, then times the queries (median, p95)."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "big.db")
        t = time.perf_counter()
        lot_ids = ["0x" + lot_id(with_check_digit("0899500000001"), f"L{i}").hex() for i in range(lots)]
        pos = 1
        with store.transaction():
            for i, lot in enumerate(lot_ids):  # lots, each with a batch
                store.apply(
                    "LotRegistered",
                    {
                        "lot": lot,
                        "gtin": 8995000000014,
                        "owner": 1 + i % 50,
                        "lotNumber": f"L{i}".encode().ljust(20, b"\0"),
                        "expiresAt": 0,
                        "origin": b"TH",
                        "dataHash": b"\0" * 32,
                        "location": 0,
                    },
                    pos,
                    0,
                    "0x",
                )
                store.apply(
                    "Commissioned",
                    {
                        "batch": "0xb" + lot[3:],
                        "lot": lot,
                        "owner": 1 + i % 50,
                        "serialsRoot": "0x",
                        "count": 1000,
                        "location": 0,
                    },
                    pos,
                    1,
                    "0x",
                )
                pos += 1
            for i in range(200, lots):  # transformations: each later lot made from two earlier ones
                inputs = [lot_ids[rng.randrange(i)] for _ in range(2)]
                store.apply(
                    "Transformed",
                    {
                        "transformation": f"0x{i:064x}",
                        "organisation": 1,
                        "inputs": inputs,
                        "outputs": [lot_ids[i]],
                        "location": 0,
                    },
                    pos,
                    0,
                    "0x",
                )
                pos += 1
            for _ in range(lots * 3):  # handovers
                unit = lot_ids[rng.randrange(lots)]
                store.apply("Shipped", {"unit": unit, "from": 1, "to": 2, "location": 0}, pos, 0, "0x")
                store.apply("Received", {"unit": unit, "from": 1, "to": 2, "location": 0}, pos, 1, "0x")
                pos += 1
        items = item_events // 10  # 100,000 items, 10 events each: 1,000,000 item-events
        events_per_chunk = 50_000
        written = 0
        while written < item_events:
            chunk = []
            for _ in range(events_per_chunk // 10):
                base = rng.randrange(items)
                epcs = [f"https://id.gs1.org/01/08995000000014/21/{(base + k) % items}" for k in range(10)]
                h = f"0x{rng.getrandbits(256):064x}"
                chunk.append(
                    (
                        h,
                        f"2025-01-01T00:00:{written % 60:02d}Z",
                        {"type": "ObjectEvent", "epcList": epcs, "bizStep": "observing"},
                        [(e, "what") for e in epcs],
                    )
                )
                written += 10
            with store.transaction():
                store.put_epcis_events(chunk)
        fill_seconds = time.perf_counter() - t
        count = store.db.execute("SELECT COUNT(*) FROM epc_events").fetchone()[0]

        def timed(fn: Callable[[], object]) -> dict[str, float]:
            times = []
            for _ in range(samples):
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[int(0.95 * len(times))], 3)}

        return {
            "item_events": count,
            "lots": lots,
            "fill_seconds": round(fill_seconds, 1),
            "history_item": timed(
                lambda: store.epcis_events_for(f"https://id.gs1.org/01/08995000000014/21/{rng.randrange(items)}")
            ),
            "history_lot": timed(lambda: store.history(lot_ids[rng.randrange(lots)])),
            "origin": timed(lambda: store.origin(lot_ids[rng.randrange(800, lots)])),
            "impact": timed(lambda: store.impact(lot_ids[rng.randrange(0, 200)])),
            "custody": timed(lambda: store.current_custody(lot_ids[rng.randrange(lots)])),
        }

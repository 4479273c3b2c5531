"""``make bench``: gas of every state-changing operation and the throughput of the SDK's send paths, on a fresh
Anvil with the pinned hardfork. Writes ``bench/results.json``.

Gas figures are exact and repeatable. Throughput is machine-dependent: compare the ratios, which do not drift
with machine noise (``sdk_sync_vs_web3_default`` etc.).
"""

from __future__ import annotations

import contextlib
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import Web3

from bench import certificates, ebl, invoices, trace, trade
from tradechain.chain import accounts, node, project, toolchain
from tradechain.chain.network import Network, connect
from tradechain.chain.signing import Eip1559Signer
from tradechain.chain.tx import Call, Transactor
from tradechain.client import Client
from tradechain.formats.gs1 import with_check_digit
from tradechain.formats.identity import lei_with_check_digits
from tradechain.suite import deploy_suite

RESULTS = Path(__file__).resolve().parent / "results.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_operations(client: Client, as_role: Callable[[str], Client]) -> dict[str, dict[str, Any]]:
    """Gas of each ParticipantRegistry operation, from its receipt."""
    ops: dict[str, dict[str, Any]] = {}
    p = client.participants
    brand, carrier = accounts.dev_account("brand").address, accounts.dev_account("carrier").address
    r = p.admit(lei=lei_with_check_digits("529900BENCH0000001"), country="DE", roles="brand", manager=brand)
    ops["participant.admit (LEI)"] = {"gas": r.receipt.gas_used}
    r2 = p.admit(gln=with_check_digit("400000100001"), country="NL", roles="carrier", manager=carrier)
    ops["participant.admit (GLN)"] = {"gas": r2.receipt.gas_used}
    r3 = p.admit(
        lei=lei_with_check_digits("529900BENCH0000002"),
        gln=with_check_digit("400000100002"),
        country="FR",
        roles="retailer,financier",
        manager=accounts.dev_account("retailer").address,
    )
    ops["participant.admit (LEI+GLN)"] = {"gas": r3.receipt.gas_used}
    extra, newer = accounts.dev_account("brand2").address, accounts.dev_account("retailer2").address
    brand_client = as_role("brand")
    ops["participant.addAccount"] = {"gas": brand_client.participants.add_account(r.organisation, extra).gas_used}
    ops["participant.rotateAccount"] = {"gas": brand_client.participants.rotate_account(extra, newer).gas_used}
    ops["participant.revokeAccount"] = {"gas": brand_client.participants.revoke_account(newer).gas_used}
    ops["participant.setRoles"] = {"gas": p.set_roles(r.organisation, "brand,manufacturer").gas_used}
    ops["participant.updateProfile"] = {"gas": p.update_profile(r.organisation, b"\x01" * 32).gas_used}
    ops["participant.suspend"] = {"gas": p.suspend(r2.organisation, "bench").gas_used}
    ops["participant.reinstate"] = {"gas": p.reinstate(r2.organisation).gas_used}
    # the first prefix of its length also sets the length's bit: the dearer case
    ops["participant.assignCompanyPrefix"] = {
        "gas": p.assign_company_prefix("0614141", r.organisation).receipt.gas_used
    }
    ops["participant.assignCompanyPrefix (reassign)"] = {
        "gas": p.assign_company_prefix("0614141", r3.organisation).receipt.gas_used
    }
    return ops


def _rate(n: int, seconds: float) -> dict[str, Any]:
    return {"tx": n, "seconds": round(seconds, 3), "tx_per_s": round(n / seconds, 1)}


@contextlib.contextmanager
def fresh_chain() -> Iterator[Web3]:
    """A new in-memory Anvil (pinned hardfork) for one measurement: Anvil slows down as its chain grows, so every
    throughput path starts from the same empty chain."""
    with tempfile.TemporaryDirectory() as tmp:
        status = node.start(_free_port(), Path(tmp), persist=False)
        try:
            yield connect(Network("bench", status.url))
        finally:
            node.stop(Path(tmp))


def _sdk_sender(w3: Web3) -> tuple[Transactor, str]:
    tx = Transactor(w3, accounts.dev_account("financier"))
    tx.send(Call(accounts.dev_account("outsider").address, b"", value=1, gas=21_000))  # warm-up: fees, nonce
    return tx, accounts.dev_account("outsider").address


def measure_throughput(*, n_sync: int, n_batch: int, n_web3: int) -> dict[str, Any]:
    """Signed value transfers per second from one Python sender, each path on a fresh chain."""
    out: dict[str, Any] = {}
    with fresh_chain() as w3:  # bulk: send_many, one JSON-RPC batch to send and one for receipts, 500 a batch
        tx, to = _sdk_sender(w3)
        t = time.perf_counter()
        for start in range(0, n_batch, 500):
            tx.send_many([Call(to, b"", value=1, gas=21_000) for _ in range(min(500, n_batch - start))])
        out["sdk_send_many"] = _rate(n_batch, time.perf_counter() - t)
    with fresh_chain() as w3:  # one at a time, gas given: sign + one round trip (eth_sendRawTransactionSync)
        tx, to = _sdk_sender(w3)
        t = time.perf_counter()
        for _ in range(n_sync):
            tx.send(Call(to, b"", value=1, gas=21_000))
        out["sdk_send_fixed_gas"] = _rate(n_sync, time.perf_counter() - t)
    with fresh_chain() as w3:  # one at a time, gas estimated (the CLI's path: a revert is caught before sending)
        tx, to = _sdk_sender(w3)
        t = time.perf_counter()
        for _ in range(n_sync):
            tx.send(Call(to, b"", value=1))
        out["sdk_send_estimated"] = _rate(n_sync, time.perf_counter() - t)
    with fresh_chain() as w3:  # baseline: web3.py's default path (fields filled by RPC, receipts polled)
        sender = Account.from_key(accounts.dev_account("financier").key)
        to = accounts.dev_account("outsider").address
        t = time.perf_counter()
        for _ in range(n_web3):
            built = w3.eth.account.sign_transaction(
                {
                    "to": to,
                    "value": 1,
                    "from": sender.address,
                    "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
                    "gas": w3.eth.estimate_gas({"to": to, "value": 1, "from": sender.address}),
                    "maxFeePerGas": w3.eth.gas_price * 2,
                    "maxPriorityFeePerGas": w3.eth.max_priority_fee,
                    "chainId": w3.eth.chain_id,
                },
                sender.key,
            )
            w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(built.raw_transaction))
        out["web3_default"] = _rate(n_web3, time.perf_counter() - t)

    # signing alone: tradechain's lean signer and eth-account's (both on coincurve)
    n_sign = 3_000
    key = accounts.dev_account("financier").key
    signer, to_bytes = Eip1559Signer(key), bytes.fromhex(accounts.dev_account("outsider").address[2:])
    t = time.perf_counter()
    for i in range(n_sign):
        signer.sign(
            chain_id=31337, nonce=i, max_priority_fee=1, max_fee=10**9, gas=21_000, to=to_bytes, value=1, data=b""
        )
    out["sign_only_tradechain"] = {"signatures": n_sign, "per_s": round(n_sign / (time.perf_counter() - t), 1)}
    t = time.perf_counter()
    for i in range(n_sign):
        Account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": i,
                "gas": 21_000,
                "maxFeePerGas": 10**9,
                "maxPriorityFeePerGas": 1,
                "to": accounts.dev_account("outsider").address,
                "value": 1,
                "data": b"",
            },
            key,
        )
    out["sign_only_eth_account"] = {"signatures": n_sign, "per_s": round(n_sign / (time.perf_counter() - t), 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    gas_only = "--gas" in args
    with fresh_chain() as w3:
        admin = Client(w3, accounts.dev_account("admin"))
        deployment = deploy_suite(admin, save=False)

        def as_role(role: str) -> Client:
            return Client(w3, accounts.dev_account(role), deployment=deployment)

        assert admin.transactor is not None
        operations = {
            "deploy.ParticipantRegistry": {"gas": admin.transactor.gas.by_label["deploy ParticipantRegistry"][0]}
        }
        operations.update(measure_operations(admin, as_role))
        for name in ("ParticipantRegistry", "ProductRegistry"):
            operations[f"deploy.{name}"] = {"gas": admin.transactor.gas.by_label[f"deploy {name}"][0]}
    with fresh_chain() as w3:  # traceability on a chain and deployment of its own
        admin = Client(w3, accounts.dev_account("admin"))
        deployment = deploy_suite(admin, save=False)

        def as_member(role: str) -> Client:
            return Client(w3, accounts.dev_account(role), deployment=deployment)

        operations.update(trace.measure_gas(admin, as_member))
        cert_ops, cert_ratios = certificates.measure(admin, as_member)
        operations.update(cert_ops)
        operations.update(trade.measure(admin, as_member))
        invoice_ops, fingerprint_rates = invoices.measure(admin, as_member)
        operations.update(invoice_ops)
        ebl_ops, ebl_vs_tradetrust = ebl.measure(admin, as_member, w3)
        operations.update(ebl_ops)
        if gas_only:  # gas is exact and does not drift with machine load: refresh only the operations
            return _write_operations(operations, ebl_vs_tradetrust)
        epcis_rates = trace.measure_epcis(
            w3, as_member("carrier"), n=2_000 if quick else 20_000, n_baseline=100 if quick else 300
        )
    throughput = measure_throughput(
        n_sync=300 if quick else 1_000, n_batch=1_000 if quick else 5_000, n_web3=50 if quick else 100
    )
    throughput.update(epcis_rates)
    queries = trace.fill_and_query(item_events=100_000 if quick else 1_000_000)
    tps = {k: v["tx_per_s"] for k, v in throughput.items() if "tx_per_s" in v}
    ratios: dict[str, float] = {
        **cert_ratios,
        "sdk_send_fixed_gas_vs_web3_default": round(tps["sdk_send_fixed_gas"] / tps["web3_default"], 2),
        "sdk_send_estimated_vs_web3_default": round(tps["sdk_send_estimated"] / tps["web3_default"], 2),
        "sdk_send_many_vs_web3_default": round(tps["sdk_send_many"] / tps["web3_default"], 2),
        "epcis_batched_vs_one_tx_per_event": round(
            throughput["epcis_import_batched"]["events_per_s"] / throughput["epcis_one_tx_per_event"]["events_per_s"], 1
        ),
        "signer_tradechain_vs_eth_account": round(
            throughput["sign_only_tradechain"]["per_s"] / throughput["sign_only_eth_account"]["per_s"], 2
        ),
    }
    anvil = subprocess.run([toolchain.anvil_command(), "--version"], capture_output=True, text=True).stdout
    results = {
        "meta": {
            "solc": project.solc_version(),
            "evm_version": project.evm_version(),
            "anvil": anvil.splitlines()[0] if anvil else "?",
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
            "quick": quick,
        },
        "operations": operations,
        "throughput": throughput,
        "ratios": ratios,
        "indexer_queries": queries,
        "invoice_fingerprints": fingerprint_rates,
        "ebl_vs_tradetrust": ebl_vs_tradetrust,
    }
    if RESULTS.exists():  # the invariant step counts are bench/invariants.py's, the portal's bench/portal.py's
        results.update({k: v for k, v in json.loads(RESULTS.read_text()).items() if k in ("invariants", "portal")})
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in operations)
    print("gas per operation:")
    for name, v in operations.items():
        print(f"  {name:{width}}  {v['gas']:>10,}")
    print("throughput, one Python sender:")
    for name, v in throughput.items():
        rate = v.get("tx_per_s", v.get("per_s", v.get("events_per_s")))
        print(f"  {name:24} {rate:>10,.1f} /s")
    print("ratios: " + ", ".join(f"{k} {v}x" for k, v in ratios.items()))
    _print_ebl(ebl_vs_tradetrust)
    print("indexer queries on", f"{queries['item_events']:,} item-events over {queries['lots']:,} lots:")
    for name in ("history_item", "history_lot", "origin", "impact", "custody"):
        print(f"  {name:14} median {queries[name]['median_ms']:.2f} ms, p95 {queries[name]['p95_ms']:.2f} ms")
    print(f"written to {RESULTS}")
    return 0


def _print_ebl(rows: dict[str, Any]) -> None:
    print("eBL beside TradeTrust token-registry 5.5.1 (gas; ratio of totals, and above the 21,000 base):")
    for name, r in rows.items():
        print(
            f"  {name:44} {r['ours']:>9,} vs {r['tradetrust']:>9,}  {r['ratio']:.2f}x  "
            f"({r['ratio_above_intrinsic']:.2f}x)" + ("  <= half" if r["at_most_half"] else "")
        )


def _write_operations(operations: dict[str, Any], ebl_vs_tradetrust: dict[str, Any]) -> int:
    """``--gas``: replaces the gas of every operation in bench/results.json (and the eBL table beside TradeTrust),
    keeping the other sections (rates measured on a quiet machine)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["operations"] = operations
    results["ebl_vs_tradetrust"] = ebl_vs_tradetrust
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(k) for k in operations)
    for name, v in operations.items():
        print(f"  {name:{width}}  {v['gas']:>10,}")
    _print_ebl(ebl_vs_tradetrust)
    print(f"gas of {len(operations)} operations written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

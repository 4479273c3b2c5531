"""Benchmarks of invoice de-duplication (issue 6): gas of registering one and a batch of 1,000, a refused duplicate,
check, settle, cancel, and fingerprints per second in Python."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tradechain import accounts, invoices
from tradechain.client import Client
from tradechain.identity import lei_with_check_digits

KEY = bytes(range(32))


def _invoice(n: int) -> dict[str, Any]:
    return {
        "seller": {"scheme": "LEI", "id": "529900T8BM49AURSDO55"},
        "buyer": {"scheme": "VAT", "id": "DE123"},
        "number": f"B-{n}",
        "issue_date": "2026-11-01",
        "currency": "EUR",
        "amount": f"{1000 + n}.00",
    }


def measure(admin: Client, as_role: Callable[[str], Client]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    account = accounts.dev_account("financier2").address
    if admin.participants.organisation_of(account)[0] == 0:
        admin.participants.admit(
            lei=lei_with_check_digits("529900INVBENCH0001"), country="DE", roles="financier", manager=account
        )
    bank = as_role("financier2")
    maker = invoices.Fingerprinter(KEY)
    book = [maker(invoices.canonicalise(_invoice(n))) for n in range(1_001)]
    ops: dict[str, dict[str, Any]] = {}
    ops["invoice.register (one, 4 secondaries)"] = {"gas": bank.invoices.register(book[0]).gas_used}
    results, txs = bank.invoices.register_batch(book[1:1_001])
    assert all(results)
    gas = sum(int(bank.w3.eth.get_transaction_receipt(t)["gasUsed"]) for t in txs)
    ops["invoice.registerBatch (1,000)"] = {"gas": gas, "gas_per_invoice": round(gas / 1_000), "transactions": len(txs)}
    refused_tx = bank.send(bank.invoices.contract, "registerBatch", [(book[5].primary, 10_000, [])])
    ops["invoice.registerBatch (one refused duplicate)"] = {"gas": refused_tx.gas_used}
    data = bank.invoices.contract.encode_abi("check", args=[book[5].primary])
    ops["invoice.check (view)"] = {
        "gas": admin.w3.eth.estimate_gas({"to": bank.invoices.address, "data": data}),
        "note": "eth_estimateGas of the call",
    }
    ops["invoice.settle"] = {"gas": bank.invoices.settle(book[7]).gas_used}
    ops["invoice.cancel"] = {"gas": bank.invoices.cancel(book[8]).gas_used}
    n = 20_000
    canonical = invoices.canonicalise(_invoice(1))
    t = time.perf_counter()
    for _ in range(n):
        maker(canonical)
    elapsed = time.perf_counter() - t
    rates = {"invoices_per_s": round(n / elapsed), "fingerprints_per_s": round(5 * n / elapsed)}
    t = time.perf_counter()
    for i in range(5_000):
        maker(invoices.canonicalise(_invoice(i)))
    rates["canonicalise_and_fingerprint_per_s"] = round(5_000 / (time.perf_counter() - t))
    return ops, rates

"""Benchmarks of invoice de-duplication (issue 6): gas of registering one and a batch of 1,000, a refused duplicate,
check, settle, cancel, and fingerprints per second in Python."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tradechain.chain import accounts
from tradechain.client import Client
from tradechain.formats import invoice_fingerprints
from tradechain.formats.identity import lei_with_check_digits

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


def _reverted_gas(client: Client, fn: str, *args: Any) -> int:
    """Gas of a transaction that reverts, mined with a fixed limit (a revert cannot be estimated)."""
    from tradechain.chain.tx import Call

    tx = client.require_signer()
    data = bytes.fromhex(client.invoices.contract.encode_abi(fn, args=list(args))[2:])
    raw = tx.sign(Call(client.invoices.address, data, 0, fn, None), tx.next_nonce(), 200_000)
    receipt = client.w3.eth.wait_for_transaction_receipt(client.w3.eth.send_raw_transaction(raw))
    assert receipt["status"] == 0, "expected the duplicate to be refused"
    return int(receipt["gasUsed"])


def measure(admin: Client, as_role: Callable[[str], Client]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    account = accounts.dev_account("financier2").address
    if admin.participants.organisation_of(account)[0] == 0:
        admin.participants.admit(
            lei=lei_with_check_digits("529900INVBENCH0001"), country="DE", roles="financier", manager=account
        )
    bank = as_role("financier2")
    maker = invoice_fingerprints.Fingerprinter(KEY)
    book = [maker(invoice_fingerprints.canonicalise(_invoice(n))) for n in range(1_001)]
    ops: dict[str, dict[str, Any]] = {}
    ops["invoice.register (one, 4 secondaries)"] = {"gas": bank.invoices.register(book[0]).gas_used}
    bare = invoice_fingerprints.Fingerprints(
        maker(invoice_fingerprints.canonicalise(_invoice(5_000))).primary, (bytes(32),) * 4
    )
    ops["invoice.register (one, no secondaries)"] = {"gas": bank.invoices.register(bare).gas_used}
    portfolio = bank.invoices.register_batch(book[1:1_001])
    assert all(portfolio.financed)
    txs = portfolio.transactions
    gas = [int(bank.w3.eth.get_transaction_receipt(t)["gasUsed"]) for t in txs]
    ops["invoice.registerBatch (1,000, 4 secondaries each)"] = {
        "gas": sum(gas),
        "gas_per_invoice": round(sum(gas) / 1_000),
        "transactions": len(txs),
        "largest_transaction_gas": max(gas),
        "under_eip7825_cap": max(gas) < 2**24,
    }
    plain = [
        invoice_fingerprints.Fingerprints(
            maker(invoice_fingerprints.canonicalise(_invoice(10_000 + n))).primary, (bytes(32),) * 4
        )
        for n in range(250)
    ]
    portfolio = bank.invoices.register_batch(plain)
    assert all(portfolio.financed)
    txs = portfolio.transactions
    gas_plain = sum(int(bank.w3.eth.get_transaction_receipt(t)["gasUsed"]) for t in txs)
    ops["invoice.registerBatch (250, no secondaries)"] = {"gas": gas_plain, "gas_per_invoice": round(gas_plain / 250)}
    other = as_role("financier")
    ops["invoice.register refused duplicate (reverts InvoiceAlreadyFinanced)"] = {
        "gas": _reverted_gas(other, "register", book[5].primary, 10_000, list(book[5].secondary))
    }
    refused_tx = bank.send(
        bank.invoices.contract, "registerBatch", [(book[5].primary, 10_000, list(book[5].secondary))]
    )
    ops["invoice.registerBatch (one refused duplicate)"] = {"gas": refused_tx.gas_used}
    data = bank.invoices.contract.encode_abi("check", args=[book[5].primary])
    ops["invoice.check (view)"] = {
        "gas": admin.w3.eth.estimate_gas({"to": bank.invoices.address, "data": data}),
        "note": "eth_estimateGas of the call",
    }
    ops["invoice.settle"] = {"gas": bank.invoices.settle(book[7]).gas_used}
    ops["invoice.cancel"] = {"gas": bank.invoices.cancel(book[8]).gas_used}
    pair = maker(invoice_fingerprints.canonicalise(_invoice(20_000)))  # a syndicate of two: each settles its own share
    other.invoices.register(pair, 6_000)
    bank.invoices.register(pair, 4_000)
    ops["invoice.settle (one of two shares)"] = {"gas": bank.invoices.settle(pair).gas_used}
    ops["invoice.settle (the last of two shares)"] = {"gas": other.invoices.settle(pair).gas_used}
    buyer = as_role("customer")
    now = int(admin.w3.eth.get_block("latest")["timestamp"])
    ack = buyer.invoices.sign_acknowledgment(book[9], deadline=now + 3_600)
    ops["invoice.acknowledge (EIP-712 buyer signature)"] = {"gas": bank.invoices.acknowledge(ack).gas_used}
    n = 20_000
    canonical = invoice_fingerprints.canonicalise(_invoice(1))
    t = time.perf_counter()
    for _ in range(n):
        maker(canonical)
    elapsed = time.perf_counter() - t
    rates = {"invoices_per_s": round(n / elapsed), "fingerprints_per_s": round(5 * n / elapsed)}
    t = time.perf_counter()
    for i in range(5_000):
        maker(invoice_fingerprints.canonicalise(_invoice(i)))
    rates["canonicalise_and_fingerprint_per_s"] = round(5_000 / (time.perf_counter() - t))
    return ops, rates

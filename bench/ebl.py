"""Gas of the eBL titles (``ebl.*``) and of delivery versus payment (``dvp.*``), through the SDK, and of
TradeTrust's token-registry 5.5.1 (``tradetrust.*``, :mod:`bench.tradetrust`) on the same chain in the same run,
with the ratio of each of ours to TradeTrust's equivalent.

Measured as :mod:`bench.tradetrust` measures TradeTrust's: the holder transfer is the first after the issue, the
endorsement of a nominee follows its nomination, the surrender is by a party holding both roles; remarks empty
(zero), and once with a remark (its hash, 32 bytes; TradeTrust's 32-byte remark in clear)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from web3 import Web3

from bench import tradetrust
from tradechain.chain import accounts
from tradechain.client import Client
from tradechain.contracts.dvp_settlement import Terms
from tradechain.formats.identity import lei_with_check_digits

INTRINSIC = 21_000
MEMBERS = (
    ("carrier", "carrier"),
    ("seller", "manufacturer"),
    ("buyer", "retailer"),
    ("financier", "financier"),
    ("customer", "retailer"),
    ("inspector", "inspector"),
)
# ours -> TradeTrust's equivalent (bench/tradetrust.py's keys)
PAIRS = {
    "ebl.issue": "tradetrust.mint",
    "ebl.transfer_holder": "tradetrust.transfer_holder",
    "ebl.nominate": "tradetrust.nominate",
    "ebl.transfer_beneficiary": "tradetrust.transfer_beneficiary",
    "ebl.endorse (holder is beneficiary)": "tradetrust.transfer_beneficiary (no nomination)",
    "ebl.transfer_holder (with remark)": "tradetrust.transfer_holder (32-byte remark)",
    "ebl.transfer_owners": "tradetrust.transfer_owners",
    "ebl.surrender": "tradetrust.return_to_issuer",
    "ebl.accept_surrender": "tradetrust.accept_return",
    "ebl.return_to_issuer (surrender + accept)": "tradetrust.return_to_issuer (return + burn)",
}


def _admit(admin: Client) -> None:
    for i, (role, roles) in enumerate(MEMBERS):
        account = accounts.dev_account(role).address
        if admin.participants.organisation_of(account)[0] == 0:
            admin.participants.admit(
                lei=lei_with_check_digits(f"529900EBLBENCH{i:04d}"), country="DE", roles=roles, manager=account
            )


def measure(
    admin: Client, as_member: Callable[[str], Client], w3: Web3
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """``(operations, comparison)``: the gas of each operation, and the side-by-side table with TradeTrust."""
    _admit(admin)
    carrier, seller, buyer, bank, customer = (
        as_member(r) for r in ("carrier", "seller", "buyer", "financier", "customer")
    )
    addr = {r: accounts.dev_account(r).address for r in ("seller", "buyer", "financier", "customer")}
    ops: dict[str, dict[str, Any]] = {}
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def issue(name: str, holder: str, beneficiary: str) -> tuple[int, int]:
            doc = folder / f"{name}.json"
            doc.write_text(f'{{"transportDocumentReference": "{name}", "nonce": "{os.urandom(8).hex()}"}}')
            carrier.documents.anchor([doc], "bill-of-lading", f"BENCH-{name}")
            tid, receipt = carrier.titles.issue(doc, holder, beneficiary)
            return tid, receipt.gas_used

        tid, ops["ebl.issue"] = issue("a", addr["seller"], addr["seller"])
        ops["ebl.transfer_holder"] = seller.titles.transfer_holder(tid, addr["buyer"]).gas_used
        ops["ebl.reject"] = buyer.titles.reject(tid).gas_used
        seller.titles.transfer_holder(tid, addr["customer"])  # the holder is no longer the beneficiary
        ops["ebl.nominate"] = seller.titles.nominate(tid, addr["buyer"]).gas_used  # by the beneficiary
        ops["ebl.transfer_beneficiary"] = customer.titles.transfer_beneficiary(tid, addr["buyer"]).gas_used
        ops["ebl.transfer_holder (with remark)"] = customer.titles.transfer_holder(
            tid, addr["buyer"], "received for shipment, clean on board"
        ).gas_used
        ops["ebl.transfer_owners"] = buyer.titles.transfer_owners(tid, addr["customer"], addr["customer"]).gas_used
        ops["ebl.endorse (holder is beneficiary)"] = customer.titles.transfer_beneficiary(tid, addr["buyer"]).gas_used
        customer.titles.transfer_holder(tid, addr["buyer"])
        ops["ebl.pledge"] = buyer.titles.pledge(tid, buyer.participants.organisation_of(addr["financier"])[0]).gas_used
        ops["ebl.release_pledge"] = bank.titles.release_pledge(tid).gas_used
        ops["ebl.freeze"] = carrier.titles.set_frozen(tid, True, "court order 1").gas_used
        ops["ebl.unfreeze"] = carrier.titles.set_frozen(tid, False, "court order 1").gas_used
        ops["ebl.surrender"] = buyer.titles.surrender(tid).gas_used
        ops["ebl.accept_surrender"] = carrier.titles.accept_surrender(tid).gas_used
        ops["ebl.return_to_issuer (surrender + accept)"] = ops["ebl.surrender"] + ops["ebl.accept_surrender"]

        # delivery versus payment: the seller's title against the bank's payment
        usdc = admin.contract("MockUSDC")
        admin.send(usdc, "mint", addr["financier"], 10**15)
        tid, _ = issue("b", addr["seller"], addr["seller"])
        terms = Terms(
            addr["seller"],
            addr["buyer"],
            addr["financier"],
            usdc.address,
            10**12,
            int(w3.eth.get_block("latest")["timestamp"]) + 86_400 * 30,
            tid,
        )
        ops["dvp.open"] = bank.dvp.open(terms)[1].gas_used
        bank.send(bank.contract("MockUSDC"), "approve", bank.dvp.address, 10**15, label="ERC20.approve")
        ops["dvp.fund"] = bank.dvp.fund(terms).gas_used
        ops["dvp.approve (the title)"] = seller.titles.approve(tid, seller.dvp.address).gas_used
        ops["dvp.deliver"] = seller.dvp.deliver(terms).gas_used
        ops["dvp.settle"] = buyer.dvp.settle(terms).gas_used
        # with a documentary condition: an inspection certificate anchored for the settlement
        tid, _ = issue("c", addr["seller"], addr["seller"])
        documented = Terms(
            addr["seller"],
            addr["buyer"],
            addr["financier"],
            usdc.address,
            10**12,
            int(w3.eth.get_block("latest")["timestamp"]) + 86_400 * 30,
            tid,
            ("inspection-certificate",),
        )
        sid, _ = bank.dvp.open(documented)
        bank.dvp.fund(documented)
        seller.dvp.deliver(documented)
        cert = folder / "inspection.json"
        cert.write_text('{"inspected": "2 x CNC lathe", "result": "conform"}')
        as_member("inspector").documents.anchor([cert], "inspection-certificate", sid)
        ops["dvp.settle (one document)"] = buyer.dvp.settle(documented, [cert]).gas_used
    out = {k: {"gas": v} for k, v in ops.items()}
    peer = tradetrust.measure(w3, w3.eth.accounts[-8:])  # sent last: accounts our SDK no longer uses here
    out.update({k: {"gas": v} for k, v in peer.items() if not k.startswith("tradetrust.deploy")})
    return out, compare(ops, peer)


def compare(ours: dict[str, int], peer: dict[str, int]) -> dict[str, Any]:
    """Each of ours beside TradeTrust's equivalent: both gases, the ratio of totals, and the ratio of the gas above
    the 21,000 every transaction pays (the part a contract's design decides)."""
    peer = dict(peer)
    peer["tradetrust.return_to_issuer (return + burn)"] = (
        peer["tradetrust.return_to_issuer"] + peer["tradetrust.accept_return"]
    )
    rows = {}
    for mine, theirs in PAIRS.items():
        if mine not in ours or not peer.get(theirs):
            continue
        a, b = ours[mine], peer[theirs]
        # a sum of two transactions pays the intrinsic gas twice
        n = 2 if "+" in mine else 1
        rows[mine] = {
            "ours": a,
            "tradetrust": b,
            "tradetrust_operation": theirs,
            "ratio": round(a / b, 3),
            "ratio_above_intrinsic": round((a - n * INTRINSIC) / (b - n * INTRINSIC), 3),
            "at_most_half": a * 2 <= b,
        }
    return rows

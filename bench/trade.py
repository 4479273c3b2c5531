"""Benchmarks of trade documents and escrow (issue 5): anchoring 1 and 10,000 documents, revocation, and each step
of a two-milestone escrow."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from tradechain.chain import accounts
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.formats.identity import lei_with_check_digits
from tradechain.formats.merkle import MerkleTree


def measure(admin: Client, as_role: Callable[[str], Client]) -> dict[str, dict[str, Any]]:
    for i, (role, roles) in enumerate(
        (
            ("carrier", "carrier"),
            ("inspector", "inspector"),
            ("financier", "financier"),
            ("buyer", "retailer"),
            ("arbiter", "certifier"),  # arbiters act from a member's account
        )
    ):
        account = accounts.dev_account(role).address
        if admin.participants.organisation_of(account)[0] == 0:  # not yet a member on this chain
            admin.participants.admit(
                lei=lei_with_check_digits(f"529900TRADEBNCH{i:03d}"), country="DE", roles=roles, manager=account
            )
    carrier, bank = as_role("carrier"), as_role("financier")
    ops: dict[str, dict[str, Any]] = {}
    trade = document_registry.trade_id("BENCH-1")
    docs = carrier.documents.contract
    for n in (1, 10_000):
        leaves = [document_registry.leaf(os.urandom(32), 1, trade) for _ in range(n)]
        tree = MerkleTree.build(leaves)
        ops[f"doc.anchor ({n:,} documents)"] = {"gas": carrier.send(docs, "anchor", tree.root, n).gas_used}
    revoked = MerkleTree.build(
        [document_registry.leaf(b"\x01" * 32, 1, trade), document_registry.leaf(b"\x02" * 32, 1, trade)]
    )
    carrier.send(docs, "anchor", revoked.root, 2)
    issuer, _ = carrier.participants.organisation_of(carrier.require_signer().address)
    ops["doc.revokeDocument"] = {
        "gas": carrier.send(
            docs, "revokeDocument", revoked.root, issuer, b"\x01" * 32, 1, trade, revoked.proof(0), b"\0" * 32
        ).gas_used
    }
    ops["doc.revokeBatch"] = {"gas": carrier.send(docs, "revokeBatch", revoked.root, issuer, b"\0" * 32).gas_used}

    usdc = admin.contract("MockUSDC")
    admin.send(usdc, "mint", bank.require_signer().address, 10**15)
    admin.send(usdc, "mint", accounts.dev_account("seller").address, 1)  # the seller already holds some USDC
    bank.send(usdc, "approve", bank.escrow.address, 2**256 - 1)

    def terms(n: int, **kw: Any) -> Terms:
        base = {
            "funder": bank.require_signer().address,
            "buyer": accounts.dev_account("buyer").address,
            "seller": accounts.dev_account("seller").address,
            "arbiter": accounts.dev_account("arbiter").address,
            "token": usdc.address,
            "amount": 10**12,
            "deadline": 2**39,
            "trade_id": f"BENCH-{n}",
            "milestones": (Milestone(3_000, ("bill-of-lading",)), Milestone(7_000, ("delivery-attestation",))),
        }
        return Terms(**{**base, **kw})

    def one_doc(kind: str, escrow_id: str, signer: Client) -> tuple[bytes, int, bytes, int, list[bytes]]:
        """One document issued for escrow ``escrow_id`` (its trade id), anchored alone: its proof."""
        doc_hash = os.urandom(32)
        code = document_registry.parse_doc_type(kind)
        root = document_registry.leaf(doc_hash, code, document_registry.trade_id(escrow_id))
        signer.send(docs, "anchor", root, 1)
        issuer, _ = signer.participants.organisation_of(signer.require_signer().address)
        return (doc_hash, code, root, issuer, [])

    t = terms(1)
    escrow = bank.escrow.contract
    opened = bank.send(escrow, "open", t.encoded()).gas_used
    funded = bank.send(escrow, "fund", t.encoded()).gas_used
    bl = one_doc("bill-of-lading", bank.escrow.escrow_id(t), carrier)
    first = bank.send(escrow, "release", t.encoded(), 0, [bl]).gas_used
    attestation = one_doc("delivery-attestation", bank.escrow.escrow_id(t), as_role("inspector"))
    second = bank.send(escrow, "release", t.encoded(), 1, [attestation]).gas_used
    ops["escrow.open (2 milestones)"] = {"gas": opened}
    ops["escrow.fund"] = {"gas": funded}
    ops["escrow.release (milestone 1 of 2)"] = {"gas": first}
    ops["escrow.release (milestone 2 of 2)"] = {"gas": second}
    ops["escrow life cycle (open, fund, two releases)"] = {"gas": opened + funded + first + second}
    t2 = terms(2, deadline=admin.w3.eth.get_block("latest")["timestamp"] + 5)
    bank.send(escrow, "open", t2.encoded())
    bank.send(escrow, "fund", t2.encoded())
    admin.w3.provider.make_request("evm_increaseTime", [10])  # type: ignore[arg-type]
    admin.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    ops["escrow.refund"] = {"gas": bank.send(escrow, "refund", t2.encoded()).gas_used}
    t3 = terms(3)
    bank.send(escrow, "open", t3.encoded())
    bank.send(escrow, "fund", t3.encoded())
    ops["escrow.dispute"] = {"gas": as_role("buyer").send(escrow, "dispute", t3.encoded(), b"\0" * 32).gas_used}
    ops["escrow.resolve (split)"] = {"gas": as_role("arbiter").send(escrow, "resolve", t3.encoded(), 5_000).gas_used}
    t4 = terms(4, deadline=admin.w3.eth.get_block("latest")["timestamp"] + 100)
    bank.send(escrow, "open", t4.encoded())
    bank.send(escrow, "fund", t4.encoded())
    as_role("buyer").send(escrow, "dispute", t4.encoded(), b"\0" * 32)
    wait = bank.escrow.arbitration_period + 200  # the arbiter lets it lapse; the deadline + 30 days passes
    admin.w3.provider.make_request("evm_increaseTime", [wait])  # type: ignore[arg-type]
    admin.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    ops["escrow.refund after a lapsed dispute"] = {"gas": bank.send(escrow, "refund", t4.encoded()).gas_used}
    return ops

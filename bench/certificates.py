"""Benchmarks of luxury certificates (issue 4), in the same run as a plain OpenZeppelin ERC721 (`PlainERC721`,
`_safeMint` and `transferFrom`), so the ratios compare like with like."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradechain.chain import accounts
from tradechain.client import Client
from tradechain.formats.identity import lei_with_check_digits

META = {"model": "Bench", "reference": "B-1"}


def measure(admin: Client, as_role: Callable[[str], Client]) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    admin.participants.admit(
        lei=lei_with_check_digits("529900CERTBENCH001"),
        country="CH",
        roles="brand",
        manager=accounts.dev_account("brand").address,
    )
    brand = as_role("brand")
    holder, buyer = accounts.dev_account("customer").address, accounts.dev_account("customer2").address
    ops: dict[str, dict[str, Any]] = {}
    token, receipt = brand.certificates.issue("ONE-1", META, to=holder)
    ops["cert.issue (one, to a new holder)"] = {"gas": receipt.gas_used}
    for n in (10, 100, 1_000):
        rows = [(f"B{n}-{i}", META) for i in range(n)]
        result = brand.certificates.issue_batch(rows, to=accounts.dev_account("retailer2").address)
        ops[f"cert.issueBatch ({n:,})"] = {
            "gas": result.gas_used,
            "gas_per_certificate": round(result.gas_used / n),
            "transactions": len(result.transactions),
            "max_transaction_gas": result.max_tx_gas,
            "cap": 2**24,
        }
    owner = as_role("customer")
    ops["cert.transferFrom (owner, to a new holder)"] = {
        "gas": owner.send(owner.certificates.contract, "transferFrom", holder, buyer, token).gas_used
    }
    back = as_role("customer2")
    ops["cert.safeTransferFrom (owner, to a new holder)"] = {
        "gas": back.certificates.transfer(token, accounts.dev_account("brand2").address).gas_used
    }
    second = as_role("brand2")
    secret, receipt = second.certificates.open_claim(token)
    ops["cert.openClaim"] = {"gas": receipt.gas_used}
    ops["cert.claim"] = {"gas": as_role("retailer").certificates.claim(token, secret).gas_used}
    ops["cert.report (stolen)"] = {"gas": as_role("retailer").certificates.report(token, stolen=True).gas_used}

    # the baseline, same chain and compiler: OpenZeppelin ERC721 as it comes
    receipt = admin.deploy("PlainERC721")
    plain = admin.contract("PlainERC721", receipt.contract_address)
    oz_mint = admin.send(plain, "mint", holder, 1).gas_used
    ops["oz.ERC721 _safeMint (one, to a new holder)"] = {"gas": oz_mint}
    batch_gas = 0
    for start in range(0, 1_000, 200):
        batch_gas += admin.send(
            plain, "mintBatch", accounts.dev_account("retailer2").address, 10_000 + start, 200
        ).gas_used
    ops["oz.ERC721 _safeMint (1,000, per token)"] = {"gas": round(batch_gas / 1_000)}
    holder_client = Client(admin.w3, accounts.dev_account("customer"), deployment=admin.deployment)
    oz_transfer = holder_client.send(plain, "transferFrom", holder, buyer, 1).gas_used
    ops["oz.ERC721 transferFrom (to a new holder)"] = {"gas": oz_transfer}
    ratios = {
        "cert_issue_vs_oz_safeMint": round(ops["cert.issue (one, to a new holder)"]["gas"] / oz_mint, 2),
        "cert_batch_1000_vs_oz_safeMint_per_token": round(
            ops["cert.issueBatch (1,000)"]["gas_per_certificate"]
            / ops["oz.ERC721 _safeMint (1,000, per token)"]["gas"],
            2,
        ),
        "cert_transfer_vs_oz_transferFrom": round(
            ops["cert.transferFrom (owner, to a new holder)"]["gas"] / oz_transfer, 2
        ),
    }
    return ops, ratios

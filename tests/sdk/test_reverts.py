"""Reverts are decoded against the ABI of the contract that was called first, then every other's: two contracts
may declare the same error signature with other argument names and another meaning (TradeEscrow and
InvoiceRegistry both declared ``InvalidShare(uint16)`` before issue 11), and the called contract's reading is the
one that applies. An error bubbling up from a contract it calls is still decoded, from the other artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector
from helpers import INVOICE, INVOICE_KEY

from tradechain.chain import artifacts, reverts
from tradechain.contracts.dvp_settlement import Terms as DvPTerms
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.errors import ContractRevert, revert_class
from tradechain.formats import invoice_fingerprints


def _artifact(name: str, arg: str, notice: str) -> artifacts.Artifact:
    error = {"type": "error", "name": "InvalidShare", "inputs": [{"name": arg, "type": "uint16"}]}
    natspec = {"errors": {"InvalidShare(uint16)": [{"notice": notice}]}}
    return artifacts.Artifact(name, [error], "", natspec, {})


@pytest.fixture
def colliding(monkeypatch: pytest.MonkeyPatch) -> Iterator[bytes]:
    """Two contracts declaring InvalidShare(uint16), each its own way; the revert data of InvalidShare(10001)."""
    fake = {
        "Invoices": _artifact("Invoices", "shareBps", "A share of `shareBps` basis points: from 1 to 10,000."),
        "Escrow": _artifact("Escrow", "sellerBps", "The seller's share `sellerBps` is over 10,000."),
    }
    monkeypatch.setattr(artifacts, "all_artifacts", lambda: tuple(fake.values()))
    monkeypatch.setattr(
        artifacts, "load", lambda name: fake[name] if name in fake else artifacts.Artifact(name, [], "", {}, {})
    )
    reverts.error_specs.cache_clear()
    reverts.contract_error_specs.cache_clear()
    yield function_signature_to_4byte_selector("InvalidShare(uint16)") + abi_encode(["uint16"], [10_001])
    reverts.error_specs.cache_clear()
    reverts.contract_error_specs.cache_clear()


def test_a_shared_signature_is_read_as_the_called_contract_declares_it(colliding: bytes) -> None:
    merged = reverts.decode_revert(colliding)  # without the callee: the first artifact's reading
    assert isinstance(merged, ContractRevert) and merged.contract == "Invoices"
    escrow = reverts.decode_revert(colliding, "Escrow")
    assert isinstance(escrow, ContractRevert)
    assert (escrow.contract, escrow.args_by_name) == ("Escrow", {"sellerBps": 10_001})
    assert escrow.description == "The seller's share 10001 is over 10,000."
    invoices = reverts.decode_revert(colliding, "Invoices")
    assert isinstance(invoices, ContractRevert) and invoices.shareBps == 10_001


def test_the_clients_re_decode_what_the_transaction_layer_raised(colliding: bytes) -> None:
    with pytest.raises(revert_class("InvalidShare")) as info, reverts.decoding_for("Escrow"):
        raise reverts.decode_revert(colliding)  # as the transaction layer raises it, not knowing the callee
    assert (info.value.contract, info.value.sellerBps) == ("Escrow", 10_001)
    with pytest.raises(revert_class("InvalidShare")) as other, reverts.decoding_for("Unrelated"):
        raise reverts.decode_revert(colliding)  # a contract that does not declare it: the other artifacts decide
    assert other.value.contract == "Invoices"


def test_a_revert_from_each_contract_is_decoded_with_the_called_contracts_error(
    sdk: Any, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    carrier, bank = sdk_as("carrier"), sdk_as("financier")
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF " + str(time.time_ns()).encode())
    carrier.documents.anchor([bl], "bill-of-lading", "T-REVERTS")
    carrier.documents.revoke(bl, "superseded")
    cases: list[tuple[str, str, Any]] = [
        ("DocumentRegistry", "AlreadyRevoked", lambda: carrier.documents.revoke(bl, "again")),
        (
            "TradeEscrow",
            "NonexistentEscrow",
            lambda: bank.escrow.fund(
                Terms(
                    bank.signer.address,
                    bank.signer.address,
                    carrier.signer.address,
                    carrier.signer.address,
                    bank.contract("MockUSDC").address,
                    10**6,
                    int(web3.eth.get_block("latest").timestamp) + 86_400,
                    "T-REVERTS",
                    (Milestone(10_000, ("bill-of-lading",)),),
                )
            ),
        ),
        ("InvoiceRegistry", "NotParticipating", lambda: bank.invoices.settle(_fingerprints())),
        ("LuxuryCertificate", "ERC721NonexistentToken", lambda: sdk_as("brand").certificates.open_claim(12345)),
        ("ParticipantRegistry", "UnregisteredAccount", lambda: sdk_as("outsider").documents.anchor([bl], 1, "T")),
        ("TitleRegistry", "NonexistentTitle", lambda: carrier.titles.accept_surrender(12345)),
        (
            "DvPSettlement",
            "NonexistentSettlement",
            lambda: bank.dvp.refund(
                DvPTerms(
                    carrier.signer.address,
                    bank.signer.address,
                    bank.signer.address,
                    bank.contract("MockUSDC").address,
                    10**6,
                    2**32,
                    12345,
                )
            ),
        ),
        (
            "RiskRegistry",
            "ModelNotApproved",
            lambda: sdk_as("customs").risk.anchor_decisions(b"\x01" * 32, 1, b"\x02" * 32, sdk_members["customs"]),
        ),
    ]
    for contract, name, action in cases:
        with pytest.raises(ContractRevert) as info:
            action()
        assert (info.value.contract, info.value.error_name) == (contract, name), info.value.user_message


def test_dvp_errors_shared_with_the_escrow_read_as_the_settlements_and_title_errors_bubble_up(
    sdk: Any, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """DvPSettlement raises the escrow's DeadlineNotPassed and UnauthorizedParty (declared once, in ITradeEscrow: the
    same meaning; their id, named escrowId there, is the settlement's): called on the settlement, they read as the
    settlement's errors. A TitleRegistry error raised inside a settle (a frozen title) bubbles up whole; the
    settlement's ABI knows TitleFrozen (its own returnTitle raises it), so it reads as the settlement's, with the
    title's id."""
    carrier, bank, seller = sdk_as("carrier"), sdk_as("financier"), sdk_as("manufacturer")
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", bank.signer.address, 10**12)
    bl = tmp_path / "bl.json"
    bl.write_text('{"transportDocumentReference": "SZX-REVERTS", "transportDocumentTypeCode": "BOL"}')
    carrier.documents.anchor([bl], "bill-of-lading", "T-REVERTS")
    title, _ = carrier.titles.issue(bl, seller.signer.address, seller.signer.address)
    now = int(web3.eth.get_block("latest").timestamp)
    terms = DvPTerms(seller.signer.address, sdk_as("buyer").signer.address, bank.signer.address, usdc.address,
                     10**6, now + 86_400, title)  # fmt: skip
    sid, _ = bank.dvp.open(terms)
    with pytest.raises(revert_class("UnauthorizedParty")) as who:
        seller.dvp.open(terms)
    assert (who.value.contract, who.value.args_by_name["escrowId"]) == ("DvPSettlement", bytes.fromhex(sid[2:]))
    assert who.value.role == "buyer or funder"
    with pytest.raises(revert_class("DeadlineNotPassed")) as early:
        bank.dvp.refund(terms)
    assert early.value.contract == "DvPSettlement"
    assert set(early.value.args_by_name) == {"escrowId", "deadline"} and early.value.deadline == terms.deadline
    bank.dvp.fund(terms)
    seller.dvp.deliver(terms)
    carrier.titles.set_frozen(title, True, "court order")
    with pytest.raises(ContractRevert) as frozen:
        bank.dvp.settle(terms)
    assert (frozen.value.contract, frozen.value.error_name) == ("DvPSettlement", "TitleFrozen")
    assert frozen.value.args_by_name == {"titleId": title}


def _fingerprints() -> invoice_fingerprints.Fingerprints:
    return invoice_fingerprints.fingerprints(
        invoice_fingerprints.canonicalise({**INVOICE, "number": "never financed"}), INVOICE_KEY
    )

"""LuxuryCertificate: ERC-721 conformance, brand-only issuance with derived ids, claims with a one-time key
(front-running and replay), theft freezing and recovery, service records (contract level, via Brownie)."""

from __future__ import annotations

from typing import Any

import brownie
import pytest
from brownie import ERC721ReceiverMock, accounts
from conftest import reverts_with
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes

SERIAL = b"WATCH-0001".ljust(32, b"\0")
META = keccak(b'{"model":"Chronograph"}')
ZERO = "0x" + "00" * 20


def cert_id(brand: int, serial: bytes) -> int:
    return (brand << 224) | (int.from_bytes(keccak(encode(["bytes32"], [serial])), "big") >> 32)


def sign_claim(certificates: Any, key: Any, token: int, claimant: Any) -> bytes:
    nonce = certificates.getCertificate(token)["claimNonce"]
    inner = keccak(
        encode(
            ["string", "uint256", "address", "uint256", "address", "uint32"],
            ["tradechain certificate claim", brownie.chain.id, certificates.address, token, str(claimant), nonce],
        )
    )
    return bytes(Account.sign_message(encode_defunct(primitive=inner), key.key).signature)


@pytest.fixture(scope="module")
def issued(certificates: Any, members: dict[str, int], brand: Any) -> int:
    tx = certificates.issue(members["brand"], brand, SERIAL, META, {"from": brand})
    return int(tx.return_value)


# ------------------------------------------------------------------ issuance


def test_issue_derives_the_id_from_brand_and_serial(
    certificates: Any, members: dict[str, int], brand: Any, issued: int
) -> None:
    assert issued == cert_id(members["brand"], SERIAL) == certificates.certificateId(members["brand"], SERIAL)
    assert certificates.brandOf(issued) == members["brand"] and issued >> 224 == members["brand"]
    assert certificates.ownerOf(issued) == brand and certificates.balanceOf(brand) == 1
    cert = certificates.getCertificate(issued)
    assert (cert["status"], cert["reportedAt"], cert["claimNonce"], cert["claimKey"]) == (0, 0, 0, ZERO)


def test_issue_stores_nothing_but_owner_and_balance(certificates: Any, members: dict[str, int], brand: Any) -> None:
    tx = certificates.issue(members["brand"], accounts[15], b"S3".ljust(32, b"\0"), META, {"from": brand})
    assert tx.events["CertificateIssued"]["metadataHash"] == "0x" + META.hex()  # the hash is in the event
    assert tx.gas_used < 110_000


def test_issue_emits_transfer_and_certificate_issued(certificates: Any, members: dict[str, int], brand: Any) -> None:
    tx = certificates.issue(members["brand"], accounts[15], b"S2".ljust(32, b"\0"), META, {"from": brand})
    assert tx.events["Transfer"]["from"] == ZERO and tx.events["Transfer"]["to"] == accounts[15]
    assert tx.events["CertificateIssued"]["serial"] == "0x" + b"S2".ljust(32, b"\0").hex()


def test_a_second_certificate_for_the_same_item_is_refused(
    certificates: Any, members: dict[str, int], brand: Any, issued: int
) -> None:
    with reverts_with("CertificateAlreadyIssued", issued, members["brand"], SERIAL):
        certificates.issue(members["brand"], brand, SERIAL, META, {"from": brand})


def test_only_brand_accounts_issue_and_only_for_their_own_brand(
    certificates: Any, registry: Any, members: dict[str, int], admin: Any, brand: Any, carrier: Any
) -> None:
    with reverts_with("MissingRole", carrier, members["carrier"], ROLE["brand"]):
        certificates.issue(members["carrier"], carrier, SERIAL, META, {"from": carrier})
    other = registry.admit(lei_bytes(50), 0, b"FR", ROLE["brand"], b"\0" * 32, accounts[16], {"from": admin})
    other_brand = other.events["OrganisationAdmitted"]["organisation"]
    with reverts_with("UnauthorizedBrand", members["brand"], other_brand):
        certificates.issue(members["brand"], accounts[16], b"FAKE".ljust(32, b"\0"), META, {"from": accounts[16]})
    with reverts_with("EmptySerial"):
        certificates.issue(members["brand"], brand, b"\0" * 32, META, {"from": brand})


def test_issue_batch_and_its_limits(certificates: Any, members: dict[str, int], brand: Any) -> None:
    serials = [f"B{i}".encode().ljust(32, b"\0") for i in range(50)]
    before = certificates.balanceOf(brand)
    tx = certificates.issueBatch(members["brand"], brand, serials, [META] * 50, {"from": brand})
    assert len(tx.events["Transfer"]) == 50 and certificates.balanceOf(brand) == before + 50
    ids = [cert_id(members["brand"], s) for s in serials]
    assert certificates.existing([*ids, 123]) == [True] * 50 + [False]
    with reverts_with("InvalidIssueBatch", 2, 2000):
        certificates.issueBatch(members["brand"], brand, serials[:2], [META], {"from": brand})
    with reverts_with("CertificateAlreadyIssued"):
        certificates.issueBatch(members["brand"], brand, serials[:1], [META], {"from": brand})


def test_a_batch_holds_one_to_2000_certificates(certificates: Any, members: dict[str, int], brand: Any) -> None:
    before = certificates.balanceOf(brand)
    with reverts_with("InvalidIssueBatch", 0, 2000):
        certificates.issueBatch(members["brand"], brand, [], [], {"from": brand})
    too_many = [i.to_bytes(32, "big") for i in range(1, 2002)]
    with reverts_with("InvalidIssueBatch", 2001, 2000):
        certificates.issueBatch(members["brand"], brand, too_many, [META] * 2001, {"from": brand})
    assert certificates.balanceOf(brand) == before


# ------------------------------------------------------------------ ERC-721 conformance


def test_supports_erc165_721_metadata_and_4906(certificates: Any) -> None:
    for interface in ("0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0x49064906"):
        assert certificates.supportsInterface(interface) is True
    assert certificates.supportsInterface("0xffffffff") is False


def test_safe_transfer_to_contracts_that_accept_or_refuse(certificates: Any, brand: Any, issued: int) -> None:
    yes, no = ERC721ReceiverMock.deploy(True, {"from": brand}), ERC721ReceiverMock.deploy(False, {"from": brand})
    with reverts_with("ERC721InvalidReceiver", no):
        certificates.safeTransferFrom(brand, no, issued, {"from": brand})
    certificates.safeTransferFrom(brand, yes, issued, {"from": brand})
    assert certificates.ownerOf(issued) == yes


def test_approvals_and_operators(certificates: Any, brand: Any, issued: int) -> None:
    spender, operator, buyer = accounts[15], accounts[16], accounts[17]
    with reverts_with("ERC721InsufficientApproval", spender, issued):
        certificates.transferFrom(brand, buyer, issued, {"from": spender})
    certificates.approve(spender, issued, {"from": brand})
    assert certificates.getApproved(issued) == spender
    certificates.transferFrom(brand, buyer, issued, {"from": spender})
    assert certificates.getApproved(issued) == ZERO  # approval cleared by the transfer
    certificates.setApprovalForAll(operator, True, {"from": buyer})
    tx = certificates.transferFrom(buyer, brand, issued, {"from": operator})
    assert certificates.ownerOf(issued) == brand and tx.events["Transfer"]["to"] == brand


def test_token_uri_and_metadata_updates(
    certificates: Any, members: dict[str, int], brand: Any, carrier: Any, issued: int
) -> None:
    assert certificates.tokenURI(issued) == ""
    tx = certificates.setBaseURI(members["brand"], "https://verify.example/cert/", {"from": brand})
    assert "BatchMetadataUpdate" in tx.events
    assert certificates.tokenURI(issued) == "https://verify.example/cert/" + f"0x{issued:064x}"
    new = keccak(b"serviced")
    tx = certificates.updateMetadata(issued, new, {"from": brand})
    assert tx.events["MetadataUpdate"]["_tokenId"] == issued
    assert tx.events["MetadataHashChanged"]["newHash"] == "0x" + new.hex()
    with reverts_with("MissingRole"):
        certificates.updateMetadata(issued, new, {"from": carrier})
    with reverts_with("ERC721NonexistentToken", 5):
        certificates.tokenURI(5)


# ------------------------------------------------------------------ claims


def test_claim_with_the_one_time_key(certificates: Any, brand: Any, issued: int) -> None:
    key, buyer = Account.create(), accounts[15]
    tx = certificates.openClaim(issued, key.address, {"from": brand})
    assert tx.events["ClaimOpened"]["claimNonce"] == 1
    signature = sign_claim(certificates, key, issued, buyer)
    tx = certificates.claim(issued, signature, {"from": buyer})
    assert tx.events["CertificateClaimed"]["claimant"] == buyer
    assert certificates.ownerOf(issued) == buyer
    cert = certificates.getCertificate(issued)
    assert cert["claimKey"] == ZERO and cert["claimNonce"] == 1


def test_a_front_runner_cannot_use_a_seen_signature(certificates: Any, brand: Any, issued: int) -> None:
    key, buyer, thief = Account.create(), accounts[15], accounts[16]
    certificates.openClaim(issued, key.address, {"from": brand})
    signature = sign_claim(certificates, key, issued, buyer)  # copied from the mempool by the thief
    with reverts_with("InvalidClaimSignature", issued):
        certificates.claim(issued, signature, {"from": thief})
    certificates.claim(issued, signature, {"from": buyer})
    assert certificates.ownerOf(issued) == buyer


def test_a_wrong_or_reused_secret_fails(certificates: Any, brand: Any, issued: int) -> None:
    key, buyer = Account.create(), accounts[15]
    certificates.openClaim(issued, key.address, {"from": brand})
    with reverts_with("InvalidClaimSignature", issued):
        certificates.claim(issued, sign_claim(certificates, Account.create(), issued, buyer), {"from": buyer})
    signature = sign_claim(certificates, key, issued, buyer)
    certificates.claim(issued, signature, {"from": buyer})
    with reverts_with("NoOpenClaim", issued):  # replay: the claim is closed
        certificates.claim(issued, signature, {"from": buyer})
    certificates.openClaim(issued, key.address, {"from": buyer})  # even the same key reopened: a new nonce
    with reverts_with("InvalidClaimSignature", issued):
        certificates.claim(issued, signature, {"from": buyer})


def test_claims_are_for_owners_and_close_on_transfer(certificates: Any, brand: Any, issued: int) -> None:
    key = Account.create()
    with reverts_with("ERC721IncorrectOwner", accounts[15], issued, brand):
        certificates.openClaim(issued, key.address, {"from": accounts[15]})
    with reverts_with("InvalidClaimKey"):
        certificates.openClaim(issued, ZERO, {"from": brand})
    with reverts_with("NoOpenClaim", issued):
        certificates.cancelClaim(issued, {"from": brand})
    certificates.openClaim(issued, key.address, {"from": brand})
    tx = certificates.transferFrom(brand, accounts[17], issued, {"from": brand})
    assert "ClaimClosed" in tx.events and certificates.getCertificate(issued)["claimKey"] == ZERO
    certificates.openClaim(issued, key.address, {"from": accounts[17]})
    with reverts_with("ERC721IncorrectOwner", brand, issued, accounts[17]):
        certificates.cancelClaim(issued, {"from": brand})  # the former owner no longer may
    tx = certificates.cancelClaim(issued, {"from": accounts[17]})
    assert tx.events["ClaimClosed"]["claimNonce"] == 2


# ------------------------------------------------------------------ theft, loss, recovery, service


def test_a_stolen_certificate_never_moves_until_the_brand_recovers_it(
    certificates: Any, members: dict[str, int], brand: Any, issued: int
) -> None:
    owner, thief = accounts[15], accounts[16]
    certificates.transferFrom(brand, owner, issued, {"from": brand})
    key = Account.create()
    certificates.openClaim(issued, key.address, {"from": owner})
    tx = certificates.report(issued, True, keccak(b"police report 42"), {"from": owner})
    reported_at = tx.timestamp
    assert tx.events["CertificateReported"]["status"] == 1
    assert tx.events["ClaimClosed"]["claimNonce"] == 1  # the claim secret may be in the thief's hands
    assert certificates.getCertificate(issued)["claimKey"] == ZERO
    with reverts_with("CertificateFrozen", issued, 1, reported_at):
        certificates.transferFrom(owner, thief, issued, {"from": owner})
    stolen_secret = sign_claim(certificates, key, issued, thief)
    with reverts_with("NoOpenClaim", issued):
        certificates.claim(issued, stolen_secret, {"from": thief})
    with reverts_with("CertificateFrozen", issued, 1, reported_at):
        certificates.openClaim(issued, key.address, {"from": owner})
    with reverts_with("UnregisteredAccount", owner):
        certificates.clearReport(issued, {"from": owner})  # only the brand
    tx = certificates.clearReport(issued, {"from": brand})
    assert tx.events["ReportCleared"]["previousStatus"] == 1
    with reverts_with("NoOpenClaim", issued):  # the claim opened before the theft does not outlive the report
        certificates.claim(issued, stolen_secret, {"from": thief})
    assert certificates.ownerOf(issued) == owner
    certificates.transferFrom(owner, thief, issued, {"from": owner})
    with reverts_with("CertificateNotReported", issued):
        certificates.clearReport(issued, {"from": brand})


def test_reports_by_owner_or_brand_only(certificates: Any, brand: Any, issued: int) -> None:
    owner = accounts[15]
    certificates.transferFrom(brand, owner, issued, {"from": brand})
    with reverts_with("UnauthorizedReporter", issued, accounts[16]):
        certificates.report(issued, False, b"\0" * 32, {"from": accounts[16]})
    tx = certificates.report(issued, False, b"\0" * 32, {"from": brand})  # the brand reports it lost
    assert certificates.getCertificate(issued)["status"] == 2 and tx.events["CertificateReported"]["status"] == 2
    with reverts_with("CertificateFrozen"):
        certificates.report(issued, True, b"\0" * 32, {"from": owner})


def test_service_records_by_the_brand(
    certificates: Any, members: dict[str, int], brand: Any, carrier: Any, issued: int
) -> None:
    tx = certificates.recordService(issued, b"POLISH".ljust(32, b"\0"), keccak(b"job 7"), {"from": brand})
    assert tx.events["ServiceRecorded"]["brand"] == members["brand"]
    with reverts_with("MissingRole"):
        certificates.recordService(issued, b"x".ljust(32, b"\0"), b"\0" * 32, {"from": carrier})
    with reverts_with("ERC721NonexistentToken", 9):
        certificates.recordService(9, b"x".ljust(32, b"\0"), b"\0" * 32, {"from": brand})

"""TitleRegistry through the SDK (issue 18): an eBL issued by the carrier that anchored its transport document as a
bill of lading, checked before sending; holder transfers, nominations and endorsements; a wrong transfer rejected
back to the parties read from the events; surrender to the carrier; pledges, court-order freezes, void; remarks
sent as their hash only; a send whose reply was lost is not repeated."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import tx_count
from eth_hash.auto import keccak
from fault_proxy import FaultProxy
from helpers import addr

from tradechain.chain import accounts as tc_accounts
from tradechain.chain.deployments import Deployment
from tradechain.chain.network import Network, connect
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.title_registry import (
    MAX_REMARK,
    ZERO_ADDRESS,
    Status,
    hex_id,
    parse_title_id,
    remark_hash,
    title_id_of,
)
from tradechain.errors import InputError, revert_class

ZERO32 = b"\0" * 32


def transport_document(folder: Path, reference: str = "", **change: Any) -> Path:
    """A DCSA 3.0 TransportDocument (the fields that matter here) as a .json file, unique per call."""
    reference = reference or f"SZX{time.time_ns() % 10**9:09d}"
    data = {
        "transportDocumentReference": reference,
        "transportDocumentTypeCode": "BOL",
        "transportDocumentStatus": "ISSUED",
        "isShippedOnBoardType": True,
        "isElectronic": True,
        "isToOrder": True,
        "carrierCode": "COSU",
        "carrierCodeListProvider": "SMDG",
        "shippedOnBoardDate": "2026-11-20",
        "documentParties": {"shipper": {"partyName": "Shenzhen Machinery Co"}},
        **change,
    }
    path = folder / f"{reference}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def anchored_bl(carrier: Client, folder: Path, doc_type: str = "bill-of-lading", **change: Any) -> Path:
    path = transport_document(folder, **change)
    carrier.documents.anchor([path], doc_type, "CN-KE-0018")
    return path


@pytest.fixture
def carrier(sdk_as: Any, sdk_members: dict[str, int]) -> Client:
    return sdk_as("carrier")  # type: ignore[no-any-return]


@pytest.fixture
def issued(carrier: Client, sdk_members: dict[str, int], tmp_path: Path) -> int:
    """An eBL issued by the carrier to the exporter (the manufacturer) as holder and beneficiary: its id."""
    bl = anchored_bl(carrier, tmp_path)
    title_id, _ = carrier.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    return title_id


def names(client: Client, title_id: int) -> list[str]:
    return [e.name for e in client.titles.events(title_id)]


# ------------------------------------------------------------------ issuing


def test_issue_binds_the_document_to_its_first_holder_and_beneficiary(
    carrier: Client, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = anchored_bl(carrier, tmp_path)
    title_id, receipt = carrier.titles.issue(bl, addr("financier"), addr("manufacturer"))
    doc_hash = document_registry.document_hash(bl)
    assert title_id == title_id_of(sdk_members["carrier"], doc_hash)
    title = carrier.titles.get(title_id)
    assert (title.holder, title.beneficiary, title.status, title.issuer) == (
        addr("financier"),
        addr("manufacturer"),
        Status.ISSUED,
        sdk_members["carrier"],
    )
    assert (title.frozen, title.pledgee, title.undo, title.nominee, title.approved) == (
        False,
        0,
        0,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
    )
    assert title.to_json() == {
        "title": hex_id(title_id),
        "status": "ISSUED",
        "holder": addr("financier"),
        "beneficiary": addr("manufacturer"),
        "nominee": None,
        "approved": None,
        "issuer": sdk_members["carrier"],
        "pledgee": None,
        "frozen": False,
        "rejectable": None,
    }
    [event] = carrier.titles._events(receipt, "TitleIssued")
    assert (event["issuer"], bytes(event["documentHash"])) == (sdk_members["carrier"], doc_hash)
    events = carrier.titles.events(title_id)
    assert [(e.name, e.tx_hash) for e in events] == [("TitleIssued", receipt.tx_hash), ("Transfer", receipt.tx_hash)]
    assert (events[1].args["from"], events[1].args["to"]) == (ZERO_ADDRESS, addr("financier"))
    contract = carrier.titles.contract  # ERC-721 for reading: owner = holder
    assert contract.functions.ownerOf(title_id).call() == addr("financier")
    assert contract.functions.tokenURI(title_id).call() == f"tradechain:ebl:{hex_id(title_id)}"


def test_a_document_anchored_as_another_type_is_refused_before_sending(carrier: Client, tmp_path: Path) -> None:
    packing = anchored_bl(carrier, tmp_path, "packing-list")
    before = tx_count(carrier.signer.address)
    with pytest.raises(InputError) as info:
        carrier.titles.issue(packing, addr("manufacturer"), addr("manufacturer"))
    assert info.value.field == "document"
    assert f"{packing.name} was anchored as a packing-list, not as a bill of lading" in info.value.user_message
    assert tx_count(carrier.signer.address) == before


def test_a_changed_file_is_refused_before_sending(carrier: Client, tmp_path: Path) -> None:
    bl = anchored_bl(carrier, tmp_path)
    data = json.loads(bl.read_text())
    bl.write_text(json.dumps({**data, "shippedOnBoardDate": "2026-11-21"}))  # the proof beside it is the old one's
    before = tx_count(carrier.signer.address)
    with pytest.raises(InputError) as info:
        carrier.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    assert info.value.field == "document"
    assert "is not the document its proof was issued for" in info.value.user_message
    bl.write_text(json.dumps(data, indent=4, sort_keys=True))  # formatting alone changes nothing (canonical JSON)
    title_id, _ = carrier.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    assert carrier.titles.get(title_id).status == Status.ISSUED
    assert tx_count(carrier.signer.address) == before + 1


@pytest.mark.parametrize("field", ["holder", "beneficiary"])
def test_an_outsider_as_first_party_is_refused_naming_the_field(carrier: Client, tmp_path: Path, field: str) -> None:
    bl = anchored_bl(carrier, tmp_path)
    parties = {"holder": addr("manufacturer"), "beneficiary": addr("manufacturer"), field: addr("outsider")}
    before = tx_count(carrier.signer.address)
    with pytest.raises(InputError) as info:
        carrier.titles.issue(bl, parties["holder"], parties["beneficiary"])
    assert info.value.field == field
    assert "must be an active member's account or a contract" in info.value.user_message
    assert tx_count(carrier.signer.address) == before
    carrier_org = carrier.participants.require_role_any(carrier.signer.address)
    assert not carrier.titles.get(title_id_of(carrier_org, document_registry.document_hash(bl))).exists


def test_only_the_carrier_that_anchored_the_document_issues_it(
    carrier: Client, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = anchored_bl(carrier, tmp_path)
    maker = sdk_as("manufacturer")
    before = tx_count(maker.signer.address)
    with pytest.raises(InputError) as info:
        maker.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    assert info.value.field == "document"
    assert f"anchored by organisation {sdk_members['carrier']}, not by the signer's organisation" in str(
        info.value.user_message
    )
    assert tx_count(maker.signer.address) == before


def test_a_second_issue_of_the_same_document_is_refused_before_sending(carrier: Client, tmp_path: Path) -> None:
    bl = anchored_bl(carrier, tmp_path)
    title_id, _ = carrier.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    before = tx_count(carrier.signer.address)
    with pytest.raises(InputError) as info:
        carrier.titles.issue(bl, addr("financier"), addr("financier"))
    assert info.value.field == "document" and "an eBL of this document was issued already" in info.value.user_message
    assert tx_count(carrier.signer.address) == before
    with pytest.raises(revert_class("TitleAlreadyIssued")) as chain_said:  # sent anyway, the registry refuses it
        proof = document_registry.read_proof(bl)
        doc_hash, _kind, trade, root, _issuer, branch = proof.call_args()
        carrier.titles._send("issue", (doc_hash, trade, root, branch, addr("financier"), addr("financier")))
    assert chain_said.value.titleId == title_id
    assert carrier.titles.get(title_id).holder == addr("manufacturer")


@pytest.fixture
def proxied_carrier(
    rpc_url: str, sdk_deployment: Deployment, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: Any
) -> Iterator[tuple[Client, FaultProxy]]:
    """The carrier's client through a proxy that loses the reply to its first transaction (as tests/sdk/test_tx)."""
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    with FaultProxy(rpc_url, lifetime=60) as proxy:
        proxy.drop_nth = {"eth_sendRawTransaction": {1}, "eth_sendRawTransactionSync": {1}}
        w3 = connect(Network("proxied", proxy.url), attempts=6, backoff=0.01, timeout=10.0)
        w3.provider.exception_retry_configuration = None  # type: ignore[attr-defined]
        yield Client(w3, tc_accounts.dev_account("carrier"), deployment=sdk_deployment), proxy


def test_an_issue_whose_reply_was_lost_is_sent_once(
    carrier: Client, proxied_carrier: tuple[Client, FaultProxy], tmp_path: Path
) -> None:
    bl = anchored_bl(carrier, tmp_path)  # anchored directly; the issue goes through the proxy
    flaky, proxy = proxied_carrier
    before = tx_count(carrier.signer.address)
    title_id, receipt = flaky.titles.issue(bl, addr("manufacturer"), addr("manufacturer"))
    assert any(m.startswith("eth_sendRawTransaction") for m in proxy.dropped)  # mined; its answer never came
    assert receipt.status == 1
    assert tx_count(carrier.signer.address) == before + 1  # sent once, not retried into TitleAlreadyIssued
    assert names(carrier, title_id) == ["TitleIssued", "Transfer"]
    assert carrier.titles.get(title_id).holder == addr("manufacturer")


# ------------------------------------------------------------------ the holder and the beneficiary


def test_holder_transfer_nomination_and_endorsement(sdk_as: Any, issued: int) -> None:
    seller, bank, buyer = (sdk_as(r) for r in ("manufacturer", "financier", "buyer"))
    moved = seller.titles.transfer_holder(issued, addr("financier"), remark="to the exporter's bank, L/C 77")
    title = seller.titles.get(issued)
    assert (title.holder, title.beneficiary, title.to_json()["rejectable"]) == (
        addr("financier"),
        addr("manufacturer"),
        "holder",
    )
    [remark] = seller.titles._events(moved, "Remarked")
    assert (remark["by"], bytes(remark["remarkHash"])) == (
        addr("manufacturer"),
        keccak(b"to the exporter's bank, L/C 77"),
    )
    with pytest.raises(revert_class("NotNominated")) as info:  # the holder is not the beneficiary: no nominee yet
        bank.titles.transfer_beneficiary(issued, addr("buyer"))
    assert info.value.beneficiary == addr("manufacturer")
    with pytest.raises(revert_class("UnauthorizedParty")) as who:
        buyer.titles.nominate(issued, addr("buyer"))
    assert who.value.role == "beneficiary"
    seller.titles.nominate(issued, addr("buyer"))
    assert seller.titles.get(issued).nominee == addr("buyer")
    endorsed = bank.titles.transfer_beneficiary(issued, addr("buyer"))
    title = seller.titles.get(issued)
    assert (title.holder, title.beneficiary, title.nominee, title.to_json()["rejectable"]) == (
        addr("financier"),
        addr("buyer"),
        ZERO_ADDRESS,
        "beneficiary",
    )
    [event] = seller.titles._events(endorsed, "BeneficiaryTransferred")
    assert (event["from"], event["to"]) == (addr("manufacturer"), addr("buyer"))
    assert names(seller, issued) == [
        "TitleIssued",
        "Transfer",
        "Transfer",
        "Remarked",
        "BeneficiaryNominated",
        "BeneficiaryTransferred",
    ]


def test_only_the_holder_moves_the_title_and_only_to_a_party(sdk_as: Any, issued: int) -> None:
    bank, seller = sdk_as("financier"), sdk_as("manufacturer")
    with pytest.raises(revert_class("UnauthorizedParty")) as info:
        bank.titles.transfer_holder(issued, addr("financier"))
    assert (info.value.caller, info.value.role) == (addr("financier"), "holder")
    before = tx_count(addr("manufacturer"))
    with pytest.raises(InputError) as outsider:
        seller.titles.transfer_holder(issued, addr("outsider"))
    assert outsider.value.field == "to" and "not an outsider" in outsider.value.user_message
    with pytest.raises(InputError) as both:
        seller.titles.transfer_owners(issued, addr("financier"), addr("outsider"))
    assert both.value.field == "beneficiary"
    with pytest.raises(InputError) as nominee:
        seller.titles.nominate(issued, addr("outsider"))
    assert nominee.value.field == "nominee"
    assert tx_count(addr("manufacturer")) == before
    usdc = seller.contract("MockUSDC").address  # a contract may hold (a bank's multisig, the settlement)
    assert seller.titles.is_party(usdc) and not seller.titles.is_party(addr("outsider"))


def test_reject_after_a_wrong_transfer_restores_the_previous_parties(sdk_as: Any, issued: int) -> None:
    seller, bank, buyer = (sdk_as(r) for r in ("manufacturer", "financier", "buyer"))
    seller.titles.transfer_owners(issued, addr("buyer"), addr("buyer"), remark="sent to the wrong party")
    assert seller.titles.previous_parties(issued) == (addr("manufacturer"), addr("manufacturer"))
    assert seller.titles.get(issued).to_json()["rejectable"] == "both"
    with pytest.raises(revert_class("UnauthorizedParty")):
        bank.titles.reject(issued)  # only the recipient
    receipt = buyer.titles.reject(issued, remark="not ours")
    title = seller.titles.get(issued)
    assert (title.holder, title.beneficiary, title.undo) == (addr("manufacturer"), addr("manufacturer"), 0)
    [rejected] = seller.titles._events(receipt, "TransferRejected")
    assert (rejected["by"], rejected["what"]) == (addr("buyer"), 3)
    [back] = seller.titles._events(receipt, "Transfer")
    assert (back["from"], back["to"]) == (addr("buyer"), addr("manufacturer"))
    [endorsed_back] = seller.titles._events(receipt, "BeneficiaryTransferred")
    assert (endorsed_back["from"], endorsed_back["to"]) == (addr("buyer"), addr("manufacturer"))
    before = tx_count(addr("manufacturer"))
    with pytest.raises(InputError) as info:  # nothing left to reject
        seller.titles.reject(issued)
    assert info.value.field == "title" and "nothing to reject" in info.value.user_message
    assert tx_count(addr("manufacturer")) == before


def test_reject_restores_the_parties_of_the_last_transfer_not_the_first(sdk_as: Any, issued: int) -> None:
    seller, bank, buyer = (sdk_as(r) for r in ("manufacturer", "financier", "buyer"))
    seller.titles.transfer_holder(issued, addr("financier"))
    bank.titles.transfer_holder(issued, addr("buyer"))  # the bank accepted by acting, then moved it on
    assert seller.titles.previous_parties(issued) == (addr("financier"), addr("manufacturer"))
    buyer.titles.reject(issued)
    title = seller.titles.get(issued)
    assert (title.holder, title.beneficiary) == (addr("financier"), addr("manufacturer"))
    with pytest.raises(InputError, match="nothing to reject"):
        bank.titles.reject(issued)  # a rejection is not itself rejectable


def test_a_reject_with_other_previous_parties_is_refused_by_the_registry(sdk_as: Any, issued: int) -> None:
    seller, buyer = sdk_as("manufacturer"), sdk_as("buyer")
    seller.titles.transfer_holder(issued, addr("buyer"))
    with pytest.raises(revert_class("NothingToReject")):  # the tag binds the parties to restore
        buyer.titles._send("reject", issued, addr("buyer"), addr("buyer"), ZERO32)
    assert seller.titles.get(issued).holder == addr("buyer")


def test_an_approved_operator_is_recorded_and_withdrawn(sdk_as: Any, issued: int) -> None:
    seller = sdk_as("manufacturer")
    receipt = seller.titles.approve(issued, addr("financier"))
    assert seller.titles.get(issued).approved == addr("financier")
    [event] = seller.titles._events(receipt, "Approval")
    assert (event["owner"], event["approved"], event["tokenId"]) == (addr("manufacturer"), addr("financier"), issued)
    assert seller.titles.contract.functions.getApproved(issued).call() == addr("financier")
    seller.titles.approve(issued, None)
    assert seller.titles.get(issued).approved == ZERO_ADDRESS


# ------------------------------------------------------------------ surrender, pledge, freeze, void


def test_surrender_rejected_then_accepted_voids_the_title(carrier: Client, sdk_as: Any, issued: int) -> None:
    seller = sdk_as("manufacturer")
    seller.titles.surrender(issued, remark="for delivery at Mombasa")
    assert seller.titles.get(issued).status == Status.PENDING_SURRENDER_FOR_DELIVERY
    with pytest.raises(revert_class("InvalidStatus")):
        seller.titles.transfer_holder(issued, addr("buyer"))  # nothing moves while the surrender is pending
    with pytest.raises(revert_class("UnauthorizedParty")) as info:
        seller.titles.accept_surrender(issued)
    assert info.value.role == "issuer"
    carrier.titles.reject_surrender(issued, remark="seal numbers differ")
    title = seller.titles.get(issued)
    assert (title.status, title.holder) == (Status.ISSUED, addr("manufacturer"))
    seller.titles.surrender(issued, for_amendment=True)
    assert seller.titles.get(issued).status == Status.PENDING_SURRENDER_FOR_AMENDMENT
    carrier.titles.reject_surrender(issued)
    seller.titles.surrender(issued)
    accepted = carrier.titles.accept_surrender(issued)
    title = seller.titles.get(issued)
    assert (title.status, title.holder, title.status.final) == (Status.SURRENDERED_FOR_DELIVERY, ZERO_ADDRESS, True)
    [event] = carrier.titles._events(accepted, "SurrenderAccepted")
    assert (event["by"], event["forAmendment"]) == (addr("carrier"), False)
    [gone] = carrier.titles._events(accepted, "Transfer")
    assert (gone["from"], gone["to"]) == (addr("manufacturer"), ZERO_ADDRESS)
    with pytest.raises(revert_class("NonexistentTitle")):
        carrier.titles._call("ownerOf", issued)
    with pytest.raises(revert_class("InvalidStatus")):
        carrier.titles.set_frozen(issued, True, "too late")  # final: nothing left to freeze
    assert names(carrier, issued) == [
        "TitleIssued",
        "Transfer",
        "SurrenderRequested",
        "Remarked",
        "SurrenderRejected",
        "Remarked",
        "SurrenderRequested",
        "SurrenderRejected",
        "SurrenderRequested",
        "SurrenderAccepted",
        "Transfer",
    ]


def test_a_surrender_needs_the_holder_to_be_the_beneficiary(sdk_as: Any, issued: int) -> None:
    seller, bank = sdk_as("manufacturer"), sdk_as("financier")
    seller.titles.transfer_holder(issued, addr("financier"))
    with pytest.raises(revert_class("UnauthorizedParty")) as info:
        bank.titles.surrender(issued)
    assert info.value.role == "holder and beneficiary"
    assert seller.titles.get(issued).status == Status.ISSUED


def test_a_pledge_holds_the_title_until_its_pledgee_releases_it(
    sdk_as: Any, sdk_members: dict[str, int], issued: int
) -> None:
    seller, bank, other_bank = sdk_as("manufacturer"), sdk_as("financier"), sdk_as("financier2")
    with pytest.raises(revert_class("InvalidPledgee")) as bad:
        seller.titles.pledge(issued, sdk_members["carrier"])  # not a financier
    assert bad.value.pledgee == sdk_members["carrier"]
    receipt = seller.titles.pledge(issued, sdk_members["financier"])
    [event] = seller.titles._events(receipt, "TitlePledgedTo")
    assert event["pledgee"] == sdk_members["financier"]
    assert seller.titles.get(issued).pledgee == sdk_members["financier"]
    for move in (
        lambda: seller.titles.transfer_holder(issued, addr("buyer")),
        lambda: seller.titles.surrender(issued),
    ):
        with pytest.raises(revert_class("TitlePledged")) as pledged:
            move()
        assert pledged.value.pledgee == sdk_members["financier"]
    with pytest.raises(revert_class("UnauthorizedParty")) as who:
        other_bank.titles.release_pledge(issued)
    assert who.value.role == "pledgee"
    released = bank.titles.release_pledge(issued)
    assert seller.titles._events(released, "PledgeReleased")[0]["pledgee"] == sdk_members["financier"]
    assert seller.titles.get(issued).pledgee == 0
    with pytest.raises(revert_class("NotPledged")):
        bank.titles.release_pledge(issued)
    seller.titles.transfer_holder(issued, addr("buyer"))
    assert seller.titles.get(issued).holder == addr("buyer")


def test_a_court_order_freezes_the_title_until_lifted(carrier: Client, sdk_as: Any, issued: int) -> None:
    seller = sdk_as("manufacturer")
    with pytest.raises(revert_class("UnauthorizedParty")) as who:
        seller.titles.set_frozen(issued, True, "HCCC 12/2026")
    assert who.value.role == "issuer"
    receipt = carrier.titles.set_frozen(issued, True, "Mombasa High Court, order HCCC 12/2026")
    [event] = carrier.titles._events(receipt, "TitleFreezeChanged")
    assert (event["frozen"], bytes(event["courtOrderHash"])) == (
        True,
        keccak(b"Mombasa High Court, order HCCC 12/2026"),
    )
    assert seller.titles.get(issued).frozen is True
    with pytest.raises(revert_class("TitleFrozen")):
        seller.titles.transfer_holder(issued, addr("buyer"))
    with pytest.raises(revert_class("TitleFrozen")):
        carrier.titles.set_frozen(issued, True, "again")
    before = tx_count(addr("carrier"))
    with pytest.raises(InputError) as blank:
        carrier.titles.set_frozen(issued, False, "  ")
    assert blank.value.field == "court-order"
    assert tx_count(addr("carrier")) == before
    carrier.titles.set_frozen(issued, False, "order lifted")
    with pytest.raises(revert_class("NotFrozen")):
        carrier.titles.set_frozen(issued, False, "order lifted")
    seller.titles.transfer_holder(issued, addr("buyer"))
    assert seller.titles.get(issued).holder == addr("buyer")


def test_the_carrier_voids_a_title_only_while_it_holds_it_itself(
    carrier: Client, sdk_as: Any, issued: int, tmp_path: Path
) -> None:
    with pytest.raises(revert_class("UnauthorizedParty")) as info:
        carrier.titles.void(issued)  # the exporter holds it
    assert info.value.role == "issuer's own account as holder and beneficiary"
    returned = anchored_bl(carrier, tmp_path)
    own, _ = carrier.titles.issue(returned, addr("carrier"), addr("carrier"))
    receipt = carrier.titles.void(own, remark="issued by mistake")
    title = carrier.titles.get(own)
    assert (title.status, title.holder, title.status.final) == (Status.VOIDED, ZERO_ADDRESS, True)
    assert carrier.titles._events(receipt, "TitleVoided")[0]["by"] == addr("carrier")
    assert bytes(carrier.titles._events(receipt, "Remarked")[0]["remarkHash"]) == keccak(b"issued by mistake")


# ------------------------------------------------------------------ remarks and ids


def test_remarks_are_hashed_and_bounded() -> None:
    assert remark_hash(None) == remark_hash("") == ZERO32
    assert remark_hash("Übergabe\tin Mombasa") == keccak("Übergabe\tin Mombasa".encode())
    assert remark_hash("x" * MAX_REMARK) == keccak(b"x" * MAX_REMARK)
    with pytest.raises(InputError) as long:
        remark_hash("x" * (MAX_REMARK + 1))
    assert (long.value.field, long.value.user_message) == ("remark", "remark: at most 1,000 characters (it is 1,001)")
    for control in ("two\nlines", "bell\x07", "cr\r"):
        with pytest.raises(InputError) as info:
            remark_hash(control)
        assert info.value.field == "remark" and "one line of text" in info.value.user_message


def test_a_too_long_remark_sends_nothing(sdk_as: Any, issued: int) -> None:
    seller = sdk_as("manufacturer")
    before = tx_count(addr("manufacturer"))
    with pytest.raises(InputError, match="at most 1,000 characters"):
        seller.titles.transfer_holder(issued, addr("financier"), remark="y" * 1_001)
    assert tx_count(addr("manufacturer")) == before
    assert seller.titles.get(issued).holder == addr("manufacturer")


def test_title_ids_are_0x_and_64_hex_digits_and_unknown_ones_are_named(
    sdk: Client, sdk_members: dict[str, int]
) -> None:
    tid = 0xAB << 200
    assert parse_title_id(hex_id(tid)) == tid
    for bad in ("0x12", "ab" * 32, "0x" + "zz" * 32, "0x" + "ab" * 33):
        with pytest.raises(InputError) as info:
            parse_title_id(bad, "ebl")
        assert info.value.field == "ebl"
    assert sdk.titles.get(tid).exists is False
    with pytest.raises(InputError) as unknown:
        sdk.titles.require(tid)
    assert unknown.value.field == "title" and "no eBL with this id on this chain" in unknown.value.user_message
    assert sdk.titles.events(tid) == []

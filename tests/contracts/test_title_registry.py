"""TitleRegistry at the contract level (via Brownie): electronic bills of lading issued by a carrier on an anchored
transport document; holder and beneficiary, nomination, endorsement, rejection as the next action, take-over by an
approved operator, surrender to the issuing carrier, pledges, court-order freezes, voiding, hashed remarks, and
ERC-721 for reading. Every success asserts the title (getTitle) and the exact events; every refusal its custom error
with its arguments. (The helpers at the top serve test_dvp_settlement too.)"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from brownie import (  # type: ignore[attr-defined]  # the project's contracts are loaded at run time
    DocumentRegistry,
    ERC721ReceiverMock,
    MockUSDC,
    TitleRegistry,
    accounts,
    web3,
)
from conftest import reverts_with
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
from web3.types import RPCEndpoint

ZERO = "0x" + "00" * 20
ZERO32 = b"\0" * 32
TRADE = b"KE-CN-EBL-0042".ljust(32, b"\0")
BILL_OF_LADING, DELIVERY = 1, 6
TITLE_FIELDS = ("holder", "status", "frozen", "undo", "issuer", "pledgee", "beneficiary", "nominee", "approved")
# ITitleRegistry.Status
NONE, ISSUED, PENDING_DELIVERY, PENDING_AMENDMENT, SURRENDERED_DELIVERY, SURRENDERED_AMENDMENT, VOIDED = range(7)
HOLDER, BENEFICIARY, BOTH = 1, 2, 3  # what the last transfer moved (Title.undo)
TRANSFER_TOPIC = "0x" + keccak(b"Transfer(address,address,uint256)").hex()
REMARK = keccak(b"remark: received in good order")
COURT_ORDER = keccak(b"court order 2026/118, High Court of Kenya at Mombasa")
REASON = b"test".ljust(32, b"\0")
SET_CODE = RPCEndpoint("anvil_setCode")
IMPERSONATE = RPCEndpoint("anvil_impersonateAccount")
SET_BALANCE = RPCEndpoint("anvil_setBalance")

Doc = tuple[bytes, bytes, bytes, list[bytes]]


# ------------------------------------------------------------------ helpers (shared with test_dvp_settlement)


def doc_hash(name: bytes) -> bytes:
    """The hash of a transport document (a stand-in for its canonical JSON's hash)."""
    return keccak(name)


def anchor(documents: Any, issuer: Any, name: bytes, *, doc_type: int = BILL_OF_LADING, trade: bytes = TRADE) -> Doc:
    """One document anchored alone by `issuer` (its leaf is the root): (documentHash, tradeId, root, proof)."""
    document = doc_hash(name)
    leaf = bytes(documents.leafOf(document, doc_type, trade))
    documents.anchor(leaf, 1, {"from": issuer})
    return document, trade, leaf, []


def issuance(doc: Doc, holder: Any, beneficiary: Any) -> tuple[Any, ...]:
    """An ITitleRegistry.Issuance of an anchored document."""
    return (*doc, norm(holder), norm(beneficiary))


def issue(titles: Any, documents: Any, carrier: Any, holder: Any, beneficiary: Any, name: bytes = b"bl-1") -> int:
    """The carrier anchors bill of lading `name` and issues its title: the title id."""
    tx = titles.issue(issuance(anchor(documents, carrier, name), holder, beneficiary), {"from": carrier})
    return int(tx.return_value)


def norm(value: Any) -> Any:
    """A value comparable across Brownie's types: an account or address as its checksummed string, bytes as 0x hex."""
    if hasattr(value, "address"):
        value = value.address
    if isinstance(value, bytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return web3.to_checksum_address(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    return value


def title(titles: Any, title_id: int) -> dict[str, Any]:
    """getTitle as a dict (addresses as checksummed strings, the status as an int)."""
    return {k: norm(v) for k, v in zip(TITLE_FIELDS, titles.getTitle(title_id), strict=True)}


def logs(tx: Any, contract: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events `contract` emitted in `tx`, in order: (name, {argument: value})."""
    return [(e.name, {k: norm(v) for k, v in e.items()}) for e in tx.events if norm(e.address) == contract.address]


def event(name: str, **args: Any) -> tuple[str, dict[str, Any]]:
    """An expected event, its arguments normalised as :func:`logs` gives them (`from_` for `from`)."""
    return name, {k.rstrip("_"): norm(v) for k, v in args.items()}


def transfer(from_: Any, to: Any, title_id: int) -> tuple[str, dict[str, Any]]:
    return event("Transfer", from_=from_, to=to, tokenId=title_id)


def endorsed(title_id: int, from_: Any, to: Any) -> tuple[str, dict[str, Any]]:
    return event("BeneficiaryTransferred", titleId=title_id, from_=from_, to=to)


def remarked(title_id: int, by: Any, remark: bytes = REMARK) -> tuple[str, dict[str, Any]]:
    return event("Remarked", titleId=title_id, by=by, remarkHash=remark)


def transfer_logs(titles: Any, from_block: int) -> list[tuple[str, str, int]]:
    """Every ERC-721 Transfer of `titles` since `from_block`, from the node's logs: (from, to, tokenId)."""
    found = web3.eth.get_logs({"address": titles.address, "fromBlock": from_block, "topics": [TRANSFER_TOPIC]})
    return [
        (
            web3.to_checksum_address(bytes(log["topics"][1])[-20:]),
            web3.to_checksum_address(bytes(log["topics"][2])[-20:]),
            int.from_bytes(bytes(log["topics"][3]), "big"),
        )
        for log in found
    ]


def delegate_7702(account: Any, target: Any) -> None:
    """Gives `account` the code of an EIP-7702 delegation to `target` (0xef0100 || address), as Anvil sets it."""
    code = "0xef0100" + norm(target)[2:].lower()
    web3.provider.make_request(SET_CODE, [norm(account), code])
    assert bytes(web3.eth.get_code(norm(account))).hex() == code[2:]


def as_sender(contract: Any) -> Any:
    """A contract as a sender of transactions (a multisig executing a call), by Anvil's impersonation."""
    address = norm(contract)
    web3.provider.make_request(IMPERSONATE, [address])
    web3.provider.make_request(SET_BALANCE, [address, hex(10**18)])
    return accounts.at(address, force=True)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def titles(registry: Any, documents: Any, admin: Any) -> Any:
    return TitleRegistry.deploy(registry, documents, {"from": admin})


@pytest.fixture(scope="module")
def carrier2(registry: Any, members: dict[str, int], admin: Any) -> Any:
    """A second carrier organisation (account 14, its manager)."""
    registry.admit(lei_bytes(80), 0, b"CN", ROLE["carrier"], ZERO32, accounts[14], {"from": admin})
    return accounts[14]


@pytest.fixture(scope="module")
def financier2(registry: Any, members: dict[str, int], admin: Any) -> tuple[Any, int]:
    """A second financier organisation (account 15, its manager) and its id."""
    tx = registry.admit(lei_bytes(81), 0, b"KE", ROLE["financier"], ZERO32, accounts[15], {"from": admin})
    return accounts[15], int(tx.events["OrganisationAdmitted"]["organisation"])


@pytest.fixture(scope="module")
def brand_key(registry: Any, members: dict[str, int], brand: Any) -> Any:
    """A second account of the brand (account 16), no manager: the one a test revokes."""
    registry.addAccount(members["brand"], accounts[16], False, {"from": brand})
    return accounts[16]


@pytest.fixture(scope="module")
def usdc(admin: Any) -> Any:
    return MockUSDC.deploy({"from": admin})


@pytest.fixture
def tid(titles: Any, documents: Any, carrier: Any, brand: Any) -> int:
    """A title the carrier issued to the brand as holder and beneficiary (the shipper)."""
    return issue(titles, documents, carrier, brand, brand)


# ------------------------------------------------------------------ issuance


def test_an_active_carrier_issues_the_title_of_its_own_bill_of_lading(
    titles: Any, documents: Any, members: dict[str, int], carrier: Any, brand: Any, financier: Any
) -> None:
    doc = anchor(documents, carrier, b"bl-1")
    expected_id = int(titles.titleIdOf(members["carrier"], doc[0]))
    assert expected_id == int.from_bytes(keccak(members["carrier"].to_bytes(32, "big") + doc[0]), "big")
    tx = titles.issue(issuance(doc, brand, financier), {"from": carrier})
    assert tx.return_value == expected_id
    assert logs(tx, titles) == [
        event(
            "TitleIssued",
            titleId=expected_id,
            issuer=members["carrier"],
            documentHash=doc[0],
            holder=brand,
            beneficiary=financier,
        ),
        transfer(ZERO, brand, expected_id),
    ]
    assert title(titles, expected_id) == {
        "holder": brand.address,
        "status": ISSUED,
        "frozen": False,
        "undo": 0,
        "issuer": members["carrier"],
        "pledgee": 0,
        "beneficiary": financier.address,
        "nominee": ZERO,
        "approved": ZERO,
    }
    assert titles.ownerOf(expected_id) == brand


def test_a_title_never_issued_reads_as_empty(titles: Any) -> None:
    assert title(titles, 42) == dict.fromkeys(TITLE_FIELDS, 0) | {
        "holder": ZERO,
        "frozen": False,
        "beneficiary": ZERO,
        "nominee": ZERO,
        "approved": ZERO,
    }
    with reverts_with("NonexistentTitle", 42):
        titles.ownerOf(42)


def test_only_an_active_carrier_account_issues(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    outsider: Any,
) -> None:
    doc = anchor(documents, carrier, b"bl-1")
    with reverts_with("UnregisteredAccount", outsider):
        titles.issue(issuance(doc, brand, brand), {"from": outsider})
    with reverts_with("UnregisteredAccount", admin):
        titles.issue(issuance(doc, brand, brand), {"from": admin})  # the admin has no power here
    own = anchor(documents, brand, b"bl-brand")  # the brand anchors a "bill of lading" of its own
    with reverts_with("UnauthorizedIssuer", brand):
        titles.issue(issuance(own, brand, brand), {"from": brand})
    registry.suspend(members["carrier"], REASON, {"from": admin})
    with reverts_with("OrganisationIsSuspended", members["carrier"]):
        titles.issue(issuance(doc, brand, brand), {"from": carrier})
    registry.reinstate(members["carrier"], {"from": admin})
    registry.revokeAccount(carrier, {"from": admin})
    with reverts_with("UnregisteredAccount", carrier):
        titles.issue(issuance(doc, brand, brand), {"from": carrier})
    assert title(titles, titles.titleIdOf(members["carrier"], doc[0]))["status"] == NONE


def _another_carriers_batch(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    return anchor(documents, carrier2, b"bl-1")  # carrier2's batch: the carrier has none of that root


def _another_type(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    document, trade, _, proof = anchor(documents, carrier, b"bl-1", doc_type=DELIVERY)
    leaf = bytes(documents.leafOf(document, DELIVERY, trade))
    return document, trade, leaf, proof  # anchored by the carrier, as a delivery attestation


def _revoked_batch(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    document = doc_hash(b"bl-1")
    leaf = bytes(documents.leafOf(document, BILL_OF_LADING, TRADE))
    org = documents.anchor(leaf, 1, {"from": carrier}).events["BatchAnchored"]["issuer"]
    documents.revokeBatch(leaf, org, REASON, {"from": carrier})
    return document, TRADE, leaf, []


def _wrong_proof(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    first, second = (bytes(documents.leafOf(doc_hash(n), BILL_OF_LADING, TRADE)) for n in (b"bl-1", b"bl-2"))
    root = keccak(min(first, second) + max(first, second))
    documents.anchor(root, 2, {"from": carrier})
    return doc_hash(b"bl-1"), TRADE, root, [first]  # its own leaf as the sibling: not the path to the root


def _another_trade(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    document, _, root, proof = anchor(documents, carrier, b"bl-1")
    return document, b"another trade".ljust(32, b"\0"), root, proof


def _not_anchored(documents: Any, carrier: Any, carrier2: Any) -> Doc:
    document = doc_hash(b"bl-1")
    return document, TRADE, bytes(documents.leafOf(document, BILL_OF_LADING, TRADE)), []


@pytest.mark.parametrize(
    "make",
    [_another_carriers_batch, _another_type, _revoked_batch, _wrong_proof, _another_trade, _not_anchored],
    ids=["another-carriers-batch", "another-doc-type", "revoked-batch", "wrong-proof", "another-trade", "unanchored"],
)
def test_the_document_must_be_the_callers_own_anchored_bill_of_lading(
    titles: Any,
    documents: Any,
    members: dict[str, int],
    carrier: Any,
    carrier2: Any,
    brand: Any,
    make: Callable[[Any, Any, Any], Doc],
) -> None:
    doc = make(documents, carrier, carrier2)
    with reverts_with("UnprovenDocument", doc[0], members["carrier"]):
        titles.issue(issuance(doc, brand, brand), {"from": carrier})
    assert title(titles, titles.titleIdOf(members["carrier"], doc[0]))["status"] == NONE


def test_a_proof_in_a_batch_of_two_issues(
    titles: Any, documents: Any, members: dict[str, int], carrier: Any, brand: Any
) -> None:
    first, second = (bytes(documents.leafOf(doc_hash(n), BILL_OF_LADING, TRADE)) for n in (b"bl-1", b"bl-2"))
    root = keccak(min(first, second) + max(first, second))
    documents.anchor(root, 2, {"from": carrier})
    tx = titles.issue((doc_hash(b"bl-2"), TRADE, root, [first], brand.address, brand.address), {"from": carrier})
    assert tx.return_value == titles.titleIdOf(members["carrier"], doc_hash(b"bl-2"))
    assert title(titles, tx.return_value)["holder"] == brand.address


def test_one_title_per_carrier_and_document(
    titles: Any, documents: Any, members: dict[str, int], carrier: Any, carrier2: Any, brand: Any, retailer: Any
) -> None:
    doc = anchor(documents, carrier, b"bl-1")
    first = titles.issue(issuance(doc, brand, brand), {"from": carrier}).return_value
    with reverts_with("TitleAlreadyIssued", first):
        titles.issue(issuance(doc, retailer, retailer), {"from": carrier})
    doc2 = anchor(documents, carrier2, b"bl-1")  # the same document hash, in the second carrier's own batch
    tx = titles.issue(issuance(doc2, retailer, retailer), {"from": carrier2})
    second = tx.return_value
    org2 = tx.events["TitleIssued"]["issuer"]
    assert org2 != members["carrier"] and second == titles.titleIdOf(org2, doc[0]) and second != first
    assert title(titles, first)["holder"] == brand.address and title(titles, first)["issuer"] == members["carrier"]
    assert title(titles, second)["holder"] == retailer.address and title(titles, second)["issuer"] == org2


@pytest.mark.parametrize("which", ["holder", "beneficiary"])
def test_parties_are_active_members_accounts_or_contracts(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    brand_key: Any,
    retailer: Any,
    outsider: Any,
    usdc: Any,
    which: str,
) -> None:
    doc = anchor(documents, carrier, b"bl-1")

    def parties(party: Any) -> tuple[Any, Any]:
        return (party, brand) if which == "holder" else (brand, party)

    registry.revokeAccount(brand_key, {"from": brand})
    registry.suspend(members["retailer"], REASON, {"from": admin})
    for bad in (outsider, brand_key, retailer, ZERO):  # an outsider, a revoked key, a suspended organisation's
        with reverts_with("InvalidParty", bad):
            titles.issue(issuance(doc, *parties(bad)), {"from": carrier})
        assert titles.isParty(bad) is False
    tx = titles.issue(issuance(doc, *parties(usdc)), {"from": carrier})  # a contract (a bank's multisig, say)
    assert titles.isParty(usdc) is True and titles.isParty(brand) is True
    holder, beneficiary = parties(usdc)
    state = title(titles, tx.return_value)
    assert (state["holder"], state["beneficiary"]) == (norm(holder), norm(beneficiary))


def test_an_eip7702_delegated_account_is_no_contract(
    titles: Any, documents: Any, carrier: Any, brand: Any, outsider: Any, usdc: Any
) -> None:
    delegate_7702(outsider, usdc)
    doc = anchor(documents, carrier, b"bl-1")
    assert titles.isParty(outsider) is False
    with reverts_with("InvalidParty", outsider):
        titles.issue(issuance(doc, outsider, outsider), {"from": carrier})
    with reverts_with("InvalidParty", outsider):
        titles.issue(issuance(doc, brand, outsider), {"from": carrier})
    # 23 bytes of real code (not a delegation) is a contract
    web3.provider.make_request(SET_CODE, [outsider.address, "0x" + "60" * 23])
    assert titles.isParty(outsider) is True


# ------------------------------------------------------------------ holder and beneficiary


def test_the_holder_passes_possession(titles: Any, tid: int, brand: Any, financier: Any) -> None:
    tx = titles.transferHolder(tid, financier, REMARK, {"from": brand})
    assert logs(tx, titles) == [transfer(brand, financier, tid), remarked(tid, brand)]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"]) == (financier.address, brand.address, HOLDER)
    assert titles.ownerOf(tid) == financier


def test_only_the_holder_passes_possession_to_a_party(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any, outsider: Any
) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, brand, "holder"):  # the beneficiary is no holder
        titles.transferHolder(tid, retailer, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, outsider, "holder"):
        titles.transferHolder(tid, retailer, ZERO32, {"from": outsider})
    with reverts_with("InvalidParty", outsider):
        titles.transferHolder(tid, outsider, ZERO32, {"from": financier})
    with reverts_with("NonexistentTitle", 7):
        titles.transferHolder(7, retailer, ZERO32, {"from": financier})
    assert title(titles, tid)["holder"] == financier.address


def test_a_revoked_or_suspended_holder_cannot_move_the_title(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    brand_key: Any,
    financier: Any,
) -> None:
    tid = issue(titles, documents, carrier, brand_key, brand_key)
    registry.revokeAccount(brand_key, {"from": brand})  # a leaked key, revoked
    with reverts_with("InvalidParty", brand_key):
        titles.transferHolder(tid, financier, ZERO32, {"from": brand_key})
    tid2 = issue(titles, documents, carrier, brand, brand, b"bl-2")
    registry.suspend(members["brand"], REASON, {"from": admin})
    with reverts_with("InvalidParty", brand):
        titles.transferHolder(tid2, financier, ZERO32, {"from": brand})
    assert title(titles, tid)["holder"] == brand_key.address and title(titles, tid2)["holder"] == brand.address


def test_the_holder_who_is_the_beneficiary_endorses_to_anyone(
    titles: Any, tid: int, brand: Any, retailer: Any, outsider: Any
) -> None:
    with reverts_with("InvalidParty", outsider):
        titles.transferBeneficiary(tid, outsider, ZERO32, {"from": brand})
    tx = titles.transferBeneficiary(tid, retailer, REMARK, {"from": brand})
    assert logs(tx, titles) == [endorsed(tid, brand, retailer), remarked(tid, brand)]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"]) == (brand.address, retailer.address, BENEFICIARY)


def test_endorsement_by_another_holder_needs_the_beneficiarys_nominee(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any, manufacturer: Any, outsider: Any
) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})  # the bank holds, the brand is the beneficiary
    with reverts_with("NotNominated", tid, brand):
        titles.transferBeneficiary(tid, retailer, ZERO32, {"from": financier})
    with reverts_with("UnauthorizedParty", tid, financier, "beneficiary"):
        titles.nominate(tid, retailer, ZERO32, {"from": financier})
    with reverts_with("InvalidParty", outsider):
        titles.nominate(tid, outsider, ZERO32, {"from": brand})
    tx = titles.nominate(tid, retailer, REMARK, {"from": brand})
    assert logs(tx, titles) == [
        event("BeneficiaryNominated", titleId=tid, beneficiary=brand, nominee=retailer),
        remarked(tid, brand),
    ]
    assert title(titles, tid)["nominee"] == retailer.address
    assert title(titles, tid)["undo"] == HOLDER  # the beneficiary's nomination leaves the holder's transfer
    with reverts_with("NotNominated", tid, brand):
        titles.transferBeneficiary(tid, manufacturer, ZERO32, {"from": financier})
    tx = titles.transferBeneficiary(tid, retailer, ZERO32, {"from": financier})
    assert logs(tx, titles) == [endorsed(tid, brand, retailer)]
    state = title(titles, tid)
    assert (state["beneficiary"], state["nominee"], state["undo"]) == (retailer.address, ZERO, BENEFICIARY)


def test_a_nomination_is_withdrawn_with_zero(titles: Any, tid: int, brand: Any, financier: Any, retailer: Any) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    titles.nominate(tid, retailer, ZERO32, {"from": brand})
    tx = titles.nominate(tid, ZERO, ZERO32, {"from": brand})
    assert logs(tx, titles) == [event("BeneficiaryNominated", titleId=tid, beneficiary=brand, nominee=ZERO)]
    assert title(titles, tid)["nominee"] == ZERO
    with reverts_with("NotNominated", tid, brand):
        titles.transferBeneficiary(tid, retailer, ZERO32, {"from": financier})


def test_transfer_both_from_the_holder_beneficiary(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any, outsider: Any
) -> None:
    with reverts_with("InvalidParty", outsider):
        titles.transferOwners(tid, outsider, retailer, ZERO32, {"from": brand})
    with reverts_with("InvalidParty", outsider):
        titles.transferOwners(tid, financier, outsider, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, retailer, "holder"):
        titles.transferOwners(tid, retailer, retailer, ZERO32, {"from": retailer})
    tx = titles.transferOwners(tid, financier, retailer, REMARK, {"from": brand})
    assert logs(tx, titles) == [
        transfer(brand, financier, tid),
        endorsed(tid, brand, retailer),
        remarked(tid, brand),
    ]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"]) == (financier.address, retailer.address, BOTH)


def test_transfer_both_by_another_holder_needs_the_nominee(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any, manufacturer: Any
) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("NotNominated", tid, brand):
        titles.transferOwners(tid, retailer, retailer, ZERO32, {"from": financier})
    titles.nominate(tid, retailer, ZERO32, {"from": brand})
    with reverts_with("NotNominated", tid, brand):
        titles.transferOwners(tid, retailer, manufacturer, ZERO32, {"from": financier})
    tx = titles.transferOwners(tid, manufacturer, retailer, ZERO32, {"from": financier})
    assert logs(tx, titles) == [transfer(financier, manufacturer, tid), endorsed(tid, brand, retailer)]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["nominee"]) == (
        manufacturer.address,
        retailer.address,
        ZERO,
    )


# ------------------------------------------------------------------ reject, as the next action


def test_the_new_holder_rejects_a_holder_transfer(titles: Any, tid: int, brand: Any, financier: Any) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, brand, "recipient"):  # the beneficiary did not receive it
        titles.reject(tid, brand, brand, ZERO32, {"from": brand})
    with reverts_with("NothingToReject", tid):  # wrong previous parties
        titles.reject(tid, financier, brand, ZERO32, {"from": financier})
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, brand, financier, ZERO32, {"from": financier})
    tx = titles.reject(tid, brand, brand, REMARK, {"from": financier})
    assert logs(tx, titles) == [
        event("TransferRejected", titleId=tid, by=financier, what=HOLDER),
        transfer(financier, brand, tid),
        remarked(tid, financier),
    ]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"]) == (brand.address, brand.address, 0)
    with reverts_with("NothingToReject", tid):  # not twice
        titles.reject(tid, brand, brand, ZERO32, {"from": brand})


def test_the_new_beneficiary_rejects_an_endorsement(titles: Any, tid: int, brand: Any, retailer: Any) -> None:
    titles.transferBeneficiary(tid, retailer, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, brand, "recipient"):  # the holder did not receive it
        titles.reject(tid, brand, brand, ZERO32, {"from": brand})
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, brand, retailer, ZERO32, {"from": retailer})
    tx = titles.reject(tid, brand, brand, ZERO32, {"from": retailer})
    assert logs(tx, titles) == [
        event("TransferRejected", titleId=tid, by=retailer, what=BENEFICIARY),
        endorsed(tid, retailer, brand),
    ]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"]) == (brand.address, brand.address, 0)
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, brand, brand, ZERO32, {"from": retailer})


def test_the_new_holder_beneficiary_rejects_a_transfer_of_both(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any
) -> None:
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    titles.nominate(tid, retailer, ZERO32, {"from": brand})
    titles.transferOwners(tid, retailer, retailer, ZERO32, {"from": financier})  # from (financier, brand)
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, brand, brand, ZERO32, {"from": retailer})  # not the parties before this transfer
    tx = titles.reject(tid, financier, brand, REMARK, {"from": retailer})
    assert logs(tx, titles) == [
        event("TransferRejected", titleId=tid, by=retailer, what=BOTH),
        transfer(retailer, financier, tid),
        endorsed(tid, retailer, brand),
        remarked(tid, retailer),
    ]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"], state["nominee"]) == (
        financier.address,
        brand.address,
        0,
        ZERO,
    )
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, financier, brand, ZERO32, {"from": retailer})


def test_a_transfer_of_both_to_two_parties_is_rejected_by_neither_alone(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any
) -> None:
    titles.transferOwners(tid, financier, retailer, ZERO32, {"from": brand})
    for party in (financier, retailer):
        with reverts_with("UnauthorizedParty", tid, party, "holder and beneficiary"):
            titles.reject(tid, brand, brand, ZERO32, {"from": party})
    assert title(titles, tid)["undo"] == BOTH


def test_nothing_to_reject_on_a_fresh_title(titles: Any, tid: int, brand: Any) -> None:
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, ZERO, ZERO, ZERO32, {"from": brand})


def _holder_acts(titles: Any, tid: int, w: Any) -> None:
    titles.transferHolder(tid, w.financier, ZERO32, {"from": w.brand})
    titles.pledge(tid, w.members["financier"], {"from": w.financier})  # the new holder's next action
    titles.releasePledge(tid, {"from": w.financier})
    w.reject = lambda: titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.financier})


def _holder_passes_on(titles: Any, tid: int, w: Any) -> None:
    titles.transferHolder(tid, w.financier, ZERO32, {"from": w.brand})
    titles.transferHolder(tid, w.retailer, ZERO32, {"from": w.financier})
    titles.reject(tid, w.financier, w.brand, ZERO32, {"from": w.retailer})  # back to the financier
    w.reject = lambda: titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.financier})


def _beneficiary_acts(titles: Any, tid: int, w: Any) -> None:
    titles.transferHolder(tid, w.financier, ZERO32, {"from": w.brand})
    titles.nominate(tid, w.retailer, ZERO32, {"from": w.brand})
    titles.transferBeneficiary(tid, w.retailer, ZERO32, {"from": w.financier})
    titles.nominate(tid, w.manufacturer, ZERO32, {"from": w.retailer})  # the new beneficiary's next action
    w.reject = lambda: titles.reject(tid, w.financier, w.brand, ZERO32, {"from": w.retailer})


def _both_act(titles: Any, tid: int, w: Any) -> None:
    titles.transferOwners(tid, w.retailer, w.retailer, ZERO32, {"from": w.brand})
    titles.approve(w.manufacturer, tid, {"from": w.retailer})  # the recipient's next action
    w.reject = lambda: titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.retailer})


def _both_surrender_rejected(titles: Any, tid: int, w: Any) -> None:
    titles.transferOwners(tid, w.retailer, w.retailer, ZERO32, {"from": w.brand})
    titles.surrender(tid, False, ZERO32, {"from": w.retailer})
    titles.rejectSurrender(tid, ZERO32, {"from": w.carrier})
    w.reject = lambda: titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.retailer})


@pytest.mark.parametrize(
    "setup",
    [_holder_acts, _holder_passes_on, _beneficiary_acts, _both_act, _both_surrender_rejected],
    ids=["holder-pledges", "holder-passes-on", "beneficiary-nominates", "both-approves", "both-surrenders"],
)
def test_after_the_recipients_next_action_there_is_nothing_to_reject(
    titles: Any,
    tid: int,
    members: dict[str, int],
    brand: Any,
    financier: Any,
    retailer: Any,
    manufacturer: Any,
    carrier: Any,
    setup: Callable[[Any, int, Any], None],
) -> None:

    w = SimpleNamespace(brand=brand, financier=financier, retailer=retailer, manufacturer=manufacturer, carrier=carrier)
    w.members = members
    setup(titles, tid, w)
    before = title(titles, tid)
    assert before["undo"] == 0
    with reverts_with("NothingToReject", tid):
        w.reject()
    assert title(titles, tid) == before


def test_a_contract_custodian_always_returns_a_title_to_a_since_suspended_party(
    titles: Any, tid: int, registry: Any, members: dict[str, int], admin: Any, brand: Any, retailer: Any
) -> None:
    """The parties restored by a reject are not checked again (NatSpec): a suspended brand gets its title back."""
    titles.transferOwners(tid, retailer, retailer, ZERO32, {"from": brand})
    registry.suspend(members["brand"], REASON, {"from": admin})
    titles.reject(tid, brand, brand, ZERO32, {"from": retailer})
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"]) == (brand.address, brand.address)


# ------------------------------------------------------------------ approve and take over


def test_the_approved_operator_takes_the_title_over_once(
    titles: Any, tid: int, brand: Any, retailer: Any, financier: Any
) -> None:
    tx = titles.approve(retailer, tid, {"from": brand})
    assert logs(tx, titles) == [event("Approval", owner=brand, approved=retailer, tokenId=tid)]
    assert titles.getApproved(tid) == retailer and title(titles, tid)["approved"] == retailer.address
    with reverts_with("UnauthorizedParty", tid, financier, "approved operator"):
        titles.takeOver(tid, brand, {"from": financier})
    with reverts_with("UnauthorizedParty", tid, financier, "holder and beneficiary"):
        titles.takeOver(tid, financier, {"from": retailer})  # only from the holder-beneficiary
    tx = titles.takeOver(tid, brand, {"from": retailer})
    assert logs(tx, titles) == [  # the approval spent is cleared, and ERC-721's Approval to zero says so (L2)
        event("Approval", owner=brand, approved=ZERO, tokenId=tid),
        transfer(brand, retailer, tid),
        endorsed(tid, brand, retailer),
    ]
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["undo"], state["approved"]) == (
        retailer.address,
        retailer.address,
        BOTH,
        ZERO,
    )
    assert titles.getApproved(tid) == ZERO
    titles.reject(tid, brand, brand, ZERO32, {"from": retailer})  # the operator returns it to whom it took from
    with reverts_with("UnauthorizedParty", tid, retailer, "approved operator"):
        titles.takeOver(tid, brand, {"from": retailer})  # once
    assert title(titles, tid)["holder"] == brand.address


def test_only_the_holder_beneficiary_approves_a_party(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any, outsider: Any
) -> None:
    with reverts_with("UnauthorizedParty", tid, retailer, "holder"):
        titles.approve(retailer, tid, {"from": retailer})
    with reverts_with("InvalidParty", outsider):
        titles.approve(outsider, tid, {"from": brand})
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, financier, "holder and beneficiary"):
        titles.approve(retailer, tid, {"from": financier})
    assert title(titles, tid)["approved"] == ZERO


def test_an_approval_is_withdrawn_with_zero(titles: Any, tid: int, brand: Any, retailer: Any) -> None:
    titles.approve(retailer, tid, {"from": brand})
    tx = titles.approve(ZERO, tid, {"from": brand})
    assert logs(tx, titles) == [event("Approval", owner=brand, approved=ZERO, tokenId=tid)]
    assert titles.getApproved(tid) == ZERO
    with reverts_with("UnauthorizedParty", tid, retailer, "approved operator"):
        titles.takeOver(tid, brand, {"from": retailer})


def _by_holder_transfer(titles: Any, tid: int, w: Any) -> Any:
    tx = titles.transferHolder(tid, w.financier, ZERO32, {"from": w.brand})
    titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.financier})  # the brand holds both again
    return tx


def _by_endorsement(titles: Any, tid: int, w: Any) -> Any:
    tx = titles.transferBeneficiary(tid, w.financier, ZERO32, {"from": w.brand})
    titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.financier})
    return tx


def _by_transfer_of_both(titles: Any, tid: int, w: Any) -> Any:
    tx = titles.transferOwners(tid, w.financier, w.financier, ZERO32, {"from": w.brand})
    titles.reject(tid, w.brand, w.brand, ZERO32, {"from": w.financier})
    return tx


def _by_pledge(titles: Any, tid: int, w: Any) -> Any:
    tx = titles.pledge(tid, w.members["financier"], {"from": w.brand})
    titles.releasePledge(tid, {"from": w.financier})
    return tx


def _by_surrender(titles: Any, tid: int, w: Any) -> Any:
    tx = titles.surrender(tid, False, ZERO32, {"from": w.brand})
    titles.rejectSurrender(tid, ZERO32, {"from": w.carrier})
    return tx


@pytest.mark.parametrize(
    "move",
    [_by_holder_transfer, _by_endorsement, _by_transfer_of_both, _by_pledge, _by_surrender],
    ids=["transferHolder", "transferBeneficiary", "transferOwners", "pledge", "surrender"],
)
def test_any_transfer_clears_the_approval(
    titles: Any,
    tid: int,
    members: dict[str, int],
    brand: Any,
    financier: Any,
    retailer: Any,
    carrier: Any,
    move: Callable[[Any, int, Any], Any],
) -> None:
    """...and says so (L2): ERC-721's Approval of the holder to zero comes first in the transaction that clears
    it, exactly once, so an indexer's view of the approval ends there."""
    titles.approve(retailer, tid, {"from": brand})
    tx = move(titles, tid, SimpleNamespace(brand=brand, financier=financier, carrier=carrier, members=members))
    emitted = logs(tx, titles)
    assert emitted[0] == event("Approval", owner=brand, approved=ZERO, tokenId=tid)
    assert [name for name, _ in emitted].count("Approval") == 1
    state = title(titles, tid)
    assert (state["holder"], state["beneficiary"], state["approved"]) == (brand.address, brand.address, ZERO)
    assert titles.getApproved(tid) == ZERO
    with reverts_with("UnauthorizedParty", tid, retailer, "approved operator"):
        titles.takeOver(tid, brand, {"from": retailer})


def test_a_transfer_without_an_approval_emits_no_approval(titles: Any, tid: int, brand: Any, financier: Any) -> None:
    """The Approval to zero marks an approval cleared: none is emitted when there was none."""
    tx = titles.surrender(tid, False, ZERO32, {"from": brand})
    assert "Approval" not in [name for name, _ in logs(tx, titles)]
    assert title(titles, tid)["status"] == PENDING_DELIVERY


# ------------------------------------------------------------------ surrender to the carrier


@pytest.mark.parametrize(
    ("for_amendment", "pending", "final"),
    [(False, PENDING_DELIVERY, SURRENDERED_DELIVERY), (True, PENDING_AMENDMENT, SURRENDERED_AMENDMENT)],
    ids=["delivery", "amendment"],
)
def test_the_issuing_carrier_accepts_a_surrender(
    titles: Any, tid: int, carrier: Any, brand: Any, for_amendment: bool, pending: int, final: int
) -> None:
    tx = titles.surrender(tid, for_amendment, REMARK, {"from": brand})
    assert logs(tx, titles) == [
        event("SurrenderRequested", titleId=tid, holder=brand, forAmendment=for_amendment),
        remarked(tid, brand),
    ]
    assert title(titles, tid)["status"] == pending and titles.ownerOf(tid) == brand
    tx = titles.acceptSurrender(tid, REMARK, {"from": carrier})
    assert logs(tx, titles) == [
        event("SurrenderAccepted", titleId=tid, by=carrier, forAmendment=for_amendment),
        transfer(brand, ZERO, tid),
        remarked(tid, carrier),
    ]
    state = title(titles, tid)
    assert (state["status"], state["holder"], state["beneficiary"]) == (final, ZERO, brand.address)
    with reverts_with("NonexistentTitle", tid):
        titles.ownerOf(tid)


@pytest.mark.parametrize("for_amendment", [False, True], ids=["delivery", "amendment"])
def test_the_issuing_carrier_rejects_a_surrender(
    titles: Any, tid: int, carrier: Any, brand: Any, financier: Any, for_amendment: bool
) -> None:
    titles.surrender(tid, for_amendment, ZERO32, {"from": brand})
    tx = titles.rejectSurrender(tid, REMARK, {"from": carrier})
    assert logs(tx, titles) == [event("SurrenderRejected", titleId=tid, by=carrier), remarked(tid, carrier)]
    state = title(titles, tid)
    assert (state["status"], state["holder"], state["beneficiary"]) == (ISSUED, brand.address, brand.address)
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})  # it moves again
    assert titles.ownerOf(tid) == financier


def test_only_the_holder_beneficiary_surrenders(
    titles: Any, tid: int, brand: Any, financier: Any, retailer: Any
) -> None:
    with reverts_with("UnauthorizedParty", tid, retailer, "holder"):
        titles.surrender(tid, False, ZERO32, {"from": retailer})
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("UnauthorizedParty", tid, financier, "holder and beneficiary"):
        titles.surrender(tid, False, ZERO32, {"from": financier})
    with reverts_with("UnauthorizedParty", tid, brand, "holder"):
        titles.surrender(tid, False, ZERO32, {"from": brand})
    assert title(titles, tid)["status"] == ISSUED


def test_only_the_issuing_carrier_accepts_or_rejects_a_pending_surrender(
    titles: Any, tid: int, carrier: Any, carrier2: Any, brand: Any, outsider: Any, admin: Any
) -> None:
    with reverts_with("InvalidStatus", tid, ISSUED):
        titles.acceptSurrender(tid, ZERO32, {"from": carrier})
    with reverts_with("InvalidStatus", tid, ISSUED):
        titles.rejectSurrender(tid, ZERO32, {"from": carrier})
    titles.surrender(tid, False, ZERO32, {"from": brand})
    for other in (carrier2, brand):  # another carrier; the holder itself
        with reverts_with("UnauthorizedParty", tid, other, "issuer"):
            titles.acceptSurrender(tid, ZERO32, {"from": other})
        with reverts_with("UnauthorizedParty", tid, other, "issuer"):
            titles.rejectSurrender(tid, ZERO32, {"from": other})
    for nobody in (outsider, admin):
        with reverts_with("UnregisteredAccount", nobody):
            titles.acceptSurrender(tid, ZERO32, {"from": nobody})
    with reverts_with("NonexistentTitle", 5):
        titles.acceptSurrender(5, ZERO32, {"from": carrier})
    assert title(titles, tid)["status"] == PENDING_DELIVERY


def test_a_pending_surrender_does_not_move(titles: Any, tid: int, brand: Any, financier: Any) -> None:
    titles.surrender(tid, False, ZERO32, {"from": brand})
    with reverts_with("InvalidStatus", tid, PENDING_DELIVERY):
        titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    with reverts_with("InvalidStatus", tid, PENDING_DELIVERY):
        titles.surrender(tid, True, ZERO32, {"from": brand})


def _every_action(titles: Any, tid: int, w: Any) -> list[tuple[str, Callable[[], Any]]]:
    """Every state-changing action on title `tid`, each from its natural party."""
    b, c = {"from": w.brand}, {"from": w.carrier}
    return [
        ("nominate", lambda: titles.nominate(tid, w.retailer, ZERO32, b)),
        ("transferHolder", lambda: titles.transferHolder(tid, w.retailer, ZERO32, b)),
        ("transferBeneficiary", lambda: titles.transferBeneficiary(tid, w.retailer, ZERO32, b)),
        ("transferOwners", lambda: titles.transferOwners(tid, w.retailer, w.retailer, ZERO32, b)),
        ("reject", lambda: titles.reject(tid, w.brand, w.brand, ZERO32, b)),
        ("approve", lambda: titles.approve(w.retailer, tid, b)),
        ("takeOver", lambda: titles.takeOver(tid, w.brand, {"from": w.retailer})),
        ("surrender", lambda: titles.surrender(tid, False, ZERO32, b)),
        ("acceptSurrender", lambda: titles.acceptSurrender(tid, ZERO32, c)),
        ("rejectSurrender", lambda: titles.rejectSurrender(tid, ZERO32, c)),
        ("voidTitle", lambda: titles.voidTitle(tid, ZERO32, c)),
        ("pledge", lambda: titles.pledge(tid, w.members["financier"], b)),
        ("setFrozen", lambda: titles.setFrozen(tid, True, COURT_ORDER, c)),
    ]


@pytest.mark.parametrize("for_amendment", [False, True], ids=["delivery", "amendment"])
def test_a_surrendered_title_is_final(
    titles: Any,
    tid: int,
    members: dict[str, int],
    carrier: Any,
    brand: Any,
    retailer: Any,
    financier: Any,
    for_amendment: bool,
) -> None:

    titles.surrender(tid, for_amendment, ZERO32, {"from": brand})
    titles.acceptSurrender(tid, ZERO32, {"from": carrier})
    final = SURRENDERED_AMENDMENT if for_amendment else SURRENDERED_DELIVERY
    before = title(titles, tid)
    w = SimpleNamespace(brand=brand, carrier=carrier, retailer=retailer, members=members)
    for name, action in _every_action(titles, tid, w):
        with reverts_with("InvalidStatus", tid, final):
            action()
        assert title(titles, tid) == before, name
    with reverts_with("NotPledged", tid):
        titles.releasePledge(tid, {"from": financier})


# ------------------------------------------------------------------ pledges


def test_a_pledged_title_neither_moves_nor_is_surrendered_until_the_pledgee_releases_it(
    titles: Any,
    tid: int,
    members: dict[str, int],
    brand: Any,
    financier: Any,
    retailer: Any,
    carrier: Any,
    financier2: tuple[Any, int],
) -> None:
    bank = members["financier"]
    with reverts_with("NotPledged", tid):
        titles.releasePledge(tid, {"from": financier})
    with reverts_with("UnauthorizedParty", tid, retailer, "holder"):
        titles.pledge(tid, bank, {"from": retailer})
    titles.approve(retailer, tid, {"from": brand})
    tx = titles.pledge(tid, bank, {"from": brand})
    assert logs(tx, titles) == [  # the pledge clears the approval, with ERC-721's Approval to zero (L2)
        event("Approval", owner=brand, approved=ZERO, tokenId=tid),
        event("TitlePledgedTo", titleId=tid, pledgee=bank),
    ]
    state = title(titles, tid)
    assert (state["pledgee"], state["approved"], state["holder"]) == (bank, ZERO, brand.address)
    b = {"from": brand}
    moves: list[Callable[[], Any]] = [
        lambda: titles.transferHolder(tid, retailer, ZERO32, b),
        lambda: titles.transferBeneficiary(tid, retailer, ZERO32, b),
        lambda: titles.transferOwners(tid, retailer, retailer, ZERO32, b),
        lambda: titles.surrender(tid, False, ZERO32, b),
        lambda: titles.approve(retailer, tid, b),
        lambda: titles.pledge(tid, financier2[1], b),
    ]
    for action in moves:
        with reverts_with("TitlePledged", tid, bank):
            action()
    for other in (brand, retailer, financier2[0]):  # the holder, a member, another financier
        with reverts_with("UnauthorizedParty", tid, other, "pledgee"):
            titles.releasePledge(tid, {"from": other})
    tx = titles.releasePledge(tid, {"from": financier})
    assert logs(tx, titles) == [event("PledgeReleased", titleId=tid, pledgee=bank)]
    assert title(titles, tid)["pledgee"] == 0
    with reverts_with("NotPledged", tid):
        titles.releasePledge(tid, {"from": financier})
    titles.transferHolder(tid, retailer, ZERO32, b)
    assert titles.ownerOf(tid) == retailer


def test_a_pledge_goes_to_an_active_financier_organisation_only(
    titles: Any,
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    brand: Any,
    financier2: tuple[Any, int],
) -> None:
    _, bank2 = financier2
    registry.suspend(bank2, REASON, {"from": admin})
    count = int(registry.organisationCount())
    for pledgee in (members["retailer"], members["carrier"], bank2, count + 1, 0):
        with reverts_with("InvalidPledgee", pledgee):
            titles.pledge(tid, pledgee, {"from": brand})
    assert title(titles, tid)["pledgee"] == 0


# ------------------------------------------------------------------ court-order freezes


def test_the_issuer_freezes_and_unfreezes_on_a_court_order(
    titles: Any, tid: int, carrier: Any, carrier2: Any, brand: Any, financier: Any
) -> None:
    with reverts_with("UnauthorizedParty", tid, carrier2, "issuer"):
        titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier2})
    with reverts_with("UnauthorizedParty", tid, brand, "issuer"):
        titles.setFrozen(tid, True, COURT_ORDER, {"from": brand})
    with reverts_with("NotFrozen", tid):
        titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    tx = titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    assert logs(tx, titles) == [
        event("TitleFreezeChanged", titleId=tid, frozen=True, courtOrderHash=COURT_ORDER),
    ]
    assert title(titles, tid)["frozen"] is True
    with reverts_with("TitleFrozen", tid):
        titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    lifted = keccak(b"order lifted")
    tx = titles.setFrozen(tid, False, lifted, {"from": carrier})
    assert logs(tx, titles) == [event("TitleFreezeChanged", titleId=tid, frozen=False, courtOrderHash=lifted)]
    assert title(titles, tid)["frozen"] is False
    titles.transferHolder(tid, financier, ZERO32, {"from": brand})
    assert titles.ownerOf(tid) == financier


def _reject_endorsement(titles: Any, t: int, brand: Any, endorsee: Any) -> Callable[[], Any]:
    return lambda: titles.reject(t, brand, brand, ZERO32, {"from": endorsee})


def test_a_frozen_title_does_not_move(
    titles: Any,
    documents: Any,
    members: dict[str, int],
    carrier: Any,
    brand: Any,
    retailer: Any,
) -> None:
    """Each action is set up so that, unfrozen, it would go through (a rejectable transfer, an approval, a pending
    surrender, a title the carrier may void); frozen, each reverts with TitleFrozen and nothing changes."""

    w = SimpleNamespace(brand=brand, carrier=carrier, retailer=retailer, members=members)
    setups: dict[str, Callable[[int], Any]] = {
        "reject": lambda t: titles.transferBeneficiary(t, retailer, ZERO32, {"from": brand}),
        "takeOver": lambda t: titles.approve(retailer, t, {"from": brand}),
        "acceptSurrender": lambda t: titles.surrender(t, False, ZERO32, {"from": brand}),
        "rejectSurrender": lambda t: titles.surrender(t, False, ZERO32, {"from": brand}),
    }
    for i, (name, _) in enumerate(_every_action(titles, 0, w)):
        if name == "setFrozen":
            continue
        if name == "voidTitle":
            t = issue(titles, documents, carrier, carrier, carrier, b"bl-void")
        else:
            t = issue(titles, documents, carrier, brand, brand, b"bl-frozen-%d" % i)
        if name in setups:
            setups[name](t)
        action = dict(_every_action(titles, t, w))[name]
        if name == "reject":  # the endorsee rejects the brand's endorsement
            action = _reject_endorsement(titles, t, brand, retailer)
        titles.setFrozen(t, True, COURT_ORDER, {"from": carrier})
        before = title(titles, t)
        with reverts_with("TitleFrozen", t):
            action()
        assert title(titles, t) == before, name


def test_a_surrendered_or_void_title_cannot_be_frozen(titles: Any, tid: int, carrier: Any, brand: Any) -> None:
    titles.surrender(tid, False, ZERO32, {"from": brand})
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})  # a pending surrender can be frozen
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    titles.acceptSurrender(tid, ZERO32, {"from": carrier})
    with reverts_with("InvalidStatus", tid, SURRENDERED_DELIVERY):
        titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})


# ------------------------------------------------------------------ void


def test_the_issuer_voids_a_title_returned_to_it(
    titles: Any, tid: int, registry: Any, members: dict[str, int], carrier: Any, brand: Any
) -> None:
    registry.addAccount(members["carrier"], accounts[17], False, {"from": carrier})
    titles.transferOwners(tid, accounts[17], carrier, ZERO32, {"from": brand})  # returned to the issuer's accounts
    tx = titles.voidTitle(tid, REMARK, {"from": carrier})
    assert logs(tx, titles) == [
        event("TitleVoided", titleId=tid, by=carrier),
        transfer(accounts[17], ZERO, tid),
        remarked(tid, carrier),
    ]
    state = title(titles, tid)
    assert (state["status"], state["holder"], state["undo"]) == (VOIDED, ZERO, 0)
    with reverts_with("NonexistentTitle", tid):
        titles.ownerOf(tid)
    with reverts_with("InvalidStatus", tid, VOIDED):
        titles.voidTitle(tid, ZERO32, {"from": carrier})


def test_void_refusals(
    titles: Any,
    documents: Any,
    tid: int,
    members: dict[str, int],
    carrier: Any,
    carrier2: Any,
    brand: Any,
) -> None:
    own = "issuer's own account as holder and beneficiary"
    with reverts_with("UnauthorizedParty", tid, brand, own):  # the shipper holds it
        titles.voidTitle(tid, ZERO32, {"from": carrier})
    half = issue(titles, documents, carrier, carrier, brand, b"bl-half")  # the carrier holds, the brand is endorsee
    with reverts_with("UnauthorizedParty", half, carrier, own):
        titles.voidTitle(half, ZERO32, {"from": carrier})
    back = issue(titles, documents, carrier, carrier, carrier, b"bl-back")
    with reverts_with("UnauthorizedParty", back, carrier2, "issuer"):
        titles.voidTitle(back, ZERO32, {"from": carrier2})
    titles.pledge(back, members["financier"], {"from": carrier})
    with reverts_with("TitlePledged", back, members["financier"]):
        titles.voidTitle(back, ZERO32, {"from": carrier})
    titles.surrender(tid, False, ZERO32, {"from": brand})
    with reverts_with("InvalidStatus", tid, PENDING_DELIVERY):
        titles.voidTitle(tid, ZERO32, {"from": carrier})
    assert title(titles, back)["status"] == ISSUED and title(titles, half)["status"] == ISSUED


# ------------------------------------------------------------------ remarks


REMARK_ACTIONS: dict[str, Callable[[Any, int, Any, bytes], tuple[Any, Any]]] = {
    # name: (titles, tid, w, remark) -> (tx, the remarking sender)
    "nominate": lambda t, i, w, r: (t.nominate(i, w.retailer, r, {"from": w.brand}), w.brand),
    "transferHolder": lambda t, i, w, r: (t.transferHolder(i, w.retailer, r, {"from": w.brand}), w.brand),
    "transferBeneficiary": lambda t, i, w, r: (t.transferBeneficiary(i, w.retailer, r, {"from": w.brand}), w.brand),
    "transferOwners": lambda t, i, w, r: (
        t.transferOwners(i, w.retailer, w.retailer, r, {"from": w.brand}),
        w.brand,
    ),
    "reject": lambda t, i, w, r: (
        t.transferHolder(i, w.retailer, ZERO32, {"from": w.brand}),
        (t.reject(i, w.brand, w.brand, r, {"from": w.retailer}), w.retailer),
    )[1],
    "surrender": lambda t, i, w, r: (t.surrender(i, True, r, {"from": w.brand}), w.brand),
    "acceptSurrender": lambda t, i, w, r: (
        t.surrender(i, True, ZERO32, {"from": w.brand}),
        (t.acceptSurrender(i, r, {"from": w.carrier}), w.carrier),
    )[1],
    "rejectSurrender": lambda t, i, w, r: (
        t.surrender(i, True, ZERO32, {"from": w.brand}),
        (t.rejectSurrender(i, r, {"from": w.carrier}), w.carrier),
    )[1],
    "voidTitle": lambda t, i, w, r: (
        t.transferOwners(i, w.carrier, w.carrier, ZERO32, {"from": w.brand}),
        (t.voidTitle(i, r, {"from": w.carrier}), w.carrier),
    )[1],
}


@pytest.mark.parametrize("remark", [REMARK, ZERO32], ids=["remark", "none"])
@pytest.mark.parametrize("action", list(REMARK_ACTIONS))
def test_a_nonzero_remark_hash_is_logged_and_zero_logs_nothing(
    titles: Any, tid: int, brand: Any, retailer: Any, carrier: Any, action: str, remark: bytes
) -> None:

    w = SimpleNamespace(brand=brand, retailer=retailer, carrier=carrier)
    tx, sender = REMARK_ACTIONS[action](titles, tid, w, remark)
    names = [name for name, _ in logs(tx, titles)]
    if remark == ZERO32:
        assert "Remarked" not in names
    else:
        assert names.count("Remarked") == 1 and logs(tx, titles)[-1] == remarked(tid, sender, remark)


# ------------------------------------------------------------------ ERC-721, for reading


def test_erc721_metadata_and_interfaces(titles: Any, tid: int, brand: Any) -> None:
    assert titles.name() == "tradechain electronic bill of lading"
    assert titles.symbol() == "TCEBL"
    assert titles.tokenURI(tid) == "tradechain:ebl:0x" + tid.to_bytes(32, "big").hex()
    assert len(titles.tokenURI(tid)) == len("tradechain:ebl:0x") + 64
    with reverts_with("NonexistentTitle", 9):
        titles.tokenURI(9)
    assert titles.ownerOf(tid) == brand
    for interface in ("0x80ac58cd", "0x5b5e139f", "0x01ffc9a7"):
        assert titles.supportsInterface(interface) is True, interface
    for interface in ("0xffffffff", "0x780e9d63", "0x00000000"):  # not ERC721Enumerable either
        assert titles.supportsInterface(interface) is False, interface
    assert titles.isApprovedForAll(brand, brand) is False


def test_erc721_balances_approvals_for_all_and_transfers_are_unsupported(
    titles: Any, tid: int, brand: Any, retailer: Any
) -> None:
    sender = {"from": brand}
    with reverts_with("UnsupportedOperation"):
        titles.balanceOf(brand)
    with reverts_with("UnsupportedOperation"):
        titles.setApprovalForAll(retailer, True, sender)
    with reverts_with("UnsupportedOperation"):
        titles.transferFrom(brand, retailer, tid, sender)
    with reverts_with("UnsupportedOperation"):
        titles.safeTransferFrom["address,address,uint256"](brand, retailer, tid, sender)
    with reverts_with("UnsupportedOperation"):
        titles.safeTransferFrom["address,address,uint256,bytes"](brand, retailer, tid, b"x", sender)
    assert titles.ownerOf(tid) == brand


def test_the_transfer_events_track_the_holder_exactly(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    carrier: Any,
    brand: Any,
    financier: Any,
    retailer: Any,
    manufacturer: Any,
) -> None:
    start = web3.eth.block_number + 1
    a = issue(titles, documents, carrier, brand, brand, b"bl-a")
    b = issue(titles, documents, carrier, brand, financier, b"bl-b")
    c = issue(titles, documents, carrier, brand, brand, b"bl-c")
    d = issue(titles, documents, carrier, brand, brand, b"bl-d")
    z = ZERO32
    titles.transferHolder(a, financier, z, {"from": brand})
    titles.reject(a, brand, brand, z, {"from": financier})
    titles.transferBeneficiary(a, retailer, z, {"from": brand})  # no Transfer: the holder stays
    titles.transferHolder(a, retailer, z, {"from": brand})
    titles.nominate(b, manufacturer, z, {"from": financier})
    titles.transferOwners(b, retailer, manufacturer, z, {"from": brand})
    titles.approve(manufacturer, c, {"from": brand})
    titles.takeOver(c, brand, {"from": manufacturer})
    titles.reject(c, brand, brand, z, {"from": manufacturer})
    titles.transferOwners(c, retailer, retailer, z, {"from": brand})
    titles.surrender(c, False, z, {"from": retailer})
    titles.acceptSurrender(c, z, {"from": carrier})
    titles.transferOwners(d, carrier, carrier, z, {"from": brand})
    titles.voidTitle(d, z, {"from": carrier})
    owners: dict[int, str] = {}
    replayed = transfer_logs(titles, start)
    for from_, to, token in replayed:
        assert owners.get(token, ZERO) == from_, (token, from_)  # each Transfer starts from the current holder
        owners[token] = to
    assert len(replayed) == 4 + 3 + 1 + 4 + 2  # the issues; a; b; c; d (none for an endorsement)
    for token in (a, b, c, d):
        assert owners[token] == title(titles, token)["holder"], token
    assert owners[a] == retailer.address and owners[b] == retailer.address and owners[c] == ZERO == owners[d]


# ------------------------------------------------------------------ contract accounts of members (H1)


@pytest.fixture
def multisig(registry: Any, members: dict[str, int], admin: Any, financier: Any) -> Any:
    """The bank's multisig: a contract registered as an account of the financier organisation."""
    safe = ERC721ReceiverMock.deploy(True, {"from": admin})
    registry.addAccount(members["financier"], safe, False, {"from": financier})
    return safe


def test_a_suspended_banks_registered_multisig_neither_holds_nor_receives(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    retailer: Any,
    multisig: Any,
) -> None:
    """H1: a registered account of a suspended organisation is no party, though it holds code: it cannot act as
    holder, be issued to, receive a transfer, or be approved; an unregistered contract still is a party."""
    assert titles.isParty(multisig) is True  # an active member's account
    held = issue(titles, documents, carrier, multisig, multisig, b"bl-safe")
    tid = issue(titles, documents, carrier, brand, brand, b"bl-brand")
    registry.suspend(members["financier"], REASON, {"from": admin})
    assert titles.isParty(multisig) is False
    safe = as_sender(multisig)
    with reverts_with("InvalidParty", multisig):  # as holder
        titles.transferHolder(held, retailer, ZERO32, {"from": safe})
    with reverts_with("InvalidParty", multisig):
        titles.transferOwners(held, retailer, retailer, ZERO32, {"from": safe})
    with reverts_with("InvalidParty", multisig):
        titles.surrender(held, False, ZERO32, {"from": safe})
    receipts: list[Callable[[], Any]] = [  # as recipient
        lambda: titles.transferHolder(tid, multisig, ZERO32, {"from": brand}),
        lambda: titles.transferOwners(tid, multisig, multisig, ZERO32, {"from": brand}),
        lambda: titles.transferBeneficiary(tid, multisig, ZERO32, {"from": brand}),
        lambda: titles.approve(multisig, tid, {"from": brand}),
        lambda: titles.issue(issuance(anchor(documents, carrier, b"bl-new"), multisig, brand), {"from": carrier}),
    ]
    for receive in receipts:
        with reverts_with("InvalidParty", multisig):
            receive()
    assert title(titles, held)["holder"] == multisig.address and title(titles, tid)["holder"] == brand.address
    unknown = ERC721ReceiverMock.deploy(True, {"from": admin})  # a contract the registry does not know
    assert titles.isParty(unknown) is True
    titles.transferHolder(tid, unknown, ZERO32, {"from": brand})
    assert titles.ownerOf(tid) == unknown
    registry.reinstate(members["financier"], {"from": admin})
    assert titles.isParty(multisig) is True
    titles.transferHolder(held, retailer, ZERO32, {"from": safe})
    assert titles.ownerOf(held) == retailer


def test_a_revoked_multisig_account_is_no_party(
    titles: Any, documents: Any, registry: Any, members: dict[str, int], carrier: Any, financier: Any, multisig: Any
) -> None:
    """A member's multisig revoked by its organisation (compromised) is remembered by the registry (`revokedFrom`),
    so it passes neither as a member nor as an unknown contract: it can hold, receive or act on nothing; added
    again, it is a party again."""
    held = issue(titles, documents, carrier, multisig, multisig, b"bl-revoked-safe")
    registry.revokeAccount(multisig, {"from": financier})
    assert registry.revokedFrom(multisig) == members["financier"]
    assert titles.isParty(multisig) is False
    with reverts_with("InvalidParty", multisig):
        titles.transferHolder(held, carrier, ZERO32, {"from": as_sender(multisig)})
    with reverts_with("InvalidParty", multisig):
        issue(titles, documents, carrier, multisig, multisig, b"bl-revoked-safe-2")
    registry.addAccount(members["financier"], multisig, False, {"from": financier})
    assert registry.revokedFrom(multisig) == 0 and titles.isParty(multisig) is True


# ------------------------------------------------------------------ finality (L1)


def test_an_ordinary_contract_holders_transfer_is_rejectable(
    titles: Any, documents: Any, admin: Any, carrier: Any, retailer: Any, multisig: Any
) -> None:
    """L1: only a custodian's transfers are final; a contract holder (registered or not) that did not take the
    title over leaves its recipient the right to reject, as a key would."""
    unknown = ERC721ReceiverMock.deploy(True, {"from": admin})
    for i, holder in enumerate((unknown, multisig)):
        tid = issue(titles, documents, carrier, holder, holder, b"bl-c%d" % i)
        tx = titles.transferOwners(tid, retailer, retailer, ZERO32, {"from": as_sender(holder)})
        assert logs(tx, titles) == [transfer(holder, retailer, tid), endorsed(tid, holder, retailer)]
        assert title(titles, tid)["undo"] == BOTH
        tx = titles.reject(tid, holder, holder, ZERO32, {"from": retailer})
        assert logs(tx, titles)[0] == event("TransferRejected", titleId=tid, by=retailer, what=BOTH)
        got = title(titles, tid)
        assert (got["holder"], got["beneficiary"], got["undo"]) == (norm(holder), norm(holder), 0)


def test_a_custodians_transfers_are_final_until_it_passes_the_title_on(
    titles: Any, tid: int, brand: Any, retailer: Any, manufacturer: Any, financier: Any
) -> None:
    """The operator that took the title over (custody) hands it over for good; its recipient's own transfers are
    rejectable again (the custody flag goes with the transfer)."""
    titles.approve(retailer, tid, {"from": brand})
    titles.takeOver(tid, brand, {"from": retailer})
    titles.transferHolder(tid, manufacturer, ZERO32, {"from": retailer})
    assert title(titles, tid)["undo"] == 0
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, retailer, retailer, ZERO32, {"from": manufacturer})
    titles.transferHolder(tid, financier, ZERO32, {"from": manufacturer})
    assert title(titles, tid)["undo"] == HOLDER


# ------------------------------------------------------------------ reassign on a court order (H2, M4)


def test_a_revoked_keys_title_is_recovered_by_freeze_and_reassign(
    titles: Any,
    documents: Any,
    registry: Any,
    carrier: Any,
    brand: Any,
    brand_key: Any,
    retailer: Any,
    financier: Any,
) -> None:
    """H2: the holder's key was revoked (leaked), so nobody can ever move its title; the issuing carrier freezes it
    and gives it, on the court order, to the party it names. The approval and the nomination are cleared, the title
    stays frozen until unfrozen, then the new holder acts."""
    tid = issue(titles, documents, carrier, brand_key, financier, b"bl-key")  # the key holds, the bank is beneficiary
    titles.nominate(tid, retailer, ZERO32, {"from": financier})
    registry.revokeAccount(brand_key, {"from": brand})
    with reverts_with("InvalidParty", brand_key):
        titles.transferHolder(tid, brand, ZERO32, {"from": brand_key})
    with reverts_with("NotFrozen", tid):
        titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    tx = titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
    assert logs(tx, titles) == [
        event("TitleReassigned", titleId=tid, by=carrier, courtOrderHash=COURT_ORDER),
        transfer(brand_key, brand, tid),
        endorsed(tid, financier, brand),
    ]
    assert title(titles, tid) == {
        "holder": brand.address,
        "status": ISSUED,
        "frozen": True,
        "undo": 0,
        "issuer": title(titles, tid)["issuer"],
        "pledgee": 0,
        "beneficiary": brand.address,
        "nominee": ZERO,
        "approved": ZERO,
    }
    with reverts_with("TitleFrozen", tid):
        titles.transferHolder(tid, retailer, ZERO32, {"from": brand})
    titles.setFrozen(tid, False, keccak(b"order lifted"), {"from": carrier})
    titles.transferHolder(tid, retailer, ZERO32, {"from": brand})
    assert titles.ownerOf(tid) == retailer


def test_reassign_clears_the_approval_the_undo_and_the_custody(
    titles: Any, tid: int, carrier: Any, brand: Any, retailer: Any, manufacturer: Any, financier: Any
) -> None:
    """Nothing of before survives: an approval (with ERC-721's Approval to zero), the last transfer's right of
    rejection, and the custody of an operator that had taken the title over."""
    titles.approve(retailer, tid, {"from": brand})
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    tx = titles.reassign(tid, manufacturer, manufacturer, COURT_ORDER, {"from": carrier})
    assert logs(tx, titles) == [
        event("Approval", owner=brand, approved=ZERO, tokenId=tid),
        event("TitleReassigned", titleId=tid, by=carrier, courtOrderHash=COURT_ORDER),
        transfer(brand, manufacturer, tid),
        endorsed(tid, brand, manufacturer),
    ]
    assert titles.getApproved(tid) == ZERO
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    titles.transferHolder(tid, brand, ZERO32, {"from": manufacturer})  # undo HOLDER ...
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": carrier})
    assert title(titles, tid)["undo"] == 0  # ... cleared: the last recipient cannot reject any more
    with reverts_with("TitleFrozen", tid):
        titles.reject(tid, manufacturer, manufacturer, ZERO32, {"from": brand})
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, manufacturer, manufacturer, ZERO32, {"from": brand})
    # custody: the retailer, approved by the manufacturer, takes the title over (its transfers would be final);
    # the carrier reassigns it to the retailer on an order: the custody is gone, its transfers are rejectable again
    titles.transferOwners(tid, manufacturer, manufacturer, ZERO32, {"from": retailer})
    titles.approve(retailer, tid, {"from": manufacturer})
    titles.takeOver(tid, manufacturer, {"from": retailer})
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": carrier})
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    titles.transferHolder(tid, financier, ZERO32, {"from": retailer})
    assert title(titles, tid)["undo"] == HOLDER  # no custody any more: not final


def test_only_the_issuer_reassigns_only_a_frozen_issued_title_only_to_parties(
    titles: Any,
    documents: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    carrier2: Any,
    brand: Any,
    brand_key: Any,
    retailer: Any,
    financier: Any,
    manufacturer: Any,
    outsider: Any,
    tid: int,
) -> None:
    """The issuing carrier's active account only; the title frozen and issued; holder and beneficiary parties."""
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    for other in (carrier2, brand, financier):  # another carrier, the holder itself, a bank
        with reverts_with("UnauthorizedParty", tid, other, "issuer"):
            titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": other})
    with reverts_with("UnregisteredAccount", outsider):
        titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": outsider})
    with reverts_with("UnregisteredAccount", admin):
        titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": admin})
    with reverts_with("NonexistentTitle", 7):
        titles.reassign(7, retailer, retailer, COURT_ORDER, {"from": carrier})
    registry.revokeAccount(brand_key, {"from": brand})
    registry.suspend(members["manufacturer"], REASON, {"from": admin})
    assert titles.isParty(manufacturer) is False
    for bad in (outsider, brand_key, manufacturer, ZERO):
        with reverts_with("InvalidParty", bad):
            titles.reassign(tid, bad, retailer, COURT_ORDER, {"from": carrier})
        with reverts_with("InvalidParty", bad):
            titles.reassign(tid, retailer, bad, COURT_ORDER, {"from": carrier})
    assert title(titles, tid)["holder"] == brand.address
    # a pending surrender (frozen) is not reassigned: only an issued title is
    t2 = issue(titles, documents, carrier, brand, brand, b"bl-2")
    titles.surrender(t2, False, ZERO32, {"from": brand})
    titles.setFrozen(t2, True, COURT_ORDER, {"from": carrier})
    with reverts_with("InvalidStatus", t2, PENDING_DELIVERY):
        titles.reassign(t2, retailer, retailer, COURT_ORDER, {"from": carrier})
    registry.suspend(members["carrier"], REASON, {"from": admin})  # the issuer suspended
    with reverts_with("OrganisationIsSuspended", members["carrier"]):
        titles.reassign(tid, retailer, retailer, COURT_ORDER, {"from": carrier})
    assert title(titles, tid)["holder"] == brand.address and title(titles, t2)["holder"] == brand.address


def test_a_pledge_whose_pledgee_was_suspended_is_released_by_reassign(
    titles: Any,
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    financier: Any,
    retailer: Any,
) -> None:
    """M4: the pledgee bank was suspended, so it can never release the pledge and the title never moves again;
    the carrier, on a court order, reassigns it, which clears the pledge."""
    bank = members["financier"]
    titles.pledge(tid, bank, {"from": brand})
    registry.suspend(bank, REASON, {"from": admin})
    with reverts_with("OrganisationIsSuspended", bank):
        titles.releasePledge(tid, {"from": financier})
    with reverts_with("TitlePledged", tid, bank):
        titles.transferHolder(tid, retailer, ZERO32, {"from": brand})
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    tx = titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
    assert logs(tx, titles) == [
        event("TitleReassigned", titleId=tid, by=carrier, courtOrderHash=COURT_ORDER),
        transfer(brand, brand, tid),
        endorsed(tid, brand, brand),
    ]
    got = title(titles, tid)
    assert (got["pledgee"], got["holder"], got["beneficiary"], got["frozen"]) == (0, brand.address, brand.address, True)
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    titles.transferHolder(tid, retailer, ZERO32, {"from": brand})
    assert titles.ownerOf(tid) == retailer

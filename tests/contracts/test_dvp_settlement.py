"""DvPSettlement at the contract level (via Brownie): delivery versus payment of an eBL. The seller (holder and
beneficiary) puts the title in, the funder the payment; one settle pays the seller and makes the buyer holder and
beneficiary in the same transaction, once the documents (naming the settlement) and the financed invoice hold; after
the deadline each side takes its own back, once; a frozen title, a fee-on-transfer token and a reentrant token
cannot break "never payment without title, never title without payment"."""

from __future__ import annotations

from typing import Any

import pytest
from brownie import (  # type: ignore[attr-defined]  # the project's contracts are loaded at run time
    BlockingToken,
    DocumentRegistry,
    DvPSettlement,
    ERC721ReceiverMock,
    FeeOnTransferToken,
    InvoiceRegistry,
    MockUSDC,
    ReentrantToken,
    TitleRegistry,
    accounts,
    chain,
    web3,
)
from conftest import reverts_with
from eth_abi import encode
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes

from .test_title_registry import (
    BOTH,
    COURT_ORDER,
    DELIVERY,
    HOLDER,
    ISSUED,
    SURRENDERED_DELIVERY,
    ZERO,
    ZERO32,
    endorsed,
    event,
    issue,
    logs,
    title,
    transfer,
)

AMOUNT = 250_000 * 10**6
DAY = 86_400
INSPECTION = 3  # DocumentTypes.INSPECTION_CERTIFICATE
DOCS = (1 << DELIVERY) | (1 << INSPECTION)
FP = keccak(b"invoice INV-2026/0042")
NO_SECONDARY = [ZERO32] * 4
REASON = b"test".ljust(32, b"\0")
TERMS_TYPES = "(address,address,address,address,uint96,uint40,uint256,uint16,uint32,bytes32,bytes32)"
# IDvPSettlement.Status
NONE, OPEN, SETTLED, CLOSED = range(4)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def documents(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return DocumentRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def invoices(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return InvoiceRegistry.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def titles(registry: Any, documents: Any, admin: Any) -> Any:
    return TitleRegistry.deploy(registry, documents, {"from": admin})


@pytest.fixture(scope="module")
def dvp(registry: Any, documents: Any, invoices: Any, titles: Any, admin: Any) -> Any:
    return DvPSettlement.deploy(registry, documents, invoices, titles, {"from": admin})


@pytest.fixture(scope="module")
def usdc(admin: Any, financier: Any) -> Any:
    token = MockUSDC.deploy({"from": admin})
    token.mint(financier, 10 * AMOUNT, {"from": admin})
    return token


@pytest.fixture(scope="module")
def bank2(registry: Any, members: dict[str, int], admin: Any) -> tuple[Any, int]:
    """A second financier organisation (account 15, its manager) and its id."""
    tx = registry.admit(lei_bytes(91), 0, b"KE", ROLE["financier"], ZERO32, accounts[15], {"from": admin})
    return accounts[15], int(tx.events["OrganisationAdmitted"]["organisation"])


@pytest.fixture(scope="module")
def brand_key(registry: Any, members: dict[str, int], brand: Any) -> Any:
    """A second account of the brand (account 16), no manager: the key a test revokes (a leaked key)."""
    registry.addAccount(members["brand"], accounts[16], False, {"from": brand})
    return accounts[16]


@pytest.fixture
def tid(titles: Any, documents: Any, carrier: Any, brand: Any) -> int:
    """The eBL the carrier issued to the seller (the brand, the exporter) as holder and beneficiary."""
    return issue(titles, documents, carrier, brand, brand)


def terms(coin: Any, title_id: int, **changes: Any) -> tuple[Any, ...]:
    """Terms as the contract takes them: the brand sells, the retailer buys, the financier (its bank) pays."""
    t = {
        "seller": accounts[1].address,  # brand
        "buyer": accounts[8].address,  # retailer
        "funder": accounts[6].address,  # financier
        "token": coin.address,
        "amount": AMOUNT,
        "deadline": int(web3.eth.get_block("latest")["timestamp"]) + 30 * DAY,
        "titleId": title_id,
        "requiredDocs": 0,
        "docIssuer": 0,
        "invoice": ZERO32,
        "salt": ZERO32,
    }
    t.update(changes)
    return tuple(t.values())


def sid(t: tuple[Any, ...]) -> bytes:
    """The settlement id: keccak256(abi.encode(terms))."""
    return keccak(encode([TERMS_TYPES], [t]))


def state(dvp: Any, t: tuple[Any, ...]) -> tuple[int, bool, bool]:
    status, funded, delivered = dvp.getState(sid(t))
    return int(status), bool(funded), bool(delivered)


def past_deadline(t: tuple[Any, ...]) -> None:
    chain.sleep(t[5] - int(web3.eth.get_block("latest")["timestamp"]) + 1)
    chain.mine()


def proven(documents: Any, issuer: Any, doc_type: int, name: bytes, trade: bytes) -> tuple[Any, ...]:
    """A document issued for `trade` (a settlement id), anchored alone by `issuer`: its DocumentProof."""
    document = keccak(name)
    leaf = bytes(documents.leafOf(document, doc_type, trade))
    tx = documents.anchor(leaf, 1, {"from": issuer})
    return (document, doc_type, leaf, tx.events["BatchAnchored"]["issuer"], [])


@pytest.fixture
def opened(dvp: Any, usdc: Any, tid: int, financier: Any) -> tuple[Any, ...]:
    t = terms(usdc, tid)
    dvp.open(t, {"from": financier})
    return t


def fund(dvp: Any, token: Any, t: tuple[Any, ...], funder: Any) -> Any:
    token.approve(dvp, t[4], {"from": funder})
    return dvp.fund(t, {"from": funder})


def deliver(dvp: Any, titles: Any, t: tuple[Any, ...], seller: Any) -> Any:
    titles.approve(dvp, t[6], {"from": seller})
    return dvp.deliver(t, {"from": seller})


@pytest.fixture
def ready(dvp: Any, titles: Any, usdc: Any, opened: tuple[Any, ...], financier: Any, brand: Any) -> tuple[Any, ...]:
    """Opened, funded and delivered."""
    fund(dvp, usdc, opened, financier)
    deliver(dvp, titles, opened, brand)
    return opened


# ------------------------------------------------------------------ open


@pytest.mark.parametrize("opener", ["retailer", "financier"], ids=["buyer", "funder"])
def test_the_buyer_or_the_funder_opens(
    dvp: Any, usdc: Any, tid: int, retailer: Any, financier: Any, brand: Any, opener: str
) -> None:
    sender = retailer if opener == "retailer" else financier
    t = terms(usdc, tid)
    tx = dvp.open(t, {"from": sender})
    assert bytes(tx.return_value) == sid(t) == bytes(dvp.settlementIdOf(t))
    assert logs(tx, dvp) == [
        event(
            "SettlementOpened",
            settlementId=sid(t),
            seller=brand,
            buyer=retailer,
            titleId=tid,
            token=usdc,
            amount=AMOUNT,
            deadline=t[5],
            terms=encode([TERMS_TYPES], [t]),
        )
    ]
    assert state(dvp, t) == (OPEN, False, False)
    with reverts_with("SettlementExists", sid(t)):
        dvp.open(t, {"from": retailer})
    salted = terms(usdc, tid, salt=b"\x01" * 32)
    assert bytes(dvp.open(salted, {"from": retailer}).return_value) == sid(salted) != sid(t)


def test_only_the_buyer_or_funder_active_opens(
    dvp: Any,
    usdc: Any,
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    brand: Any,
    retailer: Any,
    financier: Any,
    outsider: Any,
) -> None:
    t = terms(usdc, tid)
    for other in (brand, outsider, admin):  # the seller, an outsider, the admin
        with reverts_with("UnauthorizedParty", sid(t), other, "buyer or funder"):
            dvp.open(t, {"from": other})
    registry.suspend(members["retailer"], REASON, {"from": admin})
    with reverts_with("UnauthorizedParty", sid(t), retailer, "active member"):
        dvp.open(t, {"from": retailer})
    registry.revokeAccount(financier, {"from": admin})
    with reverts_with("UnauthorizedParty", sid(t), financier, "active member"):
        dvp.open(t, {"from": financier})
    assert state(dvp, t) == (NONE, False, False)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("seller", ZERO, "a party is the zero address"),
        ("buyer", ZERO, "a party is the zero address"),
        ("funder", ZERO, "a party is the zero address"),
        ("seller", "buyer", "the seller is the buyer"),
        ("token", "0x" + "ab" * 20, "token is not a contract"),
        ("amount", 0, "amount is zero"),
        ("deadline", "now", "deadline is not in the future"),
        ("deadline", "past", "deadline is not in the future"),
        ("requiredDocs", 1, "required documents of known types"),  # type 0 is none
        ("requiredDocs", 1 << 10, "required documents of known types"),
        ("titleId", 12345, "the title is not issued"),
        ("titleId", "surrendered", "the title is not issued"),
        # L5: the settlement or the title registry as a party would strand a leg in a contract that cannot act
        ("seller", "dvp", "a party is this contract or the title registry"),
        ("buyer", "dvp", "a party is this contract or the title registry"),
        ("funder", "dvp", "a party is this contract or the title registry"),
        ("seller", "titles", "a party is this contract or the title registry"),
        ("buyer", "titles", "a party is this contract or the title registry"),
        # a buyer that could never receive the title (settle would revert until the deadline)
        ("buyer", "outsider", "the buyer is no active member's account or contract"),
        ("buyer", "suspended", "the buyer is no active member's account or contract"),
        ("buyer", "revoked", "the buyer is no active member's account or contract"),
    ],
)
def test_invalid_terms_are_refused(
    dvp: Any,
    titles: Any,
    usdc: Any,
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    brand_key: Any,
    retailer: Any,
    manufacturer: Any,
    financier: Any,
    outsider: Any,
    field: str,
    value: Any,
    rule: str,
) -> None:
    latest = int(web3.eth.get_block("latest")["timestamp"])
    if value == "dvp":
        value = dvp.address
    elif value == "titles":
        value = titles.address
    elif value == "outsider":
        value = outsider.address
    elif value == "suspended":
        registry.suspend(members["manufacturer"], REASON, {"from": admin})
        value = manufacturer.address
    elif value == "revoked":
        registry.revokeAccount(brand_key, {"from": brand})
        value = brand_key.address
    elif value == "buyer":
        value = retailer.address
    elif value == "now":
        value = latest
    elif value == "past":
        value = latest - DAY
    elif value == "surrendered":
        titles.surrender(tid, False, ZERO32, {"from": brand})
        titles.acceptSurrender(tid, ZERO32, {"from": carrier})
        assert title(titles, tid)["status"] == SURRENDERED_DELIVERY
        value = tid
    t = terms(usdc, tid, **{field: value})
    sender = financier if field == "buyer" else retailer  # an opener that is a party of these terms
    with reverts_with("InvalidTerms", rule):
        dvp.open(t, {"from": sender})
    assert state(dvp, t) == (NONE, False, False)


def test_a_buyer_that_is_a_contract_the_registry_does_not_know_is_a_party(
    dvp: Any, titles: Any, usdc: Any, tid: int, admin: Any, financier: Any
) -> None:
    """A contract buyer (a bank's multisig, say) passes the buyer check of `open`, as it passes `isParty`."""
    multisig = ERC721ReceiverMock.deploy(True, {"from": admin})
    assert titles.isParty(multisig) is True
    t = terms(usdc, tid, buyer=multisig.address)
    tx = dvp.open(t, {"from": financier})
    assert bytes(tx.return_value) == sid(t) and state(dvp, t) == (OPEN, False, False)


# ------------------------------------------------------------------ fund


def test_the_funder_pays_in_once(
    dvp: Any, usdc: Any, tid: int, opened: tuple[Any, ...], financier: Any, retailer: Any, outsider: Any
) -> None:
    usdc.approve(dvp, AMOUNT, {"from": financier})
    for other in (retailer, outsider):
        with reverts_with("UnauthorizedParty", sid(opened), other, "funder"):
            dvp.fund(opened, {"from": other})
    before = usdc.balanceOf(financier)
    tx = dvp.fund(opened, {"from": financier})
    assert logs(tx, dvp) == [event("PaymentDeposited", settlementId=sid(opened), funder=financier, amount=AMOUNT)]
    assert usdc.balanceOf(dvp) == AMOUNT and before - usdc.balanceOf(financier) == AMOUNT
    assert state(dvp, opened) == (OPEN, True, False)
    usdc.approve(dvp, AMOUNT, {"from": financier})
    with reverts_with("AlreadyFunded", sid(opened)):
        dvp.fund(opened, {"from": financier})
    unopened = terms(usdc, tid, salt=b"\x02" * 32)
    with reverts_with("NonexistentSettlement", sid(unopened)):
        dvp.fund(unopened, {"from": financier})


def test_a_fee_on_transfer_token_is_refused(dvp: Any, tid: int, admin: Any, financier: Any) -> None:
    fee = FeeOnTransferToken.deploy({"from": admin})
    fee.mint(financier, AMOUNT, {"from": admin})
    t = terms(fee, tid)
    dvp.open(t, {"from": financier})
    fee.approve(dvp, AMOUNT, {"from": financier})
    with reverts_with("UnsupportedToken", fee, AMOUNT, AMOUNT - AMOUNT // 100):
        dvp.fund(t, {"from": financier})
    assert state(dvp, t) == (OPEN, False, False) and fee.balanceOf(dvp) == 0


def test_funding_and_delivery_close_at_the_deadline(
    dvp: Any, titles: Any, usdc: Any, opened: tuple[Any, ...], financier: Any, brand: Any
) -> None:
    usdc.approve(dvp, AMOUNT, {"from": financier})
    titles.approve(dvp, opened[6], {"from": brand})
    past_deadline(opened)
    with reverts_with("DeadlinePassed", sid(opened), opened[5]):
        dvp.fund(opened, {"from": financier})
    with reverts_with("DeadlinePassed", sid(opened), opened[5]):
        dvp.deliver(opened, {"from": brand})
    assert state(dvp, opened) == (OPEN, False, False)


# ------------------------------------------------------------------ deliver


def test_the_seller_delivers_its_approved_title(
    dvp: Any, titles: Any, opened: tuple[Any, ...], tid: int, brand: Any, retailer: Any
) -> None:
    with reverts_with("UnauthorizedParty", tid, dvp, "approved operator"):  # not approved yet: from the registry
        dvp.deliver(opened, {"from": brand})
    titles.approve(dvp, tid, {"from": brand})
    with reverts_with("UnauthorizedParty", sid(opened), retailer, "seller"):
        dvp.deliver(opened, {"from": retailer})
    tx = dvp.deliver(opened, {"from": brand})
    assert logs(tx, dvp) == [event("TitleDeposited", settlementId=sid(opened), seller=brand, titleId=tid)]
    assert logs(tx, titles) == [  # the approval spent is cleared, with ERC-721's Approval to zero (L2)
        event("Approval", owner=brand, approved=ZERO, tokenId=tid),
        transfer(brand, dvp, tid),
        endorsed(tid, brand, dvp),
    ]
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"], got["undo"], got["approved"]) == (
        dvp.address,
        dvp.address,
        BOTH,
        ZERO,
    )
    assert state(dvp, opened) == (OPEN, False, True)
    with reverts_with("AlreadyDelivered", sid(opened)):
        dvp.deliver(opened, {"from": brand})


def test_once_delivered_the_seller_can_neither_move_nor_surrender_the_title(
    dvp: Any, titles: Any, ready: tuple[Any, ...], tid: int, brand: Any, manufacturer: Any
) -> None:
    for action in (
        lambda: titles.transferHolder(tid, manufacturer, ZERO32, {"from": brand}),
        lambda: titles.surrender(tid, False, ZERO32, {"from": brand}),
        lambda: titles.pledge(tid, 4, {"from": brand}),
    ):
        with reverts_with("UnauthorizedParty", tid, brand, "holder"):
            action()
    with reverts_with("UnauthorizedParty", tid, brand, "holder and beneficiary"):
        titles.reject(tid, brand, brand, ZERO32, {"from": brand})  # only the settlement returns it (refund)
    assert title(titles, tid)["holder"] == dvp.address


def test_another_seller_cannot_deliver_someone_elses_approved_title(
    dvp: Any, titles: Any, usdc: Any, tid: int, brand: Any, manufacturer: Any, financier: Any
) -> None:
    titles.approve(dvp, tid, {"from": brand})  # the brand approved the settlement contract for its own sale
    t = terms(usdc, tid, seller=manufacturer.address)  # a settlement naming the manufacturer as seller
    dvp.open(t, {"from": financier})
    with reverts_with("UnauthorizedParty", tid, manufacturer, "holder and beneficiary"):
        dvp.deliver(t, {"from": manufacturer})
    assert title(titles, tid)["holder"] == brand.address and state(dvp, t) == (OPEN, False, False)


# ------------------------------------------------------------------ settle


@pytest.mark.parametrize("caller", ["brand", "retailer", "financier"], ids=["seller", "buyer", "funder"])
def test_settle_pays_the_seller_and_gives_the_buyer_the_title_in_one_transaction(
    dvp: Any,
    titles: Any,
    usdc: Any,
    ready: tuple[Any, ...],
    tid: int,
    brand: Any,
    retailer: Any,
    financier: Any,
    caller: str,
) -> None:
    sender = {"brand": brand, "retailer": retailer, "financier": financier}[caller]
    seller_before = usdc.balanceOf(brand)
    tx = dvp.settle(ready, [], {"from": sender})
    assert logs(tx, dvp) == [
        event("Settled", settlementId=sid(ready), seller=brand, buyer=retailer, amount=AMOUNT),
    ]
    assert logs(tx, titles) == [transfer(dvp, retailer, tid), endorsed(tid, dvp, retailer)]
    assert logs(tx, usdc) == [event("Transfer", from_=dvp, to=brand, value=AMOUNT)]
    assert usdc.balanceOf(brand) - seller_before == AMOUNT and usdc.balanceOf(dvp) == 0
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"], got["status"]) == (retailer.address, retailer.address, ISSUED)
    assert titles.ownerOf(tid) == retailer
    assert state(dvp, ready) == (SETTLED, False, False)
    with reverts_with("SettlementNotOpen", sid(ready), SETTLED):
        dvp.settle(ready, [], {"from": sender})
    past_deadline(ready)
    with reverts_with("SettlementNotOpen", sid(ready), SETTLED):
        dvp.refund(ready, {"from": financier})


def test_after_settle_the_buyer_cannot_strand_the_title_in_the_settlement_contract(
    dvp: Any, titles: Any, ready: tuple[Any, ...], tid: int, brand: Any, retailer: Any
) -> None:
    """A settlement hands the title over for good: it took the title over into custody (takeOver, in deliver),
    and a custodian's transfers are not rejectable (L1), so the buyer cannot send it back into a settlement that
    could never move it again. (An ordinary contract holder's transfers are: see test_title_registry.)"""
    dvp.settle(ready, [], {"from": brand})
    assert title(titles, tid)["undo"] == 0
    with reverts_with("NothingToReject", tid):
        titles.reject(tid, dvp, dvp, ZERO32, {"from": retailer})
    assert title(titles, tid)["holder"] == retailer.address
    titles.transferHolder(tid, brand, ZERO32, {"from": retailer})  # the custody went with the settlement's
    assert title(titles, tid)["undo"] == HOLDER  # transfer: the buyer's own transfers are rejectable (L1)


def test_only_a_party_of_the_terms_settles(
    dvp: Any, ready: tuple[Any, ...], outsider: Any, manufacturer: Any, admin: Any
) -> None:
    for other in (outsider, manufacturer, admin):
        with reverts_with("UnauthorizedParty", sid(ready), other, "seller, buyer or funder"):
            dvp.settle(ready, [], {"from": other})
    assert state(dvp, ready) == (OPEN, True, True)


def test_settle_needs_the_payment_and_the_title_in(
    dvp: Any, titles: Any, usdc: Any, opened: tuple[Any, ...], financier: Any, brand: Any
) -> None:
    with reverts_with("NotFunded", sid(opened)):
        dvp.settle(opened, [], {"from": brand})
    fund(dvp, usdc, opened, financier)
    with reverts_with("NotDelivered", sid(opened)):
        dvp.settle(opened, [], {"from": brand})
    deliver(dvp, titles, opened, brand)
    dvp.settle(opened, [], {"from": brand})
    assert state(dvp, opened) == (SETTLED, False, False)


def test_settle_needs_the_documents_naming_the_settlement(
    dvp: Any,
    titles: Any,
    documents: Any,
    usdc: Any,
    tid: int,
    members: dict[str, int],
    carrier: Any,
    inspector: Any,
    brand: Any,
    retailer: Any,
    financier: Any,
) -> None:
    t = terms(usdc, tid, requiredDocs=DOCS, docIssuer=members["inspector"])
    dvp.open(t, {"from": financier})
    fund(dvp, usdc, t, financier)
    deliver(dvp, titles, t, brand)
    settlement = sid(t)
    with reverts_with("ConditionsNotMet", settlement, DOCS):
        dvp.settle(t, [], {"from": brand})
    other = terms(usdc, tid, salt=b"\x09" * 32)  # another settlement of the same title
    dvp.open(other, {"from": financier})
    by_trade = proven(documents, inspector, DELIVERY, b"delivered-trade", b"KE-CN-EBL-0042".ljust(32, b"\0"))
    for_other = proven(documents, inspector, DELIVERY, b"delivered-other", sid(other))
    by_carrier = proven(documents, carrier, DELIVERY, b"delivered-carrier", settlement)  # not the docIssuer
    wrong = [by_trade, for_other, by_carrier]
    assert dvp.missingDocuments(t, wrong) == DOCS
    with reverts_with("ConditionsNotMet", settlement, DOCS):
        dvp.settle(t, wrong, {"from": brand})
    delivery = proven(documents, inspector, DELIVERY, b"delivered", settlement)
    with reverts_with("ConditionsNotMet", settlement, 1 << INSPECTION):
        dvp.settle(t, [*wrong, delivery], {"from": brand})
    inspection = proven(documents, inspector, INSPECTION, b"inspected", settlement)
    assert dvp.missingDocuments(t, [delivery, inspection]) == 0
    tx = dvp.settle(t, [delivery, inspection], {"from": retailer})
    assert "Settled" in tx.events and title(titles, tid)["holder"] == retailer.address


def test_documents_of_any_issuer_with_the_role_count_without_a_doc_issuer(
    dvp: Any, titles: Any, documents: Any, usdc: Any, tid: int, carrier: Any, brand: Any, financier: Any
) -> None:
    t = terms(usdc, tid, requiredDocs=1 << DELIVERY)
    dvp.open(t, {"from": financier})
    fund(dvp, usdc, t, financier)
    deliver(dvp, titles, t, brand)
    by_brand = proven(documents, brand, DELIVERY, b"self-attested", sid(t))  # a brand has no carrier role
    with reverts_with("ConditionsNotMet", sid(t), 1 << DELIVERY):
        dvp.settle(t, [by_brand], {"from": brand})
    by_carrier = proven(documents, carrier, DELIVERY, b"delivered", sid(t))
    dvp.settle(t, [by_brand, by_carrier], {"from": brand})
    assert state(dvp, t) == (SETTLED, False, False)


def _financed_settlement(
    dvp: Any, titles: Any, invoices: Any, usdc: Any, tid: int, brand: Any, financier: Any
) -> tuple[Any, ...]:
    """A financed settlement whose funder's bank registered the whole invoice, funded and delivered."""
    t = terms(usdc, tid, invoice=FP)
    dvp.open(t, {"from": financier})
    invoices.register(FP, 10_000, NO_SECONDARY, {"from": financier})
    fund(dvp, usdc, t, financier)
    deliver(dvp, titles, t, brand)
    return t


@pytest.mark.parametrize(
    "shares",
    [
        [],  # not registered
        [("bank2", 10_000)],  # by another financier
        [("financier", 6_000), ("bank2", 4_000)],  # partly by the funder, the rest by another
        [("bank2", 6_000), ("financier", 4_000)],  # another financed it first
        [("financier", 10_000), "settled"],  # repaid already
        [("financier", 6_000)],  # by the funder, only in part
    ],
    ids=["unregistered", "another-org", "funder-and-another", "another-first", "settled", "funder-in-part"],
)
def test_a_financed_settlement_is_funded_only_against_the_invoice_financed_by_the_funder_alone(
    dvp: Any,
    titles: Any,
    invoices: Any,
    usdc: Any,
    tid: int,
    financier: Any,
    bank2: tuple[Any, int],
    shares: list[Any],
) -> None:
    """M3: the funder pays in only against an invoice its organisation registered in whole, so nobody can register
    it first, once the terms are public, and strand the payment until the deadline."""
    t = terms(usdc, tid, invoice=FP)
    dvp.open(t, {"from": financier})
    banks = {"financier": financier, "bank2": bank2[0]}
    for share in shares:
        if share == "settled":
            invoices.settle(FP, {"from": financier})
        else:
            invoices.register(FP, share[1], NO_SECONDARY, {"from": banks[share[0]]})
    usdc.approve(dvp, AMOUNT, {"from": financier})
    funder_before = usdc.balanceOf(financier)
    with reverts_with("InvoiceNotFinanced", sid(t), FP):
        dvp.fund(t, {"from": financier})
    assert state(dvp, t) == (OPEN, False, False)
    assert usdc.balanceOf(financier) == funder_before and usdc.balanceOf(dvp) == 0


def test_an_unfinanced_settlement_is_funded_without_any_invoice(
    dvp: Any, usdc: Any, opened: tuple[Any, ...], invoices: Any, financier: Any
) -> None:
    """The invoice is checked only when the terms name one (invoice zero: no financing)."""
    assert opened[9] == ZERO32
    tx = fund(dvp, usdc, opened, financier)
    assert logs(tx, dvp) == [event("PaymentDeposited", settlementId=sid(opened), funder=financier, amount=AMOUNT)]
    assert state(dvp, opened) == (OPEN, True, False)


@pytest.mark.parametrize("change", ["settle", "cancel"], ids=["repaid", "cancelled"])
def test_settle_checks_the_invoice_again_after_funding(
    dvp: Any, titles: Any, invoices: Any, usdc: Any, tid: int, brand: Any, financier: Any, change: str
) -> None:
    """The invoice held when funded, but the funder's share was repaid or withdrawn since: no settlement."""
    t = _financed_settlement(dvp, titles, invoices, usdc, tid, brand, financier)
    getattr(invoices, change)(FP, {"from": financier})
    seller_before = usdc.balanceOf(brand)
    with reverts_with("InvoiceNotFinanced", sid(t), FP):
        dvp.settle(t, [], {"from": brand})
    assert usdc.balanceOf(brand) == seller_before and usdc.balanceOf(dvp) == AMOUNT
    assert title(titles, tid)["holder"] == dvp.address and state(dvp, t) == (OPEN, True, True)


def test_a_financed_settlement_settles_when_the_funders_organisation_financed_all_of_it(
    dvp: Any,
    titles: Any,
    invoices: Any,
    usdc: Any,
    tid: int,
    registry: Any,
    members: dict[str, int],
    brand: Any,
    retailer: Any,
    financier: Any,
) -> None:
    t = terms(usdc, tid, invoice=FP)
    dvp.open(t, {"from": financier})
    registry.addAccount(members["financier"], accounts[13], False, {"from": financier})
    invoices.register(FP, 10_000, NO_SECONDARY, {"from": accounts[13]})  # another account of the funder's bank
    fund(dvp, usdc, t, financier)
    deliver(dvp, titles, t, brand)
    tx = dvp.settle(t, [], {"from": brand})
    assert logs(tx, dvp) == [event("Settled", settlementId=sid(t), seller=brand, buyer=retailer, amount=AMOUNT)]
    assert title(titles, tid)["holder"] == retailer.address and usdc.balanceOf(brand) == AMOUNT


def test_no_settle_after_the_deadline(dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], brand: Any) -> None:
    past_deadline(ready)
    with reverts_with("DeadlinePassed", sid(ready), ready[5]):
        dvp.settle(ready, [], {"from": brand})
    assert state(dvp, ready) == (OPEN, True, True) and usdc.balanceOf(dvp) == AMOUNT


def test_a_frozen_title_makes_settle_revert_and_nothing_moves(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, carrier: Any, brand: Any
) -> None:
    titles.setFrozen(tid, True, keccak(b"court order"), {"from": carrier})
    seller_before = usdc.balanceOf(brand)
    with reverts_with("TitleFrozen", tid):
        dvp.settle(ready, [], {"from": brand})
    assert usdc.balanceOf(dvp) == AMOUNT and usdc.balanceOf(brand) == seller_before
    assert title(titles, tid)["holder"] == dvp.address and state(dvp, ready) == (OPEN, True, True)


def test_a_buyer_no_longer_a_party_makes_settle_revert(
    dvp: Any,
    titles: Any,
    usdc: Any,
    ready: tuple[Any, ...],
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    brand: Any,
    retailer: Any,
) -> None:
    registry.suspend(members["retailer"], REASON, {"from": admin})
    with reverts_with("InvalidParty", retailer):
        dvp.settle(ready, [], {"from": brand})
    assert usdc.balanceOf(dvp) == AMOUNT and title(titles, tid)["holder"] == dvp.address


@pytest.mark.parametrize("how", ["revoked", "suspended"])
def test_settle_refuses_a_seller_no_longer_a_party_and_each_side_gets_its_own_back(
    dvp: Any,
    titles: Any,
    documents: Any,
    usdc: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    carrier: Any,
    brand: Any,
    brand_key: Any,
    retailer: Any,
    financier: Any,
    how: str,
) -> None:
    """M2: the seller's key, revoked since it delivered (a leaked key), or its organisation suspended, is not paid;
    after the deadline the funder gets the payment back, the title returns to the key, and the carrier recovers it
    from the revoked key on a court order (freeze + reassign)."""
    tid = issue(titles, documents, carrier, brand_key, brand_key, b"bl-key")
    t = terms(usdc, tid, seller=brand_key.address)
    dvp.open(t, {"from": financier})
    fund(dvp, usdc, t, financier)
    deliver(dvp, titles, t, brand_key)
    if how == "revoked":
        registry.revokeAccount(brand_key, {"from": brand})
    else:
        registry.suspend(members["brand"], REASON, {"from": admin})
    assert titles.isParty(brand_key) is False
    for sender in (retailer, financier):
        with reverts_with("UnauthorizedParty", sid(t), brand_key, "active seller"):
            dvp.settle(t, [], {"from": sender})
    assert state(dvp, t) == (OPEN, True, True) and usdc.balanceOf(dvp) == AMOUNT
    assert usdc.balanceOf(brand_key) == 0 and title(titles, tid)["holder"] == dvp.address
    past_deadline(t)
    funder_before = usdc.balanceOf(financier)
    tx = dvp.refund(t, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["PaymentRefunded", "TitleReturned"]
    assert usdc.balanceOf(financier) - funder_before == AMOUNT and state(dvp, t) == (CLOSED, False, False)
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"]) == (brand_key.address, brand_key.address)
    if how == "revoked":  # the lost key can never act again: the issuing carrier reassigns on a court order
        titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
        tx = titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
        assert logs(tx, titles) == [
            event("TitleReassigned", titleId=tid, by=carrier, courtOrderHash=COURT_ORDER),
            transfer(brand_key, brand, tid),
            endorsed(tid, brand_key, brand),
        ]
        got = title(titles, tid)
        assert (got["holder"], got["beneficiary"], got["frozen"]) == (brand.address, brand.address, True)


# ------------------------------------------------------------------ refund


def test_refund_returns_each_side_its_own_after_the_deadline_once(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, brand: Any, financier: Any, outsider: Any
) -> None:
    with reverts_with("DeadlineNotPassed", sid(ready), ready[5]):
        dvp.refund(ready, {"from": financier})
    past_deadline(ready)
    with reverts_with("UnauthorizedParty", sid(ready), outsider, "seller, buyer or funder"):
        dvp.refund(ready, {"from": outsider})
    funder_before = usdc.balanceOf(financier)
    tx = dvp.refund(ready, {"from": brand})
    assert logs(tx, dvp) == [
        event("PaymentRefunded", settlementId=sid(ready), funder=financier, amount=AMOUNT),
        event("TitleReturned", settlementId=sid(ready), seller=brand, titleId=tid),
    ]
    assert logs(tx, titles) == [
        event("TransferRejected", titleId=tid, by=dvp, what=BOTH),
        transfer(dvp, brand, tid),
        endorsed(tid, dvp, brand),
    ]
    assert logs(tx, usdc) == [event("Transfer", from_=dvp, to=financier, value=AMOUNT)]
    assert usdc.balanceOf(financier) - funder_before == AMOUNT and usdc.balanceOf(dvp) == 0
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"], got["undo"]) == (brand.address, brand.address, 0)
    assert state(dvp, ready) == (CLOSED, False, False)
    with reverts_with("SettlementNotOpen", sid(ready), CLOSED):
        dvp.refund(ready, {"from": financier})
    with reverts_with("SettlementNotOpen", sid(ready), CLOSED):
        dvp.settle(ready, [], {"from": financier})


def test_refund_of_the_payment_alone_and_of_the_title_alone(
    dvp: Any, titles: Any, usdc: Any, tid: int, documents: Any, carrier: Any, brand: Any, financier: Any
) -> None:
    paid = terms(usdc, tid)
    dvp.open(paid, {"from": financier})
    fund(dvp, usdc, paid, financier)
    delivered = terms(usdc, tid, salt=b"\x05" * 32)
    dvp.open(delivered, {"from": financier})
    deliver(dvp, titles, delivered, brand)
    past_deadline(delivered)
    tx = dvp.refund(paid, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["PaymentRefunded"] and logs(tx, titles) == []
    assert state(dvp, paid) == (CLOSED, False, False)
    tx = dvp.refund(delivered, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["TitleReturned"] and logs(tx, usdc) == []
    assert state(dvp, delivered) == (CLOSED, False, False) and title(titles, tid)["holder"] == brand.address


def test_nothing_to_refund(dvp: Any, opened: tuple[Any, ...], financier: Any) -> None:
    past_deadline(opened)
    with reverts_with("NothingToRefund", sid(opened)):
        dvp.refund(opened, {"from": financier})
    assert state(dvp, opened) == (OPEN, False, False)


def test_a_frozen_title_stays_while_the_payment_returns_then_returns_once_unfrozen(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, carrier: Any, brand: Any, financier: Any
) -> None:
    titles.setFrozen(tid, True, keccak(b"court order"), {"from": carrier})
    past_deadline(ready)
    funder_before = usdc.balanceOf(financier)
    tx = dvp.refund(ready, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["PaymentRefunded"] and logs(tx, titles) == []
    assert usdc.balanceOf(financier) - funder_before == AMOUNT
    assert state(dvp, ready) == (OPEN, False, True) and title(titles, tid)["holder"] == dvp.address
    with reverts_with("NothingToRefund", sid(ready)):
        dvp.refund(ready, {"from": financier})
    titles.setFrozen(tid, False, keccak(b"order lifted"), {"from": carrier})
    tx = dvp.refund(ready, {"from": brand})
    assert logs(tx, dvp) == [event("TitleReturned", settlementId=sid(ready), seller=brand, titleId=tid)]
    assert logs(tx, usdc) == []
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"]) == (brand.address, brand.address)
    assert state(dvp, ready) == (CLOSED, False, False)
    with reverts_with("SettlementNotOpen", sid(ready), CLOSED):
        dvp.refund(ready, {"from": brand})


def test_a_seller_suspended_meanwhile_still_gets_its_title_back(
    dvp: Any,
    titles: Any,
    ready: tuple[Any, ...],
    tid: int,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    brand: Any,
    financier: Any,
) -> None:
    registry.suspend(members["brand"], REASON, {"from": admin})
    past_deadline(ready)
    dvp.refund(ready, {"from": financier})
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"]) == (brand.address, brand.address)


# ------------------------------------------------------------------ returnTitle (the title leg alone)


@pytest.fixture
def blocked(dvp: Any, titles: Any, tid: int, admin: Any, brand: Any, financier: Any) -> tuple[Any, tuple[Any, ...]]:
    """A settlement in a token with a blocklist, funded and delivered; the token then blocks the funder, so the
    payment leg of refund cannot go through: (token, terms)."""
    token = BlockingToken.deploy({"from": admin})
    token.mint(financier, AMOUNT, {"from": admin})
    t = terms(token, tid)
    dvp.open(t, {"from": financier})
    fund(dvp, token, t, financier)
    deliver(dvp, titles, t, brand)
    token.setBlocked(financier, True, {"from": admin})
    return token, t


def test_a_blocked_payment_leg_still_lets_return_title_give_the_title_back(
    dvp: Any,
    titles: Any,
    tid: int,
    blocked: tuple[Any, tuple[Any, ...]],
    admin: Any,
    brand: Any,
    financier: Any,
    outsider: Any,
) -> None:
    """M1: refund reverts as a whole while the token blocks the funder; returnTitle gives the seller its title back
    alone, the payment stays in until it can go back."""
    token, t = blocked
    with reverts_with("DeadlineNotPassed", sid(t), t[5]):
        dvp.returnTitle(t, {"from": brand})
    past_deadline(t)
    with reverts_with("Blocked", financier):
        dvp.refund(t, {"from": financier})
    assert state(dvp, t) == (OPEN, True, True) and title(titles, tid)["holder"] == dvp.address
    for other in (outsider, admin):
        with reverts_with("UnauthorizedParty", sid(t), other, "seller, buyer or funder"):
            dvp.returnTitle(t, {"from": other})
    tx = dvp.returnTitle(t, {"from": brand})
    assert logs(tx, dvp) == [event("TitleReturned", settlementId=sid(t), seller=brand, titleId=tid)]
    assert logs(tx, titles) == [
        event("TransferRejected", titleId=tid, by=dvp, what=BOTH),
        transfer(dvp, brand, tid),
        endorsed(tid, dvp, brand),
    ]
    assert logs(tx, token) == []
    got = title(titles, tid)
    assert (got["holder"], got["beneficiary"], got["undo"]) == (brand.address, brand.address, 0)
    assert state(dvp, t) == (OPEN, True, False) and token.balanceOf(dvp) == AMOUNT
    with reverts_with("NotDelivered", sid(t)):
        dvp.returnTitle(t, {"from": brand})  # once
    token.setBlocked(financier, False, {"from": admin})
    tx = dvp.refund(t, {"from": financier})  # the payment leg, once it can go through
    assert logs(tx, dvp) == [event("PaymentRefunded", settlementId=sid(t), funder=financier, amount=AMOUNT)]
    assert logs(tx, titles) == []
    assert token.balanceOf(financier) == AMOUNT and token.balanceOf(dvp) == 0
    assert state(dvp, t) == (CLOSED, False, False)
    with reverts_with("SettlementNotOpen", sid(t), CLOSED):
        dvp.returnTitle(t, {"from": brand})


@pytest.mark.parametrize("caller", ["retailer", "financier"], ids=["buyer", "funder"])
def test_return_title_of_an_unfunded_settlement_closes_it(
    dvp: Any, titles: Any, opened: tuple[Any, ...], tid: int, brand: Any, retailer: Any, financier: Any, caller: str
) -> None:
    """The title was the only leg in: returning it closes the settlement (any party of the terms may call)."""
    deliver(dvp, titles, opened, brand)
    past_deadline(opened)
    tx = dvp.returnTitle(opened, {"from": retailer if caller == "retailer" else financier})
    assert logs(tx, dvp) == [event("TitleReturned", settlementId=sid(opened), seller=brand, titleId=tid)]
    assert state(dvp, opened) == (CLOSED, False, False) and title(titles, tid)["holder"] == brand.address


def test_return_title_refusals(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, carrier: Any, brand: Any, retailer: Any
) -> None:
    """Nothing delivered, a title its issuer froze (it stays, as with refund), an unknown settlement."""
    undelivered = terms(usdc, tid, salt=b"\x07" * 32, deadline=ready[5])
    dvp.open(undelivered, {"from": retailer})
    unopened = terms(usdc, tid, salt=b"\x08" * 32, deadline=ready[5])
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    past_deadline(ready)
    with reverts_with("NotDelivered", sid(undelivered)):
        dvp.returnTitle(undelivered, {"from": brand})
    with reverts_with("NonexistentSettlement", sid(unopened)):
        dvp.returnTitle(unopened, {"from": brand})
    with reverts_with("TitleFrozen", tid):
        dvp.returnTitle(ready, {"from": brand})
    assert state(dvp, ready) == (OPEN, True, True) and title(titles, tid)["holder"] == dvp.address


def test_return_title_after_settle_is_refused(
    dvp: Any, titles: Any, ready: tuple[Any, ...], tid: int, brand: Any, retailer: Any
) -> None:
    dvp.settle(ready, [], {"from": brand})
    past_deadline(ready)
    with reverts_with("SettlementNotOpen", sid(ready), SETTLED):
        dvp.returnTitle(ready, {"from": brand})
    assert title(titles, tid)["holder"] == retailer.address


# ------------------------------------------------------------------ a reentrant token


@pytest.mark.parametrize("when", ["settle", "refund"])
@pytest.mark.parametrize("reentry", ["settle", "refund"])
def test_a_reentrant_token_cannot_take_both(
    dvp: Any,
    titles: Any,
    tid: int,
    admin: Any,
    brand: Any,
    retailer: Any,
    financier: Any,
    when: str,
    reentry: str,
) -> None:
    """The token calls the settlement again while it pays out (the seller on settle, the funder on refund): the
    reentrancy guard refuses the second call, and exactly one side's outcome happens."""
    evil = ReentrantToken.deploy({"from": admin})
    evil.mint(financier, AMOUNT, {"from": admin})
    t = terms(evil, tid)
    dvp.open(t, {"from": financier})
    fund(dvp, evil, t, financier)
    deliver(dvp, titles, t, brand)
    payload = dvp.settle.encode_input(t, []) if reentry == "settle" else dvp.refund.encode_input(t)
    evil.arm(dvp, payload, {"from": admin})
    if when == "settle":
        dvp.settle(t, [], {"from": brand})
    else:
        past_deadline(t)
        dvp.refund(t, {"from": financier})
    assert evil.reentered() is True and evil.reentrySucceeded() is False
    assert evil.balanceOf(dvp) == 0
    got = title(titles, tid)
    if when == "settle":
        assert evil.balanceOf(brand) == AMOUNT and evil.balanceOf(financier) == 0
        assert (got["holder"], got["beneficiary"]) == (retailer.address, retailer.address)
        assert state(dvp, t) == (SETTLED, False, False)
    else:
        assert evil.balanceOf(financier) == AMOUNT and evil.balanceOf(brand) == 0
        assert (got["holder"], got["beneficiary"]) == (brand.address, brand.address)
        assert state(dvp, t) == (CLOSED, False, False)


# ------------------------------------------------------------------ a title reassigned out of a settlement


def test_a_title_reassigned_out_of_a_settlement_does_not_strand_the_payment(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, carrier: Any, brand: Any, financier: Any
) -> None:
    """A title its carrier reassigned out of a settlement (on a court order) is no longer there: refund returns the
    payment, says the title left, and closes the settlement."""
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
    titles.setFrozen(tid, False, COURT_ORDER, {"from": carrier})
    assert title(titles, tid)["holder"] == brand.address
    past_deadline(ready)
    funder_before = usdc.balanceOf(financier)
    tx = dvp.refund(ready, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["PaymentRefunded", "TitleLeftSettlement"]
    assert usdc.balanceOf(financier) - funder_before == AMOUNT and usdc.balanceOf(dvp) == 0
    assert state(dvp, ready) == (CLOSED, False, False)
    assert title(titles, tid)["holder"] == brand.address  # nothing moved it


def test_a_payment_refunded_while_the_reassigned_title_is_still_frozen(
    dvp: Any, titles: Any, usdc: Any, ready: tuple[Any, ...], tid: int, carrier: Any, brand: Any, financier: Any
) -> None:
    """Reassigned away while still frozen: the title is no longer the settlement's, so refund returns the payment and
    closes the settlement, whatever the freeze."""
    titles.setFrozen(tid, True, COURT_ORDER, {"from": carrier})
    titles.reassign(tid, brand, brand, COURT_ORDER, {"from": carrier})
    past_deadline(ready)
    funder_before = usdc.balanceOf(financier)
    tx = dvp.refund(ready, {"from": financier})
    assert [name for name, _ in logs(tx, dvp)] == ["PaymentRefunded", "TitleLeftSettlement"]
    assert usdc.balanceOf(financier) - funder_before == AMOUNT and usdc.balanceOf(dvp) == 0
    assert state(dvp, ready) == (CLOSED, False, False)

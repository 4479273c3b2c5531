"""InvoiceRegistry through the SDK: no double financing, syndication up to 100%, settlement, cancellation,
batches with duplicates, and near-duplicates found by their secondary fingerprints."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import INVOICE, INVOICE_KEY

from tradechain.contracts.invoice_registry import Status
from tradechain.errors import InputError, NearDuplicateFound, revert_class
from tradechain.formats import invoice_fingerprints

KEY, BASE = INVOICE_KEY, INVOICE


def fp(**changes: Any) -> invoice_fingerprints.Fingerprints:
    return invoice_fingerprints.fingerprints(invoice_fingerprints.canonicalise({**BASE, **changes}), KEY)


def test_second_financier_cannot_finance_same_invoice(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    receipt = bank_a.invoices.register(fp())
    assert receipt.gas_used < 80_000
    with pytest.raises(revert_class("InvoiceAlreadyFinanced")) as info:
        bank_b.invoices.register(fp(number="inv 2024 0042"))  # the same invoice, reformatted
    assert info.value.organisation == sdk_members["financier"] and info.value.since > 0
    assert "InvoiceAlreadyFinanced" in info.value.user_message
    check = bank_b.invoices.check(fp())
    assert (check.status, check.total_bps, check.first_org) == (Status.FINANCED, 10_000, sdk_members["financier"])


def test_syndication_adds_up_to_100_percent_never_more(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp(), 6_000)
    bank_b.invoices.register(fp(), 4_000)
    assert bank_a.invoices.check(fp()).total_bps == 10_000
    bank_a.invoices.cancel(fp())  # bank A withdraws its 60%
    assert bank_a.invoices.check(fp()).total_bps == 4_000
    with pytest.raises(revert_class("AlreadyParticipating")):
        bank_b.invoices.register(fp(), 1_000)  # bank B takes part already
    bank_a.invoices.register(fp(), 6_000)  # after cancelling, bank A may join again
    with pytest.raises(revert_class("InvoiceAlreadyFinanced")):
        bank_b.invoices.register(fp(amount="1250"), 1)  # over 100%


def test_a_settled_invoice_is_never_financed_again(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp())
    with pytest.raises(revert_class("NotParticipating")):
        bank_b.invoices.settle(fp())
    bank_a.invoices.settle(fp())
    assert bank_b.invoices.check(fp()).status == Status.SETTLED
    with pytest.raises(revert_class("InvoiceAlreadySettled")):
        bank_b.invoices.register(fp())
    with pytest.raises(revert_class("InvoiceAlreadySettled")):
        bank_a.invoices.cancel(fp())


def test_each_financier_settles_its_own_share_and_the_invoice_when_all_are(
    sdk_as: Any, sdk_members: dict[str, int]
) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp(), 9_999)
    bank_b.invoices.register(fp(), 1)  # a 1-bps share
    receipt = bank_b.invoices.settle(fp())  # settles its own basis point, not the 99.99%
    assert bank_b.invoices.settlement(receipt) == {
        "organisation": sdk_members["financier2"],
        "shareBps": 1,
        "settledBps": 1,
    }
    check = bank_a.invoices.check(fp())
    assert (check.status, check.settled_bps, check.outstanding_bps) == (Status.FINANCED, 1, 9_999)
    assert check.settled_shares == [{"organisation": sdk_members["financier2"], "shareBps": 1}]
    with pytest.raises(revert_class("ShareAlreadySettled")) as info:
        bank_b.invoices.settle(fp())
    assert info.value.organisation == sdk_members["financier2"]
    with pytest.raises(revert_class("ShareAlreadySettled")):
        bank_b.invoices.cancel(fp())  # a settled share is never withdrawn
    with pytest.raises(revert_class("InvoiceAlreadySettled")):  # once any share is settled, no new financing
        sdk_as("financier").invoices.register(fp(amount="1250"), 1)
    bank_a.invoices.settle(fp())
    check = bank_a.invoices.check(fp())
    assert (check.status, check.settled_bps) == (Status.SETTLED, 10_000)
    assert [s["organisation"] for s in check.settled_shares] == [sdk_members["financier2"], sdk_members["financier"]]


def test_cancelling_the_last_unsettled_share_leaves_the_invoice_settled(
    sdk_as: Any, sdk_members: dict[str, int]
) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp(), 6_000)
    bank_b.invoices.register(fp(), 4_000)
    bank_b.invoices.settle(fp())
    receipt = bank_a.invoices.cancel(fp())  # bank A's deal fell through; bank B was repaid
    assert bank_a.invoices.cancellation(receipt) == {"organisation": sdk_members["financier"], "shareBps": 6_000}
    check = bank_a.invoices.check(fp())
    assert (check.status, check.total_bps, check.settled_bps) == (Status.SETTLED, 4_000, 4_000)


def test_a_throw_away_key_acknowledging_first_blocks_nobody(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    buyer, squatter, bank = sdk_as("customer"), sdk_as("customer2"), sdk_as("financier")
    deadline = _latest_time(bank) + 3_600
    bank.invoices.acknowledge(squatter.invoices.sign_acknowledgment(fp(), deadline=deadline))
    check = bank.invoices.check(fp(), buyer=buyer.signer.address)
    assert check.acknowledged_by == [squatter.signer.address] and check.buyer_acknowledged_at == 0
    ack = buyer.invoices.sign_acknowledgment(fp(), deadline=deadline)
    bank.invoices.acknowledge(ack)  # the real buyer still can
    check = bank.invoices.check(fp(), buyer=buyer.signer.address)
    assert check.acknowledged_by == [squatter.signer.address, buyer.signer.address]
    assert check.buyer_acknowledged_at > 0
    assert check.to_json()["buyerAcknowledgedAt"] == check.buyer_acknowledged_at
    with pytest.raises(InputError, match="buyer: an address is"):
        bank.invoices.check(fp(), buyer="0x123")


def test_a_cancelled_financing_frees_the_invoice(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp())
    bank_a.invoices.cancel(fp())
    assert bank_b.invoices.check(fp()).status == Status.NONE
    bank_b.invoices.register(fp())
    assert bank_b.invoices.check(fp()).first_org == sdk_members["financier2"]


def test_an_altered_invoice_number_is_flagged_as_a_near_duplicate(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp())
    altered = fp(number="INV-2024/0042-A")
    check = bank_b.invoices.check(altered)
    assert check.status == Status.NONE
    assert check.near == [{"fingerprint": "0x" + fp().primary.hex(), "differsIn": "number"}]
    bank_a.invoices.settle(fp())
    assert len(bank_b.invoices.check(altered).near) == 1  # a settled invoice still counts


def test_a_cancelled_financing_is_no_longer_a_near_duplicate(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp())
    bank_a.invoices.cancel(fp())  # the deal fell through: the invoice is free
    assert bank_b.invoices.check(fp(number="INV-2024/0042-A")).near == []


def book_item(i: int) -> invoice_fingerprints.Fingerprints:
    """Invoice ``i`` of a portfolio, with a number and an amount of its own (invoices the same but for one field are
    near-duplicates)."""
    return fp(number=str(i), amount=f"{100 + i}.00")


def test_a_portfolio_with_duplicates_is_registered_per_item(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_b.invoices.register(book_item(7))  # financed elsewhere already
    book = [book_item(i) for i in range(300)] + [book_item(12)]  # 7 is elsewhere, 12 twice
    result = bank_a.invoices.register_batch(book, batch_size=120)
    assert len(result.transactions) == 3 and len(result.financed) == 301
    assert result.refused == [7, 300] and result.already == [] and result.near_duplicates == []
    assert bank_a.invoices.check(book_item(299)).first_org == sdk_members["financier"]


def test_a_bank_financing_an_altered_copy_is_refused_before_sending(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(fp())
    altered = fp(number="INV-2024/0042-A")  # the same invoice, its number altered, offered to bank B
    nonce = bank_b.w3.eth.get_transaction_count(bank_b.signer.address)
    with pytest.raises(NearDuplicateFound) as info:
        bank_b.invoices.register(altered)
    assert info.value.exit_code == 5
    assert info.value.found == [
        {
            "fingerprint": "0x" + altered.primary.hex(),
            "resembles": "0x" + fp().primary.hex(),
            "resemblesStatus": "FINANCED",
            "matches": ["seller", "buyer", "date", "currency", "amount"],
            "differsIn": "number",
        }
    ]
    assert f"resembles financed invoice 0x{fp().primary.hex()}: same seller, buyer, date" in info.value.user_message
    assert "nothing sent" in info.value.user_message and "--accept-near-duplicate REASON" in info.value.user_message
    assert bank_b.w3.eth.get_transaction_count(bank_b.signer.address) == nonce  # nothing sent
    assert bank_b.invoices.check(altered).status == Status.NONE
    with pytest.raises(InputError, match="accept-near-duplicate: give the reason"):
        bank_b.invoices.register(altered, accept_near_duplicate="  ")
    done = bank_b.invoices.finance(altered, accept_near_duplicate="credit note INV-2024/0042-A, checked by phone")
    assert done.accepted == "credit note INV-2024/0042-A, checked by phone"
    assert [(n.resembles, n.differs_in) for n in done.near_duplicates] == [("0x" + fp().primary.hex(), "number")]
    assert bank_b.invoices.check(altered).first_org == sdk_members["financier2"]
    clean = bank_b.invoices.finance(fp(number="9", amount="9.00"), accept_near_duplicate="not needed")
    assert (clean.near_duplicates, clean.accepted) == ([], None)  # nothing to accept: no reason recorded


def test_a_portfolio_with_near_duplicates_sends_nothing_unless_accepted(
    sdk_as: Any, sdk_members: dict[str, int]
) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_a.invoices.register(book_item(3))
    book = [book_item(i) for i in range(6)]
    book[3] = fp(number="3-B", amount="103.00")  # invoice 3 of bank A, its number altered
    book.append(fp(number="5", amount="999.00"))  # invoice 5 of this portfolio, its amount altered
    book.append(book_item(1))  # invoice 1 twice: an exact duplicate, the registry's to refuse
    nonce = bank_b.w3.eth.get_transaction_count(bank_b.signer.address)
    with pytest.raises(NearDuplicateFound) as info:
        bank_b.invoices.register_batch(book, batch_size=2)
    assert [
        (n["invoice"], n["resemblesStatus"], n["differsIn"], n.get("resemblesInvoice")) for n in info.value.found
    ] == [
        (4, "FINANCED", "number", None),
        (7, "NONE", "amount", 6),
    ]
    assert info.value.user_message.startswith("near-duplicates in the portfolio, invoice(s) 4, 7: invoice 4 resembles")
    assert "invoice 7 resembles invoice 6 of this portfolio: same seller, buyer, number, date, currency" in (
        info.value.user_message
    )
    assert "nothing of the portfolio sent" in info.value.user_message
    assert bank_b.w3.eth.get_transaction_count(bank_b.signer.address) == nonce
    assert {bank_b.invoices.check(f).status for f in book} == {Status.NONE}
    result = bank_b.invoices.register_batch(book, batch_size=2, accept_near_duplicate="re-issued, buyer confirmed")
    assert result.accepted == "re-issued, buyer confirmed" and len(result.near_duplicates) == 2
    assert result.refused == [7]  # only the exact duplicate


def test_only_financiers_and_sane_shares(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    with pytest.raises(revert_class("MissingRole")):
        sdk_as("carrier").invoices.register(fp())
    with pytest.raises(InputError, match="share: a share is 1 to 10,000"):
        sdk_as("financier").invoices.register(fp(), 10_001)


def _latest_time(client: Any) -> int:
    return int(client.w3.eth.get_block("latest")["timestamp"])


def test_buyer_acknowledgment_is_checked_and_recorded(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    buyer, bank = sdk_as("customer"), sdk_as("financier")
    ack = buyer.invoices.sign_acknowledgment(fp(), deadline=_latest_time(bank) + 3_600)
    assert ack.nonce == 0 and ack.buyer == buyer.signer.address
    receipt = bank.invoices.acknowledge(ack)  # the financier relays the buyer's signature
    [event] = bank.events(bank.invoices.contract, receipt, "InvoiceAcknowledged")
    assert (event["buyer"], event["nonce"], event["fingerprint"]) == (ack.buyer, 0, fp().primary)
    check = bank.invoices.check(fp(), buyer=ack.buyer)
    assert check.acknowledged_by == [ack.buyer] and check.buyer_acknowledged_at == _latest_time(bank)
    assert bank.invoices.acknowledged_at(fp(), ack.buyer) == check.buyer_acknowledged_at
    assert bank.call(bank.invoices.contract, "nonces", ack.buyer) == 1
    with pytest.raises(revert_class("InvoiceAlreadyAcknowledged")) as info:
        bank.invoices.acknowledge(ack)  # replayed as it is
    assert info.value.buyer == ack.buyer


def test_a_forged_or_replayed_buyer_signature_is_refused(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    from dataclasses import replace

    buyer, forger, bank = sdk_as("customer"), sdk_as("customer2"), sdk_as("financier")
    deadline = _latest_time(bank) + 3_600
    forged = replace(forger.invoices.sign_acknowledgment(fp(), deadline=deadline, nonce=0), buyer=buyer.signer.address)
    with pytest.raises(revert_class("InvalidBuyerSignature")) as info:
        bank.invoices.acknowledge(forged)  # signed by another key in the buyer's name
    assert info.value.buyer == buyer.signer.address
    first = buyer.invoices.sign_acknowledgment(fp(), deadline=deadline)
    stale = buyer.invoices.sign_acknowledgment(fp(number="other"), deadline=deadline)  # signed with the same nonce
    with pytest.raises(revert_class("InvalidBuyerSignature")):
        bank.invoices.acknowledge(replace(first, fingerprint=stale.fingerprint))  # replayed for another invoice
    bank.invoices.acknowledge(first)
    with pytest.raises(revert_class("InvalidAccountNonce")) as nonce_info:
        bank.invoices.acknowledge(stale)  # its nonce is used up
    assert nonce_info.value.currentNonce == 1
    assert bank.invoices.check(fp(number="other")).acknowledged_by == []


def test_an_acknowledgment_is_bound_to_chain_contract_and_deadline(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    from dataclasses import replace

    from eth_account import Account
    from eth_account.messages import encode_typed_data

    buyer, bank = sdk_as("customer"), sdk_as("financier")
    deadline = _latest_time(bank) + 3_600
    for field, value in (("chainId", 1), ("verifyingContract", bank.participants.address)):
        message = bank.invoices.acknowledgment_message(fp(), 0, deadline)
        message["domain"][field] = value
        signed = Account.sign_message(encode_typed_data(full_message=message), buyer.signer.key)
        ack = replace(
            buyer.invoices.sign_acknowledgment(fp(), deadline=deadline), signature="0x" + signed.signature.hex()
        )
        with pytest.raises(revert_class("InvalidBuyerSignature")):
            bank.invoices.acknowledge(ack)  # signed for another chain or another contract
    expired = buyer.invoices.sign_acknowledgment(fp(), deadline=_latest_time(bank) - 1)
    with pytest.raises(revert_class("AcknowledgmentExpired")) as info:
        bank.invoices.acknowledge(expired)
    assert info.value.deadline == expired.deadline


def test_secondary_fingerprints_are_one_anonymous_log_by_position(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank = sdk_as("financier")
    receipt = bank.invoices.register(fp())
    anonymous = [log for log in receipt.raw["logs"] if len(log["topics"]) == 4]
    assert len(anonymous) == 1
    assert [bytes(t) for t in anonymous[0]["topics"]] == list(fp().secondary)
    assert bytes(anonymous[0]["data"]) == fp().primary
    # each altered field is found at its own position, and only there
    for field in ("number", "issue_date", "buyer", "amount"):
        changed = {"number": "X-1", "issue_date": "2024-03-06", "buyer": {"scheme": "VAT", "id": "FR1"}, "amount": "9"}
        near = bank.invoices.check(fp(**{field: changed[field]})).near
        assert near == [{"fingerprint": "0x" + fp().primary.hex(), "differsIn": field.replace("issue_", "")}]

"""InvoiceRegistry through the SDK: no double financing, syndication up to 100%, settlement, cancellation,
batches with duplicates, and near-duplicates found by their secondary fingerprints."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import INVOICE, INVOICE_KEY

from tradechain import invoices
from tradechain.errors import InputError, revert_class
from tradechain.invoice_registry import Status

KEY, BASE = INVOICE_KEY, INVOICE


def fp(**changes: Any) -> invoices.Fingerprints:
    return invoices.fingerprints(invoices.canonicalise({**BASE, **changes}), KEY)


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


def test_a_portfolio_with_duplicates_is_registered_per_item(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    bank_a, bank_b = sdk_as("financier"), sdk_as("financier2")
    bank_b.invoices.register(fp(number="7"))  # financed elsewhere already
    book = [fp(number=str(i)) for i in range(300)] + [fp(number="12")]  # 7 is elsewhere, 12 twice
    results, txs = bank_a.invoices.register_batch(book, batch_size=120)
    assert len(txs) == 3 and len(results) == 301
    refused = [i for i, ok in enumerate(results) if not ok]
    assert refused == [7, 300]
    assert bank_a.invoices.check(fp(number="299")).first_org == sdk_members["financier"]


def test_only_financiers_and_sane_shares(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    with pytest.raises(revert_class("MissingRole")):
        sdk_as("carrier").invoices.register(fp())
    with pytest.raises(InputError, match="share: a share is 1 to 10,000"):
        sdk_as("financier").invoices.register(fp(), 10_001)

"""``tradechain verify``: anyone verifies a pack as scanned (a Digital Link or an element string)."""

from __future__ import annotations

import click

from tradechain.cli.common import Run, command, org_name
from tradechain.client import Client
from tradechain.contracts.product_registry import Status, Verification
from tradechain.errors import InputError
from tradechain.formats import gs1


@command(None, "verify", chain="read")
@click.argument("pack_id", metavar="PACK")
def verify(run: Run, pack_id: str) -> None:
    """Verify a pack as scanned (Digital Link or element string): AUTHENTIC, UNKNOWN, MISMATCH, EXPIRED,
    RECALLED, DECOMMISSIONED, or PROOF UNAVAILABLE (a serialized pack whose serial list is not in this serial
    store), and who holds it. Exit code 0 AUTHENTIC; 3 UNKNOWN or MISMATCH; 4 EXPIRED, RECALLED or
    DECOMMISSIONED; 6 PROOF UNAVAILABLE; 2 a scan that does not parse (a literal <GS>, a missing FNC1)."""
    ids = gs1.parse_any(pack_id)
    client = run.client()
    result = client.products.verify(ids)
    if result.status == Status.UNKNOWN:
        _refuse_a_run_on_field(client, pack_id)
    run.verdict(result.status.name, result.to_json(), _text(client, result, ids))


def _refuse_a_run_on_field(client: Client, scan: str) -> None:
    """An UNKNOWN raw scan that, with an FNC1 separator where one seems missing, reads as a registered pack is
    a bad input (the scan lost its separator), not a verdict on the pack."""
    for reading in gs1.missing_separator_readings(scan):
        if reading.ids.gtin is None or reading.ids.lot is None:
            continue
        if client.products.verify(reading.ids).status != Status.UNKNOWN:
            raise InputError(reading.field, reading.rule(), scan)


def _text(client: Client, result: Verification, ids: gs1.Gs1Identifiers) -> str:
    word = result.status.name.replace("_", " ")
    head = f"{word}  {ids.element_string()}  held by {org_name(client, result.custodian) if result.custodian else '-'}"
    if result.status == Status.PROOF_UNAVAILABLE:
        return (
            f"{head}\n  lot {ids.lot} is registered and not recalled, but serial {ids.serial} cannot be checked here: "
            f"the serial list of {result.unavailable_batches} of its commissioning(s) is not in this serial store "
            "(ask the brand for it; $TRADECHAIN_SERIALS names the store)"
        )
    if result.status == Status.DECOMMISSIONED and result.lot_recalled:
        return f"{head}\n  dispensed before its lot was recalled: another pack with this code is a clone"
    if result.serial_proven is False and result.status != Status.UNKNOWN:
        return f"{head}\n  the lot's verdict; serial {ids.serial} was not checked (its list is not in this store)"
    return head

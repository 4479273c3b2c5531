"""``tradechain verify``: anyone verifies a pack as scanned (a Digital Link or an element string)."""

from __future__ import annotations

import click

from tradechain.cli.common import Run, command, org_name
from tradechain.formats import gs1


@command(None, "verify", chain="read")
@click.argument("pack_id", metavar="PACK")
def verify(run: Run, pack_id: str) -> None:
    """Verify a pack as scanned (Digital Link or element string): AUTHENTIC, UNKNOWN, MISMATCH, EXPIRED,
    RECALLED or DECOMMISSIONED, and who holds it."""
    ids = gs1.parse_any(pack_id)
    client = run.client()
    result = client.products.verify(ids)
    run.emit(
        result.to_json(),
        f"{result.status.name}  {ids.element_string()}  held by "
        f"{org_name(client, result.custodian) if result.custodian else '-'}",
    )

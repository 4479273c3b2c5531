"""``tradechain product``: a brand or manufacturer claims its GTINs, registers lots and commissions serialized
items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from tradechain.cli.common import Run, command, file_digest, org_name
from tradechain.contracts.product_registry import LotSpec
from tradechain.errors import InputError
from tradechain.formats import gs1

GLN_OPTION = click.option("--gln", "location", metavar="GLN", help="Where it happens (13-digit GLN).")


def parse_date(value: str, field: str) -> date:
    text = value.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InputError(field, "a date is YYYY-MM-DD or YYMMDD", value) from None
    return gs1.parse_yymmdd(text, field)


def expiry_date(value: str, field: str) -> date:
    """An expiry date for a lot being registered or produced now: not already past."""
    day = parse_date(value, field)
    if day < datetime.now(UTC).date():
        raise InputError(field, "is in the past: a lot registered now cannot have expired already", value)
    return day


@click.group("product")
def group() -> None:
    """Products: claim a GTIN, register lots, commission serialized items (brand or manufacturer)."""


@command(group, "claim", chain="send")
@click.argument("gtin")
def claim(run: Run, gtin: str) -> None:
    """Claim GTIN for your organisation, the licensee of the GS1 company prefix it carries (see `tradechain
    participant prefix-owner`). After the admin reassigns the prefix, its new licensee takes the GTIN over by
    claiming it."""
    gtin14 = gs1.parse_gtin(gtin)
    client = run.client()
    receipt = client.products.claim_gtin(gtin14)
    owner = client.products.gtin_owner(gtin14)
    run.sent(receipt, {"gtin": gtin14, "owner": owner}, f"GTIN {gtin14} claimed by {org_name(client, owner)}")


@command(group, "lot", chain="send")
@click.argument("gtin")
@click.argument("lot")
@click.option("--expiry", required=True, help="Expiry date, YYYY-MM-DD or YYMMDD (AI 17).")
@click.option("--origin", required=True, help="Country of origin, ISO 3166-1 alpha-2.")
@click.option(
    "--data",
    "data_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Off-chain lot data (certificate, lab results); only its hash goes on chain.",
)
@GLN_OPTION
def lot(run: Run, gtin: str, lot: str, expiry: str, origin: str, data_file: Path | None, location: str | None) -> None:
    """Register LOT of GTIN (you become its custodian)."""
    digest = file_digest(data_file, "data")
    spec = LotSpec(gs1.parse_gtin(gtin), gs1.parse_lot(lot), expiry_date(expiry, "expiry"), origin, digest)
    spec.encoded()  # validates before connecting
    client = run.client()
    lot_key, receipt = client.products.register_lot(spec, gln=location)
    run.sent(
        receipt,
        {
            "lot": "0x" + lot_key.hex(),
            "gtin": spec.gtin,
            "lotNumber": spec.lot,
            "expiry": spec.expiry.isoformat() if spec.expiry else None,
        },
        f"lot {spec.gtin}/{spec.lot} registered as unit 0x{lot_key.hex()}",
    )


@command(group, "commission", chain="send")
@click.argument("gtin")
@click.argument("lot")
@click.option(
    "--serials",
    "serials_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File with one serial (AI 21) per line.",
)
@click.option("--count", type=click.IntRange(1, 1_000_000), help="Generate this many serials instead.")
@click.option("--prefix", default="", help="Prefix of generated serials.")
@GLN_OPTION
def commission(
    run: Run, gtin: str, lot: str, serials_file: Path | None, count: int | None, prefix: str, location: str | None
) -> None:
    """Commission serialized items of GTIN/LOT in one transaction (their Merkle root goes on chain)."""
    if (serials_file is None) == (count is None):
        raise InputError("serials", "give --serials FILE or --count N")
    if serials_file is not None:
        if not serials_file.is_file():
            raise InputError("serials", "file not found", str(serials_file))
        try:
            text = serials_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("serials", "not a text file (one serial per line, UTF-8)", str(serials_file)) from None
        serial_list = [s.strip() for s in text.splitlines() if s.strip()]
        if not serial_list:
            raise InputError("serials", "the file holds no serial", str(serials_file))
    else:
        width = len(str(count))
        serial_list = [f"{prefix}{i:0{width}d}" for i in range(1, (count or 0) + 1)]
    client = run.client()
    batch, receipt = client.products.commission(gtin, lot, serial_list, gln=location)
    run.sent(
        receipt,
        {"batch": batch.batch, "count": len(batch.serials), "root": "0x" + batch.tree().root.hex()},
        f"commissioned {len(batch.serials):,} items of {batch.gtin}/{batch.lot} as batch {batch.batch} "
        f"({receipt.gas_used / len(batch.serials):.1f} gas per item)",
    )

"""``tradechain product``: a brand or manufacturer claims its GTINs, registers lots and commissions serialized
items."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradechain.cli.common import Run, command, echo, file_digest, org_name, tx_json, tx_text
from tradechain.contracts.product_registry import LotSpec
from tradechain.errors import InputError, TradechainError
from tradechain.formats import gs1, serials
from tradechain.formats.gs1 import Gs1Identifiers

if TYPE_CHECKING:
    from tradechain.client import Client

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
@click.option("--count", type=click.IntRange(1, 1_000_000), help="Generate this many serials instead (listed).")
@click.option("--prefix", default="", help="Prefix of generated serials.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write (serial, digital_link), a new file: the packs' codes to print on them.",
)
@GLN_OPTION
def commission(
    run: Run,
    gtin: str,
    lot: str,
    serials_file: Path | None,
    count: int | None,
    prefix: str,
    out: Path | None,
    location: str | None,
) -> None:
    """Commission serialized items of GTIN/LOT in one transaction (their Merkle root goes on chain). Generated
    serials (--count) are listed with their Digital Link (in --json: "serials"), unless --out writes them to a CSV
    (serial, digital_link); --out writes given serials (--serials) too."""
    from tradechain.cli.common import check_new_file

    if (serials_file is None) == (count is None):
        raise InputError("serials", "give --serials FILE or --count N")
    if out is not None:
        check_new_file(out, "out")
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
    listed = out is None and count is not None
    links = _digital_links(client, batch.gtin, batch.lot, batch.serials) if listed or out is not None else []
    data: dict[str, Any] = {"batch": batch.batch, "count": len(batch.serials), "root": "0x" + batch.tree().root.hex()}
    summary = (
        f"commissioned {len(batch.serials):,} items of {batch.gtin}/{batch.lot} as batch {batch.batch} "
        f"({receipt.gas_used / len(batch.serials):.1f} gas per item)"
    )
    if out is not None:
        from tradechain.cli.common import write_new_file

        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator="\n")
        writer.writerow(["serial", "digital_link"])
        writer.writerows(zip(batch.serials, links, strict=True))
        try:
            write_new_file(out, rows.getvalue().encode(), mode=0o666 & ~_umask(), field="out")
        except (InputError, OSError) as exc:  # after the commissioning: say what happened and where the list is
            reason = exc.user_message if isinstance(exc, InputError) else exc.strerror
            raise TradechainError(
                f"batch {batch.batch} was commissioned ({tx_text(receipt)}), but {out} could not be written "
                f"({reason}); its serials are in the serial store, {serials.store_dir()}"
            ) from None
        data["file"] = str(out)
        summary += f"; {len(batch.serials):,} serials and their Digital Links written to {out}"
    if listed:
        data["serials"] = [{"serial": s, "digitalLink": d} for s, d in zip(batch.serials, links, strict=True)]
    data.update(tx_json(receipt))

    def show() -> None:
        echo(f"{summary}; {tx_text(receipt)}")
        if listed:
            for s, d in zip(batch.serials, links, strict=True):
                echo(f"{s}  {d}")

    run.emit(data, show)


def _digital_links(client: Client, gtin: str, lot: str, serial_list: tuple[str, ...]) -> list[str]:
    """The GS1 Digital Link of each commissioned pack: GTIN, lot and serial, and the lot's expiry as registered
    (what `tradechain verify` checks)."""
    from tradechain.contracts.product_registry import lot_id

    expires = int(client.products.lot(lot_id(gtin, lot))["expiresAt"])
    expiry = datetime.fromtimestamp(expires, UTC).date() if expires else None
    return [Gs1Identifiers(gtin=gtin, serial=s, lot=lot, expiry=expiry).digital_link() for s in serial_list]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


DEFAULT_DL_DOMAIN = "https://id.gs1.org"


def default_link_base() -> str:
    """Where a pack's QR code points: the portal this checkout runs, else ``$TRADECHAIN_RESOLVER``, else GS1's
    global resolver (https://id.gs1.org)."""
    from tradechain.portal import server

    return server.portal_url() or DEFAULT_DL_DOMAIN


@command(group, "qr")
@click.argument("pack_id", metavar="PACK")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option(
    "--base-url",
    default=default_link_base,
    show_default="the running portal, else $TRADECHAIN_RESOLVER, else https://id.gs1.org",
    help="The Digital Link's domain (a verification portal: scanning the code opens its page for the pack).",
)
def qr(run: Run, pack_id: str, out: Path, base_url: str) -> None:
    """Write a QR code (PNG) of the pack's GS1 Digital Link (PACK: a Digital Link or an element string) on the
    portal's domain: a phone that scans it opens the pack's verification page; `tradechain verify` takes the URL."""
    import re

    import segno

    from tradechain.cli.common import check_new_file, write_new_file

    ids = gs1.parse_any(pack_id)
    if ids.gtin is None and ids.sscc is None and ids.gln is None:
        raise InputError("pack", "holds no GTIN (01), SSCC (00) or GLN (414)", pack_id)
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url):
        raise InputError("base-url", "is an http(s) URL with no query", base_url)
    if out.suffix.lower() != ".png":
        raise InputError("out", "the QR code is written as PNG: name the file *.png", str(out))
    check_new_file(out, "out")
    url = ids.digital_link(base_url)
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=6, border=4)
    write_new_file(out, png.getvalue(), mode=0o666 & ~_umask(), field="out")
    run.emit({"url": url, "file": str(out)}, f"wrote {out} ({url})")

"""``tradechain serials``: the brand (or a member it delegates to) publishes its commissionings' serial lists to a
verification portal, which then answers the proof of one pack to whoever holds its GTIN and serial (``tradechain
verify --resolver URL``). The same SDK functions as scripts use (:mod:`tradechain.portal.remote`)."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from tradechain.cli.common import Run, command, echo, org_name
from tradechain.client import Client
from tradechain.errors import InputError
from tradechain.formats import gs1, serials

PORTAL_HELP = (
    "The portal to publish to. [default: the portal `tradechain serve --detach` runs here, else $TRADECHAIN_RESOLVER]"
)


@click.group("serials")
def group() -> None:
    """Serial lists: publish your commissionings' lists to a verification portal, delegate publishing."""


def portal_option(url: str | None) -> str:
    """The portal's URL: ``--portal``, else the running portal of this checkout, else ``$TRADECHAIN_RESOLVER``."""
    if url is None:
        from tradechain.portal import server

        url = server.portal_url()
        if url is None:
            raise InputError("portal", "no portal runs here: give --portal URL (or set $TRADECHAIN_RESOLVER)")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise InputError("portal", "is the portal's http(s) URL", url)
    return url.rstrip("/")


def _parse_batch(value: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        raise InputError("batch", "is a commissioning's id: 0x and 64 hex digits", value)
    return value.lower()


def local_batches() -> list[serials.SerialBatch]:
    """Every serial list of this machine's serial store (unreadable files are left out)."""
    folder = serials.store_dir()
    found: list[serials.SerialBatch] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
            found.append(
                serials.SerialBatch(
                    str(data["batch"]).lower(), str(data["gtin"]), str(data["lot"]), tuple(data["serials"])
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def _chosen(client: Client, named: list[str], gtin: str | None) -> list[serials.SerialBatch]:
    """The batches to publish: those named, else those of ``gtin``, else every batch of the store whose lot or
    GTIN the signer's organisation owns."""
    held = local_batches()
    where = serials.store_dir()
    if named:
        by_id = {b.batch: b for b in held}
        missing = [b for b in named if b not in by_id]
        if missing:
            raise InputError(
                "batch", f"not in this serial store ({where}): it is published from where it is kept", missing[0]
            )
        return [by_id[b] for b in dict.fromkeys(named)]
    if gtin is not None:
        chosen = [b for b in held if b.gtin == gtin]
        if not chosen:
            raise InputError("gtin", f"no serial list of GTIN {gtin} in this serial store ({where})", gtin)
        return chosen
    if not held:
        raise InputError("batch", f"this machine's serial store ({where}) holds no serial list ($TRADECHAIN_SERIALS)")
    from tradechain.contracts.product_registry import lot_id

    signer = client.require_signer().address
    organisation = client.participants.require_role_any(signer)
    owners: dict[str, int] = {}
    chosen = []
    for b in held:
        if b.gtin not in owners:
            owners[b.gtin] = client.products.gtin_owner(b.gtin)
        if owners[b.gtin] == organisation or int(client.products.lot(lot_id(b.gtin, b.lot))["owner"]) == organisation:
            chosen.append(b)
    if not chosen:
        raise InputError(
            "batch",
            f"no serial list of {org_name(client, organisation)} in this serial store ({where}): name the batches, "
            "or --gtin GTIN for a GTIN delegated to you",
        )
    return chosen


@command(group, "publish", chain="send")
@click.argument("batches", nargs=-1, metavar="[BATCH]...")
@click.option("--gtin", help="Publish every list of this GTIN in the serial store (a GTIN delegated to you).")
@click.option("--portal", "portal_url", metavar="URL", help=PORTAL_HELP)
def publish(run: Run, batches: tuple[str, ...], gtin: str | None, portal_url: str | None) -> None:
    """Publish serial lists to a portal, signed by --account: the BATCHes named (0x ids), else those of --gtin,
    else every list in this machine's serial store of a lot or GTIN your organisation owns. The portal keeps a
    list only if its Merkle root is the commissioning's on chain and the signer's organisation owns the lot or the
    GTIN or was delegated it (`serials delegate`); it answers one proof at a time to whoever holds a pack's GTIN and
    serial, and never lists them. Publishing again changes nothing ("already published")."""
    from tradechain.portal import remote

    named = [_parse_batch(b) for b in batches]
    code = gs1.parse_gtin(gtin) if gtin is not None else None
    if named and code is not None:
        raise InputError("gtin", "name batches or give --gtin, not both")
    url = portal_option(portal_url)
    client = run.client()
    chosen = _chosen(client, named, code)
    done: list[dict[str, Any]] = []
    with run.progress(len(chosen), "publishing") as advance:
        for n, batch in enumerate(chosen, 1):
            result = remote.publish_serials(url, client, batch)
            done.append(result)
            advance(n, len(chosen))
            if not run.as_json:
                state = "published" if result.get("new") else "already published"
                echo(f"{batch.batch}  {batch.gtin}/{batch.lot}  {len(batch.serials):,} serials  {state}")
    new = sum(1 for r in done if r.get("new"))
    run.emit(
        {"portal": url, "published": new, "alreadyPublished": len(done) - new, "batches": done},
        f"{new} list(s) published to {url}, {len(done) - new} already there",
    )


@command(group, "delegate", chain="send")
@click.argument("gtin")
@click.option(
    "--to",
    "organisation",
    required=True,
    type=click.IntRange(1, 2**32 - 1),
    metavar="ORG",
    help="The organisation (number) that may publish this GTIN's lists.",
)
@click.option("--revoke", is_flag=True, help="Stop it publishing them.")
@click.option("--portal", "portal_url", metavar="URL", help=PORTAL_HELP)
def delegate(run: Run, gtin: str, organisation: int, revoke: bool, portal_url: str | None) -> None:
    """Let another member (--to ORG) publish the serial lists of GTIN on a portal, or stop it (--revoke); signed
    by an account of the GTIN's owner (--account)."""
    from tradechain.portal import remote

    code = gs1.parse_gtin(gtin)
    url = portal_option(portal_url)
    client = run.client()
    result = remote.delegate(url, client, code, organisation, revoke=revoke)
    who = org_name(client, organisation)
    text = (
        f"{who} may no longer publish the serial lists of GTIN {code} on {url}"
        if revoke
        else f"{who} may now publish the serial lists of GTIN {code} on {url}"
    )
    run.emit({"portal": url, **result}, text)

"""``tradechain recall``: a brand or a regulator recalls lots, and with ``--downstream`` every lot made from them
(from the index)."""

from __future__ import annotations

from typing import Any

import click

from tradechain.cli.common import Run, command, tx_json, tx_text
from tradechain.contracts.product_registry import parse_unit


@command(None, "recall", chain="send", index=True)
@click.argument("lots", nargs=-1, required=True)
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash of the recall notice.")
@click.option("--downstream", is_flag=True, help="Also recall every lot made from them (from the index).")
def recall(run: Run, lots: tuple[str, ...], reason: str, downstream: bool) -> None:
    """Recall LOTS (lot:GTIN/LOT), by their brand or a regulator. With --downstream, the lots made from them on
    chain and through the transformations of the imported EPCIS documents; what EPCIS alone names (no lot on
    chain) is listed, not recalled."""
    keys = [parse_unit(x, "lot") for x in lots]
    client = run.client()
    others: list[dict[str, Any]] = []
    off_chain: list[dict[str, Any]] = []
    if downstream:
        store = run.index()
        signer = client.require_signer().address
        org, _ = client.participants.organisation_of(signer)
        regulator = client.participants.is_authorized(signer, "regulator")
        for entry in (e for k in keys for e in store.impact("0x" + k.hex())["lots"][1:]):
            if not entry["onChain"]:  # made from it in EPCIS only: the chain has no such lot to recall
                if entry["lot"] not in {o["lot"] for o in off_chain}:
                    off_chain.append(
                        {
                            "lot": entry["lot"],
                            "epc": entry["epc"],
                            "gtin": entry["gtin"],
                            "lotNumber": entry["lot_number"],
                            "serial": entry["serial"],
                        }
                    )
                continue
            key = bytes.fromhex(entry["lot"][2:])
            info = store.lot_info(entry["lot"])
            if key in keys or (info is not None and info["recalled"]):
                continue
            if regulator or entry["owner"] == org:
                keys.append(key)
            elif entry["lot"] not in {o["lot"] for o in others}:  # made from it by another organisation
                others.append(
                    {
                        "lot": entry["lot"],
                        "gtin": entry["gtin"],
                        "lotNumber": entry["lot_number"],
                        "owner": entry["owner"],
                    }
                )
    receipt = client.products.recall(keys, reason)
    lines = [f"recalled {len(keys)} lot(s); {tx_text(receipt)}"]
    lines += [
        f"not yours to recall: {o['gtin']}/{o['lotNumber']} (owner org {o['owner']}): ask it or a regulator"
        for o in others
    ]
    lines += [f"not a lot on chain (made from it in EPCIS): {o['epc'] or o['lot']}: tell its holder" for o in off_chain]
    run.emit(
        {"recalled": ["0x" + k.hex() for k in keys], "notRecalled": others, "epcisOnly": off_chain, **tx_json(receipt)},
        "\n".join(lines),
    )

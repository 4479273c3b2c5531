"""``tradechain product``, ``tradechain trace``, ``tradechain recall`` and ``tradechain verify``: traceability of
food and medicine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import (
    chain_options,
    echo,
    emit,
    handle_errors,
    json_option,
    open_client,
    progress_bar,
    synced_index,
    tx_json,
    tx_text,
)
from tradechain.contracts.product_registry import LotSpec, parse_container, parse_unit
from tradechain.errors import InputError
from tradechain.formats import canonical, epcis, gs1
from tradechain.formats.epc import to_digital_link
from tradechain.formats.values import file_hash

GLN_OPTION = click.option("--gln", "location", metavar="GLN", help="Where it happens (13-digit GLN).")


def _date(value: str, field: str) -> date:
    text = value.strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InputError(field, "a date is YYYY-MM-DD or YYMMDD", value) from None
    return gs1.parse_yymmdd(text, field)


def _expiry(value: str, field: str) -> date:
    """An expiry date for a lot being registered or produced now: not already past."""
    day = _date(value, field)
    if day < datetime.now(UTC).date():
        raise InputError(field, "is in the past: a lot registered now cannot have expired already", value)
    return day


DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Index database. [default: .tradechain/index-<chainId>.db]",
)


# ---------------------------------------------------------------------------------------------- product


@click.group("product")
def product_group() -> None:
    """Products: claim a GTIN, register lots, commission serialized items (brand or manufacturer)."""


@product_group.command("claim")
@click.argument("gtin")
@chain_options(signer=True)
@json_option
@handle_errors
def claim(
    gtin: str, network_name: str | None, rpc_url: str | None, account: str | None, confirmations: int, as_json: bool
) -> None:
    """Claim GTIN for your organisation, the licensee of the GS1 company prefix it carries (see `tradechain
    participant prefix-owner`). After the admin reassigns the prefix, its new licensee takes the GTIN over by
    claiming it."""
    gtin14 = gs1.parse_gtin(gtin)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.products.claim_gtin(gtin14)
    emit(
        as_json,
        {"gtin": gtin14, "owner": client.products.gtin_owner(gtin14), **tx_json(receipt)},
        f"GTIN {gtin14} claimed; {tx_text(receipt)}",
    )


@product_group.command("lot")
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
@chain_options(signer=True)
@json_option
@handle_errors
def lot(
    gtin: str,
    lot: str,
    expiry: str,
    origin: str,
    data_file: Path | None,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Register LOT of GTIN (you become its custodian)."""
    digest = b"\0" * 32
    if data_file is not None:
        if not data_file.is_file():
            raise InputError("data", "file not found", str(data_file))
        digest = file_hash(data_file.read_bytes())
    spec = LotSpec(gs1.parse_gtin(gtin), gs1.parse_lot(lot), _expiry(expiry, "expiry"), origin, digest)
    spec.encoded()  # validates before connecting
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    lot_key, receipt = client.products.register_lot(spec, gln=location)
    emit(
        as_json,
        {
            "lot": "0x" + lot_key.hex(),
            "gtin": spec.gtin,
            "lotNumber": spec.lot,
            "expiry": spec.expiry.isoformat() if spec.expiry else None,
            **tx_json(receipt),
        },
        f"lot {spec.gtin}/{spec.lot} registered as unit 0x{lot_key.hex()}; {tx_text(receipt)}",
    )


@product_group.command("commission")
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
@chain_options(signer=True)
@json_option
@handle_errors
def commission(
    gtin: str,
    lot: str,
    serials_file: Path | None,
    count: int | None,
    prefix: str,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
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
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    batch, receipt = client.products.commission(gtin, lot, serial_list, gln=location)
    emit(
        as_json,
        {"batch": batch.batch, "count": len(batch.serials), "root": "0x" + batch.tree().root.hex(), **tx_json(receipt)},
        f"commissioned {len(batch.serials):,} items of {batch.gtin}/{batch.lot} as batch {batch.batch} "
        f"({receipt.gas_used / len(batch.serials):.1f} gas per item); {tx_text(receipt)}",
    )


# ---------------------------------------------------------------------------------------------- trace


@click.group("trace")
def trace_group() -> None:
    """Custody and events: ship, receive, pack, transform, inspect, dispense; history, origin and impact.

    A UNIT is lot:GTIN/LOT, sscc:SSCC (or the 18 digits), or a 0x batch id.
    """


def _unit_command(name: str, doc: str) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(f: Callable[..., None]) -> click.Command:
        f.__doc__ = doc
        return trace_group.command(name)(chain_options(signer=True)(json_option(handle_errors(f))))

    return decorate


@_unit_command("ship", "Ship UNIT (and everything packed in it) to organisation --to; custody moves on receipt.")
@click.argument("unit")
@click.option("--to", "receiver", required=True, type=int, help="Receiving organisation id.")
@GLN_OPTION
def ship(
    unit: str,
    receiver: int,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    key = parse_unit(unit)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.products.ship(key, receiver, gln=location)
    emit(
        as_json,
        {"unit": "0x" + key.hex(), "to": receiver, **tx_json(receipt)},
        f"shipped {unit} to organisation {receiver}; {tx_text(receipt)}",
    )


@_unit_command("receive", "Receive UNIT shipped to your organisation: custody moves to you.")
@click.argument("unit")
@GLN_OPTION
def receive(
    unit: str,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    key = parse_unit(unit)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.products.receive(key, gln=location)
    emit(
        as_json,
        {"unit": "0x" + key.hex(), "custodian": client.products.custodian_of(key), **tx_json(receipt)},
        f"received {unit}; {tx_text(receipt)}",
    )


def _aggregate(
    verb: str,
    sscc: str,
    units: tuple[str, ...],
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Packs (``verb`` "pack") or unpacks ("unpack") UNITS into or from container SSCC."""
    container = parse_container(sscc)
    children = [parse_unit(u) for u in units]
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    operation = client.products.pack if verb == "pack" else client.products.unpack
    receipt = operation(container, children, gln=location)
    emit(
        as_json,
        {"container": "0x" + container.hex(), "children": ["0x" + c.hex() for c in children], **tx_json(receipt)},
        f"{verb}ed {len(children)} unit(s) {'into' if verb == 'pack' else 'from'} {sscc}; {tx_text(receipt)}",
    )


@_unit_command(
    "pack",
    "Pack UNITS into container SSCC. A new container is created for you: its SSCC must carry a company prefix "
    "licensed to your organisation.",
)
@click.argument("sscc")
@click.argument("units", nargs=-1, required=True)
@GLN_OPTION
def pack(
    sscc: str,
    units: tuple[str, ...],
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    _aggregate("pack", sscc, units, location, network_name, rpc_url, account, confirmations, as_json)


@_unit_command("unpack", "Unpack UNITS from container SSCC.")
@click.argument("sscc")
@click.argument("units", nargs=-1, required=True)
@GLN_OPTION
def unpack(
    sscc: str,
    units: tuple[str, ...],
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    _aggregate("unpack", sscc, units, location, network_name, rpc_url, account, confirmations, as_json)


@_unit_command("transform", "Consume --input units and produce --output lots (GTIN/LOT:EXPIRY:ORIGIN).")
@click.option("--input", "inputs", multiple=True, required=True, help="A unit consumed (repeat).")
@click.option(
    "--output",
    "outputs",
    multiple=True,
    required=True,
    help="A lot produced, GTIN/LOT:EXPIRY:ORIGIN, e.g. 08850000000012/CAN-7:2030-06-30:TH (repeat).",
)
@GLN_OPTION
def transform(
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    specs = []
    for text in outputs:
        head, _, rest = text.partition(":")
        gtin, sep, lot_number = head.partition("/")
        expiry, _, origin = rest.partition(":")
        if not sep or not expiry or not origin:
            raise InputError("output", "an output is GTIN/LOT:EXPIRY:ORIGIN", text)
        specs.append(LotSpec(gs1.parse_gtin(gtin), gs1.parse_lot(lot_number), _expiry(expiry, "output expiry"), origin))
    for spec in specs:
        spec.encoded()
    keys = [parse_unit(u, "input") for u in inputs]
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    lots, receipt = client.products.transform(keys, specs, gln=location)
    emit(
        as_json,
        {"inputs": ["0x" + k.hex() for k in keys], "outputs": ["0x" + k.hex() for k in lots], **tx_json(receipt)},
        f"transformed {len(keys)} input(s) into {len(lots)} lot(s); {tx_text(receipt)}",
    )


@_unit_command("inspect", "Record an inspection of UNIT (inspector, customs or regulator).")
@click.argument("unit")
@click.option("--pass/--fail", "passed", required=True, help="The outcome.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Report file; its hash goes on chain.")
@GLN_OPTION
def inspect(
    unit: str,
    passed: bool,
    report: Path | None,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    key = parse_unit(unit)
    if report is not None and not report.is_file():
        raise InputError("report", "file not found", str(report))
    digest = file_hash(report.read_bytes()) if report else b"\0" * 32
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.products.inspect(key, passed=passed, report_hash=digest, gln=location)
    emit(
        as_json,
        {"unit": "0x" + key.hex(), "passed": passed, **tx_json(receipt)},
        f"inspection of {unit} recorded ({'passed' if passed else 'failed'}); {tx_text(receipt)}",
    )


@_unit_command("dispense", "Dispense (decommission) the pack scanned as PACK: a Digital Link or element string.")
@click.argument("pack_id", metavar="PACK")
@GLN_OPTION
def dispense(
    pack_id: str,
    location: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    ids = gs1.parse_any(pack_id)
    if ids.gtin is None or ids.serial is None:
        raise InputError("pack", "dispensing needs a GTIN (AI 01) and a serial (AI 21)", pack_id)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.products.dispense(ids.gtin, ids.serial, gln=location)
    emit(as_json, {**ids.to_json(), **tx_json(receipt)}, f"dispensed {ids.gtin}/{ids.serial}; {tx_text(receipt)}")


def _query(name: str, doc: str) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(f: Callable[..., None]) -> click.Command:
        f.__doc__ = doc
        return trace_group.command(name)(DB_OPTION(chain_options(signer=False)(json_option(handle_errors(f)))))

    return decorate


@_query(
    "history",
    "Everything that happened to UNIT (its events, its containers' and its lot's), or to an EPC "
    "(URN or Digital Link) from imported EPCIS events.",
)
@click.argument("unit")
def history(unit: str, db: Path | None, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    store = synced_index(open_client(network_name, rpc_url), db)
    if unit.startswith("urn:") or "://" in unit:
        events = store.epcis_events_for(to_digital_link(unit, "epc"))
        emit(
            as_json,
            events,
            "\n".join(
                f"{e['eventTime']}  {e['type']:20} {e.get('action', ''):8} {e.get('bizStep', '')}" for e in events
            )
            or f"no EPCIS events for {unit}",
        )
        return
    rows = store.history("0x" + parse_unit(unit).hex())
    emit(
        as_json,
        rows,
        "\n".join(f"block {r['block']:>6}  {r['name']:18} org {r['org'] or '-':>4}  {_brief(r['args'])}" for r in rows)
        or f"no events for {unit}",
    )


@_query("import", "Record the events of an EPCIS 2.0 JSON/JSON-LD document on chain (validated whole first).")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--account", envvar="TRADECHAIN_ACCOUNT", metavar="NAME", help="Signer (default on the local chain: admin)."
)
@click.option("--batch", type=click.IntRange(1, 4096), default=2000, show_default=True, help="Events per transaction.")
def import_(
    file: Path,
    account: str | None,
    batch: int,
    db: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    events = epcis.read_document(file)  # the whole document is validated before anything is sent
    client = open_client(network_name, rpc_url, account, signer=True)
    store = synced_index(client, db)
    with progress_bar(len(events), "anchoring", quiet=as_json) as advance:
        result = epcis.import_events(client, store, events, batch=batch, progress=advance)
    emit(
        as_json,
        result.to_json(),
        f"{result.events} event(s) read; {result.anchored} anchored, "
        f"{result.already} already on chain; {len(result.transactions)} transaction(s)",
    )


@_query("export", "Write the history of an EPC (URN or Digital Link) as an EPCIS 2.0 document.")
@click.argument("epc")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def export(
    epc: str, out: Path | None, db: Path | None, network_name: str | None, rpc_url: str | None, as_json: bool
) -> None:
    store = synced_index(open_client(network_name, rpc_url), db)
    document = epcis.export_document(store, epc)
    text = canonical.dumps(document, sort_keys=False, indent=2)  # numbers exactly as imported
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n")
    count = len(document["epcisBody"]["eventList"])
    emit(as_json, {"file": str(out), "events": count}, f"wrote {count} event(s) to {out}")


@_query("origin", "The upstream tree of LOT through transformations, to its raw materials.")
@click.argument("lot")
def origin(lot: str, db: Path | None, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    key = "0x" + parse_unit(lot).hex()
    store = synced_index(open_client(network_name, rpc_url), db)
    rows = store.origin(key)
    emit(
        as_json,
        rows,
        "\n".join(
            f"{'  ' * r['depth']}{r['gtin']}/{r['lot_number']}  origin {r['origin']}  owner org {r['owner']}"
            for r in rows
            if r["gtin"]
        )
        or f"unknown lot {lot}",
    )


@_query("impact", "The downstream blast radius of LOT: every lot and item made from it, and who holds each.")
@click.argument("lot")
def impact(lot: str, db: Path | None, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    key = "0x" + parse_unit(lot).hex()
    store = synced_index(open_client(network_name, rpc_url), db)
    result = store.impact(key)

    def text() -> None:
        for entry in result["lots"]:
            if not entry["gtin"]:
                continue
            state = "consumed" if entry["consumed"] else f"held by org {entry['holder']}"
            echo(f"{'  ' * entry['depth']}{entry['gtin']}/{entry['lot_number']}  {state}")
            for b in entry["batches"]:
                echo(
                    f"{'  ' * entry['depth']}  batch {b['batch'][:12]}…  {b['items']:,} items, "
                    f"{b['dispensed']:,} dispensed, held by org {b['holder']}"
                )
        echo(
            f"{result['serializedItems']:,} serialized items; holders: "
            f"{', '.join(str(h) for h in result['holders']) or '-'}"
        )

    emit(as_json, result, text)


@_query("custody", "Who holds UNIT now, and what is packed in it.")
@click.argument("unit")
def custody(unit: str, db: Path | None, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    key = "0x" + parse_unit(unit).hex()
    store = synced_index(open_client(network_name, rpc_url), db)
    state = store.current_custody(key)
    if state is None:
        raise InputError("unit", "no such unit on this chain", unit)
    contents = store.contents(key)
    emit(
        as_json,
        {**state, "contents": contents},
        f"{unit}: held by org {state['holder']}"
        + (f", in transit to org {state['inTransitTo']}" if state["inTransitTo"] else "")
        + (f"; contains {len(contents)} unit(s)" if contents else ""),
    )


def _brief(args: dict[str, Any]) -> str:
    keep = {k: v for k, v in args.items() if k not in ("unit", "lot", "batch", "container", "dataHash")}
    return ", ".join(f"{k}={str(v)[:18]}" for k, v in keep.items())


# ---------------------------------------------------------------------------------------------- recall, verify


@click.command("recall")
@click.argument("lots", nargs=-1, required=True)
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash of the recall notice.")
@click.option("--downstream", is_flag=True, help="Also recall every lot made from them (from the index).")
@DB_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def recall(
    lots: tuple[str, ...],
    reason: str,
    downstream: bool,
    db: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Recall LOTS (lot:GTIN/LOT), by their brand or a regulator."""
    keys = [parse_unit(x, "lot") for x in lots]
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    others: list[dict[str, Any]] = []
    if downstream:
        store = synced_index(client, db)
        signer = client.require_signer().address
        org, _ = client.participants.organisation_of(signer)
        regulator = client.participants.is_authorized(signer, "regulator")
        for entry in (e for k in keys for e in store.impact("0x" + k.hex())["lots"][1:] if e["gtin"]):
            key = bytes.fromhex(entry["lot"][2:])
            info = store.lot_info(entry["lot"])
            if key in keys or (info is not None and info["recalled"]):
                continue
            if regulator or entry["owner"] == org:
                keys.append(key)
            else:  # made from it by another organisation: its owner or a regulator must recall it
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
    emit(
        as_json,
        {"recalled": ["0x" + k.hex() for k in keys], "notRecalled": others, **tx_json(receipt)},
        "\n".join(lines),
    )


@click.command("verify")
@click.argument("pack_id", metavar="PACK")
@chain_options(signer=False)
@json_option
@handle_errors
def verify(pack_id: str, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """Verify a pack as scanned (Digital Link or element string): AUTHENTIC, UNKNOWN, MISMATCH, EXPIRED,
    RECALLED or DECOMMISSIONED, and who holds it."""
    ids = gs1.parse_any(pack_id)
    client = open_client(network_name, rpc_url)
    result = client.products.verify(ids)
    emit(
        as_json,
        result.to_json(),
        f"{result.status.name}  {ids.element_string()}  held by org {result.custodian or '-'}",
    )

"""``tradechain trace``: custody and events of units (ship, receive, pack, transform, inspect, dispense), and the
index's answers about them (history, origin, impact, custody), EPCIS import and export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tradechain.cli.common import Run, command, echo, file_digest, org_name
from tradechain.cli.product import GLN_OPTION, expiry_date
from tradechain.contracts.product_registry import LotSpec, parse_container, parse_unit
from tradechain.errors import InputError, TradechainError
from tradechain.formats import canonical, epcis, gs1

if TYPE_CHECKING:
    from tradechain.client import Client


@click.group("trace")
def group() -> None:
    """Custody and events: ship, receive, pack, transform, inspect, dispense; history, origin and impact.

    A UNIT is lot:GTIN/LOT, sscc:SSCC (or the 18 digits), or a 0x batch id.
    """


@command(group, "ship", chain="send", shared_first=True)
@click.argument("unit")
@click.option("--to", "receiver", required=True, type=int, help="Receiving organisation id.")
@GLN_OPTION
def ship(run: Run, unit: str, receiver: int, location: str | None) -> None:
    """Ship UNIT (and everything packed in it) to organisation --to; custody moves on receipt."""
    key = parse_unit(unit)
    client = run.client()
    receipt = client.products.ship(key, receiver, gln=location)
    run.sent(receipt, {"unit": "0x" + key.hex(), "to": receiver}, f"shipped {unit} to {org_name(client, receiver)}")


@command(group, "receive", chain="send", shared_first=True)
@click.argument("unit")
@GLN_OPTION
def receive(run: Run, unit: str, location: str | None) -> None:
    """Receive UNIT shipped to your organisation: custody moves to you."""
    key = parse_unit(unit)
    client = run.client()
    receipt = client.products.receive(key, gln=location)
    run.sent(receipt, {"unit": "0x" + key.hex(), "custodian": client.products.custodian_of(key)}, f"received {unit}")


def _aggregate(run: Run, verb: str, sscc: str, units: tuple[str, ...], location: str | None) -> None:
    """Packs (``verb`` "pack") or unpacks ("unpack") UNITS into or from container SSCC."""
    container = parse_container(sscc)
    children = [parse_unit(u) for u in units]
    client = run.client()
    operation = client.products.pack if verb == "pack" else client.products.unpack
    receipt = operation(container, children, gln=location)
    run.sent(
        receipt,
        {"container": "0x" + container.hex(), "children": ["0x" + c.hex() for c in children]},
        f"{verb}ed {len(children)} unit(s) {'into' if verb == 'pack' else 'from'} {sscc}",
    )


@command(group, "pack", chain="send", shared_first=True)
@click.argument("sscc")
@click.argument("units", nargs=-1, required=True)
@GLN_OPTION
def pack(run: Run, sscc: str, units: tuple[str, ...], location: str | None) -> None:
    """Pack UNITS into container SSCC. A new container is created for you: its SSCC must carry a company prefix
    licensed to your organisation."""
    _aggregate(run, "pack", sscc, units, location)


@command(group, "unpack", chain="send", shared_first=True)
@click.argument("sscc")
@click.argument("units", nargs=-1, required=True)
@GLN_OPTION
def unpack(run: Run, sscc: str, units: tuple[str, ...], location: str | None) -> None:
    """Unpack UNITS from container SSCC."""
    _aggregate(run, "unpack", sscc, units, location)


@command(group, "transform", chain="send", shared_first=True)
@click.option("--input", "inputs", multiple=True, required=True, help="A unit consumed (repeat).")
@click.option(
    "--output",
    "outputs",
    multiple=True,
    required=True,
    help="A lot produced, GTIN/LOT:EXPIRY:ORIGIN, e.g. 08850000000012/CAN-7:2030-06-30:TH (repeat).",
)
@GLN_OPTION
def transform(run: Run, inputs: tuple[str, ...], outputs: tuple[str, ...], location: str | None) -> None:
    """Consume --input units and produce --output lots (GTIN/LOT:EXPIRY:ORIGIN)."""
    specs = []
    for text in outputs:
        head, _, rest = text.partition(":")
        gtin, sep, lot_number = head.partition("/")
        expiry, _, origin = rest.partition(":")
        if not sep or not expiry or not origin:
            raise InputError("output", "an output is GTIN/LOT:EXPIRY:ORIGIN", text)
        specs.append(
            LotSpec(gs1.parse_gtin(gtin), gs1.parse_lot(lot_number), expiry_date(expiry, "output expiry"), origin)
        )
    for spec in specs:
        spec.encoded()
    keys = [parse_unit(u, "input") for u in inputs]
    client = run.client()
    lots, receipt = client.products.transform(keys, specs, gln=location)
    run.sent(
        receipt,
        {"inputs": ["0x" + k.hex() for k in keys], "outputs": ["0x" + k.hex() for k in lots]},
        f"transformed {len(keys)} input(s) into {len(lots)} lot(s)",
    )


@command(group, "inspect", chain="send", shared_first=True)
@click.argument("unit")
@click.option("--pass/--fail", "passed", required=True, help="The outcome.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Report file; its hash goes on chain.")
@GLN_OPTION
def inspect(run: Run, unit: str, passed: bool, report: Path | None, location: str | None) -> None:
    """Record an inspection of UNIT (inspector, customs or regulator)."""
    key = parse_unit(unit)
    digest = file_digest(report, "report")
    client = run.client()
    receipt = client.products.inspect(key, passed=passed, report_hash=digest, gln=location)
    run.sent(
        receipt,
        {"unit": "0x" + key.hex(), "passed": passed},
        f"inspection of {unit} recorded ({'passed' if passed else 'failed'})",
    )


@command(group, "dispense", chain="send", shared_first=True)
@click.argument("pack_id", metavar="PACK")
@GLN_OPTION
def dispense(run: Run, pack_id: str, location: str | None) -> None:
    """Dispense (decommission) the pack scanned as PACK: a Digital Link or element string."""
    ids = gs1.parse_any(pack_id)
    if ids.gtin is None or ids.serial is None:
        raise InputError("pack", "dispensing needs a GTIN (AI 01) and a serial (AI 21)", pack_id)
    client = run.client()
    receipt = client.products.dispense(ids.gtin, ids.serial, gln=location)
    run.sent(receipt, ids.to_json(), f"dispensed {ids.gtin}/{ids.serial}")


@command(group, "history", chain="read", index=True, shared_first=True)
@click.argument("unit")
def history(run: Run, unit: str) -> None:
    """The life of UNIT in time order (UTC): what happened to it on chain (lot registered, commissioned, packed,
    shipped, received, inspected, dispensed, recalled, ...) and by which organisation, with the imported EPCIS
    events naming it.

    UNIT is a unit (lot:GTIN/LOT, sscc:SSCC, a 0x id), or a pack, lot or container by its GS1 Digital Link, EPC URN
    or element string. A pack's life is its batch's, with its own dispensing only; its batch is found in your
    serial store, or from its dispensing."""
    from tradechain.indexer import life

    target = life.parse_target(unit)
    store = run.index()
    found = life.life(store, target)
    client = run.client()
    names: dict[int, str] = {}

    def org(number: int) -> str:
        if number not in names:
            names[number] = _org_label(client, number)
        return names[number]

    def text() -> None:
        if found.note:
            echo(f"note: {found.note}")
        head = life.header(store, found)
        if head:
            echo(head)
        for entry in found.entries:
            echo(life.describe(store, found, entry, org))
        if not found.entries:
            echo(f"no events for {unit}")
            return
        now = life.summary(store, found, org)
        if now:
            echo(now)

    run.emit(found.entries, text)


def _org_label(client: Client, number: int) -> str:
    """An organisation as the history shows it: its id, roles and country (from the registry)."""
    if not number:
        return "-"
    try:
        o = client.participants.get(number)
    except (TradechainError, UnicodeDecodeError, ValueError):
        return f"org {number}"
    roles = f"{'+'.join(o.roles) or 'no role'}, {o.country}"
    name = org_name(client, number)  # "Acme Tuna Co (org 13)" from its verified profile, else "org 13"
    return f"org {number} ({roles})" if name == f"org {number}" else f"{name}, {roles}"


@command(group, "import", chain="read", index=True, shared_first=True)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--account", envvar="TRADECHAIN_ACCOUNT", metavar="NAME", help="Signer (default on the local chain: admin)."
)
@click.option("--batch", type=click.IntRange(1, 4096), default=2000, show_default=True, help="Events per transaction.")
def import_(run: Run, file: Path, account: str | None, batch: int) -> None:
    """Record the events of an EPCIS 2.0 JSON/JSON-LD document on chain (validated whole first)."""
    events = epcis.read_document(file)  # the whole document is validated before anything is sent
    client = run.client_signing_as(account)
    store = run.index()
    with run.progress(len(events), "anchoring") as advance:
        result = epcis.import_events(client, store, events, batch=batch, progress=advance)
    run.emit(
        result.to_json(),
        f"{result.events} event(s) read; {result.anchored} anchored, "
        f"{result.already} already on chain; {len(result.transactions)} transaction(s)",
    )


@command(group, "export", chain="read", index=True, shared_first=True)
@click.argument("epc")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def export(run: Run, epc: str, out: Path | None) -> None:
    """Write the history of an EPC (URN or Digital Link) as an EPCIS 2.0 document."""
    store = run.index()
    document = epcis.export_document(store, epc)
    text = canonical.dumps(document, sort_keys=False, indent=2)  # numbers exactly as imported
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n")
    count = len(document["epcisBody"]["eventList"])
    run.emit({"file": str(out), "events": count}, f"wrote {count} event(s) to {out}")


def _graph_node(lot: str) -> str:
    """What ``trace origin``/``impact`` start from: a unit (lot:GTIN/LOT, sscc:SSCC, 0x id) as its 0x id, or an
    item, lot or container named in EPCIS (EPC URN or GS1 Digital Link) as its canonical Digital Link."""
    from tradechain.formats.epc import to_digital_link

    text = lot.strip()
    if text.startswith(("urn:", "http://", "https://")):
        return to_digital_link(text, "lot")
    return "0x" + parse_unit(lot).hex()


def _node_label(row: dict[str, Any]) -> str:
    """A tree row as the text output shows it: GTIN/LOT, GTIN serial S, GTIN (a class of any lot), or its EPC."""
    if row["gtin"] and row["lot_number"] is not None:
        return f"{row['gtin']}/{row['lot_number']}"
    if row["gtin"] and row.get("serial") is not None:
        return f"{row['gtin']} serial {row['serial']}"
    if row["gtin"]:
        return f"{row['gtin']} (any lot)"
    return str(row.get("epc") or row["lot"])


@command(group, "origin", chain="read", index=True, shared_first=True)
@click.argument("lot")
def origin(run: Run, lot: str) -> None:
    """The upstream tree of LOT through transformations (on chain, and in the imported EPCIS documents), to its raw
    materials. LOT is lot:GTIN/LOT, a 0x id, or an EPC URN or GS1 Digital Link."""
    key = _graph_node(lot)
    store = run.index()
    rows = store.origin(key)
    client = run.client()
    run.emit(
        rows,
        "\n".join(
            f"{'  ' * r['depth']}{r['gtin']}/{r['lot_number']}  origin {r['origin']}  "
            f"owner {org_name(client, r['owner'])}"
            if r["onChain"]
            else f"{'  ' * r['depth']}{_node_label(r)}  (EPCIS only)"
            for r in rows
            if r["onChain"] or r["depth"]
        )
        or f"unknown lot {lot}",
    )


@command(group, "impact", chain="read", index=True, shared_first=True)
@click.argument("lot")
def impact(run: Run, lot: str) -> None:
    """The downstream blast radius of LOT: every lot and item made from it (on chain, and in the imported EPCIS
    documents), and who holds each. LOT is lot:GTIN/LOT, a 0x id, or an EPC URN or GS1 Digital Link."""
    key = _graph_node(lot)
    store = run.index()
    result = store.impact(key)
    client = run.client()

    def text() -> None:
        for entry in result["lots"]:
            if not entry["onChain"]:
                if entry["depth"]:
                    echo(f"{'  ' * entry['depth']}{_node_label(entry)}  (EPCIS only)")
                continue
            state = "consumed" if entry["consumed"] else f"held by {org_name(client, entry['holder'])}"
            echo(f"{'  ' * entry['depth']}{entry['gtin']}/{entry['lot_number']}  {state}")
            for b in entry["batches"]:
                echo(
                    f"{'  ' * entry['depth']}  batch {b['batch'][:12]}…  {b['items']:,} items, "
                    f"{b['dispensed']:,} dispensed, held by {org_name(client, b['holder'])}"
                )
        echo(
            f"{result['serializedItems']:,} serialized items; holders: "
            f"{', '.join(org_name(client, h) for h in result['holders']) or '-'}"
        )

    run.emit(result, text)


@command(group, "custody", chain="read", index=True, shared_first=True)
@click.argument("unit")
def custody(run: Run, unit: str) -> None:
    """Who holds UNIT now, and what is packed in it."""
    key = "0x" + parse_unit(unit).hex()
    store = run.index()
    state = store.current_custody(key)
    if state is None:
        raise InputError("unit", "no such unit on this chain", unit)
    contents = store.contents(key)
    client = run.client()
    run.emit(
        {**state, "contents": contents},
        f"{unit}: held by {org_name(client, state['holder'])}"
        + (f", in transit to {org_name(client, state['inTransitTo'])}" if state["inTransitTo"] else "")
        + (f"; contains {len(contents)} unit(s)" if contents else ""),
    )

"""The life of a unit or a pack, from the index: what happened to it on chain (registered, commissioned, packed,
shipped, received, inspected, dispensed, recalled, ...) and the imported EPCIS events that name it, in time order.

A pack (GTIN and serial) is an item of a commissioning batch. The chain keeps only each batch's Merkle root of
serials, so the pack's batch is found in the local serial store (the brand's list, which proves the serial's index
against the root the index holds) or, once dispensed, from its ``Dispensed`` event (the one event naming a serial).
Its life is its batch's (its lot's registration, inspections and recall, its commissioning, custody and containers)
with only its own dispensing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tradechain.errors import InputError
from tradechain.formats import gs1, merkle, serials
from tradechain.formats.epc import DL, to_digital_link
from tradechain.formats.gs1 import Gs1Identifiers
from tradechain.indexer.store import Store, readable

# What each contract event is in a life, as a verb (text and ``step`` in JSON).
STEPS = {
    "LotRegistered": "lot registered",
    "Commissioned": "commissioned",
    "Packed": "packed",
    "Unpacked": "unpacked",
    "Shipped": "shipped",
    "Received": "received",
    "ShipmentCancelled": "shipment cancelled",
    "Transformed": "transformed",
    "Inspected": "inspected",
    "Dispensed": "dispensed",
    "Recalled": "recalled",
}
UNIT_RULE = (
    "name a unit as lot:GTIN/LOT, sscc:SSCC (18 digits) or a 0x 32-byte id, or a pack, lot or container by its GS1 "
    "Digital Link, EPC URN or element string"
)


@dataclass(frozen=True)
class Target:
    """What ``trace history`` was asked about: a custody unit (0x id), and the EPCs whose EPCIS events are its."""

    text: str
    unit: str | None = None
    ids: Gs1Identifiers | None = None
    epcs: tuple[str, ...] = ()

    @property
    def is_pack(self) -> bool:
        return self.ids is not None and self.ids.gtin is not None and self.ids.serial is not None


def _hex(unit: bytes) -> str:
    return "0x" + unit.hex()


def _of_ids(text: str, ids: Gs1Identifiers) -> Target:
    from tradechain.contracts.product_registry import lot_id, sscc_unit

    if ids.gtin and ids.serial:  # a pack: its EPCIS events name it with or without its lot
        epcs = {f"{DL}/01/{ids.gtin}/21/{_quote(ids.serial)}"}
        if ids.lot:
            epcs.add(f"{DL}/01/{ids.gtin}/10/{_quote(ids.lot)}/21/{_quote(ids.serial)}")
        return Target(text, None, ids, tuple(sorted(epcs)))
    if ids.gtin and ids.lot:
        return Target(text, _hex(lot_id(ids.gtin, ids.lot)), ids, (f"{DL}/01/{ids.gtin}/10/{_quote(ids.lot)}",))
    if ids.sscc:
        return Target(text, _hex(sscc_unit(ids.sscc)), ids, (f"{DL}/00/{ids.sscc}",))
    return Target(text, None, ids, (to_digital_link(ids.digital_link()),))  # a product class or a place


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def parse_target(text: str, field_name: str = "unit") -> Target:
    """A unit as the CLI names it (:func:`~tradechain.contracts.product_registry.parse_unit`), or a pack, lot or
    container by its Digital Link, EPC URN or element string (bracketed, or raw as scanned); other URIs name only
    their EPCIS events. Checked without the chain."""
    from tradechain.contracts.product_registry import is_sscc_unit, lot_id, parse_unit

    value = text.strip()
    if value.startswith("urn:") or "://" in value:
        link = to_digital_link(value, field_name)
        if link.startswith(f"{DL}/"):
            return _of_ids(text, gs1.parse_digital_link(link))
        return Target(text, None, None, (link,))  # an EPC of another scheme (GIAI, GRAI, ...): EPCIS events only
    if value.startswith(("(", "]")) or gs1.GS in value:
        return _of_ids(text, gs1.parse_element_string(value))
    try:
        unit = parse_unit(value, field_name)
    except InputError as exc:
        if exc.field == field_name and exc.rule.startswith("name a unit"):
            raise InputError(field_name, UNIT_RULE, text) from None
        raise
    epcs: tuple[str, ...] = ()
    if value.startswith("lot:"):
        gtin, _, lot = value[4:].partition("/")
        if unit == lot_id(gtin, lot):
            epcs = (f"{DL}/01/{gs1.parse_gtin(gtin)}/10/{_quote(lot)}",)
    elif is_sscc_unit(unit):
        epcs = (f"{DL}/00/{int.from_bytes(unit, 'big'):018d}",)
    return Target(text, _hex(unit), None, epcs)


@dataclass
class Life:
    """The answer: ``entries`` in time order, each an on-chain event (``recordedIn`` "chain": the index's row with
    ``step`` and ``timeUtc``) or an imported EPCIS event (``recordedIn`` "epcis": the event as imported, with
    ``timeUtc``); for a pack, its ``batch`` and ``index``; ``note`` when part of the life cannot be known here."""

    target: Target
    unit: str | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    batch: str | None = None
    index: int | None = None
    note: str | None = None

    def chain(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["recordedIn"] == "chain" and e["name"] == name]


def _utc(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp or 0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epcis_utc(event_time: str) -> str:
    moment = datetime.fromisoformat(event_time).astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _find_pack(store: Store, ids: Gs1Identifiers, proofs: serials.ProofSource) -> tuple[str, int] | str:
    """(batch, index) of a pack, or why it cannot be found here."""
    from tradechain.contracts.product_registry import lot_id

    assert ids.gtin is not None and ids.serial is not None
    lot = _hex(lot_id(ids.gtin, ids.lot)) if ids.lot else None
    found = proofs.proof(ids.gtin, ids.serial)
    if found is not None:
        info = store.batch_info(found.batch)
        leaf = merkle.serial_leaf(int(ids.gtin), ids.serial, found.index)
        proven = info is not None and merkle.verify(found.path, bytes.fromhex(str(info["serials_root"])[2:]), leaf)
        if info is not None and proven and (lot is None or info["lot"] == lot):
            return found.batch, found.index
    dispensed = store.dispensed_items(ids.gtin, ids.serial, lot)
    if len(dispensed) == 1:
        return dispensed[0]
    if len(dispensed) > 1:
        return f"serial {ids.serial} of GTIN {ids.gtin} was dispensed from {len(dispensed)} batches: name its lot"
    return (
        f"serial {ids.serial} of GTIN {ids.gtin} is in no commissioning known here (the chain holds only a Merkle "
        "root of each batch's serials, and the brand's serial list is not in this serial store; a dispensed pack "
        "is found by its serial)"
    )


def life(store: Store, target: Target, proofs: serials.ProofSource | None = None) -> Life:
    """The life of ``target`` from ``store``; a pack's commissioning is found through ``proofs`` (this machine's
    serial store by default) or, once dispensed, by its serial."""
    result = Life(target, target.unit)
    rows: list[dict[str, Any]] = []
    if target.is_pack:
        assert target.ids is not None
        where = _find_pack(store, target.ids, proofs if proofs is not None else serials.LocalStore())
        if isinstance(where, tuple):
            result.batch, result.index = where
            result.unit = result.batch
            rows = store.item_history(*where)
        elif target.ids.lot:
            from tradechain.contracts.product_registry import lot_id

            result.unit = _hex(lot_id(target.ids.gtin or "", target.ids.lot))
            result.note = f"{where}: the life of its lot {target.ids.lot} follows"
            rows = store.history(result.unit)
        else:
            result.note = f"{where}: only the EPCIS events naming it follow"
    elif target.unit is not None:
        rows = store.history(target.unit)
    entries: list[tuple[str, int, int, dict[str, Any]]] = []
    for seq, row in enumerate(rows):
        time = _utc(row.get("timestamp"))
        step = STEPS.get(row["name"], row["name"])
        if row["name"] == "Inspected":
            step = "inspected, passed" if row["args"].get("passed") else "inspected, FAILED"
        entries.append((time, 0, seq, {**row, "recordedIn": "chain", "step": step, "timeUtc": time}))
    for seq, (event_time, event) in enumerate(store.epcis_events_timed(target.epcs)):
        time = _epcis_utc(event_time)
        entries.append((time, 1, seq, {**event, "recordedIn": "epcis", "timeUtc": time}))
    result.entries = [e for *_, e in sorted(entries, key=lambda x: (x[0][:19], x[1], x[2]))]
    return result


# ------------------------------------------------------------------ text


OrgName = Callable[[int], str]


def _text(raw: Any, padded: bool = True) -> str:
    """A bytes argument of an event (0x hex in the index) as text when it is safe text, else its hex."""
    data = bytes.fromhex(str(raw).removeprefix("0x"))
    text, _ = readable(data, padded=padded)
    return text


def _unit_name(store: Store, unit: str) -> str:
    """A unit as a person reads it: GTIN/LOT for a lot, SSCC digits for a container, a short id for a batch."""
    from tradechain.contracts.product_registry import is_sscc_unit

    raw = bytes.fromhex(unit[2:])
    if is_sscc_unit(raw):
        return f"SSCC {int.from_bytes(raw, 'big'):018d}"
    info = store.lot_info(unit)
    if info is not None:
        return f"lot {info['gtin']}/{info['lot_number']}"
    batch = store.batch_info(unit)
    if batch is not None:
        return f"batch {unit[:10]}…"
    return f"unit {unit[:10]}…"


def describe(store: Store, life_: Life, entry: dict[str, Any], org: OrgName) -> str:
    """One line of the life: time, step and who did it (organisations by ``org``), where and what."""
    if entry["recordedIn"] == "epcis":
        return f"{entry['timeUtc'][:19]}Z  {'EPCIS event':22} {detail(store, life_, entry, org)}"
    return f"{entry['timeUtc']}  {entry['step']:22} {detail(store, life_, entry, org)}"


def detail(store: Store, life_: Life, entry: dict[str, Any], org: OrgName) -> str:
    """What one entry of the life says after its time and step: who did it, where and what."""
    if entry["recordedIn"] == "epcis":
        parts = [entry.get("type", ""), entry.get("action", ""), entry.get("bizStep", "")]
        if entry.get("disposition"):
            parts.append(f"({entry['disposition']})")
        where = (entry.get("readPoint") or {}).get("id") if isinstance(entry.get("readPoint"), dict) else None
        return " ".join(p for p in parts if p) + (f" at {where}" if where else "")
    a, name, unit = entry["args"], entry["name"], entry["unit"]
    own = unit is None or unit == life_.unit  # a transformation is named by neither its inputs nor its outputs
    via = "" if own else f" ({_unit_name(store, unit)})"
    text: str
    if name == "LotRegistered":
        info = store.lot_info(unit) or {}
        expiry = f"expires {_utc(a['expiresAt'])[:10]}" if a.get("expiresAt") else "no expiry"
        text = (
            f"{_unit_name(store, unit)} by {org(a['owner'])}, {expiry}, origin {info.get('origin', _text(a['origin']))}"
        )
    elif name == "Commissioned":
        text = f"{int(a['count']):,} serialized pack(s) as batch {a['batch'][:10]}… by {org(a['owner'])}"
    elif name in ("Packed", "Unpacked"):
        word = "into" if name == "Packed" else "out of"
        children = a.get("children", [])
        if own:
            text = f"{len(children)} unit(s) by {org(a['organisation'])}"
        else:
            text = f"{word} {_unit_name(store, unit)} by {org(a['organisation'])}"
    elif name == "Shipped":
        text = f"{org(a['from'])} → {org(a['to'])}{via}"
    elif name == "Received":
        text = f"by {org(a['to'])} from {org(a['from'])}{via}"
    elif name == "ShipmentCancelled":
        text = f"by {org(a['from'])} (was to {org(a['to'])}){via}"
    elif name == "Transformed":
        if life_.unit in a.get("inputs", []):
            text = f"used up by {org(a['organisation'])} into {len(a.get('outputs', []))} lot(s)"
        else:
            text = f"made by {org(a['organisation'])} from {len(a.get('inputs', []))} input(s)"
    elif name == "Inspected":
        text = f"by {org(a['inspector'])}{via}"
    elif name == "Dispensed":
        text = f"serial {_text(a['serial'])} (item {a['index']}) by {org(a['organisation'])}"
    elif name == "Recalled":
        text = f"{_unit_name(store, unit)} by {org(a['by'])}: {_text(a['reason'])}"
    else:
        keep = {k: v for k, v in a.items() if k not in ("unit", "lot", "batch", "container", "dataHash")}
        text = ", ".join(f"{k}={str(v)[:18]}" for k, v in keep.items())
    location = a.get("location")
    if isinstance(location, int) and location:
        text += f" at GLN {gs1.format_gln(location)}" if location < 10**13 else f" at location {location}"
    return text


def summary(store: Store, life_: Life, org: OrgName) -> str | None:
    """Where the unit or pack stands now, from its life: dispensed (and recalled), or who holds it."""
    if life_.unit is None:
        return None
    recalled = life_.chain("Recalled")
    recall = f"its lot recalled {recalled[-1]['timeUtc']} by {org(recalled[-1]['args']['by'])}" if recalled else ""
    if life_.batch is not None:
        dispensed = life_.chain("Dispensed")
        if dispensed:
            d = dispensed[-1]
            head = f"now: DECOMMISSIONED (dispensed {d['timeUtc']} by {org(d['args']['organisation'])}"
            return head + (f"; {recall}" if recall else "") + "): a second pack with this code is a clone"
    if life_.target.is_pack and life_.batch is None:  # only its lot is known: not who holds the pack
        return f"now: {recall}" if recall else None
    custody = store.current_custody(life_.unit)
    if custody is None:
        return None
    state = f"now: held by {org(custody['holder'])}"
    if custody["inTransitTo"]:
        state += f", in transit to {org(custody['inTransitTo'])}"
    if custody["consumed"]:
        state = "now: used up by a transformation"
    return state + (f"; {recall}" if recall else "")


def header(store: Store, life_: Life) -> str | None:
    """The first line for a pack: which item of which batch of which lot."""
    if life_.batch is None or life_.index is None or life_.target.ids is None:
        return None
    info = store.batch_info(life_.batch) or {}
    lot = store.lot_info(str(info.get("lot", ""))) or {}
    ids = life_.target.ids
    return (
        f"pack {ids.gtin}/{ids.serial}: item {life_.index} of batch {life_.batch} "
        f"({int(info.get('count', 0)):,} pack(s) of lot {lot.get('gtin', ids.gtin)}/{lot.get('lot_number', '?')})"
    )

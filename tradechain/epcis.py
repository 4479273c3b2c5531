"""GS1 EPCIS 2.0 JSON/JSON-LD: validation, normalisation, on-chain anchoring (import) and export.

* **Validation** reads the whole document first; any bad event rejects it whole, naming the event index and
  field (``eventList[3].epcList[0]: ...``): nothing is half-recorded.
* **Normalisation**: identifiers to canonical GS1 Digital Link (an item named by EPC URN or by Digital Link is
  one item), bizStep and disposition to bare CBV words; everything else, vendor extensions included, kept as
  it is. The event hash is keccak-256 of the normalised event's canonical JSON (sorted keys, no spaces), so the
  same event imported from either form, or re-imported from an export, has the same hash.
* **Import** keeps each normalised event off chain (the index database) and anchors its hash, type, time and
  location on chain in batches; events already anchored are skipped, so an interrupted import resumes without
  recording anything twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_hash.auto import keccak

from tradechain.epc import gln_of, to_digital_link
from tradechain.errors import InputError

if TYPE_CHECKING:
    from tradechain.client import Client
    from tradechain.indexer import Store

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES = {
    "ObjectEvent": 1,
    "AggregationEvent": 2,
    "TransactionEvent": 3,
    "TransformationEvent": 4,
    "AssociationEvent": 5,
}
ACTIONS = {"ADD", "OBSERVE", "DELETE"}
NEEDS_ACTION = {"ObjectEvent", "AggregationEvent", "TransactionEvent", "AssociationEvent"}
EPC_LISTS = {"epcList": "what", "childEPCs": "child", "inputEPCList": "input", "outputEPCList": "output"}
QUANTITY_LISTS = {
    "quantityList": "what",
    "childQuantityList": "child",
    "inputQuantityList": "input",
    "outputQuantityList": "output",
}
_CBV_PREFIXES = (
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "https://gs1.org/voc/BizStep-",
    "https://gs1.org/voc/Disp-",
)
_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")
MAX_EVENTS = 1_000_000
ANCHOR_BATCH = 2_000


@dataclass(frozen=True)
class EpcisEvent:
    index: int
    event_hash: str  # 0x keccak-256 of the canonical normalised JSON
    type: str
    time: datetime
    location: int  # GLN, 0 if none
    body: dict[str, Any]  # normalised
    epcs: tuple[tuple[str, str], ...]  # (canonical EPC, role)

    def anchor(self) -> tuple[bytes, int, int, int]:
        return (bytes.fromhex(self.event_hash[2:]), EVENT_TYPES[self.type], int(self.time.timestamp()), self.location)


def _fail(path: str, rule: str, value: object = None) -> InputError:
    return InputError(path, rule, value)


def _cbv(word: object, path: str) -> str:
    if not isinstance(word, str) or not word:
        raise _fail(path, "must be a CBV word or URI")
    for prefix in _CBV_PREFIXES:
        if word.startswith(prefix):
            return word[len(prefix) :]
    return word


def _time(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(path, "must be an ISO 8601 date-time with offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(path, "must be an ISO 8601 date-time with offset", value) from None
    if parsed.tzinfo is None:
        raise _fail(path, "needs a time-zone offset (Z or +hh:mm)", value)
    return parsed


def _epc(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, "must be an identifier (EPC URN or GS1 Digital Link URI)")
    if ":" not in value:
        raise _fail(path, "must be a URI (EPC URN, GS1 Digital Link or another URI)", value)
    return to_digital_link(value, path)


def events_of(document: object) -> list[Any]:
    if not isinstance(document, dict):
        raise _fail("document", "an EPCIS document is a JSON object")
    kind = document.get("type")
    if kind not in ("EPCISDocument", "EPCISQueryDocument"):
        raise _fail("type", "must be EPCISDocument or EPCISQueryDocument", kind)
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise _fail("epcisBody", "missing or not an object")
    events = body.get("eventList")
    if events is None and isinstance(body.get("queryResults"), dict):
        events = body["queryResults"].get("resultsBody", {}).get("eventList")
    if not isinstance(events, list):
        raise _fail("epcisBody.eventList", "missing or not a list")
    if not events:
        raise _fail("epcisBody.eventList", "holds no event")
    if len(events) > MAX_EVENTS:
        raise _fail("epcisBody.eventList", f"at most {MAX_EVENTS:,} events per document", len(events))
    return events


def normalise(raw: object, index: int) -> EpcisEvent:
    """Validates one event and returns it normalised, with its hash."""
    at = f"eventList[{index}]"
    if not isinstance(raw, dict):
        raise _fail(at, "an event is a JSON object")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise _fail(f"{at}.type", f"must be one of {', '.join(EVENT_TYPES)}", kind)
    event = dict(raw)
    when = _time(raw.get("eventTime"), f"{at}.eventTime")
    offset = raw.get("eventTimeZoneOffset")
    if not isinstance(offset, str) or not _OFFSET.fullmatch(offset):
        raise _fail(f"{at}.eventTimeZoneOffset", "must be +hh:mm or -hh:mm", offset)
    if kind in NEEDS_ACTION and raw.get("action") not in ACTIONS:
        raise _fail(f"{at}.action", "must be ADD, OBSERVE or DELETE", raw.get("action"))
    epcs: list[tuple[str, str]] = []
    for key, role in EPC_LISTS.items():
        if key in raw:
            if not isinstance(raw[key], list):
                raise _fail(f"{at}.{key}", "must be a list")
            event[key] = [_epc(v, f"{at}.{key}[{i}]") for i, v in enumerate(raw[key])]
            epcs += [(e, role) for e in event[key]]
    if "parentID" in raw:
        event["parentID"] = _epc(raw["parentID"], f"{at}.parentID")
        epcs.append((event["parentID"], "parent"))
    for key, role in QUANTITY_LISTS.items():
        if key in raw:
            if not isinstance(raw[key], list):
                raise _fail(f"{at}.{key}", "must be a list")
            out = []
            for i, q in enumerate(raw[key]):
                if not isinstance(q, dict) or "epcClass" not in q:
                    raise _fail(f"{at}.{key}[{i}]", "needs an epcClass")
                qty = q.get("quantity")
                if qty is not None and (not isinstance(qty, (int, float)) or isinstance(qty, bool) or qty < 0):
                    raise _fail(f"{at}.{key}[{i}].quantity", "must be a non-negative number", qty)
                entry = dict(q)
                entry["epcClass"] = _epc(q["epcClass"], f"{at}.{key}[{i}].epcClass")
                epcs.append((entry["epcClass"], role))
                out.append(entry)
            event[key] = out
    for key in ("bizStep", "disposition"):
        if key in raw:
            event[key] = _cbv(raw[key], f"{at}.{key}")
    location = 0
    for key in ("readPoint", "bizLocation"):
        if key in raw:
            place = raw[key]
            if not isinstance(place, dict) or not isinstance(place.get("id"), str):
                raise _fail(f"{at}.{key}", "must be an object with an id")
            event[key] = {**place, "id": _epc(place["id"], f"{at}.{key}.id")}
            location = location or gln_of(event[key]["id"])
    if kind in ("ObjectEvent", "TransactionEvent") and not (raw.get("epcList") or raw.get("quantityList")):
        raise _fail(f"{at}.epcList", f"a {kind} names what it is about (epcList or quantityList)")
    if kind == "AggregationEvent" and raw.get("action") != "OBSERVE" and "parentID" not in raw:
        raise _fail(f"{at}.parentID", "an AggregationEvent that adds or deletes names its parent")
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    event_hash = "0x" + keccak(canonical.encode()).hex()
    return EpcisEvent(index, event_hash, kind, when, location, event, tuple(dict.fromkeys(epcs)))


def read_document(source: Path | str | dict[str, Any]) -> list[EpcisEvent]:
    """Every event of a document, validated and normalised; the first bad event rejects the whole."""
    if isinstance(source, dict):
        document: object = source
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError("file", "not found", str(path))
        try:
            text = path.read_text(encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise InputError("file", f"not JSON (not UTF-8 text: byte {exc.start})", str(path)) from None
        if not text.strip():
            raise InputError("file", "is empty", str(path))
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                "file", f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", str(path)
            ) from None
    return [normalise(raw, i) for i, raw in enumerate(events_of(document))]


@dataclass(frozen=True)
class ImportResult:
    events: int
    anchored: int  # newly anchored now
    already: int  # found anchored before (a resumed or repeated import)
    transactions: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "anchored": self.anchored,
            "alreadyAnchored": self.already,
            "transactions": self.transactions,
        }


def import_events(
    client: Client,
    store: Store,
    events: list[EpcisEvent],
    *,
    batch: int = ANCHOR_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Keeps the events in the store and anchors those not yet on chain (the store must be synced)."""
    with store.transaction():
        store.put_epcis_events((e.event_hash, e.time.isoformat(), e.body, list(e.epcs)) for e in events)
    anchored = {str(r[0]) for r in store.db.execute("SELECT event_hash FROM epcis_anchors")}
    todo = list({e.event_hash: e for e in events if e.event_hash not in anchored}.values())
    txs = []
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        receipt = client.products.record_events([e.anchor() for e in chunk])
        txs.append(receipt.tx_hash)
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    return ImportResult(len(events), len(todo), len(events) - len(todo), txs)


def export_document(store: Store, epc: str) -> dict[str, Any]:
    """An EPCIS 2.0 document of every stored event naming ``epc`` (URN or Digital Link), in time order."""
    if ":" not in epc:
        raise InputError("epc", "must be an EPC URN or a GS1 Digital Link URI", epc)
    canonical = to_digital_link(epc, "epc")
    events = store.epcis_events_for(canonical)
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": events},
    }


def anchors_of(events: Iterable[EpcisEvent]) -> list[tuple[bytes, int, int, int]]:
    return [e.anchor() for e in events]

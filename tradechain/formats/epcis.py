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
* **CBV 2.0 event hash** (``ni:///sha-256;...?ver=CBV2.0``, CBV 2.0 section 8.9), computed by GS1's reference
  implementation (``epcis-event-hash-generator``) for every event read, offline: it leaves out ``eventID``,
  ``recordTime``, comments and layout, so two events it treats as one are recorded once on import, and an export
  gives it as ``eventID`` where the event has none.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import epcis_event_hash_generator  # noqa: F401  (sets pyld's document loader, replaced below)
from epcis_event_hash_generator import hash_generator, json_to_py
from eth_hash.auto import keccak
from pyld import jsonld

from tradechain.errors import InputError, TradechainError
from tradechain.formats import canonical
from tradechain.formats.cbv import (
    BIZ_STEP,
    BIZ_TRANSACTION_TYPE,
    DISPOSITION,
    SOURCE_DEST_TYPE,
    Vocabulary,
    check_vocabulary,
)
from tradechain.formats.epc import gln_of, to_digital_link

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
_TYPED_LISTS = (
    ("bizTransactionList", "bizTransaction", BIZ_TRANSACTION_TYPE),
    ("sourceList", "source", SOURCE_DEST_TYPE),
    ("destinationList", "destination", SOURCE_DEST_TYPE),
)
_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")
MAX_EVENTS = 1_000_000
ANCHOR_BATCH = 2_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)  # an event time later than now plus this is refused (a clock or a typing error)
# Control characters (C0, DEL, C1) and the bidirectional overrides and isolates, which reorder what a terminal
# shows: refused in every key and string of an event; tab and line breaks pass in free text (never in keys).
_CONTROLS_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITE = re.compile(r"\s")
# In an event's canonical JSON, where a control character can show: as an escape, or raw (DEL, C1, bidi)
_SUSPECT = re.compile(r"\\[nrtbfu]|[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class EpcisEvent:
    index: int
    event_hash: str  # 0x keccak-256 of the canonical normalised JSON
    type: str
    time: datetime
    location: int  # GLN, 0 if none
    body: dict[str, Any]  # normalised
    epcs: tuple[tuple[str, str], ...]  # (canonical EPC, role)
    text: str = ""  # the canonical JSON of ``body``, whose keccak-256 is ``event_hash``
    cbv_hash: str = ""  # the CBV 2.0 event hash ID, ni:///sha-256;<hex>?ver=CBV2.0
    namespaces: str = ""  # the JSON-LD prefixes its document defined, as a JSON object ("" if none)

    def anchor(self) -> tuple[bytes, int, int, int]:
        return (bytes.fromhex(self.event_hash[2:]), EVENT_TYPES[self.type], int(self.time.timestamp()), self.location)


def _fail(path: str, rule: str, value: object = None) -> InputError:
    return InputError(path, rule, value)


def _cbv(word: object, path: str, vocabulary: Vocabulary = BIZ_STEP) -> str:
    if not isinstance(word, str) or not word or _WHITE.search(word) or _CONTROLS.search(word):
        raise _fail(path, "must be a CBV word or URI (no white space or control characters)", word)
    return check_vocabulary(word, vocabulary, path)


def _typed(raw: dict[str, Any], key: str, item: str, vocabulary: Vocabulary, at: str) -> list[Any]:
    """A bizTransactionList, sourceList or destinationList with each entry's type checked against CBV 2.0."""
    entries = raw[key]
    if not isinstance(entries, list):
        raise _fail(f"{at}.{key}", "must be a list")
    out: list[Any] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get(item), str):
            raise _fail(f"{at}.{key}[{i}]", f"must be an object with a {item}")
        if "type" in entry:
            entry = {**entry, "type": _cbv(entry["type"], f"{at}.{key}[{i}].type", vocabulary)}
        if item != "bizTransaction":  # a party or place: its PGLN or SGLN as a Digital Link, whichever form given
            entry = {**entry, item: _epc(entry[item], f"{at}.{key}[{i}].{item}")}
        out.append(entry)
    return out


def _time(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise _fail(path, "must be an ISO 8601 date-time with offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(path, "must be an ISO 8601 date-time with offset", value) from None
    if parsed.tzinfo is None:
        raise _fail(path, "needs a time-zone offset (Z or +hh:mm)", value)
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved across midnight by its offset
        utc = EPOCH - MAX_AHEAD if parsed.year < 1970 else datetime.max.replace(tzinfo=UTC)
    if utc < EPOCH:
        raise _fail(path, "is before 1970-01-01T00:00:00Z (the chain records event times from the Unix epoch)", value)
    if utc > datetime.now(UTC) + MAX_AHEAD:
        raise _fail(path, "is more than a day in the future", value)
    return parsed


def _epc(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, "must be an identifier (EPC URN or GS1 Digital Link URI)")
    if ":" not in value:
        raise _fail(path, "must be a URI (EPC URN, GS1 Digital Link or another URI)", value)
    if _WHITE.search(value.strip()) or _CONTROLS.search(value):
        raise _fail(path, "an identifier has no white space or control characters", value)
    return to_digital_link(value, path)


def _check_text(value: object, path: str, depth: int = 0) -> None:
    """Every key and string under ``value``: no control character (tab and line breaks only in text values)."""
    if depth > canonical.JsonLimits.max_depth:
        raise _fail(path, f"nested deeper than {canonical.JsonLimits.max_depth} levels")
    if isinstance(value, str):
        if _CONTROLS_IN_TEXT.search(value):
            raise _fail(path, "control characters are not allowed in EPCIS text", value)
    elif isinstance(value, dict):
        for key, item in value.items():
            at = canonical.path_of(path, [key]) if isinstance(key, str) else path
            if not isinstance(key, str) or _CONTROLS.search(key):
                raise _fail(at, "a key is text without control characters", key)
            if not isinstance(item, (int, float, Decimal)) or isinstance(item, bool):
                _check_text(item, at, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{path}[{i}]", depth + 1)


def _plain(value: Any) -> Any:
    """Numbers in their shortest form where that is the same value (``200.50`` is ``200.5``, ``1e5`` is
    ``100000.0``: what ``json.loads`` gave before, so event hashes did not change); a number no float holds
    exactly (``0.1000000000000000000001``, ``1e400``) stays as written: never rounded into another event."""
    if isinstance(value, Decimal):
        if isinstance(value, canonical.JsonNumber) and value.text == "-0":
            return 0
        if value.is_finite():
            as_float = float(value)
            if math.isfinite(as_float) and Decimal(repr(as_float)) == value:
                return as_float
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _quantity(value: object) -> bool:
    """A non-negative finite number (an integer, or a JSON number as written: not a boolean, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    return value >= 0


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


def normalise(given: object, index: int) -> EpcisEvent:
    """Validates one event and returns it normalised, with its hash."""
    at = f"eventList[{index}]"
    if not isinstance(given, dict):
        raise _fail(at, "an event is a JSON object")
    kind = given.get("type")
    if kind not in EVENT_TYPES:
        raise _fail(f"{at}.type", f"must be one of {', '.join(EVENT_TYPES)}", kind)
    raw: dict[str, Any] = _plain(given)
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
                if qty is not None and not _quantity(qty):
                    raise _fail(f"{at}.{key}[{i}].quantity", "must be a non-negative number", qty)
                entry = dict(q)
                entry["epcClass"] = _epc(q["epcClass"], f"{at}.{key}[{i}].epcClass")
                epcs.append((entry["epcClass"], role))
                out.append(entry)
            event[key] = out
    for key, vocabulary in (("bizStep", BIZ_STEP), ("disposition", DISPOSITION)):
        if key in raw:
            event[key] = _cbv(raw[key], f"{at}.{key}", vocabulary)
    for key, item, vocabulary in _TYPED_LISTS:
        if key in raw:
            event[key] = _typed(raw, key, item, vocabulary, at)
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
    text = canonical.dumps(event, at)
    if _SUSPECT.search(text):  # a control character may be there: find it, or pass (a backslash, a tab)
        _check_text(raw, at)
    try:
        event_hash = "0x" + keccak(text.encode()).hex()
    except UnicodeEncodeError:
        raise _fail(at, "holds a lone UTF-16 surrogate, which is not text") from None
    return EpcisEvent(index, event_hash, kind, when, location, event, tuple(dict.fromkeys(epcs)), text)


# --------------------------------------------------------------------------- CBV 2.0 event hash
CBV_HASH = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")
_CONTEXT_FILES = {  # the JSON-LD contexts the reference implementation ships (read offline, never fetched)
    CONTEXT: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
}


def _offline_loader(url: str, options: object = None) -> dict[str, Any]:
    """pyld's document loader: the EPCIS contexts from the reference implementation's files; nothing fetched."""
    import importlib.resources

    name = _CONTEXT_FILES.get(url)
    if name is None:
        raise jsonld.JsonLdError(f"{url} is not an EPCIS context known offline", "jsonld.LoadDocumentError")
    text = importlib.resources.files("epcis_event_hash_generator").joinpath(name).read_text()
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": json.loads(text)}


jsonld.set_document_loader(_offline_loader)


def _hash_context(context: object) -> list[Any]:
    """The document's @context as the reference implementation can read it offline: a context URL it does not
    ship (``epcis-context-simple.jsonld``, a vendor's) is read as the EPCIS 2.0 context, and of the inline
    definitions only the namespace prefixes (term to URI) are kept (the reference reads no other kind)."""
    given = context if isinstance(context, list) else [context]
    out: list[Any] = [CONTEXT]
    out += [item for item in given if isinstance(item, str) and item in _CONTEXT_FILES and item != CONTEXT]
    prefixes = _prefixes(context)
    return [*out, prefixes] if prefixes else out


def _prefixes(context: object) -> dict[str, str]:
    """The namespace prefixes (term to URI) a document's @context defines inline."""
    given = context if isinstance(context, list) else [context]
    return {k: v for item in given if isinstance(item, dict) for k, v in item.items() if isinstance(v, str)}


def _type_first(event: Any) -> Any:
    """The event with ``type`` first in each of its business transactions, sources and destinations, as EPCIS
    documents write them: the reference implementation hashes these objects in their key order, and the index
    keeps bodies with sorted keys."""
    if not isinstance(event, dict):
        return event
    out = dict(event)
    for key in ("bizTransactionList", "sourceList", "destinationList"):
        if isinstance(out.get(key), list):
            out[key] = [
                {k: entry[k] for k in sorted(entry, key=lambda k: k != "type")} if isinstance(entry, dict) else entry
                for entry in out[key]
            ]
    return out


def _floats(value: Any) -> Any:
    """Numbers as ``json.loads`` gives them (what the reference implementation reads)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _reference_hashes(events: list[Any], context: list[Any]) -> list[str]:
    document = {"@context": context, "type": "EPCISDocument", "epcisBody": {"eventList": events}}
    hash_generator.JOIN_BY = ""
    json_to_py._namespaces.clear()  # the reference keeps the prefixes of every document it read: only this one's
    quiet = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # its warnings go to the root logger, i.e. stderr: errors are ours, one line
    try:
        simple = json_to_py.event_list_from_epcis_document_json(document)
        out: list[str] = []
        for event in simple[2]:
            pre = hash_generator.derive_prehashes_from_events(("EventList", "", [event]), "")
            out += hash_generator.calculate_hashes_from_pre_hashes(pre, "sha256") if len(pre) == 1 else [""]
        return out
    finally:
        logging.disable(quiet)


def cbv_hashes(events: list[Any], context: object = None) -> list[str]:
    """The CBV 2.0 event hash ID of each event (raw, as in a document's eventList, whose ``@context`` is
    ``context``), by GS1's reference implementation; ``""`` for an event it cannot hash (it fails, for one, on a
    bizTransaction without a type)."""
    given = [_floats(e) for e in events]
    ctx = _hash_context(context)
    try:
        return _reference_hashes(given, ctx)
    except Exception:  # the reference raises anything on what it cannot read: event by event
        out = []
        for event in given:
            try:
                out += _reference_hashes([event], ctx)
            except Exception:
                out.append("")
        return out


def read_document(source: Path | str | dict[str, Any]) -> list[EpcisEvent]:
    """Every event of a document, validated and normalised, with its CBV 2.0 event hash; the first bad event
    rejects the whole."""
    if isinstance(source, dict):
        document: object = source
    else:
        path = Path(source)
        data = canonical.read_bytes(path, "file")
        if not data.strip():
            raise InputError("file", "is empty", str(path))
        try:
            document = canonical.loads(data, "")
        except canonical.JsonSyntaxError as exc:
            raise InputError("file", f"not JSON ({exc.detail})", str(path)) from None
    raws = events_of(document)
    events = [normalise(raw, i) for i, raw in enumerate(raws)]
    context = document.get("@context") if isinstance(document, dict) else None
    prefixes = _prefixes(context)
    namespaces = canonical.dumps(prefixes) if prefixes else ""
    hashes = cbv_hashes(raws, context)
    return [replace(e, cbv_hash=h, namespaces=namespaces) for e, h in zip(events, hashes, strict=True)]


@dataclass(frozen=True)
class ImportResult:
    events: int
    anchored: int  # newly anchored now
    already: int  # found anchored before (a resumed or repeated import)
    transactions: list[str]
    anchored_events: tuple[int, ...] = ()  # the indexes (in eventList) of the events anchored now

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "anchored": self.anchored,
            "alreadyAnchored": self.already,
            "transactions": self.transactions,
        }


def _ranges(indexes: Iterable[int], most: int = 12) -> str:
    """``0-39, 80, 82-90`` (at most ``most`` ranges, then how many more events)."""
    spans: list[tuple[int, int]] = []
    for i in sorted(indexes):
        if spans and i == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((i, i))
    shown = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:most])
    rest = sum(b - a + 1 for a, b in spans[most:])
    return shown + (f" and {rest} more" if rest else "")


class ImportInterrupted(TradechainError):
    """An import failed after some of its batches were anchored. ``result`` says exactly which events are on
    chain now (``result.anchored_events``, indexes in eventList) and by which transactions; ``failed`` are the
    events of the batch that failed (it may still land if the node lost only the reply); ``cause`` is the error.
    The events after it were not sent. Running the same import again records only what the chain does not show
    anchored yet."""

    exit_code = 1

    def __init__(self, result: ImportResult, failed: list[EpcisEvent], todo: int, cause: BaseException) -> None:
        why = cause.user_message if isinstance(cause, TradechainError) else f"{type(cause).__name__}: {cause}"
        super().__init__(
            f"the import stopped part way: {result.anchored} of {todo} new event(s) were anchored "
            f"(eventList[{_ranges(result.anchored_events)}]) in {len(result.transactions)} transaction(s) "
            f"({', '.join(result.transactions)}); the batch of eventList[{_ranges(e.index for e in failed)}] "
            f"failed: {why}; the events after it were not sent. Run the same import again: it records only the "
            "events the chain does not show anchored yet"
        )
        self.result = result
        self.failed = failed
        self.cause = cause


def _backfill(store: Store) -> None:
    """Events kept by an index older than CBV 2.0 event hashes get theirs (from their normalised body, which
    hashes as the event did)."""
    rows = store.epcis_events_without_cbv_hash()
    if not rows:
        return
    limits = canonical.JsonLimits(max_bytes=2**31)
    bodies = [_type_first(canonical.loads(body, f"index event {h}", limits=limits)) for h, body in rows]
    hashes = [cbv_hashes([body])[0] for body in bodies]  # one by one: their documents' contexts are not kept
    with store.transaction():
        store.set_cbv_hashes(zip((h for h, _ in rows), hashes, strict=True))


def distinct_events(store: Store, events: list[EpcisEvent]) -> list[EpcisEvent]:
    """The events that are not the same event, by the CBV 2.0 event hash, as one kept already or one earlier in
    the list under another hash of ours (another ``eventID``, comment, recordTime, layout or identifier form)."""
    _backfill(store)
    known = store.cbv_hashes_known(e.cbv_hash for e in events)
    out = []
    for e in events:
        twin = known.get(e.cbv_hash) if e.cbv_hash else None
        if twin is None or twin == e.event_hash:
            out.append(e)
            if e.cbv_hash:
                known[e.cbv_hash] = e.event_hash
    return out


def _keep(store: Store, events: list[EpcisEvent]) -> None:
    """Keeps the events in the index database, each body as its canonical JSON (numbers as written)."""
    with store.transaction():
        store.db.executemany(
            "INSERT OR IGNORE INTO epcis_events (event_hash, event_time, body, cbv_hash, namespaces) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (e.event_hash, e.time.isoformat(), e.text or canonical.dumps(e.body), e.cbv_hash, e.namespaces or None)
                for e in events
            ],
        )
        store.db.executemany(
            "INSERT OR IGNORE INTO epc_events VALUES (?, ?, ?)",
            [(epc, e.event_hash, role) for e in events for epc, role in e.epcs],
        )


def import_events(
    client: Client,
    store: Store,
    events: list[EpcisEvent],
    *,
    batch: int = ANCHOR_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Keeps the events in the store and anchors those not yet on chain (the store must be synced). If a batch
    fails after others were anchored, :class:`ImportInterrupted` says exactly which events were (a re-run records
    the rest); if the first batch fails, its own error is raised (nothing else was sent). An event that is, by
    its CBV 2.0 event hash, one kept already or one earlier in ``events`` is neither kept nor anchored again
    (counted as already anchored)."""
    distinct = distinct_events(store, events)
    _keep(store, distinct)
    anchored = {str(r[0]) for r in store.db.execute("SELECT event_hash FROM epcis_anchors")}
    todo = list({e.event_hash: e for e in distinct if e.event_hash not in anchored}.values())
    txs: list[str] = []
    done: list[int] = []
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        try:
            receipt = client.products.record_events([e.anchor() for e in chunk])
        except Exception as exc:
            if not txs:
                raise
            partial = ImportResult(len(events), len(done), len(events) - len(todo), txs, tuple(done))
            raise ImportInterrupted(partial, chunk, len(todo), exc) from exc
        txs.append(receipt.tx_hash)
        done += [e.index for e in chunk]
        if progress:
            progress(len(done), len(todo))
    return ImportResult(len(events), len(todo), len(events) - len(todo), txs, tuple(done))


def export_document(store: Store, epc: str) -> dict[str, Any]:
    """An EPCIS 2.0 document of every stored event naming ``epc`` (URN or Digital Link), in time order, its
    each with its CBV 2.0 event hash ID as ``eventID`` where it has none,
    numbers as normalised on import (a number no float holds exactly is a
    :class:`~tradechain.formats.canonical.JsonNumber`:
    write the document with :func:`export_text` or :func:`tradechain.formats.canonical.dumps`)."""
    if ":" not in epc:
        raise InputError("epc", "must be an EPC URN or a GS1 Digital Link URI", epc)
    rows = store.db.execute(
        "SELECT DISTINCT ev.body, ev.event_time, ev.event_hash, ev.cbv_hash, ev.namespaces FROM epc_events x "
        "JOIN epcis_events ev ON ev.event_hash = x.event_hash WHERE x.epc = ? ORDER BY ev.event_time, ev.event_hash",
        (to_digital_link(epc, "epc"),),
    ).fetchall()
    limits = canonical.JsonLimits(max_bytes=2**31)
    events = [_type_first(_plain(canonical.loads(str(r[0]), f"index event {r[2]}", limits=limits))) for r in rows]
    for event, row in zip(events, rows, strict=True):
        if "eventID" not in event and row[3]:  # the CBV 2.0 event hash ID, which any system can recompute
            event["eventID"] = str(row[3])
    prefixes: dict[str, str] = {}  # the namespaces the events' extension fields use (the first wins on a clash)
    for row in rows:
        if row[4]:
            prefixes = {**json.loads(str(row[4])), **prefixes}
    return {
        "@context": [CONTEXT, prefixes] if prefixes else [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": events},
    }


def export_text(store: Store, epc: str) -> str:
    """:func:`export_document` as JSON text (indented, key order kept, numbers as written)."""
    return canonical.dumps(export_document(store, epc), "export", sort_keys=False, indent=2)


def anchors_of(events: Iterable[EpcisEvent]) -> list[tuple[bytes, int, int, int]]:
    return [e.anchor() for e in events]

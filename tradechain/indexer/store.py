"""SQLite schema, writer and queries of the indexer.

Every row carries the ``(block, log_index)`` of the event that wrote it, so a rewind after a reorganisation is
``DELETE ... WHERE block > ancestor`` on every table, and current state is the latest row.

Nothing a member writes on chain can stop the index: the contracts take lot numbers, origins, serials and reasons
as arbitrary bytes, so each is stored as text only when it is UTF-8 without control or format characters, and
otherwise as ``0x`` hex of its bytes with a flag beside it (``lot_number_hex``, ``origin_hex``, ``serial_hex``,
``reason_hex``); see :func:`readable`. An event that cannot be read at all is kept raw in ``raw_logs``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

SCHEMA_VERSION = "2"  # 2: parent hashes, hex flags, raw_logs; an index of another version is rebuilt from the chain

META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY, hash TEXT NOT NULL, parent_hash TEXT NOT NULL, timestamp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, name TEXT NOT NULL,
    unit TEXT, org INTEGER, args TEXT NOT NULL, PRIMARY KEY (block, log_index));
CREATE INDEX IF NOT EXISTS events_unit ON events (unit, block, log_index);
CREATE TABLE IF NOT EXISTS lots (
    lot TEXT PRIMARY KEY, gtin TEXT NOT NULL, lot_number TEXT NOT NULL, lot_number_hex INTEGER NOT NULL,
    owner INTEGER NOT NULL, expires_at INTEGER NOT NULL, origin TEXT NOT NULL, origin_hex INTEGER NOT NULL,
    data_hash TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lots_gtin ON lots (gtin, lot_number);
CREATE TABLE IF NOT EXISTS batches (
    batch TEXT PRIMARY KEY, lot TEXT NOT NULL, serials_root TEXT NOT NULL, count INTEGER NOT NULL,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS batches_lot ON batches (lot);
CREATE TABLE IF NOT EXISTS custody (
    unit TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, custodian INTEGER NOT NULL,
    pending INTEGER NOT NULL, consumed INTEGER NOT NULL, PRIMARY KEY (unit, block, log_index));
CREATE TABLE IF NOT EXISTS packing (
    child TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, container TEXT,
    PRIMARY KEY (child, block, log_index));
CREATE INDEX IF NOT EXISTS packing_container ON packing (container);
CREATE TABLE IF NOT EXISTS edges (
    input TEXT NOT NULL, output TEXT NOT NULL, transformation TEXT NOT NULL, block INTEGER NOT NULL,
    log_index INTEGER NOT NULL, PRIMARY KEY (input, output, block));
CREATE INDEX IF NOT EXISTS edges_output ON edges (output);
CREATE TABLE IF NOT EXISTS recalls (
    lot TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, by_org INTEGER NOT NULL,
    reason TEXT NOT NULL, reason_hex INTEGER NOT NULL, PRIMARY KEY (lot, block, log_index));
CREATE TABLE IF NOT EXISTS dispensed (
    batch TEXT NOT NULL, idx INTEGER NOT NULL, serial TEXT NOT NULL, serial_hex INTEGER NOT NULL, org INTEGER NOT NULL,
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (batch, idx));
CREATE TABLE IF NOT EXISTS epcis_anchors (
    event_hash TEXT NOT NULL, org INTEGER NOT NULL, event_type INTEGER NOT NULL, event_time INTEGER NOT NULL,
    location TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, PRIMARY KEY (block, log_index));
CREATE INDEX IF NOT EXISTS epcis_anchors_hash ON epcis_anchors (event_hash);
CREATE TABLE IF NOT EXISTS cert_owners (
    token TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, from_addr TEXT NOT NULL,
    to_addr TEXT NOT NULL, PRIMARY KEY (token, block, log_index));
-- Events that could not be read (kept as the node gave them: topics as a JSON list, data as 0x hex), and why.
CREATE TABLE IF NOT EXISTS raw_logs (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, address TEXT NOT NULL,
    topics TEXT NOT NULL, data TEXT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (block, log_index));
-- Off chain: the EPCIS documents' events (kept by whoever imported them) and which EPCs each one names.
-- cbv_hash: the CBV 2.0 event hash ID (ni:///sha-256;...?ver=CBV2.0), NULL if not computed (an older index,
-- filled in on the next import) or "" if GS1's reference implementation cannot hash the event; namespaces: the
-- JSON-LD prefixes its document defined (a JSON object, NULL if none), which its extension fields use.
CREATE TABLE IF NOT EXISTS epcis_events (event_hash TEXT PRIMARY KEY, event_time TEXT NOT NULL, body TEXT NOT NULL,
    cbv_hash TEXT, namespaces TEXT);
CREATE TABLE IF NOT EXISTS epc_events (epc TEXT NOT NULL, event_hash TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (epc, event_hash, role));
"""

# The EPCIS part of the origin and impact graph: ``epc_events`` finds the events naming an EPC as input or output
# of a TransformationEvent, parent or child of an AggregationEvent; their bodies say what they link it to, and
# this index finds the other events of a transformationID.
EPCIS_GRAPH_SCHEMA = """
CREATE INDEX IF NOT EXISTS epcis_events_transformation ON epcis_events (json_extract(body, '$.transformationID'));
"""
DIGITAL_LINK = "https://id.gs1.org"
_LGTIN_LINK = re.compile(r"https://id\.gs1\.org/01/(\d{14})/10/([^/]+)")
_SSCC_LINK = re.compile(r"https://id\.gs1\.org/00/(\d{18})")
_LINK_FIELDS = re.compile(r"https://id\.gs1\.org/01/(\d{14})(?:/10/([^/]+))?(?:/21/([^/]+))?")
MAX_DEPTH = 64  # of the origin and impact trees
_CHUNK = 400  # identifiers per IN (...) list

CHAIN_TABLES = (
    "blocks",
    "events",
    "lots",
    "batches",
    "custody",
    "packing",
    "edges",
    "recalls",
    "dispensed",
    "epcis_anchors",
    "cert_owners",
    "raw_logs",
)

# Not stored as text: control characters (C0, DEL, C1: terminal escapes, NUL), format characters (bidirectional
# overrides, zero-width), line and paragraph separators, surrogates.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def readable(raw: bytes, *, padded: bool = True) -> tuple[str, bool]:
    """``(text, False)`` when ``raw`` is UTF-8 without control or format characters, else ``("0x" + hex, True)``.

    ``padded``: a ``bytesN`` value, whose trailing zero bytes are padding (the text is what precedes them); the
    hex form is always of every byte, as given on chain."""
    body = raw.rstrip(b"\0") if padded else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex(), True
    if any(unicodedata.category(c) in _UNSAFE_CATEGORIES for c in text):
        return "0x" + raw.hex(), True
    return text, False


def _raw(value: Any) -> bytes:
    """An event argument's bytes, given as bytes or as 0x hex."""
    if isinstance(value, bytes):
        return value
    return bytes.fromhex(str(value).removeprefix("0x"))


def _flags(row: dict[str, Any], *names: str) -> dict[str, Any]:
    """SQLite's 0/1 flags as booleans (None stays None: a lot the index does not know)."""
    for name in names:
        if row.get(name) is not None:
            row[name] = bool(row[name])
    return row


class Store:
    """The indexer's database. One writer; any number of readers."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(META)
        self._migrate()
        self.db.executescript(SCHEMA)
        self.db.executescript(EPCIS_GRAPH_SCHEMA)
        self._add_cbv_hash()

    def _add_cbv_hash(self) -> None:
        """An index written before CBV 2.0 event hashes gains the columns (NULL: the hash filled in on the next
        import)."""
        added = ("cbv_hash", "namespaces")
        columns = {str(r[1]) for r in self.db.execute("PRAGMA table_info(epcis_events)")}
        if not columns.issuperset(added):
            with self.transaction():
                columns = {str(r[1]) for r in self.db.execute("PRAGMA table_info(epcis_events)")}
                for column in added:  # again, under the write lock; names from the constant above
                    if column not in columns:
                        self.db.execute(f"ALTER TABLE epcis_events ADD COLUMN {column} TEXT")
        self.db.execute("CREATE INDEX IF NOT EXISTS epcis_events_cbv ON epcis_events (cbv_hash)")

    def _migrate(self) -> None:
        """An index of another schema version is rebuilt from the chain: its chain tables are dropped (the next
        sync reads them again from the deployment block); the deployment it is bound to and the off-chain EPCIS
        documents stay."""
        if self.get_meta("schema") == SCHEMA_VERSION:
            return
        with self.transaction():
            if self.get_meta("schema") != SCHEMA_VERSION:  # again, under the write lock
                for table in CHAIN_TABLES:  # names from the constant above, never from data
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute("DELETE FROM meta WHERE key = ?", ("last_block",))
                self.set_meta("schema", SCHEMA_VERSION)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a crash inside leaves the database as before."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -------------------------------------------------------------- meta

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?", (key, value, value)
        )

    def last_block(self) -> int:
        value = self.get_meta("last_block")
        return -1 if value is None else int(value)

    def block_hash(self, number: int) -> str | None:
        row = self.db.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else str(row[0])

    def block_hashes(self, low: int, high: int) -> dict[int, str]:
        """The stored hashes of blocks ``low`` to ``high``."""
        rows = self.db.execute("SELECT number, hash FROM blocks WHERE number BETWEEN ? AND ?", (low, high))
        return {int(r[0]): str(r[1]) for r in rows}

    def put_block(self, number: int, block_hash: str, parent_hash: str, timestamp: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?)", (number, block_hash, parent_hash, timestamp)
        )

    def put_raw_log(
        self, block: int, log_index: int, tx_hash: str, address: str, topics: list[str], data: str, error: str
    ) -> None:
        """Keeps an event that could not be read, as the node gave it (inside the caller's transaction)."""
        self.db.execute(
            "INSERT OR REPLACE INTO raw_logs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (block, log_index, tx_hash, address, json.dumps(topics), data, error),
        )

    def raw_logs(self) -> list[dict[str, Any]]:
        """The events kept raw because they could not be read, in chain order."""
        rows = [dict(r) for r in self.db.execute("SELECT * FROM raw_logs ORDER BY block, log_index")]
        for r in rows:
            r["topics"] = json.loads(r["topics"])
        return rows

    def rewind(self, ancestor: int) -> None:
        """Forgets everything above block ``ancestor`` (inside the caller's transaction)."""
        for table in CHAIN_TABLES:
            column = "number" if table == "blocks" else "block"
            self.db.execute(f"DELETE FROM {table} WHERE {column} > ?", (ancestor,))
        self.set_meta("last_block", str(ancestor))

    # -------------------------------------------------------------- writer (applies one decoded event)

    def _custody(self, unit: str) -> tuple[int, int, int]:
        row = self.db.execute(
            "SELECT custodian, pending, consumed FROM custody WHERE unit = ? ORDER BY block DESC, log_index DESC "
            "LIMIT 1",
            (unit,),
        ).fetchone()
        return (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))

    def _set_custody(self, unit: str, pos: tuple[int, int], custodian: int, pending: int, consumed: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO custody VALUES (?, ?, ?, ?, ?, ?)", (unit, *pos, custodian, pending, consumed)
        )

    def apply(self, name: str, args: dict[str, Any], block: int, log_index: int, tx_hash: str) -> None:
        """Writes one event of ProductRegistry (or any other contract: kept in ``events`` only).

        ``args`` as decoded: bytes values as bytes (or 0x hex), kept in ``events`` as 0x hex; a ``string`` argument
        already made safe by the caller (:func:`readable`, those given in hex named in ``args["hexFields"]``).
        Arbitrary bytes (lot number, origin, serial, reason) go into their tables through :func:`readable`."""
        pos = (block, log_index)
        a: dict[str, Any] = {k: _hexed(v) for k, v in args.items()}
        unit: str | None
        if "tokenId" in a:  # a certificate
            unit = f"0x{int(a['tokenId']):064x}"
        else:
            unit = a.get("unit") or a.get("batch") or a.get("container") or a.get("lot") or a.get("eventHash")
        org = next(
            (
                a[k]
                for k in ("organisation", "owner", "to", "by", "inspector", "brand")
                if isinstance(a.get(k), int) and 0 <= a[k] < 2**63
            ),
            None,
        )
        self.db.execute(
            "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (block, log_index, tx_hash, name, unit, org, json.dumps(a, default=_jsonable)),
        )
        if name == "Transfer":
            self.db.execute(
                "INSERT OR REPLACE INTO cert_owners VALUES (?, ?, ?, ?, ?)", (unit, *pos, a["from"], a["to"])
            )
        elif name == "LotRegistered":
            lot_number, lot_number_hex = readable(_raw(args["lotNumber"]))
            origin, origin_hex = readable(_raw(args["origin"]))
            self.db.execute(
                "INSERT OR REPLACE INTO lots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    a["lot"],
                    f"{a['gtin']:014d}",
                    lot_number,
                    lot_number_hex,
                    a["owner"],
                    a["expiresAt"],
                    origin,
                    origin_hex,
                    a["dataHash"],
                    *pos,
                ),
            )
            self._set_custody(a["lot"], pos, a["owner"], 0, 0)
        elif name == "Commissioned":
            self.db.execute(
                "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
                (a["batch"], a["lot"], a["serialsRoot"], a["count"], *pos),
            )
            self._set_custody(a["batch"], pos, a["owner"], 0, 0)
        elif name == "Packed":
            if self._custody(a["container"]) == (0, 0, 0):
                self._set_custody(a["container"], pos, a["organisation"], 0, 0)
            for child in a["children"]:
                self.db.execute("INSERT OR REPLACE INTO packing VALUES (?, ?, ?, ?)", (child, *pos, a["container"]))
        elif name == "Unpacked":
            for child in a["children"]:
                self.db.execute("INSERT OR REPLACE INTO packing VALUES (?, ?, ?, NULL)", (child, *pos))
                _, _, consumed = self._custody(child)
                self._set_custody(child, pos, a["organisation"], 0, consumed)
        elif name == "Shipped":
            _, _, consumed = self._custody(a["unit"])
            self._set_custody(a["unit"], pos, a["from"], a["to"], consumed)
        elif name == "ShipmentCancelled":
            _, _, consumed = self._custody(a["unit"])
            self._set_custody(a["unit"], pos, a["from"], 0, consumed)
        elif name == "Received":
            _, _, consumed = self._custody(a["unit"])
            self._set_custody(a["unit"], pos, a["to"], 0, consumed)
        elif name == "Transformed":
            for i in a["inputs"]:
                custodian, pending, _ = self._custody(i)
                self._set_custody(i, pos, custodian, pending, 1)
                for o in a["outputs"]:
                    self.db.execute(
                        "INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)", (i, o, a["transformation"], *pos)
                    )
        elif name == "Recalled":
            reason, reason_hex = readable(_raw(args["reason"]))
            self.db.execute(
                "INSERT OR REPLACE INTO recalls VALUES (?, ?, ?, ?, ?, ?)",
                (a["lot"], *pos, a["by"], reason, reason_hex),
            )
        elif name == "Dispensed":
            serial, serial_hex = readable(_raw(args["serial"]))
            self.db.execute(
                "INSERT OR REPLACE INTO dispensed VALUES (?, ?, ?, ?, ?, ?, ?)",
                (a["batch"], a["index"], serial, serial_hex, a["organisation"], *pos),
            )
        elif name == "EpcisEventRecorded":
            self.db.execute(  # a location (GLN) is any uint64 on chain: as text, since SQLite's integers stop at 2**63
                "INSERT OR REPLACE INTO epcis_anchors VALUES (?, ?, ?, ?, ?, ?, ?)",
                (a["eventHash"], a["organisation"], a["eventType"], a["eventTime"], str(a["location"]), *pos),
            )

    # -------------------------------------------------------------- off-chain EPCIS bodies

    def put_epcis_events(self, events: Iterable[tuple[str, str, dict[str, Any], list[tuple[str, str]]]]) -> None:
        """(event hash, event time, normalised event, [(epc, role)]) for each event; idempotent."""
        for event_hash, event_time, body, epcs in events:
            self.db.execute(
                "INSERT OR IGNORE INTO epcis_events (event_hash, event_time, body) VALUES (?, ?, ?)",
                (event_hash, event_time, json.dumps(body, sort_keys=True, separators=(",", ":"))),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO epc_events VALUES (?, ?, ?)", [(epc, event_hash, role) for epc, role in epcs]
            )

    def cbv_hashes_known(self, hashes: Iterable[str]) -> dict[str, str]:
        """Of the CBV 2.0 event hashes given, those of events already kept: {cbv hash: our event hash}."""
        wanted = [h for h in set(hashes) if h]
        known: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            rows = self.db.execute(
                f"SELECT cbv_hash, event_hash FROM epcis_events WHERE cbv_hash IN ({', '.join('?' * len(part))})",
                part,
            )
            known.update({str(r[0]): str(r[1]) for r in rows})
        return known

    def epcis_events_without_cbv_hash(self) -> list[tuple[str, str]]:
        """(event hash, body) of the events kept before CBV 2.0 event hashes were computed."""
        rows = self.db.execute("SELECT event_hash, body FROM epcis_events WHERE cbv_hash IS NULL")
        return [(str(r[0]), str(r[1])) for r in rows]

    def set_cbv_hashes(self, pairs: Iterable[tuple[str, str]]) -> None:
        """(event hash, CBV 2.0 event hash) for events already kept."""
        self.db.executemany("UPDATE epcis_events SET cbv_hash = ? WHERE event_hash = ?", [(c, e) for e, c in pairs])

    def cbv_hash_of(self, event_hash: str) -> str | None:
        row = self.db.execute("SELECT cbv_hash FROM epcis_events WHERE event_hash = ?", (event_hash,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    # -------------------------------------------------------------- queries

    def current_custody(self, unit: str) -> dict[str, Any] | None:
        """Who holds ``unit`` now: the custodian of its outermost container."""
        outer, path = unit, [unit]
        for _ in range(16):
            row = self.db.execute(
                "SELECT container FROM packing WHERE child = ? ORDER BY block DESC, log_index DESC LIMIT 1", (outer,)
            ).fetchone()
            if row is None or row[0] is None:
                break
            outer = str(row[0])
            path.append(outer)
        row = self.db.execute(
            "SELECT custodian, pending, consumed FROM custody WHERE unit = ? "
            "ORDER BY block DESC, log_index DESC LIMIT 1",
            (outer,),
        ).fetchone()
        if row is None:
            return None
        return {
            "unit": unit,
            "holder": int(row[0]),
            "inTransitTo": int(row[1]) or None,
            "consumed": bool(self._custody(unit)[2]),
            "via": path[1:],
        }

    def contents(self, container: str) -> list[str]:
        """Units packed in ``container`` now (directly)."""
        rows = self.db.execute(
            "SELECT p.child FROM packing p WHERE p.container = ? AND NOT EXISTS (SELECT 1 FROM packing q WHERE "
            "q.child = p.child AND (q.block > p.block OR (q.block = p.block AND q.log_index > p.log_index)))",
            (container,),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def history(self, unit: str) -> list[dict[str, Any]]:
        """Everything that happened to ``unit``: its own events, those of its lot (for a batch: its registration,
        inspections and recall), and those of every container while it was packed in it, in chain order."""
        rows = [
            dict(r)
            for r in self.db.execute(
                "SELECT e.block, e.log_index, e.tx_hash, e.name, e.unit, e.org, e.args, b.timestamp FROM events e "
                "LEFT JOIN blocks b ON b.number = e.block WHERE e.unit = ?",
                (unit,),
            )
        ]
        lot = self.db.execute("SELECT lot FROM batches WHERE batch = ?", (unit,)).fetchone()
        if lot is not None:
            rows += [
                dict(r)
                for r in self.db.execute(
                    "SELECT e.block, e.log_index, e.tx_hash, e.name, e.unit, e.org, e.args, b.timestamp FROM events e "
                    "LEFT JOIN blocks b ON b.number = e.block WHERE e.unit = ? AND e.name IN ('LotRegistered', "
                    "'Inspected', 'Recalled')",
                    (lot[0],),
                )
            ]
        select = "SELECT e.block, e.log_index, e.tx_hash, e.name, e.unit, e.org, e.args, b.timestamp FROM events e "
        rows += [
            dict(r)
            for r in self.db.execute(  # being packed and unpacked
                select + "JOIN packing p ON p.block = e.block AND p.log_index = e.log_index "
                "LEFT JOIN blocks b ON b.number = e.block WHERE p.child = ?",
                (unit,),
            )
        ]
        rows += [
            dict(r)
            for r in self.db.execute(  # being made or consumed by a transformation
                select + "JOIN (SELECT DISTINCT block, log_index FROM edges WHERE input = ? OR output = ?) t "
                "ON t.block = e.block AND t.log_index = e.log_index LEFT JOIN blocks b ON b.number = e.block",
                (unit, unit),
            )
        ]
        periods = self._packed_periods(unit)
        for container, start, end in periods:
            rows += [
                dict(r)
                for r in self.db.execute(
                    "SELECT e.block, e.log_index, e.tx_hash, e.name, e.unit, e.org, e.args, b.timestamp FROM events e "
                    "LEFT JOIN blocks b ON b.number = e.block WHERE e.unit = ? AND e.name IN ('Shipped', 'Received', "
                    "'ShipmentCancelled', 'Inspected') AND (e.block > ? OR (e.block = ? AND e.log_index > ?)) AND "
                    "(e.block < ? OR (e.block = ? AND e.log_index < ?))",
                    (container, start[0], start[0], start[1], end[0], end[0], end[1]),
                )
            ]
        rows.sort(key=lambda r: (r["block"], r["log_index"]))
        for r in rows:
            r["args"] = json.loads(r["args"])
        return rows

    def item_history(self, batch: str, index: int) -> list[dict[str, Any]]:
        """The on-chain life of item ``index`` of ``batch`` (one pack): the batch's :meth:`history` (its lot's
        registration, inspections and recall, its commissioning, custody and containers) with only this item's
        dispensing."""
        return [r for r in self.history(batch) if r["name"] != "Dispensed" or int(r["args"].get("index", -1)) == index]

    def batch_info(self, batch: str) -> dict[str, Any] | None:
        """A commissioning as recorded: its lot, serial root and count (None if the index has no such batch)."""
        row = self.db.execute(
            "SELECT batch, lot, serials_root, count FROM batches WHERE batch = ?", (batch,)
        ).fetchone()
        return None if row is None else dict(row)

    def dispensed_items(self, gtin: str, serial: str, lot: str | None = None) -> list[tuple[str, int]]:
        """The items of GTIN ``gtin`` (and of lot id ``lot``, if given) dispensed with serial ``serial``, as
        (batch, index), in chain order: a dispensing is the one event that names a serial on chain."""
        rows = self.db.execute(
            "SELECT d.batch, d.idx FROM dispensed d JOIN batches b ON b.batch = d.batch JOIN lots l ON l.lot = b.lot "
            "WHERE l.gtin = ? AND d.serial = ? AND d.serial_hex = 0 AND (? IS NULL OR b.lot = ?) "
            "ORDER BY d.block, d.log_index",
            (gtin, serial, lot, lot),
        ).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

    def _packed_periods(self, unit: str) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
        rows = self.db.execute(
            "SELECT block, log_index, container FROM packing WHERE child = ? ORDER BY block, log_index", (unit,)
        ).fetchall()
        periods = []
        for i, row in enumerate(rows):
            if row["container"] is None:
                continue
            end = (rows[i + 1]["block"], rows[i + 1]["log_index"]) if i + 1 < len(rows) else (2**62, 0)
            periods.append((str(row["container"]), (int(row["block"]), int(row["log_index"])), end))
        return periods

    def lot_info(self, lot: str) -> dict[str, Any] | None:
        """A lot as registered; ``lot_number_hex``/``origin_hex`` say the value is 0x hex of bytes that are not
        safe text (see :func:`readable`)."""
        row = self.db.execute(
            "SELECT lot, gtin, lot_number, lot_number_hex, owner, expires_at, origin, origin_hex, data_hash FROM lots "
            "WHERE lot = ?",
            (lot,),
        ).fetchone()
        if row is None:
            return None
        info = _flags(dict(row), "lot_number_hex", "origin_hex")
        info["recalled"] = self.db.execute("SELECT 1 FROM recalls WHERE lot = ?", (lot,)).fetchone() is not None
        return info

    def origin(self, lot: str) -> list[dict[str, Any]]:
        """The upstream tree of ``lot`` through transformations: every lot (or EPCIS item or class) it was made
        from, with depth. ``lot`` is a 0x lot id or a Digital Link. The graph is the chain's transformations merged
        with the imported EPCIS TransformationEvents (outputs from inputs, by EPC and by class) and
        AggregationEvents (children from their parent): a lot both on chain and in EPCIS is one node, its 0x id.
        ``link`` says what reached a row first (``chain``, ``transformation`` or ``aggregation`` in EPCIS),
        ``epc`` names it as a Digital Link (None for a lot whose number is not safe text), ``onChain`` whether the
        index knows it as a lot (a container on chain is not one: its 0x id, ``onChain`` false)."""
        walk = self._walk(lot, downstream=False)
        found = self._lot_rows(node for node, *_ in walk)
        rows = [
            {
                "lot": node,
                "depth": depth,
                "via": via,
                **self._node_row(node, found.get(node), origin=True),
                "link": link,
            }
            for node, depth, via, link in walk
        ]
        return [_flags(r, "lot_number_hex", "origin_hex") for r in rows]

    def impact(self, lot: str) -> dict[str, Any]:
        """The downstream blast radius of ``lot``: every lot (or EPCIS item or class) made from it, every batch of
        those lots, and who holds each now. The graph is :meth:`origin`'s, followed the other way (outputs of the
        EPCIS transformations an item went into, children of an EPCIS aggregation whose parent is reached); an
        EPCIS-only entry has no owner, holder or batch (the chain does not know it)."""
        walk = self._walk(lot, downstream=True)
        found = self._lot_rows(node for node, *_ in walk)
        lots = [
            {"lot": node, "depth": depth, **self._node_row(node, found.get(node), origin=False), "link": link}
            for node, depth, _, link in walk
        ]
        for entry in lots:
            _flags(entry, "lot_number_hex")
        affected = []
        items = 0
        for entry in lots:
            holder = self.current_custody(entry["lot"])
            entry["holder"] = holder["holder"] if holder else None
            entry["consumed"] = holder["consumed"] if holder else False
            batches = []
            for b in self.db.execute("SELECT batch, count FROM batches WHERE lot = ?", (entry["lot"],)):
                custody = self.current_custody(str(b["batch"]))
                dispensed = self.db.execute("SELECT COUNT(*) FROM dispensed WHERE batch = ?", (b["batch"],)).fetchone()[
                    0
                ]
                batches.append(
                    {
                        "batch": b["batch"],
                        "items": int(b["count"]),
                        "dispensed": int(dispensed),
                        "holder": custody["holder"] if custody else None,
                    }
                )
                items += int(b["count"])
            entry["batches"] = batches
            affected.append(entry)
        holders = sorted(
            {
                h
                for e in affected
                for h in [e["holder"], *[b["holder"] for b in e["batches"]]]
                if h and not (e["consumed"] and h == e["holder"] and not e["batches"])
            }
        )
        return {"lot": lot, "lots": affected, "serializedItems": items, "holders": holders}

    # -------------------------------------------------------------- the origin and impact graph

    def _walk(self, start: str, *, downstream: bool) -> list[tuple[str, int, str | None, str | None]]:
        """Breadth first from ``start`` (a 0x id or a Digital Link): (node, depth, the node it was reached from,
        the kind of link), each node once at its least depth, sorted by depth and node."""
        first = self._canonical_nodes([start])[start]
        seen: dict[str, tuple[int, str | None, str | None]] = {first: (0, None, None)}
        frontier = [first]
        for depth in range(1, MAX_DEPTH + 1):
            found: dict[str, tuple[str, str]] = {}
            for source, target, link in self._graph_step(frontier, downstream):
                if target not in seen and target not in found:
                    found[target] = (source, link)
            for node, (source, link) in found.items():
                seen[node] = (depth, source, link)
            frontier = sorted(found)
            if not frontier:
                break
        return sorted(((n, d, v, k) for n, (d, v, k) in seen.items()), key=lambda r: (r[1], r[0]))

    def _graph_step(self, nodes: list[str], downstream: bool) -> list[tuple[str, str, str]]:
        """One step of the merged graph from ``nodes``: (node, neighbour, link kind), neighbours canonical."""
        near, far = ("input", "output") if downstream else ("output", "input")
        out: list[tuple[str, str, str]] = []
        for chunk in _chunks([n for n in nodes if n.startswith("0x")]):
            marks = ", ".join("?" * len(chunk))
            out += [
                (str(r[0]), str(r[1]), "chain")
                for r in self.db.execute(
                    f"SELECT DISTINCT {near}, {far} FROM edges WHERE {near} IN ({marks}) ORDER BY {near}, {far}", chunk
                )
            ]
        names = self._epc_names(nodes)  # epc -> node
        if not names:
            return out
        here, there = ("parent", "child") if downstream else ("child", "parent")
        hits: dict[str, set[str]] = {}  # event hash -> the EPCs of ``names`` it links from
        for chunk in _chunks(sorted(names)):
            marks = ", ".join("?" * len(chunk))
            for epc, event_hash in self.db.execute(
                f"SELECT epc, event_hash FROM epc_events WHERE epc IN ({marks}) AND role IN (?, ?)",
                (*chunk, near, here),
            ):
                hits.setdefault(str(event_hash), set()).add(str(epc))
        links: list[tuple[str, str, str]] = []
        for event_hash in sorted(hits):
            event = self._epcis_body(event_hash)
            if event.get("type") == "TransformationEvent":
                # the EPCs it went into (came out of), also through the other events of its transformationID
                if not hits[event_hash] & set(_epcs_of(event, near)):
                    continue
                events = [event]
                if isinstance(event.get("transformationID"), str):
                    events += [
                        self._epcis_body(str(r[0]))
                        for r in self.db.execute(
                            "SELECT event_hash FROM epcis_events WHERE json_extract(body, '$.transformationID') = ? "
                            "AND event_hash != ? ORDER BY event_hash",
                            (event["transformationID"], event_hash),
                        )
                    ]
                targets = [t for e in events if e.get("type") == "TransformationEvent" for t in _epcs_of(e, far)]
                kind = "transformation"
            elif event.get("type") == "AggregationEvent" and event.get("action") in ("ADD", "OBSERVE"):
                # children follow their parent (a DELETE takes them out: no link)
                if not hits[event_hash] & set(_epcs_of(event, here)):
                    continue
                targets, kind = _epcs_of(event, there), "aggregation"
            else:
                continue
            links += [(epc, t, kind) for epc in sorted(hits[event_hash]) for t in dict.fromkeys(targets)]
        canonical = self._canonical_nodes([t for _, t, _ in links])
        out += [(names[s], canonical[t], kind) for s, t, kind in links]
        return out

    def _lot_rows(self, nodes: Iterable[str]) -> dict[str, sqlite3.Row]:
        """The registered lots among ``nodes``, by id."""
        keys = sorted({n for n in nodes if n.startswith("0x")})
        found: dict[str, sqlite3.Row] = {}
        for chunk in _chunks(keys):
            marks = ", ".join("?" * len(chunk))
            for row in self.db.execute(
                "SELECT lot, gtin, lot_number, lot_number_hex, owner, origin, origin_hex FROM lots "
                f"WHERE lot IN ({marks})",
                chunk,
            ):
                found[str(row["lot"])] = row
        return found

    def _epcis_body(self, event_hash: str) -> dict[str, Any]:
        row = self.db.execute("SELECT body FROM epcis_events WHERE event_hash = ?", (event_hash,)).fetchone()
        body = json.loads(row[0]) if row is not None else {}
        return body if isinstance(body, dict) else {}

    def _epc_names(self, nodes: list[str]) -> dict[str, str]:
        """The Digital Links naming ``nodes`` in EPCIS, to the node: a lot on chain by its LGTIN, a container by
        its SSCC; any other node is its own Digital Link (or URI)."""
        names: dict[str, str] = {}
        lots = self._lot_rows(nodes)
        for node in nodes:
            if not node.startswith("0x"):
                names[node] = node
                continue
            info = lots.get(node)
            if info is not None and not info["lot_number_hex"]:
                names[_lgtin_link(info)] = node
            try:
                unit = bytes.fromhex(node[2:])
            except ValueError:
                continue
            value = int.from_bytes(unit, "big")
            if len(unit) == 32 and 0 < value < 10**18:
                names[f"{DIGITAL_LINK}/00/{value:018d}"] = node
        return names

    def _canonical_nodes(self, names: list[str]) -> dict[str, str]:
        """Each name (a 0x id or a Digital Link) to its node: the 0x id of the lot or container on chain that a
        Digital Link names, else the name itself."""
        out: dict[str, str] = {}
        for name in names:
            if name in out:
                continue
            node = name
            lgtin = _LGTIN_LINK.fullmatch(name)
            sscc = _SSCC_LINK.fullmatch(name)
            if lgtin:
                row = self.db.execute(
                    "SELECT lot FROM lots WHERE gtin = ? AND lot_number = ? AND lot_number_hex = 0",
                    (lgtin.group(1), unquote(lgtin.group(2))),
                ).fetchone()
                if row is not None:
                    node = str(row[0])
            elif sscc:
                unit = f"0x{int(sscc.group(1)):064x}"
                if self.db.execute("SELECT 1 FROM custody WHERE unit = ? LIMIT 1", (unit,)).fetchone() is not None:
                    node = unit
            out[name] = node
        return out

    def _node_row(self, node: str, lot: sqlite3.Row | None, *, origin: bool) -> dict[str, Any]:
        """What a tree row shows of ``node``: the lot as registered (``lot``), or what its Digital Link says."""
        columns = ["gtin", "lot_number", "lot_number_hex", "owner"] + (["origin", "origin_hex"] if origin else [])
        if lot is not None:
            epc = None if lot["lot_number_hex"] else _lgtin_link(lot)
            return {**{c: lot[c] for c in columns}, "epc": epc, "serial": None, "onChain": True}
        row: dict[str, Any] = dict.fromkeys(columns)
        epc = node if not node.startswith("0x") else next(iter(self._epc_names([node])), None)  # a container's SSCC
        row.update(epc=epc, serial=None, onChain=False)
        fields = _LINK_FIELDS.fullmatch(node)
        if fields:
            gtin, lot_number, serial = fields.groups()
            row.update(gtin=gtin, lot_number=unquote(lot_number) if lot_number else None, lot_number_hex=False)
            row["serial"] = unquote(serial) if serial else None
        return row

    def certificate_history(self, token: str) -> dict[str, Any]:
        """Owners of a certificate in order (from its transfers) and every event about it."""
        owners = [
            str(r[0])
            for r in self.db.execute(
                "SELECT to_addr FROM cert_owners WHERE token = ? ORDER BY block, log_index", (token,)
            )
        ]
        events = [
            dict(r)
            for r in self.db.execute(
                "SELECT e.block, e.log_index, e.tx_hash, e.name, e.args, b.timestamp FROM events e LEFT JOIN blocks b "
                "ON b.number = e.block WHERE e.unit = ? ORDER BY e.block, e.log_index",
                (token,),
            )
        ]
        for e in events:
            e["args"] = json.loads(e["args"])
        return {"certificate": token, "owners": owners, "events": events}

    def epcis_events_for(self, epc: str) -> list[dict[str, Any]]:
        """The stored EPCIS events naming ``epc`` (or its class), in event-time order."""
        rows = self.db.execute(
            "SELECT DISTINCT ev.body FROM epc_events x JOIN epcis_events ev ON ev.event_hash = x.event_hash "
            "WHERE x.epc = ? ORDER BY ev.event_time, ev.event_hash",
            (epc,),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def epcis_events_timed(self, epcs: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """The stored EPCIS events naming any of ``epcs`` (canonical Digital Links), each once, as (event time in
        UTC, ISO 8601; event), in time order."""
        keys = sorted(set(epcs))
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        rows = self.db.execute(
            "SELECT DISTINCT ev.event_hash, ev.event_time, ev.body FROM epc_events x JOIN epcis_events ev "
            f"ON ev.event_hash = x.event_hash WHERE x.epc IN ({marks}) ORDER BY ev.event_time, ev.event_hash",
            keys,
        ).fetchall()
        return [(str(r[1]), json.loads(r[2])) for r in rows]

    def item_event_count(self, epc: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM epc_events WHERE epc = ?", (epc,)).fetchone()[0])


def _lgtin_link(lot: sqlite3.Row) -> str:
    """The canonical Digital Link of a registered lot (its number safe text)."""
    return f"{DIGITAL_LINK}/01/{lot['gtin']}/10/{quote(str(lot['lot_number']), safe='')}"


_GRAPH_LISTS = {  # role: the lists of EPCs and of quantity elements (by class) of a stored event in that role
    "input": ("inputEPCList", "inputQuantityList"),
    "output": ("outputEPCList", "outputQuantityList"),
    "child": ("childEPCs", "childQuantityList"),
}


def _epcs_of(event: dict[str, Any], role: str) -> list[str]:
    """The canonical EPCs a stored (normalised) event names in ``role``: its EPCs, then its classes."""
    if role == "parent":
        parent = event.get("parentID")
        return [parent] if isinstance(parent, str) else []
    epcs, quantities = _GRAPH_LISTS[role]
    out = [e for e in event.get(epcs) or [] if isinstance(e, str)]
    out += [
        q["epcClass"] for q in event.get(quantities) or [] if isinstance(q, dict) and isinstance(q.get("epcClass"), str)
    ]
    return out


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _hexed(value: Any) -> Any:
    """Event arguments with every bytes value (also inside lists) as 0x hex."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_hexed(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)

"""The indexer against hostile members and a moving chain (issue 12, findings 2 and 4).

* Poisoned data: lots registered through raw contract calls with bytes no text decoder accepts (twenty 0xff bytes,
  terminal escapes, a bidirectional override, an invalid origin), serials and a recall reason of the same kind, a
  certificate base URI that is not UTF-8, and an EPCIS anchor at a GLN beyond SQLite's integers. The index stores
  each as text when it is safe text and as 0x hex with a flag otherwise, and every member's queries keep working.
* Undecodable events are kept raw and skipped with a warning; the rest of their range is applied.
* Reorganisations between the tip check and eth_getLogs, between the headers and eth_getLogs, and between
  eth_getLogs and the write, at the stored tip and inside the range: the index never keeps a lot that is not on the
  chain, and catches up.
"""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from click.testing import CliRunner
from conftest import CANS, EXP, MED, SSCC, TUNA
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from helpers import OBJECT_EVENT, document

from tradechain.chain.tx import Call, Receipt
from tradechain.cli.main import cli
from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec, expires_at, sscc_unit
from tradechain.errors import revert_class
from tradechain.formats import epcis
from tradechain.formats.merkle import MerkleTree
from tradechain.indexer import Indexer, Store
from tradechain.indexer.store import readable

FF20 = b"\xff" * 20  # not UTF-8 at all: finding 2's lot
ANSI = b"\x1b[31mRED\x1b[0m"  # valid UTF-8, but terminal escapes
BIDI = "AB\u202eCD".encode()  # valid UTF-8, a right-to-left override (a format character)
HEXLIKE = b"0xff"  # safe text that looks like hex: the flag tells them apart
BAD_ORIGIN = b"\xff\xfe"
UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _b20(raw: bytes) -> bytes:
    return raw.ljust(20, b"\0")


def raw_lot_id(gtin: str, raw: bytes) -> bytes:
    return keccak(abi_encode(["uint64", "bytes20"], [int(gtin), _b20(raw)]))


def raw_send(client: Client, contract: str, fn: str, *args: Any) -> Receipt:
    """A contract call as anyone may make it, without the SDK's input checks."""
    return client.send(client.contract(contract), fn, *args)


def register_raw_lot(client: Client, gtin: str, lot_number: bytes, origin: bytes = b"ID") -> bytes:
    raw_send(
        client, "ProductRegistry", "registerLot", int(gtin), _b20(lot_number), expires_at(EXP), origin, bytes(32), 0
    )
    return raw_lot_id(gtin, lot_number)


def on_chain(client: Client, lot: str) -> bool:
    try:
        client.call(client.contract("ProductRegistry"), "getLot", bytes.fromhex(lot[2:]))
    except revert_class("NonexistentLot"):
        return False
    return True


def unsafe_texts(store: Store) -> list[tuple[str, str, str]]:
    """Every stored text holding a control or format character, JSON columns read as what they hold (an escaped
    ``\\u001b`` is one once read back): (table, column, text)."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in strings(k) + strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    found = []
    tables = [str(r[0]) for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in store.db.execute(f"SELECT * FROM {table}"):  # names from sqlite_master
            for column in row.keys():  # noqa: SIM118 (sqlite3.Row)
                value = row[column]
                if column in ("args", "topics", "body"):
                    value = json.loads(value)
                for text in strings(value):
                    if any(unicodedata.category(c) in UNSAFE for c in text):
                        found.append((table, column, text))
    return found


# ---------------------------------------------------------------------------------------------- the setting


@pytest.fixture
def poisoned(chain_of_custody: dict[str, Any], sdk_as: Any, sdk_members: dict[str, int]) -> dict[str, Any]:
    """One member (the brand) writes everything the contracts accept and no text decoder does."""
    brand, regulator, carrier = sdk_as("brand"), sdk_as("regulator"), sdk_as("carrier")
    lots = {
        "ff": register_raw_lot(brand, TUNA, FF20),
        "ansi": register_raw_lot(brand, TUNA, ANSI),
        "bidi": register_raw_lot(brand, TUNA, BIDI),
        "hexlike": register_raw_lot(brand, TUNA, HEXLIKE),
        "origin": register_raw_lot(brand, TUNA, b"BADORIGIN", BAD_ORIGIN),
    }
    # made from the 0xff lot: its origin tree and the 0xff lot's impact both cross the poisoned lot
    (made,), _ = brand.products.transform([lots["ff"]], [LotSpec(TUNA, "FROM-POISON", EXP, "ID")])
    # serials no text decoder accepts, commissioned and dispensed through raw calls
    serial_lot, _ = brand.products.register_lot(LotSpec(TUNA, "SERIALS-1", EXP, "ID"))
    serials = [FF20, _b20(b"\x1b[2J\x07")]
    gtin = int(TUNA)
    leaves = [keccak(keccak(abi_encode(["uint64", "bytes20", "uint32"], [gtin, s, i]))) for i, s in enumerate(serials)]
    tree = MerkleTree.build(leaves)
    raw_send(brand, "ProductRegistry", "commission", serial_lot, tree.root, len(serials), 0)
    batch = keccak(abi_encode(["bytes32", "bytes32"], [serial_lot, tree.root]))
    for i, s in enumerate(serials):
        raw_send(brand, "ProductRegistry", "dispense", batch, s, i, tree.proof(i), 0)
    # a recall reason of terminal escapes
    raw_send(regulator, "ProductRegistry", "recall", [lots["ansi"]], b"\x1b]0;pwned\x07".ljust(32, b"\0"))
    # a certificate base URI that is not UTF-8 (a string on chain), and a good one
    cert = brand.contract("LuxuryCertificate")
    selector = keccak(b"setBaseURI(uint32,string)")[:4]
    for uri in (b"https://brand.example/\xff\xfe", b"https://brand.example/"):
        data = selector + abi_encode(["uint32", "bytes"], [sdk_members["brand"], uri])
        brand.require_signer().send(Call(cert.address, data, 0, "setBaseURI", None, "LuxuryCertificate"))
    # an EPCIS anchor at a GLN past 2**63 (SQLite's integers)
    carrier.products.record_events([(keccak(b"event"), 1, 1_700_000_000, 2**64 - 1)])
    return {"lots": {k: _hex(v) for k, v in lots.items()}, "made": _hex(made), "batch": _hex(batch)}


# ---------------------------------------------------------------------------------------------- finding 2


def test_readable_keeps_safe_text_and_hexes_the_rest() -> None:
    assert readable(_b20(b"TUNA-42")) == ("TUNA-42", False)
    assert readable(_b20("Äpfel-Ø".encode())) == ("Äpfel-Ø", False)
    assert readable(_b20(HEXLIKE)) == ("0xff", False)  # text that looks like hex: the flag says text
    assert readable(FF20) == ("0x" + "ff" * 20, True)
    assert readable(_b20(ANSI)) == (_hex(_b20(ANSI)), True)  # every byte, padding included
    assert readable(_b20(BIDI)) == (_hex(_b20(BIDI)), True)
    assert readable(b"A\0B".ljust(20, b"\0")) == (_hex(b"A\0B".ljust(20, b"\0")), True)  # NUL inside, not padding
    assert readable("a\u2028b".encode(), padded=False)[1] is True  # a line separator
    assert readable(b"x\0", padded=False) == ("0x7800", True)  # a string: no padding to strip
    assert readable(bytes(2)) == ("", False)


def test_a_poisoned_lot_stops_no_members_index(
    poisoned: dict[str, Any], chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path, caplog: Any
) -> None:
    m, tuna, cans = chain_of_custody["members"], _hex(chain_of_custody["tuna"]), _hex(chain_of_custody["cans"])
    lots = poisoned["lots"]
    store = Store(tmp_path / "index.db")
    with caplog.at_level(logging.WARNING, logger="tradechain.indexer"):
        result = Indexer(sdk, store).sync()
    assert result.skipped == 0 and store.raw_logs() == [] and caplog.records == []  # all read, nothing skipped
    assert store.last_block() == web3.eth.block_number

    # other members' lots: every query as before
    names = [e["name"] for e in store.history(cans)]
    assert names == ["LotRegistered", "Transformed", "Packed", "Shipped", "Received", "Shipped", "Received"]
    origin = store.origin(cans)
    assert [
        (o["lot"], o["depth"], o["lot_number"], o["lot_number_hex"], o["origin"], o["origin_hex"]) for o in origin
    ] == [
        (cans, 0, "CAN-7", False, "TH", False),
        (tuna, 1, "TUNA-42", False, "ID", False),
    ]
    impact = store.impact(tuna)
    assert [x["lot"] for x in impact["lots"]] == [tuna, cans] and impact["holders"] == [m["retailer"]]
    assert store.current_custody(cans) == {
        "unit": cans,
        "holder": m["retailer"],
        "inTransitTo": None,
        "consumed": False,
        "via": [_hex(sscc_unit(SSCC))],
    }

    # the poisoned lots: in the index, shown in hex with a flag
    ff = store.lot_info(lots["ff"])
    assert ff is not None and (ff["lot_number"], ff["lot_number_hex"]) == ("0x" + "ff" * 20, True)
    assert (ff["origin"], ff["origin_hex"]) == ("ID", False)
    for key, raw in (("ansi", ANSI), ("bidi", BIDI)):
        info = store.lot_info(lots[key])
        assert info is not None and (info["lot_number"], info["lot_number_hex"]) == (_hex(_b20(raw)), True)
    hexlike = store.lot_info(lots["hexlike"])
    assert hexlike is not None and (hexlike["lot_number"], hexlike["lot_number_hex"]) == ("0xff", False)
    bad = store.lot_info(lots["origin"])
    assert bad is not None and (bad["lot_number"], bad["lot_number_hex"]) == ("BADORIGIN", False)
    assert (bad["origin"], bad["origin_hex"]) == ("0xfffe", True)
    assert store.lot_info(lots["ansi"])["recalled"] is True  # type: ignore[index]

    made = poisoned["made"]
    assert [(o["lot"], o["lot_number"], o["lot_number_hex"]) for o in store.origin(made)] == [
        (made, "FROM-POISON", False),
        (lots["ff"], "0x" + "ff" * 20, True),
    ]
    blast = store.impact(lots["ff"])
    assert [(x["lot"], x["lot_number"], x["lot_number_hex"]) for x in blast["lots"]] == [
        (lots["ff"], "0x" + "ff" * 20, True),
        (made, "FROM-POISON", False),
    ]
    assert blast["holders"] == [m["brand"]]
    assert store.current_custody(lots["ansi"])["holder"] == m["brand"]  # type: ignore[index]
    registered = store.history(lots["ff"])[0]
    assert (registered["name"], registered["args"]["lotNumber"]) == ("LotRegistered", "0x" + "ff" * 20)

    # serials, the recall reason, the base URI, the GLN
    dispensed = store.db.execute(
        "SELECT idx, serial, serial_hex FROM dispensed WHERE batch = ? ORDER BY idx", (poisoned["batch"],)
    )
    assert [tuple(r) for r in dispensed] == [(0, "0x" + "ff" * 20, 1), (1, _hex(_b20(b"\x1b[2J\x07")), 1)]
    reason = store.db.execute("SELECT reason, reason_hex FROM recalls WHERE lot = ?", (lots["ansi"],)).fetchone()
    assert tuple(reason) == (_hex(b"\x1b]0;pwned\x07".ljust(32, b"\0")), 1)
    uris = [
        json.loads(r[0])
        for r in store.db.execute("SELECT args FROM events WHERE name = 'BaseURIChanged' ORDER BY block")
    ]
    assert [(u["baseURI"], u.get("hexFields")) for u in uris] == [
        (_hex(b"https://brand.example/\xff\xfe"), ["baseURI"]),
        ("https://brand.example/", None),
    ]
    assert store.db.execute("SELECT location FROM epcis_anchors").fetchone()[0] == str(2**64 - 1)

    assert unsafe_texts(store) == []  # not one control or format character anywhere in the index
    assert Indexer(sdk, store).sync().events == 0  # and the next sync goes on from there


def test_the_trace_commands_still_answer_every_member(
    poisoned: dict[str, Any], chain_of_custody: dict[str, Any], cli_env: Path
) -> None:
    """Finding 2 as reported: `trace custody/history/origin/impact` were dead for all members."""
    runner = CliRunner()
    outputs = []
    for args in (
        ["trace", "history", f"lot:{CANS}/CAN-7"],
        ["trace", "origin", f"lot:{CANS}/CAN-7"],
        ["trace", "impact", f"lot:{TUNA}/TUNA-42"],
        ["trace", "custody", f"lot:{CANS}/CAN-7"],
        ["trace", "origin", f"lot:{TUNA}/FROM-POISON"],
        ["trace", "impact", poisoned["lots"]["ff"]],
        ["trace", "history", poisoned["lots"]["ansi"]],
    ):
        for extra in ([], ["--json"]):
            result = runner.invoke(cli, [*args, *extra], catch_exceptions=False)
            assert result.exit_code == 0, (args, result.output)
            outputs.append(result.output)
    text = "".join(outputs)
    assert "0x" + "ff" * 20 in text and "\x1b" not in text and "\u202e" not in text
    origin = json.loads(runner.invoke(cli, ["trace", "origin", f"lot:{TUNA}/FROM-POISON", "--json"]).output)
    assert [(o["lot_number"], o["lot_number_hex"]) for o in origin] == [
        ("FROM-POISON", False),
        ("0x" + "ff" * 20, True),
    ]


def test_an_undecodable_event_is_kept_raw_and_skipped_with_a_warning(
    chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """A log the ABI cannot read (its data cut short on the way) never rolls the range back."""
    tuna = _hex(chain_of_custody["tuna"])
    cut: dict[str, Any] = {}
    original = Indexer._rpc

    def cutting(self: Indexer, method: str, params: list[Any]) -> Any:
        out = original(self, method, params)
        if method == "eth_getLogs":
            for entry in out:
                if entry["topics"][1] == tuna and not cut:  # the tuna's LotRegistered
                    entry["data"] = entry["data"][:66]
                    cut.update(entry)
        return out

    monkeypatch.setattr(Indexer, "_rpc", cutting)
    store = Store(tmp_path / "index.db")
    with caplog.at_level(logging.WARNING, logger="tradechain.indexer"):
        result = Indexer(sdk, store, chunk=100_000).sync()  # one range: the whole chain
    assert result.skipped == 1 and store.last_block() == web3.eth.block_number
    block, index = int(cut["blockNumber"], 16), int(cut["logIndex"], 16)
    [raw] = store.raw_logs()
    assert (raw["block"], raw["log_index"], raw["tx_hash"], raw["topics"], raw["data"]) == (
        block,
        index,
        cut["transactionHash"],
        cut["topics"],
        cut["data"],
    )
    [warning] = [r.getMessage() for r in caplog.records]
    assert f"block {block}" in warning and cut["transactionHash"] in warning and f"log index {index}" in warning
    assert store.lot_info(tuna) is None  # that event only: everything else of the range is there
    cans = _hex(chain_of_custody["cans"])
    custody = store.current_custody(cans)
    assert store.lot_info(cans) is not None and custody is not None
    assert custody["holder"] == chain_of_custody["members"]["retailer"]
    assert [e["name"] for e in store.history(cans)][-1] == "Received"


def test_a_write_failing_on_an_events_data_leaves_nothing_of_it(
    chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event's half-written rows go with it (a savepoint per event); the range is applied without it."""
    original = Store.apply

    def half_then_fail(self: Store, *args: Any) -> None:
        original(self, *args)
        if args[0] == "Transformed":
            raise ValueError("bad data after the rows were written")

    monkeypatch.setattr(Store, "apply", half_then_fail)
    store = Store(tmp_path / "index.db")
    result = Indexer(sdk, store, chunk=100_000).sync()
    assert result.skipped == 1 and [r["error"] for r in store.raw_logs()] == [
        "ValueError: bad data after the rows were written"
    ]
    assert store.db.execute("SELECT COUNT(*) FROM edges").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM events WHERE name = 'Transformed'").fetchone()[0] == 0
    assert store.lot_info(_hex(chain_of_custody["cans"])) is not None and store.last_block() == web3.eth.block_number


def test_a_database_failure_is_not_taken_for_bad_data(
    chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(self: Store, *args: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Store, "apply", locked)
    store = Store(tmp_path / "index.db")
    with pytest.raises(sqlite3.OperationalError):
        Indexer(sdk, store).sync()
    assert store.last_block() == -1 and store.raw_logs() == []
    assert store.db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0] == 0


def test_an_index_of_the_old_schema_is_rebuilt(chain_of_custody: dict[str, Any], sdk: Client, tmp_path: Path) -> None:
    """An index written before parent hashes and hex flags (perhaps stuck on a poisoned lot) reads the chain again;
    its deployment binding and its off-chain EPCIS documents stay."""
    path = tmp_path / "index.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp INTEGER NOT NULL);"
        "CREATE TABLE lots (lot TEXT PRIMARY KEY, gtin TEXT NOT NULL, lot_number TEXT NOT NULL, owner INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL, origin TEXT NOT NULL, data_hash TEXT NOT NULL, block INTEGER NOT NULL,"
        " log_index INTEGER NOT NULL);"
        "CREATE TABLE epcis_events (event_hash TEXT PRIMARY KEY, event_time TEXT NOT NULL, body TEXT NOT NULL);"
        "INSERT INTO epcis_events VALUES ('0xabc', '2024-01-01T00:00:00Z', '{}');"
        "INSERT INTO lots VALUES ('0xdead', '0', 'x', 1, 0, 'ID', '0x', 5, 0);"
        "INSERT INTO blocks VALUES (5, '0xbeef', 0);"
    )
    names = ("ParticipantRegistry", "ProductRegistry", "LuxuryCertificate")
    identity = f"{sdk.chain_id}:{','.join(sorted(sdk.contract(n).address.lower() for n in names))}"
    db.execute("INSERT INTO meta VALUES ('deployment', ?), ('last_block', ?)", (identity, str(web3.eth.block_number)))
    db.commit()
    db.close()
    store = Store(path)
    assert store.last_block() == -1 and store.lot_info("0xdead") is None
    assert store.db.execute("SELECT COUNT(*) FROM epcis_events").fetchone()[0] == 1
    Indexer(sdk, store).sync()
    assert store.lot_info(_hex(chain_of_custody["cans"])) is not None and store.last_block() == web3.eth.block_number
    assert Store(path).last_block() == web3.eth.block_number  # opened again: not rebuilt twice


# ---------------------------------------------------------------------------------------------- finding 4


def node(method: str, *params: Any) -> Any:
    provider: Any = web3.provider
    return provider.make_request(method, list(params))["result"]


def snapshot() -> str:
    return str(node("evm_snapshot"))


def revert(snap: str) -> None:
    assert node("evm_revert", snap) is True


def mine() -> None:
    node("evm_mine")


def register(sdk_as: Any, lot_number: str) -> str:
    lot, _ = sdk_as("brand").products.register_lot(LotSpec(TUNA, lot_number, EXP, "ID"))  # a fresh client: nonce
    return _hex(lot)


def assert_index_is_the_chain(store: Store, sdk: Client) -> None:
    """Every indexed lot is on the chain, every stored block is the chain's, linked to the one before it, and the
    index has caught up with the head."""
    head = web3.eth.block_number
    assert store.last_block() == head
    lots = [str(r[0]) for r in store.db.execute("SELECT lot FROM lots")]
    assert lots and all(on_chain(sdk, lot) for lot in lots)
    rows = store.db.execute("SELECT number, hash, parent_hash FROM blocks ORDER BY number").fetchall()
    assert [r[0] for r in rows] == list(range(rows[0][0], head + 1))  # every block, none missing
    for r in rows:
        block = node("eth_getBlockByNumber", hex(r[0]), False)
        assert (r[1], r[2]) == (block["hash"], block["parentHash"])
    assert all(b[2] == a[1] for a, b in itertools.pairwise(rows))


class Hook:
    """Runs ``action`` once, at a chosen point of a sync."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, point: str, action: Callable[[], None]) -> None:
        self.fired = 0
        self.action = action
        if point == "after the tip check":
            find = Indexer.find_ancestor

            def hooked_find(indexer: Indexer) -> int | None:
                out = find(indexer)
                self.fire()
                return out

            monkeypatch.setattr(Indexer, "find_ancestor", hooked_find)
            return
        rpc = Indexer._rpc

        def hooked_rpc(indexer: Indexer, method: str, params: list[Any]) -> Any:
            if method == "eth_getLogs" and point == "before eth_getLogs":
                self.fire()
            out = rpc(indexer, method, params)
            if method == "eth_getLogs" and point == "after eth_getLogs":
                self.fire()
            return out

        monkeypatch.setattr(Indexer, "_rpc", hooked_rpc)

    def fire(self) -> None:
        if not self.fired:
            self.fired += 1
            self.action()


POINTS = ["after the tip check", "before eth_getLogs", "after eth_getLogs"]


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("branch", ["lots", "an empty block"])
def test_a_reorganisation_of_the_indexed_tip_between_calls_is_seen(
    point: str,
    branch: str,
    sdk: Client,
    sdk_as: Any,
    sdk_members: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tip GONE-1 is indexed, GONE-2 is not yet; during the next sync the chain switches to a branch forked
    below GONE-1 (NEW-1, then NEW-2 or an empty block)."""
    sdk_as("brand").products.claim_gtin(TUNA)
    keep = register(sdk_as, "KEEP-1")
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store, chunk=1)
    indexer.sync()
    fork = web3.eth.block_number
    snap = snapshot()
    gone = [register(sdk_as, "GONE-1")]
    indexer.sync()
    assert store.lot_info(gone[0]) is not None
    gone.append(register(sdk_as, "GONE-2"))
    new: list[str] = []

    def switch() -> None:
        revert(snap)
        new.append(register(sdk_as, "NEW-1"))
        if branch == "lots":
            new.append(register(sdk_as, "NEW-2"))
        else:
            mine()

    hook = Hook(monkeypatch, point, switch)
    result = indexer.sync()
    assert hook.fired == 1 and result.rewound_to == fork
    assert all(store.lot_info(lot) is None for lot in gone)
    assert all(store.lot_info(lot) is not None for lot in [keep, *new])
    assert_index_is_the_chain(store, sdk)


def test_a_reorganisation_to_a_branch_of_the_same_height_after_the_tip_check_is_seen(
    sdk: Client, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 4 as reported: the indexed tip GONE-1 passes the tip check, then the chain switches to a branch of
    the same height (NEW-1). Nothing is left to read, so only a tip check after the ranges can see it; the old code
    kept GONE-1, a lot the chain does not have."""
    sdk_as("brand").products.claim_gtin(TUNA)
    keep = register(sdk_as, "KEEP-1")
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store)
    indexer.sync()
    fork = web3.eth.block_number
    snap = snapshot()
    gone = register(sdk_as, "GONE-1")
    indexer.sync()
    new: list[str] = []

    def switch() -> None:
        revert(snap)
        new.append(register(sdk_as, "NEW-1"))

    hook = Hook(monkeypatch, "after the tip check", switch)
    result = indexer.sync()
    assert hook.fired == 1 and result.rewound_to == fork and web3.eth.block_number == fork + 1
    assert store.lot_info(gone) is None and store.lot_info(new[0]) is not None and store.lot_info(keep) is not None
    assert_index_is_the_chain(store, sdk)


@pytest.mark.parametrize("point", ["before eth_getLogs", "after eth_getLogs"])
@pytest.mark.parametrize("branch", ["lots", "empty blocks"])
def test_a_reorganisation_inside_the_range_being_read_is_seen(
    point: str,
    branch: str,
    sdk: Client,
    sdk_as: Any,
    sdk_members: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The range A-1, A-2, A-3 is being read (one range) when the chain forks after A-1: A-1 stays, A-2 and A-3
    go, and whatever the new branch holds comes in."""
    sdk_as("brand").products.claim_gtin(TUNA)
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store)
    indexer.sync()
    stays = register(sdk_as, "A-1")
    snap = snapshot()
    gone = [register(sdk_as, "A-2"), register(sdk_as, "A-3")]
    new: list[str] = []

    def switch() -> None:
        revert(snap)
        if branch == "lots":
            new.extend([register(sdk_as, "B-2"), register(sdk_as, "B-3")])
        else:
            mine()
            mine()

    hook = Hook(monkeypatch, point, switch)
    result = indexer.sync()
    assert hook.fired == 1 and result.rewound_to is None  # the indexed tip was never lost: nothing to rewind
    assert store.lot_info(stays) is not None and all(store.lot_info(lot) is not None for lot in new)
    assert all(store.lot_info(lot) is None for lot in gone)
    assert_index_is_the_chain(store, sdk)


def test_a_chain_that_never_settles_is_reported_not_indexed(
    sdk: Client, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reorganisation at every read: the sync gives up after a bounded number of tries, having written nothing
    it could not check."""
    sdk_as("brand").products.claim_gtin(TUNA)
    store = Store(tmp_path / "index.db")
    indexer = Indexer(sdk, store)
    indexer.sync()
    before = store.last_block()
    snap = {"id": snapshot()}
    register(sdk_as, "X-1")
    rpc = Indexer._rpc
    calls = {"n": 0}

    def flapping(self: Indexer, method: str, params: list[Any]) -> Any:
        if method == "eth_getLogs":  # a new branch under every read
            calls["n"] += 1
            revert(snap["id"])
            snap["id"] = snapshot()
            register(sdk_as, f"X-{calls['n'] + 1}")
        return rpc(self, method, params)

    monkeypatch.setattr(Indexer, "_rpc", flapping)
    with pytest.raises(Exception, match="reorganised 8 times during one sync"):
        indexer.sync()
    assert calls["n"] == 8 and store.last_block() == before
    monkeypatch.setattr(Indexer, "_rpc", rpc)
    indexer.sync()  # once it settles
    assert_index_is_the_chain(store, sdk)


def test_the_life_of_a_container_and_of_a_pack_from_the_index(
    chain_of_custody: dict[str, Any], sdk_as: Any, sdk: Client, tmp_path: Path
) -> None:
    """Issue 14: a life is the unit's on-chain events and the imported EPCIS events naming it, merged in time order
    (UTC), however the unit is named; a pack's life is its batch's with its own dispensing only."""
    from tradechain.formats import epcis
    from tradechain.indexer import life

    m, carrier = chain_of_custody["members"], sdk_as("carrier")
    store = Store(tmp_path / "index.db")
    Indexer(sdk, store).sync()
    event = {**OBJECT_EVENT, "epcList": [f"urn:epc:id:sscc:{SSCC[1:8]}.{SSCC[0]}{SSCC[8:17]}"]}
    epcis.import_events(carrier, store, epcis.read_document(document(event)))
    Indexer(sdk, store).sync()
    names = (f"sscc:{SSCC}", SSCC, f"https://example.com/00/{SSCC}", f"(00){SSCC}", _hex(sscc_unit(SSCC)))
    lives = [life.life(store, life.parse_target(n)) for n in names]
    for found in lives:
        assert found.unit == _hex(sscc_unit(SSCC))
        assert [e.get("step", e.get("bizStep")) for e in found.entries] == [
            "shipping",  # the EPCIS event, 2026-04-04T02:33:31.116Z: before the chain's events
            "packed",
            "shipped",
            "received",
            "shipped",
            "received",
        ]
        assert found.entries[0] | {"recordedIn": "epcis", "timeUtc": "2026-04-04T02:33:31.116Z"} == found.entries[0]
        assert all(e["recordedIn"] == "chain" for e in found.entries[1:])

    # a pack of a batch of ten, two of its siblings dispensed too
    maker, pharmacy = sdk_as("manufacturer"), chain_of_custody["retailer"]
    maker.products.claim_gtin(MED)
    maker.products.register_lot(LotSpec(MED, "LIFE-1", EXP, "IN"))
    batch, _ = maker.products.commission(MED, "LIFE-1", [f"L{i}" for i in range(10)])
    maker.products.ship(bytes.fromhex(batch.batch[2:]), m["retailer"])
    pharmacy.products.receive(bytes.fromhex(batch.batch[2:]))
    for serial in ("L3", "L4", "L5"):
        pharmacy.products.dispense(MED, serial)
    Indexer(sdk, store).sync()
    pack = life.life(store, life.parse_target(f"(01){MED}(10)LIFE-1(21)L4"))
    assert (pack.batch, pack.index, pack.note) == (batch.batch, 4, None)
    assert [e["step"] for e in pack.entries] == ["lot registered", "commissioned", "shipped", "received", "dispensed"]
    assert pack.entries[-1]["args"]["index"] == 4  # not its siblings' dispensing
    assert store.dispensed_items(MED, "L4") == [(batch.batch, 4)] and store.dispensed_items(MED, "L6") == []
    assert life.summary(store, pack, str).startswith("now: DECOMMISSIONED (dispensed ")
    assert life.summary(store, life.life(store, life.parse_target(f"(01){MED}(10)LIFE-1(21)L6")), str) == (
        f"now: held by {m['retailer']}"
    )


# ---------------------------------------------------------------------------------------------- EPCIS in the graph


def test_epcis_links_join_the_chains_nodes_and_skip_a_lot_without_a_digital_link(
    chain_of_custody: dict[str, Any], poisoned: dict[str, Any], sdk: Client, tmp_path: Path
) -> None:
    """An EPCIS aggregation whose parent is the chain's container (by its SSCC) and a transformation from the cans
    (by their LGTIN) join the chain's nodes; the 0xff lot, which no Digital Link names, stays in the chain's tree."""
    m, cans = chain_of_custody["members"], _hex(chain_of_custody["cans"])
    container, pallet = _hex(sscc_unit(SSCC)), f"https://id.gs1.org/00/{SSCC}"
    tins = [f"https://id.gs1.org/01/{CANS}/21/{s}" for s in ("T1", "T2")]
    store = Store(tmp_path / "index.db")
    Indexer(sdk, store).sync()
    at = {"eventTime": "2026-04-03T10:00:00Z", "eventTimeZoneOffset": "+00:00"}
    for event in (
        {"type": "AggregationEvent", "action": "OBSERVE", "parentID": pallet, "childEPCs": tins, **at},
        {
            "type": "TransformationEvent",
            "inputQuantityList": [{"epcClass": f"https://id.gs1.org/01/{CANS}/10/CAN-7"}],
            "outputEPCList": [tins[0]],
            **at,
        },
    ):
        (e,) = epcis.read_document(document(event))
        with store.transaction():
            store.put_epcis_events([(e.event_hash, e.time.isoformat(), e.body, list(e.epcs))])
    impact = store.impact(container)
    assert [(x["lot"], x["depth"], x["link"], x["epc"]) for x in impact["lots"]] == [
        (container, 0, None, pallet),
        (tins[0], 1, "aggregation", tins[0]),
        (tins[1], 1, "aggregation", tins[1]),
    ]
    assert impact["lots"][0]["holder"] == m["retailer"] and not impact["lots"][0]["onChain"]
    assert [(o["lot"], o["depth"], o["link"]) for o in store.origin(tins[0])] == [
        (tins[0], 0, None),
        *sorted([(container, 1, "aggregation"), (cans, 1, "transformation")]),
        (_hex(chain_of_custody["tuna"]), 2, "chain"),
    ]
    made = store.origin(poisoned["made"])
    assert [(o["lot"], o["epc"], o["lot_number_hex"]) for o in made] == [
        (poisoned["made"], f"https://id.gs1.org/01/{TUNA}/10/FROM-POISON", False),
        (poisoned["lots"]["ff"], None, True),
    ]

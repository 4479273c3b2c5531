"""Untrusted input (issue 12, findings 7, 13, 14, 17 and the suspected three): JSON a member or a user gives is read
by one loader that refuses duplicate keys, NaN and infinities, and sizes, depths and numbers beyond its limits
(exit 2, one line naming the path and the rule, nothing sent); canonical JSON keeps numbers as written; EPCIS event
times are bounded and a partial import says exactly what was anchored; proofs are written before the anchor is
sent, never through a symbolic link and never over another proof; an escrow release hashes the document it is
given; and text from the chain or a member's file is printed with its control characters escaped."""

from __future__ import annotations

import json
import os
import random
import shutil
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from click.testing import Result
from conftest import tx_count
from helpers import INVOICE, INVOICE_KEY, addr, run

from tradechain.cli import common
from tradechain.contracts import document_registry
from tradechain.contracts.luxury_certificate import read_metadata
from tradechain.contracts.product_registry import ProductRegistryClient
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.errors import InputError, NodeUnreachable, revert_class
from tradechain.formats import canonical, epcis, values
from tradechain.formats.canonical import JsonNumber
from tradechain.formats.invoice_fingerprints import canonicalise, read_invoices
from tradechain.indexer import Indexer, Store

GTIN_EPC = "https://id.gs1.org/01/10614141073464/21/{n}"


def refused(result: Result, start: str, rule: str) -> str:
    """Exit 2, one stderr line ``error: <start>...<rule>...``, no traceback and no "unexpected"."""
    shown = f"exit {result.exit_code}; stderr {result.stderr[:400]!r}; stdout {result.stdout[:200]!r}"
    assert result.exit_code == 2, shown
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {start}"), shown
    assert rule in result.stderr and "unexpected" not in result.stderr and "Traceback" not in result.output, shown
    return str(result.stderr)


def event(n: int = 1, **change: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "epcList": [GTIN_EPC.format(n=n)],
        "eventTime": "2026-04-03T20:33:31.116-06:00",
        "eventTimeZoneOffset": "-06:00",
        **change,
    }


def epcis_document(*events: dict[str, Any]) -> dict[str, Any]:
    return {"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": list(events)}}


# ---------------------------------------------------------------------------------------------- finding 7


def test_a_json_document_giving_origin_twice_with_the_genuine_proof_is_refused_not_valid(
    cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    certifier = sdk_as("carrier2")  # a chamber of commerce: it issues certificates of origin
    origin = tmp_path / "origin.json"
    origin.write_text(json.dumps({"exporter": "Shenzhen Machinery", "origin": "CN", "hs": "845811"}))
    certifier.documents.anchor([origin], "certificate-of-origin", "KE-8")
    forged = tmp_path / "forged.json"  # reads DE to a person; json.loads keeps the last key, CN
    forged.write_text('{"exporter": "Shenzhen Machinery", "origin": "DE", "hs": "845811", "origin": "CN"}')
    shutil.copy(document_registry.proof_path(origin), document_registry.proof_path(forged))
    genuine = document_registry.read_proof(origin).document_hash
    assert "0x" + canonical.json_hash(json.loads(forged.read_text())).hex() == genuine  # the attack, as it was
    with pytest.raises(InputError) as info:
        certifier.documents.verify(forged)
    assert info.value.field == "file.origin" and "given twice" in info.value.rule
    result = run("doc", "verify", str(forged))
    refused(result, "file.origin: the key is given twice in one object", str(forged))
    assert "VALID" not in result.stdout
    assert run("doc", "verify", str(origin)).stdout.startswith("VALID certificate-of-origin")


def test_metadata_giving_a_key_twice_is_refused_and_nothing_is_issued(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    meta = tmp_path / "watch.json"
    meta.write_text('{"model": "Tank", "materials": {"case": "gold", "case": "steel"}}')
    with pytest.raises(InputError, match=r"^metadata\.materials\.case: the key is given twice"):
        read_metadata(meta)
    before = tx_count(addr("brand"))
    refused(run("cert", "issue", "W-1", "--metadata", str(meta), "--account", "brand"), "metadata.materials.case", "")
    assert tx_count(addr("brand")) == before


def test_numbers_are_kept_as_written_never_as_floats() -> None:
    text = '{"w": 1.50, "e": 1e5, "fine": 0.1000000000000000000000001, "big": 123456789012345678901234567890, "z": -0}'
    value = canonical.loads(text, "metadata")
    assert canonical.canonical_json(value) == (
        b'{"big":123456789012345678901234567890,"e":1e5,"fine":0.1000000000000000000000001,"w":1.50,"z":-0}'
    )
    assert isinstance(value["w"], JsonNumber) and isinstance(value["w"], Decimal) and not isinstance(value["w"], float)
    assert value["fine"] == Decimal("0.1000000000000000000000001")  # exact: a float would be 0.1
    assert isinstance(value["big"], int)
    # formatting and key order do not count; a number written otherwise is another document
    same = canonical.loads(
        '{\n "z": -0, "w": 1.50, "big": 123456789012345678901234567890,\n"fine": 0.1000000000000000000000001, "e": 1e5}'
    )
    assert canonical.json_hash(same) == canonical.json_hash(value)
    assert canonical.json_hash(canonical.loads('{"w": 1.5}')) != canonical.json_hash(canonical.loads('{"w": 1.50}'))
    # values built in Python hash as they always did
    assert canonical.json_hash({"a": 2.5, "b": [1, "é"]}) == canonical.json_hash(
        canonical.loads('{"a":2.5,"b":[1,"é"]}')
    )
    assert canonical.canonical_json({"a": 2.5, "b": [1, "é"]}) == '{"a":2.5,"b":[1,"é"]}'.encode()


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinities_are_refused_naming_the_path(token: str, tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(f'{{"model": "Tank", "weight": [1, {token}]}}')
    with pytest.raises(InputError, match=rf"^metadata\.weight\[1\]: {token} is not a JSON number"):
        read_metadata(meta)
    with pytest.raises(InputError, match=r"^metadata\.x\.y: NaN and infinities have no canonical JSON form"):
        canonical.canonical_json({"x": {"y": float(token.lower().replace("infinity", "inf"))}}, "metadata")


def test_the_c_encoder_and_the_exact_one_write_the_same_canonical_text() -> None:
    rng = random.Random(12)

    def text() -> str:
        return "".join(chr(rng.choice([rng.randrange(0x80), rng.randrange(0x80, 0x3000), 0x22, 0x5C])) for _ in "abc")

    def value(depth: int = 0) -> Any:
        kind = rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.choice([rng.randrange(-(10**20), 10**20), True, None])
        if kind == 2:
            return rng.random() * 10 ** rng.randrange(-30, 30)
        if kind == 3:
            return JsonNumber(repr(rng.random() * 10 ** rng.randrange(-30, 30)))  # written as the float's repr
        if kind in (4, 5):
            return {text(): value(depth + 1) for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    def as_floats(v: Any) -> Any:
        if isinstance(v, JsonNumber):
            return float(v.text)
        if isinstance(v, dict):
            return {k: as_floats(x) for k, x in v.items()}
        return [as_floats(x) for x in v] if isinstance(v, list) else v

    for _ in range(3000):
        v = value()
        expected = json.dumps(as_floats(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical.dumps(v) == expected
        exact = canonical._Encoder(sort_keys=True, indent=None, ensure_ascii=False, default=None)
        assert exact.encode(v, 1) == expected
        assert canonical.dumps(v, sort_keys=False, indent=2) == json.dumps(as_floats(v), indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------- finding 17

DEEP = "[" * 100_000 + "]" * 100_000
LONG = "9" * 5000


def _readers(tmp_path: Path, content: str) -> dict[str, tuple[list[str], str]]:
    """(command line, the path its refusal names first) of every CLI reader of member JSON, on ``content``."""
    for name in ("events.jsonld", "meta.json", "inv.json", "bl.json"):
        (tmp_path / name).write_text(content)
    return {
        "epcis": (["trace", "import", str(tmp_path / "events.jsonld"), "--account", "carrier"], ""),
        "metadata": (["cert", "issue", "W-1", "--metadata", str(tmp_path / "meta.json"), "--account", "brand"], "m"),
        "invoice": (["invoice", "fingerprint", str(tmp_path / "inv.json")], "invoice"),
        "document": (["doc", "anchor", str(tmp_path / "bl.json"), "--type", "packing-list", "--trade", "T"], "file"),
    }


@pytest.mark.parametrize("reader", ["epcis", "metadata", "invoice", "document"])
@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (DEEP, "nested deeper than 64 levels"),
        ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
        (f'{{"amount": {LONG}}}', "a number of more than 100 digits"),
        (f'{{"amount": -{LONG}.5}}', "a number of more than 100 digits"),
        ('{"amount": 1e999999999}', "a number with an exponent beyond +-999"),
        ('{"amount": "\\ud800"}', "a string with a lone UTF-16 surrogate is not text"),
    ],
    ids=["deep-100000", "deep-65", "integer-5000-digits", "fraction-5000-digits", "exponent", "lone-surrogate"],
)
def test_hostile_json_is_exit_2_with_one_line_in_every_reader(
    reader: str, content: str, rule: str, cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    argv, start = _readers(tmp_path, content)[reader]
    signers = [addr(r) for r in ("admin", "carrier", "brand")]
    before = [tx_count(a) for a in signers]
    result = run(*argv, env={"TRADECHAIN_INVOICE_KEY": INVOICE_KEY.hex()})
    refused(result, start, rule)
    assert [tx_count(a) for a in signers] == before


def test_the_size_cap_refuses_a_34_mb_file_before_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.jsonld"
    with big.open("wb") as f:
        f.truncate(34 * 2**20)  # sparse: nothing is written, but a reader would read 34 MB
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"^file: larger than 16,777,216 bytes \(the limit for JSON input\)"):
            epcis.read_document(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # refused on its size, not after reading it
    small = tmp_path / "meta.json"
    small.write_text(json.dumps({"model": "x" * 100}))
    monkeypatch.setenv(canonical.MAX_BYTES_ENV, "64")
    with pytest.raises(InputError, match=r"^metadata: larger than 64 bytes"):
        read_metadata(small)
    monkeypatch.setenv(canonical.MAX_BYTES_ENV, "lots")
    with pytest.raises(InputError, match=rf"^{canonical.MAX_BYTES_ENV}: a whole number of bytes"):
        read_metadata(small)


@pytest.mark.parametrize("quantity", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), True, -1])
def test_nan_and_infinite_quantities_are_refused(quantity: Any) -> None:
    bad = event(quantityList=[{"epcClass": "https://id.gs1.org/01/10614141073464/10/L1", "quantity": quantity}])
    with pytest.raises(InputError, match=r"^eventList\[0\]\.quantityList\[0\]\.quantity: must be a non-negative"):
        epcis.read_document(epcis_document(bad))


def test_quantities_are_exported_as_json_and_reimport_to_the_same_events(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    written = tmp_path / "events.jsonld"
    lot = "https://id.gs1.org/01/10614141073464/10/L1"
    quantities = ["200.50", "1e5", "0.1000000000000000000000001"]
    items = ",".join(f'{{"epcClass": "{lot}", "quantity": {q}, "uom": "KGM"}}' for q in quantities)
    body = json.dumps(event(1)).rstrip("}") + f', "quantityList": [{items}]}}'
    written.write_text(f'{{"type": "EPCISDocument", "epcisBody": {{"eventList": [{body}]}}}}')
    (read,) = epcis.read_document(written)
    # the same value as json.loads gave (so hashes of events imported before stay), exact where a float is not
    assert '"quantity":200.5,' in read.text and '"quantity":100000.0,' in read.text
    assert '"quantity":0.1000000000000000000000001,' in read.text
    client, store = sdk_as("carrier"), Store(tmp_path / "index.db")
    Indexer(client, store).sync()
    assert epcis.import_events(client, store, [read]).anchored == 1
    exported = epcis.export_text(store, GTIN_EPC.format(n=1))
    strict = json.loads(exported, parse_constant=lambda c: pytest.fail(f"{c} in an export"))
    assert [q["quantity"] for q in strict["epcisBody"]["eventList"][0]["quantityList"]][:2] == [200.5, 100000.0]
    again = tmp_path / "again.jsonld"
    again.write_text(exported)
    # the same event, numbers as written, now with its CBV 2.0 event hash ID as eventID (issue 15)
    for events in (epcis.read_document(again), epcis.read_document(epcis.export_document(store, GTIN_EPC.format(n=1)))):
        assert [e.cbv_hash for e in events] == [read.cbv_hash] and events[0].body["eventID"] == read.cbv_hash
        assert [{k: v for k, v in e.body.items() if k != "eventID"} for e in events] == [read.body]


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        ("1e999999999", "too large"),
        ("-1e999999999", "must be positive"),
        ("1e-999999999", "at most 6 decimals"),
        ("Infinity", "too large"),
        ("sNaN", "must be a number"),
        ("1." + "0" * 5000 + "1", "at most 6 decimals"),
    ],
)
def test_amounts_never_raise_a_decimal_exception(amount: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        values.parse_amount(amount, 6)
    assert info.value.field == "amount" and rule in info.value.rule


def test_amounts_are_exact_beyond_28_digits() -> None:
    assert values.parse_amount("79228162514264337593543.950335", 6) == 2**96 - 1
    assert values.parse_amount("1." + "0" * 5000, 6) == 10**6
    huge = {**INVOICE, "amount": "123456789012345678901234567.89"}  # 29 digits: rounded to 28 before
    assert canonicalise(huge).amount == 12345678901234567890123456789


def test_invoice_json_is_read_by_the_safe_loader(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(INVOICE).replace('"amount": "1250.00"', '"amount": 1250.00, "amount": 9.99'))
    with pytest.raises(InputError, match=r"^invoice\.amount: the key is given twice"):
        read_invoices(path)
    path.write_text(json.dumps({**INVOICE, "amount": 1}).replace("1}", "1250.00}"))
    (invoice,) = read_invoices(path)
    assert canonicalise(invoice).amount == 125_000  # a JSON number as written, not the float 1250.0
    csv_file = tmp_path / "inv.csv"
    csv_file.write_text("seller_scheme,seller_id\n" + "x" * 200_000 + ",1\n")
    with pytest.raises(InputError, match=r"^line 2: not CSV \(field larger than field limit"):
        read_invoices(csv_file)


# ---------------------------------------------------------------------------------------------- finding 13


@pytest.mark.parametrize(
    ("when", "rule"),
    [
        ("1969-12-31T23:59:59Z", "is before 1970-01-01T00:00:00Z"),
        ("1970-01-01T00:30:00+01:00", "is before 1970-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00+14:00", "is before 1970-01-01T00:00:00Z"),
        ("2999-01-01T00:00:00Z", "is more than a day in the future"),
        ("9999-12-31T23:59:59-14:00", "is more than a day in the future"),
    ],
)
def test_event_times_before_1970_or_far_ahead_are_refused_naming_the_event(when: str, rule: str) -> None:
    good = event(1)
    with pytest.raises(InputError) as info:
        epcis.read_document(epcis_document(good, event(2, eventTime=when)))
    assert info.value.field == "eventList[1].eventTime" and rule in info.value.rule


def test_event_times_at_the_epoch_and_within_a_day_are_taken() -> None:
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
    read = epcis.read_document(epcis_document(event(1, eventTime="1970-01-01T00:00:00Z"), event(2, eventTime=soon)))
    assert [e.anchor()[2] for e in read][:1] == [0] and len(read) == 2


def _failing_on_call(n: int, patch: pytest.MonkeyPatch) -> list[int]:
    """ProductRegistryClient.record_events refuses its ``n``-th call (nothing sent), as the SDK's own check did
    for an event of 1969; returns the sizes of the calls that went through."""
    real = ProductRegistryClient.record_events
    sent: list[int] = []

    def record(self: ProductRegistryClient, anchors: Any) -> Any:
        if len(sent) + 1 == n:
            raise InputError("events", "an anchor is (32-byte hash, type 1-5, uint40 time, GLN)")
        receipt = real(self, anchors)
        sent.append(len(anchors))
        return receipt

    patch.setattr(ProductRegistryClient, "record_events", record)
    return sent


def test_a_partial_import_says_exactly_what_was_anchored_and_a_rerun_continues(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = sdk_as("carrier"), Store(tmp_path / "index.db")
    Indexer(client, store).sync()
    events = epcis.read_document(epcis_document(*(event(n) for n in range(5))))
    with monkeypatch.context() as patch, pytest.raises(epcis.ImportInterrupted) as info:
        sent = _failing_on_call(3, patch)
        epcis.import_events(client, store, events, batch=2)
    stopped = info.value
    assert stopped.exit_code == 1 and sent == [2, 2]
    assert stopped.result.anchored_events == (0, 1, 2, 3) and len(stopped.result.transactions) == 2
    assert [e.index for e in stopped.failed] == [4]
    assert "4 of 5 new event(s) were anchored (eventList[0-3]) in 2 transaction(s)" in stopped.user_message
    assert "the batch of eventList[4] failed: events: an anchor is" in stopped.user_message
    Indexer(client, store).sync()
    again = epcis.import_events(client, store, events, batch=2)
    assert (again.anchored, again.already, again.anchored_events) == (1, 4, (4,))
    Indexer(client, store).sync()
    hashes = [str(r[0]) for r in store.db.execute("SELECT event_hash FROM epcis_anchors")]
    assert sorted(hashes) == sorted(e.event_hash for e in events)  # each exactly once


def test_cli_partial_import_exits_1_naming_the_anchored_events_never_nothing_sent(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonld"
    path.write_text(json.dumps(epcis_document(*(event(n) for n in range(10, 13)))))
    before = tx_count(addr("carrier"))
    with monkeypatch.context() as patch:
        _failing_on_call(3, patch)
        result = run("trace", "import", str(path), "--account", "carrier", "--batch", "1")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "2 of 3 new event(s) were anchored (eventList[0-1])" in result.stderr
    assert "nothing" not in result.stderr and tx_count(addr("carrier")) == before + 2
    again = run("trace", "import", str(path), "--account", "carrier", "--json")
    assert json.loads(again.stdout) | {"transactions": []} == {
        "events": 3,
        "anchored": 1,
        "alreadyAnchored": 2,
        "transactions": [],
    }


# ---------------------------------------------------------------------------------------------- finding 14


def _bl(folder: Path, n: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"bl-{i}.pdf"
        path.write_bytes(f"%PDF bill of lading {i} {os.urandom(4).hex()}".encode())
        out.append(path)
    return out


def test_a_proof_that_cannot_be_written_sends_nothing(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    files = _bl(tmp_path / "docs", 3)
    document_registry.proof_path(files[2]).mkdir()  # the last proof's place is taken by a folder
    before = tx_count(addr("carrier"))
    argv = ["doc", "anchor", *map(str, files), "--type", "bill-of-lading", "--trade", "KE-14", "--account", "carrier"]
    refused(run(*argv), "file: bl-2.pdf.tcproof.json beside it is not a regular file", "")
    assert tx_count(addr("carrier")) == before  # nothing sent
    assert not document_registry.proof_path(files[0]).exists() and not document_registry.proof_path(files[1]).exists()
    assert sorted(p.name for p in files[0].parent.iterdir()) == [
        "bl-0.pdf",
        "bl-1.pdf",
        "bl-2.pdf",
        "bl-2.pdf.tcproof.json",
    ]


def test_a_failed_send_removes_the_proofs_and_puts_back_the_ones_moved_aside(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    carrier = sdk_as("carrier")
    files = _bl(tmp_path, 2)
    carrier.documents.anchor(files[:1], "bill-of-lading", "KE-OLD")
    old = document_registry.proof_path(files[0]).read_bytes()
    before = tx_count(addr("carrier"))

    def lost(*_: Any) -> Any:
        raise NodeUnreachable("node unreachable: nothing was sent")

    monkeypatch.setattr(carrier.documents, "_send", lost)
    with pytest.raises(NodeUnreachable):
        carrier.documents.anchor(files, "bill-of-lading", "KE-14")
    assert tx_count(addr("carrier")) == before
    assert document_registry.proof_path(files[0]).read_bytes() == old  # the earlier proof, back in its place
    assert not document_registry.proof_path(files[1]).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bl-0.pdf", "bl-0.pdf.tcproof.json", "bl-1.pdf"]


def test_a_lost_reply_keeps_the_proofs_and_they_are_written_again_without_sending(
    cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    carrier = sdk_as("carrier")
    files = _bl(tmp_path, 3)
    real = carrier.documents._send

    def mined_but_lost(*args: Any) -> Any:
        real(*args)
        raise NodeUnreachable("node unreachable after sending")

    with monkeypatch.context() as patch, pytest.raises(NodeUnreachable):
        patch.setattr(carrier.documents, "_send", mined_but_lost)
        carrier.documents.anchor(files, "bill-of-lading", "KE-15")
    written = {f: document_registry.proof_path(f).read_bytes() for f in files}  # kept: the batch landed
    assert all(carrier.documents.verify(f).valid for f in files)
    with pytest.raises(revert_class("BatchAlreadyAnchored")):  # a plain re-run is refused by the registry...
        carrier.documents.anchor(files, "bill-of-lading", "KE-15")
    assert {f: document_registry.proof_path(f).read_bytes() for f in files} == written  # ... and leaves the proofs
    for f in files:
        document_registry.proof_path(f).unlink()
    before = tx_count(addr("carrier"))
    argv = ["doc", "anchor", *map(str, files), "--type", "bill-of-lading", "--trade", "KE-15", "--account", "carrier"]
    again = run(*argv, "--proofs-only", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["written"] == 3 and tx_count(addr("carrier")) == before  # nothing sent
    assert {f: document_registry.proof_path(f).read_bytes() for f in files} == written
    shuffled = [files[2], files[1], files[0]]  # another order is another tree (pairs are sorted: not 1, 0, 2)
    argv[2:5] = map(str, shuffled)
    refused(run(*argv, "--proofs-only"), "files: batch 0x", "is not anchored on this chain")


def test_a_different_proof_is_moved_aside_never_overwritten(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    carrier, inspector = sdk_as("carrier"), sdk_as("inspector")
    (path,) = _bl(tmp_path, 1)
    root, _ = carrier.documents.anchor([path], "delivery-attestation", "KE-16")
    first = document_registry.proof_path(path).read_bytes()
    inspector.documents.anchor([path], "delivery-attestation", "KE-16")  # reissued by another issuer
    assert document_registry.read_proof(path).issuer == sdk_members["inspector"]
    kept = tmp_path / f"{path.name}.tcproof-{root[2:14]}.json"
    assert kept.read_bytes() == first and json.loads(first)["issuer"] == sdk_members["carrier"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, document_registry.proof_path(path).name, kept.name]
    )
    assert inspector.documents.verify(path).valid


# ---------------------------------------------------------------------------------------------- suspected


def test_a_symlink_planted_beside_the_input_is_never_written_through(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    (path,) = _bl(tmp_path, 1)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    document_registry.proof_path(path).symlink_to(victim)
    other = tmp_path / "other.pdf"  # and a link to nowhere: creating its target would be a write through it
    other.write_bytes(b"%PDF other")
    document_registry.proof_path(other).symlink_to(tmp_path / "created-by-the-write")
    before = tx_count(addr("carrier"))
    for doc in (path, other):
        argv = ["doc", "anchor", str(doc), "--type", "bill-of-lading", "--trade", "KE-17", "--account", "carrier"]
        refused(run(*argv), "file: ", "is a symbolic link: a proof is never written through one")
    assert victim.read_text() == "precious" and not (tmp_path / "created-by-the-write").exists()
    assert tx_count(addr("carrier")) == before


def test_escrow_release_hashes_the_document_given_not_the_proofs_claim(
    cli_env: Path, sdk: Any, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", addr("financier"), 10**12)
    bank, carrier = sdk_as("financier"), sdk_as("carrier")
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 30 * 86400
    t = Terms(
        addr("financier"),
        addr("buyer"),
        addr("seller"),
        addr("arbiter"),
        usdc.address,
        10**9,
        deadline,
        "KE-18",
        (Milestone(10_000, ("bill-of-lading",)),),
    )
    escrow_id, _ = bank.escrow.open(t)
    bank.escrow.fund(t)
    genuine = tmp_path / "bl.pdf"
    genuine.write_bytes(b"%PDF bill of lading: 20 t of coffee")
    carrier.documents.anchor([genuine], "bill-of-lading", escrow_id)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(b"%PDF bill of lading: 2,000 t of coffee")
    shutil.copy(document_registry.proof_path(genuine), document_registry.proof_path(forged))
    args = [document_registry.read_proof(forged).call_args()]
    on_chain = [(h, k, r, i, p) for h, k, _, r, i, p in args]
    assert int(bank.call(bank.escrow.contract, "missingDocuments", t.encoded(), 0, on_chain)) == 0  # it would pay
    with pytest.raises(InputError, match=r"^documents: forged\.pdf is not the document its proof was issued for"):
        bank.escrow.missing(t, 0, [forged])
    seller = int(usdc.functions.balanceOf(addr("seller")).call())
    before = tx_count(addr("outsider"))
    result = run("escrow", "release", escrow_id, "1", "--doc", str(forged), "--account", "outsider")
    refused(result, "documents: forged.pdf is not the document its proof was issued for", "documentHash")
    assert int(usdc.functions.balanceOf(addr("seller")).call()) == seller and tx_count(addr("outsider")) == before
    assert run("escrow", "release", escrow_id, "1", "--doc", str(genuine), "--account", "outsider").exit_code == 0
    assert int(usdc.functions.balanceOf(addr("seller")).call()) == seller + 10**9


def test_output_escapes_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "lot\x1b]0;pwned\x07 \x1b[2J\u009b31m \u202eevil\r\nVALID"
    common.emit(False, {}, f"line one: {hostile}\nline two")
    out = capsys.readouterr().out
    assert out == "line one: lot\\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m \\u202eevil\\r\nVALID\nline two\n"
    assert common.shown(hostile) == "lot\\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m \\u202eevil\\r\\nVALID"
    common.emit(True, {"lot": hostile, "q": JsonNumber("1.50")}, "")
    printed = capsys.readouterr().out
    assert json.loads(printed) == {"lot": hostile, "q": 1.5} and '"q": 1.50' in printed
    assert all(c == "\n" or 0x20 <= ord(c) < 0x7F for c in printed)
    with pytest.raises(SystemExit):
        common.fail(f"bad: {hostile} " + "x" * 5000, 2)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\u202e" not in err and len(err) <= 1_000 + len("error: \n")


def test_control_characters_from_member_files_and_the_chain_never_reach_the_terminal(
    cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text('{"\\u001b[2J": 1, "\\u001b[2J": 2}')
    result = run("cert", "issue", "W-2", "--metadata", str(meta), "--account", "brand")
    assert "\x1b" not in result.stderr and "\\u001b[2J" in refused(result, "metadata[", "given twice")
    for field, value in (("bizStep", "shipping\x1b[2J"), ("example:note", "\u009b2J"), ("disposition", "a\nVALID")):
        path = tmp_path / "events.jsonld"
        path.write_text(json.dumps(epcis_document(event(30, **{field: value}))))
        line = refused(run("trace", "import", str(path), "--account", "carrier"), "eventList[0].", "control characters")
        assert "\x1b" not in line and "\u009b" not in line
    # a trade id on chain with escape sequences is shown as hex
    raw = b"\x1b[2J\x1b]0;pwned\x07".ljust(32, b"\0")
    (bl,) = _bl(tmp_path, 1)
    sdk_as("carrier").documents.anchor([bl], "bill-of-lading", "0x" + raw.hex())
    verified = run("doc", "verify", str(bl))
    assert verified.exit_code == 0 and f"for trade 0x{raw.hex()}" in verified.stdout and "\x1b" not in verified.stdout


def test_the_cli_reads_acknowledgments_and_terms_with_the_safe_loader(tmp_path: Path) -> None:
    ack = tmp_path / "ack.json"
    ack.write_text('{"fingerprint": "0x12", "buyer": "0x1", "buyer": "0x2"}')
    with pytest.raises(InputError, match=r"^ACK\.json\.buyer: the key is given twice"):
        common.read_json_file(ack, "ACK.json")
    for content, rule in (("sig", "not JSON (Expecting value, line 1)"), ("", "not JSON (the file is empty)")):
        ack.write_text(content)
        with pytest.raises(InputError) as info:
            common.read_json_file(ack, "ACK.json")
        assert (info.value.field, info.value.rule) == ("ACK.json", rule)
    ack.write_text('{"terms": {"amount": ' + "9" * 5000 + "}}")
    with pytest.raises(InputError, match=r"^escrow\.terms\.amount: a number of more than 100 digits"):
        common.read_json_file(ack, "escrow")

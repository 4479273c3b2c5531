"""EPCIS 2.0 on the chain: GS1's example documents imported, exported and re-imported; a bad document rejected
whole by the CLI, recording nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import tx_count
from helpers import OBJECT_EVENT, document, examples

from tradechain.chain import accounts
from tradechain.cli.main import cli
from tradechain.client import Client
from tradechain.formats import epcis
from tradechain.indexer import Indexer, Store


@pytest.fixture
def importer(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> tuple[Client, Store]:
    client = sdk_as("carrier")
    store = Store(tmp_path / "index.db")
    Indexer(client, store).sync()
    return client, store


def test_import_anchors_every_example_and_export_reimports_to_the_same_events(
    shared_dir: Path, importer: tuple[Client, Store], sdk_members: dict[str, int]
) -> None:
    client, store = importer
    total = 0
    for path in examples(shared_dir):
        events = epcis.read_document(path)
        result = epcis.import_events(client, store, events)
        total += result.anchored
        assert result.anchored + result.already == len(events)
    Indexer(client, store).sync()
    anchors = store.db.execute("SELECT event_hash, org FROM epcis_anchors").fetchall()
    # 12 events, 11 distinct: GS1's TransformationEvent in URN and Digital Link form is one (its CBV 2.0 hash)
    assert len(anchors) == total == 11 and {a[1] for a in anchors} == {sdk_members["carrier"]}
    epc = "urn:epc:id:sgtin:0614141.107346.2018"
    exported = epcis.export_document(store, epc)
    listed = [(e["type"], e["bizStep"]) for e in exported["epcisBody"]["eventList"]]
    # 9.6.1 ships and receives it; 9.6.3 aggregates it as a child on receipt
    assert listed == [("ObjectEvent", "shipping"), ("ObjectEvent", "receiving"), ("AggregationEvent", "receiving")]
    again = epcis.read_document(exported)
    originals = {e.cbv_hash for p in examples(shared_dir) for e in epcis.read_document(p)}
    assert {e.cbv_hash for e in again} <= originals  # the same events (by GS1's CBV 2.0 event hash)
    result = epcis.import_events(client, store, again)
    assert (result.anchored, result.already) == (0, 3)  # nothing recorded twice


def test_cli_import_rejects_a_bad_document_and_records_nothing(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bad = copy.deepcopy(OBJECT_EVENT)
    bad["epcList"] = ["urn:epc:id:sgtin:bad"]
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(document(OBJECT_EVENT, bad)))
    carrier = accounts.dev_account("carrier").address
    before = tx_count(carrier)
    result = CliRunner().invoke(cli, ["trace", "import", str(path), "--account", "carrier"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: eventList[1].epcList[0]: expected 3 dot-separated parts")
    assert tx_count(carrier) == before


def test_cli_import_then_history_and_export(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "doc.jsonld"
    path.write_text(json.dumps(document(OBJECT_EVENT)))
    result = CliRunner().invoke(cli, ["trace", "import", str(path), "--account", "carrier", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["anchored"] == 1
    epc = "https://id.gs1.org/01/10614141073464/21/2017"
    history = json.loads(CliRunner().invoke(cli, ["trace", "history", epc, "--json"]).output)
    assert [h["bizStep"] for h in history] == ["shipping"]
    out = tmp_path / "export.jsonld"
    assert (
        CliRunner()
        .invoke(cli, ["trace", "export", "urn:epc:id:sgtin:0614141.107346.2017", "--out", str(out)])
        .exit_code
        == 0
    )
    again = CliRunner().invoke(cli, ["trace", "import", str(out), "--account", "carrier", "--json"])
    assert json.loads(again.output) | {"transactions": []} == {
        "events": 1,
        "anchored": 0,
        "alreadyAnchored": 1,
        "transactions": [],
    }


def test_the_same_event_under_another_event_id_comment_and_layout_is_recorded_once(
    importer: tuple[Client, Store], tmp_path: Path
) -> None:
    client, store = importer
    first = epcis.import_events(client, store, epcis.read_document(document(OBJECT_EVENT)))
    assert (first.anchored, first.already) == (1, 0)
    (kept,) = epcis.read_document(document(OBJECT_EVENT))
    other = {
        **OBJECT_EVENT,
        "eventID": "urn:uuid:8a1f6c2e-4c3b-4a8e-9f1e-2b7c3d4e5f60",
        "comment": "scanned again at dock 4",
        "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"],  # the same item as a Digital Link
    }
    path = tmp_path / "again.jsonld"
    path.write_text(json.dumps(document(other, {**other, "comment": "twice in one document"}), indent=5))
    again = epcis.read_document(path)
    assert {e.event_hash for e in again} != {kept.event_hash} and {e.cbv_hash for e in again} == {kept.cbv_hash}
    result = epcis.import_events(client, store, again)
    assert (result.anchored, result.already, result.transactions) == (0, 2, [])
    assert store.db.execute("SELECT COUNT(*) FROM epcis_events").fetchone()[0] == 1
    exported = epcis.export_document(store, "urn:epc:id:sgtin:0614141.107346.2017")
    (event,) = exported["epcisBody"]["eventList"]
    assert event["eventID"] == kept.cbv_hash  # it had none: its CBV 2.0 event hash ID, which others recompute


def test_an_index_kept_before_cbv_hashes_deduplicates_its_old_events(
    importer: tuple[Client, Store], tmp_path: Path
) -> None:
    client, store = importer
    epcis.import_events(client, store, epcis.read_document(document(OBJECT_EVENT)))
    store.db.execute("UPDATE epcis_events SET cbv_hash = NULL")  # as an index written before the column
    (kept,) = epcis.read_document(document(OBJECT_EVENT))
    result = epcis.import_events(client, store, epcis.read_document(document({**OBJECT_EVENT, "comment": "x"})))
    assert (result.anchored, result.already) == (0, 1)
    assert store.cbv_hash_of(kept.event_hash) == kept.cbv_hash

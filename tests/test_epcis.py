"""EPCIS 2.0: GS1's own example documents (used in place from ../shared), URN and Digital Link forms, import,
export and re-import, and a bad document rejected whole."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import tx_count

from tradechain import accounts, epcis
from tradechain.cli.main import cli
from tradechain.client import Client
from tradechain.epc import gln_of, to_digital_link
from tradechain.errors import InputError
from tradechain.indexer import Indexer, Store

OBJECT_EVENT = {
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
    "eventTime": "2026-04-03T20:33:31.116-06:00",
    "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
}


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [epcis.CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-04-03T20:33:31Z",
        "epcisBody": {"eventList": list(events)},
    }


def examples(shared: Path) -> list[Path]:
    return sorted((shared / "epcis-examples").glob("*.jsonld"))


def test_every_gs1_example_document_is_read(shared_dir: Path) -> None:
    files = examples(shared_dir)
    assert len(files) == 9
    seen_types = set()
    for path in files:
        events = epcis.read_document(path)
        raw = epcis.events_of(json.loads(path.read_text()))
        assert len(events) == len(raw) > 0
        for event in events:
            seen_types.add(event.type)
            assert event.event_hash.startswith("0x") and len(event.event_hash) == 66
            assert all(not e.startswith("urn:epc:id:sgtin") for e, _ in event.epcs)  # all to Digital Link
            # vendor extensions are kept, not dropped
            extensions = {k for k in raw[event.index] if ":" in k}
            assert extensions <= set(event.body)
    assert seen_types == {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent"}


def test_transformation_example_names_inputs_and_outputs(shared_dir: Path) -> None:
    (event,) = epcis.read_document(shared_dir / "epcis-examples" / "Example_9.6.4-TransformationEvent.jsonld")
    roles = {role for _, role in event.epcs}
    assert {"input", "output"} <= roles
    assert ("https://id.gs1.org/01/04012345111118/10/4444", "input") in event.epcs  # an LGTIN class
    assert event.location == 4012345000016


def test_urn_and_digital_link_forms_are_the_same_item_and_the_same_event() -> None:
    assert to_digital_link("urn:epc:id:sgtin:0614141.107346.2017") == "https://id.gs1.org/01/10614141073464/21/2017"
    assert (
        to_digital_link("https://brand.example/p/01/10614141073464/21/2017?x=1")
        == "https://id.gs1.org/01/10614141073464/21/2017"
    )
    assert to_digital_link("urn:epc:id:sscc:0614141.1234567890") == "https://id.gs1.org/00/106141412345678908"
    assert to_digital_link("urn:epc:class:lgtin:4012345.011111.4444") == "https://id.gs1.org/01/04012345111118/10/4444"
    assert to_digital_link("urn:epc:idpat:sgtin:4012345.066666.*") == "https://id.gs1.org/01/04012345666663"
    assert gln_of("urn:epc:id:sgln:0614141.07346.1234") == 614141073467
    as_link = copy.deepcopy(OBJECT_EVENT)
    as_link["epcList"] = ["https://id.gs1.org/01/10614141073464/21/2017"]
    as_link["readPoint"] = {"id": "https://id.gs1.org/414/0614141073467/254/1234"}
    as_link["bizStep"] = "https://ref.gs1.org/cbv/BizStep-shipping"
    (urn_event,) = epcis.read_document(document(OBJECT_EVENT))
    (link_event,) = epcis.read_document(document(as_link))
    assert urn_event.event_hash == link_event.event_hash


@pytest.mark.parametrize(
    ("mutate", "field", "rule"),
    [
        (lambda e: e.update(type="Nonsense"), "eventList[1].type", "must be one of"),
        (lambda e: e.update(eventTime="yesterday"), "eventList[1].eventTime", "ISO 8601"),
        (lambda e: e.update(eventTime="2026-04-03T20:33:31"), "eventList[1].eventTime", "needs a time-zone offset"),
        (lambda e: e.update(eventTimeZoneOffset="6h"), "eventList[1].eventTimeZoneOffset", "+hh:mm"),
        (lambda e: e.update(action="SHOUT"), "eventList[1].action", "ADD, OBSERVE or DELETE"),
        (lambda e: e.update(epcList=["urn:epc:id:sgtin:0614141.107346"]), "eventList[1].epcList[0]", "3 dot-separated"),
        (
            lambda e: e.update(epcList=["https://id.gs1.org/01/10614141073465/21/1"]),
            "eventList[1].epcList[0]",
            "check digit",
        ),
        (lambda e: e.update(epcList=[42]), "eventList[1].epcList[0]", "must be an identifier"),
        (lambda e: e.pop("epcList"), "eventList[1].epcList", "names what it is about"),
        (
            lambda e: e.update(quantityList=[{"epcClass": "urn:epc:idpat:sgtin:0614141.107346.*", "quantity": -1}]),
            "eventList[1].quantityList[0].quantity",
            "non-negative",
        ),
        (lambda e: e.update(readPoint="here"), "eventList[1].readPoint", "an object with an id"),
    ],
)
def test_one_bad_event_rejects_the_document_naming_index_and_field(mutate: Any, field: str, rule: str) -> None:
    bad = copy.deepcopy(OBJECT_EVENT)
    mutate(bad)
    with pytest.raises(InputError) as info:
        epcis.read_document(document(OBJECT_EVENT, bad))
    assert info.value.field == field and rule in info.value.user_message


def test_files_that_are_not_epcis(tmp_path: Path) -> None:
    cases = {
        "empty.json": ("", "file: is empty"),
        "x.json": ("{nope", "file: not JSON (line 1"),
        "list.json": ("[]", "document: an EPCIS document is a JSON object"),
        "other.json": ('{"type": "Invoice"}', "type: must be EPCISDocument"),
        "none.json": (json.dumps(document()), "epcisBody.eventList: holds no event"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError) as info:
            epcis.read_document(tmp_path / name)
        assert info.value.user_message.startswith(message), name
    with pytest.raises(InputError, match="file: not found"):
        epcis.read_document(tmp_path / "missing.json")


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
    assert len(anchors) == total == 12 and {a[1] for a in anchors} == {sdk_members["carrier"]}
    epc = "urn:epc:id:sgtin:0614141.107346.2018"
    exported = epcis.export_document(store, epc)
    listed = [(e["type"], e["bizStep"]) for e in exported["epcisBody"]["eventList"]]
    # 9.6.1 ships and receives it; 9.6.3 aggregates it as a child on receipt
    assert listed == [("ObjectEvent", "shipping"), ("ObjectEvent", "receiving"), ("AggregationEvent", "receiving")]
    again = epcis.read_document(exported)
    originals = {e.event_hash for p in examples(shared_dir) for e in epcis.read_document(p)}
    assert {e.event_hash for e in again} <= originals  # the same events
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

"""The CBV 2.0 event hash ID (CBV 2.0 section 8.9) of every event read: GS1's reference implementation's hashes on
GS1's example documents, what the hash leaves out (eventID, comments, recordTime, layout, identifier form) and what
it does not, and an index written before the hash gaining its column."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

from epcis_event_hash_generator.__main__ import epcis_hash_from_file
from helpers import OBJECT_EVENT, document, examples

from tradechain.formats import epcis
from tradechain.indexer import Store

EXAMPLES = "epcis-examples"


def test_every_event_hash_is_the_reference_implementations_on_gs1_examples(shared_dir: Path) -> None:
    compared = 0
    for path in examples(shared_dir):
        ours = [e.cbv_hash for e in epcis.read_document(path)]
        assert all(h == "" or epcis.CBV_HASH.fullmatch(h) for h in ours), path.name
        try:
            reference, _ = epcis_hash_from_file(str(path))
        except Exception:  # the reference cannot read this document by itself (a context it does not ship)
            continue
        assert ours == reference, path.name
        compared += len(ours)
    assert compared == 5  # 9.6.1 (2 events), 9.6.2, 9.6.3, 9.6.4 in EPC URN form


def test_gs1s_transformation_example_in_urn_and_digital_link_form_is_one_event(shared_dir: Path) -> None:
    (urn,) = epcis.read_document(shared_dir / EXAMPLES / "Example_9.6.4-TransformationEvent.jsonld")
    (link,) = epcis.read_document(shared_dir / EXAMPLES / "Example_9.6.4-TransformationEventWithDigitalLink.jsonld")
    assert urn.event_hash != link.event_hash  # their eventIDs differ
    assert urn.cbv_hash == link.cbv_hash


def test_the_hash_leaves_out_event_id_comments_record_time_and_layout() -> None:
    (plain,) = epcis.read_document(document(OBJECT_EVENT))
    other = {
        **copy.deepcopy(OBJECT_EVENT),
        "eventID": "urn:uuid:8a1f6c2e-4c3b-4a8e-9f1e-2b7c3d4e5f60",
        "comment": "scanned at dock 4",
        "recordTime": "2026-04-03T21:00:00Z",
        "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"],  # the same item as a Digital Link
        "eventTime": "2026-04-04T02:33:31.116Z",  # the same instant in UTC
    }
    text = json.dumps(document(other), indent=7)
    (same,) = epcis.read_document(json.loads(text))
    assert same.event_hash != plain.event_hash
    assert same.cbv_hash == plain.cbv_hash


def test_the_hash_changes_with_what_happened() -> None:
    (plain,) = epcis.read_document(document(OBJECT_EVENT))
    changes: list[dict[str, Any]] = [
        {"eventTime": "2026-04-03T20:33:32.116-06:00"},
        {"bizStep": "receiving"},
        {"epcList": ["urn:epc:id:sgtin:0614141.107346.2018"]},
        {"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1235"}},
    ]
    hashes = {epcis.read_document(document({**OBJECT_EVENT, **c}))[0].cbv_hash for c in changes}
    assert plain.cbv_hash not in hashes and len(hashes) == len(changes)


def test_a_normalised_event_hashes_as_it_was_given(shared_dir: Path) -> None:
    for path in examples(shared_dir):
        events = [e for e in epcis.read_document(path) if e.cbv_hash]
        given = json.loads(path.read_text())
        bodies = [epcis._type_first(e.body) for e in events]  # as export writes them
        assert epcis.cbv_hashes(bodies, given["@context"]) == [e.cbv_hash for e in events], path.name


def test_a_query_document_hashes_as_the_document(shared_dir: Path) -> None:
    path = shared_dir / EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld"
    given = json.loads(path.read_text())
    query = {
        "@context": given["@context"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-04-03T20:33:31Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": given["epcisBody"]}},
    }
    assert [e.cbv_hash for e in epcis.read_document(query)] == [e.cbv_hash for e in epcis.read_document(path)]


def test_an_index_written_before_the_hash_gains_its_column_keeping_its_events(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE epcis_events (event_hash TEXT PRIMARY KEY, event_time TEXT NOT NULL, body TEXT NOT NULL);"
        "INSERT INTO epcis_events VALUES ('0xabc', '2024-01-01T00:00:00Z', '{}');"
    )
    old.commit()
    old.close()
    store = Store(path)
    assert store.epcis_events_without_cbv_hash() == [("0xabc", "{}")]
    store.set_cbv_hashes([("0xabc", "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0")])
    assert store.cbv_hash_of("0xabc") == "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"
    store.close()
    assert Store(path).cbv_hash_of("0xabc") is not None  # opened again: nothing migrated twice


def test_a_prefix_defined_by_one_document_does_not_change_the_next_ones_hashes(shared_dir: Path) -> None:
    path = shared_dir / EXAMPLES / "Example_9.6.2-ObjectEvent.jsonld"
    given = json.loads(path.read_text())
    epcis.read_document(path)  # defines the prefix "example:" its extension fields use
    defined = epcis.cbv_hashes(given["epcisBody"]["eventList"], given["@context"])
    undefined = epcis.cbv_hashes(given["epcisBody"]["eventList"])  # "example:..." is then a name of its own
    assert defined != undefined

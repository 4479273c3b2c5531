"""`tradechain epcis hash`: the CBV 2.0 event hash IDs of a document, as GS1's reference implementation computes
them on GS1's example documents, in event order, for an EPCISDocument and an EPCISQueryDocument; an invalid
document refused with no hash printed."""

from __future__ import annotations

import json
from pathlib import Path

from epcis_event_hash_generator.__main__ import epcis_hash_from_file
from helpers import examples, ok, run

from tradechain.formats import epcis


def test_epcis_hash_prints_the_reference_hashes_of_gs1_examples(shared_dir: Path) -> None:
    compared = 0
    for path in examples(shared_dir):
        out = ok("epcis", "hash", str(path))
        assert [h["index"] for h in out] == list(range(len(out))) and out, path.name
        try:
            reference, _ = epcis_hash_from_file(str(path))
        except Exception:  # a document the reference cannot read by itself (a context it does not ship)
            continue
        assert [h["hash"] for h in out] == reference, path.name
        compared += len(out)
    assert compared == 5


def test_epcis_hash_text_is_one_line_per_event_in_order(shared_dir: Path) -> None:
    path = shared_dir / "epcis-examples" / "Example_9.6.1-ObjectEvent.jsonld"
    result = run("epcis", "hash", str(path))
    assert result.exit_code == 0, result.stderr
    reference, _ = epcis_hash_from_file(str(path))
    assert result.output.splitlines() == [f"{i} {h}" for i, h in enumerate(reference)]


def test_epcis_hash_reads_a_query_document(shared_dir: Path, tmp_path: Path) -> None:
    path = shared_dir / "epcis-examples" / "Example_9.6.3-AggregationEvent.jsonld"
    given = json.loads(path.read_text())
    query = tmp_path / "query.jsonld"
    query.write_text(
        json.dumps(
            {
                "@context": given["@context"],
                "type": "EPCISQueryDocument",
                "schemaVersion": "2.0",
                "creationDate": "2026-04-03T20:33:31Z",
                "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": given["epcisBody"]}},
            }
        )
    )
    assert ok("epcis", "hash", str(query)) == [{"index": 0, "hash": epcis_hash_from_file(str(path))[0][0]}]


def test_epcis_hash_refuses_an_invalid_document_printing_no_hash(shared_dir: Path, tmp_path: Path) -> None:
    given = json.loads((shared_dir / "epcis-examples" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    given["epcisBody"]["eventList"][1]["epcList"] = ["urn:epc:id:sgtin:bad"]  # the second event only
    path = tmp_path / "bad.jsonld"
    path.write_text(json.dumps(given))
    for extra in ((), ("--json",)):
        result = run("epcis", "hash", str(path), *extra)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "eventList[1].epcList[0]" in result.stderr


def test_epcis_hash_shows_null_for_an_event_the_reference_cannot_hash(shared_dir: Path) -> None:
    # GS1's rail example names a business transaction without a type, which the reference cannot read
    out = ok("epcis", "hash", str(shared_dir / "epcis-examples" / "Example-TransactionEvents-2020_07_03y.jsonld"))
    assert out[0] == {"index": 0, "hash": None}
    assert epcis.CBV_HASH.fullmatch(out[1]["hash"])

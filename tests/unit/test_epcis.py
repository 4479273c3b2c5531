"""EPCIS 2.0, read with no chain: GS1's own example documents (used in place from ../shared), URN and Digital Link
forms, and a bad document rejected whole."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import OBJECT_EVENT, document, examples

from tradechain.errors import InputError
from tradechain.formats import epcis
from tradechain.formats.epc import gln_of, to_digital_link


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


@pytest.mark.parametrize(
    ("urn", "link"),
    [
        ("urn:epc:id:grai:0614141.12345.5678", "https://id.gs1.org/8003/006141411234525678"),
        ("urn:epc:id:giai:0614141.12345400", "https://assets.example/8004/061414112345400"),
        ("urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902"),
        ("urn:epc:id:gdti:0614141.12345.006847", "https://id.gs1.org/253/0614141123452006847"),
        ("urn:epc:id:cpi:0614141.123ABC.123456789", "https://id.gs1.org/8010/0614141123ABC/8011/123456789"),
        ("urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"),
        ("urn:epc:id:gsin:0614141.123456789", "https://id.gs1.org/402/06141411234567890"),
        ("urn:epc:id:itip:4012345.012345.01.02.987", "https://id.gs1.org/8006/040123451234560102/21/987"),
        ("urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711"),
    ],
)
def test_an_asset_named_by_urn_in_one_document_and_by_digital_link_in_another_is_one_item(urn: str, link: str) -> None:
    by_urn = copy.deepcopy(OBJECT_EVENT)
    by_urn["epcList"] = [urn]
    by_link = copy.deepcopy(OBJECT_EVENT)
    by_link["epcList"] = [link]
    (a,) = epcis.read_document(document(by_urn))
    (b,) = epcis.read_document(document(by_link))
    assert a.epcs == b.epcs and a.epcs[0][0].startswith("https://id.gs1.org/")
    assert a.event_hash == b.event_hash


def test_sources_and_destinations_by_urn_or_digital_link_are_the_same_party() -> None:
    by_urn = copy.deepcopy(OBJECT_EVENT)
    by_urn["sourceList"] = [{"type": "owning_party", "source": "urn:epc:id:pgln:1234567.89012"}]
    by_urn["destinationList"] = [{"type": "location", "destination": "urn:epc:id:sgln:0614141.12345.0"}]
    by_link = copy.deepcopy(OBJECT_EVENT)
    by_link["sourceList"] = [{"type": "owning_party", "source": "https://id.gs1.org/417/1234567890128"}]
    by_link["destinationList"] = [{"type": "location", "destination": "https://id.gs1.org/414/0614141123452"}]
    (a,) = epcis.read_document(document(by_urn))
    (b,) = epcis.read_document(document(by_link))
    assert a.body["destinationList"] == [{"type": "location", "destination": "https://id.gs1.org/414/0614141123452"}]
    assert a.event_hash == b.event_hash


def test_a_bare_word_outside_cbv_2_is_refused_naming_event_and_field() -> None:
    bad = copy.deepcopy(OBJECT_EVENT)
    bad["bizStep"] = "transforming"
    with pytest.raises(InputError) as info:
        epcis.read_document(document(OBJECT_EVENT, OBJECT_EVENT, bad))
    assert info.value.user_message == (
        "eventList[2].bizStep: not a CBV 2.0 business step: use a CBV 2.0 word or a URI (got 'transforming')"
    )

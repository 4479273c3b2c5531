"""The DCSA eBL 3.0 side, with no chain: the transport document (sample, canonical JSON, hash, validation) and an
eBL's history exported as a surrender request's endorsement chain and a PINT envelope, validated against DCSA's
own YAML schemas (used in place from ../shared/dcsa-ebl-v3; the tests that need them skip when it is absent)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils import to_checksum_address

from tradechain.ebl import dcsa, schemas
from tradechain.ebl.document import (
    canonical_json,
    document_hash,
    sample_transport_document,
    validate_transport_document,
)
from tradechain.ebl.events import Party, TitleEvent
from tradechain.errors import InputError


@pytest.fixture
def dcsa_dir() -> Iterator[Path]:
    try:
        folder = schemas.schemas_dir()
    except schemas.SchemasMissing as missing:
        pytest.skip(f"DCSA schemas absent (they live beside the project in ../shared/dcsa-ebl-v3): {missing}")
    yield folder


def account(n: int) -> str:
    return to_checksum_address(f"0x{n:040x}")


CARRIER, EXPORTER, EXPORTER_BANK, IMPORTER_BANK, IMPORTER = (account(0xC0 + i) for i in range(5))
ZERO = "0x" + "0" * 40
PARTIES = {
    CARRIER: Party(CARRIER, 5, "Lion City Shipping", "529900LIONCITYSHIP42", "SG"),
    EXPORTER: Party(EXPORTER, 20, "Shenzhen Precision Machinery Co", "300300SHENZHENPM0149", "CN"),
    EXPORTER_BANK: Party(EXPORTER_BANK, 21, "Bank of Shenzhen Trade Finance", None, "CN"),
    IMPORTER_BANK: Party(IMPORTER_BANK, None, "  Mombasa  Commercial Bank multisig ", None, "KE"),
    IMPORTER: Party(IMPORTER, 16, "Mombasa Importers Ltd", "5493KEMOMBASAIMP0142", "KE"),
}
T0 = 1_796_284_800  # 2026-12-03T08:00:00Z


def resolve(address: str) -> Party:
    return PARTIES[address]


def tx(n: int) -> str:
    return "0x" + f"{n:02x}" * 32


def event(kind: str, block: int, log: int, actor: str, **rest: Any) -> TitleEvent:
    return TitleEvent(kind, block, log, tx(block), T0 + 60 * (block - 10), actor, **rest)  # type: ignore[arg-type]


def history() -> list[TitleEvent]:
    """Issue to the exporter -> the exporter's bank takes possession -> the exporter nominates the importer's bank
    -> the exporter's bank endorses to it -> one transfer of both to the importer (with a remark) -> the importer
    surrenders for delivery -> the carrier accepts. Given out of order: the export orders it."""
    doc_hash = "0x" + document_hash(sample_transport_document()).hex()
    return [
        event("surrender_accepted", 16, 0, CARRIER, detail={"for_amendment": False}),
        event("holder", 16, 1, CARRIER, before=IMPORTER, after=ZERO),
        event("issued", 10, 0, CARRIER, detail={"issuer": 5, "document_hash": doc_hash, "holder": EXPORTER}),
        event("holder", 10, 1, CARRIER, before=None, after=EXPORTER),
        event("holder", 11, 0, EXPORTER, before=EXPORTER, after=EXPORTER_BANK),
        event("nominated", 12, 0, EXPORTER, detail={"nominee": IMPORTER_BANK}),
        event("beneficiary", 13, 0, EXPORTER_BANK, before=EXPORTER, after=IMPORTER_BANK),
        event("holder", 14, 0, IMPORTER_BANK, before=EXPORTER_BANK, after=IMPORTER),
        event("beneficiary", 14, 1, IMPORTER_BANK, before=IMPORTER_BANK, after=IMPORTER),
        event("remark", 14, 2, IMPORTER_BANK, detail={"remark_hash": "0x" + "ab" * 32}),
        event("surrender_requested", 15, 0, IMPORTER, detail={"for_amendment": False}),
    ]


# ------------------------------------------------------------------ the transport document


def test_the_sample_is_a_valid_transport_document_in_every_dcsa_file(dcsa_dir: Path) -> None:
    doc = sample_transport_document()
    for name in (schemas.EBL, schemas.ISSUANCE, schemas.PINT):
        assert schemas.errors_of(doc, dcsa_dir / name, "TransportDocument") == []
    validate_transport_document(doc)
    assert doc["transportDocumentTypeCode"] == "BOL" and doc["isToOrder"] is True
    assert doc["transports"]["portOfLoading"]["UNLocationCode"] == "CNYTN"
    assert doc["transports"]["portOfDischarge"]["UNLocationCode"] == "KEMBA"
    assert doc["documentParties"]["shipper"]["address"]["countryCode"] == "CN"
    assert doc["documentParties"]["consignee"]["address"]["countryCode"] == "KE"


def test_the_sample_takes_its_parameters_and_stays_valid(dcsa_dir: Path) -> None:
    doc = sample_transport_document(
        "SZMBA-42",
        shipper="深圳精密机械有限公司",
        shipper_lei="300300SHENZHENPM0149",
        consignee="Nairobi Tools Ltd",
        goods=["3 milling machines"],
        hs_codes=["845961"],
        containers=["LCSU1234565", "LCSU7654321"],
        gross_weight_kg=20000,
        packages=3,
    )
    validate_transport_document(doc)
    items = doc["consignmentItems"][0]["cargoItems"]
    assert [i["equipmentReference"] for i in items] == ["LCSU1234565", "LCSU7654321"]
    assert [i["cargoGrossWeight"]["value"] for i in items] == [10000, 10000]
    assert [e["equipment"]["equipmentReference"] for e in doc["utilizedTransportEquipments"]] == [
        "LCSU1234565",
        "LCSU7654321",
    ]
    assert doc["documentParties"]["shipper"]["identifyingCodes"][0]["codeListProvider"] == "GLEIF"
    with pytest.raises(InputError, match="containers"):
        sample_transport_document(containers=[])


def test_canonical_json_is_stable_in_key_order_and_unicode() -> None:
    doc = sample_transport_document(shipper="深圳精密机械 Ö")
    shuffled = json.loads(json.dumps(doc, sort_keys=True))
    reversed_keys = {k: doc[k] for k in reversed(list(doc))}
    assert canonical_json(doc) == canonical_json(shuffled) == canonical_json(reversed_keys)
    text = canonical_json(doc).decode("utf-8")
    assert json.loads(text) == doc and "深圳精密机械 Ö".encode() in canonical_json(doc) and "\\u" not in text
    assert '"value":12400}' in text  # a double as ECMAScript prints it, not Python's 12400.0
    assert text.startswith('{"cargoMovementTypeAtDestination":"FCL",')
    assert document_hash(doc) == hashlib.sha256(canonical_json(doc)).digest()
    assert len(document_hash(doc)) == 32


def test_canonical_json_is_rfc_8785() -> None:
    # RFC 8785's own examples: section 3.2.3 (sorting by UTF-16 code units) and appendix B (numbers)
    keys = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One"}
    keys |= {"\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
    order = [k for k in re.findall(r'"([^"]*)":', canonical_json(keys).decode())]
    assert order == ["\\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    numbers = [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (1e30, "1e+30"),
        (1e-27, "1e-27"),
        (333333333.33333329, "333333333.3333333"),
        (9007199254740992.0, "9007199254740992"),
        (295147905179352830000.0, "295147905179352830000"),
        (5e-324, "5e-324"),
        (-1.7976931348623157e308, "-1.7976931348623157e+308"),
    ]
    for value, text in numbers:
        assert canonical_json({"n": value}) == f'{{"n":{text}}}'.encode()
    assert canonical_json({"s": '\u2028\x7f\x01"\\\n'}) == b'{"s":"\xe2\x80\xa8\x7f\\u0001\\"\\\\\\n"}'
    for bad, field in (({"n": float("nan")}, "$.n"), ({"n": 2**53}, "$.n"), ({"a": [{"b": "\ud800"}]}, "$.a[0].b")):
        with pytest.raises(InputError, match=re.escape(field)):
            canonical_json(bad)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path


def test_the_hash_changes_with_any_field() -> None:
    doc = sample_transport_document()
    seen = {document_hash(doc)}
    paths = list(leaves(doc))
    assert len(paths) > 40
    for path in paths:
        changed = copy.deepcopy(doc)
        target = changed
        for part in path[:-1]:
            target = target[part]
        old = target[path[-1]]
        target[path[-1]] = (
            (not old) if isinstance(old, bool) else old + 1 if isinstance(old, (int, float)) else old + "x"
        )
        seen.add(document_hash(changed))
    assert len(seen) == len(paths) + 1


def test_a_broken_document_fails_naming_the_field_and_the_rule(dcsa_dir: Path) -> None:
    doc = sample_transport_document()
    del doc["carrierCode"]
    del doc["documentParties"]["shipper"]["partyName"]
    doc["transportDocumentTypeCode"] = "XYZ"
    doc["consignmentItems"][0]["cargoItems"][0]["cargoGrossWeight"]["value"] = 0
    doc["transports"]["portOfLoading"]["UNLocationCode"] = "cnytn"
    doc["invoicePayableAt"] = {}
    with pytest.raises(schemas.SchemaViolation) as caught:
        validate_transport_document(doc)
    assert str(caught.value).splitlines() == [
        f"TransportDocument ({schemas.EBL}): 6 error(s)",
        "$.carrierCode: required property missing",
        "$.consignmentItems[0].cargoItems[0].cargoGrossWeight.value: exclusiveMinimum: 0 is less than or equal to "
        "the minimum of 0",
        "$.documentParties.shipper.partyName: required property missing",
        "$.invoicePayableAt: oneOf: matches none of the allowed forms (UNLocationCode required property missing; "
        "freeText required property missing)",
        "$.transportDocumentTypeCode: enum: 'XYZ' is not one of ['BOL', 'SWB']",
        "$.transports.portOfLoading.UNLocationCode: pattern: 'cnytn' does not match '^[A-Z]{2}[A-Z2-9]{3}$'",
    ]
    assert caught.value.errors[0] == ("$.carrierCode", "required property missing")
    assert caught.value.to_json()["error"]["errors"][0] == {
        "path": "$.carrierCode",
        "rule": "required property missing",
    }


def test_the_schemas_are_found_by_the_variable_or_refused_clearly(
    dcsa_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(schemas.SCHEMAS_ENV, str(dcsa_dir))
    assert schemas.schemas_dir() == dcsa_dir
    monkeypatch.setenv(schemas.SCHEMAS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(schemas.SchemasMissing, match=schemas.SCHEMAS_ENV):
        schemas.schemas_dir()
    monkeypatch.setenv(schemas.SCHEMAS_ENV, str(tmp_path))
    with pytest.raises(schemas.SchemasMissing, match="no such DCSA schema file"):
        schemas.component_schema(schemas.EBL, "TransportDocument")
    monkeypatch.delenv(schemas.SCHEMAS_ENV)
    with pytest.raises(schemas.SchemasMissing, match="no component schema 'Nothing'"):
        schemas.component_schema(dcsa_dir / schemas.EBL, "Nothing")


def test_openapi_words_become_json_schema() -> None:
    converted = schemas._convert(
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "nullable": True,
            "example": 3,
            "properties": {"example": {"$ref": "#/components/schemas/X"}},
        }
    )
    assert converted == {
        "type": ["number", "null"],
        "exclusiveMinimum": 0,
        "properties": {"example": {"$ref": "#/$defs/X"}},
    }


# ------------------------------------------------------------------ the history as DCSA structures


def test_an_event_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind: one of issued, holder"):
        TitleEvent("minted", 1, 0, tx(1), T0, CARRIER)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="history: starts with the title's issuance"):
        dcsa.actions(history()[4:])


def test_the_actions_are_read_in_chain_order() -> None:
    acts = dcsa.actions(history())
    assert [(a.code, a.actor, a.recipient) for a in acts] == [
        ("ISSUE", CARRIER, EXPORTER),
        ("TRANSFER", EXPORTER, EXPORTER_BANK),
        ("ENDORSE", EXPORTER, IMPORTER_BANK),
        ("ENDORSE", IMPORTER_BANK, IMPORTER),  # the endorsement of a transfer of both comes before its possession
        ("TRANSFER", EXPORTER_BANK, IMPORTER),
        ("SURRENDER_FOR_DELIVERY", IMPORTER, CARRIER),
        ("SACC", CARRIER, IMPORTER),
    ]
    assert acts[3].comments == acts[4].comments == "remark 0x" + "ab" * 32


def test_the_surrender_request_and_its_endorsement_chain_validate(dcsa_dir: Path) -> None:
    doc = sample_transport_document()
    body = dcsa.surrender_request(history(), resolve, doc, comments="for delivery at Mombasa")
    schemas.validate(body, schemas.SURRENDER, "SurrenderRequestDetails")
    chain = body["endorsementChain"]
    for link in chain:
        schemas.validate(link, schemas.SURRENDER, "EndorsementChainLink")
    assert body["surrenderRequestCode"] == "SREQ" and body["surrenderRequestReference"] == tx(15)
    assert body["transportDocumentReference"] == doc["transportDocumentReference"]
    assert [(c["actionCode"], c["actor"]["partyName"], c["recipient"]["partyName"]) for c in chain] == [
        ("ISSUE", "Lion City Shipping", "Shenzhen Precision Machinery Co"),
        ("ENDORSE", "Shenzhen Precision Machinery Co", "Mombasa Commercial Bank multisig"),
        ("ENDORSE", "Mombasa Commercial Bank multisig", "Mombasa Importers Ltd"),
        ("SURRENDER_FOR_DELIVERY", "Mombasa Importers Ltd", "Lion City Shipping"),
    ]
    assert chain[0]["actionDateTime"] == "2026-12-03T08:00:00.000Z"
    assert chain[0]["actor"]["identifyingCodes"] == [
        {"codeListProvider": "W3C", "partyCode": f"did:pkh:eip155:1337:{CARRIER}", "codeListName": "DID"},
        {"codeListProvider": "GLEIF", "partyCode": "529900LIONCITYSHIP42", "codeListName": "LEI"},
        {"codeListProvider": "TRCH", "partyCode": "5", "codeListName": "ORG"},
    ]
    assert [c["codeListProvider"] for c in chain[1]["recipient"]["identifyingCodes"]] == ["W3C"]  # a contract
    signed = dcsa.endorsement_chain(history(), resolve, possession_as_sign=True)
    assert [c["actionCode"] for c in signed] == [
        "ISSUE",
        "SIGN",
        "ENDORSE",
        "ENDORSE",
        "SIGN",
        "SURRENDER_FOR_DELIVERY",
    ]
    answer = dcsa.surrender_answer(history())
    schemas.validate(answer, schemas.SURRENDER, "SurrenderRequestAnswer")
    assert answer == {"surrenderRequestReference": tx(15), "action": "SURR"}


def test_a_surrender_for_amendment_rejected_is_areq_and_srej(dcsa_dir: Path) -> None:
    events = history()[2:-1]  # up to the transfer of both, without the request and answer
    events += [
        event("surrender_requested", 15, 0, IMPORTER, detail={"for_amendment": True}),
        event("surrender_rejected", 16, 0, CARRIER),
    ]
    body = dcsa.surrender_request(events, resolve, sample_transport_document(), reason_code="SWTP")
    schemas.validate(body, schemas.SURRENDER, "SurrenderRequestDetails")
    assert (body["surrenderRequestCode"], body["reasonCode"]) == ("AREQ", "SWTP")
    assert body["endorsementChain"][-1]["actionCode"] == "SURRENDER_FOR_AMENDMENT"
    answer = dcsa.surrender_answer(events)
    schemas.validate(answer, schemas.SURRENDER, "SurrenderRequestAnswer")
    assert answer["action"] == "SREJ" and answer["comments"]
    assert [a.code for a in dcsa.actions(events)][-2:] == ["SURRENDER_FOR_AMENDMENT", "SREJ"]


def test_the_pint_envelope_validates_and_its_signatures_and_checksums_hold(dcsa_dir: Path) -> None:
    doc = sample_transport_document()
    export = dcsa.pint_envelope(history(), resolve, doc)
    schemas.validate(export.envelope, schemas.PINT, "EblEnvelope")
    (entry,) = export.entries
    schemas.validate(entry, schemas.PINT, "EnvelopeTransferChainEntry")
    schemas.validate(export.manifest, schemas.PINT, "EnvelopeManifest")
    schemas.validate(export.issuance_manifest, schemas.PINT, "IssuanceManifest")
    schemas.validate(export.issuance_manifest, schemas.ISSUANCE, "IssuanceManifest")
    schemas.validate(export.issue_to, schemas.ISSUANCE, "IssueToParty")
    schemas.validate(dcsa.issuance_request(export), schemas.ISSUANCE, "IssuanceRequest")
    for transaction in entry["transactions"]:
        schemas.validate(transaction, schemas.PINT, "Transaction")

    checksum = document_hash(doc).hex()
    assert entry["transportDocumentChecksum"] == export.manifest["transportDocumentChecksum"] == checksum
    assert export.issuance_manifest["documentChecksum"] == checksum
    assert export.issuance_manifest["issueToChecksum"] == hashlib.sha256(canonical_json(export.issue_to)).hexdigest()
    assert export.issue_to["partyName"] == "Shenzhen Precision Machinery Co"
    assert [t["actionCode"] for t in entry["transactions"]] == [
        "ISSUE",
        "TRANSFER",
        "ENDORSE",
        "ENDORSE",
        "TRANSFER",
        "SURRENDER_FOR_DELIVERY",
        "SACC",
    ]
    assert entry["transactions"][-1]["actionDateTime"] == "2026-12-03T08:06:00.000Z"
    assert entry["transactions"][-1]["auditReference"] == tx(16)
    assert entry["transactions"][3]["comments"] == "remark 0x" + "ab" * 32

    platform_key, carrier_key = export.public_keys["platform"], export.public_keys["carrier"]
    (signed_entry,) = export.envelope["envelopeTransferChain"]
    assert dcsa.verify_jws(signed_entry, platform_key) == entry
    assert dcsa.verify_jws(export.envelope["envelopeManifestSignedContent"], platform_key) == export.manifest
    issuance = dcsa.verify_jws(entry["issuanceManifestSignedContent"], carrier_key)
    assert issuance == export.issuance_manifest
    assert export.manifest["lastEnvelopeTransferChainEntrySignedContentChecksum"] == dcsa.checksum(signed_entry)
    with pytest.raises(InputError, match="jws: a signature by the given key"):
        dcsa.verify_jws(signed_entry, carrier_key)
    header = json.loads(dcsa._unb64(signed_entry.split(".")[0]))
    assert header == {"alg": "ES256", "kid": "platform", "typ": "JWT"}


def test_a_given_key_signs_the_same_bytes_and_platforms_split_the_chain(dcsa_dir: Path) -> None:
    key, carrier = dcsa.new_key(), dcsa.new_key()
    doc = sample_transport_document()
    once = dcsa.pint_envelope(history(), resolve, doc, platform_key=key, carrier_key=carrier)
    again = dcsa.pint_envelope(history(), resolve, doc, platform_key=key, carrier_key=carrier)
    assert once.envelope == again.envelope

    kenya = {IMPORTER_BANK, IMPORTER}
    split = dcsa.pint_envelope(
        history(),
        resolve,
        doc,
        platform_key=key,
        carrier_key=carrier,
        platform_of=lambda party: "WAVE" if party.address in kenya else dcsa.PLATFORM,
    )
    schemas.validate(split.envelope, schemas.PINT, "EblEnvelope")
    assert [(e["eblPlatform"], [t["actionCode"] for t in e["transactions"]]) for e in split.entries] == [
        ("TRCH", ["ISSUE", "TRANSFER", "ENDORSE"]),
        ("WAVE", ["ENDORSE"]),
        ("TRCH", ["TRANSFER"]),
        ("WAVE", ["SURRENDER_FOR_DELIVERY"]),
        ("TRCH", ["SACC"]),
    ]
    chain = split.envelope["envelopeTransferChain"]
    for i, entry in enumerate(split.entries):
        schemas.validate(entry, schemas.PINT, "EnvelopeTransferChainEntry")
        assert ("issuanceManifestSignedContent" in entry) == (i == 0)
        if i:
            assert entry["previousEnvelopeTransferChainEntrySignedContentChecksum"] == dcsa.checksum(chain[i - 1])
    assert split.manifest["lastEnvelopeTransferChainEntrySignedContentChecksum"] == dcsa.checksum(chain[-1])
    assert split.entries[1]["transactions"][0]["recipient"]["eblPlatform"] == "WAVE"


def test_a_rejected_transfer_is_the_transfer_back_with_a_comment(dcsa_dir: Path) -> None:
    events = [
        *history()[2:5],
        event("rejected", 12, 0, EXPORTER_BANK, detail={"what": 1}),
        event("holder", 12, 1, EXPORTER_BANK, before=EXPORTER_BANK, after=EXPORTER),
    ]
    export = dcsa.pint_envelope(events, resolve, sample_transport_document())
    schemas.validate(export.entries[0], schemas.PINT, "EnvelopeTransferChainEntry")
    last = export.entries[0]["transactions"][-1]
    assert (last["actionCode"], last["recipient"]["partyName"]) == ("TRANSFER", "Shenzhen Precision Machinery Co")
    assert last["comments"] == "return on rejection of the previous transfer"

"""The transport document of an eBL (DCSA eBL 3.0 ``TransportDocument``): its canonical JSON, its hash, its
validation against DCSA's schema, and a minimal valid sample for the demo (a Chinese exporter shipping machinery
from Yantian, Shenzhen, to a Kenyan importer at Mombasa under a negotiable, to-order bill of lading).

Canonical JSON is RFC 8785 (JSON Canonicalization Scheme, JCS), which DCSA names for its checksums: no JCS
library is installed in the project's environment (``rfc8785`` and ``jcs`` are on PyPI, not in our lock), so it is
written here, small and whole: object keys sorted by their UTF-16 code units, no white space, strings escaped as
JCS says (only ``"``, ``\\`` and control characters; the rest as UTF-8), numbers as ECMAScript prints a double
(``1.0`` is ``1``, ``1e21`` is ``1e+21``, ``0.000001`` is ``0.000001``, ``1e-7`` is ``1e-7``). Integers beyond
2**53 and non-finite numbers are refused (a double cannot hold them exactly), as are lone surrogates.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradechain.ebl import schemas
from tradechain.errors import InputError

_MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(doc: Mapping[str, Any]) -> bytes:
    """The RFC 8785 (JCS) canonical form of a JSON object, UTF-8. Raises :class:`InputError` naming the JSON path
    of a value JCS cannot hold (a non-string key, NaN, an integer beyond 2**53, a lone surrogate, a non-JSON
    type)."""
    out: list[str] = []
    _write(doc, "$", out)
    return "".join(out).encode("utf-8")


def _write(value: Any, path: str, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value, path))
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise InputError(path, "an integer within +-(2**53 - 1): JCS numbers are IEEE 754 doubles", value)
        out.append(str(value))
    elif isinstance(value, (float, Decimal)):
        out.append(_number(float(value), path))
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise InputError(path, "object keys are strings", key)
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            if i:
                out.append(",")
            out.append(_string(key, f"{path}.{key}"))
            out.append(":")
            _write(value[key], f"{path}.{key}", out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, f"{path}[{i}]", out)
        out.append("]")
    else:
        raise InputError(path, "a JSON value (object, array, string, number, boolean or null)", type(value).__name__)


def _string(text: str, path: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(path, "text without lone UTF-16 surrogates") from None
    # json.dumps(ensure_ascii=False) escapes exactly what JCS escapes, the same way (\b \t \n \f \r, else \u00xx)
    return json.dumps(text, ensure_ascii=False)


def _number(x: float, path: str) -> str:
    """ECMAScript's Number::toString of a double (ECMA-262 7.1.12.1), which RFC 8785 prescribes: from the
    shortest digits that round-trip (Python's repr gives them)."""
    if not math.isfinite(x):
        raise InputError(path, "a finite number (JSON has no NaN or Infinity)", x)
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits_tuple, exponent = Decimal(repr(abs(x))).as_tuple()[1:]
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    k = len(digits)
    n = exponent + len(digits_tuple)  # the value is 0.DIGITS * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def document_hash(doc: Mapping[str, Any]) -> bytes:
    """SHA-256 of the document's canonical JSON (32 bytes): what the TitleRegistry binds and the DocumentRegistry
    anchors. SHA-256 and not keccak-256 (tradechain's usual hash) because it is DCSA's own checksum of a transport
    document (``transportDocumentChecksum``, ``documentChecksum``: SHA-256 of the RFC 8785 form): the id on chain is
    then the very checksum that every DCSA platform computes and checks in PINT and issuance, with no mapping."""
    return hashlib.sha256(canonical_json(doc)).digest()


def validate_transport_document(doc: object, yaml_name: str = schemas.EBL) -> None:
    """Raises :class:`~tradechain.ebl.schemas.SchemaViolation` (one line per failing JSON path and rule) unless
    ``doc`` is a valid DCSA 3.0 ``TransportDocument`` (of ``EBL_v3.0.0.yaml``, or of the issuance or PINT file,
    whose copies of it are the same)."""
    schemas.validate(doc, yaml_name, "TransportDocument")


def _party(name: str, street: str, city: str, country: str, lei: str | None) -> dict[str, Any]:
    party: dict[str, Any] = {
        "partyName": name,
        "address": {"street": street, "city": city, "countryCode": country},
    }
    if lei:
        party["identifyingCodes"] = [{"codeListProvider": "GLEIF", "partyCode": lei, "codeListName": "LEI"}]
    return party


def sample_transport_document(
    reference: str = "LCSP6281SZMBA",
    *,
    shipper: str = "Shenzhen Precision Machinery Co",
    shipper_lei: str | None = None,
    consignee: str = "Mombasa Importers Ltd",
    consignee_lei: str | None = None,
    carrier: str = "Lion City Shipping",
    carrier_code: str = "LCSP",
    goods: Sequence[str] = ("2 CNC lathes", "spare tooling"),
    hs_codes: Sequence[str] = ("845811",),
    containers: Sequence[str] = ("LCSU1234565",),
    gross_weight_kg: float = 12400.0,
    packages: int = 2,
    booking: str = "LCSPBK6281",
    vessel: str = "Lion City Star",
    voyage: str = "2612W",
    departure: str = "2026-12-03",
    arrival: str = "2026-12-19",
    issue_date: str = "2026-12-03",
) -> dict[str, Any]:
    """A minimal valid DCSA 3.0 ``TransportDocument``: an issued, shipped-on-board, electronic, negotiable
    (``isToOrder``: the title passes by endorsement) bill of lading, ``BOL``, for full containers from Yantian
    (CNYTN) to Mombasa (KEMBA), freight prepaid, invoice payable at Shenzhen. ``containers`` are their equipment
    references (ISO 6346, 11 characters); the gross weight and the packages are split evenly among them. The
    consignee is named (a notify party too, as DCSA asks of a to-order bill); ``shipper_lei``/``consignee_lei`` add
    their LEIs as identifying codes (GLEIF). Validate with :func:`validate_transport_document`."""
    if not containers:
        raise InputError("containers", "at least one container")
    share = gross_weight_kg / len(containers)
    per_container = max(1, packages // len(containers))
    consignee_party = _party(consignee, "Moi Avenue 12", "Mombasa", "KE", consignee_lei)
    consignee_party.setdefault(
        "identifyingCodes", [{"codeListProvider": "ZZZ", "partyCode": consignee, "codeListName": "name"}]
    )
    return {
        "transportDocumentReference": reference,
        "transportDocumentStatus": "ISSUED",
        "transportDocumentTypeCode": "BOL",
        "isShippedOnBoardType": True,
        "freightPaymentTermCode": "PRE",
        "isElectronic": True,
        "isToOrder": True,
        "shippedOnBoardDate": departure,
        "issueDate": issue_date,
        "termsAndConditions": f"Carriage under the terms of {carrier}'s bill of lading, available on request.",
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        "carrierCode": carrier_code,
        "carrierCodeListProvider": "NMFTA",
        "placeOfIssue": {"locationName": "Shenzhen", "UNLocationCode": "CNSZX"},
        "invoicePayableAt": {"UNLocationCode": "CNSZX"},
        "partyContactDetails": [{"name": "Export desk", "email": f"export@{carrier_code.lower()}.example"}],
        "documentParties": {
            "shipper": _party(shipper, "Yantian Port Road 8", "Shenzhen", "CN", shipper_lei),
            "consignee": consignee_party,
            "notifyParties": [{"partyName": consignee}],
            "issuingParty": _party(carrier, "Harbourfront Avenue 1", "Singapore", "SG", None),
        },
        "consignmentItems": [
            {
                "carrierBookingReference": booking,
                "descriptionOfGoods": list(goods),
                "HSCodes": list(hs_codes),
                "cargoItems": [
                    {
                        "equipmentReference": container,
                        "cargoGrossWeight": {"value": share, "unit": "KGM"},
                        "outerPackaging": {"numberOfPackages": per_container, "description": "wooden crate"},
                    }
                    for container in containers
                ],
            }
        ],
        "utilizedTransportEquipments": [
            {
                "equipment": {"equipmentReference": container, "ISOEquipmentCode": "42G1"},
                "isShipperOwned": False,
                "seals": [{"number": f"SEAL{i + 1:06d}"}],
            }
            for i, container in enumerate(containers)
        ],
        "transports": {
            "plannedDepartureDate": departure,
            "plannedArrivalDate": arrival,
            "portOfLoading": {"locationName": "Yantian, Shenzhen", "UNLocationCode": "CNYTN"},
            "portOfDischarge": {"locationName": "Mombasa", "UNLocationCode": "KEMBA"},
            "vesselVoyages": [{"vesselName": vessel, "carrierExportVoyageNumber": voyage}],
        },
    }

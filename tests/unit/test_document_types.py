"""The SDK's table of document types (tradechain/formats/document_types.py) against its Solidity source
(contracts/libraries/DocumentTypes.sol, the table of the DocumentRegistry and the TradeEscrow), read as text with no
chain: the same names, codes and issuer roles. (The same table against the deployed contracts:
tests/contracts/test_document_types.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from tradechain.formats.document_types import ALL_DOC_TYPES, DOC_TYPE_NAMES, DOC_TYPES, MAX_DOC_TYPE, TABLE
from tradechain.formats.identity import ROLE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "contracts" / "libraries" / "DocumentTypes.sol").read_text(encoding="utf8")
ROLES_SOURCE = (ROOT / "contracts" / "libraries" / "Roles.sol").read_text(encoding="utf8")


def constants(source: str, solidity_type: str) -> dict[str, int]:
    found = re.findall(rf"\b{solidity_type}\s+internal\s+constant\s+([A-Z_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)\s*;", source)
    return {name: int(value, 0) for name, value in found}


def solidity_name(sdk_name: str) -> str:
    return sdk_name.upper().replace("-", "_")


def test_the_names_and_codes_are_the_contracts() -> None:
    codes = constants(SOURCE, "uint8")
    max_code = codes.pop("MAX")
    assert codes == {solidity_name(t.name): t.code for t in TABLE}
    assert max_code == MAX_DOC_TYPE == len(TABLE)
    assert sorted(DOC_TYPE_NAMES) == list(range(1, MAX_DOC_TYPE + 1))  # no gap: the contracts check 1..MAX
    assert {t.name: t.code for t in TABLE} == DOC_TYPES


def test_the_set_of_every_type_is_the_contracts() -> None:
    assert constants(SOURCE, "uint16") == {"ALL": ALL_DOC_TYPES}
    assert sum(1 << code for code in range(1, MAX_DOC_TYPE + 1)) == ALL_DOC_TYPES


def test_the_issuer_roles_are_the_contracts() -> None:
    body = SOURCE[SOURCE.index("function requiredRoles") :]
    branches = re.findall(r"if\s*\(\s*docType\s*==\s*([A-Z_]+)\s*\)\s*return\s+([^;]+);", body)
    on_chain = {name: sorted(re.findall(r"Roles\.([A-Z]+)", roles)) for name, roles in branches}
    assert on_chain == {solidity_name(t.name): sorted(r.upper() for r in t.issuers) for t in TABLE}
    # the SDK's role names are the constants of Roles.sol, bit for bit
    bits = re.findall(r"\buint16\s+internal\s+constant\s+([A-Z]+)\s*=\s*1\s*<<\s*(\d+)\s*;", ROLES_SOURCE)
    assert {name: int(bit) for name, bit in bits} == {name.upper(): bit for bit, name in enumerate(ROLE_NAMES)}

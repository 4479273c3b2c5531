"""Issue 14, readable output, with no chain: a revert as the user reads it (role names, ISO dates in UTC, status
words, certificate ids in hex, document types by name, milestones from 1), amounts in token units, and the store of
organisation profiles (kept only under the hash they have, re-checked on reading)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector

from tradechain.chain import reverts
from tradechain.contracts import profiles
from tradechain.contracts.erc20 import Token, format_units
from tradechain.errors import ContractRevert, InputError
from tradechain.formats import canonical
from tradechain.formats.identity import ROLES, roles_text

ACCOUNT = "0x" + "11" * 20
UNIX_TIME = re.compile(r"\b1[6-9]\d{8}\b")  # a Unix time of these years, as the old messages showed


def revert(signature: str, *values: Any, contract: str | None = None) -> ContractRevert:
    types = signature[signature.index("(") + 1 : -1].split(",")
    data = function_signature_to_4byte_selector(signature) + abi_encode(types, list(values))
    exc = reverts.decode_revert(data, contract)
    assert isinstance(exc, ContractRevert)
    return exc


def test_a_missing_role_names_the_roles_not_a_bitmask() -> None:
    exc = revert("MissingRole(address,uint32,uint16)", ACCOUNT, 13, 67)  # the recall's: producers or a regulator
    assert exc.user_message == (
        f"MissingRole(account={ACCOUNT}, organisation=13, role=brand|manufacturer|regulator): Account {ACCOUNT} of "
        "organisation 13 lacks role brand, manufacturer or regulator."
    )
    assert exc.role == 67  # the exact value stays for programs (and --json)
    assert "role 67" not in exc.user_message
    single = revert("MissingRole(address,uint32,uint16)", ACCOUNT, 13, ROLES["financier"]).user_message
    assert single.endswith("lacks role financier.")
    assert roles_text(0) == "0 (no role named)" and roles_text(1 << 12) == "bit 12"


def test_a_frozen_certificate_says_its_id_in_hex_its_status_in_a_word_and_when_in_utc() -> None:
    token = 0x5A17
    exc = revert("CertificateFrozen(uint256,uint8,uint40)", token, 1, 1_767_225_600, contract="LuxuryCertificate")
    hex_id = f"0x{token:064x}"
    assert exc.user_message == (
        f"CertificateFrozen(tokenId={hex_id}, status=Stolen, reportedAt=2026-01-01T00:00:00Z): Certificate {hex_id} "
        "is frozen: reported Stolen at 2026-01-01T00:00:00Z; only its brand can clear it."
    )
    assert str(token) not in exc.user_message and not UNIX_TIME.search(exc.user_message)
    assert (exc.tokenId, exc.status, exc.reportedAt) == (token, 1, 1_767_225_600)


def test_an_escrow_error_numbers_milestones_from_1_and_names_document_types() -> None:
    escrow = bytes(range(32))
    missing = (1 << 1) | (1 << 6)  # bill of lading, delivery attestation
    exc = revert("ConditionsNotMet(bytes32,uint8,uint16)", escrow, 1, missing, contract="TradeEscrow")
    assert "milestone=#2, missingDocs=bill-of-lading|delivery-attestation)" in exc.user_message
    assert exc.description.startswith(
        "Milestone 2 (numbered from 1) cannot be released: documents of the types in bill-of-lading, "
        "delivery-attestation"
    )
    assert (exc.milestone, exc.missingDocs) == (1, missing)
    again = revert("MilestoneAlreadyReleased(bytes32,uint8)", escrow, 0, contract="TradeEscrow")
    assert again.description == "Milestone 1 (numbered from 1) was released already."


def test_times_in_errors_are_iso_dates_in_utc() -> None:
    exc = revert("InvoiceAlreadyFinanced(bytes32,uint32,uint40)", b"\x01" * 32, 7, 1_767_225_600)
    assert "(first by 7 since 2026-01-01T00:00:00Z)" in exc.description
    assert not UNIX_TIME.search(exc.user_message)
    expired = revert("AcknowledgmentExpired(bytes32,uint256)", b"\x02" * 32, 1_767_225_600)
    assert "expired at 2026-01-01T00:00:00Z" in expired.user_message


class _Call:
    def __init__(self, result: Any) -> None:
        self.result = result

    def call(self) -> Any:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


class _FakeToken:
    """What Token reads of a contract: its decimals() and symbol()."""

    def __init__(self, decimals: Any, symbol: Any) -> None:
        self.functions = self
        self._decimals, self._symbol = decimals, symbol

    def decimals(self) -> _Call:
        return _Call(self._decimals)

    def symbol(self) -> _Call:
        return _Call(self._symbol)


class _FakeClient:
    def __init__(self, token: _FakeToken) -> None:
        self.token = token

    def contract(self, name: str, address: str) -> _FakeToken:
        return self.token


def token(decimals: Any, symbol: Any) -> Token:
    return Token(_FakeClient(_FakeToken(decimals, symbol)), "0x" + "ab" * 20)  # type: ignore[arg-type]


def test_amounts_show_in_token_units_with_the_symbol_or_the_token_address() -> None:
    from web3.exceptions import BadFunctionCallOutput

    assert token(6, "USDC").show(500_000 * 10**6) == "500,000.00 USDC"  # `--amount 500000.00`
    assert token(6, "USDC").show(1_234_567) == "1.234567 USDC"
    address = "0x" + "aB" * 20
    checksummed = Token(_FakeClient(_FakeToken(6, "")), address).address  # type: ignore[arg-type]
    assert token(6, BadFunctionCallOutput("no symbol()")).show(500_000 * 10**6) == f"500,000.00 units of {checksummed}"
    assert token(6, "USDC\x1b[2J").show(10**6) == f"1.00 units of {checksummed}"  # a symbol that is not a plain word
    assert token(18, "WETH").show(15 * 10**17) == "1.50 WETH"
    assert format_units(500, 0) == "500" and format_units(5, 1) == "0.5" and format_units(0, 6) == "0.00"


# ------------------------------------------------------------------ the profile store

ACME = {"name": "Acme Tuna Co", "country": "DE", "website": "https://acme.example"}


def test_a_profile_is_kept_only_under_its_own_hash_and_checked_again_on_reading(tmp_path: Path) -> None:
    digest = profiles.profile_hash(ACME)
    assert digest == canonical.json_hash(ACME)  # what `participant admit --profile` records on chain
    reordered = json.loads(json.dumps(dict(reversed(list(ACME.items())))))
    assert profiles.profile_hash(reordered) == digest  # key order and white space do not change the hash
    with pytest.raises(InputError, match=r"^profile: its hash 0x[0-9a-f]{64} is not the organisation's on-chain"):
        profiles.save({**ACME, "name": "Acme Tuna Co Ltd"}, digest)
    assert not profiles.store_dir().exists()  # nothing written
    path = profiles.save(ACME, digest, profiles.owner_key(31337, "0xRegistry", 13))
    assert path == profiles.store_dir() / f"0x{digest.hex()}.json"
    found = profiles.find(digest, profiles.owner_key(31337, "0xRegistry", 13))
    assert (found.status, found.name) == ("verified", "Acme Tuna Co")
    assert profiles.find(bytes(32)).status == "none"
    assert profiles.find(b"\x09" * 32).status == "none"  # a hash this machine holds no profile for
    # the organisation recorded another hash since: the profile kept for it is no longer its own
    assert profiles.find(b"\x09" * 32, profiles.owner_key(31337, "0xRegistry", 13)).status == "unverified"
    path.write_text(json.dumps({**ACME, "name": "Evil Tuna Co"}))  # edited in the store
    assert (profiles.find(digest).status, profiles.find(digest).name) == ("unverified", None)


@pytest.mark.parametrize(
    ("profile", "field", "rule"),
    [
        (["Acme"], "profile", "a profile is a JSON object"),
        ({"country": "DE"}, "profile.name", "a non-empty text"),
        ({"name": "Acme\x1b[2J"}, "profile.name", "no control characters"),
        ({"name": "A" * 121}, "profile.name", "at most 120 characters"),
        ({"name": "Acme", "country": "XX"}, "profile.country", "not an ISO 3166-1 alpha-2 country code"),
        ({"name": "Acme", "lei": "529900T8BM49AURSDO56"}, "profile.lei", "LEI check digits are wrong"),
    ],
)
def test_a_profile_that_does_not_say_who_it_is_is_refused(profile: Any, field: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        profiles.parse(profile)
    assert info.value.field == field and rule in info.value.rule

"""The bad-input catalogue (issue 7): one table per CLI group. Every bad input must end in exit code 2 and one line
``error: FIELD: RULE`` on stderr (no traceback, no usage block), and must write nothing on chain: the block number
and the nonce of every account it may sign with (admin, the --account given, a keystore's) stay as they were."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from brownie import web3
from click.testing import CliRunner, Result
from conftest import tx_count
from helpers import INVOICE, INVOICE_KEY, lei

from tradechain.chain import accounts
from tradechain.cli.main import cli

ADDRESS = accounts.dev_account("brand").address
ADDRESS2 = accounts.dev_account("seller").address


def broken_checksum(address: str) -> str:
    """The address with the case of its first letter swapped: still 40 hex digits, but a wrong EIP-55 checksum."""
    i = next(i for i in range(2, 42) if address[i].isalpha())
    return address[:i] + address[i].swapcase() + address[i + 1 :]


BAD_CHECKSUM = broken_checksum(ADDRESS)
SHORT_ADDRESS = "0x1234"
LEI = lei(1)
BAD_LEI = LEI[:18] + ("01" if LEI[18:] != "01" else "02")
GTIN, BAD_GTIN = "08850000000010", "08850000000013"
GLN, BAD_GLN = "4000001000005", "4000001000006"
SSCC, BAD_SSCC = "123456789012345675", "123456789012345670"
ESCROW_ID = "0x" + "ab" * 32
TOO_BIG = str(2**256)
KEY_HEX = INVOICE_KEY.hex()

FileContent = str | bytes | Callable[[], str | bytes]


@dataclass(frozen=True)
class Case:
    """A command line that must be refused. ``{tmp}`` in an argument is the test's folder, where ``files`` are
    written first; ``env`` is added to the CLI environment."""

    argv: tuple[str, ...]
    field: str
    rule: str
    files: dict[str, FileContent] = dataclasses.field(default_factory=dict)
    env: dict[str, str] = dataclasses.field(default_factory=dict)


def case(id_: str, argv: str | list[str], field_: str, rule: str, **extra: Any) -> Any:
    args = tuple(argv.split()) if isinstance(argv, str) else tuple(argv)
    return pytest.param(Case(args, field_, rule, **extra), id=id_)


@pytest.fixture(autouse=True)
def isolate(module_isolation: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Overrides conftest's per-test snapshot with one per module: no case may write on chain (each checks it), so
    reverting after every one of these hundreds of cases would only cost time."""
    monkeypatch.setenv("TRADECHAIN_SERIALS", str(tmp_path / "serials"))


def signers(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The dev accounts a command line may sign with: admin (the default on the local chain) and any --account."""
    roles = {"admin"} | {argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--account"}
    return tuple(accounts.dev_account(r).address for r in sorted(roles) if r in accounts.DEV_ROLES)


def chain_state(addresses: tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
    """The block number and the nonce of each of ``addresses``."""
    return int(web3.eth.block_number), tuple(tx_count(a) for a in addresses)


def write_files(folder: Path, files: dict[str, FileContent]) -> None:
    for name, content in files.items():
        data = content() if callable(content) else content
        path = folder / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def invoke(argv: tuple[str, ...], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, list(argv), env=env, catch_exceptions=False)


def assert_refused(result: Result, c: Case) -> None:
    shown = f"exit {result.exit_code}; stderr {result.stderr!r}; stdout {result.stdout[:300]!r}"
    assert result.exit_code == 2, shown
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, shown
    line = result.stderr.rstrip("\n")
    assert line.startswith("error: "), shown
    assert line.startswith(f"error: {c.field}"), f"the message does not start with the field {c.field!r}: {line}"
    assert c.rule in line, f"the message does not give the rule {c.rule!r}: {line}"
    assert "Traceback" not in result.output + result.stderr
    assert "unexpected" not in line, shown


def check(c: Case, folder: Path, *, extra_accounts: tuple[str, ...] = ()) -> None:
    """Runs the case and asserts it is refused and nothing is written on chain."""
    write_files(folder, c.files)
    argv = tuple(a.replace("{tmp}", str(folder)) for a in c.argv)
    env = {k: v.replace("{tmp}", str(folder)) for k, v in c.env.items()}
    used = signers(argv) + extra_accounts
    before = chain_state(used)
    result = invoke(argv, env)
    assert_refused(result, c)
    assert chain_state(used) == before, "a refused command wrote on chain"


# ---------------------------------------------------------------------------------------------- participant

ADMIT = f"participant admit --country DE --roles brand --manager {ADDRESS}"

PARTICIPANT_CASES = [
    case("lei-check-digits", f"{ADMIT} --lei {BAD_LEI}", "lei", "LEI check digits are wrong"),
    case("lei-length", f"{ADMIT} --lei {LEI}0", "lei", "an LEI is 20 characters"),
    case("gln-check-digit", f"{ADMIT} --gln {BAD_GLN}", "gln", "GLN check digit is wrong"),
    case("gln-length", f"{ADMIT} --gln 4000001", "gln", "a GLN is 13 digits"),
    case("no-lei-no-gln", ADMIT, "lei", "an organisation needs an LEI, a GLN or both"),
    case(
        "unknown-country",
        f"participant admit --lei {LEI} --country XX --roles brand --manager {ADDRESS}",
        "country",
        "not an ISO 3166-1 alpha-2 country code",
    ),
    case(
        "unknown-role",
        f"participant admit --lei {LEI} --country DE --roles brand,king --manager {ADDRESS}",
        "roles",
        "unknown role 'king'",
    ),
    case(
        "manager-eip55",
        f"participant admit --lei {LEI} --country DE --roles brand --manager {BAD_CHECKSUM}",
        "manager",
        "bad EIP-55 checksum",
    ),
    case(
        "manager-malformed",
        f"participant admit --lei {LEI} --country DE --roles brand --manager {SHORT_ADDRESS}",
        "manager",
        "an address is 0x followed by 40 hex digits",
    ),
    case(
        "manager-missing",
        f"participant admit --lei {LEI} --country DE --roles brand",
        "manager",
        "is required",
    ),
    case(
        "profile-missing-file",
        f"{ADMIT} --lei {LEI} --profile {{tmp}}/nope.pdf",
        "profile",
        "file not found",
    ),
    case("profile-hash-short", f"{ADMIT} --lei {LEI} --profile-hash 0x12", "profile-hash", "a 32-byte hash is 0x"),
    case("org-id-zero", f"participant add-account 0 {ADDRESS}", "organisation", "must be at least 1"),
    case("org-id-overflow", f"participant add-account 4294967296 {ADDRESS}", "organisation", "must be below 2^32"),
    case("org-id-not-a-number", "participant reinstate one", "organisation", "must be a whole number"),
    case("add-account-eip55", f"participant add-account 1 {BAD_CHECKSUM}", "account", "bad EIP-55 checksum"),
    case("revoke-malformed", "participant revoke-account 0xZZ", "address", "an address is 0x followed by 40 hex"),
    case("rotate-eip55", f"participant rotate-account {ADDRESS} {BAD_CHECKSUM}", "new-address", "bad EIP-55"),
    case("set-roles-empty", ["participant", "set-roles", "1", "--roles", ","], "roles", "at least one role"),
    case("set-roles-unknown", "participant set-roles 1 --roles admin", "roles", "unknown role 'admin'"),
    case("suspend-empty-reason", ["participant", "suspend", "1", "--reason", " "], "reason", "must not be empty"),
    case("show-eip55", f"participant show {BAD_CHECKSUM}", "account", "bad EIP-55 checksum"),
    case("account-unknown-dev-role", "participant suspend 1 --reason x --account dev99", "account", "unknown dev"),
    case("prefix-too-short", "participant assign-prefix 1 061", "prefix", "a company prefix is 4 to 12 digits, not 3"),
    case(
        "prefix-too-long",
        "participant assign-prefix 1 0614141234567",
        "prefix",
        "a company prefix is 4 to 12 digits, not 13",
    ),
    case("prefix-letters", "participant assign-prefix 1 06141A1", "prefix", "a company prefix is digits only"),
    case("prefix-org-overflow", "participant assign-prefix 4294967296 0614141", "organisation", "must be below 2^32"),
    case("prefix-org-not-a-number", "participant assign-prefix one 0614141", "organisation", "must be a whole number"),
    case("prefix-missing", "participant assign-prefix 1", "prefix", "is required"),
    case(
        "prefix-account-unknown-dev-role",
        "participant assign-prefix 1 0614141 --account dev99",
        "account",
        "unknown dev",
    ),
    case("prefix-owner-short-key", "participant prefix-owner 123", "key", "a GTIN is 8/12/13/14 digits and an SSCC 18"),
    case("prefix-owner-sscc-check-digit", f"participant prefix-owner {BAD_SSCC}", "key", "SSCC check digit is wrong"),
    case("prefix-owner-gtin-check-digit", f"participant prefix-owner {BAD_GTIN}", "key", "GTIN check digit is wrong"),
]


@pytest.mark.parametrize("c", PARTICIPANT_CASES)
def test_participant_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- gs1

GS1_CASES = [
    case("gtin-check-digit", f"gs1 parse (01){BAD_GTIN}(21)S1", "gtin (AI 01)", "GTIN check digit is wrong"),
    case("sscc-check-digit", f"gs1 parse (00){BAD_SSCC}", "sscc (AI 00)", "SSCC check digit is wrong"),
    case("gln-check-digit", f"gs1 parse (414){BAD_GLN}", "gln (AI 414)", "GLN check digit is wrong"),
    case(
        "digital-link-check-digit",
        f"gs1 parse https://id.gs1.org/01/{BAD_GTIN}/21/S1",
        "gtin",
        "GTIN check digit is wrong",
    ),
    case("unknown-ai", f"gs1 parse (01){GTIN}(23)X", "element string", "unknown application identifier (23)"),
    case("expiry-month-13", f"gs1 parse (01){GTIN}(17)301301(10)L1", "expiry", "month 13 is not 01-12"),
    case("serial-without-gtin", "gs1 parse (21)S1", "serial", "qualifies a GTIN (AI 01), which is missing"),
    case("serial-too-long", f"gs1 parse (01){GTIN}(21){'S' * 21}", "serial", "at most 20 characters"),
    case("empty", ["gs1", "parse", " "], "identifier", "empty input"),
]


@pytest.mark.parametrize("c", GS1_CASES)
def test_gs1_refuses_bad_identifiers_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- product

LOT = f"product lot {GTIN} L1 --origin TH"


def many_serials() -> str:
    return "".join(f"S{i}\n" for i in range(1_000_001))


PRODUCT_CASES = [
    case("claim-gtin-check-digit", f"product claim {BAD_GTIN}", "gtin", "GTIN check digit is wrong"),
    case("claim-gtin-length", "product claim 123", "gtin", "a GTIN is 8/12/13/14 digits"),
    case("claim-gtin-letters", "product claim 0885000000001A", "gtin", "a GTIN is digits only"),
    case("lot-expiry-in-the-past", f"{LOT} --expiry 2000-01-01", "expiry", "is in the past"),
    case("lot-expiry-yymmdd-in-the-past", f"{LOT} --expiry 000101", "expiry", "is in the past"),
    case("lot-expiry-garbage", f"{LOT} --expiry soon", "expiry", "a date is YYMMDD"),
    case("lot-expiry-no-such-day", f"{LOT} --expiry 2030-02-30", "expiry", "a date is YYYY-MM-DD or YYMMDD"),
    case("lot-unknown-origin", f"product lot {GTIN} L1 --origin ZZ --expiry 2030-01-01", "origin", "ISO 3166-1"),
    case("lot-number-too-long", f"product lot {GTIN} {'L' * 21} --origin TH --expiry 2030-01-01", "lot", "at most 20"),
    case("lot-gln-check-digit", f"{LOT} --expiry 2030-01-01 --gln {BAD_GLN}", "location", "GLN check digit"),
    case("lot-data-missing", f"{LOT} --expiry 2030-01-01 --data {{tmp}}/nope.pdf", "data", "file not found"),
    case("commission-count-zero", f"product commission {GTIN} L1 --count 0", "count", "not in the range 1<=x<=1000000"),
    case(
        "commission-count-oversized",
        f"product commission {GTIN} L1 --count 1000001",
        "count",
        "not in the range 1<=x<=1000000",
    ),
    case("commission-count-negative", f"product commission {GTIN} L1 --count -5", "count", "not in the range"),
    case(
        "commission-serials-oversized",
        f"product commission {GTIN} L1 --serials {{tmp}}/serials.txt",
        "serials",
        "at most 1,000,000 serials per commissioning",
        files={"serials.txt": many_serials},
    ),
    case(
        "commission-serials-empty-file",
        f"product commission {GTIN} L1 --serials {{tmp}}/serials.txt",
        "serials",
        "the file holds no serial",
        files={"serials.txt": ""},
    ),
    case(
        "commission-serials-not-text",
        f"product commission {GTIN} L1 --serials {{tmp}}/serials.txt",
        "serials",
        "not a text file",
        files={"serials.txt": b"\x89PNG\r\n\x1a\n\x00\xff\xfe"},
    ),
    case(
        "commission-serials-duplicate",
        f"product commission {GTIN} L1 --serials {{tmp}}/serials.txt",
        "serials",
        "each serial appears once",
        files={"serials.txt": "S1\nS2\nS1\n"},
    ),
    case(
        "commission-serial-bad-characters",
        f"product commission {GTIN} L1 --serials {{tmp}}/serials.txt",
        "serials[1]",
        "GS1 character set 82",
        files={"serials.txt": "S1\nS#2\n"},
    ),
    case("commission-gtin-check-digit", f"product commission {BAD_GTIN} L1 --count 5", "gtin", "GTIN check digit"),
    case(
        "commission-out-exists",
        f"product commission {GTIN} L1 --count 5 --out {{tmp}}/serials.csv",
        "out",
        "exists already: it is never overwritten",
        files={"serials.csv": "serial,digital_link\n"},
    ),
    case(
        "commission-out-no-folder",
        f"product commission {GTIN} L1 --count 5 --out {{tmp}}/nope/serials.csv",
        "out",
        "its folder does not exist",
    ),
]


@pytest.mark.parametrize("c", PRODUCT_CASES)
def test_product_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- trace, recall, verify

EPCIS_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2024-03-05T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": [f"https://id.gs1.org/01/{GTIN}/21/S1"],
}


def epcis(events: list[Any], kind: str = "EPCISDocument") -> str:
    return json.dumps({"type": kind, "schemaVersion": "2.0", "epcisBody": {"eventList": events}})


IMPORT = "trace import {tmp}/events.jsonld"
QUANTITY = {"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 7.5}
DEEP = "[" * 100_000 + "]" * 100_000


def with_quantity(written: str) -> str:
    """An EPCIS document whose one quantity is written as ``written`` (NaN, Infinity, 5,000 digits)."""
    return epcis([{**EPCIS_EVENT, "quantityList": [QUANTITY]}]).replace("7.5", written)


def twice(text: str, key: str) -> str:
    """JSON ``text`` whose object holding ``key`` gives it once more, before the real one."""
    assert f'"{key}"' in text
    return text.replace(f'"{key}"', f'"{key}": "x", "{key}"', 1)


TRACE_CASES = [
    case("ship-sscc-check-digit", f"trace ship sscc:{BAD_SSCC} --to 2", "sscc", "SSCC check digit is wrong"),
    case("ship-lot-gtin-check-digit", f"trace ship lot:{BAD_GTIN}/L1 --to 2", "gtin", "GTIN check digit is wrong"),
    case("ship-to-negative", f"trace ship sscc:{SSCC} --to -2", "receiver", "must be at least 1"),
    case("ship-to-overflow", f"trace ship sscc:{SSCC} --to 4294967296", "receiver", "must be below 2^32"),
    case("ship-to-missing", f"trace ship sscc:{SSCC}", "to", "is required"),
    case("ship-gln-check-digit", f"trace ship sscc:{SSCC} --to 2 --gln {BAD_GLN}", "location", "GLN check digit"),
    case("receive-malformed-unit", "trace receive 0xzz", "unit", "name a unit as lot:GTIN/LOT"),
    case("pack-sscc-check-digit", f"trace pack {BAD_SSCC} lot:{GTIN}/L1", "sscc", "SSCC check digit is wrong"),
    case("pack-into-a-lot", f"trace pack lot:{GTIN}/L2 lot:{GTIN}/L1", "sscc", "an SSCC is digits only"),
    case(
        "pack-into-a-batch-id",
        f"trace pack 0x{'ab' * 32} lot:{GTIN}/L1",
        "sscc",
        "a container is named by an SSCC",
    ),
    case("unpack-sscc-check-digit", f"trace unpack sscc:{BAD_SSCC} lot:{GTIN}/L1", "sscc", "SSCC check digit"),
    case("inspect-report-missing", f"trace inspect sscc:{SSCC} --pass --report {{tmp}}/nope", "report", "not found"),
    case(
        "transform-expiry-garbage",
        f"trace transform --input lot:{GTIN}/L1 --output {GTIN}/X:garbage:TH",
        "output expiry",
        "a date is YYMMDD",
    ),
    case(
        "transform-expiry-in-the-past",
        f"trace transform --input lot:{GTIN}/L1 --output {GTIN}/X:2000-01-01:TH",
        "output expiry",
        "is in the past",
    ),
    case(
        "transform-unknown-origin",
        f"trace transform --input lot:{GTIN}/L1 --output {GTIN}/X:2030-01-01:QQ",
        "origin",
        "ISO 3166-1",
    ),
    case("dispense-gtin-check-digit", f"trace dispense (01){BAD_GTIN}(21)S1", "gtin (AI 01)", "GTIN check digit"),
    case("history-gtin-check-digit", f"trace history lot:{BAD_GTIN}/L1", "gtin", "GTIN check digit is wrong"),
    case("history-not-a-unit", "trace history nonsense", "unit", "or a pack, lot or container by its GS1 Digital Link"),
    case("history-pack-check-digit", f"trace history (01){BAD_GTIN}(21)S1", "gtin (AI 01)", "GTIN check digit"),
    case("history-pack-bad-urn", "trace history urn:epc:id:sgtin:x", "unit", "expected 3 dot-separated parts"),
    case("history-pack-bad-link", f"trace history https://id.gs1.org/01/{BAD_GTIN}/21/S1", "unit", "check digit"),
    case("custody-malformed-unit", "trace custody lot:x", "unit", "a lot is named lot:GTIN/LOT"),
    case("export-not-an-epc", "trace export notanepc", "epc", "must be an EPC URN or a GS1 Digital Link URI"),
    case("export-bad-urn", "trace export urn:epc:id:sgtin:x", "epc", "expected 3 dot-separated parts"),
    case("import-not-json", IMPORT, "file", "not JSON", files={"events.jsonld": "eventTime,type\n1,2\n"}),
    case("import-empty-file", IMPORT, "file", "is empty", files={"events.jsonld": ""}),
    case("import-binary-file", IMPORT, "file", "not JSON", files={"events.jsonld": b"\x89PNG\r\n\x1a\n\xff"}),
    case("import-missing-file", IMPORT, "file", "not found"),
    case(
        "import-unknown-document-type",
        IMPORT,
        "type",
        "must be EPCISDocument or EPCISQueryDocument",
        files={"events.jsonld": epcis([EPCIS_EVENT], kind="EPCISMasterDataDocument")},
    ),
    case(
        "import-not-an-object",
        IMPORT,
        "document",
        "an EPCIS document is a JSON object",
        files={"events.jsonld": json.dumps([EPCIS_EVENT])},
    ),
    case(
        "import-no-event",
        IMPORT,
        "epcisBody.eventList",
        "holds no event",
        files={"events.jsonld": epcis([])},
    ),
    case(
        "import-oversized",
        IMPORT,
        "epcisBody.eventList",
        "at most 1,000,000 events per document",
        files={"events.jsonld": lambda: epcis([{}] * 1_000_001)},
    ),
    case(
        "import-event-time-without-offset",
        IMPORT,
        "eventList[0].eventTime",
        "time-zone offset",
        files={"events.jsonld": epcis([{**EPCIS_EVENT, "eventTime": "2024-03-05T10:00:00"}])},
    ),
    case(
        "import-duplicate-key",
        IMPORT,
        "epcisBody.eventList[0].action",
        "the key is given twice in one object",
        files={"events.jsonld": lambda: twice(epcis([EPCIS_EVENT]), "action")},
    ),
    case(
        "import-nan-quantity",
        IMPORT,
        "epcisBody.eventList[0].quantityList[0].quantity",
        "NaN is not a JSON number",
        files={"events.jsonld": lambda: with_quantity("NaN")},
    ),
    case(
        "import-infinite-quantity",
        IMPORT,
        "epcisBody.eventList[0].quantityList[0].quantity",
        "Infinity is not a JSON number",
        files={"events.jsonld": lambda: with_quantity("Infinity")},
    ),
    case(
        "import-5000-digit-quantity",
        IMPORT,
        "epcisBody.eventList[0].quantityList[0].quantity",
        "a number of more than 100 digits",
        files={"events.jsonld": lambda: with_quantity("9" * 5000)},
    ),
    case("import-deep-nesting", IMPORT, "document", "nested deeper than 64 levels", files={"events.jsonld": DEEP}),
    case(
        "import-over-the-size-cap",
        IMPORT,
        "file",
        "larger than 100 bytes (the limit for JSON input)",
        files={"events.jsonld": epcis([EPCIS_EVENT])},
        env={"TRADECHAIN_JSON_MAX_BYTES": "100"},
    ),
    case(
        "import-event-time-1969",
        IMPORT,
        "eventList[0].eventTime",
        "is before 1970-01-01T00:00:00Z",
        files={"events.jsonld": epcis([{**EPCIS_EVENT, "eventTime": "1969-12-31T23:59:59Z"}])},
    ),
    case(
        "import-event-time-far-ahead",
        IMPORT,
        "eventList[0].eventTime",
        "is more than a day in the future",
        files={"events.jsonld": epcis([{**EPCIS_EVENT, "eventTime": "2999-03-05T10:00:00Z"}])},
    ),
    case(
        "import-escape-sequence-in-bizstep",
        IMPORT,
        "eventList[0].bizStep",
        "no white space or control characters",
        files={"events.jsonld": epcis([{**EPCIS_EVENT, "bizStep": "shipping\x1b[2J"}])},
    ),
    case(
        "import-batch-oversized",
        f"{IMPORT} --batch 4097",
        "batch",
        "not in the range 1<=x<=4096",
        files={"events.jsonld": epcis([EPCIS_EVENT])},
    ),
    case("recall-gtin-check-digit", f"recall lot:{BAD_GTIN}/L1 --reason r", "gtin", "GTIN check digit is wrong"),
    case("recall-empty-reason", ["recall", f"lot:{GTIN}/L1", "--reason", ""], "reason", "must not be empty"),
    case("verify-gtin-check-digit", f"verify (01){BAD_GTIN}(10)L1", "gtin (AI 01)", "GTIN check digit is wrong"),
    case("verify-without-lot", f"verify (01){GTIN}", "lot", "verification needs the lot (AI 10)"),
]


@pytest.mark.parametrize("c", TRACE_CASES)
def test_trace_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- epcis

HASH = "epcis hash {tmp}/events.jsonld"

EPCIS_CASES = [
    case("hash-not-json", HASH, "file", "not JSON", files={"events.jsonld": "eventTime,type\n1,2\n"}),
    case("hash-empty-file", HASH, "file", "is empty", files={"events.jsonld": ""}),
    case("hash-missing-file", HASH, "file", "not found"),
    case(
        "hash-not-an-epcis-document",
        HASH,
        "type",
        "must be EPCISDocument or EPCISQueryDocument",
        files={"events.jsonld": json.dumps({"type": "Invoice", "epcisBody": {"eventList": [EPCIS_EVENT]}})},
    ),
    case(
        "hash-event-time-without-offset",
        HASH,
        "eventList[0].eventTime",
        "needs a time-zone offset",
        files={"events.jsonld": epcis([{**EPCIS_EVENT, "eventTime": "2024-03-05T10:00:00"}])},
    ),
    case(
        "hash-query-document-bad-action",
        HASH,
        "eventList[0].action",
        "must be ADD, OBSERVE or DELETE",
        files={
            "events.jsonld": json.dumps(
                {
                    "type": "EPCISQueryDocument",
                    "epcisBody": {"queryResults": {"resultsBody": {"eventList": [{**EPCIS_EVENT, "action": "X"}]}}},
                }
            )
        },
    ),
]


@pytest.mark.parametrize("c", EPCIS_CASES)
def test_epcis_refuses_bad_documents_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- cert

META = {"model": "Tank", "reference": "W123"}
ISSUE = "cert issue S1 --metadata {tmp}/meta.json"
BATCH = "cert issue-batch {tmp}/rows.csv"


def many_rows() -> str:
    return "serial,model\n" + "".join(f"S{i},Tank\n" for i in range(100_001))


CERT_CASES = [
    case("serial-with-space", ["cert", "issue", "S 1", "--metadata", "{tmp}/meta.json"], "serial", "printable ASCII"),
    case("serial-too-long", f"cert issue {'S' * 33} --metadata {{tmp}}/meta.json", "serial", "at most 32 characters"),
    case("metadata-not-json", ISSUE, "metadata", "not JSON", files={"meta.json": "model: Tank"}),
    case("metadata-empty", ISSUE, "metadata", "not JSON", files={"meta.json": ""}),
    case("metadata-binary", ISSUE, "metadata", "not JSON", files={"meta.json": b"\x89PNG\r\n\x1a\n\xff"}),
    case("metadata-not-an-object", ISSUE, "metadata", "must be a JSON object", files={"meta.json": "[1, 2]"}),
    case("metadata-missing", ISSUE, "metadata", "file not found"),
    case(
        "issue-to-eip55",
        f"{ISSUE} --to {BAD_CHECKSUM} --account brand",
        "to",
        "bad EIP-55 checksum",
        files={"meta.json": json.dumps(META)},
    ),
    case("batch-empty-file", BATCH, "file", "is empty", files={"rows.csv": ""}),
    case("batch-not-csv", BATCH, "file", "a CSV with a 'serial' column", files={"rows.csv": json.dumps(META)}),
    case("batch-no-serial-column", BATCH, "file", "a CSV with a 'serial' column", files={"rows.csv": "model\nX\n"}),
    case("batch-header-only", BATCH, "file", "holds no row", files={"rows.csv": "serial,model\n"}),
    case("batch-extra-fields", BATCH, "line 3", "more fields than the header", files={"rows.csv": "serial\nA\nB,x\n"}),
    case("batch-bad-serial", BATCH, "line 2: serial", "printable ASCII", files={"rows.csv": "serial\nS 1\n"}),
    case("batch-oversized", BATCH, "file", "at most 100,000 rows per run", files={"rows.csv": many_rows}),
    case(
        "batch-size-oversized",
        f"{BATCH} --batch-size 1001",
        "batch-size",
        "not in the range 1<=x<=1000",
        files={"rows.csv": "serial\nA\n"},
    ),
    case("transfer-to-eip55", f"cert transfer 1 --to {BAD_CHECKSUM}", "to", "bad EIP-55 checksum"),
    case("transfer-to-malformed", f"cert transfer 1 --to {SHORT_ADDRESS}", "to", "an address is 0x followed by 40"),
    case("transfer-id-overflow", f"cert transfer {TOO_BIG} --to {ADDRESS}", "certificate", "out of range"),
    case("transfer-id-garbage", f"cert transfer 0xnothex --to {ADDRESS}", "certificate", "a number or 0x hex"),
    case("transfer-brand-not-a-number", f"cert transfer x:S1 --to {ADDRESS}", "certificate", "BRAND:SERIAL"),
    case("transfer-brand-overflow", f"cert transfer 4294967296:S1 --to {ADDRESS}", "brand", "1 to 2^32 - 1"),
    case("claim-secret-not-hex", "cert claim 1", "secret", "32 bytes of hex", env={"TRADECHAIN_CLAIM_SECRET": "x"}),
    case(
        "claim-secret-63-digits",
        "cert claim 1",
        "secret",
        "exactly 64 hex digits",
        env={"TRADECHAIN_CLAIM_SECRET": "0x" + "1" * 63},
    ),
    case("claim-secret-argument", f"cert claim 1 --secret 0x{'11' * 32}", "secret", "never on the command line"),
    case("claim-secret-file-missing", "cert claim 1 --secret-file {tmp}/nope.txt", "secret-file", "file not found"),
    case("verify-brand-negative", "cert verify S1 --brand -3", "brand", "1 to 2^32 - 1"),
    case("verify-brand-overflow", "cert verify S1 --brand 4294967296", "brand", "1 to 2^32 - 1"),
    case("report-missing-file", "cert report 1 --stolen --report {tmp}/nope.pdf", "report", "file not found"),
    case("service-empty-kind", ["cert", "service", "1", "--kind", " "], "kind", "must not be empty"),
    case("qr-not-png", "cert qr 1 --out {tmp}/qr.jpg", "out", "written as PNG"),
    case(
        "open-claim-out-exists",
        "cert open-claim 1 --out {tmp}/secret.txt --account brand",
        "out",
        "exists already: it is never overwritten",
        files={"secret.txt": "an earlier secret\n"},
    ),
    case("open-claim-out-no-folder", "cert open-claim 1 --out {tmp}/nope/s.txt", "out", "its folder does not exist"),
    case(
        "batch-out-not-an-ids-file",
        f"{BATCH} --out {{tmp}}/notes.csv",
        "out",
        "exists and is not an ids file of cert issue-batch",
        files={"rows.csv": "serial\nA\n", "notes.csv": "my notes\n"},
    ),
    case(
        "batch-out-no-folder",
        f"{BATCH} --out {{tmp}}/nope/ids.csv",
        "out",
        "its folder does not exist",
        files={"rows.csv": "serial\nA\n"},
    ),
]


@pytest.mark.parametrize("c", CERT_CASES)
def test_cert_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- doc

ANCHOR = "doc anchor {tmp}/bl.pdf --type bill-of-lading --trade KE-7"
PDF = {"bl.pdf": b"%PDF bill of lading"}


def too_many_files() -> list[str]:
    return ["doc", "anchor", *(["{tmp}/bl.pdf"] * 100_001), "--type", "bill-of-lading", "--trade", "KE-7"]


DOC_CASES = [
    case(
        "unknown-type", "doc anchor {tmp}/bl.pdf --type bill --trade KE-7", "type", "unknown document type", files=PDF
    ),
    case(
        "trade-too-long",
        f"doc anchor {{tmp}}/bl.pdf --type packing-list --trade {'T' * 33}",
        "trade",
        "1-32",
        files=PDF,
    ),
    case("empty-file", ANCHOR, "file", "is empty", files={"bl.pdf": b""}),
    case("missing-file", ANCHOR, "file", "not found"),
    case(
        "json-file-not-json",
        "doc anchor {tmp}/bl.json --type bill-of-lading --trade KE-7",
        "file",
        "a .json document must be JSON",
        files={"bl.json": "{not json"},
    ),
    case(
        "json-duplicate-key",
        "doc anchor {tmp}/co.json --type certificate-of-origin --trade KE-7",
        "file.origin",
        "the key is given twice in one object",
        files={"co.json": '{"origin": "DE", "goods": "lathe", "origin": "CN"}'},
    ),
    case(
        "json-nan",
        "doc anchor {tmp}/co.json --type certificate-of-origin --trade KE-7",
        "file.weight",
        "NaN is not a JSON number",
        files={"co.json": '{"origin": "DE", "weight": NaN}'},
    ),
    case(
        "json-5000-digit-integer",
        "doc anchor {tmp}/co.json --type certificate-of-origin --trade KE-7",
        "file.weight",
        "a number of more than 100 digits",
        files={"co.json": '{"origin": "DE", "weight": ' + "9" * 5000 + "}"},
    ),
    case(
        "json-deep-nesting",
        "doc anchor {tmp}/co.json --type certificate-of-origin --trade KE-7",
        "file",
        "nested deeper than 64 levels",
        files={"co.json": "[" * 100_000 + "]" * 100_000},
    ),
    case(
        "same-file-twice",
        "doc anchor {tmp}/bl.pdf {tmp}/bl.pdf --type bill-of-lading --trade KE-7",
        "files",
        "the same document appears twice",
        files=PDF,
    ),
    case("oversized-batch", too_many_files(), "files", "at most 100,000 per batch", files=PDF),
    case(
        "proofs-only-by-no-organisation",
        f"{ANCHOR} --proofs-only",
        "account",
        "this account signs for no organisation",
        files=PDF,
    ),
    case("verify-without-proof", "doc verify {tmp}/bl.pdf", "file", "no proof beside it", files=PDF),
    case(
        "verify-proof-not-json",
        "doc verify {tmp}/bl.pdf",
        "file",
        "its proof file is not valid",
        files={**PDF, "bl.pdf.tcproof.json": "{"},
    ),
    case(
        "verify-proof-duplicate-key",
        "doc verify {tmp}/bl.pdf",
        "file",
        "its proof file is not valid (proof.root: the key is given twice",
        files={
            **PDF,
            "bl.pdf.tcproof.json": lambda: twice(json.dumps(proof_of_issuer(5)), "root"),
        },
    ),
    case(
        "verify-proof-short-hash",
        "doc verify {tmp}/bl.pdf",
        "file",
        "its proof file is not valid (proof.documentHash: a 32-byte hash is 0x",
        files={**PDF, "bl.pdf.tcproof.json": lambda: json.dumps({**proof_of_issuer(5), "documentHash": "0x12"})},
    ),
    case("revoke-neither-file-nor-batch", "doc revoke --reason x", "file", "give FILE or --batch ROOT"),
    case("revoke-batch-malformed", "doc revoke --batch 0x12 --reason x", "batch", "a 32-byte hash is 0x"),
    case("revoke-without-proof", "doc revoke {tmp}/bl.pdf --reason x", "file", "no proof beside it", files=PDF),
    case("anchor-neither-trade-nor-escrow", "doc anchor {tmp}/bl.pdf --type bill-of-lading", "trade", "--escrow"),
    case(
        "anchor-trade-and-escrow",
        f"{ANCHOR} --escrow {ESCROW_ID}",
        "trade",
        "give --trade TRADE, or --escrow ESCROW",
        files=PDF,
    ),
    case(
        "anchor-escrow-malformed",
        "doc anchor {tmp}/bl.pdf --type bill-of-lading --escrow 0x12",
        "escrow",
        "an escrow id (0x and 64 hex digits) or the JSON file",
        files=PDF,
    ),
    case(
        "anchor-escrow-unknown",
        f"doc anchor {{tmp}}/bl.pdf --type bill-of-lading --escrow {ESCROW_ID} --account carrier",
        "escrow",
        "no escrow with this id on this chain",
        files=PDF,
    ),
    case(
        "anchor-escrow-file-not-json",
        "doc anchor {tmp}/bl.pdf --type bill-of-lading --escrow {tmp}/escrow.json",
        "escrow",
        "not JSON",
        files={**PDF, "escrow.json": "{"},
    ),
    case(
        "anchor-escrow-terms-incomplete",
        "doc anchor {tmp}/bl.pdf --type bill-of-lading --escrow {tmp}/escrow.json",
        "terms.funder",
        "is required",
        files={**PDF, "escrow.json": json.dumps({"terms": {}})},
    ),
    case(
        "anchor-escrow-terms-bad-document-type",
        "doc anchor {tmp}/bl.pdf --type bill-of-lading --escrow {tmp}/escrow.json",
        "terms.milestones[0].documents",
        "unknown document type",
        files={**PDF, "escrow.json": lambda: json.dumps({"terms": escrow_terms(documents=["selfie"])})},
    ),
    case(
        "anchor-escrow-id-not-its-terms",
        "doc anchor {tmp}/bl.pdf --type bill-of-lading --escrow {tmp}/escrow.json",
        "escrow",
        "the file's escrow id is not the id of its terms",
        files={**PDF, "escrow.json": lambda: json.dumps({"escrow": ESCROW_ID, "terms": escrow_terms()})},
    ),
    case("revoke-issuer-zero", f"doc revoke --batch {ESCROW_ID} --issuer 0 --reason x", "issuer", "at least 1"),
    case("revoke-issuer-garbage", f"doc revoke --batch {ESCROW_ID} --issuer me --reason x", "issuer", "whole number"),
    case(
        "revoke-batch-unnamed-issuer-by-the-admin",
        f"doc revoke --batch {ESCROW_ID} --reason x",
        "issuer",
        "this account signs for no organisation",
    ),
    case(
        "revoke-issuer-not-the-proofs",
        "doc revoke {tmp}/bl.pdf --issuer 6 --reason x",
        "issuer",
        "the proof of bl.pdf names issuer 5, not 6",
        files={**PDF, "bl.pdf.tcproof.json": lambda: json.dumps(proof_of_issuer(5))},
    ),
]


def escrow_terms(documents: list[str] | None = None) -> dict[str, Any]:
    """Escrow terms as `escrow open --json` writes them."""
    return {
        "funder": ADDRESS,
        "buyer": ADDRESS,
        "seller": ADDRESS2,
        "arbiter": ADDRESS2,
        "token": ADDRESS,
        "amount": 1_000_000,
        "deadline": 2_000_000_000,
        "tradeId": "KE-7",
        "salt": "0x" + "00" * 32,
        "milestones": [{"bps": 10_000, "documents": documents or ["bill-of-lading"], "issuer": 0}],
    }


def proof_of_issuer(issuer: int) -> dict[str, Any]:
    """A well-formed proof file naming ``issuer`` (nothing needs to be anchored: the check comes first)."""
    return {
        "root": ESCROW_ID,
        "documentHash": ESCROW_ID,
        "docType": "bill-of-lading",
        "tradeId": ESCROW_ID,
        "proof": [],
        "registry": ADDRESS,
        "chainId": 1,
        "issuer": issuer,
    }


@pytest.mark.parametrize("c", DOC_CASES)
def test_doc_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- escrow


def escrow_open(**change: str) -> list[str]:
    options = {
        "seller": ADDRESS,
        "arbiter": ADDRESS2,
        "amount": "1250.00",
        "deadline": "+30d",
        "trade": "KE-7",
        "milestone": "100%:bill-of-lading",
        **change,
    }
    argv = ["escrow", "open"]
    for name, value in options.items():
        for one in value.split(" ") if name == "milestone" else [value]:
            argv += [f"--{name}", one]
    return argv


ESCROW_CASES = [
    case("seller-eip55", escrow_open(seller=BAD_CHECKSUM), "seller", "bad EIP-55 checksum"),
    case("arbiter-malformed", escrow_open(arbiter=SHORT_ADDRESS), "arbiter", "an address is 0x followed by 40"),
    case("buyer-eip55", [*escrow_open(), "--buyer", BAD_CHECKSUM], "buyer", "bad EIP-55 checksum"),
    case("token-eip55", [*escrow_open(), "--token", BAD_CHECKSUM], "token", "bad EIP-55 checksum"),
    case("token-not-a-contract", [*escrow_open(), "--token", ADDRESS], "token", "no contract at this address"),
    case("amount-negative", escrow_open(amount="-10"), "amount", "must be positive"),
    case("amount-zero", escrow_open(amount="0"), "amount", "must be positive"),
    case("amount-overflow", escrow_open(amount=TOO_BIG), "amount", "too large"),
    case("amount-exponent-overflow", escrow_open(amount="1e40"), "amount", "too large"),
    case("amount-huge-exponent", escrow_open(amount="1e999999999"), "amount", "too large"),
    case("amount-tiny-exponent", escrow_open(amount="1e-999999999"), "amount", "at most 6 decimals"),
    case("amount-nan", escrow_open(amount="NaN"), "amount", "must be a number"),
    case("amount-infinity", escrow_open(amount="Infinity"), "amount", "too large"),
    case("amount-too-many-decimals", escrow_open(amount="0.0000001"), "amount", "at most 6 decimals"),
    case("amount-garbage", escrow_open(amount="ten"), "amount", "must be a number"),
    case("deadline-in-the-past", escrow_open(deadline="2001-01-01"), "deadline", "must be in the future"),
    case("deadline-today-plus-zero", escrow_open(deadline="+0d"), "deadline", "+Nd takes N from 1"),
    case("deadline-negative-duration", escrow_open(deadline="+-3d"), "deadline", "+Nd (N days from now)"),
    case("deadline-overflowing-duration", escrow_open(deadline="+99999999999d"), "deadline", "+Nd takes N from 1"),
    case("deadline-garbage", escrow_open(deadline="soon"), "deadline", "a date YYYY-MM-DD or +Nd"),
    case("deadline-too-far", escrow_open(deadline="9999-12-31"), "deadline", "at most 36,600 days from now"),
    case("trade-too-long", escrow_open(trade="T" * 33), "trade", "a trade id is 1-32"),
    case("shares-below-100", escrow_open(milestone="50%:bill-of-lading"), "milestones", "add up to 100%"),
    case("share-negative", escrow_open(milestone="-50%:bill-of-lading"), "milestone", "SHARE%:TYPE"),
    case("share-nan", escrow_open(milestone="nan%:bill-of-lading"), "milestone", "SHARE%:TYPE"),
    case("unknown-document-type", escrow_open(milestone="100%:selfie"), "milestone", "unknown document type"),
    case(
        "issuer-overflow",
        escrow_open(milestone="100%:bill-of-lading@4294967296"),
        "milestone issuer",
        "must be below 2^32",
    ),
    case(
        "too-many-milestones",
        escrow_open(milestone=" ".join(["11%:packing-list"] * 8 + ["12%:packing-list"])),
        "milestones",
        "1 to 8 milestones",
    ),
    case("fund-malformed-id", "escrow fund 0x12", "escrow", "an escrow id is 0x followed by 64 hex digits"),
    case("status-non-hex-id", f"escrow status 0x{'zz' * 32}", "escrow", "an escrow id is 0x followed by 64"),
    case("status-unknown-id", f"escrow status {ESCROW_ID}", "escrow", "no escrow with this id on this chain"),
    case("release-milestone-zero", f"escrow release {ESCROW_ID} 0", "milestone", "not in the range 1<=x<=8"),
    case("release-milestone-oversized", f"escrow release {ESCROW_ID} 9", "milestone", "not in the range 1<=x<=8"),
    case("missing-milestone-oversized", f"escrow missing {ESCROW_ID} 9", "milestone", "not in the range 1<=x<=8"),
    case("missing-unknown-id", f"escrow missing {ESCROW_ID} 1", "escrow", "no escrow with this id on this chain"),
    case("missing-malformed-id", "escrow missing 0x12 1", "escrow", "an escrow id is 0x followed by 64 hex digits"),
    case("resolve-share-over-100", f"escrow resolve {ESCROW_ID} --seller-share 150%", "seller-share", "0% to 100%"),
    case("resolve-share-negative", f"escrow resolve {ESCROW_ID} --seller-share -5%", "seller-share", "0% to 100%"),
    case("resolve-share-infinite", f"escrow resolve {ESCROW_ID} --seller-share inf", "seller-share", "0% to 100%"),
]


@pytest.mark.parametrize("c", ESCROW_CASES)
def test_escrow_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- invoice

KEY_ENV = {"TRADECHAIN_INVOICE_KEY": KEY_HEX}
CSV_HEADER = "seller_scheme,seller_id,buyer_scheme,buyer_id,number,issue_date,currency,amount\n"


def invoice_file(**change: Any) -> dict[str, FileContent]:
    return {"inv.json": json.dumps({**INVOICE, **change})}


def inv(command: str, id_: str, options: str, field_: str, rule: str, **extra: Any) -> Any:
    """A case of ``invoice COMMAND {tmp}/inv.json OPTIONS`` with the network key set."""
    env = {**KEY_ENV, **extra.pop("env", {})}
    return case(id_, f"invoice {command} {{tmp}}/inv.json {options}".strip(), field_, rule, env=env, **extra)


def ack(**data: Any) -> dict[str, FileContent]:
    good = {"fingerprint": ESCROW_ID, "buyer": ADDRESS, "nonce": 0, "deadline": 1, "signature": "0x00"}
    return {"ack.json": json.dumps({k: v for k, v in {**good, **data}.items() if v is not None})}


ACK = "invoice acknowledge {tmp}/ack.json"

INVOICE_CASES = [
    inv("fingerprint", "unknown-currency", "", "currency", "not an ISO 4217", files=invoice_file(currency="EURO")),
    inv("fingerprint", "unknown-currency-code", "", "currency", "not an ISO 4217", files=invoice_file(currency="XYZ")),
    inv("fingerprint", "amount-negative", "", "amount", "must be positive", files=invoice_file(amount="-5.00")),
    inv("fingerprint", "amount-zero", "", "amount", "must be positive", files=invoice_file(amount="0.00")),
    inv("fingerprint", "amount-overflow", "", "amount", "too large", files=invoice_file(amount=TOO_BIG)),
    inv("fingerprint", "amount-decimals", "", "amount", "EUR has 2 decimals", files=invoice_file(amount="1.001")),
    inv("fingerprint", "amount-garbage", "", "amount", "not an amount", files=invoice_file(amount="12O")),
    inv("fingerprint", "issue-date-garbage", "", "issue_date", "not a valid date", files=invoice_file(issue_date="x")),
    inv(
        "fingerprint",
        "missing-number",
        "",
        "number",
        "is required",
        files={"inv.json": json.dumps({k: v for k, v in INVOICE.items() if k != "number"})},
    ),
    inv(
        "fingerprint",
        "json-duplicate-key",
        "",
        "invoice.amount",
        "the key is given twice in one object",
        files={"inv.json": twice(json.dumps(INVOICE), "amount")},
    ),
    inv(
        "fingerprint",
        "json-nan-amount",
        "",
        "invoice.amount",
        "NaN is not a JSON number",
        files={"inv.json": json.dumps({**INVOICE, "amount": 0}).replace('"amount": 0', '"amount": NaN')},
    ),
    inv(
        "fingerprint",
        "json-5000-digit-amount",
        "",
        "invoice.amount",
        "a number of more than 100 digits",
        files={"inv.json": json.dumps({**INVOICE, "amount": 0}).replace('"amount": 0', '"amount": ' + "9" * 5000)},
    ),
    inv("fingerprint", "json-deep", "", "invoice", "nested deeper than 64 levels", files={"inv.json": DEEP}),
    case(
        "csv-field-too-large",
        "invoice fingerprint {tmp}/inv.csv",
        "line 2",
        "not CSV (field larger than field limit",
        files={"inv.csv": CSV_HEADER + "x" * 200_000 + "\n"},
        env=KEY_ENV,
    ),
    inv("fingerprint", "not-json", "", "file", "not JSON or CSV", files={"inv.json": "seller;buyer\n"}),
    inv("fingerprint", "empty-file", "", "file", "is empty", files={"inv.json": ""}),
    inv("fingerprint", "empty-array", "", "file", "holds no invoice", files={"inv.json": "[]"}),
    inv("fingerprint", "binary-file", "", "file", "not JSON or CSV", files={"inv.json": b"\x89PNG\r\n\x1a\n\xff"}),
    inv("fingerprint", "missing-file", "", "file", "not found"),
    case(
        "csv-missing-columns",
        "invoice fingerprint {tmp}/inv.csv",
        "line 2",
        "missing column 'buyer_scheme'",
        files={"inv.csv": "seller_scheme,seller_id\nLEI,529900T8BM49AURSDO55\n"},
        env=KEY_ENV,
    ),
    case(
        "csv-header-only",
        "invoice fingerprint {tmp}/inv.csv",
        "file",
        "holds no invoice",
        files={"inv.csv": CSV_HEADER},
        env=KEY_ENV,
    ),
    case(
        "csv-second-invoice-bad",
        "invoice fingerprint {tmp}/inv.csv",
        "invoice 2: currency",
        "not an ISO 4217",
        files={
            "inv.csv": CSV_HEADER + "VAT,DE1,VAT,FR1,N1,2024-03-05,EUR,10.00\nVAT,DE1,VAT,FR1,N2,2024-03-05,ZZZ,10.00\n"
        },
        env=KEY_ENV,
    ),
    inv(
        "fingerprint",
        "key-not-hex",
        "",
        "key",
        "the network key is hex",
        files=invoice_file(),
        env={"TRADECHAIN_INVOICE_KEY": "zz"},
    ),
    inv(
        "fingerprint",
        "key-too-short",
        "",
        "key",
        "32 bytes, not 2",
        files=invoice_file(),
        env={"TRADECHAIN_INVOICE_KEY": "abcd"},
    ),
    inv("finance", "share-negative", "--share -5", "share", "1 to 10,000 basis points", files=invoice_file()),
    inv("finance", "share-over-100", "--share 10001", "share", "1 to 10,000 basis points", files=invoice_file()),
    inv("finance", "share-overflow", f"--share {TOO_BIG}", "share", "1 to 10,000 basis points", files=invoice_file()),
    inv(
        "finance",
        "two-invoices",
        "",
        "file",
        "holds 2 invoices",
        files={"inv.json": json.dumps([INVOICE, {**INVOICE, "number": "INV-2"}])},
    ),
    inv("import-portfolio", "portfolio-share-zero", "--share 0", "share", "1 to 10,000", files=invoice_file()),
    case(
        "accept-near-duplicate-empty",
        ["invoice", "finance", "{tmp}/inv.json", "--accept-near-duplicate", " "],
        "accept-near-duplicate",
        "give the reason you finance a near-duplicate anyway",
        files=invoice_file(),
        env=KEY_ENV,
    ),
    inv(
        "import-portfolio",
        "portfolio-accept-near-duplicate-too-long",
        f"--accept-near-duplicate {'x' * 501}",
        "accept-near-duplicate",
        "at most 500 characters",
        files=invoice_file(),
    ),
    inv("settle", "settle-unknown-currency", "", "currency", "not an ISO 4217", files=invoice_file(currency="ABC")),
    inv("check", "check-amount-negative", "", "amount", "must be positive", files=invoice_file(amount="-1")),
    inv("check", "check-buyer-malformed", "--buyer 0x12", "buyer", "an address is 0x", files=invoice_file()),
    inv("check", "check-buyer-eip55", f"--buyer {BAD_CHECKSUM}", "buyer", "bad EIP-55 checksum", files=invoice_file()),
    inv(
        "sign-acknowledgment",
        "ack-valid-for-too-short",
        "--valid-for 10",
        "valid-for",
        "not in the range",
        files=invoice_file(),
    ),
    case(
        "acknowledge-not-json", "invoice acknowledge {tmp}/ack.json", "ACK.json", "not JSON", files={"ack.json": "sig"}
    ),
    case("acknowledge-empty", "invoice acknowledge {tmp}/ack.json", "ACK.json", "not JSON", files={"ack.json": ""}),
    case("acknowledge-missing-field", ACK, "signature", "is required in an acknowledgment", files=ack(signature=None)),
    case("acknowledge-buyer-eip55", ACK, "buyer", "bad EIP-55 checksum", files=ack(buyer=BAD_CHECKSUM)),
    case("acknowledge-nonce-negative", ACK, "nonce", "must be at least 0", files=ack(nonce=-1)),
    case("acknowledge-deadline-overflow", ACK, "deadline", "must be below 2^256", files=ack(deadline=2**256)),
    case("acknowledge-signature-not-hex", ACK, "signature", "0x followed by hex bytes", files=ack(signature="0xzz")),
]


@pytest.mark.parametrize("c", INVOICE_CASES)
def test_invoice_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- risk


@functools.cache
def tiny_model() -> bytes:
    """A real tradechain risk artifact, trained in a blink (a featurizer and a 5-tree booster on 200 rows): the
    cases that get past the model are refused on the declarations or the threshold."""
    import lightgbm as lgb

    from tradechain.risk import artifact, declarations
    from tradechain.risk.features import Featurizer
    from tradechain.risk.training import Trained

    frame = declarations.sample(200, seed=1)
    featurizer, matrix = Featurizer.fit(frame)
    params: dict[str, Any] = {
        "n_estimators": 5,
        "deterministic": True,
        "force_row_wise": True,
        "n_jobs": 1,
        "verbose": -1,
    }
    booster = lgb.LGBMClassifier(**params).fit(matrix.astype("float32"), frame["Fraud"].astype(int)).booster_
    return artifact.build(Trained(featurizer, booster, 0.5, {}))


def declarations_csv(drop: str = "", **changes: str) -> Callable[[], str]:
    def content() -> str:
        from tradechain.risk import declarations

        frame = declarations.sample(3, seed=2).drop(columns=list(declarations.LABELS))
        for column, value in changes.items():
            frame.loc[0, column.replace("_", " ")] = value
        return str(frame.drop(columns=[drop] if drop else []).to_csv(index=False))

    return content


MODEL = {"model.onnx": tiny_model, "new.csv": declarations_csv()}
SCORE = "risk score {tmp}/new.csv --model {tmp}/model.onnx --out {tmp}/S.csv"
RISK_CASES = [
    case("score-model-missing", "risk score {tmp}/new.csv --out {tmp}/S.csv", "model", "is required"),
    case(
        "score-file-missing",
        "risk score {tmp}/none.csv --model {tmp}/model.onnx --out {tmp}/S.csv",
        "FILE",
        "not found",
        files=MODEL,
    ),
    case(
        "score-model-not-onnx",
        SCORE,
        "model",
        "is not an ONNX model",
        files={**MODEL, "model.onnx": b"\xff" * 64},
    ),
    case("score-out-exists", SCORE, "out", "exists already", files={**MODEL, "S.csv": "Declaration ID,score\n"}),
    case("score-threshold", f"{SCORE} --threshold 1.5", "threshold", "must be a probability from 0 to 1", files=MODEL),
    case(
        "score-column-missing",
        SCORE,
        "FILE",
        "lacks the column(s) Item Price",
        files={**MODEL, "new.csv": declarations_csv(drop="Item Price")},
    ),
    case(
        "score-bad-hs6",
        SCORE,
        "row 1: HS6 Code",
        "must be 6 digits",
        files={**MODEL, "new.csv": declarations_csv(HS6_Code="44089")},
    ),
    case(
        "train-no-validation-file",
        "risk train {tmp} --out {tmp}/M",
        "DATA_DIR",
        "lacks df_syn_valid_eng.csv",
        files={"df_syn_train_eng.csv": declarations_csv()},
    ),
    case(
        "approve-bad-model-id",
        "risk approve 0x12 --proposer 1 --account regulator",
        "MODEL",
        "a 32-byte hash is 0x followed by 64 hex",
    ),
    case(
        "audit-not-a-decision",
        "risk audit {tmp}/d.json",
        "DECISION",
        "is not a tradechain decision",
        files={"d.json": '{"schema": "something else"}'},
    ),
    case(
        "override-decision-maybe",
        "risk override {tmp}/d.json --decision maybe --reason X --account customs",
        "decision",
        "'maybe' is not one of 'inspect', 'release'",
        files={"d.json": "{}"},
    ),
]


@pytest.mark.parametrize("c", RISK_CASES)
def test_risk_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)
    scores = cli_env / "S.csv"
    assert not scores.exists() or scores.read_text() == "Declaration ID,score\n", "a refused risk score wrote scores"
    assert not (cli_env / "M").exists(), "a refused risk train wrote a model"


# ---------------------------------------------------------------------------------------------- account, deploy, node

PASSWORD = {"TRADECHAIN_PASSWORD": "correct horse"}
PRIVATE_KEY = "0x" + "11" * 32

ACCOUNT_CASES = [
    case("new-bad-name", ["account", "new", "bad name"], "name", "letters, digits", env=PASSWORD),
    case("new-name-too-long", ["account", "new", "a" * 65], "name", "at most 64", env=PASSWORD),
    case("new-empty-password", "account new alice", "password", "must not be empty", env={"TRADECHAIN_PASSWORD": ""}),
    case(
        "import-key-too-short",
        "account import alice",
        "private-key",
        "must be 32 bytes of hex",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "0x12"},
    ),
    case(
        "import-key-not-hex",
        "account import alice",
        "private-key",
        "must be 32 bytes of hex",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "zz" * 32},
    ),
    case(
        "import-key-63-digits",
        "account import alice",
        "private-key",
        "exactly 64 hex digits",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "0x" + "1" * 63},
    ),
    case(
        "import-key-63-digits-no-0x",
        "account import alice",
        "private-key",
        "exactly 64 hex digits",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "1" * 63},
    ),
    case(
        "import-key-65-digits",
        "account import alice",
        "private-key",
        "exactly 64 hex digits",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "0x" + "1" * 65},
    ),
    case(
        "import-key-zero",
        "account import alice",
        "private-key",
        "not zero",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "0x" + "00" * 32},
    ),
    case(
        "import-key-overflow",
        "account import alice",
        "private-key",
        "must be 32 bytes of hex",
        env={**PASSWORD, "TRADECHAIN_PRIVATE_KEY": "0x" + "ff" * 32},
    ),
]


@pytest.mark.parametrize("c", ACCOUNT_CASES)
def test_account_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)
    assert not list((cli_env / "home").glob("keystores/*.json")), "a refused account command wrote a keystore"


FUND_CASES = [
    case("fund-amount-zero", "account fund outsider 0", "amount", "must be positive"),
    case("fund-amount-negative", ["account", "fund", "outsider", "--", "-1"], "amount", "must be positive"),
    case("fund-amount-not-a-number", "account fund outsider lots", "amount", "must be a number"),
    case("fund-amount-too-precise", "account fund outsider 0.0000000000000000001", "amount", "at most 18 decimals"),
    case("fund-amount-too-large", "account fund outsider 1000.000000000000000001", "amount", "at most 1,000 ETH"),
    case("fund-unknown-name", "account fund nobody", "name", "not a keystore (see `tradechain account list`)"),
    case("fund-bad-name", ["account", "fund", "bad name"], "name", "letters, digits"),
    case("fund-address-eip55", f"account fund {BAD_CHECKSUM}", "name", "bad EIP-55 checksum"),
    case("fund-address-short", f"account fund {SHORT_ADDRESS}", "name", "an address is 0x followed by 40 hex"),
    case("fund-unknown-payer", "account fund outsider --account dev99", "account", "unknown dev account"),
]


@pytest.mark.parametrize("c", FUND_CASES)
def test_account_fund_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env, extra_accounts=(accounts.dev_account("outsider").address,))
    assert int(web3.eth.get_balance(accounts.dev_account("outsider").address)) == 10_000 * 10**18


def test_account_refuses_to_overwrite_a_keystore(cli_env: Path) -> None:
    first = invoke(("account", "import", "alice"), {**PASSWORD, "TRADECHAIN_PRIVATE_KEY": PRIVATE_KEY})
    assert first.exit_code == 0, first.stderr
    check(Case(("account", "new", "alice"), "name", "a keystore named 'alice' exists already", env=PASSWORD), cli_env)


DEPLOY_CASES = [
    case("admin-eip55", f"deploy --admin {BAD_CHECKSUM}", "admin", "bad EIP-55 checksum"),
    case("admin-malformed", f"deploy --admin {SHORT_ADDRESS}", "admin", "an address is 0x followed by 40"),
    case("confirmations-zero", "deploy --confirmations 0", "confirmations", "not in the range 1<=x<=64"),
    case("confirmations-oversized", "deploy --confirmations 65", "confirmations", "not in the range 1<=x<=64"),
    case("unknown-keystore", "deploy --account nobody", "account", "no keystore named 'nobody'"),
    case("unknown-dev-role", "deploy --account dev99", "account", "unknown dev account"),
    case("rpc-url-not-http", "deploy --rpc-url ftp://example.org", "rpc-url", "must be an http:// or https:// URL"),
    case("unknown-network", "deploy --network moon", "network", "unknown network"),
]


@pytest.mark.parametrize("c", DEPLOY_CASES)
def test_deploy_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


NODE_CASES = [
    case("port-zero", "node start --port 0 --state-dir {tmp}/node", "port", "must be between 1 and 65535"),
    case("port-negative", "node start --port -1 --state-dir {tmp}/node", "port", "must be between 1 and 65535"),
    case("port-overflow", "node start --port 65536 --state-dir {tmp}/node", "port", "must be between 1 and 65535"),
    case("port-garbage", "node start --port http --state-dir {tmp}/node", "port", "is not a valid integer"),
    case("port-env-garbage", "node start", "TRADECHAIN_PORT", "must be a whole number", env={"TRADECHAIN_PORT": "x"}),
    case("port-env-range", "node start", "TRADECHAIN_PORT", "between 1 and 65535", env={"TRADECHAIN_PORT": "70000"}),
    case("state-dir-is-a-file", "node status --state-dir {tmp}/file", "state-dir", "is a file", files={"file": "x"}),
]


@pytest.mark.parametrize("c", NODE_CASES)
def test_node_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)
    assert not (cli_env / "node").exists(), "a refused node command created its state folder"


SERVE_CASES = [
    case("port-zero", "serve --port 0", "port", "is not in the range 1<=x<=65535"),
    case("public-url-not-http", "serve --public-url ftp://example.org", "public-url", "is an http(s) URL"),
    case(
        "tls-cert-without-key",
        "serve --tls-cert {tmp}/cert.pem",
        "tls-cert",
        "HTTPS needs both --tls-cert and --tls-key",
        files={"cert.pem": "x"},
    ),
    case("proof-rate-zero", "serve --proof-rate 0", "proof-rate", "is not in the range 1<=x<=100000"),
]


@pytest.mark.parametrize("c", SERVE_CASES)
def test_serve_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


TX_CASES = [
    case("hash-short", "tx status 0x12", "tx_hash", "a transaction hash is 0x and 64 hex digits"),
    case("hash-not-hex", ["tx", "status", "0x" + "zz" * 32], "tx_hash", "a transaction hash is 0x and 64 hex digits"),
    case("hash-no-0x", ["tx", "status", "ab" * 32], "tx_hash", "a transaction hash is 0x and 64 hex digits"),
    case("hash-missing", "tx status", "tx_hash", "is required"),
]


@pytest.mark.parametrize("c", TX_CASES)
def test_tx_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- ebl and dvp

EBL_ID = "0x" + "cd" * 32  # no eBL has this id
OUTSIDER = accounts.dev_account("outsider").address
BL_BYTES = b"%PDF transport document SZX-18"


def bl_proof(**change: Any) -> Callable[[], str]:
    """A well-formed proof of BL_BYTES (the file bl.pdf) as a bill of lading of another chain's registry."""

    def text() -> str:
        from eth_hash.auto import keccak

        proof = {**proof_of_issuer(4), "documentHash": "0x" + keccak(BL_BYTES).hex(), **change}
        return json.dumps(proof)

    return text


BL_FILES: dict[str, FileContent] = {"bl.pdf": BL_BYTES, "bl.pdf.tcproof.json": bl_proof()}
ISSUE = f"ebl issue {{tmp}}/bl.pdf --holder {ADDRESS} --account carrier"

EBL_CASES = [
    case("issue-missing-file", f"ebl issue {{tmp}}/none.pdf --holder {ADDRESS}", "file", "not found"),
    case("issue-no-proof", ISSUE, "file", "no proof beside it (bl.pdf.tcproof.json)", files={"bl.pdf": BL_BYTES}),
    case("issue-proof-not-found", f"{ISSUE} --proof {{tmp}}/none.json", "proof", "not found", files=PDF),
    case("issue-holder-missing", "ebl issue {tmp}/bl.pdf", "holder", "is required", files=BL_FILES),
    case(
        "issue-changed-file",
        ISSUE,
        "document",
        "bl.pdf is not the document its proof was issued for",
        files={**BL_FILES, "bl.pdf": BL_BYTES + b" amended"},
    ),
    case(
        "issue-not-a-bill-of-lading",
        ISSUE,
        "document",
        "bl.pdf was anchored as a packing-list, not as a bill of lading",
        files={**BL_FILES, "bl.pdf.tcproof.json": bl_proof(docType="packing-list")},
    ),
    case("issue-other-registry", ISSUE, "document", "was anchored in another document registry", files=BL_FILES),
    case("status-short-id", "ebl status 0x12", "ebl", "a title id is 0x followed by 64 hex digits"),
    case("status-non-hex-id", f"ebl status 0x{'zz' * 32}", "ebl", "a title id is 0x followed by 64 hex digits"),
    case("history-unknown", f"ebl history {EBL_ID}", "title", "no eBL with this id on this chain"),
    case("reject-unknown", f"ebl reject {EBL_ID} --account buyer", "title", "no eBL with this id on this chain"),
    case("nominate-short-id", f"ebl nominate 0x12 {ADDRESS}", "ebl", "a title id is 0x"),
    case("nominate-outsider", f"ebl nominate {EBL_ID} {OUTSIDER}", "nominee", "must be an active member's account"),
    case("transfer-eip55", f"ebl transfer-holder {EBL_ID} {BAD_CHECKSUM}", "to", "bad EIP-55 checksum"),
    case(
        "transfer-malformed", f"ebl transfer-holder {EBL_ID} {SHORT_ADDRESS}", "to", "an address is 0x followed by 40"
    ),
    case("transfer-outsider", f"ebl transfer-holder {EBL_ID} {OUTSIDER}", "to", "not an outsider"),
    case("endorse-outsider", f"ebl endorse {EBL_ID} {OUTSIDER}", "to", "must be an active member's account"),
    case("endorse-both-outsider", f"ebl endorse {EBL_ID} {OUTSIDER} --holder-too", "to", "not an outsider"),
    case(
        "remark-too-long",
        ["ebl", "transfer-holder", EBL_ID, ADDRESS, "--remark", "x" * 1_001],
        "remark",
        "at most 1,000 characters (it is 1,001)",
    ),
    case(
        "remark-two-lines",
        ["ebl", "surrender", EBL_ID, "--remark", "line one\nline two"],
        "remark",
        "one line of text, without control characters",
    ),
    case("pledge-not-a-number", f"ebl pledge {EBL_ID} bank", "pledgee", "must be a whole number"),
    case("pledge-overflow", f"ebl pledge {EBL_ID} 4294967296", "pledgee", "must be below 2^32"),
    case("pledge-missing", f"ebl pledge {EBL_ID}", "pledgee", "is required"),
    case("freeze-no-court-order", f"ebl freeze {EBL_ID}", "court-order", "is required"),
    case(
        "freeze-blank-court-order",
        ["ebl", "freeze", EBL_ID, "--court-order", " "],
        "court-order",
        "the court order's reference",
    ),
    case("void-short-id", "ebl void 0x12", "ebl", "a title id is 0x"),
    case("accept-surrender-short-id", "ebl accept-surrender 0x12", "ebl", "a title id is 0x"),
    case("release-pledge-short-id", "ebl release-pledge 0x12", "ebl", "a title id is 0x"),
]


@pytest.mark.parametrize("c", EBL_CASES)
def test_ebl_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path, sdk_members: dict[str, int]) -> None:
    check(c, cli_env)


def dvp_open(*more: str, **change: str) -> list[str]:
    options = {"ebl": EBL_ID, "seller": ADDRESS, "amount": "1250.00", "deadline": "+30d", **change}
    argv = ["dvp", "open"]
    for name, value in options.items():
        argv += [f"--{name}", value]
    return [*argv, *more, "--account", "financier"]


DVP_CASES = [
    case("open-ebl-short", dvp_open(ebl="0x12"), "ebl", "a title id is 0x followed by 64 hex digits"),
    case("open-seller-eip55", dvp_open(seller=BAD_CHECKSUM), "seller", "bad EIP-55 checksum"),
    case("open-buyer-malformed", dvp_open("--buyer", SHORT_ADDRESS), "buyer", "an address is 0x followed by 40"),
    case("open-funder-eip55", dvp_open("--funder", BAD_CHECKSUM), "funder", "bad EIP-55 checksum"),
    case("open-token-not-a-contract", dvp_open("--token", ADDRESS), "token", "no contract at this address"),
    case("open-amount-negative", dvp_open(amount="-5"), "amount", "must be positive"),
    case("open-amount-decimals", dvp_open(amount="0.0000001"), "amount", "at most 6 decimals"),
    case("open-amount-overflow", dvp_open(amount=TOO_BIG), "amount", "too large"),
    case(
        "open-amount-missing",
        ["dvp", "open", "--ebl", EBL_ID, "--seller", ADDRESS, "--deadline", "+1d"],
        "amount",
        "is required",
    ),
    case("open-deadline-past", dvp_open(deadline="2001-01-01"), "deadline", "must be in the future"),
    case("open-deadline-garbage", dvp_open(deadline="soon"), "deadline", "a date YYYY-MM-DD or +Nd"),
    case("open-require-unknown", dvp_open("--require", "selfie"), "require", "unknown document type"),
    case("open-doc-issuer-garbage", dvp_open("--doc-issuer", "sgs"), "doc-issuer", "must be a whole number"),
    case("open-invoice-short", dvp_open("--invoice", "0x12"), "invoice", "a 32-byte hash is 0x"),
    case("open-seller-is-buyer", dvp_open("--buyer", ADDRESS), "buyer", "the buyer is the seller"),
    case("open-unknown-ebl", dvp_open(), "title", "no eBL with this id on this chain"),
    case("fund-short-id", "dvp fund 0x12", "settlement", "a settlement id is 0x followed by 64 hex digits"),
    case("fund-unknown", f"dvp fund {ESCROW_ID}", "settlement", "no settlement with this id on this chain"),
    case("deliver-unknown", f"dvp deliver {ESCROW_ID}", "settlement", "no settlement with this id"),
    case("settle-unknown", f"dvp settle {ESCROW_ID}", "settlement", "no settlement with this id"),
    case("settle-non-hex", f"dvp settle 0x{'zz' * 32}", "settlement", "a settlement id is 0x"),
    case("refund-unknown", f"dvp refund {ESCROW_ID}", "settlement", "no settlement with this id"),
    case("status-unknown", f"dvp status {ESCROW_ID}", "settlement", "no settlement with this id"),
    case("missing-unknown", f"dvp missing {ESCROW_ID}", "settlement", "no settlement with this id"),
]


@pytest.mark.parametrize("c", DVP_CASES)
def test_dvp_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path, sdk_members: dict[str, int]) -> None:
    check(c, cli_env)


# ---------------------------------------------------------------------------------------------- serials and the portal

NO_PORTAL = "--portal http://127.0.0.1:9"  # nothing listens there: every case is refused before it is asked
BATCH_ID = "0x" + "ab" * 32

SERIALS_CASES = [
    case("batch-short", f"serials publish 0x12 {NO_PORTAL} --account manufacturer", "batch", "0x and 64 hex digits"),
    case(
        "batch-not-here",
        f"serials publish {BATCH_ID} {NO_PORTAL} --account manufacturer",
        "batch",
        "not in this serial store",
    ),
    case("gtin-check-digit", f"serials publish --gtin {BAD_GTIN} {NO_PORTAL}", "gtin", "check digit"),
    case("batch-and-gtin", f"serials publish {BATCH_ID} --gtin {GTIN} {NO_PORTAL}", "gtin", "not both"),
    case(
        "gtin-nothing-here",
        f"serials publish --gtin {GTIN} {NO_PORTAL} --account manufacturer",
        "gtin",
        "no serial list of GTIN",
    ),
    case("nothing-of-mine", f"serials publish {NO_PORTAL} --account manufacturer", "batch", "holds no serial list"),
    case("portal-not-http", "serials publish --portal ftp://example.org", "portal", "is the portal's http(s) URL"),
    case("no-portal", "serials publish --account manufacturer", "portal", "no portal runs here"),
    case("delegate-gtin", f"serials delegate {BAD_GTIN} --to 3 {NO_PORTAL}", "gtin", "check digit"),
    case("delegate-to-zero", f"serials delegate {GTIN} --to 0 {NO_PORTAL}", "to", "is not in the range"),
    case("delegate-to-missing", f"serials delegate {GTIN} {NO_PORTAL}", "to", "is required"),
    case("delegate-portal", f"serials delegate {GTIN} --to 3 --portal example.org", "portal", "http(s) URL"),
]


@pytest.mark.parametrize("c", SERIALS_CASES)
def test_serials_refuses_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)


PACK = f"(01){GTIN}(10)L1(21)S1"
BUNDLE = {
    "chainId": 31337,
    "contractName": "ProductRegistry",
    "contract": ADDRESS,
    "block": 1,
    "blockHash": "0x" + "00" * 32,
    "calldata": "0x12345678",
    "result": {},
}

PORTAL_CLIENT_CASES = [
    case("verify-nothing", "verify", "pack", "is required"),
    case("verify-pack-and-bundle", f"verify {PACK} --bundle {{tmp}}/b.json", "bundle", "not both"),
    case("verify-resolver-not-http", f"verify {PACK} --resolver ftp://example.org", "resolver", "http(s) URL"),
    case("bundle-missing", "verify --bundle {tmp}/none.json", "bundle", "not found"),
    case("bundle-not-json", "verify --bundle {tmp}/b.json", "bundle", "not JSON", files={"b.json": "{"}),
    case("bundle-no-chain", "verify --bundle {tmp}/b.json", "chainId", "is the chain id", files={"b.json": "{}"}),
    case(
        "bundle-other-chain",
        "verify --bundle {tmp}/b.json",
        "chainId",
        "the bundle is for chain 1",
        files={"b.json": json.dumps({**BUNDLE, "chainId": 1})},
    ),
    case(
        "bundle-contract-name",
        "verify --bundle {tmp}/b.json",
        "contractName",
        "is one of ProductRegistry",
        files={"b.json": json.dumps({**BUNDLE, "contractName": "Evil"})},
    ),
    case(
        "bundle-block-hash",
        "verify --bundle {tmp}/b.json",
        "blockHash",
        "0x 32-byte hash",
        files={"b.json": json.dumps({**BUNDLE, "blockHash": "0x12"})},
    ),
    case(
        "bundle-no-result",
        "verify --bundle {tmp}/b.json",
        "result",
        "is what the call returned",
        files={"b.json": json.dumps({k: v for k, v in BUNDLE.items() if k != "result"})},
    ),
    case("qr-pack", "product qr (01)123 --out {tmp}/q.png", "gtin", "exactly 14 characters"),
    case("qr-not-png", f"product qr {PACK} --out {{tmp}}/q.jpg", "out", "written as PNG"),
    case("qr-base-url", f"product qr {PACK} --out {{tmp}}/q.png --base-url ftp://x", "base-url", "http(s) URL"),
    case("qr-exists", f"product qr {PACK} --out {{tmp}}/q.png", "out", "exists already", files={"q.png": "x"}),
    case(
        "cert-publish-brand",
        f"cert publish {{tmp}}/rows.csv {NO_PORTAL}",
        "brand",
        "give --brand ORG",
        files={"rows.csv": "serial,model\nW-1,M\n"},
    ),
    case("cert-publish-file", f"cert publish {{tmp}}/none.csv --brand 1 {NO_PORTAL}", "file", "not found"),
    case(
        "cert-publish-portal",
        "cert publish {tmp}/rows.csv --brand 1 --portal x",
        "portal",
        "http(s) URL",
        files={"rows.csv": "serial,model\nW-1,M\n"},
    ),
]


@pytest.mark.parametrize("c", PORTAL_CLIENT_CASES)
def test_verify_qr_and_cert_publish_refuse_bad_input_with_field_and_rule(c: Case, cli_env: Path) -> None:
    check(c, cli_env)
    assert not (cli_env / "q.png").exists() or (cli_env / "q.png").read_text() == "x", "a refused qr wrote its file"


# ---------------------------------------------------------------------------------------------- across groups

SIGNING_COMMANDS = [
    pytest.param(["participant", "suspend", "1", "--reason", "x"], id="participant"),
    pytest.param(["product", "claim", GTIN], id="product"),
    pytest.param(["trace", "ship", f"sscc:{SSCC}", "--to", "2"], id="trace"),
    pytest.param(["cert", "transfer", "1", "--to", ADDRESS], id="cert"),
    pytest.param(["escrow", "fund", ESCROW_ID], id="escrow"),
    pytest.param(["doc", "revoke", "--batch", ESCROW_ID, "--reason", "x"], id="doc"),
    pytest.param(["invoice", "finance", "{tmp}/inv.json"], id="invoice"),
    pytest.param(["deploy", "--force"], id="deploy"),
]


@pytest.fixture(scope="module")
def keystore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A keystore made by `tradechain account import` (once: scrypt is slow), and its address."""
    folder = tmp_path_factory.mktemp("keystores")
    env = {"TRADECHAIN_KEYSTORE": str(folder), "TRADECHAIN_PRIVATE_KEY": PRIVATE_KEY, **PASSWORD}
    result = invoke(("account", "import", "alice", "--json"), env)
    assert result.exit_code == 0, result.stderr
    yield folder, json.loads(result.stdout)["address"]


@pytest.mark.parametrize("argv", SIGNING_COMMANDS)
def test_a_wrong_keystore_password_is_refused_before_anything_is_sent(
    argv: list[str], cli_env: Path, keystore: tuple[Path, str]
) -> None:
    folder, address = keystore
    c = Case(
        (*argv, "--account", "alice"),
        "account",
        "wrong password for keystore 'alice'",
        files=invoice_file(),
        env={"TRADECHAIN_KEYSTORE": str(folder), "TRADECHAIN_PASSWORD": "wrong", **KEY_ENV},
    )
    check(c, cli_env, extra_accounts=(address,))


CHAIN_COMMANDS = [
    *SIGNING_COMMANDS,
    pytest.param(["participant", "list"], id="participant-read"),
    pytest.param(["trace", "custody", f"sscc:{SSCC}"], id="trace-read"),
    pytest.param(["verify", f"(01){GTIN}(10)L1"], id="verify"),
    pytest.param(["cert", "verify", "1"], id="cert-read"),
    pytest.param(["escrow", "status", ESCROW_ID], id="escrow-read"),
    pytest.param(["invoice", "check", "{tmp}/inv.json"], id="invoice-read"),
]


@pytest.mark.parametrize("argv", CHAIN_COMMANDS)
def test_a_network_whose_chain_id_differs_is_refused(argv: list[str], cli_env: Path, rpc_url: str) -> None:
    networks = cli_env / "networks.yaml"
    networks.write_text(f"networks:\n  mainnet-by-mistake:\n    rpc_url: {rpc_url}\n    chain_id: 1\n")
    c = Case(
        (*argv, "--network", "mainnet-by-mistake"),
        "network",
        f"'mainnet-by-mistake' expects chain id 1, but {rpc_url} serves chain 31337",
        files=invoice_file(),
        env={"TRADECHAIN_NETWORKS": str(networks), **KEY_ENV},
    )
    check(c, cli_env)


NETWORK_FILES = [
    case("unknown-network", "participant list --network moon", "network", "unknown network; known: local, other"),
    case(
        "entry-without-rpc-url",
        "participant list --network broken",
        "networks.yaml: networks.broken.rpc_url",
        "is required",
    ),
    case(
        "chain-id-not-a-number",
        "participant list --network odd",
        "networks.yaml: networks.odd.chain_id",
        "positive whole number",
    ),
    case("not-yaml", "participant list --network other", "networks.yaml", "not valid YAML"),
]
NETWORK_YAML = {
    "unknown-network": "networks:\n  other:\n    rpc_url: http://127.0.0.1:9\n",
    "entry-without-rpc-url": "networks:\n  broken:\n    chain_id: 1\n",
    "chain-id-not-a-number": "networks:\n  odd:\n    rpc_url: http://127.0.0.1:9\n    chain_id: one\n",
    "not-yaml": "networks: [unclosed\n",
}


@pytest.mark.parametrize("c", NETWORK_FILES)
def test_a_bad_networks_file_is_refused_naming_the_entry(
    c: Case, cli_env: Path, request: pytest.FixtureRequest
) -> None:
    name = request.node.callspec.id
    networks = cli_env / "networks.yaml"
    networks.write_text(NETWORK_YAML[name])
    check(Case(c.argv, c.field, c.rule, env={"TRADECHAIN_NETWORKS": str(networks)}), cli_env)


def test_the_catalogue_covers_every_command_group() -> None:
    groups = {
        "participant": PARTICIPANT_CASES,
        "gs1": GS1_CASES,
        "product": PRODUCT_CASES,
        "trace": TRACE_CASES,
        "epcis": EPCIS_CASES,
        "cert": CERT_CASES,
        "doc": DOC_CASES,
        "escrow": ESCROW_CASES,
        "invoice": INVOICE_CASES,
        "account": ACCOUNT_CASES,
        "deploy": DEPLOY_CASES,
        "node": NODE_CASES,
        "tx": TX_CASES,
        "serve": SERVE_CASES,
        "serials": SERIALS_CASES,
        "risk": RISK_CASES,
        "ebl": EBL_CASES,
        "dvp": DVP_CASES,
    }
    assert set(groups) | {"recall", "verify"} == set(cli.commands)
    for name, cases in groups.items():
        assert all(p.values[0].argv[0] in (name, "recall", "verify") for p in cases), name

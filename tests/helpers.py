"""Plain test helpers and data, with no chain and no Brownie: the unit tests import them directly, the chain
tests through ``conftest``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tradechain.chain import accounts as tc_accounts
from tradechain.cli.main import cli
from tradechain.formats import epcis
from tradechain.formats.identity import lei_with_check_digits, parse_roles

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def free_port() -> int:
    """A TCP port nobody listens on now (for a node of a test's own)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lei(n: int) -> str:
    """A valid LEI, distinct for each n."""
    return lei_with_check_digits(f"5299{n:014d}")


def lei_bytes(n: int) -> bytes:
    return lei(n).encode()


def b20(text: str) -> bytes:
    """A bytes20 field (a lot number) from text, zero-padded."""
    return text.encode().ljust(20, b"\0")


def b32(value: Any) -> bytes:
    """A bytes32 as Brownie shows it in a custom error (Python bytes)."""
    return bytes.fromhex(str(value)[2:]) if isinstance(value, str) else bytes(value)


ROLE = {name: parse_roles(name) for name in tc_accounts.DEV_ROLES[1:9]}


def addr(role: str) -> str:
    """The address of a dev account by its role (``tradechain.chain.accounts.DEV_ROLES``)."""
    return tc_accounts.dev_account(role).address


# ------------------------------------------------------------------ the CLI, in process (click's CliRunner)


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """``tradechain ARGS``: its exit code, stdout (``output``) and stderr apart; exceptions propagate."""
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def ok(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    """``tradechain ARGS --json`` that must exit 0: its JSON output."""
    result = run(*args, "--json", env=env, stdin=stdin)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.output)


def refused(result: Result, field: str, rule: str) -> str:
    """Exit 2 and one stderr line ``error: FIELD: ...RULE...``; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.output)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {field}: "), result.stderr
    assert rule in result.stderr, result.stderr
    return result.stderr


INVOICE_KEY = bytes(range(32))
INVOICE: dict[str, Any] = {  # the invoice the invoice tests vary
    "seller": {"scheme": "LEI", "id": "529900T8BM49AURSDO55"},
    "buyer": {"scheme": "VAT", "id": "DE123456789"},
    "number": "INV-2024/0042",
    "issue_date": "2024-03-05",
    "currency": "EUR",
    "amount": "1250.00",
}


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


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the GS1 examples live beside the project, never inside it")
    yield SHARED

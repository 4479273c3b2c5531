"""`tradechain account`: keystores, never showing a key; issue 12 finding 15: a private key of exactly 64 hex
digits (never padded), refused before a password is asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from helpers import ok, refused, run

from tradechain.chain import accounts

ADMIN = accounts.dev_account("admin").address


def test_account_new_and_list_never_show_the_key(cli_env: Path) -> None:
    result = run("account", "new", "bob", "--json", env={"TRADECHAIN_PASSWORD": "pw"})
    assert result.exit_code == 0
    created = json.loads(result.output)
    listed = json.loads(run("account", "list", "--dev", "--json").output)
    assert {"name": "bob", "address": created["address"], "kind": "keystore"} in listed
    assert {"name": "admin", "address": ADMIN, "kind": "dev (local chain only)"} in listed
    assert "private" not in result.output.lower()
    key = "0x" + "11" * 32
    imported = run(
        "account", "import", "carol", "--json", env={"TRADECHAIN_PASSWORD": "pw", "TRADECHAIN_PRIVATE_KEY": key}
    )
    assert imported.exit_code == 0 and key[2:] not in imported.output
    assert json.loads(imported.output)["address"] == accounts.Account.from_key(key).address
    bad = run("account", "import", "dave", env={"TRADECHAIN_PASSWORD": "pw", "TRADECHAIN_PRIVATE_KEY": "0x12"})
    assert bad.exit_code == 2 and bad.stderr.startswith("error: private-key: must be 32 bytes of hex")


# ---------------------------------------------------------------------------------------------- 15: account import

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


@pytest.fixture
def keystores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "keystores"
    monkeypatch.setenv("TRADECHAIN_KEYSTORE", str(folder))
    monkeypatch.setenv("TRADECHAIN_PASSWORD", "correct horse")
    return folder


@pytest.mark.parametrize(
    "key",
    [KEY[:-1], KEY[2:-1], KEY[:-2], KEY + "0", KEY[:20] + " " + KEY[20:], "0x", "0x" + "0" * 64, KEY + "\n0"],
    ids=["63-digits", "63-digits-no-0x", "62-digits", "65-digits", "inner-space", "empty", "zero", "two-lines"],
)
def test_account_import_refuses_a_key_that_is_not_64_hex_digits(
    keystores: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_password(prompt: str = "") -> str:
        raise AssertionError("a password was asked for a refused key")

    monkeypatch.delenv("TRADECHAIN_PASSWORD")
    monkeypatch.setattr(accounts.getpass, "getpass", no_password)
    line = refused(run("account", "import", "alice", env={"TRADECHAIN_PRIVATE_KEY": key}), "private-key", "hex")
    assert key.strip() not in line or len(key.strip()) < 3
    assert not keystores.exists() or not list(keystores.iterdir())
    # from the prompt too
    refused(run("account", "import", "alice", stdin=key.replace("\n", "") + "\n"), "private-key", "hex")
    assert not keystores.exists() or not list(keystores.iterdir())


def test_account_import_takes_exactly_64_hex_digits_with_or_without_0x(keystores: Path) -> None:
    expected = Account.from_key(KEY).address
    assert Account.from_key(KEY[:-1]).address != expected  # what left-padding would have imported
    assert ok("account", "import", "a", env={"TRADECHAIN_PRIVATE_KEY": KEY})["address"] == expected
    assert ok("account", "import", "b", env={"TRADECHAIN_PRIVATE_KEY": f"  {KEY[2:].upper()}\n"})["address"] == expected
    assert accounts.load_keystore("b").address == expected
    assert sorted(p.name for p in keystores.iterdir()) == ["a.json", "b.json"]

"""`tradechain account`: keystores, never showing a key; issue 12 finding 15: a private key of exactly 64 hex
digits (never padded), refused before a password is asked; issue 14: `account fund` on the local chain, and an
insufficient-funds error that names the account, its balance and the fix."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from brownie import web3
from eth_account import Account
from helpers import free_port, ok, refused, run

from tradechain.chain import accounts, toolchain
from tradechain.chain.network import Network, connect

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


# ---------------------------------------------------------------------------------------------- issue 14: fund


def balance(address: str) -> int:
    return int(web3.eth.get_balance(address))


def test_a_new_keystore_cannot_send_until_account_fund_gives_it_eth(cli_env: Path) -> None:
    pw = {"TRADECHAIN_PASSWORD": "pw"}
    alice = ok("account", "new", "alice", env=pw)["address"]
    payee = accounts.dev_account("outsider").address
    before = balance(payee)

    stuck = run("account", "fund", "outsider", "1", "--account", "alice", env=pw)
    assert stuck.exit_code == 1 and stuck.stderr == (
        f"error: insufficient funds: account alice ({alice}) has 0 ETH, not enough for this transaction's gas and "
        "value; fund it on the local chain: `tradechain account fund alice`\n"
    )
    assert balance(payee) == before

    funded = run("account", "fund", "alice")
    assert funded.exit_code == 0, funded.stderr
    admin = accounts.dev_account("admin").address
    assert funded.output.startswith(
        f"funded alice ({alice}) with 10 ETH from admin ({admin}); its balance is 10 ETH; tx 0x"
    )
    assert balance(alice) == 10 * 10**18
    more = ok("account", "fund", "alice", "0.5")
    assert (more["amountWei"], more["amount"], more["balanceWei"]) == (str(5 * 10**17), "0.5", str(105 * 10**17))

    paid = run("account", "fund", "outsider", "1 ETH", "--account", "alice", env=pw)
    assert paid.exit_code == 0, paid.stderr
    assert paid.output.startswith(f"funded outsider ({payee}) with 1 ETH from alice ({alice}); its balance is ")
    assert balance(payee) == before + 10**18


@pytest.fixture
def other_chain(tmp_path: Path) -> Iterator[str]:
    """A node of chain 1337, not the local chain: its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [toolchain.anvil_command(), "--port", str(port), "--chain-id", "1337", "--hardfork", "prague"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        connect(Network("other", url), attempts=40, backoff=0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_account_fund_is_refused_off_the_local_chain_and_funds_errors_point_to_a_wallet(
    cli_env: Path, other_chain: str
) -> None:
    pw = {"TRADECHAIN_PASSWORD": "pw"}
    alice = ok("account", "new", "alice", env=pw)["address"]
    w3 = connect(Network("other", other_chain))
    admin = accounts.dev_account("admin").address
    sent = w3.eth.get_transaction_count(admin)

    refused_ = run("account", "fund", "alice", "--rpc-url", other_chain)
    assert refused_.exit_code == 2 and refused_.stderr == (
        "error: network: `account fund` gives test ETH on the local chain only (chain 31337); chain 1337 is not it: "
        "fund alice from your wallet\n"
    )
    assert w3.eth.get_transaction_count(admin) == sent and w3.eth.get_balance(alice) == 0

    stuck = run("deploy", "--rpc-url", other_chain, "--account", "alice", env=pw)
    assert stuck.exit_code == 1 and stuck.stderr == (
        f"error: insufficient funds: account alice ({alice}) has 0 ETH, not enough for this transaction's gas and "
        "value; fund it from your wallet\n"
    )

"""Issue 12, the CLI findings: no claim secret on the command line (10), 0x trade ids kept as bytes (12), private
keys of exactly 64 hex digits (15), `node stop` signalling only its own Anvil (16). The solc bridge (11) is tested in
test_toolchain.py, the node's PID checks in the SDK in test_node.py."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brownie import chain
from click.testing import CliRunner, Result
from conftest import tx_count
from eth_account import Account

from tradechain.chain import accounts, toolchain
from tradechain.cli.main import cli
from tradechain.contracts import document_registry
from tradechain.contracts.trade_escrow import EscrowClient, Milestone, Terms
from tradechain.errors import InputError

WATCH = {"model": "Chronograph 42", "reference": "CH-42-STEEL", "origin": "CH"}


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def ok(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    result = run(*args, "--json", env=env, stdin=stdin)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.output)


def refused(result: Result, field: str, rule: str) -> str:
    """Exit 2 and one stderr line ``error: FIELD: ...RULE...``; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.output)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {field}: "), result.stderr
    assert rule in result.stderr, result.stderr
    return result.stderr


def addr(role: str) -> str:
    return accounts.dev_account(role).address


# ---------------------------------------------------------------------------------------------- 10: claim secrets


@pytest.fixture
def open_claim(cli_env: Path, sdk_members: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A certificate the brand issued and opened a claim on: (its id, the claim secret)."""
    monkeypatch.delenv("TRADECHAIN_CLAIM_SECRET", raising=False)
    meta = cli_env / "watch.json"
    meta.write_text(json.dumps(WATCH))
    token = ok("cert", "issue", "W-10", "--metadata", str(meta), "--account", "brand")["certificate"]
    secret = ok("cert", "open-claim", token, "--account", "brand")["claimSecret"]
    return str(token), str(secret)


def owner(token: str) -> str:
    return str(ok("cert", "verify", token)["owner"])


def test_a_claim_secret_on_the_command_line_is_refused_and_never_echoed(open_claim: tuple[str, str]) -> None:
    token, secret = open_claim
    before = tx_count(addr("buyer"))
    line = refused(
        run("cert", "claim", token, "--secret", secret, "--account", "buyer"), "secret", "never on the command line"
    )
    assert "--secret-file FILE" in line and "TRADECHAIN_CLAIM_SECRET" in line and "prompt" in line
    assert secret[2:] not in line
    assert tx_count(addr("buyer")) == before and owner(token) == addr("brand")
    assert "--secret " not in run("cert", "claim", "--help").output  # the refused option is not offered


def test_a_claim_secret_from_an_owner_only_file(open_claim: tuple[str, str], tmp_path: Path) -> None:
    token, secret = open_claim
    path = tmp_path / "secret.txt"
    path.write_text(secret + "\n")
    for mode in (0o644, 0o640, 0o604, 0o620):  # readable or writable by others: refused, nothing sent
        path.chmod(mode)
        before = tx_count(addr("buyer"))
        line = refused(
            run("cert", "claim", token, "--secret-file", str(path), "--account", "buyer"),
            "secret-file",
            f"must be readable by its owner only (mode {mode:04o}",
        )
        assert f"chmod 600 {path}" in line and secret[2:] not in line
        assert tx_count(addr("buyer")) == before
    path.chmod(0o600)
    done = ok("cert", "claim", token, "--secret-file", str(path), "--account", "buyer")
    assert done["owner"] == addr("buyer") == owner(token)


def test_a_claim_secret_from_stdin_and_from_the_hidden_prompt(open_claim: tuple[str, str]) -> None:
    token, secret = open_claim
    ok("cert", "claim", token, "--secret-file", "-", "--account", "buyer", stdin=secret)
    assert owner(token) == addr("buyer")
    again = ok("cert", "open-claim", token, "--account", "buyer")["claimSecret"]
    result = run("cert", "claim", token, "--account", "customer", "--json", stdin=again + "\n")
    assert result.exit_code == 0, result.stderr
    assert again not in result.output  # the prompt hides what is typed
    assert owner(token) == addr("customer")


def test_a_claim_secret_missing_a_digit_is_refused_not_padded(open_claim: tuple[str, str], tmp_path: Path) -> None:
    token, secret = open_claim
    short = secret[:-1]  # eth-account would left-pad it into another key, and the claim would revert on chain
    assert Account.from_key(short).address != Account.from_key(secret).address
    before = tx_count(addr("buyer"))
    refused(
        run("cert", "claim", token, "--account", "buyer", env={"TRADECHAIN_CLAIM_SECRET": short}),
        "secret",
        "exactly 64 hex digits",
    )
    assert tx_count(addr("buyer")) == before and owner(token) == addr("brand")
    big = tmp_path / "big.txt"
    big.write_bytes(b"0" * 5000)
    big.chmod(0o600)
    refused(run("cert", "claim", token, "--secret-file", str(big), "--account", "buyer"), "secret-file", "at most")
    assert tx_count(addr("buyer")) == before


# ---------------------------------------------------------------------------------------------- 12: 0x trade ids

NON_UTF8_TRADE = "0x" + "ff" * 20 + "c328" + "00" * 10  # 0xff and a broken 2-byte sequence: not UTF-8


def _open(trade: str, deadline: str = "+2d") -> dict[str, Any]:
    return ok(  # type: ignore[no-any-return]
        "escrow",
        "open",
        "--seller",
        addr("seller"),
        "--buyer",
        addr("buyer"),
        "--arbiter",
        addr("arbiter"),
        "--amount",
        "1000",
        "--deadline",
        deadline,
        "--trade",
        trade,
        "--milestone",
        "100%:bill-of-lading",
        "--account",
        "financier",
    )


@pytest.mark.parametrize(
    "trade",
    [NON_UTF8_TRADE, "0x" + "4b452d37" + "00" * 28, "0x" + "00" * 31 + "01", "0x" + "7f" * 32],
    ids=["not-utf8", "printable", "low-bytes", "del-bytes"],
)
def test_an_escrow_opened_with_a_0x_trade_id_is_funded_and_refunded_from_the_cli(
    cli_env: Path, sdk: Any, sdk_members: dict[str, int], trade: str
) -> None:
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", addr("financier"), 10**12)
    opened = _open(trade)
    escrow = opened["escrow"]
    assert opened["terms"]["tradeId"] == trade
    balance = int(usdc.functions.balanceOf(addr("financier")).call())
    ok("escrow", "fund", escrow, "--account", "financier")
    assert int(usdc.functions.balanceOf(addr("financier")).call()) == balance - 1000 * 10**6
    status = ok("escrow", "status", escrow)
    assert (status["status"], status["held"]) == ("FUNDED", 1000 * 10**6)
    assert document_registry.trade_id(status["terms"]["tradeId"]) == bytes.fromhex(trade[2:])  # the same 32 bytes
    assert "\ufffd" not in json.dumps(status, ensure_ascii=False)
    chain.sleep(3 * 86_400)
    chain.mine()
    ok("escrow", "refund", escrow, "--account", "outsider")
    assert ok("escrow", "status", escrow)["status"] == "CLOSED"
    assert int(usdc.functions.balanceOf(addr("financier")).call()) == balance


def test_a_non_utf8_trade_id_round_trips_through_the_terms_json(
    cli_env: Path, sdk: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """The escrow open --json file names the escrow for `doc anchor --escrow FILE`: its terms encode back to the
    same id; the documents anchored so release the escrow."""
    sdk.send(sdk.contract("MockUSDC"), "mint", addr("financier"), 10**12)
    opened = _open(NON_UTF8_TRADE, "+30d")
    escrow = opened["escrow"]
    saved = tmp_path / "escrow.json"
    saved.write_text(json.dumps(opened))
    ok("escrow", "fund", escrow, "--account", "financier")
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading, trade id not UTF-8")
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", str(saved), "--account", "carrier")
    assert anchored["escrow"] == escrow
    released = ok("escrow", "release", escrow, "0", "--doc", str(bl), "--account", "outsider")
    assert (released["status"], released["paidOut"]) == ("CLOSED", 1000 * 10**6)


def test_terms_keep_a_0x_trade_id_as_bytes_and_refuse_a_non_string() -> None:
    raw = bytes.fromhex(NON_UTF8_TRADE[2:])
    terms = Terms(
        addr("financier"),
        addr("buyer"),
        addr("seller"),
        addr("arbiter"),
        addr("admin"),
        5,
        2**32,
        NON_UTF8_TRADE,
        (Milestone(10_000, ("bill-of-lading",)),),
    )
    assert terms.trade_bytes == raw and terms.encoded()[7] == raw
    again = Terms.from_json(json.loads(json.dumps(terms.to_json())))
    assert again.encoded() == terms.encoded() and EscrowClient.escrow_id(again) == EscrowClient.escrow_id(terms)
    decoded = Terms.decode(terms.encoded())  # as read back from the EscrowOpened event
    assert decoded.trade_id == NON_UTF8_TRADE and decoded.encoded() == terms.encoded()
    for bad in (7, None, ["KE-7"], "0x" + "ff" * 31 + "f"):
        with pytest.raises(InputError) as info:
            Terms.from_json({**terms.to_json(), "tradeId": bad})
        assert info.value.field == "terms.tradeId"


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


# ---------------------------------------------------------------------------------------------- 16: node stop


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process of ours, which a stale pid file names."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _stale_pid_file(folder: Path, pid: int, cmd: list[str] | None = None) -> Path:
    """The pid file a crashed node leaves, its PID since given to another process."""
    folder.mkdir(parents=True, exist_ok=True)
    anvil = cmd or [toolchain.anvil_command(), "--port", "8545", "--state", str(folder / "state.json")]
    meta = {"pid": pid, "url": "http://127.0.0.1:8545", "port": 8545, "hardfork": "prague", "cmd": anvil}
    path = folder / "anvil.pid"
    path.write_text(json.dumps(meta))
    return path


@pytest.mark.parametrize("named", ["anvil", "the-process-itself"])
def test_node_stop_leaves_alone_a_process_a_stale_pid_file_names(
    tmp_path: Path, bystander: subprocess.Popen[bytes], named: str
) -> None:
    folder = tmp_path / "node"
    pid_file = _stale_pid_file(folder, bystander.pid, None if named == "anvil" else ["sleep", "60"])
    status = ok("node", "status", "--state-dir", str(folder))
    assert (status["running"], status["pid"]) == (False, None)
    stopped = ok("node", "stop", "--state-dir", str(folder))
    assert stopped == {"stopped": False, "stalePid": bystander.pid}
    assert bystander.poll() is None  # never signalled (the old stop waited until it was gone)
    assert not pid_file.exists()
    _stale_pid_file(folder, bystander.pid)
    text = run("node", "stop", "--state-dir", str(folder))
    assert text.exit_code == 0 and text.output == (
        f"not running; removed a stale pid file naming pid {bystander.pid}, which is not this node's anvil "
        "(nothing was signalled)\n"
    )
    assert bystander.poll() is None and not pid_file.exists()
    assert ok("node", "stop", "--state-dir", str(folder)) == {"stopped": False, "stalePid": None}

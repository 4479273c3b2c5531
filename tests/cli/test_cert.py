"""`tradechain cert`, issue 12 finding 10: no claim secret on the command line; from an owner-only file, stdin or
the hidden prompt; a secret missing a digit refused, never padded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import tx_count
from eth_account import Account
from helpers import addr, ok, refused, run

WATCH = {"model": "Chronograph 42", "reference": "CH-42-STEEL", "origin": "CH"}


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

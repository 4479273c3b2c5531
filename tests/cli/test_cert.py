"""`tradechain cert`, issue 12 finding 10: no claim secret on the command line; from an owner-only file, stdin or
the hidden prompt; a secret missing a digit refused, never padded. Issue 14: the claim secret written to a new
owner-only file (`open-claim --out`); `issue-batch --out` names each serial's certificate and transaction, and a
resumed run completes the file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import tx_count
from eth_account import Account
from helpers import addr, ok, refused, run

from tradechain.contracts.luxury_certificate import certificate_id

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


def test_open_claim_writes_the_secret_to_a_new_owner_only_file_the_buyer_claims_with(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """Issue 14: the claim secret was printed once and could not be written to a file."""
    meta = tmp_path / "watch.json"
    meta.write_text(json.dumps(WATCH))
    token = ok("cert", "issue", "W-20", "--metadata", str(meta), "--account", "brand")["certificate"]
    card = tmp_path / "cards" / "W-20.secret"
    card.parent.mkdir()
    result = run("cert", "open-claim", token, "--out", str(card), "--account", "brand")
    assert result.exit_code == 0, result.stderr
    secret = card.read_text().strip()
    assert len(secret) == 66 and secret.startswith("0x") and stat.S_IMODE(card.stat().st_mode) == 0o600
    assert secret[2:] not in result.stdout and f"its secret is in {card} (mode 600)" in result.stdout
    assert sorted(p.name for p in card.parent.iterdir()) == ["W-20.secret"]  # no temporary file left
    # a second claim secret never replaces the first one's file: refused before anything is sent
    before = tx_count(addr("brand"))
    refused(run("cert", "open-claim", token, "--out", str(card), "--account", "brand"), "out", "exists already")
    assert tx_count(addr("brand")) == before and card.read_text().strip() == secret
    refused(
        run("cert", "open-claim", token, "--out", str(tmp_path / "nope" / "s"), "--account", "brand"), "out", "folder"
    )
    as_json = ok("cert", "open-claim", token, "--out", str(tmp_path / "again.secret"), "--account", "brand")
    assert "claimSecret" not in as_json and as_json["secretFile"] == str(tmp_path / "again.secret")
    ok("cert", "claim", token, "--secret-file", str(tmp_path / "again.secret"), "--account", "buyer")
    assert owner(token) == addr("buyer")


def read_ids(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


def test_issue_batch_out_names_each_serials_certificate_and_a_resumed_run_completes_it(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """Issue 14: `cert issue-batch` did not say which id belongs to which serial. With --out, a CSV (serial,
    certificate id in hex, tx) grows as each transaction is mined; after an interruption the same command completes
    it: every serial once, in the CSV's order, each with the transaction that issued it."""
    rows = [f"B-{i}" for i in range(1, 8)]
    first, full = tmp_path / "first.csv", tmp_path / "all.csv"
    first.write_text("serial,model\n" + "".join(f"{s},Chrono\n" for s in rows[:4]))
    full.write_text("serial,model\n" + "".join(f"{s},Chrono\n" for s in rows))
    ids = tmp_path / "ids.csv"
    done = ok("cert", "issue-batch", str(first), "--out", str(ids), "--batch-size", "2", "--account", "brand")
    assert (done["issued"], len(done["transactions"]), done["file"]) == (4, 2, str(ids))
    table = read_ids(ids)
    assert table[0] == ["serial", "certificate", "tx"]
    brand = sdk_members["brand"]
    assert [r[:2] for r in table[1:]] == [[s, f"0x{certificate_id(brand, s):064x}"] for s in rows[:4]]
    assert [r[2] for r in table[1:]] == [done["transactions"][0]] * 2 + [done["transactions"][1]] * 2
    assert ok("cert", "verify", table[1][1])["owner"] == addr("brand")  # the id as every other command takes it

    # interrupted: the last transaction's rows never written, and a line cut in half
    ids.write_text("\n".join(",".join(r) for r in table[:2]) + "\n" + ",".join(table[2])[:20])
    again = ok("cert", "issue-batch", str(full), "--out", str(ids), "--batch-size", "2", "--account", "brand")
    assert (again["issued"], again["skipped"]) == (3, 4)
    completed = read_ids(ids)
    assert [r[0] for r in completed[1:]] == rows  # each serial once, in the CSV's order
    assert completed[1:5] == table[1:5]  # the rows of the first run, with its transactions
    assert {r[2] for r in completed[5:]} == set(again["transactions"])
    assert all(r[1] == f"0x{certificate_id(brand, r[0]):064x}" for r in completed[1:])
    assert ok("cert", "issue-batch", str(full), "--out", str(ids), "--account", "brand")["issued"] == 0
    assert read_ids(ids) == completed  # a run with nothing to issue leaves it as it is

    # without --out, the ids are in the JSON output
    more = tmp_path / "more.csv"
    more.write_text("serial\nB-100\n")
    listed = ok("cert", "issue-batch", str(more), "--account", "brand")["certificates"]
    assert listed == [
        {"serial": "B-100", "certificate": f"0x{certificate_id(brand, 'B-100'):064x}", "tx": listed[0]["tx"]}
    ]
    # a file that is not an ids file is never taken over
    other = tmp_path / "notes.csv"
    other.write_text("my notes, keep them\n")
    refused(run("cert", "issue-batch", str(more), "--out", str(other), "--account", "brand"), "out", "not an ids file")
    assert other.read_text() == "my notes, keep them\n"

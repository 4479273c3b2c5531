"""`tradechain tx status|settle`: what became of a transaction, told by the node, with an exit code that means it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from helpers import run

from tradechain.chain import accounts as tc_accounts
from tradechain.cli.main import cli


def test_a_mined_transaction_is_reported_with_its_block_and_exit_0(cli_env: Path, sdk: Any) -> None:
    receipt = sdk.participants.admit(
        lei="529900T8BM49AURSDO55", country="DE", roles="brand", manager=tc_accounts.dev_account("brand").address
    ).receipt
    result = run("tx", "status", receipt.tx_hash, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["state"], data["block"], data["status"]) == ("mined", receipt.block_number, 1)
    assert data["confirmations"] >= 1
    text = run("tx", "status", receipt.tx_hash)
    assert f"mined in block {receipt.block_number}" in text.output and "succeeded" in text.output


def test_an_unknown_transaction_exits_1(cli_env: Path) -> None:
    result = run("tx", "status", "0x" + "ab" * 32, "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["state"] == "unknown"


def test_a_malformed_hash_is_one_line_and_exit_2(cli_env: Path) -> None:
    result = CliRunner().invoke(cli, ["tx", "status", "0x12"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: tx_hash: a transaction hash is 0x and 64 hex digits (got '0x12')"
    ]


def test_settle_with_nothing_stranded_says_so(cli_env: Path) -> None:
    result = run("tx", "settle")
    assert result.exit_code == 0, result.output
    assert "nothing stranded" in result.output

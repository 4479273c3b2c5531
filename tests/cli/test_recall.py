"""`tradechain recall`: bad input (recalls downstream, by the brand and a regulator, are in test_trace.py's flow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tx_count
from helpers import run

from tradechain.chain import accounts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recall", "sscc:x", "--reason", "r"], "error: sscc: an SSCC is digits only"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    admin = accounts.dev_account("admin").address
    before = tx_count(admin)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tx_count(admin) == before

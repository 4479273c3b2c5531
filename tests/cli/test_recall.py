"""`tradechain recall`: bad input (recalls downstream, by the brand and a regulator, are in test_trace.py's flow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_bad_input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recall", "sscc:x", "--reason", "r"], "error: sscc: an SSCC is digits only"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    assert_bad_input(args, message)

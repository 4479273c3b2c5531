"""The ``tradechain`` command line: help by role, --help and --json on every command, one-line errors with exit
codes (an unreachable node, a wrong keystore password), nothing sent on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import tx_count
from helpers import run

from tradechain.chain import accounts
from tradechain.cli.main import cli

ADMIN = accounts.dev_account("admin").address


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _leaves(cmd, (*prefix, name))
        else:
            out.append(((*prefix, name), cmd))
    return out


def test_help_lists_commands_by_role() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Consortium admin and members:" in result.output and "Set-up and operations:" in result.output
    assert result.output.index("participant") < result.output.index("Set-up and operations:")


@pytest.mark.parametrize("path", [p for p, _ in _leaves(cli)], ids=" ".join)
def test_every_command_has_help_and_json(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "--json" in result.output
    if path[0] in ("participant", "deploy", "product", "trace", "recall", "verify", "cert", "doc", "escrow") and path[
        -1
    ] not in ("qr",):
        assert "--rpc-url" in result.output and "--network" in result.output


def test_wrong_keystore_password_is_one_line(cli_env: Path) -> None:
    accounts.new_account("alice", "right password")
    before = tx_count(ADMIN)
    result = run(
        "participant",
        "suspend",
        "1",
        "--reason",
        "x",
        "--account",
        "alice",
        env={"TRADECHAIN_PASSWORD": "wrong password"},
    )
    assert result.exit_code == 2
    assert result.stderr == "error: account: wrong password for keystore 'alice' (MAC mismatch)\n"
    assert tx_count(ADMIN) == before


def test_bad_rpc_url_is_one_line_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "TRADECHAIN_DEPLOYMENTS": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "tradechain", "participant", "list", "--rpc-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: cannot reach the JSON-RPC node at http://127.0.0.1:9 after 4 attempts (ConnectionError)\n"
    )
    assert "Traceback" not in proc.stdout + proc.stderr

"""``tradechain account``: encrypted keystores. Keys are never printed or written in plain text."""

from __future__ import annotations

import os

import click

from tradechain.chain import accounts
from tradechain.cli.common import Run, command


@click.group("account")
def group() -> None:
    """Signing accounts in encrypted keystores.

    Keystores are encrypted JSON (scrypt); the password comes from a prompt or $TRADECHAIN_PASSWORD.
    """


@command(group, "new")
@click.argument("name")
def new(run: Run, name: str) -> None:
    """Create a new key, encrypted in the keystore NAME."""
    accounts.keystore_path(name)  # validates the name before asking for a password
    acct = accounts.new_account(name, accounts.read_password(f"Password for {name}: ", confirm=True))
    run.emit(
        {"name": name, "address": acct.address, "keystore": str(accounts.keystore_path(name))},
        f"created {name}: {acct.address} (keystore {accounts.keystore_path(name)})",
    )


@command(group, "import")
@click.argument("name")
def import_(run: Run, name: str) -> None:
    """Import a private key (from a hidden prompt or $TRADECHAIN_PRIVATE_KEY, never an argument: exactly 64 hex
    digits, optional 0x) into the keystore NAME."""
    accounts.keystore_path(name)
    key = os.environ.get(accounts.PRIVATE_KEY_ENV) or click.prompt("Private key", hide_input=True)
    accounts.parse_private_key(key)  # refused before a password is asked: a short key is never padded
    acct = accounts.import_account(name, key, accounts.read_password(f"Password for {name}: ", confirm=True))
    run.emit(
        {"name": name, "address": acct.address, "keystore": str(accounts.keystore_path(name))},
        f"imported {name}: {acct.address}",
    )


@command(group, "list")
@click.option("--dev", is_flag=True, help="Also list the local chain's dev accounts by role.")
def list_(run: Run, dev: bool) -> None:
    """List keystores (and with --dev the local chain's role accounts)."""
    rows = [{"name": n, "address": a, "kind": "keystore"} for n, a in accounts.list_keystores()]
    if dev:
        rows += [
            {"name": r, "address": accounts.dev_account(r).address, "kind": "dev (local chain only)"}
            for r in accounts.DEV_ROLES
        ]
    run.emit(rows, "\n".join(f"{r['name']:16} {r['address']}  {r['kind']}" for r in rows) or "no keystores")

"""``tradechain account``: encrypted keystores. Keys are never printed or written in plain text."""

from __future__ import annotations

import os
from decimal import Decimal

import click

from tradechain.chain import accounts, project
from tradechain.chain.tx import Call, account_name
from tradechain.cli.common import Run, command, open_client
from tradechain.errors import InputError
from tradechain.formats.values import parse_address, parse_amount

DEFAULT_FUND_ETH = "10"
MAX_FUND_WEI = 1_000 * 10**18  # a dev account starts with 10,000 ETH


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


def _eth(wei: int) -> str:
    return f"{format((Decimal(wei) / 10**18).normalize(), ',f')} ETH"


def _recipient(name: str) -> str:
    """The address of a keystore (read from its file, never decrypted), a dev account by role, or an address."""
    if name.startswith(("0x", "0X")):
        return parse_address(name, "name")
    if accounts.keystore_path(name).is_file():
        found = dict(accounts.list_keystores()).get(name)
        if found is None or not found.startswith("0x"):
            raise InputError("name", f"the keystore {name!r} has no readable address", name)
        return found
    if accounts.is_dev_name(name):
        return str(accounts.dev_account(name).address)
    raise InputError(
        "name", "not a keystore (see `tradechain account list`), a dev account (admin, brand, ...) or an address", name
    )


@command(group, "fund", chain="send")
@click.argument("name")
@click.argument("amount", required=False, default=DEFAULT_FUND_ETH)
def fund(run: Run, name: str, amount: str) -> None:
    """Send AMOUNT ETH (default 10, e.g. 0.5) to the account NAME on the local chain, for its gas.

    NAME is a keystore, a dev account (admin, brand, ...) or an address. The ETH is sent in an ordinary transfer
    from a dev account (--account, default admin), which holds 10,000 test ETH: it is in the chain's history like
    any payment, and works on any node of the dev accounts. The local chain only (chain 31337): elsewhere ETH is
    real, fund the account from your wallet.
    """
    to = _recipient(name)
    text = amount.strip()
    if text.lower().endswith("eth"):
        text = text[:-3].strip()  # "10 ETH" is 10
    value = parse_amount(text, 18, "amount", below=MAX_FUND_WEI + 1, too_large="at most 1,000 ETH")
    client = open_client(run.network_name, run.rpc_url, confirmations=run.confirmations)
    if client.chain_id != project.DEV_CHAIN_ID:
        raise InputError(
            "network",
            f"`account fund` gives test ETH on the local chain only (chain {project.DEV_CHAIN_ID}); chain "
            f"{client.chain_id} is not it: fund {name} from your wallet",
        )
    client.use_account(run.account or "admin")
    sender = client.require_signer()
    receipt = sender.send(Call(to, b"", value=value, gas=21_000, label="fund"))
    balance = int(client.w3.eth.get_balance(to))  # type: ignore[arg-type]
    payer = account_name(sender.address, client.chain_id) or sender.address
    run.sent(
        receipt,
        {
            "name": name,
            "address": to,
            "amountWei": str(value),
            "amount": format((Decimal(value) / 10**18).normalize(), "f"),
            "from": sender.address,
            "balanceWei": str(balance),
        },
        f"funded {name} ({to}) with {_eth(value)} from {payer} ({sender.address}); its balance is {_eth(balance)}",
    )

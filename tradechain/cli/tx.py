"""``tradechain tx``: what became of a transaction, and settling the nonces a refused batch stranded."""

from __future__ import annotations

import sys

import click

from tradechain.chain.tx import MINED, PENDING, TX_HASH
from tradechain.cli.common import chain_options, emit, handle_errors, json_option, open_client
from tradechain.errors import InputError


@click.group("tx")
def group() -> None:
    """Transactions: ask the node what became of one (after a lost connection), settle stranded nonces."""


@group.command("status")
@click.argument("tx_hash", metavar="TX_HASH")
@chain_options(signer=True)
@json_option
@handle_errors
def status(
    tx_hash: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """What the node says of TX_HASH: mined (with its confirmations, its block checked to be on the canonical
    chain), pending (it may still be mined: wait, or run the same command again, which waits for it and never
    sends it twice), dropped or unknown.

    --account names the sender whose journal of in-flight transactions is consulted (a dropped one is told from
    one never sent). Exit code: 0 mined and succeeded or pending, 1 otherwise (failed, dropped or unknown)."""
    if not TX_HASH.fullmatch(tx_hash):  # checked before connecting
        raise InputError("tx_hash", "a transaction hash is 0x and 64 hex digits", tx_hash)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    found = client.require_signer().status(tx_hash)
    emit(as_json, found.to_json(), found.describe())
    ok = (found.state == MINED and found.receipt is not None and found.receipt.status == 1) or found.state == PENDING
    if not ok:
        sys.exit(1)


@group.command("settle")
@chain_options(signer=True)
@json_option
@handle_errors
def settle(
    network_name: str | None, rpc_url: str | None, account: str | None, confirmations: int, as_json: bool
) -> None:
    """Cancels the transactions a refused batch left stranded behind a nonce gap (0-value transfers to the account
    itself at their nonces), so no later send executes them by surprise. Sends are refused until this is done."""
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    outcomes = client.require_signer().settle()
    emit(
        as_json,
        {"settled": [o.describe() for o in outcomes]},
        "\n".join(o.describe() for o in outcomes) or "nothing stranded: every nonce of this account is settled",
    )

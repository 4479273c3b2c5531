"""``tradechain tx``: what became of a transaction, and settling the nonces a refused batch stranded."""

from __future__ import annotations

import sys

import click

from tradechain.chain.tx import MINED, PENDING, TX_HASH
from tradechain.cli.common import Run, command
from tradechain.errors import InputError


@click.group("tx")
def group() -> None:
    """Transactions: ask the node what became of one (after a lost connection), settle stranded nonces."""


@command(group, "status", chain="send")
@click.argument("tx_hash", metavar="TX_HASH")
def status(run: Run, tx_hash: str) -> None:
    """What the node says of TX_HASH: mined (with its confirmations, its block checked to be on the canonical
    chain), pending (it may still be mined: wait, or run the same command again, which waits for it and never
    sends it twice), dropped or unknown.

    --account names the sender whose journal of in-flight transactions is consulted (a dropped one is told from
    one never sent). Exit code: 0 mined and succeeded or pending, 1 otherwise (failed, dropped or unknown)."""
    if not TX_HASH.fullmatch(tx_hash):  # checked before connecting
        raise InputError("tx_hash", "a transaction hash is 0x and 64 hex digits", tx_hash)
    client = run.client()
    found = client.require_signer().status(tx_hash)
    run.emit(found.to_json(), found.describe())
    ok = (found.state == MINED and found.receipt is not None and found.receipt.status == 1) or found.state == PENDING
    if not ok:
        sys.exit(1)


@command(group, "settle", chain="send")
def settle(run: Run) -> None:
    """Cancels the transactions a refused batch left stranded behind a nonce gap (0-value transfers to the account
    itself at their nonces), so no later send executes them by surprise. Sends are refused until this is done."""
    client = run.client()
    outcomes = client.require_signer().settle()
    run.emit(
        {"settled": [o.describe() for o in outcomes]},
        "\n".join(o.describe() for o in outcomes) or "nothing stranded: every nonce of this account is settled",
    )

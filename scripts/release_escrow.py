"""For financiers: release an escrow's milestone once its documents prove it, or say why not (then nothing is sent).

    brownie run scripts/release_escrow.py main ESCROW MILESTONE [DOCUMENT ...] --network tradechain-local

    ESCROW       the escrow id (0x and 64 hex digits), as `tradechain escrow open` printed it
    MILESTONE    the milestone's number, counted from 1: the first milestone is 1 (`tradechain escrow status
                 ESCROW` lists them, each with its share and the document types it needs)
    DOCUMENT     the documents that prove it, e.g. bl.pdf, each with its proof bl.pdf.tcproof.json beside it (as
                 `tradechain doc anchor bl.pdf --type bill-of-lading --escrow ESCROW` wrote it); with none, the
                 script only says which document types the milestone lacks

It signs as ``$TRADECHAIN_ACCOUNT`` (a keystore name, or on the local chain a dev role such as ``financier``;
default the dev admin): anyone may release, the money goes to the seller named in the terms. From Python:
``main(escrow_id, 1, "bl.pdf", account="financier")``; it returns True if it released the milestone.

It releases nothing, and prints why, when the escrow is not FUNDED (refunded, closed, or disputed: a dispute the
arbiter let lapse counts as FUNDED again), when the milestone was released already, or when a document type is
missing, revoked or issued by an organisation without the role for it. The documents must be issued for this
escrow (anchored with ``--escrow ESCROW``): one issued for another escrow or for the trade's reference is named.
"""

from __future__ import annotations

from pathlib import Path

from tradechain.contracts.trade_escrow import is_escrow_id
from tradechain.errors import InputError
from tradechain.scripting import script_client

USAGE = "usage: brownie run scripts/release_escrow.py main ESCROW MILESTONE [DOCUMENT ...] --network NETWORK"


def main(escrow_id: str, milestone: int | str, *files: str, account: str | None = None) -> bool:
    if not is_escrow_id(str(escrow_id)):
        print(f"not releasing: ESCROW is an escrow id, 0x and 64 hex digits (got {escrow_id!r})\n{USAGE}")
        return False
    try:
        number = int(str(milestone))
    except ValueError:
        print(f"not releasing: MILESTONE is the milestone's number, counted from 1 (got {milestone!r})\n{USAGE}")
        return False
    client = script_client(account)
    try:
        terms = client.escrow.terms_of(escrow_id)
    except InputError as exc:
        print(f"not releasing: {exc.rule} ({escrow_id})")
        return False
    count = len(terms.milestones)
    if not 1 <= number <= count:
        print(f"not releasing: escrow {escrow_id} has milestone(s) 1 to {count} (counted from 1), not {number}")
        return False
    index = number - 1  # the contract's index
    state = client.escrow.state(escrow_id)
    if client.escrow.timeline(terms, state)["disputeLapsed"]:
        state["status"] = "FUNDED"  # the arbiter let the dispute lapse: the documentary rules apply again
    if state["status"] != "FUNDED":
        print(f"not releasing: escrow {escrow_id} is {state['status']}, not FUNDED")
        return False
    if index in state["releasedMilestones"]:
        print(f"not releasing: milestone {number} was released already")
        return False
    docs = [Path(f) for f in files]
    try:
        missing = client.escrow.missing(terms, index, docs)
    except InputError as exc:
        print(f"not releasing milestone {number}: {exc.rule}")
        return False
    if missing:
        print(
            f"not releasing milestone {number}: no valid {', '.join(missing)} issued for escrow {escrow_id} "
            f"(trade {terms.trade_id}): missing, revoked, or issued without the role"
        )
        return False
    receipt = client.escrow.release(terms, index, docs)
    print(f"released milestone {number} to {terms.seller}: tx {receipt.tx_hash}")
    return True

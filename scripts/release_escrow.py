"""For financiers: release an escrow's milestone once its documents prove it, or explain why not.

brownie run scripts/release_escrow.py main 0xESCROW 0 bl.pdf --network tradechain-local

The documents must be issued for this escrow (anchored with ``tradechain doc anchor ... --escrow 0xESCROW``): one
issued for another escrow or for the trade's reference is named, and nothing is sent.
"""

from __future__ import annotations

from pathlib import Path

from tradechain.errors import InputError
from tradechain.scripting import script_client


def main(escrow_id: str, milestone: int, *files: str, account: str | None = None) -> bool:
    client = script_client(account)
    terms = client.escrow.terms_of(escrow_id)
    state = client.escrow.state(escrow_id)
    if client.escrow.timeline(terms, state)["disputeLapsed"]:
        state["status"] = "FUNDED"  # the arbiter let the dispute lapse: the documentary rules apply again
    if state["status"] != "FUNDED":
        print(f"not releasing: escrow {escrow_id} is {state['status']}, not FUNDED")
        return False
    if int(milestone) in state["releasedMilestones"]:
        print(f"not releasing: milestone {milestone} was released already")
        return False
    docs = [Path(f) for f in files]
    try:
        missing = client.escrow.missing(terms, int(milestone), docs)
    except InputError as exc:
        print(f"not releasing milestone {milestone}: {exc.rule}")
        return False
    if missing:
        print(
            f"not releasing milestone {milestone}: no valid {', '.join(missing)} issued for escrow {escrow_id} "
            f"(trade {terms.trade_id}): missing, revoked, or issued without the role"
        )
        return False
    receipt = client.escrow.release(terms, int(milestone), docs)
    print(f"released milestone {milestone} to {terms.seller}: tx {receipt.tx_hash}")
    return True

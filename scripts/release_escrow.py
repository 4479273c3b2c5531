"""For financiers: release an escrow's milestone once its documents prove it, or explain why not.

brownie run scripts/release_escrow.py main 0xESCROW 0 bl.pdf --network tradechain-local
"""

from __future__ import annotations

from pathlib import Path

from tradechain.scripting import script_client


def main(escrow_id: str, milestone: int, *files: str, account: str | None = None) -> bool:
    client = script_client(account)
    terms = client.escrow.terms_of(escrow_id)
    state = client.escrow.state(escrow_id)
    if state["status"] != "FUNDED":
        print(f"not releasing: escrow {escrow_id} is {state['status']}, not FUNDED")
        return False
    if int(milestone) in state["releasedMilestones"]:
        print(f"not releasing: milestone {milestone} was released already")
        return False
    missing = client.escrow.missing(terms, int(milestone), [Path(f) for f in files])
    if missing:
        print(
            f"not releasing milestone {milestone}: no valid {', '.join(missing)} for trade {terms.trade_id} "
            "(missing, revoked, for another trade, or issued without the role)"
        )
        return False
    receipt = client.escrow.release(terms, int(milestone), [Path(f) for f in files])
    print(f"released milestone {milestone} to {terms.seller}: tx {receipt.tx_hash}")
    return True

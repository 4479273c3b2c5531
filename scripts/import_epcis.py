"""Import an EPCIS 2.0 document: validate it whole, keep its events in the index, anchor them on chain.

brownie run scripts/import_epcis.py main path/to/events.jsonld --network tradechain-local
"""

from __future__ import annotations

from pathlib import Path

from tradechain import indexer
from tradechain.formats import epcis
from tradechain.formats.epcis import ImportResult
from tradechain.scripting import script_client


def main(path: str, account: str | None = None, db: str | None = None) -> ImportResult:
    client = script_client(account)
    events = epcis.read_document(path)  # nothing is sent unless every event is valid
    store = indexer.synced(client, Path(db) if db else None)
    result = epcis.import_events(client, store, events)
    print(f"{result.events} event(s): {result.anchored} anchored, {result.already} already on chain")
    return result

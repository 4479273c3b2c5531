"""The indexer: the suite's events in an embedded SQLite database, for traces in milliseconds.

* :mod:`tradechain.indexer.store` holds the schema, the writer and the queries (history, origin, impact, custody);
* :mod:`tradechain.indexer.sync` follows the chain: incremental, resumable after a crash (each block range is one
  database transaction), and safe against reorganisations (every block's hash and parent hash are kept; a range is
  written only when its blocks continue the index and its logs are of those blocks, checked again after the logs
  were read; otherwise it rewinds to the common ancestor and re-reads).

No member's data stops it: bytes that are not safe text (not UTF-8, or with control or format characters) are
stored as 0x hex with a flag, and an event that cannot be decoded is kept raw and skipped with a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tradechain.chain import project
from tradechain.indexer.store import Store
from tradechain.indexer.sync import Indexer

if TYPE_CHECKING:
    from tradechain.client import Client

__all__ = ["Indexer", "Store", "default_path", "synced"]


def default_path(chain_id: int) -> Path:
    """Where the index of chain ``chain_id`` lives unless told: ``index-<chainId>.db`` in the state home."""
    return project.state_home() / f"index-{chain_id}.db"


def synced(client: Client, db: Path | None = None) -> Store:
    """The index of ``client``'s chain and deployment (at ``db``, else :func:`default_path`), brought up to date
    by an incremental sync."""
    path = db or default_path(client.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(path)
    Indexer(client, store).sync()
    return store

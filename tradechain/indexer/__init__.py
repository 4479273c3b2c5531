"""The indexer: the suite's events in an embedded SQLite database, for traces in milliseconds.

* :mod:`tradechain.indexer.store` holds the schema, the writer and the queries (history, origin, impact, custody);
* :mod:`tradechain.indexer.sync` follows the chain: incremental, resumable after a crash (each block range is one
  database transaction), and safe against reorganisations (block hashes are kept and checked; on a mismatch it
  rewinds to the common ancestor and re-reads).
"""

from tradechain.indexer.store import Store
from tradechain.indexer.sync import Indexer

__all__ = ["Indexer", "Store"]

"""The indexer: the suite's events in an embedded SQLite database, for traces in milliseconds.

* :mod:`tradechain.indexer.store` holds the schema, the writer and the queries (history, origin, impact, custody);
* :mod:`tradechain.indexer.sync` follows the chain: incremental, resumable after a crash (each block range is one
  database transaction), and safe against reorganisations (every block's hash and parent hash are kept; a range is
  written only when its blocks continue the index and its logs are of those blocks, checked again after the logs
  were read; otherwise it rewinds to the common ancestor and re-reads).

No member's data stops it: bytes that are not safe text (not UTF-8, or with control or format characters) are
stored as 0x hex with a flag, and an event that cannot be decoded is kept raw and skipped with a warning.
"""

from tradechain.indexer.store import Store
from tradechain.indexer.sync import Indexer

__all__ = ["Indexer", "Store"]

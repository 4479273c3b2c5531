"""Register luxury certificates from a CSV (column ``serial``; the other columns are metadata fields): for brand
owners, through the same SDK as ``tradechain cert issue-batch``. Resumable: run it again after an interruption
and only the rows not yet issued are issued.

    brownie run scripts/register_certificates.py main watches.csv brand --network tradechain-local
"""

from __future__ import annotations

from pathlib import Path

from tradechain.contracts import luxury_certificate
from tradechain.contracts.luxury_certificate import BatchResult
from tradechain.scripting import script_client


def main(csv_path: str, account: str | None = None, to: str | None = None) -> BatchResult:
    rows = luxury_certificate.read_rows(Path(csv_path))
    client = script_client(account)
    result = client.certificates.issue_batch(rows, to=to)
    print(
        f"{len(result.issued):,} issued, {len(result.skipped):,} already issued, "
        f"{len(result.transactions)} transaction(s), {result.to_json()['gasPerCertificate']:,} gas per certificate"
    )
    return result

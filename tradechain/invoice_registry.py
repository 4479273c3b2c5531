"""Client of ``InvoiceRegistry``: financing, syndication shares, settlement, cancellation, batches, and the check
for exact and near-duplicate financings (near-duplicates through the secondary fingerprints in the logs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from tradechain.errors import InputError
from tradechain.invoices import SECONDARY_FIELDS, Fingerprints
from tradechain.tx import Receipt

if TYPE_CHECKING:
    from tradechain.client import Client

NAME = "InvoiceRegistry"
BATCH_SIZE = 250  # about 36,000 gas per invoice with four secondaries: 250 stay well under the 2^24 cap


class Status(IntEnum):
    NONE = 0
    FINANCED = 1
    SETTLED = 2


@dataclass(frozen=True)
class Check:
    fingerprint: str
    status: Status
    total_bps: int
    first_org: int
    since: int
    near: list[dict[str, Any]]  # {"fingerprint", "differs in"} of financed invoices sharing a secondary

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status.name,
            "financedBps": self.total_bps,
            "firstFinancier": self.first_org or None,
            "since": self.since or None,
            "nearDuplicates": self.near,
        }


def _share(bps: int) -> int:
    if not 0 < bps <= 10_000:
        raise InputError("share", "a share is 1 to 10,000 basis points (10,000 = 100%)", bps)
    return bps


class InvoiceRegistryClient:
    def __init__(self, client: Client, address: str | None = None) -> None:
        self.client = client
        self.contract = client.contract(NAME, address)
        self.address = self.contract.address

    def _send(self, fn: str, *args: Any) -> Receipt:
        return self.client.send(self.contract, fn, *args, label=f"{NAME}.{fn}")

    def register(self, fps: Fingerprints, share_bps: int = 10_000) -> Receipt:
        return self._send("register", fps.primary, _share(share_bps), list(fps.secondary))

    def register_batch(
        self,
        items: Sequence[Fingerprints],
        share_bps: int = 10_000,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[list[bool], list[str]]:
        """Registers a portfolio, ``batch_size`` per transaction; per-item results (a duplicate is refused, the
        rest go through). Returns (financed per item, transaction hashes)."""
        share = _share(share_bps)
        results: list[bool] = []
        txs: list[str] = []
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            receipt = self._send("registerBatch", [(f.primary, share, list(f.secondary)) for f in chunk])
            results += self._outcomes(receipt, len(chunk))
            txs.append(receipt.tx_hash)
            if progress:
                progress(len(results), len(items))
        return results, txs

    def _outcomes(self, receipt: Receipt, count: int) -> list[bool]:
        """Per item, in order: each emits exactly one InvoiceFinanced (True) or RegistrationRefused (False)."""
        from web3.logs import DISCARD

        financed = self.contract.events.InvoiceFinanced().process_receipt(receipt.raw, errors=DISCARD)
        refused = self.contract.events.RegistrationRefused().process_receipt(receipt.raw, errors=DISCARD)
        events = sorted([(e["logIndex"], True) for e in financed] + [(e["logIndex"], False) for e in refused])
        if len(events) != count:
            raise AssertionError(f"expected {count} outcomes in {receipt.tx_hash}, found {len(events)}")
        return [ok for _, ok in events]

    def cancel(self, fps: Fingerprints) -> Receipt:
        return self._send("cancel", fps.primary)

    def settle(self, fps: Fingerprints) -> Receipt:
        return self._send("settle", fps.primary)

    def check(self, fps: Fingerprints) -> Check:
        first_org, _first_bps, total, status, since = self.client.call(self.contract, "check", fps.primary)
        start = self.client.deployment.contracts[NAME].block
        near: dict[str, str] = {}
        for field, secondary in zip(SECONDARY_FIELDS, fps.secondary, strict=True):
            logs = self.contract.events.SecondaryFingerprint().get_logs(
                from_block=start, argument_filters={"secondary": secondary}
            )
            for log in logs:
                other = "0x" + bytes(log["args"]["fingerprint"]).hex()
                if other != "0x" + fps.primary.hex():
                    near.setdefault(other, field)
        return Check(
            "0x" + fps.primary.hex(),
            Status(status),
            int(total),
            int(first_org),
            int(since),
            [{"fingerprint": f, "differsIn": d} for f, d in near.items()],
        )

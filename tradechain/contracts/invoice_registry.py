"""Client of ``InvoiceRegistry``: financing, syndication shares, settlement, cancellation, batches, the check for
exact and near-duplicate financings (near-duplicates through the secondary fingerprints in the logs), and the
buyer's EIP-712 acknowledgment."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from tradechain.chain.tx import Receipt
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError
from tradechain.formats.invoice_fingerprints import SECONDARY_FIELDS, Fingerprints
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint

NAME = "InvoiceRegistry"
BATCH_SIZE = 250  # about 30,000 gas per invoice with four secondaries: 250 stay well under the 2^24 cap
ACKNOWLEDGMENT_TYPES = {
    "Acknowledgment": [
        {"name": "fingerprint", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


class Status(IntEnum):
    NONE = 0
    FINANCED = 1
    SETTLED = 2


@dataclass(frozen=True)
class PortfolioResult:
    financed: list[bool]  # per item: financed by this organisation (now or in an earlier run) or refused
    already: list[int]  # indexes held from an earlier run, not sent again (a resumed import)
    transactions: list[str]

    @property
    def refused(self) -> list[int]:
        return [i for i, ok in enumerate(self.financed) if not ok]


@dataclass(frozen=True)
class Check:
    fingerprint: str
    status: Status
    total_bps: int
    first_org: int
    since: int
    near: list[dict[str, Any]]  # {"fingerprint", "differs in"} of financed invoices sharing a secondary
    acknowledged_by: list[str] = dataclasses.field(default_factory=list)  # every signer that acknowledged it
    settled_bps: int = 0  # the shares settled so far (Settled once they are the total)
    settled_shares: list[dict[str, int]] = dataclasses.field(default_factory=list)  # {organisation, shareBps}
    buyer: str | None = None  # the buyer asked about (``check(..., buyer=)``)
    buyer_acknowledged_at: int = 0  # when that buyer acknowledged it (0: it did not)

    @property
    def outstanding_bps(self) -> int:
        """The shares financed and not settled yet."""
        return self.total_bps - self.settled_bps

    def to_json(self) -> dict[str, Any]:
        out = {
            "fingerprint": self.fingerprint,
            "status": self.status.name,
            "financedBps": self.total_bps,
            "settledBps": self.settled_bps,
            "settledShares": self.settled_shares,
            "firstFinancier": self.first_org or None,
            "since": self.since or None,
            "nearDuplicates": self.near,
            "acknowledgedBy": self.acknowledged_by,
        }
        if self.buyer is not None:
            out["buyer"] = self.buyer
            out["buyerAcknowledgedAt"] = self.buyer_acknowledged_at or None
        return out


def _four(fps: Fingerprints) -> list[bytes]:
    if len(fps.secondary) != len(SECONDARY_FIELDS):
        raise InputError("secondary", f"an invoice has {len(SECONDARY_FIELDS)} secondary fingerprints")
    return list(fps.secondary)


def parse_share(bps: int) -> int:
    """A financing share in basis points, 1 to 10,000 (checked before anything is sent)."""
    if not 0 < bps <= 10_000:
        raise InputError("share", "a share is 1 to 10,000 basis points (10,000 = 100%)", bps)
    return bps


class InvoiceRegistryClient(ContractClient, name=NAME):
    def register(self, fps: Fingerprints, share_bps: int = 10_000) -> Receipt:
        return self._send("register", fps.primary, parse_share(share_bps), _four(fps))

    def register_batch(
        self,
        items: Sequence[Fingerprints],
        share_bps: int = 10_000,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> PortfolioResult:
        """Registers a portfolio, ``batch_size`` per transaction; per-item results (a duplicate is refused, the
        rest go through). Invoices this organisation holds a share of already are not sent again, so running it
        again after an interruption (a crash, a node restart) registers the rest and nothing twice."""
        share = parse_share(share_bps)
        org, _ = self.client.participants.organisation_of(self.client.require_signer().address)
        held: list[int] = []
        for start in range(0, len(items), 1_000):
            keys = [f.primary for f in items[start : start + 1_000]]
            held += [int(v) for v in self._call("sharesOf", keys, org)]
        financed: list[bool] = [bool(h) for h in held]
        todo = [i for i, h in enumerate(held) if not h]
        txs: list[str] = []
        done = 0
        for start in range(0, len(todo), batch_size):
            chunk_ix = todo[start : start + batch_size]
            chunk = [items[i] for i in chunk_ix]
            receipt = self._send("registerBatch", [(f.primary, share, _four(f)) for f in chunk])
            for i, ok in zip(chunk_ix, self._outcomes(receipt, len(chunk)), strict=True):
                financed[i] = ok
            txs.append(receipt.tx_hash)
            done += len(chunk)
            if progress:
                progress(done, len(todo))
        return PortfolioResult(financed, [i for i, h in enumerate(held) if h], txs)

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
        """Withdraws the signer's own unsettled share (the deal fell through); the others' shares stay."""
        return self._send("cancel", fps.primary)

    def settle(self, fps: Fingerprints) -> Receipt:
        """Marks the signer's own share settled (repaid). The invoice is Settled once every share is; from the
        first settled share on, nobody can finance it anew."""
        return self._send("settle", fps.primary)

    def settlement(self, receipt: Receipt) -> dict[str, int]:
        """What a settle recorded: {"organisation", "shareBps", "settledBps"} (from its InvoiceSettled event)."""
        [event] = self._events(receipt, "InvoiceSettled")
        return {
            "organisation": int(event["organisation"]),
            "shareBps": int(event["shareBps"]),
            "settledBps": int(event["settledBps"]),
        }

    def cancellation(self, receipt: Receipt) -> dict[str, int]:
        """What a cancel withdrew: {"organisation", "shareBps"} (from its FinancingCancelled event)."""
        [event] = self._events(receipt, "FinancingCancelled")
        return {"organisation": int(event["organisation"]), "shareBps": int(event["shareBps"])}

    def near_duplicates(self, fps: Fingerprints) -> dict[str, str]:
        """Invoices financed or settled that share a secondary fingerprint with ``fps``: {fingerprint: the field it
        differs in}.
        The secondaries are the topics of an anonymous log, the k-th secondary at topic k: one filter each."""
        start = self._deployed_at
        primary = "0x" + fps.primary.hex()
        near: dict[str, str] = {}
        for position, (field, secondary) in enumerate(zip(SECONDARY_FIELDS, fps.secondary, strict=True)):
            topics: list[str | None] = [None] * position + ["0x" + secondary.hex()]
            logs = self.client.w3.eth.get_logs(
                {"address": self.address, "fromBlock": start, "toBlock": "latest", "topics": topics}
            )
            for log in logs:
                if len(log["topics"]) != 4 or len(log["data"]) != 32:
                    continue  # another event of the contract (they have at most three topics)
                other = "0x" + bytes(log["data"]).hex()
                if other != primary:
                    near.setdefault(other, field)
        # a financing cancelled since (the invoice freed) is no longer a near-duplicate of anything
        return {f: d for f, d in near.items() if Status(self._call("check", bytes.fromhex(f[2:]))[3]) != Status.NONE}

    def check(self, fps: Fingerprints, *, buyer: str | None = None) -> Check:
        """The invoice's financing, settled shares, near-duplicates and acknowledgments. Every signer that
        acknowledged it is listed (a key that is not the buyer's proves nothing); ``buyer``: also when that
        address, the buyer the financier knows, acknowledged it."""
        who = parse_address(buyer, "buyer") if buyer is not None else None
        first_org, _first_bps, total, status, since, settled = self._call("check", fps.primary)
        near = self.near_duplicates(fps)
        return Check(
            "0x" + fps.primary.hex(),
            Status(status),
            int(total),
            int(first_org),
            int(since),
            [{"fingerprint": f, "differsIn": d} for f, d in near.items()],
            self.acknowledgers(fps),
            int(settled),
            self.settled_shares(fps) if int(settled) else [],
            who,
            self.acknowledged_at(fps, who) if who is not None else 0,
        )

    def _logs(self, event: str, fps: Fingerprints) -> list[Any]:
        logs = self._event_logs(event, {"fingerprint": fps.primary})
        return sorted(logs, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"])))

    def settled_shares(self, fps: Fingerprints) -> list[dict[str, int]]:
        """The settled shares of an invoice, in the order they were settled (a settled share is never withdrawn)."""
        return [
            {"organisation": int(e["args"]["organisation"]), "shareBps": int(e["args"]["shareBps"])}
            for e in self._logs("InvoiceSettled", fps)
        ]

    def acknowledgers(self, fps: Fingerprints) -> list[str]:
        """Every signer that acknowledged the invoice, in order (each once)."""
        out: list[str] = []
        for e in self._logs("InvoiceAcknowledged", fps):
            signer = str(e["args"]["buyer"])
            if signer not in out:
                out.append(signer)
        return out

    def acknowledged_at(self, fps: Fingerprints, buyer: str) -> int:
        """When ``buyer`` acknowledged the invoice (Unix time; 0 if it did not)."""
        return int(self._call("acknowledgedAt", fps.primary, parse_address(buyer, "buyer")))

    # -------------------------------------------------------------- the buyer's acknowledgment (EIP-712)

    def acknowledgment_message(self, fps: Fingerprints, nonce: int, deadline: int) -> dict[str, Any]:
        """The EIP-712 typed data a buyer signs: the invoice's fingerprint, the buyer's next nonce and a deadline,
        under this registry's domain (name, version, chain id, contract)."""
        return {
            "domain": {
                "name": "tradechain InvoiceRegistry",
                "version": "1",
                "chainId": self.client.chain_id,
                "verifyingContract": self.address,
            },
            "types": ACKNOWLEDGMENT_TYPES,
            "primaryType": "Acknowledgment",
            "message": {"fingerprint": fps.primary, "nonce": nonce, "deadline": deadline},
        }

    def sign_acknowledgment(self, fps: Fingerprints, *, deadline: int, nonce: int | None = None) -> Acknowledgment:
        """The client's signer, as the buyer, acknowledges the invoice (off chain; anyone may relay it)."""
        from eth_account import Account
        from eth_account.messages import encode_typed_data

        if self.client.signer is None:
            raise InputError("account", "signing an acknowledgment needs the buyer's --account")
        if deadline <= 0:
            raise InputError("deadline", "a deadline is a positive Unix time", deadline)
        buyer = self.client.signer.address
        if nonce is None:
            nonce = int(self._call("nonces", buyer))
        message = encode_typed_data(full_message=self.acknowledgment_message(fps, nonce, deadline))
        signed = Account.sign_message(message, self.client.signer.key)
        return Acknowledgment("0x" + fps.primary.hex(), buyer, nonce, deadline, "0x" + bytes(signed.signature).hex())

    def acknowledge(self, ack: Acknowledgment) -> Receipt:
        """Records a buyer's signed acknowledgment (the contract checks the signature and uses up the nonce)."""
        return self._send(
            "acknowledge",
            bytes.fromhex(ack.fingerprint[2:]),
            ack.buyer,
            ack.nonce,
            ack.deadline,
            bytes.fromhex(ack.signature[2:]),
        )


@dataclass(frozen=True)
class Acknowledgment:
    """A buyer's signed acknowledgment of an invoice, as JSON travels between buyer and financier."""

    fingerprint: str
    buyer: str
    nonce: int
    deadline: int
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "buyer": self.buyer,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Any) -> Acknowledgment:
        if not isinstance(data, dict):
            raise InputError("acknowledgment", "a JSON object with fingerprint, buyer, nonce, deadline, signature")
        for key in ("fingerprint", "buyer", "nonce", "deadline", "signature"):
            if key not in data:
                raise InputError(key, "is required in an acknowledgment")
        signature = str(data["signature"]).strip()
        if not re.fullmatch(r"0x(?:[0-9a-fA-F]{2})+", signature):
            raise InputError("signature", "a signature is 0x followed by hex bytes", data["signature"])
        return cls(
            "0x" + parse_bytes32(data["fingerprint"], "fingerprint").hex(),
            parse_address(data["buyer"], "buyer"),
            parse_uint(data["nonce"], "nonce"),
            parse_uint(data["deadline"], "deadline"),
            signature.lower(),
        )

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
from tradechain.errors import InputError, NearDuplicateFound
from tradechain.formats.invoice_fingerprints import SECONDARY_FIELDS, Fingerprints
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint

NAME = "InvoiceRegistry"
BATCH_SIZE = 250  # about 30,000 gas per invoice with four secondaries: 250 stay well under the 2^24 cap
INVOICE_FIELDS = ("seller", "buyer", "number", "date", "currency", "amount")  # a canonical invoice's fields
TOPICS_PER_FILTER = 100  # secondary fingerprints asked for in one log filter (an OR at one topic position)
MAX_REASON = 500  # characters of the reason a near-duplicate is financed anyway
_ZERO = bytes(32)
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
class NearDuplicate:
    """Invoice ``fingerprint`` resembles invoice ``resembles``: they have every field the same but ``differs_in``
    (they share the secondary fingerprint that leaves that field out). The invoice it resembles is financed or
    settled (``status``), or, in a portfolio, another invoice of it not registered yet (``status`` NONE).
    ``item``/``resembles_item``: their indexes in the portfolio (None: not in it, or not a portfolio)."""

    fingerprint: str
    resembles: str
    differs_in: str
    status: Status
    item: int | None = None
    resembles_item: int | None = None

    @property
    def matches(self) -> list[str]:
        """The fields the two invoices have the same (all but :attr:`differs_in`)."""
        return [f for f in INVOICE_FIELDS if f != self.differs_in]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.item is not None:
            out["invoice"] = self.item + 1  # counted from 1, as the portfolio's refusals are
        out |= {
            "fingerprint": self.fingerprint,
            "resembles": self.resembles,
            "resemblesStatus": self.status.name,
            "matches": self.matches,
            "differsIn": self.differs_in,
        }
        if self.resembles_item is not None:
            out["resemblesInvoice"] = self.resembles_item + 1
        return out

    def text(self) -> str:
        """One line: which invoice resembles which, the fields that match and the one that differs."""
        own = f"invoice {self.item + 1}" if self.item is not None else f"invoice {self.fingerprint[:14]}…"
        if self.resembles_item is not None and self.status == Status.NONE:
            other = f"invoice {self.resembles_item + 1} of this portfolio"
        else:
            other = f"{self.status.name.lower()} invoice {self.resembles}"
            if self.resembles_item is not None:
                other += f" (invoice {self.resembles_item + 1} of this portfolio)"
        return f"{own} resembles {other}: same {', '.join(self.matches)}; differs in {self.differs_in} only"


@dataclass(frozen=True)
class Financing:
    """What :meth:`InvoiceRegistryClient.finance` did: the transaction, and the near-duplicates it was told to
    accept, with the reason (``accepted`` None when there were none)."""

    receipt: Receipt
    near_duplicates: list[NearDuplicate]
    accepted: str | None


@dataclass(frozen=True)
class PortfolioResult:
    financed: list[bool]  # per item: financed by this organisation (now or in an earlier run) or refused
    already: list[int]  # indexes held from an earlier run, not sent again (a resumed import)
    transactions: list[str]
    near_duplicates: list[NearDuplicate] = dataclasses.field(default_factory=list)  # found, and accepted
    accepted: str | None = None  # the reason they were accepted (None when there were none)

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


def parse_reason(value: str | None, field: str = "accept-near-duplicate") -> str | None:
    """The reason a financier gives for financing a near-duplicate anyway (None: none given): one line of text,
    white space collapsed, 1 to MAX_REASON characters."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        raise InputError(field, "give the reason you finance a near-duplicate anyway (it is recorded in the output)")
    if len(text) > MAX_REASON:
        raise InputError(field, f"a reason is at most {MAX_REASON} characters, not {len(text)}")
    return text


def near_duplicate_refusal(found: Sequence[NearDuplicate], hint: str = "--accept-near-duplicate REASON") -> str:
    """The one line of a refused near-duplicate: which invoices resemble which (the first five of a portfolio),
    that nothing was sent, and how to finance them anyway (``hint``)."""
    portfolio = any(n.item is not None for n in found)
    if not portfolio:
        head = "near-duplicate: " + "; ".join(n.text() for n in found) + ": nothing sent"
    else:
        rows = sorted({n.item for n in found if n.item is not None})
        shown = [n.text() for n in found[:5]]
        more = f"; and {len(found) - 5} more" if len(found) > 5 else ""
        head = (
            f"near-duplicates in the portfolio, invoice(s) {', '.join(str(r + 1) for r in rows)}: "
            + "; ".join(shown)
            + more
            + ": nothing of the portfolio sent"
        )
    return f"{head}; to finance {'them' if len(found) > 1 else 'it'} anyway, give {hint}"


class InvoiceRegistryClient(ContractClient, name=NAME):
    def register(
        self, fps: Fingerprints, share_bps: int = 10_000, *, accept_near_duplicate: str | None = None
    ) -> Receipt:
        """Finances ``share_bps`` of the invoice; see :meth:`finance` (near-duplicates are refused before
        sending, unless accepted with a reason)."""
        return self.finance(fps, share_bps, accept_near_duplicate=accept_near_duplicate).receipt

    def finance(
        self, fps: Fingerprints, share_bps: int = 10_000, *, accept_near_duplicate: str | None = None
    ) -> Financing:
        """Finances ``share_bps`` of the invoice. First, the check ``check`` does: an invoice resembling one
        financed or settled (every field but one the same: an altered copy) raises :class:`NearDuplicateFound`
        and nothing is sent, unless ``accept_near_duplicate`` gives the reason to finance it anyway (returned
        with the near-duplicates, for the record). The registry itself refuses exact duplicates."""
        share = parse_share(share_bps)
        reason = parse_reason(accept_near_duplicate)
        four = _four(fps)
        near = self.screen([fps])
        if near and reason is None:
            raise NearDuplicateFound(near_duplicate_refusal(near), [n.to_json() for n in near])
        receipt = self._send("register", fps.primary, share, four)
        return Financing(receipt, near, reason if near else None)

    def register_batch(
        self,
        items: Sequence[Fingerprints],
        share_bps: int = 10_000,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        accept_near_duplicate: str | None = None,
    ) -> PortfolioResult:
        """Registers a portfolio, ``batch_size`` per transaction; per-item results (a duplicate is refused, the
        rest go through). Invoices this organisation holds a share of already are not sent again, so running it
        again after an interruption (a crash, a node restart) registers the rest and nothing twice.

        All or nothing for near-duplicates: if an invoice to send resembles one financed or settled, or another
        invoice of the portfolio (:meth:`screen`), :class:`NearDuplicateFound` names them all and nothing is
        sent, unless ``accept_near_duplicate`` gives the reason to finance them anyway."""
        share = parse_share(share_bps)
        reason = parse_reason(accept_near_duplicate)
        for f in items:
            _four(f)
        org, _ = self.client.participants.organisation_of(self.client.require_signer().address)
        held: list[int] = []
        for start in range(0, len(items), 1_000):
            keys = [f.primary for f in items[start : start + 1_000]]
            held += [int(v) for v in self._call("sharesOf", keys, org)]
        financed: list[bool] = [bool(h) for h in held]
        todo = [i for i, h in enumerate(held) if not h]
        near = self._screen(items, todo, portfolio=True)
        if near and reason is None:
            raise NearDuplicateFound(near_duplicate_refusal(near), [n.to_json() for n in near])
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
        return PortfolioResult(financed, [i for i, h in enumerate(held) if h], txs, near, reason if near else None)

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
        differs in}."""
        return {other: field for other, (field, _status) in self._registered_near([fps])[0].items()}

    def screen(self, items: Sequence[Fingerprints]) -> list[NearDuplicate]:
        """The near-duplicates of ``items``, in their order: each invoice resembling one financed or settled and,
        for a portfolio (more than one item), one resembling an earlier invoice of it. An exact duplicate (the
        same fingerprint) is not a near-duplicate: the registry refuses it itself."""
        return self._screen(items, range(len(items)), portfolio=len(items) > 1)

    def _screen(self, items: Sequence[Fingerprints], todo: Sequence[int], *, portfolio: bool) -> list[NearDuplicate]:
        """:meth:`screen` of ``items[i]`` for each i in ``todo`` (the ones to send); ``portfolio``: the indexes
        are kept, and each item is compared with the earlier ones of ``todo`` too."""
        picked = [items[i] for i in todo]
        registered = self._registered_near(picked)
        position_of = {"0x" + f.primary.hex(): i for i, f in reversed(list(enumerate(items)))}
        earlier: dict[tuple[int, bytes], int] = {}
        out: list[NearDuplicate] = []
        for i, fps, found in zip(todo, picked, registered, strict=True):
            own = "0x" + fps.primary.hex()
            item = i if portfolio else None
            for other, (field, status) in found.items():
                out.append(
                    NearDuplicate(own, other, field, status, item, position_of.get(other) if portfolio else None)
                )
            if not portfolio:
                continue
            for position, (field, secondary) in enumerate(zip(SECONDARY_FIELDS, fps.secondary, strict=True)):
                if secondary == _ZERO:
                    continue
                j = earlier.setdefault((position, secondary), i)
                other = "0x" + items[j].primary.hex()
                if j != i and other != own and other not in found:
                    out.append(NearDuplicate(own, other, field, Status.NONE, i, j))
        return out

    def _registered_near(self, items: Sequence[Fingerprints]) -> list[dict[str, tuple[str, Status]]]:
        """Per item, the invoices financed or settled sharing a secondary fingerprint with it: {fingerprint: (the
        field it differs in, its status)}. The secondaries are the topics of an anonymous log, the k-th secondary
        at topic k: one filter per position and TOPICS_PER_FILTER secondaries (an OR of topics)."""
        start = self._deployed_at
        # per position: secondary -> the fingerprints of the invoices registered with it, in log order
        seen: list[dict[bytes, list[str]]] = [{} for _ in SECONDARY_FIELDS]
        for position in range(len(SECONDARY_FIELDS)):
            wanted = sorted({f.secondary[position] for f in items} - {_ZERO})
            for at in range(0, len(wanted), TOPICS_PER_FILTER):
                chunk = ["0x" + s.hex() for s in wanted[at : at + TOPICS_PER_FILTER]]
                topics: list[Any] = [None] * position + [chunk]
                logs = self.client.w3.eth.get_logs(
                    {"address": self.address, "fromBlock": start, "toBlock": "latest", "topics": topics}
                )
                for log in logs:
                    if len(log["topics"]) != 4 or len(log["data"]) != 32:
                        continue  # another event of the contract (they have at most three topics)
                    primaries = seen[position].setdefault(bytes(log["topics"][position]), [])
                    other = "0x" + bytes(log["data"]).hex()
                    if other not in primaries:
                        primaries.append(other)
        statuses: dict[str, Status] = {}
        out: list[dict[str, tuple[str, Status]]] = []
        for fps in items:
            primary = "0x" + fps.primary.hex()
            near: dict[str, tuple[str, Status]] = {}
            for position, (field, secondary) in enumerate(zip(SECONDARY_FIELDS, fps.secondary, strict=True)):
                for other in seen[position].get(secondary, []) if secondary != _ZERO else []:
                    if other == primary or other in near:
                        continue
                    if other not in statuses:
                        statuses[other] = Status(self._call("check", bytes.fromhex(other[2:]))[3])
                    # a financing cancelled since (the invoice freed) is no longer a near-duplicate of anything
                    if statuses[other] != Status.NONE:
                        near[other] = (field, statuses[other])
            out.append(near)
        return out

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

"""Client of ``TradeEscrow``: open, fund, release (with document proofs), refund, dispute, resolve, and an
explanation of what a release still lacks. An escrow's terms come back from its own opening event."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode
from eth_hash.auto import keccak

from tradechain import documents
from tradechain.errors import InputError
from tradechain.tx import Receipt
from tradechain.values import parse_address

if TYPE_CHECKING:
    from tradechain.client import Client

NAME = "TradeEscrow"
TERMS_TYPE = "(address,address,address,address,address,uint96,uint40,bytes32,bytes32,(uint16,uint16,uint32)[])"


class Status(IntEnum):
    NONE = 0
    OPEN = 1
    FUNDED = 2
    DISPUTED = 3
    CLOSED = 4


@dataclass(frozen=True)
class Milestone:
    bps: int
    required_docs: tuple[str, ...]  # document type names
    issuer: int = 0  # the organisation that must issue them; 0: any holder of the role

    def encoded(self) -> tuple[int, int, int]:
        mask = 0
        for name in self.required_docs:
            mask |= 1 << documents.parse_doc_type(name, "milestone documents")
        return (self.bps, mask, self.issuer)


@dataclass(frozen=True)
class Terms:
    funder: str
    buyer: str
    seller: str
    arbiter: str
    token: str
    amount: int  # in the token's smallest units
    deadline: int  # unix time
    trade_id: str
    milestones: tuple[Milestone, ...]
    salt: bytes = field(default_factory=lambda: os.urandom(32))

    def encoded(self) -> tuple[Any, ...]:
        if not 0 < self.amount < 2**96:
            raise InputError("amount", "must be positive and below 2^96 units", self.amount)
        if not self.milestones or len(self.milestones) > 8:
            raise InputError("milestones", "1 to 8 milestones")
        if sum(m.bps for m in self.milestones) != 10_000:
            raise InputError("milestones", "shares must add up to 100% (10,000 bps)")
        return (
            parse_address(self.funder, "funder"),
            parse_address(self.buyer, "buyer"),
            parse_address(self.seller, "seller"),
            parse_address(self.arbiter, "arbiter"),
            parse_address(self.token, "token"),
            self.amount,
            self.deadline,
            documents.trade_id(self.trade_id),
            self.salt,
            [m.encoded() for m in self.milestones],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "funder": self.funder,
            "buyer": self.buyer,
            "seller": self.seller,
            "arbiter": self.arbiter,
            "token": self.token,
            "amount": self.amount,
            "deadline": self.deadline,
            "tradeId": self.trade_id,
            "salt": "0x" + self.salt.hex(),
            "milestones": [
                {"bps": m.bps, "documents": list(m.required_docs), "issuer": m.issuer} for m in self.milestones
            ],
        }

    @classmethod
    def decode(cls, raw: tuple[Any, ...]) -> Terms:
        funder, buyer, seller, arbiter, token, amount, deadline, trade, salt, ms = raw
        milestones = tuple(
            Milestone(bps, tuple(documents.DOC_TYPE_NAMES[t] for t in range(1, 10) if mask >> t & 1), issuer)
            for bps, mask, issuer in ms
        )
        from eth_utils import to_checksum_address

        trade_text = bytes(trade).rstrip(b"\0").decode(errors="replace")
        return cls(
            to_checksum_address(funder),
            to_checksum_address(buyer),
            to_checksum_address(seller),
            to_checksum_address(arbiter),
            to_checksum_address(token),
            amount,
            deadline,
            trade_text,
            milestones,
            bytes(salt),
        )


def missing_names(mask: int) -> list[str]:
    return [documents.DOC_TYPE_NAMES[t] for t in range(1, 10) if mask >> t & 1]


class EscrowClient:
    def __init__(self, client: Client, address: str | None = None) -> None:
        self.client = client
        self.contract = client.contract(NAME, address)
        self.address = self.contract.address

    def _send(self, fn: str, *args: Any) -> Receipt:
        return self.client.send(self.contract, fn, *args, label=f"{NAME}.{fn}")

    @staticmethod
    def escrow_id(terms: Terms) -> str:
        from eth_abi import encode as abi_encode

        return "0x" + keccak(abi_encode([TERMS_TYPE], [terms.encoded()])).hex()

    def open(self, terms: Terms) -> tuple[str, Receipt]:
        receipt = self._send("open", terms.encoded())
        return self.escrow_id(terms), receipt

    def fund(self, terms: Terms) -> Receipt:
        """Approves the escrow for the amount (if needed) and funds it."""
        token = self.client.contract("MockUSDC", terms.token)  # any ERC-20: the ABI of approve/allowance
        owner = self.client.require_signer().address
        if int(token.functions.allowance(owner, self.address).call()) < terms.amount:
            self.client.send(token, "approve", self.address, terms.amount, label="ERC20.approve")
        return self._send("fund", terms.encoded())

    def proofs_for(self, files: Sequence[Path]) -> list[tuple[bytes, int, bytes, int, list[bytes]]]:
        out = []
        for path in files:
            doc_hash, kind, _trade, root, issuer, branch = documents.read_proof(Path(path)).call_args()
            out.append((doc_hash, kind, root, issuer, branch))
        return out

    def missing(self, terms: Terms, milestone: int, files: Sequence[Path] = ()) -> list[str]:
        """The document types milestone ``milestone`` still lacks with these documents (empty: releasable)."""
        mask = self.client.call(self.contract, "missingDocuments", terms.encoded(), milestone, self.proofs_for(files))
        return missing_names(int(mask))

    def release(self, terms: Terms, milestone: int, files: Sequence[Path]) -> Receipt:
        return self._send("release", terms.encoded(), milestone, self.proofs_for(files))

    def refund(self, terms: Terms) -> Receipt:
        return self._send("refund", terms.encoded())

    def dispute(self, terms: Terms, reason: str) -> Receipt:
        from tradechain.values import reason_code

        return self._send("dispute", terms.encoded(), reason_code(reason))

    def resolve(self, terms: Terms, seller_bps: int) -> Receipt:
        if not 0 <= seller_bps <= 10_000:
            raise InputError("seller-share", "between 0 and 10,000 bps (0-100%)", seller_bps)
        return self._send("resolve", terms.encoded(), seller_bps)

    def state(self, escrow_id: str) -> dict[str, Any]:
        status, mask, funded, paid = self.client.call(self.contract, "getState", bytes.fromhex(escrow_id[2:]))
        return {
            "status": Status(status).name,
            "releasedMilestones": [i for i in range(8) if mask >> i & 1],
            "funded": int(funded),
            "paidOut": int(paid),
            "held": int(funded) - int(paid),
        }

    def terms_of(self, escrow_id: str) -> Terms:
        """The terms of an escrow, from its EscrowOpened event."""
        start = self.client.deployment.contracts[NAME].block
        logs = self.contract.events.EscrowOpened().get_logs(
            from_block=start, argument_filters={"escrowId": bytes.fromhex(escrow_id[2:])}
        )
        if not logs:
            raise InputError("escrow", "no escrow with this id on this chain", escrow_id)
        (raw,) = abi_decode([TERMS_TYPE], bytes(logs[0]["args"]["terms"]))
        return Terms.decode(raw)

"""Client of ``TradeEscrow``: open, fund, release (with document proofs), refund, dispute, resolve, and an
explanation of what a release still lacks. An escrow's terms come back from its own opening event.

An escrow's documents are issued for it: their trade id is the escrow id (``doc anchor --escrow``), so one set of
documents pays one escrow only. A proof issued for another escrow, or for the trade's textual reference, is refused
with an :class:`~tradechain.errors.InputError` naming the file before anything is sent. A buyer disputes once,
up to the deadline; the arbiter then has ``ARBITRATION_PERIOD`` (30 days): after it the dispute lapses, releases
and refunds apply again, and the refund waits until the deadline plus that period."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_hash.auto import keccak

from tradechain.chain.tx import Receipt
from tradechain.contracts import document_registry
from tradechain.contracts.base import ContractClient
from tradechain.contracts.erc20 import Token
from tradechain.errors import InputError
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint

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
            mask |= 1 << document_registry.parse_doc_type(name, "milestone documents")
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
    trade_id: str  # as given (text, or 0x and 64 hex digits); read back from chain: text if printable, else 0x hex
    milestones: tuple[Milestone, ...]
    salt: bytes = field(default_factory=lambda: os.urandom(32))

    @property
    def trade_bytes(self) -> bytes:
        """The trade id as the contract holds it (bytes32): a 0x id is these bytes exactly, never decoded."""
        return document_registry.trade_id(self.trade_id)

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
            self.trade_bytes,
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
    def from_json(cls, data: Any) -> Terms:
        """Terms as :meth:`to_json` writes them (the ``terms`` of ``escrow open --json``)."""
        if not isinstance(data, dict):
            raise InputError("terms", "a JSON object of escrow terms (the 'terms' of `escrow open --json`)")
        keys = ("funder", "buyer", "seller", "arbiter", "token", "amount", "deadline", "tradeId", "salt", "milestones")
        for key in keys:
            if key not in data:
                raise InputError(f"terms.{key}", "is required")
        if not isinstance(data["milestones"], list):
            raise InputError("terms.milestones", "a list of {bps, documents, issuer}")
        milestones = []
        for i, m in enumerate(data["milestones"]):
            if not isinstance(m, dict) or not isinstance(m.get("documents"), list):
                raise InputError(f"terms.milestones[{i}]", "an object {bps, documents, issuer}")
            for name in m["documents"]:
                document_registry.parse_doc_type(name, f"terms.milestones[{i}].documents")
            milestones.append(
                Milestone(
                    parse_uint(m.get("bps", 0), f"terms.milestones[{i}].bps", bits=16),
                    tuple(m["documents"]),
                    parse_uint(m.get("issuer", 0), f"terms.milestones[{i}].issuer", bits=32),
                )
            )
        return cls(
            parse_address(data["funder"], "terms.funder"),
            parse_address(data["buyer"], "terms.buyer"),
            parse_address(data["seller"], "terms.seller"),
            parse_address(data["arbiter"], "terms.arbiter"),
            parse_address(data["token"], "terms.token"),
            parse_uint(data["amount"], "terms.amount", bits=96),
            parse_uint(data["deadline"], "terms.deadline", bits=40),
            _trade_text(data["tradeId"]),
            tuple(milestones),
            parse_bytes32(str(data["salt"]), "terms.salt"),
        )

    @classmethod
    def decode(cls, raw: tuple[Any, ...]) -> Terms:
        funder, buyer, seller, arbiter, token, amount, deadline, trade, salt, ms = raw
        milestones = tuple(
            Milestone(
                bps,
                tuple(
                    document_registry.DOC_TYPE_NAMES[t]
                    for t in sorted(document_registry.DOC_TYPE_NAMES)
                    if mask >> t & 1
                ),
                issuer,
            )
            for bps, mask, issuer in ms
        )
        from eth_utils import to_checksum_address

        trade_text = document_registry.text_or_hex(
            bytes(trade)
        )  # parses back to the same bytes: see document_registry.trade_id
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


def _trade_text(value: Any) -> str:
    """The ``tradeId`` of terms JSON: a string that encodes (text, or 0x and 64 hex digits), never a number or null
    turned into text."""
    if not isinstance(value, str):
        raise InputError("terms.tradeId", "a string: the trade id text, or 0x and 64 hex digits")
    document_registry.trade_id(value, "terms.tradeId")
    return value


def missing_names(mask: int) -> list[str]:
    return [document_registry.DOC_TYPE_NAMES[t] for t in sorted(document_registry.DOC_TYPE_NAMES) if mask >> t & 1]


def is_escrow_id(value: str) -> bool:
    return re.fullmatch(r"0x[0-9a-fA-F]{64}", value) is not None


class EscrowClient(ContractClient, name=NAME):
    @staticmethod
    def escrow_id(terms: Terms) -> str:
        from eth_abi import encode as abi_encode

        return "0x" + keccak(abi_encode([TERMS_TYPE], [terms.encoded()])).hex()

    @cached_property
    def arbitration_period(self) -> int:
        """How long the arbiter has to resolve a dispute, in seconds (the contract's ARBITRATION_PERIOD)."""
        return int(self._call("ARBITRATION_PERIOD"))

    def open(self, terms: Terms) -> tuple[str, Receipt]:
        receipt = self._send("open", terms.encoded())
        return self.escrow_id(terms), receipt

    def fund(self, terms: Terms) -> Receipt:
        """Approves the escrow for the amount (if needed) and funds it."""
        token = Token(self.client, terms.token).contract  # any ERC-20: the ABI of approve/allowance
        owner = self.client.require_signer().address
        if int(token.functions.allowance(owner, self.address).call()) < terms.amount:
            self.client.send(token, "approve", self.address, terms.amount, label="ERC20.approve")
        return self._send("fund", terms.encoded())

    def proofs_for(
        self, files: Sequence[Path], terms: Terms | None = None
    ) -> list[tuple[bytes, int, bytes, int, list[bytes]]]:
        """The proofs of ``files`` as the escrow takes them. Each file is hashed again and must be the document its
        proof names (a proof copied beside another file proves nothing of it). With ``terms``: each must be issued
        for that escrow (its trade id the escrow id, on this chain's document registry). Else an InputError names
        the file, before anything is sent."""
        out = []
        for path in files:
            proof = document_registry.read_proof(Path(path))
            actual = "0x" + document_registry.document_hash(Path(path)).hex()
            if actual != proof.document_hash.lower():
                raise InputError(
                    "documents",
                    f"{Path(path).name} is not the document its proof was issued for (its hash {actual} is not "
                    f"the proof's documentHash {proof.document_hash}): its content changed, or the proof is another's",
                )
            if terms is not None:
                self._check_bound(Path(path), proof, terms)
            doc_hash, kind, _trade, root, issuer, branch = proof.call_args()
            out.append((doc_hash, kind, root, issuer, branch))
        return out

    def _check_bound(self, path: Path, proof: document_registry.DocumentProof, terms: Terms) -> None:
        escrow_id = self.escrow_id(terms)
        if proof.chain_id != self.client.chain_id or proof.registry.lower() != self.client.documents.address.lower():
            raise InputError(
                "documents",
                f"{path.name} was anchored in another document registry ({proof.registry} on chain "
                f"{proof.chain_id}), not the one of this escrow",
            )
        if proof.trade_id.lower() == escrow_id:
            return
        trade = document_registry.text_or_hex(bytes.fromhex(proof.trade_id[2:]))
        if is_escrow_id(trade) and self.exists(trade):
            raise InputError(
                "documents",
                f"{path.name} was issued for another escrow, {trade}, not for escrow {escrow_id}: one set of "
                "documents pays one escrow",
            )
        what = f"trade {trade}"
        if trade == terms.trade_id:
            what += ", this escrow's trade reference (escrow documents name the escrow id)"
        raise InputError(
            "documents",
            f"{path.name} was issued for {what}, not for escrow {escrow_id}; its issuer anchors it for this escrow: "
            f"tradechain doc anchor {path.name} --type {document_registry.DOC_TYPE_NAMES[proof.doc_type]} "
            f"--escrow {escrow_id}",
        )

    def exists(self, escrow_id: str) -> bool:
        status = self._call("getState", bytes.fromhex(escrow_id[2:]))[0]
        return int(status) != Status.NONE

    def missing(self, terms: Terms, milestone: int, files: Sequence[Path] = ()) -> list[str]:
        """The document types milestone ``milestone`` still lacks with these documents (empty: releasable).
        A document issued for another escrow or trade is refused (InputError) rather than passed over."""
        mask = self._call("missingDocuments", terms.encoded(), milestone, self.proofs_for(files, terms))
        return missing_names(int(mask))

    def release(self, terms: Terms, milestone: int, files: Sequence[Path]) -> Receipt:
        return self._send("release", terms.encoded(), milestone, self.proofs_for(files, terms))

    def refund(self, terms: Terms) -> Receipt:
        return self._send("refund", terms.encoded())

    def dispute(self, terms: Terms, reason: str) -> Receipt:
        from tradechain.formats.values import reason_code

        return self._send("dispute", terms.encoded(), reason_code(reason))

    def resolve(self, terms: Terms, seller_bps: int) -> Receipt:
        if not 0 <= seller_bps <= 10_000:
            raise InputError("seller-share", "between 0 and 10,000 bps (0-100%)", seller_bps)
        return self._send("resolve", terms.encoded(), seller_bps)

    def state(self, escrow_id: str) -> dict[str, Any]:
        """The escrow's state as stored (times in Unix seconds, ``disputedAt`` 0 if never disputed)."""
        status, mask, funded, paid, disputed_at = self._call("getState", bytes.fromhex(escrow_id[2:]))
        return {
            "status": Status(status).name,
            "releasedMilestones": [i for i in range(8) if mask >> i & 1],
            "funded": int(funded),
            "paidOut": int(paid),
            "held": int(funded) - int(paid),
            "disputedAt": int(disputed_at),
        }

    def timeline(self, terms: Terms, state: dict[str, Any], now: int | None = None) -> dict[str, Any]:
        """The escrow's dates (Unix seconds): the dispute window closes at the deadline; a dispute lapses
        ``arbitration_period`` after it was raised (then releases and refunds apply again: ``disputeLapsed``);
        a refund needs the deadline passed, plus that period once the buyer disputed."""
        if now is None:
            now = int(self.client.w3.eth.get_block("latest")["timestamp"])
        disputed_at = int(state["disputedAt"])
        lapses_at = disputed_at + self.arbitration_period if disputed_at else 0
        return {
            "deadline": terms.deadline,
            "disputeWindowClosesAt": terms.deadline,
            "arbitrationLapsesAt": lapses_at,
            "disputeLapsed": state["status"] == Status.DISPUTED.name and now > lapses_at,
            "refundableAfter": terms.deadline + (self.arbitration_period if disputed_at else 0),
        }

    def terms_of(self, escrow_id: str) -> Terms:
        """The terms of an escrow, from its EscrowOpened event."""
        logs = self._event_logs("EscrowOpened", {"escrowId": bytes.fromhex(escrow_id[2:])})
        if not logs:
            raise InputError("escrow", "no escrow with this id on this chain", escrow_id)
        (raw,) = abi_decode([TERMS_TYPE], bytes(logs[0]["args"]["terms"]))
        return Terms.decode(raw)

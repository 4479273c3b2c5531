"""Client of ``DvPSettlement``: delivery versus payment of an eBL. The buyer or its bank opens a settlement on
terms; the funder pays in; the seller, holder and beneficiary of the title, puts it in (the SDK approves the
settlement on the TitleRegistry first); one ``settle`` pays the seller and makes the buyer holder and beneficiary;
after the deadline ``refund`` gives each side its own back. A settlement's terms come back from its opening event.

The documentary conditions are documents anchored for the settlement: their trade id is the settlement id
(``doc anchor FILE --type TYPE --trade SETTLEMENT``: ``--escrow`` looks the id up in TradeEscrow), so one set of
documents settles one settlement only."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from tradechain.chain.reverts import iso_time
from tradechain.chain.tx import Receipt
from tradechain.contracts import document_registry
from tradechain.contracts.base import ContractClient
from tradechain.contracts.erc20 import Token
from tradechain.contracts.title_registry import hex_id, parse_title_id
from tradechain.errors import InputError
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint

NAME = "DvPSettlement"
TERMS_TYPE = "(address,address,address,address,uint96,uint40,uint256,uint16,uint32,bytes32,bytes32)"
ZERO32 = b"\0" * 32


class Status(IntEnum):
    NONE = 0
    OPEN = 1
    SETTLED = 2
    CLOSED = 3


@dataclass(frozen=True)
class Terms:
    seller: str
    buyer: str
    funder: str
    token: str
    amount: int  # in the token's smallest units
    deadline: int  # unix time
    title_id: int
    documents: tuple[str, ...] = ()  # document type names to prove, anchored for the settlement
    doc_issuer: int = 0  # the organisation that must issue them; 0: any holder of the role
    invoice: bytes = ZERO32  # the invoice's fingerprint when financed (InvoiceRegistry); zero: not financed
    salt: bytes = field(default_factory=lambda: os.urandom(32))

    def doc_mask(self) -> int:
        mask = 0
        for name in self.documents:
            mask |= 1 << document_registry.parse_doc_type(name, "documents")
        return mask

    def encoded(self) -> tuple[Any, ...]:
        if not 0 < self.amount < 2**96:
            raise InputError("amount", "must be positive and below 2^96 units", self.amount)
        return (
            parse_address(self.seller, "seller"),
            parse_address(self.buyer, "buyer"),
            parse_address(self.funder, "funder"),
            parse_address(self.token, "token"),
            self.amount,
            self.deadline,
            self.title_id,
            self.doc_mask(),
            self.doc_issuer,
            self.invoice,
            self.salt,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seller": self.seller,
            "buyer": self.buyer,
            "funder": self.funder,
            "token": self.token,
            "amount": self.amount,
            "deadline": self.deadline,
            "title": hex_id(self.title_id),
            "documents": list(self.documents),
            "docIssuer": self.doc_issuer,
            "invoice": None if self.invoice == ZERO32 else "0x" + self.invoice.hex(),
            "salt": "0x" + self.salt.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Terms:
        """Terms as :meth:`to_json` writes them (the ``terms`` of ``dvp open --json``)."""
        if not isinstance(data, dict):
            raise InputError("terms", "a JSON object of settlement terms (the 'terms' of `dvp open --json`)")
        for key in ("seller", "buyer", "funder", "token", "amount", "deadline", "title", "salt"):
            if key not in data:
                raise InputError(f"terms.{key}", "is required")
        docs = data.get("documents", [])
        if not isinstance(docs, list):
            raise InputError("terms.documents", "a list of document type names")
        for name in docs:
            document_registry.parse_doc_type(name, "terms.documents")
        invoice = data.get("invoice")
        return cls(
            parse_address(data["seller"], "terms.seller"),
            parse_address(data["buyer"], "terms.buyer"),
            parse_address(data["funder"], "terms.funder"),
            parse_address(data["token"], "terms.token"),
            parse_uint(data["amount"], "terms.amount", bits=96),
            parse_uint(data["deadline"], "terms.deadline", bits=40),
            parse_title_id(str(data["title"]), "terms.title"),
            tuple(docs),
            parse_uint(data.get("docIssuer", 0), "terms.docIssuer", bits=32),
            parse_bytes32(str(invoice), "terms.invoice") if invoice else ZERO32,
            parse_bytes32(str(data["salt"]), "terms.salt"),
        )

    @classmethod
    def decode(cls, raw: tuple[Any, ...]) -> Terms:
        seller, buyer, funder, token, amount, deadline, title, mask, issuer, invoice, salt = raw
        names = tuple(
            document_registry.DOC_TYPE_NAMES[t] for t in sorted(document_registry.DOC_TYPE_NAMES) if mask >> t & 1
        )
        return cls(
            to_checksum_address(seller),
            to_checksum_address(buyer),
            to_checksum_address(funder),
            to_checksum_address(token),
            int(amount),
            int(deadline),
            int(title),
            names,
            int(issuer),
            bytes(invoice),
            bytes(salt),
        )


def settlement_id(terms: Terms) -> str:
    return "0x" + keccak(abi_encode([TERMS_TYPE], [terms.encoded()])).hex()


class DvPClient(ContractClient, name=NAME):
    @staticmethod
    def settlement_id(terms: Terms) -> str:
        return settlement_id(terms)

    def open(self, terms: Terms) -> tuple[str, Receipt]:
        if terms.seller.lower() == terms.buyer.lower():
            raise InputError("buyer", "the buyer is the seller")
        title = self.client.titles.require(terms.title_id)
        if title.status.name != "ISSUED":
            raise InputError("title", f"the eBL is {title.status.name}, not ISSUED", hex_id(terms.title_id))
        receipt = self._send("open", terms.encoded())
        return settlement_id(terms), receipt

    def _require_open(self, terms: Terms, what: str) -> None:
        """Before an approval is sent for ``fund`` or ``deliver``: the settlement is open, before its deadline, and
        ``what`` ("funded" or "delivered") is not in yet; else an InputError, and nothing is sent."""
        sid = settlement_id(terms)
        st = self.state(sid)
        if st["status"] == Status.NONE.name:
            raise InputError("settlement", "no settlement with these terms on this chain", sid)
        if st["status"] != Status.OPEN.name:
            raise InputError("settlement", f"the settlement is {st['status']}, not OPEN", sid)
        if st[what]:
            thing = "the payment" if what == "funded" else "the eBL"
            raise InputError("settlement", f"{thing} is in already", sid)
        if self.client.chain_time() > terms.deadline:
            raise InputError(
                "settlement", f"its deadline {iso_time(terms.deadline)} has passed: nothing more can be put in", sid
            )

    def fund(self, terms: Terms) -> Receipt:
        """Approves the settlement for the amount (if needed) and pays it in (checked first: the settlement is open,
        before its deadline, and not funded yet)."""
        self._require_open(terms, "funded")
        token = Token(self.client, terms.token).contract
        owner = self.client.require_signer().address
        if int(token.functions.allowance(owner, self.address).call()) < terms.amount:
            self.client.send(token, "approve", self.address, terms.amount, label="ERC20.approve")
        return self._send("fund", terms.encoded())

    def deliver(self, terms: Terms) -> Receipt:
        """Approves the settlement on the TitleRegistry (if needed) and puts the title in. Checked first: the
        signer is the seller, and the title's holder and beneficiary; the settlement is open, before its deadline,
        and the title not in yet."""
        me = self.client.require_signer().address
        if me.lower() != terms.seller.lower():
            raise InputError("account", f"only the seller {terms.seller} puts the title in; the signer is {me}")
        self._require_open(terms, "delivered")
        titles = self.client.titles
        title = titles.require(terms.title_id)
        if title.holder.lower() != me.lower() or title.beneficiary.lower() != me.lower():
            raise InputError(
                "title",
                f"the seller must be the eBL's holder and beneficiary (holder {title.holder}, beneficiary "
                f"{title.beneficiary})",
                hex_id(terms.title_id),
            )
        if title.approved.lower() != self.address.lower():
            titles.approve(terms.title_id, self.address)
        return self._send("deliver", terms.encoded())

    def proofs_for(self, files: Sequence[Path], terms: Terms) -> list[tuple[bytes, int, bytes, int, list[bytes]]]:
        """The proofs of ``files`` as the settlement takes them; each file is hashed again and must have been
        anchored for this settlement on this chain (else an InputError names the file, before anything is sent)."""
        sid = settlement_id(terms)
        out = []
        for path in files:
            proof = document_registry.read_proof(Path(path))
            actual = "0x" + document_registry.document_hash(Path(path)).hex()
            if actual != proof.document_hash.lower():
                raise InputError("documents", f"{Path(path).name} is not the document its proof was issued for")
            if (
                proof.chain_id != self.client.chain_id
                or proof.registry.lower() != self.client.documents.address.lower()
            ):
                raise InputError("documents", f"{Path(path).name} was anchored in another document registry")
            if proof.trade_id.lower() != sid:
                raise InputError(
                    "documents",
                    f"{Path(path).name} was issued for trade {proof.trade_id}, not for settlement {sid}: its issuer "
                    f"anchors it with `tradechain doc anchor FILE --type TYPE --trade {sid}`",
                )
            doc_hash, kind, _trade, root, issuer, branch = proof.call_args()
            out.append((doc_hash, kind, root, issuer, branch))
        return out

    def missing(self, terms: Terms, files: Sequence[Path] = ()) -> list[str]:
        mask = int(self._call("missingDocuments", terms.encoded(), self.proofs_for(files, terms)))
        return [document_registry.DOC_TYPE_NAMES[t] for t in sorted(document_registry.DOC_TYPE_NAMES) if mask >> t & 1]

    def settle(self, terms: Terms, files: Sequence[Path] = ()) -> Receipt:
        return self._send("settle", terms.encoded(), self.proofs_for(files, terms))

    def refund(self, terms: Terms) -> Receipt:
        return self._send("refund", terms.encoded())

    def return_title(self, terms: Terms) -> Receipt:
        """After the deadline, the title alone back to the seller (when the payment's leg cannot go through)."""
        return self._send("returnTitle", terms.encoded())

    def state(self, sid: str) -> dict[str, Any]:
        status, funded, delivered = self._call("getState", bytes.fromhex(sid[2:]))
        return {"status": Status(int(status)).name, "funded": bool(funded), "delivered": bool(delivered)}

    def exists(self, sid: str) -> bool:
        return bool(self.state(sid)["status"] != Status.NONE.name)

    def terms_of(self, sid: str) -> Terms:
        """The terms of a settlement, from its SettlementOpened event."""
        logs = self._event_logs("SettlementOpened", {"settlementId": bytes.fromhex(sid[2:])})
        if not logs:
            raise InputError("settlement", "no settlement with this id on this chain", sid)
        (raw,) = abi_decode([TERMS_TYPE], bytes(logs[0]["args"]["terms"]))
        return Terms.decode(raw)

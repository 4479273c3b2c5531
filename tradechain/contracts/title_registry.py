"""Client of ``TitleRegistry``: electronic bills of lading as titles. A carrier issues one per transport document
it anchored as a bill of lading (``doc anchor FILE --type bill-of-lading``); the holder passes possession, endorses
to the beneficiary's nominee, pledges, surrenders to the carrier; the carrier accepts or rejects the surrender,
freezes on a court order, voids. The history comes back from the contract's events, in chain order.

Remarks are kept off chain: the SDK sends the keccak-256 of the remark's UTF-8 text (at most
:data:`MAX_REMARK` characters), and the event records that hash only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from tradechain.chain.tx import Receipt
from tradechain.contracts import document_registry
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError
from tradechain.formats.values import parse_address

NAME = "TitleRegistry"
MAX_REMARK = 1_000
"""The longest remark, in characters: a remark is a line of a trade document, not a document."""
ZERO_ADDRESS = "0x" + "00" * 20
HOLDER, BENEFICIARY, BOTH = 1, 2, 3
BILL_OF_LADING = 1
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class Status(IntEnum):
    """The title's status, named as DCSA eBL 3.0's ``transportDocumentStatus``."""

    NONE = 0
    ISSUED = 1
    PENDING_SURRENDER_FOR_DELIVERY = 2
    PENDING_SURRENDER_FOR_AMENDMENT = 3
    SURRENDERED_FOR_DELIVERY = 4
    SURRENDERED_FOR_AMENDMENT = 5
    VOIDED = 6

    @property
    def final(self) -> bool:
        """Surrendered or void: the title can do nothing more."""
        return self >= Status.SURRENDERED_FOR_DELIVERY


@dataclass(frozen=True)
class Title:
    """An eBL as the contract holds it (addresses checksummed; zero address: none)."""

    title_id: int
    holder: str
    status: Status
    frozen: bool
    undo: int  # what the last transfer moved, while it can be rejected: 1 holder, 2 beneficiary, 3 both
    issuer: int
    pledgee: int
    beneficiary: str
    nominee: str
    approved: str

    @property
    def exists(self) -> bool:
        return self.status != Status.NONE

    @property
    def hex_id(self) -> str:
        return hex_id(self.title_id)

    def to_json(self) -> dict[str, Any]:
        def none(a: str) -> str | None:
            return None if a == ZERO_ADDRESS else a

        return {
            "title": self.hex_id,
            "status": self.status.name,
            "holder": none(self.holder),
            "beneficiary": none(self.beneficiary),
            "nominee": none(self.nominee),
            "approved": none(self.approved),
            "issuer": self.issuer,
            "pledgee": self.pledgee or None,
            "frozen": self.frozen,
            "rejectable": {0: None, 1: "holder", 2: "beneficiary", 3: "both"}[self.undo],
        }


def hex_id(title_id: int) -> str:
    return "0x" + title_id.to_bytes(32, "big").hex()


def parse_title_id(value: str, field: str = "title") -> int:
    """A title id: 0x and 64 hex digits (as `ebl issue` prints it)."""
    text = value.strip()
    if len(text) != 66 or not text.startswith("0x") or not all(c in _HEX_DIGITS for c in text[2:]):
        # checked digit by digit: int() would take "_" and other scripts' digits
        raise InputError(field, "a title id is 0x followed by 64 hex digits", value)
    return int(text, 16)


def title_id_of(issuer: int, document_hash: bytes) -> int:
    """The id of the title of ``document_hash`` issued by carrier organisation ``issuer`` (``titleIdOf``)."""
    return int.from_bytes(keccak(abi_encode(["uint32", "bytes32"], [issuer, document_hash])), "big")


def remark_hash(text: str | None) -> bytes:
    """The hash a remark is sent as (zero: no remark)."""
    if text is None or text == "":
        return b"\0" * 32
    if len(text) > MAX_REMARK:
        raise InputError("remark", f"at most {MAX_REMARK:,} characters (it is {len(text):,})")
    if any(ord(c) < 32 and c not in "\t" for c in text):
        raise InputError("remark", "one line of text, without control characters")
    return keccak(text.encode("utf-8"))


@dataclass(frozen=True)
class RawEvent:
    """One event of a title, decoded, in chain order."""

    name: str
    args: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str


class TitleClient(ContractClient, name=NAME):
    # ------------------------------------------------------------------ reading

    def get(self, title_id: int, *, block: int | str = "latest") -> Title:
        raw = self._call("getTitle", title_id, block=block)
        holder, status, frozen, undo, issuer, pledgee, beneficiary, nominee, approved = raw
        return Title(
            title_id,
            to_checksum_address(holder),
            Status(int(status)),
            bool(frozen),
            int(undo),
            int(issuer),
            int(pledgee),
            to_checksum_address(beneficiary),
            to_checksum_address(nominee),
            to_checksum_address(approved),
        )

    def require(self, title_id: int) -> Title:
        """The title, or an InputError if none was issued with this id on this chain."""
        title = self.get(title_id)
        if not title.exists:
            raise InputError("title", "no eBL with this id on this chain", hex_id(title_id))
        return title

    def is_party(self, address: str) -> bool:
        return bool(self._call("isParty", parse_address(address, "party")))

    def require_party(self, address: str, field: str, *, operator: bool = False) -> str:
        """``address`` if it may hold, be endorsed or nominated (an active member's account or a contract); else
        an InputError naming ``field``, before anything is sent. The DvP settlement contract takes a title only by
        its own ``deliver`` (``operator``: the approval that lets it): sent to it directly, the title would sit there
        until the carrier reassigns it on a court order."""
        checked = parse_address(address, field)
        dvp = self.client.deployment.contracts.get("DvPSettlement")
        if not operator and dvp is not None and checked.lower() == dvp.address.lower():
            raise InputError(
                field,
                "is the DvP settlement contract: a settlement takes the eBL with `tradechain dvp deliver`, never by a "
                "transfer",
                checked,
            )
        if not self.is_party(checked):
            raise InputError(
                field,
                "must be an active member's account or a contract (not an outsider, a revoked key or a suspended "
                "organisation's account)",
                checked,
            )
        return checked

    def events(self, title_id: int) -> list[RawEvent]:
        """Every event of the title since the contract's deployment, in chain order (one ``eth_getLogs`` for the
        title's own events, one for ERC-721's ``Transfer`` and ``Approval``, which index the id third)."""
        w3 = self.client.w3
        topic = "0x" + title_id.to_bytes(32, "big").hex()
        by_topic: dict[str, Any] = {}
        abi: list[dict[str, Any]] = [dict(item) for item in self.contract.abi]
        for item in abi:
            if item.get("type") == "event":
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                by_topic["0x" + keccak(sig.encode()).hex()] = self.contract.events[item["name"]]
        transfer = "0x" + keccak(b"Transfer(address,address,uint256)").hex()
        approval = "0x" + keccak(b"Approval(address,address,uint256)").hex()
        start = self._deployed_at
        logs = list(w3.eth.get_logs({"address": self.address, "fromBlock": start, "topics": [None, topic]}))
        logs += list(
            w3.eth.get_logs(
                {"address": self.address, "fromBlock": start, "topics": [[transfer, approval], None, None, topic]}
            )
        )
        out: list[RawEvent] = []
        seen: set[tuple[int, int]] = set()
        for log in logs:
            key = (int(log["blockNumber"]), int(log["logIndex"]))
            if key in seen:
                continue
            seen.add(key)
            t0 = "0x" + bytes(log["topics"][0]).hex()
            event = by_topic.get(t0)
            if event is None:
                continue
            decoded = event().process_log(log)
            out.append(
                RawEvent(
                    decoded["event"], dict(decoded["args"]), key[0], key[1], "0x" + bytes(log["transactionHash"]).hex()
                )
            )
        out.sort(key=lambda e: (e.block_number, e.log_index))
        return out

    def previous_parties(self, title_id: int) -> tuple[str, str]:
        """The holder and beneficiary before the title's last transfer (what :meth:`reject` restores)."""
        holder = beneficiary = ZERO_ADDRESS
        before: tuple[str, str] = (ZERO_ADDRESS, ZERO_ADDRESS)
        last_tx = ""
        for e in self.events(title_id):
            if e.name == "TitleIssued":
                holder, beneficiary = e.args["holder"], e.args["beneficiary"]
            elif e.name in ("Transfer", "BeneficiaryTransferred"):
                if e.tx_hash != last_tx:
                    before = (holder, beneficiary)
                    last_tx = e.tx_hash
                if e.name == "Transfer":
                    holder = e.args["to"]
                else:
                    beneficiary = e.args["to"]
            elif e.name == "TransferRejected":
                # A rejection's own Transfer/BeneficiaryTransferred follow it in the same transaction; nothing
                # can be rejected after it.
                last_tx = e.tx_hash
        return to_checksum_address(before[0]), to_checksum_address(before[1])

    # ------------------------------------------------------------------ issuing

    def issue(
        self, document: Path, holder: str, beneficiary: str, proof_file: Path | None = None
    ) -> tuple[int, Receipt]:
        """Issues the eBL of ``document`` (the transport document's file), which the signer's organisation
        anchored as a bill of lading (its proof beside it, or ``proof_file``). Checked before sending: the file is
        the document its proof names, the proof is a bill of lading of this chain's registry, the signer's
        organisation is its issuer, both parties may hold, and no title of it exists yet."""
        actual = document_registry.document_hash(document)  # first: a missing file is "not found", not "no proof"
        proof = document_registry.read_proof_file(proof_file) if proof_file else document_registry.read_proof(document)
        if "0x" + actual.hex() != proof.document_hash.lower():
            raise InputError(
                "document",
                f"{document.name} is not the document its proof was issued for (its hash 0x{actual.hex()} is not the "
                f"proof's documentHash {proof.document_hash})",
            )
        if proof.doc_type != BILL_OF_LADING:
            kind = document_registry.DOC_TYPE_NAMES.get(proof.doc_type, str(proof.doc_type))
            raise InputError(
                "document",
                f"{document.name} was anchored as a {kind}, not as a bill of lading: anchor "
                "it with `tradechain doc anchor FILE --type bill-of-lading`",
            )
        if proof.chain_id != self.client.chain_id or proof.registry.lower() != self.client.documents.address.lower():
            raise InputError(
                "document",
                f"{document.name} was anchored in another document registry "
                f"({proof.registry} on chain {proof.chain_id})",
            )
        signer = self.client.require_signer().address
        org = self.client.participants.require_role_any(signer)
        if org != proof.issuer:
            raise InputError(
                "document",
                f"{document.name} was anchored by organisation {proof.issuer}, not by the "
                f"signer's organisation {org}: only its carrier issues its eBL",
            )
        holder = self.require_party(holder, "holder")
        beneficiary = self.require_party(beneficiary, "beneficiary")
        title_id = title_id_of(org, actual)
        if self.get(title_id).exists:
            raise InputError(
                "document", f"an eBL of this document was issued already: {hex_id(title_id)}", document.name
            )
        doc_hash, _kind, trade, root, _issuer, branch = proof.call_args()
        receipt = self._send("issue", (doc_hash, trade, root, branch, holder, beneficiary))
        return title_id, receipt

    # ------------------------------------------------------------------ the holder and the beneficiary

    def nominate(self, title_id: int, nominee: str | None, remark: str | None = None) -> Receipt:
        to = self.require_party(nominee, "nominee") if nominee else ZERO_ADDRESS
        return self._send("nominate", title_id, to, remark_hash(remark))

    def transfer_holder(self, title_id: int, to: str, remark: str | None = None) -> Receipt:
        return self._send("transferHolder", title_id, self.require_party(to, "to"), remark_hash(remark))

    def transfer_beneficiary(self, title_id: int, to: str, remark: str | None = None) -> Receipt:
        return self._send("transferBeneficiary", title_id, self.require_party(to, "to"), remark_hash(remark))

    def transfer_owners(self, title_id: int, holder: str, beneficiary: str, remark: str | None = None) -> Receipt:
        h = self.require_party(holder, "holder")
        b = self.require_party(beneficiary, "beneficiary")
        return self._send("transferOwners", title_id, h, b, remark_hash(remark))

    def reject(self, title_id: int, remark: str | None = None) -> Receipt:
        """Rejects the last transfer to the signer (as its next action): the previous parties come from the
        title's events."""
        title = self.require(title_id)
        if title.undo == 0:
            raise InputError(
                "title", "nothing to reject: no transfer since the last action on this eBL", hex_id(title_id)
            )
        holder, beneficiary = self.previous_parties(title_id)
        return self._send("reject", title_id, holder, beneficiary, remark_hash(remark))

    def approve(self, title_id: int, operator: str | None) -> Receipt:
        to = self.require_party(operator, "operator", operator=True) if operator else ZERO_ADDRESS
        return self._send("approve", to, title_id)

    def surrender(self, title_id: int, *, for_amendment: bool = False, remark: str | None = None) -> Receipt:
        return self._send("surrender", title_id, for_amendment, remark_hash(remark))

    def accept_surrender(self, title_id: int, remark: str | None = None) -> Receipt:
        return self._send("acceptSurrender", title_id, remark_hash(remark))

    def reject_surrender(self, title_id: int, remark: str | None = None) -> Receipt:
        return self._send("rejectSurrender", title_id, remark_hash(remark))

    def pledge(self, title_id: int, pledgee: int) -> Receipt:
        return self._send("pledge", title_id, pledgee)

    def release_pledge(self, title_id: int) -> Receipt:
        return self._send("releasePledge", title_id)

    def set_frozen(self, title_id: int, frozen: bool, court_order: str) -> Receipt:
        if not court_order.strip():
            raise InputError("court-order", "the court order's reference (its text is hashed)")
        return self._send("setFrozen", title_id, frozen, keccak(court_order.encode("utf-8")))

    def reassign(self, title_id: int, holder: str, beneficiary: str, court_order: str) -> Receipt:
        """The issuing carrier gives a frozen title to the parties a court order names (the recovery of a title whose
        holder lost its key, or whose pledgee can no longer release it). Checked first: the title is frozen."""
        if not court_order.strip():
            raise InputError("court-order", "the court order's reference (its text is hashed)")
        title = self.require(title_id)
        if not title.frozen:
            raise InputError(
                "ebl", "only a frozen eBL is reassigned: freeze it first on the court order", hex_id(title_id)
            )
        h = self.require_party(holder, "holder")
        b = self.require_party(beneficiary, "beneficiary")
        return self._send("reassign", title_id, h, b, keccak(court_order.encode("utf-8")))

    def void(self, title_id: int, remark: str | None = None) -> Receipt:
        return self._send("voidTitle", title_id, remark_hash(remark))


def describe_party(resolve: Callable[[str], str], address: str) -> str:
    """``address`` as outputs name it (``resolve``: an address to an organisation's display name)."""
    return "nobody" if address == ZERO_ADDRESS else f"{resolve(address)} ({address})"

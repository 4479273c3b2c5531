"""What the portal's pages say, and why anyone can check it without trusting the portal.

Every verdict is the contracts' own view, run at one block: its *proof bundle* names the chain, the contract, the
block, the function, its arguments (with the pack's Merkle proof) and the result, so ``tradechain verify --bundle``
or a bare ``eth_call`` on any node gives the same answer. Verdicts are cached per block: a new block (a recall is
one) is a new key, so a cached verdict is never older than the chain head the request saw.
"""

from __future__ import annotations

import functools
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import eth_utils.abi
from eth_abi import encode as abi_encode
from web3.types import RPCEndpoint

from tradechain.client import Client
from tradechain.contracts import luxury_certificate as certs
from tradechain.contracts.document_registry import DocumentCheck, DocumentProof
from tradechain.contracts.product_registry import Status, Verification, VerificationCall, lot_id
from tradechain.contracts.title_registry import Status as TitleStatus
from tradechain.contracts.title_registry import Title
from tradechain.ebl_view import history_entries, party_json, surrender_state, title_json, verdict_of
from tradechain.errors import revert_class
from tradechain.formats import serials
from tradechain.formats.gs1 import Gs1Identifiers
from tradechain.indexer.store import readable


@dataclass(frozen=True)
class Word:
    """A verdict as a page shows it: the word, its icon (never colour alone), its tone, what it means and what
    to do, in plain words."""

    word: str
    icon: str
    tone: str  # good | bad | warn
    meaning: str
    advice: str = ""


PACK_WORDS: dict[Status, Word] = {
    Status.AUTHENTIC: Word("AUTHENTIC", "✓", "good", "This product is registered by its maker and is not recalled."),
    Status.RECALLED: Word(
        "RECALLED",
        "✗",
        "bad",
        "This product has been recalled.",
        "Do not use it. Return it to where you bought it, or ask your pharmacist or the shop what to do.",
    ),
    Status.EXPIRED: Word(
        "EXPIRED", "✗", "bad", "This product is past its expiry date.", "Do not use it. Dispose of it safely."
    ),
    Status.DECOMMISSIONED: Word(
        "DISPENSED ALREADY",
        "⚠",
        "bad",
        "A pack with this code was already handed out to a patient or customer.",
        "The pack in your hand may be a copy. Do not use it; show it to your pharmacist or the shop.",
    ),
    Status.UNKNOWN: Word(
        "UNKNOWN",
        "✗",
        "bad",
        "No product with this code was registered by a maker on tradechain.",
        "Do not trust this pack. Ask the shop where it came from.",
    ),
    Status.MISMATCH: Word(
        "MISMATCH",
        "✗",
        "bad",
        "The code on this pack does not match what its maker registered (its lot or expiry date differs).",
        "Do not trust this pack. Ask the shop where it came from.",
    ),
    Status.PROOF_UNAVAILABLE: Word(
        "PROOF UNAVAILABLE",
        "⚠",
        "warn",
        "The lot is registered and not recalled, but this pack's serial number cannot be checked here: the maker "
        "has not published its serial list to this portal.",
        "Ask the pharmacy or shop to check it with the maker.",
    ),
}

CERTIFICATE_WORDS: dict[str, Word] = {
    "VALID": Word("VALID", "✓", "good", "This certificate was issued by the brand and is not reported stolen or lost."),
    "STOLEN": Word(
        "STOLEN",
        "✗",
        "bad",
        "This watch has been reported stolen by its owner.",
        "Do not buy it. Tell the brand or the police where you saw it.",
    ),
    "LOST": Word(
        "LOST",
        "⚠",
        "bad",
        "This watch has been reported lost by its owner.",
        "Do not buy it before the brand confirms.",
    ),
    "NOT ISSUED": Word(
        "NOT ISSUED", "✗", "bad", "No brand issued a certificate with this number.", "Do not trust this certificate."
    ),
}

DOCUMENT_WORDS: dict[str, Word] = {
    "VALID": Word("VALID", "✓", "good", "This document was issued as it is, and it has not been revoked."),
    "REVOKED": Word(
        "REVOKED",
        "✗",
        "bad",
        "This document was issued, but its issuer has revoked it.",
        "Do not rely on it. Ask its issuer for the document that replaces it.",
    ),
    "INVALID": Word(
        "INVALID",
        "✗",
        "bad",
        "This document is not one that was issued: a byte differs, it was never anchored on this chain, or its "
        "issuer may not issue documents of its type.",
        "Do not rely on it. Ask the issuer named in its proof for the original.",
    ),
}


def iso_utc(timestamp: int) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC") if timestamp else None


RECHECK = "tradechain verify --bundle FILE [--rpc-url URL], or eth_call {to: contract, data: calldata} at blockHash"


@dataclass(frozen=True)
class Head:
    """The chain head a request saw: every call of its answer runs at this block (by hash: a reorganisation
    between two calls cannot mix two chains into one verdict)."""

    number: int
    hash: str


_BOUND: weakref.WeakKeyDictionary[Client, dict[str, Any]] = weakref.WeakKeyDictionary()


def _bound(client: Client, contract: str) -> Any:
    """``client.contract(contract)``, built once per client (a web3 contract object is dear to build: its ABI
    parsed into function classes, its address checked for code)."""
    per_client = _BOUND.setdefault(client, {})
    found = per_client.get(contract)
    if found is None:
        found = per_client[contract] = client.contract(contract)
    return found


@functools.lru_cache(maxsize=256)
def _signature(abi_json: str) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    """A function's selector, input types and output types, from its ABI entry (JSON), worked out once."""
    entry = json.loads(abi_json)
    inputs = tuple(eth_utils.abi.collapse_if_tuple(dict(i)) for i in entry["inputs"])
    outputs = tuple(eth_utils.abi.collapse_if_tuple(dict(o)) for o in entry["outputs"])
    selector = eth_utils.function_signature_to_4byte_selector(f"{entry['name']}({','.join(inputs)})")
    return selector, inputs, outputs


def calldata_of(bound: Any, function: str, args: tuple[Any, ...]) -> str:
    """The calldata of ``function(args)``: what ``encode_abi`` gives, with the ABI entry's types worked out once
    (web3 validates and resolves the function again on every call, a third of an uncached verification)."""
    fn = bound.get_function_by_name(function)
    selector, inputs, _ = _signature(json.dumps(fn.abi, sort_keys=True))
    return "0x" + (selector + abi_encode(list(inputs), list(args))).hex()


def view(client: Client, contract: str, function: str, args: tuple[Any, ...], head: Head) -> Any:
    """A view call at ``head`` (by hash) as one ``eth_call`` sent as is and decoded with the function's ABI: what
    ``client.call`` answers, without web3's per-call middleware (which asks the node its chain id twice per call).
    A revert, or any answer that is not a result, is left to ``client.call`` (its decoded custom error)."""
    bound = _bound(client, contract)
    fn = bound.get_function_by_name(function)
    calldata = calldata_of(bound, function, args)
    answer = client.w3.provider.make_request(
        RPCEndpoint("eth_call"), [{"to": bound.address, "data": calldata}, {"blockHash": head.hash}]
    )
    raw = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(raw, str) or "error" in answer:
        return client.call(bound, function, *args, block=head.hash)
    types = [eth_utils.abi.collapse_if_tuple(dict(o)) for o in fn.abi["outputs"]]
    decoded = client.w3.codec.decode(types, bytes.fromhex(raw[2:]))
    return decoded[0] if len(decoded) == 1 else list(decoded)


def bundle(
    client: Client, contract: str, function: str, args: tuple[Any, ...], head: Head, result: Any
) -> dict[str, Any]:
    """The proof bundle of one view call: enough to run it again on any node and compare."""
    bound = _bound(client, contract)
    calldata = calldata_of(bound, function, args)
    fn = bound.get_function_by_name(function)
    inputs = [i["name"] or f"arg{n}" for n, i in enumerate(fn.abi["inputs"])]
    signature = f"{function}({','.join(i['type'] for i in fn.abi['inputs'])})"
    return {
        "chainId": client.chain_id,
        "contractName": contract,
        "contract": bound.address,
        "block": head.number,
        "blockHash": head.hash,
        "function": signature,
        "arguments": {name: _jsonable(value) for name, value in zip(inputs, args, strict=True)},
        "calldata": calldata,
        "result": _jsonable(result),
        "recheck": RECHECK,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------- packs


@dataclass
class PackVerdict:
    ids: Gs1Identifiers
    verification: Verification
    word: Word
    head: Head
    bundle: dict[str, Any]
    recall_reason: str | None = None
    recalled_at: str | None = None
    dispensed_at: str | None = None
    product: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.word.word,
            "meaning": self.word.meaning,
            "advice": self.word.advice,
            "recallReason": self.recall_reason,
            "recalledAt": self.recalled_at,
            "dispensedAt": self.dispensed_at,
            "product": self.product,
            "verification": self.verification.to_json(),
            "bundle": self.bundle,
        }


def pack_verdict(client: Client, ids: Gs1Identifiers, proofs: serials.ProofSource, head: Head) -> PackVerdict:
    """The verdict on a pack or lot as scanned, from ``ProductRegistry.verify`` (or ``verifyLot``) at ``head``.
    The bundle's ``result`` is what the view returned; ``verdict`` is the page's reading of it (a lot-level
    AUTHENTIC for a serial whose list is not published reads PROOF UNAVAILABLE)."""
    products = client.products
    call: VerificationCall = products.verification_call(ids, proofs)
    status, custodian = view(client, "ProductRegistry", call.function, call.args, head)  # the contract's verdict
    # as ``products.run_verification(call, head.hash)`` reads it (one eth_call, not three requests)
    result = replace(products._reading(call, int(status), int(custodian), head.hash), contract_status=int(status))
    word = PACK_WORDS[result.status]
    raw = Status(result.contract_status if result.contract_status is not None else result.status)
    returned = {"status": raw.name, "statusCode": int(raw), "custodian": result.custodian}
    proof = bundle(client, "ProductRegistry", call.function, call.args, head, returned)
    proof["verdict"] = word.word
    out = PackVerdict(ids, result, word, head, proof)
    lot = lot_id(str(ids.gtin), str(ids.lot))
    record = None
    if result.status != Status.UNKNOWN:
        try:  # MISMATCH may be a lot its GTIN never had: then only what was scanned is shown
            record = view(client, "ProductRegistry", "getLot", (lot,), head)
        except revert_class("NonexistentLot"):
            out.word = replace(
                word,
                meaning="The code on this pack does not match what its maker registered: its "
                "maker never registered this lot number for this product.",
            )
    if record is not None:
        _gtin, expires, origin, _recalled, owner = record
        out.product = {
            "gtin": ids.gtin,
            "lot": ids.lot,
            "serial": ids.serial,
            "expiry": datetime.fromtimestamp(expires, UTC).date().isoformat() if expires else None,
            "origin": readable(bytes(origin))[0],  # as ``products.lot`` shows it (a member chose these bytes)
            "brand": client.participants.display_name(int(owner)),
            "holder": client.participants.display_name(result.custodian) if result.custodian else None,
        }
    if result.lot_recalled or result.status == Status.RECALLED:
        logs = products._event_logs("Recalled", {"lot": lot})
        if logs:
            last = logs[-1]
            out.recall_reason = readable(bytes(last["args"]["reason"]))[0]
            out.recalled_at = iso_utc(int(client.w3.eth.get_block(last["blockNumber"])["timestamp"]))
    if result.status == Status.DECOMMISSIONED and call.proof is not None:
        logs = products._event_logs("Dispensed", {"batch": bytes.fromhex(call.proof.batch[2:])})
        mine = [log for log in logs if int(log["args"]["index"]) == call.proof.index]
        if mine:
            out.dispensed_at = iso_utc(int(client.w3.eth.get_block(mine[-1]["blockNumber"])["timestamp"]))
    return out


# --------------------------------------------------------------------------------------------- certificates


@dataclass
class CertificateVerdict:
    token_id: int
    verification: certs.Verification
    word: Word
    head: Head
    bundle: dict[str, Any]
    metadata: dict[str, Any] | None = None  # the brand's published metadata, only when it matches the chain
    metadata_note: str = ""
    services: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        v = self.verification
        return {
            "verdict": self.word.word,
            "meaning": self.word.meaning,
            "advice": self.word.advice,
            "certificate": f"0x{self.token_id:064x}",
            "brand": v.brand,
            "previousOwners": v.previous_owners,
            "reportedAt": iso_utc(v.reported_at),
            "metadata": self.metadata,
            "metadataNote": self.metadata_note,
            "services": self.services,
            "bundle": self.bundle,
        }


def certificate_verdict(
    client: Client, token_id: int, published: Callable[[int], dict[str, Any] | None], head: Head
) -> CertificateVerdict:
    """The verdict on a certificate (``LuxuryCertificate.getCertificate`` at ``head``), with the brand's published
    metadata shown only when its hash is the one on chain."""
    c = client.certificates
    v = c.verify(token_id)
    word = CERTIFICATE_WORDS["NOT ISSUED" if not v.authentic else ("VALID" if v.verdict == "AUTHENTIC" else v.verdict)]
    if v.authentic:
        record = c._call("getCertificate", token_id, block=head.hash)
        proof = bundle(client, "LuxuryCertificate", "getCertificate", (token_id,), head, list(record))
    else:
        proof = bundle(client, "LuxuryCertificate", "existing", ([token_id],), head, [False])
    proof["verdict"] = word.word
    out = CertificateVerdict(token_id, v, word, head, proof)
    if v.authentic:
        metadata = published(token_id)
        if metadata is None:
            out.metadata_note = "The brand has not published this watch's description to this portal."
        elif "0x" + certs.metadata_hash(metadata).hex() == v.metadata_hash:
            out.metadata = metadata
            out.metadata_note = "Checked: this description is the one whose fingerprint the brand put on chain."
        else:
            out.metadata_note = "The description published here does NOT match the brand's on-chain fingerprint."
        for log in c._logs("ServiceRecorded", token_id):
            kind = readable(bytes(log["args"]["kind"]))[0]
            when = iso_utc(int(client.w3.eth.get_block(log["blockNumber"])["timestamp"]))
            out.services.append({"kind": kind, "at": when})
    return out


# --------------------------------------------------------------------------------------------- documents


@dataclass
class DocumentVerdict:
    check: DocumentCheck
    word: Word
    issuer: str
    bundle: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.check.to_json(), "meaning": self.word.meaning, "issuerName": self.issuer, "bundle": self.bundle}


def document_verdict(client: Client, content_hash: bytes, proof: DocumentProof, head: Head) -> DocumentVerdict:
    check = client.documents.check(content_hash, proof, block=head.hash)
    args = proof.call_args()
    if "0x" + content_hash.hex() != proof.document_hash:
        args = (content_hash, *args[1:])
    result = [check.valid, check.issuer, check.anchored_at, check.revoked_at]
    return DocumentVerdict(
        check,
        DOCUMENT_WORDS[check.verdict],
        client.participants.display_name(check.issuer or proof.issuer)
        + ("" if check.issuer else " (as its proof claims)"),
        bundle(client, "DocumentRegistry", "verify", args, head, result),
    )


# --------------------------------------------------------------------------------------------- eBLs

EBL_WORDS: dict[str, Word] = {
    "VALID": Word(
        "VALID",
        "✓",
        "good",
        "This electronic bill of lading is in force: its holder, named below, controls the goods it covers.",
        "Take it, or pay against it, only from the holder named below.",
    ),
    "VOID": Word(
        "VOID",
        "✗",
        "bad",
        "This electronic bill of lading is spent: it no longer gives title to the goods.",
        "Do not accept it, or pay against it, as title to the goods.",
    ),
    "FROZEN": Word(
        "FROZEN",
        "⚠",
        "bad",
        "Its carrier froze this electronic bill of lading on a court order: nothing can move it until the order is "
        "lifted.",
        "Do not take it, or pay against it, until its carrier lifts the freeze.",
    ),
    "UNKNOWN": Word(
        "UNKNOWN",
        "✗",
        "bad",
        "No carrier issued an electronic bill of lading with this id on this chain.",
        "Do not trust a document that claims to be this eBL. Check the id with the carrier that issued it.",
    ),
}


@dataclass
class EblVerdict:
    """An eBL as its page shows it (``TitleRegistry.getTitle`` at ``head``, its events up to ``head``): the
    verdict, the title with its parties named, its history in chain order and where its surrender stands."""

    title_id: int
    title: Title
    word: Word
    head: Head
    bundle: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)  # the title's JSON, parties named
    history: list[dict[str, Any]] = field(default_factory=list)
    surrender: dict[str, Any] = field(default_factory=dict)
    parties: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # every address shown: its party

    @property
    def ebl(self) -> str:
        return f"0x{self.title_id:064x}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ebl": self.ebl,
            "verdict": self.word.word,
            "meaning": self.word.meaning,
            "advice": self.word.advice,
            **self.facts,
            "surrender": self.surrender,
            "history": self.history,
            "parties": self.parties,
            "bundle": self.bundle,
        }


def ebl_verdict(client: Client, title_id: int, head: Head) -> EblVerdict:
    """The verdict on an eBL (VALID, VOID, FROZEN or UNKNOWN, as ``tradechain ebl status`` gives it) at
    ``head``, with its parties named by their organisation and its events up to ``head``."""
    title = client.titles.get(title_id, block=head.hash)
    word = EBL_WORDS[verdict_of(title)]
    returned = [
        title.holder,
        int(title.status),
        title.frozen,
        title.undo,
        title.issuer,
        title.pledgee,
        title.beneficiary,
        title.nominee,
        title.approved,
    ]
    proof = bundle(client, "TitleRegistry", "getTitle", (title_id,), head, returned)
    proof["verdict"] = word.word
    out = EblVerdict(title_id, title, word, head, proof)
    if not title.exists:
        return out
    out.history = [e for e in history_entries(client, title_id) if e["block"] <= head.number]
    out.surrender = surrender_state(title, out.history)
    out.facts = {
        **title_json(client, title),
        "nomineeParty": party_json(client, title.nominee),
        "approvedParty": party_json(client, title.approved),
        "documentHash": next(
            (e["args"]["documentHash"] for e in out.history if e["event"] == "TitleIssued"), None
        ),  # the transport document it was issued for (its DocumentRegistry anchor)
    }
    shown = {title.holder, title.beneficiary, title.nominee, title.approved}
    shown |= {v for e in out.history for v in e["args"].values() if isinstance(v, str) and len(v) == 42}
    named = {a: party_json(client, a) for a in sorted(shown)}
    out.parties = {a: p for a, p in named.items() if p is not None}
    if title.status in (TitleStatus.SURRENDERED_FOR_DELIVERY, TitleStatus.SURRENDERED_FOR_AMENDMENT):
        out.word = replace(
            word,
            meaning=f"This electronic bill of lading is spent: its carrier accepted its surrender for "
            f"{out.surrender['for']}, and it no longer gives title to the goods.",
        )
    elif title.status == TitleStatus.VOIDED:
        out.word = replace(word, meaning="Its carrier voided this electronic bill of lading: it gives no title.")
    elif out.surrender.get("state") == "requested" and not title.frozen:
        out.word = replace(
            word,
            meaning="This electronic bill of lading is in force, and its holder has surrendered it to its carrier "
            f"for {out.surrender['for']}: the carrier has yet to accept the surrender.",
            advice="Do not take it or pay against it: it is on its way back to the carrier.",
        )
    return out


# --------------------------------------------------------------------------------------------- the cache


class VerdictCache:
    """Answers kept per (request, chain head, published-proofs version): a new block or a new publication is a
    new key, so a recall shows at the next request after its block. Bounded (least recently used first out)."""

    def __init__(self, size: int = 20_000) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = make()
        with self._lock:
            self.misses += 1
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

"""An eBL's history (:class:`~tradechain.ebl.events.TitleEvent` list) exported as DCSA eBL 3.0 structures:

* the surrender request (``EBL_SUR_v3.0.0.yaml``): its ``endorsementChain`` of ``EndorsementChainLink`` entries
  (ISSUE, ENDORSE, SURRENDER_FOR_DELIVERY / _AMENDMENT; SIGN for a possession transfer when asked), a whole
  ``SurrenderRequestDetails`` body and the carrier's ``SurrenderRequestAnswer`` (SURR / SREJ);
* PINT (``EBL_PINT_v3.0.0.yaml``): an ``EblEnvelope`` with the ``transportDocument``, the
  ``envelopeTransferChain`` of JWS-signed ``EnvelopeTransferChainEntry`` payloads (their ``transactions``:
  ISSUE, TRANSFER, ENDORSE, SURRENDER_FOR_DELIVERY / _AMENDMENT, SACC, SREJ; PINT 3.0's codes, not the ISSU /
  TRNS / ENDO / SURR of its betas) and the signed ``EnvelopeManifest``; the first entry carries the carrier-signed
  ``IssuanceManifest``. The decoded payloads are returned too, to be validated against their own schemas.

Signatures are compact JWS (RFC 7515) with ES256 (ECDSA P-256 and SHA-256, RFC 7518), made with pycryptodome
(in the lock already, through eth-account) with RFC 6979 deterministic nonces: a given key gives the same bytes.
No key given: a throw-away key per export, whose public JWK is returned (``alg: none`` would not match what PINT
receivers require). Timestamps are RFC 3339 UTC with milliseconds (``2026-12-03T08:00:00.000Z``).

Parties become DCSA parties: ``partyName`` (clipped to DCSA's 70 characters), ``eblPlatform`` (``PLATFORM``,
``TRCH``: the schema only asks for up to 4 non-space characters; its list of platforms is prose, and tradechain is
not on it, so a deployment that interoperates must be given its DCSA code), and ``identifyingCodes``: the account as
a W3C DID (``did:pkh:eip155:CHAIN:ADDRESS``, codeListName ``DID``), the LEI (codeListProvider ``GLEIF``,
codeListName ``LEI``) when the member has one, and the MemberRegistry organisation id under the platform's code.
Nomination, approval, pledges, freezes and remarks have no DCSA transaction: they are left out (a remark's hash goes
into the ``comments`` of the transaction of its own transaction, in PINT). A rejection of a wrongful transfer is
the transfer back it makes on chain, with a comment saying so.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tradechain.ebl.document import canonical_json, document_hash
from tradechain.ebl.events import Party, TitleEvent, is_nobody
from tradechain.errors import InputError

PLATFORM = "TRCH"
DEFAULT_CHAIN_ID = 1337
Resolver = Callable[[str], Party]
PlatformOf = Callable[[Party], str]

# the order within one transaction: its other events, then an endorsement, then the possession transfer it comes
# with (a transfer of both emits them the other way round)
_IN_TX_ORDER = {"beneficiary": 1, "holder": 2}


def timestamp_ms(seconds: int | float) -> str:
    """An RFC 3339 UTC time with milliseconds, as PINT asks: ``2026-12-03T08:00:00.000Z``."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ordered(history: Sequence[TitleEvent]) -> list[TitleEvent]:
    """The events in chain order (block, log index); within one transaction an endorsement comes before its
    possession transfer."""
    first: dict[tuple[int, str], int] = {}
    for e in history:
        key = (e.block_number, e.tx_hash)
        first[key] = min(first.get(key, e.log_index), e.log_index)
    return sorted(
        history,
        key=lambda e: (e.block_number, first[(e.block_number, e.tx_hash)], _IN_TX_ORDER.get(e.kind, 0), e.log_index),
    )


def _pair(event: TitleEvent) -> bool:
    return event.kind in _IN_TX_ORDER


# ------------------------------------------------------------------ parties


def identifying_codes(
    party: Party, *, chain_id: int = DEFAULT_CHAIN_ID, platform: str = PLATFORM
) -> list[dict[str, str]]:
    """The DCSA ``identifyingCodes`` of a party: its account as a DID, its LEI, its organisation id."""
    codes = [
        {"codeListProvider": "W3C", "partyCode": f"did:pkh:eip155:{chain_id}:{party.address}", "codeListName": "DID"}
    ]
    if party.lei:
        codes.append({"codeListProvider": "GLEIF", "partyCode": party.lei, "codeListName": "LEI"})
    if party.organisation is not None:
        codes.append({"codeListProvider": platform, "partyCode": str(party.organisation), "codeListName": "ORG"})
    return codes


def party_name(party: Party) -> str:
    """The name DCSA shows (1 to 70 characters, no white space at either end): the profile's, else the address."""
    name = " ".join(party.name.split())[:70].strip()
    return name or party.address


def transaction_party(party: Party, *, chain_id: int = DEFAULT_CHAIN_ID, platform: str = PLATFORM) -> dict[str, Any]:
    """A DCSA party of a transaction (SUR ``TransactionParty``, PINT ``ActorParty``/``RecipientParty``)."""
    return {
        "partyName": party_name(party),
        "eblPlatform": platform,
        "identifyingCodes": identifying_codes(party, chain_id=chain_id, platform=platform),
    }


def issue_to_party(party: Party, *, chain_id: int = DEFAULT_CHAIN_ID, platform: str = PLATFORM) -> dict[str, Any]:
    """The issuance's ``IssueToParty`` (EBL_ISS): the first holder, on its platform."""
    return {
        "partyName": party_name(party),
        "sendToPlatform": platform,
        "identifyingCodes": identifying_codes(party, chain_id=chain_id, platform=platform),
    }


# ------------------------------------------------------------------ the actions, platform-neutral


@dataclass(frozen=True)
class Action:
    """One DCSA action read from the history: its PINT ``actionCode``, who did it, to whom, when, and the event
    it comes from."""

    code: str
    actor: str
    recipient: str | None
    event: TitleEvent
    comments: str | None = None


def actions(history: Sequence[TitleEvent]) -> list[Action]:
    """The DCSA actions of a history, in order: ISSUE (carrier to first holder), ENDORSE (a beneficiary change:
    the previous beneficiary endorses to the new one), TRANSFER (a possession change), SURRENDER_FOR_DELIVERY /
    _AMENDMENT (the holder to the carrier), SACC / SREJ (the carrier's answer). The mint and burn of the holder (at
    issuance, surrender and void) are no transfers. Raises :class:`InputError` if the history does not start with
    its issuance."""
    events = ordered(history)
    if not events or events[0].kind != "issued":
        raise InputError("history", "starts with the title's issuance (an 'issued' event)")
    carrier = events[0].actor
    out: list[Action] = []
    surrendering: str | None = None
    rejected_in: set[str] = set()
    remarks = {e.tx_hash: str(e.detail.get("remark_hash", "")) for e in events if e.kind == "remark"}
    for event in events:
        remark = remarks.get(event.tx_hash)
        note = f"remark {remark}" if remark else None
        if event.tx_hash in rejected_in and _pair(event):
            note = "return on rejection of the previous transfer" + (f"; {note}" if note else "")
        if event.kind == "issued":
            holder = str(event.detail.get("holder") or event.after or "")
            if is_nobody(holder):
                raise InputError("history[0].detail.holder", "the first holder's address")
            out.append(Action("ISSUE", event.actor, holder, event, note))
        elif event.kind == "rejected":
            rejected_in.add(event.tx_hash)
        elif event.kind == "beneficiary" and not is_nobody(event.after):
            endorser = event.before if not is_nobody(event.before) else event.actor
            out.append(Action("ENDORSE", str(endorser), event.after, event, note))
        elif event.kind == "holder" and not is_nobody(event.before) and not is_nobody(event.after):
            out.append(Action("TRANSFER", str(event.before), event.after, event, note))
        elif event.kind == "surrender_requested":
            surrendering = event.actor
            code = "SURRENDER_FOR_AMENDMENT" if event.detail.get("for_amendment") else "SURRENDER_FOR_DELIVERY"
            out.append(Action(code, event.actor, carrier, event, note))
        elif event.kind in ("surrender_accepted", "surrender_rejected"):
            code = "SACC" if event.kind == "surrender_accepted" else "SREJ"
            out.append(Action(code, event.actor, surrendering, event, note))
    return out


# ------------------------------------------------------------------ surrender (EBL_SUR)

_CHAIN_CODES = {"ISSUE": "ISSUE", "ENDORSE": "ENDORSE", "TRANSFER": "SIGN"}


def endorsement_chain(
    history: Sequence[TitleEvent],
    resolve: Resolver,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    platform: str = PLATFORM,
    possession_as_sign: bool = False,
) -> list[dict[str, Any]]:
    """The surrender request's ``endorsementChain`` (``EndorsementChainLink`` entries of EBL_SUR), up to the last
    surrender request: ISSUE, ENDORSE and the SURRENDER_FOR_* requests. DCSA's chain "does not record any transfer
    of possession ... unless a signature is added to it": possession transfers are left out, or given as SIGN
    links with ``possession_as_sign``. The carrier's answers (SACC / SREJ) have no link code: they are the
    ``SurrenderRequestAnswer``."""
    links = []
    for action in actions(history):
        code = action.code if action.code.startswith("SURRENDER_FOR_") else _CHAIN_CODES.get(action.code)
        if code is None or (code == "SIGN" and not possession_as_sign) or action.recipient is None:
            continue
        links.append(
            {
                "actionDateTime": timestamp_ms(action.event.timestamp),
                "actionCode": code,
                "actor": transaction_party(resolve(action.actor), chain_id=chain_id, platform=platform),
                "recipient": transaction_party(resolve(action.recipient), chain_id=chain_id, platform=platform),
            }
        )
    return links


def _last(history: Sequence[TitleEvent], kind: str) -> TitleEvent:
    found = [e for e in ordered(history) if e.kind == kind]
    if not found:
        raise InputError("history", f"has a '{kind}' event")
    return found[-1]


def surrender_reference(history: Sequence[TitleEvent]) -> str:
    """A reference for the last surrender request that is never reused: its transaction hash."""
    return _last(history, "surrender_requested").tx_hash


def surrender_request(
    history: Sequence[TitleEvent],
    resolve: Resolver,
    document: dict[str, Any],
    *,
    reference: str | None = None,
    comments: str | None = None,
    reason_code: str | None = None,
    chain_id: int = DEFAULT_CHAIN_ID,
    platform: str = PLATFORM,
    possession_as_sign: bool = False,
) -> dict[str, Any]:
    """The ``SurrenderRequestDetails`` body of the last surrender request (SREQ for delivery, AREQ for
    amendment, with DCSA's ``reason_code`` such as ``SWTP`` for an amendment) and its endorsement chain."""
    request = _last(history, "surrender_requested")
    body: dict[str, Any] = {
        "surrenderRequestReference": reference or surrender_reference(history),
        "transportDocumentReference": document["transportDocumentReference"],
        "surrenderRequestCode": "AREQ" if request.detail.get("for_amendment") else "SREQ",
    }
    if reason_code:
        body["reasonCode"] = reason_code
    if comments:
        body["comments"] = comments
    body["endorsementChain"] = endorsement_chain(
        history, resolve, chain_id=chain_id, platform=platform, possession_as_sign=possession_as_sign
    )
    return body


def surrender_answer(
    history: Sequence[TitleEvent], *, reference: str | None = None, comments: str | None = None
) -> dict[str, Any]:
    """The carrier's ``SurrenderRequestAnswer`` to the last surrender request: SURR (accepted) or SREJ (rejected,
    with ``comments``, which DCSA asks for in a rejection)."""
    answers = [e for e in ordered(history) if e.kind in ("surrender_accepted", "surrender_rejected")]
    if not answers:
        raise InputError("history", "has the carrier's answer to a surrender request")
    answer: dict[str, Any] = {
        "surrenderRequestReference": reference or surrender_reference(history),
        "action": "SURR" if answers[-1].kind == "surrender_accepted" else "SREJ",
    }
    if comments or answer["action"] == "SREJ":
        answer["comments"] = comments or "surrender rejected by the carrier"
    return answer


# ------------------------------------------------------------------ JWS (RFC 7515), ES256


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> Any:
    """A throw-away P-256 key (pycryptodome's ``EccKey``)."""
    from Crypto.PublicKey import ECC

    return ECC.generate(curve="P-256")


def public_jwk(key: Any) -> dict[str, str]:
    """The public JWK (RFC 7517) of a P-256 key, to verify the signatures with."""
    point = key.public_key().pointQ
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(int(point.x).to_bytes(32, "big")),
        "y": _b64(int(point.y).to_bytes(32, "big")),
    }


def sign_jws(payload: dict[str, Any], key: Any, *, kid: str | None = None) -> str:
    """The compact JWS of a JSON payload (its canonical JSON), ES256, deterministic (RFC 6979)."""
    from Crypto.Hash import SHA256
    from Crypto.Signature import DSS

    header: dict[str, Any] = {"alg": "ES256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = _b64(canonical_json(header)) + "." + _b64(canonical_json(payload))
    signature = DSS.new(key, "deterministic-rfc6979").sign(SHA256.new(signing_input.encode("ascii")))
    return signing_input + "." + _b64(signature)


def verify_jws(token: str, jwk: dict[str, str]) -> dict[str, Any]:
    """The payload of an ES256 compact JWS once its signature is checked against a public JWK; raises
    :class:`InputError` if the token is malformed or the signature wrong."""
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import ECC
    from Crypto.Signature import DSS

    parts = token.split(".")
    if len(parts) != 3:
        raise InputError("jws", "three base64url parts (compact serialisation)")
    header = json.loads(_unb64(parts[0]))
    if header.get("alg") != "ES256":
        raise InputError("jws.alg", "ES256", header.get("alg"))
    key = ECC.construct(
        curve="P-256", point_x=int.from_bytes(_unb64(jwk["x"]), "big"), point_y=int.from_bytes(_unb64(jwk["y"]), "big")
    )
    try:
        DSS.new(key, "fips-186-3").verify(SHA256.new(f"{parts[0]}.{parts[1]}".encode("ascii")), _unb64(parts[2]))
    except ValueError:
        raise InputError("jws", "a signature by the given key") from None
    payload: dict[str, Any] = json.loads(_unb64(parts[1]))
    return payload


def checksum(data: bytes | str) -> str:
    """DCSA's checksum: SHA-256, lower-case hex (of a JWS compact string: its ASCII bytes)."""
    return hashlib.sha256(data.encode("ascii") if isinstance(data, str) else data).hexdigest()


# ------------------------------------------------------------------ PINT (EBL_PINT)


@dataclass(frozen=True)
class PintExport:
    """A PINT export: the ``EblEnvelope``, the decoded payloads of its JWS (to validate against
    ``EnvelopeTransferChainEntry``, ``EnvelopeManifest`` and ``IssuanceManifest``), the ``IssueToParty`` whose
    checksum the issuance manifest holds, and the public JWKs that verify the signatures (``platform``,
    ``carrier``)."""

    envelope: dict[str, Any]
    entries: list[dict[str, Any]]
    manifest: dict[str, Any]
    issuance_manifest: dict[str, Any]
    issue_to: dict[str, Any]
    public_keys: dict[str, dict[str, str]]


def pint_transactions(
    history: Sequence[TitleEvent],
    resolve: Resolver,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    platform_of: PlatformOf | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The PINT ``Transaction`` objects of a history, each with the platform of its actor. ``auditReference`` is
    the transaction hash on chain (where anyone can check the action was recorded)."""
    where = platform_of or (lambda _party: PLATFORM)
    out = []
    for action in actions(history):
        actor = resolve(action.actor)
        actor_platform = where(actor)
        transaction: dict[str, Any] = {
            "actionCode": action.code,
            "actor": transaction_party(actor, chain_id=chain_id, platform=actor_platform),
            "actionDateTime": timestamp_ms(action.event.timestamp),
            "auditReference": action.event.tx_hash,
        }
        if action.recipient is not None:
            recipient = resolve(action.recipient)
            transaction["recipient"] = transaction_party(recipient, chain_id=chain_id, platform=where(recipient))
        if action.comments:
            transaction["comments"] = action.comments[:255].strip()
        out.append((actor_platform, transaction))
    return out


def pint_envelope(
    history: Sequence[TitleEvent],
    resolve: Resolver,
    document: dict[str, Any],
    *,
    platform_key: Any = None,
    carrier_key: Any = None,
    chain_id: int = DEFAULT_CHAIN_ID,
    platform_of: PlatformOf | None = None,
) -> PintExport:
    """The history as a PINT ``EblEnvelope``. Transactions are grouped into envelope transfer chain entries by
    platform: a new entry starts where the actor's platform changes (``platform_of``; everyone on ``PLATFORM`` by
    default, so one entry). Each entry names the transport document's checksum and, after the first, the
    checksum of the previous entry's JWS; the first carries the carrier-signed issuance manifest (the document's
    checksum and the ``IssueToParty``'s). The envelope manifest names the last entry's JWS checksum. Entries are
    signed with ``platform_key``, the issuance manifest with ``carrier_key`` (throw-away P-256 keys if not given)."""
    platform_key = platform_key or new_key()
    carrier_key = carrier_key or new_key()
    where = platform_of or (lambda _party: PLATFORM)
    document_checksum = document_hash(document).hex()
    events = ordered(history)
    actions_ = actions(events)
    first_holder = resolve(str(actions_[0].recipient))
    issue_to = issue_to_party(first_holder, chain_id=chain_id, platform=where(first_holder))
    issuance_manifest = {
        "documentChecksum": document_checksum,
        "issueToChecksum": checksum(canonical_json(issue_to)),
    }
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for actor_platform, transaction in pint_transactions(events, resolve, chain_id=chain_id, platform_of=platform_of):
        if not groups or groups[-1][0] != actor_platform:
            groups.append((actor_platform, []))
        groups[-1][1].append(transaction)
    entries: list[dict[str, Any]] = []
    signed: list[str] = []
    for i, (entry_platform, transactions) in enumerate(groups):
        entry: dict[str, Any] = {"eblPlatform": entry_platform, "transportDocumentChecksum": document_checksum}
        if i == 0:
            entry["issuanceManifestSignedContent"] = sign_jws(issuance_manifest, carrier_key, kid="carrier")
        else:
            entry["previousEnvelopeTransferChainEntrySignedContentChecksum"] = checksum(signed[-1])
        entry["transactions"] = transactions
        entries.append(entry)
        signed.append(sign_jws(entry, platform_key, kid="platform"))
    manifest = {
        "transportDocumentChecksum": document_checksum,
        "lastEnvelopeTransferChainEntrySignedContentChecksum": checksum(signed[-1]),
    }
    envelope = {
        "transportDocument": document,
        "envelopeManifestSignedContent": sign_jws(manifest, platform_key, kid="platform"),
        "envelopeTransferChain": signed,
    }
    return PintExport(
        envelope=envelope,
        entries=entries,
        manifest=manifest,
        issuance_manifest=issuance_manifest,
        issue_to=issue_to,
        public_keys={"platform": public_jwk(platform_key), "carrier": public_jwk(carrier_key)},
    )


def issuance_request(export: PintExport) -> dict[str, Any]:
    """The carrier's ``IssuanceRequest`` (EBL_ISS) of a PINT export's document: the transport document, the
    ``issueTo`` party and the carrier-signed issuance manifest of the first envelope transfer chain entry."""
    return {
        "document": export.envelope["transportDocument"],
        "issueTo": export.issue_to,
        "issuanceManifestSignedContent": export.entries[0]["issuanceManifestSignedContent"],
    }

"""An eBL's history read from the chain as :class:`~tradechain.ebl.events.TitleEvent` records, its parties as
:class:`~tradechain.ebl.events.Party` (their organisation, its verified profile name, LEI and country), and the DCSA
3.0 export of both (``ebl history --dcsa``): the PINT envelope of the endorsement chain and, once the title was
surrendered, the surrender request with its endorsement chain and the carrier's answer, each validated against
DCSA's own schemas when they are at hand (``../shared/dcsa-ebl-v3`` or ``$TRADECHAIN_DCSA_SCHEMAS``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from eth_typing import HexStr
from eth_utils import to_checksum_address

from tradechain.ebl import dcsa, schemas
from tradechain.ebl.events import Party, TitleEvent

if TYPE_CHECKING:
    from tradechain.client import Client

# TitleRegistry event -> TitleEvent kind
KINDS = {
    "TitleIssued": "issued",
    "Transfer": "holder",
    "BeneficiaryTransferred": "beneficiary",
    "BeneficiaryNominated": "nominated",
    "TransferRejected": "rejected",
    "Approval": "approved",
    "SurrenderRequested": "surrender_requested",
    "SurrenderAccepted": "surrender_accepted",
    "SurrenderRejected": "surrender_rejected",
    "TitlePledgedTo": "pledged",
    "PledgeReleased": "pledge_released",
    "TitleVoided": "voided",
    "TitleReassigned": "reassigned",
    "Remarked": "remark",
}


def _hex(value: Any) -> Any:
    return "0x" + bytes(value).hex() if isinstance(value, bytes | bytearray) else value


def title_history(client: Client, title_id: int) -> list[TitleEvent]:
    """The title's events in chain order, with each block's time and each transaction's sender."""
    times: dict[int, int] = {}
    senders: dict[str, str] = {}
    out = []
    for e in client.titles.events(title_id):
        if e.block_number not in times:
            times[e.block_number] = int(client.w3.eth.get_block(e.block_number)["timestamp"])
        if e.tx_hash not in senders:
            sent = client.w3.eth.get_transaction(HexStr(e.tx_hash))
            senders[e.tx_hash] = to_checksum_address(sent["from"])
        a = {k: _hex(v) for k, v in e.args.items()}
        kind = KINDS.get(e.name)
        before = after = None
        detail: dict[str, object] = {}
        if e.name == "TitleFreezeChanged":
            kind = "frozen" if a["frozen"] else "unfrozen"
            detail = {"court_order_hash": a["courtOrderHash"]}
        elif e.name == "TitleIssued":
            detail = {k: a[k] for k in ("issuer", "holder", "beneficiary")} | {"document_hash": a["documentHash"]}
            after = a["holder"]
        elif e.name in ("Transfer", "BeneficiaryTransferred"):
            before, after = a["from"], a["to"]
        elif e.name == "BeneficiaryNominated":
            detail = {"nominee": a["nominee"]}
        elif e.name == "TransferRejected":
            detail = {"what": int(a["what"])}
        elif e.name == "Approval":
            detail = {"operator": a["approved"]}
        elif e.name in ("SurrenderRequested", "SurrenderAccepted"):
            detail = {"for_amendment": bool(a["forAmendment"])}
        elif e.name in ("TitlePledgedTo", "PledgeReleased"):
            detail = {"pledgee": int(a["pledgee"])}
        elif e.name == "TitleReassigned":
            detail = {"court_order_hash": a["courtOrderHash"]}
        elif e.name == "Remarked":
            detail = {"remark_hash": a["remarkHash"]}
        if kind is None:
            continue
        out.append(
            TitleEvent(
                kind,  # type: ignore[arg-type]
                e.block_number,
                e.log_index,
                e.tx_hash,
                times[e.block_number],
                senders[e.tx_hash],
                before,
                after,
                detail,
            )
        )
    return out


def party_resolver(client: Client) -> Callable[[str], Party]:
    """An address to the :class:`Party` it is: its organisation with the verified profile's name, its LEI and
    country; a contract or a non-member by its address."""

    @cache
    def resolve(address: str) -> Party:
        org, _ = client.participants.organisation_of(address)
        if not org:
            what = "DvP settlement contract" if address.lower() == client.dvp.address.lower() else "contract"
            return Party(address, None, f"{what} {address}"[:70])
        found = client.participants.get(org)
        profile = client.participants.profile(org)
        name = getattr(profile, "name", None) or f"organisation {org}"
        return Party(address, org, str(name), found.lei, found.country)

    return resolve


# the exports and the DCSA components each is validated against (schema file, component)
VALIDATED = {
    "transportDocument": (schemas.PINT, "TransportDocument"),
    "pint.envelope": (schemas.PINT, "EblEnvelope"),
    "pint.manifest": (schemas.PINT, "EnvelopeManifest"),
    "pint.issuanceManifest": (schemas.PINT, "IssuanceManifest"),
    "surrender.request": (schemas.SURRENDER, "SurrenderRequestDetails"),
    "surrender.answer": (schemas.SURRENDER, "SurrenderRequestAnswer"),
}


def dcsa_export(client: Client, title_id: int, document: dict[str, Any]) -> dict[str, Any]:
    """The DCSA 3.0 structures of the title's history: ``pint`` (the ``EblEnvelope``, its decoded transfer chain
    entries and manifests, the public keys that verify its signatures), and ``surrender`` (the request with its
    endorsement chain and the carrier's answer) once a surrender was requested."""
    events = title_history(client, title_id)
    resolve = party_resolver(client)
    pint = dcsa.pint_envelope(events, resolve, document, chain_id=client.chain_id)
    out: dict[str, Any] = {
        "transportDocument": document,
        "pint": {
            "envelope": pint.envelope,
            "entries": pint.entries,
            "manifest": pint.manifest,
            "issuanceManifest": pint.issuance_manifest,
            "issueTo": pint.issue_to,
            "publicKeys": pint.public_keys,
        },
    }
    if any(e.kind == "surrender_requested" for e in events):
        surrender: dict[str, Any] = {
            "request": dcsa.surrender_request(events, resolve, document, chain_id=client.chain_id)
        }
        if any(e.kind in ("surrender_accepted", "surrender_rejected") for e in events):
            surrender["answer"] = dcsa.surrender_answer(events)
        out["surrender"] = surrender
    return out


def validate_export(export: dict[str, Any]) -> list[str]:
    """Validates each part of a :func:`dcsa_export` against its DCSA schema (raises
    :class:`~tradechain.ebl.schemas.SchemaViolation` naming the field and rule; :class:`SchemasMissing` if the schemas
    are not here) and the PINT transfer chain entries against ``EnvelopeTransferChainEntry``; returns what was
    validated."""
    done = []
    for key, (yaml_name, component) in VALIDATED.items():
        value: Any = export
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        schemas.validate(value, yaml_name, component)
        done.append(f"{key}: {component}")
    for i, entry in enumerate(export["pint"]["entries"]):
        schemas.validate(entry, schemas.PINT, "EnvelopeTransferChainEntry")
        done.append(f"pint.entries[{i}]: EnvelopeTransferChainEntry")
    return done

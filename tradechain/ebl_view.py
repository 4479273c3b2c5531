"""An eBL as people read it: its parties named by their organisation, its verdict in one word, its history as
dated, readable entries in chain order, and where its surrender stands. Shared by the CLI (``tradechain ebl``)
and the portal (``/ebl/{id}``), so that both name a party, and tell a title's story, the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_utils import to_checksum_address

from tradechain.client import Client
from tradechain.contracts.title_registry import ZERO_ADDRESS, RawEvent, Status, Title


def party(client: Client, address: str) -> str:
    """An address as outputs name it: its organisation's name, a contract, or nobody."""
    if address == ZERO_ADDRESS:
        return "nobody"
    if address.lower() == client.dvp.address.lower():
        return f"the DvP settlement contract ({address})"
    org, _ = client.participants.organisation_of(address)
    if org:
        return f"{client.participants.display_name(org)} ({address})"
    code = client.w3.eth.get_code(to_checksum_address(address))
    return f"{address} (a contract)" if code else f"{address} (not a member)"


def party_json(client: Client, address: str) -> dict[str, Any] | None:
    """An address with its organisation (number, or None) and its name as :func:`party` gives it; None: nobody."""
    if address == ZERO_ADDRESS:
        return None
    org, _ = client.participants.organisation_of(address)
    return {"address": address, "organisation": org or None, "name": party(client, address)}


def title_json(client: Client, title: Title) -> dict[str, Any]:
    """The title's JSON (:meth:`Title.to_json`) with its holder, beneficiary, issuer and pledgee named."""
    return {
        **title.to_json(),
        "holderParty": party_json(client, title.holder),
        "beneficiaryParty": party_json(client, title.beneficiary),
        "issuerName": client.participants.display_name(title.issuer),
        "pledgeeName": client.participants.display_name(title.pledgee) if title.pledgee else None,
    }


def title_text(client: Client, title: Title) -> str:
    org_name = client.participants.display_name
    lines = [
        f"eBL {title.hex_id}: {title.status.name}" + (" (FROZEN on a court order)" if title.frozen else ""),
        f"  issued by {org_name(title.issuer)}",
        f"  holder:      {party(client, title.holder)}",
        f"  beneficiary: {party(client, title.beneficiary)}",
    ]
    if title.nominee != ZERO_ADDRESS:
        lines.append(f"  nominee:     {party(client, title.nominee)} (the holder may endorse to it)")
    if title.approved != ZERO_ADDRESS:
        lines.append(f"  approved:    {party(client, title.approved)} (may take it over once)")
    if title.pledgee:
        lines.append(f"  pledged to {org_name(title.pledgee)}: it cannot move until released")
    if title.undo:
        what = {1: "holder", 2: "beneficiary", 3: "holder and beneficiary"}[title.undo]
        lines.append(f"  the last transfer ({what}) can still be rejected by its recipient")
    return "\n".join(lines)


def verdict_of(title: Title) -> str:
    """VALID (issued or surrender pending), VOID (surrendered or voided), FROZEN, or UNKNOWN."""
    if not title.exists:
        return "UNKNOWN"
    if title.status.final:
        return "VOID"
    return "FROZEN" if title.frozen else "VALID"


def _when(client: Client, block: int, cache: dict[int, int]) -> int:
    if block not in cache:
        cache[block] = int(client.w3.eth.get_block(block)["timestamp"])
    return cache[block]


def history_entries(client: Client, tid: int) -> list[dict[str, Any]]:
    """The eBL's events, in chain order, as readable entries (time, what, who)."""
    times: dict[int, int] = {}
    out = []
    for e in client.titles.events(tid):
        t = _when(client, e.block_number, times)
        out.append(
            {
                "at": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timestamp": t,
                "event": e.name,
                "text": describe(client, e),
                "block": e.block_number,
                "tx": e.tx_hash,
                "args": {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in e.args.items()},
            }
        )
    return out


def describe(client: Client, e: RawEvent) -> str:
    """One event of a title in a line, every party named by its organisation."""
    a = e.args
    org_name = client.participants.display_name

    def p(key: str) -> str:
        return party(client, a[key])

    match e.name:
        case "TitleIssued":
            return f"issued by {org_name(a['issuer'])} to holder {p('holder')}, beneficiary {p('beneficiary')}"
        case "Transfer":
            if a["from"] == ZERO_ADDRESS:
                return f"holder: {p('to')}"
            if a["to"] == ZERO_ADDRESS:
                return f"no holder any more (was {p('from')})"
            return f"holder: {p('from')} -> {p('to')}"
        case "BeneficiaryTransferred":
            return f"endorsed: beneficiary {p('from')} -> {p('to')}"
        case "BeneficiaryNominated":
            return f"{p('beneficiary')} nominated {p('nominee')}"
        case "TransferRejected":
            what = {1: "holder", 2: "beneficiary", 3: "holder and beneficiary"}.get(int(a["what"]), "?")
            return f"{p('by')} rejected the transfer of {what}"
        case "Approval":
            return f"{p('owner')} approved {p('approved')} to take it over"
        case "SurrenderRequested":
            return f"{p('holder')} surrendered it for {'amendment' if a['forAmendment'] else 'delivery'}"
        case "SurrenderAccepted":
            return f"the carrier accepted the surrender ({p('by')})"
        case "SurrenderRejected":
            return f"the carrier rejected the surrender ({p('by')})"
        case "TitlePledgedTo":
            return f"pledged to {org_name(a['pledgee'])}"
        case "PledgeReleased":
            return f"pledge of {org_name(a['pledgee'])} released"
        case "TitleFreezeChanged":
            return ("frozen" if a["frozen"] else "unfrozen") + f" on court order 0x{bytes(a['courtOrderHash']).hex()}"
        case "TitleVoided":
            return f"voided by {p('by')}"
        case "TitleReassigned":
            return f"reassigned by the carrier ({p('by')}) on court order 0x{bytes(a['courtOrderHash']).hex()}"
        case "Remarked":
            return f"remark by {p('by')}: hash 0x{bytes(a['remarkHash']).hex()}"
    return e.name


SURRENDER_STATES = ("none", "requested", "accepted", "rejected")


def surrender_state(title: Title, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the title's surrender stands, from its status and its history (entries of :func:`history_entries`):
    ``state`` none (never surrendered), requested (awaiting the carrier), accepted (the title is spent) or
    rejected (the last surrender was refused: the title is ISSUED again); ``for`` delivery or amendment; when it was
    requested and decided, and a sentence saying so."""
    requested = decided = None
    for entry in entries:
        if entry["event"] == "SurrenderRequested":
            requested, decided = entry, None
        elif entry["event"] in ("SurrenderAccepted", "SurrenderRejected") and requested is not None:
            decided = entry
    pending = title.status in (Status.PENDING_SURRENDER_FOR_DELIVERY, Status.PENDING_SURRENDER_FOR_AMENDMENT)
    accepted = title.status in (Status.SURRENDERED_FOR_DELIVERY, Status.SURRENDERED_FOR_AMENDMENT)
    purpose = None
    if pending or accepted:
        amendment = title.status in (Status.PENDING_SURRENDER_FOR_AMENDMENT, Status.SURRENDERED_FOR_AMENDMENT)
        purpose = "amendment" if amendment else "delivery"
    elif requested is not None:
        purpose = "amendment" if requested["args"].get("forAmendment") else "delivery"
    if pending:
        state, text = "requested", f"surrendered for {purpose}: awaiting the carrier's acceptance"
    elif accepted:
        what = "the goods are released" if purpose == "delivery" else "it is to be reissued as amended"
        state, text = "accepted", f"surrendered for {purpose} and accepted by the carrier: {what}"
    elif decided is not None and decided["event"] == "SurrenderRejected":
        state, text = "rejected", f"the carrier rejected the surrender for {purpose}: the eBL is in force again"
    else:
        state, text, purpose = "none", "not surrendered", None
    return {
        "state": state,
        "for": purpose,
        "requestedAt": requested["at"] if requested is not None and state != "none" else None,
        "decidedAt": decided["at"] if decided is not None and state in ("accepted", "rejected") else None,
        "text": text,
    }

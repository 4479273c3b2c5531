"""``tradechain ebl``: electronic bills of lading as titles. The carrier issues an eBL for a transport document it
anchored as a bill of lading; the holder passes possession and endorses it; the beneficiary nominates; whoever
received a transfer may reject it as its next action; the holder surrenders it to the carrier for delivery, which
the carrier accepts (the title is void from then on) or rejects. Remarks are sent as their hash only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from eth_utils import to_checksum_address

from tradechain.cli.common import Run, command, echo, org_name
from tradechain.client import Client
from tradechain.contracts.title_registry import ZERO_ADDRESS, RawEvent, Status, Title, hex_id, parse_title_id
from tradechain.formats.values import parse_uint


@click.group("ebl")
def group() -> None:
    """Electronic bills of lading (DCSA eBL 3.0) as titles: one holder at a time, endorsement, surrender."""


TITLE_ARGUMENT = click.argument("title", metavar="EBL")
REMARK_OPTION = click.option(
    "--remark", help="A remark on this action (at most 1,000 characters; only its hash goes on chain)."
)


def _title(text: str) -> int:
    return parse_title_id(text, "ebl")


def party(client: Client, address: str) -> str:
    """An address as outputs name it: its organisation's name, a contract, or nobody."""
    if address == ZERO_ADDRESS:
        return "nobody"
    if address.lower() == client.dvp.address.lower():
        return f"the DvP settlement contract ({address})"
    org, _ = client.participants.organisation_of(address)
    if org:
        return f"{org_name(client, org)} ({address})"
    return (
        f"{address} (a contract)"
        if client.w3.eth.get_code(to_checksum_address(address))
        else f"{address} (not a member)"
    )


def _party_json(client: Client, address: str) -> dict[str, Any] | None:
    if address == ZERO_ADDRESS:
        return None
    org, _ = client.participants.organisation_of(address)
    return {"address": address, "organisation": org or None, "name": party(client, address)}


def title_json(client: Client, title: Title) -> dict[str, Any]:
    return {
        **title.to_json(),
        "holderParty": _party_json(client, title.holder),
        "beneficiaryParty": _party_json(client, title.beneficiary),
        "issuerName": org_name(client, title.issuer),
        "pledgeeName": org_name(client, title.pledgee) if title.pledgee else None,
    }


def title_text(client: Client, title: Title) -> str:
    lines = [
        f"eBL {title.hex_id}: {title.status.name}" + (" (FROZEN on a court order)" if title.frozen else ""),
        f"  issued by {org_name(client, title.issuer)}",
        f"  holder:      {party(client, title.holder)}",
        f"  beneficiary: {party(client, title.beneficiary)}",
    ]
    if title.nominee != ZERO_ADDRESS:
        lines.append(f"  nominee:     {party(client, title.nominee)} (the holder may endorse to it)")
    if title.approved != ZERO_ADDRESS:
        lines.append(f"  approved:    {party(client, title.approved)} (may take it over once)")
    if title.pledgee:
        lines.append(f"  pledged to {org_name(client, title.pledgee)}: it cannot move until released")
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


@command(group, "issue", chain="send")
@click.argument("document", type=click.Path(path_type=Path))
@click.option("--holder", required=True, metavar="ADDRESS", help="The first holder (the shipper, or its bank).")
@click.option("--beneficiary", metavar="ADDRESS", help="The first beneficiary. [default: the holder]")
@click.option("--proof", type=click.Path(path_type=Path), help="Its proof. [default: DOCUMENT.tcproof.json]")
def issue(run: Run, document: Path, holder: str, beneficiary: str | None, proof: Path | None) -> None:
    """Issue the eBL of DOCUMENT (a DCSA transport document, anchored by the signer's carrier as a bill of
    lading: `tradechain doc anchor DOCUMENT --type bill-of-lading --trade T`)."""
    client = run.client()
    title_id, receipt = client.titles.issue(document, holder, beneficiary or holder, proof)
    title = client.titles.get(title_id)
    run.sent(receipt, {"ebl": hex_id(title_id), **title_json(client, title)}, f"eBL {hex_id(title_id)} issued")


@command(group, "nominate", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.argument("nominee", metavar="ADDRESS")
@REMARK_OPTION
def nominate(run: Run, title: str, nominee: str, remark: str | None) -> None:
    """The beneficiary names the next beneficiary (the holder then endorses to it); `none` withdraws."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.nominate(tid, None if nominee.lower() == "none" else nominee, remark)
    run.sent(receipt, {"ebl": title, "nominee": nominee}, f"eBL {title}: {nominee} nominated")


@command(group, "endorse", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.argument("to", metavar="ADDRESS")
@click.option("--holder-too", is_flag=True, help="Pass possession to it as well, in the same transaction.")
@REMARK_OPTION
def endorse(run: Run, title: str, to: str, holder_too: bool, remark: str | None) -> None:
    """The holder endorses the eBL to TO: the beneficiary's nominee, or anyone if the holder is the beneficiary."""
    tid = _title(title)
    client = run.client()
    if holder_too:
        to = client.titles.require_party(to, "to")  # named as given (transfer_owners names holder, beneficiary)
        receipt = client.titles.transfer_owners(tid, to, to, remark)
    else:
        receipt = client.titles.transfer_beneficiary(tid, to, remark)
    run.sent(receipt, {"ebl": title, "beneficiary": to, "holderToo": holder_too}, f"eBL {title} endorsed to {to}")


@command(group, "transfer-holder", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.argument("to", metavar="ADDRESS")
@REMARK_OPTION
def transfer_holder(run: Run, title: str, to: str, remark: str | None) -> None:
    """The holder passes possession of the eBL to TO (an active member's account or a contract)."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.transfer_holder(tid, to, remark)
    run.sent(receipt, {"ebl": title, "holder": to}, f"eBL {title}: holder now {party(client, to)}")


@command(group, "reject", chain="send", shared_first=True)
@TITLE_ARGUMENT
@REMARK_OPTION
def reject(run: Run, title: str, remark: str | None) -> None:
    """Reject the transfer just made to the signer (as its next action): the eBL goes back to the previous
    holder and/or beneficiary."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.reject(tid, remark)
    after = client.titles.get(tid)
    run.sent(receipt, {"ebl": title, **title_json(client, after)}, f"eBL {title}: transfer rejected")


@command(group, "surrender", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.option("--for-amendment", is_flag=True, help="Surrender for an amendment (the default: for delivery).")
@REMARK_OPTION
def surrender(run: Run, title: str, for_amendment: bool, remark: str | None) -> None:
    """The holder, who must also be the beneficiary, surrenders the eBL to its carrier for delivery of the goods
    (or for an amendment)."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.surrender(tid, for_amendment=for_amendment, remark=remark)
    what = "amendment" if for_amendment else "delivery"
    run.sent(receipt, {"ebl": title, "for": what}, f"eBL {title} surrendered for {what}; the carrier must accept it")


@command(group, "accept-surrender", chain="send", shared_first=True)
@TITLE_ARGUMENT
@REMARK_OPTION
def accept_surrender(run: Run, title: str, remark: str | None) -> None:
    """The issuing carrier accepts a surrender: the eBL is void from then on (the goods are released)."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.accept_surrender(tid, remark)
    after = client.titles.get(tid)
    run.sent(receipt, {"ebl": title, "status": after.status.name}, f"eBL {title}: {after.status.name}")


@command(group, "reject-surrender", chain="send", shared_first=True)
@TITLE_ARGUMENT
@REMARK_OPTION
def reject_surrender(run: Run, title: str, remark: str | None) -> None:
    """The issuing carrier rejects a surrender: the eBL is ISSUED again, with the same holder."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.reject_surrender(tid, remark)
    run.sent(receipt, {"ebl": title, "status": Status.ISSUED.name}, f"eBL {title}: surrender rejected")


@command(group, "pledge", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.argument("pledgee", metavar="ORG")
def pledge(run: Run, title: str, pledgee: str) -> None:
    """The holder pledges the eBL to a financier organisation (ORG, its number): it cannot move or be
    surrendered until the pledgee releases it."""
    tid = _title(title)
    org = parse_uint(pledgee, "pledgee", bits=32)
    client = run.client()
    receipt = client.titles.pledge(tid, org)
    run.sent(receipt, {"ebl": title, "pledgee": org}, f"eBL {title} pledged to {org_name(client, org)}")


@command(group, "release-pledge", chain="send", shared_first=True)
@TITLE_ARGUMENT
def release_pledge(run: Run, title: str) -> None:
    """The pledgee releases its pledge."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.release_pledge(tid)
    run.sent(receipt, {"ebl": title}, f"eBL {title}: pledge released")


@command(group, "freeze", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.option("--court-order", required=True, help="The court order's reference (hashed on chain).")
@click.option("--lift", is_flag=True, help="Lift the freeze.")
def freeze(run: Run, title: str, court_order: str, lift: bool) -> None:
    """The issuing carrier freezes the eBL on a court order (or lifts the freeze): nothing moves while frozen."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.set_frozen(tid, not lift, court_order)
    run.sent(receipt, {"ebl": title, "frozen": not lift}, f"eBL {title} " + ("unfrozen" if lift else "frozen"))


@command(group, "void", chain="send", shared_first=True)
@TITLE_ARGUMENT
@REMARK_OPTION
def void(run: Run, title: str, remark: str | None) -> None:
    """The issuing carrier voids an eBL it holds and is the beneficiary of (issued by mistake, or returned)."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.void(tid, remark)
    run.sent(receipt, {"ebl": title, "status": Status.VOIDED.name}, f"eBL {title} voided")


@command(group, "status", chain="read")
@TITLE_ARGUMENT
def status(run: Run, title: str) -> None:
    """The eBL's status, holder and beneficiary (with their organisations), nominee, pledge and freeze. Exit code
    0: VALID (issued, or a surrender pending); 3: UNKNOWN (no such eBL here); 4: VOID (surrendered or voided) or
    FROZEN."""
    tid = _title(title)
    client = run.client()
    found = client.titles.get(tid)
    verdict = verdict_of(found)
    if not found.exists:
        run.verdict(verdict, {"ebl": title, "verdict": verdict}, f"UNKNOWN: no eBL {title} on this chain")
        return
    run.verdict(verdict, {"verdict": verdict, **title_json(client, found)}, f"{verdict}\n{title_text(client, found)}")


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
    a = e.args
    p = lambda key: party(client, a[key])  # noqa: E731
    match e.name:
        case "TitleIssued":
            return f"issued by {org_name(client, a['issuer'])} to holder {p('holder')}, beneficiary {p('beneficiary')}"
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
            return f"pledged to {org_name(client, a['pledgee'])}"
        case "PledgeReleased":
            return f"pledge of {org_name(client, a['pledgee'])} released"
        case "TitleFreezeChanged":
            return ("frozen" if a["frozen"] else "unfrozen") + f" on court order 0x{bytes(a['courtOrderHash']).hex()}"
        case "TitleVoided":
            return f"voided by {p('by')}"
        case "Remarked":
            return f"remark by {p('by')}: hash 0x{bytes(a['remarkHash']).hex()}"
    return e.name


@command(group, "history", chain="read")
@TITLE_ARGUMENT
def history(run: Run, title: str) -> None:
    """The eBL's whole history, in chain order: issue, every holder transfer and endorsement, nominations,
    rejections, pledges, freezes and the surrender."""
    tid = _title(title)
    client = run.client()
    client.titles.require(tid)
    entries = history_entries(client, tid)

    def text() -> None:
        echo(f"eBL {title}: {len(entries)} events")
        for entry in entries:
            echo(f"  {entry['at']}  {entry['text']}")

    run.emit({"ebl": title, "events": entries}, text)

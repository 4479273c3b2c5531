"""``tradechain ebl``: electronic bills of lading as titles. The carrier issues an eBL for a transport document it
anchored as a bill of lading; the holder passes possession and endorses it; the beneficiary nominates; whoever
received a transfer may reject it as its next action; the holder surrenders it to the carrier for delivery, which
the carrier accepts (the title is void from then on) or rejects. Remarks are sent as their hash only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, command, echo, json_text, org_name, read_json_file
from tradechain.client import Client
from tradechain.contracts.title_registry import Status, hex_id, parse_title_id
from tradechain.ebl_view import history_entries, party, title_json, title_text, verdict_of
from tradechain.errors import InputError
from tradechain.formats.values import parse_uint
from tradechain.risk.files import write_whole


@click.group("ebl")
def group() -> None:
    """Electronic bills of lading (DCSA eBL 3.0) as titles: one holder at a time, endorsement, surrender."""


TITLE_ARGUMENT = click.argument("title", metavar="EBL")
REMARK_OPTION = click.option(
    "--remark", help="A remark on this action (at most 1,000 characters; only its hash goes on chain)."
)


def _title(text: str) -> int:
    return parse_title_id(text, "ebl")


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


@command(group, "reassign", chain="send", shared_first=True)
@TITLE_ARGUMENT
@click.option("--holder", required=True, metavar="ADDRESS", help="The holder the court order names.")
@click.option("--beneficiary", metavar="ADDRESS", help="The beneficiary it names. [default: the holder]")
@click.option("--court-order", required=True, help="The court order's reference (hashed on chain).")
def reassign(run: Run, title: str, holder: str, beneficiary: str | None, court_order: str) -> None:
    """The issuing carrier gives a frozen eBL to the holder and beneficiary a court order names: the recovery of an
    eBL whose holder lost its key (revoked or rotated away) or whose pledgee can no longer release it. It stays
    frozen until `ebl freeze --lift`."""
    tid = _title(title)
    client = run.client()
    receipt = client.titles.reassign(tid, holder, beneficiary or holder, court_order)
    after = client.titles.get(tid)
    run.sent(receipt, {"ebl": title, **title_json(client, after)}, f"eBL {title} reassigned to {party(client, holder)}")


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


@command(group, "history", chain="read")
@TITLE_ARGUMENT
@click.option(
    "--dcsa",
    "document",
    type=click.Path(path_type=Path),
    metavar="DOCUMENT",
    help="Export the history as DCSA eBL 3.0 structures (PINT envelope, surrender request and answer), given the "
    "eBL's transport document (its hash must be the one issued); validated against DCSA's schemas when they are "
    "here (../shared/dcsa-ebl-v3 or $TRADECHAIN_DCSA_SCHEMAS).",
)
@click.option("--out", type=click.Path(path_type=Path), help="With --dcsa: write the export to this JSON file.")
def history(run: Run, title: str, document: Path | None, out: Path | None) -> None:
    """The eBL's whole history, in chain order: issue, every holder transfer and endorsement, nominations,
    rejections, pledges, freezes and the surrender. With --dcsa, the same as DCSA 3.0 structures. Exit code 3 if
    the export does not validate against DCSA's schemas."""
    tid = _title(title)
    if out is not None and document is None:
        raise InputError("out", "only with --dcsa DOCUMENT")
    client = run.client()
    client.titles.require(tid)
    if document is not None:
        _dcsa(run, client, tid, title, document, out)
        return
    entries = history_entries(client, tid)

    def text() -> None:
        echo(f"eBL {title}: {len(entries)} events")
        for entry in entries:
            echo(f"  {entry['at']}  {entry['text']}")

    run.emit({"ebl": title, "events": entries}, text)


def _dcsa(run: Run, client: Client, tid: int, title: str, document: Path, out: Path | None) -> None:
    from tradechain.contracts import document_registry
    from tradechain.ebl import history as ebl_history
    from tradechain.ebl import schemas

    issued = next(e for e in client.titles.events(tid) if e.name == "TitleIssued")
    actual = document_registry.document_hash(document)
    if actual != bytes(issued.args["documentHash"]):
        raise InputError(
            "dcsa",
            f"{document.name} is not this eBL's transport document (its hash 0x{actual.hex()} is not the issued "
            f"0x{bytes(issued.args['documentHash']).hex()})",
        )
    export = ebl_history.dcsa_export(client, tid, read_json_file(document, "dcsa"))
    try:
        validated: list[str] | None = ebl_history.validate_export(export)
        problem = None
    except schemas.SchemasMissing as exc:
        validated, problem = None, exc.user_message
    except schemas.SchemaViolation as exc:
        validated, problem = [], exc.user_message
    if out is not None:
        write_whole(out, (json_text(export) + "\n").encode())
    verdict = "VALID" if validated else ("INVALID" if validated == [] else "PROOF_UNAVAILABLE")
    data: dict[str, Any] = {"ebl": title, "verdict": verdict, "validated": validated, "problem": problem}
    data |= {"file": str(out)} if out is not None else {"export": export}
    lines = [f"{verdict}: DCSA eBL 3.0 export of eBL {title}"]
    lines += [f"  valid {v}" for v in validated or []]
    if problem:
        lines.append(f"  {problem}")
    if out is not None:
        lines.append(f"  written to {out}")
    else:
        lines.append(json_text(export))
    run.verdict(verdict, data, "\n".join(lines))

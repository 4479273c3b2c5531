"""``tradechain dvp``: delivery versus payment of an eBL. The buyer or its bank opens a settlement; the funder
pays in; the seller puts the title in; one ``settle`` pays the seller and makes the buyer the eBL's holder and
beneficiary, in one transaction; after the deadline ``refund`` gives each side its own back."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, command, org_name
from tradechain.cli.ebl import party
from tradechain.cli.escrow import _amount, _deadline
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.dvp_settlement import Terms
from tradechain.contracts.erc20 import Token
from tradechain.contracts.title_registry import hex_id, parse_title_id
from tradechain.errors import InputError
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint


@click.group("dvp")
def group() -> None:
    """Delivery versus payment: the eBL passes to the buyer exactly when the seller is paid."""


SETTLEMENT_ARGUMENT = click.argument("settlement", metavar="SETTLEMENT")
DOCS_OPTION = click.option(
    "--doc", "docs", multiple=True, type=click.Path(path_type=Path), help="A proving document (repeat)."
)


def _sid(text: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", text):
        raise InputError("settlement", "a settlement id is 0x followed by 64 hex digits", text)
    return text.lower()


def _terms(client: Client, sid: str) -> Terms:
    return client.dvp.terms_of(_sid(sid))


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_json(client: Client, sid: str, terms: Terms) -> dict[str, Any]:
    return {"settlement": sid, **client.dvp.state(sid), "deadline": _iso(terms.deadline), "terms": terms.to_json()}


def state_text(client: Client, sid: str, terms: Terms) -> str:
    st = client.dvp.state(sid)
    coin = Token(client, terms.token)
    docs = ", ".join(terms.documents) or "none"
    lines = [
        f"settlement {sid}: {st['status']}",
        f"  eBL {hex_id(terms.title_id)}: " + ("in the settlement" if st["delivered"] else "not put in"),
        f"  payment {coin.show(terms.amount)}: " + ("in the settlement" if st["funded"] else "not paid in"),
        f"  seller {party(client, terms.seller)}",
        f"  buyer  {party(client, terms.buyer)}",
        f"  funder {party(client, terms.funder)}",
        f"  documents required: {docs}" + (f" from {org_name(client, terms.doc_issuer)}" if terms.doc_issuer else ""),
        f"  settle until {_iso(terms.deadline)}; after it each side takes its own back (dvp refund)",
    ]
    if terms.invoice != b"\0" * 32:
        lines.append(f"  financed: invoice 0x{terms.invoice.hex()} must be registered by the funder's bank alone")
    return "\n".join(lines)


@command(group, "open", chain="send")
@click.option("--ebl", "title", required=True, help="The eBL to deliver (its id).")
@click.option("--seller", required=True, metavar="ADDRESS", help="Puts the eBL in (its holder and beneficiary).")
@click.option("--buyer", metavar="ADDRESS", help="Becomes holder and beneficiary. [default: the signer]")
@click.option("--funder", metavar="ADDRESS", help="Pays in and gets a refund. [default: the signer]")
@click.option("--token", metavar="ADDRESS", help="ERC-20 stablecoin. [default on the local chain: MockUSDC]")
@click.option("--amount", required=True, help="In token units, e.g. 1250000.00.")
@click.option("--deadline", required=True, help="Settle until then: YYYY-MM-DD or +Nd.")
@click.option(
    "--require", "documents", multiple=True, help="A document type to prove (repeat), e.g. inspection-certificate."
)
@click.option("--doc-issuer", default="0", help="The organisation that must issue them. [default: any with the role]")
@click.option("--invoice", help="The invoice's fingerprint (0x...) when the settlement is financed.")
def open_(
    run: Run,
    title: str,
    seller: str,
    buyer: str | None,
    funder: str | None,
    token: str | None,
    amount: str,
    deadline: str,
    documents: tuple[str, ...],
    doc_issuer: str,
    invoice: str | None,
) -> None:
    """Open a settlement (the buyer or the funder)."""
    tid = parse_title_id(title, "ebl")
    when = _deadline(deadline)
    for name in documents:
        document_registry.parse_doc_type(name, "require")
    issuer = parse_uint(doc_issuer, "doc-issuer", bits=32)
    fingerprint = parse_bytes32(invoice, "invoice") if invoice else b"\0" * 32
    client = run.client()
    me = client.require_signer().address
    token_address = parse_address(token, "token") if token else client.deployment.address("MockUSDC")
    coin = Token(client, token_address, given=token)
    if token:
        coin.require_contract()
    terms = Terms(
        parse_address(seller, "seller"),
        parse_address(buyer, "buyer") if buyer else me,
        parse_address(funder, "funder") if funder else me,
        token_address,
        _amount(amount, coin.decimals()),
        when,
        tid,
        tuple(documents),
        issuer,
        fingerprint,
    )
    sid, receipt = client.dvp.open(terms)
    run.sent(receipt, {"settlement": sid, "terms": terms.to_json()}, f"settlement {sid} opened")


@command(group, "fund", chain="send", shared_first=True)
@SETTLEMENT_ARGUMENT
def fund(run: Run, settlement: str) -> None:
    """The funder pays the amount in (approves the token first)."""
    client = run.client()
    terms = _terms(client, settlement)
    receipt = client.dvp.fund(terms)
    run.sent(receipt, {"settlement": settlement}, f"settlement {settlement} funded")


@command(group, "deliver", chain="send", shared_first=True)
@SETTLEMENT_ARGUMENT
def deliver(run: Run, settlement: str) -> None:
    """The seller puts the eBL in (approves the settlement on the TitleRegistry first)."""
    client = run.client()
    terms = _terms(client, settlement)
    receipt = client.dvp.deliver(terms)
    run.sent(receipt, {"settlement": settlement}, f"eBL {hex_id(terms.title_id)} put into settlement {settlement}")


@command(group, "settle", chain="send", shared_first=True)
@SETTLEMENT_ARGUMENT
@DOCS_OPTION
def settle(run: Run, settlement: str, docs: tuple[Path, ...]) -> None:
    """Pay the seller and make the buyer the eBL's holder and beneficiary, in one transaction (a party of the
    terms, until the deadline). Checked first: both are in, and the documents prove what the terms require."""
    client = run.client()
    sid = _sid(settlement)
    terms = _terms(client, sid)
    st = client.dvp.state(sid)
    missing = [what for what, ok in (("the payment", st["funded"]), ("the eBL", st["delivered"])) if not ok]
    if st["status"] == "OPEN" and missing:
        raise InputError("settlement", f"{' and '.join(missing)} not in yet; nothing sent", sid)
    lacking = client.dvp.missing(terms, list(docs))
    if lacking:
        raise InputError(
            "doc",
            f"the terms require {', '.join(lacking)} anchored for settlement {sid}: give each with --doc FILE",
        )
    receipt = client.dvp.settle(terms, list(docs))
    run.sent(
        receipt,
        state_json(client, sid, terms),
        f"settlement {sid} settled: seller paid, {party(client, terms.buyer)} holds the eBL",
    )


@command(group, "refund", chain="send", shared_first=True)
@SETTLEMENT_ARGUMENT
def refund(run: Run, settlement: str) -> None:
    """After the deadline: the payment back to the funder, the eBL back to the seller (a party of the terms)."""
    client = run.client()
    sid = _sid(settlement)
    terms = _terms(client, sid)
    receipt = client.dvp.refund(terms)
    run.sent(receipt, state_json(client, sid, terms), f"settlement {sid} refunded")


@command(group, "status", chain="read")
@SETTLEMENT_ARGUMENT
def status(run: Run, settlement: str) -> None:
    """The settlement's terms, what is in it, and its deadline."""
    client = run.client()
    sid = _sid(settlement)
    terms = _terms(client, sid)
    run.emit(state_json(client, sid, terms), state_text(client, sid, terms))


@command(group, "missing", chain="read")
@SETTLEMENT_ARGUMENT
@DOCS_OPTION
def missing(run: Run, settlement: str, docs: tuple[Path, ...]) -> None:
    """What the settlement's documentary conditions still lack with these documents (exit code 1 if anything)."""
    client = run.client()
    sid = _sid(settlement)
    lacking = client.dvp.missing(_terms(client, sid), list(docs))
    run.emit(
        {"settlement": sid, "missing": lacking}, "nothing missing" if not lacking else "missing: " + ", ".join(lacking)
    )
    if lacking:
        sys.exit(1)

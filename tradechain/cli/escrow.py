"""``tradechain escrow``: trade-finance escrow in an ERC-20 stablecoin, opened by the buyer or its financier,
released to the seller as documents prove each milestone, disputed by the buyer, resolved by the arbiter."""

from __future__ import annotations

import math
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, command, org_name
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.erc20 import Token
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.errors import InputError, revert_class
from tradechain.formats.values import parse_address, parse_amount, parse_uint


@click.group("escrow")
def group() -> None:
    """Trade-finance escrow in an ERC-20 stablecoin, released to the seller when documents prove each milestone."""


ESCROW_ARGUMENT = click.argument("escrow_id", metavar="ESCROW")
MILESTONE_ARGUMENT = click.argument("milestone", type=click.IntRange(1, 8))  # numbered from 1, as `status` lists them
DOCS_OPTION = click.option(
    "--doc", "docs", multiple=True, type=click.Path(path_type=Path), help="A proving document (repeat)."
)


def _amount(text: str, decimals: int) -> int:
    return parse_amount(text, decimals, too_large="too large (the escrow holds below 2^96 units)")


MAX_DEADLINE_DAYS = 100 * 366


def _deadline(text: str) -> int:
    """A deadline in the future, at most about a century away: YYYY-MM-DD (end of that day, UTC) or +Nd."""
    value = text.strip()
    rule = "a date YYYY-MM-DD or +Nd (N days from now)"
    now = datetime.now(UTC)
    if value.startswith("+") and value.endswith("d"):
        days = value[1:-1]
        if not days.isdigit():
            raise InputError("deadline", rule, text)
        if not 1 <= int(days) <= MAX_DEADLINE_DAYS:
            raise InputError("deadline", f"+Nd takes N from 1 to {MAX_DEADLINE_DAYS:,} days", text)
        return int((now + timedelta(days=int(days))).timestamp())
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError("deadline", rule, text) from None
    when = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    if when <= now:
        raise InputError("deadline", "must be in the future", text)
    if when > now + timedelta(days=MAX_DEADLINE_DAYS):
        raise InputError("deadline", f"at most {MAX_DEADLINE_DAYS:,} days from now", text)
    return int(when.timestamp())


def _percent(text: str, field: str, *, minimum: float) -> int:
    """A percentage, ``40%`` or ``40``, as basis points (rounded)."""
    try:
        number = float(text.strip().rstrip("%"))
    except ValueError:
        number = float("nan")
    if not math.isfinite(number) or not minimum <= number <= 100:
        low = "0%" if minimum == 0 else "above 0%"
        raise InputError(field, f"a percentage from {low} to 100%", text)
    return round(number * 100)


def _milestone(text: str) -> Milestone:
    share, sep, rest = text.partition(":")
    docs, _, issuer = rest.partition("@")
    try:
        bps = _percent(share, "milestone", minimum=0.01)
    except InputError:
        raise InputError("milestone", "SHARE%:TYPE[,TYPE][@ORG], e.g. 30%:bill-of-lading@5", text) from None
    if not sep or not docs or not 0 < bps <= 10_000:
        raise InputError("milestone", "SHARE%:TYPE[,TYPE][@ORG], e.g. 30%:bill-of-lading@5", text)
    names = tuple(d.strip() for d in docs.split(","))
    for name in names:
        document_registry.parse_doc_type(name, "milestone")
    return Milestone(bps, names, parse_uint(issuer, "milestone issuer", bits=32) if issuer else 0)


def _terms(client: Client, escrow_id: str) -> Terms:
    _escrow_id(escrow_id)
    return client.escrow.terms_of(escrow_id)


def _escrow_id(escrow_id: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", escrow_id):
        raise InputError("escrow", "an escrow id is 0x followed by 64 hex digits", escrow_id)
    return escrow_id


def _iso(t: int) -> str | None:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


def _state_json(client: Client, escrow_id: str, terms: Terms) -> dict[str, Any]:
    """The state with its dates (ISO 8601, UTC): the dispute window, the arbiter's time, the refund date."""
    st = client.escrow.state(escrow_id)
    times = client.escrow.timeline(terms, st)
    return {
        **st,
        "disputedAt": _iso(st["disputedAt"]),
        "deadline": _iso(times["deadline"]),
        "disputeWindowClosesAt": _iso(times["disputeWindowClosesAt"]),
        "arbitrationLapsesAt": _iso(times["arbitrationLapsesAt"]),
        "disputeLapsed": times["disputeLapsed"],
        "refundableAfter": _iso(times["refundableAfter"]),
    }


def _state_text(client: Client, escrow_id: str, terms: Terms) -> str:
    st = _state_json(client, escrow_id, terms)
    coin = Token(client, terms.token)
    status = st["status"]
    if st["disputeLapsed"]:
        status += f" (lapsed at {st['arbitrationLapsesAt']}: releases and refunds apply again)"
    released = [i + 1 for i in st["releasedMilestones"]]
    count = len(terms.milestones)
    lines = [
        f"escrow {escrow_id}: {status}, trade {terms.trade_id}",
        f"  held {coin.show(st['held'])} of {coin.show(terms.amount)} (token {terms.token}); milestones released: "
        f"{', '.join(map(str, released)) or 'none'} (of {count})",
        f"  deadline {st['deadline']}: the buyer may dispute until then, once",
    ]
    if st["disputedAt"]:
        lines.append(
            f"  disputed at {st['disputedAt']}; the arbiter may resolve until {st['arbitrationLapsesAt']}, "
            "then the dispute lapses"
        )
    lines.append(f"  refundable after {st['refundableAfter']}" + (" (deadline + 30 days)" if st["disputedAt"] else ""))
    lines.append("  milestones (numbered from 1):")
    for i, m in enumerate(terms.milestones):
        who = f" from {org_name(client, m.issuer)}" if m.issuer else ""
        share = coin.show(terms.amount * m.bps // 10_000)
        done = ", released" if i + 1 in released else ""
        lines.append(
            f"  milestone {i + 1} of {count}: {m.bps / 100:g}% ({share}) on {', '.join(m.required_docs)}{who}{done}"
        )
    lines.append(f"  its documents are anchored with: tradechain doc anchor FILE --type TYPE --escrow {escrow_id}")
    return "\n".join(lines)


@command(group, "open", chain="send")
@click.option("--seller", required=True, metavar="ADDRESS")
@click.option("--buyer", metavar="ADDRESS", help="The importer (may dispute). [default: the signer]")
@click.option("--funder", metavar="ADDRESS", help="Who pays in and gets refunds. [default: the signer]")
@click.option("--arbiter", required=True, metavar="ADDRESS")
@click.option("--token", metavar="ADDRESS", help="ERC-20 stablecoin. [default on the local chain: MockUSDC]")
@click.option("--amount", required=True, help="In token units, e.g. 1250000.00.")
@click.option("--deadline", required=True, help="After it, the funder can be refunded: YYYY-MM-DD or +Nd.")
@click.option("--trade", required=True, help="The trade id its documents are bound to.")
@click.option(
    "--milestone",
    "milestones",
    multiple=True,
    required=True,
    help="SHARE%:TYPE[,TYPE][@ORG], e.g. 30%:bill-of-lading@5 (repeat; shares add up to 100%).",
)
def open_(
    run: Run,
    seller: str,
    buyer: str | None,
    funder: str | None,
    arbiter: str,
    token: str | None,
    amount: str,
    deadline: str,
    trade: str,
    milestones: tuple[str, ...],
) -> None:
    """Open an escrow (the buyer or its financier)."""
    parsed = tuple(_milestone(m) for m in milestones)
    when = _deadline(deadline)
    document_registry.trade_id(trade)
    client = run.client()
    me = client.require_signer().address
    token_address = parse_address(token, "token") if token else client.deployment.address("MockUSDC")
    coin = Token(client, token_address, given=token)
    if token:
        coin.require_contract()
    decimals = coin.decimals()
    terms = Terms(
        parse_address(funder, "funder") if funder else me,
        parse_address(buyer, "buyer") if buyer else me,
        parse_address(seller, "seller"),
        parse_address(arbiter, "arbiter"),
        token_address,
        _amount(amount, decimals),
        when,
        trade,
        parsed,
    )
    escrow_id, receipt = client.escrow.open(terms)
    run.sent(receipt, {"escrow": escrow_id, "terms": terms.to_json()}, f"escrow {escrow_id} opened")


@command(group, "fund", chain="send", shared_first=True)
@ESCROW_ARGUMENT
def fund(run: Run, escrow_id: str) -> None:
    """Pay the escrow's amount in (the funder; approves the token first)."""
    client = run.client()
    receipt = client.escrow.fund(_terms(client, escrow_id))
    run.sent(receipt, {"escrow": escrow_id}, f"escrow {escrow_id} funded")


@command(group, "status", chain="read")
@ESCROW_ARGUMENT
def status(run: Run, escrow_id: str) -> None:
    """The escrow's terms, what it holds, its milestones, and its dates: the dispute window, the arbiter's time
    once disputed, when it may be refunded."""
    client = run.client()
    terms = _terms(client, escrow_id)
    run.emit(
        {"escrow": escrow_id, **_state_json(client, escrow_id, terms), "terms": terms.to_json()},
        _state_text(client, escrow_id, terms),
    )


@command(group, "missing", chain="read")
@ESCROW_ARGUMENT
@MILESTONE_ARGUMENT
@DOCS_OPTION
def missing(run: Run, escrow_id: str, milestone: int, docs: tuple[Path, ...]) -> None:
    """What MILESTONE (its number, from 1, as `escrow status` lists them) still lacks with these documents. Exit
    code 0: releasable; 1: documents missing (or revoked, or by an issuer without the role); 2: a bad input, such
    as a document issued for another escrow or trade."""
    client = run.client()
    terms = _terms(client, escrow_id)
    index = _milestone_of(terms, milestone)
    lacking = client.escrow.missing(terms, index, list(docs))
    text = (
        f"milestone {milestone} of {escrow_id} is releasable with these documents"
        if not lacking
        else f"milestone {milestone} of {escrow_id} lacks a valid {', '.join(lacking)} issued for this escrow"
    )
    data = {"escrow": escrow_id, "milestone": milestone, "milestoneIndex": index}
    run.emit({**data, "missing": lacking, "releasable": not lacking}, text)
    if lacking:
        sys.exit(1)


def _milestone_of(terms: Terms, milestone: int) -> int:
    """The contract's index (from 0) of milestone number ``milestone`` (from 1)."""
    if milestone > len(terms.milestones):
        raise InputError("milestone", f"this escrow has milestones 1 to {len(terms.milestones)}", milestone)
    return milestone - 1


@command(group, "release", chain="send", shared_first=True)
@ESCROW_ARGUMENT
@MILESTONE_ARGUMENT
@DOCS_OPTION
def release(run: Run, escrow_id: str, milestone: int, docs: tuple[Path, ...]) -> None:
    """Release MILESTONE (its number, from 1, as `escrow status` lists them) to the seller with the proving
    documents (checked first; anyone may call). Without --doc it names the documents needed; with documents that
    do not prove the milestone it is refused as the chain would refuse it (ConditionsNotMet, exit code 1), before
    anything is sent."""
    client = run.client()
    terms = _terms(client, escrow_id)
    index = _milestone_of(terms, milestone)
    lacking = client.escrow.missing(terms, index, list(docs))
    if lacking and not docs:
        m = terms.milestones[index]
        who = f" by organisation {m.issuer}" if m.issuer else ""
        raise InputError(
            "doc",
            f"milestone {milestone} needs {', '.join(lacking)} issued{who} for escrow {escrow_id}: give each "
            "document with --doc FILE (its proof FILE.tcproof.json beside it)",
        )
    if lacking:
        codes = {name: code for code, name in document_registry.DOC_TYPE_NAMES.items()}
        mask = sum(1 << codes[name] for name in lacking if name in codes)
        raise revert_class("ConditionsNotMet")(
            "ConditionsNotMet",
            {"escrowId": bytes.fromhex(escrow_id[2:]), "milestone": index, "missingDocs": mask},
            f"milestone {milestone} cannot be released: missing valid {', '.join(lacking)} issued for escrow "
            f"{escrow_id} (trade {terms.trade_id}); checked before sending, nothing was sent",
            contract="TradeEscrow",
        )
    receipt = client.escrow.release(terms, index, list(docs))
    run.sent(
        receipt,
        {"escrow": escrow_id, "milestone": milestone, "milestoneIndex": index, **_state_json(client, escrow_id, terms)},
        f"milestone {milestone} of {escrow_id} released to {terms.seller}",
    )


@command(group, "refund", chain="send", shared_first=True)
@ESCROW_ARGUMENT
def refund(run: Run, escrow_id: str) -> None:
    """Return what is left to the funder, after the deadline (30 days later once disputed; anyone may call)."""
    client = run.client()
    receipt = client.escrow.refund(_terms(client, escrow_id))
    run.sent(receipt, {"escrow": escrow_id}, f"escrow {escrow_id} refunded")


@command(group, "dispute", chain="send", shared_first=True)
@ESCROW_ARGUMENT
@click.option("--reason", required=True)
def dispute(run: Run, escrow_id: str, reason: str) -> None:
    """Freeze the escrow until the arbiter resolves it, for at most 30 days (the buyer, once, up to the deadline)."""
    client = run.client()
    terms = _terms(client, escrow_id)
    receipt = client.escrow.dispute(terms, reason)
    st = _state_json(client, escrow_id, terms)
    run.sent(
        receipt,
        {"escrow": escrow_id, **st},
        f"escrow {escrow_id} disputed; the arbiter may resolve it until {st['arbitrationLapsesAt']}, then the "
        "dispute lapses",
    )


@command(group, "resolve", chain="send", shared_first=True)
@ESCROW_ARGUMENT
@click.option("--seller-share", required=True, help="Percent to the seller, e.g. 60%.")
def resolve(run: Run, escrow_id: str, seller_share: str) -> None:
    """Split what is left: --seller-share to the seller, the rest to the funder (the arbiter, within 30 days of the
    dispute)."""
    _escrow_id(escrow_id)
    bps = _percent(seller_share, "seller-share", minimum=0)
    client = run.client()
    receipt = client.escrow.resolve(_terms(client, escrow_id), bps)
    run.sent(
        receipt,
        {"escrow": escrow_id, "sellerBps": bps},
        f"escrow {escrow_id} resolved, {bps / 100:g}% of the rest to the seller",
    )

"""``tradechain doc`` and ``tradechain escrow``: trade documents and trade-finance escrow."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from eth_utils import to_checksum_address
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from tradechain.cli.common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    open_client,
    read_json_file,
    tx_json,
    tx_text,
)
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.trade_escrow import EscrowClient, Milestone, Terms, is_escrow_id
from tradechain.errors import InputError
from tradechain.formats.values import parse_address, parse_amount, parse_uint


@click.group("doc")
def doc_group() -> None:
    """Trade documents: anchor (issuers), verify (anyone), revoke (issuers). Only hashes go on chain."""


@doc_group.command("anchor")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--type", "doc_type", required=True, help=f"One of: {', '.join(document_registry.DOC_TYPES)}.")
@click.option("--trade", help="The trade id the documents belong to (<= 32 characters, or a 0x 32-byte id).")
@click.option(
    "--escrow",
    metavar="ESCROW",
    help="Issue them for this escrow (its id, or the JSON file of `escrow open --json`): their trade id is the "
    "escrow id, as the escrow requires.",
)
@click.option(
    "--proofs-only",
    is_flag=True,
    help="Send nothing: write again the proofs of a batch the signer's organisation anchored (the same FILES, in "
    "the same order, with the same --type and --trade or --escrow).",
)
@chain_options(signer=True)
@json_option
@handle_errors
def anchor(
    files: tuple[Path, ...],
    doc_type: str,
    trade: str | None,
    escrow: str | None,
    proofs_only: bool,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Anchor FILES as one batch (one transaction whatever their number); each file's proof is written beside it
    as FILE.tcproof.json, before anything is sent (never through a symbolic link, never over another proof).
    Documents an escrow pays on are anchored with --escrow (the escrow id). --proofs-only writes the proofs of an
    anchored batch again."""
    document_registry.parse_doc_type(doc_type)
    if (trade is None) == (escrow is None):
        raise InputError("trade", "give --trade TRADE, or --escrow ESCROW for an escrow's documents")
    if trade is not None:
        document_registry.trade_id(trade)
    escrow_ref = _escrow_ref(escrow) if escrow is not None else None
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    if escrow_ref is not None:
        client.escrow.terms_of(escrow_ref)  # an escrow of this chain: a mistyped id anchors nothing
    bound_to = escrow_ref or str(trade)
    what = f"escrow {escrow_ref}" if escrow_ref else f"trade {trade}"
    if proofs_only:
        root, done = client.documents.write_proofs(list(files), doc_type, bound_to)
        written = sum(d.written for d in done)
        emit(
            as_json,
            {"root": root, "documents": len(files), "tradeId": bound_to, "escrow": escrow_ref, "written": written},
            f"batch {root} for {what} is anchored: {written} proof(s) written, {len(files) - written} already there",
        )
        return
    root, receipt = client.documents.anchor(list(files), doc_type, bound_to)
    emit(
        as_json,
        {"root": root, "documents": len(files), "tradeId": bound_to, "escrow": escrow_ref, **tx_json(receipt)},
        f"anchored {len(files)} {doc_type} document(s) for {what} as batch {root}; {tx_text(receipt)}",
    )


def _escrow_ref(value: str) -> str:
    """An escrow id: as given (0x and 64 hex digits), or from a JSON file of `escrow open --json` (or its terms)."""
    text = value.strip()
    if is_escrow_id(text):
        return text.lower()
    path = Path(text)
    if not path.is_file():
        raise InputError(
            "escrow", "an escrow id (0x and 64 hex digits) or the JSON file of `escrow open --json`", value
        )
    data = read_json_file(path, "escrow")
    if isinstance(data, dict) and "terms" in data:
        escrow_id = EscrowClient.escrow_id(Terms.from_json(data["terms"]))
        if "escrow" in data and str(data["escrow"]).lower() != escrow_id:
            raise InputError("escrow", f"the file's escrow id is not the id of its terms ({escrow_id})", value)
        return escrow_id
    if isinstance(data, dict) and "escrow" in data and is_escrow_id(str(data["escrow"])):
        return str(data["escrow"]).lower()
    return EscrowClient.escrow_id(Terms.from_json(data))


@doc_group.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@chain_options(signer=False)
@json_option
@handle_errors
def verify(file: Path, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """Verify FILE against the chain with its proof: issued by whom and when, for which trade, revoked or not.
    Exit code 1 if it is not valid (a changed byte, a revoked document, an issuer without the role)."""
    client = open_client(network_name, rpc_url)
    check = client.documents.verify(file)
    data = check.to_json()
    if check.valid:
        text = (
            f"VALID {check.doc_type} for {_bound(client, check.trade_id)}: issued by organisation {check.issuer} "
            f"({', '.join(check.issuer_roles)}) at {data['anchoredAt']}"
        )
    elif not check.hash_matches:
        text = f"INVALID: {file} is not the document that was anchored (its content changed)"
    elif check.revoked_at:
        text = f"INVALID: revoked at {data['revokedAt']}"
        if check.revocation is not None:
            r = check.revocation
            who = "the consortium admin" if r.by_admin else f"organisation {r.issuer}"
            text += f" by {who} ({r.by}), reason {r.reason}"
    elif check.anchored_at == 0:
        text = "INVALID: not anchored on this chain"
    else:
        text = (
            f"INVALID: organisation {check.issuer} ({', '.join(check.issuer_roles) or 'no role'}) may not issue "
            f"a {check.doc_type}"
        )
    emit(as_json, data, text)
    if not check.valid:
        sys.exit(1)


@doc_group.command("revoke")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--batch", "root", metavar="0xROOT", help="Revoke a whole batch instead of one document.")
@click.option(
    "--issuer",
    metavar="ORG",
    help="The issuing organisation: for --batch by the consortium admin [default: your own organisation]; "
    "for FILE its proof names it.",
)
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash.")
@chain_options(signer=True)
@json_option
@handle_errors
def revoke(
    file: Path | None,
    root: str | None,
    issuer: str | None,
    reason: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Revoke one document (FILE) or a whole batch (--batch ROOT): an account of its issuer, or the consortium
    admin (for any issuer's documents, the one way to revoke a suspended issuer's)."""
    from tradechain.contracts.participant_registry import parse_org_id
    from tradechain.formats.values import parse_bytes32, reason_code

    if (file is None) == (root is None):
        raise InputError("file", "give FILE or --batch ROOT")
    org = parse_org_id(issuer, "issuer") if issuer is not None else None
    reason_code(reason)
    if root is not None:
        parse_bytes32(root, "batch")
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    if file is not None:
        receipt = client.documents.revoke(file, reason, issuer=org)
    else:
        receipt = client.documents.revoke_batch(str(root), reason, issuer=org)
    revocations = client.documents.revocations(receipt)
    done = revocations[0] if revocations else None
    whose = f" of organisation {done.issuer}" if done else ""
    by = f" by {'the consortium admin' if done.by_admin else 'its issuer'} ({done.by})" if done else ""
    emit(
        as_json,
        {"revoked": str(file or root), **(done.to_json() if done else {}), **tx_json(receipt)},
        f"revoked {file or root}{whose}{by}; {tx_text(receipt)}",
    )


def _bound(client: Client, trade_id: str) -> str:
    """What a document was issued for: an escrow of this chain, or a trade."""
    return f"escrow {trade_id}" if is_escrow_id(trade_id) and client.escrow.exists(trade_id) else f"trade {trade_id}"


# ---------------------------------------------------------------------------------------------- escrow


@click.group("escrow")
def escrow_group() -> None:
    """Trade-finance escrow in an ERC-20 stablecoin, released to the seller when documents prove each milestone."""


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
    status = st["status"]
    if st["disputeLapsed"]:
        status += f" (lapsed at {st['arbitrationLapsesAt']}: releases and refunds apply again)"
    lines = [
        f"escrow {escrow_id}: {status}, trade {terms.trade_id}",
        f"  held {st['held']:,} of {terms.amount:,} units; released milestones {st['releasedMilestones']}",
        f"  deadline {st['deadline']}: the buyer may dispute until then, once",
    ]
    if st["disputedAt"]:
        lines.append(
            f"  disputed at {st['disputedAt']}; the arbiter may resolve until {st['arbitrationLapsesAt']}, "
            "then the dispute lapses"
        )
    lines.append(f"  refundable after {st['refundableAfter']}" + (" (deadline + 30 days)" if st["disputedAt"] else ""))
    for i, m in enumerate(terms.milestones):
        who = f" from organisation {m.issuer}" if m.issuer else ""
        lines.append(f"  milestone {i}: {m.bps / 100:g}% on {', '.join(m.required_docs)}{who}")
    lines.append(f"  its documents are anchored with: tradechain doc anchor FILE --type TYPE --escrow {escrow_id}")
    return "\n".join(lines)


@escrow_group.command("open")
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
@chain_options(signer=True)
@json_option
@handle_errors
def open_(
    seller: str,
    buyer: str | None,
    funder: str | None,
    arbiter: str,
    token: str | None,
    amount: str,
    deadline: str,
    trade: str,
    milestones: tuple[str, ...],
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Open an escrow (the buyer or its financier)."""
    parsed = tuple(_milestone(m) for m in milestones)
    when = _deadline(deadline)
    document_registry.trade_id(trade)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    me = client.require_signer().address
    token_address = parse_address(token, "token") if token else client.deployment.address("MockUSDC")
    if token and not client.w3.eth.get_code(to_checksum_address(token_address)):
        raise InputError("token", "no contract at this address on this chain (an ERC-20 token is needed)", token)
    try:
        decimals = int(client.contract("MockUSDC", token_address).functions.decimals().call())
    except (BadFunctionCallOutput, ContractLogicError):
        raise InputError("token", "not an ERC-20 token (it has no decimals())", token) from None
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
    emit(
        as_json,
        {"escrow": escrow_id, "terms": terms.to_json(), **tx_json(receipt)},
        f"escrow {escrow_id} opened; {tx_text(receipt)}",
    )


def _simple(name: str, doc: str) -> Callable[[Callable[..., None]], click.Command]:
    def decorate(f: Callable[..., None]) -> click.Command:
        f.__doc__ = doc
        return escrow_group.command(name)(chain_options(signer=True)(json_option(handle_errors(f))))

    return decorate


@_simple("fund", "Pay the escrow's amount in (the funder; approves the token first).")
@click.argument("escrow_id", metavar="ESCROW")
def fund(
    escrow_id: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.escrow.fund(_terms(client, escrow_id))
    emit(as_json, {"escrow": escrow_id, **tx_json(receipt)}, f"escrow {escrow_id} funded; {tx_text(receipt)}")


@escrow_group.command("status")
@click.argument("escrow_id", metavar="ESCROW")
@chain_options(signer=False)
@json_option
@handle_errors
def status(escrow_id: str, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """The escrow's terms, what it holds, its milestones, and its dates: the dispute window, the arbiter's time
    once disputed, when it may be refunded."""
    client = open_client(network_name, rpc_url)
    terms = _terms(client, escrow_id)
    emit(
        as_json,
        {"escrow": escrow_id, **_state_json(client, escrow_id, terms), "terms": terms.to_json()},
        _state_text(client, escrow_id, terms),
    )


@escrow_group.command("missing")
@click.argument("escrow_id", metavar="ESCROW")
@click.argument("milestone", type=click.IntRange(0, 7))
@click.option("--doc", "docs", multiple=True, type=click.Path(path_type=Path), help="A proving document (repeat).")
@chain_options(signer=False)
@json_option
@handle_errors
def missing(
    escrow_id: str, milestone: int, docs: tuple[Path, ...], network_name: str | None, rpc_url: str | None, as_json: bool
) -> None:
    """What MILESTONE still lacks with these documents. Exit code 0: releasable; 1: documents missing (or revoked,
    or by an issuer without the role); 2: a bad input, such as a document issued for another escrow or trade."""
    client = open_client(network_name, rpc_url)
    terms = _terms(client, escrow_id)
    _milestone_of(terms, milestone)
    lacking = client.escrow.missing(terms, milestone, list(docs))
    text = (
        f"milestone {milestone} of {escrow_id} is releasable with these documents"
        if not lacking
        else f"milestone {milestone} of {escrow_id} lacks a valid {', '.join(lacking)} issued for this escrow"
    )
    emit(as_json, {"escrow": escrow_id, "milestone": milestone, "missing": lacking, "releasable": not lacking}, text)
    if lacking:
        sys.exit(1)


def _milestone_of(terms: Terms, milestone: int) -> None:
    if milestone >= len(terms.milestones):
        raise InputError("milestone", f"this escrow has milestones 0 to {len(terms.milestones) - 1}", milestone)


@_simple("release", "Release MILESTONE to the seller with the proving documents (checked first; anyone may call).")
@click.argument("escrow_id", metavar="ESCROW")
@click.argument("milestone", type=click.IntRange(0, 7))
@click.option("--doc", "docs", multiple=True, type=click.Path(path_type=Path), help="A proving document (repeat).")
def release(
    escrow_id: str,
    milestone: int,
    docs: tuple[Path, ...],
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    terms = _terms(client, escrow_id)
    _milestone_of(terms, milestone)
    lacking = client.escrow.missing(terms, milestone, list(docs))
    if lacking:
        raise InputError(
            "documents",
            f"milestone {milestone} cannot be released: missing valid {', '.join(lacking)} issued for escrow "
            f"{escrow_id} (trade {terms.trade_id})",
        )
    receipt = client.escrow.release(terms, milestone, list(docs))
    emit(
        as_json,
        {"escrow": escrow_id, "milestone": milestone, **_state_json(client, escrow_id, terms), **tx_json(receipt)},
        f"milestone {milestone} of {escrow_id} released to {terms.seller}; {tx_text(receipt)}",
    )


@_simple(
    "refund",
    "Return what is left to the funder, after the deadline (30 days later once disputed; anyone may call).",
)
@click.argument("escrow_id", metavar="ESCROW")
def refund(
    escrow_id: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.escrow.refund(_terms(client, escrow_id))
    emit(as_json, {"escrow": escrow_id, **tx_json(receipt)}, f"escrow {escrow_id} refunded; {tx_text(receipt)}")


@_simple(
    "dispute",
    "Freeze the escrow until the arbiter resolves it, for at most 30 days (the buyer, once, up to the deadline).",
)
@click.argument("escrow_id", metavar="ESCROW")
@click.option("--reason", required=True)
def dispute(
    escrow_id: str,
    reason: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    terms = _terms(client, escrow_id)
    receipt = client.escrow.dispute(terms, reason)
    st = _state_json(client, escrow_id, terms)
    emit(
        as_json,
        {"escrow": escrow_id, **st, **tx_json(receipt)},
        f"escrow {escrow_id} disputed; the arbiter may resolve it until {st['arbitrationLapsesAt']}, then the "
        f"dispute lapses; {tx_text(receipt)}",
    )


@_simple(
    "resolve",
    "Split what is left: --seller-share to the seller, the rest to the funder (the arbiter, within 30 days of the "
    "dispute).",
)
@click.argument("escrow_id", metavar="ESCROW")
@click.option("--seller-share", required=True, help="Percent to the seller, e.g. 60%.")
def resolve(
    escrow_id: str,
    seller_share: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    _escrow_id(escrow_id)
    bps = _percent(seller_share, "seller-share", minimum=0)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.escrow.resolve(_terms(client, escrow_id), bps)
    emit(
        as_json,
        {"escrow": escrow_id, "sellerBps": bps, **tx_json(receipt)},
        f"escrow {escrow_id} resolved, {bps / 100:g}% of the rest to the seller; {tx_text(receipt)}",
    )

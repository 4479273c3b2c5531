"""``tradechain doc``: trade documents, anchored by their issuers as batches (only hashes go on chain), verified by
anyone, revoked by their issuer or the consortium admin."""

from __future__ import annotations

from pathlib import Path

import click

from tradechain.cli.common import Run, command, read_json_file
from tradechain.client import Client
from tradechain.contracts import document_registry
from tradechain.contracts.participant_registry import parse_org_id
from tradechain.contracts.trade_escrow import EscrowClient, Terms, is_escrow_id
from tradechain.errors import InputError
from tradechain.formats.values import parse_bytes32, reason_code


@click.group("doc")
def group() -> None:
    """Trade documents: anchor (issuers), verify (anyone), revoke (issuers). Only hashes go on chain."""


@command(group, "anchor", chain="send")
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
def anchor(
    run: Run, files: tuple[Path, ...], doc_type: str, trade: str | None, escrow: str | None, proofs_only: bool
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
    client = run.client()
    if escrow_ref is not None:
        client.escrow.terms_of(escrow_ref)  # an escrow of this chain: a mistyped id anchors nothing
    bound_to = escrow_ref or str(trade)
    what = f"escrow {escrow_ref}" if escrow_ref else f"trade {trade}"
    if proofs_only:
        root, done = client.documents.write_proofs(list(files), doc_type, bound_to)
        written = sum(d.written for d in done)
        run.emit(
            {"root": root, "documents": len(files), "tradeId": bound_to, "escrow": escrow_ref, "written": written},
            f"batch {root} for {what} is anchored: {written} proof(s) written, {len(files) - written} already there",
        )
        return
    root, receipt = client.documents.anchor(list(files), doc_type, bound_to)
    run.sent(
        receipt,
        {"root": root, "documents": len(files), "tradeId": bound_to, "escrow": escrow_ref},
        f"anchored {len(files)} {doc_type} document(s) for {what} as batch {root}",
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


@command(group, "verify", chain="read")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The document's proof, received apart from it. [default: FILE.tcproof.json beside FILE]",
)
def verify(run: Run, file: Path, proof_file: Path | None) -> None:
    """Verify FILE against the chain with its proof: issued by whom and when, for which trade, revoked or not.
    Exit code 0 VALID; 3 INVALID (a changed byte, not anchored here, an issuer without the role); 4 REVOKED."""
    client = run.client()
    check = client.documents.verify(file, proof_file)
    data = check.to_json()
    if check.valid:
        text = (
            f"VALID {check.doc_type} for {_bound(client, check.trade_id)}: issued by organisation {check.issuer} "
            f"({', '.join(check.issuer_roles)}) at {data['anchoredAt']}"
        )
    elif not check.hash_matches:
        text = f"INVALID: {file} is not the document that was anchored (its content changed)"
    elif check.revoked_at:
        text = f"REVOKED: revoked at {data['revokedAt']}"
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
    run.verdict(check.verdict, data, text)


@command(group, "revoke", chain="send")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--batch", "root", metavar="0xROOT", help="Revoke a whole batch instead of one document.")
@click.option(
    "--issuer",
    metavar="ORG",
    help="The issuing organisation: for --batch by the consortium admin [default: your own organisation]; "
    "for FILE its proof names it.",
)
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash.")
def revoke(run: Run, file: Path | None, root: str | None, issuer: str | None, reason: str) -> None:
    """Revoke one document (FILE) or a whole batch (--batch ROOT): an account of its issuer, or the consortium
    admin (for any issuer's documents, the one way to revoke a suspended issuer's)."""
    if (file is None) == (root is None):
        raise InputError("file", "give FILE or --batch ROOT")
    org = parse_org_id(issuer, "issuer") if issuer is not None else None
    reason_code(reason)
    if root is not None:
        parse_bytes32(root, "batch")
    client = run.client()
    if file is not None:
        receipt = client.documents.revoke(file, reason, issuer=org)
    else:
        receipt = client.documents.revoke_batch(str(root), reason, issuer=org)
    revocations = client.documents.revocations(receipt)
    done = revocations[0] if revocations else None
    whose = f" of organisation {done.issuer}" if done else ""
    by = f" by {'the consortium admin' if done.by_admin else 'its issuer'} ({done.by})" if done else ""
    run.sent(
        receipt,
        {"revoked": str(file or root), **(done.to_json() if done else {})},
        f"revoked {file or root}{whose}{by}",
    )


def _bound(client: Client, trade_id: str) -> str:
    """What a document was issued for: an escrow of this chain, or a trade."""
    return f"escrow {trade_id}" if is_escrow_id(trade_id) and client.escrow.exists(trade_id) else f"trade {trade_id}"

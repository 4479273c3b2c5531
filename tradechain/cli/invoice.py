"""``tradechain invoice``: invoice fingerprints and the network's register of financed invoices (financiers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, command, read_json_file, tx_json, tx_text
from tradechain.contracts.invoice_registry import Check, NearDuplicate, parse_reason, parse_share
from tradechain.errors import InputError
from tradechain.formats import invoice_fingerprints
from tradechain.formats.values import parse_address

FILE_ARGUMENT = click.argument("file", type=click.Path(path_type=Path))
KEY_OPTION = click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The network's 32-byte key (hex). [default: ${invoice_fingerprints.KEY_ENV}]",
)


def _fingerprints(file: Path, key_file: Path | None) -> list[invoice_fingerprints.Fingerprints]:
    key = invoice_fingerprints.load_key(key_file)
    rows = invoice_fingerprints.read_invoices(file)
    maker = invoice_fingerprints.Fingerprinter(key)
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(maker(invoice_fingerprints.canonicalise(row)))
        except InputError as exc:
            where = f"invoice {i + 1}: " if len(rows) > 1 else ""
            raise InputError(f"{where}{exc.field}", exc.rule, exc.value) from None
    return out


@click.group("invoice")
def group() -> None:
    """Invoices: keyed fingerprints, and financing without double financing across the network."""


@command(group, "fingerprint")
@FILE_ARGUMENT
@KEY_OPTION
def fingerprint(run: Run, file: Path, key_file: Path | None) -> None:
    """Print the fingerprint and near-duplicate fingerprints of each invoice in FILE (JSON, JSON array or CSV)."""
    fps = _fingerprints(file, key_file)
    run.emit([f.to_json() for f in fps], "\n".join(f.to_json()["fingerprint"] for f in fps))


@command(group, "check", chain="read")
@FILE_ARGUMENT
@click.option(
    "--buyer",
    metavar="ADDRESS",
    help="The buyer's address as you know it: did this buyer acknowledge the invoice? (Anyone's key may sign an "
    "acknowledgment; only the buyer's proves anything.)",
)
@KEY_OPTION
def check(run: Run, file: Path, buyer: str | None, key_file: Path | None) -> None:
    """Is each invoice in FILE financed anywhere in the network (which shares settled), or a near-duplicate of one
    that is? Who acknowledged it? Exit code 5 if any is a near-duplicate of a financed invoice (an altered copy:
    the registry cannot refuse it, a person must judge it); else 0, its financing shown (the registry itself refuses
    financing beyond 100% or after settlement)."""
    if buyer is not None:
        parse_address(buyer, "buyer")
    fps = _fingerprints(file, key_file)
    client = run.client()
    results = [client.invoices.check(f, buyer=buyer) for f in fps]

    def line(c: Check) -> str:
        head = f"{c.fingerprint[:14]}…  {c.status.name}"
        if c.total_bps:
            head += f" ({c.total_bps / 100:g}% financed, first by organisation {c.first_org}"
            if c.settled_bps:
                settled = ", ".join(
                    f"organisation {s['organisation']} {s['shareBps'] / 100:g}%" for s in c.settled_shares
                )
                head += f"; {c.settled_bps / 100:g}% settled: {settled}"
            head += ")"
        for near in c.near:
            head += f"\n    NEAR-DUPLICATE of financed {near['fingerprint'][:14]}… (differs in {near['differsIn']})"
        if c.buyer is not None:
            when = _when(c.buyer_acknowledged_at)
            head += (
                f"\n    acknowledged by buyer {c.buyer} at {when}"
                if c.buyer_acknowledged_at
                else f"\n    NOT acknowledged by buyer {c.buyer}"
            )
        others = [a for a in c.acknowledged_by if a != c.buyer]
        if others:
            label = "other signers" if c.buyer is not None else "signers (check the buyer's with --buyer)"
            head += f"\n    acknowledged by {label}: {', '.join(others)}"
        return head

    verdict = "NEAR_DUPLICATE" if any(c.near for c in results) else "CLEAN"
    run.verdict(verdict, [c.to_json() for c in results], "\n".join(line(c) for c in results))


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _one(file: Path, key_file: Path | None) -> invoice_fingerprints.Fingerprints:
    fps = _fingerprints(file, key_file)
    if len(fps) != 1:
        raise InputError("file", f"holds {len(fps)} invoices; use import-portfolio for many")
    return fps[0]


ACCEPT_OPTION = click.option(
    "--accept-near-duplicate",
    "accept",
    metavar="REASON",
    help="Finance it even though it resembles an invoice financed or settled already (every field but one the "
    "same: an altered copy?); REASON is recorded in the output. Without it a near-duplicate is refused (exit 5) "
    "and nothing is sent.",
)


def _accepted_json(near: list[NearDuplicate], accepted: str | None) -> dict[str, Any]:
    return {"nearDuplicates": [n.to_json() for n in near], "acceptedNearDuplicate": accepted}


def _accepted_text(near: list[NearDuplicate], accepted: str | None) -> str:
    if not near:
        return ""
    return "".join(f"\n    NEAR-DUPLICATE accepted: {n.text()}" for n in near) + f"\n    reason: {accepted}"


@command(group, "finance", chain="send")
@FILE_ARGUMENT
@click.option("--share", type=int, default=10_000, show_default=True, help="Your share in basis points.")
@ACCEPT_OPTION
@KEY_OPTION
def finance(run: Run, file: Path, share: int, accept: str | None, key_file: Path | None) -> None:
    """Register that you finance the invoice in FILE (refused if it is financed beyond 100% or settled, and, before
    anything is sent, if it is a near-duplicate of one financed or settled, unless --accept-near-duplicate)."""
    parse_share(share)
    parse_reason(accept)
    fps = _one(file, key_file)
    client = run.client()
    done = client.invoices.finance(fps, share, accept_near_duplicate=accept)
    run.emit(
        {
            **fps.to_json(),
            "shareBps": share,
            **_accepted_json(done.near_duplicates, done.accepted),
            **tx_json(done.receipt),
        },
        f"invoice {fps.to_json()['fingerprint']} financed ({share / 100:g}%); {tx_text(done.receipt)}"
        + _accepted_text(done.near_duplicates, done.accepted),
    )


@command(group, "settle", chain="send")
@FILE_ARGUMENT
@KEY_OPTION
def settle(run: Run, file: Path, key_file: Path | None) -> None:
    """Mark your share of the invoice in FILE settled (repaid). The invoice is settled when every financier's share
    is; from the first settled share on, it can never be financed again."""
    fps = _one(file, key_file)
    client = run.client()
    receipt = client.invoices.settle(fps)
    done = client.invoices.settlement(receipt)
    total = client.invoices.check(fps).total_bps
    whole = done["settledBps"] >= total
    run.emit(
        {**fps.to_json(), **done, "invoiceSettled": whole, **tx_json(receipt)},
        f"your share ({done['shareBps'] / 100:g}%) settled; "
        + ("the invoice is settled" if whole else f"{done['settledBps'] / 100:g}% of {total / 100:g}% settled")
        + f"; {tx_text(receipt)}",
    )


@command(group, "cancel", chain="send")
@FILE_ARGUMENT
@KEY_OPTION
def cancel(run: Run, file: Path, key_file: Path | None) -> None:
    """Withdraw your own (unsettled) share of the invoice in FILE (the deal fell through); the others' stay."""
    fps = _one(file, key_file)
    client = run.client()
    receipt = client.invoices.cancel(fps)
    done = client.invoices.cancellation(receipt)
    run.sent(receipt, {**fps.to_json(), **done}, f"your share ({done['shareBps'] / 100:g}%) withdrawn")


@command(group, "import-portfolio", chain="send")
@FILE_ARGUMENT
@click.option("--share", type=int, default=10_000, show_default=True, help="Your share of each, in basis points.")
@ACCEPT_OPTION
@KEY_OPTION
def import_portfolio(run: Run, file: Path, share: int, accept: str | None, key_file: Path | None) -> None:
    """Register every invoice of a portfolio (CSV or JSON array), several transactions under the gas cap. Per item:
    duplicates (financed elsewhere, settled, or twice in the file) are refused and reported; the rest go through.
    Near-duplicates (an invoice resembling one financed or settled, or another of the portfolio) refuse the whole
    portfolio before anything is sent, naming them, unless --accept-near-duplicate. Re-running it after an
    interruption sends only what is not registered yet."""
    parse_share(share)
    parse_reason(accept)
    fps = _fingerprints(file, key_file)
    client = run.client()
    with run.progress(len(fps), "registering") as advance:
        result = client.invoices.register_batch(fps, share, progress=advance, accept_near_duplicate=accept)
    refused = [i + 1 for i in result.refused]
    financed = len(fps) - len(refused)
    run.emit(
        {
            "invoices": len(fps),
            "financed": financed,
            "alreadyRegistered": len(result.already),
            "refused": refused,
            "transactions": result.transactions,
            **_accepted_json(result.near_duplicates, result.accepted),
        },
        f"{financed:,} of {len(fps):,} invoices financed in {len(result.transactions)} transaction(s)"
        + (f" ({len(result.already):,} registered by an earlier run, not sent again)" if result.already else "")
        + (f"; refused as duplicates: invoice(s) {', '.join(map(str, refused))}" if refused else "")
        + _accepted_text(result.near_duplicates, result.accepted),
    )


@command(group, "sign-acknowledgment", chain="send")
@FILE_ARGUMENT
@click.option(
    "--valid-for",
    type=click.IntRange(60, 365 * 86_400),
    default=7 * 86_400,
    show_default=True,
    help="Seconds until the acknowledgment expires.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the acknowledgment here.")
@KEY_OPTION
def sign_acknowledgment(run: Run, file: Path, valid_for: int, out: Path | None, key_file: Path | None) -> None:
    """As the buyer (--account), sign an EIP-712 acknowledgment of the invoice in FILE, bound to this chain, this
    registry and your next nonce. Nothing is sent: hand the JSON to the financier, who records it with
    `tradechain invoice acknowledge`."""
    fps = _one(file, key_file)
    client = run.client()
    now = client.chain_time()
    ack = client.invoices.sign_acknowledgment(fps, deadline=now + valid_for)
    text = json.dumps(ack.to_json(), indent=2)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)  # atomic: never half an acknowledgment
    run.emit(ack.to_json(), f"acknowledgment written to {out}" if out else text)


@command(group, "acknowledge", chain="send")
@click.argument("ack_file", metavar="ACK.json", type=click.Path(path_type=Path))
def acknowledge(run: Run, ack_file: Path) -> None:
    """Record a buyer's signed acknowledgment (from `sign-acknowledgment`): the registry checks the signature,
    the chain, the contract, the nonce and the deadline, and records it for that signer (check the buyer you know
    with `invoice check --buyer`)."""
    from tradechain.contracts.invoice_registry import Acknowledgment

    if not ack_file.is_file():
        raise InputError("ACK.json", "not found", str(ack_file))
    data = read_json_file(ack_file, "ACK.json")
    ack = Acknowledgment.from_json(data)
    client = run.client()
    receipt = client.invoices.acknowledge(ack)
    run.sent(receipt, ack.to_json(), f"invoice {ack.fingerprint} acknowledged by buyer {ack.buyer}")

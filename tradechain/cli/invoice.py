"""``tradechain invoice``: invoice fingerprints and the network's register of financed invoices (financiers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from tradechain.cli.common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    open_client,
    progress_bar,
    read_json_file,
    tx_json,
    tx_text,
)
from tradechain.contracts.invoice_registry import Check, parse_share
from tradechain.errors import InputError
from tradechain.formats import invoice_fingerprints
from tradechain.formats.values import parse_address

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


@group.command("fingerprint")
@click.argument("file", type=click.Path(path_type=Path))
@KEY_OPTION
@json_option
@handle_errors
def fingerprint(file: Path, key_file: Path | None, as_json: bool) -> None:
    """Print the fingerprint and near-duplicate fingerprints of each invoice in FILE (JSON, JSON array or CSV)."""
    fps = _fingerprints(file, key_file)
    emit(as_json, [f.to_json() for f in fps], "\n".join(f.to_json()["fingerprint"] for f in fps))


@group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--buyer",
    metavar="ADDRESS",
    help="The buyer's address as you know it: did this buyer acknowledge the invoice? (Anyone's key may sign an "
    "acknowledgment; only the buyer's proves anything.)",
)
@KEY_OPTION
@chain_options(signer=False)
@json_option
@handle_errors
def check(
    file: Path,
    buyer: str | None,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Is each invoice in FILE financed anywhere in the network (which shares settled), or a near-duplicate of one
    that is? Who acknowledged it?"""
    if buyer is not None:
        parse_address(buyer, "buyer")
    fps = _fingerprints(file, key_file)
    client = open_client(network_name, rpc_url)
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

    emit(as_json, [c.to_json() for c in results], "\n".join(line(c) for c in results))


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _one(file: Path, key_file: Path | None) -> invoice_fingerprints.Fingerprints:
    fps = _fingerprints(file, key_file)
    if len(fps) != 1:
        raise InputError("file", f"holds {len(fps)} invoices; use import-portfolio for many")
    return fps[0]


@group.command("finance")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--share", type=int, default=10_000, show_default=True, help="Your share in basis points.")
@KEY_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def finance(
    file: Path,
    share: int,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Register that you finance the invoice in FILE (refused if it is financed beyond 100% or settled)."""
    parse_share(share)
    fps = _one(file, key_file)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.invoices.register(fps, share)
    emit(
        as_json,
        {**fps.to_json(), "shareBps": share, **tx_json(receipt)},
        f"invoice {fps.to_json()['fingerprint']} financed ({share / 100:g}%); {tx_text(receipt)}",
    )


def _on_one(
    verb: str,
    file: Path,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Settles (``verb`` "settle") or cancels ("cancel") the caller's own share of the invoice in FILE."""
    fps = _one(file, key_file)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    if verb == "settle":
        receipt = client.invoices.settle(fps)
        done = client.invoices.settlement(receipt)
        total = client.invoices.check(fps).total_bps
        whole = done["settledBps"] >= total
        text = (
            f"your share ({done['shareBps'] / 100:g}%) settled; "
            + ("the invoice is settled" if whole else f"{done['settledBps'] / 100:g}% of {total / 100:g}% settled")
            + f"; {tx_text(receipt)}"
        )
        data = {**fps.to_json(), **done, "invoiceSettled": whole, **tx_json(receipt)}
    else:
        receipt = client.invoices.cancel(fps)
        done = client.invoices.cancellation(receipt)
        text = f"your share ({done['shareBps'] / 100:g}%) withdrawn; {tx_text(receipt)}"
        data = {**fps.to_json(), **done, **tx_json(receipt)}
    emit(as_json, data, text)


@group.command("settle")
@click.argument("file", type=click.Path(path_type=Path))
@KEY_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def settle(
    file: Path,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Mark your share of the invoice in FILE settled (repaid). The invoice is settled when every financier's share
    is; from the first settled share on, it can never be financed again."""
    _on_one("settle", file, key_file, network_name, rpc_url, account, confirmations, as_json)


@group.command("cancel")
@click.argument("file", type=click.Path(path_type=Path))
@KEY_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def cancel(
    file: Path,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Withdraw your own (unsettled) share of the invoice in FILE (the deal fell through); the others' stay."""
    _on_one("cancel", file, key_file, network_name, rpc_url, account, confirmations, as_json)


@group.command("import-portfolio")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--share", type=int, default=10_000, show_default=True, help="Your share of each, in basis points.")
@KEY_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def import_portfolio(
    file: Path,
    share: int,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Register every invoice of a portfolio (CSV or JSON array), several transactions under the gas cap. Per item:
    duplicates (financed elsewhere, settled, or twice in the file) are refused and reported; the rest go through.
    Re-running it after an interruption sends only what is not registered yet."""
    parse_share(share)
    fps = _fingerprints(file, key_file)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    with progress_bar(len(fps), "registering", quiet=as_json) as advance:
        result = client.invoices.register_batch(fps, share, progress=advance)
    refused = [i + 1 for i in result.refused]
    financed = len(fps) - len(refused)
    emit(
        as_json,
        {
            "invoices": len(fps),
            "financed": financed,
            "alreadyRegistered": len(result.already),
            "refused": refused,
            "transactions": result.transactions,
        },
        f"{financed:,} of {len(fps):,} invoices financed in {len(result.transactions)} transaction(s)"
        + (f" ({len(result.already):,} registered by an earlier run, not sent again)" if result.already else "")
        + (f"; refused as duplicates: invoice(s) {', '.join(map(str, refused))}" if refused else ""),
    )


@group.command("sign-acknowledgment")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--valid-for",
    type=click.IntRange(60, 365 * 86_400),
    default=7 * 86_400,
    show_default=True,
    help="Seconds until the acknowledgment expires.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the acknowledgment here.")
@KEY_OPTION
@chain_options(signer=True)
@json_option
@handle_errors
def sign_acknowledgment(
    file: Path,
    valid_for: int,
    out: Path | None,
    key_file: Path | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """As the buyer (--account), sign an EIP-712 acknowledgment of the invoice in FILE, bound to this chain, this
    registry and your next nonce. Nothing is sent: hand the JSON to the financier, who records it with
    `tradechain invoice acknowledge`."""
    fps = _one(file, key_file)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    ack = client.invoices.sign_acknowledgment(fps, deadline=now + valid_for)
    text = json.dumps(ack.to_json(), indent=2)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)  # atomic: never half an acknowledgment
    emit(as_json, ack.to_json(), f"acknowledgment written to {out}" if out else text)


@group.command("acknowledge")
@click.argument("ack_file", metavar="ACK.json", type=click.Path(path_type=Path))
@chain_options(signer=True)
@json_option
@handle_errors
def acknowledge(
    ack_file: Path,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Record a buyer's signed acknowledgment (from `sign-acknowledgment`): the registry checks the signature,
    the chain, the contract, the nonce and the deadline, and records it for that signer (check the buyer you know
    with `invoice check --buyer`)."""
    from tradechain.contracts.invoice_registry import Acknowledgment

    if not ack_file.is_file():
        raise InputError("ACK.json", "not found", str(ack_file))
    data = read_json_file(ack_file, "ACK.json")
    ack = Acknowledgment.from_json(data)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.invoices.acknowledge(ack)
    emit(
        as_json,
        {**ack.to_json(), **tx_json(receipt)},
        f"invoice {ack.fingerprint} acknowledged by buyer {ack.buyer}; {tx_text(receipt)}",
    )

"""``tradechain participant``: the consortium's organisations, their roles, signing accounts and company prefixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import (
    chain_options,
    emit,
    handle_errors,
    json_option,
    open_client,
    tx_json,
    tx_text,
)
from tradechain.contracts.participant_registry import Organisation, parse_org_id
from tradechain.errors import InputError
from tradechain.formats import gs1
from tradechain.formats.identity import ROLE_NAMES
from tradechain.formats.values import file_hash, parse_address, parse_bytes32, parse_uint

ROLES_HELP = f"Comma-separated roles: {', '.join(ROLE_NAMES)}."


@click.group("participant")
def group() -> None:
    """Organisations: admit, signing accounts, roles, suspension, GS1 company prefixes.

    The consortium admin admits, sets roles, suspends and licenses company prefixes; an organisation's manager
    accounts add, revoke and rotate its signing accounts.
    """


def _org_text(
    org: Organisation, accounts: list[dict[str, Any]] | None = None, prefixes: list[str] | None = None
) -> str:
    lines = [
        f"organisation {org.id}{'  [SUSPENDED]' if org.suspended else ''}",
        f"  LEI      {org.lei or '-'}",
        f"  GLN      {org.gln or '-'}",
        f"  country  {org.country}",
        f"  roles    {', '.join(org.roles)}",
        f"  prefixes {', '.join(prefixes or []) or '-'}",
        f"  accounts {org.active_accounts} active",
        f"  profile  {org.profile_hash}",
    ]
    for a in accounts or []:
        lines.append(f"    {a['account']}{'  (manager)' if a['manager'] else ''}")
    return "\n".join(lines)


@group.command("admit")
@click.option("--lei", help="ISO 17442 LEI (20 characters, mod-97 check digits).")
@click.option("--gln", help="GS1 GLN (13 digits with check digit).")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 country code, e.g. DE.")
@click.option("--roles", required=True, help=ROLES_HELP)
@click.option("--manager", required=True, metavar="ADDRESS", help="First signing account; manages the others.")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Off-chain profile document; only its keccak-256 hash goes on chain.",
)
@click.option("--profile-hash", metavar="0xHASH", help="The profile's hash, if already computed.")
@chain_options(signer=True)
@json_option
@handle_errors
def admit(
    lei: str | None,
    gln: str | None,
    country: str,
    roles: str,
    manager: str,
    profile_file: Path | None,
    profile_hash: str | None,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Admit an organisation (consortium admin). It needs an LEI, a GLN or both.

    Example: tradechain participant admit --lei 529900T8BM49AURSDO55 --country DE --roles manufacturer,brand
    --manager 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
    """
    if profile_file and profile_hash:
        raise InputError("profile", "give --profile or --profile-hash, not both")
    digest = b"\0" * 32
    if profile_file:
        if not profile_file.is_file():
            raise InputError("profile", "file not found", str(profile_file))
        digest = file_hash(profile_file.read_bytes())
    elif profile_hash:
        digest = parse_bytes32(profile_hash, "profile-hash")
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    result = client.participants.admit(
        lei=lei, gln=gln, country=country, roles=roles, manager=manager, profile_hash=digest
    )
    org = client.participants.get(result.organisation)
    emit(
        as_json,
        {"organisation": org.to_json(), "registry": client.participants.address, **tx_json(result.receipt)},
        f"admitted organisation {org.id} ({org.lei or org.gln}, {org.country}, roles {', '.join(org.roles)}) "
        f"in registry {client.participants.address}; {tx_text(result.receipt)}",
    )


@group.command("add-account")
@click.argument("organisation")
@click.argument("address")
@click.option("--manager", "is_manager", is_flag=True, help="The account may add and revoke accounts too.")
@chain_options(signer=True)
@json_option
@handle_errors
def add_account(
    organisation: str,
    address: str,
    is_manager: bool,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Add a signing account to ORGANISATION (admin or one of its managers)."""
    org_id = parse_org_id(organisation)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.participants.add_account(org_id, address, manager=is_manager)
    emit(
        as_json,
        {
            "organisation": org_id,
            "account": parse_address(address, "address"),
            "manager": is_manager,
            **tx_json(receipt),
        },
        f"account {parse_address(address)} now signs for organisation {org_id}; {tx_text(receipt)}",
    )


@group.command("revoke-account")
@click.argument("address")
@chain_options(signer=True)
@json_option
@handle_errors
def revoke_account(
    address: str, network_name: str | None, rpc_url: str | None, account: str | None, confirmations: int, as_json: bool
) -> None:
    """Revoke a signing account at once (admin or a manager of its organisation)."""
    checked = parse_address(address, "address")
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    org_id, _ = client.participants.organisation_of(checked)
    receipt = client.participants.revoke_account(checked)
    emit(
        as_json,
        {"organisation": org_id, "account": checked, **tx_json(receipt)},
        f"account {checked} revoked from organisation {org_id}; {tx_text(receipt)}",
    )


@group.command("rotate-account")
@click.argument("old_address")
@click.argument("new_address")
@chain_options(signer=True)
@json_option
@handle_errors
def rotate_account(
    old_address: str,
    new_address: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Replace OLD_ADDRESS by NEW_ADDRESS in one transaction (key rotation)."""
    old, new = parse_address(old_address, "old-address"), parse_address(new_address, "new-address")
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.participants.rotate_account(old, new)
    emit(as_json, {"old": old, "new": new, **tx_json(receipt)}, f"rotated {old} -> {new}; {tx_text(receipt)}")


@group.command("set-roles")
@click.argument("organisation")
@click.option("--roles", required=True, help=ROLES_HELP)
@chain_options(signer=True)
@json_option
@handle_errors
def set_roles(
    organisation: str,
    roles: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Replace the roles of ORGANISATION (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.participants.set_roles(org_id, roles)
    org = client.participants.get(org_id)
    emit(
        as_json,
        {"organisation": org.to_json(), **tx_json(receipt)},
        f"organisation {org_id} roles: {', '.join(org.roles)}; {tx_text(receipt)}",
    )


@group.command("suspend")
@click.argument("organisation")
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash of the decision.")
@chain_options(signer=True)
@json_option
@handle_errors
def suspend(
    organisation: str,
    reason: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Suspend ORGANISATION: its accounts lose every role at once (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.participants.suspend(org_id, reason)
    emit(
        as_json,
        {"organisation": org_id, "suspended": True, **tx_json(receipt)},
        f"organisation {org_id} suspended; {tx_text(receipt)}",
    )


@group.command("reinstate")
@click.argument("organisation")
@chain_options(signer=True)
@json_option
@handle_errors
def reinstate(
    organisation: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """Lift the suspension of ORGANISATION (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    receipt = client.participants.reinstate(org_id)
    emit(
        as_json,
        {"organisation": org_id, "suspended": False, **tx_json(receipt)},
        f"organisation {org_id} reinstated; {tx_text(receipt)}",
    )


@group.command("show")
@click.argument("who")
@chain_options(signer=False)
@json_option
@handle_errors
def show(who: str, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """Show an organisation by id, LEI or one of its account addresses, with its active accounts."""
    client = open_client(network_name, rpc_url)
    parts = client.participants
    if who.startswith("0x"):
        org_id, _ = parts.organisation_of(who)
        if org_id == 0:
            raise InputError("who", "this account signs for no organisation", who)
    elif who.isdigit() and len(who) < 11:
        org_id = parse_org_id(who)
    else:
        org_id = parts.by_lei(who)
        if org_id == 0:
            raise InputError("who", "no organisation holds this LEI", who)
    org = parts.get(org_id)
    accts = parts.accounts(org_id)
    prefixes = list(parts.company_prefixes(org_id))
    emit(as_json, {**org.to_json(), "prefixes": prefixes, "accounts": accts}, _org_text(org, accts, prefixes))


@group.command("list")
@chain_options(signer=False)
@json_option
@handle_errors
def list_(network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """List every organisation."""
    client = open_client(network_name, rpc_url)
    orgs = client.participants.organisations()
    licensed: dict[int, list[str]] = {}
    for prefix, licensee in client.participants.company_prefixes().items():
        licensed.setdefault(licensee, []).append(prefix)
    emit(
        as_json,
        [{**o.to_json(), "prefixes": licensed.get(o.id, [])} for o in orgs],
        "\n".join(
            f"{o.id:>4}  {o.lei or '-':20}  {o.gln or '-':13}  {o.country}  "
            f"{'SUSPENDED ' if o.suspended else ''}{','.join(o.roles)}"
            + (f"  prefixes {','.join(licensed[o.id])}" if o.id in licensed else "")
            for o in orgs
        )
        or "no organisations",
    )


@group.command("assign-prefix")
@click.argument("organisation")
@click.argument("prefix")
@chain_options(signer=True)
@json_option
@handle_errors
def assign_prefix(
    organisation: str,
    prefix: str,
    network_name: str | None,
    rpc_url: str | None,
    account: str | None,
    confirmations: int,
    as_json: bool,
) -> None:
    """License the GS1 company prefix PREFIX to ORGANISATION (consortium admin).

    PREFIX is the prefix's 4 to 12 digits, leading zeros included (0614141 and 614141 are different prefixes).
    Only the licensee claims the GTINs and creates the SSCC containers carrying it; assigning the prefix again
    reassigns it (the new licensee then claims its GTINs over); ORGANISATION 0 withdraws it.

    Example: tradechain participant assign-prefix 3 0614141
    """
    org_id = parse_uint(organisation, "organisation", bits=32)
    text = gs1.parse_company_prefix(prefix)
    client = open_client(network_name, rpc_url, account, confirmations, signer=True)
    result = client.participants.assign_company_prefix(text, org_id)
    before = f"organisation {result.previous}" if result.previous else "nobody"
    done = f"licensed to organisation {org_id}" if org_id else "withdrawn"
    emit(
        as_json,
        {
            "prefix": text,
            "digits": len(text),
            "organisation": org_id,
            "previous": result.previous,
            **tx_json(result.receipt),
        },
        f"company prefix {text} ({len(text)} digits) {done} (before: {before}); {tx_text(result.receipt)}",
    )


@group.command("prefix-owner")
@click.argument("key")
@chain_options(signer=False)
@json_option
@handle_errors
def prefix_owner(key: str, network_name: str | None, rpc_url: str | None, as_json: bool) -> None:
    """The organisation licensed the company prefix that KEY carries: a GTIN or an SSCC (18 digits)."""
    checked = gs1.parse_prefixed_key(key)
    client = open_client(network_name, rpc_url)
    licence = client.participants.company_prefix_owner(checked)
    emit(
        as_json,
        licence.to_json(),
        f"{checked}: company prefix {licence.prefix}, licensed to organisation {licence.organisation}"
        if licence.prefix
        else f"{checked}: no licensed company prefix",
    )

"""``tradechain participant``: the consortium's organisations, their roles, signing accounts and company prefixes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tradechain.cli.common import Run, command, when
from tradechain.contracts import profiles
from tradechain.contracts.participant_registry import Organisation, Profile, parse_org_id
from tradechain.errors import InputError
from tradechain.formats import gs1
from tradechain.formats.identity import ROLE_NAMES
from tradechain.formats.values import parse_address, parse_bytes32, parse_uint

ROLES_HELP = f"Comma-separated roles: {', '.join(ROLE_NAMES)}."


@click.group("participant")
def group() -> None:
    """Organisations: admit, signing accounts, roles, suspension, GS1 company prefixes.

    The consortium admin admits, sets roles, suspends and licenses company prefixes; an organisation's manager
    accounts add, revoke and rotate its signing accounts.
    """


def _profile_text(profile: Profile) -> str:
    """The profile line of ``participant show``: its hash and what this machine holds of it."""
    if profile.profile_hash == profiles.hex32(bytes(32)):
        return "- (none recorded on chain)"
    if profile.status == "verified":
        return f"{profile.profile_hash} (verified)"
    if profile.status == "unverified":
        return (
            f"{profile.profile_hash} (unverified: the profile kept here does not match it; add the current one with "
            f"tradechain participant profile FILE {profile.organisation})"
        )
    return f"{profile.profile_hash} (not kept here: tradechain participant profile FILE {profile.organisation})"


def _org_text(
    org: Organisation,
    accounts: list[dict[str, Any]] | None = None,
    prefixes: list[str] | None = None,
    profile: Profile | None = None,
) -> str:
    name = profile.name if profile is not None else None
    lines = [
        f"organisation {org.id}{f'  {name}' if name else ''}{'  [SUSPENDED]' if org.suspended else ''}",
        f"  LEI      {org.lei or '-'}",
        f"  GLN      {org.gln or '-'}",
        f"  country  {org.country}",
        f"  roles    {', '.join(org.roles)}",
        f"  prefixes {', '.join(prefixes or []) or '-'}",
        f"  admitted {when(org.admitted_at)}",
        f"  accounts {org.active_accounts} active",
        f"  profile  {_profile_text(profile) if profile is not None else org.profile_hash}",
    ]
    for a in accounts or []:
        lines.append(f"    {a['account']}{'  (manager)' if a['manager'] else ''}")
    return "\n".join(lines)


@command(group, "admit", chain="send")
@click.option("--lei", help="ISO 17442 LEI (20 characters, mod-97 check digits).")
@click.option("--gln", help="GS1 GLN (13 digits with check digit).")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 country code, e.g. DE.")
@click.option("--roles", required=True, help=ROLES_HELP)
@click.option("--manager", required=True, metavar="ADDRESS", help="First signing account; manages the others.")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help='The organisation\'s profile, a JSON object: {"name": "Acme Tuna Co", "country": "DE", ...}. Only the '
    "hash of its canonical JSON goes on chain; the profile is kept here, and outputs name the organisation by it.",
)
@click.option("--profile-hash", metavar="0xHASH", help="The profile's hash, if already computed.")
def admit(
    run: Run,
    lei: str | None,
    gln: str | None,
    country: str,
    roles: str,
    manager: str,
    profile_file: Path | None,
    profile_hash: str | None,
) -> None:
    """Admit an organisation (consortium admin). It needs an LEI, a GLN or both.

    Example: tradechain participant admit --lei 529900T8BM49AURSDO55 --country DE --roles manufacturer,brand
    --manager 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --profile acme.json
    """
    if profile_file and profile_hash:
        raise InputError("profile", "give --profile or --profile-hash, not both")
    profile = profiles.read(profile_file) if profile_file else None
    if profile is not None:
        _agrees(profile, "country", country, lambda v: v.strip().upper())
        _agrees(profile, "lei", lei, lambda v: v.strip().upper())
        _agrees(profile, "gln", gln, lambda v: str(gs1.parse_gln(v)))
    digest = (
        parse_bytes32(profile_hash, "profile-hash")
        if profile_hash
        else profiles.profile_hash(profile)
        if profile is not None
        else bytes(32)
    )
    client = run.client()
    result = client.participants.admit(
        lei=lei, gln=gln, country=country, roles=roles, manager=manager, profile_hash=digest
    )
    org = client.participants.get(result.organisation)
    kept = client.participants.store_profile(org.id, profile) if profile is not None else None
    name = f", {kept.name}" if kept is not None and kept.name else ""
    run.sent(
        result.receipt,
        {
            "organisation": org.to_json(),
            "registry": client.participants.address,
            "profile": kept.to_json() if kept is not None else None,
        },
        f"admitted organisation {org.id}{name} ({org.lei or org.gln}, {org.country}, roles {', '.join(org.roles)}) "
        f"in registry {client.participants.address}",
    )


def _agrees(profile: dict[str, Any], key: str, given: str | None, normal: Callable[[str], str]) -> None:
    """A field the profile and the command line both give must be the same (the chain records the option's)."""
    if given is None or key not in profile:
        return
    if normal(str(profile[key])) != normal(given):
        raise InputError(f"profile.{key}", f"the profile says {profile[key]!r}, --{key} says {given!r}")


@command(group, "profile", chain="read")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("organisation")
def profile_(run: Run, file: Path, organisation: str) -> None:
    """Keep the profile FILE of ORGANISATION, received from it or from anyone: checked against the organisation's
    on-chain profile hash (refused if it differs), then outputs name the organisation by it.

    Example: tradechain participant profile acme.json 13
    """
    received = profiles.read(file)
    org_id = parse_org_id(organisation)
    client = run.client()
    kept = client.participants.store_profile(org_id, received)
    run.emit(
        {**kept.to_json(), "file": str(profiles.store_dir() / f"{kept.profile_hash}.json")},
        f"profile of {kept.display_name} matches its on-chain hash {kept.profile_hash}: kept",
    )


@command(group, "add-account", chain="send")
@click.argument("organisation")
@click.argument("address")
@click.option("--manager", "is_manager", is_flag=True, help="The account may add and revoke accounts too.")
def add_account(run: Run, organisation: str, address: str, is_manager: bool) -> None:
    """Add a signing account to ORGANISATION (admin or one of its managers)."""
    org_id = parse_org_id(organisation)
    client = run.client()
    receipt = client.participants.add_account(org_id, address, manager=is_manager)
    run.sent(
        receipt,
        {"organisation": org_id, "account": parse_address(address, "address"), "manager": is_manager},
        f"account {parse_address(address)} now signs for organisation {org_id}",
    )


@command(group, "revoke-account", chain="send")
@click.argument("address")
def revoke_account(run: Run, address: str) -> None:
    """Revoke a signing account at once (admin or a manager of its organisation)."""
    checked = parse_address(address, "address")
    client = run.client()
    org_id, _ = client.participants.organisation_of(checked)
    receipt = client.participants.revoke_account(checked)
    run.sent(
        receipt, {"organisation": org_id, "account": checked}, f"account {checked} revoked from organisation {org_id}"
    )


@command(group, "rotate-account", chain="send")
@click.argument("old_address")
@click.argument("new_address")
def rotate_account(run: Run, old_address: str, new_address: str) -> None:
    """Replace OLD_ADDRESS by NEW_ADDRESS in one transaction (key rotation)."""
    old, new = parse_address(old_address, "old-address"), parse_address(new_address, "new-address")
    client = run.client()
    receipt = client.participants.rotate_account(old, new)
    run.sent(receipt, {"old": old, "new": new}, f"rotated {old} -> {new}")


@command(group, "set-roles", chain="send")
@click.argument("organisation")
@click.option("--roles", required=True, help=ROLES_HELP)
def set_roles(run: Run, organisation: str, roles: str) -> None:
    """Replace the roles of ORGANISATION (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = run.client()
    receipt = client.participants.set_roles(org_id, roles)
    org = client.participants.get(org_id)
    run.sent(receipt, {"organisation": org.to_json()}, f"organisation {org_id} roles: {', '.join(org.roles)}")


@command(group, "suspend", chain="send")
@click.argument("organisation")
@click.option("--reason", required=True, help="Reason code (<= 32 bytes) or 0x hash of the decision.")
def suspend(run: Run, organisation: str, reason: str) -> None:
    """Suspend ORGANISATION: its accounts lose every role at once (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = run.client()
    receipt = client.participants.suspend(org_id, reason)
    run.sent(receipt, {"organisation": org_id, "suspended": True}, f"organisation {org_id} suspended")


@command(group, "reinstate", chain="send")
@click.argument("organisation")
def reinstate(run: Run, organisation: str) -> None:
    """Lift the suspension of ORGANISATION (consortium admin)."""
    org_id = parse_org_id(organisation)
    client = run.client()
    receipt = client.participants.reinstate(org_id)
    run.sent(receipt, {"organisation": org_id, "suspended": False}, f"organisation {org_id} reinstated")


@command(group, "show", chain="read")
@click.argument("who")
def show(run: Run, who: str) -> None:
    """Show an organisation by id, LEI or one of its account addresses, with its active accounts."""
    client = run.client()
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
    known = parts.profile(org_id)
    run.emit(
        {
            **org.to_json(),
            "prefixes": prefixes,
            "accounts": accts,
            "profile": known.profile,
            "profileStatus": known.status,
            "name": known.name,
        },
        _org_text(org, accts, prefixes, known),
    )


@command(group, "list", chain="read")
def list_(run: Run) -> None:
    """List every organisation."""
    client = run.client()
    orgs = client.participants.organisations()
    licensed: dict[int, list[str]] = {}
    for prefix, licensee in client.participants.company_prefixes().items():
        licensed.setdefault(licensee, []).append(prefix)
    known = {o.id: client.participants.profile(o.id) for o in orgs}
    run.emit(
        [
            {
                **o.to_json(),
                "prefixes": licensed.get(o.id, []),
                "name": known[o.id].name,
                "profileStatus": known[o.id].status,
            }
            for o in orgs
        ],
        "\n".join(
            f"{o.id:>4}  {_list_name(known[o.id]):30}  {o.lei or '-':20}  {o.gln or '-':13}  {o.country}  "
            f"{'SUSPENDED ' if o.suspended else ''}{','.join(o.roles)}"
            + (f"  prefixes {','.join(licensed[o.id])}" if o.id in licensed else "")
            for o in orgs
        )
        or "no organisations",
    )


def _list_name(profile: Profile) -> str:
    return profile.name or ("(profile unverified)" if profile.status == "unverified" else "-")


@command(group, "assign-prefix", chain="send")
@click.argument("organisation")
@click.argument("prefix")
def assign_prefix(run: Run, organisation: str, prefix: str) -> None:
    """License the GS1 company prefix PREFIX to ORGANISATION (consortium admin).

    PREFIX is the prefix's 4 to 12 digits, leading zeros included (0614141 and 614141 are different prefixes).
    Only the licensee claims the GTINs and creates the SSCC containers carrying it; assigning the prefix again
    reassigns it (the new licensee then claims its GTINs over); ORGANISATION 0 withdraws it.

    Example: tradechain participant assign-prefix 3 0614141
    """
    org_id = parse_uint(organisation, "organisation", bits=32)
    text = gs1.parse_company_prefix(prefix)
    client = run.client()
    result = client.participants.assign_company_prefix(text, org_id)
    before = f"organisation {result.previous}" if result.previous else "nobody"
    done = f"licensed to organisation {org_id}" if org_id else "withdrawn"
    run.sent(
        result.receipt,
        {"prefix": text, "digits": len(text), "organisation": org_id, "previous": result.previous},
        f"company prefix {text} ({len(text)} digits) {done} (before: {before})",
    )


@command(group, "prefix-owner", chain="read")
@click.argument("key")
def prefix_owner(run: Run, key: str) -> None:
    """The organisation licensed the company prefix that KEY carries: a GTIN or an SSCC (18 digits)."""
    checked = gs1.parse_prefixed_key(key)
    client = run.client()
    licence = client.participants.company_prefix_owner(checked)
    run.emit(
        licence.to_json(),
        f"{checked}: company prefix {licence.prefix}, licensed to organisation {licence.organisation}"
        if licence.prefix
        else f"{checked}: no licensed company prefix",
    )

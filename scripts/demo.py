"""The cross-border scenario of ``make demo``, told through the SDK on the local chain.

Each chapter is one story of the product; later features add chapters. The demo deploys a fresh suite each run,
so it can be run again and again on the persistent local node.

    brownie run scripts/demo.py --network tradechain-local
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from tradechain import accounts
from tradechain.client import Client
from tradechain.errors import ContractRevert, InputError
from tradechain.gs1 import with_check_digit
from tradechain.identity import lei_with_check_digits
from tradechain.scripting import script_client
from tradechain.suite import deploy_suite

console = Console(width=110)


@dataclass
class Report:
    chapters: list[tuple[str, list[str]]] = field(default_factory=list)

    def chapter(self, title: str) -> list[str]:
        lines: list[str] = []
        self.chapters.append((title, lines))
        console.rule(f"[bold]{title}")
        return lines

    def say(self, lines: list[str], text: str) -> None:
        lines.append(text)
        console.print(f"  {text}")


# The consortium of a coffee and tuna corridor: Vietnam and Ecuador to Europe.
MEMBERS = [
    # key, legal identity, country, roles
    ("brand", {"lei": lei_with_check_digits("815600MAISONCAFE01")}, "IT", "brand"),
    (
        "manufacturer",
        {"lei": lei_with_check_digits("254900VIETROAST001"), "gln": with_check_digit("893456700000")},
        "VN",
        "manufacturer",
    ),
    ("carrier", {"gln": with_check_digit("888888800000")}, "SG", "carrier"),
    ("customs", {"lei": lei_with_check_digits("724500DOUANENL0001")}, "NL", "customs"),
    ("inspector", {"lei": lei_with_check_digits("213800INSPECTAG001")}, "CH", "inspector"),
    ("financier", {"lei": lei_with_check_digits("529900TRADEBANK001")}, "DE", "financier"),
    ("regulator", {"lei": lei_with_check_digits("969500FOODSAFETY01")}, "BE", "regulator"),
    (
        "retailer",
        {"lei": lei_with_check_digits("969500EPICERIE0001"), "gln": with_check_digit("300000000001")},
        "FR",
        "retailer",
    ),
]


def consortium_chapter(report: Report, admin: Client, as_role: Any) -> dict[str, int]:
    lines = report.chapter("1. The consortium admits its members")
    orgs: dict[str, int] = {}
    for key, ident, country, roles in MEMBERS:
        manager = accounts.dev_account(key).address
        result = admin.participants.admit(country=country, roles=roles, manager=manager, **ident)
        orgs[key] = result.organisation
        report.say(
            lines,
            f"organisation {result.organisation}: {key:12} {country}  "
            f"{ident.get('lei') or '-':20} {ident.get('gln') or '-':13}  gas {result.receipt.gas_used:,}",
        )
    bad = MEMBERS[0][1]["lei"][:18] + "00"
    try:
        admin.participants.admit(lei=bad, country="IT", roles="brand", manager=accounts.dev_account("brand2").address)
    except InputError as exc:
        report.say(lines, f"a mistyped LEI is refused before anything is sent: {exc.user_message}")

    lines = report.chapter("2. A carrier rotates a key, and is suspended")
    carrier = as_role("carrier")
    spare, new_key = accounts.dev_account("carrier2").address, accounts.dev_account("customer").address
    carrier.participants.add_account(orgs["carrier"], spare)
    carrier.participants.rotate_account(spare, new_key)
    accts = admin.participants.accounts(orgs["carrier"])
    report.say(lines, f"carrier accounts after rotation: {', '.join(a['account'][:10] + '…' for a in accts)}")
    admin.participants.suspend(orgs["carrier"], "customs fraud inquiry")
    try:
        admin.participants.require_role(accounts.dev_account("carrier").address, "carrier")
    except ContractRevert as exc:
        report.say(lines, f"suspended carrier's account is refused at once: {exc.user_message}")
    admin.participants.reinstate(orgs["carrier"])
    ok = admin.participants.is_authorized(new_key, "carrier")
    report.say(lines, f"inquiry closed, carrier reinstated; rotated key acts as carrier again: {ok}")
    return orgs


def main() -> dict[str, Any]:
    admin = script_client("admin")
    report = Report()
    deployment = deploy_suite(admin)
    console.print(f"[bold]tradechain demo[/] on chain {admin.chain_id} at {admin.rpc_url}; suite deployed:")
    for name, c in deployment.contracts.items():
        console.print(f"  {name:22} {c.address}")

    def as_role(role: str) -> Client:
        return Client(admin.w3, accounts.dev_account(role), deployment=deployment)

    orgs = consortium_chapter(report, admin, as_role)

    table = Table(title="Members", show_lines=False)
    for col in ("id", "LEI", "GLN", "country", "roles", "accounts", "status"):
        table.add_column(col)
    for org in admin.participants.organisations():
        table.add_row(
            str(org.id),
            org.lei or "-",
            org.gln or "-",
            org.country,
            ", ".join(org.roles),
            str(org.active_accounts),
            "suspended" if org.suspended else "active",
        )
    console.print(table)
    gas = admin.transactor.gas.by_label if admin.transactor else {}
    console.print(
        "gas per operation (admin): " + ", ".join(f"{k} {sum(v) // len(v):,}" for k, v in sorted(gas.items()))
    )
    console.print(
        f"[green]demo complete[/]: {len(orgs)} organisations on chain {admin.chain_id}. Try: "
        "tradechain participant list"
    )
    return {"deployment": deployment, "organisations": orgs}

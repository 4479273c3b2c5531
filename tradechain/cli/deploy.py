"""``tradechain deploy``: deploy the suite and record it in deployments/<chainId>.json."""

from __future__ import annotations

import click

from tradechain.chain import deployments
from tradechain.cli.common import Run, command
from tradechain.errors import DeploymentMissing
from tradechain.formats.values import parse_address
from tradechain.suite import deploy_suite


@command(None, "deploy", chain="send")
@click.option("--admin", metavar="ADDRESS", help="Consortium admin. [default: the deploying account]")
@click.option("--force", is_flag=True, help="Deploy again even if a working deployment is recorded.")
def deploy(run: Run, admin: str | None, force: bool) -> None:
    """Deploy the suite and record its addresses.

    Every other command reads deployments/<chainId>.json. Reuses a working deployment unless --force.
    """
    admin_address = parse_address(admin, "admin") if admin else None
    client = run.client()
    if not force:
        try:
            existing = client.deployment
            for name in existing.contracts:
                client.address_of(name)  # raises if the code is gone (a reset node)
            run.emit(
                {**existing.to_json(), "reused": True},
                f"already deployed on chain {client.chain_id} ({deployments.path_for(client.chain_id)}); "
                "--force deploys again",
            )
            return
        except DeploymentMissing:
            pass
    dep = deploy_suite(client, admin=admin_address)
    lines = [f"deployed on chain {dep.chain_id} by {dep.deployer}:"]
    lines += [f"  {name:22} {c.address}  (block {c.block}, tx {c.tx_hash})" for name, c in dep.contracts.items()]
    lines.append(f"recorded in {deployments.path_for(dep.chain_id)}")
    run.emit({**dep.to_json(), "reused": False}, "\n".join(lines))

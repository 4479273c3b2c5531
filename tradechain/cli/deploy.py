"""``tradechain deploy``: deploy the suite and record it in deployments/<chainId>.json."""

from __future__ import annotations

import click

from tradechain.chain import deployments
from tradechain.cli.common import Run, command
from tradechain.formats.values import parse_address
from tradechain.suite import Mismatch, deploy_suite, reuse_or_deploy, summary


@command(None, "deploy", chain="send")
@click.option("--admin", metavar="ADDRESS", help="Consortium admin. [default: the deploying account]")
@click.option("--force", is_flag=True, help="Deploy again even if a working deployment is recorded.")
def deploy(run: Run, admin: str | None, force: bool) -> None:
    """Deploy the suite and record its addresses.

    Every other command reads deployments/<chainId>.json. Reuses a working deployment (its code still at the
    recorded addresses) unless --force. An earlier record is never overwritten: it is kept as
    deployments/<chainId>.<block>.json.
    """
    admin_address = parse_address(admin, "admin") if admin else None
    client = run.client()
    why: list[Mismatch] = []
    if force:
        dep = deploy_suite(client, admin=admin_address)
        replaced = dep.replaced
    else:
        outcome = reuse_or_deploy(client, admin=admin_address, other_builds=True)
        dep, why, replaced = outcome.deployment, outcome.why, outcome.replaced
        if outcome.reused:
            text = f"already deployed on chain {client.chain_id} ({deployments.path_for(client.chain_id)}); "
            if why:
                text += f"note: {summary(why)}; --force deploys this build"
            else:
                text += "--force deploys again"
            run.emit({**dep.to_json(), "reused": True, "notes": [str(m) for m in why]}, text)
            return
    lines = [f"deployed on chain {dep.chain_id} by {dep.deployer}:"]
    lines += [f"  {name:22} {c.address}  (block {c.block}, tx {c.tx_hash})" for name, c in dep.contracts.items()]
    lines.append(f"recorded in {deployments.path_for(dep.chain_id)}")
    if why:
        lines.append(f"(the recorded suite could not be reused: {summary(why)})")
    if replaced is not None:
        lines.append(f"the earlier record is kept as {replaced}")
    data = {**dep.to_json(), "reused": False, "replaced": str(replaced) if replaced else None}
    run.emit({**data, "notes": [str(m) for m in why]}, "\n".join(lines))

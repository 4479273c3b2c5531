"""Deploying the whole suite and recording it in ``deployments/<chainId>.json``."""

from __future__ import annotations

from tradechain.chain import artifacts, deployments, project
from tradechain.chain.deployments import DeployedContract, Deployment
from tradechain.client import Client
from tradechain.contracts import registry

CONTRACTS = tuple(row.name for row in registry.CONTRACTS if not row.dev_only)
"""Every contract of the suite, in deployment order (the rows of :mod:`tradechain.contracts.registry`)."""


def deploy_suite(client: Client, *, admin: str | None = None, save: bool = True) -> Deployment:
    """Deploys every contract of the suite with ``client``'s signer; ``admin`` (default: the signer) becomes the
    consortium admin. Records the deployment unless ``save`` is False."""
    tx = client.require_signer()
    admin = admin or tx.address
    dep = Deployment(
        chain_id=client.chain_id,
        deployer=tx.address,
        block=0,
        compiler=artifacts.compiler_settings(),
    )
    for row in registry.CONTRACTS:
        if row.dev_only and client.chain_id != project.DEV_CHAIN_ID:
            continue  # e.g. the local chain's 6-decimal mock USDC to escrow
        args = [admin if arg == registry.ADMIN else dep.contracts[arg].address for arg in row.constructor]
        receipt = client.deploy(row.name, *args)
        assert receipt.contract_address is not None
        dep.contracts[row.name] = DeployedContract(receipt.contract_address, receipt.block_number, receipt.tx_hash)
    dep.block = min(c.block for c in dep.contracts.values())
    if save:
        deployments.save(dep)
    client.__dict__["deployment"] = dep  # the client now works on this deployment
    return dep

"""Deploying the whole suite and recording it in ``deployments/<chainId>.json``."""

from __future__ import annotations

from tradechain.chain import artifacts, deployments, project
from tradechain.chain.deployments import DeployedContract, Deployment
from tradechain.client import Client

CONTRACTS = (
    "ParticipantRegistry",
    "ProductRegistry",
    "LuxuryCertificate",
    "DocumentRegistry",
    "TradeEscrow",
    "InvoiceRegistry",
)
"""Every contract of the suite, in deployment order."""


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
    constructor_args: dict[str, tuple[object, ...]] = {"ParticipantRegistry": (admin,)}
    for name in CONTRACTS:
        # every later contract takes the membership registry
        args = constructor_args.get(name) or (dep.contracts["ParticipantRegistry"].address,)
        if name == "TradeEscrow":  # it also reads the document registry
            args = (*args, dep.contracts["DocumentRegistry"].address)
        receipt = client.deploy(name, *args)
        assert receipt.contract_address is not None
        dep.contracts[name] = DeployedContract(receipt.contract_address, receipt.block_number, receipt.tx_hash)
    if client.chain_id == project.DEV_CHAIN_ID:  # the local chain also gets a 6-decimal mock USDC to escrow
        receipt = client.deploy("MockUSDC")
        assert receipt.contract_address is not None
        dep.contracts["MockUSDC"] = DeployedContract(receipt.contract_address, receipt.block_number, receipt.tx_hash)
    dep.block = min(c.block for c in dep.contracts.values())
    if save:
        deployments.save(dep)
    client.__dict__["deployment"] = dep  # the client now works on this deployment
    return dep

"""Deploy the tradechain suite through the SDK and record it in deployments/<chainId>.json (an earlier record is
kept as deployments/<chainId>.<block>.json, never overwritten).

brownie run scripts/deploy.py --network tradechain-local
"""

from tradechain.chain.deployments import Deployment, path_for
from tradechain.scripting import script_client
from tradechain.suite import deploy_suite


def main(account: str | None = None) -> Deployment:
    client = script_client(account)
    deployment = deploy_suite(client)
    for name, contract in deployment.contracts.items():
        print(f"{name:22} {contract.address}  (block {contract.block})")
    print(f"recorded in {path_for(deployment.chain_id)}")
    if deployment.replaced is not None:
        print(f"the earlier record is kept as {deployment.replaced}")
    return deployment

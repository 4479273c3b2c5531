"""The record of a deployed suite: ``<chainId>.json`` (addresses, block, compiler) in
:func:`~tradechain.chain.project.deployments_dir` (``deployments/`` of the checkout; ``~/.tradechain/deployments``
for an installed package used outside any checkout)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradechain.chain import project
from tradechain.errors import DeploymentMissing


@dataclass
class DeployedContract:
    address: str
    block: int
    tx_hash: str


@dataclass
class Deployment:
    chain_id: int
    deployer: str
    block: int
    compiler: dict[str, Any]
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    deployed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentMissing(
                f"{name} is not in the deployment of chain {self.chain_id} ({path_for(self.chain_id)}): "
                "run `tradechain deploy`"
            ) from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "chainId": data["chain_id"],
            "deployer": data["deployer"],
            "block": data["block"],
            "deployedAt": data["deployed_at"],
            "compiler": data["compiler"],
            "contracts": {
                k: {"address": v["address"], "block": v["block"], "txHash": v["tx_hash"]}
                for k, v in data["contracts"].items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            chain_id=int(data["chainId"]),
            deployer=data["deployer"],
            block=int(data["block"]),
            compiler=data.get("compiler", {}),
            deployed_at=data.get("deployedAt", ""),
            contracts={
                k: DeployedContract(v["address"], int(v["block"]), v["txHash"]) for k, v in data["contracts"].items()
            },
        )


def path_for(chain_id: int) -> Path:
    return project.deployments_dir() / f"{chain_id}.json"


def load(chain_id: int) -> Deployment:
    path = path_for(chain_id)
    if not path.is_file():
        raise DeploymentMissing(f"no deployment for chain {chain_id} ({path} is missing): run `tradechain deploy`")
    try:
        return Deployment.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError) as exc:
        raise DeploymentMissing(f"{path} is not a valid deployment record ({exc})") from None


def save(deployment: Deployment) -> Path:
    """Writes atomically (a crash never leaves half a record)."""
    path = path_for(deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    os.replace(tmp, path)
    return path

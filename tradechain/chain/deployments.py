"""The record of a deployed suite: ``<chainId>.json`` (addresses, block, compiler, and per contract the hash of the
code at its address and of the build it was deployed from) in :func:`~tradechain.chain.project.deployments_dir`
(``deployments/`` of the checkout; ``~/.tradechain/deployments`` for an installed package used outside any
checkout).

A record is never silently overwritten: saving another suite for the same chain first keeps the earlier record as
``<chainId>.<its block>.json`` (:attr:`Deployment.replaced` names it)."""

from __future__ import annotations

import json
import os
import shutil
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
    code_hash: str = ""  # keccak of the code at the address right after deployment ("" in older records)
    build_hash: str = ""  # keccak of the build's creation bytecode it was deployed from ("" in older records)


@dataclass
class Deployment:
    chain_id: int
    deployer: str
    block: int
    compiler: dict[str, Any]
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    deployed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    replaced: Path | None = field(default=None, compare=False, repr=False)
    """Set by :func:`save`: where the record this one replaced was kept (None: there was none, or the same)."""

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
                k: {
                    "address": v["address"],
                    "block": v["block"],
                    "txHash": v["tx_hash"],
                    **({"codeHash": v["code_hash"]} if v["code_hash"] else {}),
                    **({"buildHash": v["build_hash"]} if v["build_hash"] else {}),
                }
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
                k: DeployedContract(
                    v["address"], int(v["block"]), v["txHash"], str(v.get("codeHash", "")), str(v.get("buildHash", ""))
                )
                for k, v in data["contracts"].items()
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


def archive_path(chain_id: int, block: int | str) -> Path:
    """Where an earlier record of chain ``chain_id`` deployed at ``block`` is kept: ``<chainId>.<block>.json``
    (``<chainId>.<block>.<n>.json`` when that name is taken)."""
    folder = project.deployments_dir()
    path = folder / f"{chain_id}.{block}.json"
    n = 2
    while path.exists():
        path = folder / f"{chain_id}.{block}.{n}.json"
        n += 1
    return path


def _keep_previous(deployment: Deployment, path: Path) -> Path | None:
    """Copies the record at ``path`` aside unless it is ``deployment``'s own (the same record written again); where
    it went. A suite deployed again at the same addresses (a reset node replays the same deployment) is another
    record all the same: the earlier one is kept."""
    if not path.is_file():
        return None
    try:
        previous: Deployment | None = Deployment.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError, AttributeError):
        previous = None  # unreadable: kept too, never overwritten
    if previous is not None and previous.to_json() == deployment.to_json():
        return None
    target = archive_path(deployment.chain_id, previous.block if previous is not None else "unreadable")
    shutil.copyfile(path, target)  # a copy: the record stays in place until the new one replaces it
    return target


def save(deployment: Deployment) -> Path:
    """Writes atomically (a crash never leaves half a record). A record of another suite for the same chain is
    kept first as ``<chainId>.<block>.json`` (see :attr:`Deployment.replaced`), never overwritten."""
    path = path_for(deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    deployment.replaced = _keep_previous(deployment, path)
    os.replace(tmp, path)
    return path

"""Deploying the whole suite and recording it in ``deployments/<chainId>.json``; reusing a recorded suite whose code
is still at its addresses (:func:`reuse_or_deploy`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from tradechain.chain import artifacts, deployments, project
from tradechain.chain.deployments import DeployedContract, Deployment
from tradechain.client import Client
from tradechain.contracts import registry
from tradechain.errors import DeploymentMissing

CONTRACTS = tuple(row.name for row in registry.CONTRACTS if not row.dev_only)
"""Every contract of the suite, in deployment order (the rows of :mod:`tradechain.contracts.registry`)."""


def deploy_suite(client: Client, *, admin: str | None = None, save: bool = True) -> Deployment:
    """Deploys every contract of the suite with ``client``'s signer; ``admin`` (default: the signer) becomes the
    consortium admin. Records the deployment unless ``save`` is False (an earlier record of another suite is kept as
    ``deployments/<chainId>.<block>.json``: see :attr:`Deployment.replaced`)."""
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
    for name, contract in dep.contracts.items():  # what a later run checks before it reuses the suite
        contract.code_hash = code_hash(client, contract.address)
        contract.build_hash = build_hash(name)
    if save:
        deployments.save(dep)
    client.__dict__["deployment"] = dep  # the client now works on this deployment
    return dep


def build_hash(name: str) -> str:
    """The keccak of the build's creation bytecode of contract ``name`` (the package data's)."""
    return "0x" + keccak(bytes.fromhex(artifacts.load(name).bytecode.removeprefix("0x"))).hex()


def code_hash(client: Client, address: str) -> str:
    """The keccak of the code at ``address`` ("" when there is none)."""
    code = bytes(client.w3.eth.get_code(to_checksum_address(address)))
    return "0x" + keccak(code).hex() if code else ""


KINDS = {  # what keeps a recorded contract from being reused, and whether the record no longer holds on the chain
    "new": ("not in the record (the suite gained it since)", True),
    "no code": ("no code at the recorded address (was the node reset?)", True),
    "other code": ("other code at the recorded address than was deployed there", True),
    "unknown build": ("recorded without its build (a record of an earlier version)", False),
    "other build": ("deployed from another build (the contracts changed since)", False),
}


@dataclass(frozen=True)
class Mismatch:
    """A contract of the suite whose record does not hold on the chain (``gone``: not recorded, no code or other
    code at its address) or was deployed from another build than this one (``kind``: a key of :data:`KINDS`)."""

    name: str
    kind: str
    address: str = ""

    @property
    def gone(self) -> bool:
        return KINDS[self.kind][1]

    def __str__(self) -> str:
        return f"{self.name}: {KINDS[self.kind][0]}" + (f" ({self.address})" if self.address else "")


def summary(found: list[Mismatch]) -> str:
    """The mismatches in one line, contracts of one kind together."""
    kinds: dict[str, list[str]] = {}
    for m in found:
        kinds.setdefault(m.kind, []).append(m.name)
    return "; ".join(f"{', '.join(names)}: {KINDS[kind][0]}" for kind, names in kinds.items())


def mismatches(client: Client, dep: Deployment) -> list[Mismatch]:
    """What keeps ``dep`` from being this chain's suite as this build deploys it (empty: reuse it as it is)."""
    found: list[Mismatch] = []
    for row in registry.CONTRACTS:
        if row.dev_only and client.chain_id != project.DEV_CHAIN_ID:
            continue
        recorded = dep.contracts.get(row.name)
        if recorded is None:
            found.append(Mismatch(row.name, "new"))
            continue
        now = code_hash(client, recorded.address)
        if not now:
            found.append(Mismatch(row.name, "no code", recorded.address))
        elif recorded.code_hash and now != recorded.code_hash:
            found.append(Mismatch(row.name, "other code", recorded.address))
        elif not recorded.build_hash:
            found.append(Mismatch(row.name, "unknown build"))
        elif recorded.build_hash != build_hash(row.name):
            found.append(Mismatch(row.name, "other build"))
    return found


@dataclass(frozen=True)
class SuiteOutcome:
    """What :func:`reuse_or_deploy` did: reused the recorded ``deployment`` or deployed a new one (``why``: the
    mismatches of the record; ``replaced``: where the earlier record was kept)."""

    deployment: Deployment
    reused: bool
    why: list[Mismatch] = field(default_factory=list)
    replaced: Path | None = None

    def describe(self) -> str:
        path = deployments.path_for(self.deployment.chain_id)
        if self.reused:
            text = f"reused the suite recorded in {path} (deployed at block {self.deployment.block})"
            return text + (f"; note: {summary(self.why)}" if self.why else "")
        text = f"deployed a new suite, recorded in {path}"
        if self.why:
            text += f" (the recorded one could not be reused: {summary(self.why)})"
        if self.replaced is not None:
            text += f"; the earlier record is kept as {self.replaced}"
        return text


def reuse_or_deploy(client: Client, *, admin: str | None = None, other_builds: bool = False) -> SuiteOutcome:
    """The recorded suite of this chain if its code is still at its addresses, deployed from this build (or, with
    ``other_builds``, from any build); else a new suite, deployed and recorded (the earlier record kept as
    ``deployments/<chainId>.<block>.json``)."""
    why: list[Mismatch] = []
    try:
        existing: Deployment | None = deployments.load(client.chain_id)
    except DeploymentMissing:
        existing = None
    if existing is not None:
        why = mismatches(client, existing)
        if not [m for m in why if m.gone or not other_builds]:
            client.__dict__["deployment"] = existing
            return SuiteOutcome(existing, True, why)
    dep = deploy_suite(client, admin=admin)
    return SuiteOutcome(dep, False, why, dep.replaced)

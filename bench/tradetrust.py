"""TradeTrust's token-registry 5.5.1 (npm ``@tradetrust-tt/token-registry``) measured beside our TitleRegistry on the
same chain: its Solidity sources, compiled with our solc-js (brownie-config.yaml's version, EVM and optimizer), are
deployed with web3.py and each eBL operation's gas is read from its receipt.

The package and the OpenZeppelin 5.1.0 it imports live in ``bench/peers/node_modules`` (``make bench`` installs
them from ``bench/peers/package-lock.json``), so the project's own pins stay as they are. The compiled output is
cached in ``build/peers/`` under a hash of every source file and the compiler settings: a second run does not
compile.

Two registries are measured, each with its own factory of title escrows (one ``TitleEscrow`` clone per eBL):

* ``TradeTrustToken``, the standalone registry (``deploy:token --standalone``): the factory address is an
  immutable, so it is TradeTrust's cheapest per operation; the plain ``tradetrust.*`` keys are its.
* ``TradeTrustTokenStandard`` cloned by ``TDocDeployer`` (behind an ERC-1967 proxy), the "quick start" path of
  TradeTrust's deploy task: cheap to deploy, dearer per call (a delegatecall and a storage read of the factory);
  keys suffixed ``(quick-start registry)``.

Operations (the caller in brackets), each with an empty remark and again with a 32-byte one
(``(32-byte remark)``; TradeTrust stores the remark in clear, up to 120 bytes):

* ``mint`` (minter): creates the eBL's escrow and mints the token to it with a beneficiary and a holder;
* ``transfer_holder`` (holder), ``nominate`` (beneficiary names the next beneficiary), ``transfer_beneficiary``
  (holder endorses the nominee), ``transfer_owners`` (one party, holder and beneficiary, endorses both to another);
* ``transfer_beneficiary (no nomination)``: the endorsement alone, no nomination needed;
* ``return_to_issuer`` (holder who is also beneficiary) and ``accept_return`` (the registry's ``burn``, accepter).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from eth_abi import encode
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from tradechain.chain import node, project

PEERS = Path("bench") / "peers" / "node_modules"
"""Where ``npm ci --prefix bench/peers`` installs the peers, relative to the project root."""
PACKAGE = "@tradetrust-tt/token-registry"
VERSION = "5.5.1"
SOURCES = (
    f"{PACKAGE}/contracts/TitleEscrowFactory.sol",  # deploys the TitleEscrow implementation it clones
    f"{PACKAGE}/contracts/TradeTrustToken.sol",
    f"{PACKAGE}/contracts/presets/TradeTrustTokenStandard.sol",
    f"{PACKAGE}/contracts/utils/TDocDeployer.sol",
    "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",  # TDocDeployer is UUPS: its proxy
)
HASHED_TREES = (f"{PACKAGE}/contracts", "@openzeppelin/contracts", "@openzeppelin/contracts-upgradeable")
PORT = 8571
QUICK = " (quick-start registry)"
LONG = " (32-byte remark)"


def _settings() -> dict[str, Any]:
    """brownie-config.yaml's compiler settings, remapped to the peers' folder."""
    solc = project.brownie_config()["compiler"]["solc"]
    return {
        "evmVersion": project.evm_version(),
        "optimizer": {"enabled": bool(solc["optimizer"]["enabled"]), "runs": int(solc["optimizer"]["runs"])},
        "remappings": [f"@openzeppelin/={PEERS}/@openzeppelin/", f"@tradetrust-tt/={PEERS}/@tradetrust-tt/"],
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
    }


def _peers() -> Path:
    peers = project.root() / PEERS
    manifest = peers / PACKAGE / "package.json"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} missing: run `npm ci --prefix bench/peers --ignore-scripts`")
    found = json.loads(manifest.read_text())["version"]
    if found != VERSION:
        raise RuntimeError(
            f"{PACKAGE} in bench/peers is {found}, expected {VERSION}: run `npm ci --prefix bench/peers`"
        )
    return peers


def _source_hash(peers: Path, settings: dict[str, Any]) -> str:
    """A hash of every Solidity file the compilation can import, the solc version and the settings."""
    h = hashlib.sha256(json.dumps([project.solc_version(), settings, SOURCES], sort_keys=True).encode())
    for tree in HASHED_TREES:
        for file in sorted((peers / tree).rglob("*.sol")):
            h.update(str(file.relative_to(peers)).encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()


def compile_contracts() -> tuple[dict[str, dict[str, Any]], float]:
    """ABI and bytecode of each contract by name, and the seconds spent compiling (0.0 when read from the cache).

    Compiles through tools/solc/solcjs-bridge.cjs (standard JSON on solc-js, node_modules/solc), as the project's
    own contracts are; imports are read inside the project root only."""
    root, peers = project.root(), _peers()
    settings = _settings()
    key = _source_hash(peers, settings)
    cache = project.build_dir() / "peers" / f"tradetrust-{VERSION}-{key[:16]}.json"
    if cache.is_file():
        return json.loads(cache.read_text()), 0.0
    node_bin = shutil.which("node")
    if node_bin is None:
        raise FileNotFoundError("node not found on PATH: solc-js runs on it")
    sources = {name: {"content": (peers / name).read_text(encoding="utf-8")} for name in SOURCES}
    standard = {"language": "Solidity", "sources": sources, "settings": settings}
    started = time.perf_counter()
    proc = subprocess.run(
        [node_bin, str(root / "tools" / "solc" / "solcjs-bridge.cjs"), "--standard-json", "--base-path", str(root)],
        input=json.dumps(standard),
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    )
    seconds = time.perf_counter() - started
    out = json.loads(proc.stdout)
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    compiled: dict[str, dict[str, Any]] = {}
    for contracts in out["contracts"].values():
        for name, c in contracts.items():
            if c["evm"]["bytecode"]["object"]:
                compiled[name] = {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"]}
    warnings = [e.get("formattedMessage", "") for e in out.get("errors", []) if e.get("severity") != "error"]
    compiled["_meta"] = {"solc": project.solc_version(), "settings": settings, "warnings": warnings, "key": key}
    cache.parent.mkdir(parents=True, exist_ok=True)
    for stale in cache.parent.glob("tradetrust-*.json"):
        stale.unlink()
    cache.write_text(json.dumps(compiled))
    return compiled, seconds


class _Chain:
    """Sends from Anvil's unlocked accounts and keeps the gas of each receipt."""

    def __init__(self, w3: Web3, compiled: dict[str, dict[str, Any]]) -> None:
        self.w3, self.compiled = w3, compiled

    def at(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=self.compiled[name]["abi"])

    def _gas(self, tx_hash: HexBytes, what: str) -> tuple[int, Any]:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"{what} reverted (tx {tx_hash.hex()})")
        return int(receipt["gasUsed"]), receipt

    def deploy(self, name: str, sender: str, *args: Any) -> tuple[Contract, int]:
        factory = self.w3.eth.contract(abi=self.compiled[name]["abi"], bytecode=self.compiled[name]["bytecode"])
        gas, receipt = self._gas(factory.constructor(*args).transact({"from": sender}), f"deploy {name}")
        return self.at(name, receipt["contractAddress"]), gas

    def send(self, contract: Contract, fn: str, sender: str, *args: Any) -> tuple[int, Any]:
        return self._gas(getattr(contract.functions, fn)(*args).transact({"from": sender}), fn)


def _deploy_standalone(chain: _Chain, issuer: str) -> tuple[Contract, dict[str, int]]:
    """A TitleEscrowFactory (it deploys the TitleEscrow implementation) and a standalone TradeTrustToken on it."""
    factory, factory_gas = chain.deploy("TitleEscrowFactory", issuer)
    registry, registry_gas = chain.deploy("TradeTrustToken", issuer, "TradeTrust bench", "TTB", factory.address)
    return registry, {
        "tradetrust.deploy.TitleEscrowFactory": factory_gas,
        "tradetrust.deploy.TradeTrustToken": registry_gas,
    }


def _deploy_quick_start(chain: _Chain, issuer: str) -> tuple[Contract, dict[str, int]]:
    """TradeTrust's quick start: a TDocDeployer (behind an ERC-1967 proxy) clones the TradeTrustTokenStandard
    implementation, registered with its factory, and initialises it with (name, symbol, admin)."""
    factory, _ = chain.deploy("TitleEscrowFactory", issuer)
    implementation, _ = chain.deploy("TradeTrustTokenStandard", issuer)
    logic, _ = chain.deploy("TDocDeployer", issuer)
    init = logic.functions.initialize()._encode_transaction_data()
    proxy, _ = chain.deploy("ERC1967Proxy", issuer, logic.address, init)
    deployer = chain.at("TDocDeployer", proxy.address)
    chain.send(deployer, "addImplementation", issuer, implementation.address, factory.address)
    params = encode(["string", "string", "address"], ["TradeTrust bench", "TTB", issuer])
    gas, receipt = chain.send(deployer, "deploy", issuer, implementation.address, params)
    deployed = deployer.events.Deployment().process_receipt(receipt, errors=DISCARD)[0]["args"]["deployed"]
    return chain.at("TradeTrustTokenStandard", deployed), {"tradetrust.deploy.TDocDeployer.deploy (clone)": gas}


def _ids() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield int.from_bytes(hashlib.sha256(f"tradetrust-bench-{n}".encode()).digest(), "big")


def _remarks(size: int) -> Iterator[bytes]:
    """A new remark of ``size`` bytes for every call (each endorsement says its own thing), or empty ones."""
    n = 0
    while True:
        n += 1
        yield hashlib.sha256(f"remark-{n}".encode()).digest()[:size] if size else b""


def _life_cycle(
    chain: _Chain, registry: Contract, people: Sequence[str], remarks: Iterator[bytes], ids: Iterator[int]
) -> dict[str, int]:
    """Gas of each eBL operation on ``registry``, every call with the next of ``remarks``: one eBL from issue to the
    issuer's acceptance of its return, another endorsed whole by a single owner."""
    issuer, h1, b1, h2, b2, o1, o2, b3 = people[:8]
    factory = chain.at("TitleEscrowFactory", registry.functions.titleEscrowFactory().call())

    def escrow(token: int) -> Contract:
        return chain.at("TitleEscrow", factory.functions.getEscrowAddress(registry.address, token).call())

    def must(ok: bool, what: str) -> None:
        if not ok:
            raise RuntimeError(f"TradeTrust state after {what} is not the expected one")

    gas: dict[str, int] = {}
    token = next(ids)
    gas["mint"], _ = chain.send(registry, "mint", issuer, b1, h1, token, next(remarks))
    e = escrow(token)
    must(registry.functions.ownerOf(token).call() == e.address and e.functions.holder().call() == h1, "mint")
    gas["transfer_holder"], _ = chain.send(e, "transferHolder", h1, h2, next(remarks))
    must(e.functions.holder().call() == h2, "transferHolder")
    gas["nominate"], _ = chain.send(e, "nominate", b1, b2, next(remarks))
    must(e.functions.nominee().call() == b2, "nominate")
    gas["transfer_beneficiary"], _ = chain.send(e, "transferBeneficiary", h2, b2, next(remarks))
    must(e.functions.beneficiary().call() == b2, "transferBeneficiary")
    chain.send(e, "transferHolder", h2, b2, next(remarks))  # b2 now holds both roles: only then may it return the eBL
    gas["return_to_issuer"], _ = chain.send(e, "returnToIssuer", b2, next(remarks))
    must(registry.functions.ownerOf(token).call() == registry.address, "returnToIssuer")
    gas["accept_return"], _ = chain.send(registry, "burn", issuer, token, next(remarks))
    must(not e.functions.active().call(), "burn")

    token = next(ids)
    chain.send(registry, "mint", issuer, o1, o1, token, next(remarks))
    e = escrow(token)
    gas["transfer_owners"], _ = chain.send(e, "transferOwners", o1, o2, o2, next(remarks))
    must(e.functions.holder().call() == o2 and e.functions.beneficiary().call() == o2, "transferOwners")
    gas["transfer_beneficiary (no nomination)"], _ = chain.send(e, "transferBeneficiary", o2, b3, next(remarks))
    must(e.functions.beneficiary().call() == b3, "transferBeneficiary")
    return gas


def measure(w3: Web3, accounts: list[str]) -> dict[str, int]:
    """Gas of TradeTrust's eBL operations on ``w3`` (an Anvil node; ``accounts`` unlocked there, at least 8: the
    first is the issuer). The plain keys are the standalone registry's with empty remarks."""
    if len(accounts) < 8:
        raise ValueError(f"accounts: {len(accounts)} given, the life cycle needs 8 distinct unlocked accounts")
    people = [Web3.to_checksum_address(a) for a in accounts[:8]]
    compiled, _ = compile_contracts()
    chain = _Chain(w3, compiled)
    ids = _ids()
    out: dict[str, int] = {}
    for deploy, suffix in ((_deploy_standalone, ""), (_deploy_quick_start, QUICK)):
        registry, deploy_gas = deploy(chain, people[0])
        out.update(deploy_gas)
        # warm-up, not recorded: the first eBL a registry ever burns sets its 0xdEaD balance from zero (~17,000 gas
        # once in its life); every later one finds it set
        _life_cycle(chain, registry, people, _remarks(0), ids)
        for size, label in ((0, ""), (32, LONG)):
            for op, gas in _life_cycle(chain, registry, people, _remarks(size), ids).items():
                out[f"tradetrust.{op}{label}{suffix}"] = gas
    return out


def _print(gas: dict[str, int], write: Callable[[str], Any] = print) -> None:
    width = max(len(k) for k in gas)
    for name, value in gas.items():
        write(f"  {name:{width}}  {value:>10,}")


def main() -> int:
    """``python -m bench.tradetrust``: compile (or read the cache), measure on a throw-away Anvil on port 8571,
    print the table."""
    compiled, seconds = compile_contracts()
    source = f"compiled in {seconds:.1f} s" if seconds else "compiled output read from build/peers/"
    print(f"{PACKAGE} {VERSION} with solc {project.solc_version()} ({project.evm_version()}): {source}")
    for warning in compiled["_meta"]["warnings"]:
        print(warning, file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        status = node.start(PORT, Path(tmp), persist=False)
        try:
            w3 = Web3(Web3.HTTPProvider(status.url))
            gas = measure(w3, list(w3.eth.accounts))
        finally:
            node.stop(Path(tmp))
    print("gas per operation (from receipts):")
    _print(gas)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

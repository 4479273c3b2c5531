"""Connecting to an EVM JSON-RPC node: the local chain or any URL, with retry and back-off."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from web3 import HTTPProvider, Web3

from tradechain import project
from tradechain.errors import InputError, NodeUnreachable, WrongChain

LOCAL_URL = "http://127.0.0.1:8545"


@dataclass(frozen=True)
class Network:
    name: str
    rpc_url: str
    chain_id: int | None = None  # expected chain id; None accepts what the node reports


def networks_file() -> Path:
    """``$TRADECHAIN_NETWORKS``, else ``networks.yaml`` at the project root."""
    return Path(os.environ.get("TRADECHAIN_NETWORKS") or project.root() / "networks.yaml")


def networks() -> dict[str, Network]:
    """Named networks: ``local`` plus those in the networks file (:func:`networks_file`)."""
    found = {"local": Network("local", LOCAL_URL, project.DEV_CHAIN_ID)}
    path = networks_file()
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(path.name, f"not valid YAML ({' '.join(str(exc).split())[:120]})", str(path)) from None
        entries = data.get("networks") if isinstance(data, dict) else None
        if not isinstance(entries or {}, dict):
            raise InputError(path.name, "'networks' maps names to {rpc_url, chain_id}", str(path))
        for name, entry in (entries or {}).items():
            where = f"{path.name}: networks.{name}"
            if not isinstance(entry, dict) or not entry.get("rpc_url"):
                raise InputError(f"{where}.rpc_url", "is required")
            chain_id = entry.get("chain_id")
            if chain_id is not None and (isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 1):
                raise InputError(f"{where}.chain_id", "a chain id is a positive whole number", chain_id)
            found[str(name)] = Network(str(name), os.path.expandvars(str(entry["rpc_url"])), chain_id)
    return found


def resolve(network: str | None = None, rpc_url: str | None = None) -> Network:
    """``--rpc-url`` wins over ``--network``; default: ``$TRADECHAIN_RPC_URL``, else the local chain."""
    if rpc_url:
        if not rpc_url.startswith(("http://", "https://")):
            raise InputError("rpc-url", "must be an http:// or https:// URL", rpc_url)
        return Network("custom", rpc_url)
    if network is None:
        env = os.environ.get("TRADECHAIN_RPC_URL")
        if env:
            return resolve(rpc_url=env)
        network = "local"
    known = networks()
    if network not in known:
        raise InputError("network", f"unknown network; known: {', '.join(sorted(known))}", network)
    return known[network]


def connect(network: Network, *, attempts: int = 4, backoff: float = 0.25, timeout: float = 10.0) -> Web3:
    """A connected Web3, the node's chain id checked against the network's. Retries with exponential back-off,
    then raises :class:`NodeUnreachable` naming the URL."""
    w3 = Web3(HTTPProvider(network.rpc_url, request_kwargs={"timeout": timeout}))
    chain_id = rpc_with_retry(w3, "eth_chainId", [], attempts=attempts, backoff=backoff)
    actual = int(chain_id, 16)
    if network.chain_id is not None and actual != network.chain_id:
        raise WrongChain(
            f"network: {network.name!r} expects chain id {network.chain_id}, "
            f"but {network.rpc_url} serves chain {actual}"
        )
    w3.tradechain_chain_id = actual  # type: ignore[attr-defined]
    return w3


def rpc_with_retry(w3: Web3, method: str, params: list[Any], *, attempts: int = 4, backoff: float = 0.25) -> Any:
    """One raw JSON-RPC call, retried on connection failures; a JSON-RPC error is raised at once."""
    url = getattr(w3.provider, "endpoint_uri", "?")
    delay = backoff
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            last = exc
            if attempt + 1 < attempts:
                time.sleep(delay)
                delay *= 2
            continue
        if "error" in response:
            raise NodeUnreachable(f"{url} answered {method} with an error: {response['error']}")
        return response["result"]
    reason = type(last).__name__ if last else "no answer"
    raise NodeUnreachable(f"cannot reach the JSON-RPC node at {url} after {attempts} attempts ({reason})")

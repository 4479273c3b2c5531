"""Connecting to an EVM JSON-RPC node: the local chain or any URL, with retry and back-off."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import yaml
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint

from tradechain.chain import project
from tradechain.errors import InputError, NodeUnreachable, WrongChain

DEFAULT_LOCAL_PORT = 8545
LOCAL_URL = f"http://127.0.0.1:{DEFAULT_LOCAL_PORT}"  # the local chain's URL unless a port is set (see local_url)
PORT_ENV = "TRADECHAIN_PORT"
ENDPOINT_FILE = "endpoint.json"  # in a node folder: the port its node last started on

LOCAL_MAX_FEE_GWEI = Decimal(100)  # the fee cap on the local chain (its base fee starts at 1 gwei)
DEFAULT_MAX_FEE_GWEI = Decimal(500)  # elsewhere, unless the networks file sets max_fee_gwei
ENV_PREFIX = "TRADECHAIN_"  # ${VAR} in a networks file expands these, and the names the file lists under `env`

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|MNEMONIC|PRIVATE|SECRET", re.IGNORECASE)
_KEY_CHARS = re.compile(r"[A-Za-z0-9_\-.~%=+]+")


@dataclass(frozen=True)
class Network:
    name: str
    rpc_url: str
    chain_id: int | None = None  # expected chain id; None accepts what the node reports
    max_fee_gwei: Decimal | None = None  # the fee cap per gas; None: the default (local or general)

    def __repr__(self) -> str:  # the URL may hold an API key
        return f"Network({self.name!r}, {redact_url(self.rpc_url)!r}, chain_id={self.chain_id})"


def _key_like(segment: str) -> bool:
    """A URL path segment that looks like an API key: long, or mixing letters and digits."""
    if not _KEY_CHARS.fullmatch(segment):
        return len(segment) >= 16
    has_digit = any(c.isdigit() for c in segment)
    has_letter = any(c.isalpha() for c in segment)
    return len(segment) >= 16 or (len(segment) >= 8 and has_digit and has_letter)


def redact_url(url: str) -> str:
    """``url`` fit for a message: user and password, query string, fragment and key-like path segments
    (``/v3/<key>``) replaced by ``***``; scheme, host, port and plain path segments kept."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    path = "/".join("***" if _key_like(s) else s for s in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "***" if parts.query else "", "***" if parts.fragment else ""))


def scrub(text: str, url: str) -> str:
    """``text`` with every secret part of ``url`` (see :func:`redact_url`) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, "***")
    secrets = [url]
    if "@" in parts.netloc:
        secrets.append(parts.netloc.rsplit("@", 1)[0])
    secrets += [s for s in parts.path.split("/") if _key_like(s)]
    secrets += [p for p in (parts.query, parts.fragment) if p]
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, redact_url(url) if secret == url else "***")
    return text


def expand_env(text: str, where: str, allowed: frozenset[str] = frozenset()) -> str:
    """Expands ``${NAME}`` in ``text``: only names starting with ``TRADECHAIN_`` or in ``allowed``, never a
    name that looks like a secret (a password, a mnemonic, a private key); any other reference, a variable that
    is not set and a ``$`` outside ``${NAME}`` are errors naming the variable."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if not _NAME.fullmatch(name):
            raise InputError(where, f"${{{name}}} is not a variable reference: write ${{NAME}}")
        if _SECRET_NAME.search(name):
            raise InputError(where, f"${{{name}}} names a secret: secrets are never expanded into a URL")
        if not name.startswith(ENV_PREFIX) and name not in allowed:
            raise InputError(
                where, f"${{{name}}} is not expanded: only {ENV_PREFIX}* variables and those listed under 'env' are"
            )
        found = os.environ.get(name)
        if not found:
            raise InputError(where, f"${{{name}}} is not set")
        return found

    if "$" in _REFERENCE.sub("", text):
        raise InputError(where, "a '$' outside ${NAME} is not expanded: write ${NAME}")
    return _REFERENCE.sub(value, text)


def parse_port(value: object, field: str) -> int:
    """A TCP port: a whole number from 1 to 65535 (a number, or its digits)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(field, "must be a whole number between 1 and 65535", value)
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,5}", value.strip()):
            raise InputError(field, "must be a whole number between 1 and 65535", value)
        value = int(value.strip())
    if not 0 < value < 65536:
        raise InputError(field, "must be between 1 and 65535", value)
    return value


def endpoint_file(folder: Path | None = None) -> Path:
    """Where a node folder remembers the port its node last started on (default: the local chain's folder,
    ``<state home>/node``)."""
    return (folder or project.state_home() / "node") / ENDPOINT_FILE


def remembered_port(folder: Path | None = None) -> int | None:
    """The port ``tradechain node start`` last started the node of ``folder`` on (default: the local chain's), else
    the port in the pid file a running node of an earlier version left; None if neither."""
    path = endpoint_file(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = None
    except (OSError, ValueError, UnicodeDecodeError):
        data = {}
    if data is not None:
        if not isinstance(data, dict) or "port" not in data:
            raise InputError(path.name, "not a record of the local node's port: run `tradechain node start`", str(path))
        return parse_port(data["port"], str(path))
    try:  # a node started by an earlier version remembered nothing, but its pid file names its port
        legacy = json.loads(path.with_name("anvil.pid").read_text(encoding="utf-8"))
        return parse_port(legacy["port"], "anvil.pid")
    except (OSError, ValueError, UnicodeDecodeError, TypeError, KeyError, InputError):
        return None


def remember_port(port: int, folder: Path | None = None) -> Path:
    """Records ``port`` as the one the node of ``folder`` (default: the local chain's) runs on, atomically."""
    path = endpoint_file(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"port": port, "url": f"http://127.0.0.1:{port}"}) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def env_port() -> int | None:
    """``$TRADECHAIN_PORT`` if set (a bad value is an InputError naming it)."""
    value = os.environ.get(PORT_ENV)
    return None if value is None or value == "" else parse_port(value, PORT_ENV)


def local_port() -> int:
    """The one setting of the local chain's port: ``$TRADECHAIN_PORT``, else the port ``tradechain node start`` last
    used (remembered in ``<state home>/node/endpoint.json``), else 8545."""
    found = env_port()
    if found is None:
        found = remembered_port()
    return DEFAULT_LOCAL_PORT if found is None else found


def local_url() -> str:
    """The local chain's JSON-RPC URL, on :func:`local_port`: every command, script and ``make`` target uses it."""
    return f"http://127.0.0.1:{local_port()}"


def networks_file() -> Path:
    """``$TRADECHAIN_NETWORKS``, else ``networks.yaml`` of the checkout, else (an installed package used outside
    any checkout) ``networks.yaml`` in the state home."""
    found = project.checkout()
    return Path(os.environ.get("TRADECHAIN_NETWORKS") or (found or project.state_home()) / "networks.yaml")


def _fee_cap(value: object, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}.max_fee_gwei", "a positive number of gwei", value)
    cap = Decimal(str(value))
    if not cap.is_finite() or cap <= 0 or cap > 10**7:
        raise InputError(f"{where}.max_fee_gwei", "a positive number of gwei (at most 10,000,000)", value)
    return cap


def networks() -> dict[str, Network]:
    """Named networks: ``local`` plus those in the networks file (:func:`networks_file`)."""
    found = {"local": Network("local", local_url(), project.DEV_CHAIN_ID, LOCAL_MAX_FEE_GWEI)}
    path = networks_file()
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(path.name, f"not valid YAML ({' '.join(str(exc).split())[:120]})", str(path)) from None
        entries = data.get("networks") if isinstance(data, dict) else None
        if not isinstance(entries or {}, dict):
            raise InputError(path.name, "'networks' maps names to {rpc_url, chain_id}", str(path))
        declared = data.get("env") if isinstance(data, dict) else None
        if declared is not None and (
            not isinstance(declared, list) or not all(isinstance(n, str) and _NAME.fullmatch(n) for n in declared)
        ):
            raise InputError(f"{path.name}: env", "a list of environment variable names")
        allowed = frozenset(declared or ())
        for name, entry in (entries or {}).items():
            where = f"{path.name}: networks.{name}"
            if not isinstance(entry, dict) or not entry.get("rpc_url"):
                raise InputError(f"{where}.rpc_url", "is required")
            chain_id = entry.get("chain_id")
            if chain_id is not None and (isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 1):
                raise InputError(f"{where}.chain_id", "a chain id is a positive whole number", chain_id)
            url = expand_env(str(entry["rpc_url"]), f"{where}.rpc_url", allowed)
            if not url.startswith(("http://", "https://")):
                raise InputError(f"{where}.rpc_url", "must be an http:// or https:// URL", redact_url(url))
            found[str(name)] = Network(str(name), url, chain_id, _fee_cap(entry.get("max_fee_gwei"), where))
    return found


def resolve(network: str | None = None, rpc_url: str | None = None) -> Network:
    """``--rpc-url`` wins over ``--network``; default: ``$TRADECHAIN_RPC_URL``, else the local chain (at
    :func:`local_url`)."""
    if rpc_url:
        if not rpc_url.startswith(("http://", "https://")):
            raise InputError("rpc-url", "must be an http:// or https:// URL", redact_url(rpc_url))
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
    then raises :class:`NodeUnreachable` naming the URL (redacted). ``timeout`` bounds every HTTP request (a
    transaction's receipt is waited for by polling, never inside one request: see :mod:`tradechain.chain.tx`)."""
    w3 = Web3(HTTPProvider(network.rpc_url, request_kwargs={"timeout": timeout}))
    # eth_chainId asked once per connection, not twice per contract call; nothing else is cached (a cached block or
    # call would be a stale verdict)
    w3.provider.cacheable_requests = {RPCEndpoint("eth_chainId")}
    w3.provider.cache_allowed_requests = True
    chain_id = rpc_with_retry(w3, "eth_chainId", [], attempts=attempts, backoff=backoff)
    actual = int(chain_id, 16)
    if network.chain_id is not None and actual != network.chain_id:
        raise WrongChain(
            f"network: {network.name!r} expects chain id {network.chain_id}, "
            f"but {redact_url(network.rpc_url)} serves chain {actual}"
        )
    w3.tradechain_chain_id = actual  # type: ignore[attr-defined]
    if network.max_fee_gwei is not None:
        w3.tradechain_max_fee_wei = int(network.max_fee_gwei * 10**9)  # type: ignore[attr-defined]
    w3.tradechain_http_timeout = timeout  # type: ignore[attr-defined]
    return w3


def rpc_with_retry(w3: Web3, method: str, params: list[Any], *, attempts: int = 4, backoff: float = 0.25) -> Any:
    """One raw JSON-RPC call, retried on connection failures (pauses from ``backoff`` doubling, at most 1 s); a
    JSON-RPC error is raised at once. (web3's own retry does not catch requests' connection errors.)"""
    raw_url = str(getattr(w3.provider, "endpoint_uri", "?"))
    url = redact_url(raw_url)
    delay = backoff
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            response = w3.provider.make_request(method, params)  # type: ignore[arg-type]
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            last = exc
            if attempt + 1 < attempts:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            continue
        if "error" in response:
            raise NodeUnreachable(scrub(f"{url} answered {method} with an error: {response['error']}", raw_url))
        return response["result"]
    reason = type(last).__name__ if last else "no answer"
    raise NodeUnreachable(f"cannot reach the JSON-RPC node at {url} after {attempts} attempts ({reason})")

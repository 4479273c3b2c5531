"""The embedded local chain: Anvil in the background, its state persisted to disk.

``start`` loads ``<state dir>/state.json`` if present and Anvil writes it back every second
(``--state-interval 1``) and on a clean stop, so a stop/start (or a crash) keeps every record.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from tradechain import accounts, project, toolchain
from tradechain.errors import InputError, NodeUnreachable, TradechainError

DEFAULT_PORT = 8545
STATE_INTERVAL_SECONDS = 1
GAS_LIMIT = 60_000_000


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    url: str
    pid: int | None
    state_file: str
    chain_id: int | None = None
    block: int | None = None
    hardfork: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def node_dir(state_dir: Path | None = None) -> Path:
    return state_dir or project.state_home() / "node"


def _pid_file(folder: Path) -> Path:
    return folder / "anvil.pid"


def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(_pid_file(folder).read_text())
        return data
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited child not yet reaped) is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def _rpc(url: str, method: str, timeout: float = 1.0) -> Any:
    r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": []}, timeout=timeout)
    return r.json()["result"]


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def status(state_dir: Path | None = None) -> NodeStatus:
    folder = node_dir(state_dir)
    meta = _read_meta(folder)
    state_file = str(folder / "state.json")
    if not meta:
        return NodeStatus(False, f"http://127.0.0.1:{DEFAULT_PORT}", None, state_file)
    url, pid = meta["url"], int(meta["pid"])
    if not _alive(pid):
        return NodeStatus(False, url, None, state_file, hardfork=meta.get("hardfork", ""))
    chain_id: int | None = None
    block: int | None = None
    with contextlib.suppress(requests.RequestException, KeyError, ValueError):
        chain_id, block = int(_rpc(url, "eth_chainId"), 16), int(_rpc(url, "eth_blockNumber"), 16)
    return NodeStatus(True, url, pid, state_file, chain_id, block, meta.get("hardfork", ""))


def start(
    port: int = DEFAULT_PORT, state_dir: Path | None = None, *, timeout: float = 30.0, persist: bool = True
) -> NodeStatus:
    """Starts Anvil in the background (or returns the status of the one already running). ``persist=False``
    keeps the chain in memory only (benchmarks)."""
    if not 0 < port < 65536:
        raise InputError("port", "must be between 1 and 65535", port)
    folder = node_dir(state_dir)
    current = status(folder)
    if current.running:
        return current
    if _port_in_use(port):
        raise TradechainError(f"port {port} is in use by another process: stop it or pass --port")
    folder.mkdir(parents=True, exist_ok=True)
    state = folder / "state.json"
    cmd = [
        toolchain.anvil_command(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(project.DEV_CHAIN_ID),
        "--hardfork",
        project.evm_version(),
        "--accounts",
        str(accounts.DEV_ACCOUNT_COUNT),
        "--mnemonic",
        accounts.DEV_MNEMONIC,
        "--gas-limit",
        str(GAS_LIMIT),
    ]
    if persist:
        cmd += ["--state", str(state), "--state-interval", str(STATE_INTERVAL_SECONDS)]
    log = open(folder / "anvil.log", "ab")  # noqa: SIM115  (handed to the child)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}"
    meta = {"pid": proc.pid, "url": url, "port": port, "hardfork": project.evm_version(), "cmd": cmd}
    _pid_file(folder).write_text(json.dumps(meta))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (folder / "anvil.log").read_text(errors="replace")[-400:].strip().splitlines()
            raise TradechainError(
                f"anvil exited at start (code {proc.returncode}): {tail[-1] if tail else 'no output'}"
            )
        try:
            _rpc(url, "eth_chainId", timeout=0.5)
            return status(folder)
        except (requests.RequestException, KeyError, ValueError):
            time.sleep(0.1)
    raise NodeUnreachable(f"anvil did not answer at {url} within {timeout:.0f} s (see {folder / 'anvil.log'})")


def stop(state_dir: Path | None = None, *, timeout: float = 30.0) -> bool:
    """Stops the node cleanly (SIGTERM: Anvil writes its state, then exits). False if it was not running."""
    folder = node_dir(state_dir)
    meta = _read_meta(folder)
    if not meta or not _alive(int(meta["pid"])):
        _pid_file(folder).unlink(missing_ok=True)
        return False
    pid = int(meta["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        _reap(pid)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    _wait_gone(pid)
    _pid_file(folder).unlink(missing_ok=True)
    return True


def kill(state_dir: Path | None = None) -> bool:
    """Kills the node with SIGKILL, as a crash would (for fault tests). State written up to the last interval
    survives."""
    folder = node_dir(state_dir)
    meta = _read_meta(folder)
    if not meta or not _alive(int(meta["pid"])):
        return False
    pid = int(meta["pid"])
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Waits until the process has fully exited, every thread included (only then is its port free)."""
    try:
        os.waitpid(pid, 0)  # our own child: blocks until it is reaped
        return
    except ChildProcessError:
        pass
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)

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

from tradechain.chain import accounts, network, project, toolchain
from tradechain.errors import InputError, NodeUnreachable, TradechainError

DEFAULT_PORT = network.DEFAULT_LOCAL_PORT
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


def is_local_chain_folder(folder: Path) -> bool:
    """Is ``folder`` the local chain's node folder (``<state home>/node``), whose port every command follows?"""
    return folder.resolve() == node_dir().resolve()


def port_of(state_dir: Path | None = None) -> int:
    """The port the node of a folder starts on when none is given: for the local chain's folder
    :func:`tradechain.chain.network.local_port` (``$TRADECHAIN_PORT``, else the port it last ran on, else 8545); for
    another folder the port its node last ran on, else 8545."""
    folder = node_dir(state_dir)
    if is_local_chain_folder(folder):
        return network.local_port()
    return network.remembered_port(folder) or DEFAULT_PORT


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
    fields = _stat_fields(pid)
    return fields is None or fields[0] != "Z"  # a zombie (exited child not yet reaped) is not alive


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()
    except OSError:
        return None


def _ps(pid: int, column: str) -> str | None:
    """One ``ps`` column of a process, where there is no /proc (macOS)."""
    try:
        out = subprocess.run(
            ["ps", "-ww", "-p", str(pid), "-o", f"{column}="], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def _start_token(pid: int) -> str | None:
    """When the process started (clock ticks since boot, or ps's lstart): a PID reused later has another."""
    fields = _stat_fields(pid)
    if fields is not None:
        return fields[19] if len(fields) > 19 else None
    if os.path.isdir("/proc"):
        return None
    return _ps(pid, "lstart")


def _command_line(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
        return [os.fsdecode(a) for a in raw.split(b"\0")[:-1]] if raw else None
    except OSError:
        if os.path.isdir("/proc"):
            return None
    text = _ps(pid, "command")
    return text.split(" ") if text else None


def _is_our_anvil(meta: dict[str, Any], folder: Path) -> bool:
    """Is the process the pid file names the Anvil ``start`` launched for this state folder? A stale pid file (a
    crash, a reboot) may name a PID the system has since given to an unrelated process: that one is never ours."""
    try:
        pid, port, cmd = int(meta["pid"]), int(meta["port"]), [str(a) for a in meta["cmd"]]
    except (KeyError, TypeError, ValueError):
        return False
    if pid <= 1 or not cmd or "anvil" not in Path(cmd[0]).name or not _alive(pid):
        return False
    port_at = [i + 1 for i, a in enumerate(cmd[:-1]) if a == "--port"]
    if [cmd[i] for i in port_at] != [str(port)]:
        return False
    state = [cmd[i + 1] for i, a in enumerate(cmd[:-1]) if a == "--state"]
    if state and Path(state[0]).parent.resolve() != folder.resolve():
        return False
    running = _command_line(pid)
    if running is None or (running != cmd and " ".join(running) != " ".join(cmd)):
        return False
    started = meta.get("started")
    return started is None or _start_token(pid) == str(started)


def _rpc(url: str, method: str, timeout: float = 1.0) -> Any:
    r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": []}, timeout=timeout)
    return r.json()["result"]


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _running_pid(folder: Path) -> int | None:
    """The PID of this folder's Anvil if it runs (checked to be it: see :func:`_is_our_anvil`), else None."""
    meta = _read_meta(folder)
    if not isinstance(meta, dict) or not _is_our_anvil(meta, folder):
        return None
    return int(meta["pid"])


def status(state_dir: Path | None = None) -> NodeStatus:
    folder = node_dir(state_dir)
    meta = _read_meta(folder)
    state_file = str(folder / "state.json")
    if not isinstance(meta, dict):
        return NodeStatus(False, _url_of(folder), None, state_file)
    url = str(meta.get("url") or _url_of(folder))
    pid = _running_pid(folder)
    if pid is None:
        return NodeStatus(False, url, None, state_file, hardfork=str(meta.get("hardfork", "")))
    chain_id: int | None = None
    block: int | None = None
    with contextlib.suppress(requests.RequestException, KeyError, ValueError):
        chain_id, block = int(_rpc(url, "eth_chainId"), 16), int(_rpc(url, "eth_blockNumber"), 16)
    return NodeStatus(True, url, pid, state_file, chain_id, block, str(meta.get("hardfork", "")))


def _url_of(folder: Path) -> str:
    """Where the node of ``folder`` answers when it runs (see :func:`port_of`); a bad setting shows as the default."""
    try:
        return f"http://127.0.0.1:{port_of(folder)}"
    except InputError:
        return f"http://127.0.0.1:{DEFAULT_PORT}"


def _remembered(folder: Path) -> int | None:
    try:
        return network.remembered_port(folder)
    except InputError:
        return None


def _port_from_url(url: str) -> int | None:
    tail = url.rsplit(":", 1)[-1].rstrip("/")
    return int(tail) if tail.isdigit() else None


def start(
    port: int | None = None, state_dir: Path | None = None, *, timeout: float = 30.0, persist: bool = True
) -> NodeStatus:
    """Starts Anvil in the background on ``port`` (default :func:`port_of`), or returns the status of the one
    already running there. The port is remembered in the node folder: the local chain's folder
    (``<state home>/node``) is where every command, script and ``make`` target finds the local chain
    (:func:`tradechain.chain.network.local_url`). ``persist=False`` keeps the chain in memory only (benchmarks).

    Refused (InputError) for the local chain's folder: a ``port`` other than ``$TRADECHAIN_PORT`` (the other
    commands would follow the variable), and a port other than the one the running node uses."""
    folder = node_dir(state_dir)
    local = is_local_chain_folder(folder)
    if port is not None:
        port = network.parse_port(port, "port")
        env = network.env_port() if local else None
        if env is not None and env != port:
            raise InputError(
                "port",
                f"--port {port} differs from ${network.PORT_ENV}={env}, which every other command follows: "
                f"unset ${network.PORT_ENV} or give the same port",
                port,
            )
    wanted = port if port is not None else (network.env_port() if local else None)
    current = status(folder)
    if current.running:
        running = _port_from_url(current.url)
        if wanted is not None and running is not None and running != wanted:
            raise InputError(
                "port",
                f"the node of {folder} already runs at {current.url}: stop it first (`tradechain node stop`) to "
                f"start it on port {wanted}",
                wanted,
            )
        if running is not None and _remembered(folder) != running:
            network.remember_port(running, folder)  # a node of an earlier version, or a lost record
        return current
    port = wanted if wanted is not None else port_of(folder)
    if _port_in_use(port):
        raise TradechainError(f"port {port} is in use by another process: stop it or pass --port")
    folder.mkdir(parents=True, exist_ok=True)
    state = folder.resolve() / "state.json"  # absolute: the pid check compares it from any working directory
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
    meta = {
        "pid": proc.pid,
        "started": _start_token(proc.pid),  # with cmd, tells this Anvil from a process that reuses its PID later
        "url": url,
        "port": port,
        "hardfork": project.evm_version(),
        "cmd": cmd,
    }
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
            network.remember_port(port, folder)
            return status(folder)
        except (requests.RequestException, KeyError, ValueError):
            time.sleep(0.1)
    raise NodeUnreachable(f"anvil did not answer at {url} within {timeout:.0f} s (see {folder / 'anvil.log'})")


@dataclass(frozen=True)
class StopResult:
    stopped: bool  # this folder's Anvil was running and is stopped
    stale_pid: int | None = None  # a leftover pid file named this PID, not our Anvil: file removed, nothing signalled

    def to_json(self) -> dict[str, Any]:
        return {"stopped": self.stopped, "stalePid": self.stale_pid}


def stop_node(state_dir: Path | None = None, *, timeout: float = 30.0) -> StopResult:
    """Stops the node cleanly (SIGTERM: Anvil writes its state, then exits). Only a process checked to be this
    folder's Anvil is signalled; a stale pid file naming any other process is removed and reported."""
    folder = node_dir(state_dir)
    meta = _read_meta(folder)
    pid = _running_pid(folder)
    if pid is None:
        stale = _stale_pid(meta)
        _pid_file(folder).unlink(missing_ok=True)
        return StopResult(False, stale)
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
    return StopResult(True)


def _stale_pid(meta: Any) -> int | None:
    """The PID a leftover pid file names (not our Anvil: exited, or the PID now belongs to another process)."""
    try:
        return int(meta["pid"])
    except (KeyError, TypeError, ValueError):
        return None


def stop(state_dir: Path | None = None, *, timeout: float = 30.0) -> bool:
    """Stops the node (see :func:`stop_node`). False if it was not running."""
    return stop_node(state_dir, timeout=timeout).stopped


def kill(state_dir: Path | None = None) -> bool:
    """Kills the node with SIGKILL, as a crash would (for fault tests). State written up to the last interval
    survives. Only this folder's Anvil is ever killed."""
    folder = node_dir(state_dir)
    pid = _running_pid(folder)
    if pid is None:
        return False
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

"""The persistent local chain: a stop/start, or a crash, keeps every record; issue 14: its port is one setting
($TRADECHAIN_PORT, else the port it last ran on, else 8545) that the CLI, the scripts, make and Brownie follow."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port, lei

from tradechain.chain import accounts, network, node, toolchain
from tradechain.chain.network import Network, connect
from tradechain.client import Client
from tradechain.errors import InputError
from tradechain.suite import deploy_suite


@pytest.fixture
def local_node(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    state_dir, port = tmp_path / "node", free_port()
    yield state_dir, port
    node.stop(state_dir)


def _client(url: str, deployment: Any = None) -> Client:
    return Client(connect(Network("t", url)), accounts.dev_account("admin"), deployment=deployment)


def test_stop_and_start_keeps_every_record(local_node: tuple[Path, int]) -> None:
    state_dir, port = local_node
    st = node.start(port, state_dir)
    assert st.running and st.chain_id == 31337 and st.block == 0 and st.hardfork == "prague"
    client = _client(st.url)
    dep = deploy_suite(client, save=False)
    org = client.participants.admit(
        lei=lei(1), country="DE", roles="brand", manager=accounts.dev_account("brand").address
    ).organisation
    client.participants.suspend(org, "audit")
    assert node.stop(state_dir) is True
    assert node.status(state_dir).running is False
    assert (state_dir / "state.json").stat().st_size > 0

    st = node.start(port, state_dir)
    again = _client(st.url, dep)
    record = again.participants.get(org)
    assert record.lei == lei(1) and record.suspended is True and record.roles == ["brand"]
    # one block per deployment, then admit and suspend: the chain's history is kept, not only its state
    assert st.block == len(dep.contracts) + 2
    # the event log survives too (accounts are rebuilt from events)
    assert again.participants.accounts(org) == [{"account": accounts.dev_account("brand").address, "manager": True}]
    # and the chain goes on from there
    assert (
        again.participants.admit(
            lei=lei(2), country="FR", roles="carrier", manager=accounts.dev_account("carrier").address
        ).organisation
        == 2
    )


def test_state_survives_a_kill(local_node: tuple[Path, int]) -> None:
    state_dir, port = local_node
    st = node.start(port, state_dir)
    client = _client(st.url)
    dep = deploy_suite(client, save=False)
    client.participants.admit(lei=lei(3), country="DE", roles="brand", manager=accounts.dev_account("brand").address)
    time.sleep(node.STATE_INTERVAL_SECONDS + 1.0)  # let the periodic dump run
    assert node.kill(state_dir) is True  # SIGKILL: no chance to write on exit
    st = node.start(port, state_dir)
    assert _client(st.url, dep).participants.get(1).lei == lei(3)


def test_start_twice_reports_the_running_node(local_node: tuple[Path, int]) -> None:
    state_dir, port = local_node
    first = node.start(port, state_dir)
    second = node.start(port, state_dir)
    assert second.pid == first.pid and second.running


def test_stop_when_not_running(tmp_path: Path) -> None:
    assert node.stop(tmp_path / "none") is False
    assert node.status(tmp_path / "none").running is False


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        from tradechain.errors import TradechainError

        with pytest.raises(TradechainError) as info:
            node.start(port, tmp_path / "n")
        assert info.value.user_message == f"port {port} is in use by another process: stop it or pass --port"


# ---------------------------------------------------------------------------------------------- issue 12, finding 16


def _answers(url: str) -> bool:
    return int(node._rpc(url, "eth_chainId"), 16) == 31337


def test_a_pid_file_copied_from_another_node_never_stops_it(local_node: tuple[Path, int], tmp_path: Path) -> None:
    state_dir, port = local_node
    st = node.start(port, state_dir)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(state_dir / "anvil.pid", other / "anvil.pid")  # names a live anvil, of another state folder
    assert node.status(other).running is False
    assert node.kill(other) is False
    assert node.stop_node(other) == node.StopResult(False, st.pid)
    assert not (other / "anvil.pid").exists()
    assert node.status(state_dir).pid == st.pid and _answers(st.url)


def test_a_reused_pid_is_told_apart_by_its_start_time(local_node: tuple[Path, int]) -> None:
    state_dir, port = local_node
    st = node.start(port, state_dir)
    pid_file = state_dir / "anvil.pid"
    genuine = pid_file.read_text()
    meta = json.loads(genuine)
    assert meta["started"] and meta["cmd"][0] == toolchain.anvil_command()
    pid_file.write_text(json.dumps({**meta, "started": str(int(meta["started"]) + 1)}))  # same PID, later start
    try:
        assert node.status(state_dir).running is False and node.kill(state_dir) is False
        assert node.stop_node(state_dir) == node.StopResult(False, st.pid) and not pid_file.exists()
        assert _answers(st.url)  # not signalled
    finally:
        pid_file.write_text(genuine)  # so that this node is stopped, here or by the fixture
    assert node.stop(state_dir) is True and not node._alive(st.pid)


def test_start_over_a_stale_pid_file_starts_a_new_node(
    local_node: tuple[Path, int], bystander: subprocess.Popen[bytes]
) -> None:
    state_dir, port = local_node
    state_dir.mkdir(parents=True)
    cmd = [toolchain.anvil_command(), "--port", str(port), "--state", str(state_dir / "state.json")]
    stale = {"pid": bystander.pid, "url": f"http://127.0.0.1:{port}", "port": port, "cmd": cmd}
    (state_dir / "anvil.pid").write_text(json.dumps(stale))
    st = node.start(port, state_dir)
    assert st.running and st.pid != bystander.pid and _answers(st.url)
    assert node.stop(state_dir) is True
    assert bystander.poll() is None


# ---------------------------------------------------------------------------------------------- issue 14: one URL


def test_a_node_folder_remembers_its_port_across_a_stop(local_node: tuple[Path, int]) -> None:
    state_dir, port = local_node
    assert node.start(port, state_dir).url == f"http://127.0.0.1:{port}"
    assert json.loads((state_dir / "endpoint.json").read_text()) == {"port": port, "url": f"http://127.0.0.1:{port}"}
    assert node.stop(state_dir) is True
    assert node.status(state_dir).url == f"http://127.0.0.1:{port}"
    assert node.start(None, state_dir).url == f"http://127.0.0.1:{port}"  # no port given: the remembered one


def test_the_local_chains_port_is_the_variable_else_the_remembered_port_else_8545(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path))
    monkeypatch.delenv("TRADECHAIN_PORT", raising=False)
    assert network.local_url() == "http://127.0.0.1:8545"
    network.remember_port(8601)
    assert network.local_url() == "http://127.0.0.1:8601" == network.resolve(network="local").rpc_url
    monkeypatch.setenv("TRADECHAIN_PORT", "8602")
    assert network.local_url() == "http://127.0.0.1:8602" == network.resolve().rpc_url
    (tmp_path / "node" / "endpoint.json").write_text("{")  # a damaged record is an error, never a silent 8545
    monkeypatch.delenv("TRADECHAIN_PORT")
    with pytest.raises(InputError, match=re.escape("endpoint.json: not a record of the local node's port")):
        network.local_url()


def _brownie_home(tmp_path: Path) -> dict[str, str]:
    """An environment whose home holds a copy of Brownie's network list with tradechain-local at 8545 (the real
    list of this machine is never touched)."""
    home = tmp_path / "userhome"
    (home / ".brownie").mkdir(parents=True)
    shutil.copy(toolchain.brownie_network_config(), home / ".brownie" / "network-config.yaml")
    env = {**os.environ, "HOME": str(home), "TRADECHAIN_HOME": str(tmp_path / "state")}
    env.pop("TRADECHAIN_PORT", None)
    if toolchain.brownie_network_host(home / ".brownie" / "network-config.yaml") is None:
        subprocess.run(
            [sys.executable, "-m", "tradechain.chain.toolchain", "brownie-network"], env=env, check=True, timeout=120
        )
    return env


def test_make_demo_on_another_port_moves_the_brownie_network_there(tmp_path: Path) -> None:
    """`make demo PORT=8546` (and `make node-start PORT=8546`) point Brownie's tradechain-local at that port."""
    env = _brownie_home(tmp_path)
    config = Path(env["HOME"]) / ".brownie" / "network-config.yaml"
    command = [sys.executable, "-m", "tradechain.chain.toolchain", "brownie-network"]
    moved = subprocess.run(command, env={**env, "TRADECHAIN_PORT": "8546"}, capture_output=True, text=True, timeout=120)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == "brownie network tradechain-local -> http://127.0.0.1:8546 (moved)"
    assert toolchain.brownie_network_host(config) == "http://127.0.0.1:8546"
    same = subprocess.run(command, env={**env, "TRADECHAIN_PORT": "8546"}, capture_output=True, text=True, timeout=60)
    assert same.stdout.strip() == "brownie network tradechain-local -> http://127.0.0.1:8546 (unchanged)"
    bad = subprocess.run(command, env={**env, "TRADECHAIN_PORT": "x"}, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: TRADECHAIN_PORT: must be a whole number")


def test_make_demo_and_node_start_pass_the_port_to_every_step() -> None:
    """`make demo PORT=8546`: the node, the Brownie network and the demo script all get TRADECHAIN_PORT=8546; a
    PORT merely exported by another tool changes nothing."""
    root = Path(__file__).resolve().parents[2]

    def planned(target: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
        out = subprocess.run(
            ["make", "-n", target, *args], cwd=root, capture_output=True, text=True, env=env, timeout=60, check=True
        )
        return [
            line
            for line in out.stdout.splitlines()
            if "node start" in line or "brownie-network" in line or "scripts/demo.py" in line
        ]

    demo = planned("demo", "PORT=8546")
    assert len(demo) == 3 and all(line.startswith("TRADECHAIN_PORT=8546 ") for line in demo)
    assert [line.startswith("TRADECHAIN_PORT=8546 ") for line in planned("node-start", "PORT=8546")] == [True, True]
    exported = planned("node-start", env={**os.environ, "PORT": "3000"})
    assert exported and not any("TRADECHAIN_PORT" in line for line in exported)

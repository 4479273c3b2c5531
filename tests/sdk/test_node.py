"""The persistent local chain: a stop/start, or a crash, keeps every record."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port, lei

from tradechain.chain import accounts, node, toolchain
from tradechain.chain.network import Network, connect
from tradechain.client import Client
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

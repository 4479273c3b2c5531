"""`tradechain node`, issue 12 finding 16: `node stop` signals only its own Anvil (a stale pid file naming another
process is removed, that process left alone). The node's PID checks in the SDK are in tests/sdk/test_node.py.
Issue 14: the port `node start --port N` used (or $TRADECHAIN_PORT) is the one every later command talks to."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port, ok, run

from tradechain.chain import network, node, toolchain


def _stale_pid_file(folder: Path, pid: int, cmd: list[str] | None = None) -> Path:
    """The pid file a crashed node leaves, its PID since given to another process."""
    folder.mkdir(parents=True, exist_ok=True)
    anvil = cmd or [toolchain.anvil_command(), "--port", "8545", "--state", str(folder / "state.json")]
    meta = {"pid": pid, "url": "http://127.0.0.1:8545", "port": 8545, "hardfork": "prague", "cmd": anvil}
    path = folder / "anvil.pid"
    path.write_text(json.dumps(meta))
    return path


@pytest.mark.parametrize("named", ["anvil", "the-process-itself"])
def test_node_stop_leaves_alone_a_process_a_stale_pid_file_names(
    tmp_path: Path, bystander: subprocess.Popen[bytes], named: str
) -> None:
    folder = tmp_path / "node"
    pid_file = _stale_pid_file(folder, bystander.pid, None if named == "anvil" else ["sleep", "60"])
    down = run("node", "status", "--state-dir", str(folder), "--json")
    status = json.loads(down.output)
    assert down.exit_code == 1 and (status["running"], status["pid"]) == (False, None)  # 1: the node is down
    stopped = ok("node", "stop", "--state-dir", str(folder))
    assert stopped == {"stopped": False, "stalePid": bystander.pid}
    assert bystander.poll() is None  # never signalled (the old stop waited until it was gone)
    assert not pid_file.exists()
    _stale_pid_file(folder, bystander.pid)
    text = run("node", "stop", "--state-dir", str(folder))
    assert text.exit_code == 0 and text.output == (
        f"not running; removed a stale pid file naming pid {bystander.pid}, which is not this node's anvil "
        "(nothing was signalled)\n"
    )
    assert bystander.poll() is None and not pid_file.exists()
    assert ok("node", "stop", "--state-dir", str(folder)) == {"stopped": False, "stalePid": None}


# ---------------------------------------------------------------------------------------------- issue 14: one URL


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A state home of its own (its node folder is the local chain's), no URL or port set in the environment; the
    node it starts is stopped afterwards."""
    home = tmp_path / "home"
    monkeypatch.setenv("TRADECHAIN_HOME", str(home))
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path / "deployments"))
    monkeypatch.setenv("TRADECHAIN_KEYSTORE", str(tmp_path / "keystores"))
    for name in ("TRADECHAIN_RPC_URL", "TRADECHAIN_PORT", "TRADECHAIN_ACCOUNT", "TRADECHAIN_NETWORKS"):
        monkeypatch.delenv(name, raising=False)
    yield home
    node.stop(home / "node")


def test_node_start_on_a_port_is_where_every_later_command_goes(home: Path) -> None:
    port, other = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    started = run("node", "start", "--port", str(port))
    assert started.exit_code == 0, started.stderr
    assert started.output.startswith(f"local chain running at {url} (pid ")
    assert json.loads((home / "node" / "endpoint.json").read_text())["port"] == port
    deployed = ok("deploy")  # no --rpc-url, no --network: the local chain, where it runs
    assert deployed["reused"] is False and deployed["chainId"] == 31337
    assert ok("participant", "list") == []
    assert ok("node", "status")["url"] == url
    assert network.resolve().rpc_url == url

    # stopped and started again without --port: the same port, the same chain
    assert ok("node", "stop")["stopped"] is True
    down = run("node", "status", "--json")
    assert down.exit_code == 1 and json.loads(down.stdout)["url"] == url  # not running: exit 1, still this port
    again = ok("node", "start")
    assert again["url"] == url and again["localChain"] is True
    assert ok("deploy")["reused"] is True

    # another port while it runs, or one $TRADECHAIN_PORT contradicts: refused, saying why
    moved = run("node", "start", "--port", str(other))
    assert moved.exit_code == 2 and moved.stderr == (
        f"error: port: the node of {home / 'node'} already runs at {url}: stop it first (`tradechain node stop`) "
        f"to start it on port {other} (got {other})\n"
    )
    contradicted = run("node", "start", "--port", str(port), env={"TRADECHAIN_PORT": str(other)})
    assert contradicted.exit_code == 2
    assert f"--port {port} differs from $TRADECHAIN_PORT={other}, which every other command follows" in (
        contradicted.stderr
    )
    # $TRADECHAIN_PORT wins for every command it is set for
    elsewhere = run("participant", "list", env={"TRADECHAIN_PORT": str(other)})
    assert elsewhere.exit_code == 1 and f"cannot reach the JSON-RPC node at http://127.0.0.1:{other}" in (
        elsewhere.stderr
    )
    bad = run("participant", "list", env={"TRADECHAIN_PORT": "85x5"})
    assert bad.exit_code == 2 and bad.stderr.startswith(
        "error: TRADECHAIN_PORT: must be a whole number between 1 and 65535"
    )


def test_scripts_on_tradechain_local_follow_the_remembered_port(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`brownie run scripts/X.py --network tradechain-local` after `node start --port N`: the script's SDK client
    talks to port N, whatever host Brownie registered for tradechain-local."""
    import brownie

    from tradechain.scripting import script_client

    port = free_port()
    assert run("node", "start", "--port", str(port)).exit_code == 0
    monkeypatch.setattr(brownie.network, "show_active", lambda: "tradechain-local")
    client = script_client()
    assert client.rpc_url == f"http://127.0.0.1:{port}" and client.w3.eth.block_number == 0


def test_node_start_with_a_state_dir_of_its_own_says_how_to_reach_it(home: Path, tmp_path: Path) -> None:
    port, folder = free_port(), tmp_path / "elsewhere"
    try:
        started = run("node", "start", "--port", str(port), "--state-dir", str(folder))
        assert started.exit_code == 0, started.stderr
        assert started.output.splitlines()[1] == (
            f"not the local chain's folder ({home / 'node'}): other commands reach this node with "
            f"--rpc-url http://127.0.0.1:{port}"
        )
        assert network.local_url() == "http://127.0.0.1:8545"  # the local chain's setting is untouched
        assert ok("node", "stop", "--state-dir", str(folder))["stopped"] is True
        assert ok("node", "start", "--state-dir", str(folder))["url"] == f"http://127.0.0.1:{port}"  # its own port
    finally:
        node.stop(folder)

"""`tradechain node`, issue 12 finding 16: `node stop` signals only its own Anvil (a stale pid file naming another
process is removed, that process left alone). The node's PID checks in the SDK are in tests/sdk/test_node.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import ok, run

from tradechain.chain import toolchain


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

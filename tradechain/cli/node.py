"""``tradechain node``: the embedded local chain (Anvil) with its state persisted to disk."""

from __future__ import annotations

from pathlib import Path

import click

from tradechain.chain import node as local_node
from tradechain.cli.common import Run, command

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the node keeps its state, log and pid file. [default: .tradechain/node]",
)


@click.group("node")
def group() -> None:
    """The local chain (Anvil), its state kept on disk.

    A stop/start, or a crash, keeps every record: the state is written every second and on stop.
    """


@command(group, "start")
@click.option(
    "--port",
    type=int,
    help="Port to listen on, remembered: every later command, script and make target talks to the local chain "
    "there. [default: $TRADECHAIN_PORT, else the port it last ran on, else 8545]",
)
@state_dir_option
def start(run: Run, port: int | None, state_dir: Path | None) -> None:
    """Start the local chain (or report the one already running).

    Its port is remembered in the state directory (.tradechain/node/endpoint.json): every other command, the
    scripts (`brownie run ... --network tradechain-local`), `make demo` and `make node-start` follow it.
    """
    st = local_node.start(port, state_dir)
    folder = local_node.node_dir(state_dir)
    followed = local_node.is_local_chain_folder(folder)
    text = (
        f"local chain running at {st.url} (pid {st.pid}, chain {st.chain_id}, block {st.block}, "
        f"hardfork {st.hardfork}); state in {st.state_file}"
    )
    if not followed:
        text += (
            f"\nnot the local chain's folder ({local_node.node_dir()}): other commands reach this node with "
            f"--rpc-url {st.url}"
        )
    run.emit({**st.to_json(), "localChain": followed}, text)


@command(group, "stop")
@state_dir_option
def stop(run: Run, state_dir: Path | None) -> None:
    """Stop the local chain; its state is written to disk first. Only the Anvil this folder started is signalled:
    a stale pid file naming another process is removed, that process left alone."""
    result = local_node.stop_node(state_dir)
    if result.stopped:
        text = "local chain stopped; state saved"
    elif result.stale_pid is not None:
        text = (
            f"not running; removed a stale pid file naming pid {result.stale_pid}, which is not this node's anvil "
            "(nothing was signalled)"
        )
    else:
        text = "not running"
    run.emit(result.to_json(), text)


@command(group, "status")
@state_dir_option
def status(run: Run, state_dir: Path | None) -> None:
    """Is the local chain running, where, at which block. Exit code 0 running; 1 not running (as for a node that
    cannot be reached): `tradechain node status || tradechain node start`."""
    st = local_node.status(state_dir)
    run.verdict(
        "RUNNING" if st.running else "NOT_RUNNING",
        st.to_json(),
        f"running at {st.url} (pid {st.pid}, chain {st.chain_id}, block {st.block})"
        if st.running
        else f"not running (state file {st.state_file})",
    )

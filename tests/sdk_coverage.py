"""Under ``brownie test --coverage``: the SDK's traffic counts towards coverage too.

Brownie evaluates coverage from the traces of the transactions it sends itself. Most tests of DocumentRegistry,
TradeEscrow and InvoiceRegistry (and many of the others) go through the SDK, which signs and sends its own
transactions and calls, so Brownie would never see them. :func:`install` (called from ``conftest.py`` only under
``--coverage``) hooks the SDK at three points:

- every transaction the SDK mined is handed to Brownie as a ``TransactionReceipt``, which traces it and records
  its coverage; a contract the SDK deploys is first registered with Brownie under its project name;
  (but not one of more than ``MAX_TRACED_GAS``: see there);
- a view call (``Client.call``) and a gas estimate that reverts (the SDK never sends what would revert) are
  replayed as a transaction from the same sender inside an ``evm_snapshot``, traced the same way, then reverted,
  so the chain, nonces included, is as before. This is what Brownie itself does for its own calls under coverage.

Nothing here changes what a test sees: the SDK's results and errors are the ones it computed itself.
"""

from __future__ import annotations

import time
from typing import Any

from brownie import web3
from brownie.network import state
from brownie.network.transaction import TransactionReceipt
from brownie.project.main import get_loaded_projects

REPLAY_GAS = 30_000_000
# A step trace grows with the gas used: past this, tracing one transaction takes Anvil minutes (Brownie's request
# times out). Such transactions are the batch and throughput tests, whose paths smaller transactions also take.
# (The demo's views over a thousand certificates, replayed and traced, took Anvil past 20 GB.)
MAX_TRACED_GAS = 600_000


def _rpc(method: str, params: list[Any]) -> Any:
    provider: Any = web3.provider
    response = provider.make_request(method, params)
    if "error" in response:
        raise RuntimeError(f"{method}: {response['error']}")
    return response["result"]


def _register_deployment(data: bytes, address: Any) -> None:
    """Makes Brownie know the contract the SDK deployed at ``address`` (found by its creation code)."""
    code = data.hex()
    for container in get_loaded_projects()[0]:
        bytecode = str(container._build.get("bytecode", ""))
        if bytecode and code.startswith(bytecode):
            existing = state._find_contract(address)
            if existing is not None and existing._name != container._name:
                state._remove_contract(existing)  # an earlier module's contract at the same (reused) address
            container.at(address)
            return


def _ours(w3: Any) -> bool:
    """Whether the SDK talks to Brownie's chain (some tests start nodes of their own)."""
    return bool(getattr(w3.provider, "endpoint_uri", None) == getattr(web3.provider, "endpoint_uri", ""))


def _trace(txid: str) -> None:
    TransactionReceipt(txid, silent=True)  # under --coverage, Brownie traces it and records its coverage


def _replay(sender: str, to: str | None, data: bytes, value: int = 0) -> None:
    """Runs a call as a transaction, traced, then undoes it."""
    if to is None:
        return
    snapshot = _rpc("evm_snapshot", [])
    _rpc("anvil_impersonateAccount", [sender])
    try:
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value), "gas": hex(REPLAY_GAS)}
        provider: Any = web3.provider
        txid: str | None = provider.make_request("eth_sendTransaction", [{**tx, "gasPrice": "0x0"}]).get("result")
        receipt = None
        for _ in range(20 if txid else 0):  # mined at once, unless the test holds mining back
            receipt = _rpc("eth_getTransactionReceipt", [txid])
            if receipt is not None:
                break
            time.sleep(0.05)
        if txid and receipt is None:
            _rpc("anvil_dropTransaction", [txid])  # not mined: leave the test's pool as it was
        elif txid and receipt is not None and int(receipt["gasUsed"], 16) <= MAX_TRACED_GAS:
            _trace(txid)
    finally:
        _rpc("anvil_stopImpersonatingAccount", [sender])
        _rpc("evm_revert", [snapshot])


def install() -> None:
    from tradechain import client as tc_client
    from tradechain.chain import tx as tc_tx
    from tradechain.errors import ContractRevert

    finish = tc_tx.Transactor._finish
    estimate = tc_tx.Transactor.estimate
    view = tc_client.Client.call

    def traced_finish(self: tc_tx.Transactor, call: tc_tx.Call, rpc: dict[str, Any]) -> Any:
        if not _ours(self.w3):
            pass
        elif rpc.get("contractAddress"):
            _register_deployment(call.data, rpc["contractAddress"])
        elif int(str(rpc.get("gasUsed", "0x0")), 16) <= MAX_TRACED_GAS:
            _trace(rpc["transactionHash"])
        return finish(self, call, rpc)

    def traced_estimate(self: tc_tx.Transactor, call: tc_tx.Call) -> int:
        try:
            return estimate(self, call)
        except ContractRevert:
            if _ours(self.w3):
                _replay(self.address, call.to, call.data, call.value)
            raise

    def traced_view(self: tc_client.Client, contract: Any, fn: str, *args: Any) -> Any:
        if _ours(self.w3):
            sender = self.transactor.address if self.transactor is not None else web3.eth.accounts[0]
            _replay(sender, contract.address, bytes.fromhex(contract.encode_abi(fn, args=list(args))[2:]))
        return view(self, contract, fn, *args)

    tc_tx.Transactor._finish = traced_finish  # type: ignore[method-assign]
    tc_tx.Transactor.estimate = traced_estimate  # type: ignore[method-assign]
    tc_client.Client.call = traced_view  # type: ignore[method-assign]

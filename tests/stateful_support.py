"""Shared machinery of the stateful invariant tests: Brownie's state-machine conventions run by Hypothesis from an
Anvil snapshot (see :func:`run_machine`).

A step must cost milliseconds, not Brownie's tens: transactions go straight to Anvil (``eth_sendTransaction``
from its unlocked accounts, then the receipt: no Brownie receipt object, no trace), a refused one is replayed as
an ``eth_call`` to read its custom error, decoded from the compiled ABIs, and an invariant reads all its views in
one batched JSON-RPC request.

Run length: ``TRADECHAIN_STATEFUL_EXAMPLES`` examples of at most ``TRADECHAIN_STATEFUL_STEPS`` steps (Hypothesis
may end an example early); with ``TRADECHAIN_STATEFUL_MIN_STEPS`` the machine is run again until at least that
many rule steps were executed. ``TRADECHAIN_STATEFUL_REPORT`` names a JSON file into which each machine merges
``{name: {"steps", "examples", "seconds"}}`` (the bench collects it)."""

from __future__ import annotations

import collections
import itertools
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType
from typing import Any

import hypothesis
import pytest
import requests
from brownie import project, web3
from eth_abi import decode, encode
from hypothesis import HealthCheck
from hypothesis import stateful as sf
from hypothesis.strategies import SearchStrategy

EXAMPLES = int(os.environ.get("TRADECHAIN_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("TRADECHAIN_STATEFUL_STEPS", "50"))  # make test: well under a minute a machine
MIN_STEPS = int(os.environ.get("TRADECHAIN_STATEFUL_MIN_STEPS", "0"))
REPORT = os.environ.get("TRADECHAIN_STATEFUL_REPORT")
GAS = 8_000_000
TALLY: collections.Counter[str] = collections.Counter()  # "fn: ok" or "fn: ErrorName", over one run


def abi_type(param: dict[str, Any]) -> str:
    """The eth_abi type string of an ABI parameter (tuples spelled out)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(abi_type(c) for c in param["components"]) + ")" + kind[len("tuple") :]
    return kind


def _selector(name: str, inputs: Sequence[dict[str, Any]]) -> bytes:
    from eth_hash.auto import keccak

    return bytes(keccak(f"{name}({','.join(abi_type(p) for p in inputs)})".encode()))[:4]


def _errors() -> dict[bytes, tuple[str, list[str]]]:
    """Every custom error of the project's contracts (and what they inherit): selector -> (name, types)."""
    out: dict[bytes, tuple[str, list[str]]] = {}
    for loaded in project.get_loaded_projects():  # type: ignore[attr-defined]
        for container in loaded:
            abi: list[Any] = container.abi
            for item in abi:
                if item["type"] == "error":
                    types = [abi_type(p) for p in item["inputs"]]
                    out[_selector(item["name"], item["inputs"])] = (item["name"], types)
    return out


def _normalise(value: Any) -> Any:
    """eth_abi's decoded values in the forms the models keep: addresses checksummed, tuples of them alike."""
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return web3.to_checksum_address(value)
    return value


@dataclass(frozen=True)
class Outcome:
    """What became of a transaction: mined, or refused with a custom error and its arguments."""

    ok: bool
    error: str = ""
    args: tuple[Any, ...] = ()
    logs: list[dict[str, Any]] = field(default_factory=list)
    timestamp: int = 0
    fn: str = ""  # the function called

    def refused(self) -> tuple[str, tuple[Any, ...]] | None:
        return None if self.ok else (self.error, self.args)

    def __repr__(self) -> str:  # short, for a failing step's message: the call and what became of it
        return f"{self.fn}: " + ("ok" if self.ok else f"{self.error}{self.args}")


class Fast:
    """Transactions and views on one deployed contract, bypassing Brownie's receipts and traces."""

    def __init__(self, contract: Any) -> None:
        self.address = str(contract.address)
        self._fns: dict[str, tuple[bytes, list[str], list[str]]] = {}
        for item in contract.abi:
            if item["type"] != "function":
                continue
            entry = (
                _selector(item["name"], item["inputs"]),
                [abi_type(p) for p in item["inputs"]],
                [abi_type(p) for p in item["outputs"]],
            )
            signature = f"{item['name']}({','.join(entry[1])})"
            self._fns[signature] = entry
            self._fns.setdefault(item["name"], entry)  # an overloaded name: call it by its signature
        self.errors = _errors()
        self._calldata: dict[tuple[str, Any], str] = {}

    def calldata(self, fn: str, args: Sequence[Any]) -> str:
        """The calldata of ``fn(*args)``, encoded once (eth_abi takes a millisecond for an escrow's terms, and an
        invariant sends the same calls step after step)."""
        key = (fn, _plain(tuple(args)))
        data = self._calldata.get(key)
        if data is None:
            if len(self._calldata) >= 100_000:
                self._calldata.clear()
            selector, types, _ = self._fns[fn]
            data = self._calldata[key] = "0x" + (selector + encode(types, key[1])).hex()
        return data

    def decode_error(self, data: str) -> tuple[str, tuple[Any, ...]]:
        raw = bytes.fromhex(data[2:])
        name, types = self.errors[raw[:4]]
        return name, _normalise(tuple(decode(types, raw[4:])))

    def send(self, sender: Any, fn: str, *args: Any) -> Outcome:
        """Sends ``fn(*args)`` from ``sender`` (an unlocked Anvil account); a refusal is read back by eth_call."""
        tx = {"from": str(sender), "to": self.address, "data": self.calldata(fn, args), "gas": hex(GAS)}
        receipt = _mined(tx, fn)
        stamp = receipt.get("blockTimestamp")
        if stamp is None:
            block = rpc("eth_getBlockByHash", [receipt["blockHash"], False])
            stamp = block["result"]["timestamp"]
        timestamp = int(stamp, 16) if isinstance(stamp, str) else int(stamp)
        if int(receipt["status"], 16) == 1:
            TALLY[f"{fn}: ok"] += 1
            return Outcome(True, logs=receipt["logs"], timestamp=timestamp, fn=fn)
        call: dict[str, Any] = dict(rpc("eth_call", [tx, "latest"]))
        data = (call.get("error") or {}).get("data")
        if not data:
            raise AssertionError(f"{fn}{args} reverted on chain but not as a call: {call}")
        name, decoded = self.decode_error(data)
        TALLY[f"{fn}: {name}"] += 1
        return Outcome(False, name, decoded, timestamp=timestamp, fn=fn)

    def views(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many views in one batched JSON-RPC request; a view that reverts gives its (error name, args)."""
        return batch([Call(self, fn, args) for fn, args in calls])

    def attempts(self, calls: Sequence[tuple[Any, str, Sequence[Any], int]]) -> list[Any]:
        """What transactions ``(sender, fn, args, timestamp)`` would do, each in a block at its ``timestamp``, in
        one batched request (see :class:`Call`)."""
        return batch([Call(self, fn, args, sender, timestamp) for sender, fn, args, timestamp in calls])

    def decode_result(self, fn: str, result: str) -> Any:
        values = _normalise(tuple(decode(self._fns[fn][2], bytes.fromhex(result[2:]))))
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Call:
    """A view, or what a transaction from ``sender`` would do in a block at ``timestamp`` (an eth_call on the
    latest state with the block's time overridden: nothing is mined)."""

    contract: Fast
    fn: str
    args: Sequence[Any]
    sender: Any = None
    timestamp: int | None = None

    def request(self) -> tuple[str, list[Any]]:
        tx = {"to": self.contract.address, "data": self.contract.calldata(self.fn, self.args)}
        if self.sender is not None:
            tx["from"] = str(self.sender)
        block = [{}, {"time": hex(self.timestamp)}] if self.timestamp is not None else []
        return "eth_call", [tx, "latest", *block]


def batch(calls: Sequence[Call]) -> list[Any]:
    """Calls of any contracts in one batched JSON-RPC request: each gives its return value, or :class:`Refused`."""
    if not calls:
        return []
    replies = rpc_batch([c.request() for c in calls])
    return [
        Refused(*c.contract.decode_error(r["error"]["data"]))
        if "error" in r
        else c.contract.decode_result(c.fn, r["result"])
        for c, r in zip(calls, replies, strict=True)
    ]


class _Rpc:
    """JSON-RPC to Brownie's Anvil over a session of our own: web3's provider reads the proxy settings of the
    environment at every request, a millisecond a step."""

    def __init__(self) -> None:
        self.session: requests.Session | None = None
        self.endpoint = ""
        self.ids = itertools.count()

    def post(self, payload: Any) -> Any:
        endpoint = str(web3.provider.endpoint_uri)  # type: ignore[attr-defined]
        if self.session is None or endpoint != self.endpoint:
            self.session, self.endpoint = requests.Session(), endpoint
            self.session.trust_env = False
        reply = self.session.post(self.endpoint, json=payload, timeout=60)
        reply.raise_for_status()
        return reply.json()


_RPC = _Rpc()


def rpc(method: str, params: list[Any]) -> dict[str, Any]:
    """One JSON-RPC request: its reply (``result`` or ``error``)."""
    return dict(_RPC.post({"jsonrpc": "2.0", "id": next(_RPC.ids), "method": method, "params": params}))


def rpc_batch(requests_: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """Many JSON-RPC requests in one: their replies, in order."""
    first = next(_RPC.ids)
    for _ in requests_[1:]:
        next(_RPC.ids)
    payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(requests_)]
    replies = _RPC.post(payload)
    if not isinstance(replies, list):
        raise RuntimeError(f"batch refused: {replies}")
    return sorted(replies, key=lambda r: int(r["id"]))


def _mined(tx: dict[str, Any], fn: str) -> dict[str, Any]:
    """The receipt of ``tx``, sent by an unlocked account. (Not ``eth_sendTransactionSync``, one round trip fewer:
    in a run of tens of thousands of steps, Anvil once missed the mining of the transaction it waited for, and
    answered after its 30 s timeout without the transaction's hash.)"""
    reply = rpc("eth_sendTransaction", [tx])
    if "error" in reply:
        raise RuntimeError(f"{fn}: {reply['error']}")
    deadline = time.perf_counter() + 30
    while True:
        got = rpc("eth_getTransactionReceipt", [reply["result"]])
        if got.get("result"):
            return dict(got["result"])
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{fn}: transaction {reply['result']} not mined in 30 s")
        time.sleep(0.0005)


@dataclass(frozen=True)
class Refused:
    """A view that reverted."""

    error: str
    args: tuple[Any, ...]


def _plain(value: Any) -> Any:
    """Brownie accounts and contracts as addresses; lists and tuples as tuples (hashable), element by element."""
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "address"):
        return str(value.address)
    return value


def sleep(seconds: int) -> None:
    """Lets ``seconds`` pass and mines a block. (Not ``chain.sleep`` and ``chain.mine``: each takes a Brownie
    snapshot and walks the Python stack, a tenth of a second at a machine's depth; Anvil's own revert to the
    example's snapshot puts its clock back anyway.)"""
    rpc("evm_increaseTime", [seconds])
    rpc("evm_mine", [])


def latest_timestamp() -> int:
    reply = rpc("eth_getBlockByNumber", ["latest", False])
    return int(reply["result"]["timestamp"], 16)


# ------------------------------------------------------------------ run length and step counts


@dataclass
class Counter:
    """Rule steps executed: invariant checks less the one Hypothesis makes right after each example's setup."""

    examples: int = 0
    checks: int = 0

    @property
    def steps(self) -> int:
        return self.checks - self.examples


def settings() -> dict[str, Any]:
    return {
        "max_examples": EXAMPLES,
        "stateful_step_count": STEPS,
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
    }


def license_prefix(registry: Any, admin: Any, prefix: str, organisation: int) -> None:
    """Licenses the GS1 company prefix ``prefix`` (its digits, leading zeros included) to ``organisation``."""
    registry.assignCompanyPrefix(int(prefix), len(prefix), organisation, {"from": admin})


def admit_suspended(registry: Any, admin: Any, lei: bytes, country: bytes, roles: int, account: Any) -> int:
    """Admits an organisation with ``account`` as its manager and suspends it at once: an actor whose every
    action must be refused. Returns its id."""
    tx = registry.admit(lei, 0, country, roles, b"\0" * 32, account, {"from": admin})
    organisation = int(tx.events["OrganisationAdmitted"]["organisation"])
    registry.suspend(organisation, b"\0" * 32, {"from": admin})
    return organisation


def skip_under_coverage(request: Any) -> None:
    if request.config.getoption("coverage", default=False):
        pytest.skip("stateful tests are too slow under --coverage; they run in make test and make bench")


def _machine_class(rules: type, *args: Any) -> type:
    """Brownie's conventions for a state machine (``rule_*`` and ``invariant*`` methods whose arguments are drawn
    from the class's strategies of the same name, ``setup`` for each example, ``__init__`` run once on the class)
    on a plain Hypothesis machine whose examples start again from an Anvil snapshot. (Not Brownie's
    ``state_machine``: its revert before each example walks the Python stack twice and collects the garbage, a
    fifth of a second an example.)"""
    strategies = {k: v for k, v in vars(rules).items() if isinstance(v, SearchStrategy)}
    namespace: dict[str, Any] = {}
    for attr, fn in vars(rules).items():
        if not isinstance(fn, FunctionType):
            continue
        names = fn.__code__.co_varnames[1 : fn.__code__.co_argcount]
        if attr == "rule" or attr.startswith("rule_"):
            drawn: dict[str, Any] = {n: strategies[n] for n in names}
            namespace[attr] = sf.rule(**drawn)(fn)  # type: ignore[no-untyped-call]
        elif attr == "invariant" or attr.startswith("invariant_"):
            namespace[attr] = sf.invariant()(fn)

    def start(self: Any) -> None:
        _SNAPSHOT[0] = _restart(_SNAPSHOT[0])
        sf.RuleBasedStateMachine.__init__(self)  # type: ignore[no-untyped-call]
        self.setup()

    machine = type(rules.__name__, (rules, sf.RuleBasedStateMachine), {**namespace, "__init__": start})
    rules.__init__(machine, *args)  # type: ignore[misc]  # the rules' __init__ is a class initialiser (Brownie's way)
    return machine


_SNAPSHOT: list[str] = [""]  # the Anvil snapshot every example starts from


def _restart(snapshot: str) -> str:
    """Back to ``snapshot`` (Anvil uses a snapshot up); returns a new one of the same state."""
    assert rpc("evm_revert", [snapshot]).get("result") is True, f"no snapshot {snapshot}"
    return str(rpc("evm_snapshot", [])["result"])


def run_machine(name: str, rules: type, counter: Counter, *args: Any) -> dict[str, float]:
    """Runs the state machine ``rules`` (with ``rules.__init__(*args)``) from the chain's state now, again while
    fewer than ``MIN_STEPS`` steps ran (each round from the same state); reports and returns its figures."""
    counter.examples = counter.checks = 0
    TALLY.clear()
    start = time.perf_counter()
    machine = _machine_class(rules, *args)
    _SNAPSHOT[0] = str(rpc("evm_snapshot", [])["result"])
    rounds = 0
    while rounds == 0 or counter.steps < MIN_STEPS:
        sf.run_state_machine_as_test(machine, settings=hypothesis.settings(**settings()))  # type: ignore[no-untyped-call]
        rounds += 1
    _SNAPSHOT[0] = _restart(_SNAPSHOT[0])  # leave the chain as the test had it
    seconds = time.perf_counter() - start
    figures = {"steps": counter.steps, "examples": counter.examples, "seconds": round(seconds, 1)}
    print(f"stateful {name}: {counter.steps} steps in {counter.examples} examples, {seconds:.1f} s")
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items())))
    if REPORT:
        path = Path(REPORT)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[name] = figures
        path.write_text(json.dumps(data, indent=2) + "\n")
    assert counter.steps >= max(MIN_STEPS, 1)
    return figures

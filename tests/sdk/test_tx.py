"""The transaction layer under a hostile network (issue 12, findings 1, 3, 5, 6, 8 and 9).

Each test puts a flaky JSON-RPC proxy (tests/fault_proxy.py) in front of Brownie's Anvil, or breaks the chain
itself (a reorganisation, mining switched off), and asserts effects: balances, nonces, what ran exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fault_proxy import FaultProxy, rpc
from helpers import lei
from web3 import Web3

from tradechain.chain import accounts, network
from tradechain.chain.deployments import Deployment
from tradechain.chain.network import Network, connect
from tradechain.chain.tx import CANCELLED, MINED, NOT_SENT, PENDING, REFUSED, UNKNOWN, Call, Transactor, journal_path
from tradechain.cli.main import cli
from tradechain.client import Client
from tradechain.errors import (
    BatchRefused,
    FeeAboveCap,
    InputError,
    NodeUnreachable,
    TransactionFailed,
    TransactionReorganised,
    TransactionUnresolved,
    UnsettledNonces,
    WrongChain,
)

ETH = 10**18
GWEI = 10**9
PAYER = accounts.dev_account("financier")
PAYEE = accounts.dev_account("outsider").address
OTHER = accounts.dev_account("seller").address
SENDS = ("eth_sendRawTransaction", "eth_sendRawTransactionSync")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own $TRADECHAIN_HOME: its own journals of pending transactions."""
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def proxy(rpc_url: str) -> Iterator[FaultProxy]:
    """A proxy that does nothing wrong until the test tells it to (set its rules before the first request)."""
    with FaultProxy(rpc_url, lifetime=60) as p:
        yield p


def w3_through(url: str, timeout: float = 10.0) -> Web3:
    """A Web3 to ``url`` without web3's own read retries, so that lost replies reach the transaction layer."""
    w3 = connect(Network("proxied", url), attempts=6, backoff=0.01, timeout=timeout)
    w3.provider.exception_retry_configuration = None  # type: ignore[attr-defined]
    return w3


def transactor(url: str, *, timeout: float = 10.0, **options: Any) -> Transactor:
    options.setdefault("backoff", 0.01)
    return Transactor(w3_through(url, timeout), PAYER, **options)


def pay(value: int, to: str = PAYEE) -> Call:
    return Call(to, b"", value=value, gas=21_000, label="pay")


def balance(address: str, url: str) -> int:
    return int(rpc(url, "eth_getBalance", [address, "latest"]), 16)


def nonce(address: str, url: str, block: str = "latest") -> int:
    return int(rpc(url, "eth_getTransactionCount", [address, block]), 16)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def journal(home: Path, url: str) -> list[dict[str, Any]]:
    path = journal_path(int(rpc(url, "eth_chainId"), 16), PAYER.address, home / "pending")
    return json.loads(path.read_text()) if path.exists() else []


# ------------------------------------------------------------------ finding 1: a lost reply, a re-run


def test_a_lost_reply_to_a_payment_pays_exactly_once(proxy: FaultProxy, rpc_url: str, home: Path) -> None:
    proxy.drop_nth = {"eth_sendRawTransaction": {1}, "eth_sendRawTransactionSync": {1}}
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    receipt = transactor(proxy.url).send(pay(ETH))
    assert "eth_sendRawTransaction" in proxy.dropped  # the node mined it; its answer never came
    assert receipt.status == 1 and not receipt.resumed
    assert balance(PAYEE, rpc_url) - before == ETH  # 1 ETH, not 2
    assert nonce(PAYER.address, rpc_url) == sent + 1
    assert journal(home, rpc_url) == []


def test_random_lost_replies_never_repeat_a_payment(rpc_url: str) -> None:
    """A third of all replies lost (reads, sends, receipts), seeded: every payment lands exactly once."""
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    with FaultProxy(rpc_url, seed=12, drop_rate=0.33, lifetime=60) as flaky:
        tx = transactor(flaky.url)
        for i in range(1, 9):
            tx.send(pay(i * GWEI))
        dropped = list(flaky.dropped)
    assert "eth_sendRawTransaction" in dropped
    assert balance(PAYEE, rpc_url) - before == sum(range(1, 9)) * GWEI
    assert nonce(PAYER.address, rpc_url) == sent + 8


def test_an_admission_whose_reply_is_lost_is_registered_once(
    rpc_url: str, sdk_deployment: Deployment, proxy: FaultProxy
) -> None:
    """The reported symptom: `participant admit` admitted the organisation, then failed with LeiAlreadyAdmitted."""
    proxy.drop_nth = {"eth_sendRawTransaction": {1}}
    admin = Client(w3_through(proxy.url), accounts.dev_account("admin"), deployment=sdk_deployment)
    count = admin.participants.count()
    admission = admin.participants.admit(lei=lei(9001), country="DE", roles="brand", manager=PAYEE)
    assert "eth_sendRawTransaction" in proxy.dropped
    assert admin.participants.count() == count + 1 and admission.organisation == count + 1


def test_a_lost_node_reports_what_is_known_and_a_rerun_does_not_pay_again(
    proxy: FaultProxy, rpc_url: str, home: Path
) -> None:
    """The node takes the payment and is gone before answering: the error names the hash and says it may still be
    mined; the same command run again returns that payment's receipt instead of paying twice."""
    keyed = proxy.url.replace("http://", "http://alice:s3cret@") + "/v3/0123456789abcdef0123456789abcdef?key=k1"
    proxy.drop_nth = {"eth_sendRawTransaction": {1}}
    proxy.hook = lambda method, params: proxy.go_down() if method == "eth_sendRawTransaction" else None
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    with pytest.raises(TransactionUnresolved) as info:
        transactor(keyed).send(pay(ETH))
    (outcome,) = info.value.outcomes
    assert outcome.state == UNKNOWN and outcome.nonce == sent
    message = info.value.user_message
    assert f"transaction {outcome.tx_hash} (nonce {sent}) may have reached the node and may still be mined" in message
    assert f"`tradechain tx status {outcome.tx_hash}`" in message and "never a second one" in message
    assert "s3cret" not in message and "0123456789abcdef" not in message and "k1" not in message
    assert "alice" not in message and "127.0.0.1" in message
    assert [e["hash"] for e in journal(home, rpc_url)] == [outcome.tx_hash]  # kept for the re-run

    again = transactor(rpc_url).send(pay(ETH))  # the re-run: a new process, the node back
    assert again.resumed and again.tx_hash == outcome.tx_hash
    assert balance(PAYEE, rpc_url) - before == ETH
    assert nonce(PAYER.address, rpc_url) == sent + 1
    assert journal(home, rpc_url) == []
    third = transactor(rpc_url).send(pay(ETH))  # once resolved, an identical call is a new payment
    assert not third.resumed and balance(PAYEE, rpc_url) - before == 2 * ETH


def test_a_payment_the_node_forgot_is_sent_again_with_the_same_bytes(
    proxy: FaultProxy, rpc_url: str, home: Path
) -> None:
    """The node is gone before the payment reaches it (dropped, not forwarded): the re-run sends the journal's
    signed bytes, so the payment happens once, with the hash the first run reported."""
    proxy.hook = lambda method, params: proxy.go_down() if method in SENDS else None
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    with pytest.raises(TransactionUnresolved) as info:
        transactor(proxy.url).send(pay(ETH))
    (outcome,) = info.value.outcomes
    assert outcome.state == UNKNOWN and balance(PAYEE, rpc_url) == before  # never reached the node
    again = transactor(rpc_url).send(pay(ETH))
    assert again.resumed and again.tx_hash == outcome.tx_hash
    assert balance(PAYEE, rpc_url) - before == ETH and nonce(PAYER.address, rpc_url) == sent + 1


def test_a_refused_connection_is_reported_as_not_sent(proxy: FaultProxy, rpc_url: str, home: Path) -> None:
    tx = transactor(proxy.url)
    tx.send(pay(1))  # fees, nonce and the send method known
    sent = nonce(PAYER.address, rpc_url)
    proxy.stop()  # connections refused from now on
    with pytest.raises(TransactionUnresolved) as info:
        tx.send(pay(ETH))
    assert info.value.outcomes[0].state == NOT_SENT
    assert "nothing was sent; once the node is back it is safe to run the command again" in info.value.user_message
    assert nonce(PAYER.address, rpc_url) == sent and journal(home, rpc_url) == []


def test_participant_admit_through_lost_replies_admits_each_organisation_once(
    cli_env: Path, proxy: FaultProxy, rpc_url: str, sdk_deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line: a lost reply, then a lost node and the same command run again, each admits once."""

    def admit(n: int) -> Any:
        manager = Web3.to_checksum_address(f"0x{n:040x}")
        argv = ["participant", "admit", "--lei", lei(n), "--country", "DE", "--roles", "brand", "--manager", manager]
        return CliRunner().invoke(cli, [*argv, "--json"], catch_exceptions=False)

    monkeypatch.setenv("TRADECHAIN_RPC_URL", proxy.url)
    reader = Client(w3_through(rpc_url), deployment=sdk_deployment)
    count = reader.participants.count()
    proxy.drop_nth = {"eth_sendRawTransaction": {1, 2}}
    first = admit(9100)  # the reply to its send is lost
    assert first.exit_code == 0, first.stderr
    proxy.hook = lambda method, params: proxy.go_down() if proxy.calls["eth_sendRawTransaction"] == 2 else None
    lost = admit(9101)  # the node takes the admission and is gone
    assert lost.exit_code == 1 and lost.stderr.count("\n") == 1
    assert "may still be mined" in lost.stderr and "`tradechain tx status 0x" in lost.stderr
    monkeypatch.setenv("TRADECHAIN_RPC_URL", rpc_url)
    again = admit(9101)  # run again: no LeiAlreadyAdmitted, the admission the first run made
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["organisation"]["id"] == count + 2
    assert reader.participants.count() == count + 2


# ------------------------------------------------------------------ finding 6: slow chains


@pytest.fixture
def no_automine(rpc_url: str) -> Iterator[None]:
    rpc(rpc_url, "evm_setAutomine", [False])
    try:
        yield
    finally:
        rpc(rpc_url, "evm_setAutomine", [True])


def test_a_slow_chain_leaves_a_payment_pending_never_refused(
    proxy: FaultProxy, rpc_url: str, no_automine: None
) -> None:
    """Blocks come long after the HTTP timeout (0.5 s here): the send polls in short requests and returns the
    receipt once mined; no request waits for the receipt; nothing is refused, nothing sent twice."""
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    tx = transactor(proxy.url, timeout=0.5, receipt_timeout=30)
    result: dict[str, Any] = {}

    def send() -> None:
        try:
            result["receipt"] = tx.send(pay(ETH))
        except Exception as exc:  # reported below
            result["error"] = exc

    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    wait_until(lambda: nonce(PAYER.address, rpc_url, "pending") == sent + 1, what="the payment in the pool")
    wait_until(
        lambda: time.monotonic() - started > 2.0 and proxy.calls["eth_getTransactionReceipt"] >= 4,
        what="four HTTP timeouts of polling",
    )
    rpc(rpc_url, "evm_mine")
    sender.join(30)
    assert "error" not in result, result.get("error")
    assert result["receipt"].status == 1
    assert max(seconds for seconds, _ in proxy.log) < 0.5  # the node never held a request for the receipt
    assert balance(PAYEE, rpc_url) - before == ETH and nonce(PAYER.address, rpc_url) == sent + 1


def test_a_receipt_that_does_not_come_in_time_is_reported_pending_and_a_rerun_waits_for_it(
    rpc_url: str, no_automine: None, home: Path
) -> None:
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    with pytest.raises(TransactionUnresolved) as info:
        transactor(rpc_url, receipt_timeout=0.5).send(pay(ETH))
    (outcome,) = info.value.outcomes
    assert outcome.state == PENDING
    assert f"pending as {outcome.tx_hash} (nonce {sent}); it may still be mined" in info.value.user_message
    assert "refused" not in info.value.user_message
    assert transactor(rpc_url).status(outcome.tx_hash).state == PENDING
    rpc(rpc_url, "evm_mine")
    again = transactor(rpc_url).send(pay(ETH))  # the re-run finds it mined
    assert again.resumed and again.tx_hash == outcome.tx_hash
    assert balance(PAYEE, rpc_url) - before == ETH and nonce(PAYER.address, rpc_url) == sent + 1
    status = transactor(rpc_url).status(outcome.tx_hash)
    assert (status.state, status.confirmations) == (MINED, 1)


# ------------------------------------------------------------------ finding 3: send_many


def test_a_refused_batch_transaction_cancels_the_later_ones(rpc_url: str, home: Path) -> None:
    """The third of seven is refused (more than the balance): the first two are mined, the four after it are
    replaced by 0-value transfers to self; the next unrelated send does not run them."""
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    calls = [pay(1 * GWEI), pay(2 * GWEI), pay(10**30), pay(3 * GWEI), pay(4 * GWEI), pay(5 * GWEI), pay(6 * GWEI)]
    tx = transactor(rpc_url)
    with pytest.raises(BatchRefused) as info:
        tx.send_many(calls)
    outcomes = info.value.outcomes
    assert [o.state for o in outcomes] == [MINED, MINED, REFUSED, *[CANCELLED] * 4]
    assert "insufficient funds" in outcomes[2].reason.lower()
    assert all(o.receipt is not None and o.receipt.status == 1 for o in outcomes[:2])
    assert [o.nonce for o in outcomes] == list(range(sent, sent + 7))
    assert (
        "refused transaction #2 of a batch of 7" in info.value.user_message and "4 cancelled" in info.value.user_message
    )
    assert balance(PAYEE, rpc_url) - before == 3 * GWEI
    assert nonce(PAYER.address, rpc_url) == sent + 7  # two payments, the gap filled, four cancellations

    other = balance(OTHER, rpc_url)
    tx.send(pay(7, to=OTHER))  # the send that used to fill the gap and run the four
    assert balance(OTHER, rpc_url) - other == 7
    assert balance(PAYEE, rpc_url) - before == 3 * GWEI  # the four payments never ran
    assert nonce(PAYER.address, rpc_url, "pending") == nonce(PAYER.address, rpc_url) == sent + 8
    assert journal(home, rpc_url) == []


def test_stranded_transactions_that_cannot_be_cancelled_stop_every_send_until_settled(
    proxy: FaultProxy, rpc_url: str, home: Path
) -> None:
    armed: list[bool] = []

    def refuse_the_cancellations(method: str, params: list[Any]) -> None:
        if method == "eth_sendRawTransaction" and proxy.calls[method] == 7 and not armed:  # refuse what follows
            armed.append(True)
            for _ in range(4):
                proxy.refuse_next(method, {"code": -32003, "message": "replacement transaction underpriced"})

    proxy.hook = refuse_the_cancellations
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    tx = transactor(proxy.url)
    with pytest.raises(BatchRefused) as info:
        tx.send_many([pay(1 * GWEI), pay(2 * GWEI), pay(10**30), *[pay(n * GWEI) for n in (3, 4, 5, 6)]])
    assert [o.state for o in info.value.outcomes] == [MINED, MINED, REFUSED, *[PENDING] * 4]
    assert "4 could not be cancelled" in info.value.user_message
    for sender in (tx, transactor(rpc_url)):  # this Transactor, and a new one (its journal shows them)
        with pytest.raises(UnsettledNonces) as refused:
            sender.send(pay(7, to=OTHER))
        assert [n for n, _ in refused.value.stranded] == list(range(sent + 3, sent + 7))
    assert nonce(PAYER.address, rpc_url) == sent + 2 and balance(PAYEE, rpc_url) - before == 3 * GWEI

    settled = transactor(rpc_url).settle()
    assert [o.state for o in settled] == [CANCELLED] * 4
    tx = transactor(rpc_url)
    tx.send(pay(7, to=OTHER))
    assert balance(PAYEE, rpc_url) - before == 3 * GWEI  # the four payments never ran
    assert nonce(PAYER.address, rpc_url) == sent + 8


def test_a_batch_whose_replies_are_lost_runs_each_transaction_once(proxy: FaultProxy, rpc_url: str) -> None:
    proxy.drop_nth = {"eth_sendRawTransaction": {1}, "eth_getTransactionReceipt": {1, 2}}
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    receipts = transactor(proxy.url).send_many([pay(n * GWEI) for n in range(1, 11)])
    assert len({r.tx_hash for r in receipts}) == 10 and {r.status for r in receipts} == {1}
    assert balance(PAYEE, rpc_url) - before == 55 * GWEI and nonce(PAYER.address, rpc_url) == sent + 10


# ------------------------------------------------------------------ finding 5: confirmations mean inclusion


def reorg_after_send(proxy: FaultProxy, upstream: str, *, keep: bool) -> dict[str, Any]:
    """A proxy hook: on the first eth_blockNumber after a send, the last block is replaced (holding the sent
    transaction again when ``keep``) and two more are mined."""
    seen: dict[str, Any] = {}

    def hook(method: str, params: list[Any]) -> None:
        if method == "eth_sendRawTransaction":
            seen["raw"] = params[0]
        elif method == "eth_blockNumber" and "raw" in seen and not seen.get("done"):
            seen["done"] = True
            rpc(upstream, "anvil_reorg", [1, [[seen["raw"], 0]] if keep else []])
            rpc(upstream, "evm_mine")
            rpc(upstream, "evm_mine")

    proxy.hook = hook
    return seen


def test_a_payment_reorganised_away_is_not_reported_confirmed(proxy: FaultProxy, rpc_url: str, home: Path) -> None:
    seen = reorg_after_send(proxy, rpc_url, keep=False)
    before, sent = balance(PAYEE, rpc_url), nonce(PAYER.address, rpc_url)
    tx = transactor(proxy.url, confirmations=3)
    with pytest.raises(TransactionReorganised) as info:
        tx.send(pay(ETH))
    assert seen.get("done") and int(rpc(rpc_url, "eth_blockNumber"), 16) >= info.value.block_number + 2
    assert info.value.state == UNKNOWN
    assert "was reorganised away" in info.value.user_message and info.value.tx_hash in info.value.user_message
    assert balance(PAYEE, rpc_url) == before and nonce(PAYER.address, rpc_url) == sent  # it did not happen
    assert tx.status(info.value.tx_hash).state == UNKNOWN
    assert [e["hash"] for e in journal(home, rpc_url)] == [info.value.tx_hash]  # a re-run sends the same bytes


def test_a_payment_moved_to_another_block_is_confirmed_there(proxy: FaultProxy, rpc_url: str) -> None:
    reorg_after_send(proxy, rpc_url, keep=True)
    before = balance(PAYEE, rpc_url)
    tx = transactor(proxy.url, confirmations=3)
    receipt = tx.send(pay(ETH))
    block = rpc(rpc_url, "eth_getBlockByNumber", [hex(receipt.block_number), False])
    assert block["hash"] == receipt.block_hash  # the receipt of the canonical block, not of the one replaced
    assert int(rpc(rpc_url, "eth_blockNumber"), 16) >= receipt.block_number + 2
    assert balance(PAYEE, rpc_url) - before == ETH


# ------------------------------------------------------------------ finding 9: fee cap


@pytest.mark.parametrize(
    ("method", "lie", "asked"),
    [
        ("eth_maxPriorityFeePerGas", lambda result: hex(500_000 * GWEI), "500000"),
        (
            "eth_getBlockByNumber",
            lambda block: {**block, "baseFeePerGas": hex(1_000_000 * GWEI)},
            "1000001 gwei per gas (base fee 1000000 + tip",
        ),
    ],
    ids=["tip", "base-fee"],
)
def test_a_lying_fee_is_refused_before_signing(
    method: str, lie: Callable[[Any], Any], asked: str, proxy: FaultProxy, rpc_url: str, home: Path
) -> None:
    proxy.rewrite = {method: lie}
    before, sent = balance(PAYER.address, rpc_url), nonce(PAYER.address, rpc_url)
    with pytest.raises(FeeAboveCap) as info:
        transactor(proxy.url).send(pay(1))
    message = info.value.user_message
    assert f"the node asks {asked}" in message and "above this network's cap of 100 gwei" in message
    assert info.value.cap_wei == 100 * GWEI and info.value.asked_wei > 100 * GWEI
    assert not any(proxy.calls[m] for m in SENDS)
    assert balance(PAYER.address, rpc_url) == before and nonce(PAYER.address, rpc_url) == sent
    assert journal(home, rpc_url) == []


def test_the_networks_file_sets_the_fee_cap(
    proxy: FaultProxy, rpc_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy.rewrite = {"eth_maxPriorityFeePerGas": lambda result: hex(2 * GWEI)}
    networks = tmp_path / "networks.yaml"
    networks.write_text(
        f"networks:\n  tight:\n    rpc_url: {proxy.url}\n    max_fee_gwei: 1.5\n"
        f"  roomy:\n    rpc_url: {proxy.url}\n    max_fee_gwei: 3\n"
    )
    monkeypatch.setenv("TRADECHAIN_NETWORKS", str(networks))
    assert network.networks()["tight"].max_fee_gwei == Decimal("1.5")
    tight = Transactor(connect(network.resolve("tight")), PAYER)
    with pytest.raises(FeeAboveCap) as info:
        tight.send(pay(1))
    assert "asks 2 gwei" in info.value.user_message and "cap of 1.5 gwei" in info.value.user_message
    roomy = Transactor(connect(network.resolve("roomy")), PAYER)
    receipt = roomy.send(pay(1))
    sent = rpc(rpc_url, "eth_getTransactionByHash", [receipt.tx_hash])
    assert int(sent["maxFeePerGas"], 16) <= 3 * GWEI and int(sent["maxPriorityFeePerGas"], 16) == 2 * GWEI


# ------------------------------------------------------------------ finding 8: ${ENV} and redaction


@pytest.mark.parametrize(
    ("url", "declared", "rule"),
    [
        ("http://127.0.0.1:9/${HOME}", "", "${HOME} is not expanded: only TRADECHAIN_* variables"),
        ("http://127.0.0.1:9/${TRADECHAIN_PASSWORD}", "", "${TRADECHAIN_PASSWORD} names a secret"),
        ("http://127.0.0.1:9/${MY_PASSWORD}", "env: [MY_PASSWORD]\n", "${MY_PASSWORD} names a secret"),
        ("http://127.0.0.1:9/${TRADECHAIN_NOT_SET}", "", "${TRADECHAIN_NOT_SET} is not set"),
        ("http://127.0.0.1:9/$HOME", "", "a '$' outside ${NAME} is not expanded"),
        ("http://127.0.0.1:9/${1X}", "", "${1X} is not a variable reference"),
    ],
    ids=["not-allowed", "password", "declared-password", "unset", "bare", "malformed"],
)
def test_a_networks_file_expands_only_allowed_variables(
    url: str, declared: str, rule: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADECHAIN_PASSWORD", "hunter2-keystore")
    monkeypatch.setenv("MY_PASSWORD", "hunter3")
    networks = tmp_path / "networks.yaml"
    networks.write_text(f"{declared}networks:\n  leaky:\n    rpc_url: {url}\n")
    monkeypatch.setenv("TRADECHAIN_NETWORKS", str(networks))
    with pytest.raises(InputError) as info:
        network.networks()
    assert info.value.field == "networks.yaml: networks.leaky.rpc_url" and rule in info.value.rule
    result = CliRunner().invoke(cli, ["participant", "list", "--network", "leaky"], catch_exceptions=False)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: networks.yaml: networks.leaky.rpc_url: {rule}")
    assert "hunter" not in result.output + result.stderr


def test_a_networks_file_expands_tradechain_and_declared_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADECHAIN_TEST_NODE", "https://node.example.org")
    monkeypatch.setenv("PROVIDER_KEY", "0123456789abcdef0123456789abcdef")
    networks = tmp_path / "networks.yaml"
    networks.write_text(
        "env: [PROVIDER_KEY]\nnetworks:\n"
        "  ours:\n    rpc_url: ${TRADECHAIN_TEST_NODE}/rpc\n    chain_id: 7\n"
        "  hosted:\n    rpc_url: https://mainnet.example.io/v3/${PROVIDER_KEY}\n"
    )
    monkeypatch.setenv("TRADECHAIN_NETWORKS", str(networks))
    found = network.networks()
    assert found["ours"] == Network("ours", "https://node.example.org/rpc", 7)
    assert found["hosted"].rpc_url == "https://mainnet.example.io/v3/0123456789abcdef0123456789abcdef"
    assert "0123456789abcdef" not in repr(found["hosted"])


def test_urls_are_redacted_in_every_error(proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = ("s3cret", "0123456789abcdef", "apikey", "k3y")
    keyed = proxy.url.replace("http://", "http://alice:s3cret@") + "/v3/0123456789abcdef0123456789abcdef?apikey=k3y"

    def clean(message: str) -> None:
        assert not any(s in message for s in secrets), message

    with pytest.raises(WrongChain) as wrong:
        connect(Network("keyed", keyed, chain_id=1))
    clean(wrong.value.user_message)
    assert f"{proxy.url.replace('http://', 'http://***@')}/v3/***?***" in wrong.value.user_message
    with pytest.raises(NodeUnreachable) as dead:
        connect(Network("dead", "http://alice:s3cret@127.0.0.1:9/0123456789abcdef0123456789abcdef"), attempts=1)
    clean(dead.value.user_message)
    with pytest.raises(InputError) as bad:
        network.resolve(rpc_url="ftp://alice:s3cret@example.org/0123456789abcdef0123456789abcdef")
    clean(bad.value.user_message)
    monkeypatch.setenv("TRADECHAIN_KEYED", "ws://example.org/0123456789abcdef0123456789abcdef?apikey=k3y")
    (tmp_path / "n.yaml").write_text("networks:\n  ws:\n    rpc_url: ${TRADECHAIN_KEYED}\n")
    monkeypatch.setenv("TRADECHAIN_NETWORKS", str(tmp_path / "n.yaml"))
    with pytest.raises(InputError) as scheme:
        network.networks()
    clean(scheme.value.user_message)
    assert "must be an http:// or https:// URL" in scheme.value.user_message


# ------------------------------------------------------------------ issue 14: insufficient funds, named


def test_insufficient_funds_names_the_account_its_balance_and_the_command_that_funds_it(
    rpc_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADECHAIN_KEYSTORE", str(tmp_path / "keystores"))
    named, unnamed = accounts.Account.create(), accounts.Account.create()
    accounts.save_keystore("carol", named, "pw", kdf="pbkdf2")
    for signer, shown, command in (
        (named, f"carol ({named.address})", "tradechain account fund carol"),
        (unnamed, unnamed.address, f"tradechain account fund {unnamed.address}"),
    ):
        with pytest.raises(TransactionFailed) as info:
            Transactor(w3_through(rpc_url), signer, backoff=0.01).send(pay(GWEI))
        assert info.value.user_message == (
            f"insufficient funds: account {shown} has 0 ETH, not enough for this transaction's gas and value; "
            f"fund it on the local chain: `{command}`"
        )
    assert balance(named.address, rpc_url) == 0

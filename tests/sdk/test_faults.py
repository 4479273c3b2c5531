"""Faults: the local node is killed (SIGKILL, as a crash) in the middle of a bulk job (certificates, an invoice
portfolio, an EPCIS import) and started again from its persisted state. Run again, the job resumes where the chain
stands: nothing is done twice, nothing is lost, and the indexer catches up (rewinding what the node lost).

The kill happens from the job's own progress callback, after its first transaction: deterministic, no sleeps
racing the job. Where the test waits for the node's one-second state dump first, the first transaction must
have survived the kill; where it kills at once, the test accepts either outcome and checks the same end state."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from helpers import free_port, lei

from tradechain.chain import accounts, node
from tradechain.chain.deployments import Deployment
from tradechain.chain.network import Network, connect
from tradechain.chain.tx import Transactor
from tradechain.client import Client
from tradechain.contracts.trade_escrow import Milestone, Terms
from tradechain.errors import TradechainError
from tradechain.formats import epcis, invoice_fingerprints
from tradechain.indexer import Indexer, Store
from tradechain.suite import deploy_suite

KEY = bytes(range(32))


@dataclass
class Chain:
    state_dir: Path
    port: int
    deployment: Deployment

    def start(self) -> None:
        node.start(self.port, self.state_dir)

    def client(self, role: str) -> Client:
        w3 = connect(Network("fault", f"http://127.0.0.1:{self.port}"), attempts=1)
        return Client(w3, accounts.dev_account(role), deployment=self.deployment)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    """A persistent node of its own, the suite deployed, a brand, a financier and a carrier admitted."""
    state_dir, port = tmp_path / "node", free_port()
    st = node.start(port, state_dir)
    admin = Client(connect(Network("fault", st.url)), accounts.dev_account("admin"))
    deployment = deploy_suite(admin, save=False)
    for i, (role, roles) in enumerate((("brand", "brand"), ("financier", "financier"), ("carrier", "carrier"))):
        manager = accounts.dev_account(role).address
        admin.participants.admit(lei=lei(500 + i), country="DE", roles=roles, manager=manager)
    wait_for_state_dump(state_dir)  # the deployment is on disk before any job starts
    try:
        yield Chain(state_dir, port, deployment)
    finally:
        node.stop(state_dir)


def wait_for_state_dump(state_dir: Path, timeout: float = 30.0) -> None:
    """Waits until the node has written its state file after this moment (a loaded machine may delay the
    periodic dump past its one-second interval), plus a moment for the write to finish."""
    since, state = time.time(), state_dir / "state.json"
    deadline = since + timeout
    while not (state.exists() and state.stat().st_mtime > since + 0.05):
        assert time.time() < deadline, f"the node wrote no state to {state} in {timeout:.0f} s"
        time.sleep(0.1)
    time.sleep(0.3)


class KillAfterFirst:
    """A progress callback that kills the node once the job's first transaction is mined, after waiting for the
    node's periodic state dump when ``persisted``."""

    def __init__(self, state_dir: Path, *, persisted: bool) -> None:
        self.state_dir, self.persisted, self.done_before_kill = state_dir, persisted, -1

    def __call__(self, done: int, total: int) -> None:
        if self.done_before_kill < 0:
            if self.persisted:
                wait_for_state_dump(self.state_dir)
            assert node.kill(self.state_dir) is True
            self.done_before_kill = done


def invoice_book(count: int, number: str, *, buyer_vat: str) -> list[invoice_fingerprints.Fingerprints]:
    """``count`` invoices of one seller to one buyer, numbered ``{number}{n}`` and of 100 + n EUR, fingerprinted."""
    maker = invoice_fingerprints.Fingerprinter(KEY)
    return [
        maker(
            invoice_fingerprints.canonicalise(
                {
                    "seller": {"scheme": "LEI", "id": "529900T8BM49AURSDO55"},
                    "buyer": {"scheme": "VAT", "id": buyer_vat},
                    "number": f"{number}{n}",
                    "issue_date": "2026-11-01",
                    "currency": "EUR",
                    "amount": f"{100 + n}.00",
                }
            )
        )
        for n in range(count)
    ]


def _logs(client: Client, contract: str, event: str) -> list[Any]:
    c = client.contract(contract)
    start = client.deployment.contracts[contract].block
    return list(c.events[event]().get_logs(from_block=start))


def test_a_certificate_batch_resumes_after_a_node_crash_without_issuing_twice(chain: Chain) -> None:
    rows = [(f"SN-{i:04d}", {"model": "Tank", "n": i}) for i in range(60)]
    kill = KillAfterFirst(chain.state_dir, persisted=True)
    with pytest.raises(TradechainError):
        chain.client("brand").certificates.issue_batch(rows, batch_size=20, progress=kill)
    assert kill.done_before_kill == 20

    chain.start()  # from the state written before the kill
    brand = chain.client("brand")
    result = brand.certificates.issue_batch(rows, batch_size=20)
    assert len(result.skipped) == 20 and len(result.issued) == 40  # the first batch survived the kill
    ids = {brand.certificates.exists(t) for t in result.skipped + result.issued}
    assert ids == {True}
    issued = [int(e["args"]["tokenId"]) for e in _logs(brand, "LuxuryCertificate", "Transfer")]
    assert sorted(issued) == sorted(result.skipped + result.issued)  # each minted exactly once
    again = brand.certificates.issue_batch(rows, batch_size=20)
    assert (len(again.issued), len(again.skipped), again.transactions) == (0, 60, [])


def test_an_invoice_portfolio_resumes_after_a_node_crash_without_registering_twice(chain: Chain) -> None:
    book = invoice_book(90, "F-", buyer_vat="DE123")
    kill = KillAfterFirst(chain.state_dir, persisted=False)  # killed at once: the first batch may be lost
    with pytest.raises(TradechainError):
        chain.client("financier").invoices.register_batch(book, 5_000, batch_size=30, progress=kill)

    chain.start()
    bank = chain.client("financier")
    result = bank.invoices.register_batch(book, 5_000, batch_size=30)
    assert result.refused == [] and all(result.financed)
    assert len(result.already) in (0, 30)  # the first batch survived the kill, or was lost and is sent again
    financed = _logs(bank, "InvoiceRegistry", "InvoiceFinanced")
    keys = [bytes(e["args"]["fingerprint"]) for e in financed]
    assert sorted(keys) == sorted(f.primary for f in book)  # each exactly once
    assert {bank.invoices.check(f).total_bps for f in book} == {5_000}
    again = bank.invoices.register_batch(book, 5_000, batch_size=30)
    assert (len(again.already), again.transactions) == (90, [])


def test_an_epcis_import_resumes_after_a_node_crash_and_the_indexer_catches_up(chain: Chain, tmp_path: Path) -> None:
    events = epcis.read_document(
        {
            "@context": [epcis.CONTEXT],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-04-03T20:33:31Z",
            "epcisBody": {
                "eventList": [
                    {
                        "type": "ObjectEvent",
                        "action": "OBSERVE",
                        "bizStep": "shipping",
                        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{n}"],
                        "eventTime": "2026-04-03T20:33:31.116-06:00",
                        "eventTimeZoneOffset": "-06:00",
                    }
                    for n in range(120)
                ]
            },
        }
    )
    store = Store(tmp_path / "index.db")
    carrier = chain.client("carrier")
    Indexer(carrier, store).sync()

    def kill_after_indexing(done: int, total: int) -> None:
        Indexer(carrier, store).sync()  # the index has the first batch ...
        kill(done, total)  # ... which the node may lose: killed before its state dump

    kill = KillAfterFirst(chain.state_dir, persisted=False)
    with pytest.raises(TradechainError):
        epcis.import_events(carrier, store, events, batch=40, progress=kill_after_indexing)
    indexed_before = store.db.execute("SELECT COUNT(*) FROM epcis_anchors").fetchone()[0]
    assert indexed_before == 40

    chain.start()
    carrier = chain.client("carrier")
    sync = Indexer(carrier, store).sync()  # rewinds whatever the node lost
    on_chain = len(_logs(carrier, "ProductRegistry", "EpcisEventRecorded"))
    print(f"anchors that survived the kill: {on_chain} of 40")
    assert on_chain in (0, 40) and (sync.rewound_to is not None) == (on_chain == 0)
    assert store.db.execute("SELECT COUNT(*) FROM epcis_anchors").fetchone()[0] == on_chain
    result = epcis.import_events(carrier, store, events, batch=40)
    assert (result.anchored, result.already) == (120 - on_chain, on_chain)

    Indexer(carrier, store).sync()
    hashes = [e["args"]["eventHash"] for e in _logs(carrier, "ProductRegistry", "EpcisEventRecorded")]
    assert len(hashes) == len(set(hashes)) == 120  # every event anchored, none twice
    assert store.db.execute("SELECT COUNT(*) FROM epcis_anchors").fetchone()[0] == 120
    assert epcis.import_events(carrier, store, events).anchored == 0


# ------------------------------------------------------------------ lost replies (a flaky proxy in front of the node)
#
# Brownie's Anvil behind tests/fault_proxy.py, which forwards every request and drops a fifth of the replies to the
# transaction layer's calls (sends, receipts, lookups, nonces) at random, seeded, and the reply to each client's first
# send: the node did the work, its answer never came. Every registration and payment must happen exactly once, and a
# second run must send nothing.

LOSSY = (
    "eth_sendRawTransaction",
    "eth_sendRawTransactionSync",
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
)


@pytest.fixture
def lossy(rpc_url: str, sdk_deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """make(role, seed) -> a Client of ``role`` whose node drops 20% of the transaction layer's replies."""
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    proxies: list[FaultProxy] = []

    def make(role: str, seed: int) -> Client:
        proxy = FaultProxy(
            rpc_url,
            seed=seed,
            drop_rate=0.2,
            drop_methods=(*LOSSY, "eth_getTransactionCount"),
            drop_nth={"eth_sendRawTransaction": {1}},  # and surely the reply to the first send
        )
        proxies.append(proxy.start())
        w3 = connect(Network("lossy", proxy.url))
        client = Client(w3, deployment=sdk_deployment)
        client.signer = accounts.dev_account(role)
        client.transactor = Transactor(w3, client.signer, backoff=0.02)
        return client

    yield make
    dropped = [m for p in proxies for m in p.dropped]
    for p in proxies:
        p.stop()
    assert "eth_sendRawTransaction" in dropped, "no send lost its reply: the test proved nothing"


def test_lost_replies_during_a_certificate_batch_issue_each_certificate_once(
    lossy: Any, sdk_members: dict[str, int]
) -> None:
    rows = [(f"LR-{i:04d}", {"model": "Tank", "n": i}) for i in range(60)]
    brand = lossy("brand", 1)
    result = brand.certificates.issue_batch(rows, batch_size=10)
    assert (len(result.issued), len(result.skipped)) == (60, 0)
    minted = [int(e["args"]["tokenId"]) for e in _logs(brand, "LuxuryCertificate", "Transfer")]
    assert sorted(minted) == sorted(result.issued)  # each exactly once
    again = brand.certificates.issue_batch(rows, batch_size=10)
    assert (len(again.issued), len(again.skipped), again.transactions) == (0, 60, [])


def test_lost_replies_during_an_invoice_portfolio_register_each_invoice_once(
    lossy: Any, sdk_members: dict[str, int]
) -> None:
    book = invoice_book(60, "LR-", buyer_vat="DE999")
    bank = lossy("financier", 2)
    result = bank.invoices.register_batch(book, 5_000, batch_size=10)
    assert result.refused == [] and all(result.financed) and result.already == []
    financed = [bytes(e["args"]["fingerprint"]) for e in _logs(bank, "InvoiceRegistry", "InvoiceFinanced")]
    assert sorted(financed) == sorted(f.primary for f in book)  # each exactly once
    again = bank.invoices.register_batch(book, 5_000, batch_size=10)
    assert (len(again.already), again.transactions) == (60, [])


def test_lost_replies_during_an_escrow_life_cycle_pay_exactly_once(
    lossy: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    amount = 1_000_000 * 10**6
    admin, bank, carrier, inspector = (
        lossy(r, s) for r, s in (("admin", 3), ("financier", 4), ("carrier", 5), ("inspector", 6))
    )
    usdc = admin.contract("MockUSDC")
    admin.send(usdc, "mint", bank.transactor.address, amount)  # type: ignore[union-attr]

    def balance(who: str) -> int:
        return int(usdc.functions.balanceOf(who).call())

    seller, funder = accounts.dev_account("seller").address, bank.transactor.address  # type: ignore[union-attr]
    seller_before, funder_before = balance(seller), balance(funder)
    deadline = int(bank.w3.eth.get_block("latest")["timestamp"]) + 30 * 86400
    terms = Terms(
        funder=funder,
        buyer=accounts.dev_account("buyer").address,
        seller=seller,
        arbiter=accounts.dev_account("arbiter").address,
        token=usdc.address,
        amount=amount,
        deadline=deadline,
        trade_id="LR-ESCROW-1",
        milestones=(Milestone(3_000, ("bill-of-lading",)), Milestone(7_000, ("delivery-attestation",))),
    )
    escrow_id, _ = bank.escrow.open(terms)
    bank.escrow.fund(terms)
    assert balance(funder) == funder_before - amount  # approved and funded once
    bl, attestation = tmp_path / "bl.pdf", tmp_path / "delivered.pdf"
    bl.write_bytes(b"%PDF bill of lading LR-ESCROW-1")
    attestation.write_bytes(b"%PDF delivered LR-ESCROW-1")
    carrier.documents.anchor([bl], "bill-of-lading", escrow_id)
    bank.escrow.release(terms, 0, [bl])
    assert balance(seller) - seller_before == amount * 3 // 10
    inspector.documents.anchor([attestation], "delivery-attestation", escrow_id)
    bank.escrow.release(terms, 1, [attestation])
    assert balance(seller) - seller_before == amount  # each milestone paid once
    assert balance(funder) == funder_before - amount and balance(bank.escrow.address) == 0
    state = bank.escrow.state(escrow_id)
    assert (state["status"], state["releasedMilestones"], state["paidOut"]) == ("CLOSED", [0, 1], amount)
    counts = [len(_logs(bank, "TradeEscrow", e)) for e in ("EscrowOpened", "EscrowFunded", "MilestoneReleased")]
    assert counts == [1, 1, 2]

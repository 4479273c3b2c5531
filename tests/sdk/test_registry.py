"""The contract registry (tradechain/contracts/registry.py) is the one table of the suite: every row's client binds,
the order satisfies every constructor, Client exposes exactly its attributes, and deploy_suite deploys exactly its
contracts, wired as its constructor column says (read back from the chain)."""

from __future__ import annotations

import inspect
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from tradechain.chain import accounts, artifacts, project
from tradechain.chain.deployments import Deployment
from tradechain.client import Client
from tradechain.contracts import registry as table
from tradechain.contracts.base import ContractClient
from tradechain.suite import deploy_suite

CLIENT_ROWS = [row for row in table.CONTRACTS if row.client_class is not None]
BEFORE = {  # the six contracts before the table, in their deployment order, and their Client attributes
    "ParticipantRegistry": "participants",
    "ProductRegistry": "products",
    "LuxuryCertificate": "certificates",
    "DocumentRegistry": "documents",
    "TradeEscrow": "escrow",
    "InvoiceRegistry": "invoices",
}


def _constructor_inputs(name: str) -> list[dict[str, Any]]:
    ctor = [item for item in artifacts.load(name).abi if item.get("type") == "constructor"]
    return list(ctor[0]["inputs"]) if ctor else []


def test_the_table_names_each_contract_and_each_attribute_once() -> None:
    names = [row.name for row in table.CONTRACTS]
    assert len(set(names)) == len(names)
    attributes = [row.attribute for row in CLIENT_ROWS]
    assert all(attributes) and len(set(attributes)) == len(attributes)
    assert all(row.attribute == "" and row.dev_only for row in table.DEV_CONTRACTS)
    # the six rows keep what the six contracts were before the table (a new row adds to them, never changes them)
    six = [row for row in table.CONTRACTS if row.name in BEFORE]
    assert {row.name: row.attribute for row in six} == BEFORE and [row.name for row in six] == list(BEFORE)
    assert [row.name for row in six if row.indexed] == ["ParticipantRegistry", "ProductRegistry", "LuxuryCertificate"]
    assert not any(row.dev_only for row in six)
    assert "MockUSDC" in {row.name for row in table.CONTRACTS if row.dev_only}


def test_deployment_order_satisfies_every_constructor_dependency() -> None:
    deployed: list[str] = []
    for row in table.CONTRACTS:
        for arg in row.constructor:
            if arg == table.ADMIN:
                continue
            assert arg in deployed, f"{row.name} takes {arg}, which is not deployed before it"
            assert row.dev_only or not table.row(arg).dev_only, f"{row.name} takes the dev-only {arg}"
        deployed.append(row.name)


def test_the_constructor_column_matches_each_constructor() -> None:
    """Each argument is an address: the admin's (``admin``), or a contract's, typed as that contract's interface."""
    for row in table.CONTRACTS:
        inputs = _constructor_inputs(row.name)
        assert len(inputs) == len(row.constructor), row.name
        for arg, inp in zip(row.constructor, inputs, strict=True):
            assert inp["type"] == "address", (row.name, inp)
            if arg == table.ADMIN:
                assert (inp["name"], inp["internalType"]) == ("admin", "address"), (row.name, inp)
            else:
                assert inp["internalType"] == f"contract I{arg}", (row.name, arg, inp)


def test_every_row_binds_its_client(sdk: Client) -> None:
    for row in CLIENT_ROWS:
        assert row.client_class is not None and row.name == row.client_class.NAME
        bound = getattr(sdk, row.attribute)
        assert isinstance(bound, row.client_class) and isinstance(bound, ContractClient)
        assert getattr(sdk, row.attribute) is bound  # bound once per Client
        assert bound.client is sdk and bound.address == sdk.deployment.address(row.name)
        assert bound.contract.abi == artifacts.load(row.name).abi
        elsewhere = row.client_class(sdk, sdk.deployment.address("ParticipantRegistry"))  # at another address
        assert elsewhere.address == sdk.deployment.address("ParticipantRegistry") and elsewhere is not bound
    for row in table.DEV_CONTRACTS:
        assert len(sdk.w3.eth.get_code(to_checksum_address(sdk.contract(row.name).address))) > 0


def test_client_exposes_exactly_the_tables_attributes(sdk: Client) -> None:
    rows = [n for n in dir(Client) if isinstance(inspect.getattr_static(Client, n), table.ContractRow)]
    assert sorted(rows) == sorted(row.attribute for row in CLIENT_ROWS)
    for row in CLIENT_ROWS:
        assert inspect.getattr_static(Client, row.attribute) is row
    # and no other attribute of a client (a property, a cached one) is a contract client
    clients = {n for n in dir(sdk) if not n.startswith("_") and isinstance(getattr(sdk, n), ContractClient)}
    assert clients == {row.attribute for row in CLIENT_ROWS}


def _address_views(w3: Any, name: str, address: str) -> dict[str, str]:
    """Every view of the contract that takes nothing and returns one address (the immutables among them)."""
    contract = w3.eth.contract(address=to_checksum_address(address), abi=artifacts.load(name).abi)
    out = {}
    for item in contract.abi:
        if (
            item.get("type") == "function"
            and not item["inputs"]
            and [o["type"] for o in item["outputs"]] == ["address"]
        ):
            out[item["name"]] = to_checksum_address(contract.functions[item["name"]]().call())
    return out


def _check_deployment(w3: Any, dep: Deployment, admin: str, expected: list[str]) -> None:
    assert list(dep.contracts) == expected  # exactly these, recorded in this order
    nonces = []
    for name in expected:
        row = table.row(name)
        record = dep.contracts[name]
        tx = w3.eth.get_transaction(record.tx_hash)
        nonces.append(tx["nonce"])
        receipt = w3.eth.get_transaction_receipt(record.tx_hash)
        assert to_checksum_address(receipt["contractAddress"]) == to_checksum_address(record.address)
        assert len(w3.eth.get_code(to_checksum_address(record.address))) > 0
        code = bytes.fromhex(artifacts.load(name).bytecode.removeprefix("0x"))
        data = bytes(tx["input"])
        assert data.startswith(code), f"{name} is not the contract deployed at {record.address}"
        wanted = [admin if arg == table.ADMIN else dep.contracts[arg].address for arg in row.constructor]
        types = [inp["type"] for inp in _constructor_inputs(name)]
        sent = [to_checksum_address(a) for a in abi_decode(types, data[len(code) :])]
        assert sent == [to_checksum_address(a) for a in wanted], name
        views = _address_views(w3, name, record.address)  # what the contract keeps: its immutables, its admin
        for address in wanted:
            assert to_checksum_address(address) in views.values(), (name, address, views)
    assert nonces == sorted(nonces) and len(set(nonces)) == len(nonces)  # deployed in the table's order


def test_deploy_suite_deploys_exactly_the_table_with_its_constructor_wiring(w3_sdk: Any) -> None:
    client = Client(w3_sdk, accounts.dev_account("admin"))
    assert client.chain_id == project.DEV_CHAIN_ID
    admin = accounts.dev_account("regulator").address  # not the deployer: the admin argument is wired, not implied
    dep = deploy_suite(client, admin=admin, save=False)
    _check_deployment(w3_sdk, dep, admin, [row.name for row in table.CONTRACTS])
    assert _address_views(w3_sdk, "ParticipantRegistry", dep.contracts["ParticipantRegistry"].address)[
        "defaultAdmin"
    ] == to_checksum_address(admin)
    assert _address_views(w3_sdk, "TradeEscrow", dep.contracts["TradeEscrow"].address) == {
        "participants": to_checksum_address(dep.contracts["ParticipantRegistry"].address),
        "documents": to_checksum_address(dep.contracts["DocumentRegistry"].address),
    }
    for row in CLIENT_ROWS:  # the deploying client now works on this deployment
        assert getattr(client, row.attribute).address == to_checksum_address(dep.contracts[row.name].address)


def test_deploy_suite_skips_the_dev_only_rows_off_the_dev_chain(w3_sdk: Any) -> None:
    client = Client(w3_sdk, accounts.dev_account("admin"))
    client.chain_id = 5  # as if on another chain (the signer signs for the node's own chain)
    dep = deploy_suite(client, save=False)
    assert dep.chain_id == 5
    _check_deployment(w3_sdk, dep, client.require_signer().address, [r.name for r in table.CONTRACTS if not r.dev_only])

"""The SDK without Brownie: deployment, the transaction layer, revert decoding, validation before sending."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import tx_count
from helpers import lei

from tradechain.chain import accounts, deployments
from tradechain.chain.deployments import DeployedContract, Deployment
from tradechain.chain.network import Network, connect
from tradechain.chain.tx import Call, Transactor
from tradechain.client import Client
from tradechain.contracts.participant_registry import PrefixLicence
from tradechain.errors import (
    ContractRevert,
    DeploymentMissing,
    InputError,
    NodeUnreachable,
    TradechainError,
    TransactionFailed,
    WrongChain,
    revert_class,
)
from tradechain.suite import deploy_suite

CARRIER = accounts.dev_account("carrier").address
BRAND = accounts.dev_account("brand").address


def test_sdk_deploys_suite_and_records_it(w3_sdk: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path))
    client = Client(w3_sdk, accounts.dev_account("admin"))
    dep = deploy_suite(client)
    record = json.loads((tmp_path / f"{client.chain_id}.json").read_text())
    address = record["contracts"]["ParticipantRegistry"]["address"]
    assert address == dep.contracts["ParticipantRegistry"].address
    assert record["chainId"] == client.chain_id and record["compiler"]["solc"] == "0.8.30"
    assert record["compiler"]["evmVersion"] == "prague"
    assert len(w3_sdk.eth.get_code(address)) > 0
    # a fresh client reads the record; the deployer is the consortium admin
    fresh = Client(w3_sdk, accounts.dev_account("admin"))
    assert fresh.participants.address == address
    assert fresh.participants.count() == 0


def test_custom_error_becomes_python_exception_with_readable_message(sdk: Client) -> None:
    first = sdk.participants.admit(lei=lei(1), country="DE", roles="brand", manager=BRAND)
    assert first.organisation == 1
    nonce_before = tx_count(sdk.transactor.address)  # type: ignore[union-attr]
    with pytest.raises(revert_class("LeiAlreadyAdmitted")) as info:
        sdk.participants.admit(lei=lei(1), country="FR", roles="carrier", manager=CARRIER)
    err = info.value
    assert isinstance(err, ContractRevert) and isinstance(err, TradechainError)
    assert err.lei == lei(1).encode() and err.organisation == 1
    assert err.user_message == (
        f"LeiAlreadyAdmitted(lei='{lei(1)}', organisation=1): The LEI '{lei(1)}' is already held by organisation 1."
    )
    assert tx_count(sdk.transactor.address) == nonce_before  # type: ignore[union-attr]  # nothing was sent


def test_openzeppelin_errors_are_decoded_too(sdk_as: Any) -> None:
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as info:
        sdk_as("brand").participants.admit(lei=lei(1), country="DE", roles="brand", manager=BRAND)
    assert info.value.account == BRAND
    assert info.value.neededRole == b"\0" * 32


def test_bad_lei_check_digits_give_one_line_error_and_send_nothing(sdk: Client) -> None:
    bad = lei(1)[:18] + ("00" if lei(1)[18:] != "00" else "01")
    before = tx_count(sdk.transactor.address)  # type: ignore[union-attr]
    with pytest.raises(InputError) as info:
        sdk.participants.admit(lei=bad, country="DE", roles="brand", manager=BRAND)
    assert info.value.field == "lei"
    assert "mod-97" in info.value.user_message and "\n" not in info.value.user_message
    assert tx_count(sdk.transactor.address) == before  # type: ignore[union-attr]
    assert sdk.participants.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field", "rule"),
    [
        ({"country": "XX"}, "country", "ISO 3166-1"),
        ({"roles": "brand,pirate"}, "roles", "unknown role 'pirate'"),
        ({"roles": ""}, "roles", "at least one role"),
        ({"manager": "0x70997970c51812dc3a010c7d01b50e0d17dc79C8"}, "manager", "EIP-55"),
        ({"manager": "0x1234"}, "manager", "40 hex digits"),
        ({"lei": None, "gln": "4000001000006"}, "gln", "check digit"),
        ({"lei": "529900T8BM49AURSDO"}, "lei", "20 characters"),
    ],
)
def test_admit_validates_every_field_before_sending(sdk: Client, kwargs: dict[str, Any], field: str, rule: str) -> None:
    args = {"lei": lei(1), "country": "DE", "roles": "brand", "manager": BRAND, **kwargs}
    with pytest.raises(InputError) as info:
        sdk.participants.admit(**args)
    assert info.value.field == field and rule in info.value.user_message
    assert sdk.participants.count() == 0


def test_suspended_organisations_account_is_refused_at_once(sdk: Client, sdk_as: Any) -> None:
    org = sdk.participants.admit(lei=lei(2), country="NL", roles="carrier", manager=CARRIER).organisation
    assert sdk.participants.require_role(CARRIER, "carrier") == org
    sdk.participants.suspend(org, "sanctions screening")
    assert sdk.participants.get(org).suspended is True
    assert sdk.participants.is_authorized(CARRIER, "carrier") is False
    with pytest.raises(revert_class("OrganisationIsSuspended")) as info:
        sdk.participants.require_role(CARRIER, "carrier")
    assert info.value.organisation == org
    with pytest.raises(revert_class("OrganisationIsSuspended")):
        sdk_as("carrier").participants.add_account(org, BRAND)


def test_accounts_are_rebuilt_from_events(sdk: Client, sdk_as: Any) -> None:
    org = sdk.participants.admit(lei=lei(3), country="DE", roles="brand", manager=BRAND).organisation
    extra = accounts.dev_account("brand2").address
    sdk_as("brand").participants.add_account(org, extra)
    sdk_as("brand").participants.rotate_account(extra, accounts.dev_account("retailer2").address)
    assert sdk.participants.accounts(org) == [
        {"account": BRAND, "manager": True},
        {"account": accounts.dev_account("retailer2").address, "manager": False},
    ]
    assert sdk.participants.get(org).active_accounts == 2


def test_company_prefix_licence_round_trip(sdk: Client, sdk_as: Any) -> None:
    brand = sdk.participants.admit(lei=lei(5), country="DE", roles="brand", manager=BRAND).organisation
    carrier = sdk.participants.admit(lei=lei(6), country="NL", roles="carrier", manager=CARRIER).organisation
    gtin, sscc = "09506000134352", "106141411234567897"
    assert sdk.participants.company_prefix_owner(gtin) == PrefixLicence(gtin, None, 0)
    first = sdk.participants.assign_company_prefix("9506000", brand)
    assert (first.prefix, first.organisation, first.previous) == ("9506000", brand, 0)
    assert sdk.transactor.gas.by_label["ParticipantRegistry.assignCompanyPrefix"] == [first.receipt.gas_used]  # type: ignore[union-attr]
    sdk.participants.assign_company_prefix("0614141", carrier)  # leading zero: 7 digits
    assert sdk.participants.company_prefix_owner(gtin) == PrefixLicence(gtin, "9506000", brand)
    assert sdk.participants.company_prefix_owner(9506000134352).prefix == "9506000"  # a GTIN-13, padded to 14
    assert sdk.participants.company_prefix_owner(sscc).to_json() == {
        "key": sscc,
        "prefix": "0614141",
        "organisation": carrier,
    }
    assert sdk.participants.company_prefixes() == {"0614141": carrier, "9506000": brand}
    moved = sdk.participants.assign_company_prefix("0614141", brand)
    assert moved.previous == carrier
    assert sdk.participants.company_prefixes(brand) == {"0614141": brand, "9506000": brand}
    assert sdk.participants.company_prefixes(carrier) == {}
    withdrawn = sdk.participants.assign_company_prefix("9506000", 0)
    assert (withdrawn.organisation, withdrawn.previous) == (0, brand)
    assert sdk.participants.company_prefix_owner(gtin).organisation == 0
    assert sdk.participants.is_admin(accounts.dev_account("admin").address) and not sdk.participants.is_admin(BRAND)
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")):
        sdk_as("brand").participants.assign_company_prefix("4000000", brand)


@pytest.mark.parametrize(
    ("prefix", "organisation", "field", "rule"),
    [
        ("123", 1, "prefix", "a company prefix is 4 to 12 digits, not 3"),
        ("1234567890123", 1, "prefix", "a company prefix is 4 to 12 digits, not 13"),
        ("06141A1", 1, "prefix", "a company prefix is digits only"),
        (614141, 1, "prefix", "its leading zeros count"),
        ("0614141", -1, "organisation", "must be at least 0"),
        ("0614141", 2**32, "organisation", "must be below 2^32"),
    ],
)
def test_assign_company_prefix_validates_before_sending(
    sdk: Client, prefix: Any, organisation: int, field: str, rule: str
) -> None:
    before = tx_count(sdk.transactor.address)  # type: ignore[union-attr]
    with pytest.raises(InputError) as info:
        sdk.participants.assign_company_prefix(prefix, organisation)
    assert info.value.field == field and rule in info.value.user_message
    assert tx_count(sdk.transactor.address) == before  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("123", "a GTIN is 8/12/13/14 digits and an SSCC 18, not 3"),
        ("106141411234567890", "SSCC check digit is wrong"),
        ("09506000134353", "GTIN check digit is wrong"),
        ("0950600013435X", "a GTIN is digits only"),
    ],
)
def test_company_prefix_owner_takes_a_gtin_or_an_sscc(sdk: Client, key: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        sdk.participants.company_prefix_owner(key)
    assert info.value.field == "key" and rule in info.value.user_message


def test_gas_is_recorded_per_operation(sdk: Client) -> None:
    result = sdk.participants.admit(lei=lei(4), country="DE", roles="brand", manager=BRAND)
    assert sdk.transactor.gas.by_label["ParticipantRegistry.admit"] == [result.receipt.gas_used]  # type: ignore
    assert 100_000 < result.receipt.gas_used < 200_000


def test_send_many_sends_one_batch_and_returns_every_receipt(sdk: Client, w3_sdk: Any) -> None:
    target = accounts.dev_account("outsider").address
    before = w3_sdk.eth.get_balance(target)
    receipts = sdk.transactor.send_many(  # type: ignore[union-attr]
        [Call(target, b"", value=i + 1, gas=21_000, label="transfer") for i in range(20)]
    )
    assert [r.status for r in receipts] == [1] * 20
    assert len({r.tx_hash for r in receipts}) == 20
    assert w3_sdk.eth.get_balance(target) - before == sum(range(1, 21))
    assert sdk.transactor.gas.by_label["transfer"] == [21_000] * 20  # type: ignore[union-attr]


def test_failed_transaction_with_fixed_gas_is_explained(sdk: Client) -> None:
    contract = sdk.participants.contract
    data = bytes.fromhex(contract.encode_abi("reinstate", args=[7])[2:])
    with pytest.raises(revert_class("NonexistentOrganisation")) as info:
        sdk.transactor.send(Call(contract.address, data, gas=100_000))  # type: ignore[union-attr]
    assert info.value.organisation == 7


def test_nonce_is_resynced_when_another_sender_used_the_account(sdk: Client, admin: Any) -> None:
    sdk.participants.admit(lei=lei(5), country="DE", roles="brand", manager=BRAND)
    admin.transfer(admin, 0)  # Brownie sends from the same account: the SDK's cached nonce is now stale
    result = sdk.participants.admit(lei=lei(6), country="DE", roles="carrier", manager=CARRIER)
    assert result.organisation == 2


def test_dev_accounts_are_refused_on_other_chains() -> None:
    with pytest.raises(InputError) as info:
        accounts.resolve_signer("admin", 1)
    assert "local chain only" in info.value.user_message


def test_wrong_chain_id_is_refused(rpc_url: str) -> None:
    with pytest.raises(WrongChain) as info:
        connect(Network("mainnet-like", rpc_url, chain_id=1))
    assert "expects chain id 1" in info.value.user_message and rpc_url in info.value.user_message


def test_unreachable_node_is_retried_then_named() -> None:
    with pytest.raises(NodeUnreachable) as info:
        connect(Network("dead", "http://127.0.0.1:9"), attempts=3, backoff=0.01)
    assert info.value.user_message == (
        "cannot reach the JSON-RPC node at http://127.0.0.1:9 after 3 attempts (ConnectionError)"
    )


def test_deployment_record_without_code_is_reported(w3_sdk: Any) -> None:
    dep = Deployment(
        chain_id=w3_sdk.eth.chain_id,
        deployer=BRAND,
        block=0,
        compiler={},
        contracts={"ParticipantRegistry": DeployedContract(BRAND, 0, "0x")},
    )
    with pytest.raises(DeploymentMissing) as info:
        _ = Client(w3_sdk, deployment=dep).participants
    assert "no code there" in info.value.user_message


def test_missing_deployment_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path))
    with pytest.raises(DeploymentMissing) as info:
        deployments.load(424242)
    assert str(tmp_path / "424242.json") in info.value.user_message


def test_keystore_round_trip_and_wrong_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADECHAIN_KEYSTORE", str(tmp_path))
    acct = accounts.new_account("alice", "correct horse")
    stored = (tmp_path / "alice.json").read_text()
    assert acct.key.hex()[2:] not in stored and "correct horse" not in stored
    assert (tmp_path / "alice.json").stat().st_mode & 0o777 == 0o600
    assert accounts.load_keystore("alice", "correct horse").address == acct.address
    with pytest.raises(TradechainError) as info:
        accounts.load_keystore("alice", "wrong")
    assert info.value.user_message == "account: wrong password for keystore 'alice' (MAC mismatch)"
    assert info.value.exit_code == 2
    with pytest.raises(InputError):
        accounts.new_account("alice", "again")  # never overwrites


def test_revert_data_that_is_not_ours_is_still_reported() -> None:
    from tradechain.chain.reverts import decode_revert

    assert isinstance(decode_revert("0xdeadbeef"), TransactionFailed)
    assert "unknown error 0xdeadbeef" in decode_revert("0xdeadbeef").user_message
    panic = decode_revert("0x4e487b71" + "11".rjust(64, "0"))
    assert panic.user_message == "transaction panicked: arithmetic overflow or underflow"
    assert decode_revert("0x").user_message == "transaction reverted without a reason"


def test_send_waits_for_the_configured_confirmations(w3_sdk: Any, sdk_deployment: Deployment) -> None:
    tx = Transactor(w3_sdk, accounts.dev_account("financier"), confirmations=3, receipt_timeout=20)
    other = Transactor(w3_sdk, accounts.dev_account("seller"))
    to = accounts.dev_account("outsider").address

    def mine_two_more() -> None:  # Anvil mines on demand: two more transactions make two more blocks
        time.sleep(0.5)
        other.send(Call(to, b"", value=1, gas=21_000))
        time.sleep(0.2)
        other.send(Call(to, b"", value=1, gas=21_000))

    helper = threading.Thread(target=mine_two_more)
    helper.start()
    receipt = tx.send(Call(to, b"", value=1, gas=21_000))
    helper.join()
    assert w3_sdk.eth.block_number >= receipt.block_number + 2


def test_confirmations_that_never_come_time_out_with_a_clear_error(w3_sdk: Any) -> None:
    tx = Transactor(w3_sdk, accounts.dev_account("financier"), confirmations=2, receipt_timeout=1)
    with pytest.raises(TransactionFailed) as info:
        tx.send(Call(accounts.dev_account("outsider").address, b"", value=1, gas=21_000))
    assert "did not reach 2 confirmations" in info.value.user_message

"""Shared fixtures. Brownie launches a throw-away Anvil (port 8555, brownie-config.yaml); every test runs in its
own snapshot (fn_isolation). Brownie's accounts are Anvil's dev accounts, the same keys as
``tradechain.chain.accounts.dev_account(role)``."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import brownie
import pytest
from brownie import (
    DocumentRegistry,
    InvoiceRegistry,
    LuxuryCertificate,
    MockUSDC,
    ParticipantRegistry,
    ProductRegistry,
    TradeEscrow,
    accounts,
    web3,
)
from helpers import INVOICE, INVOICE_KEY, ROLE, free_port, lei, lei_bytes, run, shared_dir

from tradechain.chain import accounts as tc_accounts
from tradechain.chain.deployments import Deployment
from tradechain.chain.network import Network, connect
from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec, sscc_unit
from tradechain.formats.gs1 import with_check_digit
from tradechain.suite import deploy_suite


def _matches_with_immutables(address: str, expected_bytecode: str, language: str) -> bool:
    """Brownie's check that a deployed contract runs its build's code, allowing Solidity immutables.

    Brownie compares the code at the address with the build's deployedBytecode byte for byte, but solc leaves
    32 zero bytes in deployedBytecode where each immutable goes and fills them in at deployment: every contract of
    ours with an immutable (the registry address) fails that check, and Brownie then drops its pcMap, so it is
    never traced and never appears in the coverage report. Here a byte may differ only inside a run of at least
    32 zero bytes of the expected code; lengths must match; the metadata tail is ignored as Brownie does."""
    actual = bytes(web3.eth.get_code(address))  # type: ignore[arg-type]
    expected = bytes.fromhex(expected_bytecode.removeprefix("0x"))
    if language != "Solidity" or "_" in expected_bytecode or not expected or not actual:
        return bool(_brownie_verify(address, expected_bytecode, language))

    def strip_metadata(code: bytes) -> bytes:
        return code[: -(int.from_bytes(code[-2:], "big") + 2)]

    actual, expected = strip_metadata(actual), strip_metadata(expected)
    if len(actual) != len(expected):
        return False
    zero_run = [0] * len(expected)  # length of the run of zero bytes each zero byte belongs to
    i = 0
    while i < len(expected):
        if expected[i] != 0:
            i += 1
            continue
        j = i
        while j < len(expected) and expected[j] == 0:
            j += 1
        zero_run[i:j] = [j - i] * (j - i)
        i = j
    return all(a == e or zero_run[k] >= 32 for k, (a, e) in enumerate(zip(actual, expected, strict=True)))


_brownie_verify: Any = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``--coverage``: the Anvil Brownie launches traces steps (``--steps-tracing``), from which Brownie
        evaluates coverage, contracts with immutables keep their pcMap (see ``_matches_with_immutables``), and the SDK's
    transactions and calls are traced too (``sdk_coverage``). A plain
        run goes without either, which keeps it fast. (Brownie connects after collection, so the setting is in place
        before Anvil starts.)"""
    global _brownie_verify
    if session.config.getoption("coverage", default=False):
        import brownie.network.contract as brownie_contract
        from brownie._config import CONFIG

        network = CONFIG.argv.get("network") or CONFIG.settings["networks"]["default"]
        CONFIG.networks[network].setdefault("cmd_settings", {})["steps_tracing"] = True
        if _brownie_verify is None:
            _brownie_verify = brownie_contract._verify_deployed_code
            brownie_contract._verify_deployed_code = _matches_with_immutables
            import sdk_coverage

            sdk_coverage.install()


@pytest.fixture(autouse=True)
def isolate(fn_isolation: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test in its own chain snapshot, with its own off-chain serial store."""
    monkeypatch.setenv("TRADECHAIN_SERIALS", str(tmp_path / "serials"))


def dev(role: str) -> Any:
    """Brownie's account of a dev role (``tradechain.chain.accounts.DEV_ROLES``)."""
    return accounts[tc_accounts.DEV_ROLES.index(role)]


def now() -> int:
    """The latest block's time (Brownie's chain.time() drifts from the node's across snapshot reverts)."""
    return int(web3.eth.get_block("latest")["timestamp"])


@pytest.fixture(scope="session")
def admin() -> Any:
    return dev("admin")


@pytest.fixture(scope="session")
def brand() -> Any:
    return dev("brand")


@pytest.fixture(scope="session")
def manufacturer() -> Any:
    return dev("manufacturer")


@pytest.fixture(scope="session")
def carrier() -> Any:
    return dev("carrier")


@pytest.fixture(scope="session")
def financier() -> Any:
    return dev("financier")


@pytest.fixture(scope="session")
def regulator() -> Any:
    return dev("regulator")


@pytest.fixture(scope="session")
def inspector() -> Any:
    return dev("inspector")


@pytest.fixture(scope="session")
def retailer() -> Any:
    return dev("retailer")


@pytest.fixture(scope="session")
def outsider() -> Any:
    return dev("outsider")


# ------------------------------------------------------------------ identities


def reverts_with(name: str, *args: Any) -> Any:
    """``brownie.reverts`` for a custom error with exactly these arguments, as Brownie renders them
    (``Name: arg1, arg2``; addresses lower case, bytes as their Python repr)."""

    def show(v: Any) -> str:
        if hasattr(v, "address"):
            v = v.address
        if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
            return v.lower()
        if isinstance(v, bytes):
            return repr(v)
        return str(v)

    text = name + (": " + ", ".join(show(a) for a in args) if args else "")
    return brownie.reverts(revert_pattern=re.escape(text) + ("$" if args else "(:.*)?$"))


# ------------------------------------------------------------------ contracts (Brownie)


@pytest.fixture(scope="module")
def registry(admin: Any) -> Any:
    return ParticipantRegistry.deploy(admin, {"from": admin})


MEMBER_ROLES = ("brand", "manufacturer", "carrier", "financier", "regulator", "inspector", "retailer")
# The GS1 company prefixes `members` licenses (digit strings: their length counts). A GTIN-14 carries its prefix
# after the indicator digit, an SSCC after the extension digit; the longest licensed prefix wins.
MEMBER_PREFIXES = {
    "brand": (
        "9506000",  # GTINs 0 9506000 xxxxx c (the GS1 example GTIN 09506000134352)
        "0614141",  # SSCCs 1 0614141 xxxxxxxxx c (the GS1 example SSCC 106141411234567897): the brand packs them
    ),
    "manufacturer": (
        "950600099",  # GTINs 0 950600099 xxx c: cut out of the brand's 9506000 (GTIN_B 09506000999999)
        "8850000",  # GTINs 0 8850000 xxxxx c (the cans 08850000000010)
    ),
}


def assign_prefixes(registry: Any, admin: Any, orgs: dict[str, int], prefixes: Mapping[str, tuple[str, ...]]) -> None:
    """Licenses each prefix of ``prefixes`` (role: prefixes) to the organisation of that role (Brownie)."""
    for role, held in prefixes.items():
        for prefix in held:
            registry.assignCompanyPrefix(int(prefix), len(prefix), orgs[role], {"from": admin})


@pytest.fixture(scope="module")
def members(registry: Any, admin: Any) -> dict[str, int]:
    """One admitted organisation per role, its dev account as manager: {role name: organisation id}; the brand and
    the manufacturer licensed the company prefixes of ``MEMBER_PREFIXES``."""
    out = {}
    for i, role in enumerate(MEMBER_ROLES, start=1):
        tx = registry.admit(lei_bytes(i), 0, b"DE", ROLE[role], b"\0" * 32, dev(role), {"from": admin})
        out[role] = tx.events["OrganisationAdmitted"]["organisation"]
    assign_prefixes(registry, admin, out, MEMBER_PREFIXES)
    return out


@pytest.fixture(scope="module")
def certificates(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return LuxuryCertificate.deploy(registry, {"from": admin})


@pytest.fixture(scope="module")
def products(registry: Any, members: dict[str, int], admin: Any) -> Any:
    return ProductRegistry.deploy(registry, {"from": admin})


def deploy_contracts(registry: Any, admin: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """The suite's other contracts on ``registry``, in the suite's deployment order, and a MockUSDC (Brownie):
    (products, documents, escrow, invoices, certificates, usdc)."""
    sender = {"from": admin}
    products = ProductRegistry.deploy(registry, sender)
    documents = DocumentRegistry.deploy(registry, sender)
    escrow = TradeEscrow.deploy(registry, documents, sender)
    invoices = InvoiceRegistry.deploy(registry, sender)
    certificates = LuxuryCertificate.deploy(registry, sender)
    return products, documents, escrow, invoices, certificates, MockUSDC.deploy(sender)


# ------------------------------------------------------------------ the SDK on the same chain


@pytest.fixture(scope="session")
def rpc_url() -> str:
    return str(web3.provider.endpoint_uri)


@pytest.fixture(scope="session")
def w3_sdk(rpc_url: str) -> Any:
    return connect(Network("brownie", rpc_url))


@pytest.fixture(scope="module")
def sdk_deployment(w3_sdk: Any) -> Deployment:
    """The suite deployed through the SDK (not Brownie), kept for the module."""
    return deploy_suite(Client(w3_sdk, tc_accounts.dev_account("admin")), save=False)


SDK_MEMBERS = {  # role: (country, roles)
    "brand": ("IT", "brand"),
    "manufacturer": ("TH", "manufacturer"),
    "carrier": ("SG", "carrier"),
    "retailer": ("NL", "retailer"),
    "regulator": ("BE", "regulator"),
    "inspector": ("CH", "inspector"),
    "customs": ("NL", "customs"),
    "buyer": ("FR", "retailer"),
    "carrier2": ("CN", "certifier"),  # a chamber of commerce
    "financier": ("KE", "financier"),
    "financier2": ("DE", "financier"),
    "arbiter": ("FR", "certifier"),  # an arbitration body (a chamber of commerce): arbiters act as members
}


SDK_PREFIXES = {  # role: the company prefixes licensed to it in the SDK deployment
    "brand": ("8999990",),  # the tuna, GTINs 0 8999990 xxxxx c
    "manufacturer": (
        "8888880",  # the cans (GTINs 0 8888880 xxxxx c) and the containers they go in (SSCCs 0 8888880 xxxxxxxxx c)
        "8900000",  # the medicine, GTINs 0 8900000 xxxxx c
    ),
}


@pytest.fixture(scope="module")
def sdk_members(w3_sdk: Any, sdk_deployment: Deployment) -> dict[str, int]:
    """Organisations admitted through the SDK into the SDK deployment, their dev account as manager; the brand and
    the manufacturer licensed the company prefixes of ``SDK_PREFIXES``."""
    admin = Client(w3_sdk, tc_accounts.dev_account("admin"), deployment=sdk_deployment)
    out = {}
    for i, (role, (country, roles)) in enumerate(SDK_MEMBERS.items(), start=100):
        out[role] = admin.participants.admit(
            lei=lei(i), country=country, roles=roles, manager=tc_accounts.dev_account(role).address
        ).organisation
    for role, held in SDK_PREFIXES.items():
        for prefix in held:
            admin.participants.assign_company_prefix(prefix, out[role])
    return out


# Products of the SDK deployment's members (their company prefixes are in SDK_PREFIXES).
TUNA = with_check_digit("0899999000001")  # the brand's
CANS = with_check_digit("0888888000001")  # the manufacturer's, like the SSCC
SSCC = with_check_digit("08888880000000001")  # a container of the manufacturer's
MED = with_check_digit("0890000000001")  # the manufacturer's medicine
EXP = date(2030, 6, 30)


@pytest.fixture
def chain_of_custody(sdk_as: Any, sdk_members: dict[str, int]) -> dict[str, Any]:
    """Tuna caught (brand, ID), canned (manufacturer, TH), packed in a container (SSCC), shipped by a carrier to a
    retailer (NL), all through the SDK: {"tuna", "cans": lot ids (bytes), "members": sdk_members, "retailer",
    "brand": their clients}."""
    brand, maker, carrier, retailer = (sdk_as(r) for r in ("brand", "manufacturer", "carrier", "retailer"))
    brand.products.claim_gtin(TUNA)
    tuna, _ = brand.products.register_lot(LotSpec(TUNA, "TUNA-42", EXP, "ID"))
    brand.products.ship(tuna, sdk_members["manufacturer"])
    maker.products.receive(tuna)
    maker.products.claim_gtin(CANS)
    (cans,), _ = maker.products.transform([tuna], [LotSpec(CANS, "CAN-7", EXP, "TH")])
    maker.products.pack(sscc_unit(SSCC), [cans])
    maker.products.ship(sscc_unit(SSCC), sdk_members["carrier"])
    carrier.products.receive(sscc_unit(SSCC))
    carrier.products.ship(sscc_unit(SSCC), sdk_members["retailer"])
    retailer.products.receive(sscc_unit(SSCC))
    return {"tuna": tuna, "cans": cans, "members": sdk_members, "retailer": retailer, "brand": brand}


@pytest.fixture
def sdk(w3_sdk: Any, sdk_deployment: Deployment) -> Client:
    """An SDK client signing as the dev admin; new per test (its nonce cache must not outlive a snapshot)."""
    return Client(w3_sdk, tc_accounts.dev_account("admin"), deployment=sdk_deployment)


@pytest.fixture
def sdk_as(w3_sdk: Any, sdk_deployment: Deployment) -> Any:
    def make(role: str) -> Client:
        return Client(w3_sdk, tc_accounts.dev_account(role), deployment=sdk_deployment)

    return make


@pytest.fixture
def cli_env(tmp_path: Path, rpc_url: str, sdk_deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for the CLI: Brownie's chain, the SDK deployment recorded in a temporary folder."""
    from tradechain.chain import deployments

    monkeypatch.setenv("TRADECHAIN_RPC_URL", rpc_url)
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path / "deployments"))
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRADECHAIN_PASSWORD", raising=False)
    deployments.save(sdk_deployment)
    return tmp_path


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated process of ours (``sleep 60``), which a stale pid file of a test names."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def tx_count(address: str) -> int:
    return int(web3.eth.get_transaction_count(address))


def assert_bad_input(args: list[str], message: str) -> None:
    """``tradechain ARGS`` is a bad input: exit 2, one stderr line that starts with ``message``, and the admin sent
    nothing."""
    admin = tc_accounts.dev_account("admin").address
    before = tx_count(admin)
    result = run(*args)
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tx_count(admin) == before


__all__ = [
    "INVOICE",
    "INVOICE_KEY",
    "ROLE",
    "free_port",
    "lei",
    "lei_bytes",
    "shared_dir",
]  # the plain helpers, re-exported

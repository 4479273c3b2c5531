"""The entry point of the SDK: a connection, a signer and the deployed suite.

client = tradechain.client.connect(account="admin")        # local chain, dev account
org = client.participants.admit(lei=..., country="DE", roles="manufacturer", manager=addr)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from tradechain.chain import accounts, artifacts, deployments, network
from tradechain.chain.reverts import decode_revert
from tradechain.chain.tx import Call, Receipt, Transactor
from tradechain.contracts.registry import SuiteContracts
from tradechain.errors import DeploymentMissing, InputError, TransactionFailed


class Client(SuiteContracts):
    """A connection to one chain, optionally with a signer. The contract clients are its attributes, one per row of
    the contract registry (:class:`~tradechain.contracts.registry.SuiteContracts`): ``client.escrow`` is the
    :class:`~tradechain.contracts.trade_escrow.EscrowClient` of the deployed ``TradeEscrow``, bound on first use."""

    def __init__(
        self,
        w3: Web3,
        signer: LocalAccount | None = None,
        *,
        confirmations: int = 1,
        rpc_url: str = "",
        deployment: deployments.Deployment | None = None,
    ) -> None:
        self.w3 = w3
        self.rpc_url = rpc_url or str(getattr(w3.provider, "endpoint_uri", ""))
        self.chain_id: int = getattr(w3, "tradechain_chain_id", None) or w3.eth.chain_id
        self.confirmations = confirmations
        self.signer: LocalAccount | None = None
        self.transactor: Transactor | None = None
        self._checked_code: set[str] = set()
        self._names: dict[str, str] = {}  # address -> contract name, of the contracts this client has bound
        if deployment is not None:
            self.__dict__["deployment"] = deployment
        if signer is not None:
            self.set_signer(signer)

    def set_signer(self, signer: LocalAccount) -> None:
        self.signer = signer
        self.transactor = Transactor(self.w3, signer, confirmations=self.confirmations)

    def use_account(self, name: str, password: str | None = None) -> None:
        """Signs from now on with a dev account by role name (local chain only) or a keystore by name."""
        self.set_signer(accounts.resolve_signer(name, self.chain_id, password))

    # -------------------------------------------------------------- deployment

    @cached_property
    def deployment(self) -> deployments.Deployment:
        return deployments.load(self.chain_id)

    def address_of(self, name: str) -> str:
        address = self.deployment.address(name)
        if address not in self._checked_code:
            code = self.w3.eth.get_code(to_checksum_address(address))
            if len(code) == 0:
                raise DeploymentMissing(
                    f"{name} is recorded at {address} on chain {self.chain_id}, but there is no code there "
                    "(was the node reset?): run `tradechain deploy`"
                )
            self._checked_code.add(address)
        return address

    def contract(self, name: str, address: str | None = None) -> Contract:
        """A web3 contract with the ABI from the build artifacts, at its deployed address by default."""
        abi = artifacts.load(name).abi
        checksummed = to_checksum_address(address or self.address_of(name))
        self._names[checksummed] = name  # a revert from this address is read against this contract's ABI first
        return self.w3.eth.contract(address=checksummed, abi=abi)

    def chain_time(self) -> int:
        """The latest block's timestamp (Unix seconds): the chain's clock, which deadlines are measured against."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    # -------------------------------------------------------------- sending

    def require_signer(self) -> Transactor:
        if self.transactor is None:
            raise InputError("account", "this command sends a transaction: give --account NAME")
        return self.transactor

    def send(
        self, contract: Contract, fn: str, *args: Any, label: str = "", gas: int | None = None, value: int = 0
    ) -> Receipt:
        data = bytes.fromhex(contract.encode_abi(fn, args=list(args))[2:])
        name = self._names.get(contract.address, "")
        return self.require_signer().send(Call(contract.address, data, value, label or fn, gas, name))

    def call(self, contract: Contract, fn: str, *args: Any, block: int | str = "latest") -> Any:
        """A view call (at ``block``); a revert becomes the decoded custom error."""
        try:
            return contract.functions[fn](*args).call(block_identifier=block)  # type: ignore[arg-type]
        except ContractLogicError as exc:
            data = exc.data if isinstance(exc.data, str) else None
            raise decode_revert(data, self._names.get(contract.address)) from None

    def deploy(self, name: str, *args: Any, label: str = "") -> Receipt:
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        data = bytes.fromhex(factory.constructor(*args).data_in_transaction[2:])
        receipt = self.require_signer().send(Call(None, data, label=label or f"deploy {name}"))
        if not receipt.contract_address:
            raise TransactionFailed(f"deploying {name} returned no contract address")
        return receipt

    @staticmethod
    def events(contract: Contract, receipt: Receipt, event: str) -> list[dict[str, Any]]:
        """The decoded ``event`` logs of ``contract`` in a receipt, as plain dicts of their arguments."""
        from web3.logs import DISCARD

        return [dict(e["args"]) for e in contract.events[event]().process_receipt(receipt.raw, errors=DISCARD)]


def connect(
    network_name: str | None = None,
    rpc_url: str | None = None,
    account: str | None = None,
    password: str | None = None,
    confirmations: int = 1,
    attempts: int = 4,
) -> Client:
    """Connects to a network (``--network``/``--rpc-url``; the local chain by default) with a signer: a dev
    account by role name (local chain only) or a keystore by name."""
    net = network.resolve(network_name, rpc_url)
    w3 = network.connect(net, attempts=attempts)
    client = Client(w3, confirmations=confirmations, rpc_url=net.rpc_url)
    if account:
        client.use_account(account, password)
    return client

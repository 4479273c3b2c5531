"""The contract registry: the one table of the suite's contracts, in deployment order.

Each row names a contract, the SDK client class bound to it, what its constructor takes (the consortium admin and/or
the addresses of contracts deployed before it, in order), whether the indexer reads its events, and whether it is
deployed on the local dev chain only. The table drives:

- the :class:`~tradechain.client.Client` attributes: ``Client`` derives from :class:`SuiteContracts`, whose rows are
  descriptors, so ``client.escrow`` is the ``EscrowClient`` of the deployed ``TradeEscrow`` (bound on first use,
  then cached) and a type checker knows it;
- :func:`tradechain.suite.deploy_suite`: what it deploys, in which order, with which constructor arguments;
- :mod:`tradechain.indexer`: the contracts whose events it reads.

A new contract is one row here (and its client module, built on :class:`~tradechain.contracts.base.ContractClient`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from tradechain.contracts.base import ContractClient
from tradechain.contracts.document_registry import DocumentClient
from tradechain.contracts.dvp_settlement import DvPClient
from tradechain.contracts.invoice_registry import InvoiceRegistryClient
from tradechain.contracts.luxury_certificate import CertificateClient
from tradechain.contracts.participant_registry import ParticipantRegistryClient
from tradechain.contracts.product_registry import ProductRegistryClient
from tradechain.contracts.risk_registry import RiskRegistryClient
from tradechain.contracts.title_registry import TitleClient
from tradechain.contracts.trade_escrow import EscrowClient

if TYPE_CHECKING:
    from tradechain.client import Client

C = TypeVar("C", bound=ContractClient)

ADMIN = "admin"
"""In a row's ``constructor``: the consortium admin (``deploy_suite``'s ``admin``, by default its signer)."""


@dataclass(frozen=True)
class ContractRow(Generic[C]):
    """One contract of the suite. As an attribute of :class:`SuiteContracts` it is also the ``Client`` attribute of
    that name: the contract's SDK client, made on first read and then kept in the client's ``__dict__`` (as
    ``functools.cached_property`` does)."""

    name: str
    """The contract: its build artifact and its entry in the deployment record."""
    client_class: type[C] | None = None
    """Its SDK client (``None``: no client attribute, as for the dev chain's mock token)."""
    constructor: tuple[str, ...] = ()
    """The constructor's arguments, in order: :data:`ADMIN` or the name of a contract deployed before this one (the
    constructor types each contract as its interface, ``I<name>``, and names the admin ``admin``)."""
    indexed: bool = False
    """Whether the indexer reads its events."""
    dev_only: bool = False
    """Deployed on the local dev chain only (``tradechain.chain.project.DEV_CHAIN_ID``)."""
    attribute: str = field(default="", init=False)
    """The ``Client`` attribute bound to it: its name in :class:`SuiteContracts` ("" outside it)."""

    def __post_init__(self) -> None:
        if self.client_class is not None and self.name != self.client_class.NAME:
            raise TypeError(f"the row of {self.name} binds {self.client_class.__name__}, a client of another contract")

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if self.attribute:
            raise TypeError(f"the row of {self.name} is already the attribute {self.attribute!r}")
        object.__setattr__(self, "attribute", name)

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(self, obj: Client, owner: type[Any] | None = None) -> C: ...

    def __get__(self, obj: Client | None, owner: type[Any] | None = None) -> Self | C:
        if obj is None:
            return self
        if self.client_class is None:
            raise AttributeError(f"{self.name} has no SDK client")
        bound = self.client_class(obj)
        obj.__dict__[self.attribute] = bound  # later reads find it on the instance: one client per Client
        return bound


class SuiteContracts:
    """The rows bound by a client, in deployment order (``Client`` derives from this class)."""

    participants = ContractRow("ParticipantRegistry", ParticipantRegistryClient, (ADMIN,), indexed=True)
    products = ContractRow("ProductRegistry", ProductRegistryClient, ("ParticipantRegistry",), indexed=True)
    certificates = ContractRow("LuxuryCertificate", CertificateClient, ("ParticipantRegistry",), indexed=True)
    documents = ContractRow("DocumentRegistry", DocumentClient, ("ParticipantRegistry",))
    escrow = ContractRow("TradeEscrow", EscrowClient, ("ParticipantRegistry", "DocumentRegistry"))
    invoices = ContractRow("InvoiceRegistry", InvoiceRegistryClient, ("ParticipantRegistry",))
    risk = ContractRow("RiskRegistry", RiskRegistryClient, ("ParticipantRegistry",))
    titles = ContractRow("TitleRegistry", TitleClient, ("ParticipantRegistry", "DocumentRegistry"))
    dvp = ContractRow(
        "DvPSettlement",
        DvPClient,
        ("ParticipantRegistry", "DocumentRegistry", "InvoiceRegistry", "TitleRegistry"),
    )


DEV_CONTRACTS: tuple[ContractRow[Any], ...] = (
    ContractRow("MockUSDC", dev_only=True),  # a 6-decimal ERC-20 to escrow on the local chain
)
"""Rows no client binds, deployed after the suite on the local dev chain only."""

CONTRACTS: tuple[ContractRow[Any], ...] = (
    *(row for row in vars(SuiteContracts).values() if isinstance(row, ContractRow)),
    *DEV_CONTRACTS,
)
"""The whole table, in deployment order."""

INDEXED: tuple[str, ...] = tuple(row.name for row in CONTRACTS if row.indexed)
"""The contracts whose events the indexer reads."""


def row(name: str) -> ContractRow[Any]:
    """The row of contract ``name``."""
    for r in CONTRACTS:
        if r.name == name:
            return r
    raise KeyError(f"{name} is not a contract of the suite")

"""What every contract client shares: the web3 contract bound by the contract's name, sending through the
transaction layer (:meth:`tradechain.client.Client.send`: its idempotent journal and revert decoding), view calls
with decoded reverts, and the events of a receipt or of the contract since its deployment.

A client of a new contract::

    class WidgetClient(ContractClient, name="Widget"):
        def make(self, size: int) -> Receipt:
            return self._send("make", size)  # labelled "Widget.make"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from web3.contract import Contract

    from tradechain.chain.tx import Receipt
    from tradechain.client import Client


class ContractClient:
    """The SDK client of one contract of the suite, at its deployed address (or at ``address``)."""

    NAME: ClassVar[str]
    """The contract's name: its build artifact, its entry in the deployment record, the label of its sends."""

    def __init_subclass__(cls, *, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.NAME = name
        if not getattr(cls, "NAME", ""):
            raise TypeError(f"{cls.__name__} names no contract: class {cls.__name__}(ContractClient, name=...)")

    def __init__(self, client: Client, address: str | None = None) -> None:
        self.client = client
        self.contract: Contract = client.contract(self.NAME, address)
        self.address = self.contract.address

    def _send(self, fn: str, *args: Any, label: str = "") -> Receipt:
        """Sends ``fn(*args)`` with the client's signer, labelled ``<NAME>.<fn>`` unless ``label`` is given."""
        return self.client.send(self.contract, fn, *args, label=label or f"{self.NAME}.{fn}")

    def _call(self, fn: str, *args: Any, block: int | str = "latest") -> Any:
        """A view call (at ``block``); a revert becomes the decoded custom error."""
        return self.client.call(self.contract, fn, *args, block=block)

    def _events(self, receipt: Receipt, event: str) -> list[dict[str, Any]]:
        """The decoded ``event`` logs of this contract in ``receipt``, as plain dicts of their arguments."""
        return self.client.events(self.contract, receipt, event)

    @property
    def _deployed_at(self) -> int:
        """The block the contract was deployed in (where reading its event history starts)."""
        return self.client.deployment.contracts[self.NAME].block

    def _event_logs(self, event: str, argument_filters: dict[str, Any] | None = None) -> list[Any]:
        """The ``event`` logs of this contract since its deployment, matching ``argument_filters``, as the node
        returned them."""
        found = self.contract.events[event]().get_logs(from_block=self._deployed_at, argument_filters=argument_filters)
        return list(found)

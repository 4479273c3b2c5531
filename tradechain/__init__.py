"""tradechain: cross-border supply chain and trade finance on EVM chains.

The SDK is usable without Brownie: ``tradechain.connect()`` returns a :class:`~tradechain.client.Client`
that holds the connection, the signer and the deployed contracts.
"""

from tradechain.errors import ContractRevert, InputError, TradechainError

__all__ = ["ContractRevert", "InputError", "TradechainError", "__version__"]
__version__ = "0.1.0"

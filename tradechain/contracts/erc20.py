"""An ERC-20 token, such as the stablecoin an escrow holds: what the CLI reads of it (its ``decimals()``, to take
amounts in token units), through OpenZeppelin's ``ERC20`` ABI (the standard functions and the ERC-6093 errors) from
the build artifacts.

A token is named by the user (``escrow open --token``): an address without code, or a contract without
``decimals()``, is an :class:`~tradechain.errors.InputError` naming that input, never a web3 exception."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import to_checksum_address
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from tradechain.errors import InputError

if TYPE_CHECKING:
    from web3.contract import Contract

    from tradechain.client import Client

ABI = "ERC20"  # the artifact whose ABI a token is read with: any ERC-20 answers these functions


class Token:
    """The token at ``address``. ``field`` and ``given`` (the input that named it, as the user wrote it) are what
    its errors name."""

    def __init__(self, client: Client, address: str, *, field: str = "token", given: str | None = None) -> None:
        self.client = client
        self.address = to_checksum_address(address)
        self.field = field
        self.given = given

    def require_contract(self) -> None:
        """Refuses an address with no code on this chain (a typo, another chain's token)."""
        if not self.client.w3.eth.get_code(self.address):
            raise InputError(
                self.field, "no contract at this address on this chain (an ERC-20 token is needed)", self.given
            )

    @property
    def contract(self) -> Contract:
        return self.client.contract(ABI, self.address)

    def decimals(self) -> int:
        """The token's ``decimals()``: how many digits of an amount are after the point."""
        try:
            return int(self.contract.functions.decimals().call())
        except (BadFunctionCallOutput, ContractLogicError):
            raise InputError(self.field, "not an ERC-20 token (it has no decimals())", self.given) from None

"""An ERC-20 token, such as the stablecoin an escrow holds: what the CLI reads of it (its ``decimals()``, to take
amounts in token units; its ``symbol()``, to show them: ``500,000.00 USDC``), through OpenZeppelin's ``ERC20`` ABI
(the standard functions and the ERC-6093 errors) from the build artifacts.

A token is named by the user (``escrow open --token``): an address without code, or a contract without
``decimals()``, is an :class:`~tradechain.errors.InputError` naming that input, never a web3 exception."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from tradechain.errors import InputError

if TYPE_CHECKING:
    from web3.contract import Contract

    from tradechain.client import Client

ABI = "ERC20"  # the artifact whose ABI a token is read with: any ERC-20 answers these functions

_SYMBOL = re.compile(r"[A-Za-z0-9.$_+-]{1,16}")  # a symbol shown as it is; any other is not shown
_UNREADABLE = (BadFunctionCallOutput, ContractLogicError, DecodingError, OverflowError, UnicodeDecodeError)


def format_units(units: int, decimals: int) -> str:
    """An amount in smallest units as token units, exactly, thousands separated, at least two decimals when the
    token has them: ``500_000_000_000`` with 6 decimals is ``500,000.00``, ``1_234_567`` is ``1.234567``."""
    sign, units = ("-", -units) if units < 0 else ("", units)
    whole, fraction = divmod(units, 10**decimals)
    text = f"{sign}{whole:,}"
    if decimals:
        digits = f"{fraction:0{decimals}d}".rstrip("0").ljust(min(2, decimals), "0")
        text += f".{digits}"
    return text


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
        return self._decimals

    @functools.cached_property
    def _decimals(self) -> int:
        try:
            return int(self.contract.functions.decimals().call())
        except (BadFunctionCallOutput, ContractLogicError):
            raise InputError(self.field, "not an ERC-20 token (it has no decimals())", self.given) from None

    @functools.cached_property
    def _symbol(self) -> str | None:
        try:
            value = self.contract.functions.symbol().call()
        except _UNREADABLE:
            return None
        return value if isinstance(value, str) and _SYMBOL.fullmatch(value) else None

    def symbol(self) -> str | None:
        """The token's ``symbol()`` ("USDC"), or None: a token without one, or with one that is not a short plain
        word (letters, digits and ``.$_+-``, at most 16), which is not shown."""
        return self._symbol

    def show(self, units: int) -> str:
        """``units`` (smallest units) as people read them: ``500,000.00 USDC``, or ``500,000.00 units of 0x…`` when
        the token has no readable symbol, or ``500000000000 base units of 0x…`` when it has no ``decimals()``."""
        try:
            amount = format_units(units, self.decimals())
        except InputError:
            return f"{units} base units of {self.address}"
        symbol = self.symbol()
        return f"{amount} {symbol}" if symbol else f"{amount} units of {self.address}"

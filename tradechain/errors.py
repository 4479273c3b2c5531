"""The exceptions of tradechain. Every one carries a one-line ``user_message``; the CLI prints only that.

``InputError`` (bad input, exit code 2) names the field and the rule it breaks. ``ContractRevert`` is raised
for a Solidity custom error: one subclass per error name (``revert_class("OrganisationIsSuspended")``),
carrying the error's named arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class TradechainError(Exception):
    """Base of every tradechain error."""

    exit_code: ClassVar[int] = 1

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InputError(TradechainError, ValueError):
    """A value given by the user breaks a rule. Nothing was sent to the chain."""

    exit_code = 2

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")
        self.field = field
        self.rule = rule
        self.value = value


class NodeUnreachable(TradechainError, ConnectionError):
    """The JSON-RPC endpoint did not answer, after retries."""


class WrongChain(TradechainError):
    """The node serves another chain than the one expected (by the network config or the deployment)."""

    exit_code = 2


class DeploymentMissing(TradechainError, LookupError):
    """No deployment of the suite (or of one contract) is recorded for this chain."""


class KeystoreError(TradechainError):
    """A keystore could not be read or decrypted (a wrong password, a missing file)."""

    exit_code = 2


class TransactionFailed(TradechainError):
    """A transaction reverted without a custom error we can decode, or was dropped."""


class TransactionUnresolved(NodeUnreachable):
    """The node was lost (or stayed silent) while transactions were in flight. ``outcomes`` says per transaction
    what is known: ``mined`` (with its receipt), ``pending`` (its hash: it may still be mined), ``unknown`` (it
    may have reached the node) or ``not sent``. The message says what is safe to do next."""

    def __init__(self, user_message: str, outcomes: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.outcomes = list(outcomes)


class BatchRefused(TransactionFailed):
    """The node refused a transaction of a batch. ``outcomes`` says per transaction what was accepted (its hash,
    its receipt), refused (the reason) or cancelled (replaced by a 0-value transfer to self at its nonce, so that
    no later send fills the nonce gap and runs it by surprise)."""

    def __init__(self, user_message: str, outcomes: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.outcomes = list(outcomes)


class FeeAboveCap(TransactionFailed):
    """The fee the node asks is above the network's cap (``max_fee_gwei``): refused before signing, nothing
    sent."""

    def __init__(self, user_message: str, *, asked_wei: int, cap_wei: int) -> None:
        super().__init__(user_message)
        self.asked_wei = asked_wei
        self.cap_wei = cap_wei


class TransactionReorganised(TransactionFailed):
    """A mined transaction's block is no longer on the canonical chain, and the transaction is not included in
    another block of it: it is pending again or unknown (``state``)."""

    def __init__(self, user_message: str, *, tx_hash: str, block_number: int, state: str) -> None:
        super().__init__(user_message)
        self.tx_hash = tx_hash
        self.block_number = block_number
        self.state = state


class UnsettledNonces(TransactionFailed):
    """Transactions of this account wait behind a nonce gap (a refused transaction of a batch whose later ones
    could not be cancelled): the next send would fill the gap and run them, so sending is refused until they are
    settled. ``stranded`` lists (nonce, hash)."""

    def __init__(self, user_message: str, stranded: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(user_message)
        self.stranded = list(stranded)


class NearDuplicateFound(TradechainError):
    """An invoice to finance resembles one financed or settled already (a near-duplicate: every field but one the
    same; in a portfolio, also another invoice of it), and the financier did not accept it: nothing was sent.
    ``found`` lists the near-duplicates as JSON objects (which invoice, which one it resembles, the fields that
    match and the one that differs)."""

    exit_code = 5

    def __init__(self, user_message: str, found: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.found = list(found)


class ContractRevert(TradechainError):
    """A call reverted with a Solidity custom error. Subclassed per error name, see :func:`revert_class`.

    ``contract`` names the contract whose ABI gave the error (the called contract when it declares it), ``data``
    is the raw revert data."""

    error_name: ClassVar[str] = ""

    def __init__(
        self, error_name: str, args: dict[str, Any], description: str = "", *, contract: str = "", data: bytes = b""
    ) -> None:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        text = f"{error_name}({shown})"
        if description:
            text += f": {description}"
        super().__init__(text)
        self.args_by_name = args
        self.description = description
        self.contract = contract
        self.data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["args_by_name"][name]
        except KeyError:
            raise AttributeError(name) from None


_REVERT_CLASSES: dict[str, type[ContractRevert]] = {}


def revert_class(error_name: str) -> type[ContractRevert]:
    """The exception class of a Solidity custom error, by its name (created on first use)."""
    cls = _REVERT_CLASSES.get(error_name)
    if cls is None:
        cls = type(error_name, (ContractRevert,), {"error_name": error_name, "__module__": __name__})
        _REVERT_CLASSES[error_name] = cls
    return cls


def _show(value: object) -> str:
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if text and all(0x20 < b < 0x7F for b in text):  # identifiers stored as ASCII (an LEI, a country)
            return repr(text.decode())
        return "0x" + value.hex()
    return str(value)

"""The exceptions of tradechain, and :class:`ExitCode`, the one table of what every command's exit code means.

Every exception carries a one-line ``user_message``; the CLI prints only that (or, with ``--json``, its
:meth:`TradechainError.to_json`). ``InputError`` (bad input, exit code 2) names the field and the rule it breaks.
``ContractRevert`` is raised for a Solidity custom error: one subclass per error name
(``revert_class("OrganisationIsSuspended")``), carrying the error's named arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any, ClassVar


class ExitCode(IntEnum):
    """What a command's exit code means, the same in every command. A verdict (``verify``, ``cert verify``,
    ``doc verify``, ``invoice check``, ``node status``) prints its answer on stdout, as text or ``--json``, and
    exits with the code of its class; an error prints one line on stderr (one JSON object with ``--json``).

    Negative verdicts are split by what the person scanning must do: 3, the thing is not what it claims (reject
    it, suspect a forgery); 4, it is genuine but withdrawn from use (do not accept it: it was reported, revoked,
    recalled, used up or is past its date); 5, a near-duplicate, which only a human can judge; 6, nothing is known
    against it, but its proof could not be checked here (ask the brand for it). 1 and 2 stay as before: scripts
    that test ``$? -eq 1`` for a refusal keep working."""

    OK = 0  # success; a verdict of genuine, valid, clean, a replay that matches, or a running node
    REFUSED = 1  # the chain refused (or would: checked before sending), or the node is down or unreachable
    BAD_INPUT = 2  # bad input (the field and the rule), a wrong chain id, a wrong password, no terminal to ask on
    NOT_GENUINE = 3  # NOT AUTHENTIC, UNKNOWN, MISMATCH, INVALID
    WITHDRAWN = 4  # STOLEN, LOST, REVOKED, RECALLED, DECOMMISSIONED, EXPIRED, VOID, FROZEN
    NEAR_DUPLICATE = 5  # a near-duplicate of a financed invoice was found
    PROOF_UNAVAILABLE = 6  # the proof needed for a verdict is not available here (a brand's serial list)
    INTERRUPTED = 130  # Ctrl-C


# Every verdict word a command prints (its headline, and ``status``/``verdict`` in ``--json``), and its exit code.
VERDICTS: dict[str, ExitCode] = {
    "AUTHENTIC": ExitCode.OK,
    "VALID": ExitCode.OK,
    "CLEAN": ExitCode.OK,
    "RUNNING": ExitCode.OK,
    "MATCH": ExitCode.OK,
    "NOT_AUTHENTIC": ExitCode.NOT_GENUINE,
    "UNKNOWN": ExitCode.NOT_GENUINE,
    "MISMATCH": ExitCode.NOT_GENUINE,
    "INVALID": ExitCode.NOT_GENUINE,
    "STOLEN": ExitCode.WITHDRAWN,
    "LOST": ExitCode.WITHDRAWN,
    "REVOKED": ExitCode.WITHDRAWN,
    "RECALLED": ExitCode.WITHDRAWN,
    "DECOMMISSIONED": ExitCode.WITHDRAWN,
    "EXPIRED": ExitCode.WITHDRAWN,
    "VOID": ExitCode.WITHDRAWN,
    "FROZEN": ExitCode.WITHDRAWN,
    "NEAR_DUPLICATE": ExitCode.NEAR_DUPLICATE,
    "PROOF_UNAVAILABLE": ExitCode.PROOF_UNAVAILABLE,
    "NOT_RUNNING": ExitCode.REFUSED,
}


def verdict_exit(verdict: str) -> ExitCode:
    """The exit code of a verdict word (``NOT AUTHENTIC`` or ``NOT_AUTHENTIC``)."""
    return VERDICTS[verdict.upper().replace(" ", "_")]


# What each exit code is called in the ``kind`` of a JSON error.
ERROR_KINDS: dict[int, str] = {
    ExitCode.REFUSED: "refused",
    ExitCode.BAD_INPUT: "bad-input",
    ExitCode.INTERRUPTED: "interrupted",
}


class TradechainError(Exception):
    """Base of every tradechain error."""

    exit_code: ClassVar[int] = ExitCode.REFUSED
    kind: ClassVar[str] = ""  # the ``kind`` of its JSON form (else named by its exit code, ERROR_KINDS)

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message

    def to_json(self) -> dict[str, Any]:
        """The error as ``--json`` prints it: ``{"error": {"kind", "type", "message", "exitCode", ...}}`` with the
        fields of its class (an input's ``field``, ``rule`` and ``value``; a revert's ``revert`` and ``args``)."""
        code = int(self.exit_code)
        return {
            "error": {
                "kind": self.kind or ERROR_KINDS.get(code, "error"),
                "type": type(self).__name__,
                "message": self.user_message,
                "exitCode": code,
                **self._json_fields(),
            }
        }

    def _json_fields(self) -> dict[str, Any]:
        return {}


class InputError(TradechainError, ValueError):
    """A value given by the user breaks a rule. Nothing was sent to the chain."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, field: str, rule: str, value: object = None) -> None:
        shown = f" (got {value!r})" if value is not None else ""
        super().__init__(f"{field}: {rule}{shown}")
        self.field = field
        self.rule = rule
        self.value = value

    def _json_fields(self) -> dict[str, Any]:
        value = self.value if self.value is None or isinstance(self.value, (bool, int, str)) else str(self.value)
        return {"field": self.field, "rule": self.rule, "value": value}


class NodeUnreachable(TradechainError, ConnectionError):
    """The JSON-RPC endpoint did not answer, after retries."""

    kind = "node-unreachable"


class WrongChain(TradechainError):
    """The node serves another chain than the one expected (by the network config or the deployment)."""

    exit_code = ExitCode.BAD_INPUT
    kind = "wrong-chain"


class DeploymentMissing(TradechainError, LookupError):
    """No deployment of the suite (or of one contract) is recorded for this chain."""

    kind = "deployment-missing"


class KeystoreError(TradechainError):
    """A keystore could not be read or decrypted (a wrong password, a missing file)."""

    exit_code = ExitCode.BAD_INPUT
    kind = "keystore"


class TransactionFailed(TradechainError):
    """A transaction reverted without a custom error we can decode, or was dropped."""

    kind = "transaction-failed"


class TransactionUnresolved(NodeUnreachable):
    """The node was lost (or stayed silent) while transactions were in flight. ``outcomes`` says per transaction
    what is known: ``mined`` (with its receipt), ``pending`` (its hash: it may still be mined), ``unknown`` (it
    may have reached the node) or ``not sent``. The message says what is safe to do next."""

    def __init__(self, user_message: str, outcomes: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.outcomes = list(outcomes)

    def _json_fields(self) -> dict[str, Any]:
        return {"outcomes": [_outcome_json(o) for o in self.outcomes]}


class BatchRefused(TransactionFailed):
    """The node refused a transaction of a batch. ``outcomes`` says per transaction what was accepted (its hash,
    its receipt), refused (the reason) or cancelled (replaced by a 0-value transfer to self at its nonce, so that
    no later send fills the nonce gap and runs it by surprise)."""

    def __init__(self, user_message: str, outcomes: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.outcomes = list(outcomes)

    def _json_fields(self) -> dict[str, Any]:
        return {"outcomes": [_outcome_json(o) for o in self.outcomes]}


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

    exit_code = ExitCode.NEAR_DUPLICATE

    def __init__(self, user_message: str, found: Sequence[Any] = ()) -> None:
        super().__init__(user_message)
        self.found = list(found)


class ContractRevert(TradechainError):
    """A call reverted with a Solidity custom error. Subclassed per error name, see :func:`revert_class`.

    ``contract`` names the contract whose ABI gave the error (the called contract when it declares it), ``data``
    is the raw revert data."""

    kind = "chain-refusal"

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

    def _json_fields(self) -> dict[str, Any]:
        return {
            "revert": self.error_name or type(self).__name__,
            "args": {k: _json_value(v) for k, v in self.args_by_name.items()},
            "contract": self.contract or None,
        }

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


def _json_value(value: object) -> Any:
    """An argument of a custom error as JSON: integers exact, bytes as 0x hex, tuples as lists."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    return str(value)


def _outcome_json(outcome: Any) -> dict[str, Any]:
    """One transaction's outcome (``tradechain.chain.tx.Outcome``) as JSON."""
    receipt = getattr(outcome, "receipt", None)
    return {
        "index": getattr(outcome, "index", None),
        "label": getattr(outcome, "label", ""),
        "state": getattr(outcome, "state", ""),
        "txHash": getattr(outcome, "tx_hash", None),
        "nonce": getattr(outcome, "nonce", None),
        "block": getattr(receipt, "block_number", None),
        "reason": getattr(outcome, "reason", "") or None,
        "cancelHash": getattr(outcome, "cancel_hash", None),
    }

"""The history of an eBL as the SDK reads it from the chain, and the parties it names: plain frozen dataclasses,
shared by the chain client (which fills them from the TitleRegistry's logs) and the DCSA exports
(:mod:`tradechain.ebl.dcsa`, which need no chain).

Addresses are checksummed hex strings (EIP-55). ``TitleEvent.before``/``after`` are the parties a ``holder`` or
``beneficiary`` event moved the title from and to (``None``, or the zero address, where there is none: the mint at
issuance, the burn at surrender or void); ``detail`` carries what else the log says, by kind:

* ``issued``: ``issuer`` (carrier organisation id), ``document_hash``, ``holder``, ``beneficiary``
* ``nominated``: ``nominee``; ``rejected``: ``what`` (1 holder, 2 beneficiary, 3 both)
* ``approved``: ``operator`` (the contract that may take the title over, a settlement)
* ``surrender_requested`` / ``surrender_accepted``: ``for_amendment`` (bool)
* ``pledged`` / ``pledge_released``: ``pledgee`` (organisation id)
* ``frozen`` / ``unfrozen`` / ``reassigned``: ``court_order_hash``; ``remark``: ``remark_hash`` (the remark is kept
  off chain)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

TitleEventKind = Literal[
    "issued",
    "holder",
    "beneficiary",
    "nominated",
    "rejected",
    "approved",
    "surrender_requested",
    "surrender_accepted",
    "surrender_rejected",
    "pledged",
    "pledge_released",
    "frozen",
    "unfrozen",
    "voided",
    "reassigned",
    "remark",
]
TITLE_EVENT_KINDS: tuple[str, ...] = get_args(TitleEventKind)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Party:
    """Someone an eBL names (a holder, a beneficiary, the carrier): its account, its organisation in the
    MemberRegistry (``None`` for a contract such as a bank's multisig or the settlement contract), and what its
    profile publishes."""

    address: str
    organisation: int | None
    name: str
    lei: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class TitleEvent:
    """One log of a title's history, in chain order by (``block_number``, ``log_index``). ``timestamp`` is the
    block's, in seconds; ``actor`` the account that sent the transaction."""

    kind: TitleEventKind
    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int
    actor: str
    before: str | None = None
    after: str | None = None
    detail: dict[str, object] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in TITLE_EVENT_KINDS:
            raise ValueError(f"kind: one of {', '.join(TITLE_EVENT_KINDS)} (got {self.kind!r})")


def is_nobody(address: str | None) -> bool:
    """No party: ``None``, empty, or the zero address (ERC-721's mint and burn)."""
    return not address or int(address, 16) == 0

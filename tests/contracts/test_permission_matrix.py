"""Permission matrix (issues 11, 18): every external state-changing function of our nine contracts, as their compiled
ABIs list them (inherited ERC-721 and AccessControl functions included), against every class of actor:

- ``outsider``: an address with no account in the registry;
- ``member_without_role``: an active member lacking what the function needs (its role, a manager's flag, a
  company-prefix licence, ownership);
- ``suspended_member``: the right party's account, its organisation suspended;
- ``revoked_key``: the right party's account, revoked from its organisation;
- ``another_*`` (``another_manager``, ``another_party``, ``another_issuer``, ``another_financier``,
  ``another_brand``): the right role, the wrong organisation or party;
- ``right_party``: who the function is for;
- ``admin``: the consortium admin (``DEFAULT_ADMIN_ROLE`` of the ParticipantRegistry, a member of no organisation).

Some functions have a second rightful (or tempting) caller, given as an extra column: ``regulator`` (recall),
``funder`` (open), ``certificate_brand`` and ``approved_operator`` (a certificate's own brand, an ERC-721 operator),
``buyer``, ``funder`` and ``seller`` (the other parties of a DvP settlement that may settle, refund or return the
title).

The tables are data: ``(function, actor) -> expected``, expected being ``ALLOWED`` (the call goes through and a
scenario check asserts its events and state), ``Refused(error, args)`` (the exact custom error with its exact
arguments) or ``NotApplicable(reason)`` (the actor class does not exist for this function, and why). Each function
has one scenario: it builds the state the call needs (inside the test's snapshot) and names the parties; the
runner turns the actor class into a sender (suspending or revoking the right party where the class asks for it),
performs the call and asserts. ``test_matrix_covers_every_state_changing_function`` fails when a function of an
ABI is missing from its table, so a new function must join the matrix."""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from brownie import (  # type: ignore[attr-defined]  # the project's contracts are loaded at run time
    DvPSettlement,
    ParticipantRegistry,
    RiskRegistry,
    TitleRegistry,
    accounts,
    chain,
    web3,
)
from conftest import deploy_contracts, reverts_with
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_hash.auto import keccak
from helpers import ROLE, b20, b32, lei_bytes

from tradechain.chain import accounts as tc_accounts
from tradechain.contracts import registry as suite_registry
from tradechain.contracts.invoice_registry import ACKNOWLEDGMENT_TYPES
from tradechain.contracts.risk_registry import INSPECT, NO_FRAUD, RELEASE, Decision, decision_tree
from tradechain.formats.gs1 import with_check_digit
from tradechain.formats.merkle import serial_leaf

BUILD = Path(__file__).resolve().parents[2] / "build" / "contracts"

ZERO32 = b"\0" * 32
ZERO = "0x" + "00" * 20
ADMIN_ROLE = ZERO32  # AccessControl's DEFAULT_ADMIN_ROLE
ADMIN_DELAY = 3 * 86_400  # ParticipantRegistry.ADMIN_TRANSFER_DELAY
REASON = b"matrix".ljust(32, b"\0")
FRESH = "0x" + "a1" * 20  # an address nobody uses: a new account, a new manager
FRESH_2 = "0x" + "b2" * 20

# Role bits (contracts/libraries/Roles.sol) as the refusals name them
BRAND, MANUFACTURER, CUSTOMS, INSPECTOR, FINANCIER, REGULATOR = 1, 2, 8, 16, 32, 64
PRODUCERS = BRAND | MANUFACTURER
INSPECTORS = INSPECTOR | CUSTOMS | REGULATOR

# GS1 keys: the brand licenses company prefixes 9506000 (GTINs) and 0614141 (SSCCs), the second brand 9506001
GTIN = int(with_check_digit("0950600013435"))  # claimed by the brand
GTIN_UNCLAIMED = int(with_check_digit("0950600013436"))  # the brand's prefix, claimed by nobody yet
GTIN_B2 = int(with_check_digit("0950600100001"))  # the second brand's
SSCC_BRAND = int(with_check_digit("10614141123456789"))  # carries the brand's SSCC prefix
SSCC_UNLICENSED = int(with_check_digit("10999999000000001"))  # a prefix licensed to nobody
BILL_OF_LADING = 1
TRADE = b"MATRIX-TRADE".ljust(32, b"\0")
AMOUNT = 1_000 * 10**6
DAY = 86_400
FP = b"\xf1" * 32  # an invoice fingerprint
NO_SECONDARY = [ZERO32] * 4
SERIAL = b"WATCH-0001".ljust(32, b"\0")
META = keccak(b'{"model":"Chronograph"}')
CLAIM_KEY = Account.from_key(keccak(b"tradechain permission matrix claim key"))
BUYER_KEY = tc_accounts.dev_account("buyer").key  # Brownie's accounts[9]


def unit(key: int) -> bytes:
    """A GS1 key (SSCC) as a unit id of the ProductRegistry."""
    return key.to_bytes(32, "big")


# ------------------------------------------------------------------ what a cell expects


@dataclass(frozen=True)
class Allowed:
    """The call succeeds; the scenario's check asserts its events and state. `note` says why, where it is not
    obvious (a party the contract does not look up in the registry, a per-item refusal by event)."""

    note: str = ""


@dataclass(frozen=True)
class Refused:
    """The call reverts with custom error `error`, its arguments built from the cell's context."""

    error: str
    args: Callable[[Ctx], tuple[Any, ...]] = lambda c: ()


@dataclass(frozen=True)
class NotApplicable:
    """The actor class does not exist for this function: `reason` says why."""

    reason: str


Expected = Allowed | Refused | NotApplicable
Table = dict[tuple[str, str], Expected]
ALLOWED = Allowed()


class Ctx(SimpleNamespace):
    """One cell: the scenario sets `party` (the right party), `member` (whose organisation is suspended, or whose
    key is revoked, for those classes; the right party unless said), `no_role`, `another`, `extra` (extra columns),
    `call(sender) -> tx`, `check(tx)`, and the values the refusals name; the runner adds `sender`, `sender_org`,
    `member_org`."""


def row(function: str, **cells: Expected) -> Table:
    return {(function, actor): expected for actor, expected in cells.items()}


def org_of(w: Any, account: Any) -> int:
    """The organisation `account` signs for as the world was built (0 for none): no call to the chain."""
    return int(w.org_of.get(str(account), 0))


# Refusals that recur
UNREGISTERED = Refused("UnregisteredAccount", lambda c: (c.sender,))
SUSPENDED = Refused("OrganisationIsSuspended", lambda c: (c.member_org,))
NOT_ADMIN = Refused("AccessControlUnauthorizedAccount", lambda c: (c.sender, ADMIN_ROLE))
NOT_MANAGER = Refused("UnauthorizedManager", lambda c: (c.sender, c.org))


def missing_role(roles: int) -> Refused:
    return Refused("MissingRole", lambda c: (c.sender, c.sender_org, roles))


# ================================================================== ParticipantRegistry

ADMIN_IS_RIGHT = NotApplicable("the right party is the consortium admin (DEFAULT_ADMIN_ROLE): see the admin cell")
ADMIN_ONLY: dict[str, Expected] = {
    "outsider": NOT_ADMIN,
    "member_without_role": NOT_ADMIN,  # the target organisation's own manager: managing is not administering
    "suspended_member": NOT_ADMIN,
    "revoked_key": NOT_ADMIN,
    "another_manager": NOT_ADMIN,
    "right_party": ADMIN_IS_RIGHT,
    "admin": ALLOWED,
}
MANAGER_ONLY: dict[str, Expected] = {
    "outsider": NOT_MANAGER,
    "member_without_role": NOT_MANAGER,  # an account of the organisation that is no manager
    "suspended_member": SUSPENDED,
    "revoked_key": NOT_MANAGER,  # a former manager
    "another_manager": NOT_MANAGER,  # a manager of another organisation
    "right_party": ALLOWED,
    "admin": Allowed("the admin may always manage (even a suspended organisation's accounts)"),
}
BAD_CONFIRMATION = Refused("AccessControlBadConfirmation")
# AccessControlDefaultAdminRules: exactly one admin. grantRole and revokeRole of DEFAULT_ADMIN_ROLE are refused to
# everyone, the admin included, before any role is checked; the role changes hands only by the two-step handover.
ONE_ADMIN = Refused("AccessControlEnforcedDefaultAdminRules")
ONE_ADMIN_ONLY: dict[str, Expected] = {
    "outsider": ONE_ADMIN,
    "member_without_role": ONE_ADMIN,
    "suspended_member": ONE_ADMIN,
    "revoked_key": ONE_ADMIN,
    "another_manager": ONE_ADMIN,
    "right_party": ADMIN_IS_RIGHT,
    "admin": ONE_ADMIN,
}
NOT_THE_SUCCESSOR = Refused("AccessControlInvalidDefaultAdmin", lambda c: (c.sender,))

PARTICIPANT_TABLE: Table = {
    **row("admit", **ADMIN_ONLY),
    **row("setRoles", **ADMIN_ONLY),
    **row("suspend", **ADMIN_ONLY),
    **row("reinstate", **ADMIN_ONLY),
    **row("assignCompanyPrefix", **ADMIN_ONLY),
    **row("grantRole", **ONE_ADMIN_ONLY),  # grantRole(DEFAULT_ADMIN_ROLE, a new account): never a second admin
    **row("revokeRole", **ONE_ADMIN_ONLY),  # revokeRole(DEFAULT_ADMIN_ROLE, admin): never the admin removed at once
    **row(
        # renounceRole(DEFAULT_ADMIN_ROLE, admin) once the admin scheduled a transfer to nobody and the delay passed
        # (unscheduled, the admin too is refused AccessControlEnforcedDefaultAdminDelay(0): test_attacks.py,
        # test_admin_role_cannot_be_granted_to_a_second_account_or_renounced_at_once); nobody renounces it for it
        "renounceRole",
        outsider=BAD_CONFIRMATION,
        member_without_role=BAD_CONFIRMATION,
        suspended_member=BAD_CONFIRMATION,
        revoked_key=BAD_CONFIRMATION,
        another_manager=BAD_CONFIRMATION,
        right_party=NotApplicable("the holder renounces its own role: the admin cell"),
        admin=Allowed("the admin renounces on purpose: scheduled to address(0), after ADMIN_TRANSFER_DELAY"),
    ),
    **row("beginDefaultAdminTransfer", **ADMIN_ONLY),
    **row("cancelDefaultAdminTransfer", **ADMIN_ONLY),
    **row(
        "acceptDefaultAdminTransfer",  # the successor the admin named, once the delay passed
        outsider=NOT_THE_SUCCESSOR,
        member_without_role=NOT_THE_SUCCESSOR,
        suspended_member=NOT_THE_SUCCESSOR,
        revoked_key=NOT_THE_SUCCESSOR,
        another_manager=NOT_THE_SUCCESSOR,
        right_party=ALLOWED,  # the pending admin (no member)
        admin=NOT_THE_SUCCESSOR,  # the admin cannot accept for its successor
    ),
    **row("changeDefaultAdminDelay", **ADMIN_ONLY),
    **row("rollbackDefaultAdminDelay", **ADMIN_ONLY),
    **row("updateProfile", **MANAGER_ONLY),
    **row("addAccount", **MANAGER_ONLY),
    **row("revokeAccount", **MANAGER_ONLY),
    **row("rotateAccount", **MANAGER_ONLY),
}

# ================================================================== ProductRegistry

UNIT_ANY_MEMBER = NotApplicable("every member holds a role and this needs any (Roles.ALL): custody decides")
PRODUCT_TABLE: Table = {
    **row(
        "claimGtin",
        outsider=UNREGISTERED,
        member_without_role=missing_role(PRODUCERS),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("CompanyPrefixNotHeld", lambda c: (GTIN_UNCLAIMED, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "registerLot",
        outsider=UNREGISTERED,
        member_without_role=missing_role(PRODUCERS),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotGtinOwner", lambda c: (GTIN, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "commission",
        outsider=UNREGISTERED,
        member_without_role=missing_role(PRODUCERS),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotGtinOwner", lambda c: (GTIN, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "pack",  # a NEW container: an SSCC of the caller's own company prefix
        outsider=UNREGISTERED,
        member_without_role=Refused("CompanyPrefixNotHeld", lambda c: (SSCC_UNLICENSED, 0, c.sender_org)),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("CompanyPrefixNotHeld", lambda c: (SSCC_BRAND, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "unpack",
        outsider=UNREGISTERED,
        member_without_role=UNIT_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotCustodian", lambda c: (unit(SSCC_BRAND), c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "ship",
        outsider=UNREGISTERED,
        member_without_role=UNIT_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotCustodian", lambda c: (c.lot, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "receiveShipment",
        outsider=UNREGISTERED,
        member_without_role=UNIT_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotPendingReceiver", lambda c: (c.lot, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "cancelShipment",
        outsider=UNREGISTERED,
        member_without_role=UNIT_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotCustodian", lambda c: (c.lot, c.party_org, c.sender_org)),  # the receiver
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "transform",
        outsider=UNREGISTERED,
        member_without_role=missing_role(PRODUCERS),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotCustodian", lambda c: (c.lot, c.party_org, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "inspect",
        outsider=UNREGISTERED,
        member_without_role=missing_role(INSPECTORS),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=NotApplicable(
            "any inspector, customs or regulator inspects any unit: an attestation by its author, not custody"
        ),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "dispense",
        outsider=UNREGISTERED,
        member_without_role=UNIT_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("NotCustodian", lambda c: (c.batch, c.party_org, c.sender_org)),  # its GTIN owner
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "recall",
        outsider=UNREGISTERED,
        member_without_role=missing_role(PRODUCERS | REGULATOR),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=Refused("UnauthorizedRecall", lambda c: (c.lot, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
        regulator=Allowed("a regulator recalls any lot"),
    ),
    **row(
        "recordEvents",
        outsider=UNREGISTERED,
        member_without_role=NotApplicable("every member holds a role and this needs any (Roles.ALL)"),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=NotApplicable("an EPCIS anchor is recorded under its author's organisation: no other party"),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
}

# ================================================================== DocumentRegistry

UNAUTHORIZED_REVOKER = Refused("UnauthorizedRevoker", lambda c: (c.sender, c.issuer))
REVOKE: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": UNAUTHORIZED_REVOKER,  # a member without the issuing role (a retailer)
    "suspended_member": SUSPENDED,  # the issuer itself, suspended: only the admin revokes now
    "revoked_key": UNREGISTERED,
    "another_issuer": UNAUTHORIZED_REVOKER,  # another carrier
    "right_party": ALLOWED,
    "admin": Allowed("the consortium admin revokes any issuer's documents"),
}
DOCUMENT_TABLE: Table = {
    **row(
        "anchor",
        outsider=UNREGISTERED,
        member_without_role=Allowed("any member anchors; its roles are recorded, so its bill of lading is not valid"),
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_issuer=Allowed("batches are per (root, issuer): anchoring the carrier's root changes nothing of it"),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row("revokeBatch", **REVOKE),
    **row("revokeDocument", **REVOKE),
}

# ================================================================== TradeEscrow


def unauthorized_party(role: str) -> Refused:
    return Refused("UnauthorizedParty", lambda c: (c.escrow_id, c.sender, role))


NO_ROLE_ESCROW = NotApplicable("no role: the parties are the addresses named in the terms (open: any member)")
PARTY_ANY_MEMBER = NotApplicable(
    "the party named in the terms, from an active member's account of any role (Roles.ALL): every member holds one"
)
ANYONE = NotApplicable("anyone may call: release and refund are permissionless, protected by documents and time")
BY_ADDRESS = Allowed("the escrow names its parties by address and does not consult the registry (see the report)")
ESCROW_TABLE: Table = {
    **row(
        "open",
        outsider=unauthorized_party("buyer or funder"),
        member_without_role=NO_ROLE_ESCROW,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=unauthorized_party("buyer or funder"),  # the seller
        right_party=ALLOWED,  # the buyer
        admin=unauthorized_party("buyer or funder"),
        funder=Allowed("the funder may open too"),
    ),
    **row(
        "fund",
        outsider=unauthorized_party("funder"),
        member_without_role=NO_ROLE_ESCROW,
        suspended_member=BY_ADDRESS,
        revoked_key=BY_ADDRESS,
        another_party=unauthorized_party("funder"),  # the buyer
        right_party=ALLOWED,
        admin=unauthorized_party("funder"),
    ),
    **row(
        "release",
        outsider=Allowed("anyone may call: release is permissionless, protected by documents"),
        member_without_role=ANYONE,
        suspended_member=Allowed("the seller's suspension does not stop a documented release (paid by address)"),
        revoked_key=Allowed("a revoked seller key still calls and is still paid (see the report)"),
        another_party=ANYONE,
        right_party=ALLOWED,  # the seller
        admin=Allowed("anyone may call"),
    ),
    **row(
        "refund",
        outsider=Allowed("anyone may call: refund is permissionless, after the deadline"),
        member_without_role=ANYONE,
        suspended_member=Allowed("the funder's suspension does not stop its refund"),
        revoked_key=Allowed("a revoked funder key still calls and is still refunded (see the report)"),
        another_party=ANYONE,
        right_party=ALLOWED,  # the funder
        admin=Allowed("anyone may call"),
    ),
    **row(
        "dispute",  # the buyer, then its membership: a suspended or revoked key cannot freeze the escrow
        outsider=unauthorized_party("buyer"),
        member_without_role=PARTY_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=unauthorized_party("buyer"),  # the funder
        right_party=ALLOWED,
        admin=unauthorized_party("buyer"),
    ),
    **row(
        "resolve",  # the arbiter, then its membership: a suspended or revoked key cannot split the escrow
        outsider=unauthorized_party("arbiter"),
        member_without_role=PARTY_ANY_MEMBER,
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        another_party=unauthorized_party("arbiter"),  # the buyer
        right_party=ALLOWED,
        admin=unauthorized_party("arbiter"),
    ),
}

# ================================================================== InvoiceRegistry

FINANCIER_ONLY: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": missing_role(FINANCIER),
    "suspended_member": SUSPENDED,
    "revoked_key": UNREGISTERED,
    "right_party": ALLOWED,
    "admin": UNREGISTERED,
}
NOT_PARTICIPATING = Refused("NotParticipating", lambda c: (FP, c.sender_org))
RELAYED = Allowed("anyone relays: the buyer's EIP-712 signature is the authorisation")
INVOICE_TABLE: Table = {
    **row(
        "register",
        **FINANCIER_ONLY,
        another_financier=Refused("InvoiceAlreadyFinanced", lambda c: (FP, c.party_org, c.since)),
    ),
    **row(
        "registerBatch",
        **FINANCIER_ONLY,
        another_financier=Allowed("the batch goes through; the item over 100% is refused by RegistrationRefused"),
    ),
    **row("settle", **FINANCIER_ONLY, another_financier=NOT_PARTICIPATING),  # a financier outside the syndicate
    **row("cancel", **FINANCIER_ONLY, another_financier=NOT_PARTICIPATING),
    **row(
        "acknowledge",
        outsider=RELAYED,
        member_without_role=RELAYED,
        suspended_member=RELAYED,
        revoked_key=RELAYED,
        another_financier=RELAYED,
        right_party=ALLOWED,  # the buyer sends its own acknowledgment
        admin=RELAYED,
    ),
}

# ================================================================== LuxuryCertificate

BRAND_ONLY: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": missing_role(BRAND),
    "suspended_member": SUSPENDED,
    "revoked_key": UNREGISTERED,
    "another_brand": Refused("UnauthorizedBrand", lambda c: (c.party_org, c.sender_org)),
    "right_party": ALLOWED,
    "admin": UNREGISTERED,
}
OWNERSHIP_NOT_MEMBERSHIP = Allowed("a certificate is owned by an address: the registry is not consulted")
INCORRECT_OWNER = Refused("ERC721IncorrectOwner", lambda c: (c.sender, c.token, c.party))
OWNER_ONLY: dict[str, Expected] = {
    "outsider": INCORRECT_OWNER,
    "member_without_role": INCORRECT_OWNER,
    "suspended_member": OWNERSHIP_NOT_MEMBERSHIP,
    "revoked_key": OWNERSHIP_NOT_MEMBERSHIP,
    "another_brand": INCORRECT_OWNER,
    "right_party": ALLOWED,
    "admin": INCORRECT_OWNER,
    "certificate_brand": INCORRECT_OWNER,  # the brand that issued it has no say over its owner's claims
}
INVALID_APPROVER = Refused("ERC721InvalidApprover", lambda c: (c.sender,))
INSUFFICIENT_APPROVAL = Refused("ERC721InsufficientApproval", lambda c: (c.sender, c.token))
OPERATOR = Allowed("an operator the owner approved for all")


def erc721_row(refusal: Refused) -> dict[str, Expected]:
    return {
        "outsider": refusal,
        "member_without_role": refusal,
        "suspended_member": OWNERSHIP_NOT_MEMBERSHIP,
        "revoked_key": OWNERSHIP_NOT_MEMBERSHIP,
        "another_brand": refusal,
        "right_party": ALLOWED,
        "admin": refusal,
        "certificate_brand": refusal,
        "approved_operator": OPERATOR,
    }


COPIED_SIGNATURE = Refused("InvalidClaimSignature", lambda c: (c.token,))
CLAIM_BY_SECRET = Allowed("a claim is authorised by the claim secret, not by membership")
OWN_OPERATORS = Allowed("sets the caller's own operator: it reaches the caller's certificates only")
UNAUTHORIZED_REPORTER = Refused("UnauthorizedReporter", lambda c: (c.token, c.sender))
TRANSFER = erc721_row(INSUFFICIENT_APPROVAL)
CERTIFICATE_TABLE: Table = {
    **row("issue", **BRAND_ONLY),
    **row("issueBatch", **BRAND_ONLY),
    **row("updateMetadata", **BRAND_ONLY),
    **row("setBaseURI", **BRAND_ONLY),
    **row("recordService", **BRAND_ONLY),
    **row("clearReport", **BRAND_ONLY),  # member_without_role: the owner itself, who reported it
    **row("openClaim", **OWNER_ONLY),
    **row("cancelClaim", **OWNER_ONLY),
    **row(
        "claim",  # every caller but the claimant sends the claimant's signature (copied from the mempool)
        outsider=COPIED_SIGNATURE,
        member_without_role=COPIED_SIGNATURE,
        suspended_member=CLAIM_BY_SECRET,
        revoked_key=CLAIM_BY_SECRET,
        another_brand=COPIED_SIGNATURE,
        right_party=ALLOWED,  # the claimant, signing with the secret for itself
        admin=COPIED_SIGNATURE,
        certificate_brand=COPIED_SIGNATURE,
    ),
    **row(
        "report",
        outsider=UNAUTHORIZED_REPORTER,
        member_without_role=UNAUTHORIZED_REPORTER,
        suspended_member=OWNERSHIP_NOT_MEMBERSHIP,
        revoked_key=OWNERSHIP_NOT_MEMBERSHIP,
        another_brand=UNAUTHORIZED_REPORTER,
        right_party=ALLOWED,  # the owner
        admin=UNAUTHORIZED_REPORTER,
        certificate_brand=Allowed("the certificate's brand reports too"),
    ),
    **row("approve", **erc721_row(INVALID_APPROVER)),
    **row(
        "setApprovalForAll",
        outsider=OWN_OPERATORS,
        member_without_role=OWN_OPERATORS,
        suspended_member=OWN_OPERATORS,
        revoked_key=OWN_OPERATORS,
        another_brand=OWN_OPERATORS,
        right_party=ALLOWED,
        admin=OWN_OPERATORS,
    ),
    **row("transferFrom", **TRANSFER),
    **row("safeTransferFrom(address,address,uint256)", **TRANSFER),
    **row("safeTransferFrom(address,address,uint256,bytes)", **TRANSFER),
}


# ================================================================== RiskRegistry

RISK_MODEL = keccak(b"matrix risk model (the SHA-256 of its ONNX artifact)")
RISK_CARD = keccak(b'{"card":"matrix"}')
RISK_FED = b"MATRIX-FEDERATION".ljust(32, b"\0")
ANCHORERS = CUSTOMS | FINANCIER
REVIEWERS = CUSTOMS | INSPECTOR
NOT_BATCH_ORG = Refused("NotBatchOrganisation", lambda c: (c.sender, c.sender_org, c.org))
NOT_RETIRER = Refused("UnauthorizedRetirer", lambda c: (c.sender, RISK_MODEL, c.org))
ANCHORER_ONLY: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": missing_role(ANCHORERS),
    "suspended_member": SUSPENDED,
    "revoked_key": UNREGISTERED,
    "right_party": ALLOWED,
    "admin": UNREGISTERED,
}
BATCH_ORG_ONLY: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": missing_role(REVIEWERS),
    "suspended_member": SUSPENDED,  # the batch's own customs, suspended
    "revoked_key": UNREGISTERED,
    "another_customs": NOT_BATCH_ORG,  # another customs administration
    "right_party": ALLOWED,
    "admin": UNREGISTERED,
    "inspector": NOT_BATCH_ORG,  # an inspector of another organisation
}
RISK_TABLE: Table = {
    **row(
        "proposeModel",
        **ANCHORER_ONLY,
        another_customs=Allowed("models are per (id, proposer): the same id from another customs is its own record"),
    ),
    **row(
        "approveModel",
        outsider=UNREGISTERED,
        member_without_role=missing_role(REGULATOR),
        suspended_member=SUSPENDED,  # the regulator, suspended
        revoked_key=UNREGISTERED,
        another_customs=Refused("SelfApproval", lambda c: (RISK_MODEL, c.org)),  # the proposer, a regulator too
        right_party=ALLOWED,  # the regulator the proposer named
        admin=UNREGISTERED,
        # a regulator the proposer did not name (the authority, on another customs' model naming the regulator)
        uninvited_regulator=Refused("NotDesignatedApprover", lambda c: (c.sender, c.sender_org, c.party_org)),
    ),
    **row(
        "retireModel",
        outsider=UNREGISTERED,
        member_without_role=NOT_RETIRER,
        suspended_member=SUSPENDED,  # the proposer, suspended: its approver still may
        revoked_key=UNREGISTERED,
        another_customs=NOT_RETIRER,
        right_party=ALLOWED,
        admin=UNREGISTERED,
        approver=Allowed("the organisation the proposer named to approve the model retires it too"),
        uninvited_regulator=NOT_RETIRER,  # a regulator, not the named approver of that model
    ),
    **row(
        "anchorDecisions",
        **ANCHORER_ONLY,
        # another customs may hold the same model id under a record of its own, never use the authority's
        another_customs=Refused("ForeignModel", lambda c: (RISK_MODEL, c.org, c.sender_org)),
    ),
    **row("reviewDecision", **BATCH_ORG_ONLY),
    **row("recordOutcome", **BATCH_ORG_ONLY),
    **row(
        "anchorRound",
        **ANCHORER_ONLY,
        another_customs=Allowed("rounds are per (org, federation): another's round 1 of the same id is its own"),
    ),
}


# ================================================================== TitleRegistry


def title_party(role: str) -> Refused:
    """The registry's refusal of a caller that is not the title's `role` ("holder", "beneficiary", "issuer"...)."""
    return Refused("UnauthorizedParty", lambda c: (c.tid, c.sender, role))


NO_LONGER_A_PARTY = Refused("InvalidParty", lambda c: (c.sender,))  # the right party, suspended or revoked
NOT_HOLDER = title_party("holder")
ISSUER_ONLY: dict[str, Expected] = {
    "outsider": UNREGISTERED,
    "member_without_role": title_party("issuer"),  # a member that is no carrier
    "suspended_member": SUSPENDED,  # the issuing carrier, suspended
    "revoked_key": UNREGISTERED,
    "another_party": title_party("issuer"),  # another carrier
    "right_party": ALLOWED,  # the issuing carrier
    "admin": UNREGISTERED,  # the admin has no power here
}


def holder_row(member_without_role: Expected) -> dict[str, Expected]:
    """An action of the title's holder: the holder itself suspended or revoked is no party any more."""
    return {
        "outsider": NOT_HOLDER,
        "member_without_role": member_without_role,
        "suspended_member": NO_LONGER_A_PARTY,
        "revoked_key": NO_LONGER_A_PARTY,
        "another_party": NOT_HOLDER,  # another shipper (the second brand)
        "right_party": ALLOWED,
        "admin": NOT_HOLDER,
    }


NOT_NOMINATED = Refused("NotNominated", lambda c: (c.tid, c.beneficiary))  # a holder endorsing without nomination
NOT_OPERATOR = title_party("approved operator")
TITLE_TABLE: Table = {
    **row(
        "issue",
        outsider=UNREGISTERED,
        member_without_role=Refused("UnauthorizedIssuer", lambda c: (c.sender,)),  # a brand, no carrier
        suspended_member=SUSPENDED,
        revoked_key=UNREGISTERED,
        # another carrier with the carrier's proof: the document is not anchored by its organisation
        another_party=Refused("UnprovenDocument", lambda c: (c.document, c.sender_org)),
        right_party=ALLOWED,
        admin=UNREGISTERED,
    ),
    **row(
        "nominate",
        outsider=title_party("beneficiary"),
        member_without_role=title_party("beneficiary"),  # the holder, who is not the beneficiary
        suspended_member=NO_LONGER_A_PARTY,
        revoked_key=NO_LONGER_A_PARTY,
        another_party=title_party("beneficiary"),
        right_party=ALLOWED,  # the beneficiary
        admin=title_party("beneficiary"),
    ),
    **row("transferHolder", **holder_row(NOT_HOLDER)),  # member without role: the beneficiary, not the holder
    **row("transferBeneficiary", **holder_row(NOT_NOMINATED)),  # a holder that is not the beneficiary, no nominee
    **row("transferOwners", **holder_row(NOT_NOMINATED)),
    **row(
        "reject",  # the last transfer moved the holder: its recipient rejects it
        outsider=title_party("recipient"),
        member_without_role=title_party("recipient"),  # the beneficiary, which received nothing
        suspended_member=NO_LONGER_A_PARTY,
        revoked_key=NO_LONGER_A_PARTY,
        another_party=title_party("recipient"),
        right_party=ALLOWED,
        admin=title_party("recipient"),
    ),
    **row("approve", **holder_row(title_party("holder and beneficiary"))),  # a holder that is not the beneficiary
    **row(
        "takeOver",
        outsider=NOT_OPERATOR,
        member_without_role=NOT_OPERATOR,  # a member the holder did not approve
        suspended_member=NO_LONGER_A_PARTY,  # the approved operator, suspended
        revoked_key=NO_LONGER_A_PARTY,
        another_party=NOT_OPERATOR,
        right_party=ALLOWED,  # the approved operator
        admin=NOT_OPERATOR,
    ),
    **row("surrender", **holder_row(title_party("holder and beneficiary"))),
    **row("acceptSurrender", **ISSUER_ONLY),
    **row("rejectSurrender", **ISSUER_ONLY),
    **row("voidTitle", **ISSUER_ONLY),
    **row("setFrozen", **ISSUER_ONLY),
    **row("reassign", **ISSUER_ONLY),  # on a court order, the title frozen
    **row("pledge", **holder_row(NOT_HOLDER)),  # member without role: the bank it would pledge to
    **row(
        "releasePledge",
        outsider=UNREGISTERED,
        member_without_role=title_party("pledgee"),  # the holder
        suspended_member=SUSPENDED,  # the pledgee bank, suspended
        revoked_key=UNREGISTERED,
        another_party=title_party("pledgee"),  # another financier
        right_party=ALLOWED,  # an account of the pledgee organisation
        admin=UNREGISTERED,
    ),
}

# ================================================================== DvPSettlement


def dvp_party(role: str) -> Refused:
    return Refused("UnauthorizedParty", lambda c: (c.settlement, c.sender, role))


NOT_ACTIVE = dvp_party("active member")  # the right party, suspended or revoked: a leaked key cannot act


def dvp_row(role: str) -> dict[str, Expected]:
    """An action of the party `role` names in the terms; another party of the terms (or another bank) is refused."""
    refusal = dvp_party(role)
    return {
        "outsider": refusal,
        "member_without_role": refusal,  # a member the terms do not name
        "suspended_member": NOT_ACTIVE,
        "revoked_key": NOT_ACTIVE,
        "another_party": refusal,
        "right_party": ALLOWED,
        "admin": refusal,
    }


REFUND_BY_ADDRESS = Allowed("each side gets its own back after the deadline, by address: membership is not checked")
DVP_TABLE: Table = {
    **row("open", **dvp_row("buyer or funder"), funder=Allowed("the funder may open too")),  # another: the seller
    **row("fund", **dvp_row("funder")),  # another party: the buyer
    **row("deliver", **dvp_row("seller")),  # another party: the buyer
    **row(
        "settle",  # another party: a bank the terms do not name
        **dvp_row("seller, buyer or funder"),
        buyer=Allowed("any party of the terms settles"),
        funder=Allowed("any party of the terms settles"),
    ),
    **row(
        "refund",
        outsider=dvp_party("seller, buyer or funder"),
        member_without_role=dvp_party("seller, buyer or funder"),
        suspended_member=REFUND_BY_ADDRESS,
        revoked_key=REFUND_BY_ADDRESS,
        another_party=dvp_party("seller, buyer or funder"),  # another bank
        right_party=ALLOWED,  # the funder
        admin=dvp_party("seller, buyer or funder"),
        seller=Allowed("any party of the terms triggers the refund of both sides"),
    ),
    **row(
        "returnTitle",  # the title leg alone, after the deadline (the payment leg blocked)
        outsider=dvp_party("seller, buyer or funder"),
        member_without_role=dvp_party("seller, buyer or funder"),
        suspended_member=Allowed(
            "the title goes back to the seller by address: the seller's suspension is not checked"
        ),
        revoked_key=Allowed("a revoked seller key still gets its title back (the carrier may then reassign it)"),
        another_party=dvp_party("seller, buyer or funder"),  # another bank
        right_party=ALLOWED,  # the seller
        admin=dvp_party("seller, buyer or funder"),
        buyer=Allowed("any party of the terms returns the title to the seller"),
        funder=Allowed("any party of the terms returns the title to the seller"),
    ),
}


# ================================================================== the contracts

Scenario = Callable[[Any, Ctx], None]


@dataclass(frozen=True)
class Spec:
    build: str  # the contract's name in build/contracts
    another: str  # its "right role, wrong organisation or party" column
    table: Table
    scenarios: dict[str, Scenario]


SPECS = {
    "participant_registry": Spec("ParticipantRegistry", "another_manager", PARTICIPANT_TABLE, {}),
    "product_registry": Spec("ProductRegistry", "another_party", PRODUCT_TABLE, {}),
    "document_registry": Spec("DocumentRegistry", "another_issuer", DOCUMENT_TABLE, {}),
    "trade_escrow": Spec("TradeEscrow", "another_party", ESCROW_TABLE, {}),
    "invoice_registry": Spec("InvoiceRegistry", "another_financier", INVOICE_TABLE, {}),
    "luxury_certificate": Spec("LuxuryCertificate", "another_brand", CERTIFICATE_TABLE, {}),
    "risk_registry": Spec("RiskRegistry", "another_customs", RISK_TABLE, {}),
    "title_registry": Spec("TitleRegistry", "another_party", TITLE_TABLE, {}),
    "dvp_settlement": Spec("DvPSettlement", "another_party", DVP_TABLE, {}),
}
CORE = ("outsider", "member_without_role", "suspended_member", "revoked_key", "another", "right_party", "admin")


def core_actors(spec: Spec) -> tuple[str, ...]:
    return tuple(spec.another if a == "another" else a for a in CORE)


def scenario(contract: str, *functions: str) -> Callable[[Scenario], Scenario]:
    def register(build: Scenario) -> Scenario:
        for function in functions:
            SPECS[contract].scenarios[function] = build
        return build

    return register


def state_changing(build: str) -> set[str]:
    """The external nonpayable and payable functions of a compiled contract, inherited ones included: by name, or
    by signature where the name is overloaded."""
    abi = json.loads((BUILD / f"{build}.json").read_text())["abi"]
    functions = [f for f in abi if f["type"] == "function" and f["stateMutability"] in ("nonpayable", "payable")]
    names = Counter(f["name"] for f in functions)
    return {
        f["name"] if names[f["name"]] == 1 else f"{f['name']}({','.join(i['type'] for i in f['inputs'])})"
        for f in functions
    }


# ================================================================== the world (one per module)


@pytest.fixture(scope="module")
def world() -> Iterator[Any]:
    """Nine contracts on one registry; one organisation per party (its dev account as manager); the brand also has
    a second, non-manager account. Product, certificate and invoice fixtures every scenario starts from."""
    a = accounts
    w = SimpleNamespace(
        admin=a[0],
        brand=a[1],
        manufacturer=a[2],
        carrier=a[3],
        brand_key=a[4],
        inspector=a[5],
        financier=a[6],
        regulator=a[7],
        retailer=a[8],
        buyer=a[9],  # an invoice's buyer (its key signs acknowledgments): no member
        arbiter=a[11],
        brand2=a[12],
        financier3=a[13],
        carrier2=a[14],
        financier2=a[15],
        operator=a[16],  # no member
        successor=a[18],  # the admin's successor in a handover: no member
        customer=a[17],  # no member
        outsider=a[19],
    )
    admin = {"from": w.admin}
    w.registry = ParticipantRegistry.deploy(w.admin, admin)
    w.orgs = {}
    organisations = [
        ("brand", "brand"),
        ("brand2", "brand"),
        ("manufacturer", "manufacturer"),
        ("carrier", "carrier"),
        ("carrier2", "carrier"),
        ("inspector", "inspector"),
        ("regulator", "regulator"),
        ("retailer", "retailer"),
        ("financier", "financier"),
        ("financier2", "financier"),
        ("financier3", "financier"),
        ("arbiter", "customs"),
    ]
    for i, (name, role) in enumerate(organisations, start=700):
        tx = w.registry.admit(lei_bytes(i), 0, b"DE", ROLE[role], ZERO32, getattr(w, name), admin)
        w.orgs[name] = int(tx.events["OrganisationAdmitted"]["organisation"])
    # RiskRegistry: a customs authority (customs and regulator roles: it approves models naming it, never its own)
    w.customs = a[10]
    tx = w.registry.admit(lei_bytes(699), 0, b"NL", ROLE["customs"] | ROLE["regulator"], ZERO32, w.customs, admin)
    w.orgs["customs"] = int(tx.events["OrganisationAdmitted"]["organisation"])
    w.registry.addAccount(w.orgs["brand"], w.brand_key, False, {"from": w.brand})
    w.registry.assignCompanyPrefix(9506000, 7, w.orgs["brand"], admin)
    w.registry.assignCompanyPrefix(9506001, 7, w.orgs["brand2"], admin)
    w.registry.assignCompanyPrefix(614141, 7, w.orgs["brand"], admin)  # SSCCs 1 0614141 ...

    w.products, w.documents, w.escrow, w.invoices, w.certificates, w.usdc = deploy_contracts(w.registry, w.admin)
    w.usdc.mint(w.financier, 10 * AMOUNT, admin)
    w.risk = RiskRegistry.deploy(w.registry, admin)
    w.titles = TitleRegistry.deploy(w.registry, w.documents, admin)
    w.dvp = DvPSettlement.deploy(w.registry, w.documents, w.invoices, w.titles, admin)

    # products: the brand's lot and batch it holds, a batch the retailer holds, the second brand's lot
    p, brand = w.products, {"from": w.brand}
    p.claimGtin(GTIN, brand)
    w.lot = b32(p.registerLot(GTIN, b20("LOT1"), 0, b"IT", ZERO32, 0, brand).events["LotRegistered"]["lot"])
    w.batch = b32(p.commission(w.lot, serial_leaf(GTIN, "SN1", 0), 1, 0, brand).events["Commissioned"]["batch"])
    w.dispensable = b32(p.commission(w.lot, serial_leaf(GTIN, "SN2", 0), 1, 0, brand).events["Commissioned"]["batch"])
    p.ship(w.dispensable, w.orgs["retailer"], 0, brand)
    p.receiveShipment(w.dispensable, 0, {"from": w.retailer})
    p.claimGtin(GTIN_B2, {"from": w.brand2})
    w.lot_b2 = b32(p.registerLot(GTIN_B2, b20("LOT2"), 0, b"FR", ZERO32, 0, {"from": w.brand2}).return_value)

    # certificates: the brand's certificate, owned by the retailer
    w.token = int(w.certificates.issue(w.orgs["brand"], w.retailer, SERIAL, META, brand).return_value)

    w.org_of = {str(getattr(w, name)): org for name, org in w.orgs.items()}
    w.org_of[str(w.brand_key)] = w.orgs["brand"]
    # Brownie runs a full garbage collection at every chain revert (one per test): freezing what exists now leaves
    # it only the objects of each test to scan (as stateful_support.run_machine does)
    gc.freeze()
    yield w
    gc.unfreeze()


# ================================================================== the runner


def resolve(w: Any, c: Ctx, actor: str, spec: Spec) -> Any:
    """The sender of a cell; suspends the member's organisation or revokes its key where the class asks for it."""
    if actor in ("suspended_member", "revoked_key"):
        c.member_org = org_of(w, c.member)
        assert c.member_org != 0, "the suspended or revoked actor must be a member's account"
        if actor == "suspended_member":
            if not w.registry.getOrganisation(c.member_org)["suspended"]:
                w.registry.suspend(c.member_org, REASON, {"from": w.admin})
        else:
            w.registry.revokeAccount(c.member, {"from": w.admin})
        return c.member
    if actor == spec.another:
        return c.another
    named = {"outsider": w.outsider, "admin": w.admin, "right_party": c.party}
    if actor in named:
        return named[actor]
    if actor == "member_without_role":
        return c.no_role
    assert actor in c.extra, f"the scenario names no {actor}"
    return c.extra[actor]


def run_cell(w: Any, contract: str, function: str, actor: str) -> None:
    spec = SPECS[contract]
    expected = spec.table[(function, actor)]
    assert not isinstance(expected, NotApplicable)
    c = Ctx(function=function, actor=actor, party=None, member=None, no_role=w.retailer, another=None, extra={})
    spec.scenarios[function](w, c)
    if c.member is None:
        c.member = c.party
    c.party_org = org_of(w, c.party)
    c.sender = resolve(w, c, actor, spec)
    c.sender_org = 0 if actor == "revoked_key" else org_of(w, c.sender)
    if isinstance(expected, Refused):
        with reverts_with(expected.error, *expected.args(c)):
            c.call(c.sender)
    else:
        c.check(c.call(c.sender))


def cells(contract: str) -> list[Any]:
    table = SPECS[contract].table
    return [
        pytest.param(function, actor, id=f"{function}-{actor}")
        for (function, actor), expected in table.items()
        if not isinstance(expected, NotApplicable)
    ]


@pytest.mark.parametrize(("function", "actor"), cells("participant_registry"))
def test_participant_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "participant_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("product_registry"))
def test_product_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "product_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("document_registry"))
def test_document_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "document_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("trade_escrow"))
def test_trade_escrow_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "trade_escrow", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("invoice_registry"))
def test_invoice_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "invoice_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("luxury_certificate"))
def test_luxury_certificate_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "luxury_certificate", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("risk_registry"))
def test_risk_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "risk_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("title_registry"))
def test_title_registry_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "title_registry", function, actor)


@pytest.mark.parametrize(("function", "actor"), cells("dvp_settlement"))
def test_dvp_settlement_matrix(world: Any, function: str, actor: str) -> None:
    run_cell(world, "dvp_settlement", function, actor)


def test_matrix_covers_every_state_changing_function() -> None:
    """Every nonpayable or payable function of each ABI has a scenario and a cell for each of the seven actor
    classes; no table names a function the contract does not have; every "not applicable" says why."""
    inherited = {
        "ParticipantRegistry": {
            "grantRole",
            "revokeRole",
            "renounceRole",
            "beginDefaultAdminTransfer",
            "cancelDefaultAdminTransfer",
            "acceptDefaultAdminTransfer",
            "changeDefaultAdminDelay",
            "rollbackDefaultAdminDelay",
        },
        "TitleRegistry": {"approve"},  # IERC721's (its other transfers are pure: UnsupportedOperation)
        "LuxuryCertificate": {
            "approve",
            "setApprovalForAll",
            "transferFrom",
            "safeTransferFrom(address,address,uint256)",
            "safeTransferFrom(address,address,uint256,bytes)",
        },
    }
    suite = {row.name for row in suite_registry.CONTRACTS if not row.dev_only}
    builds = {spec.build for spec in SPECS.values()}
    assert suite <= builds, "a contract of the suite's registry without a matrix"
    assert builds == suite, "a matrix of a contract the suite does not deploy"
    for spec in SPECS.values():
        functions = state_changing(spec.build)
        assert inherited.get(spec.build, set()) <= functions, spec.build  # the ABI read includes inherited ones
        missing = [(f, a) for f in sorted(functions) for a in core_actors(spec) if (f, a) not in spec.table]
        assert missing == [], f"{spec.build}: functions or actor classes missing from the matrix: {missing}"
        assert {f for f, _ in spec.table} == functions, f"{spec.build}: the table names functions it does not have"
        assert set(spec.scenarios) == functions, f"{spec.build}: a function without a scenario"
        for (function, actor), expected in spec.table.items():
            if isinstance(expected, NotApplicable):
                assert expected.reason.strip(), f"{spec.build}.{function}/{actor}: not applicable without a reason"


# ================================================================== scenarios: ParticipantRegistry


def _admin_function(w: Any, c: Ctx) -> None:
    c.party = w.admin
    c.member = c.no_role = w.brand  # the target organisation's own manager
    c.another = w.brand2
    c.org = w.orgs["brand"]


@scenario("participant_registry", "admit")
def _admit(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.admit(lei_bytes(999), 0, b"FR", ROLE["retailer"], ZERO32, FRESH, {"from": s})

    def check(tx: Any) -> None:
        new = tx.events["OrganisationAdmitted"]["organisation"]
        assert tuple(w.registry.organisationOf(FRESH)) == (new, True)
        assert w.registry.getOrganisation(new)["roles"] == ROLE["retailer"]

    c.check = check


@scenario("participant_registry", "setRoles")
def _set_roles(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.setRoles(c.org, BRAND | MANUFACTURER, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["RolesChanged"]["newRoles"] == BRAND | MANUFACTURER
        assert w.registry.getOrganisation(c.org)["roles"] == BRAND | MANUFACTURER

    c.check = check


@scenario("participant_registry", "suspend")
def _suspend(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.suspend(c.org, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["OrganisationSuspended"]["organisation"] == c.org
        assert w.registry.isAuthorized(w.brand, BRAND) is False

    c.check = check


@scenario("participant_registry", "reinstate")
def _reinstate(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    w.registry.suspend(c.org, REASON, {"from": w.admin})
    c.call = lambda s: w.registry.reinstate(c.org, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["OrganisationReinstated"]["organisation"] == c.org
        assert w.registry.isAuthorized(w.brand, BRAND) is True

    c.check = check


@scenario("participant_registry", "assignCompanyPrefix")
def _assign_company_prefix(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.assignCompanyPrefix(4012345, 7, c.org, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["CompanyPrefixAssigned"]
        assert (event["prefix"], event["digits"], event["previous"], event["organisation"]) == (4012345, 7, 0, c.org)
        assert tuple(w.registry.companyPrefixOwner(int(with_check_digit("0401234500001")), 14)) == (c.org, 7)

    c.check = check


@scenario("participant_registry", "grantRole")
def _grant_role(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.grantRole(ADMIN_ROLE, FRESH, {"from": s})  # every cell is refused


@scenario("participant_registry", "revokeRole")
def _revoke_role(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.revokeRole(ADMIN_ROLE, w.admin, {"from": s})  # every cell is refused


@scenario("participant_registry", "renounceRole")
def _renounce_role(w: Any, c: Ctx) -> None:
    """The admin scheduled a transfer to nobody and its delay passed: only the admin itself may renounce now."""
    _admin_function(w, c)
    w.registry.beginDefaultAdminTransfer(ZERO, {"from": w.admin})
    chain.sleep(ADMIN_DELAY + 1)
    c.call = lambda s: w.registry.renounceRole(ADMIN_ROLE, w.admin, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["RoleRevoked"]["account"] == w.admin
        assert w.registry.isAdmin(w.admin) is False and w.registry.defaultAdmin() == ZERO
        assert tuple(w.registry.pendingDefaultAdmin()) == (ZERO, 0)

    c.check = check


@scenario("participant_registry", "beginDefaultAdminTransfer")
def _begin_default_admin_transfer(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.beginDefaultAdminTransfer(FRESH, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["DefaultAdminTransferScheduled"]
        schedule = tx.timestamp + ADMIN_DELAY
        assert (event["newAdmin"], event["acceptSchedule"]) == (web3.to_checksum_address(FRESH), schedule)
        assert tuple(w.registry.pendingDefaultAdmin()) == (web3.to_checksum_address(FRESH), schedule)
        assert w.registry.defaultAdmin() == w.admin and w.registry.isAdmin(FRESH) is False  # not before it accepts

    c.check = check


@scenario("participant_registry", "cancelDefaultAdminTransfer")
def _cancel_default_admin_transfer(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    w.registry.beginDefaultAdminTransfer(FRESH, {"from": w.admin})
    c.call = lambda s: w.registry.cancelDefaultAdminTransfer({"from": s})

    def check(tx: Any) -> None:
        assert "DefaultAdminTransferCanceled" in tx.events
        assert tuple(w.registry.pendingDefaultAdmin()) == (ZERO, 0) and w.registry.defaultAdmin() == w.admin

    c.check = check


@scenario("participant_registry", "acceptDefaultAdminTransfer")
def _accept_default_admin_transfer(w: Any, c: Ctx) -> None:
    """The admin named its successor (no member) and the delay passed."""
    _admin_function(w, c)
    c.party = w.successor
    w.registry.beginDefaultAdminTransfer(w.successor, {"from": w.admin})
    chain.sleep(ADMIN_DELAY + 1)
    c.call = lambda s: w.registry.acceptDefaultAdminTransfer({"from": s})

    def check(tx: Any) -> None:
        assert tx.events["RoleRevoked"]["account"] == w.admin and tx.events["RoleGranted"]["account"] == w.successor
        assert w.registry.defaultAdmin() == w.successor and tuple(w.registry.pendingDefaultAdmin()) == (ZERO, 0)
        assert w.registry.isAdmin(w.successor) is True and w.registry.isAdmin(w.admin) is False

    c.check = check


@scenario("participant_registry", "changeDefaultAdminDelay")
def _change_default_admin_delay(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    c.call = lambda s: w.registry.changeDefaultAdminDelay(DAY, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["DefaultAdminDelayChangeScheduled"]
        effective = tx.timestamp + ADMIN_DELAY - DAY  # a shorter delay waits out the difference
        assert (event["newDelay"], event["effectSchedule"]) == (DAY, effective)
        assert tuple(w.registry.pendingDefaultAdminDelay()) == (DAY, effective)
        assert w.registry.defaultAdminDelay() == ADMIN_DELAY  # not yet

    c.check = check


@scenario("participant_registry", "rollbackDefaultAdminDelay")
def _rollback_default_admin_delay(w: Any, c: Ctx) -> None:
    _admin_function(w, c)
    w.registry.changeDefaultAdminDelay(DAY, {"from": w.admin})
    c.call = lambda s: w.registry.rollbackDefaultAdminDelay({"from": s})

    def check(tx: Any) -> None:
        assert "DefaultAdminDelayChangeCanceled" in tx.events
        assert tuple(w.registry.pendingDefaultAdminDelay()) == (0, 0)
        assert w.registry.defaultAdminDelay() == ADMIN_DELAY

    c.check = check


def _manager_function(w: Any, c: Ctx) -> None:
    c.party = c.member = w.brand  # the brand's manager
    c.no_role = w.brand_key  # the brand's other account, no manager
    c.another = w.brand2  # the second brand's manager
    c.org = w.orgs["brand"]


@scenario("participant_registry", "updateProfile")
def _update_profile(w: Any, c: Ctx) -> None:
    _manager_function(w, c)
    c.call = lambda s: w.registry.updateProfile(c.org, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert b32(tx.events["ProfileUpdated"]["newProfileHash"]) == REASON
        assert b32(w.registry.getOrganisation(c.org)["profileHash"]) == REASON

    c.check = check


@scenario("participant_registry", "addAccount")
def _add_account(w: Any, c: Ctx) -> None:
    _manager_function(w, c)
    c.call = lambda s: w.registry.addAccount(c.org, FRESH, False, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["AccountAdded"]["account"] == web3.to_checksum_address(FRESH)
        assert tuple(w.registry.organisationOf(FRESH)) == (c.org, False)

    c.check = check


@scenario("participant_registry", "revokeAccount")
def _revoke_account(w: Any, c: Ctx) -> None:
    _manager_function(w, c)
    w.registry.addAccount(c.org, FRESH, False, {"from": w.brand})
    c.call = lambda s: w.registry.revokeAccount(FRESH, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["AccountRevoked"]["account"] == web3.to_checksum_address(FRESH)
        assert tuple(w.registry.organisationOf(FRESH)) == (0, False)

    c.check = check


@scenario("participant_registry", "rotateAccount")
def _rotate_account(w: Any, c: Ctx) -> None:
    _manager_function(w, c)
    w.registry.addAccount(c.org, FRESH, False, {"from": w.brand})
    c.call = lambda s: w.registry.rotateAccount(FRESH, FRESH_2, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["AccountRevoked"]["account"] == web3.to_checksum_address(FRESH)
        assert tuple(w.registry.organisationOf(FRESH)) == (0, False)
        assert tuple(w.registry.organisationOf(FRESH_2)) == (c.org, False)

    c.check = check


# ================================================================== scenarios: ProductRegistry


def _producer(w: Any, c: Ctx) -> None:
    """The brand acts on its own GTIN or lot; the second brand (a producer too) is the other party."""
    c.party = w.brand
    c.another = w.brand2
    c.lot = w.lot


@scenario("product_registry", "claimGtin")
def _claim_gtin(w: Any, c: Ctx) -> None:
    _producer(w, c)
    c.call = lambda s: w.products.claimGtin(GTIN_UNCLAIMED, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["GtinClaimed"]["owner"] == w.orgs["brand"]
        assert w.products.gtinOwner(GTIN_UNCLAIMED) == w.orgs["brand"]

    c.check = check


@scenario("product_registry", "registerLot")
def _register_lot(w: Any, c: Ctx) -> None:
    _producer(w, c)
    c.call = lambda s: w.products.registerLot(GTIN, b20("LOT9"), 0, b"IT", ZERO32, 0, {"from": s})

    def check(tx: Any) -> None:
        lot = tx.events["LotRegistered"]["lot"]
        assert w.products.getLot(lot)["owner"] == w.orgs["brand"] and w.products.custodianOf(lot) == w.orgs["brand"]

    c.check = check


@scenario("product_registry", "commission")
def _commission(w: Any, c: Ctx) -> None:
    _producer(w, c)
    c.call = lambda s: w.products.commission(w.lot, serial_leaf(GTIN, "SN9", 0), 1, 0, {"from": s})

    def check(tx: Any) -> None:
        batch = tx.events["Commissioned"]["batch"]
        assert w.products.custodianOf(batch) == w.orgs["brand"] and w.products.getUnit(batch)["size"] == 1

    c.check = check


@scenario("product_registry", "pack")
def _pack(w: Any, c: Ctx) -> None:
    """A new container: the brand packs its batch under its own SSCC; a member with no licence tries an unlicensed
    SSCC for the batch it holds; the second brand tries the brand's SSCC for its own lot."""
    _producer(w, c)
    container, children = {
        "member_without_role": (SSCC_UNLICENSED, [w.dispensable]),
        "another_party": (SSCC_BRAND, [w.lot_b2]),
    }.get(c.actor, (SSCC_BRAND, [w.batch]))
    c.call = lambda s: w.products.pack(unit(container), children, 0, {"from": s})

    def check(tx: Any) -> None:
        assert b32(tx.events["Packed"]["container"]) == unit(SSCC_BRAND)
        box = w.products.getUnit(unit(SSCC_BRAND))
        assert (box["kind"], box["custodian"], box["height"]) == (3, w.orgs["brand"], 1)
        assert b32(w.products.parentOf(w.batch)) == unit(SSCC_BRAND)

    c.check = check


@scenario("product_registry", "unpack")
def _unpack(w: Any, c: Ctx) -> None:
    c.party, c.another = w.brand, w.carrier
    w.products.pack(unit(SSCC_BRAND), [w.batch], 0, {"from": w.brand})
    c.call = lambda s: w.products.unpack(unit(SSCC_BRAND), [w.batch], 0, {"from": s})

    def check(tx: Any) -> None:
        assert [b32(x) for x in tx.events["Unpacked"]["children"]] == [w.batch]
        assert b32(w.products.parentOf(w.batch)) == ZERO32
        assert w.products.getUnit(unit(SSCC_BRAND))["height"] == 0  # empty again

    c.check = check


@scenario("product_registry", "ship")
def _ship(w: Any, c: Ctx) -> None:
    c.party, c.another, c.lot = w.brand, w.carrier2, w.lot
    c.call = lambda s: w.products.ship(w.lot, w.orgs["carrier"], 0, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Shipped"]["to"] == w.orgs["carrier"]
        assert w.products.getUnit(w.lot)["pendingReceiver"] == w.orgs["carrier"]

    c.check = check


@scenario("product_registry", "receiveShipment")
def _receive_shipment(w: Any, c: Ctx) -> None:
    c.party, c.another, c.lot = w.carrier, w.carrier2, w.lot
    w.products.ship(w.lot, w.orgs["carrier"], 0, {"from": w.brand})
    c.call = lambda s: w.products.receiveShipment(w.lot, 0, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Received"]["from"] == w.orgs["brand"]
        assert w.products.custodianOf(w.lot) == w.orgs["carrier"]
        assert w.products.getUnit(w.lot)["pendingReceiver"] == 0

    c.check = check


@scenario("product_registry", "cancelShipment")
def _cancel_shipment(w: Any, c: Ctx) -> None:
    c.party, c.another, c.lot = w.brand, w.carrier, w.lot  # the other party: the receiver itself
    w.products.ship(w.lot, w.orgs["carrier"], 0, {"from": w.brand})
    c.call = lambda s: w.products.cancelShipment(w.lot, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ShipmentCancelled"]["to"] == w.orgs["carrier"]
        assert w.products.getUnit(w.lot)["pendingReceiver"] == 0 and w.products.custodianOf(w.lot) == w.orgs["brand"]

    c.check = check


@scenario("product_registry", "transform")
def _transform(w: Any, c: Ctx) -> None:
    _producer(w, c)
    output = (GTIN, b20("LOT-T"), 0, b"IT", ZERO32)
    c.call = lambda s: w.products.transform([w.lot], [output], 0, {"from": s})

    def check(tx: Any) -> None:
        assert [b32(x) for x in tx.events["Transformed"]["inputs"]] == [w.lot]
        assert w.products.getUnit(w.lot)["consumed"] is True
        assert w.products.getLot(tx.events["Transformed"]["outputs"][0])["owner"] == w.orgs["brand"]

    c.check = check


@scenario("product_registry", "inspect")
def _inspect(w: Any, c: Ctx) -> None:
    c.party = w.inspector
    c.call = lambda s: w.products.inspect(w.lot, True, REASON, 0, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["Inspected"]
        assert (b32(event["unit"]), event["inspector"], event["passed"]) == (w.lot, w.orgs["inspector"], True)

    c.check = check


@scenario("product_registry", "dispense")
def _dispense(w: Any, c: Ctx) -> None:
    """The retailer holds the batch; its GTIN owner (the brand, which shipped it) is the other party."""
    c.party, c.another, c.batch = w.retailer, w.brand, w.dispensable
    c.call = lambda s: w.products.dispense(w.dispensable, b20("SN2"), 0, [], 0, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Dispensed"]["organisation"] == w.orgs["retailer"]
        assert w.products.isDecommissioned(w.dispensable, 0) is True

    c.check = check


@scenario("product_registry", "recall")
def _recall(w: Any, c: Ctx) -> None:
    _producer(w, c)
    c.extra = {"regulator": w.regulator}
    c.call = lambda s: w.products.recall([w.lot], REASON, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Recalled"]["by"] == c.sender_org
        assert w.products.getLot(w.lot)["recalled"] is True

    c.check = check


@scenario("product_registry", "recordEvents")
def _record_events(w: Any, c: Ctx) -> None:
    c.party = w.carrier
    c.call = lambda s: w.products.recordEvents([(REASON, 1, 1_700_000_000, 0)], {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["EpcisEventRecorded"]
        assert (b32(event["eventHash"]), event["organisation"]) == (REASON, w.orgs["carrier"])

    c.check = check


# ================================================================== scenarios: DocumentRegistry


def _document(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def _pair(w: Any) -> tuple[bytes, bytes, bytes]:
    """Two bills of lading in one batch: (root, leaf of the first, leaf of the second)."""
    first, second = (b32(w.documents.leafOf(_document(n), BILL_OF_LADING, TRADE)) for n in ("bl-1", "bl-2"))
    return keccak(min(first, second) + max(first, second)), first, second


@scenario("document_registry", "anchor")
def _anchor(w: Any, c: Ctx) -> None:
    c.party, c.another = w.carrier, w.carrier2
    root = b32(w.documents.leafOf(_document("bl-1"), BILL_OF_LADING, TRADE))
    carrier = w.orgs["carrier"]
    if c.actor == "another_issuer":  # the carrier anchored it first
        w.documents.anchor(root, 1, {"from": w.carrier})
    c.call = lambda s: w.documents.anchor(root, 1, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["BatchAnchored"]["issuer"] == c.sender_org
        assert w.documents.getBatch(root, c.sender_org)["issuer"] == c.sender_org
        verified = w.documents.verify(_document("bl-1"), BILL_OF_LADING, TRADE, root, c.sender_org, [])
        assert verified["valid"] is (c.actor != "member_without_role")  # a retailer's bill of lading proves nothing
        if c.actor == "another_issuer":
            assert w.documents.getBatch(root, carrier)["issuer"] == carrier  # the carrier's own batch stands
            assert w.documents.verify(_document("bl-1"), BILL_OF_LADING, TRADE, root, carrier, [])["valid"] is True

    c.check = check


def _revocation(w: Any, c: Ctx) -> tuple[bytes, bytes, bytes]:
    c.party, c.another = w.carrier, w.carrier2
    c.issuer = w.orgs["carrier"]
    root, first, second = _pair(w)
    w.documents.anchor(root, 2, {"from": w.carrier})
    return root, first, second


@scenario("document_registry", "revokeBatch")
def _revoke_batch(w: Any, c: Ctx) -> None:
    root, _, second = _revocation(w, c)
    c.call = lambda s: w.documents.revokeBatch(root, c.issuer, REASON, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["BatchRevoked"]
        assert (b32(event["root"]), event["issuer"], event["by"]) == (root, c.issuer, c.sender)
        assert w.documents.getBatch(root, c.issuer)["revokedAt"] == tx.timestamp
        verified = w.documents.verify(_document("bl-1"), BILL_OF_LADING, TRADE, root, c.issuer, [second])
        assert verified["valid"] is False

    c.check = check


@scenario("document_registry", "revokeDocument")
def _revoke_document(w: Any, c: Ctx) -> None:
    root, first, second = _revocation(w, c)
    c.call = lambda s: w.documents.revokeDocument(
        root, c.issuer, _document("bl-1"), BILL_OF_LADING, TRADE, [second], REASON, {"from": s}
    )

    def check(tx: Any) -> None:
        event = tx.events["DocumentRevoked"]
        assert (b32(event["leaf"]), event["issuer"], event["by"]) == (first, c.issuer, c.sender)
        one = w.documents.verify(_document("bl-1"), BILL_OF_LADING, TRADE, root, c.issuer, [second])
        other = w.documents.verify(_document("bl-2"), BILL_OF_LADING, TRADE, root, c.issuer, [first])
        assert (one["valid"], one["revokedAt"], other["valid"]) == (False, tx.timestamp, True)

    c.check = check


# ================================================================== scenarios: TradeEscrow


def _terms(w: Any) -> tuple[Any, ...]:
    """The financier funds, the retailer buys, the manufacturer sells, the arbiter (a member) arbitrates; one
    milestone on the bill of lading."""
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 30 * DAY
    return (
        w.financier.address,
        w.retailer.address,
        w.manufacturer.address,
        w.arbiter.address,
        w.usdc.address,
        AMOUNT,
        deadline,
        TRADE,
        ZERO32,
        [(10_000, 1 << BILL_OF_LADING, 0)],
    )


def _escrow(w: Any, c: Ctx, *, opened: bool = True, funded: bool = True) -> tuple[Any, ...]:
    t = _terms(w)
    c.escrow_id = b32(w.escrow.escrowIdOf(t))
    if opened:
        w.escrow.open(t, {"from": w.retailer})
    w.usdc.approve(w.escrow, AMOUNT, {"from": w.financier})
    if funded:
        w.escrow.fund(t, {"from": w.financier})
    return t


@scenario("trade_escrow", "open")
def _open(w: Any, c: Ctx) -> None:
    c.party, c.another = w.retailer, w.manufacturer  # the buyer; the seller
    c.extra = {"funder": w.financier}
    t = _escrow(w, c, opened=False, funded=False)
    c.call = lambda s: w.escrow.open(t, {"from": s})

    def check(tx: Any) -> None:
        assert b32(tx.events["EscrowOpened"]["escrowId"]) == c.escrow_id
        assert w.escrow.getState(c.escrow_id)["status"] == 1  # open

    c.check = check


@scenario("trade_escrow", "fund")
def _fund(w: Any, c: Ctx) -> None:
    c.party, c.another = w.financier, w.retailer  # the funder; the buyer
    t = _escrow(w, c, funded=False)
    c.call = lambda s: w.escrow.fund(t, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["EscrowFunded"]["amount"] == AMOUNT
        assert w.escrow.getState(c.escrow_id)["status"] == 2 and w.usdc.balanceOf(w.escrow) == AMOUNT

    c.check = check


@scenario("trade_escrow", "release")
def _release(w: Any, c: Ctx) -> None:
    c.party = w.manufacturer  # the seller
    t = _escrow(w, c)
    leaf = b32(w.documents.leafOf(_document("bl-1"), BILL_OF_LADING, c.escrow_id))  # issued for this escrow
    w.documents.anchor(leaf, 1, {"from": w.carrier})
    proof: tuple[Any, ...] = (_document("bl-1"), BILL_OF_LADING, leaf, w.orgs["carrier"], [])
    before = w.usdc.balanceOf(w.manufacturer)
    c.call = lambda s: w.escrow.release(t, 0, [proof], {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["MilestoneReleased"]["amount"] == AMOUNT
        assert w.usdc.balanceOf(w.manufacturer) - before == AMOUNT
        assert w.escrow.getState(c.escrow_id)["status"] == 4  # closed

    c.check = check


@scenario("trade_escrow", "refund")
def _refund(w: Any, c: Ctx) -> None:
    c.party = w.financier  # the funder
    t = _escrow(w, c)
    chain.sleep(31 * DAY)
    before = w.usdc.balanceOf(w.financier)
    c.call = lambda s: w.escrow.refund(t, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["EscrowRefunded"]["amount"] == AMOUNT
        assert w.usdc.balanceOf(w.financier) - before == AMOUNT
        assert w.escrow.getState(c.escrow_id)["status"] == 4

    c.check = check


@scenario("trade_escrow", "dispute")
def _dispute(w: Any, c: Ctx) -> None:
    c.party, c.another = w.retailer, w.financier  # the buyer; the funder
    t = _escrow(w, c)
    c.call = lambda s: w.escrow.dispute(t, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["DisputeRaised"]["buyer"] == w.retailer
        state = w.escrow.getState(c.escrow_id)
        assert (state["status"], state["disputedAt"]) == (3, tx.timestamp)

    c.check = check


@scenario("trade_escrow", "resolve")
def _resolve(w: Any, c: Ctx) -> None:
    c.party, c.another = w.arbiter, w.retailer  # the arbiter; the buyer
    t = _escrow(w, c)
    w.escrow.dispute(t, REASON, {"from": w.retailer})
    c.call = lambda s: w.escrow.resolve(t, 5_000, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["DisputeResolved"]
        assert (event["toSeller"], event["toFunder"]) == (AMOUNT // 2, AMOUNT // 2)
        assert w.escrow.getState(c.escrow_id)["status"] == 4

    c.check = check


# ================================================================== scenarios: InvoiceRegistry


def _financier(w: Any, c: Ctx) -> None:
    c.party = w.financier
    c.another = w.financier2


@scenario("invoice_registry", "register")
def _register(w: Any, c: Ctx) -> None:
    """The other financier comes second to an invoice the first financed in full."""
    _financier(w, c)
    share = 10_000
    if c.actor == "another_financier":
        w.invoices.register(FP, 10_000, NO_SECONDARY, {"from": w.financier})
        c.since, share = w.invoices.check(FP)["since"], 1
    c.call = lambda s: w.invoices.register(FP, share, NO_SECONDARY, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["InvoiceFinanced"]["totalBps"] == 10_000
        assert w.invoices.shareOf(FP, w.orgs["financier"]) == 10_000

    c.check = check


@scenario("invoice_registry", "registerBatch")
def _register_batch(w: Any, c: Ctx) -> None:
    _financier(w, c)
    share = 10_000
    if c.actor == "another_financier":
        w.invoices.register(FP, 10_000, NO_SECONDARY, {"from": w.financier})
        share = 1
    c.call = lambda s: w.invoices.registerBatch([(FP, share, NO_SECONDARY)], {"from": s})

    def check(tx: Any) -> None:
        if c.actor == "another_financier":
            assert list(tx.return_value) == [False] and "InvoiceFinanced" not in tx.events
            assert tx.events["RegistrationRefused"]["totalBps"] == 10_000
            assert w.invoices.shareOf(FP, w.orgs["financier2"]) == 0
        else:
            assert list(tx.return_value) == [True]
            assert w.invoices.shareOf(FP, w.orgs["financier"]) == 10_000

    c.check = check


def _syndicate(w: Any, c: Ctx) -> None:
    """The financier holds 6,000 bps, the second financier 4,000; the other financier (the third) holds none."""
    c.party = w.financier
    c.another = w.financier3
    w.invoices.register(FP, 6_000, NO_SECONDARY, {"from": w.financier})
    w.invoices.register(FP, 4_000, NO_SECONDARY, {"from": w.financier2})


@scenario("invoice_registry", "settle")
def _settle(w: Any, c: Ctx) -> None:
    _syndicate(w, c)
    c.call = lambda s: w.invoices.settle(FP, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["InvoiceSettled"]
        assert (event["organisation"], event["shareBps"], event["settledBps"]) == (w.orgs["financier"], 6_000, 6_000)
        invoice = w.invoices.check(FP)
        assert (invoice["status"], invoice["settledBps"]) == (1, 6_000)  # its own share only: still financed

    c.check = check


@scenario("invoice_registry", "cancel")
def _cancel(w: Any, c: Ctx) -> None:
    _syndicate(w, c)
    c.call = lambda s: w.invoices.cancel(FP, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["FinancingCancelled"]["shareBps"] == 6_000
        assert w.invoices.check(FP)["totalBps"] == 4_000
        assert w.invoices.shareOf(FP, w.orgs["financier2"]) == 4_000  # the other share stands

    c.check = check


@scenario("invoice_registry", "acknowledge")
def _acknowledge(w: Any, c: Ctx) -> None:
    """The buyer (no member) signs; the right party sends it itself, everyone else relays it."""
    c.party = w.buyer
    c.member = w.financier  # a relaying member, suspended or revoked
    c.another = w.financier2
    nonce = w.invoices.nonces(w.buyer)
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 3_600
    message = {
        "domain": {
            "name": "tradechain InvoiceRegistry",
            "version": "1",
            "chainId": chain.id,
            "verifyingContract": w.invoices.address,
        },
        "types": ACKNOWLEDGMENT_TYPES,
        "primaryType": "Acknowledgment",
        "message": {"fingerprint": FP, "nonce": nonce, "deadline": deadline},
    }
    signature = bytes(Account.sign_message(encode_typed_data(full_message=message), BUYER_KEY).signature)
    c.call = lambda s: w.invoices.acknowledge(FP, w.buyer, nonce, deadline, signature, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["InvoiceAcknowledged"]["buyer"] == w.buyer
        assert w.invoices.acknowledgedAt(FP, w.buyer) == tx.timestamp

    c.check = check


# ================================================================== scenarios: LuxuryCertificate


def _brand_function(w: Any, c: Ctx) -> None:
    c.party = w.brand
    c.another = w.brand2
    c.token = w.token


@scenario("luxury_certificate", "issue")
def _issue(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    serial = b"WATCH-0002".ljust(32, b"\0")
    c.call = lambda s: w.certificates.issue(w.orgs["brand"], w.customer, serial, META, {"from": s})

    def check(tx: Any) -> None:
        token = tx.events["CertificateIssued"]["tokenId"]
        assert token == w.certificates.certificateId(w.orgs["brand"], serial)
        assert w.certificates.ownerOf(token) == w.customer

    c.check = check


@scenario("luxury_certificate", "issueBatch")
def _issue_batch(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    serials = [f"WATCH-1{i}".encode().ljust(32, b"\0") for i in range(2)]
    c.call = lambda s: w.certificates.issueBatch(w.orgs["brand"], w.customer, serials, [META] * 2, {"from": s})

    def check(tx: Any) -> None:
        assert len(tx.events["CertificateIssued"]) == 2
        assert w.certificates.balanceOf(w.customer) == 2

    c.check = check


@scenario("luxury_certificate", "updateMetadata")
def _update_metadata(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    c.call = lambda s: w.certificates.updateMetadata(w.token, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert b32(tx.events["MetadataHashChanged"]["newHash"]) == REASON
        assert tx.events["MetadataUpdate"]["_tokenId"] == w.token

    c.check = check


@scenario("luxury_certificate", "setBaseURI")
def _set_base_uri(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    c.call = lambda s: w.certificates.setBaseURI(w.orgs["brand"], "https://brand.example/", {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["BaseURIChanged"]["baseURI"] == "https://brand.example/"
        assert w.certificates.tokenURI(w.token).startswith("https://brand.example/0x")

    c.check = check


@scenario("luxury_certificate", "recordService")
def _record_service(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    c.call = lambda s: w.certificates.recordService(w.token, REASON, REASON, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["ServiceRecorded"]
        assert (event["tokenId"], event["brand"]) == (w.token, w.orgs["brand"])

    c.check = check


@scenario("luxury_certificate", "clearReport")
def _clear_report(w: Any, c: Ctx) -> None:
    _brand_function(w, c)
    w.certificates.report(w.token, True, REASON, {"from": w.retailer})  # the owner reported it stolen
    c.call = lambda s: w.certificates.clearReport(w.token, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ReportCleared"]["previousStatus"] == 1
        assert w.certificates.getCertificate(w.token)["status"] == 0

    c.check = check


def _owner_function(w: Any, c: Ctx) -> None:
    """The retailer owns the brand's certificate; a carrier is a member that does not."""
    c.party = w.retailer
    c.no_role = w.carrier
    c.another = w.brand2
    c.token = w.token
    c.extra = {"certificate_brand": w.brand}


@scenario("luxury_certificate", "openClaim")
def _open_claim(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    c.call = lambda s: w.certificates.openClaim(w.token, CLAIM_KEY.address, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ClaimOpened"]["claimKey"] == CLAIM_KEY.address
        assert w.certificates.getCertificate(w.token)["claimKey"] == CLAIM_KEY.address

    c.check = check


@scenario("luxury_certificate", "cancelClaim")
def _cancel_claim(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    w.certificates.openClaim(w.token, CLAIM_KEY.address, {"from": w.retailer})
    c.call = lambda s: w.certificates.cancelClaim(w.token, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ClaimClosed"]["claimNonce"] == 1
        assert w.certificates.getCertificate(w.token)["claimKey"] == ZERO

    c.check = check


def _claim_signature(w: Any, claimant: Any) -> bytes:
    nonce = w.certificates.getCertificate(w.token)["claimNonce"]
    inner = keccak(
        encode(
            ["string", "uint256", "address", "uint256", "address", "uint32"],
            ["tradechain certificate claim", chain.id, w.certificates.address, w.token, claimant.address, nonce],
        )
    )
    return bytes(Account.sign_message(encode_defunct(primitive=inner), CLAIM_KEY.key).signature)


@scenario("luxury_certificate", "claim")
def _claim(w: Any, c: Ctx) -> None:
    """The owner opened a claim; the manufacturer (a member) bought the item and holds the secret. Every other
    caller sends the manufacturer's signature, seen in the mempool."""
    _owner_function(w, c)
    c.party = w.manufacturer
    w.certificates.openClaim(w.token, CLAIM_KEY.address, {"from": w.retailer})
    signature = _claim_signature(w, w.manufacturer)
    c.call = lambda s: w.certificates.claim(w.token, signature, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["CertificateClaimed"]["claimant"] == w.manufacturer
        assert w.certificates.ownerOf(w.token) == w.manufacturer

    c.check = check


@scenario("luxury_certificate", "report")
def _report(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    c.call = lambda s: w.certificates.report(w.token, True, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["CertificateReported"]["reporter"] == c.sender
        assert w.certificates.getCertificate(w.token)["status"] == 1  # stolen: frozen

    c.check = check


@scenario("luxury_certificate", "approve")
def _approve(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    c.extra["approved_operator"] = w.operator
    if c.actor == "approved_operator":
        w.certificates.setApprovalForAll(w.operator, True, {"from": w.retailer})
    c.call = lambda s: w.certificates.approve(w.customer, w.token, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Approval"]["approved"] == w.customer
        assert w.certificates.getApproved(w.token) == w.customer

    c.check = check


@scenario("luxury_certificate", "setApprovalForAll")
def _set_approval_for_all(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    c.call = lambda s: w.certificates.setApprovalForAll(w.operator, True, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ApprovalForAll"]["owner"] == c.sender
        assert w.certificates.isApprovedForAll(c.sender, w.operator) is True
        # only the caller's own certificates: the owner's stays out of the operator's reach
        assert w.certificates.isApprovedForAll(w.retailer, w.operator) is (c.sender == w.retailer)

    c.check = check


@scenario(
    "luxury_certificate",
    "transferFrom",
    "safeTransferFrom(address,address,uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
)
def _transfer(w: Any, c: Ctx) -> None:
    _owner_function(w, c)
    c.extra["approved_operator"] = w.operator
    if c.actor == "approved_operator":
        w.certificates.setApprovalForAll(w.operator, True, {"from": w.retailer})
    method = {
        "transferFrom": w.certificates.transferFrom,
        "safeTransferFrom(address,address,uint256)": w.certificates.safeTransferFrom["address,address,uint256"],
    }.get(c.function)
    if method is None:
        overload = w.certificates.safeTransferFrom["address,address,uint256,bytes"]
        c.call = lambda s: overload(w.retailer, w.customer, w.token, b"matrix", {"from": s})
    else:
        c.call = lambda s: method(w.retailer, w.customer, w.token, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["Transfer"]
        assert (event["from"], event["to"], event["tokenId"]) == (w.retailer, w.customer, w.token)
        assert w.certificates.ownerOf(w.token) == w.customer

    c.check = check


# ================================================================== scenarios: RiskRegistry


def _risk_model(w: Any, c: Ctx, *, approve: bool = True) -> int:
    """The customs authority's model, approved by the regulator: the approval's time (0 if not approved)."""
    c.party, c.another = w.customs, w.arbiter  # the arbiter is a customs administration too
    c.org = w.orgs["customs"]
    if c.actor == "uninvited_regulator":  # another customs' model, naming the regulator: the authority is uninvited
        c.org = w.orgs["arbiter"]
        c.extra["uninvited_regulator"] = w.customs
        w.risk.proposeModel(RISK_MODEL, RISK_CARD, w.orgs["regulator"], {"from": w.arbiter})
    else:
        w.risk.proposeModel(RISK_MODEL, RISK_CARD, w.orgs["regulator"], {"from": w.customs})
    if not approve:
        return 0
    return int(w.risk.approveModel(RISK_MODEL, c.org, {"from": w.regulator}).timestamp)


@scenario("risk_registry", "proposeModel")
def _propose_model(w: Any, c: Ctx) -> None:
    c.party, c.another = w.customs, w.arbiter
    if c.actor == "another_customs":  # the authority proposed it first
        w.risk.proposeModel(RISK_MODEL, RISK_CARD, w.orgs["regulator"], {"from": w.customs})
    card = keccak(c.actor.encode())
    c.call = lambda s: w.risk.proposeModel(RISK_MODEL, card, w.orgs["regulator"], {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ModelProposed"]["proposer"] == c.sender_org
        assert tx.events["ModelProposed"]["approver"] == w.orgs["regulator"]
        assert b32(w.risk.model(RISK_MODEL, c.sender_org)["cardHash"]) == card
        if c.actor == "another_customs":
            assert b32(w.risk.model(RISK_MODEL, w.orgs["customs"])["cardHash"]) == RISK_CARD  # the first stands

    c.check = check


@scenario("risk_registry", "approveModel")
def _approve_model(w: Any, c: Ctx) -> None:
    _risk_model(w, c, approve=False)
    c.party, c.another = w.regulator, w.customs  # the right role (regulator), the wrong organisation (its own)
    c.call = lambda s: w.risk.approveModel(RISK_MODEL, c.org, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ModelApproved"]["approver"] == w.orgs["regulator"]
        model = w.risk.model(RISK_MODEL, c.org)
        assert (model["approver"], model["approvedAt"]) == (w.orgs["regulator"], tx.timestamp)

    c.check = check


@scenario("risk_registry", "retireModel")
def _retire_model(w: Any, c: Ctx) -> None:
    _risk_model(w, c)
    c.extra["approver"] = w.regulator
    c.call = lambda s: w.risk.retireModel(RISK_MODEL, c.org, REASON, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["ModelRetired"]["retiredBy"] == c.sender_org
        assert w.risk.model(RISK_MODEL, c.org)["retiredAt"] == tx.timestamp

    c.check = check


@scenario("risk_registry", "anchorDecisions")
def _anchor_decisions(w: Any, c: Ctx) -> None:
    _risk_model(w, c)
    root = keccak(b"matrix decisions")
    c.call = lambda s: w.risk.anchorDecisions(root, 3, RISK_MODEL, c.org, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["DecisionsAnchored"]["org"] == c.sender_org
        assert w.risk.batch(root, c.sender_org)["anchoredAt"] == tx.timestamp
        assert w.risk.batch(root, w.orgs["customs"])["count"] == 3
        assert w.risk.model(RISK_MODEL, c.org)["decisions"] == 3

    c.check = check


def _risk_decision(w: Any, c: Ctx) -> tuple[bytes, Decision, list[bytes]]:
    """Two decisions of the authority anchored under its approved model: (root, the first, its proof)."""
    at = _risk_model(w, c)
    c.extra["inspector"] = w.inspector
    pair = [
        Decision(keccak(b"declaration %d" % i), RISK_MODEL, 700_000, 600_000, INSPECT, keccak(b"why %d" % i), at)
        for i in range(2)
    ]
    tree = decision_tree(pair)
    w.risk.anchorDecisions(tree.root, 2, RISK_MODEL, c.org, {"from": w.customs})
    return tree.root, pair[0], tree.proof(0)


@scenario("risk_registry", "reviewDecision")
def _review_decision(w: Any, c: Ctx) -> None:
    root, decision, proof = _risk_decision(w, c)
    c.call = lambda s: w.risk.reviewDecision(root, c.org, decision.fields(), proof, RELEASE, REASON, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["DecisionReviewed"]
        assert (b32(event["leaf"]), event["overridden"], event["by"]) == (decision.leaf, True, c.sender)
        assert w.risk.decisionState(c.org, decision.leaf)["finalDecision"] == RELEASE
        assert w.risk.model(RISK_MODEL, c.org)["overrides"] == 1

    c.check = check


@scenario("risk_registry", "recordOutcome")
def _record_outcome(w: Any, c: Ctx) -> None:
    root, decision, proof = _risk_decision(w, c)
    c.call = lambda s: w.risk.recordOutcome(root, c.org, decision.fields(), proof, NO_FRAUD, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["OutcomeRecorded"]
        assert (b32(event["leaf"]), event["effectiveDecision"], event["outcome"]) == (decision.leaf, INSPECT, NO_FRAUD)
        model = w.risk.model(RISK_MODEL, c.org)
        assert (model["inspectedOutcomes"], model["inspectedFraud"]) == (1, 0)

    c.check = check


@scenario("risk_registry", "anchorRound")
def _anchor_round(w: Any, c: Ctx) -> None:
    c.party, c.another = w.customs, w.arbiter
    updates, aggregate = keccak(b"matrix updates"), keccak(b"matrix aggregate")
    if c.actor == "another_customs":  # the authority anchored its round 1 first
        w.risk.anchorRound(RISK_FED, 1, updates, 4, aggregate, {"from": w.customs})
    c.call = lambda s: w.risk.anchorRound(RISK_FED, 1, keccak(c.actor.encode()), 4, aggregate, {"from": s})

    def check(tx: Any) -> None:
        assert (tx.events["RoundAnchored"]["org"], tx.events["RoundAnchored"]["round"]) == (c.sender_org, 1)
        assert w.risk.federation(c.sender_org, RISK_FED)[0] == 1
        if c.actor == "another_customs":
            digest = w.risk.roundDigest(updates, 4, aggregate)
            assert w.risk.round(w.orgs["customs"], RISK_FED, 1)["digest"] == digest  # the first stands

    c.check = check


# ================================================================== scenarios: TitleRegistry


def _bill_of_lading(w: Any, name: str) -> tuple[bytes, bytes, bytes, list[bytes]]:
    """A bill of lading anchored alone by the carrier: (documentHash, tradeId, root, proof)."""
    document = keccak(name.encode())
    leaf = b32(w.documents.leafOf(document, BILL_OF_LADING, TRADE))
    w.documents.anchor(leaf, 1, {"from": w.carrier})
    return document, TRADE, leaf, []


def _ebl(w: Any, c: Ctx, holder: Any, beneficiary: Any, name: str = "ebl-1") -> int:
    """The carrier issues an eBL to `holder` and `beneficiary`; sets `c.tid` and `c.beneficiary`."""
    doc = _bill_of_lading(w, name)
    tid = int(w.titles.issue((*doc, holder.address, beneficiary.address), {"from": w.carrier}).return_value)
    c.tid, c.beneficiary = tid, beneficiary
    return tid


def _shipper(w: Any, c: Ctx, *, holder: Any = None) -> int:
    """The brand (the shipper) holds the eBL (or `holder` does) and is its beneficiary; the second brand is the
    other party."""
    c.party, c.another = w.brand, w.brand2
    return _ebl(w, c, holder or w.brand, w.brand)


def _bank_holds_when_no_role(w: Any, c: Ctx) -> None:
    """For the member-without-role cell: the brand passes possession to its bank, which then holds the eBL
    without being its beneficiary (and without a nomination)."""
    if c.actor == "member_without_role":
        w.titles.transferHolder(c.tid, w.financier, ZERO32, {"from": w.brand})
        c.no_role = w.financier


@scenario("title_registry", "issue")
def _title_issue(w: Any, c: Ctx) -> None:
    c.party, c.another = w.carrier, w.carrier2  # no_role: the retailer, no carrier
    doc = _bill_of_lading(w, "ebl-1")
    c.document = doc[0]
    c.call = lambda s: w.titles.issue((*doc, w.brand.address, w.brand.address), {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["TitleIssued"]["issuer"] == w.orgs["carrier"]
        assert tx.return_value == w.titles.titleIdOf(w.orgs["carrier"], doc[0])
        ebl = w.titles.getTitle(tx.return_value)
        assert (ebl["holder"], ebl["beneficiary"], ebl["status"]) == (w.brand, w.brand, 1)

    c.check = check


@scenario("title_registry", "nominate")
def _title_nominate(w: Any, c: Ctx) -> None:
    """The bank holds the eBL, the brand is its beneficiary and nominates the retailer."""
    _shipper(w, c, holder=w.financier)
    c.no_role = w.financier
    c.call = lambda s: w.titles.nominate(c.tid, w.retailer, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["BeneficiaryNominated"]["nominee"] == w.retailer
        assert w.titles.getTitle(c.tid)["nominee"] == w.retailer

    c.check = check


@scenario("title_registry", "transferHolder")
def _title_transfer_holder(w: Any, c: Ctx) -> None:
    """The brand holds, its bank is the beneficiary (the member without role: not the holder)."""
    c.party, c.another, c.no_role = w.brand, w.brand2, w.financier
    _ebl(w, c, w.brand, w.financier)
    c.call = lambda s: w.titles.transferHolder(c.tid, w.retailer, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["Transfer"]
        assert (event["from"], event["to"], event["tokenId"]) == (w.brand, w.retailer, c.tid)
        assert w.titles.ownerOf(c.tid) == w.retailer and w.titles.getTitle(c.tid)["beneficiary"] == w.financier

    c.check = check


@scenario("title_registry", "transferBeneficiary")
def _title_transfer_beneficiary(w: Any, c: Ctx) -> None:
    _shipper(w, c)
    _bank_holds_when_no_role(w, c)
    c.call = lambda s: w.titles.transferBeneficiary(c.tid, w.retailer, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["BeneficiaryTransferred"]
        assert (event["from"], event["to"]) == (w.brand, w.retailer)
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"], ebl["undo"]) == (w.brand, w.retailer, 2)

    c.check = check


@scenario("title_registry", "transferOwners")
def _title_transfer_owners(w: Any, c: Ctx) -> None:
    _shipper(w, c)
    _bank_holds_when_no_role(w, c)
    c.call = lambda s: w.titles.transferOwners(c.tid, w.retailer, w.retailer, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Transfer"]["to"] == w.retailer and tx.events["BeneficiaryTransferred"]["to"] == w.retailer
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"], ebl["undo"]) == (w.retailer, w.retailer, 3)

    c.check = check


@scenario("title_registry", "reject")
def _title_reject(w: Any, c: Ctx) -> None:
    """The brand passed possession to the retailer, which rejects it; the brand (beneficiary) received nothing."""
    _shipper(w, c)
    w.titles.transferHolder(c.tid, w.retailer, ZERO32, {"from": w.brand})
    c.party, c.no_role = w.retailer, w.brand
    c.call = lambda s: w.titles.reject(c.tid, w.brand, w.brand, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert (tx.events["TransferRejected"]["by"], tx.events["TransferRejected"]["what"]) == (w.retailer, 1)
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"], ebl["undo"]) == (w.brand, w.brand, 0)

    c.check = check


@scenario("title_registry", "approve")
def _title_approve(w: Any, c: Ctx) -> None:
    _shipper(w, c)
    _bank_holds_when_no_role(w, c)
    c.call = lambda s: w.titles.approve(w.dvp, c.tid, {"from": s})

    def check(tx: Any) -> None:
        assert (tx.events["Approval"]["owner"], tx.events["Approval"]["approved"]) == (w.brand, w.dvp)
        assert w.titles.getApproved(c.tid) == w.dvp and w.titles.getTitle(c.tid)["approved"] == w.dvp

    c.check = check


@scenario("title_registry", "takeOver")
def _title_take_over(w: Any, c: Ctx) -> None:
    """The brand approved the retailer; the manufacturer is a member it did not approve."""
    _shipper(w, c)
    w.titles.approve(w.retailer, c.tid, {"from": w.brand})
    c.party, c.no_role = w.retailer, w.manufacturer
    c.call = lambda s: w.titles.takeOver(c.tid, w.brand, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Transfer"]["to"] == w.retailer
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"], ebl["approved"]) == (w.retailer, w.retailer, ZERO)

    c.check = check


@scenario("title_registry", "surrender")
def _title_surrender(w: Any, c: Ctx) -> None:
    _shipper(w, c)
    _bank_holds_when_no_role(w, c)
    c.call = lambda s: w.titles.surrender(c.tid, False, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["SurrenderRequested"]["holder"] == w.brand
        assert w.titles.getTitle(c.tid)["status"] == 2  # pending surrender for delivery

    c.check = check


def _issuer_action(w: Any, c: Ctx) -> None:
    c.party, c.another = w.carrier, w.carrier2  # no_role: the retailer, no carrier


@scenario("title_registry", "acceptSurrender")
def _title_accept_surrender(w: Any, c: Ctx) -> None:
    _issuer_action(w, c)
    _ebl(w, c, w.brand, w.brand)
    w.titles.surrender(c.tid, False, ZERO32, {"from": w.brand})
    c.call = lambda s: w.titles.acceptSurrender(c.tid, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["SurrenderAccepted"]["by"] == w.carrier
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["status"], ebl["holder"]) == (4, ZERO)  # surrendered for delivery

    c.check = check


@scenario("title_registry", "rejectSurrender")
def _title_reject_surrender(w: Any, c: Ctx) -> None:
    _issuer_action(w, c)
    _ebl(w, c, w.brand, w.brand)
    w.titles.surrender(c.tid, True, ZERO32, {"from": w.brand})
    c.call = lambda s: w.titles.rejectSurrender(c.tid, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["SurrenderRejected"]["by"] == w.carrier
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["status"], ebl["holder"]) == (1, w.brand)

    c.check = check


@scenario("title_registry", "voidTitle")
def _title_void(w: Any, c: Ctx) -> None:
    """Issued to the carrier's own account (by mistake): the carrier voids it."""
    _issuer_action(w, c)
    _ebl(w, c, w.carrier, w.carrier)
    c.call = lambda s: w.titles.voidTitle(c.tid, ZERO32, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["TitleVoided"]["by"] == w.carrier
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["status"], ebl["holder"]) == (6, ZERO)

    c.check = check


@scenario("title_registry", "setFrozen")
def _title_set_frozen(w: Any, c: Ctx) -> None:
    _issuer_action(w, c)
    _ebl(w, c, w.brand, w.brand)
    c.call = lambda s: w.titles.setFrozen(c.tid, True, REASON, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["TitleFreezeChanged"]
        assert (event["frozen"], b32(event["courtOrderHash"])) == (True, REASON)
        assert w.titles.getTitle(c.tid)["frozen"] is True

    c.check = check


@scenario("title_registry", "pledge")
def _title_pledge(w: Any, c: Ctx) -> None:
    """The brand pledges its eBL to the financier (the member without role: the bank, which holds nothing)."""
    _shipper(w, c)
    c.no_role = w.financier
    c.call = lambda s: w.titles.pledge(c.tid, w.orgs["financier"], {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["TitlePledgedTo"]["pledgee"] == w.orgs["financier"]
        assert w.titles.getTitle(c.tid)["pledgee"] == w.orgs["financier"]

    c.check = check


@scenario("title_registry", "releasePledge")
def _title_release_pledge(w: Any, c: Ctx) -> None:
    """The brand pledged its eBL to the financier; the holder itself and another financier cannot release it."""
    _ebl(w, c, w.brand, w.brand)
    w.titles.pledge(c.tid, w.orgs["financier"], {"from": w.brand})
    c.party, c.another, c.no_role = w.financier, w.financier2, w.brand
    c.call = lambda s: w.titles.releasePledge(c.tid, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["PledgeReleased"]["pledgee"] == w.orgs["financier"]
        assert w.titles.getTitle(c.tid)["pledgee"] == 0

    c.check = check


@scenario("title_registry", "reassign")
def _title_reassign(w: Any, c: Ctx) -> None:
    """The carrier froze the brand's eBL on a court order and gives it to the retailer."""
    _issuer_action(w, c)
    _ebl(w, c, w.brand, w.brand)
    w.titles.setFrozen(c.tid, True, REASON, {"from": w.carrier})
    c.call = lambda s: w.titles.reassign(c.tid, w.retailer, w.retailer, REASON, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["TitleReassigned"]
        assert (event["by"], b32(event["courtOrderHash"])) == (w.carrier, REASON)
        assert (tx.events["Transfer"]["from"], tx.events["Transfer"]["to"]) == (w.brand, w.retailer)
        assert tx.events["BeneficiaryTransferred"]["to"] == w.retailer
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"], ebl["frozen"], ebl["undo"]) == (w.retailer, w.retailer, True, 0)

    c.check = check


# ================================================================== scenarios: DvPSettlement


def _settlement(w: Any, c: Ctx, *, opened: bool = True, paid_in: bool = False) -> tuple[Any, ...]:
    """The brand sells its eBL to the retailer, the financier pays (sets `c.settlement`); the manufacturer is a
    member the terms do not name. The funder approved the token and the seller the settlement contract; with
    `paid_in`, both are in."""
    tid = _ebl(w, c, w.brand, w.brand, "dvp-ebl")
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 30 * DAY
    parties = (w.brand.address, w.retailer.address, w.financier.address)
    t: tuple[Any, ...] = (*parties, w.usdc.address, AMOUNT, deadline, tid, 0, 0, ZERO32, ZERO32)
    c.settlement = b32(w.dvp.settlementIdOf(t))
    c.no_role = w.manufacturer
    if opened:
        w.dvp.open(t, {"from": w.financier})
    w.usdc.approve(w.dvp, AMOUNT, {"from": w.financier})
    w.titles.approve(w.dvp, tid, {"from": w.brand})
    if paid_in:
        w.dvp.fund(t, {"from": w.financier})
        w.dvp.deliver(t, {"from": w.brand})
    return t


@scenario("dvp_settlement", "open")
def _dvp_open(w: Any, c: Ctx) -> None:
    t = _settlement(w, c, opened=False)
    c.party, c.another = w.retailer, w.brand  # the buyer; the seller
    c.extra = {"funder": w.financier}
    c.call = lambda s: w.dvp.open(t, {"from": s})

    def check(tx: Any) -> None:
        assert b32(tx.events["SettlementOpened"]["settlementId"]) == c.settlement
        assert tuple(w.dvp.getState(c.settlement)) == (1, False, False)

    c.check = check


@scenario("dvp_settlement", "fund")
def _dvp_fund(w: Any, c: Ctx) -> None:
    t = _settlement(w, c)
    c.party, c.another = w.financier, w.retailer  # the funder; the buyer
    c.call = lambda s: w.dvp.fund(t, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["PaymentDeposited"]["amount"] == AMOUNT and w.usdc.balanceOf(w.dvp) == AMOUNT
        assert tuple(w.dvp.getState(c.settlement)) == (1, True, False)

    c.check = check


@scenario("dvp_settlement", "deliver")
def _dvp_deliver(w: Any, c: Ctx) -> None:
    t = _settlement(w, c)
    c.party, c.another = w.brand, w.retailer  # the seller; the buyer
    c.call = lambda s: w.dvp.deliver(t, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["TitleDeposited"]["titleId"] == c.tid
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"]) == (w.dvp, w.dvp)
        assert tuple(w.dvp.getState(c.settlement)) == (1, False, True)

    c.check = check


@scenario("dvp_settlement", "settle")
def _dvp_settle(w: Any, c: Ctx) -> None:
    t = _settlement(w, c, paid_in=True)
    c.party, c.another = w.brand, w.financier2  # the seller; a bank the terms do not name
    c.extra = {"buyer": w.retailer, "funder": w.financier}
    before = w.usdc.balanceOf(w.brand)
    c.call = lambda s: w.dvp.settle(t, [], {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["Settled"]["amount"] == AMOUNT
        assert w.usdc.balanceOf(w.brand) - before == AMOUNT and w.usdc.balanceOf(w.dvp) == 0
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"]) == (w.retailer, w.retailer)
        assert tuple(w.dvp.getState(c.settlement)) == (2, False, False)

    c.check = check


@scenario("dvp_settlement", "refund")
def _dvp_refund(w: Any, c: Ctx) -> None:
    t = _settlement(w, c, paid_in=True)
    c.party, c.another = w.financier, w.financier2  # the funder; a bank the terms do not name
    c.extra = {"seller": w.brand}
    chain.sleep(31 * DAY)
    before = w.usdc.balanceOf(w.financier)
    c.call = lambda s: w.dvp.refund(t, {"from": s})

    def check(tx: Any) -> None:
        assert tx.events["PaymentRefunded"]["amount"] == AMOUNT and tx.events["TitleReturned"]["seller"] == w.brand
        assert w.usdc.balanceOf(w.financier) - before == AMOUNT and w.usdc.balanceOf(w.dvp) == 0
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"]) == (w.brand, w.brand)
        assert tuple(w.dvp.getState(c.settlement)) == (3, False, False)

    c.check = check


@scenario("dvp_settlement", "returnTitle")
def _dvp_return_title(w: Any, c: Ctx) -> None:
    """Funded and delivered, the deadline passed: the title alone goes back to the seller, the payment stays in."""
    t = _settlement(w, c, paid_in=True)
    c.party, c.another = w.brand, w.financier2  # the seller; a bank the terms do not name
    c.extra = {"buyer": w.retailer, "funder": w.financier}
    chain.sleep(31 * DAY)
    c.call = lambda s: w.dvp.returnTitle(t, {"from": s})

    def check(tx: Any) -> None:
        event = tx.events["TitleReturned"]
        assert (b32(event["settlementId"]), event["seller"], event["titleId"]) == (c.settlement, w.brand, c.tid)
        assert "PaymentRefunded" not in tx.events and w.usdc.balanceOf(w.dvp) == AMOUNT
        ebl = w.titles.getTitle(c.tid)
        assert (ebl["holder"], ebl["beneficiary"]) == (w.brand, w.brand)
        assert tuple(w.dvp.getState(c.settlement)) == (1, True, False)

    c.check = check

"""Client of ``ParticipantRegistry``: admitting organisations, their accounts, roles and suspension, and the GS1
company prefixes licensed to them (every GTIN and SSCC carrying a prefix belongs to its licensee).

Every input is validated before anything is sent (an LEI with wrong check digits never reaches the chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from tradechain.chain.tx import Receipt
from tradechain.contracts import profiles
from tradechain.contracts.base import ContractClient
from tradechain.errors import InputError, revert_class
from tradechain.formats import gs1, identity
from tradechain.formats.values import parse_address, parse_uint, reason_code

if TYPE_CHECKING:
    from collections.abc import Iterable

NAME = "ParticipantRegistry"


@dataclass(frozen=True)
class Organisation:
    id: int
    lei: str | None
    gln: str | None
    country: str
    roles: list[str]
    suspended: bool
    active_accounts: int
    admitted_at: int
    profile_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lei": self.lei,
            "gln": self.gln,
            "country": self.country,
            "roles": self.roles,
            "suspended": self.suspended,
            "activeAccounts": self.active_accounts,
            "admittedAt": self.admitted_at,
            "profileHash": self.profile_hash,
        }


@dataclass(frozen=True)
class Profile:
    """An organisation's profile as this machine knows it: its on-chain hash, and the stored profile checked against
    it (``status`` ``verified``, ``unverified`` or ``none``: see :func:`tradechain.contracts.profiles.find`)."""

    organisation: int
    profile_hash: str
    status: profiles.Status
    profile: dict[str, Any] | None

    @property
    def name(self) -> str | None:
        """The organisation's name, from a verified profile only."""
        return str(self.profile["name"]) if self.profile is not None and self.status == "verified" else None

    @property
    def display_name(self) -> str:
        """``Acme Tuna Co (org 13)``; ``org 13 (profile unverified)``; ``org 13`` (no profile known here)."""
        if self.name is not None:
            return f"{self.name} (org {self.organisation})"
        if self.status == "unverified":
            return f"org {self.organisation} (profile unverified)"
        return f"org {self.organisation}"

    def to_json(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "profileHash": self.profile_hash,
            "profileStatus": self.status,
            "name": self.name,
        }


@dataclass(frozen=True)
class Admission:
    organisation: int
    receipt: Receipt


@dataclass(frozen=True)
class PrefixLicence:
    """Who may claim the GTINs and pack the SSCCs of a company prefix: the licensee of the longest licensed prefix
    a GS1 key carries (``organisation`` 0 and ``prefix`` None when none is licensed)."""

    key: str
    prefix: str | None
    organisation: int

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "prefix": self.prefix, "organisation": self.organisation}


@dataclass(frozen=True)
class PrefixAssignment:
    """A company prefix licensed to ``organisation`` (0: withdrawn), before to ``previous`` (0: to nobody)."""

    prefix: str
    organisation: int
    previous: int
    receipt: Receipt


def parse_org_id(value: str | int, field: str = "organisation") -> int:
    return parse_uint(value, field, bits=32, minimum=1)


def _prefix_text(prefix: int, digits: int) -> str:
    return f"{prefix:0{digits}d}"


class ParticipantRegistryClient(ContractClient, name=NAME):
    # -------------------------------------------------------------- writes

    def admit(
        self,
        *,
        country: str,
        roles: str | Iterable[str] | int,
        manager: str,
        lei: str | None = None,
        gln: str | int | None = None,
        profile_hash: bytes = b"\0" * 32,
    ) -> Admission:
        """Admits an organisation; at least one of ``lei`` and ``gln``."""
        if not lei and not gln:
            raise InputError("lei", "an organisation needs an LEI, a GLN or both")
        lei_text = identity.parse_lei(lei) if lei else None
        gln_value = gs1.parse_gln(gln) if gln else 0
        country_code = identity.parse_country(country)
        bits = roles if isinstance(roles, int) else identity.parse_roles(roles)
        if isinstance(roles, int) and (roles <= 0 or roles & ~identity.ALL_ROLES):
            raise InputError("roles", "unknown role bits", roles)
        manager_address = parse_address(manager, "manager")
        receipt = self._send(
            "admit",
            (lei_text or "").encode().ljust(20, b"\0"),
            gln_value,
            country_code.encode(),
            bits,
            profile_hash,
            manager_address,
        )
        (event,) = self._events(receipt, "OrganisationAdmitted")
        return Admission(int(event["organisation"]), receipt)

    def set_roles(self, organisation: int, roles: str | Iterable[str]) -> Receipt:
        return self._send("setRoles", parse_org_id(organisation), identity.parse_roles(roles))

    def update_profile(self, organisation: int, profile_hash: bytes) -> Receipt:
        org_id = parse_org_id(organisation)
        self._profiles.pop(org_id, None)
        return self._send("updateProfile", org_id, profile_hash)

    def add_account(self, organisation: int, account: str, *, manager: bool = False) -> Receipt:
        return self._send("addAccount", parse_org_id(organisation), parse_address(account, "account"), manager)

    def revoke_account(self, account: str) -> Receipt:
        return self._send("revokeAccount", parse_address(account, "account"))

    def rotate_account(self, old: str, new: str) -> Receipt:
        return self._send("rotateAccount", parse_address(old, "old-account"), parse_address(new, "new-account"))

    def suspend(self, organisation: int, reason: str) -> Receipt:
        return self._send("suspend", parse_org_id(organisation), reason_code(reason))

    def reinstate(self, organisation: int) -> Receipt:
        return self._send("reinstate", parse_org_id(organisation))

    def assign_company_prefix(self, prefix: str, organisation: int) -> PrefixAssignment:
        """Licenses the GS1 company prefix ``prefix`` (its digit string, 4 to 12 digits: "0614141" is 7 digits)
        to ``organisation``, or withdraws it (``organisation`` 0); assigning it again reassigns it, and the new
        licensee may then claim the prefix's GTINs from their old owner. Consortium admin only."""
        text = gs1.parse_company_prefix(prefix)
        org_id = parse_uint(organisation, "organisation", bits=32)
        receipt = self._send("assignCompanyPrefix", int(text), len(text), org_id)
        (event,) = self._events(receipt, "CompanyPrefixAssigned")
        return PrefixAssignment(text, org_id, int(event["previous"]), receipt)

    # -------------------------------------------------------------- profiles (off chain, checked against the chain)

    def _owner(self, organisation: int) -> str:
        return profiles.owner_key(self.client.chain_id, self.address, organisation)

    def store_profile(self, organisation: int, profile: dict[str, Any]) -> Profile:
        """Keeps ``profile`` (a profile received from the organisation or anyone) in the store, if its hash is the
        organisation's on-chain profile hash; else an InputError, and nothing kept."""
        org = self.get(organisation)
        profiles.save(profile, bytes.fromhex(org.profile_hash[2:]), self._owner(org.id))
        self._profiles.pop(org.id, None)
        return self.profile(org.id)

    @property
    def _profiles(self) -> dict[int, Profile]:
        cache: dict[int, Profile] = self.__dict__.setdefault("_profile_cache", {})
        return cache

    def forget_profiles(self) -> None:
        """Reads the on-chain profile hashes again on next use (a client kept open long, after others updated
        theirs)."""
        self._profiles.clear()

    def profile(self, organisation: int) -> Profile:
        """The organisation's profile as known here, checked against its on-chain hash (read once per client, until
        :meth:`forget_profiles` or this client's own :meth:`update_profile`)."""
        org_id = parse_org_id(organisation)
        known = self._profiles.get(org_id)
        if known is None:
            digest = bytes(self._call("getOrganisation", org_id)[7])
            found = profiles.find(digest, self._owner(org_id))
            known = Profile(org_id, "0x" + digest.hex(), found.status, found.profile)
            self._profiles[org_id] = known
        return known

    def display_name(self, organisation: int) -> str:
        """How outputs name an organisation: ``Acme Tuna Co (org 13)`` from a verified profile, ``org 13 (profile
        unverified)`` when the profile kept here does not match its on-chain hash, ``org 13`` with none; ``nobody``
        for 0 (no organisation)."""
        if int(organisation) == 0:
            return "nobody"
        try:
            return self.profile(organisation).display_name
        except revert_class("NonexistentOrganisation"):
            return f"org {organisation} (no such organisation)"

    # -------------------------------------------------------------- reads

    def get(self, organisation: int) -> Organisation:
        org_id = parse_org_id(organisation)
        raw = self._call("getOrganisation", org_id)
        lei_raw, gln, roles, suspended, country, active, admitted, profile = raw
        lei = bytes(lei_raw).rstrip(b"\0").decode() or None
        return Organisation(
            id=org_id,
            lei=lei,
            gln=gs1.format_gln(gln) if gln else None,
            country=bytes(country).decode(),
            roles=identity.role_names(roles),
            suspended=suspended,
            active_accounts=active,
            admitted_at=admitted,
            profile_hash="0x" + bytes(profile).hex(),
        )

    def count(self) -> int:
        return int(self._call("organisationCount"))

    def organisations(self) -> list[Organisation]:
        return [self.get(i) for i in range(1, self.count() + 1)]

    def organisation_of(self, account: str) -> tuple[int, bool]:
        org, manager = self._call("organisationOf", parse_address(account, "account"))
        return int(org), bool(manager)

    def by_lei(self, lei: str) -> int:
        return int(self._call("organisationByLei", identity.parse_lei(lei).encode()))

    def is_authorized(self, account: str, role: str) -> bool:
        bits = identity.parse_roles(role)
        return bool(self._call("isAuthorized", parse_address(account, "account"), bits))

    def require_role(self, account: str, role: str) -> int:
        bits = identity.parse_roles(role)
        return int(self._call("requireRole", parse_address(account, "account"), bits))

    def require_role_any(self, account: str, roles: int = identity.ALL_ROLES) -> int:
        """The organisation of ``account`` if it is an active member with any of ``roles``; else the revert."""
        return int(self._call("requireAnyRole", parse_address(account, "account"), roles))

    def is_admin(self, account: str) -> bool:
        return bool(self._call("isAdmin", parse_address(account, "account")))

    def company_prefix_owner(self, key: str | int) -> PrefixLicence:
        """The licensee of the company prefix a GTIN or an SSCC carries, and that prefix (the longest licensed one
        wins: "0614141" licensed to one organisation and "061414199" to another split the SSCCs between them)."""
        text = gs1.parse_prefixed_key(key)
        org, digits = self._call("companyPrefixOwner", int(text), len(text))
        return PrefixLicence(text, gs1.key_prefix(text, int(digits)) if digits else None, int(org))

    def company_prefixes(self, organisation: int | None = None) -> dict[str, int]:
        """The company prefixes licensed now, prefix -> licensee (of ``organisation`` only, if given), rebuilt from
        the CompanyPrefixAssigned events (prefixes are not enumerable on chain)."""
        org_id = None if organisation is None else parse_org_id(organisation)
        logs = sorted(self._event_logs("CompanyPrefixAssigned"), key=lambda x: (x["blockNumber"], x["logIndex"]))
        owners: dict[str, int] = {}
        for log in logs:
            args = log["args"]
            owners[_prefix_text(int(args["prefix"]), int(args["digits"]))] = int(args["organisation"])
        return {p: o for p, o in sorted(owners.items()) if o != 0 and org_id in (None, o)}

    def accounts(self, organisation: int) -> list[dict[str, Any]]:
        """The organisation's active accounts, rebuilt from its AccountAdded/AccountRevoked events (accounts
        are not enumerable on chain: they are emitted, not stored as a list)."""
        org_id = parse_org_id(organisation)
        active: dict[str, bool] = {}
        logs = []
        for event_name in ("AccountAdded", "AccountRevoked"):
            for log in self._event_logs(event_name, {"organisation": org_id}):
                logs.append((log["blockNumber"], log["logIndex"], event_name, log["args"]))
        for _, _, name, args in sorted(logs, key=lambda x: (x[0], x[1])):
            account = to_checksum_address(args["account"])
            if name == "AccountAdded":
                active[account] = bool(args["manager"])
            else:
                active.pop(account, None)
        return [{"account": a, "manager": m} for a, m in active.items()]

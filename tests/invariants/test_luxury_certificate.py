"""Stateful property test of LuxuryCertificate (a Hypothesis state machine): random issues, transfers (by owners,
approved spenders, operators and thieves), approvals, claims with the right key, a wrong key or a signature made
for someone else, theft and loss reports and their clearing, by two brands, a member that is no brand, customers
and an outsider; and the theft of an item whose owner had opened a claim: reported, recovered, then claimed by the
thief with the secret that travelled in the box. A Python model predicts every outcome, down to the custom error.

Invariants, after every step: exactly the issued certificates exist, each with exactly the model's owner, record
and approval; every holder's balance is its count and the balances add up to the certificates issued; a
certificate reported stolen stays with the owner it had when reported, whatever transfer or claim is attempted; a
report closes an open claim, so that no claim opened before it is ever used after it.

Run length: see tests/stateful_support.py. Skipped under --coverage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brownie import chain
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak
from helpers import ROLE, lei_bytes
from hypothesis import strategies as st
from stateful_support import Counter, Fast, run_machine, skip_under_coverage

VALID, STOLEN, LOST = 0, 1, 2
BRAND_ROLE = 1
ZERO = "0x" + "00" * 20
SERIALS = [f"WATCH-{i:04d}".encode().ljust(32, b"\0") for i in range(5)]
META = keccak(b'{"model":"Chronograph"}')
KEYS = [Account.from_key(keccak(f"claim key {i}".encode())) for i in range(3)]
CLAIM_CLOSED_TOPIC = "0x" + keccak(b"ClaimClosed(uint256,uint32)").hex()
COUNTER = Counter()


def certificate_id(brand: int, serial: bytes) -> int:
    return (brand << 224) | (int.from_bytes(keccak(encode(["bytes32"], [serial])), "big") >> 32)


@dataclass
class Certificate:
    owner: str
    status: int = VALID
    reported_at: int = 0
    claim_nonce: int = 0
    claim_key: str = ZERO
    approved: str = ZERO


@dataclass(frozen=True)
class Actor:
    address: str
    organisation: int  # 0: not a member
    brand: bool


class CertificateMachine:
    brand = st.integers(0, 1)
    serial = st.integers(0, len(SERIALS) - 1)
    which = st.integers(0, 2 * len(SERIALS) - 1)
    actor = st.integers(0, 7)
    other = st.integers(0, 7)
    key = st.integers(0, len(KEYS) - 1)
    stolen = st.booleans()
    flag = st.booleans()

    def __init__(cls, certificates: Any, actors: list[Actor], brands: list[int]) -> None:
        cls.fast, cls.actors, cls.brands = Fast(certificates), actors, brands
        cls.contract_address = str(certificates.address)
        cls.ids = [certificate_id(b, s) for b in brands for s in SERIALS]

    def setup(self) -> None:
        COUNTER.examples += 1
        self.certs: dict[int, Certificate] = {}
        self.operators: set[tuple[str, str]] = set()  # (owner, operator)
        self.stolen_owner: dict[int, str] = {}  # certificate -> its owner when reported stolen, seen on chain
        # every example starts with six certificates with customers: one stolen, one lost, two with open claims,
        for brand, serial, owner in ((0, 0, 4), (0, 1, 5), (0, 2, 6), (0, 3, 7), (1, 0, 4), (1, 1, 5)):
            self.rule_issue(brand, serial, brand, owner)
        self.rule_report(0, 4, True)
        self.rule_report(6, 1, False)  # reported lost by its brand
        self.rule_open_claim(1, 5, 0)
        self.rule_open_claim(2, 6, 1)
        # and one stolen with a claim open, recovered, and claimed by the thief with the old secret
        self.rule_claim_after_theft_and_recovery(3, 4, 2)

    # ------------------------------------------------------------------ helpers

    def _brand_error(self, who: Actor, brand: int) -> tuple[str, tuple[Any, ...]] | None:
        if not who.organisation:
            return "UnregisteredAccount", (who.address,)
        if not who.brand:
            return "MissingRole", (who.address, who.organisation, BRAND_ROLE)
        if who.organisation != brand:
            return "UnauthorizedBrand", (brand, who.organisation)
        return None

    def _moved(self, token: int, to: str) -> None:
        cert = self.certs[token]
        cert.owner, cert.approved, cert.claim_key = to, ZERO, ZERO

    def _sign_claim(self, key: Any, token: int, claimant: str, nonce: int) -> bytes:
        inner = keccak(
            encode(
                ["string", "uint256", "address", "uint256", "address", "uint32"],
                ["tradechain certificate claim", chain.id, self.contract_address, token, claimant, nonce],
            )
        )
        return bytes(Account.sign_message(encode_defunct(primitive=inner), key.key).signature)

    # ------------------------------------------------------------------ rules

    def rule_issue(self, brand: int, serial: int, actor: int, other: int) -> None:
        who, to, org = self.actors[actor], self.actors[other].address, self.brands[brand]
        token = certificate_id(org, SERIALS[serial])
        expected = self._brand_error(who, org)
        if expected is None and token in self.certs:
            expected = "CertificateAlreadyIssued", (token, org, SERIALS[serial])
        out = self.fast.send(who.address, "issue", org, to, SERIALS[serial], META)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self.certs[token] = Certificate(to)

    def rule_issue_by_brand(self, brand: int, serial: int, other: int) -> None:
        self.rule_issue(brand, serial, brand, other)

    def rule_transfer(self, which: int, actor: int, other: int, flag: bool) -> None:
        """``transferFrom(from, to, id)`` by anyone: from is the owner when ``flag``, else a random actor."""
        token, who, to = self.ids[which], self.actors[actor], self.actors[other].address
        cert = self.certs.get(token)
        frm = cert.owner if cert and flag else self.actors[(actor + other) % len(self.actors)].address
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif cert.status != VALID:
            expected = "CertificateFrozen", (token, cert.status, cert.reported_at)
        elif (
            who.address != cert.owner
            and who.address != cert.approved
            and (cert.owner, who.address) not in (self.operators)
        ):
            expected = "ERC721InsufficientApproval", (who.address, token)
        elif frm != cert.owner:
            expected = "ERC721IncorrectOwner", (frm, token, cert.owner)
        out = self.fast.send(who.address, "transferFrom", frm, to, token)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self._moved(token, to)

    def rule_transfer_by_owner(self, which: int, other: int) -> None:
        cert = self.certs.get(self.ids[which])
        owner = next((i for i, a in enumerate(self.actors) if cert and a.address == cert.owner), 0)
        self.rule_transfer(which, owner, other, True)

    def rule_approve(self, which: int, actor: int, other: int) -> None:
        token, who, spender = self.ids[which], self.actors[actor], self.actors[other].address
        cert = self.certs.get(token)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif who.address != cert.owner and (cert.owner, who.address) not in self.operators:
            expected = "ERC721InvalidApprover", (who.address,)
        out = self.fast.send(who.address, "approve", spender, token)
        assert out.refused() == expected, (out, expected)
        if cert and out.ok:
            cert.approved = spender

    def rule_set_operator(self, actor: int, other: int, flag: bool) -> None:
        owner, operator = self.actors[actor].address, self.actors[other].address
        assert self.fast.send(owner, "setApprovalForAll", operator, flag).ok
        if flag:
            self.operators.add((owner, operator))
        else:
            self.operators.discard((owner, operator))

    def rule_open_claim(self, which: int, actor: int, key: int) -> None:
        token, who = self.ids[which], self.actors[actor]
        cert = self.certs.get(token)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif who.address != cert.owner:
            expected = "ERC721IncorrectOwner", (who.address, token, cert.owner)
        elif cert.status != VALID:
            expected = "CertificateFrozen", (token, cert.status, cert.reported_at)
        out = self.fast.send(who.address, "openClaim", token, KEYS[key].address)
        assert out.refused() == expected, (out, expected)
        if cert and out.ok:
            cert.claim_nonce += 1
            cert.claim_key = KEYS[key].address

    def rule_cancel_claim(self, which: int, actor: int) -> None:
        token, who = self.ids[which], self.actors[actor]
        cert = self.certs.get(token)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif who.address != cert.owner:
            expected = "ERC721IncorrectOwner", (who.address, token, cert.owner)
        elif cert.claim_key == ZERO:
            expected = "NoOpenClaim", (token,)
        out = self.fast.send(who.address, "cancelClaim", token)
        assert out.refused() == expected, (out, expected)
        if cert and out.ok:
            cert.claim_key = ZERO

    def rule_claim(self, which: int, actor: int, other: int, key: int) -> None:
        """A claim by ``actor`` with a signature by claim key ``key`` made out to ``other`` (a copied one when
        they differ)."""
        token, who, signed_for = self.ids[which], self.actors[actor], self.actors[other].address
        cert = self.certs.get(token)
        nonce = cert.claim_nonce if cert else 0
        signature = self._sign_claim(KEYS[key], token, signed_for, nonce)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif cert.claim_key == ZERO:
            expected = "NoOpenClaim", (token,)
        elif KEYS[key].address != cert.claim_key or signed_for != who.address:
            expected = "InvalidClaimSignature", (token,)
        elif cert.status != VALID:
            expected = "CertificateFrozen", (token, cert.status, cert.reported_at)
        out = self.fast.send(who.address, "claim", token, signature)
        assert out.refused() == expected, (out, expected)
        if out.ok:
            self._moved(token, who.address)

    def rule_claim_with_the_key(self, which: int, actor: int) -> None:
        cert = self.certs.get(self.ids[which])
        key = next((i for i, k in enumerate(KEYS) if cert and k.address == cert.claim_key), 0)
        self.rule_claim(which, actor, actor, key)

    def rule_report(self, which: int, actor: int, stolen: bool) -> None:
        token, who = self.ids[which], self.actors[actor]
        cert = self.certs.get(token)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        elif who.address != cert.owner and not (who.brand and who.organisation == token >> 224):
            expected = "UnauthorizedReporter", (token, who.address)
        elif cert.status != VALID:
            expected = "CertificateFrozen", (token, cert.status, cert.reported_at)
        out = self.fast.send(who.address, "report", token, stolen, b"\x01" * 32)
        assert out.refused() == expected, (out, expected)
        if cert and out.ok:
            cert.status, cert.reported_at = (STOLEN if stolen else LOST), out.timestamp
            # a report closes an open claim: its secret may be in the thief's hands
            closed = [log for log in out.logs if log["topics"][0] == CLAIM_CLOSED_TOPIC]
            assert len(closed) == (cert.claim_key != ZERO), (
                f"report: {len(closed)} ClaimClosed, claim key {cert.claim_key}"
            )
            cert.claim_key = ZERO

    def rule_clear_report(self, which: int, actor: int) -> None:
        token, who = self.ids[which], self.actors[actor]
        cert = self.certs.get(token)
        expected: tuple[str, tuple[Any, ...]] | None = None
        if cert is None:
            expected = "ERC721NonexistentToken", (token,)
        else:
            expected = self._brand_error(who, token >> 224)
            if expected is None and cert.status == VALID:
                expected = "CertificateNotReported", (token,)
        out = self.fast.send(who.address, "clearReport", token)
        assert out.refused() == expected, (out, expected)
        if cert and out.ok:
            cert.status, cert.reported_at = VALID, 0

    def rule_claim_after_theft_and_recovery(self, which: int, actor: int, key: int) -> None:
        """The owner opens a claim (its secret travels in the box), the item is stolen and reported, recovered and
        cleared by its brand; then the thief ``actor`` claims the certificate with the old secret: the claim is dead
        (NoOpenClaim), the owner keeps it."""
        token = self.ids[which]
        cert = self.certs.get(token)
        if cert is None:
            return
        owner = next(i for i, a in enumerate(self.actors) if a.address == cert.owner)
        self.rule_open_claim(which, owner, key)
        self.rule_report(which, owner, True)
        self.rule_clear_report(which, self.brands.index(token >> 224))
        self.rule_claim(which, actor, actor, key)

    # ------------------------------------------------------------------ invariants

    def invariant(self) -> None:
        COUNTER.checks += 1
        issued = [t for t in self.ids if t in self.certs]
        calls: list[tuple[str, list[Any]]] = [("existing", [self.ids])]
        for token in issued:
            calls += [("ownerOf", [token]), ("getCertificate", [token]), ("getApproved", [token])]
        calls += [("balanceOf", [a.address]) for a in self.actors]
        values = iter(self.fast.views(calls))
        # exactly the issued certificates exist
        assert list(next(values)) == [t in self.certs for t in self.ids]
        owners: dict[int, str] = {}
        for token in issued:
            cert = self.certs[token]
            owner, record, approved = next(values), next(values), next(values)
            owners[token] = owner
            assert owner == cert.owner
            assert record == (cert.status, cert.reported_at, cert.claim_nonce, cert.claim_key)
            assert approved == cert.approved
            # a stolen certificate never moves, whatever was attempted since its report
            if record[0] == STOLEN:
                assert owner == self.stolen_owner.setdefault(token, owner)
            else:
                self.stolen_owner.pop(token, None)
        # one owner each: every balance is that holder's count, and they add up to the certificates issued
        balances = [next(values) for _ in self.actors]
        for actor, balance in zip(self.actors, balances, strict=True):
            assert balance == sum(1 for o in owners.values() if o == actor.address)
        assert sum(balances) == len(issued)


def test_a_certificate_has_one_owner_a_stolen_one_never_moves_and_a_report_closes_its_claim(
    certificates: Any,
    registry: Any,
    members: dict[str, int],
    admin: Any,
    accounts: Any,
    request: Any,
) -> None:
    skip_under_coverage(request)
    tx = registry.admit(lei_bytes(70), 0, b"FR", ROLE["brand"], b"\0" * 32, accounts[12], {"from": admin})
    brand2 = tx.events["OrganisationAdmitted"]["organisation"]
    actors = [
        Actor(str(accounts[1]), members["brand"], True),
        Actor(str(accounts[12]), brand2, True),
        Actor(str(accounts[3]), members["carrier"], False),  # a member that is no brand
        Actor(str(accounts[19]), 0, False),  # an outsider
        *(Actor(str(accounts[i]), 0, False) for i in (15, 16, 17, 18)),  # customers
    ]
    run_machine("certificates", CertificateMachine, COUNTER, certificates, actors, [members["brand"], brand2])

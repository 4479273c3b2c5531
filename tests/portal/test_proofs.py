"""The proof service's permission matrix and its privacy: who may publish a lot's serial list (each refusal a 403
with the portal's store unchanged), a list that is not the one on chain (409), replayed signatures, no listing and
no prefix search, and the rate limit of the proof endpoint (429 with Retry-After)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.messages import encode_defunct
from helpers import addr, free_port

from portal.conftest import MEDICINE, Medicine, RunningPortal, serve
from tradechain.client import Client
from tradechain.formats import serials
from tradechain.portal.app import PortalConfig, create_app
from tradechain.portal.proofs import PublishedStore, delegate_message, publish_message


def sign(client: Client, message: str) -> str:
    assert client.signer is not None
    return "0x" + bytes(client.signer.sign_message(encode_defunct(text=message)).signature).hex()


def publication(
    client: Client, batch: serials.SerialBatch, signed: serials.SerialBatch | None = None
) -> dict[str, Any]:
    """The body of POST /api/serials for ``batch``, signed by ``client`` (over ``signed``'s list, if given)."""
    what = signed or batch
    message = publish_message(client.chain_id, client.products.address, what.batch, what.serials)
    return {
        "batch": batch.batch,
        "gtin": batch.gtin,
        "lot": batch.lot,
        "serials": list(batch.serials),
        "signature": sign(client, message),
    }


def delegation(client: Client, organisation: int, *, revoke: bool = False, at: int | None = None) -> dict[str, Any]:
    signed_at = at if at is not None else time.time_ns() // 1_000_000
    message = delegate_message(client.chain_id, client.products.address, MEDICINE, organisation, revoke, signed_at)
    return {
        "gtin": MEDICINE,
        "organisation": organisation,
        "revoke": revoke,
        "signedAt": signed_at,
        "signature": sign(client, message),
    }


def store(portal: RunningPortal) -> PublishedStore:
    published: PublishedStore = portal.app.state.portal.published
    return published


def assert_unchanged(portal: RunningPortal, medicine: Medicine) -> None:
    """Nothing was published: no version bump, no proof, no batch held, and the proof endpoint answers 404."""
    held = store(portal)
    assert held.version == 0 and held.batches(MEDICINE) == set()
    assert held.proof(MEDICINE, "AB0000001") is None
    assert portal.get(f"/api/proofs/01/{MEDICINE}/21/AB0000001").status_code == 404


# ------------------------------------------------------------------ the permission matrix


@dataclass
class World:
    portal: RunningPortal
    medicine: Medicine
    sdk_as: Callable[[str], Client]
    members: dict[str, int]

    def delegate(self, role: str, *, revoke: bool = False) -> None:
        body = delegation(self.medicine.maker, self.members[role], revoke=revoke)
        answer = httpx.post(f"{self.portal.url}/api/serials/delegates", json=body, timeout=30)
        assert answer.status_code == 200, answer.text


def outsider(w: World) -> Client:
    return w.sdk_as("outsider")  # never admitted


def member_with_no_part_in_the_lot(w: World) -> Client:
    return w.sdk_as("carrier")  # a member (require_role_any passes: every member has a role), not of this lot


def suspended_member(w: World) -> Client:
    w.sdk_as("admin").participants.suspend(w.members["manufacturer"], "audit")
    return w.medicine.maker


def revoked_key(w: World) -> Client:
    maker = w.medicine.maker
    maker.participants.add_account(w.members["manufacturer"], addr("manufacturer2"))
    maker.participants.revoke_account(addr("manufacturer2"))  # removed from its organisation
    return w.sdk_as("manufacturer2")


def another_brand(w: World) -> Client:
    return w.sdk_as("brand")


def consortium_admin(w: World) -> Client:
    return w.sdk_as("admin")


def delegate_after_revocation(w: World) -> Client:
    w.delegate("carrier")
    w.delegate("carrier", revoke=True)
    return w.sdk_as("carrier")


def lot_owner(w: World) -> Client:
    return w.medicine.maker


def another_active_key_of_the_lot_owner(w: World) -> Client:
    w.medicine.maker.participants.add_account(w.members["manufacturer"], addr("manufacturer2"))
    return w.sdk_as("manufacturer2")


def gtin_owner_after_a_takeover(w: World) -> Client:
    w.sdk_as("admin").participants.assign_company_prefix("8900000", w.members["brand"])
    brand = w.sdk_as("brand")
    brand.products.claim_gtin(MEDICINE)  # the new licensee takes the GTIN over; the maker still owns lot MED-1
    assert brand.products.gtin_owner(MEDICINE) == w.members["brand"]
    return brand


def old_lot_owner_after_a_takeover(w: World) -> Client:
    gtin_owner_after_a_takeover(w)
    return w.medicine.maker


def delegate(w: World) -> Client:
    w.delegate("carrier")
    return w.sdk_as("carrier")


REFUSED = [
    (outsider, "is not an active account of a member"),
    (member_with_no_part_in_the_lot, "neither owns lot MED-1 or GTIN"),
    (suspended_member, "is not an active account of a member"),
    (revoked_key, "is not an active account of a member"),
    (another_brand, "neither owns lot MED-1 or GTIN"),
    (consortium_admin, "is not an active account of a member"),
    (delegate_after_revocation, "nor was delegated by its owner"),
]
ALLOWED = [
    lot_owner,
    another_active_key_of_the_lot_owner,
    gtin_owner_after_a_takeover,
    old_lot_owner_after_a_takeover,
    delegate,
]


@pytest.fixture
def world(portal: RunningPortal, medicine: Medicine, sdk_as: Any, sdk_members: dict[str, int]) -> World:
    return World(portal, medicine, sdk_as, sdk_members)


@pytest.mark.parametrize(("who", "rule"), REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_a_party_that_may_not_publish_is_refused_403_and_nothing_is_kept(
    world: World, who: Callable[[World], Client], rule: str
) -> None:
    signer = who(world)
    answer = httpx.post(f"{world.portal.url}/api/serials", json=publication(signer, world.medicine.batch), timeout=30)
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["field"] == "signature" and rule in problem["detail"], problem
    assert_unchanged(world.portal, world.medicine)


@pytest.mark.parametrize("who", ALLOWED, ids=[f.__name__ for f in ALLOWED])
def test_the_right_party_publishes_and_the_pack_is_then_provable(world: World, who: Callable[[World], Client]) -> None:
    signer = who(world)
    answer = httpx.post(f"{world.portal.url}/api/serials", json=publication(signer, world.medicine.batch), timeout=30)
    assert answer.status_code == 200, answer.text
    organisation, _ = signer.participants.organisation_of(signer.require_signer().address)
    assert answer.json() == {**answer.json(), "new": True, "count": 100, "publishedBy": organisation}
    proof = world.portal.get(f"/api/proofs/01/{MEDICINE}/21/AB0000042").json()
    assert proof["batch"] == world.medicine.batch.batch and proof["index"] == 41


def test_only_the_gtins_owner_delegates_and_a_replayed_delegation_is_refused(world: World) -> None:
    url, carrier = f"{world.portal.url}/api/serials/delegates", world.members["carrier"]
    by_carrier = httpx.post(url, json=delegation(world.sdk_as("carrier"), carrier), timeout=30)
    assert by_carrier.status_code == 403 and "only an account of the owner of GTIN" in by_carrier.json()["detail"]
    allow = delegation(world.medicine.maker, carrier)
    assert httpx.post(url, json=allow, timeout=30).status_code == 200
    world.delegate("carrier", revoke=True)
    replayed = httpx.post(url, json=allow, timeout=30)  # the old "allow", seen once, posted again
    assert replayed.status_code == 409 and "a replayed signature" in replayed.json()["detail"]
    stale = delegation(world.medicine.maker, carrier, at=time.time_ns() // 1_000_000 - 11 * 60_000)
    assert httpx.post(url, json=stale, timeout=30).status_code == 403
    assert store(world.portal).delegates(MEDICINE) == set()
    carrier_client = world.sdk_as("carrier")
    answer = httpx.post(
        f"{world.portal.url}/api/serials", json=publication(carrier_client, world.medicine.batch), timeout=30
    )
    assert answer.status_code == 403
    assert_unchanged(world.portal, world.medicine)


# ------------------------------------------------------------------ lists that are not the chain's, replays


def test_a_list_that_is_not_the_one_on_chain_is_409_and_nothing_is_kept(world: World) -> None:
    batch, maker = world.medicine.batch, world.medicine.maker
    listed = list(batch.serials)
    listed[0], listed[1] = listed[1], listed[0]
    variants = {
        "swapped": serials.SerialBatch(batch.batch, batch.gtin, batch.lot, tuple(listed)),
        "one missing": serials.SerialBatch(batch.batch, batch.gtin, batch.lot, batch.serials[:-1]),
        "one added": serials.SerialBatch(batch.batch, batch.gtin, batch.lot, (*batch.serials, "AB0000101")),
    }
    for name, wrong in variants.items():
        answer = httpx.post(f"{world.portal.url}/api/serials", json=publication(maker, wrong), timeout=30)
        assert answer.status_code == 409, (name, answer.text)
        assert answer.json()["field"] == "serials", name
    other_lot = serials.SerialBatch(batch.batch, batch.gtin, "MED-2", batch.serials)
    answer = httpx.post(f"{world.portal.url}/api/serials", json=publication(maker, other_lot), timeout=30)
    assert answer.status_code == 409 and answer.json()["field"] == "batch"
    assert_unchanged(world.portal, world.medicine)


def test_a_signature_replayed_for_another_batch_or_list_is_refused(world: World) -> None:
    maker, first = world.medicine.maker, world.medicine.batch
    second, _ = maker.products.commission(MEDICINE, "MED-1", [f"CD{i:07d}" for i in range(1, 11)])
    url = f"{world.portal.url}/api/serials"
    replayed = httpx.post(url, json=publication(maker, second, signed=first), timeout=30)
    assert replayed.status_code == 403, replayed.text  # the signature is over the first batch: no member signed it
    altered = serials.SerialBatch(first.batch, first.gtin, first.lot, first.serials[:-1])
    assert httpx.post(url, json=publication(maker, altered, signed=first), timeout=30).status_code == 403
    assert_unchanged(world.portal, world.medicine)
    assert store(world.portal).proof(MEDICINE, "CD0000001") is None


# ------------------------------------------------------------------ nothing lists the serials


def test_no_listing_and_no_prefix_search(world: World) -> None:
    portal = world.portal
    httpx.post(f"{portal.url}/api/serials", json=publication(world.medicine.maker, world.medicine.batch), timeout=30)
    assert portal.get(f"/api/proofs/01/{MEDICINE}/21/AB0000001").status_code == 200
    for guess in ("AB", "AB000000", "AB%25", "AB*", "ab0000001", "AB0000001%20"):
        answer = portal.get(f"/api/proofs/01/{MEDICINE}/21/{guess}")
        assert 400 <= answer.status_code < 500 and "AB0000001" not in answer.text, (guess, answer.text)
    for path in (f"/api/proofs/01/{MEDICINE}", f"/api/proofs/01/{MEDICINE}/21/", "/api/proofs", "/api/serials"):
        answer = portal.get(path)
        assert 400 <= answer.status_code < 500 and "AB00000" not in answer.text, (path, answer.status_code)
    listing = [
        route.path
        for route in portal.app.routes
        if "GET" in getattr(route, "methods", set()) and ("serial" in route.path or "proof" in route.path)
    ]
    assert listing == ["/api/proofs/01/{gtin}/21/{serial}"]  # one pack at a time, named in full


def test_the_proof_endpoint_answers_429_with_retry_after_past_its_rate(
    w3_sdk: Any, sdk_deployment: Any, sdk_members: dict[str, int], medicine: Medicine, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = PortalConfig(url, tmp_path / "i.db", tmp_path / "p.db", proof_rate=5)
    app = create_app(Client(w3_sdk, deployment=sdk_deployment), config)
    served: Iterator[None] = serve(app, port)
    next(served)
    try:
        path = f"{url}/api/proofs/01/{MEDICINE}/21/AB0000001"
        assert [httpx.get(path, timeout=30).status_code for _ in range(5)] == [404] * 5
        limited = httpx.get(path, timeout=30)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["detail"] == "proofs: at most 5 a minute"
        guesses = httpx.get(f"{url}/api/proofs/01/{MEDICINE}/21/AB0000002", timeout=30)
        assert guesses.status_code == 429  # per client, not per serial: guessing serials is limited too
    finally:
        next(served, None)

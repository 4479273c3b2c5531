"""The verdict cache never serves a stale verdict: a pharmacist who reloads a pack's page sees what the chain says
at its head now. A verdict is kept per (page, chain head by hash, published lists' version): a recall in the next
block, a reorganisation that gives the same block number another hash, and a newly published serial list each make
the next load a new verdict."""

from __future__ import annotations

from typing import Any

from portal.conftest import Medicine, RunningPortal
from tradechain.contracts.product_registry import lot_id
from tradechain.portal import remote


def _load(portal: RunningPortal, medicine: Medicine, serial: str) -> dict[str, Any]:
    path = f"/verify/01/{medicine.gtin}/10/MED-1/21/{serial}?17=300630"
    body: dict[str, Any] = portal.get(path, headers={"Accept": "application/json"}).json()
    return body


def _cache(portal: RunningPortal) -> dict[str, int]:
    cache: dict[str, int] = portal.get("/healthz").json()["cache"]
    return cache


def _rpc(w3: Any, method: str, params: list[Any]) -> Any:
    answer = w3.provider.make_request(method, params)
    assert "error" not in answer, answer
    return answer["result"]


def test_a_verdict_cached_at_block_n_is_not_served_after_a_recall_at_block_n_plus_1(
    portal: RunningPortal, medicine: Medicine, sdk_as: Any
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    first = _load(portal, medicine, "AB0000011")
    hits = _cache(portal)["hits"]
    again = _load(portal, medicine, "AB0000011")
    assert again == first and _cache(portal)["hits"] == hits + 1  # the same head: served from the cache
    assert first["verdict"] == "AUTHENTIC"
    block = first["bundle"]["block"]

    sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "contaminated batch")

    after = _load(portal, medicine, "AB0000011")
    assert after["verdict"] == "RECALLED" and after["recallReason"] == "contaminated batch"
    assert after["bundle"]["block"] == block + 1 and after["bundle"]["result"]["status"] == "RECALLED"


def test_a_reorganisation_that_drops_a_recall_is_not_hidden_by_the_cached_recalled_verdict(
    portal: RunningPortal, medicine: Medicine, sdk_as: Any, w3_sdk: Any
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    snapshot = _rpc(w3_sdk, "evm_snapshot", [])
    sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "sterility failure")
    recalled = _load(portal, medicine, "AB0000012")
    assert recalled["verdict"] == "RECALLED"
    assert _load(portal, medicine, "AB0000012") == recalled  # cached at this head

    assert _rpc(w3_sdk, "evm_revert", [snapshot]) is True  # the recall's block is gone ...
    _rpc(w3_sdk, "evm_mine", [])  # ... and another block takes its number

    after = _load(portal, medicine, "AB0000012")
    assert after["bundle"]["block"] == recalled["bundle"]["block"]  # the same block number,
    assert after["bundle"]["blockHash"] != recalled["bundle"]["blockHash"]  # another block
    assert after["verdict"] == "AUTHENTIC" and after["recallReason"] is None


def test_a_recall_in_a_reorganised_block_of_the_same_number_shows_at_once(
    portal: RunningPortal, medicine: Medicine, sdk_as: Any, w3_sdk: Any
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    snapshot = _rpc(w3_sdk, "evm_snapshot", [])
    _rpc(w3_sdk, "evm_mine", [])  # block N+1 on one branch: nothing happened
    authentic = _load(portal, medicine, "AB0000013")
    assert authentic["verdict"] == "AUTHENTIC"
    assert _load(portal, medicine, "AB0000013") == authentic  # cached at this head

    assert _rpc(w3_sdk, "evm_revert", [snapshot]) is True
    sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "wrong label")  # block N+1, other branch

    after = _load(portal, medicine, "AB0000013")
    assert after["bundle"]["block"] == authentic["bundle"]["block"]
    assert after["bundle"]["blockHash"] != authentic["bundle"]["blockHash"]
    assert after["verdict"] == "RECALLED" and after["recallReason"] == "wrong label"


def test_a_newly_published_list_turns_proof_unavailable_into_authentic_at_the_next_load(
    portal: RunningPortal, medicine: Medicine
) -> None:
    before = _load(portal, medicine, "AB0000014")
    assert before["verdict"] == "PROOF UNAVAILABLE"
    hits = _cache(portal)["hits"]
    assert _load(portal, medicine, "AB0000014") == before and _cache(portal)["hits"] == hits + 1  # cached

    remote.publish_serials(portal.url, medicine.maker, medicine.batch)  # off chain: the head does not move

    after = _load(portal, medicine, "AB0000014")
    assert after["bundle"]["blockHash"] == before["bundle"]["blockHash"]
    assert after["verdict"] == "AUTHENTIC" and after["bundle"]["function"].startswith("verify(")

"""The portal end to end over HTTP: a pharmacist's scan resolves to the verification page, whose verdict is the
contract's; the brand publishes its serial list; a recall shows at the next load (the cache never serves a
stale verdict)."""

from __future__ import annotations

from typing import Any

from portal.conftest import Medicine, RunningPortal
from tradechain.portal import remote


def test_a_scan_resolves_to_the_verification_page_and_a_published_list_makes_it_authentic(
    portal: RunningPortal, medicine: Medicine
) -> None:
    link = medicine.link("AB0000042", portal.url)
    redirect = portal.get(link[len(portal.url) :])
    assert redirect.status_code == 307
    page = redirect.headers["location"]
    assert page == f"{portal.url}/verify/01/{medicine.gtin}/10/MED-1/21/AB0000042?17=300630"
    before = portal.get(page[len(portal.url) :], headers={"Accept": "application/json"}).json()
    assert before["verdict"] == "PROOF UNAVAILABLE"
    published = remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    assert published == {**published, "count": 100, "new": True, "batch": medicine.batch.batch}
    again = remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    assert again["new"] is False  # a retried publication changes nothing
    after = portal.get(page[len(portal.url) :], headers={"Accept": "application/json"}).json()
    assert after["verdict"] == "AUTHENTIC"
    assert after["bundle"]["function"].startswith("verify(uint64,bytes20,bytes20,uint40,bytes32,uint32,bytes32[])")
    assert after["bundle"]["result"]["status"] == "AUTHENTIC"
    html = portal.get(page[len(portal.url) :], headers={"Accept": "text/html"}).text
    download = f"{portal.url}/api/verify/01/{medicine.gtin}/10/MED-1/21/AB0000042?17=300630"
    assert f'<a href="{download}">Download the verdict and its proof bundle (JSON)</a>' in html
    assert portal.get(download[len(portal.url) :]).json()["bundle"] == after["bundle"]


def test_a_recall_shows_on_the_same_page_at_the_next_load(
    portal: RunningPortal, medicine: Medicine, sdk_as: Any
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    path = f"/verify/01/{medicine.gtin}/10/MED-1/21/AB0000007?17=300630"
    first = portal.get(path, headers={"Accept": "text/html"})
    assert first.status_code == 200 and ">AUTHENTIC<" in first.text
    assert portal.get(path, headers={"Accept": "text/html"}).text == first.text  # served again (cached)
    from tradechain.contracts.product_registry import lot_id

    sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "sterility failure")
    second = portal.get(path, headers={"Accept": "text/html"})
    assert ">RECALLED<" in second.text and "sterility failure" in second.text


def test_a_lot_number_with_a_slash_resolves_and_verifies(portal: RunningPortal, sdk_as: Any) -> None:
    """GS1 allows '/' in a lot number; a Digital Link sends it as %2F, which must stay one path segment."""
    from datetime import date

    from portal.conftest import MEDICINE
    from tradechain.contracts.product_registry import LotSpec

    maker = sdk_as("manufacturer")
    maker.products.claim_gtin(MEDICINE)
    maker.products.register_lot(LotSpec(MEDICINE, "B/7", date(2030, 6, 30), "IN"))
    redirect = portal.get(f"/01/{MEDICINE}/10/B%2F7?17=300630")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{portal.url}/verify/01/{MEDICINE}/10/B%2F7?17=300630"
    page = portal.get(f"/verify/01/{MEDICINE}/10/B%2F7?17=300630", headers={"Accept": "application/json"}).json()
    assert page["verdict"] == "AUTHENTIC" and page["product"]["lot"] == "B/7"
    split = portal.get(f"/verify/01/{MEDICINE}/10/B/7?17=300630", headers={"Accept": "application/json"})
    assert split.status_code == 400  # B and 7 as two segments is another (malformed) path

"""The portal in a real browser, as a consumer, a pharmacist or a buyer uses it on a phone: a QR code read by a
scanner opens the verification page and its verdict is read from the page (by word and icon); a recall or a theft
report on chain shows at the next load; a document and its proof are dropped on the form. Every page is kept as a
phone screenshot (reports/screenshots/), passes axe-core with no serious or critical violation, fetches nothing
from another host, and works without JavaScript; the CSP refuses inline script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import ok
from playwright.sync_api import Browser

from portal.browser import PHONE, axe_violations, launch_browser, phone, read_qr, strict_policy  # noqa: F401 (the fixture `browser`)
from portal.conftest import MED_EXPIRY, Medicine, RunningPortal
from tradechain.chain import accounts
from tradechain.contracts import document_registry
from tradechain.contracts.product_registry import lot_id
from tradechain.formats.gs1 import with_check_digit
from tradechain.portal import remote


def pack_qr(portal: RunningPortal, medicine: Medicine, serial: str, out: Path) -> str:
    """`tradechain product qr` of the code printed on the pack, on the portal's domain: the QR code's PNG, read back
    as a phone's scanner reads it."""
    printed = f"(01){medicine.gtin}(17){MED_EXPIRY:%y%m%d}(10){medicine.lot}(21){serial}"
    made = ok("product", "qr", printed, "--out", str(out), "--base-url", portal.url)
    scanned = read_qr(out)
    assert scanned == made["url"] == medicine.link(serial, portal.url)
    return scanned


WATCH = {"model": "Chronograph 42", "reference": "CH-42-STEEL", "serial": "W-1", "origin": "CH"}


def test_a_scanned_pack_reads_authentic_and_a_recall_on_chain_shows_at_the_next_load(
    browser: Browser, portal: RunningPortal, medicine: Medicine, cli_env: Path, sdk_as: Any, tmp_path: Path
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    link = medicine.link("AB0000042", portal.url)
    scanned = pack_qr(portal, medicine, "AB0000042", tmp_path / "pack.png")
    with phone(browser) as p:
        response = p.open(scanned)
        first = response.request.redirected_from
        assert first is not None and first.url == link
        assert first.response() is not None and first.response().status == 307  # type: ignore[union-attr]
        assert response.status == 200
        assert p.page.url == f"{portal.url}/verify/01/{medicine.gtin}/10/MED-1/21/AB0000042?17={MED_EXPIRY:%y%m%d}"
        assert p.verdict() == ("AUTHENTIC", "✓")
        text = p.text()
        assert "registered by its maker and is not recalled" in text
        for fact in (medicine.gtin, "MED-1", "AB0000042", "2030-06-30", "Verified on chain", "ProductRegistry"):
            assert fact in text
        p.audit("pack-authentic")

        sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "sterility failure")
        assert p.reload().status == 200
        assert p.verdict() == ("RECALLED", "✗")
        assert p.page.inner_text("#recall-reason") == "sterility failure"
        assert "What to do: Do not use it." in p.text()
        journey = p.page.locator("#journey li")
        assert journey.count() == 3 and "recalled" in journey.nth(2).inner_text()
        assert journey.nth(2).locator("time").inner_text().endswith(" UTC")
        p.audit("pack-recalled")


def test_a_watch_certificate_reads_valid_then_stolen_after_its_owner_reports_it(
    browser: Browser, portal: RunningPortal, cli_env: Path, sdk_as: Any, tmp_path: Path
) -> None:
    brand, buyer = sdk_as("brand"), sdk_as("buyer")
    token, _ = brand.certificates.issue("W-1", WATCH)
    secret, _ = brand.certificates.open_claim(token)
    buyer.certificates.claim(token, secret)  # sold: the brand is its one previous owner
    brand.certificates.record_service(token, "REVISION")
    addresses = [accounts.dev_account(role).address.lower() for role in ("brand", "buyer")]
    remote.publish_metadata(portal.url, [(token, WATCH)])
    png = tmp_path / "watch.png"
    qr = ok("cert", "qr", f"0x{token:064x}", "--out", str(png), "--base-url", f"{portal.url}/certificate")
    scanned = read_qr(png)
    assert scanned == qr["url"] == f"{portal.url}/certificate/0x{token:064x}"
    with phone(browser) as p:
        assert p.open(scanned).status == 200
        assert p.verdict() == ("VALID", "✓")
        assert p.page.inner_text("#model") == "Chronograph 42"
        assert p.page.inner_text("#previous-owners") == "1"
        text = p.text()
        assert "CH-42-STEEL" in text and "Checked: this description is the one" in text and "REVISION" in text
        assert not [a for a in addresses if a in p.page.content().lower()]  # no owner address on the page
        p.audit("certificate-valid")

        buyer.certificates.report(token, stolen=True)
        p.reload()
        assert p.verdict() == ("STOLEN", "✗")
        assert "Do not buy it." in p.text()
        assert not [a for a in addresses if a in p.page.content().lower()]
        p.audit("certificate-stolen")


def test_a_document_dropped_with_its_proof_reads_valid_and_with_a_changed_byte_invalid(
    browser: Browser, portal: RunningPortal, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bill = tmp_path / "bl-7.pdf"
    bill.write_bytes(b"%PDF-1.7 bill of lading KE-7, 40 cartons of tea")
    sdk_as("carrier").documents.anchor([bill], "bill-of-lading", "KE-7")
    proof = document_registry.proof_path(bill)
    forged = tmp_path / "forged" / bill.name
    forged.parent.mkdir()
    forged.write_bytes(bill.read_bytes().replace(b"40", b"90"))
    issuer = sdk_as("carrier").participants.display_name(sdk_members["carrier"])
    with phone(browser) as p:
        p.open(f"{portal.url}/document")
        assert p.page.locator("#verdict").count() == 0
        p.audit("document-form")
        for upload, word, icon in ((bill, "VALID", "✓"), (forged, "INVALID", "✗")):
            p.open(f"{portal.url}/document")
            p.page.set_input_files("#file", str(upload))
            p.page.set_input_files("#proof", str(proof))
            with p.page.expect_navigation():
                p.page.get_by_role("button", name="Verify").click()
            assert p.verdict() == (word, icon)
            p.audit(f"document-{word.lower()}")
            if word == "VALID":
                text = p.text()
                assert "This document was issued as it is" in text and "bill-of-lading" in text and issuer in text
        assert "a byte differs" in p.text()
    kept = list(tmp_path.glob("portal-*"))  # the portal's index and proof store (and their journals)
    assert kept and not [f for f in kept if b"cartons of tea" in f.read_bytes()]  # hashed, never stored


def test_a_code_typed_on_the_home_page_opens_its_verdict_and_a_bad_code_a_readable_error(
    browser: Browser, portal: RunningPortal, medicine: Medicine
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    with phone(browser) as p:
        p.open(portal.url + "/")
        p.audit("home")
        p.page.get_by_label("Code under the barcode").fill(f"(01){medicine.gtin}(17)300630(10)MED-1(21)AB0000005")
        with p.page.expect_navigation():
            p.page.get_by_role("button", name="Check").click()
        assert p.page.url.startswith(f"{portal.url}/verify/01/{medicine.gtin}/10/MED-1/21/AB0000005")
        assert p.verdict() == ("AUTHENTIC", "✓")

        wrong_check_digit = medicine.gtin[:-1] + str((int(medicine.gtin[-1]) + 1) % 10)
        response = p.open(f"{portal.url}/01/{wrong_check_digit}/10/MED-1")
        assert response.status == 400
        assert p.page.inner_text("h1") == "Bad request"
        assert "check digit" in p.page.inner_text("#detail")
        assert "What to do: Check that the code was typed or scanned in full" in p.text()
        assert "Traceback" not in p.page.content()
        assert p.page.get_by_role("link", name="Check another code").is_visible()
        assert p.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
        p.errors.clear()  # the console notes the page's 400, as it should
        p.audit("error-bad-request")


def test_every_page_works_without_javascript(
    browser: Browser, portal: RunningPortal, medicine: Medicine, cli_env: Path, sdk_as: Any, tmp_path: Path
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    bill = tmp_path / "invoice.json"
    bill.write_text(json.dumps({"invoice": "INV-9", "total": "1200.00", "currency": "EUR"}))
    sdk_as("carrier").documents.anchor([bill], "bill-of-lading", "KE-9")
    with phone(browser, javascript=False) as p:
        assert p.open(pack_qr(portal, medicine, "AB0000009", tmp_path / "pack.png")).status == 200
        assert p.page.url.startswith(f"{portal.url}/verify/01/")
        assert p.verdict() == ("AUTHENTIC", "✓")
        p.audit("pack-authentic-no-javascript")
        p.open(f"{portal.url}/document")
        p.page.set_input_files("#file", str(bill))
        p.page.set_input_files("#proof", str(document_registry.proof_path(bill)))
        with p.page.expect_navigation():
            p.page.get_by_role("button", name="Verify").click()
        assert p.verdict() == ("VALID", "✓")


def test_the_pages_policy_refuses_inline_script_and_loads_from_elsewhere(
    browser: Browser, portal: RunningPortal, medicine: Medicine
) -> None:
    with phone(browser) as p:
        response = p.open(medicine.link("AB0000001", portal.url))
        policy = response.headers["content-security-policy"]
        assert strict_policy(policy) and "default-src 'none'" in policy and "script-src" not in policy
        refused = p.page.evaluate(
            """() => new Promise(resolve => {
                const seen = [];
                document.addEventListener("securitypolicyviolation", e => {
                    seen.push(e.effectiveDirective);
                    if (seen.length === 2) resolve({seen, ran: window.inlineRan === true});
                });
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.body.appendChild(script);
                const image = document.createElement("img");
                image.src = "https://tracker.example/pixel.png";
                document.body.appendChild(image);
            })"""
        )
        assert refused == {"seen": ["script-src-elem", "img-src"], "ran": False}
        assert p.refused == ["https://tracker.example/pixel.png"]  # refused in the browser, never sent
        assert all("Content Security Policy" in error for error in p.errors) and len(p.errors) == 2
        p.errors.clear()  # the console reports the two refusals, as it should


def test_the_other_verdicts_and_pages_read_by_word_and_icon_and_pass_axe(
    browser: Browser, portal: RunningPortal, medicine: Medicine
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    medicine.maker.products.dispense(medicine.gtin, "AB0000003")
    with phone(browser) as p:
        p.open(medicine.link("AB0000003", portal.url))
        assert p.verdict() == ("DISPENSED ALREADY", "⚠")
        assert "may be a copy" in p.text() and "This code was dispensed" in p.text()
        p.audit("pack-dispensed-already")

        p.open(f"{portal.url}/01/{medicine.gtin}/10/MED-9/21/ZZ0000001")
        assert p.verdict() == ("UNKNOWN", "✗")
        assert "Do not trust this pack." in p.text()
        p.audit("pack-unknown")

        p.open(f"{portal.url}/01/{medicine.gtin}/10/MED-1/21/AB0000004?17=300701")  # not the lot's expiry
        assert p.verdict() == ("MISMATCH", "✗")
        p.audit("pack-mismatch")

        p.open(f"{portal.url}/01/{medicine.gtin}/10/MED-9/21/AB0000003?17=300630")  # a real serial, a lot never made
        assert p.verdict()[0] in ("MISMATCH", "UNKNOWN") and "never registered this lot" in p.text()

        unit = with_check_digit("08900000000000001")  # a logistic unit nobody packed
        p.open(f"{portal.url}/00/{unit}")
        assert p.verdict() == ("UNKNOWN", "✗") and "not tracked on tradechain" in p.text()
        p.audit("logistic-unit-unknown")

        p.open(f"{portal.url}/certificate/0x{'12' * 32}")
        assert p.verdict() == ("NOT ISSUED", "✗")
        p.audit("certificate-not-issued")

        p.open(f"{portal.url}/01/{medicine.gtin}/10/MED-1?linkType=linkset")
        assert p.page.inner_text("h1") == f"Links for /01/{medicine.gtin}/10/MED-1"
        assert p.page.get_by_role("link").count() > 3
        p.audit("links")

        assert p.open(f"{portal.url}/product/01/{medicine.gtin}").status == 200
        assert medicine.gtin in p.page.inner_text("h1")
        p.audit("product")

        assert p.open(f"{portal.url}/nothing/here").status == 404
        assert p.page.inner_text("h1") == "Not found" and "What to do: Check the address" in p.text()
        p.audit("error-not-found")
        assert p.errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
        p.errors.clear()  # the console notes the page's 404, as it should


def test_the_audit_fails_a_page_with_a_serious_violation(browser: Browser) -> None:
    """The audit is not vacuous: a page with an unnamed button, no language and grey-on-white text is failed."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.set_content("<!doctype html><title>t</title><main><p style='color:#bbb'>faint</p><button></button></main>")
        found = {v["id"]: v["impact"] for v in axe_violations(page)}
        assert found == {"button-name": "critical", "html-has-lang": "serious", "color-contrast": "serious"}
    finally:
        context.close()

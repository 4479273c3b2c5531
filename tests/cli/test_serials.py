"""`tradechain serials` and what a verifier does with a portal, as users run them: the maker publishes its serial
lists, a pharmacist with no serial files verifies a pack through `verify --resolver`, a customs officer re-checks a
portal's proof bundle on a node of its own (`verify --bundle`), the maker delegates publishing, QR codes point at
the portal, a brand publishes its certificate descriptions."""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
from helpers import free_port, ok, run
from portal.conftest import MED_EXPIRY, Medicine, RunningPortal, medicine, portal

from tradechain.contracts.product_registry import lot_id

__all__ = ["medicine", "portal"]


def no_serial_files(tmp_path: Path) -> dict[str, str]:
    """The environment of a verifier on another machine: an empty serial store."""
    empty = tmp_path / "verifier-serials"
    empty.mkdir(exist_ok=True)
    return {"TRADECHAIN_SERIALS": str(empty)}


def publish(portal: RunningPortal, *args: str, account: str = "manufacturer") -> Any:
    return ok("serials", "publish", *args, "--portal", portal.url, "--account", account)


def exits(code: int, *args: str, env: dict[str, str] | None = None) -> Any:
    result = run(*args, env=env)
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    return result


# ------------------------------------------------------------------ publish, then verify through the resolver


def test_a_verifier_without_serial_files_verifies_a_genuine_pack_through_the_resolver(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, tmp_path: Path
) -> None:
    link = medicine.link("AB0000042", "https://id.gs1.org")
    verifier = no_serial_files(tmp_path)
    before = exits(6, "verify", link, "--resolver", portal.url, env=verifier)
    assert before.output.startswith("PROOF UNAVAILABLE") and f"nor published to {portal.url}" in before.output

    first = exits(0, "serials", "publish", "--portal", portal.url, "--account", "manufacturer")
    assert f"{medicine.batch.batch}  {medicine.gtin}/MED-1  100 serials  published\n" in first.output
    assert first.output.endswith(f"1 list(s) published to {portal.url}, 0 already there\n")
    again = exits(0, "serials", "publish", medicine.batch.batch, "--portal", portal.url, "--account", "manufacturer")
    assert "100 serials  already published" in again.output

    result = exits(0, "verify", link, "--resolver", portal.url, env=verifier)
    assert result.output.startswith(f"AUTHENTIC  (01){medicine.gtin}")
    verdict = json.loads(exits(0, "verify", link, "--json", env={**verifier, "TRADECHAIN_RESOLVER": portal.url}).output)
    assert verdict["status"] == "AUTHENTIC" and verdict["batch"] == medicine.batch.batch
    # a serial in none of the lot's lists, when every list of the lot is published: never commissioned
    clone = exits(3, "verify", medicine.link("AB0009999", "https://id.gs1.org"), "--resolver", portal.url, env=verifier)
    assert clone.output.startswith("UNKNOWN")


def test_a_serial_of_a_list_not_published_is_proof_unavailable_not_unknown(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, tmp_path: Path
) -> None:
    publish(portal, medicine.batch.batch)
    second, _ = medicine.maker.products.commission(medicine.gtin, "MED-1", [f"CD{i:07d}" for i in range(1, 11)])
    verifier = no_serial_files(tmp_path)
    for serial in ("CD0000003", "ZZ0000001"):  # in the unpublished list; in none the portal holds
        found = json.loads(
            exits(
                6,
                "verify",
                medicine.link(serial, "https://id.gs1.org"),
                "--resolver",
                portal.url,
                "--json",
                env=verifier,
            ).output
        )
        assert found == {**found, "status": "PROOF_UNAVAILABLE", "serialProven": False, "unavailableBatches": 1}
    published = publish(portal, second.batch)
    assert published["published"] == 1 and published["batches"][0]["count"] == 10
    exits(0, "verify", medicine.link("CD0000003", "https://id.gs1.org"), "--resolver", portal.url, env=verifier)


def test_publish_json_names_each_batch_and_the_default_is_the_signers_own_lists(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, sdk_as: Any
) -> None:
    from conftest import EXP, TUNA

    from tradechain.contracts.product_registry import LotSpec

    brand = sdk_as("brand")  # another organisation's list in the same serial store: not the maker's to publish
    brand.products.claim_gtin(TUNA)
    brand.products.register_lot(LotSpec(TUNA, "T-1", EXP, "ID"))
    tuna, _ = brand.products.commission(TUNA, "T-1", ["T1", "T2"])
    out = publish(portal)
    assert out["portal"] == portal.url and (out["published"], out["alreadyPublished"]) == (1, 0)
    assert [(b["batch"], b["count"], b["new"]) for b in out["batches"]] == [(medicine.batch.batch, 100, True)]
    assert publish(portal, account="brand")["batches"][0]["batch"] == tuna.batch


# ------------------------------------------------------------------ delegation


def test_the_maker_delegates_publishing_to_a_carrier_and_revokes_it(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, sdk_members: dict[str, int]
) -> None:
    carrier = str(sdk_members["carrier"])
    refused = exits(1, "serials", "publish", "--gtin", medicine.gtin, "--portal", portal.url, "--account", "carrier")
    assert refused.stderr.startswith("error: the portal answered 403: signature: org ") and "nor was delegated" in (
        refused.stderr
    )
    assert refused.stderr.count("\n") == 1
    allowed = ok(
        "serials", "delegate", medicine.gtin, "--to", carrier, "--portal", portal.url, "--account", "manufacturer"
    )
    assert allowed == {"portal": portal.url, "gtin": medicine.gtin, "organisation": int(carrier), "delegated": True}
    text = exits(
        0,
        "serials",
        "delegate",
        medicine.gtin,
        "--to",
        carrier,
        "--revoke",
        "--portal",
        portal.url,
        "--account",
        "manufacturer",
    )
    assert f"may no longer publish the serial lists of GTIN {medicine.gtin} on {portal.url}" in text.output
    exits(1, "serials", "publish", "--gtin", medicine.gtin, "--portal", portal.url, "--account", "carrier")
    ok("serials", "delegate", medicine.gtin, "--to", carrier, "--portal", portal.url, "--account", "manufacturer")
    assert publish(portal, "--gtin", medicine.gtin, account="carrier")["batches"][0]["publishedBy"] == int(carrier)
    only_owner = exits(
        1, "serials", "delegate", medicine.gtin, "--to", carrier, "--portal", portal.url, "--account", "carrier"
    )
    assert f"only an account of the owner of GTIN {medicine.gtin} delegates it" in only_owner.stderr


def test_an_unreachable_portal_is_exit_1_naming_its_url(cli_env: Path, medicine: Medicine) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = exits(1, "serials", "publish", "--portal", url, "--account", "manufacturer")
    assert result.stderr.startswith(f"error: the portal at {url} cannot be reached") and result.stderr.count("\n") == 1
    down = exits(
        1,
        "verify",
        medicine.link("AB0000001", "https://id.gs1.org"),
        "--resolver",
        url,
        env={"TRADECHAIN_SERIALS": "/nonexistent"},
    )
    assert down.stderr.startswith(f"error: the resolver at {url} cannot be reached")


# ------------------------------------------------------------------ proof bundles


def bundle_of(portal: RunningPortal, path: str, out: Path) -> dict[str, Any]:
    answer = portal.get(f"/api/verify{path}").json()
    out.write_text(json.dumps(answer))
    return dict(answer)


def test_a_bundle_is_rechecked_on_the_users_own_node_and_a_tampered_one_is_caught(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, tmp_path: Path, sdk_as: Any
) -> None:
    publish(portal)
    path = f"/01/{medicine.gtin}/10/MED-1/21/AB0000005?17={MED_EXPIRY:%y%m%d}"
    genuine = tmp_path / "genuine.json"
    answer = bundle_of(portal, path, genuine)
    checked = ok("verify", "--bundle", str(genuine))
    assert checked == {**checked, "verdict": "AUTHENTIC", "matches": True, "function": "verify"}
    assert checked["blockHash"] == answer["bundle"]["blockHash"]
    only_bundle = tmp_path / "bundle.json"
    only_bundle.write_text(json.dumps(answer["bundle"]))
    assert exits(0, "verify", "--bundle", str(only_bundle)).output.startswith("AUTHENTIC  the chain returns")

    forged = json.loads(json.dumps(answer["bundle"]))
    forged["result"]["custodian"] += 1
    only_bundle.write_text(json.dumps(forged))
    lie = exits(3, "verify", "--bundle", str(only_bundle))
    assert lie.stderr.startswith("error: the bundle's result is not what the chain returns")
    other_chain = {**answer["bundle"], "chainId": 1}
    only_bundle.write_text(json.dumps(other_chain))
    wrong = exits(2, "verify", "--bundle", str(only_bundle))
    assert wrong.stderr.startswith("error: chainId: the bundle is for chain 1") and wrong.stderr.count("\n") == 1
    elsewhere = {**answer["bundle"], "contract": "0x" + "11" * 20}
    only_bundle.write_text(json.dumps(elsewhere))
    assert (
        "is not the ProductRegistry of tradechain's deployment"
        in exits(3, "verify", "--bundle", str(only_bundle)).stderr
    )

    sdk_as("regulator").products.recall([lot_id(medicine.gtin, "MED-1")], "sterility failure")
    assert exits(0, "verify", "--bundle", str(genuine)).output.startswith("AUTHENTIC")  # true at its block
    recalled = tmp_path / "recalled.json"
    bundle_of(portal, path, recalled)
    assert exits(4, "verify", "--bundle", str(recalled)).output.startswith("RECALLED")


def test_a_certificate_bundle_and_a_lot_level_bundle_are_rechecked(
    cli_env: Path, portal: RunningPortal, medicine: Medicine, tmp_path: Path
) -> None:
    out = tmp_path / "cert.json"
    out.write_text(json.dumps(portal.get("/api/certificate/0x" + "12" * 32).json()))
    assert exits(3, "verify", "--bundle", str(out)).output.startswith("NOT ISSUED")
    unproven = tmp_path / "unproven.json"
    answer = bundle_of(portal, f"/01/{medicine.gtin}/10/MED-1/21/AB0000005?17={MED_EXPIRY:%y%m%d}", unproven)
    assert answer["verdict"] == "PROOF UNAVAILABLE" and answer["bundle"]["function"].startswith("verifyLot")
    assert exits(6, "verify", "--bundle", str(unproven)).output.startswith("PROOF UNAVAILABLE")
    lot = tmp_path / "lot.json"
    bundle_of(portal, f"/01/{medicine.gtin}/10/MED-1?17={MED_EXPIRY:%y%m%d}", lot)
    assert "a lot-level verdict" in exits(0, "verify", "--bundle", str(lot)).output


def test_a_document_bundle_is_rechecked_valid_then_revoked(
    cli_env: Path, portal: RunningPortal, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF-1.4 bill of lading KE-P")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-P", "--account", "carrier")
    proof = bl.with_name("bl.pdf.tcproof.json")

    def bundle(name: str) -> Path:
        files = {"file": ("bl.pdf", bl.read_bytes()), "proof": ("p.json", proof.read_bytes())}
        answer = httpx.post(f"{portal.url}/api/document", files=files, timeout=30)
        assert answer.status_code == 200, answer.text
        out = tmp_path / name
        out.write_text(answer.text)
        return out

    valid = bundle("valid.json")
    assert exits(0, "verify", "--bundle", str(valid)).output.startswith("VALID  the chain returns")
    ok("doc", "revoke", str(bl), "--reason", "reissued", "--account", "carrier")
    assert exits(4, "verify", "--bundle", str(bundle("revoked.json"))).output.startswith("REVOKED")


# ------------------------------------------------------------------ QR codes on the portal's domain


def read_qr(png: Path) -> str:
    """The text of the QR code in a PNG that segno wrote (1-bit greyscale), decoded by zxing-cpp."""
    import zxingcpp

    data, pos, idat = png.read_bytes(), 8, b""
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (1, 0), (depth, colour)
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), (width + 7) // 8
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left, up = line[x - 1] if x else 0, previous[x]
            corner = previous[x - 1] if x else 0
            guess = left + up - corner
            paeth = min((abs(guess - left), left), (abs(guess - up), up), (abs(guess - corner), corner))[1]
            line[x] = (line[x] + (0, left, up, (left + up) // 2, paeth)[kind]) & 0xFF
        rows.append(bytes(line))
        previous = line
    pixels = bytes(255 if rows[y][x // 8] >> (7 - x % 8) & 1 else 0 for y in range(height) for x in range(width))
    found = zxingcpp.read_barcodes(zxingcpp.ImageView(pixels, width, height, zxingcpp.ImageFormat.Lum))
    assert len(found) == 1
    return str(found[0].text)


def test_a_pack_qr_opens_its_page_on_the_portal(cli_env: Path, portal: RunningPortal, medicine: Medicine) -> None:
    png = cli_env / "pack.png"
    scan = f"(01){medicine.gtin}(17){MED_EXPIRY:%y%m%d}(10)MED-1(21)AB0000009"
    made = ok("product", "qr", scan, "--out", str(png), env={"TRADECHAIN_RESOLVER": portal.url})
    assert made["url"] == medicine.link("AB0000009", portal.url) == read_qr(png)
    assert portal.get(made["url"][len(portal.url) :]).headers["location"].startswith(f"{portal.url}/verify/01/")
    gs1 = cli_env / "gs1.png"
    assert ok("product", "qr", scan, "--out", str(gs1))["url"] == medicine.link("AB0000009", "https://id.gs1.org")
    own = cli_env / "own.png"
    assert ok("product", "qr", scan, "--out", str(own), "--base-url", "https://x.example")["url"].startswith(
        "https://x.example/01/"
    )
    again = run("product", "qr", scan, "--out", str(own))
    assert again.exit_code == 2 and again.stderr.startswith("error: out: exists already")


def test_a_certificate_qr_points_at_the_running_portal_and_the_brand_publishes_descriptions(
    cli_env: Path, portal: RunningPortal, tmp_path: Path
) -> None:
    rows = tmp_path / "watches.csv"
    rows.write_text("serial,model,reference\nW-1,Mariner,REF-100\nW-2,Mariner,REF-200\n")
    issued = ok("cert", "issue-batch", str(rows), "--account", "brand")
    token = issued["certificates"][0]["certificate"]
    assert ok("cert", "qr", token, "--out", str(tmp_path / "a.png"))["url"] == (
        f"http://127.0.0.1:8700/certificate/{token}"
    )
    endpoint = Path(os.environ["TRADECHAIN_HOME"]) / "portal" / "endpoint.json"  # as `serve --detach` leaves it
    endpoint.parent.mkdir(parents=True)
    port = int(portal.url.rsplit(":", 1)[1])
    endpoint.write_text(json.dumps({"url": portal.url, "pid": os.getpid(), "host": "127.0.0.1", "port": port}))
    made = ok("cert", "qr", token, "--out", str(tmp_path / "b.png"))
    assert made["url"] == f"{portal.url}/certificate/{token}" == read_qr(tmp_path / "b.png")
    assert ok("cert", "qr", token, "--out", str(tmp_path / "c.png"), "--base-url", "https://v.example/c")["url"] == (
        f"https://v.example/c/{token}"
    )
    before = httpx.get(made["url"], headers={"Accept": "application/json"}).json()
    assert before["metadata"] is None
    published = ok("cert", "publish", str(rows), "--account", "brand")  # to the running portal
    assert published == {**published, "portal": portal.url, "published": 2}
    after = httpx.get(made["url"], headers={"Accept": "application/json"}).json()
    assert after["metadata"] == {"model": "Mariner", "reference": "REF-100"}
    rows.write_text("serial,model,reference\nW-1,Mariner,REF-999\n")
    altered = exits(1, "cert", "publish", str(rows), "--account", "brand")
    assert "the portal answered 409: certificates[1]: is not the description whose hash is on chain" in altered.stderr

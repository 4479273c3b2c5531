"""Hostile input to the portal, sent as an attacker would (raw HTTP where a client library would tidy it): path
traversal, oversized uploads, bad encodings, unknown link types, odd Accept headers, malformed proofs and bodies,
publications the chain contradicts or that a non-owner signs. Each is answered 4xx with ONE clear message (problem
JSON whose ``detail`` names the field and the rule, or a page for ``Accept: text/html``), never 5xx, never a
traceback or a path of the machine, and nothing is written."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from helpers import free_port
from web3 import Web3

from portal.conftest import MED_EXPIRY, Medicine, RunningPortal, serve
from tradechain.client import Client
from tradechain.portal import remote
from tradechain.portal.app import PortalConfig, create_app
from tradechain.portal.proofs import publish_message

ROOT = Path(__file__).resolve().parents[2]
GTIN = "09506000134352"  # a valid GTIN nobody claimed


def clean(body: str) -> None:
    for leak in ("Traceback", 'File "', "site-packages", str(ROOT), "/usr/lib/python", "root:x:0:0"):
        assert leak not in body, (leak, body[:600])


def one_message(response: httpx.Response, status: int, field: str | None = None, rule: str = "") -> str:
    """``status``, a problem JSON with one ``detail`` line (``FIELD: ...RULE...``); returns the detail."""
    assert response.status_code == status, (response.status_code, response.text[:600])
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    clean(response.text)
    body = response.json()
    detail = body["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail and body["status"] == status, body
    if field is not None:
        assert detail.startswith(f"{field}: ") and rule in detail, detail
    return str(detail)


def raw(portal: RunningPortal, target: bytes, headers: bytes = b"", body: bytes = b"") -> tuple[int, str]:
    """One HTTP/1.1 request sent byte for byte (no client normalises ``..`` or re-encodes the target)."""
    host, port = portal.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + b"\r\n" + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    text = payload.decode("utf-8", "replace")
    clean(text)
    return status, text


def published(portal: RunningPortal) -> tuple[int, int]:
    """The proof store's version and its number of batches (unchanged by anything refused)."""
    store = portal.app.state.portal.published
    return store.version, store._db().execute("SELECT count(*) FROM batches").fetchone()[0]


# ------------------------------------------------------------------ paths


TRAVERSALS = (
    b"/static/../../etc/passwd",
    b"/static/%2e%2e/%2e%2e/etc/passwd",
    b"/static/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    b"/static/..%5c..%5cetc%5cpasswd",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/static//etc/passwd",
)


def test_path_traversal_never_leaves_the_static_folder(portal: RunningPortal) -> None:
    for target in TRAVERSALS:
        status, body = raw(portal, target)
        assert status in (400, 404), (target, status, body)
        detail = json.loads(body)["detail"]
        assert "root:" not in body and ("no page at /" in detail or detail.startswith("digital link: ")), detail


def test_traversal_in_a_digital_link_is_a_malformed_link(portal: RunningPortal) -> None:
    one_message(portal.get("/verify/..%2f..%2fetc%2fpasswd"), 400, "digital link")
    # GS1 allows '.' and '/' in a lot: "../../etc/passwd" sent as one segment is a lot number, never a file path
    redirect = portal.get(f"/01/{GTIN}/10/..%2f..%2fetc%2fpasswd")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{portal.url}/verify/01/{GTIN}/10/..%2F..%2Fetc%2Fpasswd"
    page = portal.get(f"/verify/01/{GTIN}/10/..%2F..%2Fetc%2Fpasswd", headers={"Accept": "application/json"})
    assert page.status_code == 200 and page.json()["verdict"] == "UNKNOWN" and "root:" not in page.text
    assert portal.get("/static/portal.css").status_code == 200  # what the folder holds is served


# ------------------------------------------------------------------ sizes


def test_a_document_over_20_mb_is_refused_with_one_message_and_nothing_kept(
    portal: RunningPortal, tmp_path: Path
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    big = b"\0" * (21 * 1024 * 1024)
    files = {"file": ("big.pdf", big, "application/pdf"), "proof": ("p.tcproof.json", b"{}", "application/json")}
    one_message(portal.request("POST", "/api/document", files=files), 413, "file", "at most 20 MB")

    def chunked() -> Any:  # no Content-Length: the portal counts what arrives
        boundary = b"--b0undary"
        yield boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
        for _ in range(21):
            yield b"\0" * (1024 * 1024)
        yield b"\r\n" + boundary + b"--\r\n"

    response = portal.request(
        "POST", "/api/document", content=chunked(), headers={"Content-Type": "multipart/form-data; boundary=b0undary"}
    )
    one_message(response, 413, "file", "at most 20 MB")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_publication_over_the_limit_is_refused_unread(portal: RunningPortal, medicine: Medicine) -> None:
    from tradechain.portal import app as portal_app

    state = published(portal)
    padding = b" " * (portal_app.MAX_JSON + 1)
    response = portal.request(
        "POST", "/api/serials", content=b"{}" + padding, headers={"Content-Type": "application/json"}
    )
    one_message(response, 413, "body", "at most 64 MB")

    def chunked() -> Any:
        yield b"["
        for _ in range(65):
            yield b" " * (1024 * 1024)
        yield b"]"

    response = portal.request("POST", "/api/serials", content=chunked(), headers={"Content-Type": "application/json"})
    one_message(response, 413, "body", "at most 64 MB")
    assert published(portal) == state


# ------------------------------------------------------------------ encodings


BAD_BYTES = (
    f"/verify/01/{GTIN}/10/%ff%fe",
    f"/01/{GTIN}/10/AB%ffC",
    f"/01/{GTIN}/10/AB%00C",
    f"/verify/01/{GTIN}/10/ABC?17=%00%ff",
    f"/01/{GTIN}?linkType=%ff%fe",
    f"/01/{GTIN}/10/" + "A" * 3000,
    f"/verify/01/{GTIN}/10/" + "%C3%A9" * 600,
    "/api/proofs/01/%ff/21/%00",
    f"/api/proofs/01/{GTIN}/21/" + "S" * 3000,
    "/certificate/%ff%00",
    "/certificate/" + "9" * 4000,
    "/product/01/%ff",
    "/lookup?code=%ff%00",
)


def test_bad_bytes_in_a_path_or_query_are_one_400(portal: RunningPortal) -> None:
    for path in BAD_BYTES:
        one_message(portal.get(path), 400)


def test_raw_non_utf8_and_control_bytes_and_a_huge_query_are_refused_not_crashed(portal: RunningPortal) -> None:
    for target in (b"/01/\xff\xfe", b"/verify/01/" + GTIN.encode() + b"/10/A\x01B", b"/\x00"):
        status, body = raw(portal, target)
        assert 400 <= status < 500, (target, status, body)
    status, body = raw(portal, f"/01/{GTIN}?x=".encode() + b"a" * 100_000)
    assert status == 414 and json.loads(body)["detail"] == "query: is at most 8 kB", (status, body[:300])
    status, body = raw(portal, f"/01/{GTIN}/10/".encode() + b"%41" * 2000)
    assert status == 414 and json.loads(body)["detail"] == "path: is at most 4 kB", (status, body[:300])


# ------------------------------------------------------------------ link types and Accept


def test_an_unknown_link_type_is_404_and_a_malformed_one_400(portal: RunningPortal) -> None:
    detail = one_message(portal.get(f"/01/{GTIN}?linkType=gs1:nosuch"), 404, "linkType", "no gs1:nosuch link")
    assert GTIN in detail
    one_message(portal.get(f"/01/{GTIN}?linkType=<script>alert(1)</script>"), 400, "linkType", "gs1:<type>")
    page = portal.get(f"/01/{GTIN}?linkType=<script>alert(1)</script>", headers={"Accept": "text/html"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "linkType: is gs1:&lt;type&gt;" in page.text
    assert page.text.count('id="detail"') == 1
    clean(page.text)


ODD_ACCEPTS = (
    "*/*",
    "",
    ";;;,,,",
    "text/html;q=0",
    "application/json, text/html",
    "text/html;q=abc",
    "x" * 6000,
    "ü/ö",
)


def test_odd_accept_headers_never_break_a_page_or_an_error(portal: RunningPortal) -> None:
    for accept in ODD_ACCEPTS:
        headers = {"Accept": accept.encode()}
        assert portal.get(f"/verify/01/{GTIN}/10/ABC", headers=headers).status_code == 200, accept
        assert portal.get(f"/01/{GTIN}/10/ABC", headers=headers).status_code == 307, accept
        error = portal.get(f"/01/{GTIN}1", headers=headers)
        assert error.status_code == 400, accept
        clean(error.text)
        if error.headers["content-type"].startswith("text/html"):
            assert error.text.count('id="detail"') == 1
        else:
            assert error.json()["detail"]


# ------------------------------------------------------------------ uploads and bodies


MALFORMED_PROOFS = (b"not json", b"[1, 2]", b"\xff\xfe{}", b'{"root": "0x00"}', b"[" * 100_000, b"")


def test_a_malformed_proof_upload_is_one_400(portal: RunningPortal) -> None:
    for proof in MALFORMED_PROOFS:
        files = {"file": ("invoice.pdf", b"%PDF-1.7 ...", "application/pdf"), "proof": ("x.tcproof.json", proof)}
        one_message(portal.request("POST", "/api/document", files=files), 400, "proof", "not a document proof")
        page = portal.request("POST", "/document", files=files, headers={"Accept": "text/html"})
        assert page.status_code == 400 and page.text.count('id="detail"') == 1
        clean(page.text)


def test_an_upload_that_is_not_a_form_is_one_400(portal: RunningPortal) -> None:
    one_message(portal.request("POST", "/api/document", content=b"hello"), 400, "file")
    bad_form = {"Content-Type": "multipart/form-data; boundary=x"}
    one_message(portal.request("POST", "/api/document", content=b"--x\r\ngarbage", headers=bad_form), 400)
    many = {f"f{i}": (f"{i}.txt", b"x") for i in range(5)}
    one_message(portal.request("POST", "/api/document", files=many), 400)
    no_boundary = {"Content-Type": "multipart/form-data"}
    one_message(portal.request("POST", "/api/document", content=b"--x--", headers=no_boundary), 400, "file")


def test_an_uploaded_document_is_hashed_in_memory_never_written_to_disk(
    portal: RunningPortal, tmp_path: Path, monkeypatch: Any
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))  # a file spooled to disk would fail
    files = {"file": ("scan.pdf", b"%PDF" * (1024 * 1024), "application/pdf"), "proof": ("p.json", b"[]")}
    one_message(portal.request("POST", "/api/document", files=files), 400, "proof", "not a document proof")


NOT_OBJECTS = (b"[1, 2]", b'"serials"', b"null", b"42", b"{", b"\xff\xfe", b"[" * 100_000, b'{"gtin": NaN}', b"")
PUBLISHING = ("/api/serials", "/api/serials/delegates", "/api/certificates/metadata")


def test_a_body_that_is_not_a_json_object_is_one_400(portal: RunningPortal) -> None:
    state = published(portal)
    for route in PUBLISHING:
        for body in NOT_OBJECTS:
            response = portal.request("POST", route, content=body, headers={"Content-Type": "application/json"})
            detail = one_message(response, 400)
            assert detail.split(":")[0] in ("body", "certificates"), (route, body[:20], detail)
    assert published(portal) == state


# ------------------------------------------------------------------ publications the chain contradicts


def sign(client_or_key: Any, message: str) -> str:
    signed = Account.sign_message(encode_defunct(text=message), private_key=client_or_key)
    return "0x" + bytes(signed.signature).hex()


def publication(portal: RunningPortal, medicine: Medicine, serials: list[str], key: Any) -> httpx.Response:
    client = medicine.maker
    message = publish_message(client.chain_id, client.products.address, medicine.batch.batch, serials)
    body = {
        "batch": medicine.batch.batch,
        "gtin": medicine.gtin,
        "lot": medicine.lot,
        "serials": serials,
        "signature": sign(key, message),
    }
    return portal.request("POST", "/api/serials", json=body)


def test_a_list_that_is_not_the_one_on_chain_is_409_and_nothing_published(
    portal: RunningPortal, medicine: Medicine
) -> None:
    state = published(portal)
    listed = list(medicine.batch.serials)
    maker_key = medicine.maker.signer.key  # type: ignore[union-attr]
    for forged in (listed[:-1], [*listed, "AB0000101"], [listed[1], listed[0], *listed[2:]], ["X" * 20]):
        one_message(publication(portal, medicine, forged, maker_key), 409, "serials", "Merkle root")
    assert published(portal) == state
    proof = portal.get(f"/api/proofs/01/{medicine.gtin}/21/AB0000001")
    assert proof.status_code == 404


def test_an_outsider_a_suspended_member_or_another_brand_may_not_publish(
    portal: RunningPortal, medicine: Medicine, sdk_as: Any, sdk_members: dict[str, int]
) -> None:
    state = published(portal)
    listed = list(medicine.batch.serials)
    stranger = Account.create()
    one_message(publication(portal, medicine, listed, stranger.key), 403, "signature", "not an active account")
    brand: Client = sdk_as("brand")
    detail = one_message(publication(portal, medicine, listed, brand.signer.key), 403, "signature")  # type: ignore[union-attr]
    assert "neither owns" in detail
    sdk_as("admin").participants.suspend(sdk_members["manufacturer"], "investigation")
    one_message(publication(portal, medicine, listed, medicine.maker.signer.key), 403, "signature")  # type: ignore[union-attr]
    assert published(portal) == state


# ------------------------------------------------------------------ a member's own bytes


def test_a_member_s_hostile_lot_bytes_never_stop_another_page_and_are_shown_escaped(
    portal: RunningPortal, medicine: Medicine
) -> None:
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)
    maker = medicine.maker
    from tradechain.contracts.product_registry import expires_at

    expiry = expires_at(MED_EXPIRY)
    script = b"<script>alert(1)"
    for lot, origin in ((b"\x00\x1b[2J\xff\xfe\x07\x7f", b"\xff\x00"), (script, b"<s"), (b"\xe2\x80\xae\xc3", b"IN")):
        maker.products._send("registerLot", int(medicine.gtin), lot.ljust(20, b"\0"), expiry, origin, b"\0" * 32, 0)
    other = portal.get(f"/verify/01/{medicine.gtin}/10/MED-1/21/AB0000042?17=300630", headers={"Accept": "text/html"})
    assert other.status_code == 200 and ">AUTHENTIC<" in other.text, other.text[:500]
    own = portal.get(f"/verify/01/{medicine.gtin}/10/%3Cscript%3Ealert(1)", headers={"Accept": "text/html"})
    assert own.status_code == 200, own.text[:500]
    assert "<script" not in own.text and "&lt;script&gt;alert(1)" in own.text
    clean(own.text)
    as_json = portal.get(f"/api/journey/01/{medicine.gtin}/10/%3Cscript%3Ealert(1)")
    assert as_json.status_code == 200
    product = portal.get(f"/product/01/{medicine.gtin}", headers={"Accept": "text/html"})
    assert product.status_code == 200 and "<script" not in product.text
    health = portal.get("/healthz").json()
    assert health["indexedBlock"] == health["block"]  # the index went past the hostile events


def test_a_member_s_signed_but_malformed_publication_is_one_400(portal: RunningPortal, medicine: Medicine) -> None:
    """Signed by a real member (so no signature check stops it first): the malformed field is named."""
    from tradechain.portal.proofs import delegate_message

    maker = medicine.maker
    key = maker.signer.key  # type: ignore[union-attr]
    state = published(portal)
    not_hex = "0x" + "zz" * 32
    message = publish_message(maker.chain_id, maker.products.address, not_hex, list(medicine.batch.serials))
    body = {
        "batch": not_hex,
        "gtin": medicine.gtin,
        "lot": medicine.lot,
        "serials": list(medicine.batch.serials),
        "signature": sign(key, message),
    }
    one_message(portal.request("POST", "/api/serials", json=body), 400, "batch", "0x 32-byte id")
    one_message(portal.request("POST", "/api/serials", json={**body, "lot": "A B\x00"}), 400)
    for organisation, revoke, field in ((2**70, False, "organisation"), (5, "no", "revoke")):
        signed_at = int(time.time() * 1000)
        message = delegate_message(
            maker.chain_id, maker.products.address, medicine.gtin, organisation, bool(revoke), signed_at
        )
        request = {
            "gtin": medicine.gtin,
            "organisation": organisation,
            "revoke": revoke,
            "signedAt": signed_at,
            "signature": sign(key, message),
        }
        one_message(portal.request("POST", "/api/serials/delegates", json=request), 400, field)
    assert published(portal) == state and portal.app.state.portal.published.delegates(medicine.gtin) == set()


# ------------------------------------------------------------------ the chain down


def test_a_portal_whose_chain_node_is_down_answers_503_with_one_message(sdk_deployment: Any, tmp_path: Path) -> None:
    dead = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{free_port()}", request_kwargs={"timeout": 5}))
    dead.tradechain_chain_id = sdk_deployment.chain_id  # type: ignore[attr-defined]
    port = free_port()
    down = RunningPortal(f"http://127.0.0.1:{port}", None, None)  # type: ignore[arg-type]
    config = PortalConfig(down.url, tmp_path / "index.db", tmp_path / "published.db")
    for _ in serve(create_app(Client(dead, deployment=sdk_deployment), config), port):
        one_message(down.get(f"/verify/01/{GTIN}/10/ABC"), 503, "chain", "cannot reach its chain node")
        one_message(down.get("/certificate/1"), 503, "chain")
        message = publish_message(
            sdk_deployment.chain_id, sdk_deployment.address("ProductRegistry"), "0x" + "11" * 32, ["A"]
        )
        body = {
            "batch": "0x" + "11" * 32,
            "gtin": GTIN,
            "lot": "L1",
            "serials": ["A"],
            "signature": sign(Account.create().key, message),
        }
        response = down.request("POST", "/api/serials", json=body)
        one_message(response, 503, "chain")  # not a 403: nobody was refused, the chain did not answer
        assert response.headers["retry-after"] == "10"
        page = down.get("/healthz", headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.text.count('id="detail"') == 1

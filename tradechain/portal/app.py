"""The portal as an ASGI app (FastAPI): the GS1-Conformant resolver at the root, the pages a consumer, pharmacist,
buyer or customs officer reads after a scan, and the JSON API beside each page.

Pages are server-rendered HTML that work without JavaScript and load nothing from elsewhere (a strict
Content-Security-Policy). Errors are 4xx with one clear message (a page for browsers, problem JSON for
machines), never 200 and never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.staticfiles import StaticFiles
from web3.types import RPCEndpoint

from tradechain.client import Client
from tradechain.contracts import luxury_certificate as certs
from tradechain.contracts.document_registry import DocumentProof, content_hash
from tradechain.errors import InputError, TradechainError
from tradechain.formats import canonical, gs1
from tradechain.indexer import Indexer, Store
from tradechain.portal import links, verdicts
from tradechain.portal.proofs import PublishedStore, PublishRefused, RateLimiter

log = logging.getLogger("tradechain.portal")

ORG_NAME_SECONDS = 60.0
MAX_UPLOAD = 20 * 1024 * 1024  # bytes of a document to verify
MAX_JSON = 64 * 1024 * 1024  # bytes of a publication
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link, Location, Content-Type, Retry-After",
}


@dataclass
class PortalConfig:
    """What one portal process serves: ``public_url`` is the base of every link it gives (its Digital Link
    domain); ``index`` the indexer's database (synced by the portal unless ``follow`` says another process
    does); ``published`` the proof service's database."""

    public_url: str
    index: Path
    published: Path
    follow: bool = False
    proof_rate: int = 60  # proof requests per minute per client
    sync_interval: float = 2.0


@dataclass
class Portal:
    client: Client
    config: PortalConfig
    published: PublishedStore
    cache: verdicts.VerdictCache = field(default_factory=verdicts.VerdictCache)
    rendered: verdicts.VerdictCache = field(default_factory=verdicts.VerdictCache)  # pages and JSON, same keys
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(60))
    _local: threading.local = field(default_factory=threading.local)
    _sync_lock: threading.Lock = field(default_factory=threading.Lock)
    _names: dict[int, tuple[str, float]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.config.public_url.rstrip("/")

    def store(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.config.index)
            self._local.store = store
        return store

    def head(self) -> verdicts.Head:
        """The chain head now (number and hash): every call of one answer runs at it. One JSON-RPC request, sent
        as is (web3's middleware and block formatters cost more than the round trip; only two fields are read)."""
        answer = self.client.w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), ["latest", False])
        block = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(block, dict):
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise ConnectionError(f"the node gave no latest block: {error}")
        return verdicts.Head(int(block["number"], 16), str(block["hash"]).lower())

    def sync(self, head: verdicts.Head | None = None) -> None:
        """Brings the index up to ``head`` (when this portal keeps it): the journey a page shows is never behind
        the verdict beside it by more than a sync."""
        if self.config.follow:
            return
        store = self.store()
        if head is not None and self._indexed(store, head):
            return
        with self._sync_lock:
            if head is not None and self._indexed(store, head):  # another request synced it while this one waited
                return
            Indexer(self.client, store).sync()

    @staticmethod
    def _indexed(store: Store, head: verdicts.Head) -> bool:
        return store.last_block() >= head.number and store.block_hash(head.number) == head.hash

    def org(self, number: int) -> str:
        """An organisation as pages name it: "Pune Pharma Ltd (org 11), IN" (its verified profile and country);
        kept a minute (a name is not a verdict: a profile changed on chain shows within a minute)."""
        if not number:
            return "nobody"
        now = time.monotonic()
        known = self._names.get(number)
        if known is not None and now - known[1] < ORG_NAME_SECONDS:
            return known[0]
        name = self.client.participants.display_name(number)
        with contextlib.suppress(TradechainError):
            name = f"{name}, {self.client.participants.get(number).country}"
        self._names[number] = (name, now)
        return name


def create_app(client: Client, config: PortalConfig) -> FastAPI:
    portal = Portal(client, config, PublishedStore(config.published), limiter=RateLimiter(config.proof_rate))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Keeps the index in step with the chain from the start (unless ``follow``): a page's inline sync then
        only ever catches up a block or two."""
        stop = threading.Event()

        def follow_the_chain() -> None:
            while True:
                try:
                    portal.sync()
                except Exception as exc:  # a node that is down now is retried at the next tick
                    log.warning("index sync failed: %s", exc)
                if stop.wait(config.sync_interval):
                    return

        if not config.follow:
            threading.Thread(target=follow_the_chain, name="portal-sync", daemon=True).start()
        yield
        stop.set()

    app = FastAPI(
        lifespan=lifespan,
        title="tradechain verification portal",
        description="GS1-Conformant Digital Link resolver and verification pages; every verdict from the chain.",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    app.state.portal = portal
    env = Environment(loader=PackageLoader("tradechain.portal", "templates"), autoescape=select_autoescape())
    app.mount("/static", StaticFiles(packages=[("tradechain.portal", "static")]), name="static")

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(base=portal.base, **context)
        return HTMLResponse(html, status_code=status)

    def wants_html(request: Request) -> bool:
        accept = request.headers.get("accept", "")
        return "text/html" in accept and "application/json" not in accept.split(",")[0]

    def problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
        if wants_html(request):
            return page("error.html", status, title=title, detail=detail, status_code=status)
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
        return JSONResponse(body, status_code=status, media_type="application/problem+json")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            response = await call_next(request)
        except Exception:  # never a traceback to the client; the log has it
            log.exception("portal error on %s", request.url.path)
            response = problem(request, 500, "Internal error", "the portal failed on this request; it is logged")
        response.headers.update(CORS)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Vary", "Accept, Accept-Language")
        return response

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return problem(request, 400, "Bad request", f"{exc.field}: {exc.rule}", field=exc.field, rule=exc.rule)

    @app.exception_handler(PublishRefused)
    async def refused(request: Request, exc: PublishRefused) -> Response:
        title = {403: "Forbidden", 409: "Conflict"}.get(exc.status, "Bad request")
        return problem(request, exc.status, title, f"{exc.field}: {exc.rule}", field=exc.field, rule=exc.rule)

    @app.exception_handler(ConnectionError)
    async def chain_down(request: Request, exc: ConnectionError) -> Response:
        return problem(request, 503, "Chain unreachable", "the portal cannot reach its chain node; try again soon")

    # ------------------------------------------------------------------ resolver description, context

    @app.get("/.well-known/gs1resolver", summary="GS1 resolver description file")
    def description() -> JSONResponse:
        return JSONResponse(
            {
                "name": "tradechain verification portal",
                "resolverRoot": portal.base,
                "supportedPrimaryKeys": list(links.PRIMARY_KEYS),
                "supportedLinkType": [f"gs1:{t}" for t in links.LINK_TYPES],
                "linkTypeDefaultCanBeLinkset": False,
                "jsonLdContextLocation": f"{portal.base}/context/linkset.jsonld",
                "supportedContextValuesEnumerated": list(links.CONTEXTS),
                "contact": f"{portal.base}/",
            }
        )

    @app.get("/context/linkset.jsonld", summary="JSON-LD context of the linkset")
    def context() -> Response:
        dcterms = "http://purl.org/dc/terms/"
        body = {
            "@context": {
                "@vocab": "http://www.iana.org/assignments/relation/",
                "gs1": links.GS1_VOC,
                "dcterms": dcterms,
                "linkset": "@graph",
                "anchor": "@id",
                "href": "@id",
                "title": {"@id": dcterms + "title"},
                "type": {"@id": dcterms + "format"},
                "hreflang": {"@id": dcterms + "language", "@container": "@set"},
                "context": {"@id": links.GS1_VOC + "context", "@container": "@set"},
                "itemDescription": {"@id": links.GS1_VOC + "elementStringDescription"},
            }
        }
        return Response(json.dumps(body), media_type="application/ld+json")

    @app.get("/healthz", summary="chain head, index and cache")
    def health() -> dict[str, Any]:
        head = portal.head()
        return {
            "pid": os.getpid(),
            "chainId": client.chain_id,
            "block": head.number,
            "blockHash": head.hash,
            "indexedBlock": portal.store().last_block(),
            "cache": {"hits": portal.cache.hits, "misses": portal.cache.misses},
        }

    # ------------------------------------------------------------------ pages

    @app.get("/", response_class=HTMLResponse, summary="home: enter a code")
    def home() -> HTMLResponse:
        return page("home.html")

    @app.get("/lookup", summary="a typed code to its verification page")
    def lookup(code: str = "") -> Response:
        ids = gs1.parse_any(code)
        if ids.gtin is None and ids.sscc is None and ids.gln is None:
            raise InputError("code", "holds no GTIN (01), SSCC (00) or GLN (414)", code)
        target = ids.digital_link(portal.base)
        return RedirectResponse(f"{portal.base}/verify{target[len(portal.base) :]}", status_code=303)

    @app.get("/verify/{path:path}", summary="the verification page of a Digital Link")
    def verify_page(request: Request, path: str) -> Response:
        dl = links.read("/" + path, request.url.query, portal.base)
        key, data = _verification(portal, dl)
        if not wants_html(request):
            return _json_of(portal, key, data)
        html = portal.rendered.get_or_make(
            (*key, "html"), lambda: env.get_template(data["template"]).render(base=portal.base, **data)
        )
        return HTMLResponse(html)

    @app.get("/api/verify/{path:path}", summary="verdict and proof bundle of a Digital Link (JSON)")
    def verify_api(request: Request, path: str) -> Response:
        dl = links.read("/" + path, request.url.query, portal.base)
        return _json_of(portal, *_verification(portal, dl))

    @app.get("/api/journey/{path:path}", summary="journey of a Digital Link (JSON)")
    def journey_api(request: Request, path: str) -> JSONResponse:
        dl = links.read("/" + path, request.url.query, portal.base)
        _key, data = _verification(portal, dl)
        return JSONResponse({"anchor": portal.base + dl.path, "journey": data.get("journey", [])})

    @app.get("/product/01/{gtin}", summary="product page of a GTIN")
    def product(request: Request, gtin: str) -> Response:
        code = gs1.parse_gtin(gtin)
        owner = client.products.gtin_owner(code)
        info = {"gtin": code, "brand": portal.org(owner) if owner else None}
        if not wants_html(request):
            return JSONResponse(info)
        return page("product.html", info=info)

    @app.get("/certificate/{certificate}", summary="verification page of a watch certificate")
    def certificate_page(request: Request, certificate: str) -> Response:
        verdict = _certificate(portal, certificate)
        if not wants_html(request):
            return JSONResponse(verdict.to_json())
        return page("certificate.html", v=verdict, word=verdict.word, brand=portal.org(verdict.verification.brand))

    @app.get("/api/certificate/{certificate}", summary="verdict on a watch certificate (JSON)")
    def certificate_api(certificate: str) -> JSONResponse:
        return JSONResponse(_certificate(portal, certificate).to_json())

    @app.get("/document", response_class=HTMLResponse, summary="upload form: verify a document")
    def document_form() -> HTMLResponse:
        return page("document.html", v=None)

    @app.post("/document", summary="verify an uploaded document with its proof")
    async def document_check(request: Request) -> Response:
        verdict = await _document(portal, request)
        if not wants_html(request):
            return JSONResponse(verdict.to_json())
        return page("document.html", v=verdict, word=verdict.word)

    @app.post("/api/document", summary="verify an uploaded document with its proof (JSON)")
    async def document_api(request: Request) -> JSONResponse:
        return JSONResponse((await _document(portal, request)).to_json())

    # ------------------------------------------------------------------ proof service

    @app.get("/api/proofs/01/{gtin}/21/{serial}", summary="the Merkle proof of one pack (rate limited)")
    def serial_proof(request: Request, gtin: str, serial: str) -> Response:
        wait = portal.limiter.allow(request.client.host if request.client else "?")
        if wait:
            response = problem(request, 429, "Too many requests", f"proofs: at most {config.proof_rate} a minute")
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        code, number = gs1.parse_gtin(gtin), gs1.parse_serial(serial)
        found = portal.published.proof(code, number)
        held = sorted(portal.published.batches(code))
        if found is None:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no published proof for it",
                    "batches": held,
                },
                status_code=404,
                media_type="application/problem+json",
            )
        return JSONResponse({"gtin": code, "serial": number, **found.to_json(), "batches": held})

    @app.post("/api/serials", summary="publish a commissioning's serial list (signed)")
    async def publish(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return JSONResponse(portal.published.publish(client, body).to_json())

    @app.post("/api/serials/delegates", summary="let another member publish a GTIN's lists (signed)")
    async def delegate(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return JSONResponse(portal.published.delegate(client, body))

    @app.post("/api/certificates/metadata", summary="publish certificate descriptions (checked against the chain)")
    async def publish_metadata(request: Request) -> JSONResponse:
        body = await _json_body(request)
        return JSONResponse(portal.published.publish_metadata(client, body))

    # ------------------------------------------------------------------ the resolver

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "OPTIONS"], summary="GS1 Digital Link resolver")
    def resolve(request: Request, path: str) -> Response:
        if request.method == "OPTIONS":
            allowed = {
                "Allow": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Type",
                "Access-Control-Max-Age": "86400",
            }
            try:  # a Digital Link's preflight names its linkset too (GS1's suite reads it there)
                preflight = links.read("/" + path, "", portal.base)
            except InputError:
                return Response(status_code=204, headers=allowed)
            linkset_link = (
                f'<{portal.base}{preflight.path}?linkType=linkset>; rel="linkset"; type="{links.LINKSET_TYPE}"; '
                'title="The links of this identifier (RFC 9264 linkset)"'
            )
            return Response(status_code=204, headers={**allowed, "Link": linkset_link})
        first = path.split("/", 1)[0]
        if first not in links.PRIMARY_KEYS and not _maybe_compressed(path):
            return problem(
                request, 404, "Not found", f"no page at /{path}: a Digital Link starts /01/, /00/, /414/, ..."
            )
        dl = links.read("/" + path, request.url.query, portal.base)
        accept = request.headers.get("accept", "")
        choice = links.choose(
            dl,
            portal.base,
            accept=accept,
            accept_language=request.headers.get("accept-language", ""),
            wants_linkset=links.LINKSET_TYPE in accept,
        )
        uncompressed = portal.base + dl.path
        header_links = [
            f'<{uncompressed}?linkType=linkset>; rel="linkset"; type="{links.LINKSET_TYPE}"; '
            'title="The links of this identifier (RFC 9264 linkset)"'
        ]
        if dl.compressed:
            query = dl.query_string()
            header_links.append(
                f'<{uncompressed}{"?" + query if query else ""}>; rel="owl:sameAs"; '
                'title="The uncompressed GS1 Digital Link URI of this request"'
            )
        if choice.linkset:
            header_links.append(
                f'<{portal.base}/context/linkset.jsonld>; rel="{links.JSON_LD_CONTEXT_REL}"; '
                'type="application/ld+json"; title="JSON-LD context of the linkset"'
            )
            wanted = links.LINKSET_TYPE in accept
            if wants_html(request) and not wanted:
                listing = page("links.html", dl=dl, levels=links.levels(dl, portal.base), headers_links=header_links)
                listing.headers["Link"] = ", ".join(header_links)
                return listing
            plain_json = not wanted and "application/json" in accept
            media = "application/json" if plain_json else links.LINKSET_TYPE
            body = links.linkset(dl, portal.base)
            return Response(json.dumps(body), media_type=media, headers={"Link": ", ".join(header_links)})
        if not choice.links:
            asked = f"gs1:{choice.link_type}" if choice.link_type else "default"
            response = problem(request, 404, "Not found", f"linkType: no {asked} link for {dl.path}")
            response.headers["Link"] = ", ".join(header_links)
            return response
        query = dl.query_string()
        if len(choice.links) > 1:
            listed = [
                {"rel": link.rel_iri, **link.to_json(), "href": _with_query(link.href, query)} for link in choice.links
            ]
            choices: Response
            if wants_html(request):
                choices = page("choices.html", 300, dl=dl, choices=choice.links, query=query)
            else:
                choices = JSONResponse({"linkType": f"gs1:{choice.link_type}", "links": listed}, status_code=300)
            choices.headers["Link"] = ", ".join(header_links)
            return choices
        target = _with_query(choice.links[0].href, query)
        return Response(status_code=307, headers={"Location": target, "Link": ", ".join(header_links)})

    return app


def _maybe_compressed(path: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9_-]{4,}/?", path))


def _with_query(href: str, query: str) -> str:
    if not query:
        return href
    base, hash_mark, fragment = href.partition("#")
    joined = base + ("&" if "?" in base else "?") + query
    return joined + (hash_mark + fragment if hash_mark else "")


async def _json_body(request: Request) -> Any:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_JSON:
        raise PublishRefused(413, "body", f"is at most {MAX_JSON // 1024 // 1024} MB")
    raw = await request.body()
    if len(raw) > MAX_JSON:
        raise PublishRefused(413, "body", f"is at most {MAX_JSON // 1024 // 1024} MB")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PublishRefused(400, "body", "is JSON") from None


# --------------------------------------------------------------------------------------------- what pages show


def _verification(portal: Portal, dl: links.DigitalLink) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The page of a Digital Link: a pack or lot, a logistic unit, a location, or an identifier we hold nothing
    of; cached per chain head, index and publications (the key, and what the page shows)."""
    head = portal.head()
    portal.sync(head)
    attributes = tuple(sorted((k, v) for k, v in dl.query if k.isdigit()))
    key = ("verify", dl.path, attributes, head.hash, portal.published.version)
    result: dict[str, Any] = portal.cache.get_or_make(key, lambda: _make_verification(portal, dl, head))
    return key, result


def _json_of(portal: Portal, key: tuple[Any, ...], data: dict[str, Any]) -> Response:
    """The JSON of a cached answer, serialised once per key."""
    body: bytes = portal.rendered.get_or_make((*key, "json"), lambda: json.dumps(data["json"]).encode())
    return Response(body, media_type="application/json")


def _make_verification(portal: Portal, dl: links.DigitalLink, head: verdicts.Head) -> dict[str, Any]:
    from tradechain.indexer import life

    ids = dl.ids
    anchor = portal.base + dl.path
    if dl.key == "01" and ids.lot is not None:
        verdict = verdicts.pack_verdict(portal.client, ids, portal.published, head)
        store = portal.store()
        target = life.parse_target(ids.digital_link("https://id.gs1.org"))
        found = life.life(store, target, portal.published)
        journey = [_step(store, found, entry, portal) for entry in found.entries]
        origin = store.origin(found.unit) if found.unit and not target.is_pack else []
        if target.is_pack and found.batch:
            info = store.batch_info(found.batch) or {}
            origin = store.origin(str(info.get("lot", ""))) if info.get("lot") else []
        return {
            "template": "pack.html",
            "v": verdict,
            "word": verdict.word,
            "anchor": anchor,
            "journey": journey,
            "origin": origin,
            "inspections": [j for j in journey if j["step"].startswith("inspected")],
            "note": found.note,
            "json": {"anchor": anchor, **verdict.to_json(), "journey": journey, "origin": origin},
        }
    word = verdicts.Word(
        "UNKNOWN", "?", "warn", "tradechain holds no verdict for this kind of identifier.", "Ask who gave you the code."
    )
    about: dict[str, Any] = {"identifier": ids.element_string() or dl.path}
    if dl.key == "00":
        from tradechain.contracts.product_registry import sscc_unit

        unit = "0x" + sscc_unit(dl.value).hex()
        custody = portal.store().current_custody(unit)
        if custody is not None:
            word = verdicts.Word("REGISTERED", "✓", "good", "This logistic unit is tracked on tradechain.")
            about["holder"] = portal.org(custody["holder"])
            about["inTransitTo"] = portal.org(custody["inTransitTo"]) if custody["inTransitTo"] else None
            about["contents"] = len(portal.store().contents(unit))
    return {
        "template": "other.html",
        "word": word,
        "anchor": anchor,
        "about": about,
        "json": {"anchor": anchor, "verdict": word.word, "meaning": word.meaning, **about},
    }


def _step(store: Store, found: Any, entry: dict[str, Any], portal: Portal) -> dict[str, Any]:
    from tradechain.indexer import life

    text = life.describe(store, found, entry, portal.org)
    step = str(entry.get("step", "EPCIS event"))
    _when, _, rest = text.partition("  ")
    rest = rest.strip()
    rest = rest[len(step) :].strip() if rest.startswith(step) else rest.removeprefix("EPCIS event").strip()
    return {"time": entry["timeUtc"], "step": step, "text": rest}


def _certificate(portal: Portal, certificate: str) -> verdicts.CertificateVerdict:
    token = certs.parse_token_id(certificate, "certificate")
    head = portal.head()
    key = ("certificate", token, head.hash, portal.published.version)
    result: verdicts.CertificateVerdict = portal.cache.get_or_make(
        key, lambda: verdicts.certificate_verdict(portal.client, token, portal.published.metadata, head)
    )
    return result


async def _document(portal: Portal, request: Request) -> verdicts.DocumentVerdict:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_UPLOAD + 1024 * 1024:
        raise PublishRefused(413, "file", f"is at most {MAX_UPLOAD // 1024 // 1024} MB")
    form = await request.form(max_files=2, max_fields=4, max_part_size=MAX_UPLOAD)
    upload, proof_upload = form.get("file"), form.get("proof")
    if upload is None or isinstance(upload, str):
        raise InputError("file", "choose the document to verify")
    if proof_upload is None or isinstance(proof_upload, str):
        raise InputError("proof", "choose the document's proof file (.tcproof.json), given with the document")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PublishRefused(413, "file", f"is at most {MAX_UPLOAD // 1024 // 1024} MB")
    proof_bytes = await proof_upload.read(1024 * 1024)
    name = upload.filename or "document"
    digest = content_hash(data, is_json=name.lower().endswith(".json"), shown=name)
    del data  # hashed, never stored
    try:
        proof = DocumentProof.from_json(canonical.loads(proof_bytes, "proof"))
    except InputError as exc:
        raise InputError("proof", f"not a document proof ({exc.field}: {exc.rule})") from None
    if proof.chain_id != portal.client.chain_id:
        raise InputError("proof", f"is for chain {proof.chain_id}; this portal reads chain {portal.client.chain_id}")
    return verdicts.document_verdict(portal.client, digest, proof, portal.head())

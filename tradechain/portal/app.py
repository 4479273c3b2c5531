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
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

import urllib3
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.staticfiles import StaticFiles
from web3.types import RPCEndpoint

from tradechain.client import Client
from tradechain.contracts import luxury_certificate as certs
from tradechain.contracts.document_registry import DocumentProof, content_hash
from tradechain.contracts.title_registry import parse_title_id
from tradechain.errors import InputError, TradechainError
from tradechain.formats import canonical, gs1
from tradechain.indexer import Indexer, Store
from tradechain.portal import links, verdicts
from tradechain.portal.proofs import CHAIN_UNREACHABLE, PublishedStore, PublishRefused, RateLimiter

log = logging.getLogger("tradechain.portal")

ORG_NAME_SECONDS = 60.0
HEAD_REQUEST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", False]})
JSON_HEADERS = {"Content-Type": "application/json"}
MAX_UPLOAD = 20 * 1024 * 1024  # bytes of a document to verify
MAX_JSON = 64 * 1024 * 1024  # bytes of a publication
MAX_PROOF = 1024 * 1024  # bytes of a document's proof file
MAX_PATH = 4096  # bytes of a request's path (percent-encoded): a Digital Link is far shorter
MAX_QUERY = 8192  # bytes of its query string
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


class SingleFlight:
    """Shares one call among the callers that arrive while it is in flight, but only with those that arrived
    before it started: each caller gets the result of a call that began after it asked."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = False
        self._done: tuple[float, Any] | None = None  # (when the last call started, its result)
        self._failed: tuple[float, BaseException] | None = None

    def get(self, call: Callable[[], Any]) -> Any:
        arrived = time.monotonic()
        with self._cond:
            while True:
                if self._done is not None and self._done[0] >= arrived:
                    return self._done[1]
                if self._failed is not None and self._failed[0] >= arrived:
                    raise self._failed[1]
                if not self._running:
                    self._running = True
                    break
                self._cond.wait()
        started = time.monotonic()
        try:
            result = call()
        except BaseException as exc:
            with self._cond:
                self._running, self._failed = False, (started, exc)
                self._cond.notify_all()
            raise
        with self._cond:
            self._running, self._done = False, (started, result)
            self._cond.notify_all()
        return result


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
    _heads: SingleFlight = field(default_factory=lambda: SingleFlight())
    _pool: urllib3.HTTPConnectionPool | None = None
    _path: str = "/"

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
        """The chain head as of this request: the answer of a head request sent after this request arrived
        (never one sent before: a block mined in between, a recall, would be missed). Requests that arrive while
        one is in flight share the next one, so 50 concurrent pages cost the node one request, not 50."""
        head: verdicts.Head = self._heads.get(self._fetch_head)
        return head

    def _fetch_head(self) -> verdicts.Head:
        """The chain head now (number and hash): every call of one answer runs at it. One JSON-RPC request, sent
        as is (web3's middleware and block formatters cost more than the round trip; only two fields are read)."""
        answer = self._head_request()
        block = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(block, dict):
            error = answer.get("error") if isinstance(answer, dict) else answer
            raise ConnectionError(f"the node gave no latest block: {error}")
        return verdicts.Head(int(block["number"], 16), str(block["hash"]).lower())

    def _head_request(self) -> Any:
        """``eth_getBlockByNumber("latest")`` on a kept-alive connection of the portal's own (a third of what the
        same request costs through web3 and requests); through web3 for a provider that is not plain HTTP."""
        url = str(getattr(self.client.w3.provider, "endpoint_uri", "") or "")
        if self._pool is None and url.startswith(("http://", "https://")):
            self._pool = urllib3.connection_from_url(url, maxsize=16, timeout=urllib3.Timeout(total=10.0))
            self._path = urllib3.util.parse_url(url).request_uri or "/"
        if self._pool is None:
            return self.client.w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), ["latest", False])
        try:
            reply = self._pool.urlopen("POST", self._path, body=HEAD_REQUEST, headers=JSON_HEADERS, retries=False)
            return json.loads(reply.data)
        except (urllib3.exceptions.HTTPError, ValueError) as exc:
            raise ConnectionError(f"the node did not answer the head request: {exc}") from None

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

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():  # the resolver's one route serves GET, HEAD and OPTIONS: ids given below
                warnings.simplefilter("ignore")
                schema = get_openapi(
                    title=app.title, version=app.version, description=app.description, routes=app.routes
                )
            app.openapi_schema = describe_api(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
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
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        if len(raw_path) > MAX_PATH or len(query) > MAX_QUERY:
            where, limit = ("path", MAX_PATH) if len(raw_path) > MAX_PATH else ("query", MAX_QUERY)
            response = problem(request, 414, "URI too long", f"{where}: is at most {limit >> 10} kB")
            response.headers.update(CORS)
            return response
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
        field, rule = {
            404: ("path", f"no page at {_shown(request.url.path)}"),
            405: ("method", f"{_shown(request.method, 16)} is not allowed at {_shown(request.url.path)}"),
        }.get(exc.status_code, ("request", _shown(str(exc.detail), 200)))
        response = problem(request, exc.status_code, title, f"{field}: {rule}", field=field, rule=rule)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")) or "request"
        rule = str(first.get("msg", "is malformed"))
        return problem(request, 400, "Bad request", f"{where}: {rule}", field=where, rule=rule)

    async def chain_down(request: Request, exc: Exception) -> Response:
        log.warning("chain node unreachable on %s: %s", request.url.path, exc)
        detail = "chain: the portal cannot reach its chain node; try again soon"
        response = problem(request, 503, "Chain unreachable", detail, field="chain", rule="is unreachable")
        response.headers["Retry-After"] = "10"
        return response

    for unreachable in CHAIN_UNREACHABLE:
        app.add_exception_handler(unreachable, chain_down)

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
        typed = code.strip()
        if typed[:2].lower() == "0x":  # an eBL's id (a GS1 code never starts so); a phone may capitalise the x
            title_id = parse_title_id("0x" + typed[2:], "code")
            return RedirectResponse(f"{portal.base}/ebl/0x{title_id:064x}", status_code=303)
        ids = gs1.parse_any(code)
        if ids.gtin is None and ids.sscc is None and ids.gln is None:
            raise InputError("code", "holds no GTIN (01), SSCC (00) or GLN (414)", code)
        target = ids.digital_link(portal.base)
        return RedirectResponse(f"{portal.base}/verify{target[len(portal.base) :]}", status_code=303)

    @app.get("/verify/{path:path}", summary="the verification page of a Digital Link")
    def verify_page(request: Request, path: str) -> Response:
        dl = links.read(_raw_path(request, path), request.url.query, portal.base)
        key, data = _verification(portal, dl)
        if not wants_html(request):
            return _json_of(portal, key, data)
        html = portal.rendered.get_or_make(
            (*key, "html"), lambda: env.get_template(data["template"]).render(base=portal.base, **data)
        )
        return HTMLResponse(html)

    @app.get("/api/verify/{path:path}", summary="verdict and proof bundle of a Digital Link (JSON)")
    def verify_api(request: Request, path: str) -> Response:
        dl = links.read(_raw_path(request, path), request.url.query, portal.base)
        return _json_of(portal, *_verification(portal, dl))

    @app.get("/api/journey/{path:path}", summary="journey of a Digital Link (JSON)")
    def journey_api(request: Request, path: str) -> JSONResponse:
        dl = links.read(_raw_path(request, path), request.url.query, portal.base)
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

    @app.get("/ebl/{ebl_id}", summary="page of an electronic bill of lading (eBL)")
    def ebl_page(request: Request, ebl_id: str) -> Response:
        key, verdict = _ebl(portal, ebl_id)
        if not verdict.title.exists:
            if not wants_html(request):
                return _unknown_ebl(request, verdict)
            return page("ebl.html", 404, v=verdict, word=verdict.word, ebl=verdict.ebl, download=None)
        if not wants_html(request):
            return _ebl_json(portal, key, verdict)
        html = portal.rendered.get_or_make(
            (*key, "html"),
            lambda: env.get_template("ebl.html").render(
                base=portal.base,
                v=verdict,
                word=verdict.word,
                ebl=verdict.ebl,
                download=f"{portal.base}/api/ebl/{verdict.ebl}",
            ),
        )
        return HTMLResponse(html)

    @app.get("/api/ebl/{ebl_id}", summary="verdict, parties, endorsement chain and surrender of an eBL (JSON)")
    def ebl_api(request: Request, ebl_id: str) -> Response:
        key, verdict = _ebl(portal, ebl_id)
        if not verdict.title.exists:
            return _unknown_ebl(request, verdict)
        return _ebl_json(portal, key, verdict)

    def _unknown_ebl(request: Request, verdict: verdicts.EblVerdict) -> Response:
        detail = "ebl: no eBL with this id on this chain"
        return problem(
            request,
            404,
            "Not found",
            detail,
            field="ebl",
            rule="no eBL with this id on this chain",
            ebl=verdict.ebl,
            verdict=verdict.word.word,
            bundle=verdict.bundle,
        )

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
                    "detail": "serial: no proof of it is published here",
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
    async def resolve(request: Request, path: str) -> Response:  # no I/O: on the event loop, no thread hop
        if request.method == "OPTIONS":
            allowed = {
                "Allow": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Type",
                "Access-Control-Max-Age": "86400",
            }
            try:  # a Digital Link's preflight names its linkset too (GS1's suite reads it there)
                preflight = links.read(_raw_path(request, path), "", portal.base)
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
                request, 404, "Not found", f"path: no page at /{path}; a Digital Link starts /01/, /00/, /414/, ..."
            )
        dl = links.read(_raw_path(request, path), request.url.query, portal.base)
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
                choices = page(
                    "choices.html", 300, dl=dl, choices=[(link, _with_query(link.href, query)) for link in choice.links]
                )
            else:
                choices = JSONResponse({"linkType": f"gs1:{choice.link_type}", "links": listed}, status_code=300)
            choices.headers["Link"] = ", ".join(header_links)
            return choices
        target = _with_query(choice.links[0].href, query)
        return Response(status_code=307, headers={"Location": target, "Link": ", ".join(header_links)})

    return app


def _raw_path(request: Request, path: str) -> str:
    """The request's path after its route's prefix, as sent (percent-encoded): a lot or serial may hold a ``/``,
    sent as ``%2F``, which the decoded ``path`` would split into two segments."""
    raw = request.scope.get("raw_path")
    route = request.scope.get("route")
    prefix = str(getattr(route, "path", "")).split("{", 1)[0].rstrip("/")
    if isinstance(raw, bytes):
        text = raw.decode("latin-1").split("?", 1)[0]
        if text.startswith(prefix + "/"):
            return text[len(prefix) :]
    return "/" + path


def _maybe_compressed(path: str) -> bool:
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9_-]{4,}/?", path))


def _shown(path: str, limit: int = 80) -> str:
    """A request path as an error message may quote it: printable, and short."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _with_query(href: str, query: str) -> str:
    if not query:
        return href
    base, hash_mark, fragment = href.partition("#")
    joined = base + ("&" if "?" in base else "?") + query
    return joined + (hash_mark + fragment if hash_mark else "")


async def _capped_body(request: Request, limit: int, field: str) -> bytes:
    """The request's body, refused (413, nothing kept) as soon as it is over ``limit`` bytes: by its Content-Length
    before a byte is read, else by counting what arrives (a chunked upload has none)."""
    too_large = PublishRefused(413, field, f"is at most {limit >> 20} MB")
    declared = request.headers.get("content-length", "")
    if declared and not declared.isdigit():
        raise PublishRefused(400, "content-length", "is a number of bytes")
    if int(declared or 0) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what request.form() parses from now on
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _json_body(request: Request) -> Any:
    """The JSON of a publication: strict JSON (UTF-8, no NaN or Infinity) of at most ``MAX_JSON`` bytes."""
    raw = await _capped_body(request, MAX_JSON, "body")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise PublishRefused(400, "body", "is JSON (UTF-8, RFC 8259)") from None
    except RecursionError:
        raise PublishRefused(400, "body", "is JSON nested at most a few hundred levels deep") from None


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
    attributes = "&".join(f"{k}={quote(v, safe='')}" for k, v in dl.query if k.isdigit())
    download = f"{portal.base}/api/verify{dl.path}" + (f"?{attributes}" if attributes else "")
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
        origin = [o for o in origin if o.get("depth", 0) > 0]  # what it was made from, not the lot itself
        return {
            "template": "pack.html",
            "download": download,
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
        word = verdicts.Word(
            "UNKNOWN", "✗", "bad", "This logistic unit is not tracked on tradechain.", "Ask who gave you the code."
        )
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

    step = str(entry.get("step", "EPCIS event"))
    return {"time": entry["timeUtc"], "step": step, "text": life.detail(store, found, entry, portal.org)}


def _ebl(portal: Portal, ebl_id: str) -> tuple[tuple[Any, ...], verdicts.EblVerdict]:
    """The verdict on an eBL at the chain head this request saw, cached per head (the key, and the verdict)."""
    title_id = parse_title_id(ebl_id, "ebl")
    if "TitleRegistry" not in portal.client.deployment.contracts:  # a deployment from before eBLs: no such page
        raise StarletteHTTPException(404)
    head = portal.head()
    key = ("ebl", title_id, head.hash)
    result: verdicts.EblVerdict = portal.cache.get_or_make(
        key, lambda: verdicts.ebl_verdict(portal.client, title_id, head)
    )
    return key, result


def _ebl_json(portal: Portal, key: tuple[Any, ...], verdict: verdicts.EblVerdict) -> Response:
    """The JSON of an eBL's verdict, serialised once per key."""
    body: bytes = portal.rendered.get_or_make((*key, "json"), lambda: json.dumps(verdict.to_json()).encode())
    return Response(body, media_type="application/json")


def _certificate(portal: Portal, certificate: str) -> verdicts.CertificateVerdict:
    token = certs.parse_token_id(certificate, "certificate")
    head = portal.head()
    key = ("certificate", token, head.hash, portal.published.version)
    result: verdicts.CertificateVerdict = portal.cache.get_or_make(
        key, lambda: verdicts.certificate_verdict(portal.client, token, portal.published.metadata, head)
    )
    return result


class _InMemoryParts(MultiPartParser):
    """Starlette's multipart parser, every part kept in memory: an uploaded document is hashed, never written to
    disk (the body is capped before it is parsed)."""

    spool_max_size = MAX_UPLOAD + MAX_PROOF + 64 * 1024


async def _document(portal: Portal, request: Request) -> verdicts.DocumentVerdict:
    await _capped_body(request, _InMemoryParts.spool_max_size, "file")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InputError("file", "send the document and its proof as multipart/form-data (fields file, proof)")
    parser = _InMemoryParts(request.headers, request.stream(), max_files=2, max_fields=4, max_part_size=MAX_PROOF)
    try:
        form = await parser.parse()
    except MultiPartException as exc:  # python-multipart's word on a malformed form, under our field
        raise InputError("file", f"a multipart/form-data upload of file and proof ({exc.message})") from None
    upload, proof_upload = form.get("file"), form.get("proof")
    if upload is None or isinstance(upload, str):
        raise InputError("file", "choose the document to verify")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise PublishRefused(413, "file", f"is at most {MAX_UPLOAD >> 20} MB")
    if proof_upload is None or isinstance(proof_upload, str):
        raise InputError("proof", "choose the document's proof file (.tcproof.json), given with the document")
    proof_bytes = await proof_upload.read(MAX_PROOF + 1)
    if len(proof_bytes) > MAX_PROOF:
        raise PublishRefused(413, "proof", f"is at most {MAX_PROOF >> 10} kB")
    name = upload.filename or "document"
    digest = content_hash(data, is_json=name.lower().endswith(".json"), shown=name)
    del data  # hashed, never stored
    try:
        proof = DocumentProof.from_json(canonical.loads(proof_bytes, "proof"))
    except InputError as exc:
        raise InputError("proof", f"not a document proof ({exc.field}: {exc.rule})") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InputError("proof", "not a document proof (a .tcproof.json is a JSON object)") from None
    if proof.chain_id != portal.client.chain_id:
        raise InputError("proof", f"is for chain {proof.chain_id}; this portal reads chain {portal.client.chain_id}")
    return verdicts.document_verdict(portal.client, digest, proof, portal.head())


# --------------------------------------------------------------------------------------------- the OpenAPI description

# What each path parameter holds (the routes take text and check it themselves: a bad value is a 400 naming the
# rule, never FastAPI's 422), so that a client, or a fuzzer, knows what a meaningful value is.
_GTIN = {
    "type": "string",
    "pattern": "^([0-9]{8}|[0-9]{12,14})$",
    "description": "GTIN-8, -12, -13 or -14 with its check digit",
    "example": "09506000134352",
}
_SERIAL = {
    "type": "string",
    "minLength": 1,
    "maxLength": 20,
    "description": "serial number (AI 21), GS1 character set 82",
    "example": "AB0000001",
}
_DIGITAL_LINK = {
    "type": "string",
    "pattern": "^(01/[0-9]{14}(/10/[A-Za-z0-9-]{1,20})?(/21/[A-Za-z0-9-]{1,20})?|00/[0-9]{18}|414/[0-9]{13})$",
    "description": "a GS1 Digital Link path from its primary key: 01/GTIN[/10/lot][/21/serial], 00/SSCC, 414/GLN, ...",
    "example": "01/09506000134352/10/ABC123/21/12345",
}
_CERTIFICATE = {
    "type": "string",
    "pattern": "^(0x[0-9a-fA-F]{1,64}|[0-9]{1,77})$",
    "description": "certificate id: decimal or 0x hex",
    "example": "1",
}
_EBL = {
    "type": "string",
    "pattern": "^0x[0-9a-fA-F]{64}$",
    "description": "eBL (title) id: 0x and 64 hex digits, as `tradechain ebl issue` prints it",
    "example": "0x" + "0" * 63 + "1",
}
_PARAMETERS = {"gtin": _GTIN, "serial": _SERIAL, "certificate": _CERTIFICATE, "ebl_id": _EBL}
_RESOLVER_PATH = {
    "type": "string",
    "minLength": 1,
    "description": "a GS1 Digital Link path (01/GTIN/10/lot/21/serial, 00/SSCC, 414/GLN, ...) or a compressed one",
    "example": "01/09506000134352/10/ABC123",
}
_PROBLEM = {
    "application/problem+json": {
        "schema": {
            "type": "object",
            "required": ["title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "one line: the field and the rule it breaks"},
                "field": {"type": "string"},
                "rule": {"type": "string"},
            },
        }
    },
    "text/html": {"schema": {"type": "string"}},
}
_WHY = {
    "300": "several links of the asked type: the list",
    "303": "see the code's verification page",
    "307": "redirect to the link asked for (the verification page by default)",
    "400": "malformed or check-digit-invalid input: one line naming the field and the rule",
    "403": "the signer may not publish this",
    "404": "nothing at this address, or no link of the asked type",
    "405": "method not allowed",
    "409": "not what the chain holds",
    "413": "too large",
    "414": "the path or the query is too long",
    "429": "too many requests: wait Retry-After seconds",
    "503": "the chain node is unreachable",
}
_PAGE_OR_JSON = {"application/json": {"schema": {}}, "text/html": {"schema": {"type": "string"}}}
_JSON_BODIES: dict[str, dict[str, Any]] = {
    "/api/serials": {
        "type": "object",
        "required": ["batch", "gtin", "lot", "serials", "signature"],
        "properties": {
            "batch": {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"},
            "gtin": _GTIN,
            "lot": {"type": "string", "minLength": 1, "maxLength": 20},
            "serials": {"type": "array", "minItems": 1, "items": _SERIAL},
            "signature": {"type": "string", "pattern": "^0x[0-9a-fA-F]{130}$"},
        },
    },
    "/api/serials/delegates": {
        "type": "object",
        "required": ["gtin", "organisation", "signature"],
        "properties": {
            "gtin": _GTIN,
            "organisation": {"type": "integer", "minimum": 1},
            "revoke": {"type": "boolean"},
            "signature": {"type": "string", "pattern": "^0x[0-9a-fA-F]{130}$"},
        },
    },
    "/api/certificates/metadata": {
        "type": "object",
        "required": ["certificates"],
        "properties": {
            "certificates": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10_000,
                "items": {
                    "type": "object",
                    "required": ["certificate", "metadata"],
                    "properties": {"certificate": _CERTIFICATE, "metadata": {"type": "object"}},
                },
            }
        },
    },
}
_UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file", "proof"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": f"at most {MAX_UPLOAD >> 20} MB"},
                "proof": {"type": "string", "format": "binary", "description": "the document's .tcproof.json"},
            },
        }
    }
}


def _statuses(method: str, path: str) -> list[str]:
    if path == "/{path}":
        return ["400", "404", "503"] + (["300", "307"] if method == "get" else ["307"] if method == "head" else [])
    if path.startswith("/api/serials") or path == "/api/certificates/metadata":
        return ["400", "403", "409", "413", "503"]
    if path.endswith("document") and method == "post":
        return ["400", "413", "503"]
    if path.startswith("/api/proofs/"):
        return ["400", "404", "429", "503"]
    if path == "/lookup":
        return ["303", "400"]
    if "{" in path:
        return ["400", "404", "503"]  # 404: a path the router matches no route to (a line break in it)
    return ["503"] if path == "/healthz" else []


def describe_api(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's description of the routes, completed: typed path parameters, the bodies the POST routes read,
    every status a route answers (a problem JSON, or a page for ``Accept: text/html``), and the resolver's
    catch-all (GET, HEAD, OPTIONS of any Digital Link path), each operation with an id of its own."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path == "/{path}":
                operation["operationId"] = f"resolve_{method}"
                operation["description"] = (
                    "GS1-Conformant resolver: a Digital Link path (uncompressed or compressed) answers 307 to its "
                    "default link or to the link of ?linkType=gs1:<type>, 300 when several match, 404 when none, "
                    "the RFC 9264 linkset for ?linkType=linkset or Accept: application/linkset+json, 400 for a "
                    "malformed or check-digit-invalid URI."
                )
                operation["parameters"] = [
                    {"name": "path", "in": "path", "required": True, "schema": _RESOLVER_PATH},
                    {
                        "name": "linkType",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "example": "gs1:pip"},
                        "description": "gs1:<type>, https://ref.gs1.org/voc/<type>, linkset or all",
                    },
                    {"name": "context", "in": "query", "required": False, "schema": {"type": "string"}},
                ]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and path != "/{path}":
                    parameter["schema"] = _PARAMETERS.get(parameter["name"], _DIGITAL_LINK)
            responses = operation["responses"]
            responses.pop("422", None)  # the routes check their input themselves: a 400 naming the rule
            ok = responses.setdefault("200", {"description": "Successful Response"})
            if path == "/{path}":
                responses.pop("200")
                if method == "options":
                    responses["204"] = {"description": "the methods and headers the resolver allows (CORS)"}
                else:
                    responses["200"] = {
                        "description": "the linkset (RFC 9264), or the page listing it",
                        "content": {links.LINKSET_TYPE: {"schema": {"type": "object"}}, **_PAGE_OR_JSON},
                    }
            elif path == "/context/linkset.jsonld":
                ok["content"] = {"application/ld+json": {"schema": {"type": "object"}}}
            elif path not in ("/", "/.well-known/gs1resolver", "/healthz") and not path.startswith("/api/"):
                ok["content"] = {**ok.get("content", {}), **_PAGE_OR_JSON}
            for status in [*_statuses(method, path), "414"]:
                if status in ("303", "307"):
                    responses[status] = {"description": _WHY[status], "headers": {"Location": {"schema": {}}}}
                elif status == "300":
                    responses[status] = {"description": _WHY[status], "content": _PAGE_OR_JSON}
                else:
                    responses[status] = {"description": _WHY[status], "content": _PROBLEM}
            if method == "post":
                content = _UPLOAD if path.endswith("document") else {"application/json": {"schema": _JSON_BODIES[path]}}
                operation["requestBody"] = {"required": True, "content": content}
    schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    if not schema.get("components", {}).get("schemas"):
        schema.pop("components", None)
    return schema

"""GS1's own resolver test suite (GS1DigitalLinkResolverTestSuite.js, ../shared/gs1-resolver-testsuite) run in
headless Chromium against the portal served over HTTPS, offline.

What the suite's page loads is given to it here: the GS1 Digital Link toolkit (GS1DigitalLinkToolkit.js, as
shipped in the npm package digital-link.js) and Ajv's browser bundle (window.ajv7, npm ajv-dist), installed in
tests/portal/gs1-suite-deps (never the project's node_modules); its server side, tester.php, answered by
``StandInTester`` below in Python with the same JSON (it makes the request the PHP makes, with curl's headers, and
reports the status and headers); GS1's linkset schema from ../shared. The browser reaches nothing but the
portal: every other request is answered by the test or refused, and the test says which.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
import pytest
from helpers import free_port

from portal.browser import ARGS as CHROMIUM_ARGS
from portal.browser import CHROMIUM
from portal.conftest import MEDICINE
from portal.test_resolver import serve_tls, tls_pair
from tradechain.client import Client
from tradechain.portal.app import PortalConfig, create_app

DEPS = Path(__file__).parent / "gs1-suite-deps"
TOOLKIT = DEPS / "node_modules/digital-link.js/lib/GS1DigitalLinkCompressionPrototype/GS1DigitalLinkToolkit.js"
AJV = DEPS / "node_modules/ajv-dist/dist/ajv7.min.js"
# The suite's page, made up by the test on a loopback origin (a browser lets a public page reach no loopback
# address: Private Network Access), at a port nobody listens on: the route answers it before any connection.
SUITE_PAGE = f"https://localhost:{free_port()}/gs1-suite/"
TESTER = "https://philarcher.org/gs1/tester.php"  # the suite's testUri
LINKSET_SCHEMA = "https://gs1.github.io/linkset/gs1-linkset-schema.json"
# What the suite fetches from GS1 that ../shared does not hold: answered 404, so its checks cannot pass here.
NOT_IN_SHARED = {
    "https://ref.gs1.org/standards/resolver/description-file-schema": "rdFile",
    "https://ref.gs1.org/voc/data/linktypes": "linkTypesDefined",
}
ORIGIN = "https://ref.gs1.org/test-suites/resolver/"  # the Origin tester.php sends


@pytest.fixture(scope="module")
def suite_deps() -> Path:
    """The toolkit and Ajv, which `make install` puts in tests/portal/gs1-suite-deps (npm ci of its own
    package-lock.json, apart from the project's node_modules); skips saying so when they are absent."""
    if not (TOOLKIT.is_file() and AJV.is_file()):
        pytest.skip(f"GS1's suite's npm dependencies are not in {DEPS}: `make install` puts them there")
    return DEPS


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, a fresh profile, the portal's self-signed certificate accepted."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent: `make install` puts Debian's chromium on the machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            ignore_https_errors=True,
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class HttpsPortal:
    url: str
    cert: Path


@pytest.fixture
def https_portal(
    w3_sdk: Any, sdk_deployment: Any, sdk_members: dict[str, int], tmp_path: Path
) -> Iterator[HttpsPortal]:
    cert, key = tls_pair(tmp_path)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    config = PortalConfig(url, tmp_path / "suite-index.db", tmp_path / "suite-published.db")
    app = create_app(Client(w3_sdk, deployment=sdk_deployment), config)
    for _ in serve_tls(app, port, cert, key):
        yield HttpsPortal(url, cert)


def _php_query(query: str) -> dict[str, str]:
    """What tester.php's parseQuery makes of its query: parse_str(urldecode(query)), so decoded twice."""
    return dict(parse_qsl(unquote(query), keep_blank_values=True))


@dataclass
class StandInTester:
    """tester.php in Python: each call makes the request the PHP makes (curl: no redirect followed, its
    Origin header, ``Accept: */*`` unless told) and answers the same JSON."""

    portal: HttpsPortal
    asked: list[str] = field(default_factory=list)

    def _client(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=str(self.portal.cert)), timeout=10)

    def _headers_result(self, response: httpx.Response, sent: list[str]) -> dict[str, Any]:
        status_line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
        result: dict[str, Any] = {
            "uri": str(response.request.url),
            "httpCode": response.status_code,
            "httpMsg": f"{response.status_code} {response.reason_phrase}".split(" ", 1)[1],
            "requestURI": "",
            "Requesting_User_Agent": "",
            "Requesting_Accept_Header": "",
            "Requesting_Accept_Language": "",
            "0": status_line,
        }
        for name, value in response.headers.raw:  # as sent, the last of a repeated header kept (as the PHP does)
            result[name.decode("latin-1")] = value.decode("latin-1")
        for number, header in enumerate(sent, start=1):
            result[str(number)] = header
        return result

    def answer(self, url: str) -> dict[str, Any]:
        params = _php_query(urlsplit(url).query)
        test, target = params.get("test", ""), params.get("testVal", "")
        self.asked.append(f"{test} {target}")
        if not target.startswith("https://"):
            return {"error": "No valid command received"}
        with self._client() as http:
            if test == "getHTTPversion":
                response = http.get(target)
                return {"test": test, "testVal": target, "result": response.http_version}
            if test in ("getAllHeaders", "getLinksetHeaders"):
                sent = {"Origin": ORIGIN}
                if test == "getLinksetHeaders":
                    sent["Accept"] = "application/linkset+json"
                elif "mediaType" in params:
                    sent["Accept"] = params["mediaType"]
                if test == "getLinksetHeaders" or "lang" in params:
                    sent["Accept-Language"] = params.get("lang", "")
                sent.setdefault("Accept", "*/*")
                response = http.get(target, headers=sent)
                lines = [f"{k}: {v}" for k, v in sent.items()]
                return {"test": test, "testVal": target, "result": self._headers_result(response, lines)}
            if test == "getCorsHeaders":
                sent = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET,HEAD,OPTIONS"}
                response = http.options(target, headers=sent)
                lines = [f"{k}: {v}" for k, v in sent.items()]
                return {"test": test, "testVal": target, "result": self._headers_result(response, lines)}
            if test == "getLinkset":
                response = http.get(target, headers={"Origin": ORIGIN, "Accept": "application/linkset+json"})
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in response.headers.raw}
                inner = {
                    "uri": target,
                    "httpCode": response.status_code,
                    "httpMsg": response.reason_phrase,
                    "headers": headers,
                    "responseBody": quote(response.content.decode(), safe="-_.~"),  # PHP's rawurlencode
                }
                return {"test": test, "testVal": target, "result": json.dumps(inner)}
        return {"error": "Invalid test command"}


def page_html() -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>GS1 resolver test suite</title>"
        "<script>var module = {exports: {}};</script>"  # the toolkit ends with module.exports = ...
        "<script src='toolkit.js'></script><script src='ajv7.min.js'></script><script src='suite.js'></script>"
        "</head><body><div id='rotatingcircle'></div><div id='gs1ResolverTests'></div></body></html>"
    )


def test_gs1s_own_resolver_suite_passes_against_the_portal(
    shared_dir: Path, suite_deps: Path, https_portal: HttpsPortal, browser_context: Any
) -> None:
    """GS1's browser suite, given the portal's pack link, passes every check it can make offline; the two that
    need a GS1 file ../shared does not hold (the resolver description file's schema, the ratified link type
    list) are the only ones that do not pass, and no request leaves the host."""
    suite = shared_dir / "gs1-resolver-testsuite"
    files = {
        SUITE_PAGE: ("text/html", page_html().encode()),
        SUITE_PAGE + "toolkit.js": ("text/javascript", TOOLKIT.read_bytes()),
        SUITE_PAGE + "ajv7.min.js": ("text/javascript", AJV.read_bytes()),
        SUITE_PAGE + "suite.js": ("text/javascript", (suite / "GS1DigitalLinkResolverTestSuite.js").read_bytes()),
        LINKSET_SCHEMA: ("application/json", (shared_dir / "gs1-linkset" / "gs1-linkset-schema.json").read_bytes()),
    }
    tester = StandInTester(https_portal)
    refused: list[str] = []
    unanswered: list[str] = []
    cors = {"Access-Control-Allow-Origin": "*"}

    def route(request_route: Any) -> None:
        url = request_route.request.url
        bare = url.split("?")[0]
        if url.startswith(https_portal.url + "/") or url == https_portal.url:
            request_route.continue_()
        elif bare in files:
            media, body = files[bare]
            request_route.fulfill(status=200, body=body, content_type=media, headers=cors)
        elif bare == TESTER:
            body = json.dumps(tester.answer(url)).encode()
            request_route.fulfill(status=200, body=body, content_type="application/json", headers=cors)
        elif bare in NOT_IN_SHARED:
            unanswered.append(bare)
            request_route.fulfill(status=404, body=b"not in ../shared", content_type="text/plain", headers=cors)
        else:
            refused.append(url)
            request_route.abort()

    browser_context.route("**/*", route)
    browser_context.grant_permissions(["local-network-access"], origin=SUITE_PAGE.rstrip("/").rsplit("/", 1)[0])
    page = browser_context.new_page()
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    page.goto(SUITE_PAGE)
    dl = f"{https_portal.url}/01/{MEDICINE}/10/MED-1/21/AB0000042"
    results: list[dict[str, str]] = page.evaluate(
        """async (dl) => {
            await testDL(dl);
            const domain = dl.split('/')[2];
            await TLSCheck(domain);       // testDL starts these two without waiting for them
            await rdFileCheck(domain);
            return resultsArray.map(r => ({id: r.id, status: r.status, test: r.test, msg: r.msg}));
        }""",
        dl,
    )
    by_status: dict[str, list[str]] = {}
    for result in results:
        by_status.setdefault(result["status"], []).append(result["id"])
    report = "\n".join(f"{r['status']:4} {r['id']}: {r['msg']}" for r in results)
    print(f"GS1 suite on {dl}: " + ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items())))
    print(report)
    print("\n".join(logged))
    assert refused == [], f"requests that would have left the host: {refused}"
    assert len(results) > 25, report
    not_passed = {r["id"] for r in results if r["status"] != "pass"}
    assert not_passed == set(NOT_IN_SHARED.values()), report
    assert set(unanswered) == set(NOT_IN_SHARED), unanswered
    assert any(asked.startswith("getLinkset ") for asked in tester.asked)

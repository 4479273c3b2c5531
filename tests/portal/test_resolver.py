"""The portal as a GS1-Conformant resolver: one test per conformance statement of the GS1-Conformant Resolver
Standard (1.0, ConformantResolver1_0.txt, and 1.2, Conformance1_2.txt, in ../shared/gs1-resolver-testsuite).
Each test's docstring holds its statement(s) word for word; ``STATEMENTS`` maps every line of both files to its
test, and ``test_every_conformance_statement_has_a_test`` checks the files against it.

A scanner (or a phone's camera app) asks the portal at a Digital Link URI; what it must see is the status code,
the ``Location`` it is sent to, the ``Link`` headers and, for a linkset, a document valid against GS1's schema.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient
from helpers import free_port

from portal.conftest import MEDICINE, RunningPortal, serve
from tradechain.client import Client
from tradechain.formats import dl_compression, gs1
from tradechain.portal import links
from tradechain.portal.app import PortalConfig, create_app

SUITE = "gs1-resolver-testsuite"
R10, R12 = "ConformantResolver1_0.txt", "Conformance1_2.txt"
LINKSET = "application/linkset+json"
VOC = "https://ref.gs1.org/voc/"

G = MEDICINE  # 08900000000029
GLN = gs1.with_check_digit("890000000001")
PACK = f"/01/{G}/10/MED-1/21/AB0000042"
# A Digital Link path for every primary key the resolver serves, with the key qualifiers each may take.
EVERY_KEY = {
    "01": f"/01/{G}",
    "01+22": f"/01/{G}/22/2A",
    "01+10": f"/01/{G}/10/MED-1",
    "01+22+10+21": f"/01/{G}/22/2A/10/MED-1/21/AB0000042",
    "01+235": f"/01/{G}/235/TPX-9",
    "00": f"/00/{gs1.with_check_digit('08900000000000001')}",
    "414": f"/414/{GLN}",
    "414+254": f"/414/{GLN}/254/A1",
    "414+7040": f"/414/{GLN}/7040/1A2B",
    "417": f"/417/{GLN}",
    "417+7040": f"/417/{GLN}/7040/1A2B",
    "8003": f"/8003/0{GLN}XYZ1",
    "8004": "/8004/8900000ASSET-7",
    "8006+10+21": f"/8006/{G}0102/10/MED-1/21/S1",  # 22 with 8006 breaks the AI pairing rules (22 needs 01)
    "8010+8011": "/8010/8900000CP-1/8011/123",
    "8013": "/8013/1987654Ad4X4bL5ttr2310c2K",
    "8017+8019": f"/8017/{gs1.with_check_digit('89000000000000001')}/8019/42",
    "8018+8019": f"/8018/{gs1.with_check_digit('89000000000000001')}/8019/42",
    "253": f"/253/{GLN}DOC-1",
    "255": f"/255/{GLN}12345",
    "401": "/401/8900000CONS-1",
    "402": f"/402/{gs1.with_check_digit('8900000000000001')}",
}
BAD = {
    "check digit of the GTIN": f"/01/{G[:-1]}0",
    "check digit of the GLN": f"/414/{GLN[:-1]}0",
    "check digit of the SSCC": f"/00/{gs1.with_check_digit('08900000000000001')[:-1]}0",
    "a GTIN of letters": "/01/0890000000ABCD",
    "a path segment left over": f"{PACK}/foo",
    "a qualifier out of order": f"/01/{G}/21/AB0000042/10/MED-1",
    "a qualifier of another key": f"/01/{G}/254/A1",
    "a qualifier twice": f"/01/{G}/10/MED-1/10/MED-2",
    "an unknown link type syntax": f"{PACK}?linkType=not%20a%20type",
    "a compressed link that decodes to nothing valid": "/zzzzzzzzzzzz",
}

# ------------------------------------------------------------------------------------- the statement table

STATEMENTS: dict[tuple[str, int], tuple[str, str]] = {
    (R10, 1): (
        "For primary keys that have key qualifiers, all key qualifiers SHALL be supported",
        "test_every_key_qualifier_is_supported_and_unknown_values_walk_up_the_tree",
    ),
    (R10, 2): (
        "SHALL support HTTP 1.1 (or higher) GET, HEAD and OPTIONS requests.",
        "test_get_head_and_options_over_http_1_1",
    ),
    (R10, 3): ("SHALL support HTTP Over TLS (HTTPS)", "test_the_resolver_answers_over_https"),
    (R10, 4): ("SHALL support CORS", "test_cors_headers_and_preflight"),
    (R10, 5): (
        "SHALL extract and syntactically validate the URI and report errors with an HTTP response code of 400.",
        "test_malformed_or_check_digit_invalid_uris_are_400",
    ),
    (R10, 6): (
        "SHALL NOT use a 200 OK response code with a resource that indicates an error condition.",
        "test_no_error_is_answered_200",
    ),
    (R10, 7): ("Compression:", "test_a_compressed_uri_is_decompressed"),
    (R10, 8): (
        "- A resolver SHALL be able to decompress a URI to generate a GS1 Digital Link URI.",
        "test_a_compressed_uri_is_decompressed",
    ),
    (R10, 9): (
        "- A resolver SHOULD NOT redirect to the equivalent uncompressed URI on the same resolver.",
        "test_a_compressed_uri_is_not_redirected_to_its_uncompressed_form",
    ),
    (R10, 10): (
        "- It SHALL expose the uncompressed URI in the Link response header with a rel value of owl:sameAs.",
        "test_a_compressed_uri_exposes_the_uncompressed_one_as_owl_same_as",
    ),
    (R10, 11): (
        "- If redirecting to an alternative resolver, should redirect to the relevant uncompressed GS1 Digital "
        "Link URI.",
        "test_a_compressed_uri_is_never_sent_on_compressed",
    ),
    (R10, 12): ("Linksets:", "test_the_linkset_by_link_type_linkset_or_accept_header"),
    (R10, 13): (
        "- SHALL respond to a query parameter of linkType set to linkset and/or a request with the HTTP Accept "
        "header set to application/linkset+json by returning a list of links available to the client "
        "application. The list SHALL be available as per RFC9264.",
        "test_the_linkset_by_link_type_linkset_or_accept_header",
    ),
    (R10, 14): (
        "- If the request GS1 Digital Link URI includes one or more key qualifiers, any links associated with "
        "each level up to the primary key SHALL be included in the linkset.",
        "test_the_linkset_holds_each_level_up_to_the_primary_key",
    ),
    (R10, 15): (
        "- The URI used as the subject of facts presented SHALL be the uncompressed version.",
        "test_the_linkset_subject_is_the_uncompressed_uri",
    ),
    (R10, 16): (
        "- All links in the linkset SHALL include the target URL, the link type and a link title, and SHOULD "
        "include the human language(s).",
        "test_every_linkset_link_has_target_type_title_and_language",
    ),
    (R10, 17): (
        "- If a media type is defined for a link, it SHALL be one defined by IANA.",
        "test_link_media_types_are_iana_media_types",
    ),
    (R10, 18): (
        "- Links that are typed gs1:defaultLink or gs1:defaultLinkMulti SHALL also be described using a "
        "descriptive link type",
        "test_the_default_link_is_also_described_by_a_descriptive_link_type",
    ),
    (R10, 19): (
        "- the resolver SHOULD include an HTTP Link header pointing to a JSON-LD context file with a rel type of "
        "http://www.w3.org/ns/json-ld#context that itself should be served with a media type of "
        "application/ld+json.",
        "test_the_linkset_names_its_json_ld_context_served_as_ld_json",
    ),
    (R10, 20): (
        "- The resolver SHALL recognise one available link as the default for any given request URI. The default "
        "link SHALL NOT have any optional attributes.",
        "test_the_default_link_has_no_optional_attributes",
    ),
    (R10, 21): (
        "The resolver SHALL redirect to the default link unless there is information supplied in the request "
        "that can be used to make a better match.",
        "test_a_plain_request_redirects_to_the_default_link",
    ),
    (R10, 22): (
        "For any request URI, no matter how granular, there SHALL be a default link at the entry level or higher "
        "up the tree",
        "test_every_request_uri_has_a_default_link_at_its_level_or_higher",
    ),
    (R10, 23): (
        "SHALL redirect to the requested type of link if available.",
        "test_a_requested_link_type_is_redirected_to",
    ),
    (R10, 24): (
        "SHALL return a 404 Not Found message if a link of the requested type is not available.",
        "test_404_when_no_link_of_the_requested_type",
    ),
    (R10, 25): (
        "By default, SHALL pass on all key=value pairs in the query string of the request URI (if present) when "
        "redirecting.",
        "test_the_query_string_is_passed_on_when_redirecting",
    ),
    (R10, 26): (
        "SHOULD support use of the Accept-Language and MAY support Accept HTTP Request Headers, and the context "
        "keyword in the query string, to disambiguate between multiple links of the same linkType",
        "test_accept_language_accept_and_context_disambiguate",
    ),
    (R10, 27): ("Resolver Description File:", "test_the_resolver_description_file_is_at_well_known"),
    (R10, 28): (
        "- The resolver SHALL provide a resolver description file at /.well-known/gs1resolver",
        "test_the_resolver_description_file_is_at_well_known",
    ),
    (R10, 29): (
        "- The list of supported primary identifiers SHALL be provided in the Resolver Description File",
        "test_the_resolver_description_lists_the_supported_primary_keys",
    ),
    (R10, 30): (
        "- A context file that can be used to render the linkset as JSON-LD SHOULD be declared in the Resolver "
        "Description File.",
        "test_the_resolver_description_declares_the_json_ld_context",
    ),
    (R10, 31): (
        "If supporting redirection based on an MO or Global Company Prefix with no further processing taking "
        "place on the resolver, redirections SHALL be annotated with the gs1:handledBy link type instead of the "
        "link to the linkset.",
        "test_no_mo_or_company_prefix_redirection_so_no_handled_by",
    ),
    (R10, 32): (
        "SHOULD tolerate trailing slashes at the end of GS1 Digital Link URIs, i.e. the resolver SHOULD NOT fail "
        "if one is present.",
        "test_a_trailing_slash_is_tolerated",
    ),
    (R10, 51): (
        "SHOULD expose link to the linkset in an HTTP Link header, even when redirecting.",
        "test_the_link_header_names_the_linkset_even_when_redirecting",
    ),
    (R10, 52): (
        "SHALL recognise one available link as the default for any given request URI.",
        "test_exactly_one_default_link_for_every_primary_key_and_level",
    ),
    (R10, 53): (
        "All links exposed SHALL include the target URL, the link relationship type (the link type) and a "
        "human-readable title",
        "test_every_exposed_link_has_target_type_and_title",
    ),
    (R10, 54): (
        "SHALL redirect to the default link unless there is information in the request that can be matched "
        "against available link metadata to provide a better response.",
        "test_request_information_matched_against_link_metadata_beats_the_default",
    ),
    (R10, 55): (
        "SHALL redirect to the requested linkType if available",
        "test_the_requested_link_type_in_either_form_at_any_level",
    ),
    (R10, 56): (
        "By default, SHALL pass on all key=value pairs in the query string of the request URI (if present) when "
        "redirecting.",
        "test_the_query_string_is_passed_on_when_redirecting",
    ),
    (R10, 57): (
        "SHALL provide a resolver description file at /.well-known/gs1resolver.",
        "test_the_resolver_description_file_is_at_well_known",
    ),
    (R10, 58): (
        "If supporting multiple links per identified item, SHALL recognise the GS1 Web vocabulary namespace, "
        "noting its change management practice. A resolver MAY recognise additional namespaces but link types "
        "defined elsewhere SHALL NOT duplicate link types available from GS1.",
        "test_link_types_are_the_gs1_web_vocabulary",
    ),
    (R10, 59): (
        "If supporting redirection based on an MO or Global Company Prefix with no further processing taking "
        "place on the resolver, redirections SHALL be annotated with the gs1:handledBy link type.",
        "test_no_mo_or_company_prefix_redirection_so_no_handled_by",
    ),
    (R10, 60): (
        "SHOULD tolerate trailing slashes at the end of GS1 Digital Link URIs, i.e. the resolver SHOULD NOT fail "
        "if one is present.",
        "test_a_trailing_slash_is_tolerated",
    ),
    (R12, 1): (
        "SHALL support HTTP 1.1 (or higher) GET, HEAD and OPTIONS requests.",
        "test_get_head_and_options_over_http_1_1",
    ),
    (R12, 2): ("SHALL support HTTP Over TLS (HTTPS)", "test_the_resolver_answers_over_https"),
    (R12, 3): ("SHALL support CORS", "test_cors_headers_and_preflight"),
    (R12, 4): (
        "SHALL be able to decompress a URI to generate a GS1 Digital Link URI, in accordance with GS1 Digital "
        "Link: Compression [DL-Compression].",
        "test_a_compressed_uri_is_decompressed",
    ),
    (R12, 5): (
        "If handling a compressed request URI, it SHALL expose the uncompressed URI in the Link response header "
        "with a rel value of owl:sameAs.",
        "test_a_compressed_uri_exposes_the_uncompressed_one_as_owl_same_as",
    ),
    (R12, 6): (
        "SHALL extract and syntactically validate the URI in accordance with sections 2 and 4.3.1, and report "
        "errors with an HTTP response code of 400.",
        "test_malformed_or_check_digit_invalid_uris_are_400",
    ),
    (R12, 7): (
        "SHALL NOT use a 200 OK response code with a resource that indicates an error condition (section 4.3).",
        "test_no_error_is_answered_200",
    ),
    (R12, 8): (
        "SHALL respond to a query parameter of linkType set to all by returning a list of links available to the "
        "client application. The list SHALL be available as per Linkset: Media Types and a Link Relation Type "
        "for Link Sets. If the request GS1 Digital Link URI includes one or more key qualifiers, any links "
        "associated with each level up to the primary key SHALL be included. The URI used as the subject of "
        "facts presented SHALL be the uncompressed version.",
        "test_link_type_all_returns_the_linkset_of_every_level",
    ),
    (R12, 9): (
        "SHOULD expose link to the linkset in an HTTP Link header, even when redirecting.",
        "test_the_link_header_names_the_linkset_even_when_redirecting",
    ),
    (R12, 10): (
        "SHALL recognise one available link as the default for any given request URI.",
        "test_exactly_one_default_link_for_every_primary_key_and_level",
    ),
    (R12, 11): (
        "All links exposed SHALL include the target URL, the link relationship type (the link type) and a "
        "human-readable title",
        "test_every_exposed_link_has_target_type_and_title",
    ),
    (R12, 12): (
        "SHALL redirect to the default link unless there is information in the request that can be matched "
        "against available link metadata to provide a better response.",
        "test_request_information_matched_against_link_metadata_beats_the_default",
    ),
    (R12, 13): (
        "SHALL redirect to the requested linkType if available",
        "test_the_requested_link_type_in_either_form_at_any_level",
    ),
    (R12, 14): (
        "By default, SHALL pass on all key=value pairs in the query string of the request URI (if present) when "
        "redirecting.",
        "test_the_query_string_is_passed_on_when_redirecting",
    ),
    (R12, 15): (
        "SHALL provide a resolver description file at /.well-known/gs1resolver.",
        "test_the_resolver_description_file_is_at_well_known",
    ),
    (R12, 16): (
        "If supporting multiple links per identified item, SHALL recognise the GS1 Web vocabulary namespace, "
        "noting its change management practice. A resolver MAY recognise additional namespaces but link types "
        "defined elsewhere SHALL NOT duplicate link types available from GS1.",
        "test_link_types_are_the_gs1_web_vocabulary",
    ),
    (R12, 17): (
        "If supporting redirection based on an MO or Global Company Prefix with no further processing taking "
        "place on the resolver, redirections SHALL be annotated with the gs1:handledBy link type.",
        "test_no_mo_or_company_prefix_redirection_so_no_handled_by",
    ),
    (R12, 18): (
        "SHOULD tolerate trailing slashes at the end of GS1 Digital Link URIs, i.e. the resolver SHOULD NOT fail "
        "if one is present.",
        "test_a_trailing_slash_is_tolerated",
    ),
}


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_conformance_statement_has_a_test(shared_dir: Path) -> None:
    """Every non-blank line of both statement files is in ``STATEMENTS``, word for word, and names a test of
    this module whose docstring holds that statement."""
    here = globals()
    seen = set()
    for name in (R10, R12):
        for number, line in enumerate((shared_dir / SUITE / name).read_text().splitlines(), start=1):
            if not line.strip():
                continue
            assert (name, number) in STATEMENTS, f"{name}:{number} has no test: {line.strip()}"
            text, test = STATEMENTS[(name, number)]
            assert _words(text) == _words(line), f"{name}:{number} changed: {line.strip()}"
            seen.add((name, number))
            assert test in here and callable(here[test]), f"{name}:{number} names {test}, which is not a test here"
            statement = _words(text.removeprefix("- "))
            assert statement in _words(here[test].__doc__ or ""), f"{test}'s docstring lacks {statement!r}"
    assert seen == set(STATEMENTS), f"lines no longer in the files: {sorted(set(STATEMENTS) - seen)}"


def test_the_statement_table_names_only_tests_of_this_module() -> None:
    """The table runs without ../shared: 60 lines of the 1.0 file less its 18 blank ones, 18 of the 1.2 file,
    each naming a test here whose docstring quotes it."""
    assert sum(1 for name, _ in STATEMENTS if name == R10) == 42
    assert sum(1 for name, _ in STATEMENTS if name == R12) == 18
    for text, test in STATEMENTS.values():
        assert _words(text.removeprefix("- ")) in _words(globals()[test].__doc__ or ""), test


# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module", autouse=True)
def deployed_before_the_first_snapshot(module_isolation: Any, sdk_members: dict[str, int]) -> None:
    """The SDK deployment made before the first test's snapshot (autouse, module scope: set up ahead of the
    function-scoped isolation), so that reverting that test keeps it for the module's one portal."""


@pytest.fixture(scope="module")
def portal(
    w3_sdk: Any, sdk_deployment: Any, sdk_members: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPortal]:
    """The portal over real HTTP, one for the module (the resolver's answers change nothing on chain)."""
    folder = tmp_path_factory.mktemp("resolver")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = PortalConfig(url, folder / "portal-index.db", folder / "portal-published.db")
    app = create_app(Client(w3_sdk, deployment=sdk_deployment), config)
    for _ in serve(app, port):
        yield RunningPortal(url, app, config)


@pytest.fixture(scope="module")
def web(portal: RunningPortal) -> Iterator[TestClient]:
    """The same app in process (no socket): fast, for the statements that need no real connection."""
    with TestClient(portal.app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def schema(shared_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((shared_dir / "gs1-linkset" / "gs1-linkset-schema.json").read_text())
    return loaded


def header_links(response: httpx.Response) -> list[dict[str, str]]:
    """The Link header(s) of a response as a list of {"href", "rel", "type", ...}."""
    out = []
    for value in response.headers.get_list("link"):
        for part in re.findall(r"<[^>]*>(?:\s*;\s*[^,;=]+=(?:\"[^\"]*\"|[^,;]*))*", value):
            href = part[1 : part.index(">")]
            params = dict(re.findall(r";\s*([^=\s]+)=\"?([^\";]*)\"?", part[part.index(">") :]))
            out.append({"href": href, **params})
    return out


def rels(response: httpx.Response) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in header_links(response)}


def linkset_of(web: TestClient, path: str) -> dict[str, Any]:
    response = web.get(path, headers={"Accept": LINKSET})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(LINKSET)
    found: dict[str, Any] = response.json()
    return found


def all_links(linkset: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (entry["anchor"], rel, link)
        for entry in linkset["linkset"]
        for rel, items in entry.items()
        if rel not in ("anchor", "itemDescription")
        for link in items
    ]


def status_page_or_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    if response.headers["content-type"].startswith("text/html"):
        assert f"Error {status}" in response.text
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


# ------------------------------------------------------------------------------------------------ HTTP


def test_get_head_and_options_over_http_1_1(portal: RunningPortal) -> None:
    """SHALL support HTTP 1.1 (or higher) GET, HEAD and OPTIONS requests. (1.0 and 1.2)

    Over a real socket: GET and HEAD answer the same status and Location (HEAD without a body), OPTIONS says
    which methods there are."""
    with httpx.Client(base_url=portal.url, follow_redirects=False) as http:
        get = http.get(PACK)
        head = http.head(PACK)
        options = http.options(PACK)
    assert get.http_version == "HTTP/1.1"
    assert get.status_code == head.status_code == 307
    assert get.headers["location"] == head.headers["location"] == f"{portal.url}/verify{PACK}"
    assert head.content == b""
    assert options.status_code == 204
    assert {m.strip() for m in options.headers["allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert rels(options)["linkset"] == f"{portal.url}{PACK}?linkType=linkset"
    linkset_head = httpx.head(f"{portal.url}{PACK}?linkType=linkset")
    assert linkset_head.status_code == 200 and linkset_head.headers["content-type"].startswith(LINKSET)


def tls_pair(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made here (``cryptography`` when installed, else ``openssl req``),
    and its key."""
    cert_file, key_file = folder / "portal.crt", folder / "portal.key"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.fail("neither the cryptography package nor openssl is on this machine to make a certificate")
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
                *("-keyout", str(key_file), "-out", str(cert_file), "-days", "1", "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"),
            ],
            check=True,
            capture_output=True,
        )
        return cert_file, key_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def serve_tls(app: Any, port: int, cert: Path, key: Path) -> Iterator[None]:
    yield from serve(app, port, (cert, key))


@pytest.fixture
def https_portal(w3_sdk: Any, sdk_deployment: Any, sdk_members: dict[str, int], tmp_path: Path) -> Iterator[Any]:
    """The portal served over TLS at https://127.0.0.1:PORT (its public URL), with a certificate made here."""
    cert, key = tls_pair(tmp_path)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    config = PortalConfig(url, tmp_path / "tls-index.db", tmp_path / "tls-published.db")
    app = create_app(Client(w3_sdk, deployment=sdk_deployment), config)
    for _ in serve_tls(app, port, cert, key):
        yield url, cert


def test_the_resolver_answers_over_https(https_portal: tuple[str, Path]) -> None:
    """SHALL support HTTP Over TLS (HTTPS) (1.0 and 1.2)

    The portal behind TLS (a certificate made for the test) resolves a pack to its https page and gives its
    linkset; a client that does not trust the certificate is refused the connection."""
    url, cert = https_portal
    trusted = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=url, verify=trusted, follow_redirects=False) as https:
        redirect = https.get(PACK)
        linkset = https.get(PACK, headers={"Accept": LINKSET})
    assert redirect.status_code == 307 and redirect.headers["location"] == f"{url}/verify{PACK}"
    assert rels(redirect)["linkset"] == f"{url}{PACK}?linkType=linkset"
    assert linkset.json()["linkset"][-1]["anchor"] == url + PACK
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + PACK)  # the system's trust store does not know the test's certificate


def test_cors_headers_and_preflight(web: TestClient) -> None:
    """SHALL support CORS (1.0 and 1.2)

    Any origin may read every answer (redirects, linksets, errors) and the headers a client needs; a preflight
    for GET, HEAD or OPTIONS with Accept and Accept-Language is allowed."""
    origin = {"Origin": "https://ref.gs1.org"}
    for response in (
        web.get(PACK, headers=origin),
        web.get(PACK, headers={**origin, "Accept": LINKSET}),
        web.get(f"/01/{G[:-1]}0", headers=origin),
        web.get("/.well-known/gs1resolver", headers=origin),
    ):
        assert response.headers["access-control-allow-origin"] == "*"
        assert {"Link", "Location"} <= {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    preflight = web.options(
        PACK,
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Accept, Accept-Language",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in preflight.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= methods
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"accept", "accept-language"} <= allowed


# ------------------------------------------------------------------------------------------------ errors


def test_malformed_or_check_digit_invalid_uris_are_400(web: TestClient) -> None:
    """SHALL extract and syntactically validate the URI and report errors with an HTTP response code of 400.
    (1.0) SHALL extract and syntactically validate the URI in accordance with sections 2 and 4.3.1, and report
    errors with an HTTP response code of 400. (1.2)

    Each malformed or check-digit-invalid URI gets 400: a readable page for a browser, problem JSON (naming the
    rule broken) for a machine."""
    for what, path in BAD.items():
        machine = web.get(path, headers={"Accept": "application/json"})
        status_page_or_problem(machine, 400)
        assert machine.json()["detail"], what
        browser = web.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
        status_page_or_problem(browser, 400)
        assert browser.headers["content-type"].startswith("text/html"), what
        assert "Traceback" not in browser.text and "Traceback" not in machine.text
    assert "check digit" in web.get(BAD["check digit of the GTIN"]).json()["detail"]


def test_no_error_is_answered_200(web: TestClient) -> None:
    """SHALL NOT use a 200 OK response code with a resource that indicates an error condition. (1.0)
    SHALL NOT use a 200 OK response code with a resource that indicates an error condition (section 4.3). (1.2)

    Every error (bad syntax, an unknown link type, a path that is no Digital Link) answers 4xx for browsers and
    machines alike; every 200 of the resolver is a linkset."""
    errors = [*BAD.values(), f"{PACK}?linkType=gs1:nosuchlt", "/not-a-digital-link/at/all", f"/01/{G}/10"]
    for path in errors:
        for accept in ("text/html", "application/json", LINKSET, "*/*"):
            response = web.get(path, headers={"Accept": accept})
            assert 400 <= response.status_code < 500, (path, accept, response.status_code)
    for path in EVERY_KEY.values():
        for accept in ("text/html", "application/json", "*/*"):
            assert web.get(path, headers={"Accept": accept}).status_code == 307


# ------------------------------------------------------------------------------------------------ compression


def compressed(path: str, query: str = "") -> str:
    """The compressed path of ``path`` (tradechain.formats.dl_compression, GS1's algorithm)."""
    uri = dl_compression.compress("https://id.example" + path + (f"?{query}" if query else ""))
    return uri[len("https://id.example") :]


def test_a_compressed_uri_is_decompressed(web: TestClient, portal: RunningPortal) -> None:
    """Compression: - A resolver SHALL be able to decompress a URI to generate a GS1 Digital Link URI. (1.0)
    SHALL be able to decompress a URI to generate a GS1 Digital Link URI, in accordance with GS1 Digital
    Link: Compression [DL-Compression]. (1.2)

    A compressed pack link (and one of every primary key) resolves as its uncompressed form does: same
    target, same linkset."""
    short = compressed(PACK, "17=300630")
    assert dl_compression.is_compressed(short.strip("/"))
    answer = web.get(short)
    assert answer.status_code == 307
    assert answer.headers["location"] == f"{portal.url}/verify{PACK}?17=300630"
    assert linkset_of(web, short) == linkset_of(web, PACK + "?17=300630")
    for what, path in EVERY_KEY.items():
        plain, packed = web.get(path), web.get(compressed(path))
        assert (packed.status_code, packed.headers["location"]) == (307, plain.headers["location"]), what


def test_a_compressed_uri_is_not_redirected_to_its_uncompressed_form(web: TestClient, portal: RunningPortal) -> None:
    """- A resolver SHOULD NOT redirect to the equivalent uncompressed URI on the same resolver.

    The compressed request is answered in place: straight to the link (307 to the page, not to
    ``/01/...`` on this portal), or its linkset with 200."""
    short = compressed(PACK)
    for query in ("", "?linkType=gs1:traceability&context=x", "?linkType=linkset"):
        response = web.get(short + query, headers={"Accept": "application/json"})
        assert response.status_code in (200, 307)
        location = response.headers.get("location", "")
        assert not location.startswith(portal.url + PACK), location
    assert web.get(short + "?linkType=linkset").status_code == 200


def test_a_compressed_uri_exposes_the_uncompressed_one_as_owl_same_as(web: TestClient, portal: RunningPortal) -> None:
    """- It SHALL expose the uncompressed URI in the Link response header with a rel value of owl:sameAs. (1.0)
    If handling a compressed request URI, it SHALL expose the uncompressed URI in the Link response header with
    a rel value of owl:sameAs. (1.2)"""
    short = compressed(PACK, "17=300630")
    for response in (web.get(short), web.get(short, headers={"Accept": LINKSET}), web.head(short)):
        assert rels(response)["owl:sameAs"] == f"{portal.url}{PACK}?17=300630"
    assert "owl:sameAs" not in rels(web.get(PACK))  # an uncompressed request has no other form to name


def test_a_compressed_uri_is_never_sent_on_compressed(web: TestClient, portal: RunningPortal) -> None:
    """- If redirecting to an alternative resolver, should redirect to the relevant uncompressed GS1 Digital
    Link URI.

    The portal redirects to no alternative resolver (every link is the portal's own page or API); what any
    compressed request is sent to is an uncompressed path on this portal, never a compressed one."""
    for path in EVERY_KEY.values():
        short = compressed(path)
        for link_type in ("", "?linkType=gs1:verificationService", "?linkType=gs1:traceability"):
            response = web.get(short + link_type, headers={"Accept": "text/html"})
            if response.status_code == 307:
                location = response.headers["location"]
                assert location.startswith(portal.url + "/"), location
                first = location[len(portal.url) + 1 :].split("/")[0].split("?")[0]
                assert not dl_compression.is_compressed(first), location


# ------------------------------------------------------------------------------------------------ linksets


def test_the_linkset_by_link_type_linkset_or_accept_header(
    web: TestClient, portal: RunningPortal, schema: dict[str, Any], shared_dir: Path
) -> None:
    """Linksets: - SHALL respond to a query parameter of linkType set to linkset and/or a request with the HTTP
    Accept header set to application/linkset+json by returning a list of links available to the client
    application. The list SHALL be available as per RFC9264.

    Both ways give one and the same linkset, 200, application/linkset+json (no redirect), valid against GS1's
    linkset schema; the validator is proved on GS1's own valid and invalid examples first."""
    examples = shared_dir / "gs1-linkset"
    basic = json.loads((examples / "linkset-schema.json").read_text())  # RFC 9264's, without GS1's additions
    for name, against in (("basic", basic), ("gs1", schema)):
        jsonschema.validate(json.loads((examples / f"valid-{name}-example.json").read_text()), against)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(json.loads((examples / f"invalid-{name}-example.json").read_text()), against)
    by_query = web.get(PACK + "?linkType=linkset")
    by_accept = web.get(PACK, headers={"Accept": LINKSET})
    both = web.get(PACK + "?linkType=linkset", headers={"Accept": LINKSET})
    for response in (by_query, by_accept, both):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(LINKSET)
        assert "location" not in response.headers
        assert response.json() == by_query.json()
    for path in EVERY_KEY.values():
        jsonschema.validate(linkset_of(web, path), schema)
    page = web.get(PACK + "?linkType=linkset", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Verify this pack" in page.text  # a person asking sees the links listed


def test_the_linkset_holds_each_level_up_to_the_primary_key(web: TestClient, portal: RunningPortal) -> None:
    """- If the request GS1 Digital Link URI includes one or more key qualifiers, any links associated with each
    level up to the primary key SHALL be included in the linkset."""
    found = linkset_of(web, PACK)
    assert [entry["anchor"] for entry in found["linkset"]] == [
        f"{portal.url}/01/{G}",
        f"{portal.url}/01/{G}/10/MED-1",
        f"{portal.url}/01/{G}/10/MED-1/21/AB0000042",
    ]
    gtin, lot, pack = found["linkset"]
    assert gtin[VOC + "pip"][0]["href"] == f"{portal.url}/product/01/{G}"
    assert lot[VOC + "recallStatus"][0]["href"] == f"{portal.url}/api/verify/01/{G}/10/MED-1"
    assert pack[VOC + "verificationService"][0]["href"] == f"{portal.url}/verify{PACK}"
    for what, path in EVERY_KEY.items():
        levels = linkset_of(web, path)["linkset"]
        assert len(levels) == path.count("/") // 2, what
        assert all(entry["itemDescription"] for entry in levels), what


def test_the_linkset_subject_is_the_uncompressed_uri(web: TestClient, portal: RunningPortal) -> None:
    """- The URI used as the subject of facts presented SHALL be the uncompressed version.

    A compressed request, a GTIN written with 13 digits and a trailing slash all give anchors that are the
    uncompressed, canonical URI of each level."""
    expected = [entry["anchor"] for entry in linkset_of(web, PACK)["linkset"]]
    assert expected[-1] == portal.url + PACK
    for path in (compressed(PACK), f"/01/{G[1:]}/10/MED-1/21/AB0000042", PACK + "/"):
        assert [entry["anchor"] for entry in linkset_of(web, path)["linkset"]] == expected


def test_link_type_all_returns_the_linkset_of_every_level(
    web: TestClient, portal: RunningPortal, schema: dict[str, Any]
) -> None:
    """SHALL respond to a query parameter of linkType set to all by returning a list of links available to the
    client application. The list SHALL be available as per Linkset: Media Types and a Link Relation Type for
    Link Sets. If the request GS1 Digital Link URI includes one or more key qualifiers, any links associated
    with each level up to the primary key SHALL be included. The URI used as the subject of facts presented
    SHALL be the uncompressed version. (1.2)"""
    for path in (PACK, compressed(PACK)):
        response = web.get(path + "?linkType=all")
        assert response.status_code == 200 and response.headers["content-type"].startswith(LINKSET)
        jsonschema.validate(response.json(), schema)
        assert response.json() == linkset_of(web, PACK)
        assert [e["anchor"] for e in response.json()["linkset"]][-1] == portal.url + PACK


def test_every_linkset_link_has_target_type_title_and_language(web: TestClient) -> None:
    """- All links in the linkset SHALL include the target URL, the link type and a link title, and SHOULD
    include the human language(s).

    Every link of every primary key's linkset has href, a GS1 link type (its key), a title, and, except the
    default link (which has no optional attribute, statement 20), its media type and hreflang."""
    for what, path in EVERY_KEY.items():
        for _anchor, rel, link in all_links(linkset_of(web, path)):
            assert rel.startswith(VOC) and link["href"].startswith("http") and link["title"], (what, rel)
            if rel != VOC + "defaultLink":
                assert link["type"] and link["hreflang"] == ["en"], (what, rel)


# The IANA media types registry (https://www.iana.org/assignments/media-types): the ones the portal may use.
IANA_MEDIA_TYPES = {"text/html", "application/json", "application/ld+json", "application/linkset+json", "text/csv"}


def test_link_media_types_are_iana_media_types(web: TestClient) -> None:
    """- If a media type is defined for a link, it SHALL be one defined by IANA."""
    found = [link for path in EVERY_KEY.values() for *_, link in all_links(linkset_of(web, path))]
    used = {link["type"] for link in found if "type" in link}
    assert used and used <= IANA_MEDIA_TYPES, used - IANA_MEDIA_TYPES


def test_the_default_link_is_also_described_by_a_descriptive_link_type(web: TestClient) -> None:
    """- Links that are typed gs1:defaultLink or gs1:defaultLinkMulti SHALL also be described using a
    descriptive link type"""
    for what, path in EVERY_KEY.items():
        for entry in linkset_of(web, path)["linkset"]:
            default = entry[VOC + "defaultLink"][0]["href"]
            described = [
                rel
                for rel, items in entry.items()
                if rel not in ("anchor", "itemDescription", VOC + "defaultLink", VOC + "defaultLinkMulti")
                and any(link["href"] == default for link in items)
            ]
            assert described, (what, entry["anchor"])


def test_the_linkset_names_its_json_ld_context_served_as_ld_json(web: TestClient, portal: RunningPortal) -> None:
    """- the resolver SHOULD include an HTTP Link header pointing to a JSON-LD context file with a rel type of
    http://www.w3.org/ns/json-ld#context that itself should be served with a media type of application/ld+json.
    """
    for response in (web.get(PACK, headers={"Accept": LINKSET}), web.get(PACK + "?linkType=linkset")):
        (context,) = [link for link in header_links(response) if link["rel"] == "http://www.w3.org/ns/json-ld#context"]
        assert context["type"] == "application/ld+json"
        served = web.get(context["href"][len(portal.url) :])
        assert served.status_code == 200 and served.headers["content-type"].startswith("application/ld+json")
        assert "@context" in served.json()


def test_the_default_link_has_no_optional_attributes(web: TestClient, portal: RunningPortal) -> None:
    """- The resolver SHALL recognise one available link as the default for any given request URI. The default
    link SHALL NOT have any optional attributes.

    The default link of every level is a target and a title, nothing else, and it is where a plain request
    goes."""
    for what, path in EVERY_KEY.items():
        entry = linkset_of(web, path)["linkset"][-1]
        (default,) = entry[VOC + "defaultLink"]
        assert set(default) == {"href", "title"}, what
        assert web.get(path).headers["location"] == default["href"], what


def test_a_plain_request_redirects_to_the_default_link(web: TestClient, portal: RunningPortal) -> None:
    """The resolver SHALL redirect to the default link unless there is information supplied in the request that
    can be used to make a better match.

    With no linkType, whatever the Accept or Accept-Language, a pack goes to its verification page."""
    for headers in ({}, {"Accept": "text/html"}, {"Accept-Language": "fr"}, {"Accept": "application/json"}):
        response = web.get(PACK, headers=headers)
        assert (response.status_code, response.headers["location"]) == (307, f"{portal.url}/verify{PACK}")


def test_every_request_uri_has_a_default_link_at_its_level_or_higher(web: TestClient, portal: RunningPortal) -> None:
    """For any request URI, no matter how granular, there SHALL be a default link at the entry level or higher
    up the tree

    Every level of every primary key's linkset has one default link, and the page it names answers."""
    for what, path in EVERY_KEY.items():
        for entry in linkset_of(web, path)["linkset"]:
            assert len(entry[VOC + "defaultLink"]) == 1, (what, entry["anchor"])
    for path in (PACK, EVERY_KEY["00"], EVERY_KEY["414+254"], EVERY_KEY["8004"], EVERY_KEY["01"]):
        target = web.get(path).headers["location"]
        assert web.get(target[len(portal.url) :], headers={"Accept": "text/html"}).status_code == 200, target


def test_a_requested_link_type_is_redirected_to(web: TestClient, portal: RunningPortal) -> None:
    """SHALL redirect to the requested type of link if available.

    Each link type a pack has, asked for, answers 307 to that link (300 when it has several)."""
    expected = {
        "gs1:verificationService": f"{portal.url}/verify{PACK}",
        "gs1:recallStatus": f"{portal.url}/api/verify{PACK}",
        "gs1:certificationInfo": f"{portal.url}/verify{PACK}",
        "gs1:pip": f"{portal.url}/product/01/{G}",
    }
    for link_type, target in expected.items():
        response = web.get(f"{PACK}?linkType={link_type}")
        assert response.status_code == 307, link_type
        assert response.headers["location"] == f"{target}?linkType={link_type}", link_type
    several = web.get(f"{PACK}?linkType=gs1:traceability", headers={"Accept": "*/*"})
    assert several.status_code == 300
    assert {link["type"] for link in several.json()["links"]} == {"text/html", "application/json"}


def test_404_when_no_link_of_the_requested_type(web: TestClient) -> None:
    """SHALL return a 404 Not Found message if a link of the requested type is not available.

    gs1:nosuchlt (GS1's suite's own probe) and a real type the identifier lacks: 404 page or problem JSON."""
    for path in (f"{PACK}?linkType=gs1:nosuchlt", f"/00/{EVERY_KEY['00'][4:]}?linkType=gs1:pip"):
        status_page_or_problem(web.get(path), 404)
        status_page_or_problem(web.get(path, headers={"Accept": "text/html"}), 404)
    assert "gs1:nosuchlt" in web.get(f"{PACK}?linkType=gs1:nosuchlt").json()["detail"]


def test_the_query_string_is_passed_on_when_redirecting(web: TestClient, portal: RunningPortal) -> None:
    """By default, SHALL pass on all key=value pairs in the query string of the request URI (if present) when
    redirecting. (1.0, twice, and 1.2)

    foo=bar (GS1's suite's probe), a GS1 data attribute and the linkType itself reach the target, in order."""
    plain = web.get(f"{PACK}?foo=bar")
    assert plain.headers["location"] == f"{portal.url}/verify{PACK}?foo=bar"
    attrs = web.get(f"{PACK}?17=300630&foo=bar")
    assert attrs.headers["location"] == f"{portal.url}/verify{PACK}?17=300630&foo=bar"
    typed = web.get(f"{PACK}?linkType=gs1:certificationInfo&foo=bar")
    assert typed.headers["location"] == f"{portal.url}/verify{PACK}?linkType=gs1:certificationInfo&foo=bar"
    packed = web.get(compressed(PACK, "17=300630") + "?foo=bar")
    assert packed.headers["location"] == f"{portal.url}/verify{PACK}?17=300630&foo=bar"
    several = web.get(f"{PACK}?linkType=gs1:traceability&foo=bar", headers={"Accept": "*/*"})
    assert all("foo=bar" in link["href"] for link in several.json()["links"])


def test_accept_language_accept_and_context_disambiguate(web: TestClient, portal: RunningPortal) -> None:
    """SHOULD support use of the Accept-Language and MAY support Accept HTTP Request Headers, and the context
    keyword in the query string, to disambiguate between multiple links of the same linkType

    A pack's two traceability links (its page and its JSON) are told apart by Accept or by context; the
    resolver's choice narrows by Accept-Language too (shown on links in two languages, as the portal's own
    pages are English only)."""
    url = f"{PACK}?linkType=gs1:traceability"
    html = web.get(url, headers={"Accept": "text/html"})
    assert html.headers["location"] == f"{portal.url}/verify{PACK}?linkType=gs1:traceability"
    data = web.get(url, headers={"Accept": "application/json"})
    assert data.headers["location"] == f"{portal.url}/api/journey{PACK}?linkType=gs1:traceability"
    by_context = web.get(url + "&context=api", headers={"Accept": "*/*"})
    assert by_context.status_code == 307
    assert by_context.headers["location"].startswith(f"{portal.url}/api/journey{PACK}?")
    assert web.get(url, headers={"Accept": "*/*"}).status_code == 300  # nothing to tell them apart by
    dl = links.read(PACK, "linkType=gs1:pip", portal.url)
    two = [
        links.Link("pip", "https://brand.example/en", "Product", hreflang=("en",)),
        links.Link("pip", "https://brand.example/fr", "Produit", hreflang=("fr",)),
    ]
    assert links.narrow(two, dl, "", "fr-CH, fr;q=0.9, en;q=0.8") == [two[1]]
    assert links.narrow(two, dl, "", "de") == two


def test_request_information_matched_against_link_metadata_beats_the_default(
    web: TestClient, portal: RunningPortal
) -> None:
    """SHALL redirect to the default link unless there is information in the request that can be matched
    against available link metadata to provide a better response. (1.0 and 1.2)

    A linkType, a context or an Accept matched to a link's metadata send the request elsewhere than the
    default; information that matches nothing leaves the default."""
    default = f"{portal.url}/verify{PACK}"
    assert web.get(PACK).headers["location"] == default
    assert web.get(PACK + "?context=nothing-like-it").headers["location"] == default + "?context=nothing-like-it"
    json_first = web.get(PACK + "?linkType=gs1:traceability", headers={"Accept": "application/json"})
    assert json_first.headers["location"].startswith(f"{portal.url}/api/journey{PACK}")
    assert web.get(PACK + "?linkType=gs1:recallStatus").headers["location"].startswith(f"{portal.url}/api/verify")


def test_the_requested_link_type_in_either_form_at_any_level(web: TestClient, portal: RunningPortal) -> None:
    """SHALL redirect to the requested linkType if available (1.0 and 1.2)

    As gs1:pip or as its full IRI; a link type of a higher level (the GTIN's pip, asked at the pack) is found
    by walking up the tree."""
    target = f"{portal.url}/product/01/{G}"
    for asked in ("gs1:pip", "https://ref.gs1.org/voc/pip"):
        for path in (f"/01/{G}", f"/01/{G}/10/MED-1", PACK):
            response = web.get(path, params={"linkType": asked})
            assert response.status_code == 307 and response.headers["location"].startswith(target + "?"), path
    gln = web.get(EVERY_KEY["414+254"] + "?linkType=gs1:locationInfo")
    assert gln.status_code == 307 and gln.headers["location"].startswith(f"{portal.url}/verify/414/")


def test_exactly_one_default_link_for_every_primary_key_and_level(web: TestClient, portal: RunningPortal) -> None:
    """SHALL recognise one available link as the default for any given request URI. (1.0 and 1.2)

    Every primary key we serve (and every qualifier it takes, known value or not) has exactly one default
    link at its own level, and a plain request is redirected there."""
    assert {key.split("+")[0] for key in EVERY_KEY} == set(links.PRIMARY_KEYS)
    for what, path in EVERY_KEY.items():
        found = linkset_of(web, path)["linkset"][-1]
        assert len(found[VOC + "defaultLink"]) == 1, what
        response = web.get(path)
        assert (response.status_code, response.headers["location"]) == (307, found[VOC + "defaultLink"][0]["href"])


def test_every_exposed_link_has_target_type_and_title(web: TestClient, portal: RunningPortal) -> None:
    """All links exposed SHALL include the target URL, the link relationship type (the link type) and a
    human-readable title (1.0 and 1.2)

    In the linkset, in a 300's list and in the Link header (whose links are the linkset itself, the JSON-LD
    context and owl:sameAs: no link of a GS1 type is repeated there)."""
    for *_, link in all_links(linkset_of(web, PACK)):
        assert link["href"] and link["title"]
    several = web.get(f"{PACK}?linkType=gs1:traceability", headers={"Accept": "*/*"})
    assert several.status_code == 300
    for link in several.json()["links"]:
        assert link["href"] and link["title"] and link["rel"] == VOC + "traceability"
    for response in (web.get(PACK), web.get(compressed(PACK)), web.get(PACK, headers={"Accept": LINKSET})):
        for link in header_links(response):
            assert link["href"] and link["rel"] and link["title"], link
            assert not link["rel"].startswith(("gs1:", VOC)), link


def test_link_types_are_the_gs1_web_vocabulary(web: TestClient) -> None:
    """If supporting multiple links per identified item, SHALL recognise the GS1 Web vocabulary namespace,
    noting its change management practice. A resolver MAY recognise additional namespaces but link types
    defined elsewhere SHALL NOT duplicate link types available from GS1. (1.0 and 1.2)

    Every link type of every linkset is in https://ref.gs1.org/voc/ (no other namespace); gs1: and the full IRI
    are both recognised in linkType; another namespace's type is refused, not taken for GS1's."""
    used = {rel for path in EVERY_KEY.values() for _, rel, _ in all_links(linkset_of(web, path))}
    assert used == {VOC + name for name in links.LINK_TYPES}
    status_page_or_problem(web.get(f"{PACK}?linkType=https://schema.org/pip"), 400)
    status_page_or_problem(web.get(f"{PACK}?linkType=gs1:pip%20x"), 400)


# ------------------------------------------------------------------------------------------------ description file


def test_the_resolver_description_file_is_at_well_known(web: TestClient, portal: RunningPortal) -> None:
    """Resolver Description File: - The resolver SHALL provide a resolver description file at
    /.well-known/gs1resolver (1.0) SHALL provide a resolver description file at /.well-known/gs1resolver.
    (1.0 and 1.2)"""
    response = web.get("/.well-known/gs1resolver")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    found = response.json()
    assert found["resolverRoot"] == portal.url and found["name"]
    assert set(found["supportedLinkType"]) == {f"gs1:{t}" for t in links.LINK_TYPES}
    assert found["supportedContextValuesEnumerated"] == ["api"]  # the JSON traceability link's


def test_the_resolver_description_lists_the_supported_primary_keys(web: TestClient) -> None:
    """- The list of supported primary identifiers SHALL be provided in the Resolver Description File

    Every key listed resolves; one the portal does not serve (GSRN of 8017 in another form, or 7240) is no
    Digital Link here."""
    found = web.get("/.well-known/gs1resolver").json()
    assert sorted(found["supportedPrimaryKeys"]) == sorted(links.PRIMARY_KEYS)
    assert {key.split("+")[0] for key in EVERY_KEY} == set(found["supportedPrimaryKeys"])
    assert web.get("/7240/ABC").status_code == 404


def test_the_resolver_description_declares_the_json_ld_context(web: TestClient, portal: RunningPortal) -> None:
    """- A context file that can be used to render the linkset as JSON-LD SHOULD be declared in the Resolver
    Description File.

    The context it declares is the one the linkset's Link header names, served as application/ld+json."""
    location = web.get("/.well-known/gs1resolver").json()["jsonLdContextLocation"]
    named = [link for link in header_links(web.get(PACK, headers={"Accept": LINKSET})) if "json-ld" in link["rel"]]
    assert named[0]["href"] == location
    served = web.get(location[len(portal.url) :])
    assert served.headers["content-type"].startswith("application/ld+json")
    context = served.json()["@context"]
    assert context["anchor"] == "@id" and context["href"] == "@id" and context["gs1"] == VOC


def test_no_mo_or_company_prefix_redirection_so_no_handled_by(web: TestClient, portal: RunningPortal) -> None:
    """If supporting redirection based on an MO or Global Company Prefix with no further processing taking place
    on the resolver, redirections SHALL be annotated with the gs1:handledBy link type instead of the link to the
    linkset. (1.0) If supporting redirection based on an MO or Global Company Prefix with no further processing
    taking place on the resolver, redirections SHALL be annotated with the gs1:handledBy link type. (1.0, 1.2)

    The portal does no MO or company-prefix redirection: it answers every identifier itself. So no answer is a
    bare redirect of the request path to another resolver, none is annotated gs1:handledBy, and every redirect
    carries the link to this resolver's own linkset."""
    for what, path in EVERY_KEY.items():
        response = web.get(path)
        assert response.status_code == 307
        location = response.headers["location"]
        assert location.startswith(portal.url + "/"), what
        assert urlsplit(location).path != path, what  # never the request path sent on elsewhere
        found = rels(response)
        assert "gs1:handledBy" not in found and VOC + "handledBy" not in found, what
        assert found["linkset"] == f"{portal.url}{path}?linkType=linkset", what


def test_a_trailing_slash_is_tolerated(web: TestClient) -> None:
    """SHOULD tolerate trailing slashes at the end of GS1 Digital Link URIs, i.e. the resolver SHOULD NOT fail if
    one is present. (1.0, twice, and 1.2)

    With and without the slash: the same status and Location (GS1's suite's test), the same linkset."""
    for path in (PACK, *EVERY_KEY.values(), compressed(PACK)):
        without, with_slash = web.get(path), web.get(path + "/")
        assert (with_slash.status_code, with_slash.headers.get("location")) == (
            without.status_code,
            without.headers.get("location"),
        ), path
    assert linkset_of(web, PACK + "/") == linkset_of(web, PACK)
    typed = web.get(PACK + "/?linkType=gs1:recallStatus")
    assert typed.status_code == 307


def test_the_link_header_names_the_linkset_even_when_redirecting(web: TestClient, portal: RunningPortal) -> None:
    """SHOULD expose link to the linkset in an HTTP Link header, even when redirecting. (1.0 and 1.2)

    On a 307, a 300, a 404 of a missing type and the linkset itself; the linkset it names is the one served."""
    answers = [
        web.get(PACK),
        web.get(PACK + "?linkType=gs1:traceability", headers={"Accept": "*/*"}),
        web.get(PACK + "?linkType=gs1:nosuchlt"),
        web.get(PACK, headers={"Accept": LINKSET}),
    ]
    assert [a.status_code for a in answers] == [307, 300, 404, 200]
    for answer in answers:
        (linkset,) = [link for link in header_links(answer) if link["rel"] == "linkset"]
        assert linkset["href"] == f"{portal.url}{PACK}?linkType=linkset" and linkset["type"] == LINKSET
    assert web.get(linkset["href"][len(portal.url) :]).json() == answers[3].json()


# ------------------------------------------------------------------------------------------------ key qualifiers


def test_every_key_qualifier_is_supported_and_unknown_values_walk_up_the_tree(
    web: TestClient, portal: RunningPortal
) -> None:
    """For primary keys that have key qualifiers, all key qualifiers SHALL be supported

    Every qualifier of 01 (22, 10, 21; 235), 414 (254; 7040), 417 (7040), 8006 (10, 21), 8010 (8011),
    8017 and 8018 (8019) resolves; a value the portal knows nothing of (lot KL8G, GS1's suite's probe) still
    resolves, to the links of the nearest level up the tree that has them, never 404."""
    qualified = {k: p for k, p in EVERY_KEY.items() if "+" in k}
    for what, path in qualified.items():
        response = web.get(path)
        assert response.status_code == 307, what
        assert len(linkset_of(web, path)["linkset"]) == path.count("/") // 2, what
    unknown_lot = web.get(f"/01/{G}/10/KL8G")
    assert unknown_lot.headers["location"] == f"{portal.url}/verify/01/{G}/10/KL8G"
    pip = web.get(f"/01/{G}/10/KL8G/21/NOPE?linkType=gs1:pip")  # the GTIN's link, two levels up
    assert pip.headers["location"].startswith(f"{portal.url}/product/01/{G}?")
    unknown_extension = web.get(f"/414/{GLN}/254/KL8G")
    assert unknown_extension.status_code == 307
    page = web.get(unknown_extension.headers["location"][len(portal.url) :], headers={"Accept": "text/html"})
    assert page.status_code == 200

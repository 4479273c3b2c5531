"""The portal's public surface fuzzed from its own OpenAPI description (Schemathesis, in ``.venv-fuzz``: its
Hypothesis is far newer than Brownie's pin): whatever a client sends, the portal never answers 5xx and never shows
a Python traceback or a file path of its own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from portal.conftest import Medicine, RunningPortal
from tradechain.portal import remote

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "schemathesis"
# Not unsupported_method nor allow_header_conformance: the resolver's catch-all route answers GET /api/serials (404,
# not 405) and OPTIONS of any path (Allow: GET, HEAD, OPTIONS, even where POST is the method).
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
    )
)
EXAMPLES = 30  # per operation and phase: each run stays well under a minute on 2 shared cores
SEED = 16


def leaks(body: str) -> list[str]:
    """What a response body must never hold: a traceback, a path of the portal's own code or machine."""
    found = [word for word in ("Traceback (most recent call last)", 'File "', '.py", line') if word in body]
    return found + [path for path in (str(ROOT), "/site-packages/", "/usr/lib/python") if path in body]


def schemathesis(url: str, accept: str, tmp_path: Path) -> list[dict[str, Any]]:
    """One Schemathesis run against the portal at ``url`` (every request with ``Accept: accept``): its exit code
    must be 0; returns the requests and responses it made (its HAR report)."""
    har = tmp_path / f"fuzz-{accept.replace('/', '-')}.har"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Accept: {accept}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",  # one thread: CPython 3.11.7's ast.parse is not thread-safe (Hypothesis calls it on lambdas)
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "har",
            "--report-har-path",
            str(har),
        ],
        env={**env, "NO_PROXY": "127.0.0.1", "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"Accept: {accept}\n" + run.stdout[-6000:] + run.stderr[-2000:]
    entries: list[dict[str, Any]] = json.loads(har.read_text())["log"]["entries"]
    return entries


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_schemathesis_finds_no_server_error_and_no_traceback(
    portal: RunningPortal, medicine: Medicine, tmp_path: Path, accept: str
) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("Schemathesis is not installed: `make test` creates .venv-fuzz (requirements-fuzz.lock)")
    remote.publish_serials(portal.url, medicine.maker, medicine.batch)  # the proof service has a list to answer from
    entries = schemathesis(portal.url, accept, tmp_path)
    assert len(entries) > 200, f"only {len(entries)} requests: the schema gives too little to fuzz"
    statuses = [entry["response"]["status"] for entry in entries]
    assert not [s for s in statuses if s >= 500], sorted(set(statuses))
    assert {200, 400, 404} <= set(statuses), sorted(set(statuses))
    for entry in entries:
        body = str(entry["response"].get("content", {}).get("text", ""))
        assert not leaks(body), (entry["request"]["url"], body[:500])
    paths = {entry["request"]["url"].split("?")[0].removeprefix(portal.url).split("/")[1] for entry in entries}
    assert {"verify", "api", "certificate", "document", "lookup", "product"} <= paths, paths

"""The portal in a real browser: Debian's Chromium driven by Playwright (``executable_path``; ``playwright install``
cannot download here), a phone's viewport, the QR codes read back with zxing-cpp, axe-core's audit of every page,
and a record of every request a page makes (none may leave the host).

Plain helpers: ``browser`` is the test module's Chromium (the pytest fixture ``launch_browser``, imported by the
tests that use it);
``phone(browser)`` a fresh browsing context the size of a phone, which fails the test on any request to another
host, any console error (a CSP refusal is one) or any uncaught script error.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from playwright.sync_api import Browser, Page, Request, Response, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
}
SCREENSHOTS = ROOT / "reports" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LOCAL = "127.0.0.1"
ICONS = {"✓", "✗", "⚠", "?"}  # a verdict's icon: never colour alone


@pytest.fixture(scope="module", name="browser")
def launch_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh profile: Playwright refuses a ``--user-data-dir`` argument to
    ``launch`` and makes a new profile directory itself, in its driver's TMPDIR, here one of this session's
    temporary folders (removed by Playwright when the browser closes).

    One per test module, not per session: Playwright's sync API refuses a second instance in a thread while
    one runs ("using Playwright Sync API inside the asyncio loop"), so a module that starts its own (the GS1
    suite's) must run after this one has stopped."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Debian's Chromium is not at {CHROMIUM}: `make install` puts it there (chromium chromium-driver)")
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmp_path_factory.mktemp("chromium"))
    try:
        playwright = sync_playwright().start()
    finally:
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@dataclass
class Phone:
    """One browsing context the size of a phone (390x844 CSS pixels, 2 device pixels each) and its one page;
    ``requests`` is every URL the page asked for, in order."""

    page: Page
    javascript: bool
    requests: list[str] = field(default_factory=list)  # every request the page made (page.on("request"))
    refused: list[str] = field(default_factory=list)  # those the page's CSP refused in the browser: never sent
    sent: list[str] = field(default_factory=list)  # those that reached the network layer (routed)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught script errors
    policies: dict[str, str | None] = field(default_factory=dict)  # each page loaded: its CSP header

    def open(self, url: str) -> Response:
        response = self.page.goto(url)
        assert response is not None, url
        return response

    def reload(self) -> Response:
        response = self.page.reload()
        assert response is not None
        return response

    def text(self) -> str:
        """What a reader sees of the page's main content."""
        return self.page.inner_text("main")

    def verdict(self) -> tuple[str, str]:
        """The verdict as the page shows it: its word (visible text, ``#verdict``) and its icon, both in the one
        verdict box, so the status never rests on the box's colour alone; the page's title begins with the word."""
        box = self.page.locator("section.verdict")
        assert box.count() == 1 and box.is_visible()
        word = box.locator("#verdict")
        icon = box.locator(".icon")
        assert word.is_visible() and icon.is_visible()
        text, glyph = word.inner_text().strip(), icon.inner_text().strip()
        assert text and text in box.inner_text(), (text, box.inner_text())
        assert glyph in ICONS, glyph
        assert self.page.title().startswith(f"{text} · "), self.page.title()  # the tab and history say it too
        return text, glyph

    def audit(self, name: str) -> Path:
        """Keeps a full-page screenshot at the phone's viewport (``reports/screenshots/NAME.png``), checks the page
        is no wider than the phone (no sideways scrolling), and, with JavaScript on, runs axe-core on it: no
        serious or critical violation. The axe source is evaluated by the DevTools protocol, which the page's CSP
        does not govern: the page is audited with its policy in force."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        width, height = png_size(path)
        assert width == 390 * 2 and height >= 844 * 2 - 2, (name, width, height)
        if self.javascript:
            found = axe_violations(self.page)
            assert not found, f"{name}: {found}"
        return path

    def assert_local(self) -> None:
        """Every request the page made went to this host, but those its CSP refused before sending them."""
        assert self.requests and self.sent, "the page made no request"
        away = [url for url in self.requests if urlsplit(url).hostname != LOCAL and url not in self.refused]
        assert not away, f"requests left the host: {away}"
        assert all(urlsplit(url).hostname == LOCAL for url in self.sent), self.sent
        lax = {url: csp for url, csp in self.policies.items() if not csp or not strict_policy(csp)}
        assert self.policies and not lax, f"pages without the strict CSP: {lax}"


@contextmanager
def phone(browser: Browser, *, javascript: bool = True) -> Iterator[Phone]:
    """A fresh phone-sized context: every request the page makes is recorded (and one to another host is refused
    before it leaves); on exit the test fails if any was sent, or if the console showed an error."""
    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    seen = Phone(page, javascript)

    def route(route: Route) -> None:
        seen.sent.append(route.request.url)
        if urlsplit(route.request.url).hostname == LOCAL:
            route.continue_()
        else:
            route.abort()

    def failed(request: Request) -> None:
        if request.failure == "csp":
            seen.refused.append(request.url)

    def answered(response: Response) -> None:
        if response.request.resource_type == "document":
            seen.policies[response.url] = response.headers.get("content-security-policy")

    context.route("**/*", route)
    page.on("response", answered)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("requestfailed", failed)
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        yield seen
        seen.assert_local()
        assert not seen.errors, seen.errors
    finally:
        context.close()


def strict_policy(csp: str) -> bool:
    """A CSP that loads nothing from elsewhere and runs no inline or page script: everything is refused by
    default, nothing unsafe allowed back, and no script source at all."""
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    return (
        directives.get("default-src") == ["'none'"]
        and "script-src" not in directives
        and "script-src-elem" not in directives
        and "unsafe" not in csp
        and all(source in ("'self'", "'none'", "data:") for sources in directives.values() for source in sources)
    )


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of ``impacts`` on the page as it is now: every rule axe runs by default, and the
    target size of WCAG 2.2 (2.5.8, off by default), which a phone's finger needs."""
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}}))
            .violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))"""
    )
    return [v for v in found if v["impact"] in impacts]


# --------------------------------------------------------------------------------------------- QR codes


def read_qr(png: Path) -> str:
    """The text of the one QR code in a PNG file, as a scanner reads it (zxing-cpp, from the file's pixels)."""
    width, height, grey = png_grey(png)
    image = memoryview(grey).cast("B", (height, width))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode, f"{png}: {found}"
    return str(found[0].text)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def png_grey(path: Path) -> tuple[int, int, bytes]:
    """Width, height and one grey byte a pixel of a non-interlaced greyscale or palette PNG (what segno writes);
    a small reader, so the test needs no imaging library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, palette = 8, bytearray(), None
    width = height = depth = colour = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert colour in (0, 3) and depth in (1, 2, 4, 8) and not interlace, (colour, depth, interlace)
        elif kind == b"PLTE":
            palette = [sum(body[i : i + 3]) // 3 for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(bytes(idat))
    stride = (width * depth + 7) // 8
    bpp = max(1, depth // 8)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if method == 1:
                line[i] = (line[i] + left) & 0xFF
            elif method == 2:
                line[i] = (line[i] + up) & 0xFF
            elif method == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        previous = line
    top = (1 << depth) - 1
    out = bytearray()
    for line in rows:
        for x in range(width):
            bit = x * depth
            value = (line[bit // 8] >> (8 - depth - bit % 8)) & top
            out.append(palette[value] if palette is not None else value * 255 // top)
    return width, height, bytes(out)

"""Fixtures of the portal's tests: the portal on the test chain's SDK deployment, served by uvicorn on a port of
its own (``portal``, for browsers and real HTTP), and a serialized medicine whose brand published its serial
list (``medicine``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from helpers import free_port

from tradechain.chain.deployments import Deployment
from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec
from tradechain.formats import serials
from tradechain.formats.gs1 import with_check_digit
from tradechain.portal.app import PortalConfig, create_app

MEDICINE = with_check_digit("0890000000002")  # the manufacturer's (company prefix 8900000 in SDK_PREFIXES)
MED_EXPIRY = date(2030, 6, 30)


@dataclass
class RunningPortal:
    url: str
    app: FastAPI
    config: PortalConfig

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, follow_redirects=False, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, follow_redirects=False, timeout=30, **kwargs)


def serve(app: FastAPI, port: int, tls: tuple[Path, Path] | None = None) -> Iterator[None]:
    """Serves ``app`` on 127.0.0.1:``port`` (over TLS with ``tls``, a certificate and its key) while the loop runs
    its one turn."""
    certificate = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **certificate))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.02)
    yield
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def portal(
    w3_sdk: Any, sdk_deployment: Deployment, sdk_members: dict[str, int], tmp_path: Path
) -> Iterator[RunningPortal]:
    """The portal of the SDK deployment at http://127.0.0.1:PORT, with an index and a proof store of its own."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = PortalConfig(url, tmp_path / "portal-index.db", tmp_path / "portal-published.db", sync_interval=0.2)
    app = create_app(Client(w3_sdk, deployment=sdk_deployment), config)
    for _ in serve(app, port):
        yield RunningPortal(url, app, config)


@dataclass
class Medicine:
    gtin: str
    lot: str
    batch: serials.SerialBatch
    maker: Client

    def link(self, serial: str, base: str) -> str:
        return f"{base}/01/{self.gtin}/10/{self.lot}/21/{serial}?17={MED_EXPIRY:%y%m%d}"


@pytest.fixture
def medicine(sdk_as: Any, sdk_members: dict[str, int]) -> Medicine:
    """Lot MED-1 of the manufacturer's medicine, 100 serialized packs AB0000001..AB0000100 commissioned; the serial
    list is in the maker's serial store (not yet published to any portal)."""
    maker = sdk_as("manufacturer")
    maker.products.claim_gtin(MEDICINE)
    maker.products.register_lot(LotSpec(MEDICINE, "MED-1", MED_EXPIRY, "IN"))
    batch, _ = maker.products.commission(MEDICINE, "MED-1", [f"AB{i:07d}" for i in range(1, 101)])
    return Medicine(MEDICINE, "MED-1", batch, maker)

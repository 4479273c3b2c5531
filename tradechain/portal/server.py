"""Running the portal: in the foreground (``tradechain serve``), or in the background (``tradechain serve
--detach``, what ``make demo`` does), remembered in ``<state home>/portal/endpoint.json`` so that ``cert qr``,
``tradechain verify --resolver`` and ``serve --stop`` find it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tradechain.chain import project
from tradechain.errors import InputError, TradechainError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700


def portal_dir() -> Path:
    return project.state_home() / "portal"


def endpoint_file() -> Path:
    return portal_dir() / "endpoint.json"


@dataclass(frozen=True)
class Endpoint:
    url: str
    pid: int
    host: str
    port: int

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "pid": self.pid, "host": self.host, "port": self.port}


def running() -> Endpoint | None:
    """The portal this checkout started in the background, if it still answers."""
    try:
        data = json.loads(endpoint_file().read_text())
        found = Endpoint(str(data["url"]), int(data["pid"]), str(data["host"]), int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(found.pid, 0)
        httpx.get(f"{found.url}/healthz", timeout=2.0).raise_for_status()
    except (OSError, httpx.HTTPError):
        return None
    return found


def public_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def portal_url() -> str | None:
    """The URL of the running background portal, else ``$TRADECHAIN_RESOLVER``, else None."""
    found = running()
    if found is not None:
        return found.url
    return os.environ.get("TRADECHAIN_RESOLVER") or None


def start_detached(args: list[str], host: str, port: int, *, timeout: float = 60.0) -> Endpoint:
    """Starts ``tradechain serve ARGS`` in the background and waits until it answers; the running one is kept
    if it is already there on this port."""
    found = running()
    if found is not None:
        if found.port == port:
            return found
        raise InputError("port", f"a portal of this checkout already runs at {found.url}: `tradechain serve --stop`")
    if _port_in_use(host, port):
        raise TradechainError(f"port {port} is in use by another process: stop it or pass --port")
    folder = portal_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / "portal.log", "ab")  # noqa: SIM115  (handed to the child)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradechain.cli", "serve", *args],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    url = public_url(host, port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (folder / "portal.log").read_text(errors="replace").strip().splitlines()
            raise TradechainError(f"the portal exited at start: {tail[-1] if tail else 'no output'}")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = httpx.get(f"{url}/healthz", timeout=1.0)
            if answer.status_code == 200 and answer.json().get("pid") == proc.pid:
                endpoint = Endpoint(url, proc.pid, host, port)
                tmp = endpoint_file().with_suffix(".tmp")
                tmp.write_text(json.dumps(endpoint.to_json()))
                os.replace(tmp, endpoint_file())
                return endpoint
        time.sleep(0.2)
    proc.terminate()
    raise TradechainError(f"the portal did not answer at {url} within {timeout:.0f} s (see {folder / 'portal.log'})")


def _port_in_use(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)) == 0


def stop(timeout: float = 15.0) -> bool:
    found = running()
    endpoint_file().unlink(missing_ok=True)
    if found is None:
        return False
    os.kill(found.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):  # started by this process (make demo's script): reap it
            os.waitpid(found.pid, os.WNOHANG)
        try:
            os.kill(found.pid, 0)
        except OSError:
            return True
        time.sleep(0.05)
    os.kill(found.pid, signal.SIGKILL)
    return True

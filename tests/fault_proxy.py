"""A flaky JSON-RPC proxy on 127.0.0.1 in front of a node, for fault tests.

It forwards each HTTP request to the node and then, when a rule says so, *drops the reply*: the connection is
closed without an answer, after the node has done the work (the worst case for a client: a payment mined, its
reply lost). Rules: a seeded probability, the Nth request of a method, "the node is gone from now on"
(:meth:`FaultProxy.go_down`: every later request is dropped without being forwarded), a hook run before a request
is forwarded (to reorganise the chain between two calls), rewritten answers (a node lying about fees) and refusals
(an error answered without forwarding).

Bounded: it serves at most ``max_requests`` requests and stops by itself after ``lifetime`` seconds (and on
:meth:`stop`, or leaving its ``with`` block). It listens on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Hook = Callable[[str, list[Any]], None]
Rewrite = Callable[[Any], Any]


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 0,
        drop_rate: float = 0.0,
        drop_methods: Iterable[str] | None = None,
        drop_nth: dict[str, Iterable[int]] | None = None,
        rewrite: dict[str, Rewrite] | None = None,
        refuse: dict[str, dict[str, Any]] | None = None,
        hook: Hook | None = None,
        max_requests: int = 20_000,
        lifetime: float = 120.0,
    ) -> None:
        """``drop_rate``: probability (seeded) that a reply is dropped, for requests calling one of
        ``drop_methods`` (default: any). ``drop_nth``: method -> the 1-based counts whose replies are dropped.
        ``rewrite``: method -> function of the node's result giving the result answered. ``refuse``: method ->
        a JSON-RPC error answered instead of forwarding (once per entry; see :meth:`refuse_next`). ``hook``:
        called with (method, params) before each call is forwarded. A batch counts each call it holds."""
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.drop_rate = drop_rate
        self.drop_methods = set(drop_methods) if drop_methods is not None else None
        self.drop_nth = {m: set(ns) for m, ns in (drop_nth or {}).items()}
        self.rewrite = dict(rewrite or {})
        self.refusals: dict[str, list[dict[str, Any]]] = {m: [e] for m, e in (refuse or {}).items()}
        self.hook = hook
        self.max_requests = max_requests
        self.calls: Counter[str] = Counter()  # JSON-RPC calls seen, by method
        self.dropped: list[str] = []  # the methods of the calls whose replies were dropped
        self.log: list[tuple[float, str]] = []  # (time taken by the node, method) per forwarded HTTP request
        self.down = False
        self._requests = 0
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.add(self.connection)

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()
                with proxy._lock:
                    proxy._connections.discard(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = proxy._handle(body)
                if reply is None:  # drop: close without an answer
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with contextlib.suppress(OSError):  # the client gave up (its own timeout)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:  # a client that went away: quiet
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    # -------------------------------------------------------------- control

    def start(self) -> FaultProxy:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes every open connection: from now on connections are refused."""
        self._timer.cancel()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def go_down(self) -> None:
        """From now on every request is dropped without being forwarded (the node is gone)."""
        self.down = True

    def come_back(self) -> None:
        self.down = False

    def refuse_next(self, method: str, error: dict[str, Any]) -> None:
        """Answers the next call of ``method`` with ``error``, without forwarding it."""
        with self._lock:
            self.refusals.setdefault(method, []).append(error)

    # -------------------------------------------------------------- serving

    def _handle(self, body: bytes) -> bytes | None:
        with self._lock:
            self._requests += 1
            if self.down or self._requests > self.max_requests:
                return None
        try:
            request = json.loads(body)
        except ValueError:
            return self._forward(body)
        calls = request if isinstance(request, list) else [request]
        drop, refused = False, {}
        with self._lock:
            for call in calls:
                method = str(call.get("method"))
                self.calls[method] += 1
                if self.calls[method] in self.drop_nth.get(method, ()):
                    drop = True
                if (self.drop_methods is None or method in self.drop_methods) and self.rng.random() < self.drop_rate:
                    drop = True
                if self.refusals.get(method):
                    refused[id(call)] = self.refusals[method].pop(0)
        if self.hook is not None:
            for call in calls:
                self.hook(str(call.get("method")), list(call.get("params") or []))
        if refused:  # answer the refused calls ourselves, forward the rest
            rest = [c for c in calls if id(c) not in refused]
            answers = {
                id(c): {"jsonrpc": "2.0", "id": c.get("id"), "error": e} for c in calls if (e := refused.get(id(c)))
            }
            if rest:
                forwarded = json.loads(
                    self._forward(json.dumps(rest if isinstance(request, list) else rest[0]).encode())
                )
                for c, a in zip(rest, forwarded if isinstance(forwarded, list) else [forwarded], strict=True):
                    answers[id(c)] = a
            out: Any = [answers[id(c)] for c in calls] if isinstance(request, list) else answers[id(calls[0])]
            reply = json.dumps(out).encode()
        else:
            reply = self._forward(body)
        if self.rewrite:
            reply = self._rewritten(calls, reply)
        if drop:
            with self._lock:
                self.dropped.extend(str(c.get("method")) for c in calls)
            return None
        return reply

    def _forward(self, body: bytes) -> bytes:
        started = time.monotonic()
        req = urllib.request.Request(self.upstream, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as response:
            data: bytes = response.read()
        with self._lock:
            self.log.append((time.monotonic() - started, _methods(body)))
        return data

    def _rewritten(self, calls: list[dict[str, Any]], reply: bytes) -> bytes:
        answers = json.loads(reply)
        single = not isinstance(answers, list)
        by_id = {a.get("id"): a for a in ([answers] if single else answers)}
        for call in calls:
            fn = self.rewrite.get(str(call.get("method")))
            answer = by_id.get(call.get("id"))
            if fn is not None and answer is not None and "result" in answer:
                answer["result"] = fn(answer["result"])
        return json.dumps(answers).encode()


def _methods(body: bytes) -> str:
    try:
        request = json.loads(body)
    except ValueError:
        return "?"
    calls = request if isinstance(request, list) else [request]
    return ",".join(sorted({str(c.get("method")) for c in calls}))


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    """One JSON-RPC call straight to a node (not through a proxy); raises on an error answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]

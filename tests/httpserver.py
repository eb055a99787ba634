"""A real HTTP server on 127.0.0.1 for tests: routes of canned responses, no mocks.

Usage (the ``http_server`` fixture starts one per test)::

    http_server.routes["/feed.xml"] = Route(body=data, etag='"v1"')
    fetcher.get(http_server.url("/feed.xml"))
    assert http_server.hits["/feed.xml"] == 1

A :class:`Route` can answer with a status and headers, honour ``If-None-Match`` /
``If-Modified-Since`` with a 304, redirect, wait before answering, trickle its body, send a
large body without holding it in memory (``repeat``), and send a body without a
Content-Length (closing the connection at the end), or trickle its status line and headers. :func:`gzip_bytes` and
:func:`gzip_bomb` build compressed bodies; set ``Content-Encoding: gzip`` in ``headers``.

POST is answered from the same routes (status, headers, body, delay) and its request body
kept in ``posts`` (a webhook for notifications, say).
"""

from __future__ import annotations

import collections
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["Route", "TestServer", "gzip_bomb", "gzip_bytes", "http_server"]


@dataclass
class Route:
    """One canned response."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    redirect: str | None = None  # Location; status defaults to 302 when set
    delay: float = 0.0  # seconds to wait before the status line
    trickle: float = 0.0  # seconds to wait between body chunks of `chunk` bytes
    chunk: int = 64 * 1024
    repeat: int = 1  # the body is sent this many times (a huge body from a small one)
    send_length: bool = True  # False: no Content-Length, the connection closes at the end
    header_trickle: float = 0.0  # seconds between the bytes of the status line and headers
    header_burst: int = 0  # ...after sending this many of them at once


class TestServer(ThreadingHTTPServer):
    """The server: ``routes`` by path (with or without the query), ``hits`` per path.

    ``hits`` counts requests by path without the query; ``requests`` keeps every request's
    full path and headers.
    """

    __test__ = False  # not a pytest test class
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of every POST
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of ``path`` on this server (``host`` may be ``localhost``)."""
        return f"http://{host}:{self.port}{path}"

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """The request headers (lower-case names) of every request for ``path`` (any query)."""
        return [h for p, h in self.requests if p == path or p.split("?", 1)[0] == path]

    def start(self) -> TestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path.split("?", 1)[0]] += 1
            self.requests.append((path, headers))

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (the size cap, a timeout) is not a test failure


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.record(path, headers)
        route = self.server.routes.get(path) or self.server.routes.get(path.split("?", 1)[0])
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, [b"not found"], 9)
            return
        if route.delay:
            time.sleep(route.delay)
        if route.header_trickle:
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Pad: " + b"a" * 200
            try:
                self.wfile.write(head[:route.header_burst])
                self.wfile.flush()
                for i in range(route.header_burst, len(head)):
                    self.wfile.write(head[i:i + 1])
                    self.wfile.flush()
                    time.sleep(route.header_trickle)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                pass
            self.close_connection = True
            return
        out = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        if route.redirect is not None:
            out["Location"] = route.redirect
            status = route.status if route.status != 200 else 302
            self._send(status, out, [route.body], len(route.body))
            return
        if (route.etag and headers.get("if-none-match") == route.etag) or (
            route.last_modified
            and not route.etag
            and headers.get("if-modified-since") == route.last_modified
        ):
            self._send(304, {k: v for k, v in out.items() if k != "Content-Type"}, [], 0)
            return
        length = len(route.body) * route.repeat if route.send_length else None
        self._send(route.status, out, _body(route), length, route.trickle)

    def do_POST(self) -> None:
        path = self.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        self.server.record(path, headers)
        with self.server._lock:
            self.server.posts.append((path, body))
        route = self.server.routes.get(path) or self.server.routes.get(path.split("?", 1)[0])
        if route is None:
            self._send(404, {"Content-Type": "text/plain"}, [b"not found"], 9)
            return
        if route.delay:
            time.sleep(route.delay)
        out = {"Content-Type": route.content_type, **route.headers}
        self._send(route.status, out, [route.body], len(route.body))

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: Iterator[bytes] | list[bytes],
        length: int | None,
        trickle: float = 0.0,
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if length is None:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            for piece in body:
                self.wfile.write(piece)
                if trickle:
                    self.wfile.flush()
                    time.sleep(trickle)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True


def _body(route: Route) -> Iterator[bytes]:
    data = route.body
    for _ in range(route.repeat):
        for start in range(0, len(data), route.chunk):
            yield data[start : start + route.chunk]


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed (for ``Content-Encoding: gzip``)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    return comp.compress(data) + comp.flush()


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them (~1000:1)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = []
    left = size
    while left > 0:
        parts.append(comp.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(comp.flush())
    return b"".join(parts)


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    """A fresh :class:`TestServer` on 127.0.0.1, stopped after the test."""
    server = TestServer().start()
    try:
        yield server
    finally:
        server.stop()

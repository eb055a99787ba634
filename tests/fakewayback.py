"""A fake Wayback Machine on 127.0.0.1: a CDX API and ``id_`` captures, for backfill tests.

``FakeWayback(captures)`` serves ``/cdx/search/cdx`` (``url``, ``from``, ``to``,
``filter=statuscode:...``, ``collapse=digest``, ``limit`` + ``showResumeKey`` /
``resumeKey``, and ``output=json``; ``form`` chooses what it answers: ``json``, the
Wayback's JSON array when asked for it, ``text``, the default space-separated lines
always, ``ndjson``, pywb's JSON objects a line, ``cdxj``) and ``/web/<ts>id_/<url>``
(the capture's body; ``fail`` maps a timestamp to the status to answer instead).
``requests`` lists every path asked for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeCapture", "FakeWayback"]

FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass
class FakeCapture:
    timestamp: str
    original: str
    body: bytes
    digest: str
    mimetype: str = "text/html"
    statuscode: str = "200"

    def row(self) -> list[str]:
        host = urlsplit(self.original).hostname or ""
        key = ",".join(reversed(host.split("."))) + ")" + urlsplit(self.original).path
        return [key, self.timestamp, self.original, self.mimetype, self.statuscode,
                self.digest, str(len(self.body))]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up after an error it was served is not a test failure


@dataclass
class FakeWayback:
    captures: list[FakeCapture] = field(default_factory=list)
    form: str = "json"
    page_size: int | None = None  # the server's own page limit (None: the client's)
    fail: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                status, ctype, body = fake.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeWayback:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def cdx_requests(self) -> list[str]:
        return [r for r in self.requests if r.startswith("/cdx/")]

    @property
    def capture_requests(self) -> list[str]:
        return [r for r in self.requests if r.startswith("/web/")]

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/cdx/search/cdx"):
            return self._cdx(parse_qs(urlsplit(path).query))
        if path.startswith("/web/"):
            ts, _, original = path[len("/web/"):].partition("id_/")
            if ts in self.fail:
                return self.fail[ts], "text/plain", b"no"
            for c in self.captures:
                if c.timestamp == ts and c.original == unquote(original):
                    return 200, c.mimetype, c.body
            return 404, "text/plain", b"not in the archive"
        return 404, "text/plain", b"not found"

    def _cdx(self, q: dict[str, list[str]]) -> tuple[int, str, bytes]:
        url = q.get("url", [""])[0]
        rows = [c for c in sorted(self.captures, key=lambda c: c.timestamp)
                if c.original == url]
        lo, hi = q.get("from", [None])[0], q.get("to", [None])[0]
        rows = [c for c in rows if (lo is None or c.timestamp[:len(lo)] >= lo)
                and (hi is None or c.timestamp[:len(hi)] <= hi)]
        for f in q.get("filter", []):
            name, _, value = f.partition(":")
            rows = [c for c in rows if getattr(c, name) == value]
        if "digest" in q.get("collapse", []):
            kept: list[FakeCapture] = []
            for c in rows:
                if not kept or kept[-1].digest != c.digest:
                    kept.append(c)
            rows = kept
        start = int(q.get("resumeKey", ["0"])[0])
        limit = min(int(q.get("limit", ["100000"])[0]), self.page_size or 100000)
        page, rest = rows[start:start + limit], rows[start + limit:]
        resume = str(start + limit) if rest and q.get("showResumeKey") == ["true"] else None
        table = [c.row() for c in page]
        if self.form == "json" and q.get("output") == ["json"]:
            out: list[Any] = [FIELDS, *table] if table else []
            if resume:
                out += [[], [resume]]
            return 200, "application/json", json.dumps(out).encode()
        if self.form == "ndjson":
            lines = [json.dumps({"urlkey": r[0], "timestamp": r[1], "url": r[2], "mime": r[3],
                                 "status": r[4], "digest": r[5], "length": r[6]})
                     for r in table]
        elif self.form == "cdxj":
            lines = [f"{r[0]} {r[1]} " + json.dumps({"url": r[2], "mime": r[3], "status": r[4],
                                                    "digest": r[5]}) for r in table]
        else:
            lines = [" ".join(r) for r in table]
        if resume:
            lines += ["", resume]
        return 200, "text/plain", ("\n".join(lines) + "\n").encode() if lines else b""

"""Fetcher against a real HTTP server on 127.0.0.1: limits, redirects, validators."""

from __future__ import annotations

import socket
import time
import tracemalloc

import pytest

from newsarchive.errors import FetchError, InputError
from newsarchive.web.fetch import is_public_address, Fetcher, Response
from tests.httpserver import Route, TestServer, gzip_bomb, gzip_bytes


UA = "newsarchive/test (+https://github.com/newsarchive)"
MB = 1024 * 1024


class MemoryValidators:
    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        return self.data.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data[url] = (etag, last_modified)


def make(**kw: object) -> Fetcher:
    options: dict[str, object] = {
        "user_agent": UA, "timeout": 5.0, "host_delay": 0.0, "allow_private_networks": True,
    }
    options.update(kw)
    return Fetcher(**options)  # type: ignore[arg-type]


def reason(excinfo: pytest.ExceptionInfo[FetchError]) -> str:
    err = excinfo.value
    assert "\n" not in str(err)
    return err.reason


# -- the basics ---------------------------------------------------------------------------


def test_get_returns_body_headers_and_sends_user_agent(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"hello", headers={"X-Thing": "1"})
    with make() as f:
        r = f.get(http_server.url("/a"))
    assert isinstance(r, Response)
    assert (r.status, r.body, r.not_modified) == (200, b"hello", False)
    assert r.url == http_server.url("/a")
    assert r.headers["x-thing"] == "1"
    assert r.content_type == "text/html"
    assert http_server.headers_of("/a")[0]["user-agent"] == UA


def test_gzip_encoded_body_is_decoded(http_server: TestServer) -> None:
    text = b"<p>compressed article</p>" * 1000
    http_server.routes["/gz"] = Route(body=gzip_bytes(text), headers={"Content-Encoding": "gzip"})
    with make() as f:
        assert f.get(http_server.url("/gz")).body == text
    assert "gzip" in http_server.headers_of("/gz")[0]["accept-encoding"]


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_error_status_is_a_fetch_error(http_server: TestServer, status: int) -> None:
    http_server.routes["/x"] = Route(status=status, body=b"nope")
    with make() as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/x"))
    assert reason(excinfo).startswith(f"HTTP {status} ")
    assert excinfo.value.url == http_server.url("/x")


def test_missing_route_is_404(http_server: TestServer) -> None:
    with make() as f, pytest.raises(FetchError, match="HTTP 404"):
        f.get(http_server.url("/missing"))


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with make() as f, pytest.raises(FetchError) as excinfo:
        f.get(f"http://127.0.0.1:{port}/")
    assert "refused" in reason(excinfo) or "connect" in reason(excinfo)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed.xml",
        "data:text/html,<p>hi</p>",
        "gopher://127.0.0.1/",
        "/etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_only_http_and_https(url: str) -> None:
    with make() as f, pytest.raises(FetchError) as excinfo:
        f.get(url, trusted=True)
    assert "only http and https" in reason(excinfo)


def test_malformed_url() -> None:
    with make() as f, pytest.raises(FetchError):
        f.get("http://[::1/x")
    with make() as f, pytest.raises(FetchError):
        f.get("http://127.0.0.1:99999/")


# -- private addresses --------------------------------------------------------------------


def test_untrusted_url_to_loopback_is_refused(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"secret")
    with make(allow_private_networks=False) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/a"))
    assert "not a public address" in reason(excinfo)
    assert "allow_private_networks" in reason(excinfo)
    assert http_server.hits["/a"] == 0  # refused before connecting


def test_localhost_name_is_refused_too(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"secret")
    with make(allow_private_networks=False) as f, pytest.raises(FetchError, match="public"):
        f.get(http_server.url("/a", host="localhost"))
    assert http_server.hits["/a"] == 0


def test_trusted_url_to_loopback_is_fetched(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"mine")
    with make(allow_private_networks=False) as f:
        assert f.get(http_server.url("/a"), trusted=True).body == b"mine"


def test_allow_private_networks(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"ok")
    with make(allow_private_networks=True) as f:
        assert f.get(http_server.url("/a")).body == b"ok"


def test_trusted_url_redirecting_to_another_private_host_is_refused(
    http_server: TestServer,
) -> None:
    http_server.routes["/start"] = Route(redirect=http_server.url("/inner", host="localhost"))
    http_server.routes["/inner"] = Route(body=b"internal")
    with make(allow_private_networks=False) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/start"), trusted=True)
    assert "not a public address" in reason(excinfo)
    assert "redirect" in reason(excinfo) or "localhost" in reason(excinfo)
    assert http_server.hits["/inner"] == 0


def test_trusted_url_redirecting_on_the_same_host_is_followed(http_server: TestServer) -> None:
    http_server.routes["/feed"] = Route(status=301, redirect="/feed/")
    http_server.routes["/feed/"] = Route(body=b"the feed")
    with make(allow_private_networks=False) as f:
        r = f.get(http_server.url("/feed"), trusted=True)
    assert r.body == b"the feed"
    assert r.url == http_server.url("/feed/")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("not an address", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# -- redirects ----------------------------------------------------------------------------


def test_redirects_are_followed(http_server: TestServer) -> None:
    http_server.routes["/r1"] = Route(redirect="/r2")
    http_server.routes["/r2"] = Route(status=307, redirect=http_server.url("/r3"))
    http_server.routes["/r3"] = Route(status=308, redirect="r4?x=1")
    http_server.routes["/r4"] = Route(body=b"landed")
    with make() as f:
        r = f.get(http_server.url("/r1"))
    assert r.body == b"landed"
    assert r.url == http_server.url("/r4?x=1")


def test_redirect_limit(http_server: TestServer) -> None:
    for i in range(10):
        http_server.routes[f"/hop{i}"] = Route(redirect=f"/hop{i + 1}")
    http_server.routes["/hop10"] = Route(body=b"too far")
    with make(max_redirects=3) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/hop0"))
    assert "too many redirects" in reason(excinfo)
    assert http_server.hits["/hop4"] == 0
    with make(max_redirects=10) as f:
        assert f.get(http_server.url("/hop0")).body == b"too far"


def test_redirect_loop(http_server: TestServer) -> None:
    http_server.routes["/loop"] = Route(redirect="/loop")
    with make() as f, pytest.raises(FetchError, match="too many redirects"):
        f.get(http_server.url("/loop"))


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:,hi"])
def test_redirect_to_another_scheme_is_refused(http_server: TestServer, target: str) -> None:
    http_server.routes["/r"] = Route(redirect=target)
    with make() as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/r"), trusted=True)
    assert "redirected to" in reason(excinfo)
    assert "only http and https" in reason(excinfo)
    assert "root:" not in str(excinfo.value)


def test_redirect_without_location(http_server: TestServer) -> None:
    http_server.routes["/r"] = Route(status=302)
    with make() as f, pytest.raises(FetchError, match="without a Location"):
        f.get(http_server.url("/r"))


# -- time and size limits -----------------------------------------------------------------


def test_slow_response_times_out(http_server: TestServer) -> None:
    http_server.routes["/slow"] = Route(body=b"late", delay=3.0)
    start = time.monotonic()
    with make(timeout=0.3) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/slow"))
    assert time.monotonic() - start < 2.0
    assert "timed out" in reason(excinfo)


@pytest.mark.slow
@pytest.mark.parametrize("route", [
    Route(body=b"x" * 100, chunk=1, trickle=0.05),  # the body, a byte at a time
    Route(header_trickle=0.05),  # the status line and headers (they once ran for hours)
], ids=["body", "headers"])
def test_trickling_hits_the_total_limit(http_server: TestServer, route: Route) -> None:
    """Each byte arrives within the read timeout; the exchange is cut at total_timeout
    all the same (only that limit words its error so)."""
    http_server.routes["/trickle"] = route
    with make(timeout=1.0, total_timeout=0.5) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/trickle"))
    assert reason(excinfo) == "took longer than 0.5 s to download"


@pytest.mark.slow
def test_trickled_headers_after_the_status_line_time_out(http_server: TestServer) -> None:
    """The status line arrives at once, the headers a byte at a time: the deadline's timer
    shut the socket mid-headers, http.client took that for their end, and the empty body
    became "no article text found" (after 62 s, for `add URL`). It is the time limit."""
    from newsarchive.web.snapshot import fetch_article

    http_server.routes["/trickle"] = Route(header_trickle=0.05, header_burst=44)
    with make(timeout=1.0, total_timeout=0.5) as f:
        with pytest.raises(FetchError) as excinfo:
            f.get(http_server.url("/trickle"))
        assert reason(excinfo) == "took longer than 0.5 s to download"
        with pytest.raises(InputError) as err:
            fetch_article(f, http_server.url("/trickle"))
        assert err.value.reason == "took longer than 0.5 s to download"


def test_malformed_redirect_and_unasked_304(http_server: TestServer) -> None:
    http_server.routes["/bad-location"] = Route(redirect="http://[::1")
    http_server.routes["/not-modified"] = Route(status=304)
    with make() as f:
        with pytest.raises(FetchError) as excinfo:
            f.get(http_server.url("/bad-location"))
        assert reason(excinfo) == "redirected to http://[::1: malformed URL"
        with pytest.raises(FetchError) as excinfo:
            f.get(http_server.url("/not-modified"))
        assert "304 Not Modified to a request that named no version" in reason(excinfo)


def test_huge_body_with_length_is_refused_early(http_server: TestServer) -> None:
    http_server.routes["/huge"] = Route(body=b"x" * MB, repeat=128)  # 128 MB
    start = time.monotonic()
    with make(max_bytes=4 * MB) as f, pytest.raises(FetchError) as excinfo:
        f.get(http_server.url("/huge"))
    assert "too large" in reason(excinfo)
    assert "4 MB" in reason(excinfo)
    assert time.monotonic() - start < 5.0


def test_huge_body_without_length_stops_at_the_cap(http_server: TestServer) -> None:
    http_server.routes["/huge"] = Route(body=b"x" * MB, repeat=128, send_length=False)
    tracemalloc.start()
    try:
        with make(max_bytes=4 * MB) as f, pytest.raises(FetchError, match="too large"):
            f.get(http_server.url("/huge"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * MB


def test_body_at_the_cap_is_fine(http_server: TestServer) -> None:
    http_server.routes["/exact"] = Route(body=b"y" * 1000, send_length=False)
    with make(max_bytes=1000) as f:
        assert len(f.get(http_server.url("/exact")).body) == 1000
    with make(max_bytes=999) as f, pytest.raises(FetchError, match="too large"):
        f.get(http_server.url("/exact"))


def test_gzip_bomb_stops_at_the_cap_on_decompressed_bytes(http_server: TestServer) -> None:
    bomb = gzip_bomb(128 * MB)  # ~130 KB on the wire, 128 MB inflated
    assert len(bomb) < MB
    http_server.routes["/bomb"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    start = time.monotonic()
    try:
        with make(max_bytes=2 * MB) as f, pytest.raises(FetchError) as excinfo:
            f.get(http_server.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "too large" in reason(excinfo)
    assert peak < 8 * MB  # about the cap, not the 128 MB inflated
    assert time.monotonic() - start < 10.0


@pytest.mark.parametrize("encoding", ["compress", "br", "zstd"])
def test_unsupported_content_encoding(http_server: TestServer, encoding: str) -> None:
    http_server.routes["/z"] = Route(body=b"\x1f\x9d junk", headers={"Content-Encoding": encoding})
    with make() as f, pytest.raises(FetchError, match=f"unsupported Content-Encoding {encoding}"):
        f.get(http_server.url("/z"))


def test_broken_gzip(http_server: TestServer) -> None:
    http_server.routes["/z"] = Route(body=b"this is not gzip", headers={"Content-Encoding": "gzip"})
    with make() as f, pytest.raises(FetchError, match="decompress"):
        f.get(http_server.url("/z"))


# -- conditional GET ----------------------------------------------------------------------


def test_etag_then_304(http_server: TestServer) -> None:
    http_server.routes["/feed"] = Route(body=b"<rss/>", etag='"v1"')
    validators = MemoryValidators()
    url = http_server.url("/feed")
    with make(validators=validators) as f:
        first = f.get(url, conditional=True)
        assert (first.status, first.body, first.etag) == (200, b"<rss/>", '"v1"')
        assert validators.data[url] == ('"v1"', None)
        second = f.get(url, conditional=True)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert http_server.headers_of("/feed")[1]["if-none-match"] == '"v1"'
    assert http_server.hits["/feed"] == 2


def test_changed_etag_gives_the_new_body_and_stores_it(http_server: TestServer) -> None:
    validators = MemoryValidators()
    url = http_server.url("/feed")
    http_server.routes["/feed"] = Route(body=b"one", etag='"v1"')
    with make(validators=validators) as f:
        f.get(url, conditional=True)
        http_server.routes["/feed"] = Route(body=b"two", etag='"v2"')
        r = f.get(url, conditional=True)
        assert r.body == b"two" and validators.data[url][0] == '"v2"'
        assert f.get(url, conditional=True).not_modified


def test_last_modified_then_304(http_server: TestServer) -> None:
    stamp = "Wed, 03 Apr 2024 10:00:00 GMT"
    http_server.routes["/feed"] = Route(body=b"<rss/>", last_modified=stamp)
    validators = MemoryValidators()
    url = http_server.url("/feed")
    with make(validators=validators) as f:
        assert f.get(url, conditional=True).last_modified == stamp
        assert f.get(url, conditional=True).not_modified
    assert http_server.headers_of("/feed")[1]["if-modified-since"] == stamp


def test_unconditional_get_sends_no_validators(http_server: TestServer) -> None:
    http_server.routes["/feed"] = Route(body=b"<rss/>", etag='"v1"')
    validators = MemoryValidators()
    validators.put(http_server.url("/feed"), '"v1"', None)
    with make(validators=validators) as f:
        assert f.get(http_server.url("/feed")).body == b"<rss/>"
    assert "if-none-match" not in http_server.headers_of("/feed")[0]


def test_remember_false_defers_storing(http_server: TestServer) -> None:
    http_server.routes["/feed"] = Route(body=b"<rss/>", etag='"v1"')
    validators = MemoryValidators()
    url = http_server.url("/feed")
    with make(validators=validators) as f:
        r = f.get(url, conditional=True, remember=False)
        assert validators.data == {}
        assert not f.get(url, conditional=True, remember=False).not_modified
        f.remember(url, r)
        assert f.get(url, conditional=True).not_modified


# -- politeness ---------------------------------------------------------------------------


def test_host_delay_spaces_requests_to_one_host(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=b"a")
    with make(host_delay=0.3) as f:
        start = time.monotonic()
        for _ in range(3):
            f.get(http_server.url("/a"))
        elapsed = time.monotonic() - start
    assert elapsed >= 0.6


def test_keep_alive_many_small_requests_are_fast(http_server: TestServer) -> None:
    http_server.routes["/feed"] = Route(body=b"<rss/>", etag='"v1"')
    validators = MemoryValidators()
    url = http_server.url("/feed")
    with make(validators=validators) as f:
        f.get(url, conditional=True)
        start = time.monotonic()
        for _ in range(50):
            assert f.get(url, conditional=True).not_modified
        assert time.monotonic() - start < 2.0


def test_not_modified_answers_do_not_hold_up_the_next_request(http_server: TestServer) -> None:
    for i in range(5):
        http_server.routes[f"/feed{i}"] = Route(body=b"<rss/>", etag='"v1"')
    validators = MemoryValidators()
    with make(validators=validators, host_delay=0.5) as f:
        f.get(http_server.url("/feed0"), conditional=True)  # a full answer: the next one waits
        start = time.monotonic()
        for i in range(5):
            validators.put(http_server.url(f"/feed{i}"), '"v1"', None)
            assert f.get(http_server.url(f"/feed{i}"), conditional=True).not_modified
        elapsed = time.monotonic() - start
    assert 0.4 <= elapsed < 1.0  # one wait after the 200, none after the 304s


def test_broken_connections_are_described_without_python_reprs() -> None:
    from http.client import HTTPException, IncompleteRead

    from urllib3.exceptions import ProtocolError

    from newsarchive.web.fetch import _http_error_reason

    short = ProtocolError("Connection broken: IncompleteRead(185 bytes read, 500 more expected)",
                          IncompleteRead(b"x" * 185, 500))
    assert _http_error_reason(short, 20) == (
        "connection broken (Connection broken: IncompleteRead(185 bytes read, 500 more expected))")
    headers = ProtocolError("Connection aborted.", HTTPException("got more than 100 headers"))
    assert _http_error_reason(headers, 20) == (
        "connection broken (Connection aborted. (got more than 100 headers))")

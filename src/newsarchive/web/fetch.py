"""Fetching pages and feeds over HTTP, safely enough to run from cron on untrusted links.

One :class:`Fetcher` wraps one ``urllib3.PoolManager`` (keep-alive connections are reused
across a snapshot run). urllib3 rather than httpx: it is already a dependency of trafilatura,
it is small and synchronous, and since 2.6 its streaming reads bound decompression by the
requested amount, which is what the size cap below relies on.

What :meth:`Fetcher.get` guarantees:

- Only ``http`` and ``https`` URLs are fetched, at every hop; anything else (``file:``,
  ``ftp:``, ``data:``...) is a :class:`~newsarchive.errors.FetchError`.
- Connect and read timeouts (``timeout`` each), and a limit on the whole exchange
  (``total_timeout``, three times ``timeout`` unless given) so that a server trickling a
  byte at a time cannot hold a cron run forever: checked between body chunks, and while
  the status line and headers arrive a timer shuts the socket down at the deadline.
- Redirects are followed by hand, at most ``max_redirects``, and each hop is checked
  again (scheme, address) before anything is sent to it.
- The body is streamed in chunks and decompressed while streaming; the size cap
  ``max_bytes`` counts *decompressed* bytes, so a gzip bomb stops at the cap with memory
  bounded by it. Only ``gzip`` and ``deflate`` are asked for or accepted.
- Addresses: unless ``allow_private_networks``, a host whose name resolves to any loopback,
  private, link-local, shared, reserved, unspecified or multicast address is refused before
  connecting, and the address actually connected to is checked again once the response
  headers arrive (a DNS answer that changed between the two lookups is caught before the
  body is read). The URL the user named (``trusted=True``: given on the command line or in
  the config) is not checked, and neither are redirect hops that stay on the *same host
  and port* as that trusted URL (``http://intranet/feed`` -> ``http://intranet/feed/``).
  A hop to any other host or port is untrusted, even from a trusted start: a public site
  that redirects to ``127.0.0.1`` is refused unless ``allow_private_networks``.
- A User-Agent chosen by the caller; politeness: one request at a time to a host (across
  threads), and a request starts at least ``host_delay`` seconds after the start of the last
  one that was not a 304 or a redirect (those cost the server next to nothing, so 20
  unchanged feeds of one site cost 20 quick 304s, not 20 seconds).
- Conditional GET: with ``conditional=True`` the validators stored for the URL are sent as
  ``If-None-Match`` / ``If-Modified-Since``; a 304 is returned as
  ``Response(not_modified=True, body=b"")``; a 200's ``ETag``/``Last-Modified`` are stored
  (keyed by the URL asked for) unless ``remember=False``, in which case the caller stores
  them with :meth:`Fetcher.remember` once it has processed the body (so that a run that
  fails after fetching a feed does not make the next run skip it as unchanged).
- Every failure is a ``FetchError(url, reason)`` with a one-line reason, ``url`` being the
  URL asked for; statuses other than 2xx and 304 are failures (``HTTP 404 Not Found``),
  with the status in ``FetchError.status`` (a watch tells a page gone from a broken site).
- ``Response.redirects`` lists the redirects followed, ``(status, URL)`` each (a watch
  tells a permanent move from a temporary one).

Proxies are not used (urllib3 does not read the proxy environment variables, and library
code does not read the environment).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit

import urllib3
import urllib3.connection
import urllib3.response
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from newsarchive.version import __version__
from newsarchive.errors import FetchError

if TYPE_CHECKING:
    from typing_extensions import Self
    from urllib3.response import BaseHTTPResponse

__all__ = ["Fetcher", "Response", "Validators", "is_public_address"]

_CHUNK = 64 * 1024
_DEADLINE = threading.local()  # the running get()'s deadline, for the connection classes


class _DeadlineConnection(urllib3.connection.HTTPConnection):
    """Per-read timeouts cannot stop a server that trickles its status line and headers a
    byte at a time (each read arrives in time); a timer shuts the socket down at the
    deadline of the whole exchange, and the read in progress fails at once."""

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        deadline = getattr(_DEADLINE, "value", None)
        if deadline is None:
            return super().getresponse()
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._abort)
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()
        finally:
            timer.cancel()

    def _abort(self) -> None:
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _DeadlineTLSConnection(_DeadlineConnection, urllib3.connection.HTTPSConnection):
    pass


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _DeadlineTLSConnection


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SCHEMES = ("http", "https")
# Decoded with a bound on the output by urllib3 >= 2.6 on every Python; br and zstd only
# with recent brotli / on Python 3.14, so they are neither asked for nor accepted.
_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


@dataclass
class Response:
    """A fetched resource: the body is complete and decompressed."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    """The redirects followed to get here: (status, the URL it led to), in order."""

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when not given)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class _Turn:
    """Whether an exchange was cheap for the server (a 304 or a redirect)."""

    cheap = False


class Validators(Protocol):
    """Where conditional-GET validators are kept between runs (the store, in practice)."""

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        """The ``(etag, last_modified)`` stored for ``url``, or None."""
        ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Store the validators of ``url`` (both None: forget them)."""
        ...


def is_public_address(address: str) -> bool:
    """True when an IP address is globally routable unicast (safe to fetch from a feed link)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(str(mapped))
        if ip.teredo is not None:
            return is_public_address(str(ip.teredo[1]))
    return ip.is_global and not ip.is_multicast


class Fetcher:
    """Fetches http(s) URLs with the safety rules of the module docstring."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        max_bytes: int = 32 * 1024 * 1024,
        max_redirects: int = 5,
        allow_private_networks: bool = False,
        host_delay: float = 1.0,
        validators: Validators | None = None,
        total_timeout: float | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.total_timeout = total_timeout if total_timeout is not None else 3 * timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private_networks = allow_private_networks
        self.host_delay = host_delay
        self.validators = validators
        self._pool = urllib3.PoolManager(
            num_pools=32,
            maxsize=4,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )
        self._pool.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._host_locks: dict[str, threading.Lock] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def remember(self, url: str, response: Response) -> None:
        """Store a 200 response's validators for ``url`` (see ``remember=False``)."""
        if self.validators is not None and not response.not_modified:
            self.validators.put(url, response.etag, response.last_modified)

    def get(
        self, url: str, *, trusted: bool = False, conditional: bool = False, remember: bool = True
    ) -> Response:
        """GET ``url`` following redirects; FetchError(url, reason) on any failure."""
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        if conditional and self.validators is not None:
            stored = self.validators.get(url)
            if stored:
                etag, last_modified = stored
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.total_timeout
        trusted_origin = self._check_url(url, url, 0) if trusted else None
        current = url
        hops: list[tuple[int, str]] = []
        for hop in range(self.max_redirects + 1):
            host, port = self._check_url(url, current, hop)
            hop_trusted = trusted_origin == (host, port)
            if not hop_trusted and not self.allow_private_networks:
                self._check_resolves_public(url, host, port)
            with self._turn(host) as turn:
                resp = self._request(url, current, headers, deadline)
                try:
                    if not hop_trusted and not self.allow_private_networks:
                        self._check_peer(url, host, resp)
                    if resp.status in _REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchError(
                                url, f"HTTP {resp.status} redirect without a Location"
                            )
                        try:
                            current = urljoin(current, location.strip())
                        except ValueError:  # e.g. "http://[::1": not a URL
                            raise FetchError(url, f"redirected to {_short(location.strip())}: "
                                                  "malformed URL") from None
                        hops.append((resp.status, current))
                        turn.cheap = True
                        _release(resp)
                        continue
                    response = self._finish(url, current, resp, deadline,
                                            conditional and remember,
                                            "If-None-Match" in headers
                                            or "If-Modified-Since" in headers)
                    turn.cheap = response.not_modified
                except BaseException:
                    _close(resp)
                    raise
                _release(resp)
                response.redirects = tuple(hops)
                return response
        raise FetchError(url, f"too many redirects (more than {self.max_redirects})")

    # -- one hop --------------------------------------------------------------------------

    def _check_url(self, url: str, current: str, hop: int) -> tuple[str, int]:
        """The host and port of an http(s) URL; FetchError for any other."""
        where = "" if hop == 0 else f"redirected to {_short(current)}: "
        try:
            parts = urlsplit(current)
            port = parts.port
        except ValueError as err:
            raise FetchError(url, f"{where}malformed URL ({err})") from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            shown = f"{scheme}:" if scheme else "a URL without a scheme"
            raise FetchError(url, f"{where}only http and https URLs are fetched, not {shown}")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchError(url, f"{where}URL has no host")
        return host, port or (443 if scheme == "https" else 80)

    def _check_resolves_public(self, url: str, host: str, port: int) -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as err:
            raise FetchError(url, f"cannot resolve host {host} ({_one_line(err)})") from None
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise FetchError(url, _private_reason(host, address))

    def _check_peer(self, url: str, host: str, resp: BaseHTTPResponse) -> None:
        conn = getattr(resp, "connection", None)
        sock = getattr(conn, "sock", None)
        if sock is None:
            return
        try:
            address = str(sock.getpeername()[0])
        except OSError:
            return
        if not is_public_address(address):
            raise FetchError(url, _private_reason(host, address))

    @contextlib.contextmanager
    def _turn(self, host: str) -> Iterator[_Turn]:
        """One exchange with ``host``: one at a time, ``host_delay`` after the last full one."""
        turn = _Turn()
        if self.host_delay <= 0:
            yield turn
            return
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:
            wait = self._next_slot.get(host, 0.0) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            start = time.monotonic()
            try:
                yield turn
            finally:
                if not turn.cheap:
                    self._next_slot[host] = start + self.host_delay

    def _request(self, url: str, current: str, headers: dict[str, str],
                 deadline: float) -> BaseHTTPResponse:
        _DEADLINE.value = deadline
        try:
            resp = self._pool.request(
                "GET",
                current,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
            )
            if time.monotonic() >= deadline:
                # the timer shut the socket mid-headers: http.client takes the end of the
                # stream for the end of the headers and returns what came (an empty body)
                _close(resp)
                raise FetchError(url, self._too_long())
            return resp
        except (HTTPError, OSError, ValueError) as err:
            if time.monotonic() >= deadline:
                raise FetchError(url, self._too_long()) from None
            if isinstance(err, MaxRetryError):
                raise FetchError(url, _http_error_reason(err.reason or err, self.timeout)
                                 ) from None
            if isinstance(err, HTTPError):
                raise FetchError(url, _http_error_reason(err, self.timeout)) from None
            raise FetchError(url, _one_line(err)) from None
        finally:
            _DEADLINE.value = None

    def _finish(
        self, url: str, final: str, resp: BaseHTTPResponse, deadline: float, store: bool,
        asked_conditionally: bool,
    ) -> Response:
        headers = {name.lower(): resp.headers[name] for name in resp.headers}
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if resp.status == 304:
            if not asked_conditionally:  # "unchanged" since nothing: a broken server
                raise FetchError(url, "HTTP 304 Not Modified to a request that named no "
                                      "version")
            return Response(final, 304, headers, b"", True, etag, last_modified)
        if not 200 <= resp.status < 300:
            raise FetchError(url, f"HTTP {resp.status} {_one_line(resp.reason or '')}".rstrip(),
                             status=resp.status)
        encodings = [
            e.strip().lower()
            for e in headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        unknown = [e for e in encodings if e not in _ENCODINGS]
        if unknown:
            raise FetchError(url, f"unsupported Content-Encoding {', '.join(unknown)}")
        length = headers.get("content-length", "")
        if not encodings and length.isdigit() and int(length) > self.max_bytes:
            raise FetchError(url, f"response too large ({int(length):,} bytes; {self._cap()})")
        body = self._read_body(url, resp, deadline)
        response = Response(final, resp.status, headers, body, False, etag, last_modified)
        if store and self.validators is not None:
            self.validators.put(url, etag, last_modified)
        return response

    def _read_body(self, url: str, resp: BaseHTTPResponse, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = resp.read1(_CHUNK)  # what has arrived, at most _CHUNK decoded
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(url, f"response too large ({self._cap()})")
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(url, self._too_long())
        except HTTPError as err:
            raise FetchError(url, _http_error_reason(err, self.timeout)) from None
        except OSError as err:
            raise FetchError(url, f"connection broken ({_one_line(err)})") from None
        return b"".join(chunks)

    def _too_long(self) -> str:
        return f"took longer than {self.total_timeout:g} s to download"

    def _cap(self) -> str:
        return f"the limit is {_human_size(self.max_bytes)}"


def _release(resp: BaseHTTPResponse) -> None:
    """Give the connection back, kept alive when at most a small body is left unread."""
    try:
        if not resp.closed:
            remaining = resp.length_remaining
            if remaining is not None and remaining <= _CHUNK:
                resp.drain_conn()
            else:
                resp.close()
        resp.release_conn()
    except Exception:  # noqa: BLE001 - best effort: the exchange is over anyway
        _close(resp)


def _close(resp: BaseHTTPResponse) -> None:
    """Drop the connection of a failed exchange without reading any more of it."""
    with contextlib.suppress(Exception):  # best effort: the exchange has failed anyway
        resp.close()
        resp.release_conn()


def _private_reason(host: str, address: str) -> str:
    where = host if host == address else f"{host} ({address})"
    return (
        f"refused to fetch from {where}: not a public address "
        "(set allow_private_networks = true to allow)"
    )


def _http_error_reason(err: BaseException, timeout: float) -> str:
    if isinstance(err, NameResolutionError):
        return f"cannot resolve host {getattr(err, 'host', '') or ''}".rstrip()
    if isinstance(err, ReadTimeoutError):
        return f"timed out after {timeout:g} s waiting for the server"
    if isinstance(err, NewConnectionError):
        text = _one_line(err).lower()
        if "refused" in text:
            return "connection refused"
        return f"cannot connect ({_one_line(err).split(': ', 1)[-1]})"
    if isinstance(err, ConnectTimeoutError):
        return f"timed out after {timeout:g} s connecting"
    if isinstance(err, SSLError):
        return f"TLS error ({_one_line(err)})"
    if isinstance(err, DecodeError):
        return "cannot decompress the response body"
    if isinstance(err, ProtocolError):
        return f"connection broken ({_protocol_reason(err)})"
    if isinstance(err, LocationValueError):
        return f"malformed URL ({_one_line(err)})"
    return _one_line(err) or type(err).__name__


def _protocol_reason(err: ProtocolError) -> str:
    """urllib3's ``('Connection aborted.', HTTPException('got more than 100 headers'))``
    as ``Connection aborted. (got more than 100 headers)``: no Python reprs."""
    text = next((a for a in err.args if isinstance(a, str)), "")
    cause = next((a for a in err.args if isinstance(a, BaseException)), None)
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})" if text else str(cause)
    return _one_line(text or err)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 3] + "..."


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


USER_AGENT = f"newsarchive/{__version__} (+https://pypi.org/project/newsarchive/)"


def make_fetcher(*, allow_private_networks: bool = False, host_delay: float = 1.0) -> Fetcher:
    """The HTTP client configuration every command shares."""
    return Fetcher(user_agent=USER_AGENT, allow_private_networks=allow_private_networks,
                   host_delay=host_delay)

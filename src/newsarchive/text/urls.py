"""Canonical article URLs: one spelling for every way a link to the same article is written.

A news article is linked as ``http://`` and ``https://``, with and without a trailing slash,
with ``#comments`` and with ``?utm_source=twitter&fbclid=...``. :func:`canonical_url` maps all
of these to one string, so that the URL stored with a revision (and the slug derived from it)
does not depend on which link a feed or a reader happened to use. It is an identity key, not
necessarily a URL to fetch: ``http`` is written ``https`` (outlets serve both; the archive
cares about the article, not the transport). It is never stored: a revision keeps its URL
as written, less its fragment and tracking parameters (:func:`clean_url`).

The rules, applied in this order:

- surrounding whitespace is stripped; only ``http`` and ``https`` URLs with a host are
  accepted (anything else is a :class:`ValueError`);
- scheme and host are lower-cased, a trailing dot on the host dropped, ``http`` becomes
  ``https``, the ports 80 and 443 are dropped;
- the fragment is dropped;
- the path: characters that must be escaped are percent-encoded (UTF-8), escapes of unreserved
  characters are decoded (``%7E`` -> ``~``) and the rest upper-cased (``%2f`` -> ``%2F``),
  ``.`` and ``..`` segments are resolved, an empty path becomes ``/`` and a trailing slash is
  dropped (``/a/`` and ``/a`` are one article; the root stays ``/``);
- the query: tracking parameters (:data:`TRACKING_PARAMS`, any ``utm_*``) are removed, the rest
  keep their order and their spelling; an empty query is dropped.

The function is idempotent (``canonical_url(canonical_url(u)) == canonical_url(u)``) and raises
nothing but :class:`ValueError`, which the property tests check.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_plus, urlsplit

__all__ = ["TRACKING_PARAMS", "canonical_url", "clean_url", "is_tracking_param"]

#: Query parameters that identify a campaign, a click or a share, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "mkt_tok",
        "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "ref_src", "ref_url", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "s_cid",
        "at_medium", "at_campaign", "smid", "cmpid", "ocid", "xtor",
    }
)
_TRACKING_PREFIXES = ("utm_",)

_HOST_RE = re.compile(r"^[^\s/?#@\[\]\\<>\"{}|^`%]+$")
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Left as they are by quote(): the reserved characters, '%' (existing escapes) and unreserved.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$&'()*+,;=-._~?"
_DEFAULT_PORTS = (80, 443)


def is_tracking_param(name: str) -> bool:
    """True for a query parameter name that only tracks (``utm_source``, ``fbclid``...)."""
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical spelling of an http(s) article URL; ValueError if it is not one."""
    if not isinstance(url, str):
        raise TypeError(f"canonical_url takes a str, not {type(url).__name__}")
    url = url.strip()
    parts = urlsplit(url)  # may raise ValueError (e.g. a bad IPv6 literal)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if ":" in host:  # IPv6 literal (hostname strips the brackets)
        if not re.fullmatch(r"[0-9a-f:.]+", host):
            raise ValueError(f"bad IPv6 host in URL: {url!r}")
        host = f"[{host}]"
    elif not _HOST_RE.match(host):
        raise ValueError(f"bad host in URL: {url!r}")
    port = parts.port  # ValueError when out of range or not a number
    netloc = host if port is None or port in _DEFAULT_PORTS else f"{host}:{port}"
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{_normalize_escapes(quote(userinfo, safe=_PATH_SAFE))}@{netloc}"

    path = _normalize_escapes(quote(parts.path, safe=_PATH_SAFE))
    path = _remove_dot_segments(re.sub("/{2,}", "/", path)).strip("/")
    path = f"/{path}" if path else "/"

    kept = []
    for param in parts.query.split("&"):
        if not param:
            continue
        name = unquote_plus(param.split("=", 1)[0])
        if is_tracking_param(name):
            continue
        kept.append(_normalize_escapes(quote(param, safe=_QUERY_SAFE)))
    query = "&".join(kept)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def clean_url(url: str) -> str:
    """The URL as written, less what is about a click and not the article: its fragment
    and tracking parameters. Scheme, host, path and the other parameters are kept as they
    were (``http`` stays ``http``): this is the URL a revision stores, while
    :func:`canonical_url` is what identifies its article. ValueError as canonical_url."""
    canonical_url(url)  # the same validation
    parts = urlsplit(url.strip())
    kept = [param for param in parts.query.split("&")
            if param and not is_tracking_param(unquote_plus(param.split("=", 1)[0]))]
    return parts._replace(query="&".join(kept), fragment="").geturl()


def _normalize_escapes(text: str) -> str:
    """Decode escapes of unreserved characters, upper-case the others."""

    def fix(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()

    return _ESCAPE_RE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` segments (RFC 3986, 5.2.4), never above the root."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            continue
        out.append(segment)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result

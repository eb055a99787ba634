"""Backfilling from the Wayback Machine: a URL's past captures, through its CDX API.

:func:`run_backfill` does, for each URL (or every archived article's, ``all_articles``):

1. asks the CDX API (``<wayback_url>/cdx/search/cdx``) for the URL's captures, with
   ``collapse=digest`` (adjacent captures of the same payload are listed once),
   ``filter=statuscode:200``, ``from``/``to`` (1 to 14 digits, inclusive) and
   ``output=json``, a page of :data:`PAGE_SIZE` at a time (``showResumeKey``). Either form
   of answer is read: a JSON array whose first row names the fields, JSON objects a line
   (pywb), the default space-separated lines (``urlkey timestamp original mimetype
   statuscode digest length``) or CDXJ lines (``urlkey timestamp {json}``). The listing is
   filtered again here (2xx, HTML types, the time range, a digest equal to the last one
   kept), so a server that ignores a parameter changes nothing;
2. fetches each capture's original bytes, unrewritten, as
   ``<wayback_url>/web/<timestamp>id_/<url>``, with the project's :class:`Fetcher` (size
   caps, timeouts, redirects re-checked, private addresses refused unless allowed; the
   Wayback URL itself is trusted, being configured by the user) and a politeness delay
   between requests to the host (``delay``, one second by default);
3. extracts each page as a fetched page (:func:`~newsarchive.ingest.html.html_to_draft`,
   with the capture's original URL as the URL fetched) captured at the capture's timestamp,
   and adds it, in capture order, one capture at a time.

**Resuming.** Once a capture has been dealt with (added, found unchanged, or found to be no
article, which a second try would not change), the URL's resume key, the timestamp and
digest of that capture, is stored in the catalog's validators table under the key
``<wayback_url>/cdx/search/cdx?url=<canonical URL>``. The next run without ``--from``
asks only for captures after it, so a run that was stopped (or failed to fetch a capture,
which stops the key where it was) goes on where it stopped, and a second run of a finished
backfill costs one CDX request and adds nothing. A run with ``since`` (``--from``) neither
uses nor moves the key. Should the key be lost (a new catalog), adds are idempotent: a
capture already held is ``unchanged``.

**Politeness.** One request at a time, ``delay`` seconds apart (the fetcher's per-host
delay). An HTTP 429 or 503 stops the whole run (the rest is left for the next one, which
resumes), since the server is asking for fewer requests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from newsarchive.errors import FetchError, InputError, NewsArchiveError, UsageError
from newsarchive.web.fetch import Fetcher, make_fetcher
from newsarchive.ingest.html import html_to_draft
from newsarchive.ingest.signatures import looks_like_html
from newsarchive.model import AddResult, Draft
from newsarchive.text.urls import canonical_url

if TYPE_CHECKING:
    from newsarchive.ingest.noise import RuleBook
    from newsarchive.store.repository import Store
    from newsarchive.web.snapshot import AddDrafts

__all__ = ["DEFAULT_WAYBACK_URL", "BackfillReport", "Capture", "capture_url", "cdx_query_url",
           "parse_cdx", "parse_timestamp_bound", "run_backfill"]

DEFAULT_WAYBACK_URL = "https://web.archive.org"
PAGE_SIZE = 5000  # CDX rows a request
MAX_PAGES = 1000
DEFAULT_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GENERIC_TYPES = ("", "text/plain", "application/octet-stream", "binary/octet-stream")
_BOUND = re.compile(
    r"^(\d{4})(?:-?(\d{2})(?:-?(\d{2})(?:[T ]?(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?)?)?Z?$")
_SERVED_AT = re.compile(r"/web/(\d{14})id_/")
_STOP_STATUSES = ("HTTP 429", "HTTP 503")

EventHandler = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Capture:
    """One row of a CDX listing."""

    timestamp: str  # 14 digits, UTC
    original: str
    mimetype: str = ""
    statuscode: str = ""
    digest: str = ""


@dataclass
class BackfillReport:
    """What the backfill of one URL did."""

    url: str
    captures: int = 0  # listed and new (after the resume key)
    added: int = 0
    revised: int = 0
    inserted: int = 0  # older than the article's newest revision: placed in capture order
    unchanged: int = 0
    skipped: int = 0  # listed but not HTML or not 200
    failed: int = 0
    resumed_from: str | None = None
    errors: list[str] = field(default_factory=list)
    results: list[AddResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "captures": self.captures, "added": self.added,
                "revised": self.revised, "inserted": self.inserted,
                "unchanged": self.unchanged, "skipped": self.skipped,
                "failed": self.failed, "resumed_from": self.resumed_from,
                "errors": list(self.errors)}


class _Stop(Exception):
    """The server asked for fewer requests: stop the run."""


# -- timestamps ----------------------------------------------------------------------------------

def parse_timestamp_bound(value: str, option: str) -> str:
    """A date or time (``2024``, ``2024-04``, ``2024-04-03``, ``2024-04-03T10:00:00Z``, or
    1 to 14 digits) as the CDX API's digits; UsageError otherwise."""
    text = value.strip()
    if text.isdigit() and 4 <= len(text) <= 14 and len(text) % 2 == 0:
        return text
    m = _BOUND.match(text)
    if not m:
        raise UsageError(f"{option}: unreadable date {value!r} (try YYYY-MM-DD or "
                         "YYYYMMDDhhmmss)")
    return "".join(g for g in m.groups() if g)


def timestamp_to_iso(ts: str) -> str:
    ts = (ts + "00000101000000"[len(ts):])[:14] if len(ts) < 14 else ts[:14]
    try:
        when = dt.datetime.strptime(ts, "%Y%m%d%H%M%S")
    except ValueError:
        raise InputError(ts, "is not a Wayback timestamp (YYYYMMDDhhmmss)") from None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _in_range(ts: str, since: str | None, until: str | None) -> bool:
    return (since is None or ts[:len(since)] >= since) and (
        until is None or ts[:len(until)] <= until)


# -- the CDX API ---------------------------------------------------------------------------------

def cdx_query_url(wayback_url: str, url: str, *, since: str | None = None,
                  until: str | None = None, resume_key: str | None = None) -> str:
    """The CDX query for the captures of ``url`` (``since``/``until``: CDX digits)."""
    params: list[tuple[str, str]] = [("url", url), ("output", "json"), ("collapse", "digest"),
                                     ("filter", "statuscode:200"), ("limit", str(PAGE_SIZE)),
                                     ("showResumeKey", "true")]
    if since:
        params.append(("from", since))
    if until:
        params.append(("to", until))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{wayback_url}/cdx/search/cdx?{urlencode(params)}"


def capture_url(wayback_url: str, capture: Capture) -> str:
    """Where the Wayback Machine serves a capture's original bytes (``id_``: unrewritten)."""
    return f"{wayback_url}/web/{capture.timestamp}id_/{capture.original}"


def parse_cdx(body: bytes, origin: str = "CDX") -> tuple[list[Capture], str | None]:
    """The captures of a CDX answer in any of its forms, and the resume key if any."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(origin, "the CDX answer is not UTF-8") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _parse_json_array(stripped, origin)
    captures: list[Capture] = []
    resume: str | None = None
    after_blank = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            after_blank = bool(captures) or after_blank
            continue
        if line.startswith("{"):
            captures.append(_from_mapping(_json(line, origin), origin))
            continue
        parts = line.split(" ", 2) if " {" in line else line.split()
        if len(parts) == 3 and parts[2].startswith("{"):  # CDXJ: urlkey timestamp {json}
            fields = _json(parts[2], origin)
            fields.setdefault("timestamp", parts[1])
            captures.append(_from_mapping(fields, origin))
        elif len(parts) >= 6:
            captures.append(_from_row(dict(zip(DEFAULT_FIELDS, parts, strict=False)), origin))
        elif len(parts) == 1 and after_blank:
            resume = parts[0]
        else:
            raise InputError(origin, f"unreadable CDX line {line[:80]!r}")
    return captures, resume


def _parse_json_array(text: str, origin: str) -> tuple[list[Capture], str | None]:
    rows = _json(text, origin)
    if not isinstance(rows, list) or not rows:
        return [], None
    header = rows[0]
    if not isinstance(header, list) or not all(isinstance(h, str) for h in header):
        raise InputError(origin, "the CDX answer's first row does not name its fields")
    captures: list[Capture] = []
    resume = None
    blank = False
    for row in rows[1:]:
        if not isinstance(row, list):
            raise InputError(origin, "a CDX row is not a list")
        if not row:
            blank = True
            continue
        if blank and len(row) == 1:
            resume = str(row[0])
            continue
        captures.append(_from_row(dict(zip(header, (str(v) for v in row), strict=False)),
                                  origin))
    return captures, resume


def _json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise InputError(origin, f"the CDX answer is not valid JSON ({err})") from None


def _from_mapping(obj: Any, origin: str) -> Capture:
    """A pywb-style object (``url``, ``mime``, ``status``) or a Wayback-style one."""
    if not isinstance(obj, dict):
        raise InputError(origin, "a CDX line is not a JSON object")
    fields = {str(k): str(v) for k, v in obj.items()}
    fields.setdefault("original", fields.get("url", ""))
    fields.setdefault("mimetype", fields.get("mime", ""))
    fields.setdefault("statuscode", fields.get("status", ""))
    return _from_row(fields, origin)


def _from_row(fields: dict[str, str], origin: str) -> Capture:
    ts = fields.get("timestamp", "")
    original = fields.get("original", "")
    if not ts.isdigit() or not original:
        raise InputError(origin, "a CDX row lacks its timestamp or original URL")
    return Capture(ts, original, fields.get("mimetype", ""), fields.get("statuscode", ""),
                   fields.get("digest", ""))


def list_captures(fetcher: Fetcher, wayback_url: str, url: str, *, since: str | None,
                  until: str | None) -> list[Capture]:
    """Every capture the CDX API lists for ``url`` in the range, in time order."""
    captures: list[Capture] = []
    resume: str | None = None
    for _ in range(MAX_PAGES):
        query = cdx_query_url(wayback_url, url, since=since, until=until, resume_key=resume)
        response = fetcher.get(query, trusted=True)
        page, next_key = parse_cdx(response.body, f"CDX for {url}")
        captures.extend(page)
        if not next_key or next_key == resume or not page:
            break
        resume = next_key
    captures.sort(key=lambda c: c.timestamp)  # stable: the server's order within a second
    return captures


def select_captures(captures: Iterable[Capture], *, since: str | None, until: str | None,
                    ) -> tuple[list[Capture], int]:
    """The HTML 2xx captures in the range, without one whose digest is that of the last
    capture kept (``collapse=digest``, applied after the filters: the same page again);
    and how many rows were left out as not HTML or not 2xx."""
    kept: list[Capture] = []
    skipped = 0
    last_digest = None
    for c in captures:
        if not _in_range(c.timestamp, since, until):
            continue
        media = c.mimetype.split(";", 1)[0].strip().lower()
        if not c.statuscode.startswith("2") or (media not in _HTML_TYPES
                                                and media not in ("", "unk")):
            skipped += 1
            continue
        if c.digest and c.digest == last_digest:
            continue
        last_digest = c.digest or None
        kept.append(c)
    return kept, skipped


def fetch_capture(fetcher: Fetcher, wayback_url: str, capture: Capture,
                  noise: RuleBook | None = None) -> Draft:
    """A capture's original page as a draft, captured at its timestamp (``noise``: the
    rules whose selectors are dropped before extraction)."""
    response = fetcher.get(capture_url(wayback_url, capture), trusted=True)
    served = _SERVED_AT.search(response.url)
    ts = served.group(1) if served else capture.timestamp
    origin = f"{capture.original} at {ts}"  # (errors are reported by timestamp)
    ctype = response.content_type
    if ctype not in _HTML_TYPES and (ctype not in _GENERIC_TYPES
                                     or not looks_like_html(response.body)):
        raise InputError(origin, f"is not an HTML page ({ctype or 'no type'})")
    draft = html_to_draft(response.body, origin=origin, url=capture.original, noise=noise)
    draft.captured_at = timestamp_to_iso(ts)
    draft.original_type = response.headers.get("content-type") or "text/html"
    return draft


# -- the run -------------------------------------------------------------------------------------

def run_backfill(store: Store, add: AddDrafts, urls: Sequence[str], *,
                 since: str | None = None, until: str | None = None,
                 wayback_url: str = DEFAULT_WAYBACK_URL, delay: float = 1.0,
                 allow_private_networks: bool = False, on_event: EventHandler | None = None,
                 fetcher: Fetcher | None = None, noise: RuleBook | None = None,
                 ) -> list[BackfillReport]:
    """Backfill every URL (the facade adds every archived article's for ``--all``); a
    report a URL, in order; ``add`` is the write path. ``since``/``until`` take the forms
    of :func:`parse_timestamp_bound`. Store errors are raised; a URL's failures are in
    its report."""
    lo = parse_timestamp_bound(since, "--from") if since else None
    hi = parse_timestamp_bound(until, "--to") if until else None
    wayback_url = _check_wayback_url(wayback_url)
    targets = list(dict.fromkeys(urls))
    if fetcher is None:
        with make_fetcher(allow_private_networks=allow_private_networks,
                          host_delay=delay) as own:
            return _run(store, add, targets, own, wayback_url, lo, hi, on_event, noise)
    return _run(store, add, targets, fetcher, wayback_url, lo, hi, on_event, noise)


def _check_wayback_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.lower().startswith(("http://", "https://")) or "?" in value:
        raise UsageError(f"wayback URL {value!r} is not an http(s) URL")
    return value


def _run(store: Store, add: AddDrafts, urls: list[str], fetcher: Fetcher, wayback_url: str,
         since: str | None, until: str | None, on_event: EventHandler | None,
         noise: RuleBook | None = None) -> list[BackfillReport]:
    reports = []
    emit = on_event or (lambda name, data: None)
    stopped: str | None = None
    for url in urls:
        report = BackfillReport(url=url)
        if stopped is None:
            try:
                _backfill(store, add, url, fetcher, wayback_url, since, until, report, emit,
                          noise)
            except _Stop as stop:
                stopped = str(stop)
        else:
            report.errors.append(f"{url}: not tried ({stopped})")
        emit("url_done", report.to_dict())
        reports.append(report)
    return reports


def resume_key_name(wayback_url: str, canonical: str) -> str:
    """The validators-table key of a URL's resume key."""
    return f"{wayback_url}/cdx/search/cdx?url={canonical}"


def _backfill(store: Store, add: AddDrafts, url: str, fetcher: Fetcher, wayback_url: str,
              since: str | None, until: str | None, report: BackfillReport,
              emit: EventHandler, noise: RuleBook | None = None) -> None:
    try:
        canonical = canonical_url(url)
    except ValueError as err:
        report.errors.append(f"{url}: {err}")
        return
    key = resume_key_name(wayback_url, canonical)
    catalog = store.catalog(write=True)
    after: tuple[str, str] | None = None
    if since is None:
        stored = catalog.get_validators(key)
        if stored and stored[0]:
            ts, _, digest = stored[0].partition(" ")
            after = (ts, digest)
            report.resumed_from = ts
    try:
        listed = list_captures(fetcher, wayback_url, url, since=since or (after[0] if after
                                                                         else None),
                               until=until)
    except (FetchError, InputError) as err:
        report.errors.append(f"{url}: CDX: {err.reason}")
        if isinstance(err, FetchError) and err.reason.startswith(_STOP_STATUSES):
            raise _Stop(f"the Wayback Machine answered {err.reason}") from None
        return
    if after is not None:
        listed = [c for c in listed if c.timestamp > after[0]]
    captures, report.skipped = select_captures(listed, since=since, until=until)
    if after is not None and captures and captures[0].digest and captures[0].digest == after[1]:
        captures = captures[1:]  # the same page as the capture the key names
    report.captures = len(captures)
    advancing = since is None
    for capture in captures:
        event: dict[str, Any] = {"url": url, "timestamp": capture.timestamp}
        where = f"{url} at {capture.timestamp}"
        try:
            draft = fetch_capture(fetcher, wayback_url, capture, noise)
        except FetchError as err:  # may work next time: the key stays before it
            advancing = False
            _failed(report, event, f"{where}: {err.reason}", emit)
            if err.reason.startswith(_STOP_STATUSES):
                raise _Stop(f"the Wayback Machine answered {err.reason}") from None
            continue
        except InputError as err:  # no article in it: the same next time
            _failed(report, event, f"{where}: {err.reason}", emit)
        else:
            (result,) = add([draft])
            if isinstance(result, NewsArchiveError):
                reason = result.reason if isinstance(result, InputError) else str(result)
                _failed(report, event, f"{where}: {reason}", emit)
            else:
                report.results.append(result)
                setattr(report, result.status, getattr(report, result.status) + 1)
                emit("capture_done", {**event, "status": result.status, "result": result})
        if advancing:
            catalog.put_validators(key, f"{capture.timestamp} {capture.digest}", None)


def _failed(report: BackfillReport, event: dict[str, Any], message: str,
            emit: EventHandler) -> None:
    report.failed += 1
    report.errors.append(message)
    emit("capture_done", {**event, "status": "failed", "error": message})

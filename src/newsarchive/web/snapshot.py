"""Snapshotting feeds: feed -> entries -> article pages -> drafts -> one ``add`` batch per feed.

For each :class:`FeedSpec`, :func:`run_snapshot`:

1. reads the feed: an http(s) URL is fetched conditionally (the validators kept in the store
   are sent, so an unchanged feed costs one 304 and nothing else); any other name is a local
   file. The feed URL is *trusted* (the user named it), the article links in it are not;
2. parses it (:func:`newsarchive.web.feeds.parse_feed`);
3. turns every entry into a draft: the article page is fetched and extracted
   (:func:`newsarchive.ingest.html.html_to_draft`), or with ``no_fetch`` the entry's own
   content is used. The date comes from the page, else the entry; the title and author
   likewise; the source is the spec's, else the host of the canonical URL (resolved in
   ``prepare``). Entries linking to the same page are fetched once;
4. hands the feed's drafts to the write path it is given (``add``) in one batch (one lock, one
   transaction), and counts what came back;
5. stores the feed's new validators only once its entries were all archived: a run that
   failed half-way must not make the next run skip the feed as unchanged.

Article pages are fetched conditionally too (their validators are kept like the feed's,
once the page was archived), so an unchanged page costs one 304. On a 304 for the feed
itself, the entries of the feed body archived last time (kept beside its validators) are
re-checked that way: an article edited without any change to its feed is still seen,
and an unchanged feed of N articles costs 1 + N conditional requests and no parsing of
pages. ``force=True`` fetches feeds and pages unconditionally.

Failures of one entry or one feed are recorded in its :class:`FeedReport` and the run goes
on; only errors of the store itself (locked past the wait, disk full) stop it.

Feeds are processed by up to ``workers`` threads (fetching is the slow part; each host
still gets the fetcher's politeness delay). Everything that touches the archive (adding,
reading and writing validators) is serialised by one lock, and ``on_event`` is never called
from two threads at once. Events: ``feed_start {url}``, ``entry_done {feed, url, status,
error?}`` and ``feed_done`` (the report's ``to_dict()``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.errors import FeedError, FetchError, InputError, NewsArchiveError
from newsarchive.web.feeds import entry_to_draft, parse_feed, Feed, FeedEntry
from newsarchive.web.fetch import Fetcher, Response, make_fetcher
from newsarchive.ingest.html import html_to_draft
from newsarchive.ingest.signatures import looks_like_html
from newsarchive.model import AddResult, Draft, FeedSpec
from newsarchive.config import WatchConfig
from newsarchive.text.dates import utc_now
from newsarchive.text.urls import canonical_url
from newsarchive.web.watchlist import note_check, note_fetch, plan_watched, timestamp

if TYPE_CHECKING:
    from newsarchive.ingest.noise import RuleBook
    from newsarchive.store.repository import Store

# How a snapshot archives drafts: the write path, given by the caller (the facade)
AddDrafts = Callable[[list[Draft | InputError]], list[AddResult | NewsArchiveError]]

__all__ = ["FeedReport", "FeedSpec", "StoreValidators", "fetch_article", "run_snapshot"]

EventHandler = Callable[[str, dict[str, Any]], None]
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
ENTRY_BATCH = 25  # entries archived together: progress kept, memory bounded
# Types servers send for anything; only under these (or none) is the body sniffed for HTML
_GENERIC_TYPES = ("text/plain", "application/octet-stream", "binary/octet-stream")


@dataclass
class FeedReport:
    """What one feed's snapshot did."""

    url: str
    entries: int = 0
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    failed: int = 0
    suspect: int = 0
    """Captures whose text looked like a failed extraction (kind ``extraction-suspect``)."""
    suspect_sources: dict[str, int] = field(default_factory=dict)
    """Those captures by source."""
    not_modified: bool = False
    errors: list[str] = field(default_factory=list)
    results: list[AddResult] = field(default_factory=list)
    title: str | None = None

    @property
    def ok(self) -> bool:
        """True when the feed and every entry were archived (or the feed was unchanged)."""
        return not self.errors and self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "feed": self.url,
            "title": self.title,
            "entries": self.entries,
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "suspect": self.suspect,
            "suspect_sources": dict(self.suspect_sources),
            "not_modified": self.not_modified,
            "errors": list(self.errors),
        }


class StoreValidators:
    """The store's conditional-GET validators, as :class:`newsarchive.web.fetch.Validators`."""

    def __init__(self, store: Store, lock: threading.Lock | None = None) -> None:
        self._store = store
        self._lock = lock or threading.Lock()

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        with self._lock:
            return self._store.catalog(write=True).get_validators(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            self._store.catalog(write=True).put_validators(url, etag, last_modified)


def run_snapshot(
    store: Store,
    add: AddDrafts,
    feeds: list[FeedSpec],
    *,
    fetcher: Fetcher,
    no_fetch: bool = False,
    on_event: EventHandler | None = None,
    workers: int = 4,
    force: bool = False,
    noise: RuleBook | None = None,
    clock: Callable[[], datetime] = utc_now,
    watch: WatchConfig | None = None,
) -> list[FeedReport]:
    """Snapshot every feed; one report per feed, in order. Store errors are raised.

    ``noise``: the rules whose ``drop`` selectors are removed from pages before extraction.

    Without validators of its own, ``fetcher`` uses the store's for the run. ``force``
    fetches the feeds unconditionally (their validators are still stored afterwards).
    Fetched pages are stamped with ``clock`` (UTC now) as their capture time, and their
    articles watched (:func:`newsarchive.web.watchlist.note_fetch`; a 304 counts as a
    check) under the schedule ``watch``. When the watch list was planned under another
    schedule, it is planned again first, with ``watch_planned`` events (``planned``,
    ``total``) after each batch.
    """
    store_lock = threading.Lock()
    event_lock = threading.Lock()

    def emit(name: str, data: dict[str, Any]) -> None:
        if on_event is not None:
            with event_lock:
                on_event(name, data)

    watch = watch or WatchConfig()
    if store.exists():  # before the feeds: their first new article would plan it unseen
        plan_watched(store.catalog(write=True), clock(), watch,
                     lambda done, total: emit("watch_planned", {"planned": done, "total": total}))

    own_validators = fetcher.validators is None
    if own_validators:
        fetcher.validators = StoreValidators(store, store_lock)
    run = _Run(store, add, fetcher, no_fetch, emit, store_lock, force, noise, clock, watch)
    try:
        if workers <= 1 or len(feeds) <= 1:
            return [run.feed(spec) for spec in feeds]
        with ThreadPoolExecutor(max_workers=min(workers, len(feeds))) as pool:
            return list(pool.map(run.feed, feeds))
    finally:
        if own_validators:
            fetcher.validators = None


class _Run:
    def __init__(
        self,
        store: Store,
        add: AddDrafts,
        fetcher: Fetcher,
        no_fetch: bool,
        emit: EventHandler,
        store_lock: threading.Lock,
        force: bool,
        noise: RuleBook | None,
        clock: Callable[[], datetime],
        watch: WatchConfig,
    ) -> None:
        self.store = store
        self.add = add
        self.fetcher = fetcher
        self.no_fetch = no_fetch
        self.emit = emit
        self.store_lock = store_lock
        self.force = force
        self.noise = noise
        self.clock = clock
        self.watch = watch

    def feed(self, spec: FeedSpec) -> FeedReport:
        report = FeedReport(url=spec.url)
        self.emit("feed_start", {"url": spec.url})
        try:
            response = self._read_feed(spec)
            if response is not None and response.not_modified:
                report.not_modified = True
                with self.store_lock:
                    body = self.store.catalog(write=True).feed_body(spec.url)
                if body is not None and not (self.no_fetch or spec.no_fetch):
                    feed = parse_feed(body, response.url,
                                      content_type=response.headers.get("content-type"))
                    self._entries(spec, feed, report)
            else:
                body, where, ctype = _feed_body(spec, response)
                feed = parse_feed(body, where, content_type=ctype)
                self._entries(spec, feed, report)
                if response is not None and report.ok:
                    with self.store_lock:
                        self.store.catalog(write=True).put_feed_body(spec.url, body)
                    self.fetcher.remember(spec.url, response)
        except (FeedError, FetchError) as err:
            report.errors.append(_feed_message(spec.url, err))
        self.emit("feed_done", report.to_dict())
        return report

    def _read_feed(self, spec: FeedSpec) -> Response | None:
        """The feed's HTTP response; None for a local file (read in ``_feed_body``)."""
        if not _URL_SCHEME.match(spec.url):
            return None
        if not spec.url.lower().startswith(("http://", "https://")):
            raise FeedError(spec.url, "only http(s) URLs and local files can be snapshotted")
        return self.fetcher.get(
            spec.url, trusted=spec.trusted, conditional=not self.force, remember=False
        )

    def _entries(self, spec: FeedSpec, feed: Feed, report: FeedReport) -> None:
        """Archive the feed's entries, a batch of :data:`ENTRY_BATCH` at a time: a run
        killed in a long feed keeps what it archived, and the pages held stay few."""
        report.title = feed.title
        report.entries = len(feed.entries)
        no_fetch = self.no_fetch or spec.no_fetch
        items: list[Draft | InputError] = []
        pages: dict[str, Response] = {}  # origin -> page response, remembered once archived
        seen: set[str] = set()
        for entry in feed.entries:
            key = _entry_key(entry)
            if key is not None and key in seen:
                report.entries -= 1  # the same article twice in one feed
                continue
            if key is not None:
                seen.add(key)
            try:
                if no_fetch:
                    items.append(entry_to_draft(entry, feed_url=spec.url, source=spec.source))
                else:
                    fetched = self._fetch_entry(entry, spec)
                    if fetched is None:  # 304: the page is as archived last time
                        report.unchanged += 1
                        continue
                    draft, page = fetched
                    pages[draft.origin] = page
                    items.append(draft)
            except InputError as err:
                items.append(err)
            if len(items) >= ENTRY_BATCH:
                self._archive(spec, items, pages, report)
                items, pages = [], {}
        self._archive(spec, items, pages, report)

    def _archive(self, spec: FeedSpec, items: list[Draft | InputError],
                 pages: dict[str, Response], report: FeedReport) -> None:
        if not items:
            return
        with self.store_lock:
            results = self.add(items)
        for item, result in zip(items, results, strict=True):
            origin = item.origin
            if isinstance(result, AddResult):
                report.results.append(result)
                if "extraction-suspect" in result.revision.kind:
                    report.suspect += 1
                    source = result.revision.source
                    report.suspect_sources[source] = report.suspect_sources.get(source, 0) + 1
                if origin in pages:
                    self.fetcher.remember(origin, pages[origin])
                    with self.store_lock:
                        note_fetch(self.store.catalog(write=True), result, origin,
                                   self.clock(), self.watch)
                if result.status == "added":
                    report.added += 1
                elif result.status in ("revised", "inserted"):
                    report.revised += 1
                else:
                    report.unchanged += 1
                self.emit(
                    "entry_done",
                    {"feed": spec.url, "url": origin, "status": result.status,
                     "id": result.revision.id},
                )
            else:
                report.failed += 1
                report.errors.append(str(result))
                self.emit(
                    "entry_done",
                    {"feed": spec.url, "url": origin, "status": "failed", "error": str(result)},
                )

    def _fetch_entry(self, entry: FeedEntry, spec: FeedSpec) -> tuple[Draft, Response] | None:
        """The entry's page as a draft and its response; None when it was not modified."""
        if not entry.link:
            raise InputError(entry.id or entry.title or spec.url, "the feed entry has no link")
        try:
            resp = self.fetcher.get(entry.link, trusted=False, conditional=not self.force,
                                    remember=False)
        except FetchError as err:
            raise InputError(entry.link, err.reason) from None
        if resp.not_modified:
            self._unchanged(entry.link)
            return None
        draft = page_to_draft(resp, entry.link, self.noise, spec.source)
        draft.captured_at = timestamp(self.clock())
        draft.source = spec.source
        draft.date = draft.date or entry.published
        draft.title = draft.title or entry.title
        draft.author = draft.author or entry.author
        return draft, resp

    def _unchanged(self, link: str) -> None:
        """A page answered 304: a check of its article, when it is watched."""
        try:
            key = canonical_url(link)
        except ValueError:
            return
        with self.store_lock:
            cat = self.store.catalog(write=True)
            article = cat.url_article(key)
            if article is not None:
                note_check(cat, article, self.clock(), self.watch)


def fetch_article(fetcher: Fetcher, url: str, *, trusted: bool = True,
                  noise: RuleBook | None = None) -> Draft:
    """Fetch one article page and extract it (``add URL``); InputError(url, ...) on failure.

    ``trusted``: the user named the URL (``add URL``); links from feeds are not trusted.
    """
    try:
        resp = fetcher.get(url, trusted=trusted)
    except FetchError as err:
        raise InputError(url, err.reason) from None
    return page_to_draft(resp, url, noise)


def fetch_url(url: str, *, allow_private_networks: bool = False,
              noise: RuleBook | None = None) -> Draft:
    """Fetch a page the user named (trusted) and extract its article (``add URL``)."""
    with make_fetcher(allow_private_networks=allow_private_networks, host_delay=0) as fetcher:
        return fetch_article(fetcher, url, trusted=True, noise=noise)


def page_to_draft(resp: Response, url: str, noise: RuleBook | None = None,
                  source: str | None = None) -> Draft:
    ctype = resp.content_type
    if ctype not in _HTML_TYPES and (ctype not in _GENERIC_TYPES
                                     or not looks_like_html(resp.body)):
        raise InputError(url, f"is not an HTML page ({ctype})")
    return html_to_draft(resp.body, origin=url, url=resp.url, noise=noise, source=source)


def _feed_body(spec: FeedSpec, response: Response | None) -> tuple[bytes, str, str | None]:
    """The feed's bytes, the URL to resolve its links against, and its content type."""
    if response is not None:
        return response.body, response.url, response.headers.get("content-type")
    path = Path(spec.url).expanduser()
    cap = 32 * 1024 * 1024
    try:
        with open(path, "rb") as f:
            body = f.read(cap + 1)
    except FileNotFoundError:
        raise FeedError(spec.url, "no such file") from None
    except IsADirectoryError:
        raise FeedError(spec.url, "is a directory, not a feed file") from None
    except OSError as err:
        raise FeedError(spec.url, f"cannot read ({err.strerror or err})") from None
    if len(body) > cap:
        raise FeedError(spec.url, f"is over the {cap:,}-byte cap")
    return body, spec.url, None


def _entry_key(entry: FeedEntry) -> str | None:
    if entry.link:
        try:
            return canonical_url(entry.link)
        except ValueError:
            return entry.link
    return entry.id


def _feed_message(url: str, err: FeedError | FetchError) -> str:
    """The error named by the feed as configured (not the URL a redirect led to)."""
    return f"feed {url}: {err.reason}"

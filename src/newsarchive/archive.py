"""The ``Archive`` facade: the one object the CLI and library users talk to.

Each method checks its arguments at the API's edge and delegates to one function of the
layers below (``ops/``, ``search/``, ``web/``); see docs/architecture.md. Modules that cost
start-up time (the diff engine, search, the web client, maintenance) are imported by the
methods that need them, so that ``newsarchive list`` does not load them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from newsarchive.errors import InputError, NewsArchiveError, UsageError
from newsarchive.model import KINDS, MAX_FILTER_VALUES, QUERY_TIMEOUT
from newsarchive.ops import listing
from newsarchive.store.repository import Store
from newsarchive.text.dates import Period, parse_period, parse_timestamp, utc_now

if TYPE_CHECKING:  # the model's classes too: each is made when first named (model/__init__)
    from newsarchive.model import (
        AddResult,
        Article,
        Change,
        Draft,
        GcResult,
        Problem,
        ReindexResult,
        Revision,
        StoreStats,
    )
    from newsarchive.config import NoiseConfig, WatchConfig
    from newsarchive.indexing.indexer import Indexer
    from newsarchive.ingest.noise import RuleBook
    from newsarchive.diff.compare import Diff
    from newsarchive.search.hits import Hit
    from newsarchive.web.fetch import Fetcher
    from newsarchive.web.snapshot import FeedReport, FeedSpec
    from newsarchive.web.watch import WatchReport
    from newsarchive.web.watchlist import WatchEntry

    from newsarchive.ingest.warc import WarcCounts
    from newsarchive.ops.parquet_export import ParquetExport
    from newsarchive.ops.report import ReportFiles
    from newsarchive.ops.warc_export import WarcExport
    from newsarchive.web.wayback import BackfillReport

BATCH_SIZE = 1000
WARC_BATCH = 100  # WARC captures a batch: each holds its page, so fewer than BATCH_SIZE


def open(path: str | os.PathLike[str] | None = None, *, wait: float = 60.0,  # noqa: A001
         workers: int = 1, clock: Callable[[], dt.datetime] | None = None,
         noise: Iterable[NoiseConfig] | None = None) -> Archive:
    """Open the archive at ``path``, or where SPEC 2 says (env, config, user data dir).

    ``noise``: the ``[[noise]]`` tables of a config; None: the config file's when ``path``
    is None (it is read then anyway), else none (the built-in rules only)."""
    if path is None:
        from newsarchive.config import load_config, resolve_store  # only without a path

        config = load_config(None)
        path = resolve_store(None, config)
        if noise is None:
            noise = config.noise
    return Archive(path, wait=wait, workers=workers, clock=clock, noise=noise or ())


def _require(kind: type, *, optional: bool = False, **values: Any) -> None:
    """TypeError at the API's edge for a value of the wrong type (errors from deep inside
    would name neither the parameter nor the call)."""
    for name, value in values.items():
        if value is None and optional:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"{name} must be {kind.__name__}, not {type(value).__name__}")


class Archive:
    """An archive of article revisions in one store directory."""

    def __init__(self, path: str | os.PathLike[str], *, wait: float = 60.0,
                 workers: int = 1, clock: Callable[[], dt.datetime] | None = None,
                 noise: Iterable[NoiseConfig] = (),
                 auto_pack: bool | Callable[[], bool] = True) -> None:
        """``workers`` > 1 lets bulk writes (``add`` of many drafts, ``import``,
        ``reindex``) compare each text with its predecessor in that many worker
        processes (see :mod:`newsarchive.workers`). ``clock`` (UTC now) is what the
        relative dates of filters count back from ("yesterday", "7d"). ``noise``: the
        config's ``[[noise]]`` tables (:class:`~newsarchive.config.NoiseConfig`), used with
        the built-in rules by every write and by ``reindex`` (see docs/cron.md); the
        library never reads the config file itself. ``auto_pack`` (on by default): each
        add ends by packing the loose objects once there are many and merging the small
        packs (docs/storage.md, "Packs merged as they accumulate"); off, they are left
        for ``gc``. A function is asked at each add (the CLI reads the config only
        then)."""
        if not str(path).strip():  # an unset variable, say: not the current directory
            raise UsageError("the archive path is empty")
        self.store = Store(Path(path), wait=wait)
        self._workers = workers
        self._noise_tables = noise  # read when a write or an extraction needs the rules
        self._noise: RuleBook | None = None
        self._indexer: Indexer | None = None
        self.store.upgrade = self._upgrade
        self.clock = clock or utc_now
        self.auto_pack = auto_pack
        self._fetchers: dict[tuple[bool, float], Fetcher] = {}

    def _upgrade(self) -> None:
        """Bring a store written by an older newsarchive up to date: a reindex (which
        writes the journal first; see :mod:`newsarchive.ops.reindex`)."""
        from newsarchive.ops.reindex import reindex  # rare: start-up time

        reindex(self.store, self.indexer)

    @property
    def indexer(self) -> Indexer:
        """What derives and inserts revision rows: made by the writes that need it (reads
        do not import it, nor the write path behind it: start-up time)."""
        if self._indexer is None:
            from newsarchive.indexing.indexer import Indexer  # writes only: start-up time
            from newsarchive.workers import Workers  # writes only: start-up time

            self._indexer = Indexer(Workers(self._workers), self.noise)
        return self._indexer

    @property
    def noise(self) -> RuleBook:
        """The noise rules (the built-in ones and the config's tables), made when a write,
        a reindex or an HTML extraction first needs them: reads do not import them."""
        if self._noise is None:
            from newsarchive.ingest.noise import RuleBook  # writes only: start-up time

            self._noise = RuleBook(self._noise_tables)
        return self._noise

    @property
    def path(self) -> Path:
        return self.store.root

    def close(self) -> None:
        for fetcher in self._fetchers.values():
            fetcher.close()
        self._fetchers.clear()
        self.store.close()

    def _fetcher(self, allow_private_networks: bool, host_delay: float) -> Fetcher:
        """The web client of this archive: one for its lifetime (per setting), so that the
        politeness delay of a host holds across ``snapshot`` and ``watch_run``."""
        key = (allow_private_networks, host_delay)
        if key not in self._fetchers:
            from newsarchive.web.fetch import make_fetcher  # the web client: start-up time

            self._fetchers[key] = make_fetcher(allow_private_networks=allow_private_networks,
                                               host_delay=host_delay)
        return self._fetchers[key]

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> None:
        """Create the store (adding creates it too)."""
        self.store.catalog(write=True)

    # -- writing ----------------------------------------------------------------------
    def add(self, text: str, *, id: str | None = None,  # noqa: A002 (the ID's own name)
            source: str | None = None, date: str | None = None,
            url: str | None = None, title: str | None = None, slug: str | None = None,
            author: str | None = None, captured_at: str | None = None,
            original: bytes | None = None, original_type: str | None = None) -> AddResult:
        """Archive one capture of an article; raises InputError when it cannot be archived.

        The article is the one ``id`` names, else the one captured at ``url`` before,
        else a new one named from ``slug``, the URL or the title (see ``add --help``);
        ``captured_at`` places it in the article's history (default: now)."""
        _require(str, text=text)
        _require(str, optional=True, id=id, source=source, date=date, url=url, title=title,
                 slug=slug, author=author, captured_at=captured_at,
                 original_type=original_type)
        _require(bytes, optional=True, original=original)
        from newsarchive.ingest.prepare import apply_overrides  # writes only: start-up time
        from newsarchive.model import Draft  # a class made when first named: start-up time

        draft = Draft(text=text, origin="<text>", original=original, original_type=original_type)
        apply_overrides(draft, id=id, source=source, date=date, url=url, title=title, slug=slug,
                        author=author, captured_at=captured_at)
        (result,) = self.add_drafts([draft])
        if isinstance(result, NewsArchiveError):
            raise result
        return result

    def add_drafts(
        self, drafts: Iterable[Draft | InputError]
    ) -> list[AddResult | NewsArchiveError]:
        return list(self.add_stream(drafts))

    def add_stream(
        self, drafts: Iterable[Draft | InputError], *, batch_size: int = BATCH_SIZE,
        on_progress: Callable[[], None] | None = None,
    ) -> Iterator[AddResult | NewsArchiveError]:
        """Archive drafts in batches; yield each result (or input error) in input order.

        A result is yielded only after its batch is committed, so every ``AddResult``
        seen by the caller is on disk. Errors of the store itself (disk full, lock
        timeout) are raised, not yielded: they stop the run. ``on_progress`` is called
        as each input is worked through (before its batch commits), for progress displays.
        Once the last result is taken, the add packs its loose objects and merges small
        packs (unless ``auto_pack`` is off).
        """
        from newsarchive.ops.add import add_stream  # writes only: start-up time

        return add_stream(self.store, self.indexer, drafts, batch_size=batch_size,
                          on_progress=on_progress, auto_pack=self._auto_pack())

    def _auto_pack(self) -> bool:
        return self.auto_pack() if callable(self.auto_pack) else self.auto_pack

    def import_(
        self, drafts: Iterable[Draft | InputError]
    ) -> Iterator[AddResult | NewsArchiveError]:
        """Archive records read back from ``export`` (each verified against its hash)."""
        return self.add_stream(drafts)

    # -- reading ----------------------------------------------------------------------
    def blob(self, oid: str) -> bytes:
        """A stored text or original, verified; IntegrityError when corrupt or missing."""
        return self.store.blob(oid)

    def text_of(self, text_hash: str) -> str:
        """A stored text by content hash, verified; IntegrityError when corrupt or missing."""
        return self.store.text_of(text_hash)

    def get(self, ref: str) -> Revision:
        """The revision a reference names (SPEC 3)."""
        _require(str, ref=ref)
        return listing.get(self.store, ref)

    def log(self, ref: str) -> list[Revision]:
        """Every revision of the article ``ref`` names, newest first."""
        _require(str, ref=ref)
        return listing.log(self.store, ref)

    def show(self, ref: str) -> str:
        """The canonical text of a revision (verified against its hash)."""
        return self.store.text_of(self.get(ref).hash)

    def original(self, ref: str) -> tuple[bytes, str | None]:
        """The stored original input of a revision and its media type."""
        _require(str, ref=ref)
        return listing.original(self.store, ref)

    def articles(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                 until: str | None = None, changed: bool = False,
                 kind: str | Sequence[str] | None = None, limit: int | None = None,
                 timeout: float | None = QUERY_TIMEOUT) -> list[Article]:
        """Articles, newest change first, filtered as ``list``; QueryTimeout when the
        query runs longer than ``timeout`` seconds (None: no limit)."""
        if limit is not None:
            _require(int, limit=limit)
        return listing.articles(self.store, **self._filters(source, since, until, kind),
                                changed=changed, limit=limit, timeout=_seconds(timeout))

    def revisions(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                  until: str | None = None, changed: bool = False,
                  kind: str | Sequence[str] | None = None,
                  limit: int | None = None) -> Iterator[Revision]:
        """Every revision, by article ID then number (the order of ``export``), of the
        articles that ``articles()`` selects with the same filters."""
        if limit is not None:
            _require(int, limit=limit)
        return listing.revisions(self.store, **self._filters(source, since, until, kind),
                                 changed=changed, limit=limit)

    def diff(self, a: str, b: str | None = None, *, by: str = "word") -> Diff:
        """The diff of revision ``a`` against ``b``; one ref: against its predecessor."""
        return listing.diff(self.store, a, b, by=by)

    def search(self, query: str, *, source: str | Sequence[str] | None = None,
               since: str | None = None, until: str | None = None, limit: int = 20,
               all_revisions: bool = False, removed: bool = False, added: bool = False,
               markers: tuple[str, str] = ("[", "]"),
               edit_markers: tuple[str, str, str, str] = ("[-", "-]", "{+", "+}"),
               timeout: float | None = QUERY_TIMEOUT) -> list[Hit]:
        """Full-text search, best first; see :mod:`newsarchive.search`. QueryError for a
        malformed or oversized query, QueryTimeout when it runs longer than ``timeout``
        seconds (None: no limit). ``markers`` wrap the matches in snippets; with
        ``removed``/``added`` a snippet is the edited sentence, its removed text
        between the first two ``edit_markers`` and its added text between the last two."""
        _require(str, query=query)
        _require(int, limit=limit)
        from newsarchive.search.hits import search  # start-up time

        f = self._filters(source, since, until, None)
        return search(self.store, query, sources=f["sources"], since=f["since"],
                      until=f["until"], limit=limit, all_revisions=all_revisions,
                      removed=removed, added=added, markers=markers,
                      edit_markers=edit_markers, timeout=_seconds(timeout))

    def changes(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                until: str | None = None, kind: str | Sequence[str] | None = None,
                limit: int = 50, timeout: float | None = QUERY_TIMEOUT) -> list[Change]:
        """Recent revisions across the archive with their kinds, newest first;
        QueryTimeout when selecting them takes longer than ``timeout`` seconds."""
        _require(int, limit=limit)
        from newsarchive.ops.changes import changes  # start-up time of the other commands

        return changes(self.store, lambda: self.indexer,
                       **self._filters(source, since, until, kind, captured=True),
                       limit=limit,
                       timeout=_seconds(timeout))

    def changes_report(self, changes: Sequence[Change], fmt: str = "atom") -> str:
        """The changes as an Atom feed (``fmt="atom"``) or a static HTML page (``"html"``),
        each change at a glance (its changed passages, not the article)."""
        from newsarchive.changes.feed import to_atom  # start-up time
        from newsarchive.changes.report import to_html_report

        def diff_of(c: Change) -> Diff:
            return listing.diff_revisions(self.store, c.previous, c.revision)

        if fmt == "atom":
            return to_atom(changes, diff_of, store_key=self.path.as_posix())
        if fmt == "html":
            return to_html_report(changes, diff_of)
        raise UsageError(f"unknown report format {fmt!r} (atom or html)")

    def write_changes_report(self, changes: Sequence[Change], directory: str | os.PathLike[str],
                             fmt: str = "html") -> ReportFiles:
        """Write the report (``index.html``, or ``changes.atom``) into ``directory`` with a
        full side-by-side diff page for each change, linked from it (see
        :mod:`newsarchive.ops.report`)."""
        from newsarchive.ops.report import write_report  # the diff engine: start-up time

        return write_report(self.store, changes, Path(directory), fmt,
                            store_key=self.path.as_posix())

    def snapshot(self, feeds: str | FeedSpec | Sequence[str | FeedSpec], *, no_fetch: bool = False,
                 force: bool = False, allow_private_networks: bool = False,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None,
                 watch: WatchConfig | None = None, host_delay: float = 1.0,
                 ) -> list[FeedReport]:
        """Archive every article of RSS/Atom/JSON feeds (URLs or files); a report a feed.

        See :mod:`newsarchive.web.snapshot`. Failures of a feed or an entry are in its
        report; only store errors (locked past the wait, disk full) are raised. Every
        article fetched is watched (``watch``: the schedule; see :meth:`watch_run`, which
        ``newsarchive snapshot`` calls next). ``host_delay``: seconds between two requests
        to one host.
        """
        from newsarchive.web.snapshot import FeedSpec, run_snapshot  # start-up time

        if isinstance(feeds, (str, FeedSpec)):  # one feed, not a sequence of characters
            feeds = [feeds]
        specs = [f if isinstance(f, FeedSpec) else FeedSpec(url=f) for f in feeds]
        return run_snapshot(self.store, self.add_drafts, specs,
                            fetcher=self._fetcher(allow_private_networks, host_delay),
                            no_fetch=no_fetch, on_event=on_event, force=force,
                            clock=self.clock, watch=watch, noise=self.noise)

    def suspect_warnings(self, sources: Iterable[str], *,
                         period: dt.timedelta = dt.timedelta(days=1)) -> list[str]:
        """One warning line per source (of ``sources``) whose captures over the last
        ``period`` (back from the clock's now) all looked like failed extractions."""
        from newsarchive.ops.health import suspect_warnings  # snapshot only: start-up time

        return suspect_warnings(self.store, sources, since=self.clock() - period)

    # -- watching (docs/cron.md) ------------------------------------------------------------
    def watch_run(self, *, everything: bool = False, max_fetches: int | None = None,
                  watch: WatchConfig | None = None, allow_private_networks: bool = False,
                  host_delay: float = 1.0,
                  on_event: Callable[[str, dict[str, Any]], None] | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  ) -> WatchReport:
        """Revisit the watched articles that are due under the schedule ``watch`` (every
        one with ``everything``), most overdue first, within ``max_fetches`` and the time
        budget; see :mod:`newsarchive.web.watch`. A 404/410 twice in a row is a ``removed``
        revision, a page back after it ``restored``. ``on_progress(planned, total)`` is
        called while the run plans every watched article again (the first run under a
        changed ``[watch]`` schedule, or after an upgrade or ``reindex``)."""
        if max_fetches is not None:
            _require(int, max_fetches=max_fetches)
            if max_fetches < 1:
                raise UsageError("max_fetches must be at least 1")
        from newsarchive.web.watch import run_watch  # the web client: start-up time

        return run_watch(self.store, self.add_drafts, self._mark,
                         fetcher=self._fetcher(allow_private_networks, host_delay),
                         clock=self.clock, config=watch, max_fetches=max_fetches,
                         everything=everything, on_event=on_event, noise=self.noise,
                         on_progress=on_progress)

    def _mark(self, article: str, event: str, detail: str | None,
              captured_at: str) -> AddResult:
        from newsarchive.ops.events import record_event  # writes only: start-up time

        return record_event(self.store, self.indexer, article, event,  # type: ignore[arg-type]
                            detail, captured_at)

    def record_event(self, ref: str, event: str, *, detail: str | None = None,
                     captured_at: str | None = None) -> AddResult:
        """Record what a watch saw of an article's URL (``removed``, ``restored`` or
        ``redirected``) as a capture showing its latest text unchanged, at ``captured_at``
        (default: the clock's now); see :mod:`newsarchive.ops.events`."""
        from newsarchive.web.watchlist import timestamp  # the watch code: start-up time

        _require(str, ref=ref, event=event)
        from newsarchive.store.records import EVENTS  # writes only: start-up time of reads

        if event not in EVENTS:
            raise UsageError(f"unknown event {event!r} ({', '.join(EVENTS)})")
        when = (parse_timestamp(captured_at, "captured_at") if captured_at is not None
                else timestamp(self.clock()))
        return self._mark(self.get(ref).id, event, detail, when)

    def watch_list(self, *, watch: WatchConfig | None = None) -> list[WatchEntry]:
        """The watched articles with their next due time under ``watch``, the next due
        first, then those the schedule is done with, then those stopped."""
        from newsarchive.web.watchlist import list_watched  # start-up time

        return list_watched(self.store.catalog(), self.clock(), watch)

    def watch_add(self, target: str, *, watch: WatchConfig | None = None,
                  allow_private_networks: bool = False) -> WatchEntry:
        """Watch an article: ``target`` is an archived article's ID (or reference), or a
        URL (one not archived yet is fetched and added first, as ``add URL`` does)."""
        from newsarchive.text.urls import canonical_url  # start-up time
        from newsarchive.web.watchlist import timestamp, watch_article  # start-up time

        _require(str, target=target)
        article: str | None = None
        url: str | None = None
        if target.lower().startswith(("http://", "https://")):
            try:
                article = self.store.catalog().url_article(canonical_url(target)) \
                    if self.store.exists() else None
            except ValueError:
                raise UsageError(f"{target}: not a URL that can be fetched") from None
            url = target
            if article is None:
                draft = self.fetch(target, allow_private_networks=allow_private_networks)
                draft.captured_at = draft.captured_at or timestamp(self.clock())
                (result,) = self.add_drafts([draft])
                if isinstance(result, NewsArchiveError):
                    raise result
                self.watch_fetched(result, target, watch=watch)
                article = result.revision.id
        else:
            rev = self.get(target)
            article, url = rev.id, rev.url
            if not url or not url.lower().startswith(("http://", "https://")):
                raise UsageError(f"{article} has no http(s) URL to watch")
        return watch_article(self.store.catalog(write=True), article, url, self.clock(), watch)

    def watch_fetched(self, result: AddResult, url: str, *,
                      watch: WatchConfig | None = None) -> None:
        """Watch the article of a page fetched from ``url`` and archived (``add URL``), or
        count it as a check of the article when it is watched already."""
        from newsarchive.web.watchlist import note_fetch  # start-up time

        note_fetch(self.store.catalog(write=True), result, url, self.clock(), watch)

    def watch_stop(self, ref: str, *, watch: WatchConfig | None = None) -> WatchEntry:
        """Stop watching an article (its ID or a reference); InputError when it is not
        watched. ``watch_add`` watches it again."""
        from newsarchive.web.watchlist import stop_watching  # start-up time

        _require(str, ref=ref)
        article = self.get(ref).id
        entry = stop_watching(self.store.catalog(write=True), article, self.clock(), watch)
        if entry is None:
            raise InputError(article, "is not watched")
        return entry

    def notify(self, urls: Sequence[str], revisions: Iterable[Revision], *,
               kinds: Sequence[str] | None = None, timeout: float = 10.0) -> list[str]:
        """Send the revisions of a run whose kinds are wanted to Apprise URLs, one message
        each; returns warnings (never raises for a delivery problem, returns within about
        ``timeout`` seconds). See :mod:`newsarchive.web.notify`."""
        from newsarchive.web.notify import send_changes  # start-up time

        return send_changes(list(urls), revisions, kinds=kinds, timeout=timeout)

    def fetch(self, url: str, *, allow_private_networks: bool = False) -> Draft:
        """Fetch a page the user named and extract its article, as ``add URL`` does
        (InputError naming the URL when it cannot be fetched or holds no article)."""
        from newsarchive.web.snapshot import fetch_url  # the web client: start-up time

        return fetch_url(url, allow_private_networks=allow_private_networks, noise=self.noise)

    # -- export / import ----------------------------------------------------------------
    def export(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
               until: str | None = None, changed: bool = False,
               kind: str | Sequence[str] | None = None,
               limit: int | None = None) -> Iterator[dict[str, Any]]:
        """One JSON-ready record per revision, with text and original (SPEC 6 export),
        of the articles ``articles()`` selects with the same filters. A revision whose text
        cannot be read stops it (IntegrityError); to go on past one, call
        :meth:`export_record` for each of :meth:`revisions` (as the command does)."""
        for rev in self.revisions(source=source, since=since, until=until, changed=changed,
                                  kind=kind, limit=limit):
            yield self.export_record(rev)

    def export_record(self, rev: Revision) -> dict[str, Any]:
        """The export record of one revision; IntegrityError when its text is unreadable."""
        return listing.export_record(self.store, rev)

    # -- the web-archiving world's formats (docs/interop.md) ---------------------------
    def import_warc(self, paths: Sequence[str | os.PathLike[str]], *,
                    counts: WarcCounts | None = None,
                    ) -> Iterator[AddResult | NewsArchiveError]:
        """Archive every HTML capture of WARC/WACZ files (see :mod:`newsarchive.ingest.warc`);
        ``counts`` is filled in with what the records were."""
        from newsarchive.ingest.warc import read_warcs  # warcio: start-up time

        return self.add_stream(read_warcs(paths, counts, self.noise), batch_size=WARC_BATCH)

    def export_warc(self, out: IO[bytes], *, gzip: bool = True,
                    source: str | Sequence[str] | None = None, since: str | None = None,
                    until: str | None = None, changed: bool = False,
                    kind: str | Sequence[str] | None = None,
                    limit: int | None = None) -> WarcExport:
        """Write the revisions ``export`` selects as WARC records to ``out`` (see
        :mod:`newsarchive.ops.warc_export`)."""
        from newsarchive.ops.warc_export import write_warc  # warcio: start-up time

        return write_warc(self.store, self.revisions(source=source, since=since, until=until,
                                                     changed=changed, kind=kind, limit=limit),
                          out, gzip=gzip)

    def export_parquet(self, directory: str | os.PathLike[str], *,
                       source: str | Sequence[str] | None = None, since: str | None = None,
                       until: str | None = None, changed: bool = False,
                       kind: str | Sequence[str] | None = None,
                       limit: int | None = None) -> ParquetExport:
        """Write the revisions ``export`` selects as a Parquet dataset in ``directory``
        (see :mod:`newsarchive.ops.parquet_export`; needs the ``[parquet]`` extra)."""
        from newsarchive.ops.parquet_export import write_parquet  # pyarrow: start-up time

        return write_parquet(self.store, self.revisions(
            source=source, since=since, until=until, changed=changed, kind=kind, limit=limit),
            Path(directory))

    def backfill(self, urls: Sequence[str], *, all_articles: bool = False,
                 since: str | None = None, until: str | None = None,
                 wayback_url: str = "https://web.archive.org", delay: float = 1.0,
                 allow_private_networks: bool = False,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None,
                 ) -> list[BackfillReport]:
        """Add the Wayback Machine's captures of URLs (or of every archived article) as
        backfilled revisions (see :mod:`newsarchive.web.wayback`); a report a URL."""
        from newsarchive.web.wayback import run_backfill  # the web client: start-up time

        targets = list(urls)
        if all_articles:
            targets += [a.url for a in self.articles() if a.url]
        since = self._period(since, "--from", lambda p: p.digits())
        until = self._period(until, "--to", lambda p: p.digits(end=True))
        return run_backfill(self.store, self.add_drafts, targets, since=since, until=until,
                            wayback_url=wayback_url, delay=delay,
                            allow_private_networks=allow_private_networks, on_event=on_event,
                            noise=self.noise)

    # -- filters ---------------------------------------------------------------------
    def _filters(self, source: str | Sequence[str] | None, since: str | None,
                 until: str | None, kind: str | Sequence[str] | None, *,
                 captured: bool = False) -> dict[str, Any]:
        """The shared filters, checked and parsed: sources, since, until, kinds. Dates
        take every form of :func:`newsarchive.text.dates.parse_period`; they bound the
        publication date (a day), or with ``captured`` the capture time (a second)."""
        if captured:
            lo = self._period(since, "--since", lambda p: p.first_second)
            hi = self._period(until, "--until", lambda p: p.last_second)
        else:
            lo = self._period(since, "--since", lambda p: p.first_day)
            hi = self._period(until, "--until", lambda p: p.last_day)
        return {"sources": _sources(_as_list(source, "--source")), "since": lo, "until": hi,
                "kinds": _kinds(_as_list(kind, "--kind"))}

    def _period(self, value: str | None, option: str,
                bound: Callable[[Period], str]) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{option.strip('-')} must be str, not {type(value).__name__}")
        return bound(parse_period(value, option, now=self.clock()))

    # -- maintenance ------------------------------------------------------------------
    def stats(self) -> StoreStats:
        from newsarchive.ops.stats import store_stats  # maintenance: start-up time

        return store_stats(self.store)

    def check(self, *, repair: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> list[Problem]:
        """Every problem found (see ``newsarchive check``); ``on_progress(done, total)``
        as each object is read."""
        from newsarchive.ops.check import check  # maintenance: start-up time

        return check(self.store, self.indexer, repair=repair, on_progress=on_progress)

    def reindex(self, *, on_progress: Callable[[int, int], None] | None = None,
                ) -> ReindexResult:
        """Rebuild the catalog from the objects; ``on_progress(done, total)`` after each
        revision."""
        from newsarchive.ops.reindex import reindex  # maintenance: start-up time

        return reindex(self.store, self.indexer, on_progress)

    def gc(self, *, grace: float = 3600.0,
           on_progress: Callable[[int, int], None] | None = None) -> GcResult:
        """Remove what nothing refers to, repack; ``on_progress(done, total)`` as each
        object is repacked."""
        from newsarchive.ops.gc import gc  # maintenance: start-up time

        return gc(self.store, self.indexer, grace=grace, on_progress=on_progress)


def _sources(given: list[str]) -> list[str]:
    """Source filters in the form sources are stored in (``www.x`` is ``x``)."""
    if not given:
        return given
    from newsarchive.text.names import normalize_source  # with sources only: start-up time

    return [normalize_source(s) or s for s in given]


def _kinds(given: list[str]) -> list[str]:
    unknown = [k for k in given if k not in KINDS]
    if unknown:
        raise UsageError(f"unknown kind {unknown[0]!r} (one of {', '.join(KINDS)})")
    return given


def _as_list(value: str | Sequence[str] | None, option: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    values = list(dict.fromkeys(value))  # once each, in order
    if len(values) > MAX_FILTER_VALUES:
        raise UsageError(f"{option} names {len(values):,} values; at most "
                         f"{MAX_FILTER_VALUES} are allowed")
    return values


def _seconds(value: float | None) -> float | None:
    """A time budget: None or 0 for no limit, else a positive finite number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {type(value).__name__}")
    if value != value or value < 0 or value == float("inf"):
        raise UsageError(f"timeout must be 0 (no limit) or a positive number of seconds, "
                         f"not {value!r}")
    return float(value) or None

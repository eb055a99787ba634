"""The ``Archive`` facade: the one object the CLI and library users talk to.

Data flow of ``add`` (DESIGN "The shape"): drafts are prepared (canonical text, ID) in
batches. A small batch writes its texts as loose objects without the lock (same content,
same name); then, under the store's write lock, each draft is compared with its
article's head, its revision record is written, and the catalog rows and search entries
of the whole batch are committed in one SQLite transaction. A batch of
``PACK_THRESHOLD`` or more drafts writes everything under the lock into one new pack,
texts as deltas against their heads, with one fsync. Objects are durable before the
commit, so a crash leaves at most unreferenced objects, which ``gc`` removes and
``check`` lists as notes, not damage.
"""

from __future__ import annotations

import base64
import collections
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, Union

from newsarchive import faults, refs
from newsarchive.errors import (
    InputError,
    IntegrityError,
    NewsArchiveError,
    StoreError,
    UsageError,
)
from newsarchive.model import AddResult, Article, Draft, Problem, Revision, Status
from newsarchive.prepare import Prepared, apply_overrides, now_precise, parse_date, prepare_all
from newsarchive.records import Record
from newsarchive.store.catalog import Catalog
from newsarchive.store.packs import PackWriter
from newsarchive.store.repository import Store
from newsarchive.text import count_words
from newsarchive.workers import Workers

if TYPE_CHECKING:
    from concurrent.futures import Future

    from newsarchive.derive import Prefetch

    from newsarchive.diffing import Diff
    from newsarchive.changes import Change
    from newsarchive.search import Hit
    from newsarchive.snapshot import FeedReport, FeedSpec
    from newsarchive.ingest.warc import WarcCounts
    from newsarchive.ops.parquet_export import ParquetExport
    from newsarchive.ops.warc_export import WarcExport
    from newsarchive.web.wayback import BackfillReport

RowLike = Union[sqlite3.Row, Mapping[str, Any]]  # a catalog row, or the values just inserted
BATCH_SIZE = 1000
PACK_THRESHOLD = 16  # batches of at least this many inputs are written as one pack
PREPARE_CHUNK = 50  # drafts per task of a worker process
PREPARE_AHEAD = 4  # prepare tasks queued ahead: more would delay the comparisons behind them
WARC_BATCH = 100  # WARC captures a batch: each holds its page, so fewer than BATCH_SIZE


class ObjectSink(Protocol):
    def put(self, kind: str, payload: bytes, base: str | None = None) -> str: ...


def open(path: str | os.PathLike[str] | None = None, *, wait: float = 60.0,  # noqa: A001
         workers: int = 1) -> Archive:
    """Open the archive at ``path``, or where SPEC 2 says (env, config, user data dir)."""
    if path is None:
        from newsarchive.config import load_config, resolve_store

        path = resolve_store(None, load_config(None))
    return Archive(path, wait=wait, workers=workers)


def row_to_revision(row: RowLike) -> Revision:
    source, date, slug = row["article"].split("/")
    return Revision(
        id=row["article"], number=row["number"], hash=row["text_hash"], title=row["title"],
        source=source, date=date, slug=slug, url=row["url"], captured_at=row["captured_at"],
        author=row["author"], record=row["record"], original=row["original"],
        original_type=row["original_type"], words=row["words"],
        words_added=row["words_added"], words_removed=row["words_removed"],
        reverts=row["reverts"], kind=tuple(row["kind"].split()),
        damaged=bool(row["damaged"]), flipflop=bool(row["flipflop"]),
    )


def _require(kind: type, *, optional: bool = False, **values: Any) -> None:
    """TypeError at the API's edge for a value of the wrong type (errors from deep inside
    would name neither the parameter nor the call)."""
    for name, value in values.items():
        if value is None and optional:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"{name} must be {kind.__name__}, not {type(value).__name__}")


def row_to_article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"], source=row["source"], date=row["date"], slug=row["slug"],
        title=row["title"], url=row["url"], revisions=row["revisions"],
        first_captured=row["first_captured"], last_captured=row["last_captured"],
        hash=row["hash"], words=row["words"],
    )


class Archive:
    """An archive of article revisions in one store directory."""

    def __init__(self, path: str | os.PathLike[str], *, wait: float = 60.0,
                 workers: int = 1) -> None:
        """``workers`` > 1 lets bulk writes (``add`` of many drafts, ``import``,
        ``reindex``) compare each text with its predecessor in that many worker
        processes (see :mod:`newsarchive.workers`)."""
        if not str(path).strip():  # an unset variable, say: not the current directory
            raise UsageError("the archive path is empty")
        self.store = Store(Path(path), wait=wait)
        self._workers = Workers(workers)
        self._ahead: Prefetch | None = None

    @property
    def _prefetch(self) -> Prefetch:
        if self._ahead is None:  # derive is imported by writes only (start-up time)
            from newsarchive.derive import Prefetch

            self._ahead = Prefetch(self._workers)
        return self._ahead

    @property
    def path(self) -> Path:
        return self.store.root

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> None:
        """Create the store (adding creates it too)."""
        self.store.catalog(write=True)

    # -- writing ----------------------------------------------------------------------
    def add(self, text: str, *, source: str | None = None, date: str | None = None,
            url: str | None = None, title: str | None = None, slug: str | None = None,
            author: str | None = None, captured_at: str | None = None,
            original: bytes | None = None, original_type: str | None = None) -> AddResult:
        """Archive one article text; raises InputError when it cannot be archived."""
        _require(str, text=text)
        _require(str, optional=True, source=source, date=date, url=url, title=title, slug=slug,
                 author=author, captured_at=captured_at, original_type=original_type)
        _require(bytes, optional=True, original=original)
        draft = Draft(text=text, origin="<text>", original=original, original_type=original_type)
        apply_overrides(draft, source=source, date=date, url=url, title=title, slug=slug,
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
        """
        batch: list[Prepared | InputError] = []
        try:
            for item in self._prepared(drafts):
                batch.append(item)
                if len(batch) >= batch_size:
                    yield from self._add_batch(batch, on_progress)
                    batch = []
            if batch:
                yield from self._add_batch(batch, on_progress)
        finally:
            self._workers.close()

    def _prepared(self, drafts: Iterable[Draft | InputError],
                  ) -> Iterator[Prepared | InputError]:
        """The drafts prepared, in input order: by worker processes when there are many,
        a few chunks ahead of the batch being written."""
        it = iter(drafts)
        chunk = list(itertools.islice(it, PREPARE_CHUNK))
        if not self._workers.parallel or len(chunk) < PREPARE_CHUNK:
            for item in itertools.chain(chunk, it):
                yield from prepare_all([item])
            return
        ahead: collections.deque[tuple[Future[list[Prepared | InputError]],
                                       list[Draft | InputError]]] = collections.deque()
        while chunk or ahead:
            if chunk:
                ahead.append((self._workers.submit(prepare_all, chunk), chunk))
                chunk = list(itertools.islice(it, PREPARE_CHUNK))
            if len(ahead) >= PREPARE_AHEAD or not chunk:
                future, drafts_of_it = ahead.popleft()
                try:
                    prepared = future.result()
                except Exception:  # a worker died: prepare these here
                    prepared = prepare_all(drafts_of_it)
                yield from prepared

    def _add_batch(self, batch: list[Prepared | InputError],
                   on_progress: Callable[[], None] | None = None,
                   ) -> list[AddResult | NewsArchiveError]:
        goods = [p for p in batch if isinstance(p, Prepared)]
        if not goods:
            return list(batch)  # type: ignore[arg-type]
        self.store.catalog(write=True)  # creates the store and catalog on first write
        objects = self.store.objects
        bulk = len(goods) >= PACK_THRESHOLD
        try:
            if not bulk:
                for p in goods:  # loose blobs need no lock: same content, same name
                    objects.put("blob", p.text.encode("utf-8"))
                    if p.original is not None:
                        objects.put("blob", p.original)
            results: dict[int, AddResult | InputError] = {}
            with self.store.locked():
                cat = self.store.catalog(write=True)
                # a batch goes into one new pack, its texts as deltas against their heads
                sink: ObjectSink = self.store.pack_writer() if bulk else objects
                texts = {p.hash: p.text for p in goods}  # heads may be in the unfinished pack
                if bulk:
                    self._predict(cat, goods, texts)
                cat.begin()
                try:
                    for i, item in enumerate(batch):
                        if isinstance(item, Prepared):
                            results[i] = self._add_one(cat, item, sink, texts)
                        if on_progress is not None:
                            on_progress()
                    if isinstance(sink, PackWriter):
                        sink.finish()  # one fsync for the whole batch
                    faults.point("before-commit")
                    cat.commit()
                    faults.point("after-commit")
                except BaseException:
                    cat.rollback()
                    if isinstance(sink, PackWriter):
                        sink.abort()
                    raise
                finally:
                    self._prefetch.clear()
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot update the catalog ({err})") from err
        except OSError as err:
            raise StoreError(f"{self.path}: cannot write ({err.strerror or err})") from err
        return [results[i] if i in results else p for i, p in enumerate(batch)]  # type: ignore[misc]

    def _predict(self, cat: Catalog, goods: list[Prepared], texts: dict[str, str]) -> None:
        """Start comparing each text with the one it will most likely follow (its
        article's head, or the batch's previous text of the same article)."""
        if not self._workers.parallel:
            return
        last: dict[str, str | None] = {}
        pairs: list[tuple[str, str]] = []
        for p in goods:
            if p.id not in last:
                head = cat.head(p.id)
                if head is not None and head["text_hash"] not in texts:
                    texts[head["text_hash"]] = self.text_of(head["text_hash"])
                last[p.id] = texts[head["text_hash"]] if head is not None else None
            prev = last[p.id]
            if prev is not None:
                pairs.append((prev, p.text))
            last[p.id] = p.text
        self._prefetch.submit(pairs)

    def _add_one(self, cat: Catalog, p: Prepared, sink: ObjectSink,
                 texts: dict[str, str]) -> AddResult | InputError:
        head = cat.head(p.id)
        if head is not None and head["text_hash"] == p.hash and head["title"] == p.title:
            return AddResult("unchanged", row_to_revision(head), p.origin)
        number = head["number"] + 1 if head is not None else 1  # the one this would be
        same = None  # a revision we hold already: not a new one, nor a revert
        if p.revision is not None:  # an import: the revision of that number
            same = cat.revision(p.id, p.revision) if head is not None else None
            if same is not None and (same["text_hash"], same["title"]) != (p.hash, p.title):
                same = None
            if same is None and p.revision > number:
                return InputError(p.origin, f"revision {p.revision} of {p.id} comes before "
                                            f"@{number}: import records in order")
        elif head is not None and p.captured_given:  # the same capture again (a re-run)
            same = cat.same_capture(p.id, p.hash, p.title, p.captured_at)
        if same is not None:
            return AddResult("unchanged", row_to_revision(same), p.origin)
        # (again: a loose blob may have been removed by a gc that raced us; no-op otherwise)
        sink.put("blob", p.text.encode("utf-8"), base=head["text_hash"] if head else None)
        original_oid = None
        if p.original is not None:
            original_oid = sink.put("blob", p.original, base=head["original"] if head else None)
        record = Record(
            article=p.id, number=number, parent=head["record"] if head is not None else None,
            text=p.hash, original=original_oid, original_type=p.original_type, title=p.title,
            url=p.url, date=p.date, source=p.source, author=p.author,
            captured_at=p.captured_at, recorded_at=now_precise(),
        )
        record_oid = sink.put("record", record.to_bytes(), base=record.parent)
        faults.point("record-written")
        prev_text = None
        if head is not None:
            prev_text = texts.get(head["text_hash"]) or self.text_of(head["text_hash"])
        row = self._catalog_insert(cat, record, record_oid, p.text, prev_text,
                                   head["title"] if head is not None else None)
        status: Status = "added" if head is None else "revised"
        return AddResult(status, row_to_revision(row), p.origin)

    def _catalog_insert(self, cat: Catalog, record: Record, record_oid: str, text: str,
                        prev_text: str | None, prev_title: str | None,
                        damaged: bool = False) -> RowLike:
        """Insert one revision's rows (derived fields computed here); returns its row."""
        from newsarchive.derive import derive_revision

        earlier = cat.revisions_of(record.article)
        history = [(r["text_hash"], r["title"]) for r in earlier]
        reverts = None
        if history and record.text != history[-1][0]:  # the earliest revision with this text
            reverts = next((r["number"] for r in earlier if r["text_hash"] == record.text), None)
        change = self._prefetch.get(prev_text, text) if prev_text is not None else None
        d = derive_revision(prev_text, prev_title, text, record.title, reverts is not None,
                            history + [(record.text, record.title)], change)
        doc = cat.doc_for(record.text, record.title, text)
        values: dict[str, Any] = {
            "record": record_oid, "article": record.article, "number": record.number,
            "text_hash": record.text, "original": record.original,
            "original_type": record.original_type, "title": record.title, "url": record.url,
            "date": record.date, "source": record.source, "author": record.author,
            "captured_at": record.captured_at, "words": count_words(text),
            "bytes": len(text.encode("utf-8")),
            "words_added": d.words_added, "words_removed": d.words_removed,
            "reverts": reverts, "kind": " ".join(d.kind), "flipflop": int(d.flipflop),
            "damaged": int(damaged), "doc": doc,
        }
        rid = cat.insert_revision(values)
        cat.insert_edits(rid, d.removed, d.added)
        cat.upsert_article(record.article, record.source, record.date, record.slug, rid,
                           record.number, record.title, record.url, record.captured_at)
        return {**values, "rid": rid}

    # -- reading ----------------------------------------------------------------------
    def _cat(self) -> Catalog:
        return self.store.catalog()

    def blob(self, oid: str) -> bytes:
        """A stored text or original, verified; IntegrityError when corrupt or missing."""
        where = str(self.store.objects.path(oid))
        try:
            kind, payload = self.store.objects.get(oid)
        except KeyError:
            if self._cat().text_set_aside(oid):
                raise IntegrityError(oid, oid, "missing", where, advice=(
                    "it was damaged, and an earlier 'check --repair' set it aside in "
                    "quarantine/ (the revision is kept, marked DAMAGED)")) from None
            raise IntegrityError(oid, oid, "missing", where) from None
        if kind != "blob":
            raise IntegrityError(oid, oid, f"a {kind} object", where)
        return payload

    def text_of(self, text_hash: str) -> str:
        """A stored text by content hash, verified; IntegrityError when corrupt or missing."""
        return self.blob(text_hash).decode("utf-8")

    def get(self, ref: str) -> Revision:
        """The revision a reference names (SPEC 3)."""
        _require(str, ref=ref)
        return row_to_revision(refs.resolve(self._cat(), ref))

    def log(self, ref: str) -> list[Revision]:
        """Every revision of the article ``ref`` names, newest first."""
        rev = self.get(ref)
        return [row_to_revision(r) for r in reversed(self._cat().revisions_of(rev.id))]

    def show(self, ref: str) -> str:
        """The canonical text of a revision (verified against its hash)."""
        return self.text_of(self.get(ref).hash)

    def original(self, ref: str) -> tuple[bytes, str | None]:
        """The stored original input of a revision and its media type."""
        rev = self.get(ref)
        if rev.original is None:
            raise InputError(rev.ref, "has no stored original (it was added as plain text)")
        return self.blob(rev.original), rev.original_type

    def articles(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                 until: str | None = None, changed: bool = False,
                 kind: str | Sequence[str] | None = None,
                 limit: int | None = None) -> list[Article]:
        """Articles, newest change first, filtered as ``list``."""
        if limit is not None:
            _require(int, limit=limit)
        rows = self._cat().articles(
            sources=_as_list(source), since=_date_or_none(since, "--since"),
            until=_date_or_none(until, "--until"), changed=changed, kinds=_as_list(kind),
            limit=limit,
        )
        return [row_to_article(r) for r in rows]

    def revisions(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                  until: str | None = None, changed: bool = False,
                  kind: str | Sequence[str] | None = None,
                  limit: int | None = None) -> Iterator[Revision]:
        """Every revision, by article ID then number (the order of ``export``), of the
        articles that ``articles()`` selects with the same filters."""
        sources = set(_as_list(source))
        lo, hi = _date_or_none(since, "--since"), _date_or_none(until, "--until")
        chosen = None
        if changed or kind or limit is not None:
            chosen = {a.id for a in self.articles(source=source, since=since, until=until,
                                                  changed=changed, kind=kind, limit=limit)}
        for row in self._cat().all_revisions():
            if sources and row["source"] not in sources:
                continue
            if chosen is not None and row["article"] not in chosen:
                continue
            if (lo and row["date"] < lo) or (hi and row["date"] > hi):
                continue
            yield row_to_revision(row)

    def diff(self, a: str, b: str | None = None, *, by: str = "word") -> Diff:
        """The diff of revision ``a`` against ``b``; one ref: against its predecessor."""
        from newsarchive.diffing import diff_texts

        if b is None:
            new = self.get(a)
            if new.number == 1:
                old = new
            else:
                old = self.get(f"{new.id}@{new.number - 1}")
        else:
            old, new = self.get(a), self.get(b)
        return diff_texts(self.text_of(old.hash), self.text_of(new.hash), by=by,
                          title_a=old.title, title_b=new.title, label_a=old.ref,
                          label_b=new.ref)

    def search(self, query: str, *, source: str | Sequence[str] | None = None,
               since: str | None = None, until: str | None = None, limit: int = 20,
               all_revisions: bool = False, removed: bool = False, added: bool = False,
               markers: tuple[str, str] = ("[", "]")) -> list[Hit]:
        """Full-text search, best first; see :mod:`newsarchive.search`."""
        _require(str, query=query)
        _require(int, limit=limit)
        from newsarchive.search import search

        return search(self, query, sources=_as_list(source),
                      since=_date_or_none(since, "--since"), until=_date_or_none(until, "--until"),
                      limit=limit, all_revisions=all_revisions, removed=removed, added=added,
                      markers=markers)

    def changes(self, *, source: str | Sequence[str] | None = None, since: str | None = None,
                until: str | None = None, kind: str | Sequence[str] | None = None,
                limit: int = 50) -> list[Change]:
        """Recent revisions across the archive with their kinds, newest first."""
        _require(int, limit=limit)
        from newsarchive.changes import changes

        return changes(self, sources=_as_list(source), since=_date_or_none(since, "--since"),
                       until=_date_or_none(until, "--until"), kinds=_as_list(kind), limit=limit)

    def snapshot(self, feeds: str | FeedSpec | Sequence[str | FeedSpec], *, no_fetch: bool = False,
                 force: bool = False, allow_private_networks: bool = False,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None,
                 ) -> list[FeedReport]:
        """Archive every article of RSS/Atom/JSON feeds (URLs or files); a report a feed.

        See :mod:`newsarchive.snapshot`. Failures of a feed or an entry are in its report;
        only store errors (locked past the wait, disk full) are raised.
        """
        from newsarchive.pages import make_fetcher
        from newsarchive.snapshot import FeedSpec, run_snapshot

        if isinstance(feeds, (str, FeedSpec)):  # one feed, not a sequence of characters
            feeds = [feeds]
        specs = [f if isinstance(f, FeedSpec) else FeedSpec(url=f) for f in feeds]
        with make_fetcher(allow_private_networks=allow_private_networks) as fetcher:
            return run_snapshot(self, specs, fetcher=fetcher, no_fetch=no_fetch,
                                on_event=on_event, force=force)

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
        rec: dict[str, Any] = {
            "id": rev.id, "source": rev.source, "date": rev.date, "slug": rev.slug,
            "revision": rev.number, "hash": rev.hash, "title": rev.title, "url": rev.url,
            "captured_at": rev.captured_at, "author": rev.author,
            "text": self.text_of(rev.hash),
        }
        if rev.original is not None:
            payload = self.blob(rev.original)
            try:
                rec["original"] = payload.decode("utf-8")
            except UnicodeDecodeError:
                rec["original_base64"] = base64.b64encode(payload).decode("ascii")
            rec["original_type"] = rev.original_type
        return rec

    def import_(
        self, drafts: Iterable[Draft | InputError]
    ) -> Iterator[AddResult | NewsArchiveError]:
        """Archive records read back from ``export`` (each verified against its hash)."""
        return self.add_stream(drafts)

    # -- the web-archiving world's formats (docs/interop.md) ---------------------------
    def import_warc(self, paths: Sequence[str | os.PathLike[str]], *,
                    counts: WarcCounts | None = None,
                    ) -> Iterator[AddResult | NewsArchiveError]:
        """Archive every HTML capture of WARC/WACZ files (see :mod:`newsarchive.ingest.warc`);
        ``counts`` is filled in with what the records were."""
        from newsarchive.ingest.warc import read_warcs

        return self.add_stream(read_warcs(paths, counts), batch_size=WARC_BATCH)

    def export_warc(self, out: IO[bytes], *, gzip: bool = True,
                    source: str | Sequence[str] | None = None, since: str | None = None,
                    until: str | None = None, changed: bool = False,
                    kind: str | Sequence[str] | None = None,
                    limit: int | None = None) -> WarcExport:
        """Write the revisions ``export`` selects as WARC records to ``out`` (see
        :mod:`newsarchive.ops.warc_export`)."""
        from newsarchive.ops.warc_export import write_warc

        return write_warc(self, self.revisions(source=source, since=since, until=until,
                                               changed=changed, kind=kind, limit=limit),
                          out, gzip=gzip)

    def export_parquet(self, directory: str | os.PathLike[str], *,
                       source: str | Sequence[str] | None = None, since: str | None = None,
                       until: str | None = None, changed: bool = False,
                       kind: str | Sequence[str] | None = None,
                       limit: int | None = None) -> ParquetExport:
        """Write the revisions ``export`` selects as a Parquet dataset in ``directory``
        (see :mod:`newsarchive.ops.parquet_export`; needs the ``[parquet]`` extra)."""
        from newsarchive.ops.parquet_export import write_parquet

        return write_parquet(self, self.revisions(source=source, since=since, until=until,
                                                  changed=changed, kind=kind, limit=limit),
                             Path(directory))

    def backfill(self, urls: Sequence[str], *, all_articles: bool = False,
                 since: str | None = None, until: str | None = None,
                 wayback_url: str = "https://web.archive.org", delay: float = 1.0,
                 allow_private_networks: bool = False,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None,
                 ) -> list[BackfillReport]:
        """Add the Wayback Machine's captures of URLs (or of every archived article) as
        backfilled revisions (see :mod:`newsarchive.web.wayback`); a report a URL."""
        from newsarchive.web.wayback import run_backfill

        return run_backfill(self, urls, all_articles=all_articles, since=since, until=until,
                            wayback_url=wayback_url, delay=delay,
                            allow_private_networks=allow_private_networks, on_event=on_event)

    # -- maintenance ------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        from newsarchive.maintenance import store_stats

        return store_stats(self)

    def check(self, *, repair: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> list[Problem]:
        """Every problem found (see ``newsarchive check``); ``on_progress(done, total)``
        as each object is read."""
        from newsarchive.maintenance import check

        return check(self, repair=repair, on_progress=on_progress)

    def reindex(self, *, on_progress: Callable[[int, int], None] | None = None,
                ) -> dict[str, int]:
        """Rebuild the catalog from the objects; ``on_progress(done, total)`` after each
        revision."""
        from newsarchive.maintenance import reindex

        return reindex(self, on_progress)

    def gc(self, *, grace: float = 3600.0,
           on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Remove what nothing refers to, repack; ``on_progress(done, total)`` as each
        object is repacked."""
        from newsarchive.maintenance import gc

        return gc(self, grace=grace, on_progress=on_progress)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _date_or_none(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return parse_date(value, option)
    except InputError as err:
        from newsarchive.errors import UsageError

        raise UsageError(f"{option}: unreadable date {value!r} (try YYYY-MM-DD)") from err

"""``add``: archiving drafts, in batches (the write path of DESIGN "The shape").

Drafts are prepared (canonical text, candidate ID) in batches. A small batch writes its
texts as loose objects without the lock (same content, same name); then, under the
store's write lock, each draft is given its article (:func:`article_of`: the one its URL
or ``id`` names, else a new one) and compared with the capture before it in capture
order: the same text and title is ``unchanged`` (nothing is written), anything else gets
a revision record, placed in its article's history (:mod:`newsarchive.ops.history`). A
batch of :data:`PACK_THRESHOLD` or more drafts writes everything under the lock into one
new pack, texts as deltas against their heads, with one fsync.

The commit protocol (docs/storage.md): objects durable, then the batch's records named
in one journal line (fsynced), then the catalog rows and the journal position committed
in one SQLite transaction. A crash before the journal line leaves unreferenced objects
(``gc`` removes them); a crash after it leaves a commit the next write applies.
"""

from __future__ import annotations

import collections
import errno
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from newsarchive import faults
from newsarchive.errors import (
    CatalogError,
    InputError,
    IntegrityError,
    NewsArchiveError,
    StoreError,
    StoreLocked,
)
from newsarchive.indexing.indexer import Indexer
from newsarchive.indexing.rows import row_to_revision
from newsarchive.ingest.prepare import Prepared, prepare_all
from newsarchive.model import AddResult, Draft, Status
from newsarchive.ops.history import capture_seq, place, roll_forward, sight, sighting_record
from newsarchive.store import journal
from newsarchive.store.catalog import Catalog
from newsarchive.store.interface import ObjectSink
from newsarchive.store.packs import PackWriter
from newsarchive.store.records import Record
from newsarchive.store.repository import Store
from newsarchive.store.upkeep import tidy
from newsarchive.text.canonical import content_hash
from newsarchive.text.dates import now_precise
from newsarchive.text.names import make_id
from newsarchive.text.urls import canonical_url

if TYPE_CHECKING:
    from concurrent.futures import Future

    from newsarchive.ingest.noise import NoiseRules

BATCH_SIZE = 1000
PACK_THRESHOLD = 16  # batches of at least this many inputs are written as one pack
# a batch of at least this many inputs trains the zstd dictionary a store has none of yet
# (its first bulk add): fewer texts make a weaker dictionary, which gc replaces anyway
TRAIN_MIN = 500
PREPARE_CHUNK = 50  # drafts per task of a worker process
PREPARE_AHEAD = 4  # prepare tasks queued ahead: more would delay the comparisons behind them
# Fewer inputs than this are prepared here: starting the workers (each imports the write
# path) cost a cron add of 50 revisions more CPU than preparing them (0.2 of 0.7 s).
PREPARE_MIN = PREPARE_AHEAD * PREPARE_CHUNK

Result = AddResult | NewsArchiveError
# names made from the input's text or file, which a user who meant a revision should see
NAMED_FROM_TEXT = frozenset({"title", "file name", "first sentence", "first words", "hash"})


def add_stream(store: Store, indexer: Indexer, drafts: Iterable[Draft | InputError], *,
               batch_size: int = BATCH_SIZE, on_progress: Callable[[], None] | None = None,
               auto_pack: bool = True) -> Iterator[Result]:
    """Archive drafts in batches; yield each result (or input error) in input order.

    A result is yielded only after its batch is committed, so every ``AddResult`` seen by
    the caller is on disk. Errors of the store itself (disk full, lock timeout) are
    raised, not yielded: they stop the run. ``on_progress`` is called as each input is
    worked through (before its batch commits), for progress displays. With
    ``auto_pack``, an add that wrote ends with a tidy (:func:`_tidy`).
    """
    preparer = _Preparer(indexer, drafts)
    wrote = False
    try:
        while batch := preparer.take(batch_size):
            # once the batch's comparisons are queued, the workers prepare the next batch
            # behind them, while this one is written
            yield from _add_batch(store, indexer, batch, on_progress,
                                  then=lambda: preparer.ahead(batch_size))
            wrote = wrote or any(isinstance(p, Prepared) for p in batch)
    finally:
        indexer.workers.close()
    if wrote and auto_pack:
        _tidy(store)


def _tidy(store: Store) -> None:
    """Pack the loose objects and merge the small packs once the add is done
    (:mod:`newsarchive.store.upkeep`). Its results are committed already, so a tidy that
    cannot run (the lock held past the wait, a full disk) is left to the next add or
    ``gc``: it changes nothing until its new pack is durable."""
    try:
        with store.locked():
            tidy(store.objects, bases=lambda oids: _delta_bases(store, oids))
    except StoreLocked:
        pass
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise StoreError(f"{store.root}: cannot merge packs "
                             f"({err.strerror or err})") from err


def _delta_bases(store: Store, oids: list[str]) -> dict[str, str]:
    """Delta bases of loose objects for the tidy to pack them with: none when the catalog
    cannot say (the objects are then packed whole, as before, and nothing is lost)."""
    try:
        return store.catalog().previous_objects(oids)
    except CatalogError:
        return {}


class _Preparer:
    """The drafts prepared, in input order: by worker processes when there are many,
    queued a few chunks ahead of the batch being written, or a batch ahead when asked."""

    def __init__(self, indexer: Indexer, drafts: Iterable[Draft | InputError]) -> None:
        self.workers = indexer.workers
        it = iter(drafts)
        first = list(itertools.islice(it, PREPARE_MIN))
        self.drafts = itertools.chain(first, it)
        self.parallel = self.workers.parallel and len(first) >= PREPARE_MIN
        self.queued: collections.deque[tuple[Future[list[Prepared | InputError]],
                                             list[Draft | InputError]]] = collections.deque()
        self.ready: collections.deque[Prepared | InputError] = collections.deque()

    def ahead(self, count: int) -> None:
        """Queue chunks until ``count`` drafts are queued (fewer at the end of the input)."""
        while self.parallel and len(self.queued) * PREPARE_CHUNK < count:
            chunk = list(itertools.islice(self.drafts, PREPARE_CHUNK))
            if not chunk:
                return
            self.queued.append((self.workers.submit(_prepare, chunk), chunk))

    def take(self, count: int) -> list[Prepared | InputError]:
        """The next ``count`` drafts prepared (fewer at the end of the input)."""
        if not self.parallel:
            return prepare_all(list(itertools.islice(self.drafts, count)))
        while len(self.ready) < count:
            self.ahead(PREPARE_AHEAD * PREPARE_CHUNK)
            if not self.queued:
                break
            future, chunk = self.queued.popleft()
            try:
                self.ready.extend(future.result())
            except Exception:  # a worker died: these are prepared here (and the rest,
                self.workers.lost()  # as the workers' submit then runs tasks here)
                self.ready.extend(prepare_all(chunk))
        return [self.ready.popleft() for _ in range(min(count, len(self.ready)))]


def _prepare(drafts: list[Draft | InputError]) -> list[Prepared | InputError]:
    """The drafts prepared: a worker process's task (their words are counted with their
    comparisons, :func:`_predict`)."""
    return prepare_all(drafts)


def _add_batch(store: Store, indexer: Indexer, batch: list[Prepared | InputError],
               on_progress: Callable[[], None] | None = None, *,
               then: Callable[[], None] | None = None) -> list[Result]:
    """Write one batch; ``then`` is called once its comparisons are queued."""
    goods = [p for p in batch if isinstance(p, Prepared)]
    if not goods:
        return list(batch)  # type: ignore[arg-type]
    store.catalog(write=True)  # creates the store and catalog on first write
    objects = store.objects
    bulk = len(goods) >= PACK_THRESHOLD
    try:
        if not bulk:
            for p in goods:  # loose blobs need no lock: same content, same name
                objects.put("blob", p.text.encode("utf-8"))
                if p.original is not None:
                    objects.put("blob", p.original)
        results: dict[int, AddResult | InputError] = {}
        with store.locked():
            cat = store.catalog(write=True)
            roll_forward(store, indexer, cat)  # a commit a killed write left behind
            position = store.journal_state(cat).journal
            # a batch goes into one new pack, its texts as deltas against their heads
            sink: ObjectSink = objects
            if bulk:  # a store without a zstd dictionary gets one from a large batch
                sink = store.pack_writer(train_on=(p.text.encode("utf-8") for p in goods)
                                         if len(goods) >= TRAIN_MIN else None)
            texts = {p.hash: p.text for p in goods}  # heads may be in the unfinished pack
            if bulk:
                _predict(store, indexer, cat, goods, texts)
            if then is not None:
                then()
            batch_write = _Commit(position.seq + 1)
            cat.begin()
            try:
                for i, item in enumerate(batch):
                    if isinstance(item, Prepared):
                        results[i] = _add_one(store, indexer, cat, item, sink, texts,
                                              batch_write)
                    if on_progress is not None:
                        on_progress()
                if isinstance(sink, PackWriter):
                    sink.finish()  # one fsync for the whole batch
                if batch_write.records:
                    new = journal.append(store.journal_path, position, batch_write.records,
                                         now_precise())
                    cat.set_position(new.seq, new.id)
                faults.point("before-commit")
                cat.commit()
                faults.point("after-commit")
            except BaseException:
                cat.rollback()
                if isinstance(sink, PackWriter):
                    sink.abort()
                raise
            finally:
                indexer.prefetch.clear()
    except CatalogError:
        raise  # names the store and SQLite's reason already
    except sqlite3.Error as err:
        raise StoreError(f"{store.root}: cannot update the catalog ({err})") from err
    except OSError as err:
        raise StoreError(f"{store.root}: cannot write ({err.strerror or err})") from err
    return [results[i] if i in results else p for i, p in enumerate(batch)]  # type: ignore[misc]


class _Commit:
    """The records a batch writes, in order: they are its journal line."""

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.records: list[str] = []

    def next_seq(self) -> int:
        return capture_seq(self.seq, len(self.records))


def article_of(cat: Catalog, p: Prepared) -> tuple[str, bool]:
    """The article a prepared input is a capture of, and whether it exists already.

    An ``id`` names it; else a URL (canonical form) names the article first captured at
    it; else the name made from the input (its title or file name) names an article of
    that ID. A new article from a URL whose name another URL's article holds gets a
    short disambiguator from its URL's hash: two URLs are never one article.
    """
    if p.explicit_id:
        return p.id, cat.article(p.id) is not None
    if p.canonical_url:
        found = cat.url_article(p.canonical_url)
        if found is not None:
            return found, True
    existing = cat.article(p.id)
    if existing is None:
        return p.id, False
    if p.canonical_url and existing["url"]:
        other = _canonical_or_none(existing["url"])
        if other is not None and other != p.canonical_url:
            suffix = content_hash(p.canonical_url)[:6]
            slug = f"{p.slug[:96 - len(suffix) - 1].rstrip('-')}-{suffix}"
            return make_id(p.source, p.id.split("/")[1], slug), False
    return p.id, True


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonical_url(url)
    except ValueError:
        return None


def _predict(store: Store, indexer: Indexer, cat: Catalog, goods: list[Prepared],
             texts: dict[str, str]) -> None:
    """Start comparing each text with the one it will most likely follow (its article's
    head, or the batch's previous text of the same article), and counting the words of
    each text that follows none (the comparisons count the others')."""
    if not indexer.workers.parallel:
        return
    last: dict[str, str | None] = {}
    pairs: list[tuple[str | None, str, NoiseRules]] = []
    for p in goods:
        article, _ = article_of(cat, p)
        if article not in last:
            head = cat.head(article)
            if head is not None and head["text_hash"] not in texts:
                try:
                    texts[head["text_hash"]] = store.text_of(head["text_hash"])
                except (IntegrityError, UnicodeDecodeError):  # damaged: compared later
                    head = None
            last[article] = texts[head["text_hash"]] if head is not None else None
        # (the rules of the record _add_one will write)
        pairs.append((last[article], p.text,
                      indexer.noise.rules(source=article.split("/")[0], url=p.url)))
        last[article] = p.text
    indexer.prefetch.submit(pairs)


def _add_one(store: Store, indexer: Indexer, cat: Catalog, p: Prepared, sink: ObjectSink,
             texts: dict[str, str], commit: _Commit) -> AddResult | InputError:
    article, exists = article_of(cat, p)
    source, _, _ = article.split("/")
    record = Record(
        article=article, text=p.hash, original=None, original_type=p.original_type,
        title=p.title, url=p.url, date=p.date, source=source, author=p.author,
        captured_at=p.captured_at, recorded_at=now_precise(), event=p.event, detail=p.detail,
    )
    if exists:
        same = cat.same_capture(article, p.hash, p.title, p.captured_at)
        if same is not None and same["event"] != p.event:
            same = None  # a tombstone is not the capture it kept the text of, nor the reverse
        if same is None and p.event is None:
            before = cat.capture_before(article, p.captured_at)
            if (before is not None and before["event"] is None
                    and (before["text_hash"], before["title"]) == (p.hash, p.title)):
                same = before  # it shows what is held: a sighting, no revision, no revert
                sight(cat, before, record)
        if same is not None and same["rid"] is not None:
            row = cat.revision_by_rid(same["rid"])
            if row is not None:
                return AddResult("unchanged", row_to_revision(row), p.origin)
    head = cat.head(article) if exists else None
    # (again: a loose blob may have been removed by a gc that raced us; no-op otherwise)
    sink.put("blob", p.text.encode("utf-8"), base=head["text_hash"] if head else None)
    if p.original is not None:
        original_oid = sink.put("blob", p.original, base=head["original"] if head else None)
        record = Record(**{**vars(record), "original": original_oid})
    record_oid = sink.put("record", record.to_bytes(), base=head["record"] if head else None)
    faults.point("record-written")
    seq = commit.next_seq()
    commit.records.append(record_oid)

    def materialize(row: sqlite3.Row) -> tuple[int, str]:
        oid = sink.put("record", sighting_record(row).to_bytes())
        sighting_seq = commit.next_seq()
        commit.records.append(oid)
        return sighting_seq, oid

    placed, placed_in = place(store, indexer, cat, seq, record_oid, record, texts,
                              materialize)
    status: Status = "unchanged" if placed == "confirmed" else placed
    named = p.named_from if placed == "added" and p.named_from in NAMED_FROM_TEXT else None
    return AddResult(status, row_to_revision(placed_in), p.origin, named_from=named)

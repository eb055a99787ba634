"""``add``: archiving drafts, in batches (the write path of DESIGN "The shape").

Drafts are prepared (canonical text, ID) in batches. A small batch writes its texts as
loose objects without the lock (same content, same name); then, under the store's write
lock, each draft is compared with its article's head, its revision record is written,
and the catalog rows and search entries of the whole batch are committed in one SQLite
transaction. A batch of :data:`PACK_THRESHOLD` or more drafts writes everything under
the lock into one new pack, texts as deltas against their heads, with one fsync.
Objects are durable before the commit, so a crash leaves at most unreferenced objects,
which ``gc`` removes and ``check`` lists as notes, not damage.
"""

from __future__ import annotations

import collections
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from newsarchive import faults
from newsarchive.errors import InputError, NewsArchiveError, StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.indexing.rows import row_to_revision
from newsarchive.ingest.prepare import Prepared, prepare_all
from newsarchive.model import AddResult, Draft, Status
from newsarchive.store.catalog import Catalog
from newsarchive.store.interface import ObjectSink
from newsarchive.store.packs import PackWriter
from newsarchive.store.records import Record
from newsarchive.store.repository import Store
from newsarchive.text.dates import now_precise

if TYPE_CHECKING:
    from concurrent.futures import Future

BATCH_SIZE = 1000
PACK_THRESHOLD = 16  # batches of at least this many inputs are written as one pack
PREPARE_CHUNK = 50  # drafts per task of a worker process
PREPARE_AHEAD = 4  # prepare tasks queued ahead: more would delay the comparisons behind them

Result = AddResult | NewsArchiveError


def add_stream(store: Store, indexer: Indexer, drafts: Iterable[Draft | InputError], *,
               batch_size: int = BATCH_SIZE, on_progress: Callable[[], None] | None = None,
               ) -> Iterator[Result]:
    """Archive drafts in batches; yield each result (or input error) in input order.

    A result is yielded only after its batch is committed, so every ``AddResult`` seen by
    the caller is on disk. Errors of the store itself (disk full, lock timeout) are
    raised, not yielded: they stop the run. ``on_progress`` is called as each input is
    worked through (before its batch commits), for progress displays.
    """
    batch: list[Prepared | InputError] = []
    try:
        for item in _prepared(indexer, drafts):
            batch.append(item)
            if len(batch) >= batch_size:
                yield from _add_batch(store, indexer, batch, on_progress)
                batch = []
        if batch:
            yield from _add_batch(store, indexer, batch, on_progress)
    finally:
        indexer.workers.close()


def _prepared(indexer: Indexer, drafts: Iterable[Draft | InputError],
              ) -> Iterator[Prepared | InputError]:
    """The drafts prepared, in input order: by worker processes when there are many,
    a few chunks ahead of the batch being written."""
    workers = indexer.workers
    it = iter(drafts)
    chunk = list(itertools.islice(it, PREPARE_CHUNK))
    if not workers.parallel or len(chunk) < PREPARE_CHUNK:
        for item in itertools.chain(chunk, it):
            yield from prepare_all([item])
        return
    ahead: collections.deque[tuple[Future[list[Prepared | InputError]],
                                   list[Draft | InputError]]] = collections.deque()
    while chunk or ahead:
        if chunk:
            ahead.append((workers.submit(prepare_all, chunk), chunk))
            chunk = list(itertools.islice(it, PREPARE_CHUNK))
        if len(ahead) >= PREPARE_AHEAD or not chunk:
            future, drafts_of_it = ahead.popleft()
            try:
                prepared = future.result()
            except Exception:  # a worker died: prepare these here, and the rest too
                workers.lost()
                prepared = prepare_all(drafts_of_it)
            yield from prepared


def _add_batch(store: Store, indexer: Indexer, batch: list[Prepared | InputError],
               on_progress: Callable[[], None] | None = None) -> list[Result]:
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
            # a batch goes into one new pack, its texts as deltas against their heads
            sink: ObjectSink = store.pack_writer() if bulk else objects
            texts = {p.hash: p.text for p in goods}  # heads may be in the unfinished pack
            if bulk:
                _predict(store, indexer, cat, goods, texts)
            cat.begin()
            try:
                for i, item in enumerate(batch):
                    if isinstance(item, Prepared):
                        results[i] = _add_one(store, indexer, cat, item, sink, texts)
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
                indexer.prefetch.clear()
    except sqlite3.Error as err:
        raise StoreError(f"{store.root}: cannot update the catalog ({err})") from err
    except OSError as err:
        raise StoreError(f"{store.root}: cannot write ({err.strerror or err})") from err
    return [results[i] if i in results else p for i, p in enumerate(batch)]  # type: ignore[misc]


def _predict(store: Store, indexer: Indexer, cat: Catalog, goods: list[Prepared],
             texts: dict[str, str]) -> None:
    """Start comparing each text with the one it will most likely follow (its article's
    head, or the batch's previous text of the same article)."""
    if not indexer.workers.parallel:
        return
    last: dict[str, str | None] = {}
    pairs: list[tuple[str, str]] = []
    for p in goods:
        if p.id not in last:
            head = cat.head(p.id)
            if head is not None and head["text_hash"] not in texts:
                texts[head["text_hash"]] = store.text_of(head["text_hash"])
            last[p.id] = texts[head["text_hash"]] if head is not None else None
        prev = last[p.id]
        if prev is not None:
            pairs.append((prev, p.text))
        last[p.id] = p.text
    indexer.prefetch.submit(pairs)


def _add_one(store: Store, indexer: Indexer, cat: Catalog, p: Prepared, sink: ObjectSink,
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
        prev_text = texts.get(head["text_hash"]) or store.text_of(head["text_hash"])
    row = indexer.insert(cat, record, record_oid, p.text, prev_text,
                         head["title"] if head is not None else None)
    status: Status = "added" if head is None else "revised"
    return AddResult(status, row_to_revision(row), p.origin)

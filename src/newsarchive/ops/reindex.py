"""``reindex``: rebuilding the catalog and search index from the objects alone.

The journal says which records are committed (:mod:`newsarchive.store.journal`); reindex
reads each of them once, inserts its capture row, then derives every article's revisions
in capture order with the same :class:`~newsarchive.indexing.indexer.Indexer` that
``add`` uses, a window of articles at a time (their text comparisons run ahead in worker
processes). Its cost is linear in the records and its memory bounded by the window.

When there is no journal to go by, one is written first and the rebuild follows it:

- a store of format 1 or 2 (before the journal): one commit of the records its catalog
  lists, in their old order (the upgrade);
- a journal lost, or damaged in the middle: its valid commits, then one commit of the
  records the catalog lists that they do not name.

When the catalog cannot be read either, every valid record no commit names is adopted:
records of interrupted writes cannot be told from committed ones then, so they are kept
too. Nothing committed is ever dropped.

The watch list (the ``watch`` table) is not derived from the objects: it is kept, like
the validators; a catalog that lost it gets it rebuilt from the captures
(:meth:`~newsarchive.store.catalog.Catalog.seed_watch`).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from newsarchive.errors import StoreError
from newsarchive.indexing.indexer import Capture, Indexer
from newsarchive.model import ReindexResult
from newsarchive.ops.history import (
    capture_seq,
    capture_values,
    read_record,
    record_of_row,
    text_or_none,
)
from newsarchive.ops.scan import scan_objects
from newsarchive.store import journal
from newsarchive.store.catalog import connect
from newsarchive.store.journal import Commit, JournalError
from newsarchive.store.repository import JOURNAL_FORMAT, Store
from newsarchive.text.dates import now_precise
from newsarchive.text.urls import canonical_url

REINDEX_WINDOW = 500  # articles whose texts are read (and compared by workers) at once


def reindex(store: Store, indexer: Indexer,
            on_progress: Callable[[int, int], None] | None = None) -> ReindexResult:
    """Rebuild the catalog and search index from the journal and the objects;
    ``on_progress(done, total)`` after each revision record."""
    if not (store.root / "objects").is_dir():
        store.require()
    with store.locked():  # recreates a lost format file beside the objects
        commits, adopted = committed(store)
        cat = store.replace_catalog()
        total = sum(len(c.records) for c in commits)
        done = damaged = missing = 0
        cat.begin()
        try:
            cat.drop_derived()
            for commit in commits:
                for i, oid in enumerate(commit.records):
                    rec = read_record(store, oid)
                    if rec is None:
                        missing += 1  # check reports it; its revision cannot be rebuilt
                        continue
                    cat.insert_capture(capture_values(capture_seq(commit.seq, i), oid, rec))
                    if rec.url:
                        try:
                            cat.map_url(canonical_url(rec.url), rec.article)
                        except ValueError:
                            pass
            articles = revisions = 0
            for window in _windows(store, _by_article(cat.all_captures_by_article())):
                indexer.prefetch.submit(  # (a first capture's words only counted)
                    (caps[i - 1].text if i else None, cap.text, indexer.rules_of(cap.rec))
                    for _, caps in window for i, cap in enumerate(caps)
                    if cap.text and (not i or caps[i - 1].text))
                for article, caps in window:
                    rows = indexer.index_article(cat, article, caps)
                    articles += 1
                    revisions += len(rows)
                    damaged += sum(1 for r in rows if r["damaged"])
                    done += len(caps)
                    if on_progress is not None:
                        on_progress(done, total)
                # pairs nobody asked for (captures a revision's run folded) hold their
                # texts: forgotten with the window, so memory does not grow with the store
                indexer.prefetch.clear()
            if commits:
                cat.set_position(commits[-1].seq, commits[-1].id)
            cat.seed_watch()  # kept as it was, unless the catalog lost it
            cat.commit()
        except BaseException:
            cat.rollback()
            raise
        finally:
            indexer.close()
        if store.outdated(cat) is not None:  # format 4 comes with the first zstd pack
            store.set_format(max(store._check_format(), JOURNAL_FORMAT))
    return ReindexResult(articles, revisions, damaged, adopted or 0, missing)


def _by_article(rows: Iterator[sqlite3.Row]) -> Iterator[tuple[str, list[sqlite3.Row]]]:
    for article, group in itertools.groupby(rows, lambda r: r["article"]):
        yield article, list(group)


def _windows(store: Store, articles: Iterator[tuple[str, list[sqlite3.Row]]],
             ) -> Iterator[list[tuple[str, list[Capture]]]]:
    """A window of articles at a time, as captures with their texts read."""
    while True:
        window = list(itertools.islice(articles, REINDEX_WINDOW))
        if not window:
            return
        texts: dict[str, str] = {}
        yield [(article, [Capture(r["seq"], r["record"], record_of_row(r),
                                  text_or_none(store, r["text_hash"], texts))
                          for r in rows]) for article, rows in window]


def committed(store: Store) -> tuple[list[Commit], int | None]:
    """The journal's commits; when there is no journal to go by, the one written first
    (see the module docstring). Returns the commits and, when records had to be adopted
    without a journal naming them, how many (None: the journal was there)."""
    if store._check_format() >= JOURNAL_FORMAT and store.journal_path.exists():
        try:
            return list(journal.read_journal(store.journal_path)), None
        except JournalError:
            pass
    valid: list[Commit] = []
    try:
        for commit in journal.read_journal(store.journal_path):
            valid.append(commit)
    except JournalError:
        pass
    named = {oid for c in valid for oid in c.records}
    records, *_ = scan_objects(store.objects)
    listed = [oid for oid in dict.fromkeys(_catalog_records(store.catalog_path))
              if oid in records and oid not in named]
    rest = [] if listed else sorted(
        (oid for oid in records if oid not in named),
        key=lambda oid: (records[oid].article, records[oid].captured_at,
                         records[oid].recorded_at, oid))
    lines = [list(c.records) for c in valid]
    times = [c.time for c in valid]
    adopted = listed + rest
    if adopted:
        lines.append(adopted)
        times.append(now_precise())
    journal.rewrite(store.journal_path, lines, times)
    return list(journal.read_journal(store.journal_path)), len(adopted)


def _catalog_records(path: Path) -> list[str]:
    """The records the catalog lists, in commit order: its captures, or for a catalog
    written before the journal its revisions by article and number (none when it cannot
    be read)."""
    if not path.exists():
        return []
    try:
        conn = connect(path, readonly="ro")
        try:
            try:
                return [r[0] for r in conn.execute("SELECT record FROM captures ORDER BY seq")]
            except sqlite3.OperationalError:  # no captures table: schema 1
                return [r[0] for r in conn.execute(
                    "SELECT record FROM revisions ORDER BY article, number")]
        finally:
            conn.close()
    except (sqlite3.DatabaseError, StoreError):
        return []


__all__ = ["REINDEX_WINDOW", "committed", "reindex"]

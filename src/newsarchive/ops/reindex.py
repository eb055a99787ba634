"""``reindex``: rebuilding the catalog and search index from the objects alone."""

from __future__ import annotations

import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Callable

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.model import ReindexResult
from newsarchive.ops.scan import scan_objects
from newsarchive.store.records import Record
from newsarchive.store.repository import Store


def choose_chains(records: dict[str, Record], committed: frozenset[str] = frozenset()
                  ) -> dict[str, list[tuple[str, Record]]]:
    """Per article, the committed history, oldest first.

    The head is the newest record the catalog lists (``committed``) when there is one,
    else the record with the highest (number, recorded_at): adds are serialised by the
    lock, so of two records of one number the later is the one whose add went on to
    commit. The history follows parent links, falling back to the latest record of the
    previous number where a parent is missing (set aside as corrupt). Other records are
    leftovers of killed adds.
    """
    by_article: dict[str, dict[int, list[tuple[str, Record]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for oid, rec in records.items():
        by_article[rec.article][rec.number].append((oid, rec))
    chains: dict[str, list[tuple[str, Record]]] = {}
    for article, by_number in by_article.items():
        for items in by_number.values():
            items.sort(key=lambda it: (it[1].recorded_at, it[0]))
        listed = [(r.number, oid) for oid, r in records.items()
                  if oid in committed and r.article == article] if committed else []
        if listed:
            oid = max(listed)[1]
            rec = records[oid]
        else:
            oid, rec = by_number[max(by_number)][-1]
        chain = [(oid, rec)]
        while rec.number > 1:
            parent = rec.parent
            if parent in records and records[parent].article == article:
                oid, rec = parent, records[parent]
            elif by_number.get(rec.number - 1):
                oid, rec = by_number[rec.number - 1][-1]
            else:
                break
            chain.append((oid, rec))
        chain.reverse()
        chains[article] = chain
    return chains


REINDEX_WINDOW = 500  # articles whose texts are read (and compared by workers) at once


def reindex(store: Store, indexer: Indexer,
            on_progress: Callable[[int, int], None] | None = None, *,
            committed_too: frozenset[str] = frozenset()) -> ReindexResult:
    """Rebuild the catalog and search index from the objects alone; ``on_progress(done,
    total)`` is called after each revision. ``committed_too``: records to count as
    committed beside those the current catalog lists (a repair's rewritten ones)."""
    if not (store.root / "objects").is_dir():
        store.require()
    with store.locked():  # recreates a lost format file beside the objects
        records, blobs, _bad, unreadable = scan_objects(store.objects)
        if unreadable:  # its revisions would be rebuilt as having lost their text
            detail = next(iter(unreadable.values()))
            raise StoreError(f"{store.root}: {len(unreadable)} object(s) cannot be read "
                             f"({detail}); make them readable, then reindex")
        chains = choose_chains(records, _committed_records(store) | committed_too)
        cat = store.replace_catalog()
        counts = {"articles": 0, "revisions": 0, "damaged": 0}
        total = sum(len(c) for c in chains.values())
        cat.begin()
        try:
            cat.drop_derived()
            articles = sorted(chains)
            for start in range(0, len(articles), REINDEX_WINDOW):
                # read a window of texts, let workers compare them, insert in order
                window = [[(oid, rec, _text_or_none(store, rec.text) if rec.text in blobs
                            else None) for oid, rec in chains[article]]
                          for article in articles[start:start + REINDEX_WINDOW]]
                indexer.prefetch.submit(
                    (a[2] or "", b[2] or "") for revs in window
                    for a, b in itertools.pairwise(revs))
                for revs in window:
                    prev_text: str | None = None
                    prev_title: str | None = None
                    for oid, rec, text in revs:
                        damaged = text is None
                        indexer.insert(cat, rec, oid, text or "", prev_text, prev_title,
                                       damaged=damaged)
                        counts["revisions"] += 1
                        counts["damaged"] += damaged
                        prev_text, prev_title = text or "", rec.title
                        if on_progress is not None:
                            on_progress(counts["revisions"], total)
                    counts["articles"] += 1
            cat.commit()
        except BaseException:
            cat.rollback()
            raise
        finally:
            indexer.close()
    return ReindexResult(counts["articles"], counts["revisions"], counts["damaged"],
                         len(records) - total)


def _committed_records(store: Store) -> frozenset[str]:
    """The records the current catalog lists, when it can be read (else none); a
    catalog of an older schema is read too (its revision rows say the same)."""
    store.old_schema_ok = True
    try:
        return frozenset(r["record"] for r in store.catalog().all_revisions())
    except (StoreError, sqlite3.DatabaseError):
        return frozenset()
    finally:
        store.old_schema_ok = False


def _text_or_none(store: Store, text_hash: str) -> str | None:
    try:
        return store.text_of(text_hash)
    except (IntegrityError, UnicodeDecodeError):
        return None

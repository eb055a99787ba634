"""Event captures: what a watch saw of a URL, recorded as a capture of its article.

A watched URL that answers 404/410 twice in a row gets a *tombstone*: a capture whose
record carries ``event = "removed"`` (and the status as its ``detail``) and shows the text
and title of the revision before it, unchanged: nothing of the article is lost, and the
:class:`~newsarchive.indexing.indexer.Indexer` makes it a revision of kind ``removed``.
A URL that permanently redirects to another archived article's URL gets one with
``event = "redirected"`` (``detail``: where it went). A page that answers again after a
tombstone needs no event of its own: the next ordinary capture after a ``removed`` one is
a ``restored`` revision (the Indexer's rule).

The write goes through the commit protocol of :mod:`newsarchive.ops.add` (objects, one
journal line, then the catalog rows and the journal position in one transaction, under
the store's lock), so ``reindex`` rebuilds the tombstone like any other revision.
"""

from __future__ import annotations

import sqlite3

from newsarchive import faults
from newsarchive.errors import CatalogError, InputError, StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.indexing.rows import row_to_revision
from newsarchive.model import AddResult
from newsarchive.ops.history import capture_seq, place, roll_forward, sighting_record
from newsarchive.store import journal
from newsarchive.store.records import EVENTS, Event, Record
from newsarchive.store.repository import Store
from newsarchive.text.dates import now_precise

__all__ = ["record_event"]


def record_event(store: Store, indexer: Indexer, article: str, event: Event,
                 detail: str | None, captured_at: str) -> AddResult:
    """Record ``event`` as a capture of ``article`` at ``captured_at`` (UTC
    ``YYYY-MM-DDTHH:MM:SSZ``), showing its head revision's text and title; InputError when
    the article does not exist. When the latest revision records the same event already,
    nothing is written (``unchanged``): two overlapping runs make one tombstone."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    try:
        with store.locked():
            cat = store.catalog(write=True)
            roll_forward(store, indexer, cat)
            head = cat.head(article)
            if head is None:
                raise InputError(article, "no such article")
            if head["event"] == event:  # recorded already (by an overlapping run, say)
                return AddResult("unchanged", row_to_revision(head), article)
            record = Record(
                article=article, text=head["text_hash"], original=None, original_type=None,
                title=head["title"], url=head["url"], date=head["date"], source=head["source"],
                author=head["author"], captured_at=captured_at, recorded_at=now_precise(),
                event=event, detail=detail)
            position = store.journal_state(cat).journal
            commit_seq = position.seq + 1
            records: list[str] = []
            cat.begin()
            try:
                oid = store.objects.put("record", record.to_bytes(), base=head["record"])
                records.append(oid)

                def materialize(row: sqlite3.Row) -> tuple[int, str]:
                    extra = store.objects.put("record", sighting_record(row).to_bytes())
                    records.append(extra)
                    return capture_seq(commit_seq, len(records) - 1), extra

                placed, row = place(store, indexer, cat, capture_seq(commit_seq, 0), oid,
                                    record, {}, materialize)
                new = journal.append(store.journal_path, position, records, now_precise())
                cat.set_position(new.seq, new.id)
                faults.point("before-commit")
                cat.commit()
            except BaseException:
                cat.rollback()
                raise
            finally:
                indexer.prefetch.clear()
    except CatalogError:
        raise
    except sqlite3.Error as err:
        raise StoreError(f"{store.root}: cannot update the catalog ({err})") from err
    except OSError as err:
        raise StoreError(f"{store.root}: cannot write ({err.strerror or err})") from err
    status = "unchanged" if placed == "confirmed" else placed
    return AddResult(status, row_to_revision(row), article)

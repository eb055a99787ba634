"""The :class:`Indexer`: derive one revision's facts and insert its catalog rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsarchive.indexing.rows import RowLike
from newsarchive.store.catalog import Catalog
from newsarchive.store.records import Record
from newsarchive.store.search_index import index_revision_text
from newsarchive.text.words import count_words
from newsarchive.workers import Workers

if TYPE_CHECKING:
    from newsarchive.indexing.derive import Prefetch


class Indexer:
    """Derives and inserts revision rows; compares texts ahead in ``workers`` processes
    on bulk writes (see :class:`~newsarchive.indexing.derive.Prefetch`)."""

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self._ahead: Prefetch | None = None

    @property
    def prefetch(self) -> Prefetch:
        if self._ahead is None:
            # derive (and the diff engine behind it) is loaded by writes only: start-up time
            from newsarchive.indexing.derive import Prefetch

            self._ahead = Prefetch(self.workers)
        return self._ahead

    def close(self) -> None:
        """Forget what was computed ahead and stop the workers."""
        if self._ahead is not None:
            self._ahead.clear()
        self.workers.close()

    def insert(self, cat: Catalog, record: Record, record_oid: str, text: str,
               prev_text: str | None, prev_title: str | None,
               damaged: bool = False) -> RowLike:
        """Insert one revision's rows (derived fields computed here); returns its row."""
        from newsarchive.indexing.derive import derive_revision  # start-up time, as above

        earlier = cat.revisions_of(record.article)
        history = [(r["text_hash"], r["title"]) for r in earlier]
        reverts = None
        if history and record.text != history[-1][0]:  # the earliest revision with this text
            reverts = next((r["number"] for r in earlier if r["text_hash"] == record.text), None)
        change = self.prefetch.get(prev_text, text) if prev_text is not None else None
        d = derive_revision(prev_text, prev_title, text, record.title, reverts is not None,
                            history + [(record.text, record.title)], change)
        values: dict[str, Any] = {
            "record": record_oid, "article": record.article, "number": record.number,
            "text_hash": record.text, "original": record.original,
            "original_type": record.original_type, "title": record.title, "url": record.url,
            "date": record.date, "source": record.source, "author": record.author,
            "captured_at": record.captured_at, "words": count_words(text),
            "bytes": len(text.encode("utf-8")),
            "words_added": d.words_added, "words_removed": d.words_removed,
            "reverts": reverts, "kind": " ".join(d.kind), "flipflop": int(d.flipflop),
            "damaged": int(damaged),
        }
        rid = cat.insert_revision(values)
        index_revision_text(cat, rid, record.text, record.title, text,
                            (earlier[-1]["rid"], prev_text)
                            if earlier and prev_text is not None else None)
        cat.insert_edits(rid, d.removed, d.added)
        cat.upsert_article(record.article, record.source, record.date, record.slug, rid,
                           record.number, record.title, record.url, record.captured_at)
        return {**values, "rid": rid}

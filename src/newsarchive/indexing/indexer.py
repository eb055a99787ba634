"""The :class:`Indexer`: an article's captures in, its revision rows out.

A revision is a run of captures. The captures of an article are taken in capture order
(then commit order); a capture starts a new revision unless it shows what the revision
before it shows (the same text and title, and no event), in which case it only confirms
that revision (its record is kept; the revision's ``last_seen`` moves on). Revisions are
numbered in that order, and each one's facts (word counts, kinds, reverts, flip-flops,
edit passages) are derived against the revision before it. So the numbering and the
facts are a function of the captures alone, whatever order they were added in: ``add``
appends at the end when a capture is the newest (:meth:`Indexer.append`), and derives the
article again when one goes before it (:meth:`Indexer.index_article`), as ``reindex``
does for every article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsarchive.indexing.rows import RowLike
from newsarchive.store.catalog import Catalog
from newsarchive.store.records import Record
from newsarchive.store.search_index import Indexed, index_revision_text
from newsarchive.text.words import count_words
from newsarchive.workers import Workers

if TYPE_CHECKING:
    from newsarchive.indexing.derive import Derived, Prefetch


@dataclass
class Capture:
    """One committed record of an article: its place in commit order (``seq``), its id,
    the record and its text (None when the text cannot be read: a damaged revision)."""

    seq: int
    oid: str
    rec: Record
    text: str | None

    @property
    def key(self) -> tuple[Any, ...]:
        """What a capture shows: captures with equal keys in a row are one revision."""
        if self.rec.event is not None:
            return ("event", self.seq)
        return (self.rec.text, self.rec.title)


@dataclass
class Run:
    """A revision: its first capture, and the captures that confirmed it."""

    first: Capture
    confirmed: list[Capture] = field(default_factory=list)

    @property
    def seqs(self) -> list[int]:
        return [self.first.seq, *(c.seq for c in self.confirmed)]

    @property
    def last_seen(self) -> str | None:
        return self.confirmed[-1].rec.captured_at if self.confirmed else None


def runs_of(captures: Sequence[Capture]) -> list[Run]:
    """Captures (in capture order) grouped into revisions."""
    runs: list[Run] = []
    for c in captures:
        if runs and runs[-1].first.key == c.key:
            runs[-1].confirmed.append(c)
        else:
            runs.append(Run(c))
    return runs


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

    # -- whole articles ------------------------------------------------------------------
    def index_article(self, cat: Catalog, article_id: str,
                      captures: Sequence[Capture]) -> list[RowLike]:
        """Derive and insert every revision of an article from its captures (in capture
        order), replacing the rows it had; returns the rows, oldest first."""
        indexed = cat.delete_revisions_of(article_id)
        rows: list[RowLike] = []
        history: list[tuple[str, str]] = []
        prev_text: str | None = None
        for number, run in enumerate(runs_of(captures), 1):
            rows.append(self._insert(cat, run, number, rows[-1] if rows else None, history,
                                     prev_text=prev_text, indexed=indexed))
            prev_text = run.first.text
        return rows

    # -- one capture at the end ----------------------------------------------------------
    def append(self, cat: Catalog, capture: Capture, head: RowLike | None,
               head_text: str | None) -> tuple[RowLike, bool]:
        """Add the article's newest capture: it confirms the head revision (returns it,
        False) or starts a revision after it (returns the new row, True)."""
        if head is not None and head["event"] is None and capture.rec.event is None and (
                head["text_hash"], head["title"]) == (capture.rec.text, capture.rec.title):
            cat.assign_captures([capture.seq], head["rid"])
            cat.saw_again(head["rid"], capture.rec.captured_at)
            return head, False
        history = [(r["text_hash"], r["title"]) for r in cat.revisions_of(capture.rec.article)]
        number = head["number"] + 1 if head is not None else 1
        row = self._insert(cat, Run(capture), number, head, history, prev_text=head_text)
        return row, True

    # -- one revision ----------------------------------------------------------------------
    def _insert(self, cat: Catalog, run: Run, number: int, prev: RowLike | None,
                history: list[tuple[str, str]], *, prev_text: str | None,
                indexed: Indexed | None = None) -> RowLike:
        first = run.first
        rec = first.rec
        text = first.text
        damaged = text is None
        reverts = None
        if rec.event is None and history and rec.text != history[-1][0]:
            reverts = next((i for i, (h, _) in enumerate(history, 1) if h == rec.text), None)
        history.append((rec.text, rec.title))
        d = self._derive(prev, prev_text, rec, text or "", reverts is not None, history)
        values: dict[str, Any] = {
            "record": first.oid, "article": rec.article, "number": number,
            "text_hash": rec.text, "original": rec.original,
            "original_type": rec.original_type, "title": rec.title, "url": rec.url,
            "date": rec.date, "source": rec.source, "author": rec.author,
            "captured_at": rec.captured_at, "words": count_words(text or ""),
            "bytes": len((text or "").encode("utf-8")),
            "words_added": d.words_added, "words_removed": d.words_removed,
            "reverts": reverts, "kind": " ".join(d.kind), "flipflop": int(d.flipflop),
            "damaged": int(damaged), "seq": first.seq, "event": rec.event,
            "detail": rec.detail, "last_seen": run.last_seen,
        }
        rid = cat.insert_revision(values)
        index_revision_text(cat, rid, rec.text, rec.title, text or "",
                            (prev["rid"], prev_text)
                            if prev is not None and prev_text is not None else None,
                            indexed=indexed)
        cat.insert_edits(rid, d.removed, d.added)
        cat.assign_captures(run.seqs, rid)
        cat.upsert_article(rec.article, rec.source, rec.date, rec.slug, rid, number,
                           rec.title, rec.url, rec.captured_at)
        return {**values, "rid": rid}

    def _derive(self, prev: RowLike | None, prev_text: str | None, rec: Record, text: str,
                reverts: bool, history: list[tuple[str, str]]) -> Derived:
        from newsarchive.indexing.derive import derive_revision  # start-up time

        if prev is None:
            return derive_revision(None, None, text, rec.title, reverts, history)
        # a capture after a tombstone is the article's return, whether or not the watcher
        # recorded it as one
        event = rec.event or ("restored" if prev["event"] == "removed" else None)
        return derive_revision(prev_text or "", prev["title"], text, rec.title,
                               reverts and event is None, history,
                               self._ahead_of(prev_text or "", text), event=event)

    def _ahead_of(self, prev_text: str, text: str) -> Any:
        return self.prefetch.get(prev_text, text) if self._ahead is not None else None


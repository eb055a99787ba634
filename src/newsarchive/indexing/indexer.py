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

Three findings of the watcher are derived here too, from the stored records and the
noise rules the indexer is given (so ``reindex`` applies changed rules again):

- **Noise** (:mod:`newsarchive.ingest.noise`): a capture whose text differs from its
  revision's only by ignored text (or by fewer than ``min_change_words`` words, no figure
  changed), the title the same, confirms that revision: it is ``unchanged``, its record
  and text kept. It is compared with the revision's first capture, so small changes cannot
  add up unseen.
- **Extraction health** (:mod:`newsarchive.ingest.health`): a revision whose text looks
  like a failed extraction, judged against the last revision that did not, has the kind
  ``extraction-suspect`` (an article's first revision too, when it is a wall).
- **Headline tests** (:mod:`newsarchive.changes.headlines`): a revision whose title went
  back to a variant the same text showed within a day has the kind ``headline-test``.
  "The same text" is the same text hash, or a text that differs only by noise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsarchive.changes.headlines import WINDOW, headline_tests
from newsarchive.errors import CatalogError
from newsarchive.indexing.rows import RowLike
from newsarchive.ingest.health import extraction_health
from newsarchive.ingest.noise import NoiseRules, RuleBook, differs_by_noise
from newsarchive.store.catalog import Catalog
from newsarchive.store.records import Record
from newsarchive.store.search_index import Indexed, index_revision_text
from newsarchive.text.words import count_words
from newsarchive.workers import Workers

if TYPE_CHECKING:
    from newsarchive.indexing.derive import Derived, Prefetch

NOISE_MEMO = 64  # noise comparisons remembered (the headline tests look back a day)


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


def runs_of(captures: Sequence[Capture],
            same: Callable[[Capture, Capture], bool] | None = None) -> list[Run]:
    """Captures (in capture order) grouped into revisions: a capture confirms the revision
    before it when ``same(its first capture, the capture)`` (default: equal keys)."""
    runs: list[Run] = []
    for c in captures:
        if runs and (runs[-1].first.key == c.key
                     or (same is not None and same(runs[-1].first, c))):
            runs[-1].confirmed.append(c)
        else:
            runs.append(Run(c))
    return runs


# (captured at, title, text key) of a revision, for headline tests
_Headline = tuple[datetime, str, Any]
TextOf = Callable[[str], "str | None"]


def _when(captured_at: str) -> datetime:
    """A catalog row's capture time (unreadable: the catalog is damaged)."""
    try:
        return datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise CatalogError.of_rows(f"a capture time that is no time: {captured_at!r}") \
            from None


def _within_window(headlines: list[_Headline]) -> list[_Headline]:
    """The revisions a headline test of the last one can reach back to: those captured
    within a day of it, and the one before them (the labels of the last revision are the
    same on them as on the whole history)."""
    at = headlines[-1][0]
    start = len(headlines) - 1
    while start > 0 and at - headlines[start - 1][0] <= WINDOW:
        start -= 1
    return headlines[max(0, start - 1):]


def _suspect_kind(kind: str) -> bool:
    return "extraction-suspect" in kind.split()


class Indexer:
    """Derives and inserts revision rows; compares texts ahead in ``workers`` processes
    on bulk writes (see :class:`~newsarchive.indexing.derive.Prefetch`)."""

    def __init__(self, workers: Workers, noise: RuleBook | None = None) -> None:
        self.workers = workers
        self.noise = noise or RuleBook()
        self._ahead: Prefetch | None = None
        # the pairs compared last: a revision's pair is asked about twice in a row, and the
        # headline tests ask again about the article's recent pairs
        self._noise_memo: OrderedDict[tuple[str, str, NoiseRules], bool] = OrderedDict()

    def rules_of(self, rec: Record) -> NoiseRules:
        """The noise rules of a capture's article."""
        return self.noise.rules(source=rec.source, url=rec.url)

    def noise_only(self, old: str | None, new: str | None, rec: Record) -> bool:
        """Whether text ``new`` of ``rec`` differs from ``old`` only by noise (False when
        either cannot be read; see :func:`~newsarchive.ingest.noise.differs_by_noise`)."""
        if old is None or new is None:
            return False
        rules = self.rules_of(rec)
        key = (old, new, rules)
        found = self._noise_memo.get(key)
        if found is not None:
            self._noise_memo.move_to_end(key)
            return found
        found = self._ahead.noise(old, new, rules) if self._ahead is not None else None
        if found is None:
            found = differs_by_noise(old, new, rules)
        self._noise_memo[key] = found
        if len(self._noise_memo) > NOISE_MEMO:
            self._noise_memo.popitem(last=False)
        return found

    def same(self, shown: Capture, c: Capture) -> bool:
        """Whether capture ``c`` shows what the revision beginning with ``shown`` shows:
        neither is an event, the titles are equal, the texts equal or equal but for noise."""
        if shown.rec.event is not None or c.rec.event is not None \
                or shown.rec.title != c.rec.title:
            return False
        return shown.rec.text == c.rec.text or self.noise_only(shown.text, c.text, c.rec)

    def runs(self, captures: Sequence[Capture]) -> list[Run]:
        """Captures grouped into revisions, noise rules applied."""
        return runs_of(captures, self.same)

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
        headlines: list[_Headline] = []
        prev_text: str | None = None
        healthy: tuple[str, int] | None = None  # the last healthy text and its words
        for number, run in enumerate(self.runs(captures), 1):
            prev = rows[-1] if rows else None
            rec = run.first.rec
            headlines.append((_when(rec.captured_at), rec.title,
                              self._text_key(prev, headlines, prev_text, run.first)))
            row = self._insert(cat, run, number, prev, history, prev_text=prev_text,
                               healthy_text=healthy, headlines=headlines, indexed=indexed)
            rows.append(row)
            prev_text = run.first.text
            if rec.event is None and run.first.text is not None \
                    and not _suspect_kind(row["kind"]):
                healthy = (run.first.text, row["words"])
        return rows

    # -- one capture at the end ----------------------------------------------------------
    def append(self, cat: Catalog, capture: Capture, head: RowLike | None,
               head_text: str | None, text_of: TextOf | None = None) -> tuple[RowLike, bool]:
        """Add the article's newest capture: it confirms the head revision (returns it,
        False) or starts a revision after it (returns the new row, True). ``text_of``
        reads an earlier revision's text by hash (None: only the head's is known)."""
        if head is not None and self.same(_head_capture(head, head_text), capture):
            cat.assign_captures([capture.seq], head["rid"])
            cat.saw_again(head["rid"], capture.rec.captured_at)
            return head, False
        revs = cat.revisions_of(capture.rec.article)
        history = [(r["text_hash"], r["title"]) for r in revs]
        number = head["number"] + 1 if head is not None else 1
        read = text_of or (lambda h: head_text if head is not None and h == head["text_hash"]
                           else None)
        healthy = next((r for r in reversed(revs)
                        if r["event"] is None and not _suspect_kind(r["kind"])), None)
        healthy_text: tuple[str, int] | None = None
        if healthy is not None:
            text = (head_text if head is not None and healthy["rid"] == head["rid"]
                    else read(healthy["text_hash"]))
            if not isinstance(healthy["words"], int):
                raise CatalogError.of_rows(f"a word count that is no number: "
                                           f"{healthy['words']!r}")
            healthy_text = (text, healthy["words"]) if text is not None else None
        headlines = self._recent_headlines(revs, capture, head_text, read)
        row = self._insert(cat, Run(capture), number, head, history, prev_text=head_text,
                           healthy_text=healthy_text, headlines=headlines)
        return row, True

    # -- headline tests ----------------------------------------------------------------
    def _text_key(self, prev: RowLike | None, headlines: list[_Headline],
                  prev_text: str | None, first: Capture) -> Any:
        """What "the same text" is for headline tests: the previous revision's key when
        the text is its text or differs only by noise; a key of its own otherwise."""
        rec = first.rec
        if rec.event is not None:
            return ("event", first.seq)
        if prev is None or prev["event"] is not None:
            return rec.text
        if rec.text == prev["text_hash"] or self.noise_only(prev_text, first.text, rec):
            return headlines[-1][2]
        return rec.text

    def headline_history(self, revs: Sequence[RowLike], text_of: TextOf) -> list[_Headline]:
        """(captured at, title, text key) of an article's revisions (rows, in order), as
        the headline tests of :meth:`index_article` see them: for summaries of the tests."""
        out: list[_Headline] = []
        prev: RowLike | None = None
        prev_text: str | None = None
        for r in revs:
            text = prev_text if prev is not None and r["text_hash"] == prev["text_hash"] \
                else text_of(r["text_hash"])
            first = Capture(r["seq"], r["record"], _record_of(r), text)
            out.append((_when(r["captured_at"]), r["title"],
                        self._text_key(prev, out, prev_text, first)))
            prev, prev_text = r, text
        return out

    def _recent_headlines(self, revs: Sequence[RowLike], capture: Capture,
                          head_text: str | None, read: TextOf) -> list[_Headline]:
        """(captured at, title, text key) of the revisions a headline test of ``capture``
        can reach back to (a day, and the revision before), ``capture`` last. A title not
        shown in that time cannot be a test: then only ``capture`` is returned."""
        at = _when(capture.rec.captured_at)
        start = len(revs)
        while start > 0 and at - _when(revs[start - 1]["captured_at"]) <= WINDOW:
            start -= 1
        start = max(0, start - 1)
        recent = list(revs[start:])
        title = " ".join(capture.rec.title.split())
        if capture.rec.event is not None or not any(
                " ".join(r["title"].split()) == title for r in recent[:-1]):
            return [(at, capture.rec.title, capture.rec.text)]
        out: list[_Headline] = []
        prev: RowLike | None = None
        prev_text: str | None = None
        for r in recent:
            text = head_text if r is recent[-1] else read(r["text_hash"])
            first = Capture(r["seq"], r["record"], _record_of(r), text)
            out.append((_when(r["captured_at"]), r["title"],
                        self._text_key(prev, out, prev_text, first)))
            prev, prev_text = r, text
        last = prev
        out.append((at, capture.rec.title, self._text_key(last, out, prev_text, capture)))
        return out

    # -- one revision ----------------------------------------------------------------------
    def _insert(self, cat: Catalog, run: Run, number: int, prev: RowLike | None,
                history: list[tuple[str, str]], *, prev_text: str | None,
                healthy_text: tuple[str, int] | None, headlines: list[_Headline],
                indexed: Indexed | None = None) -> RowLike:
        first = run.first
        rec = first.rec
        text = first.text
        damaged = text is None
        reverts = None
        if rec.event is None and history and rec.text != history[-1][0]:
            reverts = next((i for i, (h, _) in enumerate(history, 1) if h == rec.text), None)
        history.append((rec.text, rec.title))
        words = self._words(text or "")
        suspect = rec.event is None and text is not None and extraction_health(
            text, healthy_text[0] if healthy_text else None, title=rec.title, words=words,
            previous_words=healthy_text[1] if healthy_text else None).suspect
        headline_test = prev is not None and headline_tests(_within_window(headlines)).labels[-1]
        noise = prev is not None and rec.event is None and prev["event"] is None \
            and rec.text != prev["text_hash"] and self.noise_only(prev_text, text, rec)
        d = self._derive(prev, prev_text, rec, text or "", reverts is not None, history,
                         suspect=suspect, headline_test=headline_test, noise=noise)
        values: dict[str, Any] = {
            "record": first.oid, "article": rec.article, "number": number,
            "text_hash": rec.text, "original": rec.original,
            "original_type": rec.original_type, "title": rec.title, "url": rec.url,
            "date": rec.date, "source": rec.source, "author": rec.author,
            "captured_at": rec.captured_at, "words": words,
            "bytes": len((text or "").encode("utf-8")),
            "words_added": d.words_added, "words_removed": d.words_removed,
            "reverts": reverts, "kind": " ".join(d.kind), "flipflop": int(d.flipflop),
            "damaged": int(damaged), "seq": first.seq, "event": rec.event,
            "detail": rec.detail, "last_seen": run.last_seen,
            # '': known to have none (a first revision, a damaged text); NULL: not derived
            "first_change": d.first if not damaged and prev_text is not None and d.first
            else "",
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
                reverts: bool, history: list[tuple[str, str]], *, suspect: bool,
                headline_test: bool, noise: bool) -> Derived:
        from newsarchive.indexing.derive import derive_revision  # start-up time

        if prev is None:
            return derive_revision(None, None, text, rec.title, reverts, history,
                                   suspect=suspect)
        # a capture after a tombstone is the article's return, whether or not the watcher
        # recorded it as one
        event = rec.event or ("restored" if prev["event"] == "removed" else None)
        return derive_revision(prev_text or "", prev["title"], text, rec.title,
                               reverts and event is None, history,
                               self._ahead_of(prev_text or "", text), event=event,
                               suspect=suspect, headline_test=headline_test, noise=noise)

    def _words(self, text: str) -> int:
        known = self._ahead.words(text) if self._ahead is not None else None
        return count_words(text) if known is None else known

    def _ahead_of(self, prev_text: str, text: str) -> Any:
        return self.prefetch.get(prev_text, text) if self._ahead is not None else None


def _record_of(row: RowLike) -> Record:
    """A revision row as the record of its first capture (less what indexing never reads)."""
    return Record(article=row["article"], text=row["text_hash"], original=row["original"],
                  original_type=row["original_type"], title=row["title"], url=row["url"],
                  date=row["date"], source=row["source"], author=row["author"],
                  captured_at=row["captured_at"], recorded_at="", event=row["event"],
                  detail=row["detail"])


def _head_capture(head: RowLike, head_text: str | None) -> Capture:
    return Capture(head["seq"], head["record"], _record_of(head), head_text)

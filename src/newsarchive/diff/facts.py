"""Facts of an edit from its ops and its sentence alignment: what changed where, the
sentences that moved (unchanged, or edited on the way), the figures of a diff; and the
quick facts ``add``, ``changes`` and ``search --removed/--added`` need
(``word_change_counts``, ``changed_passages``, ``first_changed_sentence``).

Word counts and passages come from the sentence alignment (:mod:`newsarchive.diff.align`),
so that a moved paragraph with one figure changed counts two words, not the paragraph, in
``add``, ``log``, ``diff --stat`` and the search inside edits alike.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from newsarchive.diff.align import Alignment, Sentence, SentenceChange, align_sentences
from newsarchive.diff.engine import (
    MIN_MOVE_CHARS,
    RawOps,
    compute_ops,
    line_spans,
    sentence_spans,
)
from newsarchive.diff.model import DiffStats, Move, Op
from newsarchive.text.strings import common_prefix
from newsarchive.text.words import word_re


class Marks:
    """Changed intervals of one text (merged, sorted) and the points where the other side
    inserted (or deleted) text."""

    def __init__(self, intervals: list[tuple[int, int]], points: list[int]) -> None:
        merged: list[list[int]] = []
        for s, e in intervals:
            if merged and merged[-1][1] >= s:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.points = points
        self.total = sum(e - s for s, e in merged)

    def covered(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        return i >= 0 and self.ends[i] >= e

    def touched(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and self.ends[i] > s:
            return True
        if i + 1 < len(self.starts) and self.starts[i + 1] < e:
            return True
        k = bisect.bisect_right(self.points, s)
        return k < len(self.points) and self.points[k] < e


def mark_changes(ops: RawOps) -> tuple[Marks, Marks]:
    dels, ins, del_pts, ins_pts = [], [], [], []
    pa = pb = 0
    for op, text in ops:
        n = len(text)
        if op == "delete":
            dels.append((pa, pa + n))
            del_pts.append(pb)
            pa += n
        elif op == "insert":
            ins.append((pb, pb + n))
            ins_pts.append(pa)
            pb += n
        else:
            pa += n
            pb += n
    return Marks(dels, ins_pts), Marks(ins, del_pts)


def _runs(ops: RawOps) -> tuple[list[int], list[int], list[int], list[int]]:
    """Start in A of each delete and its run of changes; start in B of each insert and
    its run (a run: the changes between two equalities)."""
    da, dr, ib, ir = [], [], [], []
    pa = pb = run = 0
    for op, text in ops:
        if op == "equal":
            run += 1
        elif op == "delete":
            da.append(pa)
            dr.append(run)
        else:
            ib.append(pb)
            ir.append(run)
        pa += len(text) if op != "insert" else 0
        pb += len(text) if op != "delete" else 0
    return da, dr, ib, ir


def find_moves(a: str, b: str, ops: RawOps, marks: tuple[Marks, Marks], by: str
                ) -> list[Move]:
    """Sentences (lines when ``by`` is line) wholly deleted in one place and wholly
    inserted, unchanged, in another run of changes."""
    marks_a, marks_b = marks
    if not marks_a.total or not marks_b.total:
        return []
    units = line_spans if by == "line" else sentence_spans
    gone: dict[str, list[int]] = {}
    for s, e in units(a):
        e -= a[s:e].endswith("\n")
        if e - s >= MIN_MOVE_CHARS and marks_a.covered(s, e):
            gone.setdefault(a[s:e], []).append(s)
    if not gone:
        return []
    da, dr, ib, ir = _runs(ops)
    moves = []
    for s, e in units(b):
        e -= b[s:e].endswith("\n")
        starts = gone.get(b[s:e])
        if not starts or not marks_b.covered(s, e):
            continue
        run_b = ir[bisect.bisect_right(ib, s) - 1]
        for k, start in enumerate(starts):
            if dr[bisect.bisect_right(da, start) - 1] != run_b:
                moves.append(Move(b[s:e], starts.pop(k), s))
                break
    return sorted(moves, key=lambda m: m.a_offset)


def cut(ops: RawOps, moves: list[Move]) -> list[Op]:
    """Ops with each move's text cut out of its delete and insert ops and tagged."""
    spans = {
        "delete": sorted((m.a_offset, m.a_offset + len(m.a_text), i)
                         for i, m in enumerate(moves)),
        "insert": sorted((m.b_offset, m.b_offset + len(m.text), i) for i, m in enumerate(moves)),
    }
    nxt = {"delete": 0, "insert": 0}
    out: list[Op] = []
    pos = {"delete": 0, "insert": 0}
    for op, text in ops:
        if op == "equal":
            pos["delete"] += len(text)
            pos["insert"] += len(text)
            out.append(Op("equal", text))
            continue
        side, j, start = spans[op], nxt[op], pos[op]
        cur, end = start, start + len(text)
        while j < len(side) and side[j][0] < end:
            s, e, idx = side[j]
            if e <= cur:
                j += 1
                continue
            if s > cur:
                out.append(Op(op, text[cur - start:s - start]))
                cur = s
            stop = min(e, end)
            out.append(Op(op, text[cur - start:stop - start], idx))
            cur = stop
            if e > end:
                break
            j += 1
        if cur < end:
            out.append(Op(op, text[cur - start:]))
        nxt[op], pos[op] = j, end
    return out


def _shown_moves(al: Alignment) -> list[tuple[SentenceChange, Sentence, Sentence]]:
    """The alignment's moved sentences that a diff marks as moves (those of at least
    ``MIN_MOVE_CHARS`` characters: "Yes." moving is not worth a mark)."""
    out = []
    for c in al.changes:
        if c.action == "moved":
            old, new = al.old[c.old_index[0]], al.new[c.new_index[0]]
            if min(len(old.text), len(new.text)) >= MIN_MOVE_CHARS:
                out.append((c, old, new))
    return out


def moved_spans(al: Alignment) -> list[tuple[int, int, int, int]]:
    """(start, end) in A and in B of every sentence the alignment found moved."""
    return [(old.start, old.start + len(old.text), new.start, new.start + len(new.text))
            for _, old, new in _shown_moves(al)]


def aligned_moves(al: Alignment, marks: tuple[Marks, Marks], found: list[Move]) -> list[Move]:
    """The moves of ``found`` and the alignment's moved sentences that the ops delete
    whole in A and insert whole in B (those edited on the way carry their word diff)."""
    marks_a, marks_b = marks
    taken_a = [(m.a_offset, m.a_offset + len(m.a_text)) for m in found]
    taken_b = [(m.b_offset, m.b_offset + len(m.text)) for m in found]

    def free(taken: list[tuple[int, int]], s: int, e: int) -> bool:
        return all(e <= ts or te <= s for ts, te in taken)

    out = list(found)
    for c, old, new in _shown_moves(al):
        ea, eb = old.start + len(old.text), new.start + len(new.text)
        if (not free(taken_a, old.start, ea) or not free(taken_b, new.start, eb)
                or not marks_a.covered(old.start, ea) or not marks_b.covered(new.start, eb)):
            continue
        taken_a.append((old.start, ea))
        taken_b.append((new.start, eb))
        edited = old.text != new.text
        out.append(Move(new.text, old.start, new.start, old.text if edited else None,
                        c.word_ops if edited else ()))
    return sorted(out, key=lambda m: m.a_offset)


def stats_of(al: Alignment, title_changed: bool) -> DiffStats:
    """A diff's figures, from its sentence alignment."""
    s = al.stats
    return DiffStats(
        words_added=s.words_added, words_removed=s.words_removed,
        sentences_added=s.counts["added"], sentences_removed=s.counts["removed"],
        sentences_edited=s.counts["edited"] + s.moved_edited,
        sentences_moved=s.counts["moved"], changed_share=s.changed_share,
        title_changed=title_changed, sentences_split=s.counts["split"],
        sentences_merged=s.counts["merged"])


def change_passages(c: SentenceChange) -> tuple[list[str], list[str]]:
    """(removed, added) passages of one sentence change: a sentence added or removed
    whole, or each run of words its word diff took out or put in (spacing collapsed;
    runs without a word left out). A move without an edit has none."""
    if c.action == "added":
        return [], _passage(c.new)
    if c.action == "removed":
        return _passage(c.old), []
    removed: list[str] = []
    added: list[str] = []
    for op, text in c.word_ops:
        if op == "delete":
            removed += _passage(text)
        elif op == "insert":
            added += _passage(text)
    return removed, added


def _passage(text: str | None) -> list[str]:
    """A passage (spacing collapsed), if the text holds a word."""
    return [" ".join(text.split())] if text and word_re().search(text) else []


# -- quick facts for add / log / search ---------------------------------------------------


@lru_cache(maxsize=8)
def aligned(a: str, b: str) -> Alignment:
    """The sentence alignment of two texts (the last few kept: ``add`` asks for the
    counts and the passages of the same pair)."""
    return align_sentences(a, b)


def word_change_counts(a: str, b: str) -> tuple[int, int]:
    """(words added, words removed) from ``a`` to ``b``, as in the stats of a diff."""
    if a == b:
        return 0, 0
    stats = aligned(a, b).stats
    return stats.words_added, stats.words_removed


def changed_passages(a: str, b: str) -> tuple[list[str], list[str]]:
    """(removed passages, added passages): the sentences an edit took out or put in whole
    (next to each other: one passage), and the runs of words it took out of or put into
    the sentences it edited.

    Moved sentences are not passages (their edits are); runs without a word
    (punctuation, spacing) are skipped.
    """
    if a == b:
        return [], []
    removed: list[str] = []
    added: list[str] = []
    run: list[str] = []     # whole sentences next to each other, added or removed
    run_side = ""
    last = -2

    def flush() -> None:
        if run:
            (removed if run_side == "removed" else added).extend(_passage(" ".join(run)))
            run.clear()

    for c in aligned(a, b).changes:
        if c.action in ("added", "removed"):
            index = (c.old_index or c.new_index)[0]
            if run and (c.action != run_side or index != last + 1):
                flush()
            run_side, last = c.action, index
            run.append(c.old or c.new or "")
            continue
        gone, new = change_passages(c)
        if gone or new:
            flush()
        removed += gone
        added += new
    flush()
    return removed, added


def first_changed_sentence(a: str, b: str) -> str | None:
    """The first sentence an edit touched (what ``changes`` shows of each change): as it
    reads in ``b``, or as it read in ``a`` when the edit took it out and put nothing in its
    place. A sentence whose words changed comes before one that only moved or changed its
    spacing; when no sentence changed (the spacing between them did), the sentence of
    ``b`` where the texts first differ."""
    if a == b:
        return None
    changes = aligned(a, b).changes

    def rank(k: int) -> int:
        c = changes[k]
        if c.action == "unchanged":
            return 3
        words = any(op != "equal" and not text.isspace() for op, text in c.word_ops)
        if c.action in ("added", "removed") or words:
            return 0
        return 1 if c.action != "moved" else 2

    k = min(range(len(changes)), key=rank, default=None)   # the first of the best rank
    if k is None or rank(k) == 3:
        start = common_prefix(a, b)
        text = b if b.strip() else a
        spans = sentence_spans(text)
        if not spans:
            return None
        s, e = next(((s, e) for s, e in spans if e > start), spans[-1])
        return text[s:e]
    first = changes[k]
    if first.action == "removed" and k + 1 < len(changes) \
            and changes[k + 1].action == "added":
        first = changes[k + 1]   # a sentence replaced: as it reads now
    return " ".join(first.new_sentences or first.old_sentences) or None


def title_ops(a: str, b: str) -> RawOps:
    """The word diff of two titles (as ``diff`` shows a changed title)."""
    return compute_ops(a, b, "word")[0] if a != b else ([("equal", a)] if a else [])


def title_passages(a: str, b: str) -> tuple[list[str], list[str]]:
    """(removed, added): the runs of words a headline's rewrite took out and put in
    (``Putin [-reaffirms-]{+vows+} ...``: "reaffirms" and "vows", not the whole titles)."""
    removed: list[str] = []
    added: list[str] = []
    for op, text in title_ops(a, b):
        if op == "delete":
            removed += _passage(text)
        elif op == "insert":
            added += _passage(text)
    return removed, added

"""Facts of an edit from its ops: what changed where, moved sentences, word and sentence
counts; and the quick facts ``add``, ``search --removed/--added`` and ``changes`` need
(``word_change_counts``, ``changed_passages``, ``first_changed_sentence``)."""

from __future__ import annotations

import bisect
from functools import lru_cache

from newsarchive.diff.engine import (
    MIN_MOVE_CHARS,
    OpName,
    RawOps,
    TooManyTokens,
    compute_ops,
    encode_tokens,
    line_spans,
    run_dmp,
    sentence_spans,
)
from newsarchive.text.words import word_re
from newsarchive.diff.model import Move, Op


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
        "delete": sorted((m.a_offset, m.a_offset + len(m.text), i) for i, m in enumerate(moves)),
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


# words x words above which a run's common words are not searched (about 0.4 s of the
# pure-Python diff-match-patch at worst): a bound on work, not time, so that the counts
# are the same on any machine
_LCS_LIMIT = 250_000


def _common_words(gone: list[str], new: list[str]) -> int:
    """How many words the longest common sequence of two word lists has; for runs too
    large (unrelated texts), only the words they begin and end with."""
    if not gone or not new:
        return 0
    if len(gone) * len(new) <= _LCS_LIMIT:
        try:
            table: dict[str, str] = {}
            ea, eb = encode_tokens(gone, table), encode_tokens(new, table)
            return sum(n for op, n in run_dmp(ea, eb, 0, None, cleanup=False) if op == "equal")
        except TooManyTokens:
            pass
    n, p, q = min(len(gone), len(new)), 0, 0
    while p < n and gone[p] == new[p]:
        p += 1
    while q < n - p and gone[-1 - q] == new[-1 - q]:
        q += 1
    return p + q


def count_words(ops: RawOps, a: str, b: str, by: str,
                 marks: tuple[Marks, Marks] | None = None) -> tuple[int, int]:
    """(words added, words removed).

    Op boundaries fall between words except at char granularity, so the words of each
    run of changes are counted, less those the run takes out and puts back (the semantic
    cleanup makes "[-reaffirmed his commitment-]{+renewed his pledge+}" of a two-word
    edit: +2 -2, not +3 -3). At char granularity: the words the edit touched.
    """
    if by == "char":
        ma, mb = marks or mark_changes(ops)
        added = sum(1 for m in word_re().finditer(b) if mb.touched(m.start(), m.end()))
        removed = sum(1 for m in word_re().finditer(a) if ma.touched(m.start(), m.end()))
        return added, removed
    added = removed = 0
    gone: list[str] = []
    new: list[str] = []
    for op, text in [*ops, ("equal", "")]:
        if op == "delete":
            gone += word_re().findall(text)
        elif op == "insert":
            new += word_re().findall(text)
        elif gone or new:
            common = _common_words(gone, new)
            added, removed = added + len(new) - common, removed + len(gone) - common
            gone, new = [], []
    return added, removed


def sentence_counts(text: str, marks: Marks, moved: set[int]) -> tuple[int, int]:
    """(sentences wholly added/removed, sentences partly changed) of one side."""
    whole = part = 0
    for s, e in sentence_spans(text):
        if s in moved or not marks.touched(s, e):
            continue
        if marks.covered(s, e):
            whole += 1
        else:
            part += 1
    return whole, part


# -- quick facts for add / log / search ---------------------------------------------------


@lru_cache(maxsize=8)
def _word_ops(a: str, b: str) -> tuple[tuple[tuple[OpName, str], ...], str]:
    ops, used = compute_ops(a, b, "word")
    return tuple(ops), used


def word_change_counts(a: str, b: str) -> tuple[int, int]:
    """(words added, words removed) from ``a`` to ``b``, as in the stats of a word diff."""
    if a == b:
        return 0, 0
    ops, used = _word_ops(a, b)
    return count_words(list(ops), a, b, used)


def changed_passages(a: str, b: str) -> tuple[list[str], list[str]]:
    """(removed passages, added passages): each run of words an edit took out or put in.

    Moved sentences are neither; runs without a word (punctuation, spacing) are skipped.
    """
    if a == b:
        return [], []
    raw, _ = _word_ops(a, b)
    ma, mb = mark_changes(list(raw))
    moves = find_moves(a, b, list(raw), (ma, mb), "word")
    removed: list[str] = []
    added: list[str] = []
    for op in cut(list(raw), moves):
        if op.op != "equal" and op.moved is None and word_re().search(op.text):
            (removed if op.op == "delete" else added).append(" ".join(op.text.split()))
    return removed, added


def _sentence_at(text: str, pos: int) -> str | None:
    spans = sentence_spans(text)
    i = max(bisect.bisect_right([s for s, _ in spans], pos) - 1, 0)
    if i < len(spans) and spans[i][1] <= pos:
        i += 1
    if i >= len(spans):
        i = len(spans) - 1
    return text[spans[i][0]:spans[i][1]] if spans else None


def first_changed_sentence(a: str, b: str) -> str | None:
    """The first sentence of ``b`` the edit touched (of ``a`` when it only took text out).

    A change to spacing alone is passed over when there is another change.
    """
    if a == b:
        return None
    raw, _ = _word_ops(a, b)
    changes: list[tuple[int, int, int]] = []   # (op index, position in a, position in b)
    pa = pb = 0
    for k, (op, text) in enumerate(raw):
        if op != "equal":
            changes.append((k, pa, pb))
        pa += len(text) if op != "insert" else 0
        pb += len(text) if op != "delete" else 0
    if not changes:
        return None
    k, pa, pb = next((c for c in changes if raw[c[0]][1].strip()), changes[0])
    inserts = raw[k][0] == "insert" or (k + 1 < len(raw) and raw[k + 1][0] == "insert")
    if not inserts and not any(s < pb < e for s, e in sentence_spans(b)):
        return _sentence_at(a, pa)
    return _sentence_at(b, pb) or _sentence_at(a, pa)

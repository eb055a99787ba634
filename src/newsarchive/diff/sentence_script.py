"""The edit script of ``--by sentence``, built from the sentence alignment.

At sentence granularity a diff marks whole sentences, and the alignment
(:mod:`newsarchive.diff.align`) already says what became of each: so the script is made
from it rather than by the engine. Sentences the alignment left unchanged in place are
equalities; the sentences it edited in place (and the splits and merges whose pieces stay
between the same unchanged sentences) are each one delete of the old sentences then one
insert of the new, next to each other, so that ``[-old-]{+new+}`` reads as one edit; every
other sentence (added, removed, moved) is deleted where it stood in A and inserted where it
stands in B (the caller marks the halves of a move). The spacing between sentences is kept
equal where both sides have it.

The script is exact (equal and delete texts give A, equal and insert texts B) or, should
the alignment's places ever not increase on both sides, None, and the caller falls back to
the engine.
"""

from __future__ import annotations

import bisect

from newsarchive.diff.align import Alignment
from newsarchive.diff.engine import RawOps

__all__ = ["sentence_ops"]

_SOFT = ("edited", "split", "merged")


def _replace(a: str, b: str) -> RawOps:
    """``a`` replaced by ``b``, the spacing both begin and end with kept equal."""
    if a == b:
        return [("equal", a)] if a else []
    n, p, q = min(len(a), len(b)), 0, 0
    while p < n and a[p] == b[p] and a[p].isspace():
        p += 1
    while q < n - p and a[-1 - q] == b[-1 - q] and a[-1 - q].isspace():
        q += 1
    ops: RawOps = [("equal", a[:p]), ("delete", a[p:len(a) - q]),
                   ("insert", b[p:len(b) - q]), ("equal", a[len(a) - q:])]
    return [(op, t) for op, t in ops if t]


def _merge(ops: RawOps) -> RawOps:
    out: RawOps = []
    for op, text in ops:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def sentence_ops(al: Alignment, a: str, b: str) -> RawOps | None:
    """An exact sentence-level edit script of ``a`` to ``b`` from their alignment."""
    hard = sorted((c.old_index[0], c.new_index[0]) for c in al.changes
                  if c.action == "unchanged")
    if any(j1 >= j2 for (_, j1), (_, j2) in zip(hard, hard[1:], strict=False)):
        return None
    hard_a = [i for i, _ in hard]
    hard_b = [j for _, j in hard]
    # the edits that stay between the same two unchanged sentences on both sides, in order
    soft: list[tuple[list[int], list[int]]] = []
    for c in al.changes:
        if c.action not in _SOFT or not c.old_index or not c.new_index:
            continue
        gaps = {bisect.bisect_left(hard_a, i) for i in c.old_index}
        gaps |= {bisect.bisect_left(hard_b, j) for j in c.new_index}
        if len(gaps) == 1:
            soft.append((list(c.old_index), list(c.new_index)))
    soft.sort(key=lambda g: (min(g[0]), min(g[1])))
    events: list[tuple[list[int], list[int], bool]] = [([i], [j], True) for i, j in hard]
    last_a = last_b = -1
    kept = []
    for olds, news in soft:
        if min(olds) > last_a and min(news) > last_b:
            kept.append((olds, news, False))
            last_a, last_b = max(olds), max(news)
        # a soft group out of order with the one before stays deletes and inserts
    events += kept
    events.sort(key=lambda e: (min(e[0]), min(e[1])))
    old, new = al.old, al.new
    ops: RawOps = []
    pa = pb = 0
    for olds, news, equal in events:
        sa, sb = old[min(olds)].start, new[min(news)].start
        ea = old[max(olds)].start + len(old[max(olds)].text)
        eb = new[max(news)].start + len(new[max(news)].text)
        if sa < pa or sb < pb:
            return None
        ops += _replace(a[pa:sa], b[pb:sb])
        if equal:
            ops.append(("equal", a[sa:ea]))
        else:
            ops += [("delete", a[sa:ea]), ("insert", b[sb:eb])]
        pa, pb = ea, eb
    ops += _replace(a[pa:], b[pb:])
    ops = _merge(ops)
    if ("".join(t for op, t in ops if op != "insert") != a
            or "".join(t for op, t in ops if op != "delete") != b):
        return None
    return ops

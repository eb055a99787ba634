"""Sentence alignment: which sentences of revision A became which sentences of revision B.

``align_sentences(a, b)`` returns an :class:`Alignment`: the sentences of both texts (with
the paragraph each sits in) and one list of :class:`SentenceChange`, each one of

- ``unchanged``: the same sentence, in the same place;
- ``added`` / ``removed``: a sentence with no counterpart on the other side;
- ``edited``: a sentence rewritten in place, with an exact word diff inside;
- ``moved``: a sentence that changed place. A sentence that moved *and* was edited is one
  ``moved`` entry whose word ops hold the edit (``SentenceChange.edited`` tells the two
  apart), not two entries: the reader sees one sentence that went somewhere else and
  changed a little, which is what happened;
- ``split``: one old sentence became several new ones; ``merged``: several became one.

The approach is that of NewsEdits (Spangher et al., NAACL 2022): sentences are matched by
word overlap in both directions, each old sentence to the new sentence holding most of its
words and each new sentence to the old one holding most of its words, so that a sentence
cut in two (both halves point at it) or two sentences joined (the join points at both) are
caught; and a matched sentence that keeps its words but not its place is a move (NewsEdits
calls it a refactor). NewsEdits compares word embeddings; this module compares the words
themselves (casefolded, numbers whole: "16,000"), which keeps it exact, fast and free of
models, and weighs each word by its rarity in the two texts (inverse document frequency
over the sentences, ``log(1 + N / df)``), so that "the", "said" or "der" count for little
and "17,000" or "Kremlin" for much, in any language.

How, in order (each step only sees what the ones before left over):

1. **Anchors.** Identical sentences that keep their order are matched first, as a longest
   common sequence of the two sentence lists (by identity): the common head and tail, then
   Myers' O(ND) algorithm, which finishes at once on news revisions (few sentences
   differ). These are ``unchanged``. They cut both texts into gaps: gap g lies between
   anchors g-1 and g, on each side.
2. **Exact copies.** A sentence left over on one side that is found, identical, among the
   left-overs of the other is paired with it (the copy in the same gap first, else the
   first one).
3. **Overlap.** The remaining sentences are compared by weighted word overlap:
   ``containment(s -> t)`` (the share of s's word weight found in t) and the weighted
   Jaccard similarity. Each sentence on either side points at its best partner with
   ``containment >= MATCH_CONTAINMENT`` and ``similarity >= MATCH_SIMILARITY``. The
   pointers, strongest first, are grouped into stars: a pair (edited), one old sentence
   with several new (split) or one new with several old (merged); a pointer that would
   tie two stars together is dropped, and a further piece joins a split or merge only if
   it covers at least ``PIECE_GAIN`` more of the whole and lies within ``PIECE_SPAN``
   sentences of a piece already there.
4. **Places.** Within each gap, the pairs and groups whose sentences all lie in that gap on
   both sides are ordered by the longest increasing sequence of their positions: those on
   it stayed in place (``edited``, or ``unchanged`` for an exact copy), a 1:1 pair off it
   (or across gaps) is ``moved``. A split or merge stays ``split``/``merged`` wherever its
   pieces are.
5. Everything unmatched is ``added`` or ``removed``. Each pair or group gets an exact word
   diff (``diffengine.compute_ops`` at word granularity) of its old side against its new
   side, the sentences of a side joined by one space.

Thresholds, and why these values:

- ``MATCH_CONTAINMENT = 0.5``: a sentence comes from another when at least half of its
  (weighted) words are found there. NewsEdits matched a sentence when the mean distance
  of its words to their nearest partner in the other sentence was under 0.44 (a word
  without partner counting 0.5): when most words had a close partner. With exact words,
  half of the weight is the same intent. It catches splits (each half
  lies wholly inside the old sentence), merges, a clause added or dropped (the shorter
  side lies inside the longer), and softened quotes (a few words swapped of twenty).
- ``MATCH_SIMILARITY = 0.2`` (weighted Jaccard): containment alone would let a short
  sentence ("He said.") match any long sentence holding its words; requiring a fifth of
  the union in common still admits a split into four pieces (1/4 each) or a sentence
  that grew to three times its length (1/3), and rejects a three-word sentence inside a
  twenty-word one (0.15).
- ``PIECE_GAIN = 0.15``: a second (third...) piece of a split must cover at least 15% of
  the old sentence that the pieces already found do not; otherwise it is a new sentence
  that repeats some words ("Police said the fire ...") and is ``added``.
- ``PIECE_SPAN = 2``: the pieces of a split or merge are next to each other, or one
  sentence apart (a sentence dropped between two that were joined).

Bounded time, and the fallbacks:

- Anchors: Myers gets half of ``ANCHOR_BUDGET`` steps for the whole; if that is not
  enough (thousands of sentences reordered), patience anchors are used instead (sentences
  found once on each side, in increasing order, O(n log n), recursively between them), with
  Myers under the other half of the budget where no sentence is unique. What that leaves
  unmatched goes to steps 2 and 4, where identical sentences are still paired and the
  longest increasing sequence (exact up to ``LIS_EXACT_LIMIT`` groups per gap, patience
  order beyond it) decides what stayed in place. Every sentence identical: the common
  head or tail matches them in linear time.
- Overlap: candidate pairs come from an inverted index of words, rarest words first and
  only as many as can still reach ``MATCH_CONTAINMENT`` (prefix filtering: a sentence
  sharing none of them cannot hold half the weight); each sentence takes at most
  ``CANDIDATES_PER_SENTENCE`` candidates, those nearest to its own place when a word is
  common. So at most (n + m) x ``CANDIDATES_PER_SENTENCE`` pairs are scored, whatever the
  input; on pathological input (thousands of near-identical sentences) a sentence may miss
  its best partner beyond the cap and come out as removed + added, never wrongly exact.
- Word diffs: one engine word diff per pair or group (bounded in work like every engine
  diff; a sentence takes well under a millisecond) until the pairs diffed hold
  ``WORD_DIFF_BUDGET`` words in all (a few hundred edited sentences); beyond it, each pair
  gets a plain exact diff (common head and tail of word tokens kept, the middle replaced),
  and its words are counted from that.

Measured (``benchmarks/bench_align.py``, 758 revision pairs of 45 sentences on average,
on a shared two-core machine under load): 2.5 ms per pair (median), under 9 ms at the 95th
percentile; 5,000 sentences shuffled 0.4-0.7 s, 5,000 sentences each edited 2-3 s.

The result is deterministic (no clock decides anything) and exact: each sentence index of A
appears in exactly one change's ``old_index``, each of B in one ``new_index``, so the old
sides in old order give the sentences of A and the new sides in new order those of B.
Swapping A and B swaps added and removed, split and merged, when no sentence repeats
within a text; with repeated sentences, which copy is matched follows the choice of the
longest common sequence, and that choice is not symmetric.

Figures (:class:`AlignmentStats`): changes per action, words added and removed, and the
changed share of the text, in words: (words removed + words added) / (words of A + words of
B). Moved words are not changed words: a moved paragraph with one number changed counts 2
words (the old and the new number), not the paragraph.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from newsarchive.diff.engine import OpName, compute_ops, sentence_spans, token_re
from newsarchive.text.words import words as find_words

__all__ = ["ACTIONS", "Alignment", "AlignmentStats", "Sentence", "SentenceChange",
           "align_sentences", "split_sentences"]

Action = Literal["unchanged", "added", "removed", "edited", "moved", "split", "merged"]
ACTIONS: tuple[Action, ...] = ("unchanged", "added", "removed", "edited", "moved", "split",
                               "merged")
WordOps = tuple[tuple[OpName, str], ...]

MATCH_CONTAINMENT = 0.5
MATCH_SIMILARITY = 0.2
PIECE_GAIN = 0.15
PIECE_SPAN = 2
ANCHOR_BUDGET = 400_000
LIS_EXACT_LIMIT = 300
CANDIDATES_PER_SENTENCE = 8
WORD_DIFF_BUDGET = 10_000

try:   # tell the engine once, rather than have it try the import on every sentence
    import fast_diff_match_patch  # noqa: F401

    _ENGINE: str | None = "fast"
except ImportError:
    _ENGINE = "python"

# -- model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text: its place (index, paragraph, character offset) and its text."""

    index: int
    paragraph: int
    start: int
    text: str


@dataclass(frozen=True)
class SentenceChange:
    """What became of one sentence (or of the sentences of a split or merge).

    ``old_index``/``new_index`` are indexes into ``Alignment.old``/``Alignment.new``
    (empty on the side a sentence was added to or removed from); ``word_ops`` is an exact
    word diff of the old side against the new side (each side's sentences joined by one
    space) for edited, moved, split and merged sentences, and empty otherwise.
    """

    action: Action
    old_index: tuple[int, ...]
    new_index: tuple[int, ...]
    old_sentences: tuple[str, ...]
    new_sentences: tuple[str, ...]
    old_paragraph: tuple[int, ...] = ()
    new_paragraph: tuple[int, ...] = ()
    word_ops: WordOps = ()
    words_added: int = 0
    words_removed: int = 0

    @property
    def old(self) -> str | None:
        return " ".join(self.old_sentences) if self.old_sentences else None

    @property
    def new(self) -> str | None:
        return " ".join(self.new_sentences) if self.new_sentences else None

    @property
    def edited(self) -> bool:
        """Whether the words changed (an edit, split or merge; a move with an edit)."""
        return any(op != "equal" for op, _ in self.word_ops)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "old": self.old, "new": self.new,
                "old_index": list(self.old_index), "new_index": list(self.new_index),
                "old_paragraph": list(self.old_paragraph),
                "new_paragraph": list(self.new_paragraph),
                "word_ops": [{"op": op, "text": t} for op, t in self.word_ops]}


@dataclass(frozen=True)
class AlignmentStats:
    """Changes per action, and the words changed (moved words are not changed words)."""

    counts: dict[str, int]      # entries per action, every action present
    moved_edited: int           # moved entries whose words changed too (among "moved")
    sentences_edited: int       # edited + moved_edited + split + merged
    words_added: int
    words_removed: int
    words_old: int
    words_new: int

    @property
    def changed_share(self) -> float:
        """(words removed + words added) / (words of A + words of B), 0..1."""
        total = self.words_old + self.words_new
        return (self.words_added + self.words_removed) / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "moved_edited": self.moved_edited,
                "sentences_edited": self.sentences_edited, "words_added": self.words_added,
                "words_removed": self.words_removed, "words_old": self.words_old,
                "words_new": self.words_new, "changed_share": round(self.changed_share, 4)}


@dataclass(frozen=True)
class Alignment:
    """The sentences of A (``old``) and B (``new``) and what became of each (``changes``,
    in reading order of B, a removed sentence where it stood)."""

    old: tuple[Sentence, ...]
    new: tuple[Sentence, ...]
    changes: tuple[SentenceChange, ...]
    stats: AlignmentStats

    def to_dict(self) -> dict[str, Any]:
        return {"sentences": [c.to_dict() for c in self.changes], "stats": self.stats.to_dict()}


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` (``newsarchive.text.sentences``' splitter), each with the index
    of its paragraph (a paragraph is a line: any line break starts a new one)."""
    return list(_split(text))


@lru_cache(maxsize=8)
def _split(text: str) -> tuple[Sentence, ...]:
    """(remembered: a revision's text is the new side of one alignment, then the old side
    of the next)"""
    out: list[Sentence] = []
    para = prev = 0
    for k, (start, end) in enumerate(sentence_spans(text)):
        if k and text.find("\n", prev, start) >= 0:
            para += 1
        out.append(Sentence(k, para, start, text[start:end]))
        prev = end
    return tuple(out)


# -- 1. anchors: a longest common sequence of identical sentences ----------------------------


def _lis(keys: list[int]) -> list[int]:
    """Positions of a longest strictly increasing subsequence of ``keys`` (patience)."""
    tops: list[int] = []        # key at the top of each pile
    top_pos: list[int] = []
    back = [-1] * len(keys)
    for p, k in enumerate(keys):
        n = bisect.bisect_left(tops, k)
        if n == len(tops):
            tops.append(k)
            top_pos.append(p)
        else:
            tops[n], top_pos[n] = k, p
        back[p] = top_pos[n - 1] if n else -1
    out: list[int] = []
    p = top_pos[-1] if top_pos else -1
    while p >= 0:
        out.append(p)
        p = back[p]
    return out[::-1]


def _myers(a: list[int], b: list[int], budget: list[int]) -> list[tuple[int, int]] | None:
    """Matched positions of a longest common sequence of ``a`` and ``b`` (Myers), or None
    when the shared ``budget`` of steps runs out."""
    n, m = len(a), len(b)
    off = n + m + 1
    v = [0] * (2 * off + 1)
    trace: list[list[int]] = []
    for d in range(n + m + 1):
        trace.append(v[off - d - 1:off + d + 2])
        budget[0] -= d + 1
        if budget[0] < 0:
            return None
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[off + k - 1] < v[off + k + 1]):
                x = v[off + k + 1]
            else:
                x = v[off + k - 1] + 1
            y, x0 = x - k, x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            budget[0] -= x - x0
            v[off + k] = x
            if x >= n and y >= m:
                return _myers_path(trace, d, n, m)
    return None   # not reached: d = n + m always ends


def _myers_path(trace: list[list[int]], dmax: int, n: int, m: int) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(dmax, -1, -1):
        snap = trace[d]   # v before step d, for k in -d-1 .. d+1

        def val(k: int, snap: list[int] = snap, d: int = d) -> int:
            return snap[k + d + 1]

        k = x - y
        if d == 0:
            prev_x = prev_y = 0
        else:
            prev_k = k + 1 if (k == -d or (k != d and val(k - 1) < val(k + 1))) else k - 1
            prev_x = val(prev_k)
            prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        x, y = prev_x, prev_y
    return pairs[::-1]


def _anchors(ka: list[int], kb: list[int]) -> list[tuple[int, int]]:
    """(old index, new index) of identical sentences kept in order, increasing in both:
    a longest common sequence when Myers finishes within half the budget (nearly always),
    else patience anchors, with Myers under the other half between them."""
    pairs: list[tuple[int, int]] = []
    budget = [ANCHOR_BUDGET // 2]
    whole = True
    stack = [(0, len(ka), 0, len(kb))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        while a0 < a1 and b0 < b1 and ka[a0] == kb[b0]:
            pairs.append((a0, b0))
            a0, b0 = a0 + 1, b0 + 1
        while a0 < a1 and b0 < b1 and ka[a1 - 1] == kb[b1 - 1]:
            a1, b1 = a1 - 1, b1 - 1
            pairs.append((a1, b1))
        if a0 == a1 or b0 == b1 or set(ka[a0:a1]).isdisjoint(kb[b0:b1]):
            continue
        if whole:
            whole = False
            found = _myers(ka[a0:a1], kb[b0:b1], [ANCHOR_BUDGET // 2])
            if found is not None:
                pairs += [(a0 + i, b0 + j) for i, j in found]
                continue
        count: dict[int, int] = defaultdict(int)
        for k in ka[a0:a1]:
            count[k] += 1
        where_b: dict[int, int] = {}
        for j in range(b0, b1):
            k = kb[j]
            if count.get(k) == 1:
                where_b[k] = -1 if k in where_b else j
        uniq = [(i, where_b[ka[i]]) for i in range(a0, a1) if where_b.get(ka[i], -1) >= 0]
        if uniq:
            chain = [uniq[p] for p in _lis([j for _, j in uniq])]
            pa, pb = a0, b0
            for i, j in chain:
                pairs.append((i, j))
                stack.append((pa, i, pb, j))
                pa, pb = i + 1, j + 1
            stack.append((pa, a1, pb, b1))
        else:
            pairs += [(a0 + i, b0 + j) for i, j in _myers(ka[a0:a1], kb[b0:b1], budget) or ()]
    pairs.sort()
    return pairs


# -- 3. overlap ---------------------------------------------------------------------------------


class _Words:
    """Weighted word sets of the sentences, weights by rarity over both texts."""

    def __init__(self, words: dict[str, tuple[str, ...]], free: set[str]) -> None:
        """``words``: the words of every distinct sentence; ``free``: the sentences to
        be compared (only their words get weights)."""
        sets = self.sets = {t: frozenset(map(str.casefold, ws)) for t, ws in words.items()}
        df = Counter(itertools.chain.from_iterable(sets.values()))
        n = len(sets)
        self.weight = {w: math.log(1 + n / df[w]) for t in free for w in sets[t]}
        self.totals = {t: self.total(sets[t]) for t in free}

    def total(self, words: frozenset[str]) -> float:
        return sum(map(self.weight.__getitem__, words))

    def shared(self, x: frozenset[str], y: frozenset[str]) -> float:
        return sum(map(self.weight.__getitem__, x & y))


class _Pair(NamedTuple):
    i: int
    j: int
    c_ab: float   # containment of the old sentence in the new
    c_ba: float
    sim: float    # weighted Jaccard


def _nearest(posting: list[int], near: int, room: int) -> list[int]:
    """The ``room`` entries of a sorted list closest to ``near`` (ties: the lower)."""
    hi = bisect.bisect_left(posting, near)
    lo = hi - 1
    out: list[int] = []
    while len(out) < room and (lo >= 0 or hi < len(posting)):
        if hi >= len(posting) or (lo >= 0 and near - posting[lo] <= posting[hi] - near):
            out.append(posting[lo])
            lo -= 1
        else:
            out.append(posting[hi])
            hi += 1
    return out


def _candidates(text: str, wd: _Words, index: dict[str, list[int]], near: int) -> set[int]:
    """Sentences of the other side that may hold ``MATCH_CONTAINMENT`` of this one's words:
    those sharing one of its rarest words that weigh more than the rest (capped)."""
    stop = (1 - MATCH_CONTAINMENT) * wd.totals[text]
    weight = wd.weight
    acc = 0.0
    out: set[int] = set()
    for w in sorted(wd.sets[text], key=lambda w: (-weight[w], w)):
        posting = index.get(w)
        if posting:
            room = CANDIDATES_PER_SENTENCE - len(out)
            out.update(posting if len(posting) <= room else _nearest(posting, near, room))
        acc += weight[w]
        if acc > stop or len(out) >= CANDIDATES_PER_SENTENCE:
            break
    return out


def _overlap_pairs(old: Sequence[Sentence], new: Sequence[Sentence], wd: _Words,
                   free_a: list[int], free_b: list[int], near_a: dict[int, int],
                   near_b: dict[int, int]) -> list[_Pair]:
    """The scored candidate pairs of the unmatched sentences."""
    index_a: dict[str, list[int]] = defaultdict(list)
    index_b: dict[str, list[int]] = defaultdict(list)
    for i in free_a:
        for w in wd.sets[old[i].text]:
            index_a[w].append(i)
    for j in free_b:
        for w in wd.sets[new[j].text]:
            index_b[w].append(j)
    seen: set[tuple[int, int]] = set()
    out: list[_Pair] = []

    def score(i: int, j: int) -> None:
        if (i, j) in seen:
            return
        seen.add((i, j))
        ta, tb = old[i].text, new[j].text
        common = wd.shared(wd.sets[ta], wd.sets[tb])
        if common:
            x, y = wd.totals[ta], wd.totals[tb]
            out.append(_Pair(i, j, common / x, common / y, common / (x + y - common)))

    for i in free_a:
        for j in _candidates(old[i].text, wd, index_b, near_a[i]):
            score(i, j)
    for j in free_b:
        for i in _candidates(new[j].text, wd, index_a, near_b[j]):
            score(i, j)
    return out


def _stars(pairs: list[_Pair], old: Sequence[Sentence], new: Sequence[Sentence],
           gap_a: dict[int, int], gap_b: dict[int, int], wd: _Words
           ) -> list[tuple[list[int], list[int]]]:
    """Pairs, splits and merges: each sentence's best partner, grouped into stars."""
    best_a: dict[int, tuple[tuple[float, float, int, int], _Pair]] = {}
    best_b: dict[int, tuple[tuple[float, float, int, int], _Pair]] = {}
    for p in pairs:
        if p.sim < MATCH_SIMILARITY:
            continue
        dist = abs(gap_a[p.i] - gap_b[p.j])
        if p.c_ab >= MATCH_CONTAINMENT:
            key = (p.c_ab, p.sim, -dist, -p.j)
            if p.i not in best_a or key > best_a[p.i][0]:
                best_a[p.i] = (key, p)
        if p.c_ba >= MATCH_CONTAINMENT:
            key = (p.c_ba, p.sim, -dist, -p.i)
            if p.j not in best_b or key > best_b[p.j][0]:
                best_b[p.j] = (key, p)
    edges = {(p.i, p.j): p for _, p in [*best_a.values(), *best_b.values()]}
    order = sorted(edges.values(), key=lambda p: (-max(p.c_ab, p.c_ba), -p.sim, p.i + p.j,
                                                  min(p.i, p.j), p.i))
    nb_a: dict[int, list[int]] = defaultdict(list)
    nb_b: dict[int, list[int]] = defaultdict(list)

    def words_of(side: Sequence[Sentence], idx: list[int]) -> frozenset[str]:
        return frozenset().union(*(wd.sets[side[k].text] for k in idx))

    def gains(center: frozenset[str], have: frozenset[str], more: frozenset[str]) -> bool:
        total = wd.total(center)
        return bool(total) and (wd.shared(center, have | more)
                                - wd.shared(center, have)) >= PIECE_GAIN * total

    for p in order:
        i, j = p.i, p.j
        if not nb_a[i] and not nb_b[j]:
            pass
        elif (not nb_a[i] and all(len(nb_a[x]) == 1 for x in nb_b[j])
              and min(abs(i - x) for x in nb_b[j]) <= PIECE_SPAN
              and gains(wd.sets[new[j].text], words_of(old, nb_b[j]), wd.sets[old[i].text])):
            pass   # one more old sentence merged into j
        elif (not nb_b[j] and all(len(nb_b[y]) == 1 for y in nb_a[i])
              and min(abs(j - y) for y in nb_a[i]) <= PIECE_SPAN
              and gains(wd.sets[old[i].text], words_of(new, nb_a[i]), wd.sets[new[j].text])):
            pass   # i split into one more new sentence
        else:
            continue
        nb_a[i].append(j)
        nb_b[j].append(i)
    groups: list[tuple[list[int], list[int]]] = []
    seen_b: set[int] = set()
    for i in sorted(nb_a):
        js = nb_a[i]
        if not js:
            continue
        if len(js) > 1:
            groups.append(([i], sorted(js)))
        elif js[0] not in seen_b:
            seen_b.add(js[0])
            groups.append((sorted(nb_b[js[0]]), [js[0]]))
    return groups


# -- 4. places ------------------------------------------------------------------------------


def _in_order(groups: list[tuple[list[int], list[int]]]) -> set[int]:
    """Indexes (into ``groups``, all in one gap) of a longest chain increasing in both
    texts, weighted by sentences (exact up to ``LIS_EXACT_LIMIT`` groups)."""
    order = sorted(range(len(groups)), key=lambda g: (min(groups[g][0]), min(groups[g][1])))
    if len(order) > LIS_EXACT_LIMIT:
        keys = [min(groups[g][1]) for g in order]
        kept: list[int] = []
        for p in _lis(keys):
            g = order[p]
            if not kept or (min(groups[g][0]) > max(groups[kept[-1]][0])
                            and min(groups[g][1]) > max(groups[kept[-1]][1])):
                kept.append(g)
        return set(kept)
    score = [0] * len(order)
    back = [-1] * len(order)
    for p, g in enumerate(order):
        olds, news = groups[g]
        score[p] = len(olds) + len(news)
        for q in range(p):
            h = order[q]
            if (max(groups[h][0]) < min(olds) and max(groups[h][1]) < min(news)
                    and score[q] + len(olds) + len(news) > score[p]):
                score[p], back[p] = score[q] + len(olds) + len(news), q
    p = max(range(len(order)), key=lambda p: (score[p], -p)) if order else -1
    out: set[int] = set()
    while p >= 0:
        out.add(order[p])
        p = back[p]
    return out


# -- 5. the changes and their figures -----------------------------------------------------------


def _common_count(x: list[str], y: list[str]) -> int:
    """Length of a longest common sequence of two word lists (of their common head and
    tail only when the rest is large)."""
    n, p, q = min(len(x), len(y)), 0, 0
    while p < n and x[p] == y[p]:
        p += 1
    while q < n - p and x[-1 - q] == y[-1 - q]:
        q += 1
    x, y = x[p:len(x) - q], y[p:len(y) - q]
    if not x or not y or len(x) * len(y) > 4_096:
        return p + q
    row = [0] * (len(y) + 1)
    for a in x:
        prev = 0
        for k, b in enumerate(y):
            cur = row[k + 1]
            row[k + 1] = prev + 1 if a == b else max(row[k + 1], row[k])
            prev = cur
    return p + q + row[-1]


def _word_changes(ops: WordOps) -> tuple[int, int]:
    """(words added, words removed) of a word diff: the words of each run of changes, less
    those the run takes out and puts back (the engine's semantic cleanup widens runs)."""
    added = removed = 0
    gone: list[str] = []
    put: list[str] = []
    for op, text in [*ops, ("equal", "")]:
        if op == "delete":
            gone += find_words(text)
        elif op == "insert":
            put += find_words(text)
        elif gone or put:
            common = _common_count(gone, put)
            added, removed = added + len(put) - common, removed + len(gone) - common
            gone, put = [], []
    return added, removed


def _plain_ops(a: str, b: str) -> WordOps:
    """``a`` replaced by ``b`` but for the word tokens they begin and end with: the word
    diff of the fallback, exact and instant."""
    ta, tb = token_re().findall(a), token_re().findall(b)
    n, p, q = min(len(ta), len(tb)), 0, 0
    while p < n and ta[p] == tb[p]:
        p += 1
    while q < n - p and ta[-1 - q] == tb[-1 - q]:
        q += 1
    ops: list[tuple[OpName, str]] = [
        ("equal", "".join(ta[:p])), ("delete", "".join(ta[p:len(ta) - q])),
        ("insert", "".join(tb[p:len(tb) - q])), ("equal", "".join(ta[len(ta) - q:]))]
    return tuple((op, t) for op, t in ops if t)


def _change(action: Action, olds: list[int], news: list[int], old: Sequence[Sentence],
            new: Sequence[Sentence], words: dict[str, tuple[str, ...]], budget: list[int] | None
            ) -> SentenceChange:
    """The change; with a word-diff ``budget`` (words left), the sides get a word diff
    (a plain one once the budget is spent); without, the words of wholly added or
    removed sentences are counted."""
    o = tuple(old[i].text for i in olds)
    n = tuple(new[j].text for j in news)
    ops: WordOps = ()
    added = removed = 0
    if budget is not None and o != n:
        size = sum(len(words[t]) for t in (*o, *n))
        budget[0] -= size
        if budget[0] >= 0:
            raw, _ = compute_ops(" ".join(o), " ".join(n), "word", engine=_ENGINE)
            ops = tuple(raw)
            added, removed = _word_changes(ops)
        else:
            ops = _plain_ops(" ".join(o), " ".join(n))
            added = sum(len(find_words(t)) for op, t in ops if op == "insert")
            removed = sum(len(find_words(t)) for op, t in ops if op == "delete")
    elif budget is None:
        added = sum(len(words[t]) for t in n)
        removed = sum(len(words[t]) for t in o)
    return SentenceChange(action, tuple(olds), tuple(news), o, n,
                          tuple(old[i].paragraph for i in olds),
                          tuple(new[j].paragraph for j in news), ops, added, removed)


def align_sentences(a: str, b: str) -> Alignment:
    """Align the sentences of text ``a`` (old) with those of ``b`` (new); see the module
    docstring for the method and its thresholds."""
    old, new = _split(a), _split(b)
    words = {t: _sentence_words(t) for t in dict.fromkeys(s.text for s in (*old, *new))}
    ids: dict[str, int] = {}
    ka = [ids.setdefault(s.text, len(ids)) for s in old]
    kb = [ids.setdefault(s.text, len(ids)) for s in new]
    anchors = _anchors(ka, kb)
    anchored_a = {i for i, _ in anchors}
    anchored_b = {j for _, j in anchors}
    anchor_a = [i for i, _ in anchors]
    anchor_b = [j for _, j in anchors]
    gap_a = {i: bisect.bisect_left(anchor_a, i) for i in range(len(old)) if i not in anchored_a}
    gap_b = {j: bisect.bisect_left(anchor_b, j) for j in range(len(new)) if j not in anchored_b}

    # 2. exact copies out of order
    groups: list[tuple[list[int], list[int]]] = []
    exact: set[int] = set()   # indexes into groups
    copies: dict[int, list[int]] = defaultdict(list)
    for j in gap_b:
        copies[kb[j]].append(j)
    paired_a: set[int] = set()
    paired_b: set[int] = set()
    for i in gap_a:
        js = copies.get(ka[i])
        if js:
            j = next((j for j in js if gap_b[j] == gap_a[i]), js[0])
            js.remove(j)
            exact.add(len(groups))
            groups.append(([i], [j]))
            paired_a.add(i)
            paired_b.add(j)

    # 3. overlap
    free_a = [i for i in gap_a if i not in paired_a]
    free_b = [j for j in gap_b if j not in paired_b]
    if free_a and free_b:
        near_a = {i: (anchor_b[gap_a[i] - 1] + 1 if gap_a[i] else 0) for i in free_a}
        near_b = {j: (anchor_a[gap_b[j] - 1] + 1 if gap_b[j] else 0) for j in free_b}
        wd = _Words(words, {old[i].text for i in free_a} | {new[j].text for j in free_b})
        pairs = _overlap_pairs(old, new, wd, free_a, free_b, near_a, near_b)
        groups += _stars(pairs, old, new, gap_a, gap_b, wd)

    # 4. places
    by_gap: dict[int, list[int]] = defaultdict(list)
    for g, (olds, news) in enumerate(groups):
        gaps = {gap_a[i] for i in olds} | {gap_b[j] for j in news}
        if len(gaps) == 1:
            by_gap[gaps.pop()].append(g)
    in_place: set[int] = set()
    for members in by_gap.values():
        in_place |= {members[k] for k in _in_order([groups[g] for g in members])}

    # 5. the changes, in reading order of B
    budget = [WORD_DIFF_BUDGET]
    keyed: list[tuple[tuple[int, int, int], SentenceChange]] = []
    for i, j in anchors:
        text = (old[i].text,)
        keyed.append(((j, 1, i), SentenceChange("unchanged", (i,), (j,), text, text,
                                                (old[i].paragraph,), (new[j].paragraph,))))
    placed: list[tuple[int, int]] = list(anchors)   # (max old, max new) of in-place entries
    matched_a = {i for olds, _ in groups for i in olds}
    matched_b = {j for _, news in groups for j in news}
    for g, (olds, news) in enumerate(groups):
        if len(olds) > 1:
            action: Action = "merged"
        elif len(news) > 1:
            action = "split"
        elif g in in_place:
            action = "unchanged" if g in exact else "edited"
        else:
            action = "moved"
        if g in in_place:
            placed.append((max(olds), max(news)))
        change = _change(action, olds, news, old, new, words, budget)
        keyed.append(((min(news), 1, min(olds)), change))
    for j in gap_b:
        if j not in matched_b:
            keyed.append(((j, 1, -1), _change("added", [], [j], old, new, words, None)))
    placed.sort()
    last_old = [p for p, _ in placed]
    last_new = list(_running_max([q for _, q in placed]))
    for i in gap_a:
        if i not in matched_a:
            k = bisect.bisect_left(last_old, i)
            keyed.append(((last_new[k - 1] + 1 if k else 0, 0, i),
                          _change("removed", [i], [], old, new, words, None)))
    keyed.sort(key=lambda kc: kc[0])
    changes = tuple(c for _, c in keyed)
    return Alignment(tuple(old), tuple(new), changes,
                     _stats(changes, sum(len(words[s.text]) for s in old),
                            sum(len(words[s.text]) for s in new)))


@lru_cache(maxsize=4096)
def _sentence_words(sentence: str) -> tuple[str, ...]:
    """The words of a sentence (not to be changed: remembered, as consecutive revisions
    share most of their sentences)."""
    return tuple(find_words(sentence))


def _running_max(xs: list[int]) -> list[int]:
    out, top = [], -1
    for x in xs:
        top = max(top, x)
        out.append(top)
    return out


def _stats(changes: tuple[SentenceChange, ...], words_old: int, words_new: int
           ) -> AlignmentStats:
    counts: dict[str, int] = dict.fromkeys(ACTIONS, 0)
    moved_edited = 0
    for c in changes:
        counts[c.action] += 1
        moved_edited += c.action == "moved" and c.edited
    return AlignmentStats(
        counts=counts, moved_edited=moved_edited,
        sentences_edited=counts["edited"] + moved_edited + counts["split"] + counts["merged"],
        words_added=sum(c.words_added for c in changes),
        words_removed=sum(c.words_removed for c in changes),
        words_old=words_old, words_new=words_new)

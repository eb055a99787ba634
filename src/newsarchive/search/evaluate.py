"""Evaluating a parsed query over the paragraph index (:mod:`newsarchive.store.search_index`).

Each word, phrase or prefix of the query (a *term*) is one FTS5 expression written by
:mod:`newsarchive.search.fts` (a double-quoted string); AND, OR and NOT are combined here,
per revision, from the revisions each term matches (its title or one of its paragraphs).

**Hybrid evaluation.** Scoring every revision a common word matches is what made such a
search grow with the archive (BM25 of 50,000 documents for a word in every article). So
each term's matches are first counted, up to :data:`CAP`:

- a term under the cap is *scored*: every revision it matches (of those searched: latest
  or all, with the filters), with the BM25 of its best paragraph plus ten times its
  title's;
- a term over the cap only *filters*: it is never scored, only checked on candidate
  revisions, one by one in the index (or, once that took :data:`LOOKUPS` lookups, against
  a map of the paragraphs it matches, read once); words first, then phrases, then
  prefixes, each only where the terms before it leave the answer open.

A prefix is counted and checked apart: each of its lookups in the index merges all its
words. Given the revisions' texts (``text_of``), a word of the prefix found in the newest
:data:`SAMPLE` revisions searched that is itself over the cap puts the prefix over the cap
without counting it, and a prefix over the cap is checked on the candidates' own texts in
a scratch table (:mod:`newsarchive.search.scratch`) for the first :data:`TEXT_CHECKS`
revisions of a query. Otherwise its whole match is read once, as a map: to count it,
and kept to check it.

The candidates are the revisions the scored terms allow (for ``rare common``, those of
``rare``), best score first; when the scored terms allow any revision (``common``,
``common OR rare``), the revisions searched, newest first, checked until ``limit`` pass.
Those results are ranked newest first and carry a score of 0. A term over the cap adds
nothing to the score: its BM25 weight is small anyway (it matches a large part of the
archive), which is why ``rare common`` ranks as it would with both scored.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Union

from newsarchive.errors import QueryError
from newsarchive.search.fts import _ONLY_NEGATIVE, _emit_term, to_fts5
from newsarchive.search.parse import Alt, Group, Parser, Term, Unit
from newsarchive.search.scratch import Scratch
from newsarchive.store.search_index import SearchIndex

#: Terms matching more paragraphs (or titles) than this are checked, not scored.
CAP = 20_000
#: Index lookups spent checking a term one candidate at a time before its whole match is
#: read instead (about 0.1 s of lookups).
LOOKUPS = 2_000
#: The newest revisions searched whose words tell whether a prefix is over the cap.
SAMPLE = 3
#: Revisions a query reads to check prefixes by their texts (about a millisecond each)
#: before it reads a prefix's whole match instead.
TEXT_CHECKS = 256


@dataclass(frozen=True)
class Leaf:
    match: str  # an FTS5 expression of one word, phrase or prefix


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class And:
    pos: tuple[Node, ...]
    neg: tuple[Node, ...]


Node = Union[Leaf, Or, And]


# -- the query as a tree of terms (the same reading as fts.to_fts5) ----------------------
def _unit(unit: Unit, query: str) -> Node | None:
    if isinstance(unit, Term):
        emitted = _emit_term(unit)
        return Leaf(emitted[0]) if emitted is not None else None
    return _group(unit, query)


def _alt(alt: Alt, query: str) -> Node | None:
    parts = tuple(p for p in (_unit(u, query) for u in alt.units) if p is not None)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(parts)


def _group(group: Group, query: str) -> Node | None:
    pos: list[Node] = []
    neg: list[Node] = []
    for negated, alt in group.items:
        if negated:
            neg.extend(n for n in (_unit(u, query) for u in alt.units) if n is not None)
            continue
        node = _alt(alt, query)
        if node is not None:
            pos.append(node)
    if not pos:
        if neg or any(negated for negated, _ in group.items):
            raise QueryError(query, _ONLY_NEGATIVE)
        return None
    if len(pos) == 1 and not neg:
        return pos[0]
    return And(tuple(pos), tuple(neg))


def query_tree(query: str) -> Node:
    """The query as terms combined by AND, OR and NOT; QueryError exactly when
    :func:`~newsarchive.search.fts.to_fts5` raises it."""
    to_fts5(query)  # the errors, worded once
    node = _group(Parser(query).parse(), query)
    assert node is not None  # to_fts5 raised for a query without words
    return node


def leaves(node: Node) -> Iterator[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, Or):
        for part in node.parts:
            yield from leaves(part)
    else:
        for part in (*node.pos, *node.neg):
            yield from leaves(part)


# -- evaluation ---------------------------------------------------------------------------
class Evaluation:
    """One query over one :class:`SearchIndex` (see the module docstring)."""

    def __init__(self, index: SearchIndex, root: Node, *, cap: int = CAP,
                 text_of: Callable[[str], str] | None = None) -> None:
        self.index = index
        self.root = root
        self.cap = cap
        self.text_of = text_of  # a revision's text by hash: prefixes checked on texts
        self.scratch: Scratch | None = None
        self.scored: dict[str, dict[int, tuple[float, str]]] = {}
        self.checked: dict[str, set[int]] = {}  # per checked term: candidates that match
        self.tried: dict[str, set[int]] = {}  # ... and every candidate checked
        self.whole: dict[str, tuple[bytearray, bytearray]] = {}  # maps of its paragraphs/titles
        self.lookups: dict[str, int] = {}  # index lookups spent checking each term
        self.order: list[str] = []  # the order the common terms are checked in
        self.path = ""  # "exact", "ranked" or "newest": how the last run went (tests)

    def run(self, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` revisions as ``(rid, score)``, best first."""
        if self.text_of is not None and any(
                leaf.match.endswith("*") for leaf in leaves(self.root)):
            self.scratch = Scratch()
        try:
            return self._run(limit)
        finally:
            if self.scratch is not None:
                self.scratch.close()

    def _run(self, limit: int) -> list[tuple[int, float]]:
        terms = list(dict.fromkeys(leaf.match for leaf in leaves(self.root)))
        # in the query's order: the order terms are checked in decides what each costs,
        # so it must not change from one run to the next (as a set's order would)
        common = [t for t in terms if self._common(t)]
        for term in terms:
            if term not in common:
                self.scored[term] = self.index.scores(term)
        for term in common:
            self.checked[term], self.tried[term] = set(), set()
        self.order = sorted(common, key=_cost)  # (stable: then in the query's order)
        found = self._candidates(self.root)
        if found is None:
            self.path = "newest"
            return self._newest(limit)
        if not common:
            self.path = "exact"
            # best score first; ties: newest capture first, then the latest rid
            return [(rid, score) for score, _, rid in heapq.nlargest(
                limit, self._keyed(self._decided(self.root, found)[0]))]
        self.path = "ranked"
        ranked = sorted(self._keyed(found), reverse=True)
        out: list[tuple[int, float]] = []
        for batch in _batches(ranked, limit + limit // 2):
            matches = self._check([rid for _, _, rid in batch])
            out.extend((rid, score) for score, _, rid in batch if rid in matches)
            if len(out) >= limit:
                break
        return out[:limit]

    def _common(self, term: str) -> bool:
        """Whether ``term`` matches more paragraphs (or titles) than the cap."""
        if not term.endswith("*"):
            return self.index.capped_count(term, self.cap) > self.cap
        if self.scratch is not None:
            # a word of the prefix over the cap puts the prefix over it: counting the
            # prefix itself would merge every one of its words
            sample = next(self.index.newest(first=SAMPLE), [])
            for word in self._texts(rid for rid, _ in sample).words(term)[:3]:
                if self.index.capped_count('"' + word.replace('"', '""') + '"',
                                           self.cap) > self.cap:
                    return True
        # counting a prefix merges its words as reading its whole match does: read it
        # once, and keep it when it is over the cap
        whole = self.index.matching_all(term)
        if max(ids.count(1) for ids in whole) <= self.cap:
            return False
        self.whole[term] = whole
        return True

    def _texts(self, rids: Iterable[int]) -> Scratch:
        """The scratch table (a query with a prefix, given the texts), with the texts of
        these revisions in it."""
        assert self.scratch is not None and self.text_of is not None
        self.scratch.load(self.index.texts(rids), self.text_of)
        return self.scratch

    def _keyed(self, rids: Iterable[int]) -> list[tuple[float, str, int]]:
        """``(score, captured_at, rid)`` of each revision: sorted descending, best first."""
        if isinstance(self.root, Leaf):  # one term: its scores as they are
            scored = self.scored[self.root.match]
            return [(*scored[rid], rid) for rid in rids]
        return [(self._score(self.root, rid), self._when(rid), rid) for rid in rids]

    def _newest(self, limit: int) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        for batch in self.index.newest(first=limit + limit // 2):
            rids = [rid for rid, _ in batch]
            matches = self._check(rids)
            out.extend((rid, 0.0) for rid in rids if rid in matches)
            if len(out) >= limit:
                break
        return out[:limit]

    def _check(self, rids: list[int]) -> set[int]:
        """Check every common term on these candidates, and return those the query
        matches: the cheapest kind of term first (:func:`_cost`: words, then phrases, then
        prefixes), and each term only on the candidates the terms checked before it leave
        undecided (in ``th* NOT said``, the prefix is checked only where ``said`` is not
        found). A term left unchecked on a decided candidate cannot change the query's
        answer there."""
        batch = set(rids)
        for term in self.order:
            ok, tried = self.checked[term], self.tried[term]
            yes, no = self._decided(self.root, batch - tried)
            todo = [r for r in rids if r not in tried and r not in yes and r not in no]
            tried.update(todo)
            if (term.endswith("*") and term not in self.whole and self.scratch is not None
                    and len(self.scratch) + len(todo) <= TEXT_CHECKS):
                scratch = self._texts(todo)
                ok |= scratch.matching(term).intersection(todo)
                todo = [r for r in todo if r in scratch.unreadable]  # the index decides
            if not todo:
                continue
            if term not in self.whole and (term.endswith("*")
                                           or self.lookups.get(term, 0) > LOOKUPS):
                # FTS5 merges every word of a prefix before it can look up one row, and
                # a term that fails on most candidates costs a lookup for each of their
                # paragraphs: read its whole match once instead
                self.whole[term] = self.index.matching_all(term)
            if term in self.whole:
                ok |= self.index.matching_in(*self.whole[term], todo)
            else:
                found, lookups = self.index.matching(term, todo)
                ok |= found
                self.lookups[term] = self.lookups.get(term, 0) + lookups
        return self._decided(self.root, batch)[0]

    def _candidates(self, node: Node) -> set[int] | None:
        """A superset of the revisions ``node`` matches; None: any revision."""
        if isinstance(node, Leaf):
            scored = self.scored.get(node.match)
            return None if scored is None else set(scored)
        if isinstance(node, Or):
            out: set[int] = set()
            for part in node.parts:
                found = self._candidates(part)
                if found is None:
                    return None
                out |= found
            return out
        best: set[int] | None = None
        for part in node.pos:
            found = self._candidates(part)
            if found is not None:
                best = found if best is None else best & found
        return best

    def _decided(self, node: Node, rids: set[int]) -> tuple[set[int], set[int]]:
        """Those of ``rids`` that ``node`` surely matches, and those it surely does not, as
        far as the terms checked on them tell; the rest depend on a term not checked there
        yet (Kleene's three-valued logic, as set operations over the whole batch). Once
        every term is checked or the answer is decided, the first set is the matches."""
        if isinstance(node, Leaf):
            scored = self.scored.get(node.match)
            if scored is not None:
                yes = set(filter(scored.__contains__, rids))
                return yes, rids - yes
            yes = rids & self.checked[node.match]
            return yes, (rids & self.tried[node.match]) - yes
        if isinstance(node, Or):
            parts = [self._decided(part, rids) for part in node.parts]
            return set().union(*(y for y, _ in parts)), set.intersection(*(n for _, n in parts))
        yes, no = set(rids), set()
        for part in node.pos:
            y, n = self._decided(part, rids)
            yes &= y
            no |= n
        for part in node.neg:
            y, n = self._decided(part, rids)
            yes &= n
            no |= y
        return yes, no

    def _score(self, node: Node, rid: int) -> float:
        if isinstance(node, Leaf):
            hit = self.scored.get(node.match, {}).get(rid)
            return hit[0] if hit else 0.0
        return sum(self._score(part, rid) for part in (
            node.parts if isinstance(node, Or) else node.pos))

    def _when(self, rid: int) -> str:
        for scored in self.scored.values():
            hit = scored.get(rid)
            if hit is not None:
                return hit[1]
        return ""


def _cost(term: str) -> int:
    """How dear checking a term is, by its kind: a word's lookup reads one word's
    positions, a phrase's several (``"of the" NOT said``: 0.7 s checking the phrase
    first at 100,000 articles, 0.2 s checking the word first), and a prefix's merges all
    its words."""
    return 2 if term.endswith("*") else 1 if " " in term else 0


def _batches(items: list[tuple[float, str, int]], first: int
             ) -> Iterable[list[tuple[float, str, int]]]:
    i, n = 0, max(first, 1)
    while i < len(items):
        yield items[i:i + n]
        i += n
        n = min(n * 2, 4096)

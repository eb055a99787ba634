"""The full-text index of the catalog: one row per distinct paragraph, titles apart.

Revisions of one article share most of their paragraphs, so indexing each revision's
whole text (as the first catalog did) indexed nearly everything several times. Here:

- ``para_fts``: contentless FTS5, one row per distinct paragraph (a paragraph is what a
  blank line separates in the canonical text), positions kept (phrases); its rowid is
  the paragraph's id, ``pid``.
- ``title_fts``: contentless FTS5, one row per distinct title (``tid``).
- ``para_docs (pid, rid)``: which revisions hold a paragraph (``WITHOUT ROWID``).
- ``search_revs (rid, tid, pids)``: a revision's title id and its paragraph ids in
  order (a packed array of 32-bit ids), indexed by ``tid``.

A paragraph is indexed once per article history: a new revision reuses the ids of the
paragraphs it shares with the revision it follows (compared as text, so no hash can
collide), and a revision whose text another revision already has reuses all of them. The
same paragraph in two unrelated articles is indexed twice (measured at +0.4% rows).

A word, phrase or prefix matches a revision when it matches its title or one of its
paragraphs: a phrase does not match across a paragraph break (it did not match across
title and text before either). AND, OR and NOT combine these per revision
(:mod:`newsarchive.search.evaluate`).

Nothing here knows the query language: callers pass FTS5 expressions that
:mod:`newsarchive.search.fts` wrote (every word a double-quoted string).
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, repeat
from typing import Any, Protocol

from newsarchive.errors import CatalogError
from newsarchive.store.filters import filters, newest_articles_index, newest_revisions_index, \
    rows_in
from newsarchive.text.canonical import content_hash


class _HasConnection(Protocol):  # a Catalog (not imported: the catalog imports this module)
    conn: Any


#: How the paragraphs and titles are cut into words (what a search's scratch table of a few
#: texts must cut them into too, :mod:`newsarchive.search.scratch`).
TOKENIZE = "unicode61 remove_diacritics 2"

SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS para_fts USING fts5 (
    body, content='', tokenize='{TOKENIZE}'
);
CREATE VIRTUAL TABLE IF NOT EXISTS title_fts USING fts5 (
    title, content='', tokenize='{TOKENIZE}'
);
CREATE TABLE IF NOT EXISTS para_docs (
    pid INTEGER NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (pid, rid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_revs (
    rid INTEGER PRIMARY KEY,
    tid INTEGER NOT NULL,
    pids BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS search_revs_tid ON search_revs (tid);
"""

#: The tables above, in the order they are dropped (``reindex``), and the FTS5 ones.
TABLES = ("para_fts", "title_fts", "para_docs", "search_revs")
FTS_TABLES = ("para_fts", "title_fts")

_SWAP = sys.byteorder != "little"  # the id arrays are stored little-endian


def capped_count(conn: Any, table: str, match: str, cap: int) -> int:
    """How many rows of the FTS5 ``table`` ``match`` matches, counted to ``cap + 1`` at most
    (a common word's count stops there; a prefix's merges all its words first)."""
    return int(conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)",
        (match, cap + 1)).fetchone()[0])


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a (canonical) text: what blank lines separate, without the white
    space around them, blank ones left out."""
    return [p for p in (part.strip() for part in text.split("\n\n")) if p]


def pack_ids(ids: Sequence[int]) -> bytes:
    arr = array("I", ids)
    if _SWAP:  # pragma: no cover - big-endian machines
        arr.byteswap()
    return arr.tobytes()


def id_array(blob: bytes) -> array[int]:
    """The ids :func:`pack_ids` packed, as an array (iterated in C)."""
    arr = array("I", blob)
    if _SWAP:  # pragma: no cover - big-endian machines
        arr.byteswap()
    return arr


def unpack_ids(blob: bytes) -> list[int]:
    """A revision's paragraph ids, as the writer reads them (a value that is no list of
    them: the catalog is damaged)."""
    if not isinstance(blob, bytes) or len(blob) % 4:
        raise CatalogError.of_rows(f"a search entry that is no list of paragraphs: "
                                   f"{repr(blob)[:40]}")
    return id_array(blob).tolist()


#: What a revision's entry was, by text hash: ``(tid, pids, title)`` (see :func:`forget`).
Indexed = dict[str, list[tuple[int, bytes, str]]]


def forget(cat: _HasConnection, article_id: str) -> Indexed:
    """Remove the search entries of an article's revisions (before their rows are derived
    again, :meth:`~newsarchive.store.catalog.Catalog.delete_revisions_of`), and return
    them by text hash: passed to :func:`index_revision_text` as ``indexed``, the revisions
    derived again reuse their paragraphs and titles instead of indexing them anew. The
    paragraphs and titles stay in the FTS5 tables (contentless: a row cannot be deleted
    without its text)."""
    conn = cat.conn
    out: Indexed = {}
    rows = conn.execute(
        "SELECT s.rid, s.tid, s.pids, r.title, r.text_hash FROM revisions r "
        "JOIN search_revs s ON s.rid = r.rid WHERE r.article = ?", (article_id,)).fetchall()
    for rid, tid, pids, title, text_hash in rows:
        out.setdefault(text_hash, []).append((tid, pids, title))
        conn.executemany("DELETE FROM para_docs WHERE pid = ? AND rid = ?",
                         ((pid, rid) for pid in set(unpack_ids(pids))))
        conn.execute("DELETE FROM search_revs WHERE rid = ?", (rid,))
    return out


def _next_id(conn: Any, table: str) -> int:
    """The id after the largest one ``table`` (an FTS5 table) holds: a paragraph or title
    whose revisions were derived again stays there with its id (:func:`forget`)."""
    return int(conn.execute(f"SELECT max(id) FROM {table}_docsize").fetchone()[0] or 0) + 1


def index_revision_text(cat: _HasConnection, rid: int, text_hash: str, title: str, text: str,
                        previous: tuple[int, str] | None = None, *,
                        indexed: Indexed | None = None) -> None:
    """Index revision ``rid``'s title and text for search (inside the caller's transaction).

    ``previous`` is ``(rid, text)`` of a revision already indexed that this one likely
    shares paragraphs with (the article's previous revision): its paragraphs are
    reused instead of indexed again. It only saves space; leave it out when unknown.
    ``text`` must be the text ``text_hash`` names; ``previous`` is ignored when its
    text is not the one that revision holds. ``indexed``: entries of revisions removed
    to be derived again (:func:`forget`), reused likewise.
    """
    conn = cat.conn
    paras = paragraphs(text)
    known: dict[str, int] = {}
    tid = 0
    same = conn.execute(
        "SELECT s.tid, s.pids, r.title FROM revisions r JOIN search_revs s ON s.rid = r.rid "
        "WHERE r.text_hash = ? AND r.rid != ? ORDER BY r.title = ? DESC LIMIT 1",
        (text_hash, rid, title)).fetchone()
    if (same is None or same[2] != title) and indexed and text_hash in indexed:
        same = max(indexed[text_hash], key=lambda e: e[2] == title)
    if same is not None:
        ids = unpack_ids(same[1])
        if len(ids) == len(paras):
            known = dict(zip(paras, ids, strict=True))
            if same[2] == title:
                tid = same[0]
    if previous is not None and (not tid or len(known) < len(set(paras))):
        prev = conn.execute(
            "SELECT s.tid, s.pids, r.title, r.text_hash FROM search_revs s "
            "JOIN revisions r ON r.rid = s.rid WHERE s.rid = ?", (previous[0],)).fetchone()
        if prev is not None and prev[3] == content_hash(previous[1]):
            prev_paras = paragraphs(previous[1])
            ids = unpack_ids(prev[1])
            if len(ids) == len(prev_paras):
                for para, pid in zip(prev_paras, ids, strict=True):
                    known.setdefault(para, pid)
            if not tid and prev[2] == title:
                tid = prev[0]
    if not tid and title.strip():
        tid = _next_id(conn, "title_fts")
        conn.execute("INSERT INTO title_fts (rowid, title) VALUES (?, ?)", (tid, title))
    new: list[tuple[int, str]] = []
    pids: list[int] = []
    next_pid = 0
    for para in paras:
        pid = known.get(para, 0)
        if not pid:
            if not next_pid:
                next_pid = _next_id(conn, "para_fts")
            pid = known[para] = next_pid
            next_pid += 1
            new.append((pid, para))
        pids.append(pid)
    if new:
        conn.executemany("INSERT INTO para_fts (rowid, body) VALUES (?, ?)", new)
    conn.execute("INSERT INTO search_revs (rid, tid, pids) VALUES (?, ?, ?)",
                 (rid, tid, pack_ids(pids)))
    conn.executemany("INSERT INTO para_docs (pid, rid) VALUES (?, ?)",
                     ((pid, rid) for pid in sorted(set(pids))))


class SearchIndex:
    """The reads a search needs, over a catalog connection (see
    :mod:`newsarchive.search.evaluate` for how they are combined).

    ``latest``: only the latest revision of each article; ``sources``, ``since``,
    ``until``: the filters of ``search`` (on the article's source and date).
    Results are ``rid -> (score, captured_at)``, the score higher-is-better: the best
    paragraph's BM25 plus ten times the title's.
    """

    TITLE_WEIGHT = 10.0

    def __init__(self, conn: Any, *, latest: bool = True, sources: Sequence[str] = (),
                 since: str | None = None, until: str | None = None) -> None:
        self.conn = conn
        self.latest = latest
        self.sources = tuple(sources)
        self.since, self.until = since, until
        self._where, self._args = filters("a" if latest else "r", sources=self.sources,
                                          since=since, until=until)
        self._kept: dict[int, tuple[int, int, bytes]] = {}  # the rows _ids read last

    def _plain(self) -> Any:
        """A cursor whose rows are plain tuples (no ``sqlite3.Row``: thousands of rows are
        read)."""
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur

    def _rows(self, sql: str, args: Sequence[Any]) -> list[Any]:
        rows: list[Any] = self._plain().execute(sql, args).fetchall()
        return rows

    # -- estimates ----------------------------------------------------------------------
    def capped_count(self, match: str, cap: int) -> int:
        """How many paragraphs, or titles, match (the larger), counting to ``cap + 1`` at
        most: what decides whether a term is scored or only checked."""
        return max(capped_count(self.conn, table, match, cap) for table in FTS_TABLES)

    # -- exact evaluation ---------------------------------------------------------------
    def _join(self, rid: str) -> tuple[str, str]:
        """Joins from a revision id column to the filters, and the captured_at column."""
        if self.latest:  # by head, always: the filters' columns are in other indexes too
            return (f" CROSS JOIN articles a INDEXED BY articles_head ON a.head = {rid}",
                    "a.last_captured")
        return f" CROSS JOIN revisions r ON r.rid = {rid}", "r.captured_at"

    def scores(self, match: str) -> dict[int, tuple[float, str]]:
        """Every revision (of those searched) that ``match`` matches, with its score."""
        out: dict[int, tuple[float, str]] = {}
        where = "".join(f" AND {w}" for w in self._where)
        join, captured = self._join("pd.rid")
        sql = (f"SELECT pd.rid, bm25(para_fts), {captured} FROM para_fts "
               f"CROSS JOIN para_docs pd ON pd.pid = para_fts.rowid{join} "
               f"WHERE para_fts MATCH ?{where}")
        for rid, rank, when in self._rows(sql, [match, *self._args]):
            best = out.get(rid)
            if best is None or -rank > best[0]:
                out[rid] = (-rank, when)
        join, captured = self._join("s.rid")
        sql = (f"SELECT s.rid, bm25(title_fts), {captured} FROM title_fts "
               f"CROSS JOIN search_revs s ON s.tid = title_fts.rowid{join} "
               f"WHERE title_fts MATCH ?{where}")
        for rid, rank, when in self._rows(sql, [match, *self._args]):
            best = out.get(rid)
            out[rid] = ((best[0] if best else 0.0) - self.TITLE_WEIGHT * rank, when)
        return out

    # -- checks of candidate revisions --------------------------------------------------
    def matching(self, match: str, rids: Iterable[int]) -> tuple[set[int], int]:
        """Those of ``rids`` that ``match`` matches (title or one paragraph), looked up one
        by one in the index (for a few revisions of a term too common to list), and the
        number of lookups that took."""
        out: set[int] = set()
        lookups = 0
        para_sql = "SELECT 1 FROM para_fts WHERE para_fts MATCH ? AND rowid = ?"
        title_sql = "SELECT 1 FROM title_fts WHERE title_fts MATCH ? AND rowid = ?"
        for rid, tid, blob in self._ids(rids):
            if tid:
                lookups += 1
                if self.conn.execute(title_sql, (match, tid)).fetchone():
                    out.add(rid)
                    continue
            for pid in dict.fromkeys(unpack_ids(blob)):
                lookups += 1
                if self.conn.execute(para_sql, (match, pid)).fetchone():
                    out.add(rid)
                    break
        return out, lookups

    def matching_all(self, match: str) -> tuple[bytearray, bytearray]:
        """Every paragraph and every title ``match`` matches, as maps of their ids (no
        scores): byte ``i`` is 1 when id ``i`` matches, for every id the table holds (a
        byte an id however common the term: 1.5 MB for the paragraphs of 100,000
        articles). Checking many candidates against these is cheaper than one by one."""
        out = []
        for table in ("para_fts", "title_fts"):
            ids = bytearray(_next_id(self.conn, table))  # (in the query's read transaction)
            cur = self._plain().execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?",
                                        (match,))
            mark = ids.__setitem__
            while rows := cur.fetchmany(4096):
                # (map and deque loop in C: a million ids of a common word cost no frames)
                deque(map(mark, chain.from_iterable(rows), repeat(1)), maxlen=0)
            out.append(ids)
        return out[0], out[1]

    def matching_in(self, pids: bytearray, tids: bytearray, rids: Iterable[int]) -> set[int]:
        """Those of ``rids`` whose title is in ``tids`` or a paragraph in ``pids`` (maps of
        :meth:`matching_all`)."""
        out = set()
        para, title = pids.__getitem__, tids.__getitem__
        for rid, tid, blob in self._ids(rids):
            ids = id_array(blob)
            try:
                if title(tid) or any(map(para, ids)):
                    out.add(rid)
            except IndexError:  # an id the maps do not hold (a damaged entry): no match
                if (tid < len(tids) and tids[tid]) or any(
                        i < len(pids) and pids[i] for i in ids):
                    out.add(rid)
        return out

    def texts(self, rids: Iterable[int]) -> Iterator[tuple[int, str, str]]:
        """``(rid, text_hash, title)`` of each of ``rids``: what a scratch check reads."""
        return rows_in(self._plain(), "SELECT rid, text_hash, title FROM revisions "
                       "WHERE rid IN ({})", rids)

    def _ids(self, rids: Iterable[int]) -> list[tuple[int, int, bytes]]:
        """``(rid, tid, pids)`` of each of ``rids`` found. The rows asked for last are
        kept: the terms of a query are checked one after the other on the same batch of
        candidates (each on fewer of them)."""
        wanted = list(rids)
        kept = self._kept
        missing = [rid for rid in wanted if rid not in kept]
        if missing:
            kept.update((row[0], row) for row in rows_in(
                self._plain(), "SELECT rid, tid, pids FROM search_revs WHERE rid IN ({})",
                missing))
        self._kept = {rid: kept[rid] for rid in wanted if rid in kept}
        return list(self._kept.values())

    # -- candidates, newest first ---------------------------------------------------------
    def newest(self, first: int = 32, most: int = 4096) -> Iterator[list[tuple[int, str]]]:
        """The revisions searched, newest capture first, as ``(rid, captured_at)`` in
        batches growing from ``first`` to ``most`` (keyset pagination over an index)."""
        where = "".join(f" AND {w}" for w in self._where)
        if self.latest:  # the index of list (last_captured, id): ties by article id
            sql = (f"SELECT a.head, a.last_captured, a.id FROM articles a "
                   f"{newest_articles_index(self.conn, self.sources, self.since, self.until)} "
                   f"WHERE (a.last_captured, a.id) < (?, ?){where} "
                   "ORDER BY a.last_captured DESC, a.id DESC LIMIT ?")
        else:
            sql = (f"SELECT r.rid, r.captured_at, r.rid FROM revisions r "
                   f"{newest_revisions_index(self.conn, self.sources, self.since, self.until)} "
                   f"WHERE (r.captured_at, r.rid) < (?, ?){where} "
                   "ORDER BY r.captured_at DESC, r.rid DESC LIMIT ?")
        key: tuple[str, Any] = ("\U0010ffff", "\U0010ffff" if self.latest else 1 << 62)
        n = first
        while True:
            rows = self.conn.execute(sql, [*key, *self._args, n]).fetchall()
            if not rows:
                return
            yield [(int(r[0]), str(r[1])) for r in rows]
            if len(rows) < n:
                return
            key = (rows[-1][1], rows[-1][2])
            n = min(n * 2, most)

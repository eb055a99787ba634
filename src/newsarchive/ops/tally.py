"""What ``check`` compares, held on disk: a private temporary SQLite database.

``check`` reads three sources that each grow with the store: the objects (every id, and
every record's article, text and title), the journal (every committed record id) and
the catalog (every capture row). Held as Python sets, dicts and rows they cost 268 MB
at 20,000 articles and several GB at a million. Here each source is written, as it is
read, into a table of a database SQLite keeps in a temporary file (``sqlite3.connect("")``:
a page cache of :data:`CACHE_KIB`, the rest on disk, deleted when closed), and the
comparisons are joins, each one pass over sorted keys. Only the problems come back to
Python, so the memory ``check`` holds no longer grows with the store.

Tables (ids are hex text, as in records, the journal and the catalog; ``n`` is the
place of an object in the scan, for telling which of two copies came first)::

    seen(id, n)                             every valid blob
    rec(id, article, text, original, title, n)   every valid record
    bad(id, n)                              every object found corrupt or unreadable
                                            (what is wrong with it the scan keeps)
    jr(pos, id, seq)                        every record the journal names, in order
    cap(seq, record, article, text_hash, original, title)   the catalog's captures

Rows are appended in the order they are read and indexed once all are in
(:meth:`Tally.settle`): SQLite builds an index by an external sort, in bounded memory,
where inserting into a b-tree in random key order spilled its page cache on every row.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from newsarchive.errors import StoreError

CACHE_KIB = 8192  # SQLite's page cache for the tables; the rest lives in the temp file
BATCH = 4096  # rows written at once

_SCHEMA = """
CREATE TABLE seen (id TEXT NOT NULL, n INTEGER NOT NULL);
CREATE TABLE rec (id TEXT NOT NULL, article TEXT, text TEXT, original TEXT, title TEXT,
                  n INTEGER NOT NULL);
CREATE TABLE bad (id TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE jr (pos INTEGER PRIMARY KEY, id TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE cap (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, article TEXT,
                  text_hash TEXT, original TEXT, title TEXT);
"""
_INDEXES = """
CREATE INDEX seen_id ON seen (id);
CREATE INDEX rec_id ON rec (id);
CREATE INDEX jr_id ON jr (id, seq);
"""


class Tally:
    """The tables of one check (see the module docstring); a context manager."""

    def __init__(self) -> None:
        try:
            self.conn = private_database()
            self.conn.executescript(_SCHEMA)
            self.conn.execute("BEGIN")
        except sqlite3.Error as err:
            raise _tally_error(err) from err
        self._blobs: list[tuple[str, int]] = []
        self._records: list[tuple[str, str, str, str | None, str, int]] = []

    def __enter__(self) -> Tally:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.conn.close()

    # -- writing -----------------------------------------------------------------------
    def add_blob(self, oid: str, n: int) -> None:
        self._blobs.append((oid, n))
        if len(self._blobs) >= BATCH:
            self.flush()

    def add_record(self, oid: str, article: str, text: str, original: str | None,
                   title: str, n: int) -> None:
        self._records.append((oid, article, text, original, title, n))
        if len(self._records) >= BATCH:
            self.flush()

    def add_bad(self, oid: str, n: int) -> None:
        """An object found corrupt or unreadable (the first copy of it that was)."""
        self._run("INSERT OR IGNORE INTO bad (id, n) VALUES (?, ?)", (oid, n))

    def flush(self) -> None:
        try:
            if self._blobs:
                self.conn.executemany("INSERT INTO seen VALUES (?, ?)", self._blobs)
                self._blobs.clear()
            if self._records:
                self.conn.executemany("INSERT INTO rec VALUES (?, ?, ?, ?, ?, ?)",
                                      self._records)
                self._records.clear()
        except sqlite3.Error as err:
            raise _tally_error(err) from err

    def settle(self) -> set[str]:
        """Once every object is in: index the tables and keep the first copy of each
        object (a second comes from packs the multi-pack index does not cover). Returns
        the objects found bad whose first copy was valid: they are not damage."""
        self.flush()
        try:
            self.conn.executescript(_INDEXES)
        except sqlite3.Error as err:
            raise _tally_error(err) from err
        valid_first = set()
        for oid, n in list(self._query("SELECT id, n FROM bad")):
            if self._one("SELECT 1 FROM seen WHERE id = ? AND n < ? UNION ALL SELECT 1 "
                         "FROM rec WHERE id = ? AND n < ?", (oid, n, oid, n)) is not None:
                valid_first.add(oid)
                self._run("DELETE FROM bad WHERE id = ?", (oid,))
            else:  # the bad copy came first: later ones are not counted
                self._run("DELETE FROM seen WHERE id = ?", (oid,))
                self._run("DELETE FROM rec WHERE id = ?", (oid,))
        if self._one("SELECT 1 FROM rec GROUP BY id HAVING COUNT(*) > 1 LIMIT 1",
                     ()) is not None:
            self._run("DELETE FROM rec WHERE rowid NOT IN "
                      "(SELECT MIN(rowid) FROM rec GROUP BY id)")
        return valid_first

    def add_journal(self, commits: Iterable[tuple[int, tuple[str, ...]]]) -> None:
        """The record ids of ``commits`` ((seq, records) in order)."""
        rows = ((oid, seq) for seq, records in commits for oid in records)
        self._many("INSERT INTO jr (id, seq) VALUES (?, ?)", rows)

    def drop_journal_after(self, seq: int) -> None:
        self._run("DELETE FROM jr WHERE seq > ?", (seq,))

    def add_captures(self, rows: Iterable[tuple[int, str, str, str, str | None, str]]
                     ) -> None:
        """(seq, record, article, text_hash, original, title) of the catalog's captures."""
        self._many("INSERT INTO cap VALUES (?, ?, ?, ?, ?, ?)", rows)

    # -- comparing ---------------------------------------------------------------------
    def committed_missing(self, upto: int) -> Iterator[tuple[int, str, str | None,
                                                               str | None, str | None]]:
        """The records committed up to ``upto`` that are not all there, in journal
        order: (seq, record id, and, when the record is valid, its article and its text
        and original where they are not among the objects; else three Nones: the record
        is not among the objects at all)."""
        for _, *row in self._query(  # each test once (a WHERE repeating them: +40%)
                "SELECT * FROM (SELECT j.pos, j.seq, j.id, r.article, "
                f"CASE WHEN {_absent('r.text')} THEN r.text END AS text, "
                f"CASE WHEN {_absent('r.original')} THEN r.original END AS original, "
                f"r.id IS NULL AND {_absent('j.id')} AS gone "
                "FROM jr j LEFT JOIN rec r ON r.id = j.id WHERE j.seq <= ?) "
                "WHERE gone OR text IS NOT NULL OR original IS NOT NULL ORDER BY pos",
                (upto,)):
            yield row[0], row[1], row[2], row[3], row[4]

    def capture_problems(self, upto: int | None) -> Iterator[tuple[str, str, bool, bool]]:
        """The catalog's captures that a problem concerns, in commit order: (record,
        article, no commit up to ``upto`` names it (never, when ``upto`` is None), its
        record differs from the row)."""
        unnamed = ("NOT EXISTS (SELECT 1 FROM jr WHERE id = c.record AND seq <= :upto)"
                   if upto is not None else "0")
        differs = ("(r.id IS NOT NULL AND (r.article IS NOT c.article OR r.text IS NOT "
                   "c.text_hash OR r.title IS NOT c.title))")
        for record, article, no_commit, mismatch in self._query(
                f"SELECT c.record, c.article, {unnamed}, {differs} FROM cap c "
                f"LEFT JOIN rec r ON r.id = c.record WHERE {unnamed} OR {differs} "
                "ORDER BY c.seq", {"upto": upto}):
            yield record, article, bool(no_commit), bool(mismatch)

    def uncommitted(self, upto: int | None) -> Iterator[tuple[str, str]]:
        """Valid records no commit names (up to ``upto``, or in the whole journal when
        None), by id: (id, article)."""
        bound = "" if upto is None else " AND seq <= :upto"
        yield from self._query(
            "SELECT r.id, r.article FROM rec r WHERE NOT EXISTS "
            f"(SELECT 1 FROM jr WHERE id = r.id{bound}) ORDER BY r.id", {"upto": upto})

    def users(self) -> dict[str, set[str]]:
        """The articles each corrupt or unreadable object belongs to (by the catalog's
        rows, and by the valid records naming it as their text)."""
        found: dict[str, set[str]] = defaultdict(set)
        for oid, article in self._query(
                "SELECT b.id, c.article FROM bad b JOIN cap c ON c.record = b.id "
                "UNION ALL SELECT b.id, c.article FROM cap c JOIN bad b ON b.id = c.text_hash "
                "UNION ALL SELECT b.id, c.article FROM cap c JOIN bad b ON b.id = c.original "
                "UNION ALL SELECT b.id, r.article FROM rec r JOIN bad b ON b.id = r.text"):
            found[oid].add(article)
        return found

    def records_listed(self) -> Iterator[str]:
        """The captures' records that are valid records, in commit order."""
        self.flush()
        for (oid,) in self._query("SELECT c.record FROM cap c JOIN rec r ON r.id = c.record "
                                  "ORDER BY c.seq"):
            yield oid

    def lost_records(self, upto: int) -> Iterator[str]:
        """The captures' records that are not valid records although committed (up to
        ``upto``) or found corrupt: the records a repair writes again, in commit order."""
        for (oid,) in self._query(
                "SELECT c.record FROM cap c WHERE NOT EXISTS (SELECT 1 FROM rec WHERE id = "
                "c.record) AND (EXISTS (SELECT 1 FROM bad WHERE id = c.record) OR EXISTS "
                "(SELECT 1 FROM jr WHERE id = c.record AND seq <= ?)) ORDER BY c.seq",
                (upto,)):
            yield oid

    # -- SQLite ------------------------------------------------------------------------
    def _run(self, sql: str, params: tuple[object, ...] = ()) -> None:
        try:
            self.conn.execute(sql, params)
        except sqlite3.Error as err:
            raise _tally_error(err) from err

    def _many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as err:
            raise _tally_error(err) from err

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        try:
            found: tuple[object, ...] | None = self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as err:
            raise _tally_error(err) from err
        return found

    def _query(self, sql: str, params: Any = ()) -> Iterator[Any]:
        try:
            yield from self.conn.execute(sql, params)
        except sqlite3.Error as err:
            raise _tally_error(err) from err


def _absent(column: str) -> str:
    """SQL: ``column`` names an object the scan did not meet."""
    return (f"({column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM seen WHERE id = {column}) "
            f"AND NOT EXISTS (SELECT 1 FROM rec WHERE id = {column}) "
            f"AND NOT EXISTS (SELECT 1 FROM bad WHERE id = {column}))")


def private_database() -> sqlite3.Connection:
    """A database of SQLite's own temporary file, deleted when closed: no journal, no
    syncs, a page cache of :data:`CACHE_KIB` (sqlite3.Error when it cannot be made)."""
    conn = sqlite3.connect("", isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}",
                   "temp_store = FILE"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def temp_error(who: str, err: sqlite3.Error) -> StoreError:
    return StoreError(f"{who} cannot write its temporary tables ({err}): is the temporary "
                      "directory full?")


def _tally_error(err: sqlite3.Error) -> StoreError:
    return temp_error("check", err)

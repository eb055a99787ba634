"""The SQLite catalog: articles, revisions and the search indexes, derived from the objects.

The revision tables and the search indexes are rebuilt from the objects by ``reindex``.
Two tables are kept as they are instead: ``validators``, conditional-GET validators and
the last body of each feed, a cache that only saves requests (losing it costs one
unconditional fetch of each feed and page, never an article); and ``watch``, the state of
the revisit schedule (see :mod:`newsarchive.web.watch`), which ``reindex`` keeps and, when
the catalog lost it, rebuilds from the captures (:meth:`Catalog.seed_watch`).

The database runs in WAL mode with ``synchronous=FULL`` so that a committed revision
survives power loss, and readers never block the single writer (writers are serialised
by the store lock, not by SQLite).

Search: each distinct paragraph and title is one row of a contentless FTS5 table, with a
map to the revisions that hold it (:mod:`newsarchive.store.search_index`); snippets are
cut in Python from the text object. The passages that each edit removed or added are rows
of ``edits`` with their own FTS5 index, for ``search --removed/--added``. What ``stats``
counts is kept in ``counters`` (:mod:`newsarchive.store.counters`).

The schema has a version (``meta``); a catalog of an older one is rebuilt from the
objects and the journal by ``reindex`` (the catalog is derived), which opening the store
does at once when it can be written (``Store.upgrade``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from newsarchive.model import KINDS
from newsarchive.store import counters, search_index
from newsarchive.store.connection import CatalogConnection, catalog_error
from newsarchive.store.filters import (
    filters,
    has_index,
    kind_condition,
    newest_articles_index,
    rows_in,
)

#: 1: one FTS5 row per distinct (text, title); 2: captures, the URL map, the journal
#: position; 3: paragraphs and titles indexed apart (:mod:`.search_index`), counters,
#: indexes for the newest articles; 4: ``revisions.first_change``, the first sentence an
#: edit touched (what ``changes`` shows; '' when none, NULL in a catalog of schema 3 brought
#: to 4 in place by :meth:`Catalog.migrate` until ``reindex`` derives it).
SCHEMA_VERSION = 4

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    date TEXT NOT NULL,
    slug TEXT NOT NULL,
    head INTEGER NOT NULL,
    revisions INTEGER NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    first_captured TEXT NOT NULL,
    last_captured TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_slug ON articles (slug);
CREATE INDEX IF NOT EXISTS articles_source_recent
    ON articles (source, last_captured, id, date, head);
CREATE INDEX IF NOT EXISTS articles_recent ON articles (last_captured, id, date, head);
CREATE INDEX IF NOT EXISTS articles_date ON articles (date);
CREATE INDEX IF NOT EXISTS articles_head ON articles (head);
CREATE TABLE IF NOT EXISTS revisions (
    rid INTEGER PRIMARY KEY,
    record TEXT NOT NULL UNIQUE,
    article TEXT NOT NULL,
    number INTEGER NOT NULL,
    text_hash TEXT NOT NULL,
    original TEXT,
    original_type TEXT,
    title TEXT NOT NULL,
    url TEXT,
    date TEXT NOT NULL,
    source TEXT NOT NULL,
    author TEXT,
    captured_at TEXT NOT NULL,
    words INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    words_added INTEGER NOT NULL,
    words_removed INTEGER NOT NULL,
    reverts INTEGER,
    kind TEXT NOT NULL DEFAULT '',
    flipflop INTEGER NOT NULL DEFAULT 0,
    damaged INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0,
    event TEXT,
    detail TEXT,
    last_seen TEXT,
    first_change TEXT,
    UNIQUE (article, number)
);
CREATE INDEX IF NOT EXISTS revisions_hash ON revisions (text_hash);
CREATE INDEX IF NOT EXISTS revisions_captured ON revisions (captured_at);
CREATE TABLE IF NOT EXISTS edits (
    eid INTEGER PRIMARY KEY,
    rid INTEGER NOT NULL,
    side TEXT NOT NULL,
    passage TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS edits_rid ON edits (rid);
CREATE VIRTUAL TABLE IF NOT EXISTS edits_fts USING fts5 (
    passage, content='edits', content_rowid='eid', tokenize='{search_index.TOKENIZE}'
);
CREATE TABLE IF NOT EXISTS captures (
    seq INTEGER PRIMARY KEY,
    record TEXT UNIQUE,
    article TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    original TEXT,
    original_type TEXT,
    url TEXT,
    date TEXT NOT NULL,
    source TEXT NOT NULL,
    author TEXT,
    event TEXT,
    detail TEXT,
    rid INTEGER
);
CREATE INDEX IF NOT EXISTS captures_article ON captures (article, captured_at, seq);
CREATE INDEX IF NOT EXISTS captures_rid ON captures (rid);
CREATE TABLE IF NOT EXISTS urls (canonical TEXT PRIMARY KEY, article TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, body BLOB
);
CREATE TABLE IF NOT EXISTS watch (
    article TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_checked TEXT,
    last_changed TEXT,
    unchanged INTEGER NOT NULL DEFAULT 0,
    missing INTEGER NOT NULL DEFAULT 0,
    next_due TEXT,
    stopped INTEGER NOT NULL DEFAULT 0,
    note TEXT
);
"""


def _kind_index(kind: str) -> str:
    return f"revisions_kind_{kind.replace('-', '_')}"


#: Indexes that came after the schema of their table (so without a new schema number):
#: made with the catalog, and added to a catalog made before them by the first command
#: that writes to it (:meth:`Catalog.add_missing_indexes`); reads work without them, only
#: slower. One partial index per kind, the revisions of that kind by capture time:
#: ``changes --kind`` and ``list --kind`` read a rare kind (9 reverts among 240,000
#: revisions) there instead of every revision (0.4 to 1.5 s at 100,000 articles). The
#: revisions by date: ``search --all-revisions`` of a narrow date range reads the range
#: instead of walking down every revision captured since (0.2 to 0.3 s at 100,000). And
#: by source and capture time: ``changes --source`` and ``search --all-revisions
#: --source`` of a small source walk its revisions, not all (0.3 s at 100,000).
ADDED_INDEXES = {
    **{_kind_index(kind): f"CREATE INDEX IF NOT EXISTS {_kind_index(kind)} ON revisions "
                          f"(captured_at, rid) WHERE {kind_condition('kind', kind)}"
       for kind in KINDS},
    "revisions_date": "CREATE INDEX IF NOT EXISTS revisions_date ON revisions (date)",
    "revisions_source": "CREATE INDEX IF NOT EXISTS revisions_source "
                        "ON revisions (source, captured_at)",
    # the watched articles by their planned next check: a watch run reads the due ones
    "watch_due": "CREATE INDEX IF NOT EXISTS watch_due ON watch (next_due) WHERE stopped = 0",
}

WATCH_COLUMNS = ("article, url, first_seen, last_checked, last_changed, unchanged, missing, "
                 "next_due, stopped, note")

#: Derived tables, dropped by ``reindex`` (those of older schemas too), and the FTS5 ones.
DERIVED_TABLES = ("edits_fts", "edits", *search_index.TABLES, "counters", "revisions",
                  "articles", "captures", "urls", "docs_fts", "docs")
FTS_TABLES = (*search_index.FTS_TABLES, "edits_fts")


_T = TypeVar("_T")


def _number(value: object, default: _T) -> int | _T:
    """A number the catalog keeps as text (``meta``), or ``default`` when it is not one."""
    try:
        return int(str(value))
    except ValueError:
        return default


def statements(script: str) -> list[str]:
    """The SQL statements of ``script`` (triggers hold ``;`` inside BEGIN ... END)."""
    out: list[str] = []
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out


REVISION_COLUMNS = (
    "rid, record, article, number, text_hash, original, original_type, title, url, date, "
    "source, author, captured_at, words, bytes, words_added, words_removed, reverts, kind, "
    "flipflop, damaged, seq, event, detail, last_seen"
)
CAPTURE_COLUMNS = (
    "seq, record, article, captured_at, text_hash, title, original, original_type, url, "
    "date, source, author, event, detail, rid"
)


R_COLUMNS = ", ".join("r." + c.strip() for c in REVISION_COLUMNS.split(","))


def connect(path: Path, *, readonly: str = "") -> CatalogConnection:
    """Open the catalog database (created when absent).

    ``readonly="ro"`` opens it read-only; ``"immutable"`` also skips SQLite's locking and
    WAL index, the last resort on a read-only or full file system where no one can write.
    SQLite's errors are mapped to errors naming the store (:mod:`.connection`).
    """
    try:
        if readonly:
            flag = "immutable=1" if readonly == "immutable" else "mode=ro"
            uri = f"{path.absolute().as_uri()}?{flag}"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                   check_same_thread=False, factory=CatalogConnection)
        else:
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                                   factory=CatalogConnection)
    except sqlite3.DatabaseError as err:
        raise catalog_error(str(path.parent), err) from err
    conn.store = str(path.parent)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 60000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = OFF")
    # Statement journals and sorts in temp files (the OS caches the small ones): in
    # memory, dropping the derived tables of a 100,000-article catalog inside reindex's
    # transaction took 311 MB (the statement journal of the FTS5 tables' DROP), 9 MB in
    # files, and twice as fast
    conn.execute("PRAGMA temp_store = FILE")
    return conn


class Catalog:
    """Typed access to the catalog tables. The caller manages transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- schema -----------------------------------------------------------------------
    def create(self) -> None:
        """Create missing tables; safe inside a transaction (no executescript, which commits)."""
        for script in (SCHEMA, search_index.SCHEMA, counters.SCHEMA):
            for statement in statements(script):
                self.conn.execute(statement)
        for statement in ADDED_INDEXES.values():
            self.conn.execute(statement)
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )

    def schema_version(self) -> int | None:
        """The catalog's schema; None for a catalog without one (new); 0 when it cannot be
        read (edited by hand): as old as can be, so the catalog is built again."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            return None
        return _number(row[0], 0) if row else None

    def migrate(self) -> bool:
        """Bring a catalog of schema 3 to 4 in place, without a ``reindex``: its revisions'
        ``first_change`` is NULL (``changes`` derives it when it shows one) until the next
        ``reindex``. True when done, False when the catalog's schema is not 3."""
        self.begin()
        try:
            if self.schema_version() != 3:
                self.rollback()
                return False
            self.conn.execute("ALTER TABLE revisions ADD COLUMN first_change TEXT")
            self.conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return True

    def add_missing_indexes(self) -> list[str]:
        """Create the indexes of :data:`ADDED_INDEXES` that a catalog made before them
        lacks, in one transaction (1.6 s for the eleven at 100,000 articles, once); the names
        of those created."""
        have = {name for (name,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [name for name in ADDED_INDEXES if name not in have]
        if missing:
            self.begin()
            try:
                for name in missing:
                    self.conn.execute(ADDED_INDEXES[name])
                self.commit()
            except BaseException:
                self.rollback()
                raise
        return missing

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for the statements of the block, unless the caller has one open
        (then theirs): many writes, one commit."""
        if self.conn.in_transaction:
            yield
            return
        self.begin()
        try:
            yield
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- writes ---------------------------------------------------------------------------
    def insert_revision(self, row: dict[str, Any]) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = self.conn.execute(
            f"INSERT INTO revisions ({cols}) VALUES ({marks})", tuple(row.values())
        )
        rid = int(cur.lastrowid or 0)
        counters.revision_added(self.conn, rid, row["article"], row["text_hash"],
                                row["bytes"], row.get("damaged", 0))
        return rid

    def upsert_article(
        self, article_id: str, source: str, date: str, slug: str, rid: int, number: int,
        title: str, url: str | None, captured_at: str,
    ) -> None:
        self.conn.execute(
            """INSERT INTO articles (id, source, date, slug, head, revisions, title, url,
                   first_captured, last_captured)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET head = excluded.head,
                   revisions = excluded.revisions, title = excluded.title,
                   url = COALESCE(excluded.url, articles.url),
                   first_captured = MIN(articles.first_captured, excluded.first_captured),
                   last_captured = excluded.last_captured""",
            (article_id, source, date, slug, rid, number, title, url, captured_at, captured_at),
        )

    def insert_capture(self, values: dict[str, Any]) -> None:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.conn.execute(f"INSERT INTO captures ({cols}) VALUES ({marks})",
                          tuple(values.values()))

    def insert_sighting(self, values: dict[str, Any]) -> int:
        """A capture that showed what the capture before it showed: no record is written for
        it (``record`` NULL, a negative ``seq``), only its time is kept, so that a capture
        added later between the two still finds the history as it was seen. Returns its
        seq."""
        seq = int(self.conn.execute(
            "SELECT MIN(0, COALESCE(MIN(seq), 0)) - 1 FROM captures").fetchone()[0])
        self.insert_capture({**values, "seq": seq, "record": None})
        return seq

    def replace_capture(self, old_seq: int, seq: int, record: str) -> None:
        """A sighting given a record of its own (it begins a revision now)."""
        self.conn.execute("UPDATE captures SET seq = ?, record = ? WHERE seq = ?",
                          (seq, record, old_seq))

    def assign_captures(self, seqs: Iterable[int], rid: int) -> None:
        """Name the revision that captures belong to."""
        self.conn.executemany("UPDATE captures SET rid = ? WHERE seq = ?",
                              [(rid, seq) for seq in seqs])

    def saw_again(self, rid: int, captured_at: str) -> None:
        """A capture confirmed a revision (same text): when it was last seen."""
        self.conn.execute("UPDATE revisions SET last_seen = MAX(COALESCE(last_seen, ''), ?) "
                          "WHERE rid = ?", (captured_at, rid))

    def delete_revisions_of(self, article_id: str) -> search_index.Indexed:
        """Remove an article's revision rows, their edit passages and search entries (to
        derive them again in capture order); its captures stay. Returns the search
        entries, for the revisions derived again to reuse
        (:func:`~newsarchive.store.search_index.forget`)."""
        indexed = search_index.forget(self, article_id)
        for eid, passage in self.conn.execute(
                "SELECT e.eid, e.passage FROM edits e JOIN revisions r ON r.rid = e.rid "
                "WHERE r.article = ?", (article_id,)).fetchall():
            self.conn.execute("INSERT INTO edits_fts (edits_fts, rowid, passage) "
                              "VALUES ('delete', ?, ?)", (eid, passage))
        self.conn.execute("DELETE FROM edits WHERE rid IN "
                          "(SELECT rid FROM revisions WHERE article = ?)", (article_id,))
        counters.revisions_removed(self.conn, article_id)
        self.conn.execute("DELETE FROM revisions WHERE article = ?", (article_id,))
        return indexed

    def map_url(self, canonical: str, article_id: str) -> None:
        """The first article captured at a canonical URL keeps it."""
        self.conn.execute("INSERT OR IGNORE INTO urls (canonical, article) VALUES (?, ?)",
                          (canonical, article_id))

    def set_position(self, seq: int, commit_id: str) -> None:
        """The journal position this catalog reflects (in the commit's transaction)."""
        self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                              [("journal_seq", str(seq)), ("journal_head", commit_id)])

    def insert_edits(self, rid: int, removed: Iterable[str], added: Iterable[str]) -> None:
        for side, passages in (("removed", removed), ("added", added)):
            for passage in passages:
                cur = self.conn.execute(
                    "INSERT INTO edits (rid, side, passage) VALUES (?, ?, ?)", (rid, side, passage)
                )
                self.conn.execute(
                    "INSERT INTO edits_fts (rowid, passage) VALUES (?, ?)",
                    (cur.lastrowid, passage),
                )

    def compact(self) -> None:
        """Merge the search indexes' segments and reclaim free pages (for ``gc``)."""
        for table in FTS_TABLES:
            self.conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        self.conn.execute("VACUUM")  # (a copy of the whole catalog: temp_store is FILE)
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def drop_derived(self) -> None:
        """Empty every derived table (inside the caller's transaction), keeping the
        validators and the watch list; the catalog then has the current schema."""
        for table in DERIVED_TABLES:
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        self.conn.execute("DELETE FROM meta WHERE key IN ('journal_seq', 'journal_head')")
        self.create()
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                          (str(SCHEMA_VERSION),))

    # -- reads ----------------------------------------------------------------------------
    def _one(self, sql: str, args: Sequence[Any]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, args).fetchone()
        return row

    def head(self, article_id: str) -> sqlite3.Row | None:
        return self._one(
            f"""SELECT {REVISION_COLUMNS} FROM revisions
                WHERE rid = (SELECT head FROM articles WHERE id = ?)""",
            (article_id,),
        )

    def revision(self, article_id: str, number: int) -> sqlite3.Row | None:
        return self._one(
            f"SELECT {REVISION_COLUMNS} FROM revisions WHERE article = ? AND number = ?",
            (article_id, number),
        )

    def revisions_of(self, article_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            f"SELECT {REVISION_COLUMNS} FROM revisions WHERE article = ? ORDER BY number",
            (article_id,),
        ).fetchall()

    def article(self, article_id: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM articles WHERE id = ?", (article_id,))

    def article_ids_ending(self, suffix: str) -> list[str]:
        """Article IDs equal to ``suffix`` or ending in ``/suffix``."""
        slug = suffix.rsplit("/", 1)[-1]
        rows = self.conn.execute("SELECT id FROM articles WHERE slug = ?", (slug,)).fetchall()
        return sorted(r[0] for r in rows if isinstance(r[0], str)  # (NULL: check reports it)
                      and (r[0] == suffix or r[0].endswith("/" + suffix)))

    def captures_of(self, article_id: str) -> list[sqlite3.Row]:
        """Every capture of an article, in capture order (then commit order)."""
        return self.conn.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE article = ? "
            "ORDER BY captured_at, seq", (article_id,)).fetchall()

    def capture_before(self, article_id: str, captured_at: str) -> sqlite3.Row | None:
        """The article's last capture at or before ``captured_at`` (ties: the latest
        committed, which a new capture follows)."""
        return self._one(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE article = ? AND captured_at <= ? "
            "ORDER BY captured_at DESC, seq DESC LIMIT 1", (article_id, captured_at))

    def last_capture(self, article_id: str) -> sqlite3.Row | None:
        return self._one(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE article = ? "
            "ORDER BY captured_at DESC, seq DESC LIMIT 1", (article_id,))

    def same_capture(self, article_id: str, text_hash: str, title: str,
                     captured_at: str) -> sqlite3.Row | None:
        """A capture of this article with this text and title at that time."""
        return self._one(
            f"""SELECT {CAPTURE_COLUMNS} FROM captures WHERE article = ? AND captured_at = ?
                AND text_hash = ? AND title = ? LIMIT 1""",
            (article_id, captured_at, text_hash, title))

    def capture_rid(self, seq: int) -> int | None:
        """The revision a capture belongs to."""
        row = self._one("SELECT rid FROM captures WHERE seq = ?", (seq,))
        return int(row[0]) if row and row[0] is not None else None

    def capture_health(self, sources: Sequence[str], since: str) -> dict[str, tuple[int, int]]:
        """Per source (of ``sources``): the captures since ``since`` and how many of them
        belong to a revision of the kind ``extraction-suspect``."""
        if not sources:
            return {}
        marks = ", ".join("?" * len(sources))
        rows = self.conn.execute(
            f"""SELECT a.source, COUNT(*),
                       SUM(instr(' ' || r.kind || ' ', ' extraction-suspect ') > 0)
                FROM articles a
                JOIN captures c ON c.article = a.id AND c.captured_at >= ?
                JOIN revisions r ON r.rid = c.rid
                WHERE a.source IN ({marks}) AND a.last_captured >= ?
                GROUP BY a.source""", (since, *sources, since)).fetchall()
        return {str(r[0]): (int(r[1]), int(r[2] or 0)) for r in rows}

    def revision_by_rid(self, rid: int) -> sqlite3.Row | None:
        return self._one(f"SELECT {REVISION_COLUMNS} FROM revisions WHERE rid = ?", (rid,))

    def url_article(self, canonical: str) -> str | None:
        row = self._one("SELECT article FROM urls WHERE canonical = ?", (canonical,))
        return str(row[0]) if row else None

    def position(self) -> tuple[int, str] | None:
        """The journal position this catalog reflects; None for a catalog that has none
        (empty, truncated, or written before the journal)."""
        rows = dict(self.conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('journal_seq', 'journal_head')"))
        seq = _number(rows.get("journal_seq"), None)  # unreadable (edited by hand): none
        if seq is None:
            return None
        return seq, str(rows.get("journal_head", ""))

    def all_captures_by_article(self) -> Generator[sqlite3.Row, None, None]:
        """Every capture, by article, in capture order within each."""
        yield from self.conn.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE record IS NOT NULL "
            "ORDER BY article, captured_at, seq")

    def all_captures(self) -> Generator[sqlite3.Row, None, None]:
        """Every capture that has a record (sightings aside), in commit order."""
        yield from self.conn.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE record IS NOT NULL ORDER BY seq")

    def previous_objects(self, oids: Iterable[str]) -> dict[str, str]:
        """For each of ``oids`` that is a revision's text, original or record: that object
        of the article's revision before it (a delta base, as a bulk add takes the head),
        where it differs. An object of several revisions (a revert) gets one."""
        wanted = set(oids)
        bases: dict[str, str] = {}
        for column in ("text_hash", "record"):  # (indexed; an original goes with them)
            for row in rows_in(self.conn, f"""
                    SELECT r.text_hash, r.original, r.record, p.text_hash, p.original, p.record
                    FROM revisions r JOIN revisions p
                        ON p.article = r.article AND p.number = r.number - 1
                    WHERE r.{column} IN ({{}})""", wanted):
                for mine, base in zip(row[:3], row[3:], strict=True):
                    if mine in wanted and base is not None and base != mine:
                        bases.setdefault(mine, base)
        return bases

    def text_set_aside(self, text_hash: str) -> bool:
        """Whether a repair marked the revisions with this text as having lost it."""
        return self._one("SELECT 1 FROM revisions WHERE text_hash = ? AND damaged LIMIT 1",
                         (text_hash,)) is not None

    def revisions_with_hash_prefix(self, prefix: str) -> list[sqlite3.Row]:
        hi = prefix + "g"  # 'g' sorts after every hex digit
        return self.conn.execute(
            f"""SELECT {REVISION_COLUMNS} FROM revisions
                WHERE text_hash >= ? AND text_hash < ? ORDER BY captured_at, rid LIMIT 50""",
            (prefix, hi),
        ).fetchall()

    def articles(
        self, *, sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
        changed: bool = False, kinds: Sequence[str] = (), limit: int | None = None,
        oldest_first: bool = False,
    ) -> list[sqlite3.Row]:
        if limit is not None and len(set(sources)) > 1:
            # one walk down each source's index (``limit`` rows at most), merged, rather
            # than every article of the sources sorted (130 ms for three large sources
            # of 100,000 articles)
            rows = [row for source in dict.fromkeys(sources) for row in self.articles(
                sources=(source,), since=since, until=until, changed=changed, kinds=kinds,
                limit=limit, oldest_first=oldest_first)]
            rows.sort(key=lambda row: (row["last_captured"], row["id"]),
                      reverse=not oldest_first)
            return rows[:limit]
        where, args = filters("articles", sources=sources, since=since, until=until)
        if changed:
            where.append("articles.revisions >= 2")
        if kinds:
            where.append(self._of_kinds("articles.id", kinds))
        order = "ASC" if oldest_first else "DESC"
        # the first few of a date range: SQLite reads the whole range by date and sorts it
        # (265 ms for half a year of 100,000 articles); a wide range is walked instead
        hint = newest_articles_index(self.conn, sources, since, until) \
            if limit is not None and (since or until) and not kinds else ""
        sql = ("SELECT articles.*, latest.text_hash AS hash, latest.words AS words "
               f"FROM articles {hint} JOIN revisions latest ON latest.rid = articles.head "
               f"WHERE {' AND '.join(['1', *where])} "
               f"ORDER BY last_captured {order}, id {order}")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return self.conn.execute(sql, args).fetchall()

    #: Revisions of the kinds asked for up to which ``list --kind`` takes the articles
    #: of those revisions (read from the kinds' indexes) rather than walking the articles
    #: newest first, each checked for a revision of those kinds (which finds a common kind
    #: at once and a rare one only after every article).
    FEW_OF_KIND = 4096

    def _few_of_kinds(self, kinds: Sequence[str]) -> bool:
        """Whether at most :attr:`FEW_OF_KIND` revisions have one of ``kinds``."""
        few = 0
        for kind in kinds:
            few += self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM revisions r WHERE "
                f"{kind_condition('r.kind', kind)} LIMIT ?)",
                (self.FEW_OF_KIND + 1,)).fetchone()[0]
        return few <= self.FEW_OF_KIND

    def _of_kinds(self, article: str, kinds: Sequence[str]) -> str:
        """The condition "the article (column ``article``) has a revision of one of
        ``kinds``", in the form that is quick for how many revisions have them."""
        if self._few_of_kinds(kinds):
            return f"{article} IN (" + " UNION ".join(
                f"SELECT r.article FROM revisions r WHERE {kind_condition('r.kind', kind)}"
                for kind in kinds) + ")"
        where, _ = filters("r", kinds=kinds)
        return f"EXISTS (SELECT 1 FROM revisions r WHERE r.article = {article} AND {where[0]})"

    def texts_by_article(self) -> Generator[tuple[str, str, int], None, None]:
        """(article, text hash, damaged) of every revision, by article, in order."""
        cur = self.conn.execute(
            "SELECT article, text_hash, damaged FROM revisions ORDER BY article, number")
        cur.row_factory = None   # plain tuples: gc streams every revision through this
        yield from cur

    def all_revisions(self) -> Generator[sqlite3.Row, None, None]:
        yield from self.conn.execute(
            f"SELECT {REVISION_COLUMNS} FROM revisions ORDER BY article, number"
        )

    def referenced_objects(self) -> set[str]:
        refs: set[str] = set()
        for record, text_hash, original in self.conn.execute(
            "SELECT record, text_hash, original FROM revisions"
        ):
            refs.add(record)
            refs.add(text_hash)
            if original:
                refs.add(original)
        return refs

    def counts(self) -> dict[str, int]:
        """Articles, revisions, sources, distinct texts, bytes of text, damaged revisions:
        kept by the catalog as rows change (:mod:`.counters`), not counted (but when one of
        them cannot be read)."""
        kept = counters.read(self.conn)
        return kept if min(kept.values()) >= 0 else counters.recount(self.conn)

    def recent_changes(self, *, sources: Sequence[str] = (), since: str | None = None,
                       until: str | None = None, kinds: Sequence[str] = (),
                       limit: int = 50) -> list[sqlite3.Row]:
        """Revisions after the first, newest capture first; since/until on capture time.
        Several kinds, or several sources: one query for each (each reads its kind's or its
        source's index), merged."""
        if len(kinds) > 1 or len(set(sources)) > 1:
            parts = ([{"kinds": (kind,), "sources": sources} for kind in kinds]
                     if len(kinds) > 1 else
                     [{"kinds": kinds, "sources": (source,)} for source in dict.fromkeys(sources)])
            rows = {row["rid"]: row for part in parts for row in self.recent_changes(
                since=since, until=until, limit=limit, **part)}
            return sorted(rows.values(), key=lambda row: (row["captured_at"], row["rid"]),
                          reverse=True)[:limit]
        where, args = filters("r", sources=sources, since=since, until=until,
                              column="captured_at", kinds=kinds)
        # a rare kind of one source: its kind's index, not the source's (SQLite's choice)
        hint = f"INDEXED BY {_kind_index(kinds[0])}" \
            if sources and kinds and self._few_of_kinds(kinds) \
            and has_index(self.conn, _kind_index(kinds[0])) else ""
        sql = (f"SELECT {R_COLUMNS}, r.first_change FROM revisions r {hint} "
               f"WHERE {' AND '.join(['r.number > 1', *where])} "
               "ORDER BY r.captured_at DESC, r.rid DESC LIMIT ?")
        return self.conn.execute(sql, [*args, limit]).fetchall()

    # -- search -------------------------------------------------------------------------
    @staticmethod
    def _and_filters(sources: Sequence[str], since: str | None, until: str | None
                     ) -> tuple[str, list[Any]]:
        where, args = filters("r", sources=sources, since=since, until=until)
        return "".join(f" AND {w}" for w in where), args

    def search_edits(self, match: str, side: str, *, sources: Sequence[str] = (),
                     since: str | None = None, until: str | None = None,
                     limit: int = 20) -> list[sqlite3.Row]:
        """Revisions whose edit removed (or added) matching text, with the passage."""
        conditions, args = self._and_filters(sources, since, until)
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT rowid AS eid, bm25(edits_fts) AS score
                FROM edits_fts WHERE edits_fts MATCH ?
            )
            SELECT {R_COLUMNS}, e.passage, MIN(m.score) AS score
            FROM m JOIN edits e ON e.eid = m.eid JOIN revisions r ON r.rid = e.rid
            WHERE e.side = ?{conditions}
            GROUP BY r.rid
            ORDER BY score, r.captured_at DESC LIMIT ?"""
        return self.conn.execute(sql, [match, side, *args, limit]).fetchall()

    def edit_passages(self, rids: Sequence[int], side: str) -> list[tuple[int, int, str]]:
        """``(eid, rid, passage)`` of these revisions' edits on ``side``, by eid."""
        return sorted(tuple(row) for row in rows_in(
            self.conn, "SELECT eid, rid, passage FROM edits WHERE side = ? AND rid IN ({})",
            rids, [side]))

    def edit_rows(self, eids: Sequence[int]) -> list[sqlite3.Row]:
        """The revision rows of these edits, in this order, each with its ``passage`` and
        a NULL ``score`` (not scored)."""
        by_eid = {row["eid"]: row for row in rows_in(
            self.conn, f"SELECT {R_COLUMNS}, e.eid, e.passage, NULL AS score FROM edits e "
            "JOIN revisions r ON r.rid = e.rid WHERE e.eid IN ({})", eids)}
        return [by_eid[eid] for eid in eids]

    def newest_edits(self, match: str, side: str, *, sources: Sequence[str] = (),
                     since: str | None = None, until: str | None = None,
                     limit: int = 20) -> list[sqlite3.Row]:
        """The newest revisions (by capture) whose edit on ``side`` ``match`` matches, each
        with its first such passage, not scored: :meth:`edit_rows`' rows, in one query
        over the whole match."""
        conditions, args = self._and_filters(sources, since, until)
        sql = f"""
            SELECT {R_COLUMNS}, MIN(e.eid) AS eid, e.passage, NULL AS score
            FROM edits e JOIN revisions r ON r.rid = e.rid
            WHERE e.eid IN (SELECT rowid FROM edits_fts WHERE edits_fts MATCH ?)
              AND e.side = ?{conditions}
            GROUP BY r.rid
            ORDER BY r.captured_at DESC, r.rid DESC LIMIT ?"""
        return self.conn.execute(sql, [match, side, *args, limit]).fetchall()

    # -- the watch list (kept by reindex, like the validators) ---------------------------------
    def watch_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            f"SELECT {WATCH_COLUMNS} FROM watch ORDER BY article").fetchall()

    def watch_rows_after(self, article: str, limit: int) -> list[sqlite3.Row]:
        """The next ``limit`` watch rows after ``article``, by article (a walk over all of
        them in bounded memory)."""
        return self.conn.execute(
            f"SELECT {WATCH_COLUMNS} FROM watch WHERE article > ? ORDER BY article LIMIT ?",
            (article, limit)).fetchall()

    def watch_due_rows(self, now: str) -> list[sqlite3.Row]:
        """The watch rows not stopped by ``watch stop`` whose planned next check (``next_due``,
        a timestamp) is at or before ``now``: the only ones a watch run needs to read."""
        return self.conn.execute(
            f"SELECT {WATCH_COLUMNS} FROM watch WHERE stopped = 0 AND next_due <= ? "
            "ORDER BY next_due, article", (now,)).fetchall()

    def watch_counts(self, now: str) -> tuple[int, int]:
        """Of the watch rows not stopped by ``watch stop``: those planned after ``now``, and
        those with no next check planned (stopped by the schedule)."""
        waiting = self.conn.execute(
            "SELECT count(*) FROM watch WHERE stopped = 0 AND next_due > ?", (now,)).fetchone()
        done = self.conn.execute(
            "SELECT count(*) FROM watch WHERE stopped = 0 AND next_due IS NULL").fetchone()
        return int(waiting[0]), int(done[0])

    def watch_size(self) -> int:
        """How many rows the watch list holds (stopped ones too)."""
        return int(self.conn.execute("SELECT count(*) FROM watch").fetchone()[0])

    def watch_schedule(self) -> str | None:
        """The schedule the rows' ``next_due`` were planned under (None: not known)."""
        row = self._one("SELECT value FROM meta WHERE key = 'watch_schedule'", ())
        return None if row is None else str(row[0])

    def plan_watch(self, due: Iterable[tuple[str | None, str]]) -> None:
        """Set ``next_due`` of watch rows: ``(next_due, article)`` pairs."""
        self.conn.executemany("UPDATE watch SET next_due = ? WHERE article = ?", due)

    def set_watch_schedule(self, schedule: str | None) -> None:
        """Say which schedule every row's ``next_due`` was planned under (None: forget it,
        and the next writer plans them all again)."""
        if schedule is None:
            self.conn.execute("DELETE FROM meta WHERE key = 'watch_schedule'")
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta (key, value) "
                              "VALUES ('watch_schedule', ?)", (schedule,))

    def watch_row(self, article_id: str) -> sqlite3.Row | None:
        return self._one(f"SELECT {WATCH_COLUMNS} FROM watch WHERE article = ?", (article_id,))

    def put_watch(self, values: dict[str, Any]) -> None:
        """Insert or replace a watch row (``values`` names every column)."""
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.conn.execute(f"INSERT OR REPLACE INTO watch ({cols}) VALUES ({marks})",
                          tuple(values.values()))
        self.conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('watch', 'kept')")

    def delete_watch(self, article_id: str) -> None:
        self.conn.execute("DELETE FROM watch WHERE article = ?", (article_id,))

    def seed_watch(self) -> int:
        """Rebuild a lost watch list from the captures (``reindex``): every article captured
        from an HTML page with an http(s) URL is watched, first seen at its first capture,
        last changed at its latest revision, last checked at its latest capture. Done once:
        a catalog that kept its list (the ``watch`` meta key) is left as it is. Returns the
        rows added."""
        if self._one("SELECT 1 FROM meta WHERE key = 'watch'", ()) is not None:
            return 0
        cur = self.conn.execute(
            """INSERT OR IGNORE INTO watch (article, url, first_seen, last_checked,
                   last_changed, unchanged, missing, stopped)
               SELECT a.id, a.url, a.first_captured, a.last_captured, h.captured_at, 0, 0, 0
               FROM articles a JOIN revisions h ON h.rid = a.head
               WHERE (a.url LIKE 'http://%' OR a.url LIKE 'https://%')
                 AND EXISTS (SELECT 1 FROM captures c WHERE c.article = a.id
                             AND c.original_type = 'text/html')""")
        self.conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('watch', 'kept')")
        self.set_watch_schedule(None)  # the new rows have no next check planned yet
        return max(cur.rowcount, 0)

    # -- conditional GET validators (fetch.Validators protocol) ------------------------------
    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.conn.execute(
            "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.conn.execute(
            "INSERT INTO validators (url, etag, last_modified) VALUES (?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
            "last_modified = excluded.last_modified",
            (url, etag, last_modified),
        )

    def feed_body(self, url: str) -> bytes | None:
        """The last feed body archived from ``url`` (to re-check its pages on a 304)."""
        row = self.conn.execute("SELECT body FROM validators WHERE url = ?", (url,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def put_feed_body(self, url: str, body: bytes) -> None:
        self.conn.execute(
            "INSERT INTO validators (url, body) VALUES (?, ?) "
            "ON CONFLICT (url) DO UPDATE SET body = excluded.body", (url, body),
        )

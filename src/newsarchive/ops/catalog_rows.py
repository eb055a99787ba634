"""Catalog rows ``check`` reads for values no writer puts there (a catalog edited by hand).

The writer and the read commands trust the derived tables: a capture time that is no
time, a word count that is text or a paragraph list that is no list stops an ``add``.
``check`` reads every row of those tables once, in SQL, for:

- a value of another type than the column's (``typeof``; NULL only where the column
  allows it, never in a key);
- a time no date parser reads (SQLite's ``julianday``, which is a little more lenient
  than Python's: it takes the 30th of February);
- an object id that is not 64 lowercase hex digits;
- a search entry whose paragraph list is not a whole number of 4-byte ids;

and, between tables, an article row whose head is not its article's last revision, or
revisions whose article has no row. Each is an index problem: ``check --repair`` rebuilds the
catalog from the journal and the objects. (The watch list is not derived, so not read
here: ``watch list`` and ``watch run`` treat its unreadable times themselves.)
"""

from __future__ import annotations

import sqlite3

#: The derived tables read, and the columns that hold times and object ids.
TABLES = ("articles", "revisions", "captures", "search_revs", "edits", "urls")
TIMES = frozenset(("captured_at", "first_captured", "last_captured", "last_seen"))
OBJECT_IDS = frozenset(("text_hash", "record", "original"))
_TYPES = {"TEXT": "text", "INTEGER": "integer", "BLOB": "blob"}


def as_text(column: str) -> str:
    """SQL for ``column`` read as text whatever it holds (another type: its SQL literal,
    ``X'00FF'``; NULL stays NULL), for reads that must not stop at a row no writer wrote."""
    return (f"CASE typeof({column}) WHEN 'text' THEN {column} WHEN 'null' THEN NULL "
            f"ELSE quote({column}) END")


def _misshapen(conn: sqlite3.Connection, table: str) -> str:
    """A condition true of the rows of ``table`` that hold a value no writer writes."""
    terms = []
    for _, name, decl, notnull, _, pk in conn.execute(f"PRAGMA table_info({table})"):
        kind = _TYPES.get(str(decl).upper())
        if kind is None:
            continue
        allowed = f"'{kind}'" if notnull or pk else f"'{kind}', 'null'"
        terms.append(f"typeof({name}) NOT IN ({allowed})")
        if name in TIMES:
            terms.append(f"({name} IS NOT NULL AND julianday({name}) IS NULL)")
        if name in OBJECT_IDS:
            terms.append(f"({name} IS NOT NULL AND (length({name}) <> 64 "
                         f"OR ltrim({name}, '0123456789abcdef') <> ''))")
        if table == "search_revs" and name == "pids":
            terms.append("length(pids) % 4 <> 0")
    return " OR ".join(terms)


def misshapen_rows(conn: sqlite3.Connection) -> dict[str, int]:
    """How many rows of each derived table hold a value no writer writes (tables with
    none left out)."""
    counts = {}
    for table in TABLES:
        condition = _misshapen(conn, table)
        if condition:
            n = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {condition}").fetchone()[0]
            if n:
                counts[table] = n
    return counts


def unheaded_articles(conn: sqlite3.Connection) -> tuple[int, int]:
    """Article rows whose head is not their last revision, and articles of revisions
    that have no row."""
    wrong = conn.execute(
        "SELECT COUNT(*) FROM articles a LEFT JOIN revisions r ON r.rid = a.head "
        "WHERE r.article IS NOT a.id OR r.number IS NOT a.revisions").fetchone()[0]
    rowless = conn.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT article FROM revisions) r "
        "WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = r.article)").fetchone()[0]
    return int(wrong), int(rowless)

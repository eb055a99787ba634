"""Counts of what the catalog holds, kept as rows change (for ``stats``).

Counting the rows on every ``stats`` grew with the archive (0.5 s at 100,000 articles).
The ``counters`` table holds the figures instead, and the catalog's two write paths of
revision rows keep them true inside the very transaction that changes the rows:
:meth:`~newsarchive.store.catalog.Catalog.insert_revision` calls :func:`revision_added`,
:meth:`~newsarchive.store.catalog.Catalog.delete_revisions_of` calls
:func:`revisions_removed`. A reindex drops the table with the rows and fills both again; a
crash rolls the counts back with the rows; ``check`` compares them with a recount
(:func:`recount`). An article is counted with its first revision (every article has one).
The sources are not kept: they are counted with one index seek each (:func:`sources`).

No trigger keeps them, and every update here is a single-row statement: a trigger (or any
statement that writes several rows) opens a statement journal, and SQLite then asks the
FTS5 tables for a savepoint, which makes FTS5 write its pending terms out as a new
segment. With the triggers of the first version that happened once a revision in the
middle of a batch: 0.3 ms a revision (a fifth of the CPU time of a bulk ``add``) instead
of 15 us, and more segments to merge.
"""

from __future__ import annotations

from typing import Any

NAMES = ("articles", "revisions", "sources", "texts", "text_bytes", "damaged")
KEPT = ("articles", "revisions", "texts", "text_bytes", "damaged")

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES ('articles', 0), ('revisions', 0),
    ('texts', 0), ('text_bytes', 0), ('damaged', 0);
"""


def _add(conn: Any, deltas: dict[str, int]) -> None:
    conn.executemany("UPDATE counters SET value = value + ? WHERE name = ?",
                     [(n, name) for name, n in deltas.items() if n])


def revision_added(conn: Any, rid: int, article: str, text_hash: str, size: int,
                   damaged: bool) -> None:
    """Count revision ``rid``, just inserted (its text is new when no other revision has
    it; its article when no other revision belongs to it)."""
    one = conn.execute
    _add(conn, {
        "revisions": 1, "text_bytes": size, "damaged": int(bool(damaged)),
        "texts": int(one("SELECT 1 FROM revisions WHERE text_hash = ? AND rid != ? LIMIT 1",
                         (text_hash, rid)).fetchone() is None),
        "articles": int(one("SELECT 1 FROM revisions WHERE article = ? AND rid != ? LIMIT 1",
                            (article, rid)).fetchone() is None),
    })


def revisions_removed(conn: Any, article: str) -> None:
    """Uncount the revisions of ``article``, about to be deleted (before the delete)."""
    one = conn.execute
    n, size, damaged = one("SELECT count(*), COALESCE(sum(bytes), 0), "
                           "COALESCE(sum(damaged != 0), 0) FROM revisions WHERE article = ?",
                           (article,)).fetchone()
    if not n:
        return
    texts = one("SELECT count(*) FROM (SELECT DISTINCT text_hash FROM revisions r "
                "WHERE article = ? AND NOT EXISTS (SELECT 1 FROM revisions o WHERE "
                "o.text_hash = r.text_hash AND o.article != r.article))",
                (article,)).fetchone()[0]
    _add(conn, {"revisions": -n, "text_bytes": -size, "damaged": -damaged, "texts": -texts,
                "articles": -1})


def sources(conn: Any) -> int:
    """How many sources the articles come from: one index seek per source (their number,
    not the archive's size, sets the cost)."""
    n, last = 0, ""
    while True:
        row = conn.execute("SELECT source FROM articles WHERE source > ? ORDER BY source "
                           "LIMIT 1", (last,)).fetchone()
        if row is None:
            return n
        n, last = n + 1, row[0]


def read(conn: Any) -> dict[str, int]:
    """The counts, by name (:data:`NAMES`); -1 for one that is no number (edited by hand:
    ``check`` reports it, and its repair counts again)."""
    got = {name: value if isinstance(value, int) else -1
           for name, value in conn.execute("SELECT name, value FROM counters")}
    got["sources"] = sources(conn)
    return {name: got.get(name, 0) for name in NAMES}


def recount(conn: Any) -> dict[str, int]:
    """The same figures counted from the rows (slow: for ``check`` and tests)."""
    one = conn.execute
    return {
        "articles": one("SELECT COUNT(*) FROM articles").fetchone()[0],
        "revisions": one("SELECT COUNT(*) FROM revisions").fetchone()[0],
        "sources": one("SELECT COUNT(DISTINCT source) FROM articles").fetchone()[0],
        "texts": one("SELECT COUNT(DISTINCT text_hash) FROM revisions").fetchone()[0],
        "text_bytes": one("SELECT COALESCE(SUM(bytes), 0) FROM revisions").fetchone()[0],
        "damaged": one("SELECT COUNT(*) FROM revisions WHERE damaged").fetchone()[0],
    }

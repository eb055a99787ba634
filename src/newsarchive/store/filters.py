"""The WHERE conditions of the filters every listing and search shares (sources, dates,
kinds), as SQL text with ``?`` placeholders and their arguments, the index a listing
newest first takes under them, and rows asked for by their ids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from newsarchive.model import KINDS


def kind_condition(column: str, kind: str) -> str:
    """The condition "``kind`` is one of the kinds in ``column``" (a revision's kinds, space
    separated), written exactly as the partial index of that kind holds it (the catalog's
    ``revisions_kind_*``), so that SQLite reads that index instead of every revision. The
    kind is written into the SQL (a parameter would hide it from the planner): only the
    names of :data:`~newsarchive.model.KINDS` are accepted."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return f"instr(' ' || {column} || ' ', ' {kind} ') > 0"


#: Ids asked for in one statement (SQLite refuses more than 32,766 variables).
IDS_PER_STATEMENT = 500


def rows_in(conn: Any, sql: str, ids: Iterable[Any], args: Sequence[Any] = ()) -> Iterator[Any]:
    """The rows of ``sql``, whose ``{}`` stands for the placeholders of ``ids`` (as in
    ``rid IN ({})``) after those of ``args``, asked for :data:`IDS_PER_STATEMENT` ids at
    a time. ``conn``: a connection, or a cursor (its own row factory)."""
    chunk = list(ids)
    for i in range(0, len(chunk), IDS_PER_STATEMENT):
        part = chunk[i:i + IDS_PER_STATEMENT]
        # fetched at once: a catalog cursor's rows one by one cost a Python call each
        yield from conn.execute(sql.format(", ".join("?" for _ in part)),
                                [*args, *part]).fetchall()


#: Articles (or revisions) in a date range up to which a newest-first listing reads them by
#: date and sorts them, rather than walk down the capture times past all out of the range.
NARROW = 4096


def _few_dated(conn: Any, table: str, since: str | None, until: str | None) -> bool:
    n = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE date >= ? "
                     "AND date <= ? LIMIT ?)",
                     (since or "", until or "\uffff", NARROW + 1)).fetchone()[0]
    return bool(n <= NARROW)


def newest_articles_index(conn: Any, sources: Sequence[str], since: str | None,
                          until: str | None) -> str:
    """The ``INDEXED BY`` clause for articles listed newest capture first: with a date
    range of few articles, the date index (those articles sorted); else the walk down the
    capture times (whose index holds the date: a wide range costs no row lookups), of the
    one source when there is one; with several sources, SQLite's choice ('')."""
    if (since or until) and _few_dated(conn, "articles", since, until):
        return "INDEXED BY articles_date"
    if len(sources) > 1:
        return ""
    return "INDEXED BY articles_source_recent" if sources else "INDEXED BY articles_recent"


def has_index(conn: Any, name: str) -> bool:
    """Whether the catalog has the index ``name`` (some came after its schema)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                        (name,)).fetchone() is not None


def newest_revisions_index(conn: Any, sources: Sequence[str], since: str | None,
                           until: str | None) -> str:
    """The ``INDEXED BY`` clause for every revision listed newest capture first: with a
    date range of few revisions, the date index (those revisions sorted); else the walk
    down the capture times, of the one source when there is one; each only when the
    catalog has it (they came after its schema). Else SQLite's choice ('')."""
    if (since or until) and has_index(conn, "revisions_date") \
            and _few_dated(conn, "revisions", since, until):
        return "INDEXED BY revisions_date"
    if len(sources) == 1 and has_index(conn, "revisions_source"):
        return "INDEXED BY revisions_source"
    return "INDEXED BY revisions_captured" if since or until else ""


def filters(alias: str, *, sources: Sequence[str] = (), since: str | None = None,
            until: str | None = None, column: str = "date",
            kinds: Sequence[str] = ()) -> tuple[list[str], list[Any]]:
    """WHERE conditions and their arguments for the filters every listing shares.

    ``column`` is the one ``since``/``until`` compare with (``date`` or ``captured_at``;
    a bare date as ``until`` of ``captured_at`` covers that whole day). ``kinds``
    needs ``alias`` to be a revisions row.
    """
    where: list[str] = []
    args: list[Any] = []
    if sources:
        where.append(f"{alias}.source IN ({', '.join('?' for _ in sources)})")
        args.extend(sources)
    if since:
        where.append(f"{alias}.{column} >= ?")
        args.append(since)
    if until:
        where.append(f"{alias}.{column} <= ?")
        args.append(until + "T23:59:59Z" if column == "captured_at" and len(until) == 10
                    else until)
    if kinds:
        terms = [kind_condition(f"{alias}.kind", k) for k in kinds]
        where.append(terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})")
    return where, args

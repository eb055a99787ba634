"""Which revisions' edits removed or added what a query matches (``search --removed``).

A query matching at most :data:`~newsarchive.search.evaluate.CAP` edit passages is
*scored*, as before: every passage it matches, best BM25 first
(:meth:`~newsarchive.store.catalog.Catalog.search_edits`). Ranking a query found in more
grows with the archive (``the``: 157,665 of 658,423 passages at 100,000 articles, 0.5 s),
so such a query is *checked* instead, as ``search`` does with a word in most of the
archive: the newest revisions searched are walked, newest capture first, and their
passages on that side are matched in a scratch table cut into words by the index's own
tokenizer (:mod:`newsarchive.search.scratch`), until ``limit`` revisions pass. They come
newest first, with a score of 0, each with its first matching passage. Past
:data:`EDIT_CHECKS` passages so (a query few of the newest edits match), one query over
the whole match gives the same rows in the same order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from newsarchive.search.scratch import Scratch
from newsarchive.store.catalog import Catalog
from newsarchive.store.search_index import SearchIndex, capped_count

#: Passages checked in the scratch table before the whole match is read instead.
EDIT_CHECKS = 2_048


def edit_rows(cat: Catalog, match: str, side: str, *, sources: Sequence[str] = (),
              since: str | None = None, until: str | None = None, limit: int = 20,
              cap: int) -> list[sqlite3.Row]:
    """The revisions whose edit on ``side`` (``removed``/``added``) ``match`` matches, best
    first: rows of the revision with its ``passage`` and ``score`` (NULL: not scored)."""
    if capped_count(cat.conn, "edits_fts", match, cap) <= cap:  # either side
        return cat.search_edits(match, side, sources=sources, since=since, until=until,
                                limit=limit)
    walk = SearchIndex(cat.conn, latest=False, sources=sources, since=since, until=until)
    scratch = Scratch()
    try:
        found: list[int] = []  # the first matching passage of each revision, newest first
        for batch in walk.newest(first=limit + limit // 2):
            if len(scratch) > EDIT_CHECKS:
                return cat.newest_edits(match, side, sources=sources, since=since,
                                        until=until, limit=limit)
            rids = [rid for rid, _ in batch]
            passages = cat.edit_passages(rids, side)
            scratch.add((eid, [passage]) for eid, _, passage in passages)
            hit = scratch.matching(match)
            first: dict[int, int] = {}
            for eid, rid, _ in passages:
                if eid in hit:
                    first.setdefault(rid, eid)
            found.extend(first[rid] for rid in rids if rid in first)
            if len(found) >= limit:
                break
        return cat.edit_rows(found[:limit])
    finally:
        scratch.close()

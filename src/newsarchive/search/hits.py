"""Full-text search over every version, and inside the edits (SPEC 6 ``search``).

The query is translated by :mod:`newsarchive.search.fts` (user input never reaches FTS5 as
raw syntax), one term at a time, and evaluated by :mod:`newsarchive.search.evaluate` over
the paragraph index; snippets are cut here, in Python, from the verified text objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from newsarchive.errors import CatalogError, IntegrityError, StoreError, UsageError
from newsarchive.search.edit_snippet import EDIT_MARKERS, edit_snippet
from newsarchive.search.edits import edit_rows
from newsarchive.search.evaluate import CAP, Evaluation, query_tree
from newsarchive.search.fts import query_terms, to_fts5
from newsarchive.search.parse import check_size
from newsarchive.search.snippet import make_snippet
from newsarchive.store.catalog import R_COLUMNS
from newsarchive.store.filters import rows_in
from newsarchive.store.repository import Store
from newsarchive.store.search_index import SearchIndex

SNIPPET_MARKERS = ("[", "]")


class Hit:
    """One search result: a revision and where it matched.

    The snippet is cut from the revision's text when first asked for, so a caller that
    only wants the matching revisions does not pay for reading and marking 20 texts.
    """

    def __init__(self, *, id: str, revision: int, title: str, score: float, hash: str,  # noqa: A002
                 captured_at: str, make_snippet: Callable[[], str]) -> None:
        self.id = id
        self.source, self.date, _ = id.split("/")
        self.revision = revision
        self.title = title
        self.score = score
        self.hash = hash
        self.captured_at = captured_at
        self._make = make_snippet
        self._snippet: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row, make_snippet: Callable[[], str],
                 score: float | None = None) -> Hit:
        # bm25 is lower-is-better; scores are higher-is-better
        return cls(id=row["article"], revision=row["number"], title=row["title"],
                   score=-float(row["score"]) if score is None else score,
                   hash=row["text_hash"], captured_at=row["captured_at"],
                   make_snippet=make_snippet)

    @property
    def snippet(self) -> str:
        if self._snippet is None:
            self._snippet = self._make()
        return self._snippet

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.revision}"

    def __repr__(self) -> str:
        return f"Hit({self.ref!r}, score={self.score:.3f})"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "revision": self.revision, "date": self.date,
                "source": self.source, "title": self.title, "snippet": self.snippet,
                "score": float(f"{self.score:.4g}"),  # 4 digits: scores are tiny on
                "hash": self.hash, "captured_at": self.captured_at}  # small archives


def search(store: Store, query: str, *, sources: Sequence[str] = (),
           since: str | None = None, until: str | None = None, limit: int = 20,
           all_revisions: bool = False, removed: bool = False, added: bool = False,
           markers: tuple[str, str] = SNIPPET_MARKERS,
           edit_markers: tuple[str, str, str, str] = EDIT_MARKERS,
           timeout: float | None = None, cap: int = CAP) -> list[Hit]:
    """The hits, best first; the query runs at most ``timeout`` seconds (QueryTimeout).
    With ``removed``/``added`` a hit's snippet is the sentence (or title) its edit
    changed, removed text between the first two ``edit_markers``, added between the
    last two (:mod:`newsarchive.search.edit_snippet`). ``cap``: terms matching more
    paragraphs than this are checked, not scored (:mod:`newsarchive.search.evaluate`),
    and so is a query matching more edit passages (:mod:`newsarchive.search.edits`)."""
    if removed and added:
        raise UsageError("--removed and --added exclude each other")
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    check_size(query)  # before translating: a huge query costs memory there already
    match = to_fts5(query)
    tree = query_tree(query)
    terms = query_terms(query)
    before, after = markers

    def snippet_of(text: str) -> Callable[[], str]:
        return lambda: make_snippet(text, terms, before=before, after=after)

    def snippet_of_edit(row: sqlite3.Row, side: str) -> Callable[[], str]:
        def make() -> str:
            shown = edit_snippet(store, row["article"], row["number"], row["passage"], side,
                                 edit_markers)
            return shown if shown is not None else snippet_of(row["passage"])()
        return make

    def snippet_of_revision(text_hash: str) -> Callable[[], str]:
        def make() -> str:
            try:
                text = store.text_of(text_hash)
            except IntegrityError:
                return ""  # a damaged revision still shows up, without a snippet
            return make_snippet(text, terms, before=before, after=after)
        return make

    try:
        with store.bounded(timeout, "search") as cat:
            if removed or added:
                side = "removed" if removed else "added"
                rows = edit_rows(cat, match, side, sources=sources, since=since,
                                 until=until, limit=limit, cap=cap)
                return [Hit.from_row(row, snippet_of_edit(row, side),
                                     None if row["score"] is not None else 0.0)
                        for row in rows]
            index = SearchIndex(cat.conn, latest=not all_revisions, sources=sources,
                                since=since, until=until)
            found = Evaluation(index, tree, cap=cap, text_of=store.text_of).run(limit)
            rows = _revision_rows(cat.conn, [rid for rid, _ in found])
    except CatalogError as err:  # a damaged index: the objects are not at fault
        if not err.damaged:  # a full disk, a lock, permissions: not the index
            raise
        raise StoreError(f"{store.root}: the search index is damaged ({err.reason})",
                         remedy="repair") from None
    return [Hit.from_row(row, snippet_of_revision(row["text_hash"]), score)
            for row, (_, score) in zip(rows, found, strict=True)]


def _revision_rows(conn: sqlite3.Connection, rids: list[int]) -> list[sqlite3.Row]:
    """The revision rows of ``rids``, in that order."""
    by_rid = {row["rid"]: row for row in rows_in(
        conn, f"SELECT {R_COLUMNS} FROM revisions r WHERE r.rid IN ({{}})", rids)}
    return [by_rid[rid] for rid in rids]

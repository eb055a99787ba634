"""Full-text search over every version, and inside the edits (SPEC 6 ``search``).

The query is translated by :mod:`newsarchive.query` (user input never reaches FTS5 as
raw syntax); the catalog runs the match once and joins the filters to its result;
snippets are cut here, in Python, from the verified text objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsarchive.errors import IntegrityError, UsageError

if TYPE_CHECKING:
    from newsarchive.archive import Archive

SNIPPET_MARKERS = ("[", "]")


@dataclass(frozen=True)
class Hit:
    """One search result: a revision and where it matched."""

    id: str
    revision: int
    date: str
    source: str
    title: str
    snippet: str
    score: float
    hash: str
    captured_at: str

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.revision}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "revision": self.revision, "date": self.date,
                "source": self.source, "title": self.title, "snippet": self.snippet,
                "score": round(self.score, 4), "hash": self.hash,
                "captured_at": self.captured_at}


def search(archive: Archive, query: str, *, sources: Sequence[str] = (),
           since: str | None = None, until: str | None = None, limit: int = 20,
           all_revisions: bool = False, removed: bool = False, added: bool = False,
           markers: tuple[str, str] = SNIPPET_MARKERS) -> list[Hit]:
    from newsarchive.query import make_snippet, query_terms, to_fts5

    if removed and added:
        raise UsageError("--removed and --added exclude each other")
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    match = to_fts5(query)
    terms = query_terms(query)
    if not archive.store.exists():
        return []
    cat = archive.store.catalog()
    before, after = markers
    hits = []
    if removed or added:
        rows = cat.search_edits(match, "removed" if removed else "added", sources=sources,
                                since=since, until=until, limit=limit)
        for row in rows:
            snippet = make_snippet(row["passage"], terms, before=before, after=after)
            hits.append(_hit(row, snippet))
        return hits
    rows = cat.search_docs(match, sources=sources, since=since, until=until,
                           all_revisions=all_revisions, limit=limit)
    for row in rows:
        try:
            text = archive.text_of(row["text_hash"])
        except IntegrityError:
            text = ""  # a damaged revision still shows up, without a snippet
        hits.append(_hit(row, make_snippet(text, terms, before=before, after=after)))
    return hits


def _hit(row: Any, snippet: str) -> Hit:
    source, date, _ = row["article"].split("/")
    return Hit(id=row["article"], revision=row["number"], date=date, source=source,
               title=row["title"], snippet=snippet, score=-float(row["score"]),
               hash=row["text_hash"], captured_at=row["captured_at"])

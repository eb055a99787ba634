"""A few revisions' own texts in a scratch FTS5 table: prefixes checked without merging.

Every lookup of a prefix in the paragraph index merges the postings of all the words that
start with it before it can answer for one paragraph (``th*`` at 100,000 articles: 1.5
million paragraphs, a second a lookup, and as much again to count them). So a common
prefix is checked on its candidates here instead: their titles and paragraphs go, one row
each, into an FTS5 table in memory cut into words by the index's own tokenizer
(:data:`~newsarchive.store.search_index.TOKENIZE`), and the prefix is matched there. The
answer is the index's, exactly; it costs about a millisecond a revision (reading its text
and cutting it), whatever the size of the archive.

The same table tells which words of a prefix occur in those texts, most frequent first
(:meth:`Scratch.words`): one of them matching more paragraphs than the cap proves the
prefix does too, without counting the prefix itself. And ``search --removed/--added`` of
a query found in most edits checks the passages of the newest edits here
(:mod:`newsarchive.search.edits`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from newsarchive.errors import IntegrityError
from newsarchive.store.search_index import TOKENIZE, paragraphs


class Scratch:
    """Rows of text, each of an owner (a revision, an edit), matched by FTS5 expressions."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(f"CREATE VIRTUAL TABLE rows USING fts5 (body, tokenize='{TOKENIZE}')")
        self.owner: list[int] = []  # the owner of each row (row i + 1)
        self.loaded: set[int] = set()
        self.unreadable: set[int] = set()  # damaged texts: the index decides for them

    def __len__(self) -> int:
        """How many owners were added (or their texts tried)."""
        return len(self.loaded) + len(self.unreadable)

    def add(self, owners: Iterable[tuple[int, Iterable[str]]]) -> None:
        """Add each ``(owner, bodies)``: a row a body."""
        rows: list[tuple[int, str]] = []
        for owner, bodies in owners:
            self.loaded.add(owner)
            for body in bodies:
                self.owner.append(owner)
                rows.append((len(self.owner), body))
        self.conn.executemany("INSERT INTO rows (rowid, body) VALUES (?, ?)", rows)

    def load(self, revisions: Iterable[tuple[int, str, str]],
             text_of: Callable[[str], str]) -> None:
        """Add ``(rid, text_hash, title)`` revisions not yet here, their texts read by
        ``text_of``: the title (when it has more than spaces, as the index keeps it) and
        each paragraph, a row each."""
        texts: list[tuple[int, list[str]]] = []
        for rid, text_hash, title in revisions:
            if rid in self.loaded or rid in self.unreadable:
                continue
            try:
                text = text_of(text_hash)
            except IntegrityError:
                self.unreadable.add(rid)
                continue
            texts.append((rid, ([title] if title.strip() else []) + paragraphs(text)))
        self.add(texts)

    def matching(self, match: str) -> set[int]:
        """The owners here of a row ``match`` matches."""
        return {self.owner[row - 1] for (row,) in self.conn.execute(
            "SELECT rowid FROM rows WHERE rows MATCH ?", (match,))}

    def words(self, match: str) -> list[str]:
        """The words of these texts that ``match`` (a prefix) matches on its own, the word
        in most rows first; none for a phrase."""
        conn = self.conn
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab "
                     "(main, rows, row)")
        terms = [term for (term,) in conn.execute(
            "SELECT term FROM temp.vocab ORDER BY doc DESC, term")]
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.words USING fts5 "
                     f"(word, tokenize='{TOKENIZE}')")
        conn.execute("DELETE FROM temp.words")
        conn.executemany("INSERT INTO temp.words (rowid, word) VALUES (?, ?)",
                         enumerate(terms, 1))
        return [terms[row - 1] for (row,) in conn.execute(
            "SELECT rowid FROM temp.words WHERE words MATCH ? ORDER BY rowid", (match,))]

    def close(self) -> None:
        self.conn.close()

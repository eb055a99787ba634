"""Change intelligence across the archive: recent edits with their kinds (SPEC 6 ``changes``).

Kinds are computed when a revision is stored (see :mod:`newsarchive.changes.kinds`) and
kept in the catalog; this module selects recent revisions and pairs each with its
predecessor and the first sentence its edit touched (derived when the revision was stored;
in a catalog brought from schema 3 in place, derived here until the next ``reindex``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from newsarchive.errors import IntegrityError
from newsarchive.indexing.rows import row_to_revision
from newsarchive.model import Change
from newsarchive.store.catalog import Catalog
from newsarchive.store.repository import Store

if TYPE_CHECKING:
    from newsarchive.changes.headlines import HeadlineTest
    from newsarchive.indexing.indexer import Indexer


def changes(store: Store, indexer: Callable[[], Indexer], *, sources: Sequence[str] = (),
            since: str | None = None, until: str | None = None, kinds: Sequence[str] = (),
            limit: int = 50, timeout: float | None = None) -> list[Change]:
    """Recent revisions across the archive, newest capture first; the query selecting
    them runs at most ``timeout`` seconds (QueryTimeout).

    The switches of one headline test are one change: the newest ``headline-test``
    revision listed stands for them all, with the test's summary (the variants and how
    often each was seen), and the test's other switches listed are left out.
    ``indexer()`` says what "the same text" is for the tests (its noise rules); it is
    asked for only when a listed revision is a switch of a headline test."""
    with store.bounded(timeout, "changes query") as cat:
        rows = cat.recent_changes(sources=sources, since=since, until=until, kinds=kinds,
                                  limit=limit)
    tests = _tests_of(store, cat, indexer, rows)
    shown: set[tuple[str, int]] = set()  # (article, first switch) of the tests shown
    out = []
    for row in rows:
        rev = row_to_revision(row)
        test = tests.get((rev.id, rev.number))
        if test is not None:
            key = (rev.id, test.revisions[0])
            if key in shown:
                continue  # an earlier switch of a test shown already
            shown.add(key)
        prev_row = cat.revision(rev.id, rev.number - 1)
        assert prev_row is not None
        prev = row_to_revision(prev_row)
        first = row["first_change"]
        if not isinstance(first, str):  # not derived (NULL), or edited into something else
            first = _first_change(store, prev.hash, rev.hash)
        out.append(Change(rev, prev, first or None, _summary(test) if test is not None else None))
    return out


def _first_change(store: Store, prev_hash: str, text_hash: str) -> str | None:
    """The first sentence an edit touched, for a revision stored before the catalog kept it."""
    # the sentence alignment only for such revisions: start-up time of the others
    from newsarchive.diff.facts import first_changed_sentence

    try:
        return first_changed_sentence(store.text_of(prev_hash), store.text_of(text_hash))
    except IntegrityError:
        return None


def _text_or_none(store: Store, text_hash: str) -> str | None:
    try:
        return store.text_of(text_hash)
    except (IntegrityError, UnicodeDecodeError):
        return None


def _summary(test: HeadlineTest) -> dict[str, Any]:
    """A test as the JSON of ``changes``: its switches as revision numbers."""
    return {**test.to_dict(), "revisions": [i + 1 for i in test.revisions]}


def _tests_of(store: Store, cat: Catalog, indexer: Callable[[], Indexer],
              rows: Sequence[sqlite3.Row]) -> dict[tuple[str, int], HeadlineTest]:
    """(article, revision number) -> the headline test the revision is a switch of, for
    the articles of the ``headline-test`` revisions among ``rows``; only tests that have
    such a revision among them."""
    listed = {(r["article"], r["number"]) for r in rows}
    articles = sorted({r["article"] for r in rows if "headline-test" in r["kind"].split()})
    found: dict[tuple[str, int], HeadlineTest] = {}
    if not articles:
        return found
    # the indexer (and the noise rules, the config behind them) only for tests: start-up time
    from newsarchive.changes.headlines import headline_tests

    for article in articles:
        revs = cat.revisions_of(article)
        seen: dict[int, int] = {}
        for c in cat.captures_of(article):
            if c["rid"] is not None:
                seen[c["rid"]] = seen.get(c["rid"], 0) + 1
        history = indexer().headline_history(revs, lambda h: _text_or_none(store, h))
        result = headline_tests(history, seen=[seen.get(r["rid"], 1) for r in revs])
        for test in result.tests:
            numbers = [i + 1 for i in test.revisions]
            if any((article, n) in listed and result.labels[n - 1] for n in numbers):
                for n in numbers:
                    found[(article, n)] = test
    return found

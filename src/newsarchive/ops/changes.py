"""Change intelligence across the archive: recent edits with their kinds (SPEC 6 ``changes``).

Kinds are computed when a revision is stored (see :mod:`newsarchive.changes.kinds`) and
kept in the catalog; this module selects recent revisions and pairs each with its
predecessor and the first sentence its edit touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsarchive.diff.facts import first_changed_sentence
from newsarchive.errors import IntegrityError, UsageError
from newsarchive.indexing.rows import row_to_revision
from newsarchive.model import KINDS, Change
from newsarchive.store.repository import Store


def changes(store: Store, *, sources: Sequence[str] = (), since: str | None = None,
            until: str | None = None, kinds: Sequence[str] = (), limit: int = 50,
            timeout: float | None = None) -> list[Change]:
    """Recent revisions across the archive, newest capture first; the query selecting
    them runs at most ``timeout`` seconds (QueryTimeout)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"unknown kind {unknown[0]!r} (one of {', '.join(KINDS)})")
    with store.bounded(timeout, "changes query") as cat:
        rows = cat.recent_changes(sources=sources, since=since, until=until, kinds=kinds,
                                  limit=limit)
    out = []
    for row in rows:
        rev = row_to_revision(row)
        prev_row = cat.revision(rev.id, rev.number - 1)
        assert prev_row is not None
        prev = row_to_revision(prev_row)
        try:
            first = first_changed_sentence(store.text_of(prev.hash), store.text_of(rev.hash))
        except IntegrityError:
            first = None
        out.append(Change(rev, prev, first))
    return out

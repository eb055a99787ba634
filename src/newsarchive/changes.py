"""Change intelligence across the archive: recent edits with their kinds (SPEC 6 ``changes``).

Kinds are computed when a revision is stored (see :mod:`newsarchive.changekind`) and
kept in the catalog; this module selects recent revisions and pairs each with its
predecessor and the first sentence its edit touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsarchive.errors import IntegrityError, UsageError
from newsarchive.model import Revision

if TYPE_CHECKING:
    from newsarchive.archive import Archive

from newsarchive.model import KINDS


@dataclass(frozen=True)
class Change:
    """One revision after the first, against the revision before it."""

    revision: Revision
    previous: Revision
    first_changed: str | None

    @property
    def title_changed(self) -> bool:
        return self.previous.title != self.revision.title

    def to_dict(self) -> dict[str, Any]:
        d = self.revision.to_dict()
        d["first_changed"] = self.first_changed
        d["previous_title"] = self.previous.title if self.title_changed else None
        return d


def changes(archive: Archive, *, sources: Sequence[str] = (), since: str | None = None,
            until: str | None = None, kinds: Sequence[str] = (), limit: int = 50) -> list[Change]:
    """Recent revisions across the archive, newest capture first."""
    from newsarchive.archive import row_to_revision
    from newsarchive.diffing import first_changed_sentence

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise UsageError(f"unknown kind {unknown[0]!r} (one of {', '.join(KINDS)})")
    cat = archive.store.catalog()
    out = []
    for row in cat.recent_changes(sources=sources, since=since, until=until, kinds=kinds,
                                  limit=limit):
        rev = row_to_revision(row)
        prev_row = cat.revision(rev.id, rev.number - 1)
        assert prev_row is not None
        prev = row_to_revision(prev_row)
        try:
            first = first_changed_sentence(archive.text_of(prev.hash), archive.text_of(rev.hash))
        except IntegrityError:
            first = None
        out.append(Change(rev, prev, first))
    return out

"""An article and the summary of its history (:class:`Article`): what ``list`` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Article:
    """An article and the summary of its history."""

    id: str
    source: str
    date: str
    slug: str
    title: str
    url: str | None
    revisions: int
    first_captured: str
    last_captured: str
    hash: str = ""  # the latest revision's, as are the words
    words: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The article's JSON record: the keys of SPEC 6 describe its latest revision
        (``revision`` is its number, so also the count), plus ``revisions`` and
        ``first_captured``."""
        return {
            "id": self.id,
            "source": self.source,
            "date": self.date,
            "slug": self.slug,
            "revision": self.revisions,
            "hash": self.hash,
            "title": self.title,
            "url": self.url,
            "captured_at": self.last_captured,
            "words": self.words,
            "revisions": self.revisions,
            "first_captured": self.first_captured,
        }

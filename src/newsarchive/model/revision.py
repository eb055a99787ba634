"""One stored version of an article (:class:`Revision`): what ``log``, ``show`` and
most results hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Revision:
    """One stored version of an article, as the catalog describes it."""

    id: str
    number: int
    hash: str
    title: str
    source: str
    date: str
    slug: str
    url: str | None
    captured_at: str
    author: str | None
    record: str
    original: str | None
    original_type: str | None
    words: int
    words_added: int
    words_removed: int
    reverts: int | None = None
    kind: tuple[str, ...] = ()
    damaged: bool = False
    flipflop: bool = False
    event: str | None = None  # "removed", "restored", "redirected": what a watch saw
    last_seen: str | None = None  # the last capture that confirmed this revision
    detail: str | None = None  # the event's detail ("HTTP 410", "moved to URL (ID)")

    @property
    def ref(self) -> str:
        """The canonical reference ``ID@N``."""
        return f"{self.id}@{self.number}"

    def to_dict(self) -> dict[str, Any]:
        """The revision's JSON record (keys of SPEC 6)."""
        d: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "date": self.date,
            "slug": self.slug,
            "revision": self.number,
            "hash": self.hash,
            "title": self.title,
            "url": self.url,
            "captured_at": self.captured_at,
            "author": self.author,
            "words": self.words,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "reverts": self.reverts,
            "kind": list(self.kind),
            "flipflop": self.flipflop,
        }
        if self.damaged:
            d["damaged"] = True
        if self.event is not None:
            d["event"] = self.event
            if self.detail is not None:
                d["detail"] = self.detail
        if self.last_seen is not None:
            d["last_seen"] = self.last_seen
        return d

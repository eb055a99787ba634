"""One input as ingest read it, before the archive resolves it (:class:`Draft`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Draft:
    """One input as ingest read it: raw text plus whatever metadata it carried.

    Nothing here is validated or canonical yet; ``Archive`` resolves the draft into an
    article ID and canonical text. ``origin`` names the input in error messages;
    ``name_hint`` is the input file's name without extension (a slug candidate).
    """

    text: str
    origin: str = ""
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    slug: str | None = None
    author: str | None = None
    captured_at: str | None = None
    name_hint: str | None = None
    original: bytes | None = None
    original_type: str | None = None
    expected_hash: str | None = None
    id: str | None = None  # the article this is a capture of (``--id``, ``id:``, ``id=``)
    event: str | None = None  # what a watch saw: "removed", "restored", "redirected"
    detail: str | None = None  # the event's detail (an export record carries both)

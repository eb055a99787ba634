"""One feed to snapshot (:class:`FeedSpec`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedSpec:
    """One feed to snapshot: from the command line, the API or a config ``[[feeds]]`` table
    (``trusted``: the user named it; links found in it are not trusted)."""

    url: str
    source: str | None = None
    no_fetch: bool = False
    trusted: bool = True

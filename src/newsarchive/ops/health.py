"""Extraction health over time: sources whose recent captures all failed to extract.

A capture is suspect when its revision has the kind ``extraction-suspect`` (derived by
the indexer with :func:`newsarchive.ingest.health.extraction_health`). A source whose
every capture over a period (a day) was suspect has most likely changed its pages, put
up a wall, or started refusing the fetcher: the run says so in one line
(:func:`newsarchive.ingest.health.suspect_sources`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from newsarchive.ingest.health import suspect_sources
from newsarchive.store.repository import Store

__all__ = ["suspect_warnings"]


def suspect_warnings(store: Store, sources: Iterable[str], *, since: dt.datetime) -> list[str]:
    """One warning per source of ``sources`` whose captures since ``since`` were all
    suspect (none when the store has no catalog yet)."""
    names = sorted(set(sources))
    if not names or not store.catalog_path.exists():
        return []
    stamp = since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = store.catalog().capture_health(names, stamp)
    return suspect_sources(counts)

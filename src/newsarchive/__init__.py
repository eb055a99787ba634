"""newsarchive: archive news articles and show how they change.

The public API is re-exported here lazily, so that ``import newsarchive`` (and the
CLI's start-up) does not pay for SQLite, dateutil or the diff engine until used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsarchive.errors import (
    AmbiguousRef,
    CatalogError,
    ConfigError,
    FeedError,
    FetchError,
    InputError,
    IntegrityError,
    NewsArchiveError,
    NothingToCompare,
    QueryError,
    QueryTimeout,
    RevisionNotFound,
    StoreError,
    StoreLocked,
    StoreNotFound,
    UsageError,
)
from newsarchive.version import __version__

__all__ = [
    "AddResult",
    "AmbiguousRef",
    "Archive",
    "Article",
    "CatalogError",
    "ConfigError",
    "Draft",
    "FeedError",
    "FetchError",
    "InputError",
    "IntegrityError",
    "NewsArchiveError",
    "NothingToCompare",
    "Problem",
    "QueryError",
    "QueryTimeout",
    "Revision",
    "RevisionNotFound",
    "StoreError",
    "StoreLocked",
    "StoreNotFound",
    "UsageError",
    "__version__",
    "open",
]

_LAZY = {
    "Archive": "newsarchive.archive",
    "open": "newsarchive.archive",
    "AddResult": "newsarchive.model",
    "Article": "newsarchive.model",
    "Draft": "newsarchive.model",
    "Problem": "newsarchive.model",
    "Revision": "newsarchive.model",
}


if TYPE_CHECKING:
    from newsarchive.archive import Archive, open
    from newsarchive.model import AddResult, Article, Draft, Problem, Revision


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'newsarchive' has no attribute {name!r}")
    import importlib  # the lazy names: newsarchive imports nothing else at start-up

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

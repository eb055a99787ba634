"""Plain data passed between ingest, the store and the callers of the API.

The constants are defined here; the classes live in small modules named for what they hold
(``revision``, ``article``, ``change``, ``draft``, ``stats``, ``feed``, ``results``) and are
re-exported lazily: ``from newsarchive.model import Revision`` imports ``model.revision``
only. Each dataclass costs about a millisecond to define (its methods are compiled when
the class is made), so a read command defines only the classes it returns (``stats``:
``StoreStats``; ``list``: ``Article``; ``log``, ``show``: ``Revision``; ``changes``:
``Change`` and ``Revision``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

Status = Literal["added", "revised", "inserted", "unchanged"]
# The kinds of change (see newsarchive.changes.kinds for the rules); here so that the CLI can
# offer them without importing the classifier.
Kind = Literal["minor", "headline", "correction", "substantive", "revert",
               "extraction-suspect", "headline-test", "removed", "restored"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Revision numbers past this are refused (as input or in a reference): beyond any real
# history, and near the end of SQLite's 64-bit integers
MAX_REVISION = 2**62
# How long a search, listing or changes query may run, in seconds, unless told otherwise
# (the CLI's --timeout; 0 or None: no limit)
QUERY_TIMEOUT = 5.0
# At most this many values of one repeatable filter (--source, --kind)
MAX_FILTER_VALUES = 100

# Each class, by the module that defines it (imported when the class is first named)
_LAZY = {
    "AddResult": "results",
    "Article": "article",
    "Change": "change",
    "Draft": "draft",
    "FeedSpec": "feed",
    "GcResult": "results",
    "Problem": "results",
    "ProblemKind": "results",
    "ReindexResult": "results",
    "Revision": "revision",
    "StoreStats": "stats",
}

__all__ = [
    "KINDS", "MAX_FILTER_VALUES", "MAX_REVISION", "QUERY_TIMEOUT", "Kind", "Status",
    "AddResult", "Article", "Change", "Draft", "FeedSpec", "GcResult", "Problem", "ProblemKind",
    "ReindexResult", "Revision", "StoreStats",  # each name of _LAZY
]

if TYPE_CHECKING:
    from newsarchive.model.article import Article
    from newsarchive.model.change import Change
    from newsarchive.model.draft import Draft
    from newsarchive.model.feed import FeedSpec
    from newsarchive.model.results import (
        AddResult,
        GcResult,
        Problem,
        ProblemKind,
        ReindexResult,
    )
    from newsarchive.model.revision import Revision
    from newsarchive.model.stats import StoreStats


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # the classes, when first named (see the module docstring)

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

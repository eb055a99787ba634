"""Named points in the write path (and in queries) where tests can inject a crash or an
error, or learn that a step has been reached.

Production code calls :func:`point` at each step of a durable write; it does nothing
unless a test has installed a hook (the reliability tests run the CLI in a subprocess
whose hook calls ``os._exit`` at a chosen point, to prove that a crash between any two
steps loses nothing that was reported).
"""

from __future__ import annotations

from collections.abc import Callable

POINTS = (
    "object-temp-written",   # temp file written, not yet fsynced
    "object-fsynced",        # temp file fsynced, not yet renamed
    "object-renamed",        # renamed into place, directory not yet fsynced
    "midx-written",          # a multi-pack index's temp file fsynced, not yet renamed
    "midx-renamed",          # the multi-pack index renamed into place, directory not fsynced
    "pack-retired",          # a repacked pack's index and file deleted (more may follow)
    "tidy-written",          # an add's tidy: merged packs or loose objects in a new pack,
                             # durable and indexed; the old copies not yet removed
    "dictionary-named",      # objects/pack/dictionary renamed into place (gc, a first bulk add)
    "record-written",        # a revision record object is in place
    "journal-written",       # the commit's journal line written, not yet fsynced
    "before-commit",         # every object and the journal durable, catalog not committed
    "after-commit",          # catalog committed, result not yet reported
    "query-step",            # a bounded query (search, list, changes) is running in SQLite
)

_hook: Callable[[str], None] | None = None


def install(hook: Callable[[str], None] | None) -> None:
    """Set (or clear, with None) the function called at every point."""
    global _hook
    _hook = hook


def point(name: str) -> None:
    if _hook is not None:
        _hook(name)

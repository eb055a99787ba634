"""Writing a report of changes to a directory (``changes --format html|atom --output DIR``).

The directory gets the report (``index.html``, or ``changes.atom`` for the feed) and, in
``diffs/``, one page a change with its full side-by-side diff
(:meth:`newsarchive.diff.compare.Diff.to_html`), which the report links to: the report
itself stays small (only the changed passages), and the whole article is a click away
without a script (the page's Content-Security-Policy allows none). Pages are named for
the revision (``diffs/SOURCE_DATE_SLUG@N.html``), so a cron job that writes the report
again and again into one directory rewrites the same files. Each file is written to a
temporary name and renamed, so a reader never sees half a page.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsarchive.changes.feed import to_atom
from newsarchive.changes.report import to_html_report
from newsarchive.diff.compare import Diff
from newsarchive.errors import IntegrityError, UsageError
from newsarchive.model import Change
from newsarchive.ops.listing import diff_revisions
from newsarchive.store.repository import Store

INDEX = {"html": "index.html", "atom": "changes.atom"}
PAGES = "diffs"


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote: the report, and the diff pages."""

    report: str
    pages: list[str] = field(default_factory=list)


def page_name(change: Change) -> str:
    """The diff page of a change, relative to the report: ``diffs/SOURCE_DATE_SLUG@N.html``
    (the parts of an article ID are safe file names)."""
    rev = change.revision
    return f"{PAGES}/{rev.source}_{rev.date}_{rev.slug}@{rev.number}.html"


def _write(path: Path, text: str) -> None:
    """Write to a temporary name beside ``path`` (made as any file, under the umask), then
    rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(store: Store, changes: Sequence[Change], directory: Path, fmt: str, *,
                 store_key: str) -> ReportFiles:
    """Write the report of ``changes`` (``fmt``: html or atom) and a diff page for each
    into ``directory`` (created if need be; files of an earlier report are replaced)."""
    if fmt not in INDEX:
        raise UsageError(f"a report is html or atom, not {fmt!r}")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    (directory / PAGES).mkdir(parents=True, exist_ok=True)
    diffs: dict[str, Diff] = {}

    def diff_of(c: Change) -> Diff:
        key = c.revision.record
        if key not in diffs:
            diffs[key] = diff_revisions(store, c.previous, c.revision)
        return diffs[key]

    written: dict[str, str] = {}
    for c in changes:
        try:
            page = diff_of(c).to_html()
        except IntegrityError:
            continue   # no page: the report says the diff is unavailable
        name = page_name(c)
        _write(directory / name, page)
        written[c.revision.record] = name

    def href(c: Change) -> str | None:
        return written.get(c.revision.record)

    if fmt == "html":
        text = to_html_report(changes, diff_of, href)
    else:
        text = to_atom(changes, diff_of, store_key=store_key, diff_href=href)
    _write(directory / INDEX[fmt], text)
    return ReportFiles(str(directory / INDEX[fmt]), [str(directory / n) for n in written.values()])

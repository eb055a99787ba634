"""Watching: revisiting archived articles when the schedule says they are due.

Every article archived from a URL (by ``snapshot`` or ``add URL``) gets a row in the
catalog's ``watch`` table (:func:`note_fetch`): the URL to fetch, when it was first seen,
last checked and last changed, how many checks in a row found it unchanged, how many in a
row answered 404/410, and whether the user stopped it (``watch stop``). The schedule of
:mod:`newsarchive.web.schedule` turns a row into its next due time, kept in the row
(:func:`~newsarchive.web.watchlist.plan_watched`), so that a run reads only the rows due,
not every article watched; :func:`run_watch` plans a run
(:func:`~newsarchive.web.schedule.plan_run`: most overdue first, within the budget and the
per-host politeness of the fetcher) and does it:

- each due article's URL is fetched conditionally (its validators, as ``snapshot`` keeps
  them): a 304 is an unchanged check;
- a 200 is extracted and archived as a capture of *that* article (whatever its canonical
  link says): the write path decides whether it is ``unchanged`` or a new revision;
- a 404 or 410 counts; the second in a row records a tombstone (``removed``, through
  ``mark``, :func:`newsarchive.ops.events.record_event`): the text is kept as it was. Once
  removed, the URL is fetched unconditionally, and the first page it serves again is a
  revision of kind ``restored``;
- a permanent redirect (301 or 308 at every hop) to the URL of *another* archived article
  records a ``redirected`` event on this one (its ``detail``: ``moved to URL (ID)``) and
  stops watching it: the other article is watched on its own. Any other redirect is
  followed as a fetch of this article;
- any other failure (a timeout, a 5xx) is reported and counts as a check, so that a
  broken site is not asked again at every run.

Times come from ``clock`` (UTC, aware): captures made by a run are stamped with it, so a
test can drive weeks of runs with a fake clock. The watch table is not rebuilt from the
objects like the rest of the catalog: ``reindex`` keeps it, and rebuilds it from the
captures only when the catalog lost it (see docs/cron.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsarchive.config import WatchConfig
from newsarchive.errors import FetchError, InputError, NewsArchiveError
from newsarchive.model import AddResult
from newsarchive.text.urls import canonical_url
from newsarchive.web.fetch import Fetcher, Response
from newsarchive.web.schedule import Watched, plan_run
from newsarchive.web.snapshot import AddDrafts, StoreValidators, page_to_draft
from newsarchive.web.watchlist import UNREADABLE, UNREADABLE_NOTE, _save, _state, _values, \
    plan_watched, timestamp

if TYPE_CHECKING:
    from newsarchive.ingest.noise import RuleBook
    from newsarchive.store.catalog import Catalog
    from newsarchive.store.repository import Store

__all__ = ["MISSING_TWICE", "WatchReport", "run_watch"]

# How a run records an event on an article: (article, event, detail, captured_at) -> result
MarkEvent = Callable[[str, str, str | None, str], AddResult]
EventHandler = Callable[[str, dict[str, Any]], None]
MISSING_TWICE = 2  # 404/410 answers in a row that make a tombstone
_GONE = (404, 410)
_PERMANENT = (301, 308)


@dataclass
class WatchReport:
    """What one watch run did."""

    due: int = 0
    checked: int = 0
    not_modified: int = 0
    unchanged: int = 0
    revised: int = 0
    removed: int = 0
    restored: int = 0
    redirected: int = 0
    failed: int = 0
    missing: int = 0
    """Checks that found the page gone (404/410) without recording a tombstone (yet)."""
    deferred: int = 0
    waiting: int = 0
    done: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[AddResult] = field(default_factory=list)
    """The new revisions of the run (revised, removed, restored, redirected)."""

    def to_dict(self) -> dict[str, Any]:
        return {"watch": True, "due": self.due, "checked": self.checked,
                "not_modified": self.not_modified, "unchanged": self.unchanged,
                "revised": self.revised, "removed": self.removed,
                "restored": self.restored, "redirected": self.redirected,
                "failed": self.failed, "missing": self.missing,
                "deferred": self.deferred, "waiting": self.waiting,
                "done": self.done, "errors": list(self.errors)}

    def summary(self) -> str:
        return (f"watch: {self.checked} checked, {self.revised} revised, {self.removed} "
                f"removed, {self.restored} restored, {self.redirected} redirected, "
                f"{self.unchanged + self.not_modified} unchanged, {self.missing} missing, "
                f"{self.failed} failed, {self.deferred} deferred")


def run_watch(
    store: Store,
    add: AddDrafts,
    mark: MarkEvent,
    *,
    fetcher: Fetcher,
    clock: Callable[[], datetime],
    config: WatchConfig | None = None,
    max_fetches: int | None = None,
    everything: bool = False,
    on_event: EventHandler | None = None,
    noise: RuleBook | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> WatchReport:
    """Revisit the due watched articles (every one with ``everything``); see the module
    docstring. Failures of one article are in the report; store errors are raised.
    ``on_progress(planned, total)``: the rows planned again when the schedule changed."""
    config = config or WatchConfig()
    cat = store.catalog(write=True)
    now = clock()
    plan_watched(cat, now, config, on_progress)  # at once, unless the schedule changed
    if everything:
        rows = [r for r in cat.watch_rows() if not r["stopped"]]
        waiting = done = 0
    else:  # the rows planned after now wait, those with no next check are done
        when = timestamp(now)
        rows = cat.watch_due_rows(when)
        waiting, done = cat.watch_counts(when)
    watched, unreadable = [], []
    for r in rows:
        try:
            watched.append(Watched(r["article"], r["url"], _state(r)))
        except UNREADABLE:  # times edited by hand
            unreadable.append(f"{r['article']}: {UNREADABLE_NOTE}")
    plan = plan_run(watched, now, config, max_fetches=max_fetches,
                    host_delay=fetcher.host_delay, everything=everything)
    report = WatchReport(due=len(plan.visits) + len(plan.deferred),
                         deferred=len(plan.deferred), waiting=plan.waiting + waiting,
                         done=plan.stopped + done, failed=len(unreadable),
                         errors=unreadable)
    deadline = time.monotonic() + config.time_budget.total_seconds()
    own_validators = fetcher.validators is None
    if own_validators:  # the store's, as snapshot uses them
        fetcher.validators = StoreValidators(store)
    try:
        for visit in plan.visits:
            if time.monotonic() > deadline:  # slower than planned: the rest waits
                report.deferred += 1
                continue
            _visit(store, add, mark, fetcher, clock, config, visit.key, report, noise)
            if on_event is not None:
                on_event("watch_done", {"id": visit.key, "url": visit.url})
    finally:
        if own_validators:
            fetcher.validators = None
    return report


def _visit(store: Store, add: AddDrafts, mark: MarkEvent, fetcher: Fetcher,
           clock: Callable[[], datetime], config: WatchConfig, article: str,
           report: WatchReport, noise: RuleBook | None = None) -> None:
    cat = store.catalog(write=True)
    row = cat.watch_row(article)
    head = cat.head(article)
    if row is None or head is None:
        return
    url = row["url"]
    gone = head["event"] == "removed"
    report.checked += 1
    try:
        resp = fetcher.get(url, trusted=False, conditional=not gone and row["missing"] == 0,
                           remember=False)
    except FetchError as err:
        now = clock()
        when = timestamp(now)
        if err.status in _GONE:
            missing = row["missing"] + 1
            if missing >= MISSING_TWICE and not gone:
                result = mark(article, "removed", f"HTTP {err.status}", when)
                if result.status != "unchanged":  # else an overlapping run wrote it
                    report.removed += 1
                    report.results.append(result)
                values = _values(row, last_checked=when, last_changed=when, unchanged=0,
                                 missing=missing, note=f"removed: HTTP {err.status}")
            else:
                report.missing += 1
                values = _values(row, last_checked=when, missing=missing,
                                 unchanged=row["unchanged"] + (1 if gone else 0),
                                 note=f"HTTP {err.status}")
        else:
            report.failed += 1
            report.errors.append(f"{url}: {err.reason}")
            values = _values(row, last_checked=when, note=err.reason)
        _save(cat, values, now, config)
        return
    now = clock()
    when = timestamp(now)
    if resp.not_modified:
        report.not_modified += 1
        _save(cat, _values(row, last_checked=when, missing=0, note=None,
                           unchanged=row["unchanged"] + 1), now, config)
        return
    other = _moved_to(cat, resp, url, article)
    if other is not None:
        result = mark(article, "redirected", f"moved to {resp.url} ({other})", when)
        if result.status != "unchanged":
            report.redirected += 1
            report.results.append(result)
        _save(cat, _values(row, last_checked=when, last_changed=when, missing=0, stopped=1,
                           note=f"moved to {resp.url} ({other})"), now, config)
        return
    try:
        draft = page_to_draft(resp, url, noise, article.split("/", 1)[0])
    except InputError as err:
        report.failed += 1
        report.errors.append(str(err))
        _save(cat, _values(row, last_checked=when, missing=0, note=err.reason), now, config)
        return
    draft.id = article
    draft.captured_at = when
    (outcome,) = add([draft])
    if isinstance(outcome, NewsArchiveError):
        report.failed += 1
        report.errors.append(str(outcome))
        _save(cat, _values(row, last_checked=when, note=str(outcome)), now, config)
        return
    fetcher.remember(url, resp)
    changed = outcome.status != "unchanged"
    if not changed:
        report.unchanged += 1
    elif "restored" in outcome.revision.kind:
        report.restored += 1
        report.results.append(outcome)
    else:
        report.revised += 1
        report.results.append(outcome)
    cat = store.catalog(write=True)
    _save(cat, _values(row, last_checked=when, missing=0, note=None,
                       unchanged=0 if changed else row["unchanged"] + 1,
                       last_changed=when if changed else row["last_changed"]), now, config)


def _moved_to(cat: Catalog, resp: Response, url: str, article: str) -> str | None:
    """The other archived article a permanent redirect led to, or None."""
    if not resp.redirects or any(status not in _PERMANENT for status, _ in resp.redirects):
        return None
    try:
        target = canonical_url(resp.url)
        if target == canonical_url(url):
            return None
    except ValueError:
        return None
    other = cat.url_article(target)
    return other if other is not None and other != article else None

"""The watch list: the catalog's ``watch`` rows, what they say and how fetches update them.

One row an article archived from a URL: the URL to fetch, when the article was first seen,
last checked and last changed, how many checks in a row found it unchanged
(``unchanged``) and how many answered 404/410 (``missing``), whether ``watch stop``
stopped it, a note on the last check, and its next check (``next_due``) as the schedule the
catalog names plans it (:func:`plan_watched`; ``watch list`` computes it again under the
config it is given). Here because both ``snapshot`` (whose fetches count as checks) and
the watch run update it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from newsarchive.config import WatchConfig
from newsarchive.model import AddResult
from newsarchive.web.schedule import SCHEDULE_RULES, WatchState, next_check

if TYPE_CHECKING:
    import sqlite3

    from newsarchive.store.catalog import Catalog

__all__ = ["WatchEntry", "entry_of", "list_watched", "note_check", "note_fetch",
           "plan_watched", "schedule_key", "stop_watching", "timestamp", "watch_article"]


def timestamp(when: datetime) -> str:
    """A capture time as the store writes it (UTC, to the second)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class WatchEntry:
    """A watched article as ``watch list`` shows it."""

    id: str
    url: str
    first_seen: str
    last_checked: str | None
    last_changed: str | None
    unchanged: int
    missing: int
    next_due: str | None
    """None: not due any more (stopped by the schedule or by ``watch stop``)."""
    stopped: bool
    """Stopped by ``watch stop``."""
    note: str | None

    @property
    def status(self) -> str:
        if self.stopped:
            return "stopped"
        return "watching" if self.next_due is not None else "done"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "status": self.status,
                "next_due": self.next_due, "first_seen": self.first_seen,
                "last_checked": self.last_checked, "last_changed": self.last_changed,
                "unchanged_checks": self.unchanged, "missing_checks": self.missing,
                "note": self.note}


#: What reading a row's times raises when they were edited into something else.
UNREADABLE = (ValueError, TypeError, AttributeError)


def _state(row: Mapping[str, Any] | sqlite3.Row) -> WatchState:
    """The schedule's view of a row; one of :data:`UNREADABLE` when its times cannot be
    read (written by hand)."""
    first = _parse(row["first_seen"])
    if first is None:
        raise ValueError("a watch row without its first sighting")
    return WatchState(first_captured=first, last_changed=_parse(row["last_changed"]),
                      last_checked=_parse(row["last_checked"]), unchanged=row["unchanged"])


#: The note of a row whose times cannot be read (``watch list``; a run reports it failed).
UNREADABLE_NOTE = "the watch list's times cannot be read"


def entry_of(row: sqlite3.Row, now: datetime, config: WatchConfig) -> WatchEntry:
    """The row as ``watch list`` shows it, due as :func:`_planned` plans it: a row whose
    times cannot be read is due now, with a note that says so."""
    due, note = _planned(row, now, config), row["note"]
    if due == "":
        due, note = timestamp(now), UNREADABLE_NOTE
    return WatchEntry(row["article"], row["url"], row["first_seen"], row["last_checked"],
                      row["last_changed"], row["unchanged"], row["missing"], due,
                      bool(row["stopped"]), note)


def _values(row: sqlite3.Row | None, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(row) if row is not None else {
        "article": None, "url": None, "first_seen": None, "last_checked": None,
        "last_changed": None, "unchanged": 0, "missing": 0, "next_due": None,
        "stopped": 0, "note": None}
    base.update(changes)
    return base


def schedule_key(config: WatchConfig) -> str:
    """What a row's planned next check depends on besides the row: the schedule's settings
    (and the version of its rules, :mod:`newsarchive.web.schedule`)."""
    bands = ",".join(f"{age.total_seconds():g}:{every.total_seconds():g}"
                     for age, every in config.intervals)
    return (f"{SCHEDULE_RULES} {bands} backoff={config.backoff!r} "
            f"fraction={config.age_fraction!r} stop={config.stop_after.total_seconds():g}")


def _planned(values: Mapping[str, Any] | sqlite3.Row, now: datetime, config: WatchConfig,
             ) -> str | None:
    """A row's ``next_due``: its next check under ``config`` as a timestamp (cut to the
    second: never later than the check), None when the schedule has stopped it. A row whose
    times cannot be read is planned as due at once, so that a run reads it (and reports it)
    instead of losing it."""
    if values["stopped"]:
        return None
    try:
        due = next_check(_state(values), now, config)
    except UNREADABLE:
        return ""
    return timestamp(due) if due is not None else None


#: Rows planned again per statement when the schedule changed.
PLAN_BATCH = 2_000


def plan_watched(cat: Catalog, now: datetime, config: WatchConfig,
                 on_progress: Callable[[int, int], None] | None = None) -> int:
    """Make every row's ``next_due`` that of ``config``: when the rows were planned under
    another schedule (a changed ``[watch]`` config, a catalog written before this was kept,
    a watch list rebuilt by ``reindex``), plan them all again, a batch at a time; else do
    nothing (one read of ``meta``). Returns the rows planned.

    A row's next check depends only on the row and the schedule (the age is taken at its
    last check), so a planned time stays right until the row is written again, which
    plans it again (:func:`_save`). A run then reads only the rows due
    (:meth:`~newsarchive.store.catalog.Catalog.watch_due_rows`): one planned after now is
    waiting, and one with none planned stays stopped (its stop time has passed, or comes
    before its next check) until a change writes its row.

    ``on_progress(planned, total)`` is called after each batch (about 2 s for 100,000
    rows), only when there is something to plan."""
    key = schedule_key(config)
    if cat.watch_schedule() == key:
        return 0
    planned, after = 0, ""
    with cat.transaction():  # one commit (one each: 0.1 ms a row)
        total = cat.watch_size() if on_progress is not None else 0
        while rows := cat.watch_rows_after(after, PLAN_BATCH):
            cat.plan_watch([(_planned(row, now, config), row["article"]) for row in rows])
            planned += len(rows)
            after = rows[-1]["article"]
            if on_progress is not None:
                on_progress(planned, total)
        cat.set_watch_schedule(key)
    return planned


def _save(cat: Catalog, values: dict[str, Any], now: datetime, config: WatchConfig,
          ) -> None:
    plan_watched(cat, now, config)  # the other rows, when they were planned under another
    values["next_due"] = _planned(values, now, config)
    cat.put_watch(values)


def note_fetch(cat: Catalog, result: AddResult, url: str, now: datetime,
               config: WatchConfig | None = None) -> None:
    """Watch the article of a page just fetched and archived from ``url`` (``snapshot``,
    ``add URL``), or count the fetch as a check of one already watched."""
    config = config or WatchConfig()
    article = result.revision.id
    row = cat.watch_row(article)
    when = timestamp(now)
    changed = result.status != "unchanged"
    if row is None:
        first = cat.article(article)
        first_seen = first["first_captured"] if first is not None else when
        values = _values(None, article=article, url=url, first_seen=first_seen,
                         last_checked=when, last_changed=when if changed else None)
    else:
        values = _values(row, last_checked=when, missing=0,
                         unchanged=0 if changed else row["unchanged"] + 1,
                         last_changed=when if changed else row["last_changed"])
    _save(cat, values, now, config)


def note_check(cat: Catalog, article: str, now: datetime,
               config: WatchConfig | None = None) -> None:
    """A watched article's page answered 304 to a fetch outside a watch run (a feed's)."""
    row = cat.watch_row(article)
    if row is not None:
        _save(cat, _values(row, last_checked=timestamp(now), missing=0,
                           unchanged=row["unchanged"] + 1), now, config or WatchConfig())


def list_watched(cat: Catalog, now: datetime, config: WatchConfig | None = None,
                 ) -> list[WatchEntry]:
    """Every watched article, the next due first (then those done, then those stopped)."""
    entries = [entry_of(r, now, config or WatchConfig()) for r in cat.watch_rows()]
    order = {"watching": 0, "done": 1, "stopped": 2}
    return sorted(entries, key=lambda e: (order[e.status], e.next_due or "", e.id))


def watch_article(cat: Catalog, article: str, url: str, now: datetime,
                  config: WatchConfig | None = None) -> WatchEntry:
    """Watch ``article`` at ``url`` (``watch add``): a new row counts the article's latest
    revision as its last change; a stopped one is watched again, as of now (counted as a
    change, so the schedule starts again)."""
    config = config or WatchConfig()
    row = cat.watch_row(article)
    when = timestamp(now)
    if row is None:
        found = cat.article(article)
        head = cat.head(article)
        first_seen = found["first_captured"] if found is not None else when
        changed = head["captured_at"] if head is not None else None
        values = _values(None, article=article, url=url, first_seen=first_seen,
                         last_checked=changed, last_changed=changed)
    elif row["stopped"]:
        values = _values(row, stopped=0, last_changed=when, unchanged=0, note=None)
    else:
        values = _values(row)
    _save(cat, values, now, config)
    found_row = cat.watch_row(article)
    assert found_row is not None
    return entry_of(found_row, now, config)


def stop_watching(cat: Catalog, article: str, now: datetime,
                  config: WatchConfig | None = None) -> WatchEntry | None:
    """Stop watching ``article`` (``watch stop``); None when it was not watched."""
    row = cat.watch_row(article)
    if row is None:
        return None
    _save(cat, _values(row, stopped=1, note="stopped by watch stop"), now,
          config or WatchConfig())
    found = cat.watch_row(article)
    assert found is not None
    return entry_of(found, now, config or WatchConfig())

"""A watch run reads only the rows of articles that may still be watched: those unchanged
for longer than ``stop_after`` (and a margin) are counted as done in SQL, never planned.
The schedule decides alone what is due; these tests check that the rows left out are
exactly ones it calls stopped, and that a run reports what planning every row reports."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.config import WatchConfig
from newsarchive.store.catalog import Catalog
from newsarchive.web.schedule import Watched, next_check, plan_run
from newsarchive.web.watch import DONE_MARGIN
from newsarchive.web.watchlist import _state, timestamp

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def _time(offset: float, fraction: bool) -> str:
    when = NOW + timedelta(days=offset)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


def _rows(stop_days: float) -> st.SearchStrategy[list[tuple[float, object, float | None,
                                                               int, bool, bool]]]:
    """Rows seen any time in the last 120 days, many of them a few minutes either side of
    their stop (``stop_days`` before now), where the margin decides."""
    near = st.floats(min_value=-stop_days - 0.005, max_value=-stop_days + 0.005,
                     allow_nan=False)
    offsets = st.one_of(st.floats(min_value=-120, max_value=0.01, allow_nan=False), near)
    return st.lists(st.tuples(
        offsets,                                             # first seen
        st.one_of(st.none(), offsets, st.just("garbage")),   # last changed
        st.one_of(st.none(), offsets),                       # last checked
        st.integers(0, 30), st.booleans(), st.booleans()),   # unchanged, fraction, stopped
        max_size=40)


def _catalog() -> Catalog:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    cat = Catalog(conn)
    cat.create()
    return cat


@settings(max_examples=200, deadline=None)
@given(st.data(), st.floats(min_value=0.05, max_value=90))
def test_only_rows_the_schedule_has_stopped_are_left_out(data: st.DataObject,
                                                         stop_days: float) -> None:
    given_rows = data.draw(_rows(stop_days))
    config = WatchConfig(stop_after=timedelta(days=stop_days))
    cat = _catalog()
    for n, (first, changed, checked, unchanged, fraction, stopped) in enumerate(given_rows):
        cat.put_watch({
            "article": f"s/2026-03-01/a-{n}", "url": f"https://site.example/{n}",
            "first_seen": _time(first, fraction),
            "last_changed": changed if changed is None or isinstance(changed, str)
            else _time(float(changed), fraction),   # type: ignore[arg-type]
            "last_checked": None if checked is None else _time(checked, fraction),
            "unchanged": unchanged, "missing": 0, "next_due": None,
            "stopped": int(stopped), "note": None})
    live, done = cat.watch_rows_changed_since(timestamp(NOW - config.stop_after - DONE_MARGIN))
    kept = {r["article"] for r in live}
    every = [r for r in cat.watch_rows() if not r["stopped"]]
    left_out = [r for r in every if r["article"] not in kept]
    assert done == len(left_out)
    for row in left_out:
        assert row["last_changed"] != "garbage"
        assert next_check(_state(row), NOW, config) is None, dict(row)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_run_reports_what_planning_every_row_reports(tmp_path: Path) -> None:
    """A year of watched articles, most stopped long ago: the run plans only the others,
    and its counts are those of the plan over every row (nothing is due, nothing fetched)."""
    store = tmp_path / "store"
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        archive.add("A first story. It has two sentences.", source="s", slug="first",
                    date="2026-03-01", title="First", captured_at=timestamp(NOW))
    conn = sqlite3.connect(store / "catalog.sqlite")
    for n in range(400):
        age = timedelta(days=n)   # one article a day, the latest seen just now
        seen = timestamp(NOW - age)
        conn.execute("INSERT INTO watch (article, url, first_seen, last_checked, "
                     "last_changed, unchanged, missing, next_due, stopped, note) "
                     "VALUES (?, ?, ?, ?, ?, 0, 0, NULL, ?, NULL)",
                     (f"s/2026-03-01/a-{n}", f"http://127.0.0.1:9/{n}", seen,
                      timestamp(NOW - min(age, timedelta(minutes=5))), seen, int(n % 50 == 7)))
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('watch', 'kept')")
    conn.commit()
    conn.row_factory = sqlite3.Row
    every = [r for r in Catalog(conn).watch_rows() if not r["stopped"]]
    conn.close()
    plan = plan_run((Watched(r["article"], r["url"], _state(r)) for r in every), NOW,
                    WatchConfig())
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        report = archive.watch_run()
    assert (report.due, report.waiting, report.done) \
        == (len(plan.visits) + len(plan.deferred), plan.waiting, plan.stopped)
    assert report.due == 0 and report.done > 300 and report.waiting > 0

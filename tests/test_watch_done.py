"""A watch run reads only the rows due: each row keeps its next check as the schedule plans
it (``next_due``, :func:`~newsarchive.web.watchlist.plan_watched`), and a run reads the
rows planned at or before now, counting the others as waiting (planned later) or done (no
check planned). These tests check that this split is the schedule's own at any later time,
that rows planned under another schedule are planned again, and that a run reports what
planning every row reports."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.config import WatchConfig
from newsarchive.store.catalog import Catalog
from newsarchive.web import watchlist
from newsarchive.web.schedule import Watched, next_check, plan_run
from newsarchive.web.watchlist import _state, note_check, plan_watched, schedule_key, timestamp
from tests.conftest import stderr_on_a_terminal

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
ONE_STORY_FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                  "<item><title>One</title><link>https://news.example/a/one</link>"
                  "<description>The one story.</description></item></channel></rss>")


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


def _put(cat: Catalog, given_rows: list[tuple[float, object, float | None, int, bool, bool]],
         ) -> None:
    """The rows as a catalog written before next checks were kept holds them: none planned."""
    for n, (first, changed, checked, unchanged, fraction, stopped) in enumerate(given_rows):
        cat.put_watch({
            "article": f"s/2026-03-01/a-{n}", "url": f"https://site.example/{n}",
            "first_seen": _time(first, fraction),
            "last_changed": changed if changed is None or isinstance(changed, str)
            else _time(float(changed), fraction),   # type: ignore[arg-type]
            "last_checked": None if checked is None else _time(checked, fraction),
            "unchanged": unchanged, "missing": 0, "next_due": None,
            "stopped": int(stopped), "note": None})


@settings(max_examples=200, deadline=None)
@given(st.data(), st.floats(min_value=0.05, max_value=90),
       st.floats(min_value=0, max_value=60, allow_nan=False))
def test_rows_left_unread_are_those_the_schedule_has_waiting_or_stopped(
        data: st.DataObject, stop_days: float, later_days: float) -> None:
    config = WatchConfig(stop_after=timedelta(days=stop_days))
    cat = _catalog()
    _put(cat, data.draw(_rows(stop_days)))
    assert plan_watched(cat, NOW, config) == len(cat.watch_rows())
    assert plan_watched(cat, NOW, config) == 0  # planned under this schedule already
    then = NOW + timedelta(days=later_days)
    due = {r["article"] for r in cat.watch_due_rows(timestamp(then))}
    waiting, done = cat.watch_counts(timestamp(then))
    live = [r for r in cat.watch_rows() if not r["stopped"]]
    assert len(due) + waiting + done == len(live)
    for row in live:
        if row["article"] in due:
            continue
        assert row["last_changed"] != "garbage"  # unreadable: always read
        expected = next_check(_state(row), then, config)
        if row["next_due"] is None:
            assert expected is None, dict(row)
        else:
            assert expected is not None and expected > then, dict(row)


def test_rows_planned_under_another_schedule_are_planned_again() -> None:
    cat = _catalog()
    _put(cat, [(-n / 10, None, -n / 20, n % 5, False, False) for n in range(50)])
    short = WatchConfig(stop_after=timedelta(days=2))
    assert plan_watched(cat, NOW, WatchConfig()) == 50
    assert cat.watch_counts(timestamp(NOW))[1] == 0  # none stopped within 30 days
    # a snapshot under another config (``[watch]`` edited) plans every row under it
    note_check(cat, "s/2026-03-01/a-0", NOW, short)
    assert cat.watch_schedule() == schedule_key(short)
    waiting, done = cat.watch_counts(timestamp(NOW))
    assert done == sum(next_check(_state(r), NOW, short) is None for r in cat.watch_rows())
    assert done > 20 and waiting > 0
    # so does a change of the rules themselves, and reindex rebuilding a lost list
    cat.set_watch_schedule("rules=0 " + schedule_key(short))
    assert plan_watched(cat, NOW, short) == 50
    assert schedule_key(WatchConfig(backoff=1.5)) != schedule_key(WatchConfig())


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _planned_over_every_row(store: Path, when: datetime, config: WatchConfig,
                            ) -> tuple[int, int, int]:
    """(due, waiting, done) as planning every row not stopped by ``watch stop`` says."""
    conn = sqlite3.connect(store / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    every = [r for r in Catalog(conn).watch_rows() if not r["stopped"]]
    conn.close()
    plan = plan_run((Watched(r["article"], r["url"], _state(r)) for r in every), when, config)
    return len(plan.visits) + len(plan.deferred), plan.waiting, plan.stopped


def test_a_run_reports_what_planning_every_row_reports(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A year of watched articles, most stopped long ago, written with no next check
    planned: the first run plans them, telling its progress; it, a run two days later and a
    run under a shorter ``stop_after`` report what planning every row at that time
    reports."""
    monkeypatch.setattr(watchlist, "PLAN_BATCH", 150)  # 400 rows: three batches
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
    conn.close()
    clock = Clock(NOW)
    expected = _planned_over_every_row(store, NOW, WatchConfig())
    progress: list[tuple[int, int]] = []
    with newsarchive.open(store, clock=clock) as archive:
        report = archive.watch_run(on_progress=lambda *done: progress.append(done))
        assert (report.due, report.waiting, report.done) == expected
        assert report.due == 0 and report.done > 300 and report.waiting > 0
        assert progress == [(150, 400), (300, 400), (400, 400)]
        clock.now = NOW + timedelta(days=2)
        expected = _planned_over_every_row(store, clock.now, WatchConfig())
        report = archive.watch_run(max_fetches=1, on_progress=lambda *done: progress.append(done))
        assert (report.due, report.waiting, report.done) == expected
        assert report.due > 1  # (its article is not archived: nothing is fetched)
        assert len(progress) == 3  # planned under this schedule already: nothing to show
        short = WatchConfig(stop_after=timedelta(days=3))
        expected = _planned_over_every_row(store, clock.now, short)
        report = archive.watch_run(max_fetches=1, watch=short)
        assert (report.due, report.waiting, report.done) == expected


def test_a_snapshot_plans_the_list_before_the_feeds_and_says_so(tmp_path: Path) -> None:
    """Under a changed schedule, ``snapshot`` plans every watched article first, with
    ``watch_planned`` events, then reads its feeds."""
    store = tmp_path / "store"
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        archive.add("A first story.", source="s", slug="first", date="2026-03-01")
    with sqlite3.connect(store / "catalog.sqlite") as conn:
        conn.executemany("INSERT INTO watch (article, url, first_seen) VALUES (?, ?, ?)",
                         [(f"s/2026-03-01/a-{n}", f"http://127.0.0.1:9/{n}", timestamp(NOW))
                          for n in range(3)])
    conn.close()
    feed = tmp_path / "feed.xml"
    feed.write_text(ONE_STORY_FEED)
    events: list[tuple[str, dict[str, object]]] = []
    short = WatchConfig(stop_after=timedelta(days=3))
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        (report,) = archive.snapshot(str(feed), no_fetch=True, watch=short,
                                     on_event=lambda name, data: events.append((name, data)))
        assert report.added == 1
        assert archive.store.catalog().watch_schedule() == schedule_key(short)
    assert events[0] == ("watch_planned", {"planned": 3, "total": 3})
    assert [name for name, _ in events].count("watch_planned") == 1


def test_a_row_whose_times_cannot_be_read_is_reported_not_fatal(tmp_path: Path) -> None:
    """A watch row edited by hand into times no one can read is planned as due, and each
    run reports it as failed, with its article; the other rows are planned as ever."""
    store = tmp_path / "store"
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        archive.add("A first story. It has two sentences.", source="s", slug="first",
                    date="2026-03-01", title="First", captured_at=timestamp(NOW))
    conn = sqlite3.connect(store / "catalog.sqlite")
    for n, changed in enumerate(["garbage", timestamp(NOW - timedelta(hours=1))]):
        conn.execute("INSERT INTO watch (article, url, first_seen, last_checked, "
                     "last_changed, unchanged, missing, next_due, stopped, note) "
                     "VALUES (?, ?, ?, ?, ?, 0, 0, NULL, 0, NULL)",
                     (f"s/2026-03-01/a-{n}", f"http://127.0.0.1:9/{n}",
                      timestamp(NOW - timedelta(hours=2)), timestamp(NOW), changed))
    conn.commit()
    conn.close()
    with newsarchive.open(store, clock=Clock(NOW)) as archive:
        for _ in range(2):
            report = archive.watch_run()
            assert report.failed == 1 and report.errors == [
                "s/2026-03-01/a-0: the watch list's times cannot be read"]
            assert (report.due, report.waiting) == (0, 1)
        listed = {e.id: e for e in archive.watch_list()}
    # watch list shows it due now, with a note, and the other row as planned
    unreadable, fine = listed["s/2026-03-01/a-0"], listed["s/2026-03-01/a-1"]
    assert (unreadable.status, unreadable.next_due) == ("watching", timestamp(NOW))
    assert unreadable.note == "the watch list's times cannot be read"
    assert fine.next_due is not None and fine.next_due > timestamp(NOW) and fine.note is None
    done = subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store), "watch",
                           "list"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert "s/2026-03-01/a-0  http://127.0.0.1:9/0  (the watch list's times cannot be read)" \
        in done.stdout


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("feeds", [False, True], ids=["watch run", "snapshot of a feed"])
def test_the_planning_is_drawn_as_a_bar_on_a_terminal(tmp_path: Path, feeds: bool) -> None:
    """5,000 rows planned under no known schedule (an upgraded catalog): ``watch run``
    draws a bar while it plans them, clears it, and plans nothing at the next run; so does
    ``snapshot``, which plans them before its feeds."""
    store = tmp_path / "store"
    newsarchive.open(store).add("A first story.", source="s", slug="first", date="2026-03-01")
    now = timestamp(datetime.now(timezone.utc))  # the command runs on the real clock
    with sqlite3.connect(store / "catalog.sqlite") as conn:
        conn.executemany("INSERT INTO watch (article, url, first_seen, last_checked) "
                         "VALUES (?, ?, ?, ?)",
                         [(f"s/2026-03-01/a-{n}", f"http://127.0.0.1:9/{n}", now, now)
                          for n in range(5_000)])
    conn.close()
    cmd = [sys.executable, "-m", "newsarchive", "--store", str(store), "watch", "run"]
    if feeds:
        feed = tmp_path / "feed.xml"
        feed.write_text(ONE_STORY_FEED)
        cmd[-2:] = ["snapshot", "--no-fetch", str(feed)]
    status, drawn = stderr_on_a_terminal(cmd)
    assert status == 0
    assert re.search(rb"\] [1-9][\d,]*/5,000", drawn) and drawn.endswith(b"\r\x1b[K")
    status, drawn = stderr_on_a_terminal(cmd)
    assert status == 0 and b"5,000" not in drawn  # planned already
    assert feeds or drawn == b""  # (a snapshot shows its feed's article)

"""The revisit schedule and the run planner (newsarchive.web.schedule): pure functions of
an injected clock, checked directly, by properties, and by a 30-day simulation of 1,000
articles whose table docs/cron.md shows."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.config import WatchConfig
from newsarchive.web.schedule import Watched, WatchState, interval, next_check, plan_run
from tests.conftest import ROOT

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def state(age: timedelta = timedelta(0), unchanged: int = 0,
          changed: timedelta | None = None) -> WatchState:
    """An article first captured at T0, last checked at T0 + age."""
    return WatchState(T0, None if changed is None else T0 + changed, T0 + age, unchanged)


# -- the schedule ---------------------------------------------------------------------------


def test_a_new_article_is_checked_every_15_minutes_until_it_backs_off() -> None:
    fresh = WatchState(T0)
    assert next_check(fresh, T0) == T0 + 15 * M
    assert interval(state(30 * M, unchanged=2)) == 15 * M  # 0.2 of 30 minutes is less
    # at 2 hours: 15 min x 1.2^3 = 25.9 min, but at most a fifth of the age (24 min)
    assert interval(state(2 * H, unchanged=3)) == 24 * M
    assert interval(state(2 * H, unchanged=1)) == 18 * M


@pytest.mark.parametrize(("age", "every"), [
    (2 * H, 15 * M), (5 * H, H), (2 * D, 3 * H), (10 * D, 3 * D), (40 * D, 3 * D),
])
def test_after_a_change_the_interval_is_the_age_band_of_newsdiffs(age: timedelta,
                                                                  every: timedelta) -> None:
    assert interval(state(age, unchanged=0, changed=age)) == every


def test_backing_off_stops_at_a_fifth_of_the_age() -> None:
    assert interval(state(5 * D, unchanged=100)) == D  # 0.2 x 5 days
    assert interval(state(20 * D, unchanged=10_000)) == 4 * D
    assert interval(state(2 * D, unchanged=10**9)) == timedelta(hours=9.6)  # no overflow


def test_watching_stops_30_days_after_the_last_change() -> None:
    assert next_check(state(27 * D), T0 + 27 * D) == T0 + 30 * D
    assert next_check(state(28 * D), T0 + 28 * D) is None  # day 31 is past the end
    assert next_check(state(27 * D), T0 + 30 * D) is None  # the end came before the run


def test_a_change_extends_watching() -> None:
    # changed on day 25: watched until day 55, every 3 days at that age
    late = state(25 * D, changed=25 * D)
    assert next_check(late, T0 + 25 * D) == T0 + 28 * D
    assert next_check(state(40 * D, unchanged=1, changed=25 * D),
                      T0 + 40 * D) == T0 + 40 * D + 3.6 * D  # 3 days x 1.2
    assert next_check(state(54 * D, changed=25 * D), T0 + 54 * D) is None
    # a check far past the end of watching (the cron did not run for weeks) is not made
    assert next_check(late, T0 + 56 * D) is None


def test_the_schedule_is_configurable() -> None:
    flat = WatchConfig(intervals=((D, H),), backoff=1.0, stop_after=timedelta(days=2))
    assert interval(state(5 * H, unchanged=50), flat) == H
    assert next_check(state(47 * H + 30 * M), T0 + 47 * H, flat) is None  # due past 48 h
    assert next_check(state(47 * H), T0 + 47 * H, flat) == T0 + 48 * H  # due just at 48 h
    assert next_check(state(46 * H), T0 + 46 * H, flat) == T0 + 47 * H
    sniffer = WatchConfig(intervals=((D, 30 * M),), backoff=1.2, age_fraction=1.0)
    assert interval(state(10 * D, unchanged=2), sniffer) == timedelta(minutes=43.2)


def test_an_unchanged_article_costs_about_38_requests_in_30_days() -> None:
    """Walk the schedule of one article that never changes, check by check."""
    checks = []
    s = WatchState(T0)
    while (due := next_check(s, s.checked)) is not None:
        checks.append(due - T0)
        s = WatchState(T0, None, due, s.unchanged + 1 if checks[1:] else 1)
    assert 30 <= len(checks) <= 45
    assert sum(1 for c in checks if c < 3 * H) == 9  # 15 min x 6, then 18, 21.6, 25.9
    assert sum(1 for c in checks if c < D) == 20
    assert max(b - a for a, b in zip(checks, checks[1:], strict=False)) <= 6 * D
    assert checks[-1] < 30 * D


# -- properties ------------------------------------------------------------------------------

durations = st.integers(min_value=0, max_value=60 * 24 * 60).map(lambda m: m * M)


@st.composite
def configs(draw: st.DrawFn) -> WatchConfig:
    n = draw(st.integers(1, 4))
    ages = sorted(draw(st.sets(st.integers(1, 24 * 60), min_size=n, max_size=n)))  # hours
    every = sorted(draw(st.lists(st.integers(1, 24 * 60), min_size=n, max_size=n)))  # min
    return WatchConfig(
        intervals=tuple((a * H, e * M) for a, e in zip(ages, every, strict=True)),
        backoff=draw(st.floats(1.0, 3.0)),
        age_fraction=draw(st.floats(0.0, 1.0)),
        stop_after=draw(st.integers(1, 60)) * D,
    )


def _later(a: datetime | None, b: datetime | None) -> bool:
    """``b`` is no sooner than ``a`` (None, stopped, is later than any time)."""
    return b is None or (a is not None and a <= b)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(durations, durations, st.integers(0, 200), st.integers(0, 200), durations, configs())
def test_a_longer_unchanged_streak_never_makes_the_next_check_sooner(
    age: timedelta, changed: timedelta, n1: int, n2: int, later: timedelta, config: WatchConfig
) -> None:
    lo, hi = sorted((n1, n2))
    now = T0 + age + later
    s1 = WatchState(T0, T0 + min(changed, age), T0 + age, lo)
    s2 = WatchState(T0, T0 + min(changed, age), T0 + age, hi)
    assert _later(next_check(s1, now, config), next_check(s2, now, config))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(durations, durations, st.lists(durations, max_size=6), durations, configs())
def test_stopped_stays_stopped_unless_it_changes(
    age: timedelta, changed: timedelta, gaps: list[timedelta], wait: timedelta,
    config: WatchConfig,
) -> None:
    s = WatchState(T0, T0 + min(changed, age), T0 + age, 3)
    now = T0 + age + wait
    if next_check(s, now, config) is not None:
        return
    # more unchanged checks, whenever they happen (``watch run --all``), change nothing
    for gap in gaps:
        now += gap
        s = WatchState(T0, s.last_changed, now, s.unchanged + 1)
        assert next_check(s, now, config) is None
        assert next_check(s, now + gap, config) is None
    # a change starts it again
    changed_now = WatchState(T0, now, now, 0)
    if config.stop_after > max(every for _, every in config.intervals):
        assert next_check(changed_now, now, config) is not None


@settings(max_examples=200, deadline=None)
@given(durations, durations, st.integers(0, 50), configs())
def test_an_older_article_is_never_checked_more_often(
    age: timedelta, more: timedelta, n: int, config: WatchConfig
) -> None:
    assert interval(state(age, n), config) <= interval(state(age + more, n), config)


# -- the planner ---------------------------------------------------------------------------


def watched(key: str, url: str, age: timedelta, late: timedelta,
            unchanged: int = 0) -> tuple[Watched, datetime]:
    """A watched article last checked ``age`` after capture; with ``now`` that makes it
    ``late`` past its due time."""
    s = WatchState(T0, None, T0 + age, unchanged)
    return Watched(key, url, s), T0 + age + interval(s) + late


def test_the_most_overdue_in_its_own_intervals_go_first() -> None:
    now = T0 + 10 * D
    items = [
        # 10 days old at its last check: due every 3 days, 2 days late
        Watched("old-day-late", "https://a.example/1", WatchState(T0 - 15 * D, None,
                                                                     now - 5 * D, 0)),
        Watched("fresh-20min-late", "https://b.example/2", WatchState(now - H, None,
                                                                         now - 35 * M, 0)),
        Watched("fresh-5min-late", "https://c.example/3", WatchState(now - H, None,
                                                                        now - 20 * M, 0)),
        Watched("not-due", "https://d.example/4", WatchState(now - H, None, now - 5 * M, 0)),
        Watched("stopped", "https://e.example/5", WatchState(T0 - 60 * D, None, now - D, 9)),
    ]
    plan = plan_run(items, now)
    assert [v.key for v in plan.visits] == ["fresh-20min-late", "old-day-late",
                                            "fresh-5min-late"]
    assert plan.visits[0].lateness == pytest.approx(20 / 15)
    assert (plan.waiting, plan.stopped, plan.deferred) == (1, 1, ())
    everything = plan_run(items, now, everything=True)
    assert len(everything.visits) == 5 and everything.visits[-1].key == "stopped"
    assert everything.visits[-1].due is None


def _items(n: int, host: str) -> list[Watched]:
    now = T0 + D
    return [Watched(f"{host}-{i}", f"https://{host}/story/{i}",
                    WatchState(T0, None, now - H - i * M, 0)) for i in range(n)]


def test_no_host_is_planned_twice_within_the_delay_and_the_budget_holds() -> None:
    now = T0 + D
    items = _items(10, "a.example") + _items(10, "b.example") + _items(2, "c.example")
    plan = plan_run(items, now, host_delay=10, fetch_time=1,
                    time_budget=timedelta(seconds=25))
    by_host: dict[str, list[float]] = {}
    for v in plan.visits:
        by_host.setdefault(v.host, []).append(v.start)
    assert by_host == {"a.example": [0, 10, 20], "b.example": [1, 11, 21],
                       "c.example": [2, 12]}
    assert [v.start for v in plan.visits] == sorted(v.start for v in plan.visits)
    assert plan.seconds <= 25 and plan.hosts == {"a.example": 3, "b.example": 3,
                                                 "c.example": 2}
    assert len(plan.deferred) == 14
    assert plan.deferred[0] == "a.example-6"  # the most overdue left, first in line


def test_max_fetches_and_workers() -> None:
    now = T0 + D
    items = [Watched(f"k{i}", f"https://h{i}.example/", WatchState(T0, None, now - H, 0))
             for i in range(50)]
    assert len(plan_run(items, now, max_fetches=7).visits) == 7
    one = plan_run(items, now, time_budget=timedelta(seconds=10), fetch_time=1)
    four = plan_run(items, now, time_budget=timedelta(seconds=10), fetch_time=1, workers=4)
    assert (len(one.visits), len(four.visits)) == (10, 40)
    assert plan_run([], now).visits == ()


# -- the simulation of docs/cron.md --------------------------------------------------------


@pytest.fixture(scope="module")
def generator() -> Any:
    # registered as a module while it loads: its dataclasses look themselves up there
    spec = importlib.util.spec_from_file_location("gen_watch_table",
                                                  ROOT / "scripts" / "gen_watch_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_watch_table"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["gen_watch_table"]
    return module


@pytest.fixture(scope="module")
def simulation(generator: Any) -> Any:
    return generator.simulate()


@pytest.mark.slow
def test_the_cron_page_shows_the_simulation(generator: Any, simulation: Any) -> None:
    page = (ROOT / "docs" / "cron.md").read_text("utf-8")
    assert generator.render(simulation) in page, (
        "docs/cron.md is out of date: run python scripts/gen_watch_table.py"
    )


def test_30_days_of_1000_articles_follow_the_schedule(generator: Any, simulation: Any) -> None:
    sim = simulation
    assert len(sim.articles) == 1000 and sim.days >= 30
    assert sim.early == 0 and sim.after_stop == 0 and sim.deferred == 0
    # a check comes at most one cron period (plus the run's own length) after it is due
    assert sim.latest <= sim.cron + timedelta(seconds=sim.longest_run)
    assert generator.closest_gap(sim) >= sim.host_delay
    rows = {label: row for label, *row in generator.per_article(sim)}
    assert 7 <= rows["under 3 hours"][0] <= 10  # 15 minutes apart, cron rounding
    assert rows["3 to 24 hours"][0] > rows["day 2"][0] > rows["days 8 to 14"][1]
    unedited = [len(a.checks) for a in sim.articles if not a.edits]
    assert 30 <= min(unedited) and max(unedited) <= 40
    assert sim.missed == 0


def test_a_tight_budget_defers_without_breaking_politeness(generator: Any) -> None:
    sim = generator.simulate(articles=300, days=2, hosts=3,
                             config=WatchConfig(time_budget=timedelta(seconds=20)))
    assert sim.deferred > 0 and sim.most_in_a_run <= 20
    assert sim.early == 0 and generator.closest_gap(sim) >= 1.0

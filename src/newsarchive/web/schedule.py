"""When to look at a watched article again, and which ones to fetch in a run.

An article archived from a URL stays *watched*: edits come after it leaves its feed, a
correction a day later, a figure revised the next week, a page taken down. This module
decides when each is due and, for one run, which of the due ones to fetch. It is pure:
times come in as arguments (aware datetimes), nothing is read or slept.

The schedule (:func:`next_check`), defaults in :class:`~newsarchive.config.WatchConfig`:

- **By age**, after NewsDiffs: an article under 3 hours old is checked every 15 minutes,
  under a day hourly, under a week every 3 hours, after that every 3 days (``intervals``;
  the age is taken at the last check, from the first capture).
- **Backing off**, after News Sniffer: each unchanged check in a row stretches the interval
  by ``backoff`` (1.2), until it reaches ``age_fraction`` (a fifth) of the article's age,
  diffengine's rule: an edit is seen within about a fifth of the article's age, and never
  later than the band's interval would see it when that is longer. A change starts the
  count again, back to the band's interval. (Capped instead at the next band's interval,
  the streak gathered while young stretched a day-old article's 3-hour interval to a day
  and a half.) An unchanged article costs about 38 requests in 30 days, against NewsDiffs'
  89 and News Sniffer's 35.
- **Stopping**: watching stops ``stop_after`` (30 days) after the article last changed,
  its first capture counting as a change. An article that keeps changing keeps being
  watched; one that stopped starts again only when it changes (seen by a feed, ``add`` or
  a forced revisit).

Both properties the tests check: a longer unchanged streak never makes the next check
sooner, and a stopped article stays stopped unless it changes.

The plan (:func:`plan_run`): the due articles, most overdue first, where lateness is
measured in the article's own interval (20 minutes late on a 15-minute interval comes
before a day late on a 3-day one: fresh articles, where edits happen, are not starved by
a backlog of old ones). The run is simulated the way the :class:`~newsarchive.web.fetch.
Fetcher` will do it: one request at a time to a host, a host's next request at least
``host_delay`` after the start of its last, each request taking ``fetch_time`` (a
pessimistic estimate: a 304 costs less), on ``workers`` fetchers. Only what fits in the
``time_budget`` and ``max_fetches`` is planned, in the order the simulation started it (so
hosts interleave instead of waiting out their delays); the rest is deferred to the next
run, still the most overdue.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from newsarchive.config import WatchConfig

__all__ = ["SCHEDULE_RULES", "Plan", "Visit", "WatchState", "Watched", "interval", "next_check",
           "plan_run"]

#: The version of the rules below: the catalog keeps each watched article's next check
#: planned under them (:func:`newsarchive.web.watchlist.plan_watched`), and a new version
#: plans every article again. Change it whenever :func:`next_check` would answer otherwise.
SCHEDULE_RULES = "rules=1"


@dataclass(frozen=True)
class WatchState:
    """What the schedule needs to know of a watched article."""

    first_captured: datetime
    last_changed: datetime | None = None
    """When a check (or a feed, or ``add``) last saw it change; None: never since captured."""
    last_checked: datetime | None = None
    """When it was last fetched; None: not since it was captured."""
    unchanged: int = 0
    """Checks in a row that found it unchanged (a change sets it back to 0)."""

    @property
    def changed(self) -> datetime:
        """The last change, the first capture counting as one."""
        if self.last_changed is None or self.last_changed < self.first_captured:
            return self.first_captured
        return self.last_changed

    @property
    def checked(self) -> datetime:
        """The last check, the last change counting as one."""
        if self.last_checked is None or self.last_checked < self.changed:
            return self.changed
        return self.last_checked


def interval(state: WatchState, config: WatchConfig | None = None) -> timedelta:
    """How long after its last check an article is due again (were it still watched)."""
    config = config or WatchConfig()
    age = state.checked - state.first_captured
    bands = config.intervals
    i = next((n for n, (limit, _) in enumerate(bands) if age < limit), len(bands) - 1)
    every = bands[i][1]
    ceiling = max(every, age * config.age_fraction)
    if state.unchanged <= 0 or config.backoff <= 1.0 or ceiling <= every:
        return every
    if state.unchanged * math.log(config.backoff) >= math.log(ceiling / every):
        return ceiling  # (computed this way, a long streak cannot overflow the power)
    return min(every * config.backoff ** state.unchanged, ceiling)


def next_check(state: WatchState, now: datetime,
               config: WatchConfig | None = None) -> datetime | None:
    """When the article is due (possibly before ``now``: overdue), or None: stopped.

    Watching stops ``config.stop_after`` after the last change: an article is stopped when
    that time has passed by ``now`` or comes before its next check.
    """
    config = config or WatchConfig()
    stop_at = state.changed + config.stop_after
    due = state.checked + interval(state, config)
    if now >= stop_at or due > stop_at:
        return None
    return due


# -- one run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """A watched article as the planner sees it: ``key`` names it for the caller."""

    key: str
    url: str
    state: WatchState


@dataclass(frozen=True)
class Visit:
    """One planned fetch."""

    key: str
    url: str
    host: str
    due: datetime | None
    """None: stopped, visited because everything was asked for."""
    lateness: float
    """How late, in the article's own intervals (0: just due; negative: not yet due)."""
    start: float
    """When the simulated run started it, in seconds from the start of the run."""


@dataclass(frozen=True)
class Plan:
    """What a run fetches, in order, and what it leaves for later."""

    visits: tuple[Visit, ...]
    deferred: tuple[str, ...] = ()
    """Keys of due articles left for a later run (budget or politeness), most overdue first."""
    stopped: int = 0
    """Watched articles no longer due at all."""
    waiting: int = 0
    """Watched articles not due yet."""
    seconds: float = 0.0
    """The simulated length of the run."""
    hosts: dict[str, int] = field(default_factory=dict)
    """Visits planned per host."""


def plan_run(
    watched: Iterable[Watched],
    now: datetime,
    config: WatchConfig | None = None,
    *,
    max_fetches: int | None = None,
    time_budget: timedelta | None = None,
    host_delay: float = 1.0,
    fetch_time: float = 1.0,
    workers: int = 1,
    everything: bool = False,
) -> Plan:
    """The visits of one run: the due articles (every watched one with ``everything``, the
    ``watch run --all`` of the CLI), most overdue first, as many as fit the budget.

    ``max_fetches`` and ``time_budget`` default to the config's. ``host_delay`` is the
    fetcher's; ``fetch_time`` the time a request is assumed to take; ``workers`` the
    fetches run at once (on different hosts).
    """
    config = config or WatchConfig()
    limit = config.max_fetches if max_fetches is None else max_fetches
    budget = (config.time_budget if time_budget is None else time_budget).total_seconds()
    candidates: list[tuple[float, datetime, str, Watched, datetime | None]] = []
    stopped = waiting = 0
    for item in watched:
        due = next_check(item.state, now, config)
        if due is None:
            stopped += 1
            if everything:
                candidates.append((-math.inf, now, item.key, item, None))
            continue
        wait = max((due - item.state.checked).total_seconds(), 1.0)
        lateness = (now - due).total_seconds() / wait
        if due > now and not everything:
            waiting += 1
            continue
        candidates.append((lateness, due, item.key, item, due))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    visits, deferred, seconds = _simulate(candidates, limit, budget, host_delay, fetch_time,
                                          max(1, workers))
    hosts: dict[str, int] = {}
    for v in visits:
        hosts[v.host] = hosts.get(v.host, 0) + 1
    return Plan(tuple(visits), tuple(deferred), stopped, waiting, seconds, hosts)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _simulate(
    candidates: list[tuple[float, datetime, str, Watched, datetime | None]],
    limit: int,
    budget: float,
    host_delay: float,
    fetch_time: float,
    workers: int,
) -> tuple[list[Visit], list[str], float]:
    """List scheduling: whenever a fetcher is free, it starts the most overdue visit whose
    host may be asked again; a host's visits that would end past the budget are deferred."""
    queues: dict[str, list[int]] = {}  # host -> candidate indices, most overdue first
    for n, c in enumerate(candidates):
        queues.setdefault(_host(c[3].url), []).append(n)
    for q in queues.values():
        q.reverse()  # pop() takes the most overdue
    spacing = max(host_delay, fetch_time)
    ready: list[tuple[int, str]] = [(q[-1], h) for h, q in queues.items()]  # (head, host)
    heapq.heapify(ready)
    resting: list[tuple[float, int, str]] = []  # (free again at, head, host)
    free = [0.0] * workers
    visits: list[Visit] = []
    end = 0.0
    while (ready or resting) and len(visits) < limit:
        t = heapq.heappop(free)
        if not ready and resting[0][0] > t:  # every host with work is resting: wait
            t = resting[0][0]
        while resting and resting[0][0] <= t:
            _, head, host = heapq.heappop(resting)
            heapq.heappush(ready, (head, host))
        if t + fetch_time > budget:
            break  # every fetcher and every host is free no sooner: nothing else fits
        _, host = heapq.heappop(ready)
        lateness, _, key, item, due = candidates[queues[host].pop()]
        visits.append(Visit(key, item.url, host, due, lateness, t))
        end = max(end, t + fetch_time)
        heapq.heappush(free, t + fetch_time)
        if queues[host]:
            heapq.heappush(resting, (t + spacing, queues[host][-1], host))
    chosen = {v.key for v in visits}
    deferred = [c[2] for c in candidates if c[2] not in chosen and c[4] is not None]
    return visits, deferred, end

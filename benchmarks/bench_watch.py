#!/usr/bin/env python3
"""A cron job's ``watch run`` on a large watch list: what a run costs when nothing or a
little is due, by the number of articles watched.

    python benchmarks/bench_watch.py --rows 100000            # ~1 min
    python benchmarks/bench_watch.py --rows 100000 --old 900000

Run by hand, never in CI. The watch list is written straight into a store's catalog:
``--rows`` articles first seen over the last 30 days (the schedule's default
``stop_after``), each checked on its schedule so that a run every 10 minutes finds a few
due, and ``--old`` articles first seen 31 to 365 days ago, unchanged since (a year of
feeds). The articles themselves are not archived, so a run fetches nothing: the figures
are the run's reading and planning, as ``newsarchive watch run --max-fetches 1`` does it
(start-up included). The first run after the list was written plans every row (its
``next_due``); it is shown apart. To measure other code (say, the last release), set
``PYTHONPATH`` to its ``src/`` (``git archive REV src | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

RUN_EVERY = timedelta(minutes=10)


def build(store: Path, rows: int, old: int, now: datetime) -> None:
    from newsarchive.config import WatchConfig
    from newsarchive.web.schedule import WatchState, interval
    from newsarchive.web.watchlist import timestamp as stamp

    subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store), "add", "-",
                    "--source", "bench", "--slug", "seed", "--title", "Seed"],
                   input=b"A first story. It has two sentences.\n", check=True,
                   capture_output=True)
    config, rng = WatchConfig(), random.Random(7)
    values = []
    for n in range(rows + old):
        days = rng.uniform(0, 30) if n < rows else rng.uniform(31, 365)
        first = now - timedelta(days=days)
        if n < rows:  # checked on its schedule: due within a run, or later
            unchanged, u, checked = int(days * 3), rng.uniform(0, 1), now
            for _ in range(4):  # the interval is the one at the last check
                every = interval(WatchState(first, None, checked, unchanged), config)
                checked = max(now - u * (every + RUN_EVERY), first)
        else:
            unchanged, checked = 40, first + timedelta(days=30)
        values.append((f"bench/2026-01-01/a-{n}", f"http://127.0.0.1:9/{n}", stamp(first),
                       stamp(checked), None, unchanged))
    with sqlite3.connect(store / "catalog.sqlite") as db:
        db.executemany("INSERT INTO watch (article, url, first_seen, last_checked, "
                       "last_changed, unchanged, missing, next_due, stopped, note) "
                       "VALUES (?, ?, ?, ?, ?, ?, 0, NULL, 0, NULL)", values)
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('watch', 'kept')")
    db.close()


def run(store: Path) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store),
                           "watch", "run", "--max-fetches", "1", "--json"],
                          capture_output=True, text=True, env=os.environ)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    report = json.loads(done.stdout.splitlines()[-1])
    return wall, {k: report[k] for k in ("due", "waiting", "done")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--old", type=int, default=0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path,
                        default=Path(tempfile.gettempdir()) / "newsarchive-bench-watch")
    args = parser.parse_args()
    store = args.out / f"store-{args.rows}-{args.old}"
    shutil.rmtree(store, ignore_errors=True)
    store.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    build(store, args.rows, args.old, now)
    print(f"watch list: {args.rows:,} articles of the last 30 days, {args.old:,} older; "
          f"written in {time.perf_counter() - t0:.1f} s")
    first, counts = run(store)
    print(f"first run: {first * 1000:,.0f} ms  {counts}")
    walls = [run(store)[0] for _ in range(args.runs)]
    print(f"next {args.runs} runs: median {statistics.median(walls) * 1000:,.0f} ms, "
          f"min {min(walls) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()

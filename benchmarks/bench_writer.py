#!/usr/bin/env python3
"""Where the floor of a bulk add is: the add as it is against the add with the comparisons
free, the writer's SQL statement by statement, and FTS5 filled on its own.

    python benchmarks/bench_writer.py --n 20000               # ~8 min, ~1.5 GB of disk
    python benchmarks/bench_writer.py --n 2000 --rounds 3     # ~1 min

Run by hand, never in CI. Measures, side by side in one run:

- **git fast-import** of the same texts (the issue's reference: the add within 3x it);
- **the add** (``newsarchive add`` of the corpus as JSON Lines, into a new store), wall
  and CPU time, ``--rounds`` times, alternating with
- **the add with the comparisons free**: the same command with a ``sitecustomize`` on
  ``PYTHONPATH`` that makes ``text_change`` (the sentence alignment, word counts, passages,
  kinds) and ``differs_by_noise`` return at once, in the writer and in its workers, but
  for the new text's word count, which is stored (counted in the worker, as the alignment
  counts it). The revisions stored are the same; their other derived facts are not. This
  is the ceiling of any faster or compiled comparison: what is left is the writer;
- **the writer's SQL**: the last free run times every ``execute`` and ``executemany`` of
  the catalog connection (a wrapper, so those runs are a little slower) and prints the
  statements by total time;
- with ``--one-core``, **the add pinned to one core** (``taskset -c 0``) too: on a machine
  where the add keeps every core busy, its wall time is its CPU time over the cores, and
  the CPU a revision is what any design has to cut (the run prints the CPU that 3x git's
  time leaves on this machine's cores);
- **FTS5 alone**: the distinct paragraphs of the corpus put into a contentless FTS5 table
  as the catalog's (the same tokenizer), with a commit every 6,000 paragraphs (about what
  one batch of the add writes), in one commit, and with other ``automerge`` and page
  sizes: what the search index costs whatever drives it.

It measures the ``newsarchive`` its interpreter imports (set ``PYTHONPATH`` to a copy of
``src/`` to pin the code). Everything goes under ``--out`` (default
``$TMPDIR/newsarchive-bench-writer``); the corpus is reused between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as common  # noqa: E402  (benchmarks/run.py: corpus, git, timing helpers)

# Imported by every Python process started with the directory on PYTHONPATH (the add and
# its spawned workers): the comparisons made free, and with NA_SQL_TIMES set, the catalog's
# statements timed into that file at exit.
SITECUSTOMIZE = r'''
import dataclasses
import os

from newsarchive.indexing import derive, indexer
from newsarchive.text.words import count_words

# the stored word count is still needed: counted where the alignment counted it (a worker),
# not left to the writer
derive.text_change = lambda prev_text, text: dataclasses.replace(
    derive.NO_CHANGE, words=count_words(text))
derive.differs_by_noise = indexer.differs_by_noise = lambda old, new, rules: False

if os.environ.get("NA_SQL_TIMES"):
    import atexit, collections, json, time

    from newsarchive.store.connection import CatalogConnection

    seconds, calls = collections.Counter(), collections.Counter()

    def timed(method, tag):
        def run(self, sql, params=(), /):
            t0 = time.perf_counter()
            try:
                return method(self, sql, params)
            finally:
                key = tag + " ".join(sql.split())[:100]
                seconds[key] += time.perf_counter() - t0
                calls[key] += 1
        return run

    CatalogConnection.execute = timed(CatalogConnection.execute, "")
    CatalogConnection.executemany = timed(CatalogConnection.executemany, "(many) ")

    @atexit.register
    def dump():
        if seconds:
            with open(os.environ["NA_SQL_TIMES"], "w") as f:
                json.dump([[k, seconds[k], calls[k]] for k in seconds], f)
'''

TOKENIZE = "unicode61 remove_diacritics 2"  # the catalog's (newsarchive.store.search_index)


def add_once(jsonl: Path, store: Path, env: dict[str, str], prefix: list[str] | None = None,
             ) -> dict[str, float]:
    if store.exists():
        shutil.rmtree(store)
    r = common.run_timed([*(prefix or []), sys.executable, "-m", "newsarchive", "--store", str(store), "add",
                          "-q", str(jsonl)], env=env)
    return {"wall": r["wall"], "cpu": r["user"] + r["sys"], "rss_kb": r["rss_kb"]}


def distinct_paragraphs(jsonl: Path) -> list[str]:
    seen: dict[str, None] = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            for para in json.loads(line)["text"].split("\n\n"):
                para = para.strip()
                if para:
                    seen.setdefault(para)
    return list(seen)


def fill_fts(paras: list[str], per_commit: int, settings: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-fts-") as tmp:
        path = Path(tmp) / "fts.sqlite"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # as the catalog
        conn.execute(f"CREATE VIRTUAL TABLE p USING fts5 (body, content='', "
                     f"tokenize='{TOKENIZE}')")
        for setting in settings:
            conn.execute(f"INSERT INTO p (p, rank) VALUES {setting}")
        t0 = time.perf_counter()
        for start in range(0, len(paras), per_commit):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO p (rowid, body) VALUES (?, ?)",
                             ((i + 1, paras[i]) for i in
                              range(start, min(start + per_commit, len(paras)))))
            conn.execute("COMMIT")
        if any("'automerge', 0" in s for s in settings):
            conn.execute("INSERT INTO p (p, rank) VALUES ('merge', -16)")
        seconds = time.perf_counter() - t0
        conn.close()
        size = sum(q.stat().st_size for q in Path(tmp).iterdir())
    return {"seconds": seconds, "bytes": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000, help="articles (default 20000)")
    ap.add_argument("--rounds", type=int, default=2, help="adds of each kind (default 2)")
    ap.add_argument("--one-core", action="store_true",
                    help="also run the add pinned to one core (taskset), each round")
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "newsarchive-bench-writer")
    args = ap.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    common.CHILD_ENV = common.child_env(out, False)
    corpus = out / f"corpus-{args.n}"
    common.generate(args.n, corpus, common.find_generator(None), False)
    work = out / f"work-{args.n}"
    work.mkdir(exist_ok=True)
    conv = common.convert(corpus, work)
    git = common.bench_git(conv, work, False)["fast_import"]["seconds"]

    shim = out / "free-comparisons"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    free_env = dict(common.CHILD_ENV)
    free_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(shim), free_env.get("PYTHONPATH", "")) if p)
    sql_times = work / "sql-times.json"
    runs: dict[str, list[dict[str, float]]] = {"today": [], "free": [], "one": []}
    if args.one_core and not shutil.which("taskset"):
        sys.exit("--one-core needs taskset (util-linux)")
    for n in range(args.rounds):
        common.log(f"round {n + 1}/{args.rounds}: the add")
        runs["today"].append(add_once(conv["jsonl"], work / "store", common.CHILD_ENV))
        if args.one_core:
            common.log(f"round {n + 1}/{args.rounds}: the add on one core")
            runs["one"].append(add_once(conv["jsonl"], work / "store", common.CHILD_ENV,
                                        prefix=["taskset", "-c", "0"]))
        common.log(f"round {n + 1}/{args.rounds}: the add, comparisons free")
        runs["free"].append(add_once(conv["jsonl"], work / "store", free_env))
    common.log("the add, comparisons free, its SQL timed")
    timed = add_once(conv["jsonl"], work / "store", {**free_env, "NA_SQL_TIMES": str(sql_times)})

    common.log("FTS5 alone")
    paras = distinct_paragraphs(conv["jsonl"])
    fts = {label: fill_fts(paras, per_commit, settings) for label, per_commit, settings in (
        ("a commit every 6,000 paragraphs (as the add)", 6000, []),
        ("one commit", len(paras), []),
        ("a commit every 6,000, automerge 8", 6000, ["('automerge', 8)"]),
        ("a commit every 6,000, automerge off, one merge at the end", 6000,
         ["('automerge', 0)"]),
        ("a commit every 6,000, 4,000-byte pages", 6000, ["('pgsz', 4000)"]),
    )}

    revisions = conv["revisions"]
    print(f"\n{args.n:,} articles, {revisions:,} revisions; git fast-import {git:.1f} s")
    print(f"{'add':32s} {'wall s':>16s} {'CPU s':>16s} {'x git':>8s}")
    for name, label in (("today", "as it is"), ("one", "as it is, on one core"),
                        ("free", "comparisons free")):
        if not runs[name]:
            continue
        walls = [r["wall"] for r in runs[name]]
        cpus = [r["cpu"] for r in runs[name]]
        print(f"{label:32s} {', '.join(f'{w:.1f}' for w in walls):>16s} "
              f"{', '.join(f'{c:.1f}' for c in cpus):>16s} "
              f"{statistics.median(walls) / git:7.1f}x")
    print(f"{'free, SQL timed':32s} {timed['wall']:16.1f} {timed['cpu']:16.1f}")
    cores = os.cpu_count() or 1
    cpu = statistics.median(r["cpu"] for r in runs["today"])
    print(f"\nthe add's CPU: {cpu:.1f} s = {cpu * 1000 / revisions:.2f} ms a revision; 3x git "
          f"on {cores} core{'s' if cores > 1 else ''} leaves at most {3 * git * cores:.1f} s "
          f"= {3 * git * cores * 1000 / revisions:.2f} ms a revision")
    rows: list[list[Any]] = json.loads(sql_times.read_text()) if sql_times.exists() else []
    total = sum(s for _, s, _ in rows)
    print(f"\nthe writer's SQL: {total:.2f} s = {total / git:.1f}x git's whole import")
    for sql, seconds, calls in sorted(rows, key=lambda r: -r[1])[:15]:
        print(f"{seconds:7.2f} s {calls:9,d}  {sql[:90]}")
    text_mb = sum(len(p.encode()) for p in paras) / 1e6
    print(f"\nFTS5 alone: {len(paras):,} distinct paragraphs, {text_mb:.1f} MB")
    for label, r in fts.items():
        print(f"{r['seconds']:7.2f} s {r['bytes'] / 1e6:7.1f} MB  {label}")
    (out / f"results-writer-{args.n}.json").write_text(json.dumps(
        {"git": git, "runs": runs, "timed": timed, "sql": rows, "fts": fts,
         "paragraphs": len(paras), "paragraph_mb": text_mb,
         "machine": common.machine_info(out)}, indent=1))


if __name__ == "__main__":
    main()

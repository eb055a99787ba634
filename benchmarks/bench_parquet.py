"""Benchmark of ``export --format parquet`` on a large store (run by hand; not a test).

    python benchmarks/bench_parquet.py [--n 20000] [--work DIR] [--gen PATH/gen_corpus.py]

Generates a corpus of N articles with the project's deterministic generator
(``gen_corpus.py --headers``) and ingests it with ``newsarchive add -q`` (both only when
their directories under ``--work`` do not exist yet: ingesting 20,000 articles takes
several minutes), then exports the store as Parquet in a fresh process and prints the
elapsed time and that process's peak RSS (``wait4``'s ``ru_maxrss``, which must stay under
300 MB), and DuckDB's count of the dataset's rows against the revisions of ``stats``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
RSS_LIMIT_MB = 300


def newsarchive(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newsarchive", "--store", str(store), *args]


def run_measured(cmd: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.stderr is not None:
        sys.stderr.write(child.stderr.read().decode("utf-8", "replace"))
    return elapsed, usage.ru_maxrss / 1024, child.returncode  # ru_maxrss: KB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsarchive-bench-parquet"))
    parser.add_argument("--gen", type=Path, default=DEFAULT_GEN)
    args = parser.parse_args()
    corpus = args.work / f"corpus-{args.n}"
    store = args.work / f"store-{args.n}"
    dataset = args.work / f"dataset-{args.n}"
    if not corpus.exists():
        print(f"generating {args.n:,} articles in {corpus} ...", flush=True)
        subprocess.run([sys.executable, str(args.gen), "--n", str(args.n), "--headers",
                        "--out", str(corpus)], check=True, capture_output=True)
    if not store.exists():
        print(f"ingesting into {store} (several minutes) ...", flush=True)
        seconds, rss, code = run_measured(newsarchive(store, "add", "-q", str(corpus)))
        print(f"  add: {seconds:.0f} s, peak RSS {rss:.0f} MB, exit {code}")
        if code not in (0, 1):
            return 1
    stats = json.loads(subprocess.run(newsarchive(store, "stats", "--json"), check=True,
                                      capture_output=True).stdout)
    shutil.rmtree(dataset, ignore_errors=True)
    seconds, rss, code = run_measured(newsarchive(store, "export", "--format", "parquet",
                                                  str(dataset)))
    if code != 0:
        print(f"export failed: exit {code}")
        return 1
    size = sum(p.stat().st_size for p in dataset.rglob("*.parquet"))
    files = sum(1 for _ in dataset.rglob("*.parquet"))
    import duckdb

    (count,) = duckdb.connect().sql(
        f"SELECT count(*) FROM read_parquet('{dataset}/**/*.parquet', hive_partitioning = true)"
    ).fetchall()[0]
    print(f"store:    {stats['articles']:,} articles, {stats['revisions']:,} revisions, "
          f"{stats['sources']} sources, {stats['text_bytes'] / 1e6:.0f} MB of text")
    print(f"export:   {seconds:.1f} s ({stats['revisions'] / seconds:,.0f} revisions/s), "
          f"peak RSS {rss:.0f} MB (limit {RSS_LIMIT_MB} MB)")
    print(f"dataset:  {files} files, {size / 1e6:.1f} MB")
    print(f"duckdb:   {count:,} rows; stats: {stats['revisions']:,} revisions -> "
          f"{'same' if count == stats['revisions'] else 'DIFFERENT'}")
    ok = count == stats["revisions"] and rss < RSS_LIMIT_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""A cron job's store: the same revisions added a few files a run, in capture order,
against one bulk add of them and against ``gc``; bytes of the objects and of the store.

    python benchmarks/bench_cron_store.py --n 2000             # ~2 min
    python benchmarks/bench_cron_store.py --n 2000 --per-run 5

Run by hand, never in CI. Adds of fewer than 16 inputs write loose objects, which each
add's tidy packs once there are 1,024 of them (store/upkeep.py): this measures what that
leaves on disk. The runs go through the ``newsarchive`` command's own entry point in one
process (a cron job would start one process a run; the bytes are the same). Everything
goes under ``--out`` (default ``$TMPDIR/newsarchive-bench-cron``): the corpus (reused),
the stores, and ``results-cron-N.json``. To measure other code (say, the last release),
set ``PYTHONPATH`` to its ``src/`` (``git archive REV src | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as common  # noqa: E402  (benchmarks/run.py: sizes, the corpus generator)


def by_capture(corpus: Path) -> list[Path]:
    """The corpus's files, oldest capture first (their ``captured_at:`` header)."""
    files = []
    for path in corpus.glob("*/*/*.txt"):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("captured_at:"):
                    files.append((line.split(":", 1)[1].strip(), str(path)))
                    break
    return [Path(p) for _, p in sorted(files)]


def sizes(store: Path) -> dict[str, Any]:
    objects = common.tree_size(store / "objects")[0]
    total = common.tree_size(store)[0]
    loose = sum(1 for d in (store / "objects").iterdir() if d.name != "pack"
                for _ in d.iterdir())
    packs = len(list((store / "objects" / "pack").glob("*.pack")))
    return {"objects_bytes": objects, "store_bytes": total, "loose": loose, "packs": packs}


def cron(store: Path, files: list[Path], per_run: int) -> float:
    from newsarchive.cli.app import cli  # the command as a cron job runs it

    t0 = time.perf_counter()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        for i in range(0, len(files), per_run):
            try:
                cli(["--store", str(store), "add", "-q", *map(str, files[i:i + per_run])],
                    standalone_mode=False)
            except SystemExit as err:
                if err.code:
                    raise
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="articles (gen_corpus.py --n)")
    ap.add_argument("--per-run", type=int, default=10, help="files an add (under 16)")
    ap.add_argument("--gen", help="gen_corpus.py (default: ../shared/bench/gen_corpus.py)")
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "newsarchive-bench-cron")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = args.out / f"corpus-{args.n}"
    if not corpus.exists():
        subprocess.run([sys.executable, str(common.find_generator(args.gen)), "--n",
                        str(args.n), "--headers",
                        "--out", str(corpus)], check=True, stdout=subprocess.DEVNULL)
    files = by_capture(corpus)
    text = sum(f.stat().st_size for f in files)
    stores = {name: args.out / f"store-{name}" for name in ("cron", "bulk", "cron-gc")}
    for path in stores.values():
        shutil.rmtree(path, ignore_errors=True)
    results: dict[str, Any] = {"articles": args.n, "files": len(files), "input_bytes": text,
                               "per_run": args.per_run}
    results["cron_s"] = cron(stores["cron"], files, args.per_run)
    results["cron"] = sizes(stores["cron"])
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(stores["bulk"]),
                    "add", "-q", str(corpus)], check=True, stdout=subprocess.DEVNULL)
    results["bulk_s"] = time.perf_counter() - t0
    results["bulk"] = sizes(stores["bulk"])
    shutil.copytree(stores["cron"], stores["cron-gc"])
    subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(stores["cron-gc"]),
                    "gc", "--grace", "0"], check=True, stdout=subprocess.DEVNULL)
    results["cron-gc"] = sizes(stores["cron-gc"])
    (args.out / f"results-cron-{args.n}.json").write_text(json.dumps(results, indent=2))
    runs = -(-len(files) // args.per_run)
    print(f"{args.n} articles, {len(files)} files ({text / 1e6:.1f} MB of input), "
          f"{args.per_run} files a run ({runs} runs: {results['cron_s']:.1f} s, "
          f"{1000 * results['cron_s'] / runs:.0f} ms a run)")
    print(f"{'store':10} {'objects MB':>11} {'store MB':>9} {'x input':>8} {'packs':>6} "
          f"{'loose':>6}")
    for name in ("cron", "bulk", "cron-gc"):
        r = results[name]
        print(f"{name:10} {r['objects_bytes'] / 1e6:11.2f} {r['store_bytes'] / 1e6:9.2f} "
              f"{r['store_bytes'] / text:8.2f} {r['packs']:6} {r['loose']:6}")
    print(f"cron objects / bulk objects: "
          f"{results['cron']['objects_bytes'] / results['bulk']['objects_bytes']:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reads that should not grow with the archive (issue 19): search, stats, list, changes and
start-up at two sizes, with the growth factor between them, side by side with ripgrep.

Run by hand, never in CI (the 100,000-article ingest takes most of an hour on 2 cores)::

    python benchmarks/bench_search.py --n 20000 --n 100000 --out /work/scratch/bench19
    python benchmarks/bench_search.py --n 20000 --store 20000=PATH   # an ingested store
    python benchmarks/bench_search.py --n 20000 --src OLD/src --label before \\
        --store 20000=OLD_STORE    # an older newsarchive (its source tree) on its own store
    python benchmarks/bench_search.py --compare before.json after.json   # the table

For each size N: the corpus ``gen_corpus.py --n N --headers`` (generated once under
``--out``; article i depends only on i, so the 20,000 corpus is a prefix of the 100,000
one and the same queries fit both), the store (``newsarchive add -q CORPUS``, timed, unless
given), its bytes (objects; catalog by table with ``dbstat``: the full-text index apart),
then, interleaved round by round so a burst of load from elsewhere hits every case alike:

- search through the library (``Archive.search``, snippets included: what a caller waits
  for) and the CLI (``newsarchive --store S search ...``, a process), for a rare word, a
  word in every article, phrases, AND, OR, a prefix and a rare word with a common one, each
  also with ``--source`` and with ``--since/--until`` (one month);
- ``stats``, ``list --limit 20``, ``changes --limit 20`` (CLI and library);
- ``newsarchive --help`` against ``python -c "import click"`` and ``python -c pass``;
- ``rg -l -i -w -F WORD`` (and ``-F 'a b'`` for a phrase) over the corpus files.

Medians of ``--runs`` rounds after a warm-up round. Results: ``OUT/results-LABEL.json``
(every figure) and a table on stdout; ``--compare`` prints the before/after table of
docs/performance.md from two such files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as common  # noqa: E402  (helpers of the main benchmark: machine, sizes, env)

MONTH = ("2024-06-01", "2024-06-30")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- corpus and store -------------------------------------------------------------------
def corpus_for(n: int, out: Path, gen: Path) -> Path:
    dest = out / f"corpus-{n}-headers"
    if not (dest / "MANIFEST.tsv").exists():
        log(f"generating {n:,} articles into {dest}")
        subprocess.run([sys.executable, str(gen), "--n", str(n), "--headers", "--out",
                        str(dest)], check=True, stdout=subprocess.DEVNULL)
    return dest


def ingest(corpus: Path, store: Path, cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    log(f"ingesting {corpus} into {store} (long)")
    res = common.run_timed([*cmd, "--store", str(store), "add", "-q", str(corpus)],
                           stdout=subprocess.DEVNULL, env=env)
    log(f"ingest took {res['wall']:.0f} s")
    return {"wall": res["wall"], "cpu": res["user"] + res["sys"], "rss_mb": res["rss_kb"] / 1024}


def corpus_bytes(corpus: Path) -> dict[str, int]:
    files = body = 0
    for path in corpus.rglob("*.txt"):
        data = path.read_bytes()
        files += len(data)
        body += len(data.split(b"\n\n", 1)[1]) if b"\n\n" in data else 0
    return {"files": files, "bodies": body}


def sizes(store: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["objects"] = common.tree_size(store / "objects")[1]
    out["catalog"] = sum(common.tree_size(p)[1] for p in store.glob("catalog.sqlite*"))
    out["store"] = out["objects"] + out["catalog"]
    conn = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
    groups: Counter[str] = Counter()
    tables: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        tables[name] = size
        if name.startswith(("para_fts", "title_fts", "docs_fts")):
            groups["search_fts"] += size
        elif name in ("para_docs", "search_revs", "search_revs_tid", "docs",
                      "sqlite_autoindex_docs_1", "revisions_doc"):
            groups["search_map"] += size
        elif name.startswith("edits"):
            groups["edits"] += size
        else:
            groups["other"] += size
    groups["search_index"] = groups["search_fts"] + groups["search_map"]
    out["catalog_tables"] = dict(sorted(tables.items(), key=lambda kv: -kv[1])[:20])
    out["catalog_groups"] = dict(groups)
    counts = {}
    for table in ("articles", "revisions"):
        counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    counts["text_bytes"] = conn.execute("SELECT sum(bytes) FROM revisions").fetchone()[0]
    out["counts"] = counts
    conn.close()
    return out


# -- queries ------------------------------------------------------------------------------
_WORD = re.compile(r"[a-z]+")


def pick_queries(corpus: Path) -> dict[str, Any]:
    """The same queries at every size: picked from the first 2,000 articles (a prefix of
    every corpus of this generator)."""
    manifest = [line.split("\t") for line in
                (corpus / "MANIFEST.tsv").read_text().splitlines()[:2000]]
    df: Counter[str] = Counter()
    first_body = ""
    for source, date, slug, *_ in manifest:
        body = (corpus / source / date / f"{slug}.v1.txt").read_text().split("\n\n", 1)[1]
        first_body = first_body or body
        df.update(set(_WORD.findall(body.lower())))
    rare = sorted(w for w, n in df.items() if n == 1 and len(w) >= 8)
    mid = sorted(w for w, n in df.items() if 100 <= n <= 200 and len(w) >= 5)
    words = _WORD.findall(first_body.lower())
    phrase = " ".join(words[10:13])
    sources = sorted({m[0] for m in manifest})
    q = {
        "rare": rare[len(rare) // 2],
        "common": "the",
        "phrase": f'"{phrase}"',
        "phrase_common": '"of the"',
        "and_common": "in as",
        "and_mid": f"{mid[len(mid) // 3]} {mid[2 * len(mid) // 3]}",
        "or_rare": " OR ".join(rare[i * len(rare) // 4] for i in (1, 2, 3)),
        "prefix": "wor*",
        "rare_common": f"{rare[len(rare) // 2]} the",
    }
    return {"queries": q, "source": sources[0], "since": MONTH[0], "until": MONTH[1],
            "rg": {"rare": ["-w", "-F", q["rare"]], "common": ["-w", "-F", "the"],
                   "phrase": ["-F", phrase], "phrase_common": ["-F", "of the"],
                   "prefix": ["-w", "wor[a-z]*"],
                   "or_rare": ["-w", *[a for w in q["or_rare"].split(" OR ")
                                       for a in ("-e", w)]]}}


FILTERS = {"none": [], "source": None, "month": ["--since", MONTH[0], "--until", MONTH[1]]}


def filter_args(name: str, picked: dict[str, Any]) -> list[str]:
    return ["--source", picked["source"]] if name == "source" else FILTERS[name] or []


# -- measuring ------------------------------------------------------------------------------
LIB_SCRIPT = r"""
import json, statistics, sys, time
import newsarchive
spec = json.loads(sys.argv[1])
a = newsarchive.open(spec["store"])
out = {}
cases = spec["cases"]
times = {k: [] for k in cases}
cpus = {k: [] for k in cases}
for round_ in range(spec["runs"] + 1):
    for key, (kind, query, kw) in cases.items():
        t0, c0 = time.perf_counter(), time.process_time()
        if kind == "search":
            n = len([h.snippet for h in a.search(query, **kw)])
        elif kind == "stats":
            a.stats(); n = 0
        elif kind == "list":
            n = len(a.articles(limit=20))
        else:
            n = len(a.changes(limit=20))
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if round_:
            times[key].append(dt)
            cpus[key].append(dc)
        out[key + ":hits"] = n
for key, ts in times.items():
    out[key] = statistics.median(ts)
    out[key + ":cpu"] = statistics.median(cpus[key])
print(json.dumps(out))
"""


def lib_cases(picked: dict[str, Any]) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for name, query in picked["queries"].items():
        for fname in FILTERS:
            kw: dict[str, Any] = {}
            if fname == "source":
                kw["source"] = picked["source"]
            elif fname == "month":
                kw.update(since=MONTH[0], until=MONTH[1])
            cases[f"search:{name}:{fname}"] = ("search", query, kw)
    cases["search:common:all-revisions"] = ("search", "the", {"all_revisions": True})
    cases["search:rare:all-revisions"] = ("search", picked["queries"]["rare"],
                                          {"all_revisions": True})
    for kind in ("stats", "list", "changes"):
        cases[kind] = (kind, "", {})
    return cases


def bench_lib(store: Path, picked: dict[str, Any], runs: int, env: dict[str, str]
              ) -> dict[str, Any]:
    spec = {"store": str(store), "runs": runs, "cases": lib_cases(picked)}
    proc = subprocess.run([sys.executable, "-c", LIB_SCRIPT, json.dumps(spec)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    res: dict[str, Any] = json.loads(proc.stdout)
    return res


def bench_cli(store: Path, picked: dict[str, Any], runs: int, cmd: list[str],
              env: dict[str, str], corpus: Path, rg_runs: int) -> dict[str, Any]:
    base = [*cmd, "--store", str(store)]
    cases: dict[str, list[str]] = {
        "python_pass": [sys.executable, "-c", "pass"],
        "python_import_click": [sys.executable, "-c", "import click"],
        "help": [*cmd, "--help"],
        "stats": [*base, "stats"],
        "list": [*base, "list", "--limit", "20"],
        "changes": [*base, "changes", "--limit", "20"],
    }
    for name, query in picked["queries"].items():
        for fname in FILTERS:
            cases[f"search:{name}:{fname}"] = [*base, "search", query,
                                               *filter_args(fname, picked)]
    walls: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    for round_ in range(runs + 1):
        for key, argv in cases.items():
            wall, cpu = common.timed(argv, env=env)
            if round_:
                walls[key].append(wall)
                cpus[key].append(cpu)
    res: dict[str, Any] = {}
    for key in cases:
        res[key] = statistics.median(walls[key])
        res[key + ":min"] = min(walls[key])
        res[key + ":cpu"] = statistics.median(cpus[key])
    if rg_runs and common.shutil.which("rg"):
        for name, args in picked["rg"].items():
            ts = [common.wall_of(["rg", "-l", "-i", *args, str(corpus)]) for _ in range(rg_runs)]
            res[f"rg:{name}"] = statistics.median(ts)
    return res


def importtimes(store: Path, cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Top-level imports of --help and of the read commands (python -X importtime)."""
    out = {}
    py = [sys.executable, "-X", "importtime", "-m", "newsarchive"]
    for key, args in (("help", ["--help"]), ("list", ["--store", str(store), "list",
                                                      "--limit", "20"]),
                      ("stats", ["--store", str(store), "stats"]),
                      ("search", ["--store", str(store), "search", "the"])):
        common.CHILD_ENV = env
        out[key] = common.importtime([*py, *args])
    return out


# -- report -------------------------------------------------------------------------------
ROWS = [("search rare word", "search:rare:none"), ("  --source", "search:rare:source"),
        ("  --since/--until", "search:rare:month"),
        ("search a word in every article (the)", "search:common:none"),
        ("  --source", "search:common:source"), ("  --since/--until", "search:common:month"),
        ("  --all-revisions (library)", "search:common:all-revisions"),
        ("search phrase", "search:phrase:none"), ("  --source", "search:phrase:source"),
        ("  --since/--until", "search:phrase:month"),
        ('search common phrase "of the"', "search:phrase_common:none"),
        ("  --source", "search:phrase_common:source"),
        ("  --since/--until", "search:phrase_common:month"),
        ("search AND of two common words", "search:and_common:none"),
        ("  --source", "search:and_common:source"),
        ("  --since/--until", "search:and_common:month"),
        ("search AND of two mid words", "search:and_mid:none"),
        ("  --source", "search:and_mid:source"), ("  --since/--until", "search:and_mid:month"),
        ("search OR of three rare words", "search:or_rare:none"),
        ("  --source", "search:or_rare:source"), ("  --since/--until", "search:or_rare:month"),
        ("search prefix wor*", "search:prefix:none"), ("  --source", "search:prefix:source"),
        ("  --since/--until", "search:prefix:month"),
        ("search rare + common word", "search:rare_common:none"),
        ("stats", "stats"), ("list --limit 20", "list"), ("changes --limit 20", "changes"),
        ("--help", "help"), ('python -c "import click"', "python_import_click"),
        ("python -c pass", "python_pass")]
RG = {"search:rare:none": "rg:rare", "search:common:none": "rg:common",
      "search:phrase:none": "rg:phrase", "search:phrase_common:none": "rg:phrase_common",
      "search:or_rare:none": "rg:or_rare", "search:prefix:none": "rg:prefix"}


def fmt_ms(s: float | None) -> str:
    return "" if s is None else f"{s * 1000:,.1f}"


def table(results: dict[str, Any]) -> str:
    """Per size: CLI wall and CPU (user+sys of the process), library wall and CPU; the
    growth factor (largest size / smallest) of the CLI wall and of the library CPU (the
    steadiest figure on a loaded machine); rg."""
    sizes_ = sorted(results["sizes"], key=int)
    head = ["measure (ms, medians)"]
    for n in sizes_:
        k = f"{int(n) // 1000}k"
        head += [f"CLI {k}", f"CLI CPU {k}", f"lib {k}", f"lib CPU {k}"]
    if len(sizes_) >= 2:
        head += ["growth CLI", "growth lib CPU"]
    head += [f"rg -l {int(n) // 1000}k" for n in sizes_]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, key in ROWS:
        row = [label]
        vals = []
        for n in sizes_:
            r = results["sizes"][n]
            got = (r["cli"].get(key), r["cli"].get(key + ":cpu"), r["lib"].get(key),
                   r["lib"].get(key + ":cpu"))
            vals.append(got)
            row += [fmt_ms(v) for v in got]
        if len(sizes_) >= 2:
            for i in (0, 3):
                a, b = vals[0][i], vals[-1][i]
                row.append(f"{b / a:.2f}x" if a and b else "")
        for n in sizes_:
            rg = RG.get(key)
            row.append(fmt_ms(results["sizes"][n]["cli"].get(rg)) if rg else "")
        lines.append("| " + " | ".join(row) + " |")
    for n in sizes_:
        r = results["sizes"][n]
        s = r["bytes"]
        raw = r["corpus_bytes"]["files"]
        lines.append("")
        lines.append(f"{int(n):,} articles: store {s['store'] / 1e6:,.1f} MB = "
                     f"{s['store'] / raw:.2f}x the corpus files ({raw / 1e6:,.1f} MB); objects "
                     f"{s['objects'] / 1e6:,.1f} MB, catalog {s['catalog'] / 1e6:,.1f} MB, of "
                     f"which the search index {s['catalog_groups'].get('search_index', 0) / 1e6:,.1f}"
                     f" MB ({s['catalog_groups'].get('search_index', 0) / raw:.2f}x)"
                     + (f"; ingest {r['ingest']['wall']:,.0f} s" if r.get("ingest") else ""))
        c = r["cli"]
        lines.append(f"  --help {c['help'] / c['python_import_click']:.2f}x import click "
                     f"(CPU {c['help:cpu'] / c['python_import_click:cpu']:.2f}x, fastest "
                     f"{c['help:min'] / c['python_import_click:min']:.2f}x); load "
                     f"{r['load_start'][0]:.1f} -> {r['load_end'][0]:.1f}")
    return "\n".join(lines)


def compare(paths: list[Path]) -> str:
    """Before/after, size by size: CLI wall and library CPU medians of two result files."""
    before, after = (json.loads(p.read_text()) for p in paths)
    sizes_ = sorted(set(before["sizes"]) & set(after["sizes"]), key=int)
    head = ["measure (ms)"]
    for n in sizes_:
        k = f"{int(n) // 1000}k"
        head += [f"CLI before {k}", f"CLI after {k}", f"lib CPU before {k}",
                 f"lib CPU after {k}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, key in ROWS:
        row = [label]
        for n in sizes_:
            b, a = before["sizes"][n], after["sizes"][n]
            row += [fmt_ms(b["cli"].get(key)), fmt_ms(a["cli"].get(key)),
                    fmt_ms(b["lib"].get(key + ":cpu")), fmt_ms(a["lib"].get(key + ":cpu"))]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="articles (repeat: 20000, 100000)")
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "newsarchive-bench-search")
    ap.add_argument("--gen", help="path of gen_corpus.py (default: ../shared/bench/)")
    ap.add_argument("--store", action="append", default=[], metavar="N=PATH",
                    help="an ingested store of the N-article corpus (skips the ingest)")
    ap.add_argument("--src", type=Path, help="run newsarchive from this source tree")
    ap.add_argument("--label", default="after")
    ap.add_argument("--runs", type=int, default=10, help="rounds per median (10)")
    ap.add_argument("--rg-runs", type=int, default=3)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--table", type=Path, nargs="+", metavar="RESULTS",
                    help="print the table of result files (their sizes merged)")
    args = ap.parse_args()
    if args.compare:
        print(compare(args.compare))
        return
    if args.table:
        merged: dict[str, Any] = {"sizes": {}}
        for path in args.table:
            merged["sizes"].update(json.loads(path.read_text())["sizes"])
        print(table(merged))
        return
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    env = common.child_env(out, keep_env=False)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    cmd = common.newsarchive_cmd()  # PYTHONPATH (--src) comes before the installed one
    gen = common.find_generator(args.gen)
    stores = {int(k): Path(v) for k, v in (s.split("=", 1) for s in args.store)}
    results: dict[str, Any] = {"machine": common.machine_info(out), "label": args.label,
                               "src": str(args.src or ""), "command": " ".join(cmd),
                               "started": time.strftime("%Y-%m-%d %H:%M"), "sizes": {}}
    for n in args.n or [20000]:
        corpus = corpus_for(n, out, gen)
        store = stores.get(n) or out / f"store-{n}-{args.label}"
        r: dict[str, Any] = {"corpus": str(corpus), "store": str(store),
                             "load_start": os.getloadavg()}
        if not (store / "catalog.sqlite").exists():
            r["ingest"] = ingest(corpus, store, cmd, env)
        picked = pick_queries(corpus)
        r["queries"] = picked
        r["corpus_bytes"] = corpus_bytes(corpus)
        r["bytes"] = sizes(store)
        log(f"{n:,}: library rounds")
        r["lib"] = bench_lib(store, picked, args.runs, env)
        log(f"{n:,}: CLI rounds and rg")
        r["cli"] = bench_cli(store, picked, args.runs, cmd, env, corpus, args.rg_runs)
        r["imports"] = importtimes(store, cmd, env)
        r["load_end"] = os.getloadavg()
        results["sizes"][str(n)] = r
        path = out / f"results-{args.label}.json"
        path.write_text(json.dumps(results, indent=1) + "\n")
        log(f"{n:,}: done; {path}")
    print(table(results))


if __name__ == "__main__":
    main()

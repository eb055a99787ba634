#!/usr/bin/env python3
"""The object store at scale: lookups and cron adds on 1 pack against 300, the scan's
memory, bytes against git's pack, and zlib against zstd on the store's own texts.

    python benchmarks/bench_packs.py --n 20000                # ~15 min, ~3 GB of disk
    python benchmarks/bench_packs.py --n 2000 --packs 100     # ~2 min
    python benchmarks/bench_packs.py --n 20000 --old-src DIR  # also the code in DIR/src
                                                              # (e.g. `git archive` of main)

Run by hand, never in CI (timings belong here, not in tests). It measures the
``newsarchive`` its interpreter imports: set ``PYTHONPATH`` to a copy of ``src/`` (``git
archive HEAD src | tar -x -C DIR``) so that editing the work tree cannot change the code
under measurement halfway. Everything goes under
``--out`` (default ``$TMPDIR/newsarchive-bench-packs``): the corpus (reused), the JSON
Lines, git's repository, two stores holding the same revisions (``many``: the corpus added
in ``--packs`` bulk adds, as cron runs leave it; ``one``: a copy after ``gc``, one pack),
``results-packs-N.json`` and the table printed at the end.

Measures, side by side in one run:

- **cron add**: ``newsarchive add`` of 50 new revisions (50 articles, a paragraph added to
  each latest text), wall time of the CLI, median of ``--rounds`` rounds, the two stores
  alternating (each round adds a pack to each store; the figures are for 300 + rounds);
- **lookups**: in one fresh process, ``get`` of 2,000 random texts and ``contains`` of
  2,000 random ids plus 2,000 absent ones (what a write asks), and the time to the first
  read; reference: ``git cat-file --batch`` of 2,000 random blobs of git's repository
  of the same texts (one process, start-up included), after ``git fast-import``;
- **bytes**: the objects directory of each store against git fast-import's pack of the
  same texts, and the one-pack store's entries by kind and encoding;
- **memory**: peak RSS of a process iterating ``ObjectStore.scan()`` over each store, of
  ``newsarchive check``, and of ``gc`` repacking the many-pack store;
- **compression**: the one-pack store's first versions and deltas recompressed with zlib
  (as stored) and with zstd (level 3: a dictionary trained on other first versions; the
  base text as raw-content dictionary for deltas), when ``zstandard`` is importable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as common  # noqa: E402  (benchmarks/run.py: corpus, git, timing helpers)

LOOKUP_SCRIPT = r"""
import json, random, sys, time
t0 = time.perf_counter()
from newsarchive.store.objects import ObjectStore
root, ids_file = sys.argv[1], sys.argv[2]
ids = json.load(open(ids_file))
t_import = time.perf_counter() - t0
objects = ObjectStore(__import__("pathlib").Path(root))
t0 = time.perf_counter()
objects.get(ids["texts"][0])
first = time.perf_counter() - t0
t0 = time.perf_counter()
for oid in ids["texts"]:
    objects.get(oid)
get_s = time.perf_counter() - t0
t0 = time.perf_counter()
for oid in ids["present"]:
    assert objects.contains(oid)
for oid in ids["absent"]:
    assert not objects.contains(oid)
contains_s = time.perf_counter() - t0
print(json.dumps({"first_read": first, "get_each": get_s / len(ids["texts"]),
                  "contains_each": contains_s / (len(ids["present"]) + len(ids["absent"]))}))
"""

SCAN_SCRIPT = r"""
import json, resource, sys, time
from pathlib import Path
from newsarchive.store.objects import ObjectStore
objects = ObjectStore(Path(sys.argv[1]))
t0 = time.perf_counter()
n = errors = 0
for item in objects.scan():
    n += 1
    errors += item.error is not None
wall = time.perf_counter() - t0
t0 = time.perf_counter()
count = objects.count()
count_s = time.perf_counter() - t0
print(json.dumps({"objects": n, "errors": errors, "seconds": wall, "count": count,
                  "count_s": count_s,
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def log(msg: str) -> None:
    common.log(msg)


def cmd(store: Path, *args: str, src: Path | None = None) -> list[str]:
    if src is None:
        return [*common.newsarchive_cmd(), "--store", str(store), *args]
    return [sys.executable, "-m", "newsarchive", "--store", str(store), *args]


def code_dir(src: Path) -> Path:
    """The directory holding the ``newsarchive`` package of ``--old-src DIR``: DIR/src
    (a ``git archive`` of the repository) or DIR itself. Refused when neither holds it:
    the interpreter would quietly import the installed newsarchive instead (an earlier
    run timed the new code twice that way)."""
    for cand in (src / "src", src):
        if (cand / "newsarchive" / "__init__.py").is_file():
            return cand
    raise SystemExit(f"--old-src {src}: no newsarchive package in {src}/src or {src}")


def env_for(src: Path | None) -> dict[str, str]:
    env = dict(common.CHILD_ENV or os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(code_dir(src))
    return env


def build_stores(jsonl: Path, work: Path, packs: int, src: Path | None = None,
                 suffix: str = "") -> tuple[Path, Path, dict[str, Any]]:
    many, one = work / f"store-many{suffix}", work / f"store-one{suffix}"
    for d in (many, one):
        if d.exists():
            shutil.rmtree(d)
    lines = jsonl.read_text(encoding="utf-8").splitlines(keepends=True)
    size = max(16, -(-len(lines) // packs))
    chunks = work / "chunks"
    shutil.rmtree(chunks, ignore_errors=True)
    chunks.mkdir()
    log(f"store: adding {len(lines)} revisions in {-(-len(lines) // size)} bulk adds ...")
    t0 = time.perf_counter()
    for i in range(0, len(lines), size):
        part = chunks / f"part-{i // size:04d}.jsonl"
        part.write_text("".join(lines[i:i + size]), encoding="utf-8")
        common.run_timed(cmd(many, "add", "-q", str(part), src=src), env=env_for(src))
    build_s = time.perf_counter() - t0
    shutil.rmtree(chunks)
    log(f"store: {len(list((many / 'objects' / 'pack').glob('*.pack')))} packs in {build_s:.0f} s;"
        " copying and running gc for the one-pack store ...")
    shutil.copytree(many, one)
    gc = common.run_timed(cmd(one, "gc", "--grace", "0", src=src), env=env_for(src))
    return many, one, {"build_s": build_s, "gc_s": gc["wall"], "gc_rss_kb": gc["rss_kb"]}


def cron_inputs(jsonl: Path, work: Path, rounds: int, seed: int) -> list[Path]:
    """Per round, 50 new revisions of 50 articles (their latest text and a paragraph)."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            latest[(row["source"], row["date"], row["slug"])] = row
    keys = sorted(latest)
    rng = random.Random(seed)
    out = []
    for r in range(rounds):
        path = work / f"cron-{r}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for k in rng.sample(keys, 50):
                row = dict(latest[k])
                row["text"] = row["text"] + f"\n\nUpdate {r}: officials confirmed the figures."
                row["captured_at"] = f"2030-01-01T{r % 24:02d}:00:00Z"
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.append(path)
    return out


def bench_cron(stores: dict[str, Path], inputs: list[Path], src: Path | None) -> dict[str, Any]:
    walls: dict[str, list[float]] = {name: [] for name in stores}
    for path in inputs:
        for name, store in stores.items():
            r = common.run_timed(cmd(store, "add", "-q", str(path), src=src), env=env_for(src))
            walls[name].append(r["wall"])
    return {name: {"median_s": statistics.median(w), "all_s": w} for name, w in walls.items()}


def pick_ids(store: Path, other: Path, work: Path, seed: int, tag: str = "") -> Path:
    """Random texts of ``store``, and random packed ids held by both stores."""
    from newsarchive.store.objects import ObjectStore

    objects = ObjectStore(store / "objects")
    others = ObjectStore(other / "objects")
    rng = random.Random(seed)
    packed = [oid for r in objects.packs() for oid in r if others.contains(oid)]
    conn = __import__("sqlite3").connect(store / "catalog.sqlite")
    texts = [r[0] for r in conn.execute("SELECT text_hash FROM revisions")]
    conn.close()
    ids = {"texts": rng.sample(texts, 2000), "present": rng.sample(packed, 2000),
           "absent": [f"{rng.getrandbits(256):064x}" for _ in range(2000)]}
    path = work / f"lookup-ids{tag}.json"
    path.write_text(json.dumps(ids))
    return path


def bench_lookups(stores: dict[str, Path], ids: Path, src: Path | None,
                  rounds: int = 3) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, store in stores.items():
        runs = []
        for _ in range(rounds):
            p = subprocess.run([sys.executable, "-c", LOOKUP_SCRIPT, str(store / "objects"),
                                str(ids)], capture_output=True, text=True, env=env_for(src),
                               check=True)
            runs.append(json.loads(p.stdout))
        out[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return out


def bench_git_cat_file(repo: Path, seed: int) -> dict[str, Any]:
    listing = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-all-objects",
                              "--batch-check"], capture_output=True, text=True, check=True)
    blobs = [line.split()[0] for line in listing.stdout.splitlines() if " blob " in line]
    sample = random.Random(seed).sample(blobs, 2000)
    stdin = ("\n".join(sample) + "\n").encode()
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=stdin,
                       stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(walls), "each": statistics.median(walls) / 2000}


def bench_scan(stores: dict[str, Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, store in stores.items():
        # peak RSS by GNU time: a child forked from this (large) process would report
        # the parent's pages in its own ru_maxrss
        result = store.parent / f"scan-{name}.json"
        with open(result, "wb") as f:
            r = common.run_timed([sys.executable, "-c", SCAN_SCRIPT, str(store / "objects")],
                                 stdout=f, env=env_for(None))
        out[name] = json.loads(result.read_text())
        out[name]["rss_kb"] = r["rss_kb"] or out[name]["rss_kb"]
        chk = common.run_timed(cmd(store, "check"), check=False)
        out[name]["check_s"] = chk["wall"]
        out[name]["check_rss_kb"] = chk["rss_kb"]
        out[name]["check_rc"] = chk["rc"]
    return out


def entry_breakdown(store: Path) -> dict[str, Any]:
    from newsarchive.store.objects import ObjectStore
    from newsarchive.store.packs import ENTRY

    objects = ObjectStore(store / "objects")
    rows: dict[str, list[int]] = {}
    for reader in objects.packs(refresh=True):
        for _off, kind, enc, _depth, _oid, _base, data in reader.heads():
            what = f"{kind} {'delta' if enc in (1, 3) else 'whole'} enc{enc}"
            rows.setdefault(what, [0, 0])
            rows[what][0] += 1
            rows[what][1] += len(data) + ENTRY.size
    return {k: {"objects": v[0], "bytes": v[1]} for k, v in sorted(rows.items())}


def bench_compression(store: Path, seed: int, sample: int = 3000) -> dict[str, Any]:
    """zlib (as stored) against zstd on the one-pack store's texts."""
    try:
        import zstandard as zstd
    except ImportError:
        return {"skipped": "zstandard is not installed"}
    import zlib

    from newsarchive.store.objects import ObjectStore
    from newsarchive.store.packs import deflate_delta

    objects = ObjectStore(store / "objects")
    conn = __import__("sqlite3").connect(store / "catalog.sqlite")
    rows = conn.execute("SELECT article, number, text_hash FROM revisions "
                        "ORDER BY article, number").fetchall()
    conn.close()
    firsts = [h for _a, n, h in rows if n == 1]
    pairs = [(rows[i - 1][2], h) for i, (a, n, h) in enumerate(rows)
             if n > 1 and rows[i - 1][0] == a and rows[i - 1][2] != h]
    rng = random.Random(seed)
    rng.shuffle(firsts)
    sample = min(sample, len(firsts) // 2)
    train = [objects.get(h)[1] for h in firsts[:sample]]
    test = [objects.get(h)[1] for h in firsts[sample:2 * sample]]
    deltas = [(objects.get(a)[1], objects.get(b)[1]) for a, b in rng.sample(pairs, min(sample, len(pairs)))]
    res: dict[str, Any] = {"first_versions": len(test), "deltas": len(deltas)}
    t0 = time.perf_counter()
    z = [zlib.compress(t, 6) for t in test]
    res["zlib6_first"] = {"bytes": sum(map(len, z)) / len(z), "us": (time.perf_counter() - t0) / len(z) * 1e6}
    t0 = time.perf_counter()
    d = zstd.train_dictionary(110_000, train, level=3)
    res["train_s"] = time.perf_counter() - t0
    c = zstd.ZstdCompressor(level=3, dict_data=d, write_content_size=False,
                            write_checksum=False, write_dict_id=False)
    t0 = time.perf_counter()
    o = [c.compress(t) for t in test]
    res["zstd3_dict_first"] = {"bytes": sum(map(len, o)) / len(o), "us": (time.perf_counter() - t0) / len(o) * 1e6}
    t0 = time.perf_counter()
    zd = [deflate_delta(b, a) for a, b in deltas]
    res["zlib_zdict_delta"] = {"bytes": sum(map(len, zd)) / len(zd), "us": (time.perf_counter() - t0) / len(zd) * 1e6}
    t0 = time.perf_counter()
    zs = []
    for a, b in deltas:
        raw = zstd.ZstdCompressionDict(a, dict_type=zstd.DICT_TYPE_RAWCONTENT)
        zs.append(zstd.ZstdCompressor(level=3, dict_data=raw, write_content_size=False,
                                      write_checksum=False, write_dict_id=False).compress(b))
    res["zstd3_raw_delta"] = {"bytes": sum(map(len, zs)) / len(zs), "us": (time.perf_counter() - t0) / len(zs) * 1e6}
    return res


def table(r: dict[str, Any]) -> str:
    rows = [["measure", f"{r['packs_many']} packs", "1 pack", "reference"]]
    for label, res in (("new", r["cron"]), ("old", r.get("cron_old"))):
        if res:
            rows.append([f"cron add of 50 revisions, CLI wall, median ({label} code)",
                         common.ms(res["many"]["median_s"]), common.ms(res["one"]["median_s"]), ""])
    for label, res in (("new", r["lookups"]), ("old", r.get("lookups_old"))):
        if not res:
            continue
        rows.append([f"get of a text, each ({label} code)", f"{res['many']['get_each'] * 1e6:.0f} us",
                     f"{res['one']['get_each'] * 1e6:.0f} us",
                     f"git cat-file --batch {r['git_cat_file']['each'] * 1e6:.0f} us" if label == "new" else ""])
        rows.append([f"contains, present or absent, each ({label} code)",
                     f"{res['many']['contains_each'] * 1e6:.1f} us",
                     f"{res['one']['contains_each'] * 1e6:.1f} us", ""])
        rows.append([f"first read after opening ({label} code)", common.ms(res["many"]["first_read"]),
                     common.ms(res["one"]["first_read"]), ""])
    b = r["bytes"]
    rows.append(["objects on disk (allocated)", common.mb(b["many"]), common.mb(b["one"]),
                 f"git pack {common.mb(b['git_pack'])}"])
    if r.get("bytes_old"):
        rows.append(["objects on disk (old code: zlib, no multi-pack index)",
                     common.mb(r["bytes_old"]["many"]), common.mb(r["bytes_old"]["one"]), ""])
    rows.append(["  of which the multi-pack index", common.mb(b["midx_many"]), common.mb(b["midx_one"]), ""])
    s = r["scan"]
    rows.append(["ObjectStore.scan(): peak RSS", f"{s['many']['rss_kb'] / 1024:.0f} MB",
                 f"{s['one']['rss_kb'] / 1024:.0f} MB", ""])
    rows.append(["  scan time (objects)", f"{s['many']['seconds']:.1f} s ({s['many']['objects']:,})",
                 f"{s['one']['seconds']:.1f} s ({s['one']['objects']:,})", ""])
    rows.append(["  count() (same number)", f"{s['many']['count_s'] * 1e3:.1f} ms ({s['many']['count']:,})",
                 f"{s['one']['count_s'] * 1e3:.1f} ms ({s['one']['count']:,})", ""])
    rows.append(["newsarchive check: wall / peak RSS",
                 f"{s['many']['check_s']:.1f} s / {s['many']['check_rss_kb'] / 1024:.0f} MB",
                 f"{s['one']['check_s']:.1f} s / {s['one']['check_rss_kb'] / 1024:.0f} MB", ""])
    if r.get("check_old"):
        c = r["check_old"]
        rows.append(["newsarchive check (old code): wall / peak RSS",
                     f"{c['many']['wall']:.1f} s / {c['many']['rss_kb'] / 1024:.0f} MB",
                     f"{c['one']['wall']:.1f} s / {c['one']['rss_kb'] / 1024:.0f} MB", ""])
    rows.append(["gc of the many-pack store: wall / peak RSS",
                 f"{r['build']['gc_s']:.1f} s / {r['build']['gc_rss_kb'] / 1024:.0f} MB", "", ""])
    if r.get("build_old"):
        rows.append(["gc of the many-pack store (old code): wall / peak RSS",
                     f"{r['build_old']['gc_s']:.1f} s / {r['build_old']['gc_rss_kb'] / 1024:.0f} MB",
                     "", ""])
    w = [max(len(x[i]) for x in rows) for i in range(4)]
    lines = ["| " + " | ".join(x[i].ljust(w[i]) for i in range(4)) + " |" for x in rows]
    lines.insert(1, "|" + "|".join("-" * (w[i] + 2) for i in range(4)) + "|")
    comp = r.get("compression", {})
    if "zlib6_first" in comp:
        lines.append("")
        lines.append(f"compression ({comp['first_versions']} first versions, {comp['deltas']} deltas "
                     f"of the store; dictionary trained in {comp['train_s']:.1f} s):")
        for k in ("zlib6_first", "zstd3_dict_first", "zlib_zdict_delta", "zstd3_raw_delta"):
            lines.append(f"  {k:18} {comp[k]['bytes']:7.0f} B each, {comp[k]['us']:5.0f} us to compress")
    lines.append("")
    lines.append("entries of the one-pack store:")
    for k, v in r["entries"].items():
        lines.append(f"  {k:22} {v['objects']:8,} {v['bytes'] / 1e6:8.1f} MB {v['bytes'] / max(1, v['objects']):7.0f} B each")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--packs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "newsarchive-bench-packs")
    ap.add_argument("--old-src", type=Path, help="also time the code of DIR/src (read-only use)")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the stores of an earlier run (they keep that run's cron "
                    "adds: the one-pack store is then 1 + ROUNDS packs)")
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    common.CHILD_ENV = common.child_env(out, False)
    corpus = args.corpus or out / f"corpus-{args.n}"
    if args.corpus is None:
        common.generate(args.n, corpus, common.find_generator(None), False)
    work = out / f"work-{args.n}"
    work.mkdir(exist_ok=True)
    conv = common.convert(corpus, work)
    git = common.bench_git(conv, work, False)
    r: dict[str, Any] = {"n": args.n, "revisions": conv["revisions"], "machine": common.machine_info(out)}
    if args.reuse and (work / "store-many").exists() and (work / "store-one").exists():
        many, one = work / "store-many", work / "store-one"
        r["build"] = json.loads((work / "build.json").read_text())
    else:
        many, one, r["build"] = build_stores(conv["jsonl"], work, args.packs)
        (work / "build.json").write_text(json.dumps(r["build"]))
    stores = {"many": many, "one": one}
    r["packs_many"] = len(list((many / "objects" / "pack").glob("*.pack")))
    r["bytes"] = {name: common.tree_size(s / "objects")[1] for name, s in stores.items()}
    r["bytes"].update({f"midx_{name}": common.tree_size(s / "objects" / "pack" / "multi-pack-index")[1]
                       for name, s in stores.items()})
    r["bytes"]["git_pack"] = git["fast_import"]["pack_bytes"]
    r["entries"] = entry_breakdown(one)
    ids = pick_ids(one, many, work, args.seed)
    log("lookups ...")
    r["lookups"] = bench_lookups(stores, ids, None)
    r["git_cat_file"] = bench_git_cat_file(work / "git-fast-import", args.seed)
    old_stores: dict[str, Path] = {}
    if args.old_src:  # the old code cannot read zstd entries: stores of its own
        old_src = args.old_src.resolve()
        if args.reuse and (work / "store-many-old").exists():
            old_stores = {"many": work / "store-many-old", "one": work / "store-one-old"}
            r["build_old"] = json.loads((work / "build-old.json").read_text())
        else:
            m, o, r["build_old"] = build_stores(conv["jsonl"], work, args.packs, old_src, "-old")
            (work / "build-old.json").write_text(json.dumps(r["build_old"]))
            old_stores = {"many": m, "one": o}
        r["bytes_old"] = {name: common.tree_size(s / "objects")[1]
                          for name, s in old_stores.items()}
        old_ids = pick_ids(old_stores["one"], old_stores["many"], work, args.seed, "old")
        r["lookups_old"] = bench_lookups(old_stores, old_ids, old_src)
    log("scan and check ...")
    r["scan"] = bench_scan(stores)
    log("cron adds ...")
    inputs = cron_inputs(conv["jsonl"], work, args.rounds * (2 if args.old_src else 1), args.seed)
    r["cron"] = bench_cron(stores, inputs[:args.rounds], None)
    if args.old_src:
        r["cron_old"] = bench_cron(old_stores, inputs[args.rounds:], args.old_src.resolve())
        log("scan and check of the old code ...")
        r["check_old"] = {name: common.run_timed(cmd(s, "check", src=args.old_src.resolve()),
                                                 env=env_for(args.old_src.resolve()),
                                                 check=False) for name, s in old_stores.items()}
    log("compression ...")
    r["compression"] = bench_compression(one, args.seed)
    (out / f"results-packs-{args.n}.json").write_text(json.dumps(r, indent=1, default=str))
    text = table(r)
    (out / f"results-packs-{args.n}.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

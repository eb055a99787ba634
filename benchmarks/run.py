#!/usr/bin/env python3
"""newsarchive performance benchmark: measured side by side with git and ripgrep, in one run.

Run by hand, never in CI (it takes minutes and writes hundreds of MB)::

    python benchmarks/run.py --n 2000                  # generate the corpus, measure everything
    python benchmarks/run.py --n 20000 --out /tmp/nb   # the issue's full-size corpus
    python benchmarks/run.py --corpus DIR              # a corpus gen_corpus.py wrote earlier
    python benchmarks/run.py --n 2000 --store S        # reuse an ingested store (no ingest)

What it measures (docs/performance.md explains the method and keeps the latest figures):

1. bulk ingest: ``newsarchive --store S add -q corpus.jsonl`` (a subprocess) in revisions
   a second, against ``git fast-import`` of the same revision texts (one blob a revision,
   one commit per 1,000 revisions); optionally (``--loose``) ``git hash-object -w``;
2. bytes on disk: the store's objects, catalog (+WAL, with the FTS index pages counted
   apart via ``dbstat``) and total, against the raw text and git fast-import's pack;
3. search latency: library ``newsarchive.open(S).search(q)`` p50/p95 and CLI
   ``newsarchive --store S search q`` p50 over ~50 queries picked deterministically from
   the corpus (words unique to one article, common words, phrases), against
   ``rg -l -i -w -F q`` over the latest text of each article written as one file;
4. diff: library ``newsarchive.diff.compare.diff_texts(a, b)`` over consecutive revision pairs;
5. start-up: ``newsarchive --help`` and ``newsarchive --store S show ID`` against
   ``python -c pass`` (median of 20), and ``python -X importtime`` top imports;
6. peak RSS of the ingest and of ``export`` (GNU time's max RSS of that child alone; plus
   a /proc sampler splitting anonymous memory from file-backed, i.e. mmapped packs).

Everything is written under ``--out`` (default: $TMPDIR/newsarchive-bench): the corpus,
the JSON Lines, the store, the git repositories, ``results-N.json`` and ``results-N.md``.
Standard library only (plus git, and rg for the search comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GEN_CANDIDATES = [REPO.parent / "shared" / "bench" / "gen_corpus.py",
                  Path("/work/shared/bench/gen_corpus.py")]
GIT_BATCH = 1000  # revisions per fast-import commit

# Targets of issue 7 (ratios measured side by side in one run).
TARGETS = {
    "ingest_time_ratio": 1.0,        # newsarchive time / git fast-import time <= 1.0
    "objects_vs_pack": 0.7,          # objects on disk / git pack <= 0.7
    "store_vs_raw": 0.5,             # whole store / raw text <= 0.5
    "cli_search_vs_rg": 0.15,        # CLI search p50 / rg p50 <= 0.15
    "help_vs_python": 4.0,           # newsarchive --help / python -c pass <= 4
    "diff_median_ms": 1.0,           # library diff per pair, median <= 1 ms
    "diff_p95_ms": 5.0,              # ... and p95 <= 5 ms
    "lib_search_p50_ms": 3.0,        # issue 4: library search p50 <= 3 ms
    "peak_rss_mb": 200.0,            # issue 7 item 5: peak RSS bounded (200 MB)
}


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# Peak RSS must be read by a small process that forks the measured one: on Linux a child
# inherits its parent's RSS high-water mark at fork and keeps it across exec, so wait4()
# from this (large) process would report at least our own size. GNU time does it right;
# else a tiny Python helper reports RUSAGE_CHILDREN (a floor of its own ~10 MB).
_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


class _RssSampler:
    """Samples /proc of the measured process (the wrapper's child) every 50 ms: peak
    anonymous memory apart from file-backed pages (mmapped pack files count in RSS but
    are page cache the kernel can drop). Linux only; zeros elsewhere."""

    def __init__(self, wrapper_pid: int) -> None:
        import threading

        self.wrapper = wrapper_pid
        self.anon_kb = self.file_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if os.path.isdir("/proc"):
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            try:
                kids = Path(f"/proc/{self.wrapper}/task/{self.wrapper}/children").read_text()
                for pid in kids.split() or [str(self.wrapper)]:
                    status = Path(f"/proc/{pid}/status").read_text()
                    anon = re.search(r"^RssAnon:\s+(\d+)", status, re.M)
                    fil = re.search(r"^RssFile:\s+(\d+)", status, re.M)
                    if anon:
                        self.anon_kb = max(self.anon_kb, int(anon.group(1)))
                    if fil:
                        self.file_kb = max(self.file_kb, int(fil.group(1)))
            except (OSError, ValueError):
                continue


def run_timed(argv: list[str], *, stdin: Any = None, stdout: Any = subprocess.DEVNULL,
              stderr: Any = subprocess.PIPE, cwd: str | None = None,
              env: dict[str, str] | None = None, check: bool = True) -> dict[str, Any]:
    """Run a child: wall time, CPU time and its own peak RSS (see above)."""
    fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
    os.close(fd)
    if os.path.exists("/usr/bin/time"):
        wrapped = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file, *argv]
    else:
        wrapped = [sys.executable, "-c", _RSS_HELPER, rss_file, *argv]
    t0 = time.perf_counter()
    proc = subprocess.Popen(wrapped, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd,
                            env=env if env is not None else CHILD_ENV)
    sampler = _RssSampler(proc.pid)
    sampler.start()
    err = b""
    if stderr == subprocess.PIPE:
        # drain stderr so the child never blocks on a full pipe
        assert proc.stderr is not None
        err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    try:
        text = Path(rss_file).read_text().strip().splitlines()
        rss_kb = int(text[-1]) if text else 0
    except (OSError, ValueError):
        rss_kb = 0
    finally:
        os.unlink(rss_file)
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n"
                         f"{err.decode('utf-8', 'replace')[-3000:]}")
    return {"wall": wall, "rss_kb": rss_kb, "rc": proc.returncode,
            "anon_kb": sampler.anon_kb, "file_kb": sampler.file_kb,
            "user": usage.ru_utime, "sys": usage.ru_stime,
            "stderr": err.decode("utf-8", "replace")}


def timed(argv: list[str], *, stdout: Any = subprocess.DEVNULL,
          env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one run of a child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL,
                            env=env if env is not None else CHILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime


def wall_of(argv: list[str], *, stdout: Any = subprocess.DEVNULL,
            env: dict[str, str] | None = None) -> float:
    return timed(argv, stdout=stdout, env=env)[0]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def tree_size(path: Path) -> tuple[int, int, int]:
    """(apparent bytes, allocated bytes on disk, files) of a file or directory tree."""
    if not path.exists():
        return 0, 0, 0
    if path.is_file():
        st = path.stat()
        return st.st_size, st.st_blocks * 512, 1
    apparent = allocated = files = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            apparent += st.st_size
            allocated += st.st_blocks * 512
            files += 1
    return apparent, allocated, files


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def ms(s: float) -> str:
    return f"{s * 1e3:,.1f} ms" if s < 10 else f"{s:,.1f} s"


def newsarchive_cmd() -> list[str]:
    """The installed console script of *this* interpreter (never a pyenv/asdf shim, which
    is a shell script adding ~100 ms a call); else ``python -m newsarchive``."""
    import sysconfig

    for cand in (Path(sysconfig.get_path("scripts")) / "newsarchive",
                 Path(sys.executable).parent / "newsarchive"):
        if cand.is_file() and os.access(cand, os.X_OK):
            with open(cand, "rb") as f:
                if b"python" in f.readline():
                    return [str(cand)]
    return [sys.executable, "-m", "newsarchive"]


# Children run with bytecode caching on, as after ``pip install`` (which compiles .pyc):
# PYTHONDONTWRITEBYTECODE (set in some sandboxes) would recompile newsarchive's modules on
# every call. The cache goes to --out/pycache (PYTHONPYCACHEPREFIX), never into src/.
CHILD_ENV: dict[str, str] | None = None


def child_env(out: Path, keep_env: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    env.pop("NEWSARCHIVE_STORE", None)
    env.pop("NEWSARCHIVE_DEBUG", None)
    env["NO_COLOR"] = "1"
    return env


# --------------------------------------------------------------------------------------
# machine
# --------------------------------------------------------------------------------------

def machine_info(out: Path) -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count()}
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        pass
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.*)$", cpu, re.M)
        info["cpu"] = m.group(1).strip() if m else platform.processor()
        m = re.search(r"^cpu MHz\s*:\s*(.*)$", cpu, re.M)
        info["cpu_mhz"] = m.group(1).strip() if m else None
    except OSError:
        info["cpu"] = platform.processor()
    try:
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"^MemTotal:\s*(\d+) kB", mem, re.M)
        info["ram_gb"] = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    except OSError:
        pass
    try:
        df = subprocess.run(["df", "-T", str(out)], capture_output=True, text=True).stdout
        dev, fstype = df.splitlines()[1].split()[:2]
        info["disk"] = f"{dev} ({fstype})"
        name = os.path.basename(dev)
        rot = Path(f"/sys/block/{name}/queue/rotational")
        if rot.exists():
            info["disk"] += ", rotational=" + rot.read_text().strip()
    except (OSError, IndexError, ValueError):
        pass
    info["os"] = platform.platform()
    info["loadavg_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    info["python"] = sys.version.split()[0]
    info["sqlite"] = sqlite3.sqlite_version
    for tool, argv in (("git", ["git", "--version"]), ("rg", ["rg", "--version"])):
        try:
            info[tool] = subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            info[tool] = None
    try:
        import newsarchive

        info["newsarchive"] = newsarchive.__version__
    except ImportError:
        info["newsarchive"] = None
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True).stdout.strip()
        info["commit"] = head + (" + uncommitted changes in src/" if dirty else "")
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------------------
# corpus
# --------------------------------------------------------------------------------------

def find_generator(arg: str | None) -> Path:
    for cand in ([Path(arg)] if arg else GEN_CANDIDATES):
        if cand.is_file():
            return cand
    raise SystemExit("gen_corpus.py not found; give --gen PATH")


def generate(n: int, dest: Path, gen: Path, fresh: bool) -> float:
    man = dest / "MANIFEST.tsv"
    if man.exists() and not fresh:
        with open(man) as f:
            if sum(1 for _ in f) == n:
                log(f"corpus: reusing {dest} (deterministic: same n, same corpus)")
                return 0.0
    if dest.exists():
        shutil.rmtree(dest)
    log(f"corpus: generating {n} articles into {dest}")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(gen), "--n", str(n), "--out", str(dest)], check=True)
    return time.perf_counter() - t0


def read_manifest(corpus: Path) -> list[tuple[str, str, str, int]]:
    rows = []
    with open(corpus / "MANIFEST.tsv", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                src, date, slug, nv, _ = line.rstrip("\n").split("\t")
                rows.append((src, date, slug, int(nv)))
    return rows


def split_file(raw: str) -> tuple[str, str, str]:
    """gen_corpus format: 'date D' line, headline, blank line, body -> (date, title, body)."""
    first, _, rest = raw.partition("\n")
    title, _, body = rest.partition("\n")
    if body.startswith("\n"):
        body = body[1:]
    date = first[5:15] if first.startswith("date ") else ""
    return date, title, body


def captured_at(date: str, slug: str, v: int) -> str:
    """A deterministic capture time: revision v is 2(v-1) hours after 06:MM on its date."""
    return f"{date}T{6 + 2 * (v - 1):02d}:{zlib.crc32(slug.encode()) % 60:02d}:00Z"


def convert(corpus: Path, work: Path) -> dict[str, Any]:
    """Write corpus.jsonl, the git fast-import stream, the latest texts as files, and
    collect what later steps need (revision pairs, the words of every article)."""
    manifest = read_manifest(corpus)
    jsonl = work / "corpus.jsonl"
    stream = work / "git-fast-import.stream"
    paths_list = work / "raw-paths.txt"
    latest_dir = work / "latest"
    if latest_dir.exists():
        shutil.rmtree(latest_dir)
    raw_bytes = text_bytes = revisions = 0
    pairs: list[tuple[str, str]] = []
    docs: list[tuple[str, str, str]] = []  # (article id, latest title+body, all revisions' words)
    mark = 0
    pending: list[tuple[int, str]] = []
    commits = 0
    t0 = time.perf_counter()
    with open(jsonl, "w", encoding="utf-8") as out, open(stream, "wb") as gs, \
            open(paths_list, "w", encoding="utf-8") as pl:

        def flush_commit() -> None:
            nonlocal mark, commits, pending
            if not pending:
                return
            mark += 1
            msg = f"batch {commits + 1}\n".encode()
            head = (f"commit refs/heads/main\nmark :{mark}\n"
                    f"committer bench <bench@example.org> {1700000000 + commits} +0000\n"
                    f"data {len(msg)}\n").encode() + msg
            gs.write(head)
            gs.write("".join(f"M 100644 :{m} {p}\n" for m, p in pending).encode())
            gs.write(b"\n")
            commits += 1
            pending = []

        for src, date, slug, nv in manifest:
            prev = None
            words_all: set[str] = set()
            latest = ""
            for v in range(1, nv + 1):
                path = corpus / src / date / f"{slug}.v{v}.txt"
                data = path.read_bytes()
                raw_bytes += len(data)
                pl.write(f"{path}\n")
                fdate, title, body = split_file(data.decode("utf-8"))
                text_bytes += len(body.encode("utf-8"))
                revisions += 1
                out.write(json.dumps({
                    "source": src, "date": fdate or date, "slug": slug, "title": title,
                    "captured_at": captured_at(date, slug, v), "text": body,
                }, ensure_ascii=False) + "\n")
                # git: one blob per revision, the same bytes as the corpus file
                mark += 1
                gs.write(f"blob\nmark :{mark}\ndata {len(data)}\n".encode() + data + b"\n")
                pending.append((mark, f"{src}/{date}/{slug}.txt"))
                if len(pending) >= GIT_BATCH:
                    flush_commit()
                if prev is not None:
                    pairs.append((prev, body))
                prev = body
                latest = f"{title}\n\n{body}"
                words_all.update(w.lower() for w in WORD_RE.findall(title + "\n" + body))
            d = latest_dir / src / date
            d.mkdir(parents=True, exist_ok=True)
            (d / f"{slug}.txt").write_text(latest, encoding="utf-8")
            docs.append((f"{src}/{date}/{slug}", latest, " ".join(sorted(words_all))))
        flush_commit()
        gs.write(b"done\n")
    log(f"convert: {revisions} revisions, {len(manifest)} articles in "
        f"{time.perf_counter() - t0:.1f}s")
    return {"jsonl": jsonl, "stream": stream, "paths": paths_list, "latest": latest_dir,
            "raw_bytes": raw_bytes, "text_bytes": text_bytes, "revisions": revisions,
            "articles": len(manifest), "pairs": pairs, "docs": docs,
            "jsonl_bytes": jsonl.stat().st_size}


# --------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------

WORD_RE = re.compile(r"[^\W\d_]+")


def pick_queries(docs: list[tuple[str, str, str]], seed: int) -> list[dict[str, Any]]:
    """~50 queries, deterministic for a corpus: 20 words unique to one article (in every
    revision), 5 very common and 10 mid-frequency words, 15 two- or three-word phrases."""
    df_all: Counter[str] = Counter()
    df_latest: Counter[str] = Counter()
    for _, latest, words_all in docs:
        df_all.update(words_all.split())
        df_latest.update({w.lower() for w in WORD_RE.findall(latest)})
    n = len(docs)
    def key(w: str) -> tuple[int, str]:
        return zlib.crc32(f"{seed}:{w}".encode()), w

    # words unique to one article (in every revision); a large corpus has too few, so the
    # rarest words fill up to 20 (their document frequency is in the results)
    rare = sorted((w for w, c in df_all.items() if df_latest[w] >= 1 and len(w) >= 6),
                  key=lambda w: (df_all[w], key(w)))[:20]
    ranked = sorted(df_latest, key=lambda w: (-df_latest[w], w))  # ties: alphabetical
    very_common = [ranked[i] for i in (0, 10, 20, 30, 40) if i < len(ranked)]
    mid = sorted((w for w, c in df_latest.items() if 0.005 * n <= c <= 0.05 * n and len(w) >= 4),
                 key=key)[:10]
    rng = random.Random(f"queries:{seed}")
    phrases: list[str] = []
    tries = 0
    while len(phrases) < 15 and tries < 10000:
        tries += 1
        _, latest, _ = docs[rng.randrange(n)]
        body = latest.split("\n\n", 1)[-1]
        toks = body.split(" ")
        k = rng.choice((2, 3))
        i = rng.randrange(max(1, len(toks) - k))
        cand = toks[i:i + k]
        if len(cand) == k and all(re.fullmatch(r"[A-Za-z]+", t) for t in cand):
            phrase = " ".join(cand)
            if phrase not in phrases:
                phrases.append(phrase)
    queries = ([{"kind": "unique" if df_all[w] == 1 else "rare", "q": w, "rg": w,
                 "df": df_all[w]} for w in rare]
               + [{"kind": "common", "q": w, "rg": w, "df": df_all[w]} for w in very_common]
               + [{"kind": "mid", "q": w, "rg": w, "df": df_all[w]} for w in mid]
               + [{"kind": "phrase", "q": f'"{p}"', "rg": p} for p in phrases])
    return queries


# --------------------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------------------

def bench_git(conv: dict[str, Any], work: Path, loose: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    repo = work / "git-fast-import"
    if repo.exists():
        shutil.rmtree(repo)
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    log("git fast-import ...")
    with open(conv["stream"], "rb") as f:
        r = run_timed(["git", "-C", str(repo), "fast-import", "--quiet"], stdin=f)
    packs = list((repo / "objects" / "pack").glob("*.pack"))
    idxs = list((repo / "objects" / "pack").glob("*.idx"))
    res["fast_import"] = {
        "seconds": r["wall"], "revs_per_s": conv["revisions"] / r["wall"], "rss_kb": r["rss_kb"],
        "pack_bytes": sum(p.stat().st_size for p in packs),
        "idx_bytes": sum(p.stat().st_size for p in idxs), "packs": len(packs),
    }
    log(f"git fast-import: {r['wall']:.1f}s, pack {mb(res['fast_import']['pack_bytes'])}")
    if loose:
        repo2 = work / "git-loose"
        if repo2.exists():
            shutil.rmtree(repo2)
        subprocess.run(["git", "init", "-q", str(repo2)], check=True)
        log("git hash-object -w (loose) ...")
        with open(conv["paths"], "rb") as f:
            r = run_timed(["git", "-C", str(repo2), "hash-object", "-w", "--stdin-paths"],
                          stdin=f)
        app, alloc, files = tree_size(repo2 / ".git" / "objects")
        res["loose"] = {"seconds": r["wall"], "revs_per_s": conv["revisions"] / r["wall"],
                        "apparent": app, "allocated": alloc, "files": files}
        log(f"git hash-object: {r['wall']:.1f}s, {mb(alloc)} on disk")
    return res


def bench_ingest(conv: dict[str, Any], store: Path, work: Path) -> dict[str, Any]:
    if store.exists():
        shutil.rmtree(store)
    log(f"newsarchive add {conv['jsonl'].name} ({conv['revisions']} revisions) ...")
    with open(work / "add.out", "wb") as out:
        r = run_timed([*newsarchive_cmd(), "--store", str(store), "add", "-q",
                       str(conv["jsonl"])], stdout=out)
    stored = catalog_counts(store)
    log(f"newsarchive add: {r['wall']:.1f}s, peak RSS {r['rss_kb'] / 1024:.0f} MB, "
        f"{stored.get('revisions')} revisions stored")
    return {"seconds": r["wall"], "revs_per_s": conv["revisions"] / r["wall"],
            "rss_kb": r["rss_kb"], "anon_kb": r["anon_kb"], "file_kb": r["file_kb"],
            "user": r["user"], "sys": r["sys"], **stored}


def catalog_counts(store: Path) -> dict[str, Any]:
    path = store / "catalog.sqlite"
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        out = {}
        for table in ("articles", "revisions", "docs", "edits"):
            try:
                out[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            except sqlite3.Error:
                pass
        return out
    finally:
        conn.close()


def bench_bytes(store: Path, conv: dict[str, Any], git: dict[str, Any]) -> dict[str, Any]:
    objects = [0, 0, 0]
    catalog = [0, 0, 0]
    other = [0, 0, 0]
    for entry in store.iterdir():
        a, b, c = tree_size(entry)
        target = (catalog if entry.name.startswith("catalog.sqlite")
                  else other if entry.name in ("format", "lock", "quarantine", ".format.tmp")
                  else objects)
        target[0] += a
        target[1] += b
        target[2] += c
    res: dict[str, Any] = {
        "objects_apparent": objects[0], "objects_allocated": objects[1], "object_files": objects[2],
        "catalog_apparent": catalog[0], "catalog_allocated": catalog[1],
        "total_apparent": objects[0] + catalog[0] + other[0],
        "total_allocated": objects[1] + catalog[1] + other[1],
        "raw_bytes": conv["raw_bytes"], "text_bytes": conv["text_bytes"],
    }
    # the catalog split by table: FTS index pages against the rest (needs SQLite's dbstat)
    path = store / "catalog.sqlite"
    if path.exists():
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
            res["catalog_tables"] = {name: size for name, size in rows}
            res["fts_bytes"] = sum(s for n, s in rows if "_fts" in n)
        except sqlite3.Error:
            pass
        finally:
            conn.close()
    if "fast_import" in git:
        res["git_pack"] = git["fast_import"]["pack_bytes"]
    if "loose" in git:
        res["git_loose"] = git["loose"]["allocated"]
    return res


def bench_search(store: Path, conv: dict[str, Any], queries: list[dict[str, Any]], runs: int,
                 do_cli: bool, do_rg: bool, profile_dir: Path | None) -> dict[str, Any]:
    import newsarchive

    res: dict[str, Any] = {"queries": []}
    archive = newsarchive.open(str(store))
    t0 = time.perf_counter()
    archive.search(queries[0]["q"])
    res["lib_first_query"] = time.perf_counter() - t0  # opens the catalog, imports
    lib_times, cli_times, rg_times = [], [], []
    agree = 0
    rg = shutil.which("rg")
    for q in queries:
        row: dict[str, Any] = dict(q)
        ts = []
        hits = []
        for _ in range(max(runs, 3)):
            t0 = time.perf_counter()
            hits = archive.search(q["q"])
            ts.append(time.perf_counter() - t0)
        row["lib"] = statistics.median(ts)
        row["hits"] = len(hits)
        lib_times.append(row["lib"])
        if do_cli:
            argv = [*newsarchive_cmd(), "--store", str(store), "search", q["q"]]
            wall_of(argv)  # warm the page cache
            row["cli"] = statistics.median(wall_of(argv) for _ in range(runs))
            cli_times.append(row["cli"])
        if do_rg and rg:
            argv = [rg, "-l", "-i", "-w", "-F", q["rg"], str(conv["latest"])]
            files = subprocess.run(argv, capture_output=True).stdout.count(b"\n")
            row["rg_files"] = files
            row["rg"] = statistics.median(wall_of(argv) for _ in range(runs))
            rg_times.append(row["rg"])
            agree += min(files, 20) == len(hits)
        res["queries"].append(row)
    archive.close()
    res["lib_p50"], res["lib_p95"] = pct(lib_times, 50), pct(lib_times, 95)
    by_kind: dict[str, list[float]] = {}
    for row in res["queries"]:
        by_kind.setdefault(row["kind"], []).append(row["lib"])
    res["lib_p50_by_kind"] = {k: pct(v, 50) for k, v in by_kind.items()}
    if cli_times:
        res["cli_p50"], res["cli_p95"] = pct(cli_times, 50), pct(cli_times, 95)
    if rg_times:
        res["rg_p50"], res["rg_p95"] = pct(rg_times, 50), pct(rg_times, 95)
        res["agree"] = f"{agree}/{len(rg_times)}"
    if profile_dir is not None:
        import cProfile
        import pstats

        archive = newsarchive.open(str(store))
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            for q in queries:
                archive.search(q["q"])
        prof.disable()
        archive.close()
        prof.dump_stats(str(profile_dir / "search.prof"))
        with open(profile_dir / "search-profile.txt", "w") as f:
            pstats.Stats(prof, stream=f).sort_stats("cumulative").print_stats(40)
            pstats.Stats(prof, stream=f).sort_stats("tottime").print_stats(25)
    return res


def bench_diff(pairs: list[tuple[str, str]], limit: int) -> dict[str, Any]:
    """diff_texts(a, b) per consecutive revision pair, with the engine's caches cleared
    before each pair (``bench_diff.timings`` when that helper is there)."""
    from newsarchive.diff import compare as diffing
    from newsarchive.text.canonical import canonicalize

    if limit and len(pairs) > limit:  # an even, deterministic sample
        step = len(pairs) / limit
        pairs = [pairs[int(i * step)] for i in range(limit)]
    pairs = [(canonicalize(a), canonicalize(b)) for a, b in pairs]  # as the store holds them
    diffing.diff_texts(*pairs[0])  # imports
    source = "benchmarks/bench_diff.py timings()"
    try:
        sys.path.insert(0, str(HERE))
        from bench_diff import timings

        times = [t / 1000 for t in timings(diffing.diff_texts, pairs)]
    except Exception:  # noqa: BLE001 - the helper is optional; measure inline
        source = "inline"
        times = []
        for a, b in pairs:
            for fn in (getattr(diffing, "_spans_cached", None), getattr(diffing, "_word_ops", None)):
                if fn is not None and hasattr(fn, "cache_clear"):
                    fn.cache_clear()
            t0 = time.perf_counter()
            diffing.diff_texts(a, b)
            times.append(time.perf_counter() - t0)
    finally:
        if sys.path and sys.path[0] == str(HERE):
            sys.path.pop(0)
    import importlib.util

    engine = ("fast_diff_match_patch" if importlib.util.find_spec("fast_diff_match_patch")
              else "diff_match_patch")
    return {"pairs": len(pairs), "median": statistics.median(times), "p95": pct(times, 95),
            "p99": pct(times, 99), "max": max(times), "mean": statistics.fmean(times),
            "timer": source, "engine": engine}


def bench_startup(store: Path, runs: int, has_store: bool) -> dict[str, Any]:
    """Median wall time of each command over ``runs`` rounds; the commands are interleaved
    round by round, so a burst of load from elsewhere hits every one of them alike."""
    cmd = newsarchive_cmd()
    nocache = dict(CHILD_ENV or os.environ)
    nocache.pop("PYTHONPYCACHEPREFIX", None)
    nocache["PYTHONDONTWRITEBYTECODE"] = "1"
    cases: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "python_pass": ([sys.executable, "-c", "pass"], None),
        "python_import_click": ([sys.executable, "-c", "import click"], None),
        "help": ([*cmd, "--help"], None),
    }
    if not any((REPO / "src" / "newsarchive").glob("__pycache__")):
        # no .pyc for newsarchive anywhere: every start compiles its modules from source
        cases["python_pass_no_pyc"] = ([sys.executable, "-c", "pass"], nocache)
        cases["help_no_pyc"] = ([*cmd, "--help"], nocache)
    # Without site (-S): no .pth file runs. Some sandboxes add one that imports certifi at
    # every start (~25 ms), which inflates the python -c pass baseline; this pair shows
    # the ratio without it (newsarchive and its dependencies found through PYTHONPATH).
    import sysconfig

    import newsarchive

    nosite = dict(CHILD_ENV or os.environ)
    nosite["PYTHONPATH"] = os.pathsep.join(
        [str(Path(newsarchive.__file__).resolve().parent.parent),
         sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    cases["python_pass_nosite"] = ([sys.executable, "-S", "-c", "pass"], nosite)
    cases["click_nosite"] = ([sys.executable, "-S", "-c", "import click"], nosite)
    cases["help_nosite"] = ([sys.executable, "-S", "-m", "newsarchive", "--help"], nosite)
    show_id = None
    if has_store:
        with newsarchive.open(str(store)) as archive:
            arts = archive.articles(changed=True, limit=1) or archive.articles(limit=1)
            show_id = arts[0].id if arts else None
        if show_id:
            cases["show"] = ([*cmd, "--store", str(store), "show", show_id], None)
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    for round_ in range(runs + 2):  # two warm-up rounds (they also compile the .pyc once)
        for key, (argv, env) in cases.items():
            wall, cpu = timed(argv, env=env)
            if round_ >= 2:
                times[key].append(wall)
                cpus[key].append(cpu)
    res: dict[str, Any] = {"runs": runs, "command": " ".join(cmd), "show_id": show_id}
    for key, ts in times.items():
        res[key] = statistics.median(ts)
        res[key + "_min"] = min(ts)
        res[key + "_cpu"] = statistics.median(cpus[key])
    res["imports_pass"] = importtime([sys.executable, "-X", "importtime", "-c", "pass"])
    res["imports_help"] = importtime([sys.executable, "-X", "importtime", "-m", "newsarchive",
                                      "--help"])
    if show_id:
        res["imports_show"] = importtime([sys.executable, "-X", "importtime", "-m",
                                          "newsarchive", "--store", str(store), "show", show_id])
    return res


HEAVY = ("trafilatura", "feedparser", "diff_match_patch", "fast_diff_match_patch", "dateutil",
         "sqlite3", "lxml", "urllib3", "zstandard", "newsarchive.diff.compare", "filelock",
         "platformdirs", "json", "zlib", "hashlib")


def importtime(argv: list[str]) -> dict[str, Any]:
    subprocess.run(argv, capture_output=True, env=CHILD_ENV)  # warm the .pyc cache
    err = subprocess.run(argv, capture_output=True, text=True, env=CHILD_ENV).stderr
    top: list[tuple[int, int, str]] = []
    present = set()
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        name = m.group(4)
        present.add(name)
        if not m.group(3).startswith("  "):  # top level: one space after the bar
            top.append((int(m.group(2)), int(m.group(1)), name))
    top.sort(reverse=True)
    return {"total_ms": sum(t[0] for t in top) / 1000,
            "top": [{"module": n, "cumulative_ms": c / 1000, "self_ms": s / 1000}
                    for c, s, n in top[:10]],
            "heavy_loaded": sorted(h for h in HEAVY if h in present)}


def bench_export(store: Path, work: Path, expected: int | None) -> dict[str, Any]:
    out_path = work / "export.jsonl"
    log("newsarchive export ...")
    with open(out_path, "wb") as out:
        r = run_timed([*newsarchive_cmd(), "--store", str(store), "export"], stdout=out)
    with open(out_path, "rb") as f:
        lines = sum(1 for _ in f)
    res = {"seconds": r["wall"], "rss_kb": r["rss_kb"], "anon_kb": r["anon_kb"],
           "file_kb": r["file_kb"], "lines": lines,
           "bytes": out_path.stat().st_size, "revs_per_s": lines / r["wall"] if r["wall"] else 0}
    if expected is not None:
        res["complete"] = lines == expected
    out_path.unlink()
    return res


def profile_ingest(conv: dict[str, Any], work: Path, profile_dir: Path,
                   limit: int) -> None:
    """cProfile of the CLI ingest over the first ``limit`` revisions (a fresh store)."""
    import pstats

    sample = work / "profile-sample.jsonl"
    with open(conv["jsonl"], "rb") as src, open(sample, "wb") as dst:
        for i, line in enumerate(src):
            if i >= limit:
                break
            dst.write(line)
    store = work / "profile-store"
    if store.exists():
        shutil.rmtree(store)
    prof = profile_dir / "ingest.prof"
    log(f"profiling ingest of {limit} revisions (cProfile) ...")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "newsarchive",
                    "--store", str(store), "add", "-q", str(sample)],
                   stdout=subprocess.DEVNULL, check=True, env=CHILD_ENV)
    with open(profile_dir / "ingest-profile.txt", "w") as f:
        pstats.Stats(str(prof), stream=f).sort_stats("cumulative").print_stats(50)
        pstats.Stats(str(prof), stream=f).sort_stats("tottime").print_stats(30)
    shutil.rmtree(store)
    sample.unlink()


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------

def verdict(value: float | None, target: float) -> str:
    if value is None or value != value:
        return "n/a"
    return "met" if value <= target else "NOT met"


def build_table(r: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = [["measure", "newsarchive", "reference", "ratio", "target", ""]]
    ing, git = r.get("ingest"), r.get("git", {})
    fi = git.get("fast_import")
    if ing:
        rows.append(["bulk add (CLI, JSONL) revisions/s", f"{ing['revs_per_s']:,.0f}",
                     f"git fast-import {fi['revs_per_s']:,.0f}" if fi else "-",
                     f"{ing['seconds'] / fi['seconds']:.1f}x time" if fi else "-",
                     "<= 1.0x", verdict(ing["seconds"] / fi["seconds"],
                                         TARGETS["ingest_time_ratio"]) if fi else "n/a"])
        rows.append(["  wall time", f"{ing['seconds']:,.1f} s",
                     f"{fi['seconds']:,.1f} s" if fi else "-", "", "", ""])
        if "loose" in git:
            lo = git["loose"]
            rows.append(["  vs git hash-object -w (loose)", f"{ing['revs_per_s']:,.0f}",
                         f"{lo['revs_per_s']:,.0f}/s", f"{ing['seconds'] / lo['seconds']:.1f}x time",
                         "", ""])
    b = r.get("bytes")
    if b:
        raw = b["raw_bytes"]
        pack = b.get("git_pack")
        rows.append(["objects on disk (allocated)", mb(b["objects_allocated"]),
                     f"git pack {mb(pack)}" if pack else "-",
                     f"{b['objects_allocated'] / pack:.2f}x pack" if pack else "-", "<= 0.7x",
                     verdict(b["objects_allocated"] / pack, TARGETS["objects_vs_pack"])
                     if pack else "n/a"])
        rows.append(["  objects, apparent size", mb(b["objects_apparent"]),
                     f"{b['object_files']:,} files", f"{b['objects_apparent'] / pack:.2f}x pack"
                     if pack else "-", "", ""])
        nrev = r["corpus"]["revisions"]
        rows.append(["  per input revision", f"{b['objects_allocated'] / nrev:,.0f} B",
                     f"{pack / nrev:,.0f} B" if pack else "-", "", "", ""])
        rows.append(["catalog.sqlite (+wal)", mb(b["catalog_allocated"]),
                     f"raw text {mb(raw)}", f"{b['catalog_allocated'] / raw:.2f}x raw", "", ""])
        if "fts_bytes" in b:
            rows.append(["  of which FTS5 indexes", mb(b["fts_bytes"]), "", "", "", ""])
        rows.append(["whole store", mb(b["total_allocated"]), f"raw text {mb(raw)}",
                     f"{b['total_allocated'] / raw:.2f}x raw", "<= 0.5x",
                     verdict(b["total_allocated"] / raw, TARGETS["store_vs_raw"])])
        if pack:
            rows.append(["  whole store vs git pack", mb(b["total_allocated"]), mb(pack),
                         f"{b['total_allocated'] / pack:.2f}x pack", "", ""])
        if "git_loose" in b:
            rows.append(["  vs git loose objects", mb(b["objects_allocated"]), mb(b["git_loose"]),
                         f"{b['objects_allocated'] / b['git_loose']:.2f}x", "", ""])
    s = r.get("search")
    if s:
        rows.append([f"library search p50 ({len(s['queries'])} queries)", ms(s["lib_p50"]), "",
                     "", "<= 3 ms", verdict(s["lib_p50"] * 1e3, TARGETS["lib_search_p50_ms"])])
        rows.append(["library search p95", ms(s["lib_p95"]), "", "", "", ""])
        for kind, v in s["lib_p50_by_kind"].items():
            rows.append([f"  p50, {kind} queries", ms(v), "", "", "", ""])
        if "cli_p50" in s:
            rg50 = s.get("rg_p50")
            rows.append(["CLI search p50", ms(s["cli_p50"]),
                         f"rg -l -i -w -F {ms(rg50)}" if rg50 else "-",
                         f"{s['cli_p50'] / rg50:.2f}x rg" if rg50 else "-", "<= 0.15x",
                         verdict(s["cli_p50"] / rg50, TARGETS["cli_search_vs_rg"])
                         if rg50 else "n/a"])
            rows.append(["CLI search p95", ms(s["cli_p95"]),
                         f"rg {ms(s['rg_p95'])}" if rg50 else "-",
                         f"{s['cli_p95'] / s['rg_p95']:.2f}x rg" if rg50 else "-", "", ""])
    d = r.get("diff")
    if d:
        rows.append([f"diff_texts per pair, median ({d['pairs']:,} pairs)", ms(d["median"]), "",
                     "", "<= 1 ms", verdict(d["median"] * 1e3, TARGETS["diff_median_ms"])])
        rows.append(["diff_texts per pair, p95", ms(d["p95"]), "", "", "<= 5 ms",
                     verdict(d["p95"] * 1e3, TARGETS["diff_p95_ms"])])
        rows.append(["  p99 / max", f"{ms(d['p99'])} / {ms(d['max'])}", "", "", "", ""])
    st = r.get("startup")
    if st:
        base = st["python_pass"]
        rows.append(["newsarchive --help", ms(st["help"]), f"python -c pass {ms(base)}",
                     f"{st['help'] / base:.1f}x", "<= 4x",
                     verdict(st["help"] / base, TARGETS["help_vs_python"])])
        rows.append(["  --help, CPU time (user+sys)", ms(st["help_cpu"]),
                     f"python -c pass {ms(st['python_pass_cpu'])}",
                     f"{st['help_cpu'] / st['python_pass_cpu']:.1f}x", "", ""])
        rows.append(["  --help, fastest run", ms(st["help_min"]),
                     f"python -c pass {ms(st['python_pass_min'])}",
                     f"{st['help_min'] / st['python_pass_min']:.1f}x", "", ""])
        if "help_nosite" in st:
            ratio = st["help_nosite"] / st["python_pass_nosite"]
            rows.append(["  --help, python -S (no .pth file runs)", ms(st["help_nosite"]),
                         f"python -S -c pass {ms(st['python_pass_nosite'])}",
                         f"{ratio:.1f}x", "<= 4x", verdict(ratio, TARGETS["help_vs_python"])])
            rows.append(["  python -S -c 'import click'", ms(st["click_nosite"]),
                         f"python -S -c pass {ms(st['python_pass_nosite'])}",
                         f"{st['click_nosite'] / st['python_pass_nosite']:.1f}x", "", ""])
        if "help_no_pyc" in st:
            rows.append(["  --help without .pyc cache", ms(st["help_no_pyc"]),
                         f"python -c pass {ms(st['python_pass_no_pyc'])}",
                         f"{st['help_no_pyc'] / st['python_pass_no_pyc']:.1f}x", "", ""])
        if "show" in st:
            rows.append(["newsarchive show ID", ms(st["show"]), f"python -c pass {ms(base)}",
                         f"{st['show'] / base:.1f}x", "", ""])
        rows.append(["  python -c 'import click'", ms(st["python_import_click"]), "",
                     f"{st['python_import_click'] / base:.1f}x", "", ""])
    if ing:
        rows.append(["peak RSS, add (ingest)", f"{ing['rss_kb'] / 1024:,.0f} MB",
                     f"fast-import {fi['rss_kb'] / 1024:,.0f} MB" if fi else "-", "",
                     "<= 200 MB", verdict(ing["rss_kb"] / 1024, TARGETS["peak_rss_mb"])])
        rows.append(["  sampled peak: anonymous / file-backed", f"{ing['anon_kb'] / 1024:,.0f} MB",
                     f"{ing['file_kb'] / 1024:,.0f} MB file-backed", "", "", ""])
    ex = r.get("export")
    if ex:
        rows.append(["peak RSS, export", f"{ex['rss_kb'] / 1024:,.0f} MB",
                     f"{ex['revs_per_s']:,.0f} revisions/s", "", "<= 200 MB",
                     verdict(ex["rss_kb"] / 1024, TARGETS["peak_rss_mb"])])
        rows.append(["  sampled peak: anonymous / file-backed", f"{ex['anon_kb'] / 1024:,.0f} MB",
                     f"{ex['file_kb'] / 1024:,.0f} MB file-backed", "", "", ""])
    return rows


def render_table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows[1:]]
        return "\n".join(out)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_details(r: dict[str, Any]) -> str:
    out = []
    m = r["machine"]
    out.append("machine: " + ", ".join(f"{k}={v}" for k, v in m.items()))
    c = r["corpus"]
    out.append(f"corpus: {c['articles']:,} articles, {c['revisions']:,} revisions, raw "
               f"{mb(c['raw_bytes'])} (article bodies {mb(c['text_bytes'])}; JSONL "
               f"{mb(c['jsonl_bytes'])})")
    if "ingest" in r:
        i = r["ingest"]
        out.append(f"store after add: {i.get('articles', '?'):,} articles, "
                   f"{i.get('revisions', '?'):,} revisions, {i.get('docs', '?'):,} indexed docs, "
                   f"{i.get('edits', '?'):,} edit passages; add user {i['user']:.1f}s sys "
                   f"{i['sys']:.1f}s")
    if "bytes" in r and "catalog_tables" in r["bytes"]:
        tables = sorted(r["bytes"]["catalog_tables"].items(), key=lambda kv: -kv[1])[:8]
        out.append("catalog pages by table: " + ", ".join(f"{n} {mb(s)}" for n, s in tables))
    if "search" in r:
        s = r["search"]
        out.append(f"search: first library query (open + imports) {ms(s['lib_first_query'])}; "
                   f"hit counts agree with rg (capped at 20) for {s.get('agree', 'n/a')} queries")
        for row in s["queries"]:
            out.append(f"  {row['kind']:7} {row['q']:32} df={row.get('df', '-'):>5} "
                       f"hits={row['hits']:>3} "
                       f"lib={ms(row['lib']):>9} "
                       + (f"cli={ms(row['cli']):>9} " if "cli" in row else "")
                       + (f"rg={ms(row['rg']):>9} files={row['rg_files']}" if "rg" in row else ""))
    if "startup" in r:
        for key in ("imports_pass", "imports_help", "imports_show"):
            if key in r["startup"]:
                it = r["startup"][key]
                out.append(f"{key}: {it['total_ms']:.0f} ms of imports; heavy modules loaded: "
                           f"{', '.join(it['heavy_loaded']) or 'none'}")
                for t in it["top"]:
                    out.append(f"  {t['cumulative_ms']:8.1f} ms  {t['module']}")
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--n", type=int, default=2000, help="articles to generate (default 2000)")
    src.add_argument("--corpus", type=Path, help="a corpus directory gen_corpus.py wrote")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "newsarchive-bench",
                    help="work and results directory (default: $TMPDIR/newsarchive-bench)")
    ap.add_argument("--gen", help="path of gen_corpus.py (default: ../shared/bench/)")
    ap.add_argument("--seed", type=int, default=1, help="query-picking seed (default 1)")
    ap.add_argument("--fresh", action="store_true", help="regenerate the corpus even if cached")
    ap.add_argument("--store", type=Path, help="measure this existing store; skip the ingest")
    ap.add_argument("--runs", type=int, default=3, help="repetitions per search query (3)")
    ap.add_argument("--startup-runs", type=int, default=20, help="runs per start-up median (20)")
    ap.add_argument("--diff-pairs", type=int, default=0,
                    help="cap on revision pairs diffed (0: all)")
    ap.add_argument("--loose", action="store_true",
                    help="also measure git hash-object -w into loose objects (slow)")
    ap.add_argument("--keep-env", action="store_true",
                    help="run children with the environment as is (default: bytecode caching "
                         "on, in --out/pycache, even if PYTHONDONTWRITEBYTECODE is set)")
    ap.add_argument("--profile", action="store_true",
                    help="write cProfile listings of ingest and search into --out")
    ap.add_argument("--profile-revisions", type=int, default=3000,
                    help="revisions in the profiled ingest (3000)")
    for part in ("ingest", "git", "search", "cli-search", "rg", "diff", "startup", "export"):
        ap.add_argument(f"--skip-{part}", action="store_true", help=f"skip the {part} part")
    args = ap.parse_args()

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    global CHILD_ENV
    CHILD_ENV = child_env(out, args.keep_env)
    if args.corpus:
        corpus = args.corpus.resolve()
        tag = corpus.name
        gen_s = 0.0
    else:
        corpus = out / f"corpus-{args.n}"
        tag = str(args.n)
        gen_s = generate(args.n, corpus, find_generator(args.gen), args.fresh)
    work = out / f"work-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    profile_dir = out / f"profile-{tag}" if args.profile else None
    if profile_dir:
        profile_dir.mkdir(exist_ok=True)

    t_start = time.perf_counter()
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "machine": machine_info(out), "argv": sys.argv[1:]}
    conv = convert(corpus, work)
    results["corpus"] = {k: conv[k] for k in ("articles", "revisions", "raw_bytes", "text_bytes",
                                               "jsonl_bytes")}
    results["corpus"]["generate_seconds"] = gen_s
    results["corpus"]["path"] = str(corpus)

    results["git"] = {} if args.skip_git else bench_git(conv, work, args.loose)

    store = args.store.resolve() if args.store else work / "store"
    if not args.store and not args.skip_ingest:
        results["ingest"] = bench_ingest(conv, store, work)
    has_store = (store / "catalog.sqlite").exists()
    if has_store:
        results["bytes"] = bench_bytes(store, conv, results["git"])
    if has_store and not args.skip_search:
        queries = pick_queries(conv["docs"], args.seed)
        log(f"search: {len(queries)} queries, library / CLI / rg ...")
        if not shutil.which("rg") and not args.skip_rg:
            log("rg not found (apt-get install -y ripgrep); skipping the rg comparison")
        results["search"] = bench_search(store, conv, queries, args.runs,
                                         not args.skip_cli_search, not args.skip_rg,
                                         profile_dir)
    if not args.skip_diff:
        log(f"diff: {len(conv['pairs'])} consecutive revision pairs ...")
        results["diff"] = bench_diff(conv["pairs"], args.diff_pairs)
    if not args.skip_startup:
        log("start-up ...")
        results["startup"] = bench_startup(store, args.startup_runs, has_store)
    if has_store and not args.skip_export:
        results["export"] = bench_export(store, work,
                                         results.get("ingest", {}).get("revisions"))
    if profile_dir is not None and not args.skip_ingest:
        profile_ingest(conv, work, profile_dir, args.profile_revisions)
    results["elapsed_seconds"] = time.perf_counter() - t_start
    results["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["machine"]["newsarchive_command"] = " ".join(newsarchive_cmd())

    rows = build_table(results)
    results["table"] = rows
    (out / f"results-{tag}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    md = (f"Corpus {conv['articles']:,} articles / {conv['revisions']:,} revisions "
          f"({mb(conv['raw_bytes'])}), run {results['started']}\n\n"
          + render_table(rows, markdown=True) + "\n\n```\n" + render_details(results) + "\n```\n")
    (out / f"results-{tag}.md").write_text(md)
    print()
    print(f"newsarchive benchmark: {conv['articles']:,} articles, {conv['revisions']:,} "
          f"revisions, {mb(conv['raw_bytes'])} raw; {results['elapsed_seconds']:.0f}s")
    print(render_table(rows, markdown=False))
    print()
    print(render_details(results))
    print(f"\nresults: {out / f'results-{tag}.json'} and {out / f'results-{tag}.md'}")


if __name__ == "__main__":
    main()

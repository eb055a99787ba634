#!/usr/bin/env python3
"""newsarchive performance benchmark: measured side by side with git and ripgrep, in one run.

Run by hand, never in CI (it takes minutes and writes hundreds of MB)::

    python benchmarks/run.py --n 2000                  # generate the corpus, measure everything
    python benchmarks/run.py --n 20000 --out /tmp/nb   # the issue's full-size corpus
    python benchmarks/run.py --corpus DIR              # a corpus gen_corpus.py wrote earlier
    python benchmarks/run.py --n 2000 --store S        # reuse an ingested store (no ingest)
    python benchmarks/run.py --compare results-20000.json results-100000.json

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
5. start-up: ``newsarchive --help`` against ``python -c pass`` and ``python -c "import
   click"`` (median of 20), and ``python -X importtime`` top imports;
6. reads (measured in the same interleaved rounds as start-up): the CLI's ``stats``,
   ``list --limit 20``, ``changes --limit 20``, ``log ID``, ``show ID``, and ``changes``
   and ``list`` filtered by the rarest kind the store holds (``--kind KIND``) on the store
   (median of 10), and ``--help`` against ``python -c "import click"``;
7. peak RSS of the ingest and of ``export`` (GNU time's max RSS of that child alone; plus
   a /proc sampler splitting anonymous memory from file-backed, i.e. mmapped packs);
8. maintenance, last (it rewrites the store): ``check``, ``reindex`` (and its time against
   the bulk ingest of the same run), ``gc``: wall time and peak RSS, against ``git fsck``
   and ``git fast-export`` of the fast-import repository.

Every part can be skipped (``--skip-PART``). ``--compare A.json B.json`` measures nothing:
it prints every figure of two results files side by side with the growth factor B/A.

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
PARTS = ("ingest", "git", "search", "cli-search", "rg", "diff", "startup", "reads", "export",
         "maintenance")  # each skippable: --skip-PART

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
    # issue 19
    "help_vs_click": 1.3,            # newsarchive --help / python -c "import click" <= 1.3
    "read_cmd_ms": 100.0,            # stats, list --limit 20, changes --limit 20 < 100 ms
    "reindex_vs_ingest": 2.0,        # reindex time / bulk ingest time <= 2
    "check_vs_fsck": 2.0,            # check time / git fsck time <= 2
    "maint_rss_mb": 200.0,           # check, reindex, gc, export peak RSS < 200 MB
}


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# Peak RSS must be read by a small process that forks the measured one: on Linux a child
# inherits its parent's RSS high-water mark at fork and keeps it across exec, so wait4()
# from this (large) process would report at least our own size. GNU time does it right;
# else a tiny Python helper reports RUSAGE_CHILDREN (a floor of its own ~10 MB). Every
# peak RSS in this file comes from run_timed(), which uses one or the other.
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


def secs(s: float) -> str:
    """A duration: milliseconds under a second, else seconds."""
    return f"{s * 1e3:,.1f} ms" if s < 1 else f"{s:,.1f} s"


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


READ_COMMANDS = {  # reads part: key -> arguments after ``--store S`` ({id}: an article)
    "stats": ["stats"],
    "list": ["list", "--limit", "20"],
    "changes": ["changes", "--limit", "20"],
    "log": ["log", "{id}"],
    "show": ["show", "{id}"],
    "changes_kind": ["changes", "--limit", "20", "--kind", "{kind}"],
    "list_kind": ["list", "--limit", "20", "--kind", "{kind}"],
}


def rarest_kind(store: Path) -> str:
    """The kind the fewest revisions of the store have (at least one): the one a filter
    would have to look furthest for without an index."""
    from newsarchive.model import KINDS
    from newsarchive.store.filters import kind_condition

    conn = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        counts = {k: conn.execute("SELECT count(*) FROM revisions WHERE "
                                  + kind_condition("kind", k)).fetchone()[0] for k in KINDS}
    finally:
        conn.close()
    held = {k: n for k, n in counts.items() if n}
    return min(held, key=lambda k: (held[k], k)) if held else KINDS[0]


def bench_startup(store: Path, runs: int, has_store: bool, *, startup: bool = True,
                  reads: bool = False, reads_runs: int = 10
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The start-up and reads parts, measured together: median wall time of each command,
    the commands interleaved round by round, so a burst of load from elsewhere hits every
    one of them alike. Start-up: ``python -c pass``, ``import click``, ``--help`` (also
    with ``python -S`` and without .pyc) over ``runs`` rounds, then ``-X importtime``.
    Reads: the read commands of READ_COMMANDS on the store over ``reads_runs`` rounds,
    with ``--help`` and ``import click`` (shared with start-up when both run).
    Returns (start-up results, reads results); a part not run gives {}."""
    import sysconfig

    import newsarchive

    cmd = newsarchive_cmd()
    shared_runs = max(runs if startup else 0, reads_runs if reads else 0)
    # key -> (argv, env or None, rounds)
    cases: dict[str, tuple[list[str], dict[str, str] | None, int]] = {
        "python_import_click": ([sys.executable, "-c", "import click"], None, shared_runs),
        "help": ([*cmd, "--help"], None, shared_runs),
    }
    if startup:
        cases["python_pass"] = ([sys.executable, "-c", "pass"], None, runs)
        nocache = dict(CHILD_ENV or os.environ)
        nocache.pop("PYTHONPYCACHEPREFIX", None)
        nocache["PYTHONDONTWRITEBYTECODE"] = "1"
        if not any((REPO / "src" / "newsarchive").glob("__pycache__")):
            # no .pyc for newsarchive anywhere: every start compiles its modules from source
            cases["python_pass_no_pyc"] = ([sys.executable, "-c", "pass"], nocache, runs)
            cases["help_no_pyc"] = ([*cmd, "--help"], nocache, runs)
        # Without site (-S): no .pth file runs. Some sandboxes add one that imports certifi
        # at every start (~25 ms), which inflates the python -c pass baseline; this pair
        # shows the ratio without it (newsarchive and its dependencies found through
        # PYTHONPATH).
        nosite = dict(CHILD_ENV or os.environ)
        nosite["PYTHONPATH"] = os.pathsep.join(
            [str(Path(newsarchive.__file__).resolve().parent.parent),
             sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        cases["python_pass_nosite"] = ([sys.executable, "-S", "-c", "pass"], nosite, runs)
        cases["click_nosite"] = ([sys.executable, "-S", "-c", "import click"], nosite, runs)
        cases["help_nosite"] = ([sys.executable, "-S", "-m", "newsarchive", "--help"], nosite,
                                runs)
    show_id = None
    if has_store:
        with newsarchive.open(str(store)) as archive:
            arts = archive.articles(changed=True, limit=1) or archive.articles(limit=1)
            show_id = arts[0].id if arts else None
    kind = rarest_kind(store) if has_store and reads else ""
    read_errors: dict[str, str] = {}
    if reads and has_store:
        for key, args in READ_COMMANDS.items():
            if show_id is None and "{id}" in args:
                continue
            argv = [*cmd, "--store", str(store), *(a.replace("{id}", show_id or "")
                                                  .replace("{kind}", kind) for a in args)]
            # one checked run first (it also warms the page cache): a failing command is
            # reported, not timed
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=CHILD_ENV, text=True)
            if done.returncode != 0:
                read_errors[key] = f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
                continue
            cases[key] = (argv, None, reads_runs)
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpus: dict[str, list[float]] = {k: [] for k in cases}
    for round_ in range(max(c[2] for c in cases.values()) + 2):
        # two warm-up rounds (they also compile the .pyc once)
        for key, (argv, env, n) in cases.items():
            if round_ >= n + 2:
                continue
            wall, cpu = timed(argv, env=env)
            if round_ >= 2:
                times[key].append(wall)
                cpus[key].append(cpu)
    figures: dict[str, float] = {}
    for key, ts in times.items():
        figures[key] = statistics.median(ts)
        figures[key + "_min"] = min(ts)
        figures[key + "_cpu"] = statistics.median(cpus[key])
    st: dict[str, Any] = {}
    if startup:
        st = {"runs": runs, "command": " ".join(cmd)}
        for key in times:
            if key not in READ_COMMANDS:
                for suffix in ("", "_min", "_cpu"):
                    st[key + suffix] = figures[key + suffix]
        st["imports_pass"] = importtime([sys.executable, "-X", "importtime", "-c", "pass"])
        st["imports_help"] = importtime([sys.executable, "-X", "importtime", "-m",
                                         "newsarchive", "--help"])
        if show_id:
            st["imports_show"] = importtime([sys.executable, "-X", "importtime", "-m",
                                             "newsarchive", "--store", str(store), "show",
                                             show_id])
    rd: dict[str, Any] = {}
    if reads:
        rd = {"runs": reads_runs, "id": show_id, "kind": kind, "errors": read_errors,
              "commands": {k: " ".join(v).replace("{id}", "ID").replace("{kind}", kind)
                           for k, v in READ_COMMANDS.items()}}
        for key in ("help", "python_import_click", *READ_COMMANDS):
            for suffix in ("", "_min", "_cpu"):
                if key + suffix in figures:
                    rd[key + suffix] = figures[key + suffix]
        rd["help_vs_click"] = figures["help"] / figures["python_import_click"]
        if "help_nosite" in figures:
            rd["help_vs_click_nosite"] = figures["help_nosite"] / figures["click_nosite"]
    return st, rd


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


def bench_maintenance(store: Path, work: Path, ingest: dict[str, Any] | None,
                      git_repo: Path | None) -> dict[str, Any]:
    """check, reindex and gc of the store (wall time, CPU, the child's own peak RSS), against
    git fsck and git fast-export of the fast-import repository of the same texts. Runs
    last: reindex rebuilds the catalog and gc repacks and vacuums (the content is kept)."""
    cmd = [*newsarchive_cmd(), "--store", str(store)]
    res: dict[str, Any] = {}

    def measure(name: str, argv: list[str], out_path: Path | None = None) -> dict[str, Any]:
        log(f"{name} ...")
        if out_path is None:
            r = run_timed(argv, check=False)
        else:
            with open(out_path, "wb") as out:
                r = run_timed(argv, stdout=out, check=False)
        row = {"seconds": r["wall"], "rss_kb": r["rss_kb"], "anon_kb": r["anon_kb"],
               "file_kb": r["file_kb"], "user": r["user"], "sys": r["sys"], "rc": r["rc"]}
        if r["rc"] != 0:
            row["error"] = r["stderr"].strip()[-800:]
        log(f"{name}: {r['wall']:.1f}s, peak RSS {r['rss_kb'] / 1024:.0f} MB, exit {r['rc']}")
        res[name] = row
        return row

    before = catalog_counts(store)
    measure("check", [*cmd, "check", "-q"])
    if git_repo is not None:
        measure("git_fsck", ["git", "-C", str(git_repo), "fsck", "--no-progress"])
    row = measure("reindex", [*cmd, "reindex"])
    after = catalog_counts(store)
    row["counts_before"], row["counts_after"] = before, after
    row["counts_kept"] = before == after  # a sanity check: the same catalog again
    if ingest and ingest.get("seconds"):
        row["ingest_seconds"] = ingest["seconds"]
        row["reindex_vs_ingest"] = row["seconds"] / ingest["seconds"]
    size_before = tree_size(store)[1]
    gc_out = work / "gc.json"
    row = measure("gc", [*cmd, "gc", "--json"], gc_out)
    row["bytes_before"], row["bytes_after"] = size_before, tree_size(store)[1]
    try:
        row["output"] = json.loads(gc_out.read_text())
    except (OSError, ValueError):
        pass
    gc_out.unlink(missing_ok=True)
    if git_repo is not None:
        stream = work / "git-fast-export.stream"
        row = measure("git_fast_export", ["git", "-C", str(git_repo), "fast-export", "--all"],
                      stream)
        row["bytes"] = stream.stat().st_size
        stream.unlink()
        if res.get("git_fsck", {}).get("rc") == 0 and res["check"]["rc"] == 0:
            res["check"]["check_vs_fsck"] = res["check"]["seconds"] / res["git_fsck"]["seconds"]
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
    rd = r.get("reads")
    if rd:
        click = rd["python_import_click"]
        rows.append(["newsarchive --help vs import click", ms(rd["help"]),
                     f"python -c 'import click' {ms(click)}", f"{rd['help_vs_click']:.2f}x",
                     "<= 1.3x", verdict(rd["help_vs_click"], TARGETS["help_vs_click"])])
        if "help_vs_click_nosite" in rd and st:
            rows.append(["  --help, python -S (no .pth file runs)", ms(st["help_nosite"]),
                         f"python -S -c 'import click' {ms(st['click_nosite'])}",
                         f"{rd['help_vs_click_nosite']:.2f}x", "<= 1.3x",
                         verdict(rd["help_vs_click_nosite"], TARGETS["help_vs_click"])])
        for key, label in (("stats", "stats"), ("list", "list --limit 20"),
                           ("changes", "changes --limit 20"), ("log", "log ID"),
                           ("show", "show ID"),
                           ("changes_kind", f"changes --limit 20 --kind {rd.get('kind')}"),
                           ("list_kind", f"list --limit 20 --kind {rd.get('kind')}")):
            if key in rd:
                limited = key in ("stats", "list", "changes")
                rows.append([f"{label} (CLI, median of {rd['runs']})", ms(rd[key]),
                             f"python -c 'import click' {ms(click)}",
                             f"{rd[key] / click:.1f}x", "< 100 ms" if limited else "",
                             verdict(rd[key] * 1e3, TARGETS["read_cmd_ms"]) if limited else ""])
            elif key in rd.get("errors", {}):
                rows.append([f"{label} (CLI)", "failed", rd["errors"][key][:60], "", "", ""])
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
    rows += maintenance_rows(r)
    return rows


def maintenance_rows(r: dict[str, Any]) -> list[list[str]]:
    mt = r.get("maintenance")
    if not mt:
        return []
    rows: list[list[str]] = []
    rss_target = TARGETS["maint_rss_mb"]

    def mb_kb(kb: float) -> str:
        return f"{kb / 1024:,.0f} MB"

    def failed(row: dict[str, Any]) -> str:
        return f"exit {row['rc']}" if row.get("rc") else ""

    fsck, fexp = mt.get("git_fsck"), mt.get("git_fast_export")
    ck = mt.get("check")
    if ck:
        ratio = ck.get("check_vs_fsck")
        rows.append(["check", secs(ck["seconds"]) + (f" ({failed(ck)})" if ck.get("rc") else ""),
                     f"git fsck {secs(fsck['seconds'])}" if fsck else "-",
                     f"{ratio:.1f}x time" if ratio else "-", "<= 2x",
                     verdict(ratio, TARGETS["check_vs_fsck"]) if ratio else "n/a"])
        rows.append(["  check, peak RSS", mb_kb(ck["rss_kb"]),
                     f"git fsck {mb_kb(fsck['rss_kb'])}" if fsck else "-", "", "< 200 MB",
                     verdict(ck["rss_kb"] / 1024, rss_target)])
    ri = mt.get("reindex")
    if ri:
        ratio = ri.get("reindex_vs_ingest")
        rows.append(["reindex", secs(ri["seconds"]) + (f" ({failed(ri)})" if ri.get("rc") else ""),
                     f"bulk add {secs(ri['ingest_seconds'])}" if ratio else "-",
                     f"{ratio:.1f}x ingest" if ratio else "-", "<= 2x",
                     verdict(ratio, TARGETS["reindex_vs_ingest"]) if ratio else "n/a"])
        rows.append(["  reindex, peak RSS", mb_kb(ri["rss_kb"]), "", "", "< 200 MB",
                     verdict(ri["rss_kb"] / 1024, rss_target)])
        if not ri.get("counts_kept", True):
            rows.append(["  catalog counts changed!", str(ri["counts_after"]),
                         str(ri["counts_before"]), "", "", ""])
    g = mt.get("gc")
    if g:
        rows.append(["gc", secs(g["seconds"]) + (f" ({failed(g)})" if g.get("rc") else ""),
                     f"store {mb(g['bytes_before'])} -> {mb(g['bytes_after'])}", "", "", ""])
        rows.append(["  gc, peak RSS", mb_kb(g["rss_kb"]), "", "", "< 200 MB",
                     verdict(g["rss_kb"] / 1024, rss_target)])
    if fexp:
        ex = r.get("export")
        rows.append(["export (export part) vs git fast-export",
                     secs(ex["seconds"]) if ex else "-", f"git fast-export {secs(fexp['seconds'])}",
                     f"{ex['seconds'] / fexp['seconds']:.1f}x time" if ex else "-", "", ""])
        rows.append(["  peak RSS: export / git fast-export", mb_kb(ex["rss_kb"]) if ex else "-",
                     mb_kb(fexp["rss_kb"]), "", "", ""])
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
        def n(key: str) -> str:  # a count the catalog may not have (docs: schema 1-2)
            v = i.get(key)
            return f"{v:,}" if isinstance(v, int) else "?"

        out.append(f"store after add: {n('articles')} articles, {n('revisions')} revisions, "
                   f"{n('docs')} indexed docs, {n('edits')} edit passages; add user "
                   f"{i['user']:.1f}s sys {i['sys']:.1f}s")
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
                       + (f"rg={ms(row['rg']):>9} files={row['rg_files']}" if "rg_files" in row else ""))
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
# compare two runs
# --------------------------------------------------------------------------------------

NOT_FIGURES = {"machine", "argv", "table", "skipped", "started"}


def figures(r: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of a results file, by dotted key (lists such as the per-query rows,
    strings and flags left out: they are details, not figures that grow)."""
    out: dict[str, float] = {}
    for key, value in r.items():
        if (not prefix and key in NOT_FIGURES) or key in ("runs", "rc"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(figures(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) \
                and value == value:  # NaN left out
            out[name] = value
    return out


def derived_ratios(r: dict[str, Any]) -> dict[str, float]:
    """The same-run ratios the targets are judged on, from the figures of a results file
    (so files written before a ratio was recorded get it too); a ratio whose figures the
    file lacks (a part skipped) is left out."""
    from collections.abc import Callable

    out: dict[str, float] = {}
    git, mt = r.get("git", {}), r.get("maintenance", {})
    ing, b, s = r.get("ingest", {}), r.get("bytes", {}), r.get("search", {})
    st, rd, ex = r.get("startup", {}), r.get("reads", {}), r.get("export", {})

    def put(name: str, ratio: Callable[[], float]) -> None:
        try:
            out[name] = ratio()
        except (KeyError, TypeError, ZeroDivisionError):
            pass

    put("ingest_vs_fast_import", lambda: ing["seconds"] / git["fast_import"]["seconds"])
    put("objects_vs_pack", lambda: b["objects_allocated"] / b["git_pack"])
    put("store_vs_raw", lambda: b["total_allocated"] / b["raw_bytes"])
    put("cli_search_vs_rg", lambda: s["cli_p50"] / s["rg_p50"])
    put("help_vs_python", lambda: st["help"] / st["python_pass"])
    put("help_vs_click", lambda: st["help"] / st["python_import_click"])
    if "help_vs_click" not in out:
        put("help_vs_click", lambda: rd["help"] / rd["python_import_click"])
    put("help_vs_python_nosite", lambda: st["help_nosite"] / st["python_pass_nosite"])
    put("help_vs_click_nosite", lambda: st["help_nosite"] / st["click_nosite"])
    put("check_vs_fsck", lambda: mt["check"]["seconds"] / mt["git_fsck"]["seconds"])
    put("reindex_vs_ingest", lambda: mt["reindex"]["seconds"] / ing["seconds"])
    put("export_vs_fast_export", lambda: ex["seconds"] / mt["git_fast_export"]["seconds"])
    return out


def show_figure(key: str, value: float) -> str:
    """A figure with its unit, guessed from its key as this file names them."""
    leaf = key.rsplit(".", 1)[-1]
    if leaf.endswith("_kb"):
        return f"{value / 1024:,.1f} MB"
    if "_vs_" in leaf:
        return f"{value:,.2f}x"
    if leaf.endswith("per_s"):
        return f"{value:,.0f}/s"
    if "bytes" in leaf or key.startswith("bytes.") and not leaf.endswith("files"):
        return mb(value) if value >= 1e6 else f"{value / 1e3:,.1f} kB"
    if isinstance(value, int):
        return f"{value:,}"
    return secs(value)  # every other float is seconds


def compare(path_a: Path, path_b: Path) -> str:
    """A Markdown table of every figure of two results files with the growth factor B/A."""
    a, b = (json.loads(Path(p).read_text()) for p in (path_a, path_b))

    def label(r: dict[str, Any], path: Path) -> str:
        c = r.get("corpus", {})
        return f"{c['articles']:,} articles" if "articles" in c else path.name

    la, lb = label(a, path_a), label(b, path_b)
    if la == lb:
        la, lb = f"A: {la}", f"B: {lb}"
    fa, fb = (figures({**r, "ratios": derived_ratios(r)}) for r in (a, b))
    rows = [["figure", la, lb, "B/A"]]
    for key in [*fa, *(k for k in fb if k not in fa)]:
        va, vb = fa.get(key), fb.get(key)
        growth = f"{vb / va:,.2f}x" if va and vb is not None else "-"
        rows.append([key, show_figure(key, va) if va is not None else "-",
                     show_figure(key, vb) if vb is not None else "-", growth])
    head = []
    for tag, r, path in (("A", a, path_a), ("B", b, path_b)):
        c, m = r.get("corpus", {}), r.get("machine", {})
        head.append(f"{tag}: {path} ({c.get('articles', 0):,} articles, "
                    f"{c.get('revisions', 0):,} revisions, {mb(c.get('raw_bytes', 0))} raw; "
                    f"run {r.get('started', '?')}, commit {m.get('commit', '?')}, load "
                    f"{m.get('loadavg_start', '?')} to {m.get('loadavg_end', '?')}; "
                    f"parts skipped: {', '.join(r.get('skipped', [])) or 'none'})")
    return "\n".join(head) + "\n\n" + render_table(rows, markdown=True)


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
    ap.add_argument("--reads-runs", type=int, default=10,
                    help="runs per read command median (10)")
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
    for part in PARTS:
        ap.add_argument(f"--skip-{part}", action="store_true", help=f"skip the {part} part")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"),
                    help="measure nothing: print every figure of two results files side by "
                         "side with the growth factor B/A (Markdown)")
    args = ap.parse_args()
    if args.compare:
        print(compare(*args.compare))
        return

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
                               "machine": machine_info(out), "argv": sys.argv[1:],
                               "skipped": [p for p in PARTS
                                           if getattr(args, "skip_" + p.replace("-", "_"))]}
    if args.store:
        results["skipped"].insert(0, "ingest (--store)")
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
    do_reads = not args.skip_reads
    if not args.skip_startup or do_reads:
        log("start-up and reads ..." if do_reads else "start-up ...")
        startup, reads = bench_startup(store, args.startup_runs, has_store,
                                       startup=not args.skip_startup, reads=do_reads,
                                       reads_runs=args.reads_runs)
        if startup:
            results["startup"] = startup
        if reads:
            results["reads"] = reads
    if has_store and not args.skip_export:
        results["export"] = bench_export(store, work,
                                         results.get("ingest", {}).get("revisions"))
    if has_store and not args.skip_maintenance:  # last: reindex and gc rewrite the store
        git_repo = work / "git-fast-import"
        results["maintenance"] = bench_maintenance(
            store, work, results.get("ingest"),
            git_repo if (git_repo / "objects").is_dir() else None)
    if profile_dir is not None and not args.skip_ingest:
        profile_ingest(conv, work, profile_dir, args.profile_revisions)
    results["elapsed_seconds"] = time.perf_counter() - t_start
    results["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["machine"]["newsarchive_command"] = " ".join(newsarchive_cmd())

    results["ratios"] = derived_ratios(results)
    rows = build_table(results)
    results["table"] = rows
    (out / f"results-{tag}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    skipped = ", ".join(results["skipped"]) or "none"
    md = (f"Corpus {conv['articles']:,} articles / {conv['revisions']:,} revisions "
          f"({mb(conv['raw_bytes'])}), run {results['started']}; parts skipped: {skipped}\n\n"
          + render_table(rows, markdown=True) + "\n\n```\n" + render_details(results) + "\n```\n")
    (out / f"results-{tag}.md").write_text(md)
    print()
    print(f"newsarchive benchmark: {conv['articles']:,} articles, {conv['revisions']:,} "
          f"revisions, {mb(conv['raw_bytes'])} raw; {results['elapsed_seconds']:.0f}s; "
          f"parts skipped: {skipped}")
    print(render_table(rows, markdown=False))
    print()
    print(render_details(results))
    print(f"\nresults: {out / f'results-{tag}.json'} and {out / f'results-{tag}.md'}")


if __name__ == "__main__":
    main()

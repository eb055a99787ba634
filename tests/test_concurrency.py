"""Concurrent processes on one store (SPEC 8, issue 6): writers wait for each other and
lose, duplicate or misnumber nothing; readers running meanwhile never fail; a gc running
meanwhile removes nothing that a writer reported.

(Lock timeout, exit 3, and a killed lock holder are covered in test_store.py.)
"""

from __future__ import annotations

import pytest

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import CliRun

pytestmark = pytest.mark.slow  # crash/concurrency/disk: run by CI, not the inner loop

WRITERS = 4
ARTICLES = 60  # distinct articles per writer
SHARED_REVISIONS = 5  # revisions of the shared article per writer
# Each writer runs one add per shared revision; the first is a bulk add (>= 16 inputs, one
# pack), the others are small batches (loose objects).
CHUNKS = [20, 10, 10, 10, 10]
SHARED_ID = "shared/2024-02-02/shared-story"
# Capture times come from the files' modification times: the writers' versions of the
# shared story are captured at one time, after the first, so that their order is the order
# the writers commit in (a tie in capture time keeps commit order; docs/storage.md).
SHARED_TIME = 1_706_875_200  # 2024-02-02T12:00:00Z
assert sum(CHUNKS) == ARTICLES and len(CHUNKS) == SHARED_REVISIONS


def article(path: Path, source: str, slug: str, body: str, title: str) -> None:
    path.write_text(f"source: {source}\ndate: 2024-02-02\ntitle: {title}\nslug: {slug}\n\n"
                    f"{body}\n", "utf-8")


def run(store: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store), *args],
                          input=input, capture_output=True, check=False, timeout=300)


def make_inputs(root: Path) -> list[list[Path]]:
    """Per writer, the input directory of each of its adds."""
    plan = []
    for w in range(WRITERS):
        dirs = []
        n = 0
        for k, size in enumerate(CHUNKS):
            d = root / f"w{w}" / f"add{k}"
            d.mkdir(parents=True)
            for _ in range(size):
                slug = f"w{w}-story-{n:02d}"
                article(d / f"{slug}.txt", f"writer{w}", slug,
                        f"Writer {w} files story number {n}. It is about topic {n * 7 % 13}.",
                        f"Writer {w} story {n}")
                n += 1
            shared = d / "zz-shared.txt"
            article(shared, "shared", "shared-story",
                    f"The shared story as writer {w} saw it, take {k}. Nobody else wrote this.",
                    "The shared story")
            os.utime(shared, (SHARED_TIME, SHARED_TIME))  # one capture time: commit order
            dirs.append(d)
        plan.append(dirs)
    return plan


class Writer(threading.Thread):
    def __init__(self, store: Path, dirs: list[Path]) -> None:
        super().__init__()
        self.store, self.dirs = store, dirs
        self.codes: list[int] = []
        self.errors: list[bytes] = []
        self.lines: list[dict] = []

    def run(self) -> None:
        for d in self.dirs:
            r = run(self.store, "--wait", "120", "add", str(d), "--json")
            self.codes.append(r.returncode)
            if r.stderr:
                self.errors.append(r.stderr)
            self.lines += [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


class Looper(threading.Thread):
    """Runs :meth:`round` until told to stop; counts rounds, records every failure."""

    def __init__(self, store: Path, stop: threading.Event) -> None:
        super().__init__()
        self.store, self.stop = store, stop
        self.failures: list[str] = []
        self.rounds = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.round()
            self.rounds += 1

    def round(self) -> None:
        raise NotImplementedError


class Reader(Looper):
    """Runs list, show, search and log, checking what each one saw."""

    def round(self) -> None:
        for args in (("list", "--json"), ("show", "shared-story", "--json"),
                     ("search", "story", "--json"), ("log", "shared-story", "--json")):
            r = run(self.store, *args)
            if r.returncode != 0 or r.stderr:
                self.failures.append(f"{args}: exit {r.returncode}: {r.stderr[-300:]!r}")
                continue
            try:
                out = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
            except ValueError as err:
                self.failures.append(f"{args}: bad JSON ({err})")
                continue
            if args[0] == "show":
                (shown,) = out
                if hashlib.sha256(shown["text"].encode()).hexdigest() != shown["hash"]:
                    self.failures.append("show served a text that does not match its hash")
            if args[0] == "log":
                numbers = [rec["revision"] for rec in out]
                if numbers != list(range(len(numbers), 0, -1)):
                    self.failures.append(f"log saw a gap or duplicate: {numbers}")
            if args[0] == "list" and not out:
                self.failures.append("list saw no articles")


class Collector(Looper):
    """Runs ``gc --grace 0``."""

    def round(self) -> None:
        r = run(self.store, "--wait", "120", "gc", "--grace", "0", "--json")
        if r.returncode != 0:
            self.failures.append(f"gc: exit {r.returncode}: {r.stderr[-300:]!r}")
        time.sleep(0.05)


def start_shared(store: Path, tmp_path: Path) -> dict:
    first = tmp_path / "shared-1.txt"
    article(first, "shared", "shared-story", "The shared story as first told.", "The shared story")
    os.utime(first, (SHARED_TIME - 3600, SHARED_TIME - 3600))
    r = run(store, "add", str(first), "--json")
    assert r.returncode == 0, r.stderr
    (rec,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert (rec["id"], rec["revision"], rec["status"]) == (SHARED_ID, 1, "added")
    return rec


def verify(store: Path, cli: CliRun, writers: list[Writer], first: dict) -> None:
    for w in writers:
        assert w.codes == [0] * SHARED_REVISIONS, w.errors
        assert w.errors == []
        assert len(w.lines) == ARTICLES + SHARED_REVISIONS
        assert all(rec["status"] in ("added", "revised") for rec in w.lines)

    # every article present, exactly once, with the revision its writer was told
    listing = [json.loads(line) for line in cli("list", "--json").stdout.splitlines()]
    ids = [a["id"] for a in listing]
    assert len(ids) == len(set(ids)) == WRITERS * ARTICLES + 1
    stored = {}
    for line in cli("export").stdout.splitlines():
        rec = json.loads(line)
        stored[(rec["id"], rec["revision"])] = rec["hash"]
    for w in writers:
        for rec in w.lines:
            assert stored.get((rec["id"], rec["revision"])) == rec["hash"], rec["id"]
    for w in range(WRITERS):
        for n in range(ARTICLES):
            assert (f"writer{w}/2024-02-02/w{w}-story-{n:02d}", 1) in stored

    # the shared article: 1..21, no gap, no duplicate, each writer's texts all there
    log = [json.loads(line) for line in cli("log", SHARED_ID, "--json").stdout.splitlines()]
    numbers = sorted(rec["revision"] for rec in log)
    assert numbers == list(range(1, WRITERS * SHARED_REVISIONS + 2))
    by_number = {rec["revision"]: rec["hash"] for rec in log}
    assert by_number[1] == first["hash"]
    reported_shared = [rec for w in writers for rec in w.lines if rec["id"] == SHARED_ID]
    assert sorted(rec["revision"] for rec in reported_shared) == numbers[1:]
    for rec in reported_shared:
        assert by_number[rec["revision"]] == rec["hash"]
    assert len(set(by_number.values())) == len(by_number)  # 21 distinct texts
    for w in writers:  # a writer's own revisions keep its order
        mine = [rec["revision"] for rec in w.lines if rec["id"] == SHARED_ID]
        assert mine == sorted(mine)

    r = cli("check", "--json")
    report = json.loads(r.stdout)
    assert r.exit_code == 0 and report["ok"], report["problems"]


def test_concurrent_writers_and_readers(tmp_path: Path, store: Path, cli: CliRun) -> None:
    plan = make_inputs(tmp_path)
    first = start_shared(store, tmp_path)
    stop = threading.Event()
    readers = [Reader(store, stop)]
    writers = [Writer(store, dirs) for dirs in plan]
    for t in readers + writers:
        t.start()
    for w in writers:
        w.join(timeout=300)
        assert not w.is_alive()
    stop.set()
    for rd in readers:
        rd.join(timeout=120)
    assert all(rd.rounds >= 1 for rd in readers)
    assert [f for rd in readers for f in rd.failures] == []
    verify(store, cli, writers, first)


def test_gc_while_writers_run(tmp_path: Path, store: Path, cli: CliRun) -> None:
    """``gc --grace 0`` looping beside the writers removes nothing they reported."""
    plan = make_inputs(tmp_path)
    first = start_shared(store, tmp_path)
    stop = threading.Event()
    collector = Collector(store, stop)
    writers = [Writer(store, dirs) for dirs in plan]
    collector.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=300)
        assert not w.is_alive()
    stop.set()
    collector.join(timeout=120)
    assert collector.rounds >= 1 and collector.failures == []
    verify(store, cli, writers, first)
    assert cli("gc", "--grace", "0").exit_code == 0
    r = cli("check")
    assert r.exit_code == 0 and r.stdout == "", r.stdout


def test_same_text_from_racing_writers_is_one_revision(tmp_path: Path, store: Path,
                                                       cli: CliRun) -> None:
    """Writers racing to add the same new revision record it once; the others: unchanged."""
    n = 3
    start_shared(store, tmp_path)
    same = tmp_path / "same.txt"
    article(same, "shared", "shared-story", "Both writers saw this same new text.",
            "The shared story")
    procs = [subprocess.Popen([sys.executable, "-m", "newsarchive", "--store", str(store), "add",
                               str(same), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(n)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [e for _, e in outs]
    recs = [json.loads(o) for o, _ in outs]
    assert sorted(r["status"] for r in recs) == ["revised"] + ["unchanged"] * (n - 1)
    assert {(r["revision"], r["hash"]) for r in recs} == {(2, recs[0]["hash"])}
    log = [json.loads(line) for line in cli("log", SHARED_ID, "--json").stdout.splitlines()]
    assert [rec["revision"] for rec in log] == [2, 1]


def test_first_writes_racing_to_create_the_store(tmp_path: Path) -> None:
    """Several processes whose add is the store's first write: each one's add lands (they
    once removed each other's temp format file: 'cannot create the archive')."""
    for round_ in range(2):
        store = tmp_path / f"new{round_}"
        procs = [subprocess.Popen(
            [sys.executable, "-m", "newsarchive", "--store", str(store), "add", "-",
             "--source", "race", "--date", "2024-01-01", "--slug", f"writer-{i}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for i in range(6)]
        outs = [p.communicate(f"Writer {i} was here first.\n".encode(), timeout=120)
                for i, p in enumerate(procs)]
        assert [p.returncode for p in procs] == [0] * 6, [err for _, err in outs]
        listed = run(store, "list", "--json").stdout.decode().splitlines()
        assert len(listed) == 6


def test_store_created_by_many_threads_at_once(tmp_path: Path) -> None:
    """The race above, made frequent: 8 threads create one new store, 30 times over."""
    from newsarchive.store.repository import Store

    def create(root: Path, barrier: threading.Barrier, errors: list[BaseException]) -> None:
        barrier.wait()
        try:
            Store(root).create()
        except BaseException as err:  # noqa: BLE001 (collected, asserted below)
            errors.append(err)

    for round_ in range(30):
        root = tmp_path / f"s{round_}"
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=create, args=(root, barrier, errors))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and Store(root).exists()

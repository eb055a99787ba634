"""Full and read-only disks (SPEC 7-8, issue 6): a one-line error, exit 1, nothing already
stored lost or changed, ``check`` clean.

A real full disk is a small tmpfs (root only, where ``mount -t tmpfs`` works); ENOSPC is
also injected through :mod:`newsarchive.faults` in a subprocess, so CI without root covers
it. A read-only store is a read-only remount of a tmpfs as root, ``chmod -R a-w`` otherwise.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import tree_digest

ENOSPC_DRIVER = r"""
import errno, os, sys
from newsarchive import faults
point, nth = sys.argv[1], int(sys.argv[2])
hits = 0
def hook(name):
    global hits
    if name == point:
        hits += 1
        if hits == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
faults.install(hook)
sys.argv = ["newsarchive"] + sys.argv[3:]
from newsarchive.cli import main
main()
"""

pytestmark = pytest.mark.slow  # crash/concurrency/disk: run by CI, not the inner loop

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# -- helpers ---------------------------------------------------------------------------------
def nac(store: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store), *args],
                          input=input, capture_output=True, check=False, timeout=120)


def write_article(directory: Path, slug: str, body: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{slug}.txt").write_text(
        f"source: disk\ndate: 2024-03-03\ntitle: Story {slug}\nslug: {slug}\n\n{body}\n", "utf-8")


def big_body(rng: random.Random, words: int) -> str:
    """Text that compresses poorly (random words), so a few articles fill a small disk."""
    return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                            for _ in range(rng.randint(2, 9))) for _ in range(words)) + "."


def json_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def exported(store: Path) -> dict[tuple[str, int], dict]:
    r = nac(store, "export")
    assert r.returncode == 0, r.stderr
    return {(rec["id"], rec["revision"]): rec for rec in json_lines(r.stdout)}


def assert_one_line_error(r: subprocess.CompletedProcess[bytes], *wanted: str) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 1, (r.returncode, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for w in wanted:
        assert w.lower() in err.lower(), err
    return err


class CheckNotClean(AssertionError):
    """``check`` found damage right after the failed add (kept apart so xfail can name it)."""


def damage_then_gc(store: Path) -> list[dict]:
    """The damage ``check`` finds now; then ``gc --grace 0``, after which ``check`` must be
    silent: no damage and no notes."""
    r = nac(store, "check", "--json")
    damage = [p for p in json.loads(r.stdout)["problems"] if p["damage"]]
    assert (r.returncode != 0) == bool(damage)
    g = nac(store, "gc", "--grace", "0")
    assert g.returncode == 0, g.stderr
    r = nac(store, "check")
    assert r.returncode == 0 and r.stdout == b"", r.stdout
    return damage


def seed_store(store: Path, tmp_path: Path) -> dict[tuple[str, int], dict]:
    """A store with earlier revisions, loose and packed, and its export."""
    early = tmp_path / "early"
    for i in range(20):  # one bulk add (a pack) ...
        write_article(early, f"early-{i}", f"Early story {i}, first version.")
    assert nac(store, "add", str(early)).returncode == 0
    for i in range(3):  # ... and a few single adds (loose objects)
        r = nac(store, "add", "-", "--source", "disk", "--date", "2024-03-03", "--slug",
                f"early-{i}", "--title", f"Story early-{i}",
                input=f"Early story {i}, second version.".encode())
        assert r.returncode == 0, r.stderr
    before = exported(store)
    assert len([k for k in before if "early" in k[0]]) == 23
    return before


# -- injected ENOSPC -------------------------------------------------------------------------
# A batch of 10 writes loose objects (blobs 1-10, then records 11-20); a bulk add of 20 goes
# into one pack (its records pass record-written, its index object-fsynced).
ENOSPC_CASES = [
    ("batch", "object-temp-written", 1, None),   # the first blob
    ("batch", "object-temp-written", 15, None),  # the fifth record
    ("bulk", "record-written", 10, None),  # records still in the unfinished pack
    ("bulk", "object-fsynced", 1, None),   # the pack's index
]


@pytest.mark.parametrize("mode,point,nth", [
    pytest.param(m, p, n, id=f"{m}-{p}-{n}", marks=mark or ()) for m, p, n, mark in ENOSPC_CASES])
def test_injected_enospc(tmp_path: Path, store: Path, mode: str, point: str, nth: int) -> None:
    before = seed_store(store, tmp_path)
    inputs = tmp_path / "inputs"
    n = 10 if mode == "batch" else 20
    for i in range(n // 2):
        write_article(inputs, f"early-{i}", f"Early story {i}, third version, on a full disk.")
        write_article(inputs, f"new-{i}", f"New story {i}, never stored.")
    r = subprocess.run([sys.executable, "-c", ENOSPC_DRIVER, point, str(nth), "--store",
                        str(store), "add", str(inputs), "--json"],
                       capture_output=True, check=False, timeout=120)
    assert_one_line_error(r, "no space left on device")
    assert r.stdout == b""  # nothing reported
    assert exported(store) == before  # earlier revisions intact, nothing half-added
    damage = damage_then_gc(store)
    assert exported(store) == before
    again = nac(store, "add", str(inputs), "--json")  # space again: the same add succeeds
    assert again.returncode == 0, again.stderr
    assert len(json_lines(again.stdout)) == n
    if damage:
        raise CheckNotClean(f"check after ENOSPC at {point}#{nth}: {damage[:2]}")


# -- a real full disk ------------------------------------------------------------------------
@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts a tmpfs of the given size (root and a working ``mount`` only); unmounts after."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("a tmpfs needs root and mount; injected ENOSPC covers this")
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mnt = tmp_path / f"tmpfs{len(mounted)}"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                            str(mnt)], capture_output=True, check=False)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounted.append(mnt)
        return mnt

    try:
        yield mount
    finally:
        for mnt in mounted:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


@pytest.fixture
def small_tmpfs(mount_tmpfs: Callable[[str], Path]) -> Path:
    return mount_tmpfs("2m")


@pytest.mark.parametrize("per_add", [40, 6], ids=["bulk", "batch"])
def test_tmpfs_filling_up(small_tmpfs: Path, tmp_path: Path, per_add: int) -> None:
    """Adds of incompressible articles until the 2 MB disk is full."""
    store = small_tmpfs / "store"
    before = seed_store(store, tmp_path)
    rng = random.Random(per_add)
    reported: dict[tuple[str, int], str] = {}
    failed = None
    for rnd in range(40):
        d = tmp_path / f"big-{rnd}"
        for i in range(per_add):
            write_article(d, f"big-{rnd}-{i}", big_body(rng, 900))
        r = nac(store, "add", str(d), "--json")
        if r.returncode != 0:
            failed = r
            break
        for rec in json_lines(r.stdout):
            reported[(rec["id"], rec["revision"])] = rec["hash"]
    assert failed is not None, "the disk never filled up"
    assert_one_line_error(failed)
    assert "full" in failed.stderr.decode().lower() or "space" in failed.stderr.decode().lower()
    have = exported(store)
    for key, rec in before.items():  # the earlier revisions, intact
        assert have[key] == rec
    for key, h in reported.items():  # and every revision an earlier add reported
        assert have[key]["hash"] == h
    for key in have:  # the failed add left no revision of its own
        assert key in before or key in reported
    r = nac(store, "check", "--json")
    damage = [p for p in json.loads(r.stdout)["problems"] if p["damage"]]
    assert r.returncode == 0 and not damage, damage
    # (gc on the still full disk: see test_gc_on_nearly_full_disk and the next test)


def fill_disk(mount: Path, leave: int = 0) -> None:
    """Fill the file system with a filler file, then give back ``leave`` bytes."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        chunk = os.urandom(65536)
        while True:
            try:
                if os.write(fd, chunk) == 0:
                    break
            except OSError:
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)
    if leave:
        size = filler.stat().st_size
        os.truncate(filler, max(0, size - leave))


def full_store_with_garbage(mount: Path, tmp_path: Path, leave: int
                            ) -> tuple[Path, dict[tuple[str, int], dict]]:
    from newsarchive.store.objects import ObjectStore

    store = mount / "store"
    rng = random.Random(7)
    big = tmp_path / "big"
    for i in range(60):  # some 200 kB of objects, more than the room left below
        write_article(big, f"big-{i}", big_body(rng, 900))
    assert nac(store, "add", str(big)).returncode == 0
    before = seed_store(store, tmp_path)
    garbage = ObjectStore(store / "objects")
    for _ in range(3):  # unreferenced objects, as a killed add leaves them
        garbage.put("blob", big_body(rng, 900).encode())
    fill_disk(mount, leave)
    return store, before


def test_full_disk_still_reads_and_checks(mount_tmpfs: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    store, before = full_store_with_garbage(mount_tmpfs("4m"), tmp_path, leave=0)
    r = nac(store, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json_lines(r.stdout)) == 80
    r = nac(store, "show", "early-1@2", "--json")
    assert r.returncode == 0, r.stderr
    assert exported(store) == before
    r = nac(store, "check")
    assert r.returncode == 0, r.stdout


def test_gc_on_nearly_full_disk(mount_tmpfs: Callable[[str], Path], tmp_path: Path) -> None:
    """A killed add's garbage on a nearly full disk (room for the catalog to work, not for a
    copy of the archive): ``gc --grace 0`` frees it and exits 0."""
    store, before = full_store_with_garbage(mount_tmpfs("4m"), tmp_path, leave=64 * 1024)
    assert nac(store, "check").returncode == 0
    g = nac(store, "gc", "--grace", "0", "--json")
    assert exported(store) == before  # whatever happens, nothing is lost
    assert g.returncode == 0, g.stderr
    assert json.loads(g.stdout)["objects_removed"] == 3
    assert exported(store) == before
    r = nac(store, "check")
    assert r.returncode == 0 and r.stdout == b"", r.stdout


def test_gc_failing_on_full_disk_says_so_in_one_line(mount_tmpfs: Callable[[str], Path],
                                                     tmp_path: Path) -> None:
    """An already packed store (nothing to repack) on a nearly full disk: gc may fail to
    compact the catalog, but only with a one-line error, and loses nothing."""
    mount = mount_tmpfs("4m")
    store = mount / "store"
    rng = random.Random(11)
    big = tmp_path / "big"
    for i in range(60):
        write_article(big, f"big-{i}", big_body(rng, 900))
    assert nac(store, "add", str(big)).returncode == 0
    assert nac(store, "gc", "--grace", "0").returncode == 0  # one pack, nothing to repack
    before = exported(store)
    fill_disk(mount, leave=64 * 1024)
    g = nac(store, "gc", "--grace", "0")
    assert exported(store) == before
    if g.returncode != 0:
        assert_one_line_error(g)
    assert nac(store, "check").returncode == 0


# -- read-only stores ------------------------------------------------------------------------
def _make_readonly(store: Path, tmp_path: Path, mode: str) -> Iterator[Path]:
    if mode == "remount":
        if not IS_ROOT:
            pytest.skip("a read-only remount needs root")
        mnt = tmp_path / "ro"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)],
                           capture_output=True, check=False)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        try:
            ro_store = mnt / "store"
            shutil.copytree(store, ro_store, symlinks=True)
            r = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True,
                               check=False)
            if r.returncode != 0:
                pytest.skip(f"cannot remount read-only: {r.stderr.decode().strip()}")
            yield ro_store
        finally:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)
    else:
        if IS_ROOT:
            pytest.skip("root ignores file modes (the remount variant covers it)")
        modes = {}
        for p in [store, *store.rglob("*")]:
            modes[p] = p.stat().st_mode
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield store
        finally:
            for p, m in modes.items():
                p.chmod(m)


@pytest.fixture(params=["remount", "chmod"])
def readonly_store(request: pytest.FixtureRequest, store: Path, tmp_path: Path
                   ) -> Iterator[tuple[Path, dict[tuple[str, int], dict]]]:
    before = seed_store(store, tmp_path)
    yield from ((p, before) for p in _make_readonly(store, tmp_path, request.param))


def test_add_to_readonly_store(readonly_store: tuple[Path, dict], tmp_path: Path) -> None:
    ro, _ = readonly_store
    digest = tree_digest(ro)
    single = nac(ro, "--wait", "2", "add", "-", "--source", "disk", "--slug", "late",
                 input=b"A late story that cannot be stored.")
    assert_one_line_error(single)
    assert b"read-only" in single.stderr, single.stderr  # says why, not only SQLite's words
    inputs = tmp_path / "late"
    for i in range(20):
        write_article(inputs, f"late-{i}", f"Late story {i}.")
    bulk = nac(ro, "--wait", "2", "add", str(inputs))
    assert_one_line_error(bulk)
    for cmd in (("gc", "--grace", "0"), ("reindex",)):
        r = nac(ro, "--wait", "2", *cmd)
        assert_one_line_error(r)
    assert tree_digest(ro) == digest  # nothing changed


def test_readonly_store_stays_readable(readonly_store: tuple[Path, dict]) -> None:
    """An archive on a read-only disk (a mounted backup, another user's archive) can be read,
    and ``check`` finds nothing wrong with it."""
    ro, before = readonly_store
    digest = tree_digest(ro)
    r = nac(ro, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json_lines(r.stdout)) == 20
    r = nac(ro, "show", "early-1@2", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["hash"] == before[("disk/2024-03-03/early-1", 2)]["hash"]
    assert exported(ro) == before
    r = nac(ro, "check")
    assert r.returncode == 0, r.stdout
    assert tree_digest(ro) == digest


def test_reindex_on_full_disk_is_one_line(mount_tmpfs: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    """SQLite's "database or disk is full" from rebuilding the catalog: one line naming the
    store (it was a traceback), and the catalog before it is intact."""
    store, before = full_store_with_garbage(mount_tmpfs("4m"), tmp_path, leave=0)
    r = nac(store, "reindex")
    err = assert_one_line_error(r, str(store))
    assert "full" in err.lower(), err
    assert exported(store) == before
    (store.parent / "filler").unlink()  # room again: the same reindex works
    r = nac(store, "reindex")
    assert r.returncode == 0, r.stderr
    assert exported(store) == before


LEAVE_WAL = r"""
import os, sys, newsarchive
archive = newsarchive.open(sys.argv[1])
archive.add("Late story, written to the log only.", source="disk", date="2024-03-03",
            slug="late", title="Story late")
os._exit(0)  # killed: the catalog's last transaction stays in catalog.sqlite-wal
"""


@pytest.mark.parametrize("mode", ["remount", "chmod"])
@pytest.mark.parametrize("shm", [True, False], ids=["with-shm", "without-shm"])
def test_readonly_store_with_a_leftover_wal(store: Path, tmp_path: Path, mode: str,
                                            shm: bool) -> None:
    """A store left by a killed writer (its last commit only in catalog.sqlite-wal), then
    made read-only: the read commands and check read everything, write nothing, and report
    no damage (check said "attempt to write a readonly database"). Without the -shm index,
    which SQLite cannot create on a read-only store, the catalog is read from a copy."""
    before = seed_store(store, tmp_path)
    r = subprocess.run([sys.executable, "-c", LEAVE_WAL, str(store)], capture_output=True,
                       check=False, timeout=120)
    assert r.returncode == 0, r.stderr
    wal = store / "catalog.sqlite-wal"
    assert wal.stat().st_size > 0
    if not shm:
        (store / "catalog.sqlite-shm").unlink()
    for ro in _make_readonly(store, tmp_path, mode):
        digest = tree_digest(ro)
        have = exported(ro)
        assert {k: v for k, v in have.items() if k in before} == before
        assert ("disk/2024-03-03/late", 1) in have  # the commit only the log holds
        for args in (("list", "--json"), ("log", "late"), ("show", "late"),
                     ("search", "late"), ("changes",), ("stats",)):
            r = nac(ro, *args)
            assert r.returncode == 0 and r.stderr == b"", (args, r.stderr)
        r = nac(ro, "list", "--json")
        assert len(json_lines(r.stdout)) == 21
        r = nac(ro, "check", "--json")
        problems = json.loads(r.stdout)["problems"]
        assert r.returncode == 0 and not [p for p in problems if p["damage"]], problems
        if not shm:
            assert any("temporary copy" in p["detail"] for p in problems), problems
        assert tree_digest(ro) == digest  # nothing written
        assert not (ro / "catalog.sqlite-shm").exists() or shm

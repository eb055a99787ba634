"""Crash safety (SPEC 8, issue 6): kill -9 a running ``add``, and crash it at every named
fault point; afterwards ``check`` is clean, every revision ``add`` reported is present with
its hash, and the store takes the next ``add``.

The add runs in a real subprocess. Crashes at fault points use a small driver that installs
a :mod:`newsarchive.faults` hook calling ``os._exit(137)`` at the N-th hit of one point and
then runs the CLI exactly as ``python -m newsarchive`` would.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import newsarchive
from tests.conftest import CliRun

DRIVER = r"""
import atexit, json, os, signal, sys
from newsarchive import faults
point, nth = sys.argv[1], int(sys.argv[2])
hits = {}
def hook(name):
    hits[name] = hits.get(name, 0) + 1
    if name == point and hits[name] == nth:
        os._exit(137)
    if point == "any" and sum(hits.values()) == nth:  # kill -9, at a point of progress
        os.kill(os.getpid(), signal.SIGKILL)
if point == "count":
    def dump():
        with open(os.environ["NEWSARCHIVE_FAULT_COUNTS"], "w") as f:
            json.dump(hits, f)
    atexit.register(dump)
faults.install(hook)
sys.argv = ["newsarchive"] + sys.argv[3:]
from newsarchive.cli import main
main()
"""

pytestmark = pytest.mark.slow  # crash/concurrency/disk: run by CI, not the inner loop

SEED = int(os.environ.get("NEWSARCHIVE_CRASH_SEED", "20240403"))


class CheckNotClean(AssertionError):
    """``check`` reported damage right after a crash (kept apart so xfail can name it)."""


# -- helpers ---------------------------------------------------------------------------------
def write_article(directory: Path, slug: str, body: str, title: str) -> None:
    (directory / f"{slug}.txt").write_text(
        f"source: crash\ndate: 2024-01-01\ntitle: {title}\nslug: {slug}\n\n{body}\n", "utf-8")


def body_of(slug: str, version: int) -> str:
    return f"The story {slug} as told in version {version}. It has two short sentences."


def json_lines(data: bytes) -> list[dict]:
    """Complete JSON lines of ``add --json`` output (a torn last line is ignored)."""
    out = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def stored(store: Path) -> dict[tuple[str, int], str]:
    """(id, revision) -> hash of every revision in the catalog."""
    archive = newsarchive.open(store)
    try:
        if not archive.store.exists():
            return {}
        return {(r.id, r.number): r.hash for r in archive.revisions()}
    finally:
        archive.close()


def check_report(cli: CliRun) -> tuple[int, dict]:
    r = cli("check", "--json")
    return r.exit_code, json.loads(r.stdout)


def assert_reported_present(cli: CliRun, store: Path, reported: dict[tuple[str, int], str],
                            sample: list[tuple[str, int]]) -> None:
    have = stored(store)
    missing = {k: v for k, v in reported.items() if have.get(k) != v}
    assert not missing, f"reported revisions missing or changed: {list(missing.items())[:5]}"
    for ident, number in sample:  # and through the CLI, verified against the hash
        r = cli("show", f"{ident}@{number}", "--json")
        assert r.exit_code == 0, r.stderr
        shown = json.loads(r.stdout)
        assert shown["hash"] == reported[(ident, number)]
        assert hashlib.sha256(shown["text"].encode("utf-8")).hexdigest() == shown["hash"]


def remember(reported: dict[tuple[str, int], str], lines: list[dict]) -> None:
    for rec in lines:
        key = (rec["id"], rec["revision"])
        assert reported.setdefault(key, rec["hash"]) == rec["hash"], (
            f"{key} reported twice with different texts")


def take_next_add(cli: CliRun, reported: dict[tuple[str, int], str], tag: str) -> None:
    r = cli("--wait", "10", "add", "-", "--source", "crash", "--slug", f"next-{tag}", "--json",
            input=f"The store takes the next add after {tag}.\n")
    assert r.exit_code == 0, r.stderr
    lines = json_lines(r.stdout_bytes)
    assert [rec["status"] for rec in lines] == ["added"]
    remember(reported, lines)


# -- (a) kill -9 at random moments -----------------------------------------------------------
ROUNDS = 15
PER_ROUND = 400


def make_round(root: Path, rnd: int, pool: list[str], versions: dict[str, int],
               rng: random.Random) -> Path:
    """400 articles: new ones plus new revisions, reverts and repeats of existing ones."""
    d = root / f"in-{rnd:02d}"
    d.mkdir()
    old = rng.sample(pool, min(len(pool), PER_ROUND * 3 // 4))
    for slug in old:
        roll = rng.random()
        if roll < 0.6:
            versions[slug] += 1
            version = versions[slug]
        elif roll < 0.8 and versions[slug] > 1:
            version = rng.randrange(1, versions[slug])  # back to an older text
        else:
            version = versions[slug]  # the same text again
        write_article(d, slug, body_of(slug, version), f"Story {slug}")
    for i in range(PER_ROUND - len(old)):
        slug = f"r{rnd:02d}-n{i:03d}"
        versions[slug] = 1
        pool.append(slug)
        write_article(d, slug, body_of(slug, 1), f"Story {slug}")
    return d


def run_add(store: Path, inputs: Path, kill_at_step: int | None = None,
            kill_at_line: int | None = None, count_into: Path | None = None,
            ) -> tuple[int, bytes]:
    """Run ``add --json`` in a subprocess; it is killed with SIGKILL at its N-th step of
    progress (the N-th fault point it passes: an object written, fsynced, renamed, a
    record, the commit), or by the test once it has printed N lines. Both moments are
    points of progress, not of time, so the test does the same on a fast or a loaded
    machine. ``count_into``: count the steps of an uninterrupted run into that file."""
    point, nth = ("any", kill_at_step) if kill_at_step is not None else ("count", 0)
    env = dict(os.environ)
    if count_into is not None:
        env["NEWSARCHIVE_FAULT_COUNTS"] = str(count_into)
    elif kill_at_step is None:
        point, nth = "none", 0
    p = subprocess.Popen(
        [sys.executable, "-c", DRIVER, point, str(nth), "--store", str(store), "--wait", "30",
         "add", str(inputs), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert p.stdout is not None and p.stderr is not None
    head = b""
    try:
        if kill_at_line is not None:
            for _ in range(kill_at_line):
                line = p.stdout.readline()
                if not line:
                    break
                head += line
            p.kill()
        rest, _ = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, head + rest


class _Crash(BaseException):
    """Raised by an in-process fault hook: leaves the disk as a kill at that point would."""


def test_kill_9_during_bulk_add(tmp_path: Path, store: Path, cli: CliRun) -> None:
    print(f"kill moments from seed {SEED} (set NEWSARCHIVE_CRASH_SEED to replay or vary)")
    rng = random.Random(SEED)
    pool: list[str] = []
    versions: dict[str, int] = {}
    reported: dict[tuple[str, int], str] = {}
    story: list[str] = []  # what each round saw, printed at the end (pytest -s)

    # Calibration: two uninterrupted bulk adds (new articles, then mostly new revisions)
    # tell how many steps of progress a round takes.
    for rnd in (0, 1):
        inputs = make_round(tmp_path, rnd, pool, versions, rng)
        counts = tmp_path / f"steps-{rnd}.json"
        code, out = run_add(store, inputs, count_into=counts)
        steps = sum(json.loads(counts.read_text()).values())
        assert code == 0
        lines = json_lines(out)
        assert len(lines) == PER_ROUND
        remember(reported, lines)

    kills = 0
    for rnd in range(2, ROUNDS + 2):
        inputs = make_round(tmp_path, rnd, pool, versions, rng)
        # Stratified moments over the whole run (start-up, blobs, records, commit, output),
        # and every third round a kill while the results are streaming out.
        frac = (rnd - 2 + rng.random()) / ROUNDS
        for attempt in range(4):
            if rnd % 3 == 0 and attempt == 0:
                code, out = run_add(store, inputs, kill_at_line=rng.randrange(1, PER_ROUND))
            else:
                code, out = run_add(store, inputs,
                                    kill_at_step=max(1, int(steps * frac / 2**attempt)))
            lines = json_lines(out)
            remember(reported, lines)
            if code == -9:
                break
            assert code == 0, out[-500:]  # finished before the kill: try again, earlier
        else:
            pytest.fail(f"round {rnd}: the add always finished before the kill")
        kills += 1

        code, report = check_report(cli)
        damage = [p for p in report["problems"] if p["damage"]]
        assert code == 0 and not damage, (rnd, damage[:3])
        story.append(f"{rnd}:{attempt}:{len(lines)}:{len(report['problems'])}")
        sample = [(rec["id"], rec["revision"]) for rec in lines[:3]]
        sample += rng.sample(sorted(reported), 2)
        assert_reported_present(cli, store, reported, sample)
        take_next_add(cli, reported, f"round-{rnd}")

    assert kills == ROUNDS
    # After all that: a full run completes, gc leaves nothing behind, check is silent.
    code, out = run_add(store, make_round(tmp_path, ROUNDS + 2, pool, versions, rng))
    assert code == 0
    lines = json_lines(out)
    assert len(lines) == PER_ROUND
    remember(reported, lines)
    assert cli("gc", "--grace", "0").exit_code == 0
    r = cli("check")
    assert r.exit_code == 0 and r.stdout == "", r.stdout
    assert_reported_present(cli, store, reported, [])
    print(f"round:retries:reported:notes {' '.join(story)}")


# -- (b) a crash at every fault point --------------------------------------------------------
# A single add of one text goes the loose-object way (blob, then record), and so does a
# batch of 10 (ten blobs, then ten records); a bulk add of 20 inputs goes into one pack
# (the store's second: the multi-pack index is written after it).
# How often each point is hit on each way is counted by a dry run
# on a copy of the same store, and the crash is put at the first, a middle or the last hit.
BATCH = 10
BULK = 20

FAULT_CASES = [
    ("single", "object-temp-written", "first", None),  # the text blob
    ("single", "object-temp-written", "last", None),   # the record
    ("single", "object-fsynced", "first", None),
    ("single", "object-fsynced", "last", None),
    ("single", "object-renamed", "first", None),
    ("single", "object-renamed", "last", None),  # record in place
    ("single", "record-written", "first", None),
    ("single", "journal-written", "first", None),
    ("single", "before-commit", "first", None),
    ("single", "after-commit", "first", None),
    ("batch", "object-temp-written", "middle", None),  # the last blob of ten
    ("batch", "object-fsynced", "first", None),
    ("batch", "object-renamed", "middle", None),
    ("batch", "record-written", "last", None),
    ("bulk", "object-fsynced", "first", None),  # the pack index, not yet renamed
    ("bulk", "object-renamed", "last", None),  # the pack made visible
    ("bulk", "record-written", "first", None),  # records still in the unfinished pack
    ("bulk", "record-written", "middle", None),
    ("bulk", "record-written", "last", None),
    ("bulk", "midx-written", "first", None),  # the multi-pack index not yet renamed
    ("bulk", "midx-renamed", "first", None),  # in place, its directory not fsynced
    ("bulk", "journal-written", "first", None),
    ("bulk", "before-commit", "first", None),
    ("bulk", "after-commit", "first", None),
]


def drive(store: Path, point: str, nth: int, *args: str, stdin: bytes | None = None,
          counts: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI with a fault hook; the add's own steps only: no merge of packs after it
    (``auto_pack = false``; test_upkeep.py crashes those)."""
    config = store.parent / "keep-packs.toml"
    config.write_text("auto_pack = false\n")
    env = {**os.environ, "NEWSARCHIVE_CONFIG": str(config)}
    if counts is not None:
        env["NEWSARCHIVE_FAULT_COUNTS"] = str(counts)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, point, str(nth), "--store", str(store), *args],
        input=stdin, capture_output=True, check=False, timeout=120, env=env,
    )


class FaultSetup:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template"
        self.reported: dict[tuple[str, int], str] = {}
        self.inputs: dict[str, tuple[list[str], bytes | None, set[tuple[str, int]]]] = {}
        self.hits: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module")
def fault_setup(tmp_path_factory: pytest.TempPathFactory) -> FaultSetup:
    """A store with 10 articles, the inputs of both modes, and the hit counts of a dry run."""
    setup = FaultSetup(tmp_path_factory.mktemp("faults"))
    base = setup.root / "base"
    base.mkdir()
    for i in range(BULK // 2):
        write_article(base, f"base-{i}", body_of(f"base-{i}", 1), f"Base {i}")
    r = subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(setup.template),
                        "add", str(base), "--json"], capture_output=True, check=False, timeout=120)
    assert r.returncode == 0, r.stderr
    remember(setup.reported, json_lines(r.stdout))
    # a first pack, so that a bulk add writes a second one and the multi-pack index
    seed = setup.root / "seed"
    seed.mkdir()
    for i in range(BULK):
        write_article(seed, f"seed-{i}", body_of(f"seed-{i}", 1), f"Seed {i}")
    r = subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(setup.template),
                        "add", str(seed), "--json"], capture_output=True, check=False, timeout=120)
    assert r.returncode == 0, r.stderr
    remember(setup.reported, json_lines(r.stdout))
    assert len(list((setup.template / "objects" / "pack").glob("pack-*.pack"))) == 1

    setup.inputs["single"] = (
        ["add", "-", "--source", "crash", "--date", "2024-01-01", "--slug", "base-0",
         "--title", "Base 0", "--json"],
        (body_of("base-0", 2) + "\n").encode(),
        {("crash/2024-01-01/base-0", 2)},
    )
    for mode, n in (("batch", BATCH), ("bulk", BULK)):
        d = setup.root / mode
        d.mkdir()
        expected = set()
        for i in range(n // 2):  # revisions of half the base articles, as many new ones
            write_article(d, f"base-{i}", body_of(f"base-{i}", 2), f"Base {i}")
            write_article(d, f"{mode}-{i}", body_of(f"{mode}-{i}", 1), f"New {i}")
            expected |= {(f"crash/2024-01-01/base-{i}", 2), (f"crash/2024-01-01/{mode}-{i}", 1)}
        setup.inputs[mode] = (["add", str(d), "--json"], None, expected)

    for mode, (args, stdin, _) in setup.inputs.items():
        dry = setup.root / f"dry-{mode}"
        shutil.copytree(setup.template, dry)
        counts = setup.root / f"counts-{mode}.json"
        r = drive(dry, "count", 0, *args, stdin=stdin, counts=counts)
        assert r.returncode == 0, r.stderr
        setup.hits[mode] = json.loads(counts.read_text())
    return setup


@pytest.mark.parametrize(
    "mode,point,which",
    [pytest.param(m, p, w, id=f"{m}-{p}-{w}", marks=mark or ()) for m, p, w, mark in FAULT_CASES],
)
def test_crash_at_fault_point(fault_setup: FaultSetup, store: Path, cli: CliRun, mode: str,
                              point: str, which: str) -> None:
    hits = fault_setup.hits[mode].get(point, 0)
    if hits == 0:
        pytest.skip(f"a {mode} add does not pass {point}")
    nth = {"first": 1, "middle": (hits + 1) // 2, "last": hits}[which]
    shutil.copytree(fault_setup.template, store)
    reported = dict(fault_setup.reported)
    args, stdin, expected = fault_setup.inputs[mode]
    before = stored(store)

    crashed = drive(store, point, nth, *args, stdin=stdin)
    assert crashed.returncode == 137, crashed.stderr  # the crash really happened there
    assert json_lines(crashed.stdout) == []  # nothing was reported before the crash
    after = stored(store)
    if point == "after-commit":  # committed, just not reported yet: all of it is there
        assert expected <= set(after) and set(before) <= set(after)
    else:  # one transaction per batch: none of it, and nothing else changed
        assert after == before

    code, report = check_report(cli)
    assert_reported_present(cli, store, reported, sorted(reported)[:2])

    # The store takes the next add: the same add again, as the next cron run would.
    again = subprocess.run([sys.executable, "-m", "newsarchive", "--store", str(store),
                            "--wait", "10", *args],
                           input=stdin, capture_output=True, check=False, timeout=120)
    assert again.returncode == 0, again.stderr
    lines = json_lines(again.stdout)
    assert {(rec["id"], rec["revision"]) for rec in lines} == expected
    statuses = {rec["status"] for rec in lines}
    # From the journal line on, the batch is committed (the next write applies what the
    # catalog lacks); before it, none of it is.
    committed = point in ("journal-written", "before-commit", "after-commit")
    assert statuses == {"unchanged"} if committed else "unchanged" not in statuses
    remember(reported, lines)
    assert_reported_present(cli, store, reported, [(rec["id"], rec["revision"]) for rec in lines])

    assert cli("gc", "--grace", "0").exit_code == 0
    clean = cli("check")
    assert clean.exit_code == 0 and clean.stdout == "", clean.stdout  # no damage, no notes
    assert not [p for p in store.rglob("*") if p.name.startswith(".tmp-")]
    assert_reported_present(cli, store, reported, [])

    if code != 0 or any(p["damage"] for p in report["problems"]):
        raise CheckNotClean(f"check after a crash at {point}#{nth}: exit {code}, "
                            f"{[p for p in report['problems'] if p['damage']]}")


# -- reindex must not prefer an uncommitted record --------------------------------------------
class ReindexLostRevision(AssertionError):
    pass


def test_reindex_keeps_the_reported_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """A killed add leaves a record @2; the next add commits another @2 in the same second;
    reindex must rebuild the reported @2, not the leftover."""
    from newsarchive.ops import add as archive_mod
    from newsarchive import faults

    monkeypatch.setattr(archive_mod, "now_precise", lambda: "2024-05-01T12:00:00.000000Z")
    a = newsarchive.open(tmp_path / "store")
    reported: dict[str, str] = {}

    def crash(name: str) -> None:
        if name == "record-written":
            raise _Crash  # as a kill: the record object stays, the catalog is rolled back

    for i in range(40):
        slug = f"tie-{i}"
        a.add(f"First text of {slug}.", source="crash", date="2024-01-01", slug=slug,
              captured_at="2024-05-01T12:00:00Z")
        faults.install(crash)
        try:
            with pytest.raises(_Crash):
                a.add(f"Killed text of {slug}.", source="crash", date="2024-01-01", slug=slug,
                      captured_at="2024-05-01T12:00:00Z")
        finally:
            faults.install(None)
        res = a.add(f"Reported text of {slug}.", source="crash", date="2024-01-01", slug=slug,
                    captured_at="2024-05-01T12:00:00Z")
        assert res.status == "revised" and res.revision.number == 2
        reported[res.revision.id] = res.revision.hash
        leftover = []
        for oid in a.store.objects:
            kind, payload = a.store.objects.get(oid)
            if kind == "record" and oid != res.revision.record:
                rec = json.loads(payload)
                if rec["article"] == res.revision.id and rec["text"] != res.revision.hash \
                        and "Killed" in a.store.text_of(rec["text"]):
                    leftover.append(oid)
        assert len(leftover) == 1  # the killed add's record is there, uncommitted
        if leftover[0] > res.revision.record:
            break  # it sorts after the committed one: the tie-break case
    assert a.log(next(iter(reported)))[0].number == 2
    a.reindex()
    got = {ident: a.get(f"{ident}@2").hash for ident in reported}
    a.close()
    lost = {k: v for k, v in reported.items() if got[k] != v}
    if lost:
        raise ReindexLostRevision(f"reindex replaced reported revisions: {lost}")

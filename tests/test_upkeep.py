"""Packs merged and loose objects packed as adds accumulate (store/upkeep.py): the files
stay few, every object stays readable once, and a crash at any step loses nothing."""

from __future__ import annotations

import collections
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import newsarchive
from newsarchive import faults
from newsarchive.store import upkeep
from newsarchive.store.packs import MAX_DEPTH, ZLIB, ZSTD_DELTA, ZSTD_DICT
from newsarchive.store.upkeep import geometric_split, tidy
from tests.conftest import EXAMPLES, CliRun
from tests.test_crash import DRIVER
from tests.test_packs import all_texts, article, midx_of, packs, write_jsonl


def left_after(sizes: list[int], factor: int) -> list[int]:
    """The pack sizes after one geometric merge of ``sizes`` (ascending)."""
    split = geometric_split(sizes, factor)
    return ([sum(sizes[:split])] if split else []) + sizes[split:]


@given(st.lists(st.integers(1, 10**9), max_size=40), st.integers(2, 4))
def test_a_merge_leaves_a_geometric_progression(sizes: list[int], factor: int) -> None:
    sizes.sort()
    split = geometric_split(sizes, factor)
    assert split == 0 or split >= 2  # a merge is of two packs or more
    left = left_after(sizes, factor)
    assert all(b >= factor * a for a, b in itertools.pairwise(left)), left
    assert sum(left) == sum(sizes)
    if split == 0:  # in progression already: nothing moves
        assert left == sizes


@given(st.lists(st.integers(1, 1000), min_size=1, max_size=200), st.integers(2, 3))
def test_packs_added_one_by_one_stay_logarithmic_in_count_and_copies(
        adds: list[int], factor: int) -> None:
    """As a cron job adds packs: their number stays about log(total / smallest), and a
    byte is copied about as many times (amortized)."""
    held: list[int] = []
    copied = 0
    for size in adds:
        held = sorted([*held, size])
        split = geometric_split(held, factor)
        copied += sum(held[:split])
        held = left_after(held, factor)
        assert len(held) <= 2 + math.log(sum(held) / min(held), factor)
    assert copied <= sum(adds) * (1 + math.log(sum(adds), factor))


def add_rows(cli: CliRun, tmp_path: Path, name: str, rows: list[dict[str, str]]) -> None:
    r = cli("add", str(write_jsonl(tmp_path / f"{name}.jsonl", rows)))
    assert r.exit_code == 0, r.stderr


def object_ids(store: Path) -> tuple[list[str], int]:
    """Every id the packs list (with repeats) and how many objects the store counts."""
    with newsarchive.open(store) as archive:
        objects = archive.store.objects
        ids = [oid for r in objects.packs(refresh=True) for oid in r]
        return ids + list(objects.loose()), objects.count()


def test_bulk_adds_merge_their_packs_and_every_text_reads(cli: CliRun, store: Path,
                                                          tmp_path: Path) -> None:
    counts = []
    for k in range(9):  # a pack each: 20 articles, new ones and revisions
        add_rows(cli, tmp_path, f"b{k}", [article(i + 10 * (k % 3), k) for i in range(20)])
        counts.append(len(packs(store)))
        assert counts[-1] <= 1 + math.log2(k + 1)  # about log2 of the packs written
    assert max(counts) >= 2 and counts[-1] < 9  # kept some, merged most
    ids, counted = object_ids(store)
    assert len(ids) == len(set(ids)) == counted  # each object once, counted exactly
    texts = all_texts(store)
    assert len(texts) == 9 * 20
    assert cli("check").stdout == ""
    if len(packs(store)) > 1:  # the multi-pack index lists exactly the packs there are
        from newsarchive.store.midx import MultiPackIndex

        midx = MultiPackIndex(midx_of(store), verify=True)
        tail = midx_of(store).with_name("multi-pack-index-tail")
        names = set(midx.names) | (set(MultiPackIndex(tail).names) if tail.exists() else set())
        assert names == {p.stem for p in packs(store)}
    assert cli("gc", "--grace", "0").exit_code == 0
    assert all_texts(store) == texts and len(packs(store)) == 1


def test_merges_of_the_tails_packs_leave_the_whole_index_as_it_is(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cron-sized adds merge the packs the tail lists among themselves: the whole
    multi-pack index (23 MB at 100,000 articles) is written only by a splice of the tail
    into it, never by a merge of two small packs."""
    from newsarchive.store import objects as objects_module
    from tests.test_midx import _files

    monkeypatch.setattr(objects_module, "TAIL_SHARE", 4)
    for k, n in enumerate((120, 40)):  # two large packs in progression: the whole index
        add_rows(cli, tmp_path, f"big{k}", [article(i + 200 * k, 0) for i in range(n)])
    whole, tail = _files(store)
    assert whole is not None and tail is None and len(packs(store)) == 2
    seen = []
    for k in range(1, 13):  # 16 revisions each: a small pack an add
        add_rows(cli, tmp_path, f"s{k}", [article(i, k) for i in range(16)])
        now, tail = _files(store)
        seen.append((now == whole, len(tail or []), len(packs(store))))
        whole = now
    # the whole index changed only when the tail was spliced into it (no tail left)
    assert all(same or listed == 0 for same, listed, _ in seen), seen
    assert (True, 1, 3) in seen and any(not same for same, _, _ in seen)
    assert max(n for _, _, n in seen) <= 6  # the tail's packs merged as they came
    assert cli("check").stdout == ""


@pytest.mark.usefixtures("keep_packs")
def test_a_small_pack_of_the_whole_index_is_not_merged_with_the_tails(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As after a gc: one large pack, then a cron pack (the whole index is written over
    both) and another (the tail). Merging the two small ones would rewrite the whole
    index; they stay apart until a splice."""
    from newsarchive.store import objects as objects_module
    from tests.test_midx import _files

    monkeypatch.setattr(objects_module, "TAIL_SHARE", 4)
    add_rows(cli, tmp_path, "big", [article(i, 0) for i in range(120)])
    for k in (1, 2):
        add_rows(cli, tmp_path, f"s{k}", [article(i, k) for i in range(16)])
    whole, tail = _files(store)
    assert whole is not None and tail is not None and len(tail) == 1
    with newsarchive.open(store) as archive, archive.store.locked():
        done = tidy(archive.store.objects)
    assert done.packs == 0 and _files(store) == (whole, tail) and len(packs(store)) == 3


@pytest.mark.usefixtures("keep_packs")
def test_auto_pack_false_leaves_the_packs_for_gc(cli: CliRun, store: Path,
                                                 tmp_path: Path) -> None:
    for k in range(3):
        add_rows(cli, tmp_path, f"b{k}", [article(i, k) for i in range(20)])
    assert len(packs(store)) == 3
    with newsarchive.open(store) as archive:  # what the next add does when it is on
        with archive.store.locked():
            done = tidy(archive.store.objects)
    assert (done.packs, done.loose) == (3, 0) and done.objects > 0
    assert len(packs(store)) == 1 and cli("check").stdout == ""


def test_a_bad_auto_pack_value_is_a_one_line_config_error(cli: CliRun, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('auto_pack = "no"\n')
    r = cli("--config", str(config), "add", str(EXAMPLES))
    assert r.exit_code != 0
    assert "'auto_pack' must be true or false" in r.stderr and len(r.stderr.splitlines()) == 1


def add_one(cli: CliRun, slug: str, text: str, minute: int) -> None:
    """One capture an add, as a cron job finding one change: written loose."""
    r = cli("add", "-", "--source", "cron", "--date", "2024-03-01", "--slug", slug,
            "--title", f"Story {slug}", "--captured-at",
            f"2024-03-01T{minute // 60:02}:{minute % 60:02}:00Z", input=text)
    assert r.exit_code == 0, r.stderr


def test_loose_objects_are_packed_once_there_are_many(cli: CliRun, store: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upkeep, "LOOSE_LIMIT", 40)
    assert cli("add", str(EXAMPLES)).exit_code == 0  # small batches: loose objects
    texts = all_texts(store)
    loose_before = len(object_ids(store)[0])
    assert not packs(store) and loose_before < 40
    slug = 0
    while not packs(store):  # one article an add, as a cron job finding little new
        slug += 1
        add_one(cli, f"s{slug}", f"Text of story {slug}.\n", slug)
    assert loose_before + 2 * slug >= 40  # packed when the limit was reached
    with newsarchive.open(store) as archive:
        assert not list(archive.store.objects.loose())
    assert not [p for p in (store / "objects").iterdir() if p.name != "pack"]
    ids, counted = object_ids(store)
    assert len(ids) == len(set(ids)) == counted == loose_before + 2 * slug
    after = all_texts(store)
    assert {k: after[k] for k in texts} == texts and len(after) == len(texts) + slug
    assert cli("check").stdout == ""


def test_a_loose_object_packed_already_only_loses_its_loose_copy(cli: CliRun,
                                                                 store: Path) -> None:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    texts = all_texts(store)
    with newsarchive.open(store) as archive:
        objects = archive.store.objects
        with archive.store.locked():
            first = tidy(objects, loose_limit=1)
            assert first.loose > 0 and len(packs(store)) == 1
            # a copy written loose again (a writer with a stale list of packs)
            oid = next(iter(objects.packs(refresh=True)[0]))
            kind, payload = objects.get(oid)
            objects._write(objects.path(oid), newsarchive.store.objects.encode(kind, payload))
            assert objects.is_loose(oid)
            again = tidy(objects, loose_limit=1)
        assert again.loose == 1 and not objects.is_loose(oid) and len(packs(store)) == 1
    assert all_texts(store) == texts and cli("check").stdout == ""


def entries(store: Path) -> dict[str, tuple[int, int, str]]:
    """Every pack entry: id -> (encoding, depth, base id or dictionary id)."""
    with newsarchive.open(store) as archive:
        return {key.hex(): (enc, depth, base.hex())
                for r in archive.store.objects.packs(refresh=True)
                for _, _, enc, depth, key, base, _ in r.heads()}


def story(rev: int) -> str:
    return "\n\n".join(f"Paragraph {p} of the story, as edited: {rev if p == 3 else p} "
                       f"people were counted by the council on Tuesday." for p in range(30))


def test_loose_revisions_are_packed_as_deltas_against_the_revision_before(
        cli: CliRun, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cron job's captures are written loose, one add each; packed, a revision's text
    and record are deltas against its article's revision before (as a bulk add writes
    them), within the depth a delta chain may have, a revert included."""
    monkeypatch.setattr(upkeep, "LOOSE_LIMIT", 50)
    revs = [*range(20), 3, 19]  # 22 revisions, two of them reverts
    for minute, rev in enumerate(revs):
        add_one(cli, "long", story(rev), minute)
    assert not packs(store)  # all loose
    texts = all_texts(store)
    minute = len(revs)
    while not packs(store):  # until there are 50 loose objects
        add_one(cli, "other", f"Another story, {minute}.\n", minute)
        minute += 1
    with newsarchive.open(store) as archive:
        log = archive.log("cron/2024-03-01/long")
        rows = {r.number: archive.store.catalog().revision(r.id, r.number) for r in log}
    assert len(log) == len(revs)
    packed = entries(store)
    once = {t for t, n in collections.Counter(r["text_hash"] for r in rows.values()).items()
            if n == 1}  # (a text of two revisions has either one's predecessor as base)
    for number in range(2, len(log) + 1):
        text, record, before = rows[number]["text_hash"], rows[number]["record"], rows[number - 1]
        for oid, base in ((text, before["text_hash"]), (record, before["record"])):
            if oid in once or oid == record:  # whole where the chain is as long as may be
                chained = (ZSTD_DELTA, packed[base][1] + 1, base)
                assert packed[oid] == chained or (packed[oid][:2] == (ZLIB, 0) and
                                                  packed[base][1] + 1 == MAX_DEPTH), number
    assert max(depth for _, depth, _ in packed.values()) < MAX_DEPTH
    after = all_texts(store)
    assert {k: after[k] for k in texts} == texts
    assert cli("check").stdout == ""


def test_a_store_without_a_dictionary_gets_one_from_its_loose_texts(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adds of fewer than 16 inputs never trained the zstd dictionary a bulk add trains:
    a cron job's store compressed every first version with zlib until ``gc``."""
    monkeypatch.setattr(upkeep, "LOOSE_LIMIT", 300)
    for k in range(10):  # 150 new articles, 15 an add (2 objects each)
        add_rows(cli, tmp_path, f"c{k}", [article(i, 0) for i in range(15 * k, 15 * k + 15)])
    assert len(packs(store)) == 1  # the 10th add made 300 loose objects: packed
    assert not [p for p in (store / "objects").iterdir() if p.name != "pack"]
    dictionary = store / "objects" / "pack" / "dictionary"
    assert dictionary.exists()
    oid = dictionary.read_text().strip()
    packed = entries(store)
    assert oid in packed
    texts = [v for k, v in packed.items() if v[0] in (ZLIB, ZSTD_DICT) and k != oid]
    assert texts and all(v[2] == oid for v in texts if v[0] == ZSTD_DICT)
    assert sum(1 for v in texts if v[0] == ZSTD_DICT) >= 150
    assert len(all_texts(store)) == 150 and cli("check").stdout == ""


class _Crash(BaseException):
    """Raised by the fault hook: leaves the disk as a kill at that point would."""


TIDY_POINTS = ("object-fsynced", "object-renamed", "midx-written", "midx-renamed",
               "tidy-written", "pack-retired")


def tidy_as_add(archive: newsarchive.Archive, loose_limit: int) -> upkeep.Tidied:
    """A tidy as an add runs it: loose objects as deltas against the catalog's bases."""
    return tidy(archive.store.objects, bases=archive.store.catalog().previous_objects,
                loose_limit=loose_limit)


def hits_of_tidy(store: Path, loose_limit: int) -> dict[str, int]:
    seen: dict[str, int] = {}

    def count(name: str) -> None:
        seen[name] = seen.get(name, 0) + 1

    with newsarchive.open(store) as archive, archive.store.locked():
        faults.install(count)
        try:
            tidy_as_add(archive, loose_limit)
        finally:
            faults.install(None)
    return seen


@pytest.mark.slow
@pytest.mark.usefixtures("keep_packs")
def test_a_crash_at_every_step_of_a_tidy_loses_nothing(cli: CliRun, store: Path,
                                                       tmp_path: Path) -> None:
    """At every hit of every point of a tidy that packs loose objects and merges three
    packs: every text reads right, ``check`` finds no damage, and the next tidy finishes
    with each object once."""
    for k in range(3):
        add_rows(cli, tmp_path, f"b{k}", [article(i, k) for i in range(20)])
    assert cli("add", str(EXAMPLES)).exit_code == 0  # loose
    texts = all_texts(store)
    every = set(object_ids(store)[0])
    template = tmp_path / "template"
    shutil.copytree(store, template)
    hits = hits_of_tidy(store, loose_limit=1)
    assert all(hits.get(p) for p in TIDY_POINTS), hits
    assert len(packs(store)) == 1
    for point in TIDY_POINTS:
        for nth in range(1, hits[point] + 1):
            shutil.rmtree(store)
            shutil.copytree(template, store)

            def crash(name: str, point: str = point, nth: int = nth,
                      seen: list[str] = []) -> None:  # noqa: B006 (one list a crash)
                seen.append(name)
                if name == point and seen.count(name) == nth:
                    raise _Crash

            with newsarchive.open(store) as archive, archive.store.locked():
                faults.install(crash)
                try:
                    with pytest.raises(_Crash):
                        tidy_as_add(archive, 1)
                finally:
                    faults.install(None)
            assert all_texts(store) == texts, (point, nth)
            r = cli("check", "--json")
            damage = [p for p in json.loads(r.stdout)["problems"] if p["damage"]]
            assert r.exit_code == 0 and not damage, (point, nth, damage)
            with newsarchive.open(store) as archive, archive.store.locked():
                tidy_as_add(archive, 1)
            ids, counted = object_ids(store)  # a copy the crash left twice may stay
            assert set(ids) == every and len(every) == counted, (point, nth)  # until gc
            assert all_texts(store) == texts, (point, nth)
            # what a crashed write leaves (a temp file, a pack not yet indexed) is gc's
            assert cli("gc", "--grace", "0").exit_code == 0
            assert all_texts(store) == texts and cli("check").stdout == "", (point, nth)


@pytest.mark.slow
@pytest.mark.usefixtures("keep_packs")
def test_an_add_killed_in_its_merge_reported_everything_and_loses_nothing(
        cli: CliRun, store: Path, tmp_path: Path) -> None:
    """A real kill (``os._exit`` in a subprocess) once the merge's new pack is durable,
    and once the first old pack is gone: the add had reported every article, all of them
    read, and the next add merges what is left."""
    for k in range(3):
        add_rows(cli, tmp_path, f"b{k}", [article(i, k) for i in range(20)])
    template = tmp_path / "template"
    shutil.copytree(store, template)
    new = write_jsonl(tmp_path / "new.jsonl", [article(i, 5) for i in range(20)])
    on = tmp_path / "on.toml"
    on.write_text("auto_pack = true\n")
    env = {**os.environ, "NEWSARCHIVE_CONFIG": str(on)}
    for point in ("tidy-written", "pack-retired"):
        shutil.rmtree(store)
        shutil.copytree(template, store)
        r = subprocess.run([sys.executable, "-c", DRIVER, point, "1", "--store", str(store),
                            "add", str(new), "--json"], capture_output=True, timeout=120,
                           env=env, check=False)
        assert r.returncode == 137, r.stderr
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(lines) == 20 and {x["status"] for x in lines} == {"revised"}
        texts = all_texts(store)
        assert len(texts) == 4 * 20
        for x in lines:
            assert x["hash"] in {t.hash for t in _revisions(store, x["id"])}
        assert cli("--config", str(on), "add", str(EXAMPLES)).exit_code == 0
        ids, counted = object_ids(store)
        assert len(set(ids)) == counted
        assert {k: v for k, v in all_texts(store).items() if k in texts} == texts
        assert cli("check").stdout == ""


def _revisions(store: Path, article_id: str) -> list[newsarchive.Revision]:
    with newsarchive.open(store) as archive:
        return list(archive.log(article_id))


@pytest.mark.usefixtures("keep_packs")
def test_a_damaged_pack_is_left_and_the_others_merge(cli: CliRun, store: Path,
                                                     tmp_path: Path) -> None:
    """A pack whose entries and index disagree (a damaged head) is left as it is, for
    check and gc; the other packs of its tier are merged without it, so that the packs do
    not grow in number until the damage is repaired."""
    for k in range(3):
        add_rows(cli, tmp_path, f"b{k}", [article(i, k) for i in range(20)])
    healthy = [p.name for p in packs(store)]
    damaged = packs(store)[1]
    healthy.remove(damaged.name)
    data = bytearray(damaged.read_bytes())
    data[8 + 3] = 1  # the first entry's reserved byte: the scan stops there
    damaged.write_bytes(bytes(data))
    with newsarchive.open(store) as archive, archive.store.locked():
        done = tidy(archive.store.objects)
    assert done.packs == 2
    left = [p.name for p in packs(store)]
    assert len(left) == 2 and damaged.name in left and not set(healthy) & set(left)
    assert damaged.read_bytes() == bytes(data)
    problems = json.loads(cli("check", "--json").stdout)["problems"]
    assert problems and all(damaged.name in p["detail"] for p in problems), problems


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.parametrize("damage", ["offsets", "ids"])
def test_a_merge_through_a_damaged_multi_pack_index_keeps_every_object(
        cli: CliRun, store: Path, tmp_path: Path, damage: str) -> None:
    """The merge takes each object's copy where the multi-pack index says; a damaged
    index must not make it drop one: it merges every object or nothing."""
    from newsarchive.store.midx import MultiPackIndex

    for k in range(3):
        add_rows(cli, tmp_path, f"b{k}", [article(i, k) for i in range(20)])
    texts = all_texts(store)
    ids_before = set(object_ids(store)[0])
    path = midx_of(store)
    midx = MultiPackIndex(path)
    start = path.stat().st_size - 32 - midx.count * 48
    midx.close()
    data = bytearray(path.read_bytes())
    for i in range(0, 30 * 48, 48):  # 30 records' ids or offsets
        at = start + i + (0 if damage == "ids" else 32)
        data[at:at + 4] = bytes(4)
    path.write_bytes(bytes(data))
    with newsarchive.open(store) as archive, archive.store.locked():
        objects = archive.store.objects
        # the tail and whole file as they are: update_midx sees the packs unchanged
        tidy(objects)
    assert set(object_ids(store)[0]) >= ids_before
    assert all_texts(store) == texts
    assert cli("gc", "--grace", "0").exit_code == 0 and cli("check").stdout == ""
    assert set(object_ids(store)[0]) == ids_before


TIDIER = r"""
import os, sys
import newsarchive
from newsarchive.store.upkeep import tidy
store, stop = sys.argv[1], sys.argv[2]
packed = rounds = 0
while not os.path.exists(stop) or rounds == 0:
    with newsarchive.open(store, wait=60) as archive, archive.store.locked():
        bases = archive.store.catalog().previous_objects  # as an add's tidy
        packed += tidy(archive.store.objects, bases=bases, loose_limit=1).loose
    rounds += 1
print(packed, rounds)
"""


@pytest.mark.slow
def test_loose_objects_packed_beside_running_writers_lose_nothing(
        cli: CliRun, store: Path, tmp_path: Path) -> None:
    """A process packing every loose object it finds, as often as it gets the lock,
    beside writers that write their texts loose before they take the lock (and again
    under it, should the first copy be gone): every text a writer reported is there."""
    import threading

    assert cli("add", str(EXAMPLES)).exit_code == 0
    stop = tmp_path / "stop"
    tidier = subprocess.Popen([sys.executable, "-c", TIDIER, str(store), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reported: dict[str, str] = {}
    errors: list[bytes] = []

    def writer(w: int) -> None:
        for k in range(12):
            r = subprocess.run(
                [sys.executable, "-m", "newsarchive", "--store", str(store), "--wait", "60",
                 "add", "-", "--source", f"w{w}", "--date", "2024-03-01", "--slug", f"s{k}",
                 "--title", f"Story {k}", "--json"],
                input=f"Writer {w} wrote story {k}.\n".encode(), capture_output=True,
                timeout=120, check=False)
            if r.returncode:
                errors.append(r.stderr)
            for line in r.stdout.splitlines():
                rec = json.loads(line)
                reported[rec["id"]] = f"Writer {w} wrote story {k}.\n"

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    stop.touch()
    out, err = tidier.communicate(timeout=120)
    assert tidier.returncode == 0, err
    packed, rounds = map(int, out.split())
    assert errors == [] and len(reported) == 24
    assert packed > 0 and rounds > 1
    with newsarchive.open(store) as archive:
        for ref, text in reported.items():
            assert archive.show(ref) == text
    r = cli("check", "--json")
    assert r.exit_code == 0 and not [p for p in json.loads(r.stdout)["problems"]
                                     if p["damage"]]

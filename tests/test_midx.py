"""The multi-pack index written in pieces (store/midx.py): a rebuild one first byte at a
time and an update spliced into the old file's map give the bytes of the whole index
built at once, and neither holds the index in memory; small adds rewrite its tail, not
the whole file."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.store import objects as objects_module
from newsarchive.store.midx import (
    MIDX_NAME,
    RECORD_SIZE,
    TAIL_NAME,
    MultiPackIndex,
    PackIndexSource,
    append,
    build,
    same_records,
    write,
)
from tests.conftest import CliRun
from tests.test_crash import DRIVER
from tests.test_packs import all_texts, article, midx_of, packs, several_packs, write_jsonl


def _source(number: int, ids: list[bytes]) -> PackIndexSource:
    """A pack's index records (sorted by id): id, u64 offset, u32 length, u8 depth, pad."""
    records = b"".join(oid + (number * 1000 + i).to_bytes(8, "big") + (7).to_bytes(4, "big")
                       + bytes([i % 3]) + bytes(3) for i, oid in enumerate(sorted(set(ids))))
    return PackIndexSource(f"pack-{number:04d}", bytes([number]) * 32, memoryview(records))


def _expected(sources: list[PackIndexSource]) -> list[bytes]:
    """Every record tagged with its pack's number, sorted, the first of each id kept."""
    recs = sorted(bytes(src.records[i:i + 45]) + n.to_bytes(3, "big")
                  for n, src in enumerate(sources)
                  for i in range(0, src.records.nbytes, RECORD_SIZE))
    out: list[bytes] = []
    for rec in recs:
        if not out or out[-1][:32] != rec[:32]:
            out.append(rec)
    return out


# ids from a small space, so that packs share some (an object stored twice)
_ID = st.builds(lambda a, b, rest: bytes([a, b]) + rest, st.integers(0, 255),
                st.integers(0, 3), st.binary(min_size=30, max_size=30))
_PACKS = st.lists(st.lists(_ID, max_size=40), min_size=2, max_size=5)


@settings(max_examples=80, deadline=None)
@given(packs=_PACKS, split=st.integers(1, 4))
def test_a_rebuild_and_an_update_write_the_index_built_at_once(
        tmp_path_factory: object, packs: list[list[bytes]], split: int) -> None:
    tmp: Path = tmp_path_factory.mktemp("midx")  # type: ignore[attr-defined]
    sources = [_source(n, ids) for n, ids in enumerate(packs)]
    split = min(split, len(sources) - 1)
    rebuilt = write(tmp, *build(sources))
    midx = MultiPackIndex(rebuilt, verify=True)  # the checksum and the fan-out agree
    assert bytes(midx.records()) == b"".join(_expected(sources))
    assert list(midx.names) == [s.name for s in sources]
    assert same_records(midx, sources)
    for oid in {oid for ids in packs for oid in ids}:
        assert midx.find(oid) is not None
    whole = rebuilt.read_bytes()
    midx.close()

    older = tmp / "older"
    older.mkdir()
    old = MultiPackIndex(write(older, *build(sources[:split])), verify=True)
    names, checksums, pieces, fanout = append(old, sources[split:])
    updated = tmp / "updated"
    updated.mkdir()
    write(updated, names, checksums, pieces, fanout=fanout)
    old.close()
    assert (updated / MIDX_NAME).read_bytes() == whole


def test_a_rebuild_holds_a_fraction_of_the_index(tmp_path: Path) -> None:
    """100,000 objects in 4 packs (a 4.8 MB index): the rebuild keeps one first byte's
    records at a time and reads the file back for its checksum a MiB at a time (built
    whole, the records took some 100 bytes an object and the file was copied twice:
    over 20 MB here)."""
    ids = [i.to_bytes(4, "big") * 8 for i in range(0, 2**32, 2**32 // 100_000)][:100_000]
    sources = [_source(n, ids[n::4]) for n in range(4)]
    tracemalloc.start()
    try:
        write(tmp_path, *build(sources))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = (tmp_path / MIDX_NAME).stat().st_size
    assert size > 100_000 * RECORD_SIZE
    assert peak < size / 2, (peak, size)
    midx = MultiPackIndex(tmp_path / MIDX_NAME, verify=True)
    assert midx.count == 100_000
    midx.close()


# -- the tail: small adds rewrite it, not the whole index -----------------------------------
def _add(cli: CliRun, tmp_path: Path, k: int, articles: int) -> None:
    rows = [article(i, k) for i in range(articles)]
    r = cli("add", str(write_jsonl(tmp_path / f"t{k}.jsonl", rows)))
    assert r.exit_code == 0, r.stderr


def _files(store: Path) -> tuple[bytes | None, list[str] | None]:
    """The whole index's bytes, and the packs the tail lists (None: no such file)."""
    whole = midx_of(store)
    tail = whole.with_name(TAIL_NAME)
    listed = None
    if tail.exists():
        midx = MultiPackIndex(tail, verify=True)
        listed = list(midx.names)
        midx.close()
    return (whole.read_bytes() if whole.exists() else None), listed


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
def test_small_adds_rewrite_the_tail_and_merge_it_when_it_grows(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 2)
    several_packs(cli, store, tmp_path, n=2, articles=60)  # the whole index: 2 packs
    whole, tail = _files(store)
    assert whole is not None and tail is None
    texts = all_texts(store)
    seen = []
    for k in range(2, 12):  # 20 revisions each: a pack of ~40 objects
        _add(cli, tmp_path, k, 20)
        now, tail = _files(store)
        seen.append((now == whole, len(tail or [])))
        whole = now
        assert cli("check").stdout == ""
    # each add either put its pack into the tail, the whole index untouched, or (the
    # tail grown too large) merged the tail into the whole index and removed it
    assert seen[:2] == [(True, 1), (True, 2)] and (False, 0) in seen
    before = 0
    for same, listed in seen:
        assert listed == (before + 1 if same else 0)
        before = listed
    assert all(t in all_texts(store).values() for t in texts.values())
    with newsarchive.open(store) as archive:
        objects = archive.store.objects
        assert objects.count() == len(set(objects))
        assert not objects._uncovered  # every pack listed by one file or the other


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
def test_a_tail_left_by_a_merge_is_harmless_and_removed(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge writes the whole index with the tail's packs, then removes the tail: a
    crash in between leaves a tail listing packs the whole index lists too."""
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 2)
    several_packs(cli, store, tmp_path, n=2, articles=60)
    _add(cli, tmp_path, 2, 20)
    tail = midx_of(store).with_name(TAIL_NAME)
    old_tail = tail.read_bytes()
    with newsarchive.open(store) as archive:
        assert archive.store.objects.rebuild_midx()  # the merge, as far as the crash
    tail.write_bytes(old_tail)
    texts = all_texts(store)
    r = cli("check", "--json")
    notes = json.loads(r.stdout)["problems"]
    assert r.exit_code == 0 and [p["kind"] for p in notes] == ["unindexed"], notes
    assert "stale" in notes[0]["detail"] and not notes[0]["damage"]
    _add(cli, tmp_path, 3, 20)  # the next add writes a tail of its own pack only
    assert _files(store)[1] == [packs(store)[-1].stem]
    assert cli("check").stdout == ""
    assert all(t in all_texts(store).values() for t in texts.values())


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
def test_a_damaged_tail_is_damage_reads_stay_right_and_gc_rebuilds(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 2)
    several_packs(cli, store, tmp_path, n=2, articles=60)
    _add(cli, tmp_path, 2, 20)
    texts = all_texts(store)
    tail = midx_of(store).with_name(TAIL_NAME)
    data = bytearray(tail.read_bytes())
    data[-40] ^= 0xFF  # an entry's byte: the checksum no longer matches
    tail.write_bytes(bytes(data))
    assert all_texts(store) == texts
    r = cli("check", "--json")
    notes = json.loads(r.stdout)["problems"]
    assert r.exit_code == 1 and [(p["kind"], p["damage"]) for p in notes] == \
        [("corrupt", True)] and notes[0]["object"].endswith(TAIL_NAME), notes
    assert cli("gc", "--grace", "0").exit_code == 0
    assert not tail.exists() and cli("check").stdout == ""
    assert all_texts(store) == texts


TAIL_DRIVER = DRIVER.replace(
    "faults.install(hook)\n",
    "faults.install(hook)\nimport newsarchive.store.objects as o\no.TAIL_SHARE = 2\n")


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
@pytest.mark.parametrize("point", ["midx-written", "midx-renamed"])
def test_an_add_killed_while_it_writes_the_tail_loses_nothing(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        point: str) -> None:
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 2)
    several_packs(cli, store, tmp_path, n=2, articles=60)
    _add(cli, tmp_path, 2, 20)  # a tail of one pack
    texts = all_texts(store)
    killed = write_jsonl(tmp_path / "killed.jsonl", [article(i, 3) for i in range(20)])
    r = subprocess.run([sys.executable, "-c", TAIL_DRIVER, point, "1", "--store", str(store),
                        "add", str(killed)], capture_output=True, check=False, timeout=120)
    assert r.returncode == 137, r.stderr
    assert all_texts(store) == texts
    assert cli("check").exit_code == 0  # notes at most: nothing is damaged
    assert cli("add", str(killed)).exit_code == 0  # run again, it completes
    assert cli("gc", "--grace", "0").exit_code == 0  # (the killed writer's temp file)
    assert cli("check").stdout == ""
    after = all_texts(store)
    assert all(after[ref] == text for ref, text in texts.items()) and len(after) > len(texts)


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
def test_writing_the_tail_never_reads_the_whole_index_a_splice_checks_it_first(
        cli: CliRun, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An add that only rewrites the tail does not read the whole index's records (so
    its cost does not grow with the store): a damaged whole index stays as it is. A
    splice copies those records, so it checks the checksum first and rebuilds instead."""
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 2)
    several_packs(cli, store, tmp_path, n=2, articles=60)
    whole = midx_of(store)
    data = bytearray(whole.read_bytes())
    data[-40] ^= 0xFF  # an entry's byte: the checksum no longer matches
    whole.write_bytes(bytes(data))
    texts = all_texts(store)
    _add(cli, tmp_path, 2, 20)
    assert whole.read_bytes() == bytes(data) and _files(store)[1] == [packs(store)[-1].stem]
    assert all(t in all_texts(store).values() for t in texts.values())
    monkeypatch.setattr(objects_module, "TAIL_SHARE", 10**9)  # the next add splices
    _add(cli, tmp_path, 3, 20)
    assert whole.read_bytes() != bytes(data) and _files(store)[1] is None
    assert cli("check").stdout == ""

"""The multi-pack index written in pieces (store/midx.py): a rebuild one first byte at a
time and an update spliced into the old file's map give the bytes of the whole index
built at once, and neither holds the index in memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.store.midx import (
    MIDX_NAME,
    RECORD_SIZE,
    MultiPackIndex,
    PackIndexSource,
    append,
    build,
    same_records,
    write,
)


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

"""The multi-pack index: one sorted file over the objects of every pack.

Without it a lookup bisects each pack's index in turn, so its cost grows with the number
of packs (a cron add writes one pack per run: 251 packs grew to 291 in a day). With it a
lookup is one bisect in one mapped file, whatever the number of packs (as git's
``multi-pack-index``).

``objects/pack/multi-pack-index``, all integers big-endian::

    magic            NAMI\\x01\\0\\0\\0
    u32 P            packs covered
    u32 N            objects listed (each id once)
    P x 96 bytes     pack name (64 bytes, ASCII, NUL-padded) | SHA-256 trailer of its .idx
    256 x u32        fan-out: entry b is the number of ids whose first byte is <= b
    N x 48 bytes     sorted by id: id (32) | u64 offset | u32 entry length | u8 depth |
                     u24 pack number (the pack's position in the list above)
    32 bytes         SHA-256 of everything before

An object held by several packs is listed once, at the copy whose record (offset, length,
depth, pack number) sorts first, so that a rebuild and an update give the same bytes.

It is derived, never trusted over the packs: it is written (temp file, fsync, rename,
fsync of the directory) after a pack is added or packs are removed, by the writer holding
the store's lock; readers check its header, length and pack list (a pack it does not
list is searched through its own index; a pack it lists that is gone is never read), and
every object read through it is re-hashed. A read that fails through it (a stale or
damaged entry) is tried again through the packs' own indexes. ``check`` verifies the
checksum and compares the whole file with a rebuild from the packs' indexes; ``gc`` and
``check --repair`` rebuild it. Losing it costs speed, never an object.

**Two layers.** Rewriting the whole file after every add that writes a pack cost each
cron add a copy of it (24 MB at 100,000 articles, 240 MB at a million: the index grows
with the store, the add does not). So the packs written since the file was last written
whole get a second file of the same format, ``multi-pack-index-tail``, over those packs
only. An add rewrites the tail, which holds at most a 64th as many records as the first
file; one that would hold more is merged into the first file instead, and removed. An add
so writes a 128th of the index on average instead of all of it, plus, spread over the
adds, 64 records of the whole index for each object it adds. Lookups ask the tail, then
the first file. A tail listing a pack the first file lists too (a merge stopped before
it removed the tail) is ignored by writers and harmless to readers.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from newsarchive.store.fanout import Fanout
from newsarchive.store.files import O_BINARY, O_NOFOLLOW, replace_atomically, sha256_head

MIDX_NAME = "multi-pack-index"
#: The second, small index over the packs written since the first was (see the module
#: docstring): rewritten at each add instead of the whole index.
TAIL_NAME = "multi-pack-index-tail"
MIDX_MAGIC = b"NAMI\x01\x00\x00\x00"
HEAD = struct.Struct(">8sII")
PACK_RECORD = struct.Struct(">64s32s")
FANOUT = struct.Struct(">256I")
RECORD = struct.Struct(">32sQIB3s")
RECORD_SIZE = RECORD.size  # 48
MAX_PACKS = 1 << 24
TMP_PREFIX = ".tmp-"


class MidxFormatError(Exception):
    """The multi-pack index is malformed (not a damage of any object: it is rebuilt)."""


class PackIndexSource:
    """What a rebuild needs of one pack: its name, its index's checksum, and its index
    records (48 bytes each, sorted by id: id, u64 offset, u32 length, u8 depth, 3 pad)."""

    def __init__(self, name: str, checksum: bytes, records: memoryview) -> None:
        self.name = name
        self.checksum = checksum
        self.records = records


class MultiPackIndex:
    """A mapped multi-pack index (see the module docstring)."""

    def __init__(self, path: Path, *, verify: bool = False) -> None:
        """Checks the header, the length and the fan-out's total; ``verify`` also the
        checksum (``check`` and writers do; readers skip it, as for pack indexes: an
        entry read through a damaged index fails its hash check and is read again
        through the packs' own indexes)."""
        self.path = path
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
        try:
            st = os.fstat(fd)
            self.stat = (st.st_ino, st.st_size, st.st_mtime_ns)
            if st.st_size < HEAD.size + FANOUT.size + 32:
                raise MidxFormatError(f"{path}: truncated multi-pack index")
            self._map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        try:
            magic, npacks, count = HEAD.unpack_from(self._map, 0)
            if magic != MIDX_MAGIC:
                raise MidxFormatError(f"{path}: not a multi-pack index")
            fan_at = HEAD.size + npacks * PACK_RECORD.size
            self._rec0 = fan_at + FANOUT.size
            end = self._rec0 + count * RECORD_SIZE
            if len(self._map) != end + 32:
                raise MidxFormatError(f"{path}: wrong length for {count} objects")
            names, sums = [], []
            for i in range(npacks):
                raw, checksum = PACK_RECORD.unpack_from(self._map, HEAD.size + i * PACK_RECORD.size)
                names.append(raw.rstrip(b"\0").decode("ascii", "replace"))
                sums.append(checksum)
            self.names: list[str] = names
            self.checksums: list[bytes] = sums
            self.fanout: tuple[int, ...] = FANOUT.unpack_from(self._map, fan_at)
            if self.fanout[255] != count:
                raise MidxFormatError(f"{path}: fan-out does not add up")
            self.count = count
            if verify:
                self.verify()
        except BaseException:
            self._map.close()
            raise
        self._fanout: Fanout | None = None

    def verify(self) -> None:
        """Check the checksum (reads the whole file): MidxFormatError on a mismatch."""
        end = self._rec0 + self.count * RECORD_SIZE
        if sha256_head(self.path, end) != self._map[end:]:
            raise MidxFormatError(f"{self.path}: checksum mismatch")

    def prepare_lookups(self) -> None:
        """Make :meth:`find` take a 16-bit fan-out (store/fanout.py) in place of a
        binary search: for a scan that looks up every entry."""
        if self._fanout is None:
            self._fanout = Fanout(self._map, self._rec0, self.count, RECORD_SIZE)

    def find(self, key: bytes) -> tuple[int, int, int, int] | None:
        """(pack number, offset, length, depth) of the object ``key`` (32 bytes)."""
        m, rec0 = self._map, self._rec0
        if self._fanout is not None:
            for i in self._fanout.span(key):
                at = rec0 + i * RECORD_SIZE
                if m[at:at + 32] == key:
                    _, offset, length, depth, pack = RECORD.unpack_from(m, at)
                    return int.from_bytes(pack, "big"), offset, length, depth
            return None
        first = key[0]
        lo = self.fanout[first - 1] if first else 0
        hi = self.fanout[first]
        while lo < hi:
            mid = (lo + hi) // 2
            at = rec0 + mid * RECORD_SIZE
            got = m[at:at + 32]
            if got < key:
                lo = mid + 1
            elif got > key:
                hi = mid
            else:
                _, offset, length, depth, pack = RECORD.unpack_from(m, at)
                return int.from_bytes(pack, "big"), offset, length, depth
        return None

    def records(self) -> memoryview:
        """The sorted 48-byte records, as one view of the map."""
        return memoryview(self._map)[self._rec0:self._rec0 + self.count * RECORD_SIZE]

    def __iter__(self) -> Iterator[bytes]:
        m, rec0 = self._map, self._rec0
        for i in range(self.count):
            at = rec0 + i * RECORD_SIZE
            yield m[at:at + 32]

    def close(self) -> None:
        self._map.close()


def build(sources: Sequence[PackIndexSource]
          ) -> tuple[list[str], list[bytes], Iterator[list[bytes]]]:
    """(names, checksums, the sorted unique records) over ``sources`` (the packs in
    order). The records come one first byte at a time (256 lists, each sorted), so that
    a rebuild holds about a 256th of them at once, not every record (some 100 bytes an
    object: 500 MB at a million articles)."""
    if len(sources) >= MAX_PACKS:
        raise MidxFormatError(f"too many packs for one multi-pack index ({len(sources)})")
    return ([s.name for s in sources], [s.checksum for s in sources], _buckets(sources))


def _buckets(sources: Sequence[PackIndexSource]) -> Iterator[list[bytes]]:
    bounds = [_first_bytes(src.records) for src in sources]
    for first in range(256):
        recs: list[bytes] = []
        for number, src in enumerate(sources):
            tag = number.to_bytes(3, "big")
            at = bounds[number]
            area = bytes(src.records[at[first] * RECORD_SIZE:at[first + 1] * RECORD_SIZE])
            recs.extend([area[i:i + 45] + tag for i in range(0, len(area), RECORD_SIZE)])
        recs.sort()  # runs of sorted records: timsort merges them
        unique: list[bytes] = []
        last = b""
        for rec in recs:
            if rec[:32] != last:
                unique.append(rec)
                last = rec[:32]
        yield unique


def _first_bytes(records: memoryview) -> list[int]:
    """Where the records whose ids start with each byte start, and their count last."""
    keys = _Keys(records, 0, records.nbytes // RECORD_SIZE)
    return [bisect_left(keys, bytes([b])) for b in range(256)] + [len(keys)]


def same_records(midx: MultiPackIndex, sources: Sequence[PackIndexSource]) -> bool:
    """Whether ``midx`` lists exactly the records :func:`build` makes of ``sources``,
    compared as they are built (``check``)."""
    m, at, end = midx._map, midx._rec0, midx._rec0 + midx.count * RECORD_SIZE
    for bucket in build(sources)[2]:
        size = len(bucket) * RECORD_SIZE
        if at + size > end or m[at:at + size] != b"".join(bucket):
            return False
        at += size
    return bool(at == end)


def _head(names: Sequence[str], checksums: Sequence[bytes], fanout: Sequence[int]) -> bytes:
    head = bytearray(HEAD.pack(MIDX_MAGIC, len(names), fanout[255]))
    for name, checksum in zip(names, checksums, strict=True):
        raw = name.encode("ascii")
        if len(raw) > 64:
            raise MidxFormatError(f"pack name too long for a multi-pack index: {name}")
        head += PACK_RECORD.pack(raw, checksum)
    return bytes(head + FANOUT.pack(*fanout))


def append(old: MultiPackIndex, sources: Sequence[PackIndexSource]
           ) -> tuple[list[str], list[bytes], Iterator[bytes | memoryview], list[int]]:
    """``old`` with the packs ``sources`` added after its own, as (names, checksums,
    the records in pieces, fan-out) for :func:`write`: the new records are spliced in by
    bisection (an id ``old`` has keeps the record that sorts first, as :func:`build`
    would), and the pieces between them are slices of ``old``'s map (keep it open until
    written), so the cost is a copy of the file, not a sort, and never the file in
    memory."""
    names = list(old.names)
    checksums = list(old.checksums)
    new: list[bytes] = []
    for src in sources:
        tag = len(names).to_bytes(3, "big")
        names.append(src.name)
        checksums.append(src.checksum)
        area = bytes(src.records)
        new.extend(area[i:i + 45] + tag for i in range(0, len(area), RECORD_SIZE))
    if len(names) >= MAX_PACKS:
        raise MidxFormatError(f"too many packs for one multi-pack index ({len(names)})")
    new.sort()
    view = old.records()
    keys = _Keys(view, 0, old.count)
    splices: list[tuple[int, int, bytes]] = []  # (old records before it, old replaced, record)
    counts = [0] * 256
    done = 0  # old records before the last splice
    last = b""
    for rec in new:
        key = rec[:32]
        if key == last:
            continue  # a later copy among the new packs
        last = key
        i = bisect_left(keys, key, lo=done)
        if i < old.count and keys[i] == key:
            if rec >= bytes(view[i * RECORD_SIZE:(i + 1) * RECORD_SIZE]):
                continue  # the old record sorts first: it stays
            splices.append((i, 1, rec))
            done = i + 1
            continue
        splices.append((i, 0, rec))
        done = i
        counts[rec[0]] += 1
    fanout = [was + added for was, added in zip(old.fanout, accumulate(counts), strict=True)]

    def pieces() -> Iterator[bytes | memoryview]:
        done = 0
        for i, replaced, rec in splices:
            yield view[done * RECORD_SIZE:i * RECORD_SIZE]
            yield rec
            done = i + replaced
        yield view[done * RECORD_SIZE:]

    return names, checksums, pieces(), fanout


class _Keys(Sequence[bytes]):
    """The ids of ``count`` records from ``start`` in ``table`` (a map, or a pack index's
    records) as a sequence, for :func:`bisect.bisect_left`."""

    def __init__(self, table: mmap.mmap | memoryview, start: int, count: int) -> None:
        self._m = table
        self._rec0 = start
        self._n = count

    def __len__(self) -> int:
        return int(self._n)

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        at = self._rec0 + i * RECORD_SIZE
        return bytes(self._m[at:at + 32])


def write(pack_dir: Path, names: Sequence[str], checksums: Sequence[bytes],
          records: Iterable[bytes | memoryview | list[bytes]], *,
          fanout: Sequence[int] | None = None, durable: bool = True,
          name: str = MIDX_NAME) -> Path:
    """Write the multi-pack index atomically (temp file, fsync, rename, fsync of the
    directory; a crash leaves the old file, or none, and a temp file for ``gc``) from
    its sorted records, in pieces: a piece is bytes of whole records or a list of
    records. With the ``fanout`` (the header known first) the checksum is taken as the
    pieces are written; without it the fan-out is counted as they are, the header is
    written last and the checksum read back from the file."""
    path = pack_dir / name
    tmp = pack_dir / f"{TMP_PREFIX}{name}.{os.getpid()}"

    def fill(f: BinaryIO) -> None:
        head = _head(names, checksums, fanout if fanout is not None else [0] * 256)
        h = hashlib.sha256(head) if fanout is not None else None
        f.write(head)
        counts = [0] * 256
        for piece in records:
            data = b"".join(piece) if isinstance(piece, list) else piece
            f.write(data)
            if h is not None:
                h.update(data)
            else:
                _count_first_bytes(data, counts)
        if h is None:
            fan = list(accumulate(counts))
            f.seek(0)
            f.write(_head(names, checksums, fan))
            f.flush()
            digest = sha256_head(tmp, len(head) + fan[-1] * RECORD_SIZE)
        else:
            digest = h.digest()
        f.seek(0, os.SEEK_END)
        f.write(digest)

    replace_atomically(tmp, path, fill, durable=durable,
                       points=(None, "midx-written", "midx-renamed"))
    return path


def _count_first_bytes(data: bytes | memoryview, counts: list[int]) -> None:
    """Add the records of ``data`` (sorted) to ``counts`` by the first byte of their id."""
    firsts = bytes(memoryview(data)[::RECORD_SIZE])
    if not firsts:
        return
    for b in range(firsts[0], firsts[-1] + 1):
        counts[b] += bisect_right(firsts, b) - bisect_left(firsts, b)

"""Pack files: many objects in one append-only file, texts stored as deltas.

A pack ``objects/pack/pack-NAME.pack`` is a header ``NAPK\\x01\\0\\0\\0`` followed by
entries; each entry is a fixed 72-byte head and its data::

    kind (u8: 0 blob, 1 record) | encoding (u8, below)
    depth (u8: length of the delta chain, 0 for a full object) | reserved (u8, zero)
    object id (32 bytes) | base object id (32 bytes, zero when none) | data length (u32)

Every byte of a head is checked (:func:`head_problem`): the reserved byte is zero, the
base is zero exactly when the encoding has none (0), the depth is 0 for a whole object
and 1 to :data:`MAX_DEPTH` for a delta, and a read compares the id and the depth with
the index's. Every writer since the first pack wrote heads so; a head that breaks a rule
is damage, seen by reads, ``check`` and the index rebuild alike.

Encodings: 0 zlib; 1 a zlib delta, the payload compressed with its base's payload as
preset dictionary (``zlib.compressobj(zdict=...)``); 2 zstd with a dictionary trained on
the store's texts, the base field naming the dictionary (an object); 3 a zstd delta, the
base's payload as raw-content dictionary (:mod:`newsarchive.store.zstdcodec`). News
revisions differ by a few sentences, so a delta encodes the new text mostly as
references into the old one. Chains are bounded (:data:`MAX_DEPTH`), so a read costs at
most that many decompressions. Writers write 2 and 3 (0 for records and when there is
no dictionary); readers read all four, so packs written before zstd stay readable, and
``gc`` rewrites them. See docs/storage.md for the measured sizes.

``pack-NAME.idx`` is written (temp, fsync, rename) only after its pack is complete and
fsynced; a pack without an index (an interrupted write, or an index lost) is ignored by
readers and indexed again by ``gc`` or ``check --repair`` (:func:`rebuild_index`), never
deleted: its objects may be the only copies. The index is ``NAIX\\x01\\0\\0\\0``, a
u32 count, then ``count`` 48-byte records sorted by id (id, u64 offset, u32 entry length,
u8 depth, 3 pad bytes), then the SHA-256 of everything before it. Readers bisect the
index through mmap and read entries with pread; every object read from a pack is re-hashed
exactly like a loose one.
"""

from __future__ import annotations

import hashlib
import itertools
import mmap
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from newsarchive import faults
from newsarchive.store.fanout import Fanout
from newsarchive.store.files import O_BINARY, O_NOFOLLOW, sha256_head
from newsarchive.store.ids import object_id

PACK_MAGIC = b"NAPK\x01\x00\x00\x00"
IDX_MAGIC = b"NAIX\x01\x00\x00\x00"
ENTRY = struct.Struct(">BBBB32s32sI")
IDX_RECORD = struct.Struct(">32sQIB3x")
KIND_CODES = {"blob": 0, "record": 1}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
MAX_DEPTH = 16
READ_CHUNK = 1 << 20  # bytes read at once by a sequential scan of a pack
PAYLOAD_CACHE = 512  # recent blobs kept as delta bases (memory stays bounded on repacks)
#: Index records (48 bytes an object) a pack writer keeps in memory before it spills them
#: into 16 temp files by the id's first 4 bits: a repack of 100,000 articles writes
#: 500,000 objects (24 MB of records), of a million 5 million (240 MB).
SPILL_BYTES = 16 << 20
ZERO = bytes(32)


class PackFormatError(Exception):
    """A pack or index file is malformed."""


class PackReader:
    """One complete pack (read with pread) and its index (mapped read-only)."""

    def __init__(self, pack_path: Path, *, verify: bool = False) -> None:
        """``verify`` also checks the index's checksum (``check`` does). Readers skip
        it: hashing every index cost a CLI read ~10 ms on a store of 50 packs, and a
        damaged index cannot return wrong data anyway, since every object read is
        re-hashed against its id (at worst an object reads as missing or corrupt)."""
        self.path = pack_path
        self.idx_path = pack_path.with_suffix(".idx")
        idx = _map_file(self.idx_path)
        if idx is None or len(idx) < 44 or idx[:8] != IDX_MAGIC:
            _close(idx)
            raise PackFormatError(f"{self.idx_path}: not a pack index")
        (count,) = struct.unpack(">I", idx[8:12])
        end = 12 + count * IDX_RECORD.size
        if len(idx) != end + 32 or (
                verify and sha256_head(self.idx_path, end) != idx[end:]):
            _close(idx)
            raise PackFormatError(f"{self.idx_path}: index checksum mismatch")
        self._idx = idx
        self.count = count
        self._fanout: Fanout | None = None
        # entries are read with pread, not through a map: pages of a map count in the
        # process's RSS, which then grew with the store on an export or check
        self._fd: int | None = os.open(pack_path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
        if self.read_at(0, 8) != PACK_MAGIC:
            self.close()
            raise PackFormatError(f"{pack_path}: not a pack file")

    def read_at(self, offset: int, length: int) -> bytes:
        assert self._fd is not None
        if hasattr(os, "pread"):
            return os.pread(self._fd, length, offset)
        os.lseek(self._fd, offset, os.SEEK_SET)  # Windows: no pread
        return os.read(self._fd, length)

    def _record(self, i: int) -> tuple[bytes, int, int, int]:
        key, offset, length, depth = IDX_RECORD.unpack_from(self._idx, 12 + i * IDX_RECORD.size)
        return key, offset, length, depth

    def prepare_lookups(self) -> None:
        """Make :meth:`find` take a fan-out (store/fanout.py) in place of a binary
        search: for a scan that looks up every entry."""
        if self._fanout is None:
            self._fanout = Fanout(self._idx, 12, self.count, IDX_RECORD.size)

    def find(self, oid: bytes) -> tuple[int, int, int] | None:
        """(offset, length, depth) of an object, by binary search over the index (a
        store's lookups go through the multi-pack index first: store/midx.py)."""
        if self._fanout is not None:
            idx, size = self._idx, IDX_RECORD.size
            for i in self._fanout.span(oid):
                at = 12 + i * size
                if idx[at:at + 32] == oid:
                    return self._record(i)[1:]
            return None
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            key = self._idx[12 + mid * IDX_RECORD.size: 12 + mid * IDX_RECORD.size + 32]
            if key < oid:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.count:
            key, offset, length, depth = self._record(lo)
            if key == oid:
                return offset, length, depth
        return None

    def size(self) -> int:
        """The pack file's size in bytes."""
        assert self._fd is not None
        return os.fstat(self._fd).st_size

    def records_from(self, start: int) -> Iterator[tuple[bytes, int, int, int]]:
        """The index's records (id, offset, length, depth) of entries at ``start`` or
        after, in offset order (a scan's tail after a damaged head)."""
        found = [r for r in map(self._record, range(self.count)) if r[1] >= start]
        found.sort(key=lambda r: r[1])
        yield from found

    def checksum(self) -> bytes:
        """The index's SHA-256 trailer (as written; ``verify`` checks it)."""
        return bytes(self._idx[-32:])

    def records(self) -> memoryview:
        """The index's sorted 48-byte records."""
        return memoryview(self._idx)[12:12 + self.count * IDX_RECORD.size]

    def heads(self) -> Iterator[tuple[int, str, int, int, bytes, bytes, bytes]]:
        """Every entry in offset order, read sequentially from the pack (one read of
        each entry): (offset, kind, encoding, depth, id, base, data). Stops at the first
        malformed head (:func:`head_problem`); :meth:`find` tells whether the index
        lists an entry."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        offset = len(PACK_MAGIC)
        chunk = b""
        at = offset  # file offset of chunk[0]
        while offset + ENTRY.size <= size:
            if offset + ENTRY.size > at + len(chunk):
                chunk = self.read_at(offset, max(READ_CHUNK, ENTRY.size))
                at = offset
            kind, enc, depth, reserved, oid, base, n = ENTRY.unpack_from(chunk, offset - at)
            end = offset + ENTRY.size + n
            if head_problem(kind, enc, depth, reserved, base) or end > size:
                return
            if end > at + len(chunk):
                chunk = self.read_at(offset, max(READ_CHUNK, end - offset))
                at = offset
            start = offset + ENTRY.size - at
            yield offset, KIND_NAMES[kind], enc, depth, oid, base, chunk[start:start + n]
            offset = end

    def entry(self, offset: int, length: int) -> tuple[str, int, int, bytes, bytes, bytes]:
        """(kind, encoding, depth, oid, base, data) of the entry at ``offset``."""
        raw = self.read_at(offset, length)
        if len(raw) < ENTRY.size:
            raise PackFormatError(f"{self.path}: truncated entry at {offset}")
        kind, enc, depth, reserved, oid, base, n = ENTRY.unpack_from(raw)
        data = raw[ENTRY.size:]
        problem = head_problem(kind, enc, depth, reserved, base)
        if problem is None and len(data) != n:
            problem = "its length"
        if problem is not None:
            raise PackFormatError(f"{self.path}: damaged entry head at {offset} ({problem})")
        return KIND_NAMES[kind], enc, depth, oid, base, data

    def __iter__(self) -> Iterator[str]:
        for key in self.keys():
            yield key.hex()

    def keys(self) -> Iterator[bytes]:
        """The ids the index lists, in id order (32 bytes each)."""
        records = self.records()
        for i in range(0, len(records), IDX_RECORD.size):
            yield bytes(records[i:i + 32])

    def entries(self) -> dict[bytes, tuple[int, int, int]]:
        """Every id with its (offset, length, depth), as the index says."""
        records = map(self._record, range(self.count))
        return {key: (offset, length, depth) for key, offset, length, depth in records}

    def close(self) -> None:
        _close(self._idx)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _close(m: mmap.mmap | None) -> None:
    if m is not None:
        m.close()


def _map_file(path: Path) -> mmap.mmap | None:
    """``path`` mapped read-only (None when empty); links are not followed."""
    fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
    try:
        size = os.fstat(fd).st_size
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if size else None
    finally:
        os.close(fd)


ZLIB, ZLIB_DELTA, ZSTD_DICT, ZSTD_DELTA = 0, 1, 2, 3
DELTAS = (ZLIB_DELTA, ZSTD_DELTA)  # encodings whose base field names a delta base
ENCODINGS = 4


def head_problem(kind: int, enc: int, depth: int, reserved: int, base: bytes) -> str | None:
    """What is wrong with an entry head's fields, or None: the rules every writer has
    kept (see the module docstring), so that no byte of a head can be damaged unseen."""
    if kind not in KIND_NAMES:
        return f"kind {kind}"
    if enc >= ENCODINGS:
        return f"encoding {enc}"
    if reserved:
        return f"reserved byte {reserved}"
    if (base == ZERO) != (enc == ZLIB):
        return "base id" if enc == ZLIB else "no base id"
    if (depth == 0) != (enc not in DELTAS) or depth > MAX_DEPTH:
        return f"depth {depth}"
    return None


def inflate(enc: int, data: bytes, base_payload: bytes | None, base: bytes = ZERO) -> bytes:
    """An entry's payload from its data: ``base_payload`` is the delta base's (1, 3) or
    the dictionary's (2, then ``base`` is its id), verified by the caller."""
    if enc == ZLIB or (enc == ZLIB_DELTA and base_payload is not None):
        d = zlib.decompressobj(zdict=_zdict(base_payload)) \
            if enc == ZLIB_DELTA and base_payload is not None else zlib.decompressobj()
        payload = d.decompress(data) + d.flush()
        if not d.eof or d.unused_data:  # every byte of an entry's data is its stream's
            raise PackFormatError("zlib stream " + ("cut short" if not d.eof else
                                                    f"followed by {len(d.unused_data)} bytes"))
        return payload
    if enc in (ZSTD_DICT, ZSTD_DELTA) and base_payload is not None:
        # imported here: only reads of zstd entries pay for zstandard's import
        from newsarchive.store import zstdcodec

        try:
            if enc == ZSTD_DICT:
                return zstdcodec.decompress_with(data, base_payload, base)
            return zstdcodec.decompress_delta(data, base_payload)
        except (zstdcodec.Error, zstdcodec.ZstdFormatError) as err:
            raise PackFormatError(f"undecodable zstd data ({err})") from err
    raise PackFormatError(f"unknown entry encoding {enc}")


def _zdict(base_payload: bytes) -> bytes:
    return base_payload[-32768:]  # deflate's window: only the last 32 KiB can be referenced


def deflate_delta(payload: bytes, base_payload: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY,
                         zdict=_zdict(base_payload))
    return c.compress(payload) + c.flush()


def write_index(pack: Path, entries: dict[bytes, tuple[int, int, int]] | Records, *,
                durable: bool = True) -> None:
    """Write ``pack``'s index (temp file, fsync, rename): id -> (offset, length, depth),
    or those as 48-byte index records in any order (each id once; consumed as they are
    sorted)."""
    if isinstance(entries, Records):
        count = entries.count
        chunks: Iterable[bytes] = entries.sorted_chunks()
    else:
        count = len(entries)
        chunks = [b"".join(IDX_RECORD.pack(key, *entries[key]) for key in sorted(entries))]
    digest = hashlib.sha256()
    tmp_idx = pack.with_name(f".tmp-{pack.stem}.idx")
    with open(tmp_idx, "wb") as f:
        for chunk in itertools.chain([IDX_MAGIC + struct.pack(">I", count)], chunks):
            f.write(chunk)
            digest.update(chunk)
        f.write(digest.digest())
        f.flush()
        if durable:
            os.fsync(f.fileno())
    faults.point("object-fsynced")
    os.replace(tmp_idx, pack.with_suffix(".idx"))
    faults.point("object-renamed")


class Records:
    """A pack's index records as its writer makes them, in any order, in bounded memory:
    past :data:`SPILL_BYTES` they go to 16 temp files beside the pack (``stem.recN``, by
    the id's first 4 bits, removed by :meth:`close`, or by ``gc`` after a crash), and
    come back sorted one file at a time."""

    def __init__(self, stem: Path) -> None:
        self.stem = stem
        self.count = 0
        self._buffer = bytearray()
        self._parts: list[Any] | None = None  # the spill files, when there are any

    def add(self, record: bytes) -> None:
        self._buffer += record
        self.count += 1
        if len(self._buffer) >= SPILL_BYTES:
            self._spill()

    def _spill(self) -> None:
        if self._parts is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY
            self._parts = []
            for n in range(16):
                self._parts.append(os.fdopen(os.open(self._path(n), flags, 0o644), "w+b"))
        size = IDX_RECORD.size
        pieces = [bytearray() for _ in range(16)]
        with memoryview(self._buffer) as view:
            for i in range(0, len(view), size):
                pieces[view[i] >> 4] += view[i:i + size]
        self._buffer.clear()
        for part, piece in zip(self._parts, pieces, strict=True):
            part.write(piece)

    def sorted_chunks(self) -> Iterator[bytes]:
        """The records in id order, a run at a time (the writer's are consumed)."""
        if self._parts is None:
            yield from _sorted_chunks(self._buffer)
            return
        self._spill()
        for part in self._parts:
            part.seek(0)
            yield from _sorted_chunks(bytearray(part.read()))

    def close(self) -> None:
        """Remove the spill files."""
        for n, part in enumerate(self._parts or ()):
            part.close()
            Path(self._path(n)).unlink(missing_ok=True)
        self._parts = None
        self._buffer = bytearray()

    def _path(self, n: int) -> str:
        return f"{self.stem}.rec{n:x}"


def _sorted_chunks(records: bytearray) -> Iterator[bytes]:
    """The 48-byte index records in id order, a run of them at a time, emptying
    ``records``: spread over 256 buckets by the id's first byte in one pass, then each
    bucket sorted alone. Sorting them all as bytes objects held 43 MB more than the
    records at 480,000 objects (a repack at 100,000 articles)."""
    size = IDX_RECORD.size
    buckets = [bytearray() for _ in range(256)]
    with memoryview(records) as view:
        for i in range(0, len(records), size):
            buckets[records[i]] += view[i:i + size]
    records.clear()
    for bucket in buckets:
        yield b"".join(sorted(bytes(bucket[j:j + size]) for j in range(0, len(bucket), size)))
        bucket.clear()


def rebuild_index(pack: Path, known: dict[bytes, tuple[int, int, int]] | None = None) -> int:
    """Index ``pack`` again from its entries' heads (a lost, damaged or swapped index);
    returns the entries indexed. The scan stops at the first malformed head; ``known``
    entries (the old index's) whose heads check out are kept too, so that one damaged
    head does not hide the objects after it."""
    entries: dict[bytes, tuple[int, int, int]] = {}
    with open(pack, "rb") as f:
        if f.read(len(PACK_MAGIC)) != PACK_MAGIC:
            raise PackFormatError(f"{pack}: not a pack file")
        size = os.fstat(f.fileno()).st_size

        def head_at(offset: int) -> tuple[bytes, int, int] | None:
            """(id, entry length, depth) of a well-formed entry at ``offset``."""
            if offset < len(PACK_MAGIC) or offset + ENTRY.size > size:
                return None
            f.seek(offset)
            kind, enc, depth, reserved, oid, base, n = ENTRY.unpack(f.read(ENTRY.size))
            if head_problem(kind, enc, depth, reserved, base) or offset + ENTRY.size + n > size:
                return None
            return oid, ENTRY.size + n, depth

        offset = len(PACK_MAGIC)
        while (found := head_at(offset)) is not None:
            oid, length, depth = found
            entries.setdefault(oid, (offset, length, depth))
            offset += length
        for oid, (offset, length, depth) in (known or {}).items():
            if oid not in entries and head_at(offset) == (oid, length, depth):
                entries[oid] = (offset, length, depth)
    write_index(pack, entries)
    return len(entries)


class PackWriter:
    """Appends objects to a new pack; :meth:`finish` makes it durable and visible.

    ``lookup(oid)`` tells whether an object exists already (anywhere in the store) and
    ``load(oid)`` returns (payload, depth) of a possible delta base outside this pack.
    With ``dedup=False`` the caller puts each object once (a repack, which keeps its own
    set of what is left to write) and the writer keeps no set of the ids it wrote.
    """

    def __init__(self, pack_dir: Path, *, exists: Callable[[str], bool],
                 load_base: Callable[[str], tuple[bytes, int] | None],
                 durable: bool = True,
                 on_finish: Callable[[Path], None] | None = None,
                 codec: str = "zstd", dedup: bool = True) -> None:
        pack_dir.mkdir(parents=True, exist_ok=True)
        if pack_dir.is_symlink():
            raise OSError(f"refusing to write packs through a symlink: {pack_dir}")
        self.dir = pack_dir
        self.name = f"pack-{time.time_ns():x}-{os.getpid()}"
        self.tmp = pack_dir / f".tmp-{self.name}.pack"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW
        self._f = os.fdopen(os.open(self.tmp, flags, 0o644), "wb")
        self._f.write(PACK_MAGIC)
        self._offset = len(PACK_MAGIC)
        # the ids written (for duplicates; None: the caller sees to them) and their index
        # records, 48 bytes each: a repack of 480,000 objects held ~300 bytes an object in
        # a dict of tuples
        self._keys: set[bytes] | None = set() if dedup else None
        self._records = Records(pack_dir / f".tmp-{self.name}")
        self._payloads: dict[str, tuple[bytes, int]] = {}
        self._on_finish = on_finish
        self._codec = codec  # "zstd", or "zlib" (as before zstd: encodings 0 and 1)
        self._dictionary: Any = None  # a zstdcodec.Trained, for whole texts
        self._exists = exists
        self._load_base = load_base
        self.durable = durable
        self.written = 0

    def __contains__(self, oid: str) -> bool:
        assert self._keys is not None, "a writer without dedup does not know what it wrote"
        return bytes.fromhex(oid) in self._keys

    def put(self, kind: str, payload: bytes, base: str | None = None) -> str:
        """Add an object (no-op when stored already), as a delta against ``base`` if it pays."""
        oid = object_id(kind, payload)
        key = bytes.fromhex(oid)
        if (self._keys is not None and key in self._keys) or self._exists(oid):
            return oid
        delta = None
        if base is not None and base != oid:
            found = self._payloads.get(base) or self._load_base(base)
            if found is not None and found[1] + 1 < MAX_DEPTH:
                delta = (self._delta(payload, found[0]), found[1] + 1)
        delta_enc = ZSTD_DELTA if self._codec == "zstd" else ZLIB_DELTA
        if delta is not None and len(delta[0]) * 8 < len(payload):
            # clearly a good delta: no need to try the full compression too
            enc, depth, base_key, data = delta_enc, delta[1], bytes.fromhex(base or ""), delta[0]
        else:
            enc, depth, base_key, data = self._whole(kind, payload)
            if delta is not None and len(delta[0]) < len(data):
                enc, depth, base_key, data = delta_enc, delta[1], bytes.fromhex(base or ""), \
                    delta[0]
        self._append(KIND_CODES[kind], enc, depth, key, base_key, data)
        if self._keys is not None:
            self._keys.add(key)
        self._payloads[oid] = (payload, depth)  # a possible base for what comes next
        if len(self._payloads) > PAYLOAD_CACHE:
            del self._payloads[next(iter(self._payloads))]
        return oid

    def holds(self, oid: str) -> bool:
        """Whether ``oid`` was put here recently enough to be a delta base (its payload
        and depth are at hand; an older entry of this pack is not: its depth is not)."""
        return oid in self._payloads

    def copy(self, kind: str, enc: int, depth: int, key: bytes, base: bytes,
             data: bytes) -> None:
        """Add another pack's entry as it is (a merge of packs: its delta base and its
        dictionary are named by id, so the entry means the same in any pack). The
        caller copies each id once and has checked the head (:meth:`PackReader.heads`
        yields only well-formed ones)."""
        self._append(KIND_CODES[kind], enc, depth, key, base, data)

    def _append(self, kind: int, enc: int, depth: int, key: bytes, base: bytes,
                data: bytes) -> None:
        """Write an entry (its head, then its data) and keep its index record."""
        head = ENTRY.pack(kind, enc, depth, 0, key, base, len(data))
        self._f.write(head)
        self._f.write(data)
        length = len(head) + len(data)
        self._records.add(IDX_RECORD.pack(key, self._offset, length, depth))
        self._offset += length
        self.written += 1

    def _delta(self, payload: bytes, base_payload: bytes) -> bytes:
        if self._codec == "zstd":
            from newsarchive.store import zstdcodec  # only writers of zstd entries load it

            return zstdcodec.compress_delta(payload, base_payload)
        return deflate_delta(payload, base_payload)

    def _whole(self, kind: str, payload: bytes) -> tuple[int, int, bytes, bytes]:
        if self._dictionary is not None and kind == "blob":
            return ZSTD_DICT, 0, self._dictionary.oid, self._dictionary.compress(payload)
        return ZLIB, 0, ZERO, zlib.compress(payload, 6)

    def use_dictionary(self, dictionary: bytes, *, store: bool) -> str:
        """Compress whole texts with the trained ``dictionary`` from now on (encoding 2);
        with ``store``, write the dictionary into this pack first (a repack: each pack
        ``gc`` writes holds the dictionary its entries need). Returns its id."""
        from newsarchive.store import zstdcodec  # only writers of zstd entries load it

        oid = object_id("blob", dictionary)
        if store:
            saved, self._dictionary = self._dictionary, None
            self.put("blob", dictionary)
            self._dictionary = saved
        self._dictionary = zstdcodec.Trained(dictionary, bytes.fromhex(oid))
        return oid

    def finish(self) -> Path | None:
        """Fsync the pack, write its index, rename both into place, then tell
        ``on_finish`` (the store adds the pack to its multi-pack index); None when empty."""
        self._f.flush()
        if not self.written:
            self._f.close()
            os.unlink(self.tmp)
            return None
        if self.durable:
            os.fsync(self._f.fileno())
        self._f.close()
        pack = self.dir / f"{self.name}.pack"
        os.replace(self.tmp, pack)
        if self._keys is not None:
            self._keys.clear()
        try:
            write_index(pack, self._records, durable=self.durable)
        finally:
            self._records.close()
        if self.durable:
            fd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if self._on_finish is not None:
            self._on_finish(pack)
        return pack

    def abort(self) -> None:
        self._records.close()
        try:
            self._f.close()
        finally:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass

"""Immutable, content-addressed objects under ``<store>/objects/``.

Each object is one file ``objects/ab/cdef...`` named by its object id (64 hex digits):
zlib-compressed bytes of ``KIND\\n`` followed by the payload. Two kinds exist:

- ``blob``: article text (canonical UTF-8) or an original input. Its id is the SHA-256 of
  the payload, so the id of a text *is* its content hash (SPEC 4).
- ``record``: a revision record (canonical JSON). Its id is the SHA-256 of
  ``b"newsarchive-record\\n" + payload``, so no blob, whatever its bytes, can pose as a record.

Writes go to a temp file in the same directory, are fsynced, renamed into place and the
directory is fsynced; an object that already exists is never rewritten. Every read
re-hashes the payload and raises :class:`IntegrityError` when it does not match its name.
Names are validated before any path is built and files are opened with ``O_NOFOLLOW``, so
neither a hostile id nor a planted symlink leads outside the store.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsarchive import faults
from newsarchive.errors import IntegrityError, StoreError
from newsarchive.store.files import O_BINARY, O_NOFOLLOW, fsync_dir, replace_atomically
from newsarchive.store.ids import KINDS, object_id
from newsarchive.store.midx import MAX_PACKS, MIDX_NAME, RECORD_SIZE, TAIL_NAME, \
    MidxFormatError, MultiPackIndex, PackIndexSource, same_records
from newsarchive.store.midx import append as midx_append
from newsarchive.store.midx import build as midx_build
from newsarchive.store.midx import write as midx_write
from newsarchive.store.interface import Scanned
from newsarchive.store.packs import (
    DELTAS,
    ENTRY,
    PACK_MAGIC,
    ZSTD_DICT,
    PackFormatError,
    PackReader,
    PackWriter,
    inflate,
    rebuild_index,
)
from newsarchive.text.canonical import HASH_RE

TMP_PREFIX = ".tmp-"
DICTIONARY_NAME = "dictionary"  # objects/pack/dictionary: the id of gc's zstd dictionary
SCAN_CACHE_ENTRIES = 256  # delta bases a scan keeps (recent payloads)
SCAN_CACHE_BYTES = 32 << 20
#: The tail of the multi-pack index holds at most this share (1/N) of the records of the
#: whole one before it is merged in (store/midx.py); a batch of new packs holding up to
#: 1/MERGE_SHARE is spliced into the whole one, more is a rebuild.
TAIL_SHARE = 64
MERGE_SHARE = 8


class _Layer:
    """One multi-pack index file, and the pack each of its pack numbers names (None: a
    pack it lists that is gone). A plain class: every command loads this module, and a
    NamedTuple costs its start-up 0.3 ms more."""

    __slots__ = ("midx", "packs")

    def __init__(self, midx: MultiPackIndex, packs: list[str | None]) -> None:
        self.midx = midx
        self.packs = packs

    def find(self, key: bytes) -> tuple[str | None, int, int, int] | None:
        """(pack, offset, length, depth) of ``key`` when this file lists it."""
        found = self.midx.find(key)
        if found is None:
            return None
        number, offset, length, depth = found
        return (self.packs[number] if number < len(self.packs) else None, offset, length,
                depth)


class _LRU:
    """Recent payloads by id, bounded in number and in bytes."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._entries = entries
        self._max = max_bytes
        self._bytes = 0

    def get(self, oid: str) -> bytes | None:
        found = self._items.get(oid)
        if found is not None:
            self._items.move_to_end(oid)
        return found

    def put(self, oid: str, payload: bytes) -> None:
        if oid in self._items or len(payload) > self._max:
            return
        self._items[oid] = payload
        self._bytes += len(payload)
        while len(self._items) > self._entries or self._bytes > self._max:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old)


def encode(kind: str, payload: bytes, level: int = 6) -> bytes:
    return zlib.compress(kind.encode("ascii") + b"\n" + payload, level)


def decode(oid: str, data: bytes, where: str) -> tuple[str, bytes]:
    """Decompress and verify one object's bytes; ``where`` names it in errors."""
    try:
        raw = zlib.decompress(data)
    except zlib.error as err:
        raise IntegrityError(oid, oid, "undecodable", where) from err
    kind_bytes, sep, payload = raw.partition(b"\n")
    kind = kind_bytes.decode("ascii", "replace")
    if not sep or kind not in KINDS:
        raise IntegrityError(oid, oid, "no valid object header", where)
    got = object_id(kind, payload)
    if got != oid:
        raise IntegrityError(oid, oid, got, where)
    return kind, payload


class ObjectStore:
    """Loose objects in a fan-out directory, and packs: the file-system backend of
    :mod:`newsarchive.store.interface`; see the module docstring."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self._root = str(root)
        self.durable = durable
        self._names: list[str] | None = None  # complete packs present (with an index)
        self._readers: dict[str, PackReader | None] = {}  # opened on first use
        self._indexes: dict[str, MultiPackIndex] = {}  # the multi-pack index files loaded
        self._layers: list[_Layer] = []  # the tail first, then the whole index
        self._uncovered: list[str] = []  # present packs no multi-pack index lists
        self._dictionaries: dict[str, bytes] = {}  # verified zstd dictionaries by id

    # -- packs ------------------------------------------------------------------------
    @property
    def pack_dir(self) -> Path:
        return self.root / "pack"

    @property
    def midx_path(self) -> Path:
        return self.pack_dir / MIDX_NAME

    @property
    def tail_path(self) -> Path:
        return self.pack_dir / TAIL_NAME

    def _layout(self, refresh: bool = False) -> list[str]:
        """The names of the complete packs (those with an index), and the multi-pack
        index over them; listed once, and again on ``refresh``."""
        if self._names is not None and not refresh:
            return self._names
        names: list[str] = []
        if self.pack_dir.is_dir() and not self.pack_dir.is_symlink():
            listing = set(os.listdir(self.pack_dir))
            names = sorted(n[:-5] for n in listing if n.startswith("pack-")
                           and n.endswith(".pack") and n[:-5] + ".idx" in listing)
        present = set(names)
        for name in [n for n in self._readers if n not in present]:
            reader = self._readers.pop(name)
            if reader is not None:
                reader.close()
        self._layers = [_Layer(midx, [n if n in present else None for n in midx.names])
                        for midx in self._load_midx(bool(names))]
        covered = {n for layer in self._layers for n in layer.midx.names}
        self._uncovered = [n for n in names if n not in covered]
        self._names = names
        return names

    def _load_midx(self, any_packs: bool) -> list[MultiPackIndex]:
        """The multi-pack index files there are, the tail first (each loaded again only
        when its file changed)."""
        out = []
        for path in (self.tail_path, self.midx_path):
            try:
                st = os.stat(path) if any_packs else None
            except OSError:
                st = None
            old = self._indexes.pop(path.name, None)
            if st is not None and old is not None and old.stat == (
                    st.st_ino, st.st_size, st.st_mtime_ns):
                self._indexes[path.name] = old  # the same file
                out.append(old)
                continue
            if old is not None:
                old.close()
            if st is not None:
                try:
                    self._indexes[path.name] = midx = MultiPackIndex(path)
                except (OSError, MidxFormatError):
                    continue  # its packs are searched one by one; check reports it
                out.append(midx)
        return out

    def pack_tier(self, *, whole: bool) -> list[str]:
        """The complete packs the whole multi-pack index file lists (``whole``), or those
        only its tail lists (listed afresh). Packs neither lists are in neither."""
        present = set(self._layout(refresh=True))
        files = [self._indexes.get(MIDX_NAME), self._indexes.get(TAIL_NAME)]
        listed = [set(midx.names) if midx is not None else set() for midx in files]
        names = listed[0] if whole else listed[1] - listed[0]
        return sorted(names & present)

    def locate(self, key: bytes) -> tuple[str, int] | None:
        """The pack and offset at which the multi-pack index files list ``key`` (the
        tail first): the one copy of it they give readers. None when they list none."""
        for layer in self._layers:
            found = layer.find(key)
            if found is not None:
                return None if found[0] is None else (found[0], found[1])
        return None

    def reader(self, name: str) -> PackReader | None:
        """The pack ``name`` opened (None when it cannot be: ``check`` reports it)."""
        return self._reader(name)

    def _reader(self, name: str) -> PackReader | None:
        if name not in self._readers:
            try:
                self._readers[name] = PackReader(self.pack_dir / f"{name}.pack")
            except (OSError, PackFormatError):
                self._readers[name] = None  # reported by check
        return self._readers[name]

    def packs(self, *, refresh: bool = False) -> list[PackReader]:
        """The complete packs (those with an index), listed once and on ``refresh``."""
        return [r for n in self._layout(refresh) if (r := self._reader(n)) is not None]

    def pack_count(self) -> int:
        """How many complete packs there are (none is opened)."""
        return len(self._layout(refresh=True))

    def _lookup(self, key: bytes) -> tuple[PackReader, int, int, int] | None:
        """Where the packs hold ``key``: one bisect in each multi-pack index file (the
        tail, the whole one), and one in each pack they do not cover (none, unless a
        write was interrupted)."""
        for layer in self._layers:
            found = layer.find(key)
            if found is not None:
                name, offset, length, depth = found
                reader = self._reader(name) if name is not None else None
                if reader is not None:
                    return reader, offset, length, depth
                # listed in a pack that is gone (another process's gc): ask the packs
                return next(self._search_indexes(key), None)
        for name in self._uncovered:
            reader = self._reader(name)
            if reader is not None:
                hit = reader.find(key)
                if hit is not None:
                    return (reader, *hit)
        return None

    def _search_indexes(self, key: bytes) -> Iterator[tuple[PackReader, int, int, int]]:
        """Every place the packs' own indexes list ``key`` (never the multi-pack index):
        the slow way, taken when a read through the multi-pack index fails."""
        for name in self._layout():
            reader = self._reader(name)
            if reader is not None:
                hit = reader.find(key)
                if hit is not None:
                    yield (reader, *hit)

    def _packed(self, oid: str, *, refresh_on_miss: bool = True
                ) -> tuple[PackReader, int, int, int] | None:
        """Where ``oid`` is packed. A miss looks again at the pack directory (a ``gc`` in
        another process may have replaced the packs) unless ``refresh_on_miss`` is off."""
        key = bytes.fromhex(oid)
        for refresh in (False, True) if refresh_on_miss else (False,):
            self._layout(refresh)
            hit = self._lookup(key)
            if hit is not None:
                return hit
        return None

    def _get_packed(self, oid: str, depth_left: int = 64) -> tuple[str, bytes, int] | None:
        """(kind, payload, depth) of a packed object, verified. The multi-pack index is
        never trusted over the packs: a miss or a failed read through it is tried again
        through the packs' own indexes."""
        hit = self._packed(oid)
        if hit is None and self._layers:
            hit = next(self._search_indexes(bytes.fromhex(oid)), None)
        if hit is None:
            return None
        try:
            return self._read_packed(oid, *hit, depth_left=depth_left)
        except IntegrityError as err:
            if not self._layers:
                raise
            first = err
        for other in self._search_indexes(bytes.fromhex(oid)):
            # the same entry is tried again when its pack's own index lists another length
            # or depth for it: the multi-pack index's may be what is damaged
            if other == hit:
                continue
            try:
                return self._read_packed(oid, *other, depth_left=depth_left)
            except IntegrityError:
                continue
        raise first

    def _read_packed(self, oid: str, reader: PackReader, offset: int, length: int,
                     depth: int, *, depth_left: int = 64) -> tuple[str, bytes, int]:
        where = f"{reader.path}@{offset}"
        try:
            kind, enc, head_depth, head_id, base, data = reader.entry(offset, length)
            if head_id != bytes.fromhex(oid) or head_depth != depth:
                what = "id" if head_id != bytes.fromhex(oid) else f"depth {head_depth}"
                raise PackFormatError(f"{reader.path}: damaged entry head at {offset} "
                                      f"({what}: not what the index lists)")
        except PackFormatError as err:
            raise IntegrityError(oid, oid, f"undecodable ({err})", where) from err
        except OSError as err:
            raise StoreError(f"cannot read {where}: {err.strerror or err}") from err
        payload = self._inflate(oid, kind, enc, base, data, where, depth_left, reader)
        return kind, payload, depth

    def _inflate(self, oid: str, kind: str, enc: int, base: bytes, data: bytes, where: str,
                 depth_left: int, reader: PackReader, cache: _LRU | None = None) -> bytes:
        """The verified payload of one entry of ``reader``'s pack (its delta base read
        as needed: from the same pack first, so that a chain never mixes the copies of
        packs that store deltas in opposite directions, as a repack's next to the adds'
        it replaces: that made a cycle)."""
        try:
            base_payload = None
            if enc in DELTAS or enc == ZSTD_DICT:
                if depth_left <= 0:
                    raise PackFormatError("delta chain too deep")
                base_oid = base.hex()
                what = "dictionary" if enc == ZSTD_DICT else "delta base"
                if enc == ZSTD_DICT:  # kept: every whole text of a pack names it
                    base_payload = self._dictionaries.get(base_oid)
                elif cache is not None:
                    base_payload = cache.get(base_oid)
                inside = reader.find(base) if base_payload is None else None
                if inside is not None:
                    try:
                        base_payload = self._read_packed(base_oid, reader, *inside,
                                                         depth_left=depth_left - 1)[1]
                    except IntegrityError:
                        base_payload = None  # another copy, elsewhere, may be whole
                if base_payload is None:
                    got = self._get_packed(base_oid, depth_left - 1)
                    if got is None:
                        try:
                            got = (*self.get(base_oid), 0)
                        except KeyError:
                            raise IntegrityError(oid, oid, f"missing {what} "
                                                 f"{base_oid[:12]}", where) from None
                    base_payload = got[1]
                if enc == ZSTD_DICT and base_oid not in self._dictionaries:
                    self._dictionaries[base_oid] = base_payload
                    while len(self._dictionaries) > 4:
                        del self._dictionaries[next(iter(self._dictionaries))]
            payload = inflate(enc, data, base_payload, base)
        except (zlib.error, PackFormatError) as err:
            raise IntegrityError(oid, oid, f"undecodable ({err})", where) from err
        got_id = object_id(kind, payload)
        if got_id != oid:
            raise IntegrityError(oid, oid, got_id, where)
        return payload

    def pack_writer(self, *, repack: bool = False,
                    train_on: Iterable[bytes] | None = None) -> PackWriter:
        """A writer for a new pack; texts may name a delta base already stored. Its
        ``finish`` adds the pack to the multi-pack index (the caller holds the lock).

        Whole texts are compressed with the dictionary the store names. When it names
        none, a dictionary is trained on ``train_on`` (read only then: a bulk add passes
        its batch's texts; a sample of them when there are many), written into this pack
        and named once the pack is finished, so a store is nearly as small after its first
        bulk add as after a ``gc``.

        With ``repack``, objects are written even when stored elsewhere already, the
        multi-pack index is left to :meth:`retire_packs`, and the caller writes each object
        once (the writer keeps no set of what it wrote).
        """
        trained: str | None = None  # the id of a dictionary this writer trained

        def load_base(oid: str) -> tuple[bytes, int] | None:
            try:
                hit = self._get_packed(oid)
                if hit is not None:
                    return hit[1], hit[2]
                return self.get(oid)[1], 0
            except (KeyError, IntegrityError):
                return None

        def added(pack: Path) -> None:
            self.update_midx()
            if trained is not None:  # the pack that holds it is durable and indexed
                self.set_dictionary(trained)

        self._refuse_links()
        writer = PackWriter(self.pack_dir,
                            exists=(lambda oid: False) if repack else self.contains,
                            load_base=load_base, durable=self.durable,
                            on_finish=None if repack else added, dedup=not repack)
        if not repack:  # whole texts with the dictionary of the last gc, when there is one
            trained = self.use_store_dictionary(writer, train_on)
        return writer

    # -- the zstd dictionary ----------------------------------------------------------
    def use_store_dictionary(self, writer: PackWriter, train_on: Iterable[bytes] | None
                             ) -> str | None:
        """Have ``writer`` compress whole texts with the dictionary the store names; when
        it names none, with one trained on ``train_on`` (read only then; a sample of it
        when there are many) and written into the writer's pack. Returns the id of a
        dictionary so trained, for the caller to name (:meth:`set_dictionary`) once that
        pack is durable and listed; else None."""
        dictionary = self.dictionary()
        if dictionary is not None:
            writer.use_dictionary(dictionary, store=False)
            return None
        if train_on is None:
            return None
        from newsarchive.store import zstdcodec  # only a writer that trains loads it

        dictionary = zstdcodec.train(zstdcodec.reservoir(train_on, zstdcodec.SAMPLES))
        return writer.use_dictionary(dictionary, store=True) if dictionary is not None else None

    @property
    def dictionary_path(self) -> Path:
        return self.pack_dir / DICTIONARY_NAME

    def dictionary_id(self) -> str | None:
        """The id ``objects/pack/dictionary`` names: the dictionary ``gc`` trained last
        (an object in the pack it wrote), for writers to compress whole texts with. Only
        a hint: entries name their dictionary themselves."""
        try:
            fd = os.open(self.dictionary_path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
        except OSError:
            return None
        try:
            text = os.read(fd, 128).decode("ascii", "replace").strip()
        except OSError:
            return None
        finally:
            os.close(fd)
        return text if HASH_RE.match(text) else None

    def dictionary(self) -> bytes | None:
        """The payload of :meth:`dictionary_id`, verified; None when there is none, or it
        cannot be read (``check`` reports that; writers then use zlib for whole texts)."""
        oid = self.dictionary_id()
        if oid is None:
            return None
        try:
            kind, payload = self.get(oid)
        except (KeyError, IntegrityError, StoreError):
            return None
        return payload if kind == "blob" else None

    def set_dictionary(self, oid: str | None) -> None:
        """Name the dictionary writers use (None: none), atomically; the caller holds the
        write lock and has made the object durable."""
        if oid is None:
            self.dictionary_path.unlink(missing_ok=True)
            return
        self._refuse_links(self.pack_dir)
        tmp = self.pack_dir / f"{TMP_PREFIX}{DICTIONARY_NAME}.{os.getpid()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW | O_BINARY
        fd = os.open(tmp, flags, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(oid.encode("ascii") + b"\n")
            f.flush()
            if self.durable:
                os.fsync(f.fileno())
        os.replace(tmp, self.dictionary_path)
        faults.point("dictionary-named")
        if self.durable:
            fsync_dir(self.pack_dir)

    # -- the multi-pack index ---------------------------------------------------------
    def _sources(self, names: list[str]) -> list[PackIndexSource]:
        out = []
        for name in names:
            reader = self._reader(name)
            if reader is not None:
                out.append(PackIndexSource(name, reader.checksum(), reader.records()))
        return out

    def update_midx(self, without: frozenset[str] = frozenset()) -> bool:
        """Bring the multi-pack index up to date with the packs, leaving out the packs
        named in ``without`` (about to be deleted; the caller holds the write lock).
        Packs neither file lists go into the tail, written anew with the packs it lists;
        a tail that would hold more than a TAIL_SHARE-th of the whole index's records is
        spliced into it instead (more than a MERGE_SHARE-th: the whole index is
        rebuilt), and removed. A missing, damaged or stale whole index, or packs gone
        from it, is a rebuild (packs gone from the tail only: the tail is written anew).
        The whole index's checksum is read only when its records are copied (a splice):
        writing the tail reads none of them, so an add costs the same whatever the
        store's size. Returns whether a file was written or removed."""
        names = [n for n in self._layout(refresh=True) if n not in without]
        whole = self._current(self.midx_path, names) if len(names) >= 2 else None
        tail = self._current(self.tail_path, names) if whole is not None else None
        try:
            if whole is not None:
                if tail is not None and set(tail.names) & set(whole.names):
                    tail.close()  # left by a merge that stopped before removing it
                    tail = None
                listed = {*whole.names, *(tail.names if tail is not None else ())}
                new = [n for n in names if n not in listed]
                if not new:
                    return False if tail is not None else self._remove_tail()
                sources = self._sources([*(tail.names if tail is not None else ()), *new])
                size = sum(src.records.nbytes for src in sources)
                if size < whole.count * RECORD_SIZE // TAIL_SHARE:
                    self._write_midx(*midx_build(sources), name=TAIL_NAME)
                    return True
                if size < whole.count * RECORD_SIZE // MERGE_SHARE and self._verified(whole):
                    self._write_midx(*midx_append(whole, sources))
                    self._remove_tail()
                    return True
        finally:
            for midx in (whole, tail):
                if midx is not None:
                    midx.close()
        return self.rebuild_midx(names)

    def _current(self, path: Path, names: list[str]) -> MultiPackIndex | None:
        """The multi-pack index file at ``path`` (its checksum not read), when every pack
        it lists is present with the index it was written from; else None."""
        try:
            midx = MultiPackIndex(path)
        except (OSError, MidxFormatError):
            return None
        present = set(names)
        if all(n in present for n in midx.names) and all(
                (r := self._reader(n)) is not None and r.checksum() == c
                for n, c in zip(midx.names, midx.checksums, strict=True)):
            return midx
        midx.close()
        return None

    @staticmethod
    def _verified(midx: MultiPackIndex) -> bool:
        try:
            midx.verify()
        except (OSError, MidxFormatError):
            return False
        return True

    def rebuild_midx(self, names: list[str] | None = None) -> bool:
        """Write the multi-pack index anew over ``names`` (default: every complete pack),
        without a tail; with fewer than two packs, remove it (one pack's own index is one
        bisect too, and the store saves a copy of it). The caller holds the write lock."""
        if names is None:
            names = self._layout(refresh=True)
        sources = self._sources(names)
        if len(sources) < 2:
            removed = self._remove_tail()
            if os.path.lexists(self.midx_path):
                os.unlink(self.midx_path)
                self._layout(refresh=True)
                return True
            return removed
        self._write_midx(*midx_build(sources))
        self._remove_tail()
        return True

    def _write_midx(self, names: list[str], checksums: list[bytes],
                    records: Iterable[bytes | memoryview | list[bytes]],
                    fanout: list[int] | None = None, *, name: str = MIDX_NAME) -> None:
        self._refuse_links(self.pack_dir)
        midx_write(self.pack_dir, names, checksums, records, fanout=fanout,
                   durable=self.durable, name=name)
        self._layout(refresh=True)

    def _remove_tail(self) -> bool:
        """Remove the tail (after the whole index was written with its packs)."""
        if not os.path.lexists(self.tail_path):
            return False
        os.unlink(self.tail_path)
        if self.durable:
            fsync_dir(self.pack_dir)
        self._layout(refresh=True)
        return True

    def retire_packs(self, readers: list[PackReader]) -> None:
        """Remove packs whose objects are stored elsewhere now (a repack wrote them into
        a new pack, durably): the multi-pack index is rewritten without them first, then
        each index and pack is deleted (index first: a pack without one is ignored). A
        crash in between leaves packs the index does not cover: read through their own
        indexes, dropped by the next repack."""
        gone = frozenset(r.path.name[:-5] for r in readers)
        self.update_midx(without=gone)
        for name in sorted(gone):
            reader = self._readers.pop(name, None)
            if reader is not None:
                reader.close()
            for suffix in (".idx", ".pack"):
                (self.pack_dir / f"{name}{suffix}").unlink(missing_ok=True)
            faults.point("pack-retired")
        self._layout(refresh=True)

    def midx_problems(self) -> list[tuple[str, str, str, bool]]:
        """What ``check`` reports of the multi-pack index (the whole file and its tail):
        (kind, file, detail, damage). A damaged file is damage (``gc`` and ``check
        --repair`` rebuild it), a missing or stale one a note; readers are right either
        way (see store/midx.py)."""
        names = self._layout(refresh=True)
        path = str(self.midx_path)
        if not os.path.lexists(self.midx_path):
            if len(names) < 2 and not os.path.lexists(self.tail_path):
                return []  # none is needed
            return [("unindexed", path, "no multi-pack index: lookups search every pack's "
                     "index (the next bulk add or gc writes it)", False)]
        layers: list[MultiPackIndex] = []
        try:
            for file in (self.midx_path, self.tail_path):
                if file == self.tail_path and not os.path.lexists(file):
                    continue
                try:
                    layers.append(MultiPackIndex(file, verify=True))
                except (OSError, MidxFormatError) as err:
                    why = str(err).removeprefix(f"{file}: ")
                    return [("corrupt", str(file), f"unreadable multi-pack index ({why}); "
                             "reads go through the packs' own indexes; gc or check "
                             "--repair rebuilds it", True)]
            stale = self._stale(layers, names)
        finally:
            for midx in layers:
                midx.close()
        if stale:
            return [("unindexed", path, f"the multi-pack index is stale ({stale}): reads "
                     "check the packs' own indexes; gc rebuilds it", False)]
        return []

    def _stale(self, layers: list[MultiPackIndex], names: list[str]) -> str:
        """Why the multi-pack index files (the whole one, then the tail) are not what
        writing them anew over the packs ``names`` would give ('' when they are)."""
        sources = {src.name: src for src in self._sources(names)}
        if len(sources) >= MAX_PACKS:
            raise MidxFormatError(f"too many packs for one multi-pack index ({len(sources)})")
        listed = [n for midx in layers for n in midx.names]
        if len(sources) < 2:
            return f"there are {len(sources)} pack(s): none is needed"
        if listed != list(sources):
            return f"it lists {len(listed)} pack(s), there are {len(sources)}"
        for midx in layers:
            mine = [sources[n] for n in midx.names]
            if midx.checksums != [src.checksum for src in mine]:
                return "a pack's index changed since it was written"
            if not same_records(midx, mine):  # streamed: no copy of every record
                return "its entries differ from the packs' indexes"
        return ""

    def pack_problems(self) -> list[tuple[str, str, str, bool]]:
        """What ``check`` reports of the files beside the packs: the multi-pack index
        (:meth:`midx_problems`) and the dictionary's name. A dictionary that entries name
        and that is missing or corrupt shows as those entries' damage (each one is
        reported corrupt, naming it); the name itself is only a hint for writers."""
        problems = self.midx_problems()
        oid = self.dictionary_id()
        if oid is None and os.path.lexists(self.dictionary_path):
            problems.append(("corrupt", str(self.dictionary_path), "not the id of a "
                             "dictionary: whole texts are written with zlib until gc "
                             "trains one again", False))
        elif oid is not None and self.dictionary() is None:
            problems.append(("missing", str(self.dictionary_path), f"the dictionary it "
                             f"names ({oid[:12]}) cannot be read: whole texts are written "
                             "with zlib until gc trains one again", False))
        return problems

    def path(self, oid: str) -> Path:
        return Path(self._loose(oid))

    def where(self, oid: str) -> str:
        """Where ``oid`` is (or would be) stored, for messages."""
        if not self.is_loose(oid):
            hit = self._packed(oid, refresh_on_miss=False)
            if hit is not None:
                return f"{hit[0].path}@{hit[1]}"
        return self._loose(oid)

    def mtime(self, oid: str) -> float | None:
        """When the loose copy of ``oid`` was written; None when it has none (packed
        objects are dropped by repacking, not one by one)."""
        try:
            return os.lstat(self._loose(oid)).st_mtime
        except FileNotFoundError:
            return None

    def _loose(self, oid: str) -> str:
        """The loose object's path as a string (cheaper than a Path on bulk writes)."""
        if not HASH_RE.match(oid):
            raise ValueError(f"not an object id: {oid!r}")
        return os.path.join(self._root, oid[:2], oid[2:])

    def _open_read(self, path: Path) -> bytes | None:
        try:
            fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
        except FileNotFoundError:
            return None
        except OSError as err:
            if os.path.islink(path):  # planted: corrupt (a repair sets it aside), not
                oid = path.parent.name + path.name  # unreadable (which it must refuse)
                raise IntegrityError(oid, "", "a symbolic link, not an object file",
                                     str(path)) from None
            raise StoreError(f"cannot read object {path}: {err.strerror or err}") from err
        try:
            with os.fdopen(fd, "rb") as f:
                return f.read()
        except OSError as err:  # EIO from a failing disk, EISDIR
            raise StoreError(f"cannot read object {path}: {err.strerror or err}") from err

    def contains(self, oid: str) -> bool:
        """Whether ``oid`` is stored (used before writing: a stale pack list at worst
        stores an object twice, never loses one)."""
        return (os.path.lexists(self._loose(oid))
                or self._packed(oid, refresh_on_miss=False) is not None)

    def is_packed(self, oid: str) -> bool:
        """Whether a pack holds ``oid`` (as the packs were last listed)."""
        return self._packed(oid, refresh_on_miss=False) is not None

    def is_loose(self, oid: str) -> bool:
        return os.path.lexists(self._loose(oid))

    def get(self, oid: str) -> tuple[str, bytes]:
        """The kind and payload of ``oid``; KeyError if absent, IntegrityError if corrupt."""
        path = self.path(oid)
        data = self._open_read(path)
        if data is None:
            packed = self._get_packed(oid)
            if packed is None:
                raise KeyError(oid)
            return packed[0], packed[1]
        return decode(oid, data, str(path))

    def put(self, kind: str, payload: bytes, base: str | None = None) -> str:
        """Store an object (no-op when present) and return its id.

        ``base`` (a likely similar object) matters only to pack writers.
        """
        oid = object_id(kind, payload)
        path = self.path(oid)
        if self.contains(oid):
            return oid
        self._write(path, encode(kind, payload))
        return oid

    def _refuse_links(self, *dirs: Path) -> None:
        for d in (self.root, *dirs):
            if d.is_symlink():
                raise StoreError(f"refusing to write through a symbolic link: {d}")

    def _write(self, path: Path, data: bytes) -> None:
        self._refuse_links()
        try:
            for attempt in range(3):
                try:
                    self._write_once(path, data)
                    return
                except FileNotFoundError:
                    # a gc in another process (``--grace 0``) removed our temp file or the
                    # emptied fan-out directory between two of our steps: write again
                    if attempt == 2:
                        raise
        except OSError as err:
            reason = err.strerror or str(err)
            raise StoreError(f"cannot write object to {path.parent}: {reason}") from err

    def _write_once(self, path: Path, data: bytes) -> None:
        directory = path.parent
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            if self.durable:
                fsync_dir(directory.parent)
        if directory.is_symlink():
            raise StoreError(f"refusing to write through a symbolic link: {directory}",
                             remedy="repair")
        tmp = directory / f"{TMP_PREFIX}{path.name}.{os.getpid()}.{threading.get_ident()}"
        replace_atomically(tmp, path, data, durable=self.durable,
                           points=("object-temp-written", "object-fsynced", "object-renamed"))

    def __iter__(self) -> Iterator[str]:
        """Every object id present, loose then packed (an id may appear twice: loose and
        packed, in packs of both multi-pack index files, or in packs neither covers)."""
        yield from self.loose()
        self._layout(refresh=True)
        if self._layers and all(n is not None for layer in self._layers for n in layer.packs):
            for layer in self._layers:
                for key in layer.midx:
                    yield key.hex()
            names = self._uncovered
        else:
            names = self._layout()
        for name in names:
            reader = self._reader(name)
            if reader is not None:
                yield from reader

    def scan(self) -> Iterator[Scanned]:
        """Every object once, read and verified, in bounded memory: (id, kind, payload,
        error), where a corrupt object has an :class:`IntegrityError` and one that cannot
        be read (permissions, I/O) a :class:`StoreError` instead of a kind and payload.

        Loose objects come first (their ids are kept, to skip their packed copies: as
        many as there are loose objects, which ``gc`` packs), then each pack's entries in
        offset order, read sequentially, each once; delta bases come from a bounded cache
        of recent payloads (in a pack written by ``gc`` a base is the entry just before),
        a miss reads the base through the index. An object held by several packs is
        yielded once, where the multi-pack index lists it (twice if it is in packs the
        multi-pack index does not cover). Entries the pack's index lists beyond a
        damaged head, or an entry that does not decode (its length may be what is
        damaged), are read through the index."""
        loose: set[str] = set()
        for oid in self.loose():
            loose.add(oid)
            path = self.path(oid)
            try:
                data = self._open_read(path)
                if data is None:
                    continue  # removed meanwhile (a gc in another process)
                kind, payload = decode(oid, data, str(path))
            except (IntegrityError, StoreError) as err:
                yield Scanned(oid, None, None, err)
                continue
            yield Scanned(oid, kind, payload, None)
        names = self._layout(refresh=True)
        covered = {n for layer in self._layers for n in layer.midx.names}
        cache = _LRU(SCAN_CACHE_ENTRIES, SCAN_CACHE_BYTES)
        for layer in self._layers:
            layer.midx.prepare_lookups()  # every entry is looked up
        for name in names:
            reader = self._reader(name)
            if reader is None:
                continue  # an unreadable index: check reports the pack
            reader.prepare_lookups()
            mine = name if name in covered else None  # what _canonical compares
            end = len(PACK_MAGIC)
            try:
                for offset, kind, enc, depth, key, base, data in reader.heads():
                    end = offset + ENTRY.size + len(data)
                    listed = self._canonical(key, reader, mine, offset)
                    if listed is None:
                        continue
                    oid = key.hex()
                    got = None
                    if listed != (depth, ENTRY.size + len(data)):
                        what = f"depth {depth}" if listed[0] != depth else "its length"
                        got = Scanned(oid, None, None, IntegrityError(
                            oid, oid, f"undecodable ({reader.path}: damaged entry head at "
                            f"{offset} ({what}: not what the index lists))",
                            f"{reader.path}@{offset}"))
                    elif oid not in loose:
                        got = self._scanned(oid, kind, enc, base, data, reader, offset, cache)
                    if got is not None and oid not in loose:
                        yield got
                    if got is not None and got.error is not None:
                        # damaged, perhaps in its length, which would lead the sequential
                        # read astray (an index rebuilt from the heads agrees with it):
                        # what follows is read through the index
                        end = offset + 1
                        break
                done = end >= reader.size()
            except OSError:
                done = False  # read what is left entry by entry: each failure is named
            if done:
                continue
            for key, offset, length, depth in reader.records_from(end):
                oid = key.hex()
                if oid in loose or self._canonical(key, reader, mine, offset) is None:
                    continue
                try:
                    got_kind, payload, _ = self._read_packed(oid, reader, offset, length, depth)
                except (IntegrityError, StoreError) as err:
                    yield Scanned(oid, None, None, err)
                    continue
                yield Scanned(oid, got_kind, payload, None)

    def _canonical(self, key: bytes, reader: PackReader, covered: str | None,
                   offset: int) -> tuple[int, int] | None:
        """The depth and entry length the pack's own index lists for the entry ``key``
        at ``offset`` of the pack ``covered`` names (None: a pack no multi-pack index
        covers) when it is the copy a scan yields (the one the multi-pack index lists,
        the tail first, else, in a pack they do not cover, the one the pack's own index
        lists); None when it is not. The multi-pack index only chooses the copy: a
        damaged length or depth of its own is not the entry's."""
        found = next((hit for layer in self._layers if (hit := layer.find(key))), None) \
            if covered is not None else None
        if found is not None and (found[0], found[1]) != (covered, offset):
            listed, at = found[0], found[1]
            other = self._reader(listed) if listed is not None else None
            there = other.find(key) if other is not None else None
            if there is not None and there[0] == at:
                return None  # yielded where it is listed (its pack's index agrees)
        own = reader.find(key)
        return (own[2], own[1]) if own is not None and own[0] == offset else None

    def _scanned(self, oid: str, kind: str, enc: int, base: bytes, data: bytes,
                 reader: PackReader, offset: int, cache: _LRU) -> Scanned:
        try:
            payload = self._inflate(oid, kind, enc, base, data, f"{reader.path}@{offset}",
                                    64, reader, cache)
        except (IntegrityError, StoreError) as err:
            return Scanned(oid, None, None, err)
        cache.put(oid, payload)
        return Scanned(oid, kind, payload, None)

    def count(self) -> int:
        """How many objects there are, without listing them: exact when the multi-pack
        index files cover every pack (each packed id counted once, a loose object that is
        also packed not again), unless an object is held by packs of both files; else the
        sum of the pack indexes' counts, which counts an object held by two packs twice.
        Costs a listing of the loose objects."""
        names = self._layout(refresh=True)
        layers = self._layers
        exact = bool(layers) and all(n is not None for layer in layers for n in layer.packs)
        total = sum(layer.midx.count for layer in layers) if exact else 0
        for name in self._uncovered if exact else names:
            reader = self._reader(name)
            total += reader.count if reader is not None else 0
        for oid in self.loose():
            if not (exact and not self._uncovered and any(
                    layer.midx.find(bytes.fromhex(oid)) is not None for layer in layers)):
                total += 1
        return total

    def _fanout_dirs(self) -> Iterator[Path]:
        """The ``ab/`` directories of loose objects (links are never followed)."""
        if not self.root.is_dir():
            return
        for sub in sorted(os.listdir(self.root)):
            d = self.root / sub
            if len(sub) == 2 and not d.is_symlink() and d.is_dir():
                yield d

    def fanout_links(self) -> list[Path]:
        """Fan-out directories (``ab/``) that are symbolic links: never written through,
        never scanned (:meth:`replace_fanout_link` mends them)."""
        if not self.root.is_dir() or self.root.is_symlink():
            return []
        return [self.root / n for n in sorted(os.listdir(self.root))
                if len(n) == 2 and all(c in "0123456789abcdef" for c in n)
                and (self.root / n).is_symlink()]

    def replace_fanout_link(self, link: Path) -> int:
        """Replace a fan-out directory planted as a link by a real directory holding
        verified copies of the objects the link led to (nothing it leads to is written
        or removed); the number of objects copied. The caller holds the write lock."""
        found: dict[str, bytes] = {}
        try:
            names = sorted(os.listdir(link))
        except OSError:
            names = []
        for name in names:
            oid = link.name + name
            if not HASH_RE.match(oid):
                continue
            try:
                data = self._open_read(link / name)
                if data is not None:
                    decode(oid, data, str(link / name))  # verified before it is kept
                    found[oid] = data
            except (IntegrityError, StoreError):
                continue  # not an object of ours: left where it is
        os.unlink(link)
        os.mkdir(link)
        for oid, data in found.items():
            self._write(self.path(oid), data)
        return len(found)

    def loose(self) -> Iterator[str]:
        """Every loose object id (sorted by fan-out directory)."""
        for d in self._fanout_dirs():
            for name in sorted(os.listdir(d)):
                oid = d.name + name
                if HASH_RE.match(oid):
                    yield oid

    def temp_files(self) -> Iterator[Path]:
        """Temp files left by killed writers."""
        if not self.root.is_dir():
            return
        if self.pack_dir.is_dir():
            for name in sorted(os.listdir(self.pack_dir)):
                if name.startswith(TMP_PREFIX):
                    yield self.pack_dir / name
        for d in self._fanout_dirs():
            for name in os.listdir(d):
                if name.startswith(TMP_PREFIX):
                    yield d / name

    def unindexed_packs(self) -> list[Path]:
        """Complete pack files without an index: a write killed between the pack's rename
        and its index's, or an index lost. Never deleted for that: the objects may be the
        only copies (an index can be rebuilt from the pack, see :meth:`index_packs`)."""
        if not self.pack_dir.is_dir() or self.pack_dir.is_symlink():
            return []
        return [self.pack_dir / name for name in sorted(os.listdir(self.pack_dir))
                if name.startswith("pack-") and name.endswith(".pack")
                and not (self.pack_dir / name).with_suffix(".idx").exists()]

    def index_packs(self, packs: list[Path] | None = None) -> int:
        """Rebuild the indexes of ``packs`` (default: every pack) from their entries, and
        bring the multi-pack index up to date; the caller holds the write lock. Returns
        the packs indexed."""
        every = packs is None
        if packs is None:
            packs = sorted(self.pack_dir.glob("pack-*.pack")) if self.pack_dir.is_dir() else []
        done = 0
        for pack in packs:
            reader = self._readers.pop(pack.name[:-5], None)
            if reader is not None:
                reader.close()  # it maps the index about to be replaced
            known = None
            try:
                reader = PackReader(pack)
                known = reader.entries()
                reader.close()
            except (OSError, PackFormatError):
                pass  # no index, or an unreadable one
            try:
                rebuild_index(pack, known)
                done += 1
            except (OSError, PackFormatError):
                continue  # unreadable: check reports it
        self._layout(refresh=True)
        if os.access(self.root, os.W_OK):
            if every:  # a repair: written anew, whatever it holds
                self.rebuild_midx()
            else:  # missing, stale or damaged: written again
                self.update_midx()
        return done

    def disk_bytes(self) -> int:
        """Bytes of every object file and pack on disk."""
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except FileNotFoundError:
                    pass
        return total

    def remove(self, oid: str) -> int:
        """Delete an object; returns the bytes freed."""
        path = self.path(oid)
        try:
            size = os.lstat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return 0
        try:
            path.parent.rmdir()  # only succeeds once the fan-out directory is empty
        except OSError:
            pass
        return size

    def set_aside_unindexable(self, dest_dir: Path) -> list[tuple[Path, str]]:
        """Move the packs that still have no index, because none can be built from them
        (not a pack file at all), into ``dest_dir``; (where each went, why). The caller
        holds the write lock and has run :meth:`index_packs`."""
        moved = []
        for pack in self.unindexed_packs():
            try:
                rebuild_index(pack)
                continue  # indexed after all
            except (OSError, PackFormatError) as err:
                why = str(err).removeprefix(f"{pack}: ")
            dest_dir.mkdir(parents=True, exist_ok=True)
            self._refuse_links(dest_dir)
            dest = dest_dir / pack.name
            os.replace(pack, dest)
            moved.append((dest, why))
        if moved:
            self.packs(refresh=True)
        return moved

    def quarantine(self, oid: str, dest_dir: Path) -> Path:
        """Move a (corrupt) object aside into ``dest_dir``."""
        dest_dir.mkdir(parents=True, exist_ok=True)
        self._refuse_links(dest_dir)
        dest = dest_dir / oid
        if self.is_loose(oid):
            os.replace(self.path(oid), dest)
        else:  # a damaged pack entry: keep what is left of it; repacking drops it
            hit = self._packed(oid)
            if hit is not None:
                reader, offset, length, _ = hit
                if dest.is_symlink():
                    dest.unlink()
                dest.write_bytes(reader.read_at(offset, length))
        return dest

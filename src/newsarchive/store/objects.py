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
from collections.abc import Iterator
from pathlib import Path

from newsarchive import faults
from newsarchive.errors import IntegrityError, StoreError
from newsarchive.store.files import O_BINARY, O_NOFOLLOW
from newsarchive.store.ids import KINDS, object_id
from newsarchive.store.packs import PackFormatError, PackReader, PackWriter, inflate
from newsarchive.text.canonical import HASH_RE

TMP_PREFIX = ".tmp-"


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


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class ObjectStore:
    """Loose objects in a fan-out directory, and packs: the file-system backend of
    :mod:`newsarchive.store.interface`; see the module docstring."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self._root = str(root)
        self.durable = durable
        self._packs: dict[Path, PackReader] | None = None

    # -- packs ------------------------------------------------------------------------
    @property
    def pack_dir(self) -> Path:
        return self.root / "pack"

    def packs(self, *, refresh: bool = False) -> list[PackReader]:
        """The complete packs (those with an index), loaded once and on ``refresh``."""
        if self._packs is None or refresh:
            old = self._packs or {}
            current: dict[Path, PackReader] = {}
            if self.pack_dir.is_dir() and not self.pack_dir.is_symlink():
                for name in sorted(os.listdir(self.pack_dir)):
                    if not (name.startswith("pack-") and name.endswith(".pack")):
                        continue
                    path = self.pack_dir / name
                    if path in old:
                        current[path] = old.pop(path)
                    elif path.with_suffix(".idx").exists():
                        try:
                            current[path] = PackReader(path)
                        except (OSError, PackFormatError):
                            continue  # reported by check
            for reader in old.values():
                reader.close()
            self._packs = current
        return list(self._packs.values())

    def _packed(self, oid: str, *, refresh_on_miss: bool = True
                ) -> tuple[PackReader, int, int, int] | None:
        """Where ``oid`` is packed. A miss looks again at the pack directory (a ``gc`` in
        another process may have replaced the packs) unless ``refresh_on_miss`` is off."""
        key = bytes.fromhex(oid)
        for refresh in (False, True) if refresh_on_miss else (False,):
            for reader in self.packs(refresh=refresh):
                found = reader.find(key)
                if found is not None:
                    return (reader, *found)
        return None

    def _get_packed(self, oid: str, depth_left: int = 64) -> tuple[str, bytes, int] | None:
        hit = self._packed(oid)
        if hit is None:
            return None
        reader, offset, length, depth = hit
        where = f"{reader.path}@{offset}"
        try:
            kind, enc, _, base, data = reader.entry(offset, length)
            base_payload = None
            if enc == 1:
                if depth_left <= 0:
                    raise PackFormatError("delta chain too deep")
                base_oid = base.hex()
                got = self._get_packed(base_oid, depth_left - 1)
                if got is None:
                    try:
                        got = (*self.get(base_oid), 0)
                    except KeyError:
                        raise IntegrityError(oid, oid, f"missing delta base {base_oid[:12]}",
                                             where) from None
                base_payload = got[1]
            payload = inflate(enc, data, base_payload)
        except (zlib.error, PackFormatError) as err:
            raise IntegrityError(oid, oid, f"undecodable ({err})", where) from err
        got_id = object_id(kind, payload)
        if got_id != oid:
            raise IntegrityError(oid, oid, got_id, where)
        return kind, payload, depth

    def pack_writer(self, *, repack: bool = False) -> PackWriter:
        """A writer for a new pack; texts may name a delta base already stored.

        With ``repack``, objects are written even when stored elsewhere already.
        """

        def load_base(oid: str) -> tuple[bytes, int] | None:
            try:
                hit = self._get_packed(oid)
                if hit is not None:
                    return hit[1], hit[2]
                return self.get(oid)[1], 0
            except (KeyError, IntegrityError):
                return None

        self._refuse_links()
        return PackWriter(self.pack_dir, exists=(lambda oid: False) if repack else self.contains,
                          load_base=load_base, durable=self.durable)

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
                _fsync_dir(directory.parent)
        if directory.is_symlink():
            raise StoreError(f"refusing to write through a symbolic link: {directory}",
                             remedy="repair")
        tmp = directory / f"{TMP_PREFIX}{path.name}.{os.getpid()}.{threading.get_ident()}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW | O_BINARY
        fd = os.open(tmp, flags, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                faults.point("object-temp-written")
                if self.durable:
                    os.fsync(f.fileno())
            faults.point("object-fsynced")
            os.replace(tmp, path)
            faults.point("object-renamed")
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        if self.durable:
            _fsync_dir(directory)

    def __iter__(self) -> Iterator[str]:
        """Every object id present, loose then packed (an id may appear twice)."""
        yield from self.loose()
        for reader in self.packs(refresh=True):
            yield from reader

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
        """Rebuild the indexes of ``packs`` (default: every pack) from their entries; the
        caller holds the write lock. Returns the packs indexed."""
        from newsarchive.store.packs import rebuild_index

        if packs is None:
            packs = sorted(self.pack_dir.glob("pack-*.pack")) if self.pack_dir.is_dir() else []
        if not packs:
            return 0
        for reader in self._packs.values() if self._packs else ():
            reader.close()  # they map the indexes about to be replaced
        self._packs = None
        done = 0
        for pack in packs:
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
        self.packs(refresh=True)
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
        from newsarchive.store.packs import rebuild_index

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

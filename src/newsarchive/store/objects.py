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

import hashlib
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.text import HASH_RE

KINDS = ("blob", "record")
RECORD_PREFIX = b"newsarchive-record\n"
TMP_PREFIX = ".tmp-"
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)


def object_id(kind: str, payload: bytes) -> str:
    """The id an object of ``kind`` with ``payload`` is stored under."""
    if kind == "blob":
        return hashlib.sha256(payload).hexdigest()
    if kind == "record":
        return hashlib.sha256(RECORD_PREFIX + payload).hexdigest()
    raise ValueError(f"unknown object kind {kind!r}")


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
    """Loose objects in a fan-out directory; see the module docstring."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable

    def path(self, oid: str) -> Path:
        if not HASH_RE.match(oid):
            raise ValueError(f"not an object id: {oid!r}")
        return self.root / oid[:2] / oid[2:]

    def _open_read(self, path: Path) -> bytes | None:
        try:
            fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read object {path}: {err.strerror or err}") from err
        with os.fdopen(fd, "rb") as f:
            return f.read()

    def contains(self, oid: str) -> bool:
        return os.path.lexists(self.path(oid))

    def get(self, oid: str) -> tuple[str, bytes]:
        """The kind and payload of ``oid``; KeyError if absent, IntegrityError if corrupt."""
        path = self.path(oid)
        data = self._open_read(path)
        if data is None:
            raise KeyError(oid)
        return decode(oid, data, str(path))

    def put(self, kind: str, payload: bytes) -> str:
        """Store an object (no-op when present) and return its id."""
        oid = object_id(kind, payload)
        path = self.path(oid)
        if os.path.lexists(path):
            return oid
        self._write(path, encode(kind, payload))
        return oid

    def _write(self, path: Path, data: bytes) -> None:
        directory = path.parent
        try:
            if not directory.is_dir():
                directory.mkdir(parents=True, exist_ok=True)
                if self.durable:
                    _fsync_dir(directory.parent)
            if directory.is_symlink():
                raise StoreError(f"refusing to write through a symlink: {directory}")
            tmp = directory / f"{TMP_PREFIX}{path.name}.{os.getpid()}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_NOFOLLOW | _O_BINARY
            fd = os.open(tmp, flags, 0o644)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    if self.durable:
                        os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            if self.durable:
                _fsync_dir(directory)
        except OSError as err:
            raise StoreError(f"cannot write object to {path.parent}: {err.strerror or err}") from err

    def __iter__(self) -> Iterator[str]:
        """Every object id present (sorted by fan-out directory)."""
        if not self.root.is_dir():
            return
        for sub in sorted(os.listdir(self.root)):
            if len(sub) != 2:
                continue
            d = self.root / sub
            if d.is_symlink() or not d.is_dir():
                continue
            for name in sorted(os.listdir(d)):
                oid = sub + name
                if HASH_RE.match(oid):
                    yield oid

    def temp_files(self) -> Iterator[Path]:
        """Temp files left by killed writers."""
        if not self.root.is_dir():
            return
        for sub in sorted(os.listdir(self.root)):
            d = self.root / sub
            if d.is_symlink() or not d.is_dir():
                continue
            for name in os.listdir(d):
                if name.startswith(TMP_PREFIX):
                    yield d / name

    def size(self, oid: str) -> int:
        return os.lstat(self.path(oid)).st_size

    def remove(self, oid: str) -> int:
        """Delete an object; returns the bytes freed."""
        path = self.path(oid)
        try:
            size = os.lstat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return 0
        return size

    def quarantine(self, oid: str, dest_dir: Path) -> Path:
        """Move a (corrupt) object aside into ``dest_dir``."""
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / oid
        os.replace(self.path(oid), dest)
        return dest

"""An in-memory object store: the second backend of :mod:`newsarchive.store.interface`.

It keeps the interface's promises within one process (for tests, and as the model a new
backend follows); nothing survives the process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from newsarchive.errors import IntegrityError
from newsarchive.store.ids import KINDS, object_id
from newsarchive.store.interface import Scanned


class MemoryBatch:
    """A batch that becomes visible in its store at once, on :meth:`finish`."""

    def __init__(self, store: MemoryObjectStore, *, repack: bool = False) -> None:
        self._store = store
        self._repack = repack
        self._pending: dict[str, tuple[str, bytes]] = {}
        self.written = 0

    def __contains__(self, oid: str) -> bool:
        return oid in self._pending

    def put(self, kind: str, payload: bytes, base: str | None = None) -> str:
        oid = object_id(kind, payload)
        if oid not in self._pending and (self._repack or not self._store.contains(oid)):
            self._pending[oid] = (kind, bytes(payload))
            self.written += 1
        return oid

    def finish(self) -> Path | None:
        now = time.time()
        for oid, obj in self._pending.items():
            self._store._objects[oid] = (obj[0], obj[1], now)
        self._pending.clear()
        return None

    def abort(self) -> None:
        self._pending.clear()


class MemoryObjectStore:
    """Objects in a dict: id -> (kind, payload, time stored)."""

    def __init__(self) -> None:
        self._objects: dict[str, tuple[str, bytes, float]] = {}

    def put(self, kind: str, payload: bytes, base: str | None = None) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown object kind {kind!r}")
        oid = object_id(kind, payload)
        self._objects.setdefault(oid, (kind, bytes(payload), time.time()))
        return oid

    def get(self, oid: str) -> tuple[str, bytes]:
        kind, payload, _ = self._objects[oid]
        got = object_id(kind, payload)
        if got != oid:
            raise IntegrityError(oid, oid, got, self.where(oid))
        return kind, payload

    def contains(self, oid: str) -> bool:
        return oid in self._objects

    def __iter__(self) -> Iterator[str]:
        yield from list(self._objects)

    def count(self) -> int:
        return len(self._objects)

    def scan(self) -> Iterator[Scanned]:
        for oid in list(self._objects):
            try:
                kind, payload = self.get(oid)
            except KeyError:
                continue  # removed meanwhile
            except IntegrityError as err:
                yield Scanned(oid, None, None, err)
                continue
            yield Scanned(oid, kind, payload, None)

    def remove(self, oid: str) -> int:
        found = self._objects.pop(oid, None)
        return len(found[1]) if found else 0

    def pack_writer(self, *, repack: bool = False) -> MemoryBatch:
        return MemoryBatch(self, repack=repack)

    def where(self, oid: str) -> str:
        return f"memory:{oid}"

    def mtime(self, oid: str) -> float | None:
        found = self._objects.get(oid)
        return found[2] if found else None

    def disk_bytes(self) -> int:
        return 0

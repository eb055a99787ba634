"""The object-store interface: what the rest of newsarchive may ask of a backend.

An object is immutable bytes of a kind (``blob`` or ``record``) named by its id (see
:mod:`newsarchive.store.ids`). Every backend keeps these promises, and
``tests/test_backends.py`` runs one shared test class against each of them:

- **Content addressing.** ``put`` returns the object's id; putting an object that is
  present already is a no-op (same content, same name, so writers need no lock for it).
- **Atomic create.** An object is either wholly present or absent: a reader never sees a
  partly written object, and ``get`` of a present object returns exactly what was put.
- **Verified reads.** ``get`` re-hashes what it reads and raises
  :class:`~newsarchive.errors.IntegrityError` when it does not match its id; an absent
  object raises ``KeyError``.
- **Counting and scanning.** ``count()`` is cheap (never a list of every id; it may
  count an object stored twice twice, never one that is absent); ``scan()`` yields every
  object once with its kind and verified payload, or the error reading it, in memory
  that does not grow with the store.
- **Batches.** ``pack_writer()`` returns a sink that makes a batch durable at once on
  ``finish()`` (and leaves nothing visible after ``abort()``); texts may name a ``base``
  (a similar object) that a backend may use for delta compression.

:class:`~newsarchive.store.objects.ObjectStore` (loose files and packs on a local file
system) and :class:`~newsarchive.store.memory.MemoryObjectStore` are the backends. A
new backend (object storage, say) is a new module implementing :class:`ObjectBackend`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from newsarchive.errors import IntegrityError, StoreError


class Scanned(NamedTuple):
    """One object of a scan: its kind and verified payload, or the error reading it
    (:class:`IntegrityError`: corrupt or undecodable; :class:`StoreError`: unreadable,
    a permission or I/O error, not its content)."""

    oid: str
    kind: str | None
    payload: bytes | None
    error: IntegrityError | StoreError | None


class ObjectSink(Protocol):
    """Where a write puts objects: a backend itself, or one of its batches."""

    def put(self, kind: str, payload: bytes, base: str | None = None) -> str: ...


class BatchSink(ObjectSink, Protocol):
    """A batch of objects made durable together (``pack_writer()``)."""

    written: int

    def __contains__(self, oid: str) -> bool: ...

    def finish(self) -> Path | None: ...

    def abort(self) -> None: ...


class ObjectBackend(ObjectSink, Protocol):
    """Immutable, content-addressed, verified objects (see the module docstring)."""

    def get(self, oid: str) -> tuple[str, bytes]: ...

    def contains(self, oid: str) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...

    def count(self) -> int: ...

    def scan(self) -> Iterator[Scanned]: ...

    def remove(self, oid: str) -> int: ...

    def pack_writer(self, *, repack: bool = False) -> BatchSink: ...

    def where(self, oid: str) -> str: ...

    def mtime(self, oid: str) -> float | None: ...

    def disk_bytes(self) -> int: ...

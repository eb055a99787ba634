"""Reading every object of a store, for ``check`` and ``reindex``."""

from __future__ import annotations

from collections.abc import Callable

from newsarchive.errors import IntegrityError
from newsarchive.ops.tally import Tally
from newsarchive.store.objects import ObjectStore
from newsarchive.store.records import Record, record_fields, record_from_bytes


def scan_objects(objects: ObjectStore, on_progress: Callable[[int, int], None] | None = None,
                 ) -> tuple[dict[str, Record], set[str], dict[str, str], dict[str, str]]:
    """Read every object: (valid records by id, valid blob ids, corrupt ones by id, ones
    that could not be read at all by id: a permission or I/O error, not their content).
    The objects come from :meth:`ObjectStore.scan` (pack by pack, in bounded memory);
    what grows with the store is only what this function keeps."""
    records: dict[str, Record] = {}
    blobs: set[str] = set()
    bad: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    total = objects.count()  # cheap; exact unless packs the multi-pack index misses overlap
    for done, (oid, kind, payload, error) in enumerate(objects.scan(), 1):
        if on_progress is not None:
            on_progress(done, max(total, done))
        if oid in records or oid in blobs or oid in bad or oid in unreadable:
            continue  # a second copy (packs the multi-pack index does not cover)
        if error is not None:
            (bad if isinstance(error, IntegrityError) else unreadable)[oid] = _detail(error)
            continue
        assert payload is not None
        if kind == "blob":
            blobs.add(oid)
            continue
        try:
            records[oid] = record_from_bytes(payload)
        except ValueError as err:
            bad[oid] = f"not a valid revision record ({err})"
    return records, blobs, bad, unreadable


def tally_objects(objects: ObjectStore, tally: Tally,
                  on_progress: Callable[[int, int], None] | None = None,
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """Read every object into ``tally`` (blob ids, records' fields, ids of the others):
    what :func:`scan_objects` finds, kept on disk. Returns the corrupt objects and the
    ones that could not be read at all, by id, with what is wrong (problems: few)."""
    bad: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    total = objects.count()
    for done, (oid, kind, payload, error) in enumerate(objects.scan(), 1):
        if on_progress is not None:
            on_progress(done, max(total, done))
        if oid in bad or oid in unreadable:
            continue  # a second copy (the first counts: Tally.settle)
        if error is not None:
            (bad if isinstance(error, IntegrityError) else unreadable)[oid] = _detail(error)
            tally.add_bad(oid, done)
            continue
        assert payload is not None
        if kind == "blob":
            tally.add_blob(oid, done)
            continue
        try:
            rec = record_fields(payload)
        except ValueError as err:
            bad[oid] = f"not a valid revision record ({err})"
            tally.add_bad(oid, done)
            continue
        tally.add_record(oid, rec["article"], rec["text"], rec["original"], rec["title"], done)
    for oid in tally.settle():  # a valid copy came first
        bad.pop(oid, None)
        unreadable.pop(oid, None)
    return bad, unreadable


def _detail(error: Exception) -> str:
    if isinstance(error, IntegrityError):
        return error.got if not error.expected else \
            f"content does not match its hash ({error.got})"
    return str(error)

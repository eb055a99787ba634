"""Reading every object of a store, for ``check`` and ``reindex``."""

from __future__ import annotations

from collections.abc import Callable

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.store.objects import ObjectStore
from newsarchive.store.records import Record, record_from_bytes


def scan_objects(objects: ObjectStore, on_progress: Callable[[int, int], None] | None = None,
                 ) -> tuple[dict[str, Record], set[str], dict[str, str], dict[str, str]]:
    """Read every object: (valid records by id, valid blob ids, corrupt ones by id, ones
    that could not be read at all by id: a permission or I/O error, not their content)."""
    records: dict[str, Record] = {}
    blobs: set[str] = set()
    bad: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    ids = list(dict.fromkeys(objects))
    for done, oid in enumerate(ids, 1):
        if on_progress is not None:
            on_progress(done, len(ids))
        try:
            kind, payload = objects.get(oid)
        except IntegrityError as err:
            bad[oid] = err.got if not err.expected else \
                f"content does not match its hash ({err.got})"
            continue
        except KeyError as err:
            bad[oid] = str(err)
            continue
        except StoreError as err:
            unreadable[oid] = str(err)
            continue
        if kind == "blob":
            blobs.add(oid)
            continue
        try:
            records[oid] = record_from_bytes(payload)
        except ValueError as err:
            bad[oid] = f"not a valid revision record ({err})"
    return records, blobs, bad, unreadable

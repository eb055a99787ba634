"""``stats``: what a store holds and what it costs on disk.

Nothing here grows with the archive beyond listing its files: the counts are kept by the
catalog as rows change (:mod:`newsarchive.store.counters`), the objects are the packs'
counts (from their index headers) plus the loose object files. An object both loose and
packed (a write racing a ``gc``) counts twice until the next ``gc``.
"""

from __future__ import annotations

from newsarchive.model import StoreStats
from newsarchive.ops.gc import catalog_bytes
from newsarchive.store.repository import Store


def store_stats(store: Store) -> StoreStats:
    counts = store.catalog().counts()
    packs = store.objects.packs(refresh=True)
    objects = sum(pack.count for pack in packs) + sum(1 for _ in store.objects.loose())
    objects_bytes = store.objects.disk_bytes()
    cat_bytes = catalog_bytes(store.root)
    return StoreStats(
        store=str(store.root), **counts, objects=objects, packs=len(packs),
        objects_bytes=objects_bytes, catalog_bytes=cat_bytes,
        disk_bytes=objects_bytes + cat_bytes,
    )

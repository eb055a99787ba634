"""``stats``: what a store holds and what it costs on disk.

Nothing here grows with the archive beyond listing its files: the counts are kept by the
catalog as rows change (:mod:`newsarchive.store.counters`), the objects are counted from
the pack indexes and the loose object files (:meth:`ObjectStore.count
<newsarchive.store.objects.ObjectStore.count>`).
"""

from __future__ import annotations

from newsarchive.model import StoreStats
from newsarchive.store.repository import Store


def store_stats(store: Store) -> StoreStats:
    counts = store.catalog().counts()
    objects_bytes = store.objects.disk_bytes()
    cat_bytes = store.catalog_bytes()
    return StoreStats(
        store=str(store.root), **counts, objects=store.objects.count(),
        packs=store.objects.pack_count(), objects_bytes=objects_bytes,
        catalog_bytes=cat_bytes, disk_bytes=objects_bytes + cat_bytes,
    )

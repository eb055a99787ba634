"""What ``stats`` reports (:class:`StoreStats`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class StoreStats:
    """What ``Archive.stats`` reports: counts from the catalog, bytes from the disk."""

    store: str
    articles: int
    revisions: int
    sources: int
    texts: int
    text_bytes: int
    damaged: int
    objects: int
    packs: int
    objects_bytes: int
    catalog_bytes: int
    disk_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

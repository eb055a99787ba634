"""What the writing and maintenance calls report: ``add`` (:class:`AddResult`),
``check`` (:class:`Problem`), ``reindex`` and ``gc``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from newsarchive.model import Status
from newsarchive.model.revision import Revision


@dataclass(frozen=True)
class AddResult:
    """What ``Archive.add`` did with one input."""

    status: Status
    revision: Revision
    origin: str = ""
    # for a new article not named by a URL or an ID: what its name was made from ("title",
    # "file name", "first sentence", "first words", "slug", "hash"), so a user who meant
    # a revision of another article sees it at once
    named_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.revision.to_dict()
        d["status"] = self.status
        if self.named_from is not None:
            d["named_from"] = self.named_from
        return d


ProblemKind = Literal[
    "catalog", "corrupt", "damaged", "format", "index", "journal", "leftover", "link",
    "mismatch",
    "missing", "repaired", "repair", "temp", "unindexed", "unreadable",
]


@dataclass
class Problem:
    """One finding of ``Archive.check``."""

    kind: ProblemKind
    object: str
    detail: str
    articles: list[str] = field(default_factory=list)
    damage: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.object,
            "detail": self.detail,
            "articles": self.articles,
            "damage": self.damage,
        }


@dataclass(frozen=True)
class ReindexResult:
    """What ``Archive.reindex`` rebuilt: ``adopted`` records had no journal to name them
    (an upgrade, a lost journal) and were kept as committed; ``unreadable`` records the
    journal names could not be read (``check`` says which)."""

    articles: int
    revisions: int
    damaged: int
    adopted: int = 0
    unreadable: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GcResult:
    """What ``Archive.gc`` removed and repacked; ``notes``: steps it skipped, and why."""

    objects_removed: int
    temp_files_removed: int
    bytes_freed: int
    objects_packed: int
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d

"""Plain data passed between ingest, the store and the callers of the API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

Status = Literal["added", "revised", "inserted", "unchanged"]
# The kinds of change (see newsarchive.changes.kinds for the rules); here so that the CLI can
# offer them without importing the classifier.
Kind = Literal["minor", "headline", "correction", "substantive", "revert",
               "extraction-suspect", "headline-test", "removed", "restored"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# Revision numbers past this are refused (as input or in a reference): beyond any real
# history, and near the end of SQLite's 64-bit integers
MAX_REVISION = 2**62
# How long a search, listing or changes query may run, in seconds, unless told otherwise
# (the CLI's --timeout; 0 or None: no limit)
QUERY_TIMEOUT = 5.0
# At most this many values of one repeatable filter (--source, --kind)
MAX_FILTER_VALUES = 100


@dataclass
class Draft:
    """One input as ingest read it: raw text plus whatever metadata it carried.

    Nothing here is validated or canonical yet; ``Archive`` resolves the draft into an
    article ID and canonical text. ``origin`` names the input in error messages;
    ``name_hint`` is the input file's name without extension (a slug candidate).
    """

    text: str
    origin: str = ""
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    slug: str | None = None
    author: str | None = None
    captured_at: str | None = None
    name_hint: str | None = None
    original: bytes | None = None
    original_type: str | None = None
    expected_hash: str | None = None
    id: str | None = None  # the article this is a capture of (``--id``, ``id:``, ``id=``)
    event: str | None = None  # what a watch saw: "removed", "restored", "redirected"
    detail: str | None = None  # the event's detail (an export record carries both)


@dataclass(frozen=True)
class Revision:
    """One stored version of an article, as the catalog describes it."""

    id: str
    number: int
    hash: str
    title: str
    source: str
    date: str
    slug: str
    url: str | None
    captured_at: str
    author: str | None
    record: str
    original: str | None
    original_type: str | None
    words: int
    words_added: int
    words_removed: int
    reverts: int | None = None
    kind: tuple[str, ...] = ()
    damaged: bool = False
    flipflop: bool = False
    event: str | None = None  # "removed", "restored", "redirected": what a watch saw
    last_seen: str | None = None  # the last capture that confirmed this revision
    detail: str | None = None  # the event's detail ("HTTP 410", "moved to URL (ID)")

    @property
    def ref(self) -> str:
        """The canonical reference ``ID@N``."""
        return f"{self.id}@{self.number}"

    def to_dict(self) -> dict[str, Any]:
        """The revision's JSON record (keys of SPEC 6)."""
        d: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "date": self.date,
            "slug": self.slug,
            "revision": self.number,
            "hash": self.hash,
            "title": self.title,
            "url": self.url,
            "captured_at": self.captured_at,
            "author": self.author,
            "words": self.words,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "reverts": self.reverts,
            "kind": list(self.kind),
            "flipflop": self.flipflop,
        }
        if self.damaged:
            d["damaged"] = True
        if self.event is not None:
            d["event"] = self.event
            if self.detail is not None:
                d["detail"] = self.detail
        if self.last_seen is not None:
            d["last_seen"] = self.last_seen
        return d


@dataclass(frozen=True)
class Article:
    """An article and the summary of its history."""

    id: str
    source: str
    date: str
    slug: str
    title: str
    url: str | None
    revisions: int
    first_captured: str
    last_captured: str
    hash: str = ""  # the latest revision's, as are the words
    words: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The article's JSON record: the keys of SPEC 6 describe its latest revision
        (``revision`` is its number, so also the count), plus ``revisions`` and
        ``first_captured``."""
        return {
            "id": self.id,
            "source": self.source,
            "date": self.date,
            "slug": self.slug,
            "revision": self.revisions,
            "hash": self.hash,
            "title": self.title,
            "url": self.url,
            "captured_at": self.last_captured,
            "words": self.words,
            "revisions": self.revisions,
            "first_captured": self.first_captured,
        }


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
class Change:
    """One revision after the first, against the revision before it."""

    revision: Revision
    previous: Revision
    first_changed: str | None
    headline_test: dict[str, Any] | None = None
    """For a ``headline-test`` revision, the test it belongs to, standing for all its
    switches: ``start``, ``end``, ``revisions`` (numbers), ``final`` and ``variants``
    (``title``, ``seen``, ``first_seen``, ``last_seen``), most seen first."""

    @property
    def title_changed(self) -> bool:
        return self.previous.title != self.revision.title

    def to_dict(self) -> dict[str, Any]:
        d = self.revision.to_dict()
        d["first_changed"] = self.first_changed
        d["previous_title"] = self.previous.title if self.title_changed else None
        if self.headline_test is not None:
            d["headline_test"] = self.headline_test
        return d


@dataclass(frozen=True)
class FeedSpec:
    """One feed to snapshot: from the command line, the API or a config ``[[feeds]]`` table
    (``trusted``: the user named it; links found in it are not trusted)."""

    url: str
    source: str | None = None
    no_fetch: bool = False
    trusted: bool = True


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

"""The exceptions newsarchive raises on purpose.

Every one derives from :class:`NewsArchiveError` and carries the facts of what went
wrong as attributes, so that callers can act on them and the CLI can map each kind
to an exit code in one place (see ``cli/errors.py``). ``str(err)`` is a one-line
message fit to print after ``error:``; it says what is wrong, not which command mends it:
``remedy`` names the remedy (``"init"``, ``"reindex"``, ``"repair"``, ``"wait"``), which
the CLI words as a hint and a library caller may act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal


Remedy = Literal["init", "reindex", "repair", "check", "wait", "narrow"]


class NewsArchiveError(Exception):
    """Root of every error newsarchive raises on purpose."""

    exit_code = 1
    remedy: Remedy | None = None


class UsageError(NewsArchiveError):
    """The caller asked for something malformed (a bad option value, a bad query)."""

    exit_code = 2


class InputError(NewsArchiveError):
    """One input (file, line, URL, feed entry) cannot be archived."""

    def __init__(self, origin: str, reason: str) -> None:
        self.origin = origin
        self.reason = reason
        super().__init__(f"{origin}: {reason}" if origin else reason)

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        return InputError, (self.origin, self.reason)  # crosses to and from worker processes


class ConfigError(NewsArchiveError):
    """The config file is unreadable or malformed."""

    def __init__(self, path: str, reason: str, *, key: str | None = None,
                 feed: int | None = None, table: str | None = None, index: int | None = None,
                 value: str | None = None) -> None:
        self.path = path
        self.reason = reason
        # where in the file, when known: the key, in the table named ``table`` (the
        # ``index``-th of an array of tables, from 1; ``feed`` is that index in [[feeds]]),
        # and the value at fault (a pattern in a list, say)
        self.key, self.feed, self.value = key, feed, value
        self.table = "feeds" if feed is not None and table is None else table
        self.index = feed if index is None else index
        super().__init__(f"config {path}: {reason}")


class MissingExtra(NewsArchiveError):
    """A feature needs an optional package that is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature, self.package, self.extra = feature, package, extra
        super().__init__(f"{feature} needs the optional package {package}, which is not "
                         f"installed: pip install 'newsarchive[{extra}]'")


class StoreNotFound(NewsArchiveError):
    """A read was asked of a store that does not exist."""

    remedy: Remedy | None = "init"

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"no archive at {path}")


class StoreError(NewsArchiveError):
    """The store cannot be used: wrong format version, unwritable, disk full."""

    def __init__(self, message: str, *, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.remedy = remedy


# SQLite's error codes (prefixes of the extended ones) that say something about where the
# catalog is kept, not about the catalog: what CatalogError advises for each
_CONDITIONS = {
    "SQLITE_FULL": "the disk is full ({}); free some space and run the command again",
    "SQLITE_READONLY": "the catalog cannot be written ({}): the store is read-only here; "
                       "reads work, writes cannot",
    "SQLITE_IOERR": "the catalog could not be read or written ({}): is the disk failing?",
    "SQLITE_BUSY": "the catalog is locked by another process ({}); try again",
    "SQLITE_LOCKED": "the catalog is locked by another process ({}); try again",
    "SQLITE_CANTOPEN": "cannot open the catalog ({}); check the store's permissions",
    "SQLITE_NOMEM": "out of memory in the catalog ({})",
    "SQLITE_PERM": "the catalog cannot be accessed ({}); check the store's permissions",
    "SQLITE_AUTH": "the catalog cannot be accessed ({}); check the store's permissions",
}


class CatalogError(StoreError):
    """The catalog database failed: a full disk, an I/O error, a read-only or locked
    database, a file it cannot open, or damage.

    ``store`` is the store's directory, ``reason`` SQLite's message and ``code`` SQLite's
    name of the error (``SQLITE_FULL``, ``SQLITE_IOERR_WRITE``...; '' when unknown).
    """

    def __init__(self, store: str, reason: str, code: str = "") -> None:
        self.store = store
        self.reason = reason
        self.code = code
        condition = next((text for prefix, text in _CONDITIONS.items()
                          if code == prefix or code.startswith(prefix + "_")), None)
        if condition is not None:
            message = condition.format(reason)
        elif code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            message = f"the catalog is damaged ({reason})"
        else:
            message = f"the catalog failed ({reason})"
        super().__init__(f"{store}: {message}" if store else message)
        if condition is None:
            self.remedy = "repair" if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) \
                else "check"

    @classmethod
    def of_rows(cls, what: str) -> CatalogError:
        """A catalog row that holds what no writer writes (edited by hand): damage, as
        SQLite's corruption is; ``check --repair`` rebuilds the catalog."""
        return cls("", what, "SQLITE_CORRUPT")

    @property
    def damaged(self) -> bool:
        """Whether the catalog itself is at fault (not the disk, permissions or a lock)."""
        return not any(self.code == p or self.code.startswith(p + "_") for p in _CONDITIONS)


class QueryTimeout(NewsArchiveError):
    """A query ran past its time budget and was stopped."""

    remedy: Remedy | None = "narrow"

    def __init__(self, what: str, seconds: float) -> None:
        self.what = what
        self.seconds = seconds
        super().__init__(f"the {what} took longer than {seconds:g} s and was stopped")


class StoreLocked(NewsArchiveError):
    """Another process held the store's write lock past the wait."""

    exit_code = 3
    remedy: Remedy | None = "wait"

    def __init__(self, path: str, waited: float) -> None:
        self.path = path
        self.waited = waited
        super().__init__(
            f"the archive at {path} is locked by another process; gave up after {waited:g} s"
        )


class RevisionNotFound(NewsArchiveError):
    """A reference names no article or revision in the store."""

    def __init__(self, ref: str, reason: str = "") -> None:
        self.ref = ref
        super().__init__(f"{ref}: {reason or 'no such article or revision'}")


class NothingToCompare(NewsArchiveError):
    """A diff of one revision was asked for, and it has no predecessor (an article's
    first revision). Not a failure: there is no change to show."""

    exit_code = 0

    def __init__(self, article: str, revisions: int) -> None:
        self.article = article
        self.revisions = revisions
        if revisions == 1:
            message = f"{article} has one revision; nothing to compare"
        else:
            message = f"{article}@1 is the first of its {revisions} revisions; nothing to compare"
        super().__init__(message)


class AmbiguousRef(NewsArchiveError):
    """A reference matches more than one article or revision."""

    def __init__(self, ref: str, candidates: Sequence[str]) -> None:
        self.ref = ref
        self.candidates = list(candidates)
        shown = ", ".join(self.candidates[:10])
        more = f" and {len(self.candidates) - 10} more" if len(self.candidates) > 10 else ""
        super().__init__(f"{ref} is ambiguous: it matches {shown}{more}")


class IntegrityError(NewsArchiveError):
    """A stored object does not match its hash, or cannot be read at all."""

    remedy: Remedy | None = "repair"

    def __init__(self, oid: str, expected: str, got: str, path: str = "",
                 advice: str = "") -> None:
        """``advice``: what is known beyond the facts (then no remedy is offered)."""
        self.oid = oid
        self.expected = expected
        self.got = got
        self.path = path
        where = f" ({path})" if path else ""
        tail = f"; {advice}" if advice else ""
        if advice:
            self.remedy = None
        super().__init__(
            f"object {oid} is corrupt{where}: {got}{tail}" if expected == "" else
            f"object {oid} is corrupt{where}: expected {expected}, got {got}{tail}"
        )


class QueryError(UsageError):
    """A search query is malformed."""

    def __init__(self, query: str, reason: str) -> None:
        self.query = query
        self.reason = reason
        shown = query if len(query) <= 80 else query[:60] + "\u2026"  # one line, readable
        super().__init__(f"bad search query {shown!r}: {reason}")


class FetchError(NewsArchiveError):
    """A URL could not be fetched (refused, unreachable, too large, bad status).

    ``status``: the HTTP status when the server answered with an error (404, 410, 503...),
    else None."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


class FeedError(NewsArchiveError):
    """A feed could not be fetched or parsed."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"feed {url}: {reason}")

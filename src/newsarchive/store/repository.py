"""One store directory: its format file, objects, catalog and write lock.

Layout (see docs/storage.md)::

    <store>/format          JSON: {"format": "newsarchive", "version": 4}
    <store>/objects/ab/...  immutable objects (store/objects.py)
    <store>/journal         the commits: which records are committed (store/journal.py)
    <store>/catalog.sqlite  derived catalog (store/catalog.py), WAL mode
    <store>/lock            the cross-process write lock (filelock)
    <store>/quarantine/     corrupt objects set aside by ``check --repair``
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple

from newsarchive.errors import (
    CatalogError,
    IntegrityError,
    StoreError,
    StoreLocked,
    StoreNotFound,
)
from newsarchive.store.catalog import FTS_TABLES, SCHEMA_VERSION, Catalog, connect
from newsarchive.store.connection import CatalogConnection
from newsarchive.store.files import O_NOFOLLOW
from newsarchive.store.journal import IN_FLIGHT, JOURNAL, Position, last_positions, read_journal
from newsarchive.store.objects import ObjectStore
from newsarchive.store.packs import PackWriter
from newsarchive.text.canonical import HASH_RE

FORMAT_NAME = "newsarchive"
# 1: loose objects only; 2: loose objects and packs (zlib entries); 3: version-2 records
# and the journal; 4: zstd pack entries, the multi-pack index and the dictionary's name
FORMAT_VERSION = 4  # the newest this code reads and writes; new stores are created at it
JOURNAL_FORMAT = 3  # older stores are upgraded (a reindex writes their journal)
# What a pack writer marks a store before its first entry: a format-3 reader would call a
# zstd entry corrupt, and its check --repair would set intact history aside. A format-3
# store is read as it is until then, so the release that wrote it can still open it.
PACKED_FORMAT = 4
FORMAT_MAX_BYTES = 4096
CATALOG = "catalog.sqlite"
# What a store directory may hold; anything else means it is not ours to write into.
STORE_ENTRIES = {"format", "objects", "lock", "quarantine", CATALOG, CATALOG + "-wal",
                 CATALOG + "-shm", JOURNAL, f".{JOURNAL}.tmp",
                 ".format.tmp"}  # .format.tmp: a create that was killed


def refuse_symlink(path: Path) -> None:
    """Refuse a store entry planted as a symlink (it could lead writes outside the store)."""
    if path.is_symlink():
        raise StoreError(f"{path} is a symbolic link; refusing to follow it out of the store")


def write_small_file(path: Path, data: bytes) -> None:
    """Write a small file via a temp file that is never followed if planted as a link."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW
    fd = os.open(tmp, flags, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class CatalogBehind(StoreError):
    """The catalog is missing committed revisions: it reflects fewer commits of the journal
    than there are (a truncated file, an older copy, one from another store)."""

    def __init__(self, store: Path, missing_commits: int, missing_records: int) -> None:
        self.missing_commits, self.missing_records = missing_commits, missing_records
        super().__init__(f"{store}: the catalog is missing {missing_records:,} committed "
                         f"revision record(s) of {missing_commits:,} commit(s) (truncated, "
                         "older, or from elsewhere)", remedy="reindex")


class JournalState(NamedTuple):  # not a dataclass: read commands define it at start-up
    """How the catalog's journal position compares with the journal's end."""

    journal: Position
    catalog: Position | None  # None: the catalog records no position
    status: Literal["current", "in-flight", "behind", "ahead"]


def _reason(err: sqlite3.Error) -> str:
    """SQLite's own words (a mapped error's message names the store already)."""
    return err.reason if isinstance(err, CatalogError) else str(err)


class Store:
    """Paths and handles of one store; creates the store on first write."""

    def __init__(self, root: Path, *, wait: float = 60.0) -> None:
        self.root = Path(os.path.abspath(os.path.expanduser(root)))
        self.wait = wait
        self.objects = ObjectStore(self.root / "objects")
        self._conn: CatalogConnection | None = None
        self.clock: Callable[[], float] = time.monotonic  # what query budgets are timed by
        self.catalog_mode = ""  # "", or "ro"/"copy"/"immutable" when the store is read-only
        self.catalog_notes: list[str] = []  # how a read-only catalog was read, for check
        self._copy_dir: str | None = None  # a temporary copy of a read-only catalog
        self._catalog: Catalog | None = None
        self._writing = False  # this Store holds the write lock
        # Brings a store of an older format or catalog schema up to date (the facade sets
        # it: it is a reindex, above this layer); None: such a store is refused.
        self.upgrade: Callable[[], None] | None = None
        self._upgrading = False

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG

    @property
    def journal_path(self) -> Path:
        return self.root / JOURNAL

    def catalog_bytes(self) -> int:
        """The catalog's size on disk, with its write-ahead log and shared memory."""
        return sum(p.stat().st_size for p in self.root.glob(f"{CATALOG}*") if p.is_file())

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    def exists(self) -> bool:
        return (self.root / "format").is_file()

    # -- opening ----------------------------------------------------------------------
    def _read_format(self) -> object:
        """The format file's JSON (at most 4 KB of it are read: it holds one line)."""
        with open(self.root / "format", "rb") as f:
            data = f.read(FORMAT_MAX_BYTES + 1)
        if len(data) > FORMAT_MAX_BYTES:
            raise ValueError(f"over {FORMAT_MAX_BYTES:,} bytes")
        return json.loads(data.decode("utf-8"))

    def _check_format(self) -> int:
        """The store's format version (StoreError when it is not one this code reads)."""
        try:
            info = self._read_format()
        except (OSError, ValueError) as err:
            raise StoreError(f"{self.root}: unreadable format file ({err})") from err
        if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
            raise StoreError(f"{self.root} is not a newsarchive store")
        version = info.get("version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise StoreError(
                f"{self.root} uses store format {version}; this newsarchive reads up to "
                f"{FORMAT_VERSION} (upgrade newsarchive)"
            )
        return version

    def create(self) -> None:
        """Create the store directory if needed (idempotent)."""
        if self.exists():
            self._check_format()
            return
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} exists and is not a directory")
        if self.root.is_dir() and any(p.name not in STORE_ENTRIES for p in self.root.iterdir()):
            raise StoreError(
                f"{self.root} is a non-empty directory that is not a newsarchive store"
            )
        try:
            (self.root / "objects").mkdir(parents=True, exist_ok=True)
            refuse_symlink(self.root / "objects")
            with self._lock():  # two first writes at once: one writes the format file
                if not self.exists():
                    write_small_file(self.root / "format", self._format_bytes(FORMAT_VERSION))
        except OSError as err:
            reason = err.strerror or str(err)
            raise StoreError(f"cannot create the archive at {self.root}: {reason}") from err

    def require(self) -> None:
        if not self.exists():
            raise StoreNotFound(str(self.root))
        self._check_format()

    def catalog(self, *, write: bool = False, verify: bool = True) -> Catalog:
        """The catalog; opened once. A missing catalog beside objects needs ``reindex``.

        A store of an older format is upgraded first (:attr:`upgrade`), and a catalog
        missing committed revisions is refused (:class:`CatalogBehind`) unless ``verify``
        is off (``check``, which reports it).

        Reads of a store this process cannot write (a read-only file system, a backup
        owned by another user) never write: the catalog is opened read-only, and when
        SQLite cannot read a write-ahead log left there (``catalog.sqlite-wal`` without
        the ``-shm`` index it would have to create) it reads a private temporary copy of
        the two; failing that, the catalog as it was before the log (``immutable``), with
        a note in ``catalog_notes``.
        """
        if self._catalog is None:
            if write:
                self.create()
            else:
                self.require()
            path = self.catalog_path
            refuse_symlink(path)
            if not path.exists() and any(True for _ in self.objects):
                raise StoreError(f"{self.root}: the catalog is missing", remedy="reindex")
            writable = os.access(self.root, os.W_OK) and (
                not path.exists() or os.access(path, os.W_OK))
            modes = ("",) if write else ("", "ro", "immutable") if writable else (
                "ro", "copy", "immutable")
            failure: sqlite3.OperationalError | None = None
            for mode in modes:
                if mode == "copy" and not self._wal_pending():
                    continue
                try:
                    cat = self._open_catalog(path, mode)
                    break
                except sqlite3.OperationalError as err:
                    # a read-only or full file system: reads fall back to read-only modes
                    failure = err
                except OSError as err:  # no room for the copy
                    self.catalog_notes.append(f"no temporary copy of the catalog could be "
                                              f"made ({err.strerror or err})")
                except sqlite3.DatabaseError as err:
                    raise StoreError(f"{path}: the catalog is unreadable ({_reason(err)})",
                                     remedy="repair") from err
            else:
                assert failure is not None
                why = _reason(failure)
                if write and not os.access(self.root, os.W_OK):
                    why += "; the store is read-only here: reads work, writes cannot"
                raise StoreError(f"cannot open the catalog {path}: {why}") from failure
            if self.catalog_mode == "immutable" and self._wal_pending():
                self.catalog_notes.append(
                    f"{path.name}-wal holds changes SQLite cannot read on this read-only "
                    "store: what is shown may miss the latest revisions (make the store "
                    "writable, or copy it, and run any command to fold them in)")
            elif self.catalog_mode == "copy":
                self.catalog_notes.append(
                    f"the store is read-only and {path.name}-wal (changes not yet folded "
                    "into the catalog) can only be read with a -shm index SQLite cannot "
                    "create here: read from a temporary copy")
            self._catalog = cat
            if not self._upgrading:
                self._bring_up_to_date(cat, write=write, writable=writable, verify=verify)
        assert self._catalog is not None
        return self._catalog

    # -- the catalog against the journal ------------------------------------------------
    def outdated(self, cat: Catalog) -> str | None:
        """Why the store needs an upgrade (an older format or catalog schema), or None."""
        version = self._check_format()
        if version < JOURNAL_FORMAT:
            return f"store format {version}"
        schema = cat.schema_version() or 0
        if schema < SCHEMA_VERSION:
            return f"catalog schema {schema}"
        return None

    def _bring_up_to_date(self, cat: Catalog, *, write: bool, writable: bool,
                          verify: bool) -> None:
        """Upgrade an older store (when it can be written), and refuse a catalog that is
        missing committed revisions (:class:`CatalogBehind`) rather than answer from it."""
        why = self.outdated(cat)
        if why is not None and writable and not self.catalog_mode and cat.migrate():
            why = self.outdated(cat)   # schema 3 brought to 4 in place: no reindex for it
        if why is not None:
            if self.upgrade is None or not writable or self.catalog_mode:
                raise StoreError(f"{self.root} was written by an older newsarchive ({why})",
                                 remedy="reindex")
            self._upgrading = True
            try:
                self.upgrade()
            finally:
                self._upgrading = False
            return
        if write and not self.catalog_mode:
            cat.add_missing_indexes()   # indexes added since the catalog was made
        if not verify:
            return
        state = self.journal_state(cat)
        if state.status == "behind":
            self.close()
            raise self._behind(state)
        if state.status == "ahead" and write:
            self.close()
            raise StoreError(f"{self.root}: the journal holds fewer commits than the catalog "
                             "(restored from an older copy?)", remedy="repair")

    def journal_state(self, cat: Catalog) -> JournalState:
        """Compare the catalog's journal position with the journal's end (reads the end of
        the journal only). The catalog is read first: a writer appends to the journal
        before it commits the catalog, so a commit that lands between the two reads shows
        as in flight, never as a catalog ahead of its journal (which refuses to write)."""
        pos = cat.position()
        last, before = last_positions(self.journal_path)
        cpos = Position(*pos) if pos is not None else None
        have = cpos or Position(0, "")
        if have == last:
            status: Literal["current", "in-flight", "behind", "ahead"] = "current"
        elif have.seq < last.seq:
            prefix = before if last.seq - have.seq == IN_FLIGHT else None
            status = ("in-flight" if cpos is not None and prefix is not None and prefix == have
                      else "behind")
        else:
            status = "ahead"
        return JournalState(last, cpos, status)

    def _behind(self, state: JournalState) -> CatalogBehind:
        have = state.catalog.seq if state.catalog is not None else 0
        missing = sum(len(c.records) for c in read_journal(self.journal_path)
                      if c.seq > have)
        return CatalogBehind(self.root, state.journal.seq - have, missing)

    def _wal_pending(self) -> bool:
        """Whether a write-ahead log with content lies beside the catalog."""
        try:
            return os.stat(str(self.catalog_path) + "-wal").st_size > 0
        except OSError:
            return False

    @contextmanager
    def bounded(self, seconds: float | None, what: str) -> Iterator[Catalog]:
        """The catalog, whose statements inside are stopped after ``seconds`` in all
        (:class:`~newsarchive.errors.QueryTimeout` naming ``what``; None: no limit)."""
        cat = self.catalog()
        assert self._conn is not None
        with self._conn.budget(seconds, what, clock=self.clock):
            yield cat

    def _open_catalog(self, path: Path, mode: str) -> Catalog:
        if mode == "copy":  # the catalog and its log, where SQLite may write an index
            import shutil  # a rare case: start-up time of reads
            import tempfile  # likewise

            self._copy_dir = tempfile.mkdtemp(prefix="newsarchive-catalog-")
            copy = Path(self._copy_dir) / path.name
            for suffix in ("", "-wal"):
                shutil.copyfile(str(path) + suffix, str(copy) + suffix)
            conn = connect(copy, readonly="ro")
            conn.store = str(self.root)
        else:
            conn = connect(path, readonly=mode)
        try:
            cat = Catalog(conn)
            version = cat.schema_version()
            if version is None and not mode:
                cat.create()
                if last_positions(self.journal_path)[0].seq == 0:
                    cat.set_position(0, "")  # a new store: the catalog reflects no commit
                # (else a catalog made anew beside a journal: it reflects nothing, and says so)
            elif version is not None and version > SCHEMA_VERSION:
                raise StoreError(f"{path}: catalog schema {version} is newer than this newsarchive")
            conn.execute("SELECT COUNT(*) FROM articles").fetchone()
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.catalog_mode = mode
        return cat

    def replace_catalog(self) -> Catalog:
        """A catalog to rebuild from the objects: the current one when its file can be
        read, else an empty one (an unreadable file is moved aside, never deleted)."""
        path = self.catalog_path
        refuse_symlink(path)
        try:
            if path.exists():
                conn = connect(path)
                try:
                    conn.execute("PRAGMA quick_check").fetchall()
                    # a full-text index whose structure record is damaged passes quick_check
                    # but cannot even be dropped: query each one that exists
                    for table in ("docs_fts", *FTS_TABLES):
                        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                        (table,)).fetchone():
                            conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH 'x' "
                                         "LIMIT 1").fetchall()
                finally:
                    conn.close()
        except sqlite3.DatabaseError as err:
            if isinstance(err, CatalogError) and not err.damaged:
                raise  # a full disk, a lock, permissions: the file is not at fault
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                try:
                    os.unlink(str(path) + suffix)
                except FileNotFoundError:
                    pass
        self.close()
        conn = connect(path)
        cat = Catalog(conn)
        cat.create()
        self._conn, self._catalog = conn, cat
        return cat

    # -- objects ----------------------------------------------------------------------
    def blob(self, oid: str) -> bytes:
        """A stored text or original, verified; IntegrityError when corrupt or missing (or
        when ``oid``, read from a catalog row edited or damaged, is no object id)."""
        if not HASH_RE.match(oid):
            raise IntegrityError(oid, oid, "not an object id")
        try:
            kind, payload = self.objects.get(oid)
        except KeyError:
            where = self.objects.where(oid)
            if self.catalog().text_set_aside(oid):
                raise IntegrityError(oid, oid, "missing", where, advice=(
                    "it was damaged, and an earlier 'check --repair' set it aside in "
                    "quarantine/ (the revision is kept, marked DAMAGED)")) from None
            raise IntegrityError(oid, oid, "missing", where) from None
        if kind != "blob":
            raise IntegrityError(oid, oid, f"a {kind} object", self.objects.where(oid))
        return payload

    def text_of(self, text_hash: str) -> str:
        """A stored text by content hash, verified; IntegrityError when corrupt or missing."""
        return self.blob(text_hash).decode("utf-8")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._catalog = None
        if self._copy_dir is not None:
            import shutil  # only after a copy (rare): start-up time of reads

            shutil.rmtree(self._copy_dir, ignore_errors=True)
            self._copy_dir = None

    def pack_writer(self, *, repack: bool = False,
                    train_on: Iterable[bytes] | None = None) -> PackWriter:
        """A writer for a new pack (call under the lock); marks the store as format 4
        first (:data:`PACKED_FORMAT`). ``train_on``: see :meth:`ObjectStore.pack_writer`."""
        if self._check_format() < PACKED_FORMAT:
            self.set_format(PACKED_FORMAT)
        return self.objects.pack_writer(repack=repack, train_on=train_on)

    def set_format(self, version: int = FORMAT_VERSION) -> None:
        """Record the store's format (an upgrade's last step, or a pack writer's first;
        under the lock)."""
        write_small_file(self.root / "format", self._format_bytes(version))

    @staticmethod
    def _format_bytes(version: int) -> bytes:
        return (json.dumps({"format": FORMAT_NAME, "version": version}) + "\n").encode()

    # -- locking ----------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's write lock, waiting up to ``self.wait`` seconds."""
        if self._writing and self._upgrading:  # an upgrade inside a write: ours already
            yield
            return
        if self._writing:  # waiting for ourselves would only time out, blaming others
            raise StoreError(f"{self.root} is being written by this very Archive already: "
                             "a callback, or another thread, cannot write through it meanwhile "
                             "(use an Archive of its own)")
        self.create()
        with self._lock():
            self._writing = True
            try:
                yield
            finally:
                self._writing = False

    @contextmanager
    def _lock(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # writers only: start-up time of reads

        lock = FileLock(str(self.root / "lock"), timeout=self.wait)
        try:
            lock.acquire()
        except Timeout as err:
            raise StoreLocked(str(self.root), self.wait) from err
        except OSError as err:
            raise StoreError(f"cannot lock {self.root}: {err.strerror or err}") from err
        try:
            yield
        finally:
            lock.release()

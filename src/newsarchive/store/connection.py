"""The catalog's SQLite connection: the one mapping of SQLite's errors, and time budgets.

Every statement on the catalog runs on a :class:`CatalogConnection` (``catalog.connect``
makes one), whose cursors turn a failing SQLite call into an error of ours that names
the store:

- ``sqlite3.OperationalError`` (a full disk, an I/O error, a read-only or locked database,
  a file that cannot be opened) and a bare ``sqlite3.DatabaseError`` (a damaged file)
  become :class:`~newsarchive.errors.CatalogError`, with the store, SQLite's reason and
  its error code as facts. The class raised is also the ``sqlite3`` class it stands for,
  so code that catches ``sqlite3.DatabaseError`` to react (fall back to a read-only
  connection, report a damaged index) still does; uncaught, it is a one-line error.
- ``SQLITE_INTERRUPT`` becomes :class:`~newsarchive.errors.QueryTimeout` when the running
  budget ran out, else ``KeyboardInterrupt``.

Constraint errors (``sqlite3.IntegrityError``) and misuse (``ProgrammingError``) are bugs,
not conditions of the store, and pass unchanged.

**Time budgets and Ctrl-C.** SQLite calls the connection's progress handler every
:data:`PROGRESS_STEPS` virtual-machine instructions, whatever the statement. Within
:meth:`CatalogConnection.budget` the handler returns non-zero once the deadline has
passed, and SQLite abandons the statement. The handler being Python is also what makes
Ctrl-C work during a long statement: Python runs its SIGINT handler only between
bytecodes, and a long ``sqlite3_step()`` runs none, so a search of many terms ignored
Ctrl-C for as long as it ran. Now the KeyboardInterrupt is raised as the handler is
entered; the ``sqlite3`` module swallows exceptions of callbacks and abandons the
statement (``SQLITE_INTERRUPT``), and the mapping raises KeyboardInterrupt again. A
single instruction that does not come back to the VM (FTS5 merging one term's doclists)
delays both by its length; the query limits of :mod:`newsarchive.search.parse` keep that
short (see docs/search.md for the figures).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from newsarchive import faults
from newsarchive.errors import CatalogError, QueryTimeout

#: Virtual-machine instructions between two calls of the progress handler (a call costs
#: about a microsecond; SQLite runs some 10 to 100 million instructions a second).
PROGRESS_STEPS = 1000

# SQLite's messages, for Pythons before 3.11 (no ``sqlite_errorname``)
_CODES = {
    "interrupted": "SQLITE_INTERRUPT",
    "database or disk is full": "SQLITE_FULL",
    "disk I/O error": "SQLITE_IOERR",
    "attempt to write a readonly database": "SQLITE_READONLY",
    "database is locked": "SQLITE_BUSY",
    "database table is locked": "SQLITE_LOCKED",
    "unable to open database file": "SQLITE_CANTOPEN",
    "database disk image is malformed": "SQLITE_CORRUPT",
    "file is not a database": "SQLITE_NOTADB",
}


class CatalogOperationalError(CatalogError, sqlite3.OperationalError):
    """A CatalogError that is still the ``sqlite3.OperationalError`` it stands for."""


class CatalogDatabaseError(CatalogError, sqlite3.DatabaseError):
    """A CatalogError that is still the ``sqlite3.DatabaseError`` it stands for."""


def error_code(err: sqlite3.Error) -> str:
    """SQLite's name of the error (``SQLITE_FULL``), or '' when unknown."""
    name = getattr(err, "sqlite_errorname", None)
    if isinstance(name, str) and name:
        return name
    return _CODES.get(str(err), "")


def catalog_error(store: str, err: sqlite3.DatabaseError) -> CatalogError:
    """``err`` as an error of ours naming ``store`` (the one mapping, see above)."""
    cls = CatalogOperationalError if isinstance(err, sqlite3.OperationalError) \
        else CatalogDatabaseError
    mapped: CatalogError = cls(store, str(err), error_code(err))
    setattr(mapped, "sqlite_errorcode", getattr(err, "sqlite_errorcode", None))  # noqa: B010
    setattr(mapped, "sqlite_errorname", mapped.code)  # noqa: B010 (3.11+ attributes)
    return mapped


def _mappable(err: BaseException) -> bool:
    return type(err) in (sqlite3.OperationalError, sqlite3.DatabaseError)


class CatalogCursor(sqlite3.Cursor):
    """A cursor whose every call into SQLite maps its errors (module docstring)."""

    def _mapped(self, err: sqlite3.DatabaseError) -> BaseException:
        conn = self.connection
        if isinstance(conn, CatalogConnection):
            return conn.mapped(err)
        return catalog_error("", err)  # pragma: no cover - always made by the connection

    def execute(self, sql: str, parameters: Any = (), /) -> CatalogCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> CatalogCursor:
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err

    def __iter__(self) -> CatalogCursor:
        return self

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as err:
            if not _mappable(err):
                raise
            raise self._mapped(err) from err


class CatalogConnection(sqlite3.Connection):
    """A connection to a store's catalog: mapped errors, a progress handler, budgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = ""  # the store's directory, named in errors (set by connect)
        self._deadline: float | None = None
        self._bounded = False  # inside budget(), with or without a deadline
        self._clock: Callable[[], float] = time.monotonic
        self._expired = False
        self._what, self._seconds = "", 0.0
        self.set_progress_handler(self._progress, PROGRESS_STEPS)

    def cursor(self, factory: Any = CatalogCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def mapped(self, err: sqlite3.DatabaseError) -> BaseException:
        if error_code(err) == "SQLITE_INTERRUPT":
            if self._expired:
                self._expired = False
                return QueryTimeout(self._what, self._seconds)
            return KeyboardInterrupt()  # swallowed by the sqlite3 module in the handler
        return catalog_error(self.store, err)

    @contextmanager
    def budget(self, seconds: float | None, what: str,
               clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
        """Stop the statements run inside after ``seconds`` in all (QueryTimeout naming
        ``what``); None or 0: no limit."""
        self._clock, self._what, self._seconds = clock, what, seconds or 0.0
        self._expired = False
        self._deadline = clock() + seconds if seconds and seconds > 0 else None
        self._bounded = True
        try:
            yield
        finally:
            self._deadline = None
            self._bounded = False

    def _progress(self) -> int:
        if not self._bounded:
            return 0
        faults.point("query-step")  # tests: the query is running now
        if self._deadline is not None and self._clock() > self._deadline:
            self._expired = True
            return 1
        return 0

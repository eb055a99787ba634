"""What ``gc`` keeps, held on disk: the ids of every object the journal names.

The live set is every committed record with the text and the original it names: about
five ids an article, 480,000 at 100,000 articles. As a Python set of 32-byte ids it
took 45 MB there and grows with the store; here it is a table of a private temporary
SQLite database (:func:`newsarchive.ops.tally.private_database`: a bounded page cache,
the rest in a file deleted when closed). The ids are appended as the journal is read
and sorted into a keyed table once (:meth:`LiveSet.settle`), which costs a sort in
bounded memory where inserting in random order would spill the cache on every row.
A repack :meth:`~LiveSet.discard`\\ s each id it has written, so that what is left is what
is still to write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from types import TracebackType

from newsarchive.ops.tally import BATCH, private_database, temp_error


class LiveSet:
    """A set of 32-byte object ids on disk (see the module docstring); a context manager.
    Add every id, :meth:`settle`, then ask (``in``, :meth:`discard`, ``len``)."""

    def __init__(self) -> None:
        try:
            self.conn = private_database()
            self.conn.execute("CREATE TABLE raw (id BLOB NOT NULL)")
            self.conn.execute("BEGIN")
        except sqlite3.Error as err:
            raise temp_error("gc", err) from err
        self._batch: list[tuple[bytes]] = []
        self._count = 0

    def __enter__(self) -> LiveSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def add(self, key: bytes) -> None:
        self._batch.append((key,))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        try:
            self.conn.executemany("INSERT INTO raw VALUES (?)", self._batch)
        except sqlite3.Error as err:
            raise temp_error("gc", err) from err
        self._batch.clear()

    def settle(self) -> LiveSet:
        """Once every id is in: sort them into the keyed table (duplicates dropped)."""
        self._flush()
        try:
            for sql in ("CREATE TABLE live (id BLOB PRIMARY KEY) WITHOUT ROWID",
                        "INSERT OR IGNORE INTO live SELECT id FROM raw ORDER BY id",
                        "DROP TABLE raw"):
                self.conn.execute(sql)
            self._count = self.conn.execute("SELECT COUNT(*) FROM live").fetchone()[0]
        except sqlite3.Error as err:
            raise temp_error("gc", err) from err
        return self

    def __contains__(self, key: object) -> bool:
        return self._execute("SELECT 1 FROM live WHERE id = ?", key).fetchone() is not None

    def discard(self, key: bytes) -> None:
        if self._execute("DELETE FROM live WHERE id = ?", key).rowcount:
            self._count -= 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[bytes]:
        """The ids left, in id order."""
        yield from (row[0] for row in self._execute("SELECT id FROM live ORDER BY id"))

    def _execute(self, sql: str, *params: object) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as err:
            raise temp_error("gc", err) from err

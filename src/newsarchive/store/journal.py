"""The commit journal: what is committed, known from the store without the catalog.

``<store>/journal`` is an append-only file of commits, one line each, in canonical JSON::

    {"parent":"<id of the line before, or empty>","records":["<record id>",...],
     "seq":<1, 2, ...>,"time":"<UTC>"}

A line's id is the SHA-256 of its bytes (newline included), and each line names the id
of the one before it, so the journal is a hash chain: a line changed, lost or reordered
in the middle breaks it, and :func:`read_journal` says where.

Every write that commits revisions appends its line and fsyncs the journal *before* the
catalog commits, and the catalog records the journal position it reflects (``seq`` and
the line's id, in its ``meta`` table) in the same transaction. So:

- the records named by the journal are exactly the committed revisions, whatever the
  catalog says: ``gc`` keeps them and their texts, and collects only records no line
  names (left by a write killed before its line was appended);
- a catalog that lists fewer commits than the journal (a lost WAL, an older copy, a
  truncated file) is *missing committed revisions*: reads refuse to answer from it and
  ``check`` reports it as damage that ``reindex`` mends, except for the one commit a
  crash can leave between the journal line and the catalog commit, which the next write
  applies (:data:`IN_FLIGHT`);
- a line written partly (a crash during the append) has no newline or no valid JSON: it
  was never committed, readers ignore it and the next writer cuts it off.

Lines are small (65 bytes a record) and read in one pass; the catalog's position is
checked against the journal's last line on every open, which reads only the file's end.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from newsarchive import faults
from newsarchive.errors import StoreError
from newsarchive.store.files import O_NOFOLLOW
from newsarchive.text.canonical import HASH_RE

JOURNAL = "journal"
# Commits that may be in the journal and not (yet) in the catalog without anything being
# wrong: the one a writer appended and has not committed to the catalog yet (or was
# killed before committing), which the next write applies.
IN_FLIGHT = 1
_TAIL_READ = 1 << 16


# NamedTuples, not dataclasses: every read command imports this module, and a dataclass's
# methods are compiled when the class is defined (about a millisecond a class)
class Commit(NamedTuple):
    seq: int
    id: str  # SHA-256 of the line
    parent: str
    records: tuple[str, ...]
    time: str


class Position(NamedTuple):
    """Where a journal, or the catalog's view of one, ends: (0, "") when empty."""

    seq: int
    id: str


EMPTY = Position(0, "")


class JournalError(StoreError):
    """The journal is damaged: a line in the middle is unreadable or out of its chain."""

    def __init__(self, path: Path, seq: int, reason: str) -> None:
        self.path, self.seq, self.reason = path, seq, reason
        super().__init__(f"{path}: the commit journal is damaged at commit {seq} ({reason})",
                         remedy="repair")


def line_bytes(seq: int, parent: str, records: Iterable[str], time: str) -> bytes:
    body = {"parent": parent, "records": list(records), "seq": seq, "time": time}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii") + b"\n"


def _parse(line: bytes, path: Path, expected_seq: int, parent: str) -> Commit:
    try:
        d = json.loads(line)
        seq, prev, records, time = d["seq"], d["parent"], d["records"], d["time"]
    except (ValueError, KeyError, TypeError) as err:
        raise JournalError(path, expected_seq, f"not a commit line: {err}") from None
    if seq != expected_seq:
        raise JournalError(path, expected_seq, f"numbered {seq!r}")
    if prev != parent:
        raise JournalError(path, expected_seq, "it does not follow the commit before it")
    if not isinstance(records, list) or not all(
            isinstance(r, str) and HASH_RE.match(r) for r in records):
        raise JournalError(path, expected_seq, "a record id is malformed")
    if line != line_bytes(seq, prev, records, time):
        raise JournalError(path, expected_seq, "not in canonical form")
    return Commit(seq, hashlib.sha256(line).hexdigest(), prev, tuple(records), str(time))


def read_journal(path: Path, *, upto: int | None = None,
                 after: Position | None = None) -> Iterator[Commit]:
    """Every complete commit, in order (up to ``upto`` when given); JournalError where the
    chain breaks. A last line without its newline (a crash during an append) is skipped.
    ``after`` (a position read before) skips the commits up to it unparsed: only the
    line at that position is hashed, to be sure the chain goes on from there."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError as err:
        raise StoreError(f"cannot read the journal {path}: {err.strerror or err}") from err
    parent = ""
    skip = after.seq if after is not None else 0
    with os.fdopen(fd, "rb") as f:
        for seq, line in enumerate(f, 1):
            if upto is not None and seq > upto:
                return
            if not line.endswith(b"\n"):
                return  # torn by a crash: never committed
            if seq <= skip:
                if seq == skip:
                    assert after is not None
                    parent = hashlib.sha256(line).hexdigest()
                    if parent != after.id:
                        raise JournalError(path, seq, "it is not the commit read before")
                continue
            commit = _parse(line, path, seq, parent)
            parent = commit.id
            yield commit
    if skip and parent == "":
        raise JournalError(path, skip, "the journal is shorter than when it was read before")


def last_positions(path: Path) -> tuple[Position, Position]:
    """The positions of the journal's last complete commit and of the one before it
    (``EMPTY`` where there is none), read from the file's end (no chain check)."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW)
    except FileNotFoundError:
        return EMPTY, EMPTY
    except OSError as err:
        raise StoreError(f"cannot read the journal {path}: {err.strerror or err}") from err
    with os.fdopen(fd, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        chunk = _TAIL_READ
        while True:
            start = max(0, end - chunk)
            f.seek(start)
            data = f.read(end - start)
            complete = data[:data.rfind(b"\n") + 1]  # drop a torn last line
            lines = complete.split(b"\n")[:-1]
            if len(lines) >= 3 or start == 0:  # the first may be cut: 2 whole ones after it
                break
            chunk *= 4
    found = [_position(line + b"\n", path) for line in lines[-2:]] if lines else []
    if start > 0:
        found = found[-2:]
    while len(found) < 2:
        found.insert(0, EMPTY)
    return found[1], found[0]


def _position(line: bytes, path: Path) -> Position:
    try:
        seq = json.loads(line)["seq"]
    except (ValueError, KeyError, TypeError) as err:
        raise JournalError(path, 0, f"a line near its end is not a commit: {err}") from None
    return Position(int(seq), hashlib.sha256(line).hexdigest())


def append(path: Path, after: Position, records: list[str], time: str,
           *, durable: bool = True) -> Position:
    """Append a commit naming ``records`` after the journal's last complete line
    ``after`` (the caller holds the write lock), cutting off a torn line first; fsynced
    before it returns. Returns the new position."""
    line = line_bytes(after.seq + 1, after.id, records, time)
    flags = os.O_RDWR | os.O_CREAT | O_NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as err:
        raise StoreError(f"cannot write the journal {path}: {err.strerror or err}") from err
    try:
        size = os.fstat(fd).st_size
        good = _good_length(fd, size)
        if good != size:
            os.ftruncate(fd, good)
        os.lseek(fd, good, os.SEEK_SET)
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        faults.point("journal-written")
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    return Position(after.seq + 1, hashlib.sha256(line).hexdigest())


def _good_length(fd: int, size: int) -> int:
    """The length of the file up to its last newline (a torn line is cut off)."""
    if size == 0:
        return 0
    pos = size
    while pos > 0:
        start = max(0, pos - _TAIL_READ)
        data = os.pread(fd, pos - start, start)
        i = data.rfind(b"\n")
        if i >= 0:
            return start + i + 1
        pos = start
    return 0


def rewrite(path: Path, commits: list[list[str]], times: list[str]) -> Position:
    """Write a new journal of ``commits`` (lists of record ids) atomically (a repair:
    temp file, fsync, rename); returns its last position."""
    tmp = path.with_name(f".{path.name}.tmp")
    pos = EMPTY
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW
    fd = os.open(tmp, flags, 0o644)
    with os.fdopen(fd, "wb") as f:
        for records, time in zip(commits, times, strict=True):
            line = line_bytes(pos.seq + 1, pos.id, records, time)
            f.write(line)
            pos = Position(pos.seq + 1, hashlib.sha256(line).hexdigest())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return pos

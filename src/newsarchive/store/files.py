"""How the store opens and writes its files: never through a link planted in its place,
always in binary mode (both flags are 0 where the platform lacks them), and replaced
atomically (temp file, fsync, rename, fsync of the directory)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from newsarchive import faults

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_BINARY = getattr(os, "O_BINARY", 0)


def sha256_head(path: Path, end: int, chunk: int = 1 << 20) -> bytes:
    """SHA-256 of the first ``end`` bytes of a file, read a chunk at a time: a file that
    is also mapped is not paged into the map a second time (a hash of a map's slice
    copied the 23 MB pack index at 100,000 articles and mapped it twice: check's peak)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_BINARY)
    try:
        at = 0
        while at < end:
            data = os.pread(fd, min(chunk, end - at), at)
            if not data:
                break
            h.update(data)
            at += len(data)
    finally:
        os.close(fd)
    return h.digest()


def fsync_dir(path: Path) -> None:
    """Make a directory's entries durable (best effort: not every platform can)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_atomically(tmp: Path, path: Path, data: bytes | Callable[[BinaryIO], None], *,
                       durable: bool, points: tuple[str | None, str, str]) -> None:
    """Write ``data`` to ``tmp`` (or let ``data`` write the open file: a file written in
    pieces) and rename it over ``path``: a crash leaves the old file (or none) and at
    worst a temp file that ``gc`` removes. ``points`` name the crash points after the
    write (before the fsync), after the fsync and after the rename."""
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW | O_BINARY, 0o644)
    try:
        with os.fdopen(fd, "w+b") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            if points[0] is not None:
                faults.point(points[0])
            if durable:
                os.fsync(f.fileno())
        faults.point(points[1])
        os.replace(tmp, path)
        faults.point(points[2])
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        fsync_dir(path.parent)

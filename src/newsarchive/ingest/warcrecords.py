"""WARC files as records: the files of a path (a WARC, or each WARC of a WACZ), and their
records one at a time, with damage reported and skipped (used by :mod:`.warc`).

:func:`sources` opens a ``.warc``/``.warc.gz`` file, or each ``archive/*.warc[.gz]``
member of a WACZ in place (a stored member as a slice of the zip file, so it can be
seeked cheaply). :func:`records` reads a source with warcio's ``ArchiveIterator`` and
yields ``(record, offset, mode)``, the record's payload unread, and a :class:`Broken`
for each stretch of damage: a record whose block is shorter than its ``Content-Length``
(a truncated file), one whose headers cannot be parsed or lack ``WARC-Type`` or
``Content-Length``, bytes between records. After damage, reading goes on at the next
place a record may start: the next gzip member (``\x1f\x8b\x08``) of a file compressed
a member a record, or the next ``WARC/1.x`` line of an uncompressed one. A ``.warc.gz``
compressed as one gzip stream is read as a stream (its offsets are into the uncompressed
data, and damage ends it). :func:`record_at` reads one record again at an offset.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from newsarchive.errors import InputError

__all__ = ["Broken", "Source", "one_line", "record_at", "records", "sources"]

_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1024 * 1024


# -- sources: a file, or each WARC of a WACZ ---------------------------------------------------

@dataclass(frozen=True)
class Source:
    name: str  # for messages
    size: int
    open: Callable[[], IO[bytes]]  # a fresh seekable binary file object


def sources(path: Path) -> list[Source]:
    name = str(path)
    try:
        if not path.is_file():
            raise InputError(name, "no such file" if not path.exists() else "is not a file")
        size = path.stat().st_size
        if path.name.lower().endswith(".wacz") or _is_zip(path):
            return _wacz_sources(path)
    except OSError as err:
        raise InputError(name, f"cannot read ({err.strerror or err})") from None
    return [Source(name, size, lambda: open(path, "rb"))]  # noqa: SIM115


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def _wacz_sources(path: Path) -> list[Source]:
    """Each ``archive/*.warc[.gz]`` of a WACZ, read in place: a stored member (the usual
    case, its data being gzip already) as a slice of the zip file, else through zipfile."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = sorted((i for i in zf.infolist() if i.filename.startswith("archive/")
                            and i.filename.lower().endswith((".warc", ".warc.gz"))),
                           key=lambda i: i.filename)
            if not infos:
                raise InputError(str(path), "is a zip without archive/*.warc[.gz] (not a WACZ)")
            out = []
            for info in infos:
                name = f"{path}!{info.filename}"
                if info.compress_type == zipfile.ZIP_STORED:
                    start = _member_data_offset(path, info)
                    out.append(Source(name, info.file_size, _slice_opener(path, start,
                                                                           info.file_size)))
                else:
                    out.append(Source(name, info.file_size, _member_opener(path, info.filename)))
            return out
    except zipfile.BadZipFile as err:
        raise InputError(str(path), f"is not a readable zip ({err})") from None


def _member_data_offset(path: Path, info: zipfile.ZipInfo) -> int:
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise InputError(f"{path}!{info.filename}", "bad zip member header")
    name_len = int.from_bytes(head[26:28], "little")
    extra_len = int.from_bytes(head[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len


def _slice_opener(path: Path, start: int, length: int) -> Callable[[], IO[bytes]]:
    return lambda: io.BufferedReader(_Slice(open(path, "rb"), start, length))  # noqa: SIM115


def _member_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        zf = zipfile.ZipFile(path)
        return io.BufferedReader(_Closing(zf.open(member), zf))

    return opener


class _Slice(io.RawIOBase):
    """Bytes ``start .. start+length`` of a file, as a seekable file of their own."""

    def __init__(self, f: IO[bytes], start: int, length: int) -> None:
        self._f, self._start, self._length, self._pos = f, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, min(base + offset, self._length))
        return self._pos

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._length - self._pos)
        if n <= 0:
            return 0
        self._f.seek(self._start + self._pos)
        data = self._f.read(n)
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


class _Closing(io.RawIOBase):
    """A zip member that closes its zip file with it."""

    def __init__(self, member: IO[bytes], zf: zipfile.ZipFile) -> None:
        self._m, self._zf = member, zf

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._m.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._m.seek(offset, whence)

    def readinto(self, b: Any) -> int:
        data = self._m.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._m.close()
        self._zf.close()
        super().close()


# -- records, with damage reported and skipped -------------------------------------------------

@dataclass(frozen=True)
class Broken:
    offset: int
    reason: str


def _iterator(fh: IO[bytes], warnings: list[int]) -> Any:
    """warcio's ArchiveIterator, noting (not printing) records not followed by the
    blank lines their Content-Length promises."""
    from warcio.archiveiterator import ArchiveIterator  # WARC input only: start-up time

    class Quiet(ArchiveIterator):  # type: ignore[misc]
        def _consume_blanklines(self) -> tuple[bytes | None, int]:
            skipped = 0
            first = True
            while True:
                line = self.reader.readline()
                if not line:
                    return None, skipped
                if line.rstrip() and not first:
                    return line, skipped
                if line.rstrip():  # the record overran its Content-Length
                    warnings.append(self.offset)
                skipped += len(line)
                first = False

    return Quiet(fh)


def records(source: Source) -> Iterator[tuple[Any, int, str] | Broken]:
    """``(record, offset, mode)`` for each record (its payload unread: the caller reads
    what it needs before asking for the next), and a :class:`Broken` for each stretch of
    damage, after which reading resumes at the next record found."""
    from warcio.exceptions import ArchiveLoadFailed  # WARC input only: start-up time

    with source.open() as fh:
        mode = "member" if fh.read(3) == _GZIP_MAGIC else "plain"
        pos, size, seen = 0, source.size, 0
        while pos < size:
            fh.seek(pos)
            warnings: list[int] = []
            it = _iterator(fh, warnings)
            reason = ""
            try:
                for record in it:
                    offset = it.offset
                    if not _well_formed(record):  # its block could swallow the rest
                        reason = "no WARC-Type or Content-Length"
                        pos = offset
                        break
                    seen += 1
                    yield record, offset, mode
                    broken = _drain(it, record, offset, warnings)
                    if broken is not None:
                        yield broken
                    pos = it.offset
            except ArchiveLoadFailed as err:
                if "non-chunked gzip" in str(err) and mode == "member":
                    # one gzip stream, not a member a record: read it as a stream
                    yield from _stream_records(fh, skip=seen)
                    return
                reason = one_line(err)
            except Exception:  # noqa: BLE001 - warcio fails on damage in many ways
                pass  # (AttributeError, ValueError, zlib.error...: no message worth showing)
            if pos >= size:
                break
            yield Broken(pos, "truncated or malformed record " + (
                f"({reason})" if reason else f"({size - pos:,} bytes could not be read)"))
            pos = _resync(fh, pos + 1, size, mode)


def _stream_records(fh: IO[bytes], skip: int) -> Iterator[tuple[Any, int, str] | Broken]:
    """The records of a WARC gzipped as one stream (offsets into the uncompressed data),
    after the first ``skip``; damage ends it (a stream cannot be resynchronised)."""
    fh.seek(0)
    stream = gzip.GzipFile(fileobj=fh, mode="rb")
    warnings: list[int] = []
    it = _iterator(stream, warnings)  # type: ignore[arg-type]
    n = 0
    offset = 0
    try:
        for record in it:
            offset = it.offset
            n += 1
            if n > skip:
                yield record, offset, "stream"
            broken = _drain(it, record, offset, warnings)
            if broken is not None:
                yield broken
            offset = it.offset
    except Exception:  # noqa: BLE001 - as above (zlib.error, EOFError, ...)
        yield Broken(offset, "truncated or malformed record (the gzip stream breaks off)")


def _well_formed(record: Any) -> bool:
    length = str(record.rec_headers.get_header("Content-Length") or "")
    return bool(record.rec_type) and length.isdigit()


def _drain(it: Any, record: Any, offset: int, warnings: list[int]) -> Broken | None:
    """Read the rest of a record; a :class:`Broken` when it was cut short or overran."""
    from warcio.limitreader import LimitReader  # WARC input only: start-up time

    it.read_to_end()
    raw = record.raw_stream
    if isinstance(raw, LimitReader) and raw.limit > 0:
        return Broken(offset, f"truncated record ({_uri_of(record)}: {raw.limit:,} bytes "
                               "missing)")
    if warnings:
        warnings.clear()
        return Broken(offset, f"malformed record ({_uri_of(record)}: its Content-Length "
                               "does not match its block)")
    return None


def _resync(fh: IO[bytes], pos: int, size: int, mode: str) -> int:
    """The offset of the next place a record may start (``size`` when there is none):
    a gzip member's magic, or a ``WARC/1.x`` line after a line break."""
    pattern = _GZIP_MAGIC if mode == "member" else b"\nWARC/1."
    skip = 0 if mode == "member" else 1
    while pos < size:
        fh.seek(pos)
        chunk = fh.read(_SCAN_CHUNK + len(pattern))
        i = chunk.find(pattern)
        if i >= 0:
            return pos + i + skip
        if len(chunk) <= len(pattern):
            break
        pos += _SCAN_CHUNK
    return size


def _uri_of(record: Any) -> str:
    return str(record.rec_headers.get_header("WARC-Target-URI") or record.rec_type)


def one_line(value: object) -> str:
    return " ".join(str(value).split())[:200]


def record_at(source: Source, offset: int, mode: str) -> tuple[IO[bytes], Any]:
    """The open file and the record at ``offset`` of a source (as :func:`records` gave
    it); the caller closes the file once it has read the record."""
    fh = source.open()
    try:
        stream: IO[bytes] = fh
        if mode == "stream":
            stream = gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[assignment]
        stream.seek(offset)
        return fh, next(iter(_iterator(stream, [])))
    except BaseException:
        fh.close()
        raise

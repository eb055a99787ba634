"""Reading the inputs named on the command line: files, directories, ``-`` and URLs."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from newsarchive.errors import InputError, NewsArchiveError
from newsarchive.ingest.jsonl import MAX_LINE_BYTES, parse_jsonl
from newsarchive.ingest.plaintext import parse_plaintext
from newsarchive.ingest.signatures import looks_like_html, signature
from newsarchive.model import Draft

if TYPE_CHECKING:
    from newsarchive.ingest.noise import RuleBook

MAX_INPUT_BYTES = MAX_LINE_BYTES
FORMATS = ("auto", "text", "jsonl", "html")
_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "text",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".html": "html", ".htm": "html",
}

Fetch = Callable[[str], Draft]


def is_url(name: str) -> bool:
    return name.lower().startswith(("http://", "https://"))


def read_inputs(
    names: list[str], *, fmt: str = "auto", stdin: IO[bytes] | None = None,
    fetch: Fetch | None = None, noise: RuleBook | None = None,
) -> Iterator[Draft | InputError]:
    """Yield a draft (or the error) for every article the named inputs hold, in order;
    ``noise``: the rules whose selectors are dropped from HTML pages before extraction."""
    for name in names:
        if name == "-":
            yield from _read_stream(stdin or io.BytesIO(), "<stdin>", fmt, None, noise)
        elif is_url(name):
            if fetch is None:
                yield InputError(name, "fetching URLs is not available here")
                continue
            try:
                yield fetch(name)
            except InputError as err:
                yield err
            except NewsArchiveError as err:  # a fetch error: report it as this input's
                yield InputError(name, str(err).removeprefix(f"{name}: "))
        elif not name:  # Path("") would be the current directory
            yield InputError("''", "an empty name is not a file")
        else:
            yield from _read_path(Path(name), fmt, noise)


def count_inputs(names: list[str], *, fmt: str = "auto") -> int | None:
    """How many articles the named inputs hold (for a progress bar); None if unknown."""
    total = 0
    for name in names:
        if name == "-":
            return None
        if is_url(name):
            total += 1
            continue
        path = Path(name)
        files = list(_walk(path)) if path.is_dir() else [path]
        for f in files:
            kind = fmt if fmt != "auto" else _EXTENSIONS.get(f.suffix.lower(), "auto")
            if kind != "jsonl":
                total += 1
                continue
            try:
                with open(f, "rb") as stream:
                    total += sum(1 for line in stream if line.strip())
            except OSError:
                total += 1  # its error counts as one result
    return total


def _read_path(path: Path, fmt: str, noise: RuleBook | None = None,
               ) -> Iterator[Draft | InputError]:
    origin = str(path)
    try:
        if path.is_dir():
            found = False
            for child in _walk(path):
                found = True
                yield from _read_path(child, fmt, noise)
            if not found:  # said, not silently nothing (a wrong folder, a typo'd one)
                yield InputError(origin, "holds no file to add (" + " ".join(_EXTENSIONS)
                                 + "; hidden files, links and special files are skipped)")
            return
        kind = fmt if fmt != "auto" else _EXTENSIONS.get(path.suffix.lower(), "auto")
        if kind == "jsonl":
            with open(path, "rb") as f:
                saved = _saved_at(f.fileno())
                for item in parse_jsonl(_capped_lines(f), origin=origin):
                    yield _captured_when_saved(item, saved)
            return
        with open(path, "rb") as f:  # at most the cap: a device or a FIFO has no size
            saved = _saved_at(f.fileno())
            data = f.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            yield InputError(origin, f"is over the {MAX_INPUT_BYTES:,}-byte cap")
            return
    except FileNotFoundError:
        yield InputError(origin, "no such file or directory")
        return
    except PermissionError:
        yield InputError(origin, "permission denied")
        return
    except IsADirectoryError:
        yield InputError(origin, "is a directory")
        return
    except OSError as err:
        yield InputError(origin, f"cannot read ({err.strerror or err})")
        return
    try:
        yield _captured_when_saved(
            bytes_to_draft(data, origin=origin, fmt=kind, name_hint=path.stem, noise=noise),
            saved)
    except InputError as err:
        yield err


def _saved_at(fd: int) -> str:
    """A file's modification time, UTC: when the page in it was saved, the capture time
    of an input that names none (so adding a folder again adds nothing)."""
    mtime = os.fstat(fd).st_mtime
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _captured_when_saved(item: Draft | InputError, saved: str) -> Draft | InputError:
    if isinstance(item, Draft) and not item.captured_at:
        item.captured_at = saved
    return item


def _walk(root: Path) -> Iterator[Path]:
    """Regular files of known formats under ``root``, sorted, skipping hidden entries,
    symlinks and special files (reading a FIFO found in a folder would wait forever)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.startswith(".") or p.suffix.lower() not in _EXTENSIONS:
                continue
            try:
                if stat.S_ISREG(os.lstat(p).st_mode):
                    yield p
            except OSError:
                yield p  # gone or unreadable: reading it reports why


def _read_stream(
    stream: IO[bytes], origin: str, fmt: str, name_hint: str | None,
    noise: RuleBook | None = None,
) -> Iterator[Draft | InputError]:
    if fmt == "jsonl":
        yield from parse_jsonl(_capped_lines(stream), origin=origin)
        return
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        yield InputError(origin, f"is over the {MAX_INPUT_BYTES:,}-byte cap")
        return
    try:
        yield bytes_to_draft(data, origin=origin, fmt=fmt, name_hint=name_hint, noise=noise)
    except InputError as err:
        yield err


def _capped_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The lines of ``stream``; None for a line over the cap (the rest of it is skipped)."""
    for line in iter(lambda: stream.readline(MAX_INPUT_BYTES + 1), b""):
        if len(line) > MAX_INPUT_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(1 << 20)
            yield None
        else:
            yield line


def bytes_to_draft(data: bytes, *, origin: str, fmt: str = "auto",
                   name_hint: str | None = None, noise: RuleBook | None = None) -> Draft:
    """One text or HTML input as a draft."""
    if fmt == "jsonl":
        raise InputError(origin, "JSON Lines input holds many articles; read it as a stream")
    if not data.strip():
        raise InputError(origin, "is empty")
    kind = signature(data)
    if kind is not None:
        raise InputError(origin, f"looks like a binary file, not text ({kind})")
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(origin, "looks like a binary file, not text (it contains NUL bytes)")
    if fmt == "html" or (fmt == "auto" and looks_like_html(data)):
        from newsarchive.ingest.html import html_to_draft  # trafilatura: start-up time

        draft = html_to_draft(data, origin=origin, noise=noise)
        draft.name_hint = draft.name_hint or name_hint
        return draft
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            origin, f"is not UTF-8 text (invalid byte at offset {err.start}); convert it first"
        ) from err
    return parse_plaintext(text, origin=origin, name_hint=name_hint)

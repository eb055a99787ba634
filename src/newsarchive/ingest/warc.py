"""WARC and WACZ files to drafts: every HTML capture in them, streamed, with warcio.

A WARC file (ISO 28500; written by Heritrix, wget, ArchiveBox, Browsertrix, pywb and
``newsarchive export --format warc``) is a sequence of records. :func:`read_warcs` reads
them one at a time with warcio's ``ArchiveIterator`` and yields a :class:`Draft` per
HTML capture, never holding more than one page in memory:

- A ``response`` record with a 2xx HTTP status whose payload is HTML (served as
  ``text/html`` or ``application/xhtml+xml``, or with a generic type and HTML inside, the
  rule of ``snapshot``), and a ``resource`` record of such a type, is a capture of its
  ``WARC-Target-URI`` at its ``WARC-Date``. It goes through the extraction of a fetched page
  (:func:`newsarchive.ingest.html.html_to_draft`, with the target URI as the URL fetched,
  so a canonical link counts only within the same site).
- A ``revisit`` record (a capture whose payload equals an earlier one, written without
  the payload) is resolved to the record it revisits, found by ``WARC-Refers-To`` (record
  ID), by ``WARC-Refers-To-Target-URI`` + ``WARC-Refers-To-Date``, or by
  ``WARC-Payload-Digest``, among the records read before it in the same call (all files
  and WACZ members given together). It becomes a capture of its own URI at its own date
  with the original's payload. A revisit whose original is not among them is an error.
- The **original** of a capture (kept as the revision's original) is the HTTP payload as
  the server sent it, with the transfer and content codings (chunked, gzip) removed: the
  bytes a browser would parse. Its ``original_type`` is the ``Content-Type`` the server
  sent, parameters included (for a ``resource`` record, the record's ``Content-Type``).
  The HTTP status line and headers are not kept.
- Other records are counted, not read: responses that are not HTML or not 2xx
  (:attr:`WarcCounts.skipped`, by reason), and requests, ``warcinfo``, ``metadata`` and
  the like (:attr:`WarcCounts.other`).
- A record written by ``export --format warc`` is followed by a ``metadata`` record
  (:data:`REVISION_METADATA_TYPE`, ``WARC-Concurrent-To`` naming it) holding the
  revision's export record (the JSON Lines of ``export``) with its canonical text. Such a
  pair is read back as that export record, exactly as ``import`` reads JSON Lines:
  the text, title, name and times come from the metadata, the payload is the original
  (or, for a ``resource`` record of ``text/plain``, the canonical text itself when the
  revision had no original), and nothing is re-extracted. That makes export and import a
  lossless round trip whatever the version of the extractor.

Damage (:mod:`newsarchive.ingest.warcrecords` reads the records): a record cut short (its
block is shorter than its ``Content-Length``: a file truncated by a crawl that was killed),
or data that cannot be parsed as a record, is one :class:`~newsarchive.errors.InputError`
naming the file and offset; reading goes on at the next record that can be found, so the
records after the damage are still imported.

Memory: the payload of an HTML capture is read (up to
:data:`~newsarchive.ingest.html.MAX_HTML_BYTES`; a larger page is an error); any other
payload is skipped unread. For revisits the reader keeps, per HTML response, its record
ID, URI and date, and payload digest with the offset of the record (about 300 bytes a
record), and reads the original again from the file when a revisit names it: memory grows
with the number of HTML records, never with their size. Files must be seekable (a path;
WACZ members are read in place). The drafts of the last :data:`_EXTRACTED` pages are kept,
by payload and URL, so a page captured again unchanged is not extracted again.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.errors import InputError
from newsarchive.ingest.html import MAX_HTML_BYTES, html_to_draft
from newsarchive.ingest.jsonl import MAX_LINE_BYTES, record_to_draft
from newsarchive.ingest.signatures import looks_like_html
from newsarchive.ingest.warcrecords import Broken, Source, one_line, record_at, records, sources
from newsarchive.model import Draft

if TYPE_CHECKING:
    from newsarchive.ingest.noise import RuleBook

__all__ = ["REVISION_METADATA_TYPE", "WARC_SUFFIXES", "WarcCounts", "is_warc_name",
           "read_warcs"]

#: The ``Content-Type`` of the ``metadata`` record that ``export --format warc`` writes
#: after each revision's record: the revision's export record as JSON.
REVISION_METADATA_TYPE = "application/vnd.newsarchive.revision+json"
#: File names read as WARC (``.wacz``: a zip holding ``archive/*.warc[.gz]``).
WARC_SUFFIXES = (".warc", ".warc.gz", ".wacz")

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Types servers send for anything: under these (or none) the payload is sniffed for HTML
_GENERIC_TYPES = ("", "text/plain", "application/octet-stream", "binary/octet-stream")
_EXTRACTED = 256  # drafts kept for captures of the same page again (texts: ~5 KB each)


def is_warc_name(name: str) -> bool:
    """True for a file name that ``import`` reads as WARC or WACZ."""
    return name.lower().endswith(WARC_SUFFIXES)


@dataclass
class WarcCounts:
    """What the records of a WARC import were (filled in as :func:`read_warcs` reads)."""

    records: int = 0
    captures: int = 0  # HTML captures turned into drafts (revisits included)
    revisits: int = 0  # of which resolved revisits
    skipped: collections.Counter[str] = field(default_factory=collections.Counter)
    other: int = 0  # requests, warcinfo, metadata...
    errors: int = 0  # damaged records and captures that could not be read

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "captures": self.captures,
                "revisits": self.revisits, "skipped": dict(self.skipped),
                "other": self.other, "errors": self.errors}


def read_warcs(paths: Sequence[str | os.PathLike[str]], counts: WarcCounts | None = None,
               noise: RuleBook | None = None) -> Iterator[Draft | InputError]:
    """A draft (or the error) for every HTML capture of the WARC/WACZ files, in order;
    ``noise``: the rules whose selectors are dropped from pages before extraction."""
    reader = _Reader(counts if counts is not None else WarcCounts(), noise)
    for path in paths:
        try:
            found = sources(Path(path))
        except InputError as err:
            reader.counts.errors += 1
            yield err
            continue
        for source in found:
            yield from reader.read(source)


# -- records to drafts -------------------------------------------------------------------------

@dataclass
class _Pending:
    """A response or resource record read, waiting to see whether a newsarchive
    ``metadata`` record follows it."""

    source: int
    offset: int
    mode: str
    record_id: str
    rec_type: str
    uri: str
    date: str
    status: str
    media: str  # the media type, lower-case, no parameters
    ctype: str | None  # the Content-Type as sent
    payload: bytes | None  # read for HTML candidates
    html: bool
    refers: tuple[str, str, str, str] | None = None  # a revisit: id, uri, date, digest
    too_large: bool = False


class _Reader:
    def __init__(self, counts: WarcCounts, noise: RuleBook | None = None) -> None:
        self.counts = counts
        self.noise = noise
        self.sources: list[Source] = []
        self.index: dict[str, tuple[int, int, str]] = {}  # key -> (source, offset, mode)
        # drafts of the last pages extracted, by payload and URL: a crawl that captures a
        # page again unchanged (or a revisit) costs no second extraction
        self.extracted: collections.OrderedDict[tuple[bytes, str | None], Draft] = (
            collections.OrderedDict())

    def read(self, source: Source) -> Iterator[Draft | InputError]:
        sid = len(self.sources)
        self.sources.append(source)
        pending: _Pending | None = None
        for item in records(source):
            if isinstance(item, Broken):
                if pending is not None and pending.offset == item.offset:
                    pending = None  # the damaged record itself
                elif pending is not None:
                    yield from self._finish(pending)
                    pending = None
                self.counts.errors += 1
                yield InputError(f"{source.name}, offset {item.offset}", item.reason)
                continue
            record, offset, mode = item
            self.counts.records += 1
            if pending is not None:
                if _is_revision_metadata(record, pending.record_id):
                    yield self._own(pending, record)
                    pending = None
                    continue
                yield from self._finish(pending)
                pending = None
            pending = self._start(sid, record, offset, mode)
        if pending is not None:
            yield from self._finish(pending)

    def _origin(self, p: _Pending) -> str:
        return f"{p.uri} ({self.sources[p.source].name}, offset {p.offset})"

    def _start(self, sid: int, record: Any, offset: int, mode: str) -> _Pending | None:
        kind = record.rec_type
        if kind not in ("response", "resource", "revisit"):
            self.counts.other += 1
            return None
        h = record.rec_headers
        uri = str(h.get_header("WARC-Target-URI") or "").strip().strip("<>")
        p = _Pending(sid, offset, mode, str(h.get_header("WARC-Record-ID") or ""), kind, uri,
                     str(h.get_header("WARC-Date") or ""), "200", "", None, None, False)
        if kind == "resource":
            p.ctype = h.get_header("Content-Type")
        elif record.http_headers is not None:
            p.status = str(record.http_headers.get_statuscode() or "")
            p.ctype = record.http_headers.get_header("Content-Type")
        else:  # a response without HTTP headers (dns:, ftp:...)
            p.status = ""
        p.media = (p.ctype or "").split(";", 1)[0].strip().lower()
        if kind == "revisit":
            p.refers = (str(h.get_header("WARC-Refers-To") or ""),
                        str(h.get_header("WARC-Refers-To-Target-URI") or "").strip("<>"),
                        str(h.get_header("WARC-Refers-To-Date") or ""),
                        str(h.get_header("WARC-Payload-Digest") or ""))
            return p
        candidate = p.status.startswith("2") and (p.media in _HTML_TYPES
                                                  or p.media in _GENERIC_TYPES)
        if candidate:
            p.payload, p.too_large = _read_payload(record)
            p.html = p.media in _HTML_TYPES or looks_like_html(p.payload)
            if p.html and not p.too_large:
                self._remember(h, p, sid)
        return p

    def _remember(self, h: Any, p: _Pending, sid: int) -> None:
        where = (sid, p.offset, p.mode)
        if p.record_id:
            self.index["id " + p.record_id] = where
        self.index[f"at {p.uri} {p.date}"] = where
        digest = h.get_header("WARC-Payload-Digest")
        if digest:
            self.index["digest " + str(digest)] = where

    def _finish(self, p: _Pending) -> Iterator[Draft | InputError]:
        origin = self._origin(p)
        if p.refers is not None:
            yield from self._revisit(p, origin)
            return
        if not p.status.startswith("2"):
            self.counts.skipped[f"HTTP {p.status}" if p.status else "no HTTP status"] += 1
            return
        if not p.html:
            self.counts.skipped["not HTML"] += 1
            return
        yield self._draft(p, p.payload or b"", p.ctype, p.too_large, origin)

    def _draft(self, p: _Pending, payload: bytes, ctype: str | None, too_large: bool,
               origin: str) -> Draft | InputError:
        if too_large:
            self.counts.errors += 1
            return InputError(origin, f"the page is over the {MAX_HTML_BYTES:,}-byte limit "
                                      "for extracting an article")
        url = p.uri if _is_http(p.uri) else None
        key = (hashlib.sha256(payload).digest(), url)
        known = self.extracted.get(key)
        if known is not None:  # the same page at the same URL: the same article again
            self.extracted.move_to_end(key)
            draft = dataclasses.replace(known, origin=origin, original=payload)
        else:
            try:
                draft = html_to_draft(payload, origin=origin, url=url, noise=self.noise)
            except InputError as err:
                self.counts.errors += 1
                return err
            self.extracted[key] = dataclasses.replace(draft, original=None)
            if len(self.extracted) > _EXTRACTED:
                self.extracted.popitem(last=False)
        self.counts.captures += 1
        draft.captured_at = p.date or None
        draft.original_type = ctype or "text/html"
        return draft

    def _revisit(self, p: _Pending, origin: str) -> Iterator[Draft | InputError]:
        assert p.refers is not None
        rid, ruri, rdate, digest = p.refers
        keys = ([f"id {rid}"] if rid else []) + ([f"at {ruri} {rdate}"] if ruri and rdate
                                                  else []) + ([f"digest {digest}"] if digest
                                                              else [])
        where = next((self.index[k] for k in keys if k in self.index), None)
        if where is None:
            if p.media and p.media not in _HTML_TYPES and p.media not in _GENERIC_TYPES:
                self.counts.skipped["not HTML"] += 1
                return
            self.counts.errors += 1
            yield InputError(origin, "a revisit record whose original (" + (
                f"{ruri} at {rdate}" if ruri else digest or rid or "unnamed")
                + ") is not in the files read")
            return
        try:
            payload, ctype, too_large = self._reread(*where)
        except InputError as err:
            self.counts.errors += 1
            yield InputError(origin, f"cannot read the revisited record ({err.reason})")
            return
        self.counts.revisits += 1
        yield self._draft(p, payload, ctype, too_large, origin)

    def _reread(self, sid: int, offset: int, mode: str) -> tuple[bytes, str | None, bool]:
        """The payload and Content-Type of the record at ``offset`` of a source."""
        source = self.sources[sid]
        try:
            fh, record = record_at(source, offset, mode)
        except Exception as err:  # noqa: BLE001 - damage found on the second read
            raise InputError(source.name, one_line(err)) from None
        with fh:
            if record.rec_type == "resource":
                ctype = record.rec_headers.get_header("Content-Type")
            else:
                ctype = record.http_headers.get_header("Content-Type") if (
                    record.http_headers is not None) else None
            payload, too_large = _read_payload(record)
            return payload, ctype, too_large

    def _own(self, p: _Pending, metadata: Any) -> Draft | InputError:
        """A record of ``export --format warc`` with its metadata: its export record."""
        origin = self._origin(p)
        try:
            raw = metadata.content_stream().read(MAX_LINE_BYTES + 1)
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(origin, "the revision's metadata is over the "
                                         f"{MAX_LINE_BYTES:,}-byte cap")
            try:
                meta = json.loads(raw)
            except ValueError as err:
                raise InputError(origin, f"the revision's metadata is not JSON ({err})"
                                 ) from None
            if not isinstance(meta, dict):
                raise InputError(origin, "the revision's metadata is not a JSON object")
            if p.payload is None or p.too_large:
                payload, _, too_large = self._reread(p.source, p.offset, p.mode)
                if too_large:
                    raise InputError(origin, "the record is over the "
                                             f"{MAX_HTML_BYTES:,}-byte limit")
            else:
                payload = p.payload
            if meta.get("payload") == "text":
                try:
                    meta["text"] = payload.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError(origin, "the revision's text is not UTF-8") from None
                draft = record_to_draft(meta, origin=origin)
            else:
                draft = record_to_draft(meta, origin=origin)
                draft.original = payload
                original_type = meta.get("original_type")
                draft.original_type = original_type if isinstance(original_type, str) else None
        except InputError as err:
            self.counts.errors += 1
            return err
        self.counts.captures += 1
        return draft


def _is_revision_metadata(record: Any, record_id: str) -> bool:
    h = record.rec_headers
    return (record.rec_type == "metadata" and bool(record_id)
            and str(h.get_header("WARC-Concurrent-To") or "") == record_id
            and str(h.get_header("Content-Type") or "").split(";")[0].strip()
            == REVISION_METADATA_TYPE)


def _read_payload(record: Any) -> tuple[bytes, bool]:
    """The payload, decoded (chunked, gzip), up to the page cap; whether it went over.
    A payload whose content coding is broken is what could be decoded of it."""
    stream = record.content_stream()
    parts: list[bytes] = []
    size = 0
    try:
        while size <= MAX_HTML_BYTES:
            chunk = stream.read(min(65536, MAX_HTML_BYTES + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except Exception:  # noqa: BLE001 - zlib.error, a bad chunk size: keep what was read
        pass
    data = b"".join(parts)
    return data[:MAX_HTML_BYTES], len(data) > MAX_HTML_BYTES


def _is_http(uri: str) -> bool:
    return uri.lower().startswith(("http://", "https://"))

"""Revisions to a WARC file (``export --format warc``), read back by ``import``.

For each revision, in the order of ``export`` (article ID, then number), two records:

1. Its **original** as a ``response`` record (``WARC-Target-URI`` = the revision's URL,
   ``WARC-Date`` = its capture time, the payload behind a synthesised ``HTTP/1.1 200 OK``
   with ``Content-Type`` = the original's media type), so that replay tools (pywb,
   ReplayWeb.page) show the page as it was captured. The HTTP headers the server really
   sent are not kept by newsarchive, so they cannot be written. A revision whose original
   has no http(s) URL gets a ``resource`` record (target ``urn:newsarchive:ID``) of the
   original instead, and one without an original a ``resource`` record of its canonical
   text (``text/plain; charset=utf-8``).
2. A ``metadata`` record (``Content-Type`` :data:`~newsarchive.ingest.warc.REVISION_METADATA_TYPE`,
   ``WARC-Concurrent-To`` the first) holding the revision's export record: the JSON of
   ``export`` without the original, with ``"payload": "original"`` or ``"text"`` saying
   what the first record holds, and the canonical text when that is the original. With
   the text in the file, ``import`` recreates every revision exactly, without extracting
   anything again (extraction changes between versions of trafilatura).

warcio computes ``WARC-Payload-Digest`` and ``WARC-Block-Digest`` (SHA-1, base32, as the
WARC world uses them); a ``warcinfo`` record names the software. Record IDs are UUIDs
derived from the revision record's id, so exporting the same revision twice gives the
same IDs. Each record is its own gzip member (``.warc.gz``), unless ``gzip=False``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from newsarchive.errors import IntegrityError
from newsarchive.ingest.warc import REVISION_METADATA_TYPE
from newsarchive.model import Revision
from newsarchive.ops.listing import export_record
from newsarchive.version import __version__

if TYPE_CHECKING:
    from newsarchive.store.repository import Store

__all__ = ["WarcExport", "write_warc"]

_NAMESPACE = uuid.UUID("5b0d4f6e-8a1c-4c55-9c0a-6e6577736172")  # newsarchive's own


@dataclass
class WarcExport:
    """What ``write_warc`` wrote: revisions, with and without originals, and failures."""

    revisions: int = 0
    originals: int = 0
    texts: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"revisions": self.revisions, "originals": self.originals, "texts": self.texts,
                "failed": len(self.errors), "errors": list(self.errors)}


def write_warc(store: Store, revisions: Iterable[Revision], out: IO[bytes], *,
               gzip: bool = True) -> WarcExport:
    """Write the revisions to ``out`` as WARC records; a revision whose text or original
    cannot be read is listed in the report's errors and left out."""
    from warcio.warcwriter import WARCWriter  # WARC export only: start-up time

    writer = WARCWriter(out, gzip=gzip, warc_version="1.1")
    name = getattr(out, "name", None)  # a file's name for WARC-Filename; not "<stdout>"
    filename = os.path.basename(name) if isinstance(name, str) and name[:1] != "<" else ""
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": f"newsarchive/{__version__}",
        "format": "WARC File Format 1.1",
        "description": "newsarchive export: each revision's original (or text) and a "
                       f"metadata record ({REVISION_METADATA_TYPE}) with its facts",
    }))
    report = WarcExport()
    for rev in revisions:
        try:
            rec = export_record(store, rev)
        except IntegrityError as err:
            report.errors.append(f"{rev.ref}: {err}")
            continue
        _write_revision(writer, rev, rec, report)
    out.flush()
    return report


def _write_revision(writer: Any, rev: Revision, rec: dict[str, Any], report: WarcExport) -> None:
    from warcio.statusandheaders import StatusAndHeaders  # WARC export only: start-up time

    original: bytes | None = None
    if "original" in rec:
        original = rec.pop("original").encode("utf-8")
    elif "original_base64" in rec:
        original = base64.b64decode(rec.pop("original_base64"))
    url = rev.url if rev.url and rev.url.lower().startswith(("http://", "https://")) else None
    target = url or f"urn:newsarchive:{rev.id}"
    record_id = _record_id(rev.record, "capture")
    headers = {"WARC-Date": rev.captured_at, "WARC-Record-ID": record_id}
    if original is not None:
        media = rev.original_type or "application/octet-stream"
        rec["payload"] = "original"
        if url is not None:
            http = StatusAndHeaders("200 OK", [("Content-Type", media),
                                               ("Content-Length", str(len(original)))],
                                    protocol="HTTP/1.1")
            record = writer.create_warc_record(target, "response", payload=io.BytesIO(original),
                                               length=len(original), http_headers=http,
                                               warc_headers_dict=headers)
        else:
            record = writer.create_warc_record(target, "resource", payload=io.BytesIO(original),
                                               length=len(original), warc_content_type=media,
                                               warc_headers_dict=headers)
        report.originals += 1
    else:
        text = rec.pop("text").encode("utf-8")
        rec["payload"] = "text"
        record = writer.create_warc_record(target, "resource", payload=io.BytesIO(text),
                                           length=len(text),
                                           warc_content_type="text/plain; charset=utf-8",
                                           warc_headers_dict=headers)
        report.texts += 1
    writer.write_record(record)
    meta = json.dumps(rec, ensure_ascii=False, sort_keys=True).encode("utf-8")
    writer.write_record(writer.create_warc_record(
        target, "metadata", payload=io.BytesIO(meta), length=len(meta),
        warc_content_type=REVISION_METADATA_TYPE,
        warc_headers_dict={"WARC-Date": rev.captured_at,
                           "WARC-Record-ID": _record_id(rev.record, "metadata"),
                           "WARC-Concurrent-To": record_id},
    ))
    report.revisions += 1


def _record_id(record_oid: str, part: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NAMESPACE, f'{record_oid}/{part}')}>"

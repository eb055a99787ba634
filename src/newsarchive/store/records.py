"""Revision records: the canonical JSON object that makes the history survive the catalog.

A record names its article, its number, its parent record, its text (by content hash)
and its original input, with the metadata SPEC 4 says every revision keeps. The bytes are
canonical JSON (sorted keys, no spaces, UTF-8), a documented part of the store format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from newsarchive.text.canonical import HASH_RE
from newsarchive.text.names import is_valid_id

RECORD_VERSION = 1


@dataclass(frozen=True)
class Record:
    article: str
    number: int
    parent: str | None
    text: str
    original: str | None
    original_type: str | None
    title: str
    url: str | None
    date: str
    source: str
    author: str | None
    captured_at: str
    recorded_at: str

    def to_bytes(self) -> bytes:
        d: dict[str, Any] = {"v": RECORD_VERSION, **vars(self)}  # fields are plain values
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def slug(self) -> str:
        return self.article.rsplit("/", 1)[-1]


def record_from_bytes(payload: bytes) -> Record:
    """Parse and validate a record; ValueError when it is not a valid record."""
    d = json.loads(payload)
    if not isinstance(d, dict) or d.pop("v", None) != RECORD_VERSION:
        raise ValueError("not a version-1 revision record")
    try:
        rec = Record(**d)
    except TypeError as err:
        raise ValueError(f"bad record fields: {err}") from err
    if not is_valid_id(rec.article):
        raise ValueError(f"bad article id {rec.article!r}")
    if not isinstance(rec.number, int) or rec.number < 1:
        raise ValueError("bad revision number")
    for oid in (rec.text, rec.original, rec.parent):
        if oid is not None and not (isinstance(oid, str) and HASH_RE.match(oid)):
            raise ValueError(f"bad object id {oid!r}")
    return rec

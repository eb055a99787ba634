"""Revision records: the canonical JSON objects that make the history survive the catalog.

A record is one capture of an article: it names its article, its text (by content hash)
and its original input, with the metadata SPEC 4 says every capture keeps and, for a
watched URL, the ``event`` it records (``removed``: the URL answered 404/410; ``restored``:
it came back; ``redirected``: it moved, ``detail`` saying where). The bytes are canonical
JSON (sorted keys, no spaces, UTF-8), a documented part of the store format.

A record does not say where in its article's history it stands: revisions are ordered by
capture time (then by commit order, see :mod:`newsarchive.store.journal`), and numbered
by that order when the catalog is built, so that a capture older than the latest one is
inserted where it belongs. Version 1 records (store format 2) also carried a number and
a parent record; they are read as version 2 with those left out.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal

from newsarchive.text.canonical import HASH_RE
from newsarchive.text.names import is_valid_id

RECORD_VERSION = 2
Event = Literal["removed", "restored", "redirected"]
EVENTS: tuple[str, ...] = ("removed", "restored", "redirected")


@dataclass(frozen=True)
class Record:
    article: str
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
    event: Event | None = None
    detail: str | None = None

    def to_bytes(self) -> bytes:
        d: dict[str, Any] = {"v": RECORD_VERSION, **vars(self)}  # fields are plain values
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def slug(self) -> str:
        return self.article.rsplit("/", 1)[-1]


def record_from_bytes(payload: bytes) -> Record:
    """Parse and validate a record; ValueError when it is not a valid record."""
    return Record(**record_fields(payload))


_FIELDS = frozenset(f.name for f in fields(Record))
_REQUIRED = frozenset(f.name for f in fields(Record) if f.default is MISSING)


def record_fields(payload: bytes) -> dict[str, Any]:
    """A record's fields, validated as :func:`record_from_bytes` does, without building
    the :class:`Record` (``check`` reads every record and needs four fields of each)."""
    d = json.loads(payload)
    if not isinstance(d, dict):
        raise ValueError("not a revision record")
    version = d.pop("v", None)
    if version == 1:  # store format 2: the number and parent are derived now
        d.pop("number", None)
        d.pop("parent", None)
    elif version != RECORD_VERSION:
        raise ValueError(f"not a revision record of version 1 or {RECORD_VERSION}")
    if not _REQUIRED <= d.keys() <= _FIELDS:
        try:
            Record(**d)  # for its words
        except TypeError as err:
            raise ValueError(f"bad record fields: {err}") from err
    if not is_valid_id(d["article"]):
        raise ValueError(f"bad article id {d['article']!r}")
    for oid in (d["text"], d["original"]):
        if oid is not None and not (isinstance(oid, str) and HASH_RE.match(oid)):
            raise ValueError(f"bad object id {oid!r}")
    event = d.get("event")
    if event is not None and event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for name in ("title", "date", "source", "captured_at", "recorded_at"):
        if not isinstance(d[name], str):
            raise ValueError(f"bad {name}")
    return d

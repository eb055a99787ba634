"""Object ids: how an object's name follows from its kind and payload."""

from __future__ import annotations

import hashlib

KINDS = ("blob", "record")
RECORD_PREFIX = b"newsarchive-record\n"


def object_id(kind: str, payload: bytes) -> str:
    """The id an object of ``kind`` with ``payload`` is stored under.

    A blob's id is the SHA-256 of its payload (so a text's id is its content hash); a
    record's id is the SHA-256 of ``RECORD_PREFIX + payload``, so no blob can pose as one.
    """
    if kind == "blob":
        return hashlib.sha256(payload).hexdigest()
    if kind == "record":
        return hashlib.sha256(RECORD_PREFIX + payload).hexdigest()
    raise ValueError(f"unknown object kind {kind!r}")

"""JSON Lines: one article object a line (also exactly what ``export`` writes)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from typing import Any

from newsarchive.errors import InputError
from newsarchive.model import Draft

STRING_FIELDS = ("id", "title", "source", "date", "url", "slug", "captured_at", "author")
MAX_LINE_BYTES = 16 * 1024 * 1024  # also the cap of any one input


def parse_jsonl(stream: Iterable[bytes | None], *,
                origin: str) -> Iterator[Draft | InputError]:
    """Yield a draft per non-blank line, or an InputError for a line that cannot be used
    (None stands for a line over the size cap)."""
    for lineno, raw in enumerate(stream, 1):
        where = f"{origin}:{lineno}"
        if raw is None:
            yield InputError(where, f"the line is over the {MAX_LINE_BYTES:,}-byte cap")
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except RecursionError:
            yield InputError(where, "not valid JSON (nested too deeply)")
            continue
        except (ValueError, UnicodeDecodeError) as err:
            yield InputError(where, f"not valid JSON ({err})")
            continue
        try:
            yield record_to_draft(obj, origin=where)
        except InputError as err:
            yield err


def record_to_draft(obj: Any, *, origin: str) -> Draft:
    if not isinstance(obj, dict):
        raise InputError(origin, "a JSON Lines record must be an object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError(origin, "the record has no 'text' string")
    draft = Draft(text=text, origin=origin)
    for key in STRING_FIELDS:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError(origin, f"'{key}' must be a string")
        setattr(draft, key, value)
    expected = obj.get("hash")
    if isinstance(expected, str):
        draft.expected_hash = expected
    original_type = obj.get("original_type")
    if isinstance(obj.get("original"), str):
        try:
            draft.original = obj["original"].encode("utf-8")
        except UnicodeEncodeError as err:
            raise InputError(origin, "'original' is not valid Unicode (an unpaired "
                                     "surrogate)") from err
    elif isinstance(obj.get("original_base64"), str):
        try:
            draft.original = base64.b64decode(obj["original_base64"], validate=True)
        except (binascii.Error, ValueError) as err:
            raise InputError(origin, "'original_base64' is not valid base64") from err
    if draft.original is not None:
        draft.original_type = original_type if isinstance(original_type, str) else None
    for key in ("event", "detail"):  # a watch's tombstone or redirect (checked in prepare)
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(origin, f"'{key}' must be a string")
        setattr(draft, key, value)
    return draft

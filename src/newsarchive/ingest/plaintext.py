"""Plain-text articles: an optional ``key: value`` header, or the bare ``date YYYY-MM-DD`` form."""

from __future__ import annotations

import re

from newsarchive.model import Draft

HEADER_KEYS = ("id", "title", "source", "date", "url", "author", "slug", "captured_at")
_HEADER_LINE = re.compile(r"^([A-Za-z_][A-Za-z_-]*):[ \t]*(.*)$")
_BARE_DATE = re.compile(r"^[ \t]*date[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]+|[ \t]*(?:\r?\n|$))")


def parse_plaintext(text: str, *, origin: str, name_hint: str | None = None) -> Draft:
    """Split a header (if any) from the body; the body is left as written."""
    draft = Draft(text=text, origin=origin, name_hint=name_hint)
    if text.startswith("\ufeff"):
        text = text[1:]
    bare = _BARE_DATE.match(text)
    if bare:
        draft.date = bare.group(1)
        draft.text = text[bare.end():]
        return draft
    lines = text.split("\n")
    fields: dict[str, str] = {}
    for i, line in enumerate(lines):
        line = line.rstrip("\r")
        if not line.strip():
            if fields:
                draft.text = "\n".join(lines[i + 1:])
                _apply(draft, fields)
            return draft
        m = _HEADER_LINE.match(line)
        key = m.group(1).lower().replace("-", "_") if m else ""
        if not m or key not in HEADER_KEYS:
            return draft  # not a header: the whole input is the body
        fields[key] = m.group(2).strip()
    return draft  # header only, or a one-line text: treat it all as body


def _apply(draft: Draft, fields: dict[str, str]) -> None:
    for key, value in fields.items():
        if value:
            setattr(draft, key, value)

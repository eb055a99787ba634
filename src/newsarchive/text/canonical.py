"""Canonical text and content hashes (SPEC 4), and text made safe for a terminal.

The canonical form is part of the external contract: the content hash that users compare
with ``sha256sum`` is the SHA-256 of the UTF-8 bytes of exactly this form, so any change
to :func:`canonicalize` changes every hash in every archive.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")
_BLANKS = re.compile(r"[ \t]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
HASH_RE = re.compile(r"[0-9a-f]{64}\Z")  # \Z: "$" would accept a final newline

_CONTROLS: dict[int, int | str] = {c: 0x2400 + c for c in range(32) if c not in (9, 10)}
_CONTROLS[0x7F] = 0x2421
_CONTROLS.update({c: 0xFFFD for c in range(0x80, 0xA0)})
# Bidirectional embeddings, overrides and isolates reorder what follows them on screen (a
# title with U+202E reads backwards, "Trojan Source"): shown by name
_CONTROLS.update({c: f"<U+{c:04X}>" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible(text: str) -> str:
    """``text`` with control characters (except tab and newline) made visible (U+2400...)
    and bidirectional controls named (``<U+202E>``): what an article holds never drives
    the terminal it is shown on."""
    return text.translate(_CONTROLS)


def canonicalize(text: str) -> str:
    """Bring text to the canonical form of SPEC 4; empty text stays empty."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    if "\t" in text or "  " in text:
        lines = [_BLANKS.sub(" ", line).rstrip(" ") for line in text.split("\n")]
    else:  # every run of blanks is one space already (most texts: twice as fast)
        lines = [line.rstrip(" ") for line in text.split("\n")]
    text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""


def content_hash(data: str | bytes) -> str:
    """SHA-256 hex of text (as UTF-8) or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()

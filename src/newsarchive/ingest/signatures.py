"""Telling text from binary data, and HTML from plain text, whatever a server or a file
name says it is (:func:`looks_like_html`: here, not in :mod:`.html`, so that reading a
plain-text input does not import the HTML extractor).

A page served as ``text/html`` may be a gzip stream sent without ``Content-Encoding``, an
image, a PDF; a file named ``.html`` may be anything. Decoded as text, such bytes become an
"article" of replacement characters (1 MB of gzip became 67 words of them). Before an
input is read as an article:

- :func:`binary_reason` looks at the bytes: a known binary signature at the start (gzip,
  zip, PNG, PDF, ...), or more than :data:`MAX_CONTROL_SHARE` of bytes that text never
  holds (C0 controls other than tab, line feed, form feed and carriage return; DEL).
  Text in any ASCII-compatible encoding has next to none; random bytes have about 10%.
- :func:`unreadable_reason` looks at the text decoded from them: more than
  :data:`MAX_UNREADABLE_SHARE` of its characters are U+FFFD (what undecodable bytes
  become) or control characters (C0, DEL, C1).
"""

from __future__ import annotations

import codecs
import re

#: Largest share of control bytes in text (some pages carry a stray \x1b or \x0b).
MAX_CONTROL_SHARE = 0.02
#: Largest share of replacement and control characters in a decoded text.
MAX_UNREADABLE_SHARE = 0.10

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive (or an office document)"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF-", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf'\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O binary"),
    (b"\x00asm", "WebAssembly"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
    (b"OggS", "Ogg audio or video"),
    (b"fLaC", "FLAC audio"),
    (b"\x1a\x45\xdf\xa3", "a Matroska or WebM video"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_ID3 = re.compile(rb"ID3[\x02-\x04]\x00")
_RIFF = re.compile(rb"RIFF....(?:WAVE|AVI |WEBP)", re.DOTALL)
_ISO_MEDIA = re.compile(rb"....ftyp", re.DOTALL)  # MP4, MOV, HEIC, AVIF

# Bytes text never holds: C0 controls but tab, LF, FF, CR; and DEL
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
# Characters of a decoded text that say it was not text: U+FFFD, C0 (but tab, LF, FF, CR),
# DEL and C1
_UNREADABLE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")


def signature(data: bytes) -> str | None:
    """What a known binary format's signature at the start of ``data`` names, if any."""
    head = data[:16]
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    if _BZIP2.match(head):
        return "bzip2-compressed data"
    if _ID3.match(head):
        return "MP3 audio"
    if _RIFF.match(head):
        return "a RIFF file (audio, video or a WebP image)"
    if _ISO_MEDIA.match(head):
        return "an MP4 or QuickTime file"
    return None


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not text (a signature, control bytes), or None when it may be."""
    name = signature(data)
    if name is not None:
        return name
    if not data or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 holds NUL bytes for every ASCII letter
    control = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if control > MAX_CONTROL_SHARE * len(data):
        return f"{control / len(data):.0%} of its bytes are control characters"
    return None


def unreadable_reason(text: str) -> str | None:
    """Why a decoded text is not readable (replacement and control characters), or None."""
    chars = len(_SPACE.sub("", text))
    if not chars:
        return None
    bad = len(text) - len(_UNREADABLE.sub("", text))
    if bad > MAX_UNREADABLE_SHARE * chars:
        return (f"{bad / chars:.0%} of its characters are undecodable bytes (U+FFFD) or "
                "control characters")
    return None


_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = re.compile(rb"<(?:html|head|body|article|title|meta|p|div)[\s>/]", re.IGNORECASE)


def looks_like_html(data: bytes) -> bool:
    """True when bytes look like an HTML page (doctype or ``<html>``/``<head>``/``<body>``)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith(b"<") and len(_HTML_TAGS.findall(head)) >= 2

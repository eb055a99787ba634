"""Words: the one tokenizer of the archive.

A word is what SQLite's FTS5 ``unicode61`` tokenizer (``remove_diacritics 2``) calls a
token: a run of letters, digits and private-use characters (and the combining
diacritics it removes when folding). Search matches by it; :func:`fold` maps a word
to the form the index holds (lower case, Latin letters without diacritics).

Unicode61 starts a token at a letter (L*), a number (N*) or a private-use character
(Co) and continues it over those and over the combining diacritics it removes when
folding; everything else separates tokens. SQLite's tables are Unicode 6.1 while
Python's are newer, so characters assigned since then may be classified differently;
that only affects snippets and counts, never the safety of a query.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

# The combining diacritics that unicode61 (remove_diacritics 2) treats as part of a token.
DIACRITICS = "\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331"
PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
# Runs of one class, possessive from Python 3.11: a repeated group keeps backtracking
# state for every turn in Python's re, which made an 8 MB word cost a gigabyte.
_P = "+" if sys.version_info >= (3, 11) else ""
_TOKEN_RE = re.compile(rf"(?:[^\W_]|[{PRIVATE_USE}])"
                       rf"(?:[^\W_]+{_P}|[{PRIVATE_USE}{DIACRITICS}]+{_P})*{_P}")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch < "\x80":
        return ch.lower()
    folded = ch.casefold()
    if len(folded) != 1:
        folded = ch.lower()
    if len(folded) == 1 and unicodedata.category(folded) == "Mn":
        return ""  # a combining diacritic inside a token is removed
    decomposed = unicodedata.normalize("NFD", folded)
    if (
        len(decomposed) > 1
        and decomposed[0] < "\x80"
        and all(unicodedata.category(c) == "Mn" for c in decomposed[1:])
    ):
        return decomposed[0]
    return folded if len(folded) == 1 else ch


def fold(token: str) -> str:
    """Fold a token the way unicode61 remove_diacritics 2 does: lower case, and Latin
    letters with diacritics to their ASCII base (``Über`` -> ``uber``)."""
    if token.isascii():
        return token.lower()
    return "".join(_fold_char(c) for c in token)


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """The tokens of ``text`` as ``(start, end, folded)``, split like unicode61."""
    return [(m.start(), m.end(), fold(m.group())) for m in _TOKEN_RE.finditer(text)]


def has_token(text: str) -> bool:
    return _TOKEN_RE.search(text) is not None


def count_words(text: str) -> int:
    return len(text.split())


_DIACRITIC_CHARS = frozenset(
    chr(c)
    for lo, hi in (
        (0x300, 0x304),
        (0x306, 0x30C),
        (0x30F, 0x30F),
        (0x311, 0x311),
        (0x31B, 0x31B),
        (0x323, 0x328),
        (0x32D, 0x32E),
        (0x330, 0x331),
    )
    for c in range(lo, hi + 1)
)
TOKEN_CHAR_RE = rf"(?:[^\W_]|[{PRIVATE_USE}{DIACRITICS}])"
SEPARATOR_RE = rf"(?:(?![^\W_])[^{PRIVATE_USE}])"


def at_token_start(folded: str, start: int) -> bool:
    """Whether a token starts at ``start``: the characters before it, diacritics
    aside (which continue a token but cannot start one), are not a letter or digit."""
    i = start - 1
    while i >= 0 and folded[i] in _DIACRITIC_CHARS:
        i -= 1
    if i < 0:
        return True
    ch = folded[i]
    return not (ch.isalnum() or "\ue000" <= ch <= "\uf8ff" or ch >= "\U000f0000")


def fold_text(text: str) -> str:
    """``text`` folded character by character, keeping its length (and offsets)."""
    low = text.lower()
    if low.isascii():
        return low
    if len(low) != len(text):  # a letter whose lower case is longer, like İ
        return "".join(_fold_char(ch) or ch for ch in text)
    for ch in set(_NON_ASCII.findall(low)):
        folded = _fold_char(ch) or ch
        if folded != ch:
            low = low.replace(ch, folded)
    return low



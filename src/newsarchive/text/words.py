"""Words: the one definition of a word in newsarchive, and how the search index cuts them.

**A word** (:func:`words`, :func:`count_words`) is a run of letters, digits and combining
marks, with inner apostrophes (``Putin's``); a number with separators is one word
(``16,000``, ``3.5bn``); each CJK character is a word of its own. The word count stored
with a revision, the ``+A -D words`` of a diff, the change classifier and the sentence
alignment all count these, so their figures agree (``tests/test_words.py``).

**Index tokens** (:func:`tokenize`) are what SQLite's FTS5 ``unicode61`` tokenizer
(``remove_diacritics 2``) makes of the same text, which search has to mirror to mark its
matches in snippets: a run of letters, digits and private-use characters (and the
combining diacritics it removes when folding). Every index token lies inside one word,
and a word holds one or more tokens: ``Putin's`` is ``putin`` + ``s``, ``16,000`` is
``16`` + ``000``. :func:`fold` maps a token to the
form the index holds (lower case, Latin letters without diacritics). The one exception to
"a token lies inside a word" is CJK: a run of CJK characters is one token, and each of
its characters a word.

Unicode61 starts a token at a letter (L*), a number (N*) or a private-use character
(Co) and continues it over those and over the combining diacritics it removes when
folding; everything else separates tokens. SQLite's tables are Unicode 6.1 while
Python's are newer, so characters assigned since then may be classified differently;
that only affects snippets, never the safety of a query.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache, lru_cache

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0963" \
         "\u0966-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u200c\u200d"
# Runs of one class, possessive from Python 3.11: a repeated group keeps backtracking
# state for every turn in Python's re, which made an 8 MB word cost a gigabyte; so
# memory stays bounded by the text's size whatever it holds.
POSSESSIVE = "+" if sys.version_info >= (3, 11) else ""
_RUN = rf"(?:[^\W{_CJK}]+{POSSESSIVE}|[{_MARKS}]+{POSSESSIVE})+{POSSESSIVE}"
# A number with separators ("16,000", "3.5") is one word: an edit of a figure shows as
# [-16,000-]{+17,000+}, not [-16-]{+17+},000 ("3.5bn" too).
WORD_PATTERN = (rf"\d+(?:[.,]\d+)+{POSSESSIVE}[^\W{_CJK}]*|"
                rf"[{_CJK}]|{_RUN}(?:['\u2019]{_RUN})*{POSSESSIVE}")


@cache
def word_re() -> re.Pattern[str]:
    """Words (see the module docstring); compiled on first use, since the Unicode classes
    cost milliseconds that a command not counting words should not pay."""
    return re.compile(WORD_PATTERN)


# WORD_PATTERN where the text is ASCII: its classes are then plain ASCII ones (no mark, no
# CJK, no curly apostrophe), which the engine checks much faster than Unicode categories.
_ASCII_WORD_PATTERN = (rf"\d+(?:[.,]\d+)+{POSSESSIVE}\w*|"
                       rf"\w+{POSSESSIVE}(?:'\w+{POSSESSIVE})*{POSSESSIVE}")


@cache
def _ascii_word_re() -> re.Pattern[str]:
    return re.compile(_ASCII_WORD_PATTERN, re.ASCII)


def words(text: str) -> list[str]:
    """The words of ``text``, in order (``word_re().findall(text)``).

    No word holds a line break, so each line is read on its own, and a line of ASCII
    alone (most lines of an English text) by :data:`_ASCII_WORD_PATTERN`, which finds the
    same words there 1.5x as fast (``tests/test_words.py`` checks that they agree)."""
    if text.isascii():
        return _ascii_word_re().findall(text)
    if "\n" not in text:
        return word_re().findall(text)
    ascii_words, any_words = _ascii_word_re().findall, word_re().findall
    out: list[str] = []
    for line in text.split("\n"):
        out += ascii_words(line) if line.isascii() else any_words(line)
    return out


def count_words(text: str) -> int:
    """How many words ``text`` holds."""
    return len(words(text))


# The combining diacritics that unicode61 (remove_diacritics 2) treats as part of a token.
DIACRITICS = "\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331"
PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_TOKEN_RE = re.compile(rf"(?:[^\W_]|[{PRIVATE_USE}])"
                       rf"(?:[^\W_]+{POSSESSIVE}|[{PRIVATE_USE}{DIACRITICS}]+{POSSESSIVE})*"
                       rf"{POSSESSIVE}")


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

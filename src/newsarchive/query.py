"""The search query language, its safe translation to SQLite FTS5, and snippets.

The language (documented for users in ``docs/search.md``)::

    query  := group
    group  := item ( ["AND"] item )*          items are ANDed; NOT-items are excluded
    item   := ["NOT"] alt
    alt    := unit ( "OR" unit )*             OR binds tighter than AND (as in web search)
    unit   := word ["*"] | '"' phrase '"' ["*"] | "(" group ")"

* A *word* is a run of characters up to whitespace, a parenthesis or a double quote.
  ``Putin's``, ``C++``, ``100%``, ``über``, ``e-mail`` and ``U.S.`` are words: inside
  the search index they are split the way SQLite's ``unicode61`` tokenizer splits
  text (``e-mail`` is the phrase ``e mail``), so a word matches exactly what the same
  characters match in an article. A word with no letter or digit at all (``++``,
  ``--``, ``*``) is dropped.
* ``"exact phrase"`` (straight quotes, or typographic “…”) matches the words in
  that order. Inside quotes nothing is an operator.
* A ``*`` right after a word or a closing quote makes its last word a prefix:
  ``elect*`` matches election and electorate.
* ``OR``, ``AND`` and ``NOT`` are operators only in capitals and only as whole words;
  ``or``, ``and``, ``not`` are searched like any other word. ``AND`` is the same as a
  space.
* ``NOT x`` removes whatever matches ``x`` from its group (the whole query, or the
  innermost parentheses), wherever it stands in the group: ``a NOT b c`` and
  ``NOT b a c`` both mean "a and c, but not b". A group needs at least one item that
  is not negated, because FTS5 can only subtract from something.
* ``NOT x OR y`` excludes both ``x`` and ``y`` (``OR`` binds tighter than ``NOT``).

User input never reaches FTS5 as syntax: every word and phrase becomes a double-quoted
FTS5 string (``"`` doubled inside), NUL characters and lone surrogates become spaces,
and the operators and parentheses are written by :func:`to_fts5` itself, from the
parsed query, using FTS5's precedence (NOT over AND over OR) to need few parentheses:
FTS5's parser stack is small, which is also why nesting is limited to
:data:`MAX_DEPTH`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from newsarchive.errors import QueryError

__all__ = [
    "MAX_DEPTH",
    "fold",
    "make_snippet",
    "query_terms",
    "to_fts5",
    "tokenize",
]

#: Deepest nesting of parentheses accepted (FTS5's parser stack is finite).
MAX_DEPTH = 10

# --------------------------------------------------------------------------------------
# Tokenizing like FTS5's unicode61 tokenizer (remove_diacritics 2)
#
# unicode61 starts a token at a letter (L*), a number (N*) or a private-use character
# (Co) and continues it over those and over the combining diacritics it removes when
# folding; everything else separates tokens. Each character is folded to lower case
# and, for a Latin letter with diacritics, to its ASCII base letter. SQLite's tables
# are Unicode 6.1 while Python's are newer, so characters assigned since then may be
# classified differently; that only affects snippets, never the safety of a query.
# --------------------------------------------------------------------------------------

# The combining diacritics that unicode61 (remove_diacritics 2) treats as part of a token.
_DIACRITICS = "\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331"
_PRIVATE_USE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_TOKEN_RE = re.compile(rf"(?:[^\W_]|[{_PRIVATE_USE}])(?:[^\W_]|[{_PRIVATE_USE}{_DIACRITICS}])*")


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


def _has_token(text: str) -> bool:
    return _TOKEN_RE.search(text) is not None


# --------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------

_OPEN_QUOTES = '"\u201c'  # " and “
_CLOSE_QUOTES = '"\u201d'  # " and ”
_WORD_END = frozenset("()" + _OPEN_QUOTES)
_OPERATORS = frozenset({"OR", "AND", "NOT"})
# NUL would end FTS5's scan of a string early; lone surrogates cannot be encoded.
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class _Tok:
    kind: str  # "word" "phrase" "(" ")" "OR" "AND" "NOT" "end"
    text: str = ""
    prefix: bool = False


def _lex(query: str) -> list[_Tok]:
    s = _UNSAFE.sub(" ", query)
    toks: list[_Tok] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            toks.append(_Tok(ch))
            i += 1
        elif ch in _OPEN_QUOTES:
            j = i + 1
            while j < n and s[j] not in _CLOSE_QUOTES:
                j += 1
            if j >= n:
                raise QueryError(query, 'a quote (") is never closed')
            k = j + 1
            while k < n and s[k] == "*":
                k += 1
            toks.append(_Tok("phrase", s[i + 1 : j], prefix=k > j + 1))
            i = k
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] not in _WORD_END:
                j += 1
            word = s[i:j]
            if word in _OPERATORS:
                toks.append(_Tok(word))
            else:
                stem = word.rstrip("*")
                toks.append(_Tok("word", stem, prefix=len(stem) < len(word)))
            i = j
    toks.append(_Tok("end"))
    return toks


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    text: str
    prefix: bool


@dataclass(frozen=True)
class _Alt:
    units: tuple[_Unit, ...]


@dataclass(frozen=True)
class _Group:
    items: tuple[tuple[bool, _Alt], ...]  # (negated, alternatives)


_Unit = _Term | _Group

_UNIT_START = frozenset({"word", "phrase", "("})


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _lex(query)
        self.pos = 0

    def error(self, reason: str) -> QueryError:
        return QueryError(self.query, reason)

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> _Group:
        return self.group(depth=0)

    def group(self, depth: int) -> _Group:
        items: list[tuple[bool, _Alt]] = []
        while True:
            tok = self.peek()
            if tok.kind == "end":
                if depth:
                    raise self.error("a parenthesis '(' is never closed")
                break
            if tok.kind == ")":
                if not depth:
                    raise self.error("a parenthesis ')' has no matching '('")
                if not items:
                    raise self.error("empty parentheses '()'")
                self.take()
                break
            if tok.kind == "OR":
                raise self.error("OR needs a word before it")
            if tok.kind == "AND":
                if not items:
                    raise self.error("AND needs a word before it")
                self.take()
                if self.peek().kind not in _UNIT_START | {"NOT"}:
                    raise self.error("AND needs a word after it")
                continue
            negated = False
            if tok.kind == "NOT":
                self.take()
                following = self.peek().kind
                if following == "NOT":
                    raise self.error("NOT NOT is not allowed")
                if following not in _UNIT_START:
                    raise self.error("NOT needs a word after it")
                negated = True
            items.append((negated, self.alt(depth)))
        return _Group(tuple(items))

    def alt(self, depth: int) -> _Alt:
        units = [self.unit(depth)]
        while self.peek().kind == "OR":
            self.take()
            following = self.peek().kind
            if following == "NOT":
                raise self.error("OR NOT is not supported; write 'a NOT b' to exclude b")
            if following not in _UNIT_START:
                raise self.error("OR needs a word after it")
            units.append(self.unit(depth))
        return _Alt(tuple(units))

    def unit(self, depth: int) -> _Unit:
        tok = self.take()
        if tok.kind == "(":
            if depth >= MAX_DEPTH:
                raise self.error(f"parentheses nested more than {MAX_DEPTH} deep")
            return self.group(depth + 1)
        assert tok.kind in ("word", "phrase"), tok
        text = " ".join(tok.text.split())
        return _Term(text if tok.prefix else text.rstrip("*").rstrip(), tok.prefix)


# --------------------------------------------------------------------------------------
# Translation
# --------------------------------------------------------------------------------------

_NO_WORDS = "the query has no words to search for"
_ONLY_NEGATIVE = "a query needs at least one word to match"


# FTS5 binds NOT tighter than AND, and AND tighter than OR (all left-associative).
# Expressions are emitted with as few parentheses as that allows, because FTS5's
# parser stack is small: each emitted expression carries its loosest operator.
_ATOM, _AND, _OR = 0, 1, 2


def _emit_term(term: _Term) -> tuple[str, int] | None:
    if not _has_token(term.text):
        return None
    return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else ""), _ATOM


def _emit_unit(unit: _Unit, query: str) -> tuple[str, int] | None:
    return _emit_term(unit) if isinstance(unit, _Term) else _emit_group(unit, query)


def _emit_alt(alt: _Alt, query: str) -> tuple[str, int] | None:
    parts = [p for p in (_emit_unit(u, query) for u in alt.units) if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " OR ".join(text for text, _ in parts), _OR


def _emit_group(group: _Group, query: str) -> tuple[str, int] | None:
    """``P1 AND P2 NOT N1 NOT N2`` is ``P1 AND ((P2 NOT N1) NOT N2)`` in FTS5, which
    is the intended ``(P1 AND P2) NOT (N1 OR N2)``; a negated ``x OR y`` becomes
    ``NOT x NOT y``."""
    positive: list[tuple[str, int]] = []
    negative: list[str] = []
    for negated, alt in group.items:
        if negated:
            for unit in alt.units:
                emitted = _emit_unit(unit, query)
                if emitted is not None:
                    text, loosest = emitted
                    negative.append(text if loosest == _ATOM else f"({text})")
            continue
        emitted = _emit_alt(alt, query)
        if emitted is not None:
            text, loosest = emitted
            positive.append((text, loosest) if loosest < _OR else (f"({text})", _ATOM))
    if not positive:
        if negative or any(neg for neg, _ in group.items):
            raise QueryError(query, _ONLY_NEGATIVE)
        return None
    if len(positive) == 1 and not negative:
        return positive[0]
    return " NOT ".join([" AND ".join(text for text, _ in positive), *negative]), _AND


def to_fts5(query: str) -> str:
    """Translate a user query to an FTS5 MATCH expression.

    Raises :class:`~newsarchive.errors.QueryError` with a one-line reason for a
    malformed query (unbalanced quotes or parentheses, an operator without its
    operand, ``NOT NOT``, a query with only negated words, or no words at all). The
    result is safe to bind as the right-hand side of ``MATCH``: it never makes FTS5
    raise a syntax error.
    """
    emitted = _emit_group(_Parser(query).parse(), query)
    if emitted is None:
        raise QueryError(query, _NO_WORDS)
    return emitted[0]


def _collect(unit: _Unit, out: list[str]) -> None:
    if isinstance(unit, _Term):
        if _has_token(unit.text):
            term = unit.text + ("*" if unit.prefix else "")
            if term not in out:
                out.append(term)
        return
    for negated, alt in unit.items:
        if not negated:
            for sub in alt.units:
                _collect(sub, out)


def query_terms(query: str) -> list[str]:
    """The words, phrases and prefixes (``elect*``) the query looks for, in order,
    without those under NOT: what :func:`make_snippet` should mark. Raises
    :class:`~newsarchive.errors.QueryError` exactly when :func:`to_fts5` does."""
    to_fts5(query)
    out: list[str] = []
    _collect(_Parser(query).parse(), out)
    return out


# --------------------------------------------------------------------------------------
# Snippets
# --------------------------------------------------------------------------------------

ELLIPSIS = "\u2026"
_SPACES = re.compile(r"\s+")


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
_TOKEN_CHAR_RE = rf"(?:[^\W_]|[{_PRIVATE_USE}{_DIACRITICS}])"
_SEPARATOR_RE = rf"(?:(?![^\W_])[^{_PRIVATE_USE}])"


def _at_token_start(folded: str, start: int) -> bool:
    """Whether a token starts at ``start``: the characters before it, diacritics
    aside (which continue a token but cannot start one), are not a letter or digit."""
    i = start - 1
    while i >= 0 and folded[i] in _DIACRITIC_CHARS:
        i -= 1
    if i < 0:
        return True
    ch = folded[i]
    return not (ch.isalnum() or "\ue000" <= ch <= "\uf8ff" or ch >= "\U000f0000")


def _fold_text(text: str) -> str:
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


@lru_cache(maxsize=256)
def _term_regex(term: str) -> re.Pattern[str] | None:
    """A regex finding ``term`` in folded text; None for a term with no token."""
    words = [t for _, _, t in tokenize(term)]
    if not words:
        return None
    diacritics = f"[{_DIACRITICS}]*"
    body = f"{_SEPARATOR_RE}+".join(
        "".join(re.escape(c) + diacritics for c in word) for word in words
    )
    end = f"{_TOKEN_CHAR_RE}*" if term.endswith("*") else f"(?!{_TOKEN_CHAR_RE})"
    return re.compile(body + end)


def _find_matches(text: str, terms: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, term index) of every match of the terms, ordered by start."""
    regexes = [rx for rx in map(_term_regex, terms) if rx is not None]
    if not regexes:
        return []
    folded = _fold_text(text)
    matches: list[tuple[int, int, int]] = []
    for idx, rx in enumerate(regexes):
        pos = 0
        while (m := rx.search(folded, pos)) is not None:
            start = m.start()
            if not _at_token_start(folded, start):
                pos = start + 1  # inside a word: not a match, look further
                continue
            matches.append((start, m.end(), idx))
            pos = max(m.end(), start + 1)
    matches.sort()
    return matches


def _best_window(matches: list[tuple[int, int, int]], width: int) -> tuple[int, int]:
    """Indexes [i, j) of the run of matches fitting in ``width`` characters that covers
    the most distinct terms, then the most matches; the earliest such run."""
    best = (0, 1)
    best_score = (0, 0)
    counts: dict[int, int] = {}
    j = 0
    for i in range(len(matches)):
        if j < i + 1:
            j = i + 1
            counts = {matches[i][2]: 1}
        while j < len(matches) and matches[j][1] - matches[i][0] <= width:
            counts[matches[j][2]] = counts.get(matches[j][2], 0) + 1
            j += 1
        score = (len(counts), j - i)
        if score > best_score:
            best, best_score = (i, j), score
        idx = matches[i][2]
        counts[idx] -= 1
        if not counts[idx]:
            del counts[idx]
    return best


def make_snippet(
    text: str,
    terms: list[str],
    *,
    before: str = "[",
    after: str = "]",
    width: int = 160,
) -> str:
    """A one-line passage of ``text`` around its best match of ``terms``.

    ``terms`` are as :func:`query_terms` returns them: words, phrases (several words)
    and prefixes (ending in ``*``), matched case- and accent-insensitively on word
    boundaries like the search index (``uber`` marks ``Über``). The passage is the
    stretch of about ``width`` characters holding the most distinct terms (then the
    most matches; then the earliest), cut at word boundaries, whitespace collapsed to
    single spaces, with ``…`` where it cuts the text and every match wrapped in
    ``before`` and ``after``. With no match it is the start of the text.
    """
    width = max(width, 1)
    matches = _find_matches(text, terms)
    if matches:
        i, j = _best_window(matches, width)
        first, last = matches[i][0], max(e for _, e, _ in matches[i:j])
    else:
        first = last = 0
        while first < len(text) and text[first].isspace():
            first += 1
        last = first
    slack = max(width - (last - first), 0)
    lead = min(slack // 3, first) if matches else 0
    start = first - lead
    end = min(len(text), max(last, start + width))
    if end == len(text):  # room left at the end: show more before the match
        start = max(0, min(first, end - width))
    # Cut at word boundaries, never into the matches.
    if start > 0 and not text[start - 1].isspace():
        cut = start
        while cut < first and not text[cut].isspace():
            cut += 1
        start = cut if cut < first else start
    if end < len(text) and not text[end].isspace():
        cut = end
        while cut > last and not text[cut - 1].isspace():
            cut -= 1
        end = cut if cut > last else end
    spans: list[tuple[int, int]] = []
    for s, e, _ in matches:  # every match inside the passage; merge overlapping ones
        if s < start or e > end:
            continue
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    pieces: list[str] = []
    pos = start
    for s, e in spans:
        pieces.append(_SPACES.sub(" ", text[pos:s]))
        pieces.append(before + _SPACES.sub(" ", text[s:e]) + after)
        pos = e
    pieces.append(_SPACES.sub(" ", text[pos:end]))
    pieces[0] = pieces[0].lstrip()
    pieces[-1] = pieces[-1].rstrip()
    body = "".join(pieces)
    if not body:
        return ""
    if text[:start].strip():
        body = ELLIPSIS + body
    if text[end:].strip():
        body = body + ELLIPSIS
    return body

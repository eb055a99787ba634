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

This module holds the lexer and the parser; :mod:`newsarchive.search.fts` writes the
parsed query as FTS5 syntax and :mod:`newsarchive.search.snippet` cuts snippets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsarchive.errors import QueryError
from newsarchive.text.words import tokenize

#: Deepest nesting of parentheses accepted (FTS5's parser stack is finite).
MAX_DEPTH = 10
#: Longest query accepted, in characters.
MAX_QUERY_LENGTH = 1000
#: Most words a query may look for (each word of a phrase counts, and words after NOT).
#: FTS5's work grows faster than the number of terms: 300 ORed words took 19 s on a
#: store of 700 revisions, 1,000 over two minutes, and one step of SQLite (which Ctrl-C
#: and the time budget wait for) grew with them. 64 words take at most about 0.2 s a
#: step on 20,000 revisions.
MAX_QUERY_WORDS = 64

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
class Term:
    text: str
    prefix: bool


@dataclass(frozen=True)
class Alt:
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class Group:
    items: tuple[tuple[bool, Alt], ...]  # (negated, alternatives)


Unit = Term | Group

_UNIT_START = frozenset({"word", "phrase", "("})


def check_size(query: str) -> None:
    """QueryError for a query over :data:`MAX_QUERY_LENGTH` characters or
    :data:`MAX_QUERY_WORDS` words: what a search accepts (the translation itself takes
    any size)."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(query, f"the query is {len(query):,} characters long; at most "
                                f"{MAX_QUERY_LENGTH:,} are searched")
    words = sum(len(tokenize(t.text)) for t in _lex(query) if t.kind in ("word", "phrase"))
    if words > MAX_QUERY_WORDS:
        raise QueryError(query, f"the query has {words:,} words; at most {MAX_QUERY_WORDS} "
                                "are searched")


class Parser:
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

    def parse(self) -> Group:
        return self.group(depth=0)

    def group(self, depth: int) -> Group:
        items: list[tuple[bool, Alt]] = []
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
        return Group(tuple(items))

    def alt(self, depth: int) -> Alt:
        units = [self.unit(depth)]
        while self.peek().kind == "OR":
            self.take()
            following = self.peek().kind
            if following == "NOT":
                raise self.error("OR NOT is not supported; write 'a NOT b' to exclude b")
            if following not in _UNIT_START:
                raise self.error("OR needs a word after it")
            units.append(self.unit(depth))
        return Alt(tuple(units))

    def unit(self, depth: int) -> Unit:
        tok = self.take()
        if tok.kind == "(":
            if depth >= MAX_DEPTH:
                raise self.error(f"parentheses nested more than {MAX_DEPTH} deep")
            return self.group(depth + 1)
        assert tok.kind in ("word", "phrase"), tok
        text = " ".join(tok.text.split())
        return Term(text if tok.prefix else text.rstrip("*").rstrip(), tok.prefix)

"""Writing a parsed query as an FTS5 MATCH expression (see :mod:`newsarchive.search.parse`
for the language and the safety rules)."""

from __future__ import annotations

from newsarchive.errors import QueryError
from newsarchive.search.parse import Parser, Term, Unit, Alt, Group
from newsarchive.text.words import has_token

# --------------------------------------------------------------------------------------
# Translation
# --------------------------------------------------------------------------------------

_NO_WORDS = "the query has no words to search for"
_ONLY_NEGATIVE = "a query needs at least one word to match"


# FTS5 binds NOT tighter than AND, and AND tighter than OR (all left-associative).
# Expressions are emitted with as few parentheses as that allows, because FTS5's
# parser stack is small: each emitted expression carries its loosest operator.
_ATOM, _AND, _OR = 0, 1, 2


def _emit_term(term: Term) -> tuple[str, int] | None:
    if not has_token(term.text):
        return None
    return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else ""), _ATOM


def _emit_unit(unit: Unit, query: str) -> tuple[str, int] | None:
    return _emit_term(unit) if isinstance(unit, Term) else _emit_group(unit, query)


def _emit_alt(alt: Alt, query: str) -> tuple[str, int] | None:
    parts = [p for p in (_emit_unit(u, query) for u in alt.units) if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " OR ".join(text for text, _ in parts), _OR


def _emit_group(group: Group, query: str) -> tuple[str, int] | None:
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
    emitted = _emit_group(Parser(query).parse(), query)
    if emitted is None:
        raise QueryError(query, _NO_WORDS)
    return emitted[0]


def _collect(unit: Unit, out: list[str]) -> None:
    if isinstance(unit, Term):
        if has_token(unit.text):
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
    _collect(Parser(query).parse(), out)
    return out

"""Snippets: the passage of a text around its best match of a query's terms."""

from __future__ import annotations

import re
from functools import lru_cache

from newsarchive.text.words import (
    DIACRITICS,
    SEPARATOR_RE,
    TOKEN_CHAR_RE,
    at_token_start,
    fold_text,
    tokenize,
)

ELLIPSIS = "\u2026"
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def _term_regex(term: str) -> re.Pattern[str] | None:
    """A regex finding ``term`` in folded text; None for a term with no token."""
    words = [t for _, _, t in tokenize(term)]
    if not words:
        return None
    diacritics = f"[{DIACRITICS}]*"
    body = f"{SEPARATOR_RE}+".join(
        "".join(re.escape(c) + diacritics for c in word) for word in words
    )
    end = f"{TOKEN_CHAR_RE}*" if term.endswith("*") else f"(?!{TOKEN_CHAR_RE})"
    return re.compile(body + end)


def _find_matches(text: str, terms: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, term index) of every match of the terms, ordered by start."""
    regexes = [rx for rx in map(_term_regex, terms) if rx is not None]
    if not regexes:
        return []
    folded = fold_text(text)
    matches: list[tuple[int, int, int]] = []
    for idx, rx in enumerate(regexes):
        pos = 0
        while (m := rx.search(folded, pos)) is not None:
            start = m.start()
            if not at_token_start(folded, start):
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

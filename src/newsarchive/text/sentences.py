"""Where sentences end: the splitter behind sentence diffs, edit passages and derived
titles (so that "Mr. Biden spoke." is one sentence everywhere, not two)."""

from __future__ import annotations

import re

TERMINATORS = (".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f")
CLOSERS = "\"')]\u201d\u2019\u00bb\u300d\u300f\uff09"


# A sentence end (terminator, closing quotes or brackets, then whitespace), a CJK full stop,
# or a line break; each with the whitespace that follows. Every alternative starts with
# one fixed character and cannot backtrack far: linear time on any input. One alternative
# per character (not a class of them), so that the engine knows the characters a match
# starts with and skips the rest of the text at C speed: 2.5x as fast.
_CLOSERS = f"[{re.escape(CLOSERS)}]*"
_BOUNDARY_RE = re.compile("|".join(
    [rf"{re.escape(t)}{_CLOSERS}(?:\s+|\Z)" for t in ".!?\u2026"]
    + [rf"{t}{_CLOSERS}\s*" for t in "\u3002\uff01\uff1f"] + [r"\n\s*"]))
_SPACES_RE = re.compile(r"\s+")
# A period after these (or after an initial, "George W. Bush") does not end a sentence.
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "sens", "rep", "reps", "gov", "lt", "col",
    "maj", "sgt", "capt", "adm", "rev", "hon", "st", "mt", "ft", "jr", "sr", "vs", "u.s",
    "u.k", "u.n", "e.u", "e.g", "i.e", "jan", "feb", "mar", "apr", "aug", "sep", "sept",
    "oct", "nov", "dec"))


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the word ending at ``end`` (just before a period) is an abbreviation."""
    word = text[max(start, end - 8):end].rsplit(None, 1)[-1].lstrip("\"'(\u201c\u2018[")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentence_tokens(text: str) -> list[str]:
    """Sentences (no leading or trailing whitespace) and the whitespace runs between them.

    A sentence ends after ., !, ?, ... (and closing quotes or brackets) before whitespace,
    unless the word before the period is a known abbreviation or an initial; after a CJK
    full stop; and at every line break.
    """
    out: list[str] = []
    cur = 0
    lead = _SPACES_RE.match(text)
    if lead:
        out.append(lead.group())
        cur = lead.end()
    for m in _BOUNDARY_RE.finditer(text, cur):
        sep = m.group()
        if sep[0] == "\n":
            body_end = m.start()
        else:
            body_end = m.start() + len(sep.rstrip())
            if (sep[0] == "." and body_end == m.start() + 1 and "\n" not in sep
                    and m.start() > cur and body_end < len(text)
                    and _is_abbreviation(text, cur, m.start())):
                continue
        body = text[cur:body_end].rstrip()
        if body:
            out.append(body)
        if cur + len(body) < m.end():
            out.append(text[cur + len(body):m.end()])
        cur = m.end()
    if cur < len(text):
        body = text[cur:].rstrip()
        out += [body, text[cur + len(body):]] if len(body) < len(text) - cur else [body]
    return out

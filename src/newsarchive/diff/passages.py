"""The changed passages of a diff, each with a sentence of context: what a report shows.

From the sentence alignment (:mod:`newsarchive.diff.align`), in reading order of the new
text: every sentence that changed (added, removed where it stood, edited, moved to its
new place, split, merged) and ``context`` unchanged sentences on each side of it; the
stretches in between are left out, and a passage never crosses a left-out stretch. A
report of a one-sentence edit thus shows three sentences, not the article.

At most ``limit`` changed sentences are shown (a rewrite of a whole article would
otherwise make the report as long as the article); ``Passages.more`` counts the rest.

:func:`passages_html` draws them: a ``<p>`` a paragraph of the new text, unchanged
sentences in a ``ctx`` span, removed text in ``<del>``, added in ``<ins>``, a moved
sentence marked ``moved`` with its edit inside, and ``…`` where text is left out. Every
character from an article is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from newsarchive.diff.align import Alignment, SentenceChange
from newsarchive.text.canonical import visible

__all__ = ["Passages", "focus_sentences", "passages_html"]

CHANGED_LIMIT = 12


@dataclass
class Passages:
    """Runs of sentence changes to show (each a list, in reading order), and how many
    changed sentences were left out past the limit."""

    runs: list[list[SentenceChange]] = field(default_factory=list)
    more: int = 0
    skipped_start: bool = False   # text left out before the first run
    skipped_end: bool = False


def focus_sentences(al: Alignment, context: int = 1, limit: int = CHANGED_LIMIT) -> Passages:
    """The changed sentences of ``al`` with ``context`` sentences around each."""
    changes = al.changes
    changed = [k for k, c in enumerate(changes) if c.action != "unchanged"]
    out = Passages(more=max(0, len(changed) - limit))
    changed = changed[:limit]
    if not changed:
        return out
    show = [False] * len(changes)
    for k in changed:
        for m in range(max(0, k - context), min(len(changes), k + context + 1)):
            show[m] = True
    if out.more:   # past the limit: nothing after the last change shown but its context
        for m in range(changed[-1] + context + 1, len(changes)):
            show[m] = False
    run: list[SentenceChange] = []
    for k, c in enumerate(changes):
        if show[k]:
            run.append(c)
        elif run:
            out.runs.append(run)
            run = []
    if run:
        out.runs.append(run)
    out.skipped_start = not show[0]
    out.skipped_end = not show[-1]
    return out


def _esc(text: str) -> str:
    return html.escape(visible(text), quote=True)


def _ops_html(change: SentenceChange) -> str:
    parts = []
    for op, text in change.word_ops:
        if op == "equal":
            parts.append(_esc(text))
        else:
            tag = "del" if op == "delete" else "ins"
            parts.append(f"<{tag}>{_esc(text)}</{tag}>")
    return "".join(parts)


def sentence_html(c: SentenceChange) -> str:
    """One sentence change as HTML (see the module docstring)."""
    if c.action == "unchanged":
        return f'<span class="ctx">{_esc(c.new or "")}</span>'
    if c.action == "added":
        return f"<ins>{_esc(c.new or '')}</ins>"
    if c.action == "removed":
        return f"<del>{_esc(c.old or '')}</del>"
    body = _ops_html(c) if c.word_ops else _esc(c.new or "")
    if c.action == "moved":
        return f'<span class="moved"><b>moved</b> {body}</span>'
    return body


def _breaks(c: SentenceChange, last: list[int | None]) -> bool:
    """Whether ``c`` starts a new paragraph after the sentences before it: its paragraph
    on the side it has (the new side when it has both) differs from the last one seen on
    that side; ``last`` ([old, new]) is brought up to date."""
    sides = [c.old_paragraph[0] if c.old_paragraph else None,
             c.new_paragraph[0] if c.new_paragraph else None]
    k = 1 if sides[1] is not None else 0
    new = last[k] is not None and sides[k] != last[k]
    for i in (0, 1):
        if sides[i] is not None:
            last[i] = sides[i]
    return new


def passages_html(p: Passages) -> str:
    """The passages as HTML paragraphs, ``…`` where text is left out (at the start or end
    of a paragraph, or a line of its own between passages)."""
    gap = '<span class="gap">\u2026</span>'
    paragraphs: list[list[str]] = []
    for n, run in enumerate(p.runs):
        if n:
            paragraphs.append([gap])
        last: list[int | None] = [None, None]
        sentences: list[str] = []
        for c in run:
            if _breaks(c, last) and sentences:
                paragraphs.append(sentences)
                sentences = []
            sentences.append(sentence_html(c))
        if sentences:
            paragraphs.append(sentences)
    if not paragraphs:
        return ""
    if p.skipped_start:
        paragraphs[0].insert(0, gap)
    if p.more:
        paragraphs.append([f'<span class="gap">\u2026 and {p.more} more changed '
                           f'sentence{"s" if p.more != 1 else ""}</span>'])
    elif p.skipped_end:
        paragraphs[-1].append(gap)
    return "\n".join("<p>" + " ".join(sentences) + "</p>" for sentences in paragraphs)

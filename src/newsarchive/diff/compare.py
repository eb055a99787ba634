"""Comparing two texts: :func:`diff_texts` and the :class:`Diff` it returns.

``diff_texts`` aligns the sentences of the two texts (:mod:`newsarchive.diff.align`: which
sentence became which, moved, edited, split, merged), runs the engine
(:mod:`newsarchive.diff.engine`: exact edit scripts at the word, line or character level,
bounded in time; at the sentence level the script is built from the alignment,
:mod:`newsarchive.diff.sentence_script`), finds the sentences that moved, those edited on
the way included, and takes its figures from the alignment (:mod:`newsarchive.diff.facts`);
a ``Diff`` renders itself through :mod:`newsarchive.diff.inline` and
:mod:`newsarchive.diff.render`.
"""


from __future__ import annotations

from newsarchive.diff.align import align_sentences
from newsarchive.diff.engine import compute_ops
from newsarchive.diff.facts import aligned_moves, cut, find_moves, mark_changes, moved_spans, \
    stats_of
from newsarchive.diff.inline import render_inline
from newsarchive.diff.model import DiffData, Op
from newsarchive.diff.render import render_html, render_stat, render_unified
from newsarchive.diff.sentence_script import sentence_ops


class Diff(DiffData):
    """A diff with its renderings (JSON is ``to_dict``/``to_json``)."""

    def to_text(self, color: bool = False, context: int | None = None,
                header: bool = False) -> str:
        """Inline: ``[-removed-]{+added+}``, moves ``[<...<]`` / ``{>...>}``; with ``color``
        colours instead of markers. A changed title first: ``title: ...``.

        ``context``: only the paragraphs that changed, each with that many paragraphs
        around it, and a line saying how many were skipped (None: every paragraph);
        ``header``: first the revisions, their capture times and a one-line summary.
        """
        return render_inline(self, color=color, context=context, header=header)

    def to_unified(self, context: int = 3) -> str:
        """Like ``diff -u``, a paragraph a line; a changed title first, as header lines."""
        return render_unified(self, context=context)

    def to_html(self, standalone: bool = True) -> str:
        """A self-contained, script-free page (or only its ``<section>``)."""
        return render_html(self, standalone=standalone)

    def to_stat(self) -> str:
        """The ``--stat`` summary: title, words, sentences, share of the text changed."""
        return render_stat(self)


def diff_texts(a: str, b: str, *, by: str = "word", title_a: str | None = None,
               title_b: str | None = None, label_a: str = "a", label_b: str = "b",
               timeout: float | None = None, time_a: str | None = None,
               time_b: str | None = None) -> Diff:
    """The diff of text ``a`` against text ``b`` (see the module docstring); bounded in
    work (:data:`newsarchive.diff.engine.CELL_BUDGET`), or by ``timeout`` seconds.
    ``time_a``/``time_b``: the capture times, for the header."""
    al = align_sentences(a, b)
    raw = sentence_ops(al, a, b) if by == "sentence" else None
    if raw is not None:
        used = "sentence"
    else:
        raw, used = compute_ops(a, b, by, timeout, moved=moved_spans(al))
    marks = mark_changes(raw)
    moves = find_moves(a, b, raw, marks, used)
    if used != "line":   # at line granularity only whole lines move
        moves = aligned_moves(al, marks, moves)
    ops = cut(raw, moves) if moves else [Op(op, t) for op, t in raw]
    stats = stats_of(al, (title_a or "") != (title_b or ""))
    return Diff(label_a, label_b, title_a, title_b, used, ops, moves, stats, al, time_a, time_b)

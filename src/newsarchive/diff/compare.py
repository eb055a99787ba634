"""Comparing two texts: :func:`diff_texts` and the :class:`Diff` it returns.

``diff_texts`` runs the engine (:mod:`newsarchive.diff.engine`: exact edit scripts at the
word, sentence, line or character level, bounded in time), finds the sentences that
moved and counts what changed (:mod:`newsarchive.diff.facts`); a ``Diff`` renders itself
through :mod:`newsarchive.diff.render`.
"""


from __future__ import annotations

from newsarchive.diff.engine import compute_ops
from newsarchive.diff.facts import count_words, cut, find_moves, mark_changes, sentence_counts
from newsarchive.diff.model import DiffData, DiffStats, Op
from newsarchive.diff.render import render_html, render_stat, render_text, render_unified


class Diff(DiffData):
    """A diff with its renderings (JSON is ``to_dict``/``to_json``)."""

    def to_text(self, color: bool = False) -> str:
        """Inline: ``[-removed-]{+added+}``, moves ``[<...<]`` / ``{>...>}``; with ``color``
        ANSI colours instead of markers. A changed title first: ``title: ...``."""
        return render_text(self, color=color)

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
               timeout: float | None = None) -> Diff:
    """The diff of text ``a`` against text ``b`` (see the module docstring); bounded in
    work (:data:`newsarchive.diff.engine.CELL_BUDGET`), or by ``timeout`` seconds."""
    raw, used = compute_ops(a, b, by, timeout)
    ma, mb = mark_changes(raw)
    moves = find_moves(a, b, raw, (ma, mb), used)
    ops = cut(raw, moves) if moves else [Op(op, t) for op, t in raw]
    added, removed = count_words(raw, a, b, used, (ma, mb))
    s_removed, changed_a = sentence_counts(a, ma, {m.a_offset for m in moves})
    s_added, changed_b = sentence_counts(b, mb, {m.b_offset for m in moves})
    size = len(a) + len(b)
    stats = DiffStats(
        words_added=added, words_removed=removed, sentences_added=s_added,
        sentences_removed=s_removed, sentences_changed=max(changed_a, changed_b),
        changed_share=(ma.total + mb.total) / size if size else 0.0,
        title_changed=(title_a or "") != (title_b or ""), sentences_moved=len(moves))
    return Diff(label_a, label_b, title_a, title_b, used, ops, moves, stats)

"""The output formats of a :class:`~newsarchive.diff.model.DiffData`: unified, HTML, and the
``--stat`` summary (the inline format is :mod:`newsarchive.diff.inline`; JSON is
``Diff.to_dict``). A changed title comes first in each.

The HTML page is self-contained: inline CSS, no script, no external resource, and a
Content-Security-Policy that forbids everything else; every character that comes from
an article or a label is escaped.
"""

from __future__ import annotations

import html
import re

from newsarchive.diff.engine import compute_ops
from newsarchive.diff.inline import header_line, summary_line
from newsarchive.diff.model import DiffData as Diff
from newsarchive.diff.model import DiffStats, Move, Op
from newsarchive.text.canonical import visible


def _one_line(text: str | None) -> str:
    return " ".join(visible(text or "").split())


# -- unified ------------------------------------------------------------------------------

_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def render_unified(diff: Diff, context: int = 3) -> str:
    """Like ``diff -u``, a paragraph a line; a changed title first, as two header lines
    (``old title ...`` / ``new title ...``, as git's extended headers)."""

    out = []
    if diff.stats.title_changed:
        out += [f"old title {_one_line(diff.title_a)}", f"new title {_one_line(diff.title_b)}"]
    if any(op.op != "equal" for op in diff.ops):
        out += [f"--- {_one_line(diff.a)}", f"+++ {_one_line(diff.b)}"]
        ops, _ = compute_ops(diff.text_a, diff.text_b, "line", 0.5, cleanup=False)
        rows = [(op, line) for op, text in ops for line in _LINE_RE.findall(text)]
        pos_a, pos_b, na, nb = [], [], 0, 0   # lines of A and B before each row
        for op, _line in rows:
            pos_a.append(na)
            pos_b.append(nb)
            na += op != "insert"
            nb += op != "delete"
        pos_a.append(na)
        pos_b.append(nb)
        changes = [i for i, (op, _) in enumerate(rows) if op != "equal"]
        context = max(context, 0)
        k = 0
        while k < len(changes):
            j = k
            while j + 1 < len(changes) and changes[j + 1] - changes[j] - 1 <= 2 * context:
                j += 1
            lo, hi = max(changes[k] - context, 0), min(changes[j] + context + 1, len(rows))
            out.append(f"@@ -{_range(pos_a[lo], pos_a[hi] - pos_a[lo])} "
                       f"+{_range(pos_b[lo], pos_b[hi] - pos_b[lo])} @@")
            for op, line in rows[lo:hi]:
                out.append({"equal": " ", "delete": "-", "insert": "+"}[op] + line.rstrip("\n"))
                if not line.endswith("\n"):
                    out.append("\\ No newline at end of file")
            k = j + 1
    return "".join(line + "\n" for line in out)


# -- stat ---------------------------------------------------------------------------------


def _sentence_figures(s: DiffStats) -> str:
    more = "".join(f", {n} {what}" for n, what in ((s.sentences_split, "split"),
                                                  (s.sentences_merged, "merged")) if n)
    return (f"+{s.sentences_added} -{s.sentences_removed}, {s.sentences_edited} edited, "
            f"{s.sentences_moved} moved{more}")


def render_stat(diff: Diff) -> str:
    s = diff.stats
    title = (f"title: {_one_line(diff.title_a)!r} -> {_one_line(diff.title_b)!r}"
             if s.title_changed else "title: unchanged")
    return (f"{title}\n"
            f"words: +{s.words_added} -{s.words_removed}\n"
            f"sentences: {_sentence_figures(s)}\n"
            f"changed: {s.changed_share:.1%} of the words\n")


# -- HTML ---------------------------------------------------------------------------------

CSS = """
.na-diff { font: 16px/1.5 system-ui, sans-serif; max-width: 80em; margin: 1em auto;
  padding: 0 1em; color: #222; background: #fff; }
.na-diff h1 { font-size: 1.3em; } .na-diff h2 { font-size: 1.1em; margin-top: 1.5em; }
.na-diff .labels, .na-diff dl, .na-diff .legend, .na-diff th { font-size: .85em; }
.na-diff dl { display: grid; grid-template-columns: max-content auto; gap: .1em 1em; }
.na-diff dd { margin: 0; }
.na-diff .doc, .na-diff td { white-space: pre-wrap; overflow-wrap: anywhere; }
.na-diff del { background: #ffd7d5; color: #82071e; text-decoration: line-through; }
.na-diff ins { background: #ccffd8; color: #055d20; text-decoration: none; }
.na-diff del.moved, .na-diff ins.moved { background: #ddf4ff; color: #0a3069; }
.na-diff del.moved { text-decoration: line-through dotted; }
.na-diff table { border-collapse: collapse; width: 100%; table-layout: fixed; }
.na-diff td, .na-diff th { border: 1px solid #ddd; padding: .3em .5em; vertical-align: top;
  text-align: left; }
.na-diff tr.same td { color: #666; }
.na-diff tr.title td { font-weight: bold; }
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _esc(text: str | None) -> str:
    return html.escape(visible(text or ""), quote=True)


def _tag(op: Op, inner: str) -> str:
    if op.op == "equal":
        return inner
    tag = "del" if op.op == "delete" else "ins"
    if op.moved is None:
        return f"<{tag}>{inner}</{tag}>"
    what = "moved from here" if op.op == "delete" else "moved here"
    return f'<{tag} class="moved" title="{what}">{inner}</{tag}>'


def _inner(op: Op, part: str, moves: list[Move]) -> str:
    """A stretch of an op as HTML; the new place of a sentence that moved with an edit
    shows the edit inside."""
    if op.op == "insert" and op.moved is not None:
        move = moves[op.moved]
        if move.old_text is not None and part == move.text:
            return "".join(_tag(Op(o, t), _esc(t)) for o, t in move.word_ops)
    return _esc(part)


def _inline_html(ops: list[Op], moves: list[Move] | None = None) -> str:
    return "".join(_tag(op, _inner(op, op.text, moves or [])) for op in ops)


def _side_rows(ops: list[Op], moves: list[Move]) -> list[tuple[str, str, bool]]:
    """(left html, right html, changed) rows, one a paragraph, aligned at the line breaks
    both texts share, and at those one side adds where the other's line has ended."""
    # done[i][side]: the first op after i that has text on that side starts a new line
    done: list[dict[str, bool]] = [{}] * len(ops)
    nxt = {"delete": True, "insert": True}   # "delete" side is A (left), "insert" B
    for i in range(len(ops) - 1, -1, -1):
        done[i] = dict(nxt)
        op = ops[i]
        for side in ("delete", "insert"):
            if op.op in ("equal", side):
                nxt[side] = op.text.startswith("\n")
    rows: list[tuple[str, str, bool]] = []
    left: list[str] = []
    right: list[str] = []
    changed = False

    def flush() -> None:
        nonlocal changed
        if "".join(left).strip() or "".join(right).strip():
            rows.append(("".join(left), "".join(right), changed))
        left.clear()
        right.clear()
        changed = False

    for i, op in enumerate(ops):
        other_done = op.op == "equal" or done[i]["insert" if op.op == "delete" else "delete"]
        for k, part in enumerate(op.text.split("\n")):
            if k:   # a line break
                other = right if op.op == "delete" else left
                if op.op == "equal" or not other or other_done:
                    flush()
                else:
                    (left if op.op == "delete" else right).append(_tag(op, "\n"))
                    changed = True
            if part:
                if op.op != "insert":
                    left.append(_tag(op, _esc(part)))
                if op.op != "delete":
                    right.append(_tag(op, _inner(op, part, moves)))
                changed = changed or op.op != "equal"
    flush()
    return rows


def _stats_html(diff: Diff) -> str:
    s = diff.stats
    items = [("Title", "changed" if s.title_changed else "unchanged"),
             ("Words", f"+{s.words_added} &minus;{s.words_removed}"),
             ("Sentences", _sentence_figures(s).replace("-", "&minus;", 1)),
             ("Changed", f"{s.changed_share:.1%} of the words"),
             ("Compared", _esc(diff.by))]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def render_html(diff: Diff, standalone: bool = True) -> str:
    """The diff as HTML: a whole page, or (``standalone=False``) one ``<section>`` to put in
    a page that includes :data:`CSS` (the ``changes`` report)."""
    a, b = _esc(diff.a), _esc(diff.b)
    heading = _esc(diff.title_b) if diff.title_b else f"{a} &rarr; {b}"
    parts = [f'<section class="na-diff">\n<h1>{heading}</h1>\n'
             f'<p class="labels">{_esc(header_line(diff))}</p>\n'
             f'<p class="labels">{_esc(summary_line(diff.stats))}</p>']
    if diff.stats.title_changed:
        parts.append(f'<h2>Title</h2>\n<p class="title">{_inline_html(diff.title_ops())}</p>')
    parts.append(f"<h2>Summary</h2>\n{_stats_html(diff)}")
    parts.append('<p class="legend"><del>removed</del> <ins>added</ins> '
                 '<del class="moved">moved from</del> <ins class="moved">moved to</ins></p>')
    parts.append(f'<h2>Inline</h2>\n<div class="doc">{_inline_html(diff.ops, diff.moves)}</div>')
    title_row = (f'<tr class="title{" changed" if diff.stats.title_changed else ""}">'
                 f"<td>{_esc(diff.title_a)}</td><td>{_esc(diff.title_b)}</td></tr>")
    rows = [title_row]
    rows += [f'<tr class="{"changed" if ch else "same"}"><td>{lt}</td><td>{rt}</td></tr>'
             for lt, rt, ch in _side_rows(diff.ops, diff.moves)]
    parts.append(f'<h2>Side by side</h2>\n<table>\n<thead><tr><th>{a}</th><th>{b}</th></tr>'
                 f"</thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n</section>")
    body = "\n".join(parts)
    if not standalone:
        return body + "\n"
    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            f'<meta name="referrer" content="no-referrer">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>diff {a} &rarr; {b}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")

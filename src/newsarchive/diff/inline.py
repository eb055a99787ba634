"""The inline diff (``diff``'s default format): changes marked inside the text.

**Lines.** An archived text is a paragraph a line. The ops are cut at every line break of
either side into display lines, one a paragraph, blank lines left out; a line is *changed*
when it holds a change, and a line break taken out or put in alone (a paragraph split or
joined) is shown as ``¶`` where it was.

**Focus.** With a ``context`` of N, only the changed lines are shown, each with N lines
around it, and each stretch left out is one line, ``… 3 paragraphs unchanged …``. With no
context limit (``--full``) every line is shown; a context as large as the text gives the
same output.

**Header.** First, when asked: the two revisions (``ID @2 → @3``) and their capture
times, the title's change, and a one-line summary (``+1 -1 words; sentences: 1 edited;
0.2% of the words changed``), then a blank line.

**Marks.** In plain text removed text is ``[-between these-]``, added ``{+these+}``, the
old place of a moved sentence ``[<this<]`` and its new place ``{>this>}``; a sentence that
moved and was edited shows its edit inside: ``{>Police said [-16,000-]{+17,000+} people
left.>}``. In colour there are no markers: removed text is red and struck through, added
text green, a removal right before an insertion is followed by a dim ``→``
(``16,000→17,000``) so the two never run together, moved text is cyan (dim and struck at
its old place), a change to spacing alone is in reverse video; each line opens and closes
its own colours, so a pager never carries one over. Control characters from an article
are shown as visible symbols (U+2400...): a text never drives the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsarchive.diff.model import DiffData as Diff
from newsarchive.diff.model import DiffStats, Move, Op, WordOps
from newsarchive.text.canonical import visible

__all__ = ["render_inline", "summary_line", "header_line", "display_lines"]

PILCROW = "\u00b6"
ARROW = "\u2192"
ELLIPSIS = "\u2026"

_PLAIN = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "from": ("[<", "<]"),
          "to": ("{>", ">}")}
_SGR = {"delete": "9;31", "insert": "32", "from": "2;9;36", "to": "36"}
_HEADER_SGR = "1"
_SKIP_SGR = "36"


@dataclass
class Piece:
    """A stretch of one display line: ``kind`` is equal, delete, insert, from (the old
    place of a move) or to (its new place); ``ops`` the word diff of an edited move."""

    kind: str
    text: str
    ops: WordOps = ()


@dataclass
class Line:
    pieces: list[Piece] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(p.kind != "equal" and p.text for p in self.pieces)

    @property
    def empty(self) -> bool:
        return not any(p.text for p in self.pieces)


def _kind(op: Op) -> str:
    if op.op == "equal":
        return "equal"
    if op.moved is not None:
        return "from" if op.op == "delete" else "to"
    return op.op


def display_lines(ops: list[Op], moves: list[Move]) -> list[Line]:
    """The ops cut into display lines (a paragraph each), blank lines left out."""
    lines = [Line()]
    for i, op in enumerate(ops):
        kind = _kind(op)
        if kind in _MOVED and "\n" in op.text and not op.text.strip() and any(
                0 <= k < len(ops) and ops[k].op == op.op and ops[k].moved is not None
                for k in (i - 1, i + 1)):
            kind = _MOVED[kind]   # the line break of a moved paragraph moved with it
        parts = op.text.split("\n")
        edit: WordOps = ()
        if kind == "to" and op.moved is not None and len(parts) == 1:
            move = moves[op.moved]
            if move.old_text is not None and op.text == move.text:
                edit = move.word_ops
        for k, part in enumerate(parts):
            if k:
                if k == 1 and kind in ("delete", "insert") and not op.text.strip():
                    lines[-1].pieces.append(Piece(kind, PILCROW))   # a break alone
                lines.append(Line())
            if part:
                lines[-1].pieces.append(Piece(kind, part, edit))
    for line in lines:
        _spacing_moves_with(line)
    return [line for line in lines if not line.empty]


_MOVED = {"delete": "from", "insert": "to"}


def _spacing_moves_with(line: Line) -> None:
    """Spacing taken out or put in next to a moved sentence moved with it (a moved
    paragraph's line break too): shown as part of the move, not as an edit."""
    pieces = line.pieces
    for k, piece in enumerate(pieces):
        moved = _MOVED.get(piece.kind)
        if moved is None or (piece.text.strip() and piece.text != PILCROW):
            continue
        near = [pieces[m].kind for m in (k - 1, k + 1) if 0 <= m < len(pieces)]
        if moved in near:
            if piece.text == PILCROW:
                piece.text = ""
            # between two moved pieces: part of the move; at its edge: plain spacing
            piece.kind = moved if near == [moved, moved] else "equal"
    merged: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if (merged and merged[-1].kind == piece.kind and piece.kind != "equal"
                and not merged[-1].ops and not piece.ops):
            merged[-1] = Piece(piece.kind, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    line.pieces = merged


# -- painting -----------------------------------------------------------------------------


def _sgr(text: str, code: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if text else ""


def _paint(piece: Piece, color: bool) -> str:
    text = visible(piece.text)
    if piece.kind == "equal":
        return text
    if piece.kind == "to" and piece.ops:
        body = _paint_edited_move(piece.ops, color)
        return body if color else "{>" + body + ">}"
    if not color:
        start, end = _PLAIN[piece.kind]
        return start + text + end
    code = _SGR[piece.kind]
    if not text.strip() or text == PILCROW:   # spacing alone: reverse video, to be seen
        code = "7;" + code.replace("9;", "")
    return _sgr(text, code)


def _paint_edited_move(ops: WordOps, color: bool) -> str:
    """The new place of a sentence that moved and was edited: moved, its edit inside
    (in plain text without the move's own markers, which the caller puts around)."""
    kinds = ["to" if op == "equal" else op for op, _ in ops]
    if color:
        return _join([_paint(Piece(k, t), True) for k, (_, t) in zip(kinds, ops, strict=True)],
                     kinds, True)
    return "".join(visible(t) if k == "to" else _paint(Piece(k, t), False)
                   for k, (_, t) in zip(kinds, ops, strict=True))


def _join(painted: list[str], kinds: list[str], color: bool) -> str:
    """Painted pieces joined; in colour a dim arrow between a removal and the insertion
    right after it, so that ``16,000`` and ``17,000`` never read as ``16,00017,000``."""
    out = []
    for k, text in enumerate(painted):
        if color and k and kinds[k - 1] == "delete" and kinds[k] == "insert":
            out.append(_sgr(ARROW, "2"))
        out.append(text)
    return "".join(out)


def paint_line(line: Line, color: bool) -> str:
    if color:
        return _join([_paint(p, True) for p in line.pieces], [p.kind for p in line.pieces],
                     True)
    out: list[str] = []
    k = 0
    pieces = line.pieces
    while k < len(pieces):
        if pieces[k].kind != "to":
            out.append(_paint(pieces[k], False))
            k += 1
            continue
        run = []   # a run of moved text: one pair of markers around it, edits inside
        while k < len(pieces) and pieces[k].kind == "to":
            p = pieces[k]
            run.append(_paint_edited_move(p.ops, False) if p.ops else visible(p.text))
            k += 1
        out.append("{>" + "".join(run) + ">}")
    return "".join(out)


# -- header ---------------------------------------------------------------------------------


def _when(stamp: str) -> tuple[str, str]:
    """(date, HH:MM) of a ``YYYY-MM-DDTHH:MM:SSZ`` capture time."""
    date, _, time = stamp.partition("T")
    return date, time[:5]


def header_line(diff: Diff) -> str:
    """``ID @2 → @3 · 2024-04-03 11:30 → 2024-04-04 09:15 UTC`` (the labels whole when
    they name two articles; the times when known)."""
    id_a, _, n_a = diff.a.rpartition("@")
    id_b, _, n_b = diff.b.rpartition("@")
    if id_a and id_a == id_b and n_a and n_b:
        head = f"{id_a} @{n_a} {ARROW} @{n_b}"
    else:
        head = f"{diff.a} {ARROW} {diff.b}"
    if diff.time_a and diff.time_b:
        (da, ta), (db, tb) = _when(diff.time_a), _when(diff.time_b)
        second = tb if da == db else f"{db} {tb}"
        head += f" \u00b7 {da} {ta} {ARROW} {second} UTC"
    return " ".join(visible(head).split())


def summary_line(stats: DiffStats) -> str:
    """One line: ``+1 -1 words; sentences: 1 edited, 1 moved; 0.2% of the words changed``."""
    if not stats.text_changed:
        return "the text is unchanged"
    parts = [f"+{stats.words_added} -{stats.words_removed} words"]
    sentences = [f"{n} {what}" for n, what in (
        (stats.sentences_added, "added"), (stats.sentences_removed, "removed"),
        (stats.sentences_edited, "edited"), (stats.sentences_moved, "moved"),
        (stats.sentences_split, "split"), (stats.sentences_merged, "merged")) if n]
    if sentences:
        parts.append("sentences: " + ", ".join(sentences))
    parts.append(f"{stats.changed_share:.1%} of the words changed")
    return "; ".join(parts)


def title_line(diff: Diff, color: bool) -> str:
    pieces = [Piece(_kind(op), op.text.replace("\n", " ")) for op in diff.title_ops()]
    return "title: " + paint_line(Line(pieces), color)


# -- the whole ------------------------------------------------------------------------------


def _skipped(n: int, color: bool) -> str:
    text = f"{ELLIPSIS} {n} paragraph{'s' if n != 1 else ''} unchanged {ELLIPSIS}"
    return _sgr(text, _SKIP_SGR) if color else text


def focus(lines: list[Line], context: int | None) -> list[Line | int]:
    """The lines to show: all (``context`` None), or the changed ones with ``context``
    lines around each, an int standing for each stretch left out (its length)."""
    if context is None:
        return list(lines)
    show = [False] * len(lines)
    for k, line in enumerate(lines):
        if line.changed:
            for m in range(max(0, k - context), min(len(lines), k + context + 1)):
                show[m] = True
    if not any(show):
        return []
    out: list[Line | int] = []
    gap = 0
    for k, line in enumerate(lines):
        if show[k]:
            if gap:
                out.append(gap)
                gap = 0
            out.append(line)
        else:
            gap += 1
    if gap:
        out.append(gap)
    return out


def render_inline(diff: Diff, color: bool = False, context: int | None = None,
                  header: bool = False) -> str:
    """The inline diff; see the module docstring."""
    head: list[str] = []
    if header:
        head.append(_sgr(header_line(diff), _HEADER_SGR) if color else header_line(diff))
    if diff.stats.title_changed:
        head.append(title_line(diff, color))
    if header:
        head.append(summary_line(diff.stats))
    body = [paint_line(item, color) if isinstance(item, Line) else _skipped(item, color)
            for item in focus(display_lines(diff.ops, diff.moves), context)]
    if head and body:
        head.append("")
    return "".join(line + "\n" for line in head + body)

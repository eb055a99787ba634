"""Snippets of the edits ``search --removed/--added`` finds: the sentence the edit was made
in, with the change marked (``Police said [-16,000-]{+17,000+} people left.``).

The catalog keeps, for each revision, the passages its edit took out and put in (the runs
of words of the sentence alignment, :func:`newsarchive.diff.facts.changed_passages`, and
those of a rewritten headline). A hit names one passage; its snippet is made again from
the two revisions: the sentence change (or the headline change) that holds the passage,
shown whole with its word diff marked, or cut to about ``width`` characters around the
change; a headline's, as ``title: ...`` with its word diff. A passage not found that way
(an index made by an older version) has no such snippet, and the caller falls back to the
passage itself, the query's words marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsarchive.errors import IntegrityError

if TYPE_CHECKING:  # the diff engine is imported by the functions that use it: a search
    # without --removed/--added does not load it (start-up time)
    from newsarchive.diff.align import SentenceChange
    from newsarchive.store.repository import Store

#: removed text between the first two, added text between the last two
EDIT_MARKERS = ("[-", "-]", "{+", "+}")
ELLIPSIS = "\u2026"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _holds(c: SentenceChange, passage: str, side: str) -> bool:
    from newsarchive.diff.facts import change_passages  # the diff engine: start-up time

    gone, new = change_passages(c)
    if passage in (gone if side == "removed" else new):
        return True
    whole = c.old if side == "removed" and c.action == "removed" else (
        c.new if side == "added" and c.action == "added" else None)
    return bool(whole) and _one_line(whole or "") in passage   # a run of sentences


def _cut_before(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    cut = text[len(text) - room:]
    return ELLIPSIS + cut[cut.find(" ") + 1:] if " " in cut else ELLIPSIS + cut


def _cut_after(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    cut = text[:room]
    return (cut[:cut.rfind(" ")] if " " in cut else cut) + ELLIPSIS


def render_change(c: SentenceChange, markers: tuple[str, str, str, str] = EDIT_MARKERS,
                  width: int = 240) -> str:
    """A sentence change on one line, its edit marked; the unchanged words around the
    edit cut to fit about ``width`` characters."""
    d0, d1, i0, i1 = markers
    if c.action == "added":
        return i0 + _cut_after(_one_line(c.new or ""), width) + i1
    if c.action == "removed":
        return d0 + _cut_after(_one_line(c.old or ""), width) + d1
    ops = c.word_ops
    changed = [k for k, (op, _) in enumerate(ops) if op != "equal"]
    if not changed:
        return _cut_after(_one_line(c.new or ""), width)
    first, last = changed[0], changed[-1]
    middle = "".join(t if op == "equal" else (d0 + t + d1 if op == "delete" else i0 + t + i1)
                     for op, t in ops[first:last + 1])
    room = max(width - len(middle), 40) // 2
    before = _cut_before("".join(t for _, t in ops[:first]), room)
    after = _cut_after("".join(t for _, t in ops[last + 1:]), room)
    return _one_line(before + middle + after)


def render_title(old_title: str, new_title: str,
                 markers: tuple[str, str, str, str] = EDIT_MARKERS) -> str:
    """``title: Putin [-reaffirms-]{+vows+} ...``: the title's word diff, whole."""
    from newsarchive.diff.facts import title_ops  # the diff engine: start-up time

    d0, d1, i0, i1 = markers
    return "title: " + _one_line("".join(
        t if op == "equal" else (d0 + t + d1 if op == "delete" else i0 + t + i1)
        for op, t in title_ops(old_title, new_title)))


def find_edit(old_text: str, new_text: str, passage: str, side: str) -> SentenceChange | None:
    """The sentence change of the text whose edit holds ``passage``, or None."""
    from newsarchive.diff.facts import aligned  # the diff engine: start-up time

    want = _one_line(passage)
    for c in aligned(old_text, new_text).changes:
        if _holds(c, want, side):
            return c
    return None


def edit_snippet(store: Store, article: str, number: int, passage: str, side: str,
                 markers: tuple[str, str, str, str] = EDIT_MARKERS) -> str | None:
    """The snippet of revision ``number``'s edit that removed (``side``) ``passage``:
    the sentence (or ``title: ...``) with its change marked; None when it cannot be made
    (the passage is not found, or a text cannot be read)."""
    cat = store.catalog()
    new, old = cat.revision(article, number), cat.revision(article, number - 1)
    if new is None or old is None:
        return None
    try:
        old_text, new_text = store.text_of(old["text_hash"]), store.text_of(new["text_hash"])
    except IntegrityError:
        return None
    change = find_edit(old_text, new_text, passage, side)
    if change is not None:
        return render_change(change, markers)
    from newsarchive.diff.facts import title_passages  # the diff engine: start-up time

    gone, put = title_passages(old["title"], new["title"])
    if _one_line(passage) in (gone if side == "removed" else put):
        return render_title(old["title"], new["title"], markers)
    return None

"""The inline diff: a paragraph a line, focused on the changes, a header, marks and colours."""

from __future__ import annotations

import pytest

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.diff.compare import diff_texts
from newsarchive.diff.inline import display_lines, focus, header_line, summary_line
from tests.conftest import DATA

ARTICLES = DATA / "articles"
SKIP = re.compile(r"^\u2026 (\d+) paragraphs? unchanged \u2026$")


def body(n: int) -> str:
    """Revision ``n`` of the wire-style test article: its text, without the header."""
    return (ARTICLES / f"river-floods.{n}.txt").read_text("utf-8").split("\n\n", 1)[1]


def test_one_changed_number_is_eight_lines() -> None:
    d = diff_texts(body(1), body(2), label_a="wire/2024-09-16/floods@1",
                   label_b="wire/2024-09-16/floods@2", time_a="2024-09-16T07:40:00Z",
                   time_b="2024-09-16T10:05:00Z")
    lines = d.to_text(context=1, header=True).splitlines()
    assert lines == [
        "wire/2024-09-16/floods @1 \u2192 @2 \u00b7 2024-09-16 07:40 \u2192 10:05 UTC",
        "+1 -1 words; sentences: 1 edited; 0.3% of the words changed",
        "",
        "\u2026 2 paragraphs unchanged \u2026",
        lines[4],
        "Croatia's interior ministry said [-9,500-]{+10,500+} people had been evacuated on "
        "its side of the river, most of them in the Brod-Posavina county. Authorities in "
        "Bosnia's Posavina canton put their figure at about 6,500.",
        lines[6],
        "\u2026 7 paragraphs unchanged \u2026",
    ]
    assert lines[4].startswith('"The water came in') and lines[6].startswith("The army sent")


def test_a_moved_paragraph_with_a_changed_number_is_a_move_and_a_small_edit() -> None:
    d = diff_texts(body(2), body(3))
    s = d.stats
    assert (s.sentences_moved, s.sentences_edited, s.sentences_added, s.sentences_removed) \
        == (1, 1, 0, 0)
    assert (s.words_added, s.words_removed) == (1, 1) and s.changed_share < 0.05
    assert d.to_stat().splitlines()[1:] == ["words: +1 -1", "sentences: +0 -0, 1 edited, 1 moved",
                                            "changed: 0.3% of the words"]
    text = d.to_text(context=0)
    assert ("{>The army sent [-400-]{+600+} soldiers to reinforce levees with sandbags, and "
            "neighbouring Slovenia offered pumps and helicopters.>}") in text
    assert "[<The army sent 400 soldiers" in text
    (move,) = d.moves
    assert move.old_text and move.old_text.startswith("The army sent 400")
    assert [op for op in move.word_ops if op[0] != "equal"] == [("delete", "400"),
                                                                ("insert", "600")]
    data = d.to_dict()
    (moved,) = [c for c in data["sentences"] if c["action"] == "moved"]
    assert moved["old_index"] != moved["new_index"]
    assert {"op": "insert", "text": "600"} in moved["word_ops"]


def test_full_shows_every_paragraph_and_the_title_first() -> None:
    d = diff_texts(body(1), body(2), title_a="Old title", title_b="New title")
    full = d.to_text()
    assert full.splitlines()[0] == "title: [-Old-]{+New+} title"
    assert len(full.splitlines()) == 2 + 12 and not SKIP.search(full)


def test_header_names_both_articles_when_they_differ() -> None:
    d = diff_texts("A.\n", "B.\n", label_a="x/2024-01-01/a@1", label_b="y/2024-01-02/b@4")
    assert header_line(d) == "x/2024-01-01/a@1 \u2192 y/2024-01-02/b@4"
    d = diff_texts("A.\n", "B.\n", label_a="x@1", label_b="x@2", time_a="2024-01-01T23:59:00Z",
                   time_b="2024-01-02T00:10:00Z")
    assert header_line(d) == "x @1 \u2192 @2 \u00b7 2024-01-01 23:59 \u2192 2024-01-02 00:10 UTC"


def test_summary_line() -> None:
    d = diff_texts("Same.\n", "Same.\n", title_a="A", title_b="B")
    assert summary_line(d.stats) == "the text is unchanged"
    assert d.to_text(context=1, header=True) == "a \u2192 b\ntitle: [-A-]{+B+}\nthe text is unchanged\n"
    d = diff_texts("One is here. Two is here.\n", "One is here. Three is new. Two is here!\n")
    assert summary_line(d.stats).startswith("+3 -0 words; sentences: 1 added")


def test_paragraph_split_and_join_show_a_pilcrow() -> None:
    d = diff_texts("First half here. Second half here.\n", "First half here.\n\nSecond half here.\n")
    assert d.to_text() == "First half here.[- -]{+\u00b6+}\nSecond half here.\n"
    d = diff_texts("First half here.\n\nSecond half here.\n", "First half here. Second half here.\n")
    assert d.to_text() == "First half here.[-\u00b6-]\n{+ +}Second half here.\n"


def test_control_characters_in_the_header_and_title_are_shown() -> None:
    d = diff_texts("a.\n", "b.\n", title_a="T\x1b[2J", title_b="T", label_a="x\x1b]0;@1",
                   label_b="x\x1b]0;@2")
    for color in (False, True):
        out = d.to_text(color=color, context=1, header=True)
        assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\u241b" in out


# -- the focus, as a property ------------------------------------------------------------------

SENTENCES = ["The river rose.", "Police said 16,000 people left.", "Talks resumed on Monday.",
             "A second storm is due.", "Schools stay closed.", "The army sent 400 soldiers.",
             "Officials gave no figure.", "Trains were stopped."]
PARAGRAPH = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3).map(" ".join)
TEXT = st.lists(PARAGRAPH, min_size=1, max_size=12).map(lambda ps: "\n\n".join(ps) + "\n")


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(a=TEXT, b=TEXT, context=st.integers(min_value=0, max_value=4))
def test_focus_keeps_changes_and_their_context_and_grows_into_the_full_output(
        a: str, b: str, context: int) -> None:
    d = diff_texts(a, b)
    lines = display_lines(d.ops, d.moves)
    full = d.to_text(color=False)
    shown = focus(lines, context)
    changed = [k for k, line in enumerate(lines) if line.changed]
    if not changed:
        assert shown == []
        return
    # every line is shown or counted in a skip marker, in order
    total = sum(item if isinstance(item, int) else 1 for item in shown)
    assert total == len(lines)
    kept = []
    k = 0
    for item in shown:
        if isinstance(item, int):
            k += item
        else:
            kept.append(k)
            k += 1
    # every changed line and every line within `context` of one is shown (context is never
    # dropped), and no other line is
    want = {m for c in changed for m in range(max(0, c - context), min(len(lines), c + context + 1))}
    assert set(kept) == want
    # large context, or --full: the full output
    assert d.to_text(context=len(lines)) == full
    assert d.to_text(context=len(lines), header=True) == d.to_text(header=True)
    # the skip markers say how many paragraphs were left out
    focused = d.to_text(context=context)
    skipped = [int(m.group(1)) for line in focused.splitlines() if (m := SKIP.match(line))]
    assert sum(skipped) == len(lines) - len(kept)

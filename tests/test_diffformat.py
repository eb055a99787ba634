"""The output formats of a diff: inline text, unified, HTML, the --stat summary."""

from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser
from typing import ClassVar

import pytest

from newsarchive.text.canonical import visible
from newsarchive.diff.compare import diff_texts, Diff
from newsarchive.diff.engine import GRANULARITIES

OLD = ("Putin reaffirms war aims.\n\nThe Background\n\nTalks with the United States ended "
       "without progress. Sanctions have had a limited impact.\n\nLooking forward, the "
       "outlook is uncertain.\n")
NEW = ("Putin reaffirms war aims.\n\nTalks with the United States ended without progress. "
       "Sanctions have had a modest impact.\n\nEU ministers meet on Monday. "
       "<script>alert('x')</script>\n\nLooking forward, the outlook is uncertain.\n")
TITLE_A, TITLE_B = "Putin reaffirms war aims", "Putin <b>doubles down</b>"
ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def d() -> Diff:
    return diff_texts(OLD, NEW, title_a=TITLE_A, title_b=TITLE_B,
                      label_a="politico/2024-04-03/putin@1", label_b="politico/2024-04-03/putin@2")


# -- inline -----------------------------------------------------------------------------------


def test_inline_marks_changes_and_puts_the_title_first(d: Diff) -> None:
    text = d.to_text()
    first, blank, body = text.split("\n", 2)
    assert first == "title: Putin [-reaffirms war aims-]{+<b>doubles down</b>+}"
    assert blank == ""
    assert "\n[-The Background-]\n" in body   # a paragraph a line, blank lines left out
    assert "have had a [-limited-]{+modest+} impact" in body
    assert "\n{+EU ministers meet on Monday. <script>alert('x')</script>+}\n" in body
    assert not ANSI.search(text)
    # without the markers the inline text is the new text's paragraphs, one a line
    plain = re.sub(r"\[-.*?-\]", "", body, flags=re.DOTALL)
    plain = re.sub(r"\{\+(.*?)\+\}", r"\1", plain, flags=re.DOTALL)
    assert [line for line in plain.split("\n") if line] == [p for p in NEW.split("\n") if p]


def test_inline_without_a_title_change_has_no_title_line() -> None:
    text = diff_texts("A b c.\n", "A x c.\n", title_a="T", title_b="T").to_text()
    assert text == "A [-b-]{+x+} c.\n"


def test_inline_in_colour_has_no_markers_and_no_colour_across_lines(d: Diff) -> None:
    text = d.to_text(color=True)
    # struck through and red, a dim arrow, green: "limited→modest", never "limitedmodest"
    assert "\x1b[9;31mlimited\x1b[0m\x1b[2m\u2192\x1b[0m\x1b[32mmodest\x1b[0m" in text
    assert "[-" not in text and "{+" not in text
    for line in text.split("\n"):   # every line closes what it opens
        assert line.count("\x1b[0m") == len(re.findall(r"\x1b\[[0-9;]*[1-9][0-9;]*m", line))


def test_moved_text_is_marked_distinctly() -> None:
    a = "First sentence is here. Second one moves later on.\n\nThird stays put.\n"
    b = "First sentence is here.\n\nThird stays put. Second one moves later on.\n"
    d = diff_texts(a, b)
    assert d.moves
    text = d.to_text()
    assert text == ("First sentence is here. [<Second one moves later on.<]\n"
                    "Third stays put. {>Second one moves later on.>}\n")
    assert "\x1b[36mSecond one moves later on.\x1b[0m" in d.to_text(color=True)
    html = d.to_html()
    assert '<del class="moved" title="moved from here">Second one moves later on.</del>' in html
    assert '<ins class="moved" title="moved here">Second one moves later on.</ins>' in html


def test_control_characters_from_an_article_never_reach_the_terminal() -> None:
    a, b = "Plain text.\n", "Plain \x1b[2J\x07text\x9b.\n"
    for color in (False, True):
        text = diff_texts(a, b).to_text(color=color)
        assert "\x1b[2J" not in text and "\x07" not in text and "\x9b" not in text
        assert "\u241b[2J\u2407" in text
    assert not ANSI.search(diff_texts(a, b).to_text())
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"


def test_whitespace_only_changes_stay_visible_in_colour() -> None:
    text = diff_texts("One two.\n", "One  two.\n").to_text(color=True)
    assert "\x1b[7;" in text   # reverse video: a coloured space would be invisible


# -- unified ----------------------------------------------------------------------------------


def test_unified_headers_title_and_hunks(d: Diff) -> None:
    lines = d.to_unified().splitlines()
    assert lines[:4] == ["old title Putin reaffirms war aims",
                         "new title Putin <b>doubles down</b>",
                         "--- politico/2024-04-03/putin@1", "+++ politico/2024-04-03/putin@2"]
    assert lines[4].startswith("@@ -1,")
    assert "-The Background" in lines and "+EU ministers meet on Monday. " \
        "<script>alert('x')</script>" in lines


def paragraphs(n: int, changed: set[int]) -> tuple[str, str]:
    a = "".join(f"Paragraph {i} is here.\n\n" for i in range(n)).rstrip() + "\n"
    b = "".join(f"Paragraph {i} is {'new' if i in changed else 'here'}.\n\n"
                for i in range(n)).rstrip() + "\n"
    return a, b


@pytest.mark.parametrize("context", [0, 1, 3, 5])
def test_unified_context_matches_difflib(context: int) -> None:
    a, b = paragraphs(30, {3, 12, 14, 29})
    ours = diff_texts(a, b, label_a="a", label_b="b").to_unified(context)
    theirs = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "a", "b",
                                          n=context, lineterm="\n"))
    assert ours == theirs.replace("--- a\n", "--- a\n", 1)


def test_unified_without_final_newline_and_without_changes() -> None:
    out = diff_texts("one\ntwo", "one\nthree").to_unified()
    assert out.endswith("-two\n\\ No newline at end of file\n+three\n"
                        "\\ No newline at end of file\n")
    assert diff_texts("same\n", "same\n").to_unified() == ""
    only_title = diff_texts("same\n", "same\n", title_a="A", title_b="B").to_unified()
    assert only_title == "old title A\nnew title B\n"


# -- HTML -------------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag with its attributes, and whether the tags balance."""

    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    p.close()
    assert not p.stack, p.stack
    return p


def test_html_is_one_safe_self_contained_page(d: Diff) -> None:
    html = d.to_html()
    assert html.startswith("<!DOCTYPE html>")
    assert ('<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">") in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;doubles down&lt;/b&gt;" in html
    tags = parse(html).tags
    names = {t for t, _ in tags}
    assert names <= {"html", "head", "meta", "title", "style", "body", "section", "h1", "h2",
                     "p", "dl", "dt", "dd", "div", "del", "ins", "table", "thead", "tbody",
                     "tr", "th", "td"}
    for _, attrs in tags:   # no attribute can load or run anything
        assert not {"src", "href", "action", "srcset", "style"} & set(attrs)
        assert not any(k.startswith("on") for k in attrs)
    assert "url(" not in html and "@import" not in html


def test_html_shows_title_first_stats_and_both_views(d: Diff) -> None:
    html = d.to_html()
    title = html.index("<h2>Title</h2>")
    assert title < html.index("<h2>Summary</h2>") < html.index("<h2>Inline</h2>") < html.index(
        "<h2>Side by side</h2>")
    assert "<del>reaffirms war aims</del><ins>&lt;b&gt;doubles down&lt;/b&gt;</ins>" in html
    assert "<dt>Words</dt><dd>+" in html
    assert "<table>" in html and html.count("<tr") >= 5
    # the side-by-side rows hold the old text on the left and the new on the right
    rows = re.findall(r"<tr class=\"(?:same|changed)\"><td>(.*?)</td><td>(.*?)</td></tr>", html,
                      re.DOTALL)
    assert ("<del>The Background</del>", "") in rows
    assert any("<ins>modest</ins>" in right and "<del>limited</del>" in left
               for left, right in rows)


def test_html_fragment_for_reports(d: Diff) -> None:
    frag = d.to_html(standalone=False)
    assert frag.startswith('<section class="na-diff">')
    assert "<html" not in frag and "<style" not in frag
    parse(frag)


@pytest.mark.parametrize("by", GRANULARITIES)
def test_every_format_escapes_at_every_granularity(by: str) -> None:
    d = diff_texts(OLD, NEW, by=by, title_a=TITLE_A, title_b=TITLE_B, label_a="<x>",
                   label_b="&y")
    html = d.to_html()
    assert "<script" not in html.lower() and "<x>" not in html and "&y" not in html
    parse(html)
    assert "<script>" in d.to_text() and not ANSI.search(d.to_text())


# -- stat -------------------------------------------------------------------------------------


def test_stat_summary(d: Diff) -> None:
    assert d.to_stat() == (
        "title: 'Putin reaffirms war aims' -> 'Putin <b>doubles down</b>'\n"
        f"words: +{d.stats.words_added} -{d.stats.words_removed}\n"
        f"sentences: +{d.stats.sentences_added} -{d.stats.sentences_removed}, "
        f"{d.stats.sentences_edited} edited, 0 moved\n"
        f"changed: {d.stats.changed_share:.1%} of the words\n")
    assert (d.stats.words_added, d.stats.words_removed) == (10, 3)
    assert (d.stats.sentences_added, d.stats.sentences_removed) == (2, 1)
    assert d.stats.sentences_edited == 1
    same = diff_texts("x\n", "x\n").to_stat()
    assert same.startswith("title: unchanged\nwords: +0 -0\n")

"""The change-kind classifier (a table of rules) and flip-flop detection."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsarchive.changes import kinds
from newsarchive.changes.kinds import RULES, _within_distance, classify, flip_flops, is_minor_change
from newsarchive.model import KINDS

STORY = (
    "Officials said 12 soldiers were killed in the attack on Monday.\n\n"
    'The minister told reporters: "We will respond." The government denied it.\n\n'
    "Talks are expected to resume next week in Geneva."
)
TITLE = "Twelve soldiers killed in attack"


def edit(old: str, new: str) -> str:
    assert old in STORY, old
    return STORY.replace(old, new)


# (name, new text, new title, reverts, expected kinds) against (STORY, TITLE)
CASES = [
    # minor: whitespace, punctuation, capitalisation, accents, respellings
    (
        "whitespace",
        STORY.replace("\n\n", "\n\n\n").replace(" the attack", "  the attack"),
        TITLE,
        False,
        ("minor",),
    ),
    (
        "punctuation in a quote",
        edit('"We will respond."', '"We will respond".'),
        TITLE,
        False,
        ("minor",),
    ),
    (
        "curly quotes",
        edit('"We will respond."', "\u201cWe will respond.\u201d"),
        TITLE,
        False,
        ("minor",),
    ),
    (
        "quote loses its comma-colon",
        edit('reporters: "We', 'reporters, "we'),
        TITLE,
        False,
        ("minor",),
    ),
    (
        "capitalisation",
        edit("The government denied", "The Government denied"),
        TITLE,
        False,
        ("minor",),
    ),
    ("accents", edit("Geneva", "Genéva"), TITLE, False, ("minor",)),
    ("typo", edit("government", "goverment"), TITLE, False, ("minor",)),
    ("transposition", edit("resume", "reusme"), TITLE, False, ("minor",)),
    ("hyphenation", edit("next week", "next-week"), TITLE, False, ("minor",)),
    ("title capitalisation", STORY, "Twelve Soldiers Killed In Attack", False, ("minor",)),
    # substantive: words added, removed, replaced; any number
    ("replaced word", edit("killed", "injured"), TITLE, False, ("substantive",)),
    ("changed number", edit("12", "13"), TITLE, False, ("substantive",)),
    ("changed decimal", edit("12", "1.2"), TITLE, False, ("substantive",)),
    ("number word", edit("12 soldiers", "twelve soldiers"), TITLE, False, ("substantive",)),
    ("number word to word", STORY.replace("12", "five"), TITLE, False, ("substantive",)),
    ("sentence added", STORY + " More talks may follow.", TITLE, False, ("substantive",)),
    ("sentence removed", edit(" The government denied it.", ""), TITLE, False, ("substantive",)),
    ("one word added", edit("denied it", "denied it again"), TITLE, False, ("substantive",)),
    ("negation", edit("We will respond", "We will not respond"), TITLE, False, ("substantive",)),
    ("contraction negation", edit("We will", "We won't"), TITLE, False, ("substantive",)),
    ("prefix negation", edit("denied", "undenied"), TITLE, False, ("substantive",)),
    ("short word", edit("next week", "last week"), TITLE, False, ("substantive",)),
    (
        "paragraphs moved",
        "Talks are expected to resume next week in Geneva.\n\n" + STORY.rsplit("\n\n", 1)[0],
        TITLE,
        False,
        ("substantive",),
    ),
    # headline
    ("headline", STORY, "Attack kills soldiers near border", False, ("headline",)),
    (
        "headline, minor text",
        edit("government", "Government"),
        "Soldiers die in attack",
        False,
        ("headline",),
    ),
    (
        "headline and substantive",
        edit("12", "14"),
        "Fourteen soldiers killed",
        False,
        ("headline", "substantive"),
    ),
    ("headline number", STORY, "Thirteen soldiers killed in attack", False, ("headline",)),
    # correction
    (
        "correction note",
        STORY + "\n\nCorrection: An earlier version of this article "
        "misstated the day of the attack.",
        TITLE,
        False,
        ("correction",),
    ),
    (
        "note appended to a paragraph",
        STORY + " This article has been corrected.",
        TITLE,
        False,
        ("correction",),
    ),
    (
        "correction with the fix",
        edit("Monday", "Tuesday")
        + "\n\nThis story has been updated to correct the day of the attack.",
        TITLE,
        False,
        ("correction", "substantive"),
    ),
    (
        "correction and headline",
        STORY + "\n\nClarification: the talks are informal.",
        "Soldiers die in attack",
        False,
        ("headline", "correction"),
    ),
    # revert
    ("revert", edit("killed", "injured"), TITLE, True, ("revert",)),
    (
        "revert with a new headline",
        edit("killed", "injured"),
        "Soldiers hurt",
        True,
        ("headline", "revert"),
    ),
    ("revert of a note", STORY + "\n\nCorrection: the talks are off.", TITLE, True, ("revert",)),
    # nothing
    ("unchanged", STORY, TITLE, False, ()),
    ("unchanged, reverts flag", STORY, TITLE, True, ()),
]


@pytest.mark.parametrize(
    ("new_text", "new_title", "reverts", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classify(new_text: str, new_title: str, reverts: bool, expected: tuple[str, ...]) -> None:
    assert classify(STORY, new_text, TITLE, new_title, reverts=reverts) == expected


def test_typo_fix_is_minor() -> None:
    typo = STORY.replace("government", "goverment")
    assert classify(typo, STORY, TITLE, TITLE) == ("minor",)
    assert classify(STORY.replace("expected", "expectd"), STORY, TITLE, TITLE) == ("minor",)


def test_moved_paragraphs_are_substantive_whatever_their_number() -> None:
    """A text whose paragraphs only moved (many of them alike: blank lines, a repeated
    line) is judged without comparing word by word, which took minutes on such texts."""
    paragraphs = [("A line said again." if i % 2 else f"Paragraph {i} says " + "more " * 30)
                  for i in range(1500)]
    old = "\n\n".join(paragraphs) + "\n"
    new = "\n\n".join(paragraphs[1::2] + paragraphs[::2]) + "\n"
    assert classify(old, new, TITLE, TITLE) == ("substantive",)
    assert classify(STORY, "\n\n".join(reversed(STORY.split("\n\n"))), TITLE, TITLE) == (
        "substantive",)


def test_first_revision_has_no_kind() -> None:
    assert classify(None, STORY, None, TITLE) == ()


def test_unknown_old_title_is_not_a_headline_change() -> None:
    assert classify(STORY, STORY + " More.", None, TITLE) == ("substantive",)


@pytest.mark.parametrize(
    "note",
    [
        "This article has been corrected to fix a name.",
        "THIS STORY WAS AMENDED on Friday.",
        "An earlier version of this story misspelled a name.",
        "Correction: the minister is a woman.",
        "Corrections \u2014 two names were wrong.",
        "This story has been updated.",
        "This article has been updated with a reaction.",
        "Clarification: the talks are informal.",
        "Editor's note: names have been changed.",
        "Editor\u2019s Note: names have been changed.",
        "Editors' note: names have been changed.",
    ],
)
def test_each_editors_note_marks_a_correction(note: str) -> None:
    assert classify(STORY, STORY + "\n\n" + note, TITLE, TITLE) == ("correction",)


def test_a_note_already_there_is_not_a_new_correction() -> None:
    old = STORY + "\n\nCorrection: the talks are informal."
    assert classify(old, old.replace("12", "13"), TITLE, TITLE) == ("substantive",)
    assert classify(old, old.replace("informal", "informel"), TITLE, TITLE) == ("minor",)
    second = old + "\n\nCorrection: and the venue was wrong."
    assert classify(old, second, TITLE, TITLE) == ("correction",)


def test_words_like_correction_in_a_story_are_not_notes() -> None:
    new = STORY + " The correction in stock prices worried investors."
    assert classify(STORY, new, TITLE, TITLE) == ("substantive",)


@pytest.mark.parametrize(
    ("old", "new", "minor"),
    [
        ("goverment", "government", True),
        ("recieve", "receive", True),
        ("neccesary", "necessary", True),
        ("Goverment said", "Government said", True),
        ("teh", "the", False),  # too short to tell from a real change
        ("killed", "injured", False),
        ("increased", "decreased", False),
        ("legal", "illegal", False),
        ("lawful", "unlawful", False),
        ("Iran", "Iraq", False),
        ("Austria", "Australia", False),
        ("Slovenia", "Slovakia", False),
        ("twelve", "twelfth", False),
        ("nine", "none", False),
        ("12", "13", False),
        ("1,000", "1000", False),
        ("e-mail", "email", True),
        ("São Paulo", "Sao Paulo", True),
        ("Putin's", "Putin’s", True),
        ("", "", True),
        ("", "word", False),
    ],
)
def test_is_minor_change(old: str, new: str, minor: bool) -> None:
    assert is_minor_change(old, new) is minor
    assert is_minor_change(new, old) is minor


def test_within_distance() -> None:
    assert _within_distance("", "", 1)
    assert not _within_distance("abc", "", 2)
    assert not _within_distance("kitten", "sitting", 2)
    assert _within_distance("recieve", "receive", 1)
    assert _within_distance("goverment", "government", 1)
    assert _within_distance("x" * 8000, "x" * 4000 + "y" + "x" * 3999, 2)  # common ends cut
    assert not _within_distance("y" + "x" * 10_000 + "z", "q" + "x" * 10_000 + "w", 2)


@given(st.text("abc", max_size=8), st.text("abc", max_size=8), st.integers(1, 2))
def test_within_distance_agrees_with_the_full_table(a: str, b: str, limit: int) -> None:
    """The banded computation answers as the whole dynamic-programming table does."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    assert _within_distance(a, b, limit) == (d[-1][-1] <= limit)


def test_rules_table_covers_every_kind_once() -> None:
    assert sorted(rule.kind for rule in RULES) == sorted(KINDS)
    assert [rule.kind for rule in RULES if rule.fallback] == ["minor"]


def test_rules_table_is_documented() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "changes.md").read_text("utf-8")
    for rule in RULES:
        assert f"`{rule.kind}`" in doc
        assert rule.when in doc, rule.when


words = st.lists(
    st.sampled_from(["alpha", "Beta", "12", "gamma,", "delta.", "\n\n"]), max_size=12
).map(" ".join)


@given(words, words, st.sampled_from(["t", "T", "other"]), st.booleans())
def test_kinds_are_ordered_and_minor_stands_alone(
    old: str, new: str, title: str, reverts: bool
) -> None:
    kinds = classify(old, new, "t", title, reverts=reverts)
    assert list(kinds) == [k for k in KINDS if k in kinds]
    assert "minor" not in kinds or kinds == ("minor",)
    assert (kinds == ()) == (old == new and title == "t")
    if "revert" in kinds:
        assert "substantive" not in kinds and "correction" not in kinds


@given(words)
def test_whitespace_and_case_changes_are_minor(text: str) -> None:
    changed = "  ".join(text.upper().split(" "))
    assert classify(text, changed, "t", "t") in ((), ("minor",))


# ---------------------------------------------------------------------------------------
# flip-flops
# ---------------------------------------------------------------------------------------

A, B, C, D = ("h1", "Title A"), ("h1", "Title B"), ("h2", "Title A"), ("h3", "Title C")


@pytest.mark.parametrize(
    ("history", "flags"),
    [
        ([], []),
        ([A], [False]),
        ([A, B], [False, False]),
        ([A, B, A], [False, False, True]),
        ([A, B, A, B], [False, False, True, True]),  # A/B headline test
        ([A, C, A, C, A], [False, False, True, True, True]),  # text back and forth
        ([A, B, C, A], [False, False, False, False]),  # a single revert
        ([A, B, C, A, B, C], [False, False, False, False, True, True]),  # rotation
        ([A, B, A, C], [False, False, True, False]),  # then something new
        ([A, B, C, D, B], [False, False, False, False, False]),  # revert to B
        ([A, B, C, B], [False, False, False, True]),  # B C B
        ([A, B, B, A], [False, False, False, True]),  # a repeated state
        ([A, A, A], [False, False, False]),
    ],
)
def test_flip_flops(history: list[tuple[str, str]], flags: list[bool]) -> None:
    assert flip_flops(history) == flags


@given(st.lists(st.sampled_from([A, B, C, D]), max_size=12))
def test_flip_flops_flag_only_returns_to_seen_states(history: list[tuple[str, str]]) -> None:
    flags = flip_flops(history)
    assert len(flags) == len(history)
    for i, flag in enumerate(flags):
        if flag:
            assert history[i] != history[i - 1] and history[i] in history[: i - 1]


@given(st.data())
def test_a_text_with_a_note_is_never_skipped_by_the_quick_check(data: st.DataObject) -> None:
    """The notes' markers are searched for only in texts whose lower case holds one of
    the hints; every text a marker matches (in any case, any white space) holds one."""
    for marker in kinds._MARKERS:
        text = data.draw(st.from_regex(marker))
        assert marker.search(text) and kinds._may_hold_note(text), text

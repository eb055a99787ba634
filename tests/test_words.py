"""One tokenizer: the stored word count, the diff's figures, the classifier and the
sentence alignment count the same words (docs/architecture.md, "Words")."""

from __future__ import annotations

import pytest

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.changes.kinds import _folded
from newsarchive.diff.align import align_sentences
from newsarchive.diff.compare import diff_texts
from newsarchive.diff.facts import word_change_counts
from newsarchive.ingest.plaintext import parse_plaintext
from newsarchive.text.canonical import canonicalize
from newsarchive.text.words import count_words, fold, tokenize, word_re, words

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


def sample_texts() -> list[str]:
    texts = [canonicalize(parse_plaintext(p.read_text("utf-8"), origin=p.name).text)
             for p in sorted(EXAMPLES.glob("*.txt"))]
    texts.append("Putin's army lost 16,000 men, not 17,000; the U.S. said 3.5bn was "
                 "spent. 東京で会議。 Café au lait, naïve rôle.\n")
    return texts


def figures(tmp_path: Path, text: str) -> dict[str, int]:
    with newsarchive.open(tmp_path / "store") as archive:
        stored = archive.add(text, source="test", slug=f"t{abs(hash(text))}").revision.words
    return {
        "stored": stored,
        "count_words": count_words(text),
        "diff_from_nothing": diff_texts("", text).stats.words_added,
        "word_change_counts": word_change_counts("", text)[0] if text else 0,
        "classifier": len(_folded(words(text))),
        "alignment": align_sentences("", text).stats.words_new,
    }


def test_the_figures_agree_on_real_articles(tmp_path: Path) -> None:
    for text in sample_texts():
        got = figures(tmp_path, text)
        assert len(set(got.values())) == 1, got


def test_numbers_and_contractions_are_one_word() -> None:
    assert words("Putin's 16,000 troops, 3.5bn dollars") == [
        "Putin's", "16,000", "troops", "3.5bn", "dollars"]


@pytest.mark.slow
def test_every_index_token_lies_inside_one_word() -> None:
    text = " ".join(sample_texts())
    spans = [(m.start(), m.end()) for m in __import__("newsarchive.text.words", fromlist=["x"])
             .word_re().finditer(text)]
    for start, end, token in tokenize(text):
        inside = any(s <= start and end <= e for s, e in spans)
        # a run of CJK characters is one index token but a word a character
        covers = all(any(s <= i < e for s, e in spans) for i in range(start, end))
        assert inside or covers, (text[start:end], token)
        assert token == fold(text[start:end])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_count_words_is_the_number_of_words(text: str) -> None:
    assert count_words(text) == len(words(text))
    assert count_words(text + " " + text) == 2 * count_words(text)


_ASCII_WORDISH = st.text(alphabet=st.sampled_from("ab_Z09.,'\u2019 -\n\u00e9\u0301\u4e00"),
                         max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_ASCII_WORDISH, st.text(max_size=80)))
def test_words_are_what_the_word_pattern_finds(text: str) -> None:
    """Lines of ASCII alone are read by a pattern of ASCII classes: it finds the words
    the one pattern finds (numbers with separators, inner apostrophes, underscores)."""
    assert words(text) == word_re().findall(text)
    for line in text.split("\n"):
        assert words(line) == word_re().findall(line)


_SENTENCES = st.text(alphabet=st.sampled_from("ab Z09.,'\u2019!?\u2026\"\n\u00e9\u0301\u4e00\u3002"),
                     max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_SENTENCES, st.text(max_size=80)), st.one_of(_SENTENCES, st.text(max_size=80)))
def test_the_alignment_counts_the_words_of_both_texts(a: str, b: str) -> None:
    """A bulk add stores the word count the sentence alignment made of the new text
    (``words_new``) instead of counting again: it must be :func:`count_words` of each text,
    whatever their sentences and lines (no word crosses a sentence's end)."""
    stats = align_sentences(a, b).stats
    assert (stats.words_old, stats.words_new) == (count_words(a), count_words(b))

"""The diff engine: exactness at every granularity, bounded time, moves, stats, quick facts."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive.diff import engine as diffengine
from newsarchive.diff.compare import diff_texts, Diff
from newsarchive.diff.engine import GRANULARITIES, compute_ops, tokenize
from newsarchive.diff.facts import changed_passages, first_changed_sentence, word_change_counts
from newsarchive.errors import NewsArchiveError, UsageError

GEN_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_corpus.py"
try:
    import fast_diff_match_patch  # noqa: F401

    ENGINES: tuple[str, ...] = ("fast", "python")
except ImportError:   # the [fast] extra is optional
    ENGINES = ("python",)


def side_a(ops: Sequence[tuple[str, str]]) -> str:
    return "".join(t for op, t in ops if op != "insert")


def side_b(ops: Sequence[tuple[str, str]]) -> str:
    return "".join(t for op, t in ops if op != "delete")


def assert_exact(d: Diff, a: str, b: str) -> None:
    pairs = [(op.op, op.text) for op in d.ops]
    assert side_a(pairs) == a
    assert side_b(pairs) == b
    assert all(op.text for op in d.ops)
    for op in d.ops:
        if op.moved is not None:
            assert op.op in ("delete", "insert")
            move = d.moves[op.moved]
            assert op.text in (move.a_text if op.op == "delete" else move.text)
    for m in d.moves:   # a sentence moved unchanged, or edited on the way (its word diff)
        assert a[m.a_offset:m.a_offset + len(m.a_text)] == m.a_text
        assert b[m.b_offset:m.b_offset + len(m.text)] == m.text
        if m.old_text is not None:
            assert side_a(m.word_ops) == m.old_text and side_b(m.word_ops) == m.text


# -- text strategies: words, spaces, punctuation, line breaks, CJK, combining marks,
#    control characters and, above all, private-use characters (the engine's own codes)

PRIVATE = st.one_of(
    st.characters(min_codepoint=0xE000, max_codepoint=0xE010),
    st.characters(min_codepoint=0xF0000, max_codepoint=0xF0008),
    st.characters(min_codepoint=0x100000, max_codepoint=0x100008),
    st.sampled_from(["\uf8ff", "\U000ffffd", "\U0010fffd"]),
)
PIECES = st.sampled_from([
    "the", "cat", "sat", "on", "mat", " ", "  ", "\n", "\n\n", ".", "!", "?", ",", "'",
    "\u2019", "\u201d", ")", "Mr.", "U.S.", "\u6f22\u5b57", "\u3002", "e\u0301", "\t", "\x1b[31m",
    "A sentence that is long enough to move. ", "Another fairly long sentence here.\n\n",
])
TEXT = st.lists(st.one_of(PRIVATE, PIECES, st.characters()), max_size=40).map("".join)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts: often the second an edit of the first (the case diffs are for)."""
    a = draw(TEXT)
    if draw(st.booleans()):
        return a, draw(TEXT)
    b = a
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(b)))
        j = draw(st.integers(i, min(len(b), i + 12)))
        b = b[:i] + draw(TEXT) + b[j:]
    if draw(st.booleans()) and "." in b:   # move a chunk, as editors move sentences
        i = b.index(".") + 1
        b = b[i:] + b[:i]
    return a, b


# -- tokens -----------------------------------------------------------------------------------


@given(TEXT)
@settings(max_examples=300)
def test_tokens_concatenate_to_the_text_at_every_granularity(text: str) -> None:
    for by in GRANULARITIES:
        toks = tokenize(text, by)
        assert "".join(toks) == text
        assert all(toks)


@given(TEXT)
def test_sentences_have_no_surrounding_whitespace(text: str) -> None:
    for s, e in diffengine.sentence_spans(text):
        assert text[s:e] == text[s:e].strip() != ""
        assert "\n" not in text[s:e]


def test_word_and_sentence_tokens() -> None:
    assert tokenize("Putin's war, US-Russia", "word") == [
        "Putin's", " ", "war", ",", " ", "US", "-", "Russia"]
    assert tokenize("\u4eca\u65e5\u306f", "word") == ["\u4eca", "\u65e5", "\u306f"]
    text = "Mr. Smith met U.S. officials. \u201cNo,\u201d he said!\n\nHeading\n\nLast one."
    assert [text[s:e] for s, e in diffengine.sentence_spans(text)] == [
        "Mr. Smith met U.S. officials.", "\u201cNo,\u201d he said!", "Heading", "Last one."]


@pytest.mark.parametrize("bad", ["." * 50_000 + "x", ".)" * 25_000 + "x", " " * 50_000 + "x",
                                 "\n" + " " * 50_000, "Mr. " * 12_000],
                         ids=["dots", "dot-brackets", "spaces", "spaces-after-newline", "abbrevs"])
def test_sentence_splitting_is_exact_on_hostile_input(bad: str) -> None:
    assert "".join(tokenize(bad, "sentence")) == bad


def test_unknown_granularity_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        diff_texts("a", "b", by="paragraph")
    assert isinstance(err.value, NewsArchiveError)
    assert "word, sentence, line, char" in str(err.value)


# -- exactness ------------------------------------------------------------------------------


@pytest.mark.slow
@given(pairs())
@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_diff_is_exact_at_every_granularity(pair: tuple[str, str]) -> None:
    a, b = pair
    for by in GRANULARITIES:
        d = diff_texts(a, b, by=by)
        assert_exact(d, a, b)
        assert d.changed == (a != b)
        assert d.to_dict()["stats"] == d.stats.to_dict()


@given(pairs())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_both_engines_are_exact_without_the_safety_net(pair: tuple[str, str]) -> None:
    """``_attempt`` is the engine before compute_ops' final exactness check: test it bare."""
    a, b = pair
    for engine in ENGINES:
        for by in GRANULARITIES:
            for cleanup in (True, False):
                ops = diffengine._attempt(a, b, by, diffengine._Ctx(None, engine, cleanup))
                assert side_a(ops) == a and side_b(ops) == b, (engine, by, cleanup)


def test_text_made_of_the_engines_own_code_points_round_trips() -> None:
    a = "\ue000 \ue001. \U000f0000 \U00100000\n\n\ue000\ue000"
    b = "\ue001 \ue000. \U00100000 \U000f0000 \uf8ff\n\n\ue000"
    for by in GRANULARITIES:
        assert_exact(diff_texts(a, b, by=by), a, b)


def test_equal_texts() -> None:
    d = diff_texts("Same text.\n", "Same text.\n")
    assert [(op.op, op.text) for op in d.ops] == [("equal", "Same text.\n")]
    assert not d.changed
    assert diff_texts("", "").ops == []
    assert diff_texts("x", "x", title_a="A", title_b="B").changed


def test_more_distinct_words_than_the_basic_private_use_area() -> None:
    words = [f"w{i}" for i in range(7000)]
    a = " ".join(words) + ".\n"
    b = " ".join(words[:3000] + ["inserted"] + words[3000:]) + ".\n"
    d = diff_texts(a, b, timeout=0)
    assert d.by == "word"
    assert_exact(d, a, b)
    assert [(op.op, op.text) for op in d.ops if op.op != "equal"] == [("insert", "inserted ")]
    assert diffengine._code(6400) == "\U000f0000"


@pytest.mark.slow
def test_more_distinct_tokens_than_code_points_falls_back_coarser() -> None:
    n = diffengine.MAX_TOKENS + 10
    words = [f"{i:x}" for i in range(n)]
    a = " ".join(words) + "\n\nTail.\n"
    b = " ".join(words[1:]) + "\n\nTail!\n"
    d = diff_texts(a, b, timeout=0)
    assert d.by != "word"
    assert_exact(d, a, b)


def random_text(seed: int, size: int) -> str:
    rng = random.Random(seed)
    vocab = [rng.choice("bcdfghjklmnpqrstvwz") + rng.choice("aeiou") + rng.choice("nrst")
             for _ in range(3000)] + ["the", "of", "and", "to", "a", "in"] * 50
    out, n = [], 0
    while n < size:
        sentence = " ".join(rng.choice(vocab) for _ in range(rng.randrange(6, 25)))
        out.append(sentence.capitalize() + (".\n\n" if rng.random() < 0.2 else ". "))
        n += len(out[-1])
    return "".join(out)[:size]


def test_two_unrelated_100kb_texts_stay_within_the_work_budget() -> None:
    """Bounded in work, not time: the requested granularity would exceed the budget, so
    the diff is made at a coarser one, and stays exact."""
    a, b = random_text(1, 100_000), random_text(2, 100_000)
    d = diff_texts(a, b)
    assert_exact(d, a, b)
    assert d.by != "word"


def test_deadline_falls_back_to_a_coarser_granularity_and_stays_exact() -> None:
    a, b = random_text(3, 60_000), random_text(4, 60_000)
    ops, used = compute_ops(a, b, "char", timeout=0.01)
    assert used != "char"
    assert side_a(ops) == a and side_b(ops) == b
    ops, used = compute_ops(a[:1000], b[:1000], "char", timeout=0)   # no deadline
    assert used == "char"
    assert side_a(ops) == a[:1000] and side_b(ops) == b[:1000]


# -- what a diff shows ------------------------------------------------------------------------

A = ("The quick brown fox jumps over the lazy dog. It was a sunny day in the park.\n\n"
     "Second paragraph is here. And another sentence follows it.\n\nThird.\n\nFourth.\n\n"
     "Fifth.\n")
B = ("The slow red fox jumps over the lazy dog. It was a sunny day in the park.\n\n"
     "And another sentence follows it. Second paragraph is here.\n\nA new paragraph.\n\n"
     "Third.\n\nFifth.\n")


def changes(d: Diff) -> list[tuple[str, str, int | None]]:
    return [(op.op, op.text, op.moved) for op in d.ops if op.op != "equal"]


def test_word_diff_of_an_edited_article() -> None:
    d = diff_texts(A, B, title_a="Old", title_b="New", label_a="x@1", label_b="x@2")
    assert_exact(d, A, B)
    assert changes(d) == [
        ("delete", "quick brown", None), ("insert", "slow red", None),
        ("delete", "Second paragraph is here.", 0), ("delete", " ", None),
        ("insert", " ", None), ("insert", "Second paragraph is here.", 0),
        ("insert", "\n\nA new paragraph.", None),
        ("delete", "Fourth.\n\n", None),
    ]
    assert len(d.moves) == 1
    assert d.moves[0].text == "Second paragraph is here."
    assert (d.moves[0].a_offset, d.moves[0].b_offset) == (A.index("Second"), B.index("Second"))
    s = d.stats
    # "slow red" and "A new paragraph" in, "quick brown" and "Fourth" out: the moved
    # sentence's words are not changed words
    assert (s.words_added, s.words_removed) == (5, 3)
    assert (s.sentences_added, s.sentences_removed, s.sentences_edited) == (1, 1, 1)
    assert s.sentences_moved == 1 and s.title_changed
    assert 0 < s.changed_share < 1
    assert (d.a, d.b, d.title_a, d.title_b, d.by) == ("x@1", "x@2", "Old", "New", "word")


def test_sentence_and_line_diffs_keep_whole_units() -> None:
    d = diff_texts(A, B, by="sentence")
    assert ("delete", "The quick brown fox jumps over the lazy dog.", None) in changes(d)
    assert d.moves and d.moves[0].text == "Second paragraph is here."
    d = diff_texts(A, B, by="line")
    assert_exact(d, A, B)
    pos = {"delete": 0, "insert": 0}
    for op in d.ops:   # every change starts and ends at a line boundary
        for side, text in (("delete", A), ("insert", B)):
            if op.op in ("equal", side):
                start, pos[side] = pos[side], pos[side] + len(op.text)
                if op.op == side:
                    assert start == 0 or text[start - 1] == "\n" or op.text[0] == "\n"
                    end = pos[side]
                    assert end == len(text) or text[end] == "\n" or op.text[-1] == "\n"
    assert ("delete", "Fourth.\n\n", None) in changes(d)
    assert not d.moves   # at line granularity only whole lines move


def test_char_diff_marks_characters() -> None:
    d = diff_texts("colour and flavour\n", "color and flavor\n", by="char")
    assert changes(d) == [("delete", "u", None), ("delete", "u", None)]
    # the figures come from the sentence alignment, whatever the granularity: a sentence of
    # three words with two rewritten is one removed and one added
    assert (d.stats.words_added, d.stats.words_removed) == (3, 3)
    d = diff_texts("The colour and the flavour of it.\n", "The color and the flavour of it.\n",
                   by="char")
    assert (d.stats.words_added, d.stats.words_removed) == (1, 1)


def test_a_paragraph_moved_to_the_end_is_a_move_at_every_granularity() -> None:
    a = "Alpha paragraph is long enough.\n\nBeta is here too, long enough.\n\nGamma the last.\n"
    b = "Beta is here too, long enough.\n\nGamma the last.\n\nAlpha paragraph is long enough.\n"
    for by in GRANULARITIES:
        d = diff_texts(a, b, by=by)
        assert_exact(d, a, b)
        assert [m.text for m in d.moves] == ["Alpha paragraph is long enough."], by
        assert d.stats.sentences_added == d.stats.sentences_removed == 0


def test_a_sentence_rewritten_in_place_is_not_a_move() -> None:
    a = "One sentence stays the same here. Two: this one changes a lot today.\n"
    b = "One sentence stays the same here. Two: this one was rewritten entirely.\n"
    for by in GRANULARITIES:
        assert diff_texts(a, b, by=by).moves == []


def test_short_sentences_do_not_count_as_moves() -> None:
    d = diff_texts("Yes. Long enough sentence to matter here.\n",
                   "Long enough sentence to matter here. Yes.\n")
    assert [m.text for m in d.moves] in ([], ["Long enough sentence to matter here."])


def test_json_round_trip_keeps_the_invariant() -> None:
    d = diff_texts(A, B, title_a="Old", title_b="New", label_a="x@1", label_b="x@2")
    data = json.loads(d.to_json())
    assert set(data) == {"a", "b", "title", "captured", "by", "ops", "moves", "sentences",
                         "stats"}
    assert data["title"] == {"a": "Old", "b": "New"}
    assert "".join(o["text"] for o in data["ops"] if o["op"] != "insert") == A
    assert "".join(o["text"] for o in data["ops"] if o["op"] != "delete") == B
    assert all(set(o) <= {"op", "text", "moved"} for o in data["ops"])
    assert [o["moved"] for o in data["ops"] if "moved" in o] == [0, 0]
    assert data["moves"] == [{"text": "Second paragraph is here.",
                              "a_offset": A.index("Second"), "b_offset": B.index("Second")}]
    assert data["stats"]["words_added"] == 5 and data["stats"]["title_changed"] is True
    assert {s["action"] for s in data["sentences"]} == {"unchanged", "edited", "moved", "added",
                                                         "removed"}
    assert all(set(s) >= {"action", "old", "new", "old_index", "new_index", "word_ops"}
               for s in data["sentences"])
    assert json.loads(d.to_json(indent=2)) == data


# -- quick facts for add / log / search -----------------------------------------------------


def test_word_change_counts() -> None:
    assert word_change_counts("The quick brown fox.", "The slow brown fox.") == (1, 1)
    # shown as one replacement, "[-reaffirmed his commitment-]{+renewed his pledge+}",
    # but "his" was neither taken out nor put in
    a = "Putin has reaffirmed his commitment to war.\n"
    b = "Putin has renewed his pledge to war.\n"
    assert word_change_counts(a, b) == (2, 2)
    for by in GRANULARITIES:
        assert (diff_texts(a, b, by=by).stats.words_added,
                diff_texts(a, b, by=by).stats.words_removed) == (2, 2), by
    assert word_change_counts("Same.", "Same.") == (0, 0)
    assert word_change_counts("", "Three new words") == (3, 0)
    assert word_change_counts("a, b", "a; b") == (0, 0)   # punctuation is not a word
    assert word_change_counts(A, B) == (5, 3)   # the moved sentence's words are not counted


def test_changed_passages() -> None:
    removed, added = changed_passages(A, B)
    assert removed == ["quick brown", "Fourth."]
    assert added == ["slow red", "A new paragraph."]   # the moved sentence is neither
    assert changed_passages("x", "x") == ([], [])
    assert changed_passages("Keep. Drop\n  this please.", "Keep.") == (
        ["Drop this please."], [])


def test_first_changed_sentence() -> None:
    assert first_changed_sentence(A, B) == (
        "The slow red fox jumps over the lazy dog.")
    assert first_changed_sentence("Same.", "Same.") is None
    # only a whole sentence removed: the sentence as it was
    assert first_changed_sentence("One. Two is gone. Three.", "One. Three.") == "Two is gone."
    # words removed inside a sentence: the sentence as it now reads
    assert first_changed_sentence("One. Two is not gone. Three.",
                                  "One. Two is gone. Three.") == "Two is gone."
    # a spacing change comes second to a change of words
    assert first_changed_sentence("One.  Two. Three.", "One. Two. Three!") == "Three!"
    # a moved sentence when nothing else changed; when only the spacing between sentences
    # or paragraphs did, the sentence where the texts first differ
    assert first_changed_sentence("One. Two. Three.", "Two. Three. One.") == "One."
    assert first_changed_sentence("One. Two.\n\nThree.", "One.  Two.\n\n\nThree.\n") == "Two."


@given(pairs())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_the_first_changed_sentence_is_one_the_edit_touched(pair: tuple[str, str]) -> None:
    """None only for equal texts (or texts without a sentence); otherwise sentences of
    either text, whole: what ``changes`` prints under each change."""
    a, b = pair
    first = first_changed_sentence(a, b)
    if a == b or not (a.strip() or b.strip()):
        assert first is None
        return
    assert first is not None and first == first.strip()
    assert all(s in a or s in b for s in first.split(" ") if s)


# -- real revision pairs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_pairs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    if not GEN_CORPUS.exists():
        pytest.skip(f"{GEN_CORPUS} not found")
    from benchmarks.bench_diff import corpus_pairs as read_pairs  # one corpus reader for both

    result = read_pairs(GEN_CORPUS, 40, 1, tmp_path_factory.mktemp("corpus"))
    assert len(result) > 20
    return result


@pytest.mark.slow
def test_real_revision_pairs_are_exact(corpus_pairs: list[tuple[str, str]]) -> None:
    for a, b in corpus_pairs:
        for by in GRANULARITIES:
            d = diff_texts(a, b, by=by)
            assert_exact(d, a, b)
            assert d.by == by and d.changed
        stats = diff_texts(a, b).stats
        assert word_change_counts(a, b) == (stats.words_added, stats.words_removed)
        # no sentence to show only when the edit changed nothing but spacing
        assert first_changed_sentence(a, b) is not None or a.split() == b.split()
        removed, added = changed_passages(a, b)
        assert all(p.strip() == p and any(c.isalnum() for c in p) for p in removed + added)


def test_both_engines_agree_on_real_pairs(corpus_pairs: list[tuple[str, str]]) -> None:
    pytest.importorskip("fast_diff_match_patch")
    for a, b in corpus_pairs[:15]:
        fast, _ = compute_ops(a, b, "word", timeout=0, engine="fast")
        slow, _ = compute_ops(a, b, "word", timeout=0, engine="python")
        assert side_a(fast) == side_a(slow) == a and side_b(fast) == side_b(slow) == b
        changed = sum(len(t) for op, t in fast if op != "equal")
        assert abs(changed - sum(len(t) for op, t in slow if op != "equal")) <= 0.2 * changed + 5


def test_emoji_sequences_change_whole() -> None:
    """A family, a skin tone, a flag: marked whole, never a lone joiner or modifier."""
    d = diff_texts("Hi 👨‍👩‍👧‍👦 and 👍🏽 and 🏳️‍🌈 and 🇺🇸.\n",
                   "Hi 👨‍👩‍👧 and 👍🏻 and 🏳️‍⚧️ and 🇬🇧.\n")
    assert d.to_text() == ("Hi [-👨‍👩‍👧‍👦-]{+👨‍👩‍👧+} and [-👍🏽-]{+👍🏻+} and "
                           "[-🏳️‍🌈-]{+🏳️‍⚧️+} and [-🇺🇸-]{+🇬🇧+}.\n")


def test_the_optional_engine_is_looked_for_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python does not remember a failed import: trying ``fast_diff_match_patch`` on every
    diff searched sys.path each time (half of ``changes --limit 20``)."""
    import sys

    looked: list[str] = []

    class Finder:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "fast_diff_match_patch":
                looked.append(name)
            return None

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    getattr(diffengine._fast_dmp, "cache_clear", lambda: None)()
    try:
        for i in range(5):
            diffengine.run_dmp(f"one two three {i}", f"one two four {i}", 0, None)
    finally:
        getattr(diffengine._fast_dmp, "cache_clear", lambda: None)()
    assert len(looked) <= 1

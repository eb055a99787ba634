"""The query language: safe translation to FTS5, its meaning, and snippets."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsarchive.errors import QueryError
from newsarchive.search.fts import query_terms, to_fts5
from newsarchive.search.parse import MAX_DEPTH
from newsarchive.search.snippet import _find_matches, make_snippet
from newsarchive.text.words import tokenize

TOKENIZE = "unicode61 remove_diacritics 2"


def fts_table(docs: dict[int, tuple[str, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='{TOKENIZE}')")
    db.executemany(
        "INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)",
        [(rowid, title, body) for rowid, (title, body) in docs.items()],
    )
    return db


def run(db: sqlite3.Connection, expr: str) -> set[int]:
    return {row[0] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,))}


def search(db: sqlite3.Connection, query: str) -> set[int]:
    return run(db, to_fts5(query))


# ---------------------------------------------------------------------------------------
# Safety: any text either is a QueryError or runs
# ---------------------------------------------------------------------------------------

EMPTY_DB = fts_table({1: ("a title", "some body text with über and Putin's e-mail")})

FRAGMENTS = [
    "a",
    "b",
    "Putin's",
    "über",
    "C++",
    "100%",
    "e-mail",
    "U.S.",
    "x*",
    "*",
    "**",
    "++",
    "OR",
    "AND",
    "NOT",
    "NEAR",
    "or",
    "not",
    "(",
    ")",
    '"',
    "\u201c",
    "\u201d",
    "'",
    ":",
    "^",
    "-",
    "+",
    "{",
    "}",
    "title:",
    "NEAR(",
    ",",
    "\x00",
    "\ud800",
    "\u0301",
    "\t",
    "\n",
    "NOT(",
    "OR)",
    '""',
    '"*',
    '*"',
    "\U0001f600",
    "\ue000",
    "\u0378",
]

query_like = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(["", " ", "  "])), max_size=14
).map(lambda parts: "".join(frag + sep for frag, sep in parts))


def _check_safe(query: str) -> None:
    try:
        expr = to_fts5(query)
    except QueryError as err:
        assert err.query == query
        assert err.reason and "\n" not in err.reason
        return
    run(EMPTY_DB, expr)  # must not raise sqlite3.OperationalError


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("\x00")
@example('"a\x00b"')
@example("a\ud800b")
@example("NEAR(a b)")
@example("title:a")
@example("^a")
@example("-a")
@example("a + b")
@example("{title body}: a")
def test_any_text_is_an_error_or_a_valid_fts5_query(query: str) -> None:
    _check_safe(query)


@pytest.mark.slow
@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(query_like)
def test_any_mix_of_syntax_is_an_error_or_a_valid_fts5_query(query: str) -> None:
    _check_safe(query)


def _nest(shape: str, depth: int) -> str:
    query = "{}"
    for _ in range(depth):
        query = query.format("(" + shape + ")")
    return query.format("e")


def _shapes() -> Iterator[str]:
    """Every group of up to 3 items, each an OR of up to 3 units, with a hole."""
    for n_items in (1, 2, 3):
        for sizes in itertools.product((1, 2, 3), repeat=n_items):
            for hole in range(sum(sizes)):
                for negs in itertools.product((False, True), repeat=n_items):
                    if all(negs):
                        continue
                    k, items = 0, []
                    for size, neg in zip(sizes, negs, strict=True):
                        units = []
                        for _ in range(size):
                            units.append("{}" if k == hole else "a")
                            k += 1
                        items.append(("NOT " if neg else "") + " OR ".join(units))
                    yield " ".join(items)


@pytest.mark.slow
def test_nesting_up_to_the_limit_runs_in_fts5() -> None:
    for shape in _shapes():
        run(EMPTY_DB, to_fts5(_nest(shape, MAX_DEPTH)))


def test_nesting_beyond_the_limit_is_an_error() -> None:
    with pytest.raises(QueryError, match="nested"):
        to_fts5("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))


def test_long_flat_queries_run() -> None:
    run(EMPTY_DB, to_fts5(" ".join(["word"] * 3000)))
    run(EMPTY_DB, to_fts5(" OR ".join(["word"] * 3000)))
    run(EMPTY_DB, to_fts5("a " + " ".join(["NOT word"] * 3000)))


# ---------------------------------------------------------------------------------------
# Meaning: examples against a small real table
# ---------------------------------------------------------------------------------------

DOCS = {
    1: ("Putin's war", "Vladimir Putin's troops entered the city on Monday."),
    2: ("Über alles", "The uber-rich fled; the election was postponed."),
    3: ("Election day", "Voters went to the polls in the U.S. election."),
    4: ("A C++ story", "The compiler was 100% written in C++ by one engineer."),
    5: ("E-mail leak", "An e-mail from the minister was leaked to the press."),
    6: ("Electorate", "The electorate is tired of the war, the minister said."),
    7: ("Or not", "To be or not to be, said nobody in parliament."),
    8: ("Cats and dogs", "Cats chase mice; dogs chase cats; nobody chases dogs."),
}
DB = fts_table(DOCS)

EXAMPLES = [
    # words are ANDed, case-insensitive
    ("putin", {1}),
    ("war", {1, 6}),
    ("minister war", {6}),
    ("WAR Minister", {6}),
    # apostrophes, accents, symbols: searched, not errors
    ("Putin's", {1}),
    ("putins", set()),
    ("über", {2}),
    ("uber", {2}),
    ("ÜBER-RICH", {2}),
    ("C++", {4}),
    ("100%", {4}),
    ("e-mail", {5}),
    ("U.S.", {3}),
    # phrases
    ('"the election"', {2}),
    ('"election the"', set()),
    ('"e-mail from the minister"', {5}),
    ("\u201cthe minister said\u201d", {6}),
    ('"to be or not to be"', {7}),
    # OR, AND, NOT
    ("putin OR compiler", {1, 4}),
    ("putin AND troops", {1}),
    ("war NOT putin", {6}),
    ("NOT putin war", {6}),
    ("minister NOT war", {5}),
    ("election NOT voters NOT postponed", set()),
    ("election NOT voters", {2}),
    ("cats NOT mice OR war", set()),
    ("cats NOT war OR putin", {8}),
    # OR binds tighter than AND
    ("minister leaked OR tired", {5, 6}),
    ("war minister OR putin", {1, 6}),
    # parentheses
    ("(putin OR compiler) (troops OR engineer)", {1, 4}),
    ("(war minister) OR (c++ compiler)", {4, 6}),
    ("election (NOT postponed day)", {3}),
    ("election (NOT voters day)", set()),
    ("election NOT (voters OR postponed)", set()),
    ("((putin))", {1}),
    # prefixes
    ("elect*", {2, 3, 6}),
    ("electo*", {6}),
    ('"the elect"*', {2, 6}),
    ("e-ma*", {5}),
    # lowercase operators are words
    ("or not", {7}),
    ("be or not", {7}),
    ("cats and dogs", {8}),
    # punctuation-only words are dropped
    ("putin ++", {1}),
    ("putin OR ++", {1}),
    ("putin NOT --", {1}),
]


@pytest.mark.parametrize(("query", "expected"), EXAMPLES)
def test_query_matches(query: str, expected: set[int]) -> None:
    assert search(DB, query) == expected


ERRORS = [
    ("", "no words"),
    ("   ", "no words"),
    ("++ -- **", "no words"),
    ('""', "no words"),
    ("()", "empty parentheses"),
    ("NOT putin", "at least one word to match"),
    ("NOT putin NOT war", "at least one word to match"),
    ("war (NOT putin)", "at least one word to match"),
    ("++ NOT putin", "at least one word to match"),
    ('"putin', "never closed"),
    ('putin "war" "', "never closed"),
    ("\u201cputin", "never closed"),
    ("(putin", "'(' is never closed"),
    ("((putin) war", "'(' is never closed"),
    ("putin)", "no matching '('"),
    (")putin(", "no matching '('"),
    ("OR putin", "OR needs a word before it"),
    ("putin OR", "OR needs a word after it"),
    ("putin OR OR war", "OR needs a word after it"),
    ("(OR putin)", "OR needs a word before it"),
    ("(putin OR) war", "OR needs a word after it"),
    ("putin OR NOT war", "OR NOT"),
    ("putin NOT", "NOT needs a word after it"),
    ("putin NOT OR war", "NOT needs a word after it"),
    ("NOT NOT putin", "NOT NOT"),
    ("putin NOT NOT war", "NOT NOT"),
    ("AND putin", "AND needs a word before it"),
    ("putin AND", "AND needs a word after it"),
    ("putin AND OR war", "AND needs a word after it"),
]


@pytest.mark.parametrize(("query", "reason"), ERRORS)
def test_malformed_queries_are_errors(query: str, reason: str) -> None:
    with pytest.raises(QueryError) as info:
        to_fts5(query)
    assert reason in info.value.reason
    assert info.value.query == query
    assert "\n" not in str(info.value)


def test_query_error_is_a_usage_error_exit_2() -> None:
    with pytest.raises(QueryError) as info:
        to_fts5("(")
    assert info.value.exit_code == 2


def test_user_text_is_always_quoted() -> None:
    assert to_fts5("putin") == '"putin"'
    assert to_fts5("NEAR(a b)") == '"NEAR" AND "a" AND "b"'
    assert to_fts5("title:war") == '"title:war"'
    assert to_fts5("a*b") == '"a*b"'
    assert to_fts5("elect*") == '"elect"*'


# A reference semantics: random query trees, rendered to the language and evaluated in
# Python over every combination of four words, must agree with FTS5.

WORDS = ["alpha", "beta", "gamma", "delta"]
SEM_DOCS = {
    i + 1: ("", " ".join(w for j, w in enumerate(WORDS) if i >> j & 1))
    for i in range(2 ** len(WORDS))
}
SEM_DB = fts_table(SEM_DOCS)

Pred = Callable[[set[str]], bool]
Node = tuple[str, Pred]


def _has(word: str) -> Pred:
    return lambda doc: word in doc


TERMS: list[Node] = [(w, _has(w)) for w in WORDS] + [
    ("GAMMA", _has("gamma")),
    ("gam*", _has("gamma")),
    ("'alpha'", _has("alpha")),
]


def _alt(units: list[Node]) -> Node:
    text = " OR ".join(t for t, _ in units)
    preds = [p for _, p in units]
    return text, lambda doc: any(p(doc) for p in preds)


def _group(items: list[tuple[bool, Node]]) -> Node:
    if all(neg for neg, _ in items):
        items = [(False, items[0][1]), *items[1:]]
    text = " ".join(("NOT " if neg else "") + t for neg, (t, _) in items)
    pos = [p for neg, (_, p) in items if not neg]
    neg = [p for n, (_, p) in items if n]
    return text, lambda doc: all(p(doc) for p in pos) and not any(p(doc) for p in neg)


def _paren(node: Node) -> Node:
    return "(" + node[0] + ")", node[1]


def _groups(units: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    alts = st.lists(units, min_size=1, max_size=3).map(_alt)
    return st.lists(st.tuples(st.booleans(), alts), min_size=1, max_size=4).map(_group)


trees = _groups(st.recursive(st.sampled_from(TERMS), lambda u: _groups(u).map(_paren)))


@pytest.mark.slow
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_fts5_agrees_with_the_reference_semantics(tree: Node) -> None:
    text, pred = tree
    expected = {rowid for rowid, (_, body) in SEM_DOCS.items() if pred(set(body.split()))}
    assert search(SEM_DB, text) == expected, (text, to_fts5(text))


# ---------------------------------------------------------------------------------------
# query_terms
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("putin war", ["putin", "war"]),
        ('"exact  phrase" OR other', ["exact phrase", "other"]),
        ("elect* NOT putin", ["elect*"]),
        ("a NOT (b OR c) (d NOT e)", ["a", "d"]),
        ("Putin's C++ ++ 100%", ["Putin's", "C++", "100%"]),
        ("war war WAR", ["war", "WAR"]),
        ('"the elect"*', ["the elect*"]),
    ],
)
def test_query_terms(query: str, terms: list[str]) -> None:
    assert query_terms(query) == terms


def test_query_terms_raises_like_to_fts5() -> None:
    with pytest.raises(QueryError):
        query_terms("NOT a")


# ---------------------------------------------------------------------------------------
# The Python tokenizer agrees with FTS5's unicode61
# ---------------------------------------------------------------------------------------

TOKEN_SAMPLES = [
    "Putin's war, the U.S. e-mail (100%) C++",
    "Über straße Ærø café naïve São Paulo Zürich",
    "Ελληνικά κείμενα ΣΟΦΙΑ Москва ПУТИН",
    "北京 日本語のテキスト 한국어",
    "a\u0301b cafe\u0301 \u0301x",
    "x_y snake_case 3.14 1,000 -5 #tag @user",
    "\u201cquoted\u201d \u2018single\u2019 don\u2019t",
    "tabs\tand\nnewlines\r\nand  spaces",
    "İstanbul ΟΔΟΣ οδός ǅemal ﬁne ß ẞ",
]


@pytest.mark.parametrize("text", TOKEN_SAMPLES)
def test_tokenize_agrees_with_fts5(text: str) -> None:
    db = fts_table({1: ("", text)})
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
    theirs = [term for (term,) in db.execute("SELECT term FROM v ORDER BY offset")]
    assert [tok for _, _, tok in tokenize(text)] == theirs


# ---------------------------------------------------------------------------------------
# make_snippet
# ---------------------------------------------------------------------------------------


def test_snippet_marks_words_case_and_accent_insensitively() -> None:
    assert make_snippet("Das Über-Ich und der Uber", ["uber"]) == "Das [Über]-Ich und der [Uber]"
    assert make_snippet("PUTIN'S war", ["putin's"]) == "[PUTIN'S] war"
    assert make_snippet("cafe\u0301 culture", ["cafe"]) == "[cafe\u0301] culture"


def test_snippet_matches_whole_words_only() -> None:
    assert make_snippet("to concatenate a cat", ["cat"]) == "to concatenate a [cat]"


def test_snippet_marks_phrases_as_a_whole_and_prefixes_by_word() -> None:
    text = "The electorate voted in the election; the exact  phrase was used."
    assert make_snippet(text, ["exact phrase"]) == (
        "The electorate voted in the election; the [exact phrase] was used."
    )
    assert make_snippet(text, ["elect*"]) == (
        "The [electorate] voted in the [election]; the exact phrase was used."
    )
    assert make_snippet("e-mail and email", ["e-mail"]) == "[e-mail] and email"


def test_snippet_custom_markers() -> None:
    bold, off = "\x1b[1m", "\x1b[0m"
    assert make_snippet("a war story", ["war"], before=bold, after=off) == f"a {bold}war{off} story"


def test_snippet_cuts_long_text_at_word_boundaries() -> None:
    text = (
        " ".join(f"word{i}" for i in range(200))
        + " needle "
        + " ".join(f"tail{i}" for i in range(200))
    )
    snippet = make_snippet(text, ["needle"], width=80)
    assert snippet.startswith("\u2026") and snippet.endswith("\u2026")
    assert "[needle]" in snippet
    body = snippet.strip("\u2026").replace("[", "").replace("]", "")
    assert len(body) <= 80
    assert body in text
    assert body.split()[0].startswith("word") and body.split()[-1].startswith("tail")


def test_snippet_prefers_the_passage_with_most_terms() -> None:
    text = "putin " + "filler " * 60 + "putin met zelensky " + "filler " * 60
    snippet = make_snippet(text, ["putin", "zelensky"], width=60)
    assert "[putin] met [zelensky]" in snippet


def test_snippet_without_match_is_the_start_of_the_text() -> None:
    text = "  First words of the text.\n\nSecond paragraph " + "more " * 100
    assert make_snippet(text, ["absent"], width=30) == "First words of the text.\u2026"
    assert make_snippet(text, [], width=30) == "First words of the text.\u2026"


def test_snippet_collapses_whitespace_and_handles_edges() -> None:
    assert make_snippet("a\n\nwar\tstory\n", ["war"]) == "a [war] story"
    assert make_snippet("", ["war"]) == ""
    assert make_snippet("war", ["war"]) == "[war]"
    assert make_snippet("short text", ["++"]) == "short text"


@settings(max_examples=300)
@given(
    st.text(alphabet=st.characters(blacklist_characters="\x01\x02\u2026")),
    st.lists(st.text(min_size=1, max_size=8), max_size=3),
    st.integers(min_value=1, max_value=200),
)
def test_snippet_is_a_marked_passage_of_the_text(text: str, terms: list[str], width: int) -> None:
    snippet = make_snippet(text, terms, before="\x01", after="\x02", width=width)
    plain = snippet.replace("\x01", "").replace("\x02", "")
    assert plain.strip("\u2026") in " ".join(text.split())
    assert snippet.count("\x01") == snippet.count("\x02")


def _reference_matches(text: str, terms: list[str]) -> list[tuple[int, int, int]]:
    """Matches found on the tokens of the text, as FTS5 sees them."""
    tokens = tokenize(text)
    out = []
    idx = 0
    for term in terms:
        words = [w for _, _, w in tokenize(term)]
        if not words:
            continue
        prefix = term.endswith("*")
        k = len(words)
        for i in range(len(tokens) - k + 1):
            got = [w for _, _, w in tokens[i : i + k]]
            if got[:-1] == words[:-1] and (
                got[-1].startswith(words[-1]) if prefix else got[-1] == words[-1]
            ):
                out.append((tokens[i][0], tokens[i + k - 1][1], idx))
        idx += 1
    return sorted(out)


snippet_text = st.text(alphabet=st.sampled_from(list("aAbü Ü-'\u0301\u0305_.,\n9\ue000İΣς")))


@settings(max_examples=500)
@given(snippet_text, st.lists(st.text(alphabet="abuü9 -*", min_size=1, max_size=4), max_size=3))
def test_snippet_matching_agrees_with_tokens(text: str, terms: list[str]) -> None:
    assert _find_matches(text, terms) == _reference_matches(text, terms)

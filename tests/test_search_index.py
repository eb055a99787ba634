"""The paragraph index and the hybrid evaluation of search (issue 19), and the kept counts.

A generated store of a few hundred articles: every paragraph holds the word ``every``
(so it is far over any small cap), a few articles hold rare words. Searching with a
small ``cap`` takes the hybrid paths (common terms checked, not scored); ``cap`` at a
billion is the exhaustive evaluation, every term scored. A brute force over the texts
is the reference of what matches.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.search import edits, evaluate
from newsarchive.search.evaluate import Evaluation, query_tree
from newsarchive.search.hits import Hit, search
from newsarchive.search.parse import Group, Parser, Term
from newsarchive.search.scratch import Scratch
from newsarchive.store import counters
from newsarchive.store.catalog import SCHEMA_VERSION
from newsarchive.store.search_index import SearchIndex, pack_ids, paragraphs, unpack_ids
from newsarchive.text.words import tokenize
from tests.conftest import CliRun

EXHAUSTIVE = 10**9
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]
RARE = ["zephyr", "quokka", "xylem"]
SOURCES = ["north", "south", "east"]
N_ARTICLES = 240


def _paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
    words.insert(rng.randrange(len(words) + 1), "every")
    return " ".join(words).capitalize() + "."


def _corpus() -> Iterator[dict[str, str]]:
    """Articles with 1 to 3 revisions, each capture at its own time."""
    rng = random.Random(19)
    minute = 0
    for i in range(N_ARTICLES):
        paras = [_paragraph(rng) for _ in range(rng.randint(2, 5))]
        if i % 37 == 5:
            paras[-1] += f" {RARE[0]} alpha"
        if i % 53 == 7:
            paras[0] = f"{RARE[1]} " * (1 + i % 3) + paras[0]
        source = SOURCES[i % len(SOURCES)]
        date = f"2024-0{1 + i % 9}-{10 + i % 19:02d}"
        title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
        if i % 41 == 3:
            title += f" {RARE[0]}"
        for rev in range(1 + i % 3):
            minute += 1
            if rev:  # an edit: one paragraph rewritten, or one added
                if rng.random() < 0.5:
                    paras[rng.randrange(len(paras))] = _paragraph(rng)
                else:
                    paras.append(_paragraph(rng))
                if i % 29 == 1 and rev == 1:
                    paras[-1] += f" {RARE[2]}"
            yield {"text": "\n\n".join(paras), "title": title, "source": source,
                   "date": date, "slug": f"article-{i}",
                   "captured_at": f"2024-10-{1 + minute // 1440:02d}T"
                                  f"{minute // 60 % 24:02d}:{minute % 60:02d}:00Z"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[newsarchive.Archive]:
    path = tmp_path_factory.mktemp("hybrid") / "store"
    arch = newsarchive.open(path)
    for item in _corpus():
        arch.add(item.pop("text"), **item)
    yield arch
    arch.close()


def _refs(hits: list[Hit]) -> list[str]:
    return [h.ref for h in hits]


def _revisions(arch: newsarchive.Archive, latest: bool) -> list[tuple[newsarchive.Revision, str]]:
    out = []
    for article in arch.articles():
        revs = arch.log(article.id)
        for rev in revs[:1] if latest else revs:
            out.append((rev, arch.text_of(rev.hash)))
    return out


# -- a word in every article --------------------------------------------------------------
@pytest.mark.slow
def test_a_word_in_every_article_is_checked_and_ranked_newest_first(
        archive: newsarchive.Archive) -> None:
    exhaustive = search(archive.store, "every", limit=10**6, cap=EXHAUSTIVE)
    assert len(exhaustive) == N_ARTICLES
    newest = sorted(exhaustive, key=lambda h: (h.captured_at, h.id), reverse=True)
    hybrid = search(archive.store, "every", cap=50)
    assert _refs(hybrid) == _refs(newest[:20])
    assert all(h.score == 0.0 for h in hybrid)
    assert {h.ref for h in search(archive.store, "every", limit=10**6, cap=50)} == \
        {h.ref for h in exhaustive}
    cat = archive.store.catalog()
    evaluation = Evaluation(SearchIndex(cat.conn), query_tree("every"), cap=50)
    assert len(evaluation.run(20)) == 20 and evaluation.path == "newest"
    evaluation = Evaluation(SearchIndex(cat.conn), query_tree("every"), cap=EXHAUSTIVE)
    assert len(evaluation.run(20)) == 20 and evaluation.path == "exact"


@pytest.mark.parametrize("filters", [
    {"sources": ["north"]}, {"since": "2024-03-01", "until": "2024-06-30"},
    {"sources": ["south", "east"], "since": "2024-05-01"}, {"all_revisions": True},
    {"all_revisions": True, "sources": ["east"], "until": "2024-04-30"},
    {"all_revisions": True, "since": "2024-02-01", "until": "2024-03-31"},
])
@pytest.mark.parametrize("narrow", [0, 10**9])
def test_filters_on_the_hybrid_path_give_the_exhaustive_set(
        archive: newsarchive.Archive, filters: dict[str, object], narrow: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever index the newest-first walk takes for a date range (its articles or
    revisions read by date and sorted, or the capture times walked down past the rest)."""
    from newsarchive.store import filters as store_filters

    monkeypatch.setattr(store_filters, "NARROW", narrow)
    for query in ("every", "every NOT alpha", "every (alpha OR bravo)", "every*"):
        exhaustive = search(archive.store, query, limit=10**6, cap=EXHAUSTIVE, **filters)
        hybrid = search(archive.store, query, limit=10**6, cap=50, **filters)
        assert {h.ref for h in hybrid} == {h.ref for h in exhaustive}, query
        top = search(archive.store, query, limit=7, cap=50, **filters)
        newest = sorted(exhaustive, key=lambda h: (h.captured_at, h.ref), reverse=True)
        assert [h.captured_at for h in top] == [h.captured_at for h in newest[:7]], query


def test_a_rare_and_a_common_word_rank_as_the_exhaustive_evaluation(
        archive: newsarchive.Archive) -> None:
    for query in (f"{RARE[0]} every", f"every {RARE[1]}", f"{RARE[0]} every NOT {RARE[1]}",
                  f'"{RARE[0]} alpha" every'):
        exhaustive = search(archive.store, query, limit=10**6, cap=EXHAUSTIVE)
        hybrid = search(archive.store, query, limit=10**6, cap=50)
        assert len(exhaustive) >= 3, query
        assert sorted(_refs(hybrid)) == sorted(_refs(exhaustive)), query
        # the same order, but for ties of the rare word's score, which the common word's
        # weight (FTS5 floors its IDF at 1e-6: it is in every paragraph) breaks otherwise
        score = {h.ref: h.score for h in exhaustive}
        for hit in hybrid:
            assert hit.score == pytest.approx(score[hit.ref], abs=1e-4)
        for a, b in itertools.pairwise(hybrid):
            assert score[a.ref] >= score[b.ref] - 1e-4, query
        top = search(archive.store, query, limit=3, cap=50)
        assert [h.score for h in top] == [h.score for h in hybrid[:3]]
    cat = archive.store.catalog()
    evaluation = Evaluation(SearchIndex(cat.conn), query_tree(f"{RARE[0]} every"), cap=50)
    evaluation.run(20)
    assert evaluation.path == "ranked"


def test_ranking_is_the_best_paragraph_plus_ten_times_the_title(
        archive: newsarchive.Archive) -> None:
    hits = search(archive.store, RARE[0], limit=100)
    in_title = [h for h in hits if RARE[0] in h.title.lower()]
    assert in_title and hits[:len(in_title)] == in_title  # the title weighs 10x
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_snippets_and_json_of_checked_results(archive: newsarchive.Archive) -> None:
    (hit,) = search(archive.store, f"{RARE[2]} every", limit=1, cap=50)
    assert "[" + RARE[2] + "]" in hit.snippet
    assert hit.to_dict()["snippet"] == hit.snippet


def test_checking_many_candidates_reads_the_whole_match(archive: newsarchive.Archive,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LOOKUPS lookups a checked term's ids are read at once: same answer."""
    query = f"every NOT {RARE[0]}"
    one_by_one = search(archive.store, query, limit=10**6, cap=50)
    monkeypatch.setattr(evaluate, "LOOKUPS", 5)
    at_once = search(archive.store, query, limit=10**6, cap=50)
    assert _refs(at_once) == _refs(one_by_one)


ORDER_SCRIPT = """
import sys
import newsarchive
from newsarchive.search.evaluate import Evaluation, query_tree
from newsarchive.store.search_index import SearchIndex
arch = newsarchive.open(sys.argv[1])
evaluation = Evaluation(SearchIndex(arch.store.catalog().conn), query_tree(sys.argv[2]),
                        cap=50)
evaluation.run(5)
print(evaluation.order)
"""


@pytest.mark.parametrize(("query", "order"), [
    ("kilo every NOT alpha", ['"kilo"', '"every"', '"alpha"']),
    ('"every kilo" NOT alpha', ['"alpha"', '"every kilo"']),
])
def test_common_terms_are_checked_cheapest_kind_first_whatever_the_hash_seed(
        archive: newsarchive.Archive, query: str, order: list[str]) -> None:
    """What a query costs depends on the order its common terms are checked in (the
    first one is looked up on every candidate): it was a set's order, so it changed with
    the interpreter's hash seed (``"of the" NOT said`` at 100,000 articles took 0.3 or
    0.8 s from one run to the next). Words come before phrases, then the query's order."""
    for seed in range(4):
        done = subprocess.run([sys.executable, "-c", ORDER_SCRIPT, str(archive.store.root),
                               query], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}, timeout=60)
        assert (done.returncode, done.stdout) == (0, f"{order}\n"), done.stderr


def test_each_candidates_index_row_is_read_once_for_all_the_terms(
        archive: newsarchive.Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three common terms checked one after the other on the same candidates read each
    candidate's paragraph ids once, not once a term (a query matching nothing read them
    twice over every revision: 0.5 s of ``said NOT th*`` at 100,000 articles)."""
    monkeypatch.setattr(evaluate, "LOOKUPS", -1)  # each term read whole, then tested
    conn = archive.store.catalog().conn
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    try:
        evaluation = _evaluation(archive, "kilo every NOT alpha", latest=False)
        got = evaluation.run(10**6)
    finally:
        conn.set_trace_callback(None)
    reads = [sql for sql in asked if "FROM search_revs WHERE rid IN" in sql]
    rids = [int(r) for sql in reads for r in sql.split("IN (")[1].rstrip(")").split(",")]
    assert len(evaluation.tried['"every"']) > 0 and len(rids) == len(set(rids))
    assert set(rids) == evaluation.tried['"kilo"']  # the first term's candidates: all
    assert _refs_of(archive, got) == _exhaustive(archive, "kilo every NOT alpha", False)


def test_a_search_entry_naming_a_paragraph_the_index_lacks_matches_nothing_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged search entry (a paragraph id past the index's last) does not stop a
    check against a whole match read at once: that id matches nothing, the others do."""
    arch = newsarchive.open(tmp_path / "store")
    for n in range(4):
        arch.add(f"Every story {n}.\n\nIt has a second paragraph {n}.", source="x",
                 title=f"Story {n}", date="2024-01-01", slug=f"s{n}")
    conn = arch.store.catalog(write=True).conn
    rid, blob = conn.execute("SELECT rid, pids FROM search_revs ORDER BY rid LIMIT 1").fetchone()
    conn.execute("UPDATE search_revs SET pids = ? WHERE rid = ?",
                 (pack_ids([10**6, *unpack_ids(blob)]), rid))
    conn.commit()
    monkeypatch.setattr(evaluate, "LOOKUPS", -1)  # every term read whole at once
    hits = search(arch.store, "paragraph NOT zebra", limit=10, cap=1)
    assert sorted(_refs(hits)) == [f"x/2024-01-01/s{n}@1" for n in range(4)]
    conn.execute("UPDATE search_revs SET pids = ? WHERE rid = ?", (pack_ids([10**6]), rid))
    conn.commit()
    hits = search(arch.store, "paragraph NOT zebra", limit=10, cap=1)
    assert sorted(_refs(hits)) == [f"x/2024-01-01/s{n}@1" for n in range(1, 4)]
    arch.close()


# -- prefixes: counted by a word of theirs, checked on the candidates' texts --------------
def _evaluation(arch: newsarchive.Archive, query: str, *, latest: bool = True,
                text_of: Callable[[str], str] | None = None) -> Evaluation:
    return Evaluation(SearchIndex(arch.store.catalog().conn, latest=latest), query_tree(query),
                      cap=50, text_of=text_of if text_of is not None else arch.store.text_of)


@pytest.mark.parametrize("latest", [True, False])
@pytest.mark.parametrize("query", ["ever*", "ÉVER*", f"{RARE[0]} ever*", "al* NOT kilo",
                                   '"every alp"*', "ever* OR xyl*"])
def test_a_common_prefix_checked_on_texts_gives_the_index_answer(
        archive: newsarchive.Archive, query: str, latest: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    exhaustive = _exhaustive(archive, query, latest)
    for limit in (5, 10**6):
        got = _evaluation(archive, query, latest=latest).run(limit)
        with monkeypatch.context() as patch:
            patch.setattr(evaluate, "TEXT_CHECKS", 0)
            assert _evaluation(archive, query, latest=latest).run(limit) == got
        if limit > 1000:
            assert _refs_of(archive, got) == exhaustive


@pytest.mark.parametrize("latest", [True, False])
def test_a_prefix_is_checked_only_where_the_other_terms_leave_the_answer_open(
        archive: newsarchive.Archive, latest: bool) -> None:
    """``ever* NOT alpha``, both over the cap: ``alpha`` is checked first, and the prefix
    (whose every check reads a text or merges its words) only on the candidates without
    it; the answer is the exhaustive one (``th* NOT said``: 1.7 -> 0.25 s at 100,000
    articles)."""
    query = "ever* NOT alpha"
    evaluation = _evaluation(archive, query, latest=latest)
    got = evaluation.run(10**6)
    prefix, word = evaluation.tried['"ever"*'], evaluation.tried['"alpha"']
    assert prefix and prefix <= word and not prefix & evaluation.checked['"alpha"']
    assert len(word) > 2 * len(prefix)  # most candidates hold alpha: decided without ever*
    assert _refs_of(archive, got) == _exhaustive(archive, query, latest)


def _exhaustive(arch: newsarchive.Archive, query: str, latest: bool) -> set[str]:
    """The refs every revision searched that matches ``query`` has (every term scored)."""
    return set(_refs(search(arch.store, query, limit=10**6, cap=EXHAUSTIVE,
                            all_revisions=not latest)))


def _refs_of(arch: newsarchive.Archive, got: list[tuple[int, float]]) -> set[str]:
    """The refs of an evaluation's ``(rid, score)`` results."""
    conn = arch.store.catalog().conn
    return {"{}@{}".format(*conn.execute(
        "SELECT article, number FROM revisions WHERE rid = ?", (rid,)).fetchone())
        for rid, _ in got}


def test_a_prefix_over_the_cap_is_neither_counted_nor_read_whole(
        archive: newsarchive.Archive) -> None:
    """``ever*``: its word ``every`` is over the cap, so the prefix is, and the 30
    newest candidates are checked on their texts; its whole match is never read."""
    evaluation = _evaluation(archive, "ever*")
    assert len(evaluation.run(20)) == 20 and evaluation.path == "newest"
    assert evaluation.whole == {} and evaluation.lookups == {}
    assert evaluation.checked['"ever"*'] and len(evaluation.tried['"ever"*']) <= 30


def test_a_prefix_of_no_word_over_the_cap_is_read_once_and_kept(
        archive: newsarchive.Archive) -> None:
    """``al*`` (only ``alpha``) is scored under a cap it does not reach; under a small
    cap its match, read once to count it, is what checks the candidates."""
    evaluation = Evaluation(SearchIndex(archive.store.catalog().conn), query_tree("al*"),
                            cap=10**6, text_of=archive.store.text_of)
    evaluation.run(20)
    assert evaluation.path == "exact" and evaluation.whole == {}
    # a cap alpha is over, and no sample: the prefix's count is its whole match
    evaluation = Evaluation(SearchIndex(archive.store.catalog().conn), query_tree("al*"),
                            cap=50)
    assert len(evaluation.run(20)) == 20 and evaluation.path == "newest"
    assert set(evaluation.whole) == {'"al"*'}


def test_a_search_past_its_budget_stops_between_two_texts_it_checks(
        archive: newsarchive.Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """A common prefix is checked on texts, read in Python between the steps of the
    statement that lists them: the budget holds there too, and the search stops between
    two of them (a timeout means the same whether SQLite or the texts took the time)."""
    store, now, read = archive.store, [0.0], []
    text_of = store.text_of

    def slow_text_of(text_hash: str) -> str:  # each text read takes a second
        read.append(text_hash)
        now[0] += 1.0
        return text_of(text_hash)

    monkeypatch.setattr(store, "clock", lambda: now[0])
    monkeypatch.setattr(store, "text_of", slow_text_of)
    with pytest.raises(newsarchive.QueryTimeout):
        search(store, "ever*", limit=10**6, cap=50, timeout=2.5)
    assert len(read) == 3  # the third second is past the budget: no fourth text
    read.clear()
    assert search(store, "ever*", limit=10**6, cap=50, timeout=None) and len(read) > 3


def test_an_unreadable_text_is_decided_by_the_index(archive: newsarchive.Archive) -> None:
    broken = {rev.hash for rev, _ in _revisions(archive, latest=True)[::3]}

    def text_of(text_hash: str) -> str:
        if text_hash in broken:
            raise newsarchive.IntegrityError(text_hash, text_hash, "damaged")
        return archive.store.text_of(text_hash)

    for query in ("ever*", "al* NOT kilo"):
        expected = _evaluation(archive, query).run(10**6)
        evaluation = _evaluation(archive, query, text_of=text_of)
        assert evaluation.run(10**6) == expected


@pytest.mark.parametrize("side", ["removed", "added"])
@pytest.mark.parametrize("filters", [{}, {"sources": ["south"]},
                                     {"since": "2024-03-01", "until": "2024-06-30"}])
@pytest.mark.parametrize("query", ["every", "ever*", "every NOT kilo", "alpha OR bravo",
                                   '"every alpha"'])
def test_edits_of_a_common_query_are_the_newest_that_match(
        archive: newsarchive.Archive, side: str, filters: dict[str, object],
        query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the cap, ``--removed``/``--added`` walk the newest revisions' passages: the
    same revisions as scoring every passage, newest capture first, with a score of 0;
    reading the whole match instead (past EDIT_CHECKS) gives the same hits and passages."""
    edit_search = {"removed": side == "removed", "added": side == "added", **filters}
    exhaustive = search(archive.store, query, limit=10**6, cap=EXHAUSTIVE, **edit_search)
    walked = search(archive.store, query, limit=10**6, cap=3, **edit_search)
    assert exhaustive and {h.ref for h in walked} == {h.ref for h in exhaustive}
    assert [(h.captured_at, h.id) for h in walked] == sorted(
        ((h.captured_at, h.id) for h in walked), reverse=True)
    assert all(h.score == 0.0 and h.to_dict()["score"] == 0.0 for h in walked)
    assert json.dumps(walked[0].to_dict()["score"]) == "0.0"
    for limit in (1, 7):
        top = search(archive.store, query, limit=limit, cap=3, **edit_search)
        assert _refs(top) == _refs(walked[:limit])
        with monkeypatch.context() as patch:
            patch.setattr(edits, "EDIT_CHECKS", 0)
            whole = search(archive.store, query, limit=limit, cap=3, **edit_search)
        assert [(h.ref, h.snippet) for h in whole] == [(h.ref, h.snippet) for h in top]


def test_a_walked_edit_shows_its_first_matching_passage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arch = newsarchive.open(tmp_path / "store")
    first = "Every word of the first paragraph.\n\nEach word of the second paragraph."
    arch.add(first, source="desk", date="2024-05-01", slug="story", title="Story",
             captured_at="2024-05-01T10:00:00Z")
    arch.add(first.replace("Every word", "A line").replace("Each word", "A line"),
             source="desk", date="2024-05-01",
             slug="story", title="Story", captured_at="2024-05-01T11:00:00Z")
    (walked,) = search(arch.store, "word", removed=True, cap=0)
    monkeypatch.setattr(edits, "EDIT_CHECKS", 0)
    (whole,) = search(arch.store, "word", removed=True, cap=0)
    assert walked.snippet == whole.snippet
    assert "first" in walked.snippet and "second" not in walked.snippet
    arch.close()


def test_scratch_words_of_a_prefix_most_frequent_first(tmp_path: Path) -> None:
    texts = {"a": "Élection day.\n\nThe election and the elector.", "b": "Elect them."}
    scratch = Scratch()
    scratch.load([(1, "a", "Elections"), (2, "b", "   ")], texts.__getitem__)
    assert scratch.words('"elect"*') == ["election", "elect", "elections", "elector"]
    assert scratch.words('"ÉLECTO"*') == ["elector"]
    assert scratch.words('"the elect"*') == []  # a phrase: no single word
    assert scratch.matching('"elections"') == {1}  # the title
    assert scratch.matching('"elect"*') == {1, 2}
    assert scratch.matching('"day the"') == set()  # not across paragraphs
    scratch.close()


# -- against a brute force over the texts -------------------------------------------------
def _tokens(text: str) -> list[str]:
    return [t for _, _, t in tokenize(text)]


def _leaf(term: Term, texts: list[list[str]]) -> bool | None:
    words = _tokens(term.text)
    if not words:
        return None
    n = len(words)
    for toks in texts:
        for i in range(len(toks) - n + 1):
            if toks[i:i + n - 1] == words[:-1] and (
                    toks[i + n - 1].startswith(words[-1]) if term.prefix
                    else toks[i + n - 1] == words[-1]):
                return True
    return False


def _brute(node: Term | Group, texts: list[list[str]]) -> bool | None:
    """The query language's meaning over one revision (its title and each paragraph apart);
    None where a part has no word (it is left out, as docs/search.md says)."""
    if isinstance(node, Term):
        return _leaf(node, texts)
    pos: list[bool] = []
    neg: list[bool] = []
    for negated, alt in node.items:
        values = [v for v in (_brute(u, texts) for u in alt.units) if v is not None]
        if negated:
            neg.extend(values)
        elif values:
            pos.append(any(values))
    if not pos:
        return None
    return all(pos) and not any(neg)


def _brute_search(revs: list[tuple[newsarchive.Revision, str]], query: str) -> set[str]:
    tree = Parser(query).parse()
    return {rev.ref for rev, text in revs
            if _brute(tree, [_tokens(rev.title)] + [_tokens(p) for p in paragraphs(text)])}


_WORD = st.sampled_from(["every", "alpha", "bravo", "kilo", "papa", *RARE, "alp*", "ever*",
                         "nothere", "Alpha", "ÉVERY"])
_PHRASE = st.builds(lambda a, b: f'"{a} {b}"', st.sampled_from(["every", "alpha", "kilo"]),
                    st.sampled_from(["every", "alpha", "bravo", "kilo", "papa"]))


def _unit(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    alt = st.lists(children, min_size=1, max_size=3).map(" OR ".join)
    item = st.tuples(st.booleans(), alt).map(lambda x: ("NOT " if x[0] else "") + x[1])
    return st.lists(item, min_size=1, max_size=3).map(lambda items: "(" + " ".join(items) + ")")


_QUERY = st.recursive(st.one_of(_WORD, _PHRASE), _unit, max_leaves=6).filter(
    lambda q: _has_positive(q))


def _has_positive(query: str) -> bool:
    try:
        query_tree(query)
    except newsarchive.QueryError:
        return False
    return True


@pytest.fixture(scope="module")
def brute_revisions(archive: newsarchive.Archive
                    ) -> dict[bool, list[tuple[newsarchive.Revision, str]]]:
    return {True: _revisions(archive, latest=True), False: _revisions(archive, latest=False)}


@pytest.mark.slow
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=_QUERY, cap=st.sampled_from([0, 3, 50, EXHAUSTIVE]), latest=st.booleans())
def test_the_evaluation_matches_a_brute_force_over_the_texts(
        archive: newsarchive.Archive,
        brute_revisions: dict[bool, list[tuple[newsarchive.Revision, str]]],
        query: str, cap: int, latest: bool) -> None:
    expected = _brute_search(brute_revisions[latest], query)
    got = search(archive.store, query, limit=10**6, cap=cap, all_revisions=not latest)
    assert {h.ref for h in got} == expected


def test_a_phrase_no_longer_matches_across_a_paragraph_break(tmp_path: Path) -> None:
    arch = newsarchive.open(tmp_path / "s")
    arch.add("The talks collapsed\n\nPress on with the war.", source="x", date="2024-01-01",
             title="Talks", slug="talks")
    assert search(arch.store, '"collapsed press"') == []
    assert len(search(arch.store, "collapsed press")) == 1
    assert len(search(arch.store, '"press on with"')) == 1
    arch.close()


def test_a_search_does_not_load_the_diff_engine(tmp_path: Path) -> None:
    """Only --removed/--added, whose snippets mark the edit, need it (start-up time)."""
    with newsarchive.open(tmp_path / "s") as arch:
        arch.add("The talks in Geneva collapsed on Monday after three days.", source="x",
                 title="Talks", date="2024-01-01", captured_at="2024-01-01T01:00:00Z")
        arch.add("The talks in Geneva resumed on Monday after three days.", source="x",
                 title="Talks", date="2024-01-01", captured_at="2024-01-01T02:00:00Z")
    code = ("import sys, newsarchive\n"
            "a = newsarchive.open(sys.argv[1])\n"
            "print(len(a.search('talks')), any(m.startswith('newsarchive.diff') "
            "for m in sys.modules))\n"
            "print([h.snippet for h in a.search('collapsed', removed=True)])\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")],
                       capture_output=True, text=True, check=True)
    assert r.stdout.splitlines() == [
        "1 False", "['The talks in Geneva [-collapsed-]{+resumed+} on Monday after three days.']"]


# -- the index itself ---------------------------------------------------------------------
def test_revisions_share_the_paragraphs_they_have_in_common(tmp_path: Path) -> None:
    arch = newsarchive.open(tmp_path / "s")
    base = ["First paragraph here.", "Second one.", "Third one."]
    common = {"source": "x", "date": "2024-01-01", "slug": "a"}
    arch.add("\n\n".join(base), title="T", captured_at="2024-01-01T01:00:00Z", **common)
    arch.add("\n\n".join([*base, "A fourth."]), title="T", captured_at="2024-01-01T02:00:00Z",
             **common)
    arch.add("\n\n".join(base[1:]), title="T2", captured_at="2024-01-01T03:00:00Z", **common)
    arch.add("\n\n".join(base), title="T", captured_at="2024-01-01T04:00:00Z", **common)
    conn = arch.store.catalog().conn
    assert conn.execute("SELECT max(pid) FROM para_docs").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM para_docs").fetchone()[0] == 3 + 4 + 2 + 3
    assert conn.execute("SELECT max(tid) FROM search_revs").fetchone()[0] == 2
    assert [h.ref for h in search(arch.store, "fourth", all_revisions=True)] == ["x/2024-01-01/a@2"]
    assert search(arch.store, "fourth") == []
    assert [h.revision for h in search(arch.store, "first", all_revisions=True)] == [4, 2, 1]
    arch.close()


# -- counters -----------------------------------------------------------------------------
def _counts_are_true(arch: newsarchive.Archive) -> dict[str, int]:
    conn = arch.store.catalog().conn
    kept = counters.read(conn)
    assert kept == counters.recount(conn)
    return kept


def test_counters_stay_true_through_add_reindex_and_gc(tmp_path: Path, cli: CliRun,
                                                     store: Path) -> None:
    assert cli("init").exit_code == 0
    arch = newsarchive.open(store)
    assert _counts_are_true(arch)["articles"] == 0
    common = {"date": "2024-01-01", "slug": "a"}
    arch.add("One.\n\nTwo.", source="x", title="A", captured_at="2024-01-01T01:00:00Z",
             **common)
    arch.add("One.\n\nTwo and three.", source="x", title="A",
             captured_at="2024-01-01T02:00:00Z", **common)
    arch.add("One.\n\nTwo.", source="x", title="A", captured_at="2024-01-01T03:00:00Z",
             **common)  # a revert: no new text
    arch.add("Other.", source="y", title="B", date="2024-01-02", slug="b")
    arch.add("Other.", source="y", title="C", date="2024-01-03", slug="c")  # same text
    kept = _counts_are_true(arch)
    assert (kept["articles"], kept["revisions"], kept["sources"], kept["texts"]) == (3, 5, 2, 3)
    arch.close()
    assert cli("reindex").exit_code == 0
    arch = newsarchive.open(store)
    assert _counts_are_true(arch) == kept
    arch.close()
    assert cli("gc").exit_code == 0
    assert cli("check").exit_code == 0
    arch = newsarchive.open(store)
    assert _counts_are_true(arch) == kept
    stats = arch.stats()
    assert (stats.articles, stats.revisions, stats.sources, stats.texts) == (3, 5, 2, 3)
    assert stats.text_bytes == kept["text_bytes"]
    assert stats.objects == sum(1 for _ in set(arch.store.objects))
    arch.close()


def test_check_reports_counters_that_drifted_and_repair_mends_them(cli: CliRun,
                                                                   store: Path) -> None:
    arch = newsarchive.open(store)
    arch.add("One.", source="x", title="A", date="2024-01-01", slug="a")
    arch.close()
    conn = sqlite3.connect(store / "catalog.sqlite")
    conn.execute("UPDATE counters SET value = 7 WHERE name = 'articles'")
    conn.commit()
    conn.close()
    r = cli("check")
    assert r.exit_code == 1 and "articles 7 (counted 1)" in r.stdout + r.stderr
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0


def test_check_reports_search_entries_missing_or_stale_and_repair_mends_them(
        cli: CliRun, store: Path) -> None:
    arch = newsarchive.open(store)
    arch.add("One.\n\nTwo.", source="x", title="A", date="2024-01-01", slug="a")
    arch.add("Three.", source="x", title="B", date="2024-01-01", slug="b")
    arch.close()
    conn = sqlite3.connect(store / "catalog.sqlite")
    conn.execute("DELETE FROM search_revs WHERE rid = 1")
    conn.execute("INSERT INTO search_revs (rid, tid, pids) VALUES (99, 1, x'')")
    conn.commit()
    conn.close()
    r = cli("check")
    out = r.stdout + r.stderr
    assert r.exit_code == 1
    assert "1 revisions are missing from the search index" in out
    assert "1 search index entries name no revision" in out
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    assert "x/2024-01-01/a@1" in cli("search", "two").stdout


def test_deriving_articles_again_keeps_the_counts(archive: newsarchive.Archive,
                                                  tmp_path: Path) -> None:
    """The delete path (an article derived again) uncounts exactly its revisions: texts
    another article shares stay counted, and the article is counted once again."""
    path = tmp_path / "copy.sqlite"
    src = sqlite3.connect(archive.store.catalog_path)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    before = counters.read(dst)
    shared = dst.execute("SELECT article, text_hash FROM revisions LIMIT 1").fetchone()
    dst.execute("INSERT INTO revisions (record, article, number, text_hash, title, date, "
                "source, captured_at, words, bytes, words_added, words_removed) VALUES "
                "('r', 'north/2024-01-01/z', 1, ?, 't', '2024-01-01', 'north', "
                "'2024-12-01T00:00:00Z', 1, 7, 0, 0)", (shared[1],))
    rid = dst.execute("SELECT rid FROM revisions WHERE record = 'r'").fetchone()[0]
    counters.revision_added(dst, rid, "north/2024-01-01/z", shared[1], 7, False)
    dst.execute("INSERT INTO articles SELECT 'north/2024-01-01/z', 'north', '2024-01-01', "
                "'z', ?, 1, 't', NULL, 'x', 'x'", (rid,))
    assert counters.read(dst) == counters.recount(dst)
    assert counters.read(dst)["texts"] == before["texts"]  # a text another one has
    for article in [r[0] for r in dst.execute("SELECT id FROM articles WHERE source = 'north'")]:
        counters.revisions_removed(dst, article)
        dst.execute("DELETE FROM revisions WHERE article = ?", (article,))
    dst.execute("DELETE FROM articles WHERE source = 'north'")
    assert counters.read(dst) == counters.recount(dst)
    assert counters.read(dst)["sources"] == 2
    dst.close()


def test_no_trigger_or_multi_row_write_flushes_fts5_in_a_batch(
        archive: newsarchive.Archive) -> None:
    """A trigger on the revisions (as the counters first had) opens a statement journal
    at each insert, and SQLite then makes FTS5 write its pending terms out: a segment a
    revision, 0.3 ms each. The catalog has no trigger."""
    conn = archive.store.catalog().conn
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall() == []


# -- an older capture, inserted: the article derived again -------------------------------
def _search_rows_are_whole(conn: sqlite3.Connection) -> None:
    """Every revision has its search entry and every entry its revision; the map from
    paragraphs to revisions is the one the entries say."""
    one = conn.execute
    assert one("SELECT count(*) FROM revisions r LEFT JOIN search_revs s ON s.rid = r.rid "
               "WHERE s.rid IS NULL").fetchone()[0] == 0
    assert one("SELECT count(*) FROM search_revs s LEFT JOIN revisions r ON r.rid = s.rid "
               "WHERE r.rid IS NULL").fetchone()[0] == 0
    said = {(pid, rid) for rid, blob in one("SELECT rid, pids FROM search_revs")
            for pid in unpack_ids(blob)}
    assert {(pid, rid) for pid, rid in one("SELECT pid, rid FROM para_docs")} == said


def test_an_inserted_capture_reuses_the_paragraphs_of_the_revisions_derived_again(
        tmp_path: Path, cli: CliRun, store: Path) -> None:
    """A capture older than the article's newest derives the article again (new revision
    ids): the search entries follow, the paragraphs already indexed are not indexed
    twice, and a new paragraph or title gets an id no other row has."""
    arch = newsarchive.open(store)
    common = {"source": "x", "date": "2024-01-01", "slug": "a", "title": "Talks"}
    arch.add("Alpha one.\n\nBravo two.", captured_at="2024-01-01T01:00:00Z", **common)
    arch.add("Alpha one.\n\nBravo two.\n\nCharlie three.",
             captured_at="2024-01-01T03:00:00Z", **common)
    arch.add("Other story.", source="y", date="2024-01-02", slug="b", title="Other",
             captured_at="2024-01-01T04:00:00Z")
    conn = arch.store.catalog().conn
    paras = conn.execute("SELECT max(id) FROM para_fts_docsize").fetchone()[0]
    assert paras == 4
    added = arch.add("Alpha one.\n\nDelta inserted.", captured_at="2024-01-01T02:00:00Z",
                     **{**common, "title": "Talks, earlier"})
    assert added.status == "inserted" and added.revision.number == 2
    # one new paragraph and one new title, with fresh ids past every row there is
    assert conn.execute("SELECT max(id) FROM para_fts_docsize").fetchone()[0] == paras + 1
    assert conn.execute("SELECT count(*) FROM title_fts_docsize").fetchone()[0] == 3
    _search_rows_are_whole(conn)
    assert [h.revision for h in search(arch.store, "alpha", all_revisions=True)] == [3, 2, 1]
    assert _refs(search(arch.store, "delta", all_revisions=True)) == ["x/2024-01-01/a@2"]
    assert _refs(search(arch.store, '"charlie three"')) == ["x/2024-01-01/a@3"]
    assert _refs(search(arch.store, "earlier", all_revisions=True)) == ["x/2024-01-01/a@2"]
    assert _refs(search(arch.store, "other")) == ["y/2024-01-02/b@1"]
    assert _counts_are_true(arch)["revisions"] == 4
    arch.close()
    r = cli("check")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert cli("reindex").exit_code == 0
    arch = newsarchive.open(store)
    _search_rows_are_whole(arch.store.catalog().conn)
    assert [h.revision for h in search(arch.store, "alpha", all_revisions=True)] == [3, 2, 1]
    arch.close()


# -- an older catalog ---------------------------------------------------------------------
SCHEMA2 = Path(__file__).parent / "data" / "schema2"


def _schema(store: Path) -> str:
    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0])
    finally:
        conn.close()


def test_a_catalog_of_schema_2_is_rebuilt_when_first_opened(tmp_path: Path,
                                                            cli: CliRun) -> None:
    """Store format 3 with the catalog of one FTS5 row per text (schema 2): the first
    command rebuilds the catalog from the journal and the objects, once, and nothing a
    user sees changes but the search index."""
    store = tmp_path / "old"
    shutil.copytree(SCHEMA2 / "store", store)
    journal = (store / "journal").read_bytes()
    r = cli("export", store_path=store)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (SCHEMA2 / "export.jsonl").read_text("utf-8")
    assert _schema(store) == str(SCHEMA_VERSION)
    assert (store / "journal").read_bytes() == journal  # the commits are the same commits
    with newsarchive.open(store) as arch:
        conn = arch.store.catalog().conn
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name IN "
                                "('docs', 'docs_fts')").fetchall()
        _search_rows_are_whole(conn)
        _counts_are_true(arch)
        stamp = (store / "catalog.sqlite").stat().st_mtime_ns
        war_aims = "politico.eu/2024-04-03/putin-reaffirms-war-aims"
        assert [h.ref for h in arch.search("putin", all_revisions=True)] == [
            f"{war_aims}@4", f"{war_aims}@3", f"{war_aims}@2"]
        assert [h.ref for h in arch.search("fourth version")] == [f"{war_aims}@5"]
        removed = arch.search("reaffirms", removed=True)  # a headline's passage
        assert [(h.ref, h.snippet[:20]) for h in removed] == [
            (f"{war_aims}@3", "title: Putin [-reaff")]
    with newsarchive.open(store) as arch:  # rebuilt once: a read now only reads
        arch.articles()
    assert (store / "catalog.sqlite").stat().st_mtime_ns == stamp
    r = cli("check", store_path=store)
    assert r.exit_code == 0 and "damage" not in r.stdout, r.stdout
    assert "putin-reaffirms-war-aims@5" in cli("search", "fourth", store_path=store).stdout


def test_a_catalog_of_schema_2_that_cannot_be_written_says_reindex(tmp_path: Path,
                                                                   cli: CliRun) -> None:
    store = tmp_path / "old"
    shutil.copytree(SCHEMA2 / "store", store)
    with newsarchive.open(store) as arch:
        arch.store.upgrade = None  # as a store this process may not write
        with pytest.raises(newsarchive.StoreError) as info:
            arch.articles()
    assert info.value.remedy == "reindex" and "catalog schema 2" in str(info.value)
    assert _schema(store) == "2"
    r = cli("reindex", store_path=store)
    assert r.exit_code == 0, r.stderr
    assert _schema(store) == str(SCHEMA_VERSION)
    assert cli("export", store_path=store).stdout == (SCHEMA2 / "export.jsonl").read_text()


def test_a_store_of_format_2_is_upgraded_once(tmp_path: Path) -> None:
    """Format 2 with catalog schema 1: after the upgrade the catalog says schema 3, so the
    next open does not rebuild it again."""
    store = tmp_path / "old"
    shutil.copytree(Path(__file__).parent / "data" / "format2" / "store", store)
    with newsarchive.open(store) as arch:
        arch.articles()
    assert _schema(store) == str(SCHEMA_VERSION)
    stamp = (store / "catalog.sqlite").stat().st_mtime_ns
    with newsarchive.open(store) as arch:
        assert len(arch.articles()) == 25
    assert (store / "catalog.sqlite").stat().st_mtime_ns == stamp

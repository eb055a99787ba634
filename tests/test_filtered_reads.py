"""Filtered reads that cost what their answer costs, not the archive (issue 19): ``changes
--kind`` and ``list --kind`` read a kind's partial index (``revisions_kind_*``) instead of
every revision, ``list`` of several sources merges one walk per source, ``export`` of a
few articles reads only theirs. Each gives the same answers as a filter over everything,
whichever form the query takes, with or without the indexes (a catalog made before them)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

import newsarchive
from newsarchive.store.catalog import ADDED_INDEXES, Catalog
from newsarchive.store.filters import kind_condition, rows_in

ARTICLES = 40
REVERTS = (7, 23)   # the articles whose third revision puts the first text back


def _text(article: int, version: int) -> str:
    figures = {0: "twelve", 1: "fourteen", 2: "twelve"}
    sentences = [f"The council of district {article} met on Monday to discuss the budget.",
                 f"It approved {figures[version]} new projects for the coming year.",
                 "The mayor said the vote was a turning point for the city."]
    if version == 1:
        sentences.append(f"Residents of district {article} had asked for a new library, "
                         "a second bridge and longer opening hours at the pool.")
    if version == 2:
        sentences.append("Correction: An earlier version of this article misstated the "
                         "number of projects.")
    return "\n\n".join(sentences)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 articles of three revisions each: edits, headline changes (every fifth article),
    corrections, and two reverts (the rare kind)."""
    store = tmp_path_factory.mktemp("kinds") / "store"
    with newsarchive.open(store) as archive:
        for version in range(3):
            for a in range(ARTICLES):
                reverted = a in REVERTS and version == 2
                retitled = version and a % 5 == 0 and not reverted
                archive.add(_text(a, 0 if reverted else version),
                            source=("herald", "ledger", "courier")[a % 3], slug=f"council-{a}",
                            date="2024-05-01", title=f"Council {a} approves projects"
                            + (" for next year" if retitled else ""),
                            captured_at=f"2024-05-0{version + 1}T{a // 60:02d}:{a % 60:02d}:00Z")
    return store


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(built, copy)
    return copy


def _kinds_of(store: Path) -> list[tuple[str, int, str, str, set[str]]]:
    """(article, number, captured_at, source, kinds) of every revision, read apart."""
    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        return [(a, n, c, s, set(k.split())) for a, n, c, s, k in conn.execute(
            "SELECT article, number, captured_at, source, kind FROM revisions")]
    finally:
        conn.close()


def _changes(store: Path, kinds: Sequence[str], limit: int, **filters: str) -> list[tuple[str, int]]:
    with newsarchive.open(store) as archive:
        return [(c.revision.id, c.revision.number)
                for c in archive.changes(kind=list(kinds), limit=limit, **filters)]


def _articles(store: Path, kinds: Sequence[str], limit: int | None) -> list[str]:
    with newsarchive.open(store) as archive:
        return [a.id for a in archive.articles(kind=list(kinds), limit=limit)]


def test_the_store_holds_a_rare_kind_and_common_ones(built: Path) -> None:
    counts: dict[str, int] = {}
    for *_, kinds in _kinds_of(built):
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
    assert counts["revert"] == len(REVERTS)
    assert counts["headline"] >= 8 and counts["correction"] >= 30


@pytest.mark.parametrize("kinds", [("revert",), ("correction",), ("revert", "headline"),
                                   ("headline", "correction", "revert"), ("removed",)])
@pytest.mark.parametrize("limit", [1, 5, 1000])
def test_changes_of_kinds_are_those_a_filter_over_every_revision_finds(
        built: Path, kinds: tuple[str, ...], limit: int) -> None:
    """Several kinds: one query a kind, merged newest first, each revision once."""
    every = sorted(((c, a, n) for a, n, c, _, k in _kinds_of(built)
                    if n > 1 and k & set(kinds)), reverse=True)
    got = _changes(built, kinds, limit)
    assert got == [(a, n) for _, a, n in every][:limit]
    assert len(set(got)) == len(got)


def test_changes_of_a_kind_keep_the_other_filters(built: Path) -> None:
    every = sorted(((c, a, n) for a, n, c, s, k in _kinds_of(built)
                    if n > 1 and s == "ledger" and k & {"revert", "headline"}), reverse=True)
    assert _changes(built, ("revert", "headline"), 100, source="ledger") == [
        (a, n) for _, a, n in every]


@pytest.mark.parametrize("kinds", [("revert",), ("headline",), ("correction", "revert")])
@pytest.mark.parametrize("few", [0, 10**9])
def test_list_of_kinds_is_the_same_either_way(store: Path, kinds: tuple[str, ...], few: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The articles of the kinds' revisions (few of them) or a walk down the articles,
    each checked (many): the same articles in the same order as a filter over all."""
    with newsarchive.open(store) as archive:
        newest = [a.id for a in archive.articles()]
    having = {a for a, *_, k in _kinds_of(store) if k & set(kinds)}
    monkeypatch.setattr(Catalog, "FEW_OF_KIND", few)
    assert _articles(store, kinds, None) == [a for a in newest if a in having]
    assert _articles(store, kinds, 3) == [a for a in newest if a in having][:3]


def _plans(store: Path, marker: str = "instr(", **call: object) -> list[str]:
    """The query plans of the statements holding ``marker`` that one call of the library
    ran on the catalog."""
    ran: list[str] = []
    with newsarchive.open(store) as archive:
        conn = archive.store.catalog().conn
        conn.set_trace_callback(ran.append)
        method = call.pop("method")
        assert isinstance(method, str)
        list(getattr(archive, method)(**call))
        conn.set_trace_callback(None)
        return [" ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
                for sql in ran if marker in sql and sql.lstrip().upper().startswith("SELECT")]


def test_a_rare_kind_is_read_from_its_index(built: Path) -> None:
    """What makes the filters cost what the kind's revisions cost, not the archive: the
    plan of every statement that filters on the kind reads the kind's index."""
    plans = _plans(built, method="changes", kind=["revert"])
    assert plans and all("revisions_kind_revert" in p for p in plans), plans
    plans = _plans(built, method="changes", kind=["revert", "headline"])
    assert any("revisions_kind_revert" in p for p in plans)
    assert any("revisions_kind_headline" in p for p in plans)
    plans = _plans(built, method="articles", kind=["revert"])
    assert plans and all("revisions_kind_revert" in p for p in plans), plans


def _indexes(store: Path) -> set[str]:
    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master")} \
            & set(ADDED_INDEXES)
    finally:
        conn.close()


def test_a_catalog_made_before_the_indexes_gains_them(store: Path, built: Path) -> None:
    """Without them the answers are the same (reads never write: until a command writes,
    and in a store that cannot be written); the first command that writes creates them,
    once, in place (nothing else is rebuilt)."""
    assert _indexes(store) == set(ADDED_INDEXES)
    before = (_changes(built, ("revert",), 50), _articles(built, ("revert", "headline"), None))
    conn = sqlite3.connect(store / "catalog.sqlite")
    for name in ADDED_INDEXES:
        conn.execute(f"DROP INDEX {name}")
    conn.execute("INSERT INTO edits (rid, side, passage) VALUES (-1, 'added', 'marker')")
    conn.commit()
    conn.row_factory = sqlite3.Row
    cat = Catalog(conn)   # the catalog as a reader sees it before any write
    assert [(r["article"], r["number"]) for r in cat.recent_changes(kinds=("revert",))] \
        == before[0]
    conn.close()
    assert (_changes(store, ("revert",), 50),
            _articles(store, ("revert", "headline"), None)) == before
    assert _indexes(store) == set()
    with newsarchive.open(store) as archive:
        archive.add("A new article about the harbour.", source="ledger", slug="harbour",
                    date="2024-05-04", title="Harbour", captured_at="2024-05-04T10:00:00Z")
    assert _indexes(store) == set(ADDED_INDEXES)
    assert (_changes(store, ("revert",), 50),
            _articles(store, ("revert", "headline"), None)) == before
    conn = sqlite3.connect(store / "catalog.sqlite")
    assert conn.execute("SELECT passage FROM edits WHERE rid = -1").fetchone() == ("marker",)
    conn.close()


def test_only_known_kinds_are_written_into_sql(built: Path) -> None:
    """The library refuses an unknown kind as a usage error, whichever read is asked
    (``articles`` and ``revisions`` used to answer nothing); the catalog never gets one."""
    assert kind_condition("r.kind", "revert") == "instr(' ' || r.kind || ' ', ' revert ') > 0"
    with pytest.raises(ValueError, match="unknown kind"):
        kind_condition("r.kind", "revert') > 0 OR ('")
    with newsarchive.open(built) as archive:
        for read in (archive.articles, archive.changes, archive.revisions):
            with pytest.raises(newsarchive.UsageError, match="unknown kind 'reverts'"):
                list(read(kind=["revert", "reverts"]))


@pytest.mark.parametrize("per_article", [0, 10**9])
@pytest.mark.parametrize("filters", [{"kind": ["revert"]}, {"kind": ["headline"]},
                                     {"changed": True, "source": "ledger"}, {"limit": 3}])
def test_revisions_of_chosen_articles_either_way(built: Path, filters: dict[str, object],
                                                  per_article: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``export`` writes of a filter: each chosen article's revisions looked up (few
    articles) or every revision walked (many), the same revisions in the same order."""
    from newsarchive.ops import listing

    with newsarchive.open(built) as archive:
        chosen = {a.id for a in archive.articles(**filters)}   # type: ignore[arg-type]
        every = [(r.id, r.number) for r in archive.revisions()]
        monkeypatch.setattr(listing, "PER_ARTICLE", per_article)
        got = [(r.id, r.number) for r in archive.revisions(**filters)]  # type: ignore[arg-type]
    assert got == [(a, n) for a, n in every if a in chosen] and got


@pytest.mark.parametrize("oldest_first", [False, True])
@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_articles_of_several_sources_merge_one_walk_each(built: Path, limit: int,
                                                         oldest_first: bool) -> None:
    with newsarchive.open(built) as archive:
        cat = archive.store.catalog()
        every = [r["id"] for r in cat.articles(oldest_first=oldest_first)]
        sources = {r["id"]: r["source"] for r in cat.articles()}
        got = [r["id"] for r in cat.articles(sources=("ledger", "courier", "ledger"),
                                             limit=limit, oldest_first=oldest_first)]
        headline = [r["id"] for r in cat.articles(sources=("ledger", "courier"),
                                                  kinds=("headline",), limit=limit)]
    assert got == [a for a in every if sources[a] in ("ledger", "courier")][:limit]
    assert headline == [a for a in _articles(built, ("headline",), None)
                        if sources[a] in ("ledger", "courier")][:limit]


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 articles over 20 days, most captured on their day, every fourth weeks later (an
    old story found again): a walk down the capture times and a read by date differ."""
    store = tmp_path_factory.mktemp("dated") / "store"
    with newsarchive.open(store) as archive:
        for a in range(60):
            day = 1 + a % 20
            late = a % 4 == 0
            archive.add(f"Story {a} from day {day}. It has a sentence or two.",
                        source=("herald", "ledger", "courier")[a % 3], slug=f"story-{a}",
                        date=f"2024-03-{day:02d}", title=f"Story {a}",
                        captured_at=f"2024-{'04' if late else '03'}-{day:02d}T{a % 24:02d}:00:00Z")
    return store


@pytest.mark.parametrize("narrow", [0, 10**9])
@pytest.mark.parametrize("since, until", [("2024-03-05", "2024-03-05"), ("2024-03-02", "2024-03-11"),
                                          (None, "2024-03-03"), ("2024-03-18", None)])
@pytest.mark.parametrize("sources", [(), ("ledger",), ("ledger", "herald")])
def test_articles_of_a_date_range_are_the_same_by_date_or_by_walk(
        dated: Path, narrow: int, since: str | None, until: str | None,
        sources: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest of a date range, read by date and sorted (a narrow range) or walked down
    the capture times (a wide one): the answer of a filter over every article."""
    from newsarchive.store import filters

    with newsarchive.open(dated) as archive:
        cat = archive.store.catalog()
        for oldest_first in (False, True):
            every = [r for r in cat.articles(oldest_first=oldest_first)
                     if (since or "") <= r["date"] <= (until or "9999")
                     and (not sources or r["source"] in sources)]
            monkeypatch.setattr(filters, "NARROW", narrow)
            for limit in (1, 5, 100):
                got = cat.articles(sources=sources, since=since, until=until, limit=limit,
                                   oldest_first=oldest_first)
                assert [r["id"] for r in got] == [r["id"] for r in every][:limit]
            monkeypatch.undo()
        assert every


@pytest.mark.parametrize("narrow, index", [(10**9, "articles_date"), (0, "articles_recent"),
                                           (0, "articles_source_recent")])
def test_a_date_range_takes_the_index_its_width_calls_for(
        dated: Path, narrow: int, index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What keeps a wide range from sorting all its articles (265 ms for half a year of
    100,000) and a narrow one from walking past every article: the listing's plan."""
    from newsarchive.store import filters

    monkeypatch.setattr(filters, "NARROW", narrow)
    sources = ("ledger",) if index == "articles_source_recent" else ()
    with newsarchive.open(dated) as archive:
        conn = archive.store.catalog().conn
        ran: list[str] = []
        conn.set_trace_callback(ran.append)
        archive.store.catalog().articles(sources=sources, since="2024-03-02", limit=5)
        conn.set_trace_callback(None)
        (listing,) = [sql for sql in ran if "ORDER BY last_captured" in sql]
        plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + listing))
    assert f"INDEX {index} " in plan + " ", plan


def test_all_revisions_of_a_date_range_take_the_index_its_width_calls_for(
        store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``search --all-revisions`` walks every revision newest first: a narrow date range
    is read by date (0.3 s -> 14 ms at 100,000 articles), a wide one walked down the
    capture times, and a catalog without the date index walks as before."""
    from newsarchive.store import filters
    from newsarchive.store.filters import newest_revisions_index

    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        assert newest_revisions_index(conn, (), None, None) == ""
        assert newest_revisions_index(conn, (), "2024-05-01", "2024-05-01") \
            == "INDEXED BY revisions_date"
        monkeypatch.setattr(filters, "NARROW", 0)
        assert newest_revisions_index(conn, (), "2024-05-01", None) \
            == "INDEXED BY revisions_captured"
        monkeypatch.undo()
        conn.execute("DROP INDEX revisions_date")
        assert newest_revisions_index(conn, (), None, "2024-05-01") \
            == "INDEXED BY revisions_captured"
    finally:
        conn.close()


@pytest.mark.parametrize("sources", [("ledger",), ("ledger", "herald"), ("nowhere",)])
@pytest.mark.parametrize("kinds", [(), ("revert",), ("headline", "revert")])
@pytest.mark.parametrize("few", [0, 10**9])
def test_changes_of_sources_are_those_a_filter_over_every_revision_finds(
        built: Path, sources: tuple[str, ...], kinds: tuple[str, ...], few: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One source walks its own revisions (its index), several are merged, and a rare
    kind of one source walks the kind's index instead: the same changes either way."""
    monkeypatch.setattr(Catalog, "FEW_OF_KIND", few)
    every = sorted(((c, a, n) for a, n, c, s, k in _kinds_of(built)
                    if n > 1 and s in sources and (not kinds or k & set(kinds))), reverse=True)
    for limit in (1, 5, 1000):
        got = _changes(built, kinds, limit, source=list(sources))  # type: ignore[arg-type]
        assert got == [(a, n) for _, a, n in every][:limit]


@pytest.mark.parametrize("kinds, index", [((), "revisions_source"),
                                          (("revert",), "revisions_kind_revert")])
def test_changes_of_one_source_take_its_index(built: Path, kinds: tuple[str, ...],
                                              index: str) -> None:
    """What keeps ``changes --source`` of a small source from walking every revision
    (0.27 s at 100,000 articles): its plan."""
    plans = _plans(built, "ORDER BY r.captured_at", method="changes", source="ledger",
                   kind=list(kinds))
    assert plans and all(f"INDEX {index} " in p + " " for p in plans), plans


def test_rows_asked_for_by_more_ids_than_sqlite_takes_in_one_statement() -> None:
    """40,000 ids (SQLite refuses more than 32,766 variables a statement): every row once,
    the other arguments before the ids in each statement."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, side TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)",
                     ((i, "a" if i % 3 else "b") for i in range(50_000)))
    ids = list(range(0, 80_000, 2))
    got = list(rows_in(conn, "SELECT id FROM t WHERE side = ? AND id IN ({})", ids, ["b"]))
    assert sorted(i for (i,) in got) == [i for i in ids if i < 50_000 and i % 3 == 0]
    assert list(rows_in(conn, "SELECT id FROM t WHERE id IN ({})", [])) == []

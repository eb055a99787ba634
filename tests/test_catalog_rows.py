"""A catalog edited by hand: rows holding what no writer writes stop an add with one line,
``check`` reports them, and ``check --repair`` rebuilds them (ops/catalog_rows.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.conftest import CliRun

ARTICLE = "s/2024-01-01/story"
FIRST = "A story\n\nThe council met on Monday. It voted on the budget.\n"
SECOND = "A story\n\nThe council met on Monday. It voted down the budget.\n"
THIRD = "A story\n\nThe council met on Monday. It voted down the budget, 5 to 4.\n"


@pytest.fixture
def two(cli: CliRun, store: Path, tmp_path: Path) -> Path:
    """A store with one article of two revisions; returns the text of a third."""
    for n, text in enumerate((FIRST, SECOND), 1):
        (tmp_path / f"{n}.txt").write_text(text)
        r = cli("add", "--id", ARTICLE, "--source", "s", "--date", "2024-01-01",
                str(tmp_path / f"{n}.txt"))
        assert r.exit_code == 0, r.output
    third = tmp_path / "3.txt"
    third.write_text(THIRD)
    return third


def edit(store: Path, sql: str) -> None:
    conn = sqlite3.connect(store / "catalog.sqlite")
    with conn:
        assert conn.execute(sql).rowcount > 0
    conn.close()


EDITS = [
    # (the edit, what the add says, what check says)
    ("UPDATE revisions SET captured_at = 'garbage'", "a capture time that is no time",
     "revisions: 2 rows hold a value of the wrong type or form"),
    ("UPDATE captures SET captured_at = 'garbage'", "a capture time that is no time",
     "captures: 2 rows hold a value of the wrong type or form"),
    ("UPDATE revisions SET words = 'many'", "a word count that is no number",
     "revisions: 2 rows hold a value of the wrong type or form"),
    ("UPDATE search_revs SET pids = 'garbage'", "a search entry that is no list",
     "search_revs: 2 rows hold a value of the wrong type or form"),
    ("UPDATE search_revs SET pids = -5", "a search entry that is no list",
     "search_revs: 2 rows hold a value of the wrong type or form"),
]


@pytest.mark.parametrize(("sql", "said", "reported"), EDITS)
def test_a_row_no_writer_writes_is_one_line_for_add_reported_and_repaired(
        cli: CliRun, proc: Callable[..., CompletedProcess[bytes]], store: Path, two: Path,
        sql: str, said: str, reported: str) -> None:
    edit(store, sql)
    r = proc("add", "--id", ARTICLE, "--source", "s", "--date", "2024-01-01", str(two))
    err = r.stderr.decode()
    assert r.returncode != 0 and "Traceback" not in err
    assert err.startswith("error: the catalog is damaged (" + said) and len(err.splitlines()) == 1
    assert "check --repair" in err

    r = cli("check")
    assert r.exit_code == 1 and f"damage: index {reported}" in r.stdout

    assert cli("check", "--repair").exit_code == 0
    assert json.loads(cli("check", "--json").stdout)["ok"]
    r = cli("add", "--id", ARTICLE, "--source", "s", "--date", "2024-01-01", str(two))
    assert r.exit_code == 0 and "@3" in r.output, r.output


def test_an_article_row_without_id_or_with_a_wrong_head(cli: CliRun, store: Path,
                                                        two: Path) -> None:
    edit(store, f"UPDATE articles SET id = NULL WHERE id = '{ARTICLE}'")
    r = cli("log", ARTICLE)  # was an AttributeError: the id looked up ends in nothing
    assert r.exit_code != 0 and "no such article" in r.output
    r = cli("check", "--json")
    assert {(p["kind"], p["object"], p["detail"]) for p in json.loads(r.stdout)["problems"]
            if p["kind"] == "index"} == {
        ("index", "articles", "1 article rows do not match their revisions (a head that "
         "is not the last)"),
        ("index", "articles", "1 articles of revisions have no row"),
        ("index", "articles", "1 rows hold a value of the wrong type or form (a catalog "
         "edited by hand?)")}
    assert cli("check", "--repair").exit_code == 0
    assert cli("log", ARTICLE).exit_code == 0

    edit(store, "UPDATE articles SET head = head - 1")
    assert "1 article rows do not match their revisions" in cli("check").stdout
    assert cli("check", "--repair").exit_code == 0
    assert json.loads(cli("check", "--json").stdout)["ok"]


def test_a_sound_catalog_has_no_row_problems(cli: CliRun, store: Path, two: Path) -> None:
    """Every value the writers write passes: object ids, times, paragraph lists, NULLs
    where a column takes them."""
    from newsarchive.ops import catalog_rows  # (the module under test, read directly)

    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        assert catalog_rows.misshapen_rows(conn) == {}
        assert catalog_rows.unheaded_articles(conn) == (0, 0)
        conn.execute("UPDATE revisions SET text_hash = upper(text_hash) WHERE number = 1")
        conn.execute("UPDATE captures SET record = 'f' || record WHERE rid = 1")
        assert catalog_rows.misshapen_rows(conn) == {"revisions": 1, "captures": 1}
    finally:
        conn.close()


@pytest.mark.parametrize("column", ["article", "title", "text_hash"])
def test_check_reads_a_blob_where_a_capture_holds_text(cli: CliRun, store: Path, two: Path,
                                                       column: str) -> None:
    """``X'00FF'`` in a capture's text column: check names it (it was a traceback when
    the column was the article) and its repair rebuilds the row."""
    edit(store, f"UPDATE captures SET {column} = x'00ff'")
    r = cli("check", "--json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    found = json.loads(r.stdout)["problems"]
    assert ("captures", "2 rows hold a value of the wrong type or form (a catalog edited "
            "by hand?)") in [(p["object"], p["detail"]) for p in found]
    assert cli("check").exit_code == 1
    assert cli("check", "--repair").exit_code == 0
    assert json.loads(cli("check", "--json").stdout)["ok"]


def test_a_column_read_as_text_keeps_text_and_null_and_names_the_rest() -> None:
    from newsarchive.ops.catalog_rows import as_text  # (the module under test)

    conn = sqlite3.connect(":memory:")
    try:
        got = [conn.execute(f"SELECT {as_text('v')} FROM (SELECT ? AS v)", (v,)).fetchone()[0]
               for v in ("text", None, b"\x00\xff", -5)]
    finally:
        conn.close()
    assert got == ["text", None, "X'00FF'", "-5"]  # a NULL original is no text 'NULL'

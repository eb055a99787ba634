"""``search --removed/--added``: headlines are searched too, and a snippet is the edited
sentence with its change marked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA, CliRun
from tests.test_diff_cli import on_a_terminal

MATCH = """title: Underdogs score historic upset in cup semi-final
source: sportdesk
date: 2024-05-02
url: https://sportdesk.example/football/cup-semi-final

Third-tier Alder Vale beat the holders 2-1 in the cup semi-final on Wednesday night.

The winning goal came in the 89th minute, when a free kick from 30 yards curled in off the post past a goalkeeper who had not conceded in six matches, and the away end erupted.

Alder Vale will meet the winner of Thursday's second semi-final in the final in June.
"""
REWRITTEN = MATCH.replace("Underdogs score historic upset in cup semi-final",
                          "Underdogs Alder Vale stun holders in cup semi-final") \
    .replace("in the 89th minute", "in the 88th minute")


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def match(cli: CliRun, tmp_path: Path, store: Path) -> Path:
    for n, text in enumerate((MATCH, REWRITTEN)):
        path = tmp_path / f"match.{n}.txt"
        path.write_text(text)
        assert cli("add", str(path)).exit_code == 0
    return store


@pytest.mark.usefixtures("match")
def test_a_rewritten_headline_is_searched_inside_the_edits(cli: CliRun) -> None:
    (hit,) = lines(cli("search", "--removed", '"score historic upset"', "--json").stdout)
    assert hit["revision"] == 2
    assert hit["snippet"] == ("title: Underdogs [-score historic upset-]"
                              "{+Alder Vale stun holders+} in cup semi-final")
    (hit,) = lines(cli("search", "--added", "stun", "--json").stdout)
    assert hit["snippet"].startswith("title: ")
    # words the headline kept were not removed
    assert lines(cli("search", "--removed", "underdogs", "--json").stdout) == []
    assert lines(cli("search", "--removed", "cup", "--json").stdout) == []


@pytest.mark.usefixtures("match")
def test_the_snippet_is_the_edited_sentence_cut_around_the_change(cli: CliRun) -> None:
    (hit,) = lines(cli("search", "--removed", "89th", "--json").stdout)
    snippet = hit["snippet"]
    assert "[-89th-]{+88th+}" in snippet
    assert snippet.startswith("The winning goal came in the ")
    assert snippet.endswith("\u2026") and len(snippet) <= 250   # the rest of a long sentence cut
    human = cli("search", "--removed", "89th").stdout.splitlines()
    assert human[1] == "    " + snippet


@pytest.mark.usefixtures("match")
def test_headline_passages_survive_reindex(cli: CliRun, store: Path) -> None:
    before = cli("search", "--removed", "upset", "--json").stdout
    assert before
    (store / "catalog.sqlite").unlink()
    assert cli("reindex").exit_code == 0
    assert cli("search", "--removed", "upset", "--json").stdout == before


def test_a_moved_paragraph_is_searched_by_its_edit_only(cli: CliRun) -> None:
    articles = DATA / "articles"
    assert cli("add", *(str(articles / f"river-floods.{n}.txt") for n in (1, 2, 3))
               ).exit_code == 0
    (hit,) = lines(cli("search", "--removed", "400", "--json").stdout)
    assert hit["revision"] == 3
    assert hit["snippet"].startswith("The army sent [-400-]{+600+} soldiers to reinforce")
    assert lines(cli("search", "--removed", "levees", "--json").stdout) == []   # only moved
    assert lines(cli("search", "--added", "levees", "--json").stdout) == []
    (hit,) = lines(cli("search", "--added", "10,500", "--json").stdout)
    assert hit["revision"] == 2 and "[-9,500-]{+10,500+}" in hit["snippet"]


@pytest.mark.usefixtures("match")
def test_on_a_terminal_the_change_is_coloured(store: Path) -> None:
    code, out, _ = on_a_terminal(store, "search", "--removed", "89th")
    assert code == 0
    assert "\x1b[9;31m89th\x1b[0m\x1b[2m\u2192\x1b[0m\x1b[32m88th\x1b[0m".encode() in out
    assert b"[-" not in out and b"{+" not in out
    code, out, _ = on_a_terminal(store, "--no-color", "search", "--removed", "89th")
    assert b"[-89th-]{+88th+}" in out and b"\x1b[" not in out


@pytest.mark.usefixtures("match")
def test_a_passage_not_found_again_falls_back_to_the_passage(store: Path) -> None:
    """An index made by an older version may hold passages cut otherwise: such a hit's
    snippet is its passage, the query's words marked."""
    import newsarchive
    from newsarchive.search.edit_snippet import edit_snippet

    with newsarchive.open(store) as archive:
        art = "sportdesk/2024-05-02/cup-semi-final"
        assert edit_snippet(archive.store, art, 2, "no such passage", "removed") is None
        assert edit_snippet(archive.store, art, 1, "89th", "removed") is None   # no predecessor
        cat = archive.store.catalog(write=True)
        cat.conn.execute("UPDATE edits SET passage = 'the 89th minute, when' "
                         "WHERE passage = '89th'")
        cat.conn.execute("INSERT INTO edits_fts (edits_fts) VALUES ('rebuild')")
        cat.conn.commit()
        (hit,) = archive.search("89th", removed=True)
        assert hit.snippet == "the [89th] minute, when"


def test_the_search_page_shows_real_output(cli: CliRun) -> None:
    """docs/search.md's example of --removed is what the CLI prints for the examples."""
    import re

    from tests.conftest import EXAMPLES, ROOT

    assert cli("add", str(EXAMPLES)).exit_code == 0
    page = (ROOT / "docs" / "search.md").read_text("utf-8")
    section = page[page.index("### Searching inside the edits"):page.index("### JSON")]
    (block,) = re.findall(r"```console\n(.*?)```", section, re.S)
    shown = re.findall(r"^\$ newsarchive (.*)\n((?:(?!\$ ).*\n)*)", block, re.M)
    assert len(shown) == 3
    for command, output in shown:
        assert cli("--no-color", *command.split()).stdout == output, command

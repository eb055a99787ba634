"""One article, one history (issue 13): identity by URL or ID, capture order, idempotency."""

from __future__ import annotations

import pytest

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.ingest.jsonl import record_to_draft
from tests.conftest import CliRun
from tests.httpserver import Route, TestServer
from tests.pages import page


def jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def saved_pages(folder: Path) -> Path:
    """Two saved versions of each of 20 pages, as a browser saves them: no capture header,
    the second version saved a day after the first (file modification times)."""
    folder.mkdir()
    for i in range(20):
        for version in (1, 2):
            f = folder / f"page-{i:02d}.v{version}.html"
            f.write_bytes(page(i, version))
            t = 1_709_000_000 + i * 3600 + (version - 1) * 86_400
            os.utime(f, (t, t))
    return folder


def test_adding_a_folder_again_adds_nothing(cli: CliRun, tmp_path: Path) -> None:
    folder = saved_pages(tmp_path / "saved")
    first = cli("add", str(folder))
    assert first.exit_code == 0, first.stderr
    statuses = [line.split()[0] for line in first.stdout.splitlines()]
    assert statuses.count("added") == 20 and statuses.count("revised") == 20
    for _ in range(2):
        again = cli("add", str(folder))
        assert again.exit_code == 0
        assert {line.split()[0] for line in again.stdout.splitlines()} == {"unchanged"}
    articles = jsonl(cli("list", "--json").stdout)
    assert len(articles) == 20 and {a["revisions"] for a in articles} == {2}
    for a in articles:
        log = jsonl(cli("log", "--json", str(a["id"])).stdout)
        assert [r["captured_at"] for r in log] == sorted((r["captured_at"] for r in log),
                                                         reverse=True)  # mtime order
        assert log[0]["captured_at"][:10] == "2024-02-28" or log[0]["captured_at"] > \
            log[1]["captured_at"]


def test_the_same_url_with_any_date_is_one_article(tmp_path: Path) -> None:
    url = "http://news.example/world/ceasefire-talks/?utm_source=twitter"
    with newsarchive.open(tmp_path / "s") as a:
        results = [a.add(f"Talks resumed. Version {n} of the story.", url=url, date=date,
                         captured_at=f"2024-04-0{n}T10:00:00Z", source="news.example")
                   for n, date in ((1, "2024-04-01"), (2, "2024-04-02"), (3, "2024-03-31"),
                                   (4, None))]
        assert len({r.revision.id for r in results}) == 1
        (article,) = a.articles()
        assert article.revisions == 4
        log = a.log(article.id)
        assert [r.date for r in reversed(log)] == ["2024-04-01", "2024-04-02", "2024-03-31",
                                                    "2024-04-04"]
        assert log[0].url == url.replace("?utm_source=twitter", "")  # http stays http


def test_the_same_url_on_three_days_without_dates(cli: CliRun, tmp_path: Path) -> None:
    """An undated page filed under its capture day: the same URL on other days is the same
    article, not a new one a day."""
    for day in (3, 4, 5):
        f = tmp_path / f"page-{day}.html"
        f.write_bytes(page(3, 1 if day < 5 else 2))  # the wire style: no date at all
        r = cli("add", str(f), "--captured-at", f"2024-12-0{day}T09:00:00Z")
        assert r.exit_code == 0, r.stderr
    (article,) = jsonl(cli("list", "--json").stdout)
    assert article["id"] == "news.example/2024-12-03/gdansk-hospital-funding"
    assert article["revisions"] == 2  # day 4 confirmed day 3


def captures(order: list[int]) -> list[dict[str, object]]:
    texts = {1: "One. The first text.", 2: "Two. The second text.",
             3: "One. The first text."}  # the third goes back to the first
    return [{"text": texts[n], "title": "Story", "source": "ex", "date": "2024-04-03",
             "slug": "story", "captured_at": f"2024-04-03T0{n}:00:00Z"} for n in order]


def test_backfilled_captures_take_their_place(tmp_path: Path) -> None:
    exports = []
    for name, order in (("forward", [1, 2, 3]), ("backfill", [3, 1, 2])):
        with newsarchive.open(tmp_path / name) as a:
            results = list(a.add_stream(record_to_draft(c, origin="x") for c in captures(order)))
            if name == "backfill":
                assert [r.status for r in results] == ["added", "inserted", "inserted"]  # type: ignore[union-attr]
            log = a.log("story")
            assert [r.captured_at[11:13] for r in log] == ["03", "02", "01"]
            assert log[0].reverts == 1 and "revert" in log[0].kind and log[-1].number == 1
            exports.append(list(a.export()))
    assert exports[0] == exports[1]


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(6)))
def test_any_insertion_order_gives_the_same_export(order: list[int]) -> None:
    import tempfile

    texts = ["A. Alpha.", "B. Beta.", "A. Alpha.", "C. Gamma.", "C. Gamma.", "D. Delta."]
    rows = [{"text": texts[i], "title": "T" if i != 4 else "T2", "source": "ex",
             "date": "2024-01-01", "slug": "s", "captured_at": f"2024-01-01T0{i}:00:00Z"}
            for i in range(6)]
    exports = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, seq in (("sorted", range(6)), ("shuffled", order)):
            with newsarchive.open(Path(tmp) / name) as a:
                list(a.add_stream(record_to_draft(rows[i], origin="x") for i in seq))
                exports.append([{k: v for k, v in r.items()} for r in a.export()])
                facts = [(r.number, r.kind, r.reverts, r.words_added, r.flipflop)
                         for r in a.log("s")]
                exports.append(facts)
    assert exports[0] == exports[2] and exports[1] == exports[3]


def test_id_revises_exactly_that_article(cli: CliRun, store: Path, tmp_path: Path) -> None:
    one = tmp_path / "story.v2.txt"
    one.write_text("title: Storm hits coast\n\nThe storm hit the coast on Monday.\n")
    r = cli("add", str(one), "--source", "wire", "--date", "2024-05-01")
    assert r.stdout.startswith("added wire/2024-05-01/storm-hits-coast@1 ")
    assert "(named from the title" in r.stdout
    other = tmp_path / "notes.txt"
    other.write_text("title: A rewritten headline\n\nThe storm hit the coast on Monday night.\n")
    os.utime(other, (one.stat().st_mtime + 10,) * 2)
    r = cli("add", str(other), "--id", "wire/2024-05-01/storm-hits-coast")
    assert r.stdout.startswith("revised wire/2024-05-01/storm-hits-coast@2 "), r.stdout
    with newsarchive.open(store) as a:
        res = a.add("Yet another version.", id="wire/2024-05-01/storm-hits-coast",
                    captured_at="2030-01-01T00:00:00Z")
        assert res.status == "revised" and res.revision.number == 3
        by_url = a.add("First.", url="https://x.example/a", source="x", date="2024-05-02")
        again = a.add("Second.", url="https://x.example/a/?fbclid=1", title="Other")
        assert again.revision.id == by_url.revision.id and again.status == "revised"
    r = cli("add", "-", "--id", "../etc", input="Text.\n")
    assert r.exit_code == 1 and "is not an article ID" in r.stderr


def test_version_suffixes_are_one_article(cli: CliRun, tmp_path: Path) -> None:
    for n, name in enumerate(("story.txt", "story.v2.txt", "story-3.txt")):
        f = tmp_path / name
        f.write_text(f"Version {n} of the one story.\n")
        os.utime(f, (1_700_000_000 + n * 60,) * 2)
    r = cli("add", str(tmp_path), "--source", "wire")
    ids = {line.split()[1].split("@")[0] for line in r.stdout.splitlines()}
    assert len(ids) == 1, r.stdout


def test_names_never_merge_two_articles(cli: CliRun, store: Path, tmp_path: Path,
                                        http_server: TestServer) -> None:
    for n in (1, 2):
        http_server.routes[f"/news/detail?id={n}"] = Route(page(n, 1, host="x"))
    for n in (1, 2):
        r = cli("add", http_server.url(f"/news/detail?id={n}"))
        assert r.exit_code == 0, r.stderr
    with newsarchive.open(store) as a:
        ids = {x.id for x in a.articles()}
        assert len(ids) == 2
    cyr = tmp_path / "cyr"
    cyr.mkdir()
    (cyr / "новость-1.txt").write_text("Первая новость о погоде в городе.\n")
    (cyr / "статья-1.txt").write_text("Вторая статья о транспорте в регионе.\n")
    r = cli("add", str(cyr), "--source", "ru")
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["added", "added"], r.stdout
    r = cli("add", "-", "--source", "jp", "--title", "東京で会議が開かれた",
            input="東京で会議が開かれた。\n")
    assert r.exit_code == 0 and r.stdout.startswith("added jp/"), r.stderr
    assert "named from the hash" in r.stdout


def test_an_ipv6_host_makes_a_source(tmp_path: Path) -> None:
    with newsarchive.open(tmp_path / "s") as a:
        res = a.add("Text.", url="http://[::1]:8080/news/story-9")
        assert res.revision.source == "ipv6-1"


def test_list_source_takes_the_host_form(tmp_path: Path) -> None:
    with newsarchive.open(tmp_path / "s") as a:
        a.add("Text.", url="https://www.reuters.com/world/x", date="2024-01-01")
        assert [x.source for x in a.articles(source="www.reuters.com")] == ["reuters.com"]


WHITESPACE_JSONL = (
    '{"text": "Line one.\\n\\nLine two.", "title": "T", "source": "s", "slug": "ws", '
    '"date": "2024-01-01", "captured_at": "2024-01-01T10:00:00Z"}\n'
    '{"text": "Line one.\\n\\n\\n  Line two.  ", "title": "T", "source": "s", "slug": "ws", '
    '"date": "2024-01-01", "captured_at": "2024-01-01T11:00:00Z"}\n'
)


@pytest.mark.slow
def test_a_jsonl_file_added_twice_and_by_four_processes(cli: CliRun, tmp_path: Path) -> None:
    f = tmp_path / "ws.jsonl"
    f.write_text(WHITESPACE_JSONL)
    for n in range(2):
        r = cli("add", str(f))
        assert r.exit_code == 0
        assert [line.split()[0] for line in r.stdout.splitlines()] == (
            ["added", "revised"] if n == 0 else ["unchanged", "unchanged"])
    one = jsonl(cli("export").stdout)
    assert [r["revision"] for r in one] == [1, 2]  # the second line is a revision, not a
    assert "reverts" not in cli("log", "ws").stdout  # revert of anything
    many = tmp_path / "many"
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(
        json.dumps({"text": f"Story {i}, version {v}.", "source": "s", "slug": f"st-{i}",
                    "date": "2024-01-01", "captured_at": f"2024-01-01T1{v}:00:00Z"}) + "\n"
        for i in range(40) for v in range(3)))
    procs = [subprocess.Popen([sys.executable, "-m", "newsarchive", "--store", str(many),
                               "add", "-q", str(corpus)], stdout=subprocess.DEVNULL)
             for _ in range(4)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    with newsarchive.open(many) as a:
        assert sum(x.revisions for x in a.articles()) == 120


@pytest.mark.slow
def test_snapshot_force_three_times_adds_nothing(cli: CliRun, tmp_path: Path,
                                                 http_server: TestServer) -> None:
    from tests.test_cli_views import private_ok
    from tests.test_snapshot import serve_three

    feed = serve_three(http_server)
    for n in range(3):
        r = cli("--config", private_ok(tmp_path), "snapshot", "--force", "--json", feed)
        report = json.loads(r.stdout.splitlines()[0])
        assert report["added"] == (3 if n == 0 else 0) and report["revised"] == 0, report


def test_a_page_whose_date_changed_is_one_article(tmp_path: Path) -> None:
    with newsarchive.open(tmp_path / "s") as a:
        first = a.add("Same text.", url="https://d.example/a", date="2024-01-01",
                      captured_at="2024-01-01T00:00:00Z")
        later = a.add("Same text.", url="https://d.example/a", date="2024-01-05",
                      captured_at="2024-01-05T00:00:00Z")
        assert later.revision.id == first.revision.id and later.status == "unchanged"

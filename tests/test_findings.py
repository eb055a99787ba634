"""What the watcher finds in captures, through the CLI and a loopback page server: noise
(a capture that differs only by ignored text is ``unchanged``), extraction health (a page
turned into a paywall stub is ``extraction-suspect``, with a warning) and headline tests
(titles taking turns within a day are ``headline-test``, one change in ``changes``).
Rules come from the config and are applied again by ``reindex``."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.archive import Archive
from newsarchive.config import NoiseConfig
from tests.conftest import CliRun
from tests.httpserver import Route, TestServer

PAGES = Path(__file__).parent / "data" / "pages"
PATH = "/world/2024/03/04/storm-elin-floods"
ID = "127.0.0.1/2024-03-04/storm-elin-floods"


def jsonl(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def page(name: str, server: TestServer) -> bytes:
    """A fixture page as this server serves it (its canonical link on this server)."""
    return (PAGES / f"{name}.html").read_bytes().replace(b"https://news.example.org",
                                                         server.base.encode())


def rss(server: TestServer) -> bytes:
    link = server.url(PATH)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>'
            f"<link>{server.base}/</link><item><title>Storm Elin</title><link>{link}</link>"
            f"<guid>{link}</guid></item></channel></rss>").encode()


@pytest.fixture
def site(http_server: TestServer, tmp_path: Path) -> tuple[TestServer, Path]:
    """The server with the article and a feed of it, and a config that lets the feed's
    loopback link be fetched."""
    http_server.routes[PATH] = Route(body=page("article", http_server))
    http_server.routes["/rss.xml"] = Route(body=rss(http_server),
                                           content_type="application/rss+xml")
    config = tmp_path / "config.toml"
    config.write_text("allow_private_networks = true\n")
    return http_server, config


def snap(cli: CliRun, config: Path, server: TestServer, *args: str) -> Any:
    return cli("--config", str(config), "snapshot", server.url("/rss.xml"), *args)


def log(cli: CliRun, *args: str) -> list[dict[str, Any]]:
    r = cli(*args, "log", ID, "--json")
    assert r.exit_code == 0, r.output
    return sorted(jsonl(r.stdout), key=lambda d: d["revision"])


def captures(store: Path, article: str = ID) -> list[Any]:
    with Archive(store) as archive:
        return list(archive.store.catalog().captures_of(article))


# -- noise ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_only_a_timestamp_and_the_most_read_box_changed_is_unchanged_a_figure_is_revised(
        site: tuple[TestServer, Path], cli: CliRun, store: Path) -> None:
    server, config = site
    r = snap(cli, config, server)
    assert r.exit_code == 0 and "1 added" in r.stdout, r.output
    # "Updated 3 minutes ago" is now "Updated 8 minutes ago", and the "Most read" box rotated
    server.routes[PATH] = Route(body=page("article-updated", server))
    r = snap(cli, config, server, "--json")
    assert r.exit_code == 0, r.output
    (report,) = jsonl(r.stdout)
    assert (report["added"], report["revised"], report["unchanged"]) == (0, 0, 1)
    assert [d["revision"] for d in log(cli)] == [1]
    # nothing is lost: the capture that differed is kept, with its page and its text
    caps = captures(store)
    assert len(caps) == 2 and caps[0]["text_hash"] != caps[1]["text_hash"]
    assert caps[1]["record"] and caps[1]["original"] and caps[0]["rid"] == caps[1]["rid"]
    with Archive(store) as archive:
        assert "Updated 8 minutes ago" in archive.text_of(caps[1]["text_hash"])
        assert b"Updated 8 minutes ago" in archive.blob(caps[1]["original"])

    # the same noise, and one changed figure: a revision
    server.routes[PATH] = Route(body=page("article-updated", server).replace(
        b"At least 12 people", b"At least 13 people"))
    r = snap(cli, config, server)
    assert "1 revised" in r.stdout, r.output
    revs = log(cli)
    assert [d["revision"] for d in revs] == [1, 2]
    assert revs[1]["kind"] == ["substantive"]
    diff = cli("diff", ID).stdout
    assert "12" in diff and "13" in diff
    assert cli("check").exit_code == 0


@pytest.mark.slow
def test_a_noise_change_with_a_new_headline_is_a_headline_change_only(
        site: tuple[TestServer, Path], cli: CliRun) -> None:
    server, config = site
    snap(cli, config, server)
    server.routes[PATH] = Route(body=page("article-updated", server).replace(
        b"at least 12 dead as floods sweep", b"floods sweep"))
    assert "1 revised" in snap(cli, config, server).stdout
    assert log(cli)[1]["kind"] == ["headline"]  # not "substantive": the text only had noise


@pytest.mark.slow
def test_config_drop_selectors_are_removed_before_extraction(
        site: tuple[TestServer, Path], cli: CliRun) -> None:
    server, config = site
    config.write_text('allow_private_networks = true\n[[noise]]\nsources = ["127.0.0.1"]\n'
                      'drop = ["p.story__dateline"]\n')
    assert snap(cli, config, server).exit_code == 0
    text = cli("show", ID).stdout
    assert "At least 12 people were killed" in text
    assert "Lindau-on-Arne | Updated" not in text
    other = config.parent / "other.toml"  # rules for another site leave the page whole
    other.write_text('allow_private_networks = true\n[[noise]]\nsources = ["example.org"]\n'
                     'drop = ["p.story__dateline"]\n')
    r = cli("--config", str(other), "add", server.url(PATH), "--id", "x/2024-03-04/whole")
    assert r.exit_code == 0, r.output
    assert "Lindau-on-Arne | Updated" in cli("show", "x/2024-03-04/whole").stdout


def test_config_drop_selectors_apply_to_saved_pages(cli: CliRun, tmp_path: Path) -> None:
    saved = tmp_path / "storm.html"
    saved.write_bytes((PAGES / "article.html").read_bytes())
    config = tmp_path / "drop.toml"  # the page names its site: news.example.org
    config.write_text('[[noise]]\nsources = ["example.org"]\ndrop = ["p.story__dateline"]\n')
    assert cli("--config", str(config), "add", str(saved)).exit_code == 0
    assert cli("add", str(saved), "--id", "x/2024-03-04/as-saved").exit_code == 0
    assert "Lindau-on-Arne | Updated" not in cli("show", "storm-elin-floods").stdout
    assert "Lindau-on-Arne | Updated" in cli("show", "as-saved").stdout


TEXT = ("The council approved the new budget on Tuesday by nine votes to four.\n\n"
        "Spending on schools rises by 4 percent; the library stays open on Sundays.\n\n")


def add(cli: CliRun, text: str, at: str, *args: str, title: str = "Budget approved") -> str:
    r = cli(*args, "add", "-", "--url", "https://example.org/news/budget", "--title", title,
            "--captured-at", at, "--source", "example.org", "--date", "2024-03-04",
            input=text)
    assert r.exit_code == 0, r.output
    return str(r.stdout.split()[0])


def test_reindex_applies_changed_rules_again(cli: CliRun, tmp_path: Path) -> None:
    assert add(cli, TEXT + "Reporting by Anna Smith", "2024-03-04T10:00:00Z") == "added"
    assert add(cli, TEXT + "Reporting by Tom Jones", "2024-03-04T11:00:00Z") == "revised"
    ignore = tmp_path / "ignore.toml"
    ignore.write_text("[[noise]]\nignore = ['^Reporting by [A-Z][a-z]+ [A-Z][a-z]+$']\n")
    strict = tmp_path / "strict.toml"
    strict.write_text("[[noise]]\ndefaults = false\n")
    ref = "example.org/2024-03-04/budget"

    def revisions(*config: str) -> list[int]:
        return [d["revision"] for d in jsonl(cli(*config, "log", ref, "--json").stdout)]

    assert revisions() == [2, 1]
    assert cli("--config", str(ignore), "reindex").exit_code == 0
    assert revisions() == [1]  # the byline line is ignored now: the second capture confirms
    # a third capture under the rules: unchanged; a real edit: revised
    assert add(cli, TEXT + "Reporting by Lea Roth", "2024-03-04T12:00:00Z",
               "--config", str(ignore)) == "unchanged"
    assert add(cli, TEXT.replace("nine", "ten") + "Reporting by Lea Roth",
               "2024-03-04T13:00:00Z", "--config", str(ignore)) == "revised"
    assert revisions() == [2, 1]
    assert cli("--config", str(strict), "reindex").exit_code == 0
    assert revisions() == [4, 3, 2, 1]  # every capture that differed is a revision again
    assert cli("check").exit_code == 0


def test_a_capture_that_only_respaces_the_text_is_still_a_minor_revision(cli: CliRun) -> None:
    add(cli, TEXT, "2024-03-04T10:00:00Z")
    assert add(cli, TEXT.replace("Spending on", "  Spending   on"),
               "2024-03-04T11:00:00Z") == "revised"


def test_the_library_takes_the_rules_as_tables(tmp_path: Path) -> None:
    rules = [NoiseConfig(ignore=(r"^Reporting by [A-Z][a-z]+ [A-Z][a-z]+$",))]
    url = "https://example.org/news/budget"
    with Archive(tmp_path / "s", noise=rules) as archive:
        first = archive.add(TEXT + "Reporting by Anna Smith", url=url, title="T",
                            captured_at="2024-03-04T10:00:00Z")
        again = archive.add(TEXT + "Reporting by Tom Jones", url=url, title="T",
                            captured_at="2024-03-04T11:00:00Z")
        assert (first.status, again.status) == ("added", "unchanged")
        assert again.revision.number == 1
    with Archive(tmp_path / "t") as archive:  # no tables: the built-in rules only
        archive.add(TEXT + "Reporting by Anna Smith", url=url, title="T",
                    captured_at="2024-03-04T10:00:00Z")
        assert archive.add(TEXT + "Reporting by Tom Jones", url=url, title="T",
                           captured_at="2024-03-04T11:00:00Z").status == "revised"


# -- extraction health ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_page_turned_into_a_paywall_stub_is_suspect_and_warned_about(
        site: tuple[TestServer, Path], cli: CliRun) -> None:
    server, config = site
    two_days_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    r = cli("--config", str(config), "add", server.url(PATH), "--captured-at", two_days_ago)
    assert r.exit_code == 0 and r.stdout.startswith("added"), r.output
    server.routes[PATH] = Route(body=page("article-paywall", server))
    r = snap(cli, config, server)
    assert r.exit_code == 0, r.output
    assert "1 revised" in r.stdout
    assert "  127.0.0.1: 1 suspect capture (extraction-suspect" in r.stdout
    assert r.stderr == ("warning: 127.0.0.1: its only capture in the last day looked like a "
                        "failed extraction (empty, a paywall or consent page, or a collapsed "
                        "text); check the site or its noise rules\n")
    revs = log(cli)
    assert revs[1]["kind"] == ["extraction-suspect"]  # not "substantive"
    assert cli("changes", "--kind", "substantive", "--json").stdout == ""
    r = cli("--config", str(config), "snapshot", server.url("/rss.xml"), "--json", "-q")
    (report,) = jsonl(r.stdout)  # the stub again: unchanged, still suspect
    assert (report["unchanged"], report["suspect"], report["suspect_sources"]) == (
        1, 1, {"127.0.0.1": 1})
    assert "all 2 captures in the last day" in r.stderr
    check = cli("check")
    assert check.exit_code == 0, check.output

    # the page comes back whole: the article as it was, a revert, and no warning
    server.routes[PATH] = Route(body=page("article", server))
    r = snap(cli, config, server)
    assert r.stderr == "" and "suspect" not in r.stdout
    assert log(cli)[2]["kind"] == ["revert"]


@pytest.mark.slow
def test_a_source_with_a_healthy_capture_that_day_gets_no_warning(
        site: tuple[TestServer, Path], cli: CliRun) -> None:
    server, config = site
    snap(cli, config, server)
    server.routes[PATH] = Route(body=page("article-paywall", server))
    r = snap(cli, config, server)
    assert "1 suspect capture" in r.stdout and r.stderr == ""


# -- headline tests -------------------------------------------------------------------------


A = "Storm Elin: 12 dead"
B = "Floods sweep river towns"


def test_headlines_taking_turns_within_a_day_are_one_headline_test(cli: CliRun) -> None:
    for hour, title in ((8, A), (9, B), (10, A), (11, B), (12, A)):
        add(cli, TEXT, f"2024-03-04T{hour:02d}:00:00Z", title=title)
    add(cli, TEXT, "2024-03-04T12:30:00Z", title=A)  # seen again: a sighting
    ref = "example.org/2024-03-04/budget"
    kinds = {d["revision"]: d["kind"] for d in jsonl(cli("log", ref, "--json").stdout)}
    assert kinds == {1: [], 2: ["headline"], 3: ["headline-test"], 4: ["headline-test"],
                     5: ["headline-test"]}
    (change,) = jsonl(cli("changes", "--json").stdout)  # one change, not four
    assert change["revision"] == 5
    test = change["headline_test"]
    assert test["revisions"] == [2, 3, 4, 5] and test["final"] == A
    assert [(v["title"], v["seen"]) for v in test["variants"]] == [(A, 4), (B, 2)]
    assert (test["start"], test["end"]) == ("2024-03-04T09:00:00Z", "2024-03-04T12:00:00Z")
    text = cli("changes").stdout
    assert f"headline test: {A!r} 4x, {B!r} 2x; 4 switches" in text
    # the same kinds when derived again from the objects
    assert cli("reindex").exit_code == 0
    assert {d["revision"]: d["kind"]
            for d in jsonl(cli("log", ref, "--json").stdout)} == kinds
    # a filter on the first switch alone leaves it a headline change
    (first,) = jsonl(cli("changes", "--kind", "headline", "--json").stdout)
    assert first["revision"] == 2 and "headline_test" not in first


def test_a_headline_back_after_more_than_a_day_is_a_headline_change(cli: CliRun) -> None:
    add(cli, TEXT, "2024-03-04T08:00:00Z", title=A)
    add(cli, TEXT, "2024-03-04T09:00:00Z", title=B)
    add(cli, TEXT, "2024-03-05T10:00:00Z", title=A)
    kinds = [d["kind"] for d in jsonl(cli("log", "budget", "--json").stdout)]
    assert kinds == [["headline"], ["headline"], []]


def test_headline_tests_see_through_noise_and_backfills(cli: CliRun) -> None:
    times = ["08:00", "09:00", "10:00", "11:00"]
    titles = [A, B, A, B]
    order = [0, 1, 3, 2]  # the last two added out of order: a backfill
    for i in order:
        add(cli, TEXT + f"Updated {i + 2} minutes ago", f"2024-03-04T{times[i]}:00Z",
            title=titles[i])
    kinds = [d["kind"] for d in sorted(jsonl(cli("log", "budget", "--json").stdout),
                                       key=lambda d: d["revision"])]
    assert kinds == [[], ["headline"], ["headline-test"], ["headline-test"]]
    assert cli("reindex").exit_code == 0
    assert [d["kind"] for d in sorted(jsonl(cli("log", "budget", "--json").stdout),
                                      key=lambda d: d["revision"])] == kinds


def test_a_backfilled_capture_that_differs_only_by_noise_is_unchanged(cli: CliRun) -> None:
    assert add(cli, TEXT + "Updated 3 minutes ago", "2024-03-04T10:00:00Z") == "added"
    assert add(cli, TEXT.replace("nine", "ten") + "Updated 1 minute ago",
               "2024-03-04T12:00:00Z") == "revised"
    assert add(cli, TEXT + "Updated 9 minutes ago", "2024-03-04T11:00:00Z") == "unchanged"
    assert add(cli, TEXT.replace("nine", "eight"), "2024-03-04T11:30:00Z") == "inserted"
    revs = sorted(jsonl(cli("log", "budget", "--json").stdout), key=lambda d: d["revision"])
    assert [d["captured_at"] for d in revs] == [
        "2024-03-04T10:00:00Z", "2024-03-04T11:30:00Z", "2024-03-04T12:00:00Z"]


# -- the same findings, whether derived capture by capture or by reindex ----------------------

TITLES = ("Storm Elin: 12 dead", "Floods sweep river towns", "Rivers keep rising")
BODIES = (TEXT, TEXT.replace("nine", "ten"),
          "Subscribe to continue reading. Already a subscriber? Sign in.")


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.integers(1, 48), st.just(300)),
                          st.sampled_from((0, 0, 1, 1, 2)), st.sampled_from((0, 0, 0, 1, 2)),
                          st.integers(0, 3)),
                min_size=1, max_size=12))
def test_adding_capture_by_capture_and_reindex_agree(
        captures: list[tuple[int, int, int, int]]) -> None:
    """Captures (minutes after the previous one, title, body, "Updated N minutes ago"
    variant) added in capture order give the revisions and kinds a reindex gives."""
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "s") as archive:
        at = dt.datetime(2024, 3, 4, 6, tzinfo=dt.timezone.utc)
        for minutes, title, body, stamp in captures:
            at += dt.timedelta(minutes=minutes * 5)
            text = BODIES[body] + ("\n\nUpdated %d minutes ago" % stamp if stamp else "")
            archive.add(text, url="https://example.org/news/storm", title=TITLES[title],
                        captured_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))

        def history() -> list[tuple[Any, ...]]:
            return [(r.number, r.hash, r.title, r.kind, r.captured_at)
                    for r in archive.log("storm")]

        before = history()
        archive.reindex()
        assert history() == before

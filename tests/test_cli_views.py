"""diff, search, changes, snapshot and add URL through the CLI (issues 3, 4, 5, 8)."""
from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from newsarchive.text.urls import canonical_url
from tests.conftest import EXAMPLES, CliRun, on_a_terminal
from tests.httpserver import Route, TestServer
from tests.test_snapshot import FEEDS, rss, serve_three

PUTIN = "putin-reaffirms-war-aims"


@pytest.fixture
def filled(cli: CliRun, store: Path) -> Path:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    return store


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# -- diff ---------------------------------------------------------------------------------
def test_diff_inline_title_first_and_exit_code(cli: CliRun, filled: Path) -> None:
    r = cli("diff", f"{PUTIN}@1", f"{PUTIN}@2")
    assert r.exit_code == 0
    header, title = r.stdout.splitlines()[:2]
    assert header == ("politico.eu/2024-04-03/putin-reaffirms-war-aims @1 \u2192 @2 \u00b7 "
                      "2024-04-03 08:00 \u2192 11:30 UTC")
    assert title.startswith("title: ") and "{+vows to press on" in title  # the title first
    assert "[-reaffirmed his commitment to pursuing war objectives-]" in r.stdout or \
        "[-reaffirmed" in r.stdout
    assert "\x1b[" not in r.stdout
    assert cli("diff", PUTIN, "--exit-code").exit_code == 1
    assert cli("diff", f"{PUTIN}@1", f"{PUTIN}@1", "--exit-code").exit_code == 0


def test_diff_formats(cli: CliRun, filled: Path) -> None:
    a, b = f"{PUTIN}@1", f"{PUTIN}@2"
    d = json.loads(cli("diff", a, b, "--format", "json").stdout)
    text_a = cli("show", a).stdout
    text_b = cli("show", b).stdout
    assert "".join(o["text"] for o in d["ops"] if o["op"] != "insert") == text_a
    assert "".join(o["text"] for o in d["ops"] if o["op"] != "delete") == text_b
    assert d["title"]["a"] != d["title"]["b"] and d["a"].endswith("@1")
    unified = cli("diff", a, b, "--format", "unified", "-U", "0").stdout
    assert unified.startswith("old title ") and "\n--- " in unified and "\n+++ " in unified
    page = cli("diff", a, b, "--format", "html").stdout
    assert "Content-Security-Policy" in page and "<script" not in page.replace("&lt;script", "")
    assert "&lt;script&gt;" in page
    stat = cli("diff", a, b, "--stat").stdout
    assert "words" in stat and "title" in stat.lower()
    for by in ("sentence", "line", "char"):
        d = json.loads(cli("diff", a, b, "--by", by, "--json").stdout)
        assert "".join(o["text"] for o in d["ops"] if o["op"] != "delete") == text_b


def test_diff_across_articles(cli: CliRun, filled: Path) -> None:
    r = cli("diff", "flood-warning-issued-for-giessen-as-the-lahn-rises", "chip-maker-raises-forecast", "--stat")
    assert r.exit_code == 0 and "words" in r.stdout


# -- search -------------------------------------------------------------------------------
def test_search(cli: CliRun, filled: Path) -> None:
    hits = lines(cli("search", "sandbags", "--json").stdout)
    assert [h["id"] for h in hits] == ["hessenschau/2024-01-05/flood-warning-issued-for-giessen-as-the-lahn-rises"]
    assert set(hits[0]) >= {"id", "revision", "date", "source", "title", "snippet", "score"}
    shown = json.loads(cli("show", hits[0]["id"], "--json").stdout)
    assert (hits[0]["hash"], hits[0]["captured_at"]) == (shown["hash"], shown["captured_at"])
    assert "[sandbags]" in hits[0]["snippet"]
    human = cli("search", "sandbags").stdout
    assert "flood-warning-issued-for-giessen-as-the-lahn-rises@1" in human and "[sandbags]" in human
    assert lines(cli("search", "gießen", "--json").stdout)  # accents and ß fold
    assert len(lines(cli("search", "sandbags OR forecast", "--json").stdout)) == 2
    assert lines(cli("search", "Putin's", "--json").stdout)
    assert not lines(cli("search", "sanctions", "--source", "reuters", "--json").stdout)
    # a word an edit removed: only in older revisions and in the removed edits
    assert not lines(cli("search", "reaffirmed", "--json").stdout)
    assert lines(cli("search", "reaffirmed", "--all-revisions", "--json").stdout)
    (removed,) = lines(cli("search", "--removed", "reaffirmed", "--json").stdout)
    assert removed["revision"] == 2   # the edited sentence, the change marked
    assert "has [-reaffirmed his commitment to pursuing war objectives-]{+vowed to press on " \
        "with the war+}, indicating" in removed["snippet"]
    (added,) = lines(cli("search", "--added", "17,000", "--json").stdout)
    assert added["revision"] == 3
    for bad in ('"unclosed', "(a", "NOT war", "OR"):
        r = cli("search", bad)
        assert r.exit_code == 2 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


def test_search_survives_reindex(cli: CliRun, filled: Path) -> None:
    queries = [["sandbags"], ["--all-revisions", "war"], ["--removed", "reaffirmed"]]
    before = [cli("search", *q, "--json").stdout for q in queries]
    (filled / "catalog.sqlite").unlink()
    cli("reindex")
    assert [cli("search", *q, "--json").stdout for q in queries] == before


# -- changes ------------------------------------------------------------------------------
def test_changes_text_json_kinds(cli: CliRun, filled: Path) -> None:
    rows = lines(cli("changes", "--json").stdout)
    assert [r["revision"] for r in rows] == [3, 2]
    assert "correction" in rows[0]["kind"] and "headline" in rows[1]["kind"]
    assert rows[1]["previous_title"].startswith("Putin reaffirms")
    text = cli("changes").stdout
    assert f"{PUTIN}@3" in text and "correction" in text
    only = lines(cli("changes", "--kind", "headline", "--json").stdout)
    assert [r["revision"] for r in only] == [2]
    assert lines(cli("list", "--kind", "correction", "--json").stdout)[0]["revisions"] == 3
    assert "correction" in cli("log", PUTIN).stdout


def test_atom_is_well_formed_whatever_the_article_holds(cli: CliRun, tmp_path: Path) -> None:
    """Characters XML 1.0 forbids even escaped (U+FFFE, controls) do not reach the feed."""
    from xml.dom import minidom

    data = tmp_path / "odd.jsonl"
    data.write_text('{"text": "First.", "title": "A", "source": "x", "slug": "s"}\n'
                    '{"text": "Second \\u0001 text.", "title": "B \\ufffe", "source": "x", '
                    '"slug": "s"}\n')
    assert cli("add", str(data)).exit_code == 0
    atom = cli("changes", "--format", "atom").stdout
    assert minidom.parseString(atom.encode()).documentElement.tagName == "feed"
    assert "B \ufffd" in atom


def test_changes_atom_and_html(cli: CliRun, filled: Path) -> None:
    atom = cli("changes", "--format", "atom").stdout
    feed = feedparser.parse(atom.encode())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 2
    # RFC 4287 4.1.1: a feed whose entries have no author needs its own
    assert feed.feed.author_detail.name == "newsarchive"
    for entry in feed.entries:
        assert entry.link == "https://www.politico.eu/article/putin-reaffirms-war-aims/"
        assert entry.id.startswith("urn:newsarchive:revision:")
    assert "&lt;script&gt;" in feed.entries[1].content[0].value
    assert cli("changes", "--format", "atom").stdout.count("<entry>") == 2
    page = cli("changes", "--format", "html").stdout
    assert "Content-Security-Policy" in page and "<script" not in page.replace("&lt;script", "")


# -- snapshot and add URL -----------------------------------------------------------------
def private_ok(tmp_path: Path, extra: str = "") -> str:
    """A config allowing the 127.0.0.1 test server (article links are not trusted)."""
    cfg = tmp_path / "config.toml"
    cfg.write_text("allow_private_networks = true\n" + extra)
    return str(cfg)


@pytest.mark.slow
def test_snapshot_cli(cli: CliRun, http_server: TestServer, tmp_path: Path) -> None:
    url = serve_three(http_server)
    r = cli("--config", private_ok(tmp_path), "snapshot", url)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == f"{url}: 3 entries, 3 added, 0 revised, 0 unchanged, 0 failed"
    r = cli("--config", private_ok(tmp_path), "snapshot", url, "--json")
    (rep,) = lines(r.stdout)
    assert rep["not_modified"] and rep["unchanged"] == 3
    assert cli("--config", private_ok(tmp_path), "snapshot", url, "-q").stdout == ""
    r = cli("snapshot", url, "--force")  # without the config, the 127.0.0.1 links are refused
    assert r.exit_code == 1 and "3 failed" in r.stdout and "not a public address" in r.stderr
    assert cli("check").exit_code == 0


@pytest.mark.slow
def test_snapshot_from_config_and_failures(cli: CliRun, http_server: TestServer,
                                           tmp_path: Path) -> None:
    http_server.routes["/ok"] = Route(body=(FEEDS / "article1.html").read_bytes())
    http_server.routes["/rss.xml"] = Route(
        body=rss([("ok", http_server.url("/ok")), ("gone", http_server.url("/missing")),
                  ("ftp", "ftp://example.org/x")]),
        content_type="application/rss+xml",
    )
    cfg = private_ok(tmp_path, f'[[feeds]]\nurl = "{http_server.url("/rss.xml")}"\n'
                                'source = "local"\n')
    r = cli("--config", cfg, "snapshot")
    assert r.exit_code == 1
    assert "1 added" in r.stdout and "2 failed" in r.stdout
    errors = r.stderr.splitlines()
    assert len(errors) == 2 and all(e.startswith("error: ") for e in errors)
    assert cli("list", "--json").stdout.count('"source": "local"') == 1


def test_snapshot_without_feeds_is_usage_error(cli: CliRun) -> None:
    assert cli("snapshot").exit_code == 2


def test_add_url_and_saved_page(cli: CliRun, http_server: TestServer, tmp_path: Path) -> None:
    page1 = (FEEDS / "article1.html").read_bytes()
    http_server.routes["/story"] = Route(
        body=page1.replace(b"https://news.example", http_server.base.encode()))
    r = cli("add", http_server.url("/story?utm_source=x"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("added 127.0.0.1/2024-04-03/putin-reaffirms-war-aims@1")
    # served from another site, its canonical link to news.example is not believed
    http_server.routes["/copy"] = Route(body=page1)
    r = cli("add", http_server.url("/copy"))
    assert r.stdout.startswith("added 127.0.0.1/2024-04-03/copy@1"), r.stdout
    page = tmp_path / "saved.html"
    page.write_bytes((FEEDS / "article2.html").read_bytes())
    r = cli("add", str(page))
    assert r.exit_code == 0 and r.stdout.startswith("added ")
    rev = json.loads(cli("show", "central-bank-holds-rates", "--json").stdout)
    assert canonical_url(rev["url"]).startswith("https://news.example/")
    assert cli("show", "central-bank-holds-rates", "--original").stdout_bytes == page.read_bytes()
    r = cli("add", http_server.url("/nothing-here"))
    assert r.exit_code == 1 and "404" in r.stderr and r.stderr.count("\n") == 1


def test_changes_on_seed_edited_every_way(cli: CliRun, seed_text: str) -> None:
    """Issue 8's store: the seed article edited in each way; each kind found by --kind."""
    body = seed_text.split("2024-04-03", 1)[-1].strip() if seed_text.lstrip().startswith(
        "date") else seed_text
    title = "Putin reaffirms war aims"
    steps = [
        ("first", title, body),
        ("minor", title, body.replace("diplomatic attempts", "diplomatic  attempts").replace(
            "significant development", "signifcant development")),
        ("headline", "Putin vows to press on with war", body.replace(
            "diplomatic attempts", "diplomatic  attempts").replace(
            "significant development", "signifcant development")),
        ("substantive", "Putin vows to press on with war", body.replace(
            "late last year", "in 2021")),
        ("correction", "Putin vows to press on with war", body.replace(
            "late last year", "in 2021") + "\n\nCorrection: This article has been corrected to "
            "give the year of the talks."),
        ("revert", "Putin vows to press on with war", body.replace("late last year", "in 2021")),
    ]
    for i, (_, t, text) in enumerate(steps):
        r = cli("add", "-", "--source", "politico", "--slug", "seed", "--date", "2024-04-03",
                "--title", t, "--captured-at", f"2024-04-0{i + 3}T10:00:00Z", input=text)
        assert r.exit_code == 0, r.stderr
    kinds = {r["revision"]: r["kind"] for r in lines(cli("changes", "--json").stdout)}
    assert kinds[2] == ["minor"]
    assert kinds[3] == ["headline"]
    assert kinds[4] == ["substantive"]
    assert "correction" in kinds[5]
    assert "revert" in kinds[6]
    substantive = lines(cli("changes", "--kind", "substantive", "--json").stdout)
    assert all("substantive" in r["kind"] for r in substantive)
    assert {r["revision"] for r in substantive} == {n for n, k in kinds.items()
                                                     if "substantive" in k}
    feed = feedparser.parse(cli("changes", "--format", "atom").stdout.encode())
    assert not feed.bozo and len(feed.entries) == 5
    assert all(e.link.startswith("urn:newsarchive:article:politico/") for e in feed.entries)


@pytest.mark.slow
def test_snapshot_hostile_feed_cli_memory(http_server: TestServer, tmp_path: Path) -> None:
    """Issue 5: a 128 MB page, a gzip bomb, a file:// redirect and an ftp:// link: one-line
    errors, exit 1, and the process stays far below 400 MB."""
    import subprocess
    import sys

    from tests.httpserver import gzip_bomb

    mb = 1024 * 1024
    http_server.routes["/good"] = Route(body=(FEEDS / "article1.html").read_bytes())
    http_server.routes["/huge"] = Route(body=b"<p>x</p>" * (mb // 8), repeat=128,
                                        send_length=False)
    http_server.routes["/bomb"] = Route(body=gzip_bomb(256 * mb),
                                        headers={"Content-Encoding": "gzip"})
    http_server.routes["/to-file"] = Route(redirect="file:///etc/passwd")
    http_server.routes["/rss.xml"] = Route(
        body=rss([("Good", http_server.url("/good")), ("Huge", http_server.url("/huge")),
                  ("Bomb", http_server.url("/bomb")), ("File", http_server.url("/to-file")),
                  ("Ftp", "ftp://127.0.0.1/article")]),
        content_type="application/rss+xml",
    )
    # the CLI in a fresh process that reports its own peak RSS when it exits
    driver = ("import resource, sys\n"
              "from newsarchive.cli import main\n"
              "sys.argv = ['newsarchive'] + sys.argv[1:]\n"
              "try:\n    main()\n"
              "finally:\n"
              "    print('peak-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,\n"
              "          file=sys.stderr)\n")
    r = subprocess.run(
        [sys.executable, "-c", driver, "--store", str(tmp_path / "s"), "--config",
         private_ok(tmp_path), "snapshot", http_server.url("/rss.xml")],
        capture_output=True, text=True, timeout=300,
    )
    *errors, peak = r.stderr.splitlines()
    assert r.returncode == 1
    assert "1 added" in r.stdout and "4 failed" in r.stdout
    assert len(errors) == 4 and all(e.startswith("error: ") for e in errors), errors
    assert "Traceback" not in r.stderr and "root:" not in r.stderr
    peak_kb = int(peak.split()[1])
    assert peak_kb < 400 * 1024, f"peak RSS {peak_kb // 1024} MB"


def test_control_characters_never_reach_the_terminal(cli: CliRun) -> None:
    """Titles, snippets and changed sentences show an article's escape sequences and bells
    as visible symbols (a title could set the terminal's title or clear the screen); a
    unified diff written to a pipe is a patch, and keeps the texts' characters exactly."""
    hostile = "Bell \a and \x1b]0;owned\a title \x1b[2J clear."
    assert cli("add", "-", "--source", "x", "--slug", "c", "--title", "T",
               input="A quiet first text.\n").exit_code == 0
    assert cli("add", "-", "--source", "x", "--slug", "c",
               "--title", "T \x1b]8;;http://evil/\alink\x1b]8;;\a", input=hostile + "\n"
               ).exit_code == 0
    for args in (["search", "owned"], ["changes"], ["log", "c"], ["list"]):
        out = cli(*args).stdout
        assert "\x1b" not in out and "\a" not in out, (args, out)
        assert "\u241b" in out or "\\x1b" in out, (args, out)  # shown, not dropped
    unified = cli("diff", "c", "--format", "unified").stdout
    assert f"+{hostile}\n" in unified


def test_a_title_typed_in_two_normal_forms_is_one_title(cli: CliRun) -> None:
    for title in ("Cafe\u0301 news", "Caf\u00e9 news"):
        r = cli("add", "-", "--source", "x", "--slug", "n", "--title", title, input="Body.\n")
    assert r.stdout.startswith("unchanged x/"), r.stdout


def test_diff_refuses_two_formats_at_once(cli: CliRun, filled: Path) -> None:
    for args in (["--json", "--format", "html"], ["--stat", "--format", "unified"]):
        r = cli("diff", "putin-reaffirms-war-aims", *args)
        assert r.exit_code == 2 and r.stderr.startswith("error: ") and r.stdout == ""


def shown_on_a_terminal(store: Path, *args: str) -> bytes:
    """What the CLI writes to a real pseudo-terminal (stdout is a tty there)."""
    code, out, err = on_a_terminal(store, *args)
    assert code == 0, err
    return out


HOSTILE_TEXT = ("Alternate screen \x1b[?1049h, a title \x1b]0;owned\a, a link "
                "\x1b]8;;http://evil/\ahere\x1b]8;;\a and \u202egnp.exe.")


def test_show_on_a_terminal_shows_escapes_piped_is_exact(cli: CliRun, store: Path) -> None:
    """``show`` wrote an article's escape sequences (OSC, the alternate screen) raw to the
    terminal; there they are now shown as symbols, as by the other commands. Piped, the
    bytes are exactly the text whose SHA-256 is the revision's hash."""
    import hashlib

    r = cli("add", "-", "--source", "x", "--slug", "esc", "--title", "T",
            input=HOSTILE_TEXT + "\n", store_path=store)
    assert r.exit_code == 0
    digest = r.stdout.split()[-1]
    piped = cli("show", "esc", store_path=store).stdout_bytes
    assert hashlib.sha256(piped).hexdigest().startswith(digest)
    assert b"\x1b]0;owned\x07" in piped
    shown = shown_on_a_terminal(store, "show", "esc")
    assert b"\x1b" not in shown and b"\x07" not in shown, shown
    assert "\u241b]0;owned\u2407".encode() in shown and b"<U+202E>gnp.exe" in shown


def test_bidi_controls_are_named_on_screen(cli: CliRun, store: Path) -> None:
    """Right-to-left overrides and isolates (U+202A-U+202E, U+2066-U+2069) in a title made
    list, log and search show it reordered ("Trojan Source")."""
    title = "Invoice \u202etxt.exe\u202c and \u2067isolated\u2069"
    assert cli("add", "-", "--source", "x", "--slug", "bidi", "--title", title,
               input="A text about invoices.\n", store_path=store).exit_code == 0
    for args in (("list",), ("log", "bidi"), ("search", "invoices")):
        for out in (cli(*args, store_path=store).stdout.encode(), shown_on_a_terminal(store, *args)):
            assert not any(ch.encode() in out for ch in "\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069"), (args, out)
            assert b"Invoice <U+202E>txt.exe<U+202C> and <U+2067>isolated<U+2069>" in out
    assert json.loads(cli("show", "bidi", "--json", store_path=store).stdout)["title"] == title

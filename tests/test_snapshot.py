"""run_snapshot against a real local server and a real store: the issue's "done when" cases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsarchive.archive import Archive
from newsarchive.errors import InputError
from newsarchive.text.urls import canonical_url
from newsarchive.web.fetch import Fetcher
from newsarchive.web.snapshot import fetch_article, run_snapshot, FeedReport, FeedSpec
from tests.conftest import CliRun, tree_digest
from tests.httpserver import Route, TestServer, gzip_bomb


FEEDS = Path(__file__).parent / "data" / "feeds"
MB = 1024 * 1024


def rss(items: list[tuple[str, str]], title: str = "Local news") -> bytes:
    """An RSS 2.0 feed of (title, link) items."""
    body = "".join(
        f"<item><title>{t}</title><link>{link.replace('&', '&amp;')}</link>"
        f"<guid>{link.replace('&', '&amp;')}</guid>"
        "<pubDate>Sat, 06 Apr 2024 12:00:00 GMT</pubDate></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


def served(name: str, server: TestServer) -> bytes:
    """A fixture page as this server serves it: its canonical links name this server (a
    canonical link on another site is not believed)."""
    return re.sub(rb"(?i)https?://news\.example", server.base.encode(),
                  (FEEDS / name).read_bytes())


def serve_three(server: TestServer, etag: str = '"feed-1"') -> str:
    """Three article pages and a feed linking to them with tracking parameters."""
    for i in (1, 2, 3):
        server.routes[f"/articles/{i}"] = Route(
            body=served(f"article{i}.html", server), etag=f'"a{i}"'
        )
    server.routes["/rss.xml"] = Route(
        body=rss([
            ("One", server.url("/articles/1?utm_source=rss&utm_medium=feed")),
            ("Two", server.url("/articles/2#comments")),
            ("Three", server.url("/articles/3?fbclid=abc")),
        ]),
        etag=etag,
        content_type="application/rss+xml",
    )
    return server.url("/rss.xml")


def fetcher(**kw: Any) -> Fetcher:
    options: dict[str, Any] = {
        "user_agent": "newsarchive/test", "host_delay": 0.0, "timeout": 5.0,
        "allow_private_networks": True, "max_bytes": 4 * MB,
    }
    options.update(kw)
    return Fetcher(**options)


def snapshot(store: Path, feeds: list[FeedSpec], **kw: Any) -> list[FeedReport]:
    fetch_kw = {k: kw.pop(k) for k in list(kw) if k in ("allow_private_networks", "host_delay")}
    with Archive(store) as archive, fetcher(**fetch_kw) as f:
        return run_snapshot(archive.store, archive.add_drafts, feeds, fetcher=f, **kw)


def test_three_articles_then_304_then_one_revision(
    http_server: TestServer, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    url = serve_three(http_server)

    (report,) = snapshot(store, [FeedSpec(url)])
    assert (report.entries, report.added, report.revised, report.unchanged, report.failed) == (
        3, 3, 0, 0, 0,
    )
    assert report.ok and not report.not_modified and report.title == "Local news"
    by_url = {canonical_url(r.revision.url or ""): r.revision for r in report.results}
    site = f"https://127.0.0.1:{http_server.port}"
    assert set(by_url) == {
        f"{site}/world/2024/04/03/putin-reaffirms-war-aims",
        f"{site}/business/central-bank-holds-rates?page=2",
        f"{site}/kultur/giessen-eroeffnet-neue-stadtbibliothek",
    }
    ids = sorted(r.revision.id for r in report.results)
    assert ids == [
        "127.0.0.1/2024-03-21/central-bank-holds-rates",
        "127.0.0.1/2024-04-03/putin-reaffirms-war-aims",
        "127.0.0.1/2024-04-06/giessen-eroeffnet-neue-stadtbibliothek",  # date from the entry
    ]
    with Archive(store) as archive:
        text = archive.show("127.0.0.1/2024-04-03/putin-reaffirms-war-aims")
        original, original_type = archive.original("putin-reaffirms-war-aims")
    assert text.startswith("Russian President Vladimir Putin")
    assert "Subscribe" not in text and "cookies" not in text and "All rights" not in text
    assert original == served("article1.html", http_server)
    assert original_type == "text/html"

    # a rerun asks for the feed and its pages conditionally, gets 304s and adds nothing
    (again,) = snapshot(store, [FeedSpec(url)])
    assert again.not_modified and again.ok
    assert (again.entries, again.added, again.revised, again.unchanged) == (3, 0, 0, 3)
    assert http_server.headers_of("/rss.xml")[1]["if-none-match"] == '"feed-1"'
    assert http_server.headers_of("/articles/1")[1]["if-none-match"] == '"a1"'

    # a page edited while its feed stays the same (304): still exactly one new revision
    page3 = served("article3.html", http_server)
    http_server.routes["/articles/3"] = Route(body=page3.replace(b"</p>", b" Updated.</p>", 1))
    (edited,) = snapshot(store, [FeedSpec(url)])
    assert edited.not_modified
    assert (edited.added, edited.revised, edited.unchanged, edited.failed) == (0, 1, 2, 0)

    # one page edited (and the feed with it): exactly one new revision
    page = served("article2.html", http_server)
    http_server.routes["/articles/2"] = Route(
        body=page.replace(b"seven to two", b"eight to one")
    )
    http_server.routes["/rss.xml"].etag = '"feed-2"'
    (third,) = snapshot(store, [FeedSpec(url)])
    assert (third.added, third.revised, third.unchanged, third.failed) == (0, 1, 2, 0)
    (revised,) = [r for r in third.results if r.status == "revised"]
    assert revised.revision.ref == "127.0.0.1/2024-03-21/central-bank-holds-rates@2"


def test_force_fetches_an_unchanged_feed(http_server: TestServer, tmp_path: Path) -> None:
    url = serve_three(http_server)
    snapshot(tmp_path / "s", [FeedSpec(url)])
    (report,) = snapshot(tmp_path / "s", [FeedSpec(url)], force=True)
    assert not report.not_modified
    assert report.unchanged == 3
    assert http_server.hits["/articles/1"] == 2


def test_source_from_the_spec(http_server: TestServer, tmp_path: Path) -> None:
    url = serve_three(http_server)
    (report,) = snapshot(tmp_path / "s", [FeedSpec(url, source="Daily")])
    assert {r.revision.source for r in report.results} == {"daily"}


def test_no_fetch_uses_the_entries_content(http_server: TestServer, tmp_path: Path) -> None:
    body = (FEEDS / "rss2.xml").read_bytes().replace(b"@BASE@", http_server.base.encode())
    http_server.routes["/rss.xml"] = Route(body=body)
    (report,) = snapshot(tmp_path / "s", [FeedSpec(http_server.url("/rss.xml"))], no_fetch=True)
    assert (report.added, report.failed) == (3, 0)
    assert sum(n for p, n in http_server.hits.items() if p.startswith("/articles")) == 0
    rev = next(r.revision for r in report.results if "putin" in r.revision.id)
    assert canonical_url(rev.url) == f"https://127.0.0.1:{http_server.port}/articles/putin-reaffirms-war-aims"
    assert rev.date == "2024-04-03"
    assert rev.original_type == "application/feed-entry+json"


def test_no_fetch_per_feed(http_server: TestServer, tmp_path: Path) -> None:
    body = (FEEDS / "atom.xml").read_bytes().replace(b"@BASE@", http_server.base.encode())
    http_server.routes["/atom.xml"] = Route(body=body)
    spec = FeedSpec(http_server.url("/atom.xml"), source="atomic", no_fetch=True)
    (report,) = snapshot(tmp_path / "s", [spec])
    assert report.added == 2
    assert http_server.hits["/atom/elections-called-for-june/"] == 0


def test_local_feed_file(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_bytes((FEEDS / "jsonfeed.json").read_bytes().replace(b"@BASE@", b"https://x.example"))
    (report,) = snapshot(tmp_path / "s", [FeedSpec(str(feed))], no_fetch=True)
    assert (report.entries, report.added) == (3, 3)
    (missing,) = snapshot(tmp_path / "s", [FeedSpec(str(tmp_path / "nope.xml"))])
    assert missing.errors == [f"feed {tmp_path / 'nope.xml'}: no such file"]


def test_hostile_links_fail_one_by_one(http_server: TestServer, tmp_path: Path) -> None:
    http_server.routes["/good"] = Route(body=(FEEDS / "article1.html").read_bytes())
    http_server.routes["/huge"] = Route(body=b"x" * MB, repeat=128)
    http_server.routes["/bomb"] = Route(
        body=gzip_bomb(64 * MB), headers={"Content-Encoding": "gzip"}
    )
    http_server.routes["/to-file"] = Route(redirect="file:///etc/passwd")
    http_server.routes["/pdf"] = Route(body=b"%PDF-1.4 ...", content_type="application/pdf")
    http_server.routes["/rss.xml"] = Route(
        body=rss([
            ("Good", http_server.url("/good")),
            ("Huge", http_server.url("/huge")),
            ("Bomb", http_server.url("/bomb")),
            ("File", http_server.url("/to-file")),
            ("Ftp", "ftp://127.0.0.1/article"),
            ("Gone", http_server.url("/gone")),
            ("Pdf", http_server.url("/pdf")),
        ]),
        etag='"v1"',
    )
    url = http_server.url("/rss.xml")
    (report,) = snapshot(tmp_path / "s", [FeedSpec(url)])
    assert (report.entries, report.added, report.failed) == (7, 1, 6)
    assert not report.ok
    assert all("\n" not in e for e in report.errors)
    joined = "\n".join(report.errors)
    assert "too large" in joined
    assert "only http and https" in joined
    assert "HTTP 404" in joined
    assert "not an HTML page (application/pdf)" in joined
    assert "root:" not in joined
    # validators are not stored after failures: the next run reads the feed again
    (again,) = snapshot(tmp_path / "s", [FeedSpec(url)])
    assert not again.not_modified
    assert again.unchanged == 1


def test_private_links_refused_unless_allowed(http_server: TestServer, tmp_path: Path) -> None:
    url = serve_three(http_server)
    (report,) = snapshot(tmp_path / "s", [FeedSpec(url)], allow_private_networks=False)
    assert (report.added, report.failed) == (0, 3)  # the feed is trusted, its links are not
    assert "not a public address" in report.errors[0]


def test_a_failing_feed_does_not_stop_the_others(
    http_server: TestServer, tmp_path: Path
) -> None:
    url = serve_three(http_server)
    http_server.routes["/broken.xml"] = Route(body=b"<html><body>not a feed</body></html>")
    specs = [
        FeedSpec(http_server.url("/missing.xml")),
        FeedSpec(http_server.url("/broken.xml")),
        FeedSpec("ftp://127.0.0.1/feed.xml"),
        FeedSpec(url),
    ]
    missing, broken, ftp, good = snapshot(tmp_path / "s", specs)
    assert missing.errors == [f"feed {specs[0].url}: HTTP 404 Not Found"]
    assert broken.errors == [f"feed {specs[1].url}: not an RSS, Atom or JSON feed"]
    assert "only http(s) URLs and local files" in ftp.errors[0]
    assert good.added == 3 and good.ok


def test_duplicate_links_are_fetched_once(http_server: TestServer, tmp_path: Path) -> None:
    http_server.routes["/a"] = Route(body=(FEEDS / "article1.html").read_bytes())
    http_server.routes["/rss.xml"] = Route(
        body=rss([("A", http_server.url("/a")), ("A again", http_server.url("/a?utm_source=x"))])
    )
    (report,) = snapshot(tmp_path / "s", [FeedSpec(http_server.url("/rss.xml"))])
    assert (report.entries, report.added) == (1, 1)
    assert http_server.hits["/a"] == 1


def test_events(http_server: TestServer, tmp_path: Path) -> None:
    url = serve_three(http_server)
    events: list[tuple[str, dict[str, Any]]] = []
    snapshot(tmp_path / "s", [FeedSpec(url)], on_event=lambda n, d: events.append((n, d)))
    names = [n for n, _ in events]
    assert names[0] == "feed_start" and names[-1] == "feed_done"
    assert names.count("entry_done") == 3
    assert events[-1][1]["added"] == 3


_RUN = """
import sys
import pytest

from newsarchive.archive import Archive
from newsarchive.errors import InputError
from newsarchive.text.urls import canonical_url
from newsarchive.web.fetch import Fetcher
from newsarchive.web.snapshot import run_snapshot, FeedSpec
from newsarchive.text.urls import canonical_url
store, url = sys.argv[1:3]
with Archive(store) as a, Fetcher(user_agent="t", host_delay=0, allow_private_networks=True) as f:
    (r,) = run_snapshot(a.store, a.add_drafts, [FeedSpec(url)], fetcher=f, force=True)
print(r.added, r.unchanged, r.failed)
"""


@pytest.mark.slow
def test_concurrent_runs_record_each_article_once(
    http_server: TestServer, tmp_path: Path
) -> None:
    url = serve_three(http_server)
    store = tmp_path / "s"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUN, str(store), url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    counts = [tuple(int(n) for n in out.split()) for out, _ in outputs]
    assert sum(c[0] for c in counts) == 3  # added once, whoever came first
    assert sum(c[1] for c in counts) == 6
    assert sum(c[2] for c in counts) == 0
    with Archive(store) as archive:
        assert [a.revisions for a in archive.articles()] == [1, 1, 1]
        assert archive.check() == []


def test_twenty_unchanged_feeds_cost_one_304_each(http_server: TestServer,
                                                  tmp_path: Path) -> None:
    """(How long that takes is measured by benchmarks/bench_snapshot.py, not asserted.)"""
    specs = []
    for i in range(20):
        http_server.routes[f"/feed{i}.xml"] = Route(body=rss([]), etag=f'"f{i}"')
        specs.append(FeedSpec(http_server.url(f"/feed{i}.xml")))
    store = tmp_path / "s"
    snapshot(store, specs)  # stores the validators
    with Archive(store) as archive, fetcher(host_delay=1.0) as f:  # the default politeness
        reports = run_snapshot(archive.store, archive.add_drafts, specs, fetcher=f)
    assert all(r.not_modified for r in reports)
    assert all(http_server.hits[f"/feed{i}.xml"] == 2 for i in range(20))
    assert all(http_server.headers_of(f"/feed{i}.xml")[1]["if-none-match"] == f'"f{i}"'
               for i in range(20))


def test_fetch_article_for_add_url(http_server: TestServer) -> None:
    http_server.routes["/a"] = Route(body=served("article1.html", http_server))
    http_server.routes["/pdf"] = Route(body=b"%PDF-1.4", content_type="application/pdf")
    with fetcher(allow_private_networks=False) as f:
        draft = fetch_article(f, http_server.url("/a?utm_source=x"))  # trusted: named by the user
        assert canonical_url(draft.url) == (f"https://127.0.0.1:{http_server.port}"
                             "/world/2024/04/03/putin-reaffirms-war-aims")
        assert draft.origin == http_server.url("/a?utm_source=x")
        with pytest.raises(InputError, match="not an HTML page"):
            fetch_article(f, http_server.url("/pdf"))
        with pytest.raises(InputError, match="HTTP 404") as excinfo:
            fetch_article(f, http_server.url("/gone"))
        assert excinfo.value.origin == http_server.url("/gone")
        with pytest.raises(InputError, match="not a public address"):
            fetch_article(f, http_server.url("/a"), trusted=False)


def test_binary_served_as_html_is_not_an_article(http_server: TestServer, cli: CliRun,
                                                 store: Path) -> None:
    """1 MB of gzip bytes served as text/html without Content-Encoding (it became a 67-word
    article of replacement characters): refused in one line, whatever the type says."""
    import gzip

    blob = gzip.compress(os.urandom(1024 * 1024))
    for path, ctype in (("/gz", "text/html"), ("/gz-octets", "application/octet-stream"),
                        ("/gz-plain", "text/plain; charset=utf-8")):
        http_server.routes[path] = Route(body=blob, content_type=ctype)
    with fetcher() as f:
        with pytest.raises(InputError, match=r"not an HTML page but binary data \(gzip"):
            fetch_article(f, http_server.url("/gz"))
    assert cli("add", "-", "--source", "x", input="Something stored.\n").exit_code == 0
    before = tree_digest(store)
    for path in ("/gz", "/gz-octets", "/gz-plain"):
        r = cli("add", http_server.url(path))
        assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
        assert "binary data (gzip-compressed data)" in r.stderr or "not an HTML page" in r.stderr
    assert tree_digest(store) == before


def test_a_declared_type_is_believed_sniffing_is_for_generic_ones(
        http_server: TestServer) -> None:
    """A feed served as application/rss+xml is not an article page, though it holds <title>
    and <p>; HTML served as text/plain or octet-stream still is one."""
    page = (FEEDS / "article1.html").read_bytes()
    http_server.routes["/feed-as-page"] = Route(
        body=rss([("One", "https://news.example/a")]) + b"<p>x</p>",
        content_type="application/rss+xml")
    http_server.routes["/plain"] = Route(body=page, content_type="text/plain")
    http_server.routes["/octets"] = Route(body=page, content_type="application/octet-stream")
    with fetcher() as f:
        with pytest.raises(InputError, match=r"is not an HTML page \(application/rss\+xml\)"):
            fetch_article(f, http_server.url("/feed-as-page"))
        for path in ("/plain", "/octets"):
            assert fetch_article(f, http_server.url(path)).text.startswith("Russian President")


@pytest.mark.slow
def test_a_long_feed_is_archived_as_it_goes(http_server: TestServer, tmp_path: Path) -> None:
    """Entries are committed a batch at a time: when the first batch is reported, its
    articles are on disk (another reader sees them) while the rest are still to fetch, so
    a run killed in a long feed keeps what it archived."""
    from newsarchive.web.snapshot import ENTRY_BATCH

    page = (FEEDS / "article3.html").read_bytes()
    n = ENTRY_BATCH + 5
    for i in range(n):
        http_server.routes[f"/story-{i}"] = Route(
            body=page.replace(b"</p>", f" Story {i}.</p>".encode(), 1)
            .replace(b"/kultur/giessen-eroeffnet-neue-stadtbibliothek/", f"/s/story-{i}/".encode()))
    http_server.routes["/long.xml"] = Route(
        body=rss([(f"Story {i}", http_server.url(f"/story-{i}")) for i in range(n)]),
        content_type="application/rss+xml")
    seen_on_disk: list[int] = []

    def on_event(name: str, data: dict[str, Any]) -> None:
        if name == "entry_done" and not seen_on_disk:
            with Archive(tmp_path / "store") as reader:
                seen_on_disk.append(len(reader.articles()))
            seen_on_disk.append(http_server.hits[f"/story-{n - 1}"])

    (report,) = snapshot(tmp_path / "store", [FeedSpec(http_server.url("/long.xml"))],
                         on_event=on_event)
    assert (report.added, report.failed) == (n, 0), report.errors
    assert seen_on_disk == [ENTRY_BATCH, 0]


def test_a_feed_error_names_the_feed_not_where_it_redirected(http_server: TestServer,
                                                             tmp_path: Path) -> None:
    http_server.routes["/old-feed"] = Route(redirect="/moved")
    http_server.routes["/moved"] = Route(body=b"<html><p>not a feed</p></html>")
    (report,) = snapshot(tmp_path / "store", [FeedSpec(http_server.url("/old-feed"))])
    assert report.errors == [f"feed {http_server.url('/old-feed')}: not an RSS, Atom or JSON feed"]

"""Feeds: every format, hostile XML (billion laughs, external entities), entries to drafts."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from newsarchive.errors import FeedError, InputError
from newsarchive.web.feeds import ENTRY_TYPE, entry_to_draft, parse_feed, Feed, FeedEntry
from newsarchive.web.fetch import Fetcher
from newsarchive.ingest.prepare import prepare
from tests.httpserver import Route, TestServer


FEEDS = Path(__file__).parent / "data" / "feeds"
BASE = "https://news.example"


def load(name: str, base: str = BASE) -> bytes:
    return (FEEDS / name).read_bytes().replace(b"@BASE@", base.encode())


def parse(name: str) -> Feed:
    return parse_feed(load(name), f"{BASE}/{name}")


# -- formats ------------------------------------------------------------------------------


def test_rss2() -> None:
    feed = parse("rss2.xml")
    assert feed.title == "The Daily Example – World"
    assert feed.version == "rss20"
    first, second, third = feed.entries
    assert first.link == f"{BASE}/articles/putin-reaffirms-war-aims?utm_source=rss&utm_medium=feed"
    assert first.title == "Putin reaffirms war aims in annual address"
    assert first.published == "2024-04-03T09:30:00+02:00"
    assert first.author == "Jane Correspondent"
    assert first.id == "daily-example-1001"
    assert first.content is not None and "<p>Russian President" in first.content
    assert "alert" not in first.content  # feedparser sanitises scripts away
    assert second.author == "Max Economist"  # "email (Name)"
    assert second.published == "2024-03-21T23:30:00-05:00"  # the publisher's date, not UTC
    assert third.title == "Gießen eröffnet neue Stadtbibliothek"


def test_rss1() -> None:
    feed = parse("rss1.rdf")
    assert feed.version == "rss10"
    assert [e.link for e in feed.entries] == [f"{BASE}/rdf/first-story", f"{BASE}/rdf/second-story"]
    assert feed.entries[0].published == "2024-04-02T08:00:00+01:00"
    assert feed.entries[0].author == "Ann Writer"
    assert feed.entries[1].published is not None
    assert feed.entries[1].published.startswith("2024-04-01")


def test_rss091_in_latin1() -> None:
    feed = parse("rss091.xml")
    assert feed.version.startswith("rss091")
    (entry,) = feed.entries
    assert entry.title == "Café opens in the old town"
    assert entry.content == "A new café opened its doors on Monday."
    assert entry.published is None


def test_atom() -> None:
    feed = parse("atom.xml")
    assert feed.version == "atom10"
    first, second = feed.entries
    assert first.link == f"{BASE}/atom/elections-called-for-june/"  # relative, resolved
    assert first.title == "Elections called for June"  # type="html" title as text
    assert first.published == "2024-04-03T10:15:00+02:00"
    assert first.author == "Pat Reporter"
    assert first.id == "tag:news.example,2024:1"
    assert first.content is not None and "Opposition parties" in first.content
    assert second.published == "2024-04-02T09:00:00+00:00"  # only <updated>
    assert second.content is not None and "xhtml" in second.content


def test_json_feed() -> None:
    feed = parse("jsonfeed.json")
    assert feed.title == "JSON Feed Example"
    assert feed.version == "json11"
    first, second, third = feed.entries
    assert first.link == f"{BASE}/json/first-json-story?utm_source=jsonfeed"
    assert first.published == "2024-04-03T23:30:00-05:00"
    assert first.author == "Jo Json"
    assert first.content_type == "text/html"
    assert second.link == f"{BASE}/json/second-json-story"  # relative, resolved
    assert second.id == "2"
    assert second.author == "Old Style Author"
    assert second.content_type == "text/plain"
    assert third.link == "https://elsewhere.example/linked"
    assert third.title is None


def test_json_feed_version_1() -> None:
    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1", "title": "v1",
         "items": [{"id": "a", "url": "https://x.example/a", "content_text": "hi"}]}
    ).encode()
    feed = parse_feed(body, "https://x.example/feed.json")
    assert feed.version == "json1"
    assert feed.entries[0].content == "hi"


def test_feed_fetched_from_the_local_server(http_server: TestServer) -> None:
    http_server.routes["/rss.xml"] = Route(
        body=load("rss2.xml", http_server.base), content_type="application/rss+xml"
    )
    with Fetcher(user_agent="t", host_delay=0) as f:
        resp = f.get(http_server.url("/rss.xml"), trusted=True)
    feed = parse_feed(resp.body, resp.url, content_type=resp.headers.get("content-type"))
    assert len(feed.entries) == 3
    assert feed.entries[0].link is not None
    assert feed.entries[0].link.startswith(http_server.base)


# -- not feeds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02\xff binary",
        b"just some text, not a feed",
        b"<html><head><title>A page</title></head><body><p>Hello</p></body></html>",
        b"<?xml version='1.0'?><note><to>you</to></note>",
        b'{"version": "1.0", "items": []}',
        b'{"not": "a feed"',
        b"[1, 2, 3]",
        b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000
        + b"]" * 100_000 + b"}",  # nested past Python's recursion limit
    ],
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError) as excinfo:
        parse_feed(body, "https://x.example/feed")
    assert "not an RSS, Atom or JSON feed" in str(excinfo.value)
    assert excinfo.value.url == "https://x.example/feed"


def test_body_naming_a_file_is_not_opened() -> None:
    # feedparser.parse(bytes) would try open(bytes) first; we never give it bare bytes.
    with pytest.raises(FeedError):
        parse_feed(b"/etc/passwd", "https://x.example/feed")


def test_body_naming_a_url_is_not_fetched(http_server: TestServer) -> None:
    http_server.routes["/rss.xml"] = Route(body=load("rss2.xml"))
    with pytest.raises(FeedError):
        parse_feed(http_server.url("/rss.xml").encode(), "https://x.example/feed")
    assert http_server.hits["/rss.xml"] == 0


def test_parse_feed_refuses_str() -> None:
    with pytest.raises(TypeError):
        parse_feed("/etc/passwd", "x")  # type: ignore[arg-type]


# -- hostile XML --------------------------------------------------------------------------


def _secret_lines() -> list[str]:
    try:
        return [ln for ln in Path("/etc/passwd").read_text().splitlines() if ":" in ln]
    except OSError:
        return []


def _all_text(feed: Feed) -> str:
    return json.dumps([feed.title] + [vars(e) for e in feed.entries])


def test_external_entities_are_not_resolved() -> None:
    feed = parse("xxe.xml")
    text = _all_text(feed)
    assert "root:" not in text
    for line in _secret_lines():
        assert line not in text
    assert feed.entries and feed.entries[0].link == f"{BASE}/xxe/entry"


def test_external_entity_through_the_server(http_server: TestServer) -> None:
    http_server.routes["/xxe.xml"] = Route(body=load("xxe.xml", http_server.base))
    with Fetcher(user_agent="t", host_delay=0) as f:
        resp = f.get(http_server.url("/xxe.xml"), trusted=True)
    feed = parse_feed(resp.body, resp.url)
    entry = feed.entries[0]
    draft = entry_to_draft(entry, feed_url=resp.url, source="x")
    assert "root:" not in draft.text + _all_text(feed)


def test_billion_laughs_is_harmless() -> None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        feed = parse("billion-laughs.xml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 2.0
    assert peak < 50 * 1024 * 1024
    assert len(_all_text(feed)) < 10_000  # nothing expanded
    assert feed.entries[0].link == f"{BASE}/laughs/entry"


@pytest.mark.parametrize("n", [400, 20_000])
def test_quadratic_blowup_is_harmless(n: int) -> None:
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "{"A" * n}">\n]>\n'
        '<rss version="2.0"><channel><title>q</title><item><title>t</title>'
        "<link>https://x.example/a</link><description>" + "&a;" * n + "</description>"
        "</item></channel></rss>"
    ).encode()
    start = time.monotonic()
    feed = parse_feed(body, "https://x.example/feed")
    assert time.monotonic() - start < 5.0
    assert len(_all_text(feed)) < 10 * len(body)  # not n * n
    assert feed.entries[0].link == "https://x.example/a"


def test_harmless_entities_still_work() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n'
        b'<!ENTITY co "ACME">\n]>\n<rss version="2.0"><channel><title>a&nbsp;b &co;</title>'
        b"<item><title>t</title><link>https://x.example/a</link></item></channel></rss>"
    )
    assert parse_feed(body, "u").title == "a\xa0b ACME"


# -- entries to drafts --------------------------------------------------------------------


def test_entry_to_draft_from_html_content() -> None:
    entry = parse("rss2.xml").entries[0]
    draft = entry_to_draft(entry, feed_url=f"{BASE}/rss2.xml", source="daily")
    assert draft.text == (
        "Russian President Vladimir Putin on Wednesday reaffirmed his war aims in Ukraine.\n\n"
        "Speaking for more than two hours, Putin said the economy had withstood sanctions."
    )
    assert draft.url == f"{BASE}/articles/putin-reaffirms-war-aims"  # canonical
    assert draft.title == "Putin reaffirms war aims in annual address"
    assert draft.date == "2024-04-03T09:30:00+02:00"
    assert draft.source == "daily"
    assert draft.author == "Jane Correspondent"
    assert draft.original_type == ENTRY_TYPE
    assert draft.original is not None
    original = json.loads(draft.original)
    assert original["feed"] == f"{BASE}/rss2.xml"
    assert original["link"] == entry.link
    assert original["id"] == "daily-example-1001"
    assert draft.origin == draft.url


def test_entry_to_draft_plain_text_keeps_paragraphs() -> None:
    entry = parse("jsonfeed.json").entries[1]
    draft = entry_to_draft(entry, feed_url="f")
    assert draft.text == "Plain text content.\n\nSecond paragraph."
    assert draft.source is None


def test_entry_to_draft_prepares_into_an_article_id() -> None:
    entries = parse("rss2.xml").entries
    ids = [prepare(entry_to_draft(e, feed_url="f")).id for e in entries]
    assert ids == [
        "news.example/2024-04-03/putin-reaffirms-war-aims",
        "news.example/2024-03-21/central-bank-holds-rates",
        "news.example/2024-04-06/giessen-bibliothek",
    ]


def test_entry_without_content_is_an_input_error() -> None:
    entry = FeedEntry(link="https://x.example/a", title="Only a title")
    with pytest.raises(InputError) as excinfo:
        entry_to_draft(entry, feed_url="https://x.example/feed")
    assert excinfo.value.origin == "https://x.example/a"
    assert "no content" in str(excinfo.value)


def test_entry_with_bad_link_keeps_no_url() -> None:
    entry = FeedEntry(link="javascript:alert(1)", title="t", content="Some text.")
    draft = entry_to_draft(entry, feed_url="f")
    assert draft.url is None
    assert draft.text == "Some text."


def test_json_feed_with_a_malformed_link_parses() -> None:
    """urljoin raises on "http://[::1": the feed still parses, and that entry alone fails
    later, as an RSS entry with such a link does."""
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1",
                       "home_page_url": "http://[::1",
                       "items": [{"id": "1", "url": "http://[::1/x", "content_text": "x"},
                                 {"id": "2", "url": "/fine", "content_text": "y"}]}).encode()
    feed = parse_feed(body, "https://news.example/feed.json")
    assert [e.link for e in feed.entries] == ["http://[::1/x", "https://news.example/fine"]

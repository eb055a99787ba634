"""Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to entries, and entries to drafts.

Safety: feedparser is only ever given a file-like object wrapping bytes the project read or
fetched itself. Given a ``str`` it fetches URLs and opens files, and given bare ``bytes`` it
first tries ``open(bytes)`` as a file name, so a feed body that happened to read
``/etc/passwd`` would be read from disk. Entity declarations are handled by feedparser: it
strips the DOCTYPE's internal subset before parsing, keeping only entities whose value is
plain text, and its XML parser does not load external entities or DTDs, so a billion-laughs
feed parses in milliseconds (the references stay unexpanded) and an external entity is never
resolved. The tests check both.

JSON Feed (https://jsonfeed.org, versions 1 and 1.1) is parsed here; feedparser does not
know it. A body is taken as a JSON Feed when it is a JSON object whose ``version`` names
jsonfeed.

Dates: ``FeedEntry.published`` is ISO 8601, with the offset the feed gave when it gave one,
so that the publication *date* is the publisher's local date (``Wed, 03 Apr 2024 23:30
-0500`` is ``2024-04-03T23:30:00-05:00``, not the 4th in UTC).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin

from newsarchive.errors import FeedError, InputError
from newsarchive.model import Draft
from newsarchive.text.urls import clean_url

__all__ = ["Feed", "FeedEntry", "entry_to_draft", "looks_like_json_feed", "parse_feed"]

NOT_A_FEED = "not an RSS, Atom or JSON feed"
ENTRY_TYPE = "application/feed-entry+json"


@dataclass
class FeedEntry:
    """One item of a feed, as plain strings (None when the feed does not say)."""

    link: str | None = None
    title: str | None = None
    published: str | None = None
    author: str | None = None
    content: str | None = None
    id: str | None = None
    content_type: str | None = None  # "text/html" or "text/plain" (of ``content``)


@dataclass
class Feed:
    """A parsed feed: its title and entries in feed order."""

    title: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    version: str = ""


def looks_like_json_feed(body: bytes) -> bool:
    """True when the body starts like a JSON object (a JSON Feed candidate)."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_feed(body: bytes, url: str, *, content_type: str | None = None) -> Feed:
    """Parse a feed from bytes; FeedError(url, ...) when it is not one."""
    if not isinstance(body, bytes | bytearray):
        raise TypeError("parse_feed takes the feed's bytes")
    body = bytes(body)
    if looks_like_json_feed(body):
        return _parse_json_feed(body, url)
    import feedparser  # XML feeds only: start-up time

    headers = {}
    if url.lower().startswith(("http://", "https://")):
        headers["content-location"] = url  # base for relative links; never fetched
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(io.BytesIO(_defuse(body)), response_headers=headers)
    except Exception as err:  # feedparser is meant never to raise; be sure
        raise FeedError(url, f"{NOT_A_FEED} ({_one_line(err)})") from err
    version = str(parsed.get("version") or "")
    entries = list(parsed.get("entries") or [])
    if not version and not entries:
        raise FeedError(url, NOT_A_FEED)
    return Feed(
        title=_text(parsed.get("feed", {}).get("title")),
        entries=[_entry(e) for e in entries],
        version=version,
    )


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(?P<param>%\s+)?[^\s>]+\s+(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|[^>]*)\s*>"
)
_SAFE_VALUE = re.compile(rb"&#x?[0-9A-Fa-f]+;|[^&%]{0,8}")


def _defuse(body: bytes) -> bytes:
    """Drop entity declarations whose expansion could be large (before feedparser sees them).

    feedparser already drops every declaration whose value refers to another entity
    (billion laughs) or to a file or URL (external entities); it keeps literal values of any
    length, so ``<!ENTITY a "20 KB of text">`` and 20,000 ``&a;`` would expand to 400 MB.
    Only character references and short literals survive here.
    """
    m = _FIRST_ELEMENT.search(body)
    end = m.start() if m else len(body)
    head = body[:end]
    if b"<!ENTITY" not in head:
        return body

    def keep(decl: re.Match[bytes]) -> bytes:
        value = decl.group("dq") if decl.group("dq") is not None else decl.group("sq")
        if decl.group("param") is None and value is not None and _SAFE_VALUE.fullmatch(value):
            return decl.group(0)
        return b""

    return _ENTITY_DECL.sub(keep, head) + body[end:]


def _entry(e: Any) -> FeedEntry:
    content, content_type = None, None
    for item in e.get("content") or []:
        value = _text(item.get("value"))
        if value and (content is None or len(value) > len(content)):
            content, content_type = value, _type(item.get("type"))
    if content is None:
        content = _text(e.get("summary"))
        content_type = _type((e.get("summary_detail") or {}).get("type")) if content else None
    title = _text(e.get("title"))
    if title and _type((e.get("title_detail") or {}).get("type")) == "text/html":
        title = _fragment_text(title, one_line=True)
    author = _author_name(_text(e.get("author")) or "") or _text(
        (e.get("author_detail") or {}).get("name")
    )
    return FeedEntry(
        link=_text(e.get("link")),
        title=title,
        published=_feed_date(e, "published") or _feed_date(e, "updated"),
        author=author,
        content=content,
        id=_text(e.get("id")),
        content_type=content_type,
    )


def _type(value: object) -> str:
    """feedparser's content type as text/html or text/plain."""
    return "text/plain" if value == "text/plain" else "text/html"


_EMAIL = r"[^\s@()<>]+@[^\s@()<>]+"
_AUTHOR_FORMS = (
    re.compile(rf"{_EMAIL}\s*\((?P<name>[^()]+)\)"),  # RSS: email (Name)
    re.compile(rf"(?P<name>[^()<>]+?)\s*\({_EMAIL}\)"),  # feedparser's Atom: Name (email)
    re.compile(rf"(?P<name>[^()<>]+?)\s*<{_EMAIL}>"),  # Name <email>
)


def _author_name(raw: str) -> str | None:
    """The author's name from the forms feeds use; a bare e-mail address is not a name."""
    raw = " ".join(raw.split())
    for form in _AUTHOR_FORMS:
        m = form.fullmatch(raw)
        if m:
            return m.group("name").strip() or None
    if re.fullmatch(_EMAIL, raw):
        return None
    return raw or None


def _feed_date(e: Any, key: str) -> str | None:
    """ISO 8601 of an RSS/Atom date, keeping the feed's offset when dateutil can read it."""
    parsed = e.get(f"{key}_parsed")
    if not parsed:
        return None  # feedparser could not read it: neither can we, reliably
    raw = _text(e.get(key))
    if raw:
        iso = _iso(raw)
        if iso:
            return iso
    try:
        y, mo, d, h, mi, s = (int(v) for v in parsed[:6])
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc).isoformat()
    except (TypeError, ValueError):
        return None


def _iso(raw: str) -> str | None:
    from dateutil import parser as dateparser  # start-up time

    try:
        with warnings.catch_warnings():  # "unknown time zone EST": the local time is kept
            warnings.simplefilter("ignore")
            value = dateparser.parse(raw)
    except (ValueError, OverflowError, TypeError):
        return None
    return value.isoformat() if value is not None else None


# -- JSON Feed -------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str) -> Feed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise FeedError(url, NOT_A_FEED) from err
    if not isinstance(data, dict) or "jsonfeed" not in str(data.get("version", "")):
        raise FeedError(url, NOT_A_FEED)
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(url, "JSON Feed without an items list")
    base = url if url.lower().startswith(("http://", "https://")) else None
    home = data.get("home_page_url")
    if isinstance(home, str) and home.lower().startswith(("http://", "https://")):
        base = base or home
    entries = [_json_entry(item, base) for item in items if isinstance(item, dict)]
    return Feed(title=_text(data.get("title")), entries=entries, version="json" + _jf_version(data))


def _jf_version(data: dict[str, Any]) -> str:
    m = re.search(r"/version/(\d+(?:\.\d+)?)", str(data.get("version", "")))
    return m.group(1).replace(".", "") if m else ""


def _json_entry(item: dict[str, Any], base: str | None) -> FeedEntry:
    link = _text(item.get("url")) or _text(item.get("external_url"))
    if link and base:
        try:
            link = urljoin(base, link)
        except ValueError:  # "http://[::1": left as it is, the entry reports it
            pass
    author = None
    authors = item.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        author = _text(authors[0].get("name"))
    elif isinstance(item.get("author"), dict):
        author = _text(item["author"].get("name"))
    content, content_type = _text(item.get("content_html")), "text/html"
    if content is None:
        content, content_type = _text(item.get("content_text")), "text/plain"
    if content is None:
        content, content_type = _text(item.get("summary")), "text/plain"
    published = None
    for key in ("date_published", "date_modified"):
        raw = _text(item.get(key))
        if raw:
            published = _iso(raw)
            if published:
                break
    return FeedEntry(
        link=link,
        title=_text(item.get("title")),
        published=published,
        author=author,
        content=content,
        content_type=content_type,
        id=str(item["id"]).strip() or None if isinstance(item.get("id"), str | int) else None,
    )


# -- entries to drafts -----------------------------------------------------------------------


def entry_to_draft(entry: FeedEntry, *, feed_url: str, source: str | None = None) -> Draft:
    """A draft from the entry's own content (``--no-fetch``); InputError if it has none."""
    url = None
    if entry.link:
        try:
            url = clean_url(entry.link)  # as the feed wrote it, less tracking parameters
        except ValueError:
            url = None
    origin = url or entry.link or entry.id or f"{feed_url} (entry {entry.title or '?'})"
    content = entry.content or ""
    if entry.content_type == "text/plain":
        text = content.strip()
    else:
        text = _fragment_text(content)
    if not text.strip():
        raise InputError(origin, "the feed entry has no content (fetch the page instead)")
    original = json.dumps(
        {"feed": feed_url, **asdict(entry)}, ensure_ascii=False, sort_keys=True
    ).encode("utf-8")
    return Draft(
        text=text,
        origin=origin,
        title=entry.title,
        source=source,
        date=entry.published,
        url=url,
        author=entry.author,
        original=original,
        original_type=ENTRY_TYPE,
    )


def _fragment_text(html: str, *, one_line: bool = False) -> str:
    from newsarchive.ingest.html import html_fragment_to_text  # trafilatura: start-up time

    text = html_fragment_to_text(html)
    return " ".join(text.split()) if one_line else text


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())

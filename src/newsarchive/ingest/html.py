"""Article pages (HTML) to drafts, with trafilatura.

trafilatura finds the main text (dropping navigation, headers, footers, cookie banners and
"related stories"), the title, the author and the publication date. Choices made here:

- Precision over recall (``favor_precision``): boilerplate that slips into the text
  ("Most read", a menu) changes between fetches and would show up as false revisions.
- The text is the article body, one paragraph per block, paragraphs separated by a blank
  line. A leading heading that repeats the title is dropped: the title is stored, diffed and
  searched on its own, so a changed headline is one change, not two.
- The date comes from the page's metadata and markup only (htmldate without its "extensive"
  search, which guesses from copyright lines such as "(c) 2021"); no date means None, and
  the caller falls back to the feed entry's date or the capture date.
- The URL is the page's ``<link rel="canonical">``, else its ``og:url``, else the URL it was
  fetched from, resolved against that URL, kept as written (``http`` stays ``http``) less its
  fragment and tracking parameters (:func:`clean_url`): its canonical form
  (:func:`canonical_url`) is what identifies the article, never what is stored. A canonical
  link to the home
  page of a page that is not the home page is ignored (a common site-wide template bug that
  would merge every article into one). trafilatura's own URL is not used: it normalises
  differently and may prefer ``og:url`` to the canonical link.
- The page itself is kept as the draft's original (``text/html``).
- Pages over :data:`MAX_HTML_BYTES` (10 MiB) are refused: extraction needs about 30 times
  the page's size in memory (an 8 MB page of text peaks near 250 MB), and real article pages
  are a few hundred KB.

trafilatura is imported inside the functions: it costs a noticeable fraction of a second.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from newsarchive.errors import InputError
from newsarchive.ingest.signatures import binary_reason, unreadable_reason
from newsarchive.model import Draft
from newsarchive.text.urls import canonical_url, clean_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["MAX_HTML_BYTES", "html_fragment_to_text", "html_to_draft", "looks_like_html"]

#: Larger pages are refused: trafilatura needs about 30 times a page's size in memory.
MAX_HTML_BYTES = 10 * 1024 * 1024

_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = re.compile(rb"<(?:html|head|body|article|title|meta|p|div)[\s>/]", re.IGNORECASE)


def looks_like_html(data: bytes) -> bool:
    """True when bytes look like an HTML page (doctype or ``<html>``/``<head>``/``<body>``)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith(b"<") and len(_HTML_TAGS.findall(head)) >= 2


def html_to_draft(data: bytes, *, origin: str, url: str | None = None) -> Draft:
    """Extract an article from an HTML page; InputError when it has no article text."""
    if len(data) > MAX_HTML_BYTES:
        raise InputError(
            origin,
            f"the page is {len(data):,} bytes, over the {MAX_HTML_BYTES:,}-byte limit for "
            "extracting an article",
        )
    binary = binary_reason(data)  # whatever a Content-Type or a file name said
    if binary is not None:
        raise InputError(origin, f"is not an HTML page but binary data ({binary})")
    tree = _load(data, origin)
    from trafilatura import bare_extraction

    try:
        doc: Any = bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except (ValueError, TypeError) as err:  # trafilatura signals "nothing found" this way
        raise InputError(origin, "no article text found in the HTML") from err
    except Exception as err:  # one odd page must not stop a cron run
        raise InputError(origin, f"cannot extract the article ({type(err).__name__})") from err
    if doc is None:
        raise InputError(origin, "no article text found in the HTML")
    title = _clean(getattr(doc, "title", None))
    text = _paragraphs(getattr(doc, "text", None) or "", title)
    if not text:
        raise InputError(origin, "no article text found in the HTML")
    unreadable = unreadable_reason(f"{title or ''}\n{text}")
    if unreadable is not None:
        raise InputError(origin, f"is not readable text: {unreadable}")
    return Draft(
        text=text,
        origin=origin,
        title=title,
        date=_clean(getattr(doc, "date", None)),
        url=_page_url(tree, url),
        author=_clean(getattr(doc, "author", None)),
        original=data,
        original_type="text/html",
    )


def _load(data: bytes, origin: str) -> HtmlElement:
    from trafilatura.utils import load_html

    for attempt in (data, b"<html><body>" + data + b"</body></html>"):  # a bare fragment
        try:
            tree = load_html(attempt)
        except (ValueError, TypeError):
            tree = None
        if tree is not None:
            return tree
    raise InputError(origin, "no article text found in the HTML")


def _paragraphs(text: str, title: str | None) -> str:
    paras = [" ".join(line.split()) for line in text.split("\n")]
    paras = [p for p in paras if p]
    if paras and title and _same(paras[0], title):
        paras = paras[1:]
    return "\n\n".join(paras)


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.split()).casefold().rstrip(" .")

    return norm(a) == norm(b)


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _page_url(tree: HtmlElement, url: str | None) -> str | None:
    """The canonical URL of the page: rel=canonical, og:url, else where it came from."""
    candidates: list[str] = []
    for link in tree.iterfind(".//link[@href]"):
        rels = (link.get("rel") or "").lower().split()
        if "canonical" in rels:
            candidates.append(link.get("href") or "")
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            candidates.append(meta.get("content") or "")
    own = None
    if url:
        try:
            own = canonical_url(url)
        except ValueError:
            own = None
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        written = urljoin(url, candidate) if url else candidate
        try:
            found = canonical_url(written)  # for the comparisons; the page's URL is kept
        except ValueError:
            continue
        # A site-wide canonical pointing at the home page would merge every article.
        if own is not None and urlsplit(found).path == "/" and urlsplit(own).path != "/":
            continue
        # A page names its own site's article, not another's: a page on any host could
        # otherwise file its text as a revision of any outlet's article (the source and
        # ID come from this URL). Saved pages (no URL fetched) are taken at their word.
        if own is not None and not _same_site(urlsplit(own).hostname or "",
                                              urlsplit(found).hostname or ""):
            continue
        return clean_url(written)
    return clean_url(url) if url is not None and own is not None else None


_SITE_PREFIXES = ("www.", "m.", "mobile.", "amp.")


def _same_site(a: str, b: str) -> bool:
    """Whether two hosts are one site: equal but for a ``www.``/``m.``/``amp.`` prefix, or
    one within the other (``edition.cnn.com`` and ``cnn.com``)."""
    def bare(host: str) -> str:
        for prefix in _SITE_PREFIXES:
            if host.startswith(prefix):
                return host[len(prefix):]
        return host

    a, b = bare(a.lower()), bare(b.lower())
    return a == b or a.endswith("." + b) or b.endswith("." + a)


# -- HTML fragments (feed entry content) -----------------------------------------------------

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)
_SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_fragment_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content): one paragraph per block."""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n\n".join(line for line in lines if line)

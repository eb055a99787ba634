"""Article pages (HTML) to drafts, with trafilatura.

trafilatura finds the main text (dropping navigation, headers, footers, cookie banners and
"related stories"), the title, the author and the publication date. Choices made here:

- Precision over recall (``favor_precision``): boilerplate that slips into the text
  ("Most read", a menu) changes between fetches and would show up as false revisions.
- The text is the article body, one paragraph per block, paragraphs separated by a blank
  line. A leading heading that repeats the title is dropped: the title is stored, diffed and
  searched on its own, so a changed headline is one change, not two.
- Paragraphs follow the page's blocks (``<p>``, ``<li>``, headings, quotes, and a run of two
  or more ``<br>``), never the line breaks of its source: many sites wrap the source of a
  ``<p>`` at 80 columns, and trafilatura keeps such a break as a line (so as a paragraph)
  after a ``<br>`` or inside a quote. Before extraction every line break in the page's text
  becomes a space (except in ``<pre>``, ``<textarea>``, scripts and styles), and a lone
  ``<br>`` a space too (trafilatura would make one ``<lb/>`` of a single ``<br>`` and of
  ``<br><br>`` alike, so only the runs are left to it).
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
- Before extraction, the elements the noise rules select are removed from the page
  (:func:`newsarchive.ingest.noise.drop_elements`: the built-in "Most read" boxes and share
  bars, and the config's ``drop`` selectors for the page's source or site), so rotating
  boxes never reach the text. The page itself is kept whole as the draft's original
  (``text/html``), so it can be extracted again under other rules.
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
from newsarchive.ingest.noise import DEFAULT_RULES, drop_elements, remove_keeping_tail
from newsarchive.ingest.signatures import binary_reason, unreadable_reason
from newsarchive.model import Draft
from newsarchive.text.urls import canonical_url, clean_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from newsarchive.ingest.noise import RuleBook

__all__ = ["MAX_HTML_BYTES", "html_fragment_to_text", "html_to_draft"]

#: Larger pages are refused: trafilatura needs about 30 times a page's size in memory.
MAX_HTML_BYTES = 10 * 1024 * 1024

def html_to_draft(data: bytes, *, origin: str, url: str | None = None,
                  noise: RuleBook | None = None, source: str | None = None) -> Draft:
    """Extract an article from an HTML page; InputError when it has no article text.

    ``noise`` (with the article's ``source`` when known, else its site) says which elements
    to drop before extraction; without it, the built-in rules alone."""
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
    page_url = _page_url(tree, url)
    drop_elements(tree, noise.rules(source=source, url=page_url or url) if noise is not None
                  else DEFAULT_RULES)
    unwrap_source_lines(tree)
    from trafilatura import bare_extraction  # HTML inputs only: start-up time

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
        url=page_url,
        author=_clean(getattr(doc, "author", None)),
        original=data,
        original_type="text/html",
    )


def _load(data: bytes, origin: str) -> HtmlElement:
    from trafilatura.utils import load_html  # HTML inputs only: start-up time

    for attempt in (data, b"<html><body>" + data + b"</body></html>"):  # a bare fragment
        try:
            tree = load_html(attempt)
        except (ValueError, TypeError):
            tree = None
        if tree is not None:
            return tree
    raise InputError(origin, "no article text found in the HTML")


# text whose line breaks mean something, or that is not text at all
_VERBATIM = frozenset({"pre", "textarea", "listing", "plaintext", "xmp", "script", "style",
                       "template", "noscript"})
_SOURCE_BREAK = re.compile(r"[ \t]*[\r\n][\s]*")


def unwrap_source_lines(tree: HtmlElement) -> None:
    """Line breaks of the page's source become spaces, and a lone ``<br>`` a space, so
    that the paragraphs extracted are the page's blocks (see the module docstring)."""
    verbatim: set[Any] = set()
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        parent = el.getparent()
        inside = parent is not None and parent in verbatim
        if tag.lower() in _VERBATIM or inside:
            verbatim.add(el)
        if el.text and el not in verbatim and tag:
            el.text = _SOURCE_BREAK.sub(" ", el.text)
        if el.tail and not inside:
            el.tail = _SOURCE_BREAK.sub(" ", el.tail)
    for br in list(tree.iter("br")):
        if br in verbatim or _next_to_br(br):
            continue
        if br.getparent() is not None:
            remove_keeping_tail(br, " ")  # a lone <br> is a space


def _next_to_br(br: Any) -> bool:
    """Whether a ``<br>`` has another right before or after it (only spacing between)."""
    prev, nxt = br.getprevious(), br.getnext()
    if nxt is not None and nxt.tag == "br" and not (br.tail or "").strip():
        return True
    return prev is not None and prev.tag == "br" and not (prev.tail or "").strip()


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
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)
_SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg"})
_BR = "\x00"   # a <br>, until the runs are told from the lone ones
_BR_RUN = re.compile(r"\x00[ \t]*(?:\x00[ \t]*)+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "br":
            self.parts.append(_BR)
        elif tag in _BLOCKS:
            self.parts.append("\n")
            self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
            self.pre = max(0, self.pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            data = data.replace(_BR, "")
            self.parts.append(data if self.pre else _SOURCE_BREAK.sub(" ", data))


def html_fragment_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content): one paragraph per block or
    run of ``<br>``; the line breaks of its source, and a lone ``<br>``, are spaces."""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    text = _BR_RUN.sub("\n", "".join(parser.parts)).replace(_BR, " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line)

"""A list of changes as an Atom feed (``changes --format atom``).

Each entry's content is the change at a glance (:mod:`newsarchive.changes.digest`: the
headline, source, capture times, kinds, summary line and only the changed passages with a
sentence of context), not the article: a feed of 16 one-sentence edits is some 30 KB, not
300. Every character that comes from an article is escaped; characters XML 1.0 forbids
even escaped are replaced. The HTML report is :mod:`newsarchive.changes.report`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from newsarchive.changes.digest import DiffHref, DiffOf, change_html
from newsarchive.model import Change
from newsarchive.version import __version__

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 does not allow even escaped; an article (or a title) may hold them
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return xml_escape(_NOT_XML.sub("\ufffd", text))


def entry_id(change: Change) -> str:
    """A stable Atom entry ID: the revision record's object id never changes."""
    return f"urn:newsarchive:revision:{change.revision.record}"


def entry_link(change: Change) -> str:
    rev = change.revision
    return rev.url or f"urn:newsarchive:article:{rev.id}"


def summary_line(change: Change) -> str:
    rev = change.revision
    kinds = ", ".join(rev.kind) or "change"
    return f"{rev.ref}: {kinds}, +{rev.words_added} -{rev.words_removed} words"


def to_atom(changes: Sequence[Change], diff_of: DiffOf, *, store_key: str,
            title: str = "newsarchive changes", feed_id: str | None = None,
            diff_href: DiffHref | None = None) -> str:
    """A valid Atom 1.0 feed, one entry a revision, the change at a glance as escaped HTML
    content. ``store_key`` (the store's path) makes a stable feed ID without publishing
    it; ``diff_href`` gives a change's full diff page (relative to the feed), if any."""
    updated = max((c.revision.captured_at for c in changes), default=_now())
    # a stable ID that does not publish the archive's path (nor break on its characters)
    digest = hashlib.sha256(store_key.encode("utf-8", "replace")).hexdigest()
    fid = feed_id or f"urn:newsarchive:changes:{digest[:32]}"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}">',
        f"  <title>{_xml(title)}</title>",
        f"  <id>{_xml(fid)}</id>",
        f"  <updated>{updated}</updated>",
        "  <author><name>newsarchive</name></author>",  # RFC 4287 4.1.1: entries have none
        f'  <generator version="{__version__}">newsarchive</generator>',
    ]
    for c in changes:
        rev = c.revision
        body = change_html(c, diff_of, diff_href, heading="h3")
        categories = "".join(f'\n    <category term="{k}"/>' for k in rev.kind)
        href = diff_href(c) if diff_href else None
        related = (f"\n    <link rel=\"related\" type=\"text/html\" "
                   f"href={quoteattr(_NOT_XML.sub('', href))}/>" if href else "")
        out += [
            "  <entry>",
            f"    <id>{entry_id(c)}</id>",
            f"    <title>{_xml(rev.title)}</title>",
            f"    <link rel=\"alternate\" href={quoteattr(_NOT_XML.sub('', entry_link(c)))}/>"
            f"{related}",
            f"    <updated>{rev.captured_at}</updated>",
            f"    <summary>{_xml(summary_line(c))}</summary>{categories}",
            f"    <content type=\"html\">{_xml(body)}</content>",
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

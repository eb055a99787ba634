"""Rendering a list of changes as an Atom feed or a static HTML report (``changes --format``).

Both embed each revision's diff as HTML from :mod:`newsarchive.diff.render`, where every
character that comes from an article is escaped; the report is one self-contained page
with inline CSS, no script and a restrictive Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from newsarchive.version import __version__
from newsarchive.diff.render import CSS as DIFF_CSS
from newsarchive.errors import IntegrityError
from newsarchive.model import Change

if TYPE_CHECKING:
    from newsarchive.diff.compare import Diff

DiffOf = Callable[[Change], "Diff"]  # the diff of a change (IntegrityError: a text is lost)

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


def _diff_html(diff_of: DiffOf, change: Change) -> str:
    try:
        return diff_of(change).to_html(standalone=False)
    except IntegrityError as err:
        return f"<p>diff unavailable: {escape(str(err))}</p>"


def summary_line(change: Change) -> str:
    rev = change.revision
    kinds = ", ".join(rev.kind) or "change"
    return f"{rev.ref}: {kinds}, +{rev.words_added} -{rev.words_removed} words"


def to_atom(changes: Sequence[Change], diff_of: DiffOf, *, store_key: str,
            title: str = "newsarchive changes", feed_id: str | None = None) -> str:
    """A valid Atom 1.0 feed, one entry a revision, the diff as escaped HTML content.
    ``store_key`` (the store's path) makes a stable feed ID without publishing it."""
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
        body = []
        if c.title_changed:
            body.append(f"<p>Title was: {escape(c.previous.title)}</p>")
        if c.first_changed:
            body.append(f"<p>First change: {escape(c.first_changed)}</p>")
        body.append(_diff_html(diff_of, c))
        categories = "".join(f'\n    <category term="{k}"/>' for k in rev.kind)
        out += [
            "  <entry>",
            f"    <id>{entry_id(c)}</id>",
            f"    <title>{_xml(rev.title)}</title>",
            f"    <link rel=\"alternate\" href={quoteattr(_NOT_XML.sub('', entry_link(c)))}/>",
            f"    <updated>{rev.captured_at}</updated>",
            f"    <summary>{_xml(summary_line(c))}</summary>{categories}",
            f"    <content type=\"html\">{_xml(''.join(body))}</content>",
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


REPORT_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.change{border-top:1px solid #ccc;padding:1rem 0}
.meta{color:#555;font-size:.9rem}
.kind{background:#eee;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
"""


def to_html_report(changes: Sequence[Change], diff_of: DiffOf, *,
                   title: str = "newsarchive changes") -> str:
    """One static, self-contained page listing the changes with their diffs inline."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{REPORT_CSS}{DIFF_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class=\"meta\">{len(changes)} change(s), generated {_now()} by newsarchive "
        f"{escape(__version__)}</p>",
    ]
    for c in changes:
        rev = c.revision
        kinds = "".join(f'<span class="kind">{escape(k)}</span>' for k in rev.kind)
        link = (f' <a href="{escape(rev.url, quote=True)}">source</a>'
                if rev.url and rev.url.startswith(("http://", "https://")) else "")
        parts.append(
            f'<section class="change"><h2>{escape(rev.title)}</h2>'
            f'<p class="meta">{escape(rev.ref)} · {escape(rev.captured_at)} · {kinds} '
            f"+{rev.words_added} −{rev.words_removed} words{link}</p>"
        )
        if c.title_changed:
            parts.append(f'<p class="meta">Title was: {escape(c.previous.title)}</p>')
        parts.append(_diff_html(diff_of, c) + "</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

"""A change at a glance, as HTML: what the report and the Atom feed show for each revision.

For each change: the headline (the old one struck through, then the new, when it
changed), the source, the capture times of both revisions, the kinds, the one-line
summary of the diff (:func:`newsarchive.diff.inline.summary_line`), only the changed
passages with a sentence of context (:mod:`newsarchive.diff.passages`), and a link to the
full side-by-side diff when there is a page for it (else the command that shows it).
A typical one-sentence edit takes about 1.5 KB.

Every character from an article, a title, a URL or a name is escaped; links are only
ever ``http(s)`` URLs or the relative path of a diff page.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from newsarchive.diff.inline import summary_line
from newsarchive.diff.passages import focus_sentences, passages_html
from newsarchive.errors import IntegrityError
from newsarchive.model import Change
from newsarchive.text.canonical import visible

if TYPE_CHECKING:
    from newsarchive.diff.compare import Diff

DiffOf = Callable[[Change], "Diff"]  # the diff of a change (IntegrityError: a text is lost)
DiffHref = Callable[[Change], "str | None"]   # where a change's full diff page is, if any

ARROW = "\u2192"
DOT = " \u00b7 "


def esc(text: str | None) -> str:
    return escape(visible(text or ""), quote=True)


def web_link(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def when(stamp: str) -> str:
    """``2024-04-03T11:30:00Z`` as ``2024-04-03 11:30``."""
    date, _, time = stamp.partition("T")
    return f"{date} {time[:5]}".strip()


def captured(change: Change) -> str:
    """``2024-04-03 08:00 → 11:30 UTC``: both capture times."""
    a, b = when(change.previous.captured_at), when(change.revision.captured_at)
    if a[:10] == b[:10]:
        b = b[11:]
    return f"{a} {ARROW} {b} UTC"


def headline_html(change: Change) -> str:
    """The new headline; the old one struck through before it when it changed."""
    new = esc(change.revision.title)
    if not change.title_changed:
        return new
    return f'<del class="was">{esc(change.previous.title)}</del> {ARROW} {new}'


def kinds_html(change: Change) -> str:
    rev = change.revision
    names = [*(rev.kind or ("change",)), *(("flip-flop",) if rev.flipflop else ())]
    return " ".join(f'<span class="kind">{esc(k)}</span>' for k in names)


def change_html(change: Change, diff_of: DiffOf, diff_href: DiffHref | None = None, *,
                anchor: str | None = None, heading: str = "h2") -> str:
    """One change as an ``<article>``: headline, facts, summary, passages, links."""
    rev = change.revision
    try:
        diff = diff_of(change)
        summary = esc(summary_line(diff.stats))
        assert diff.alignment is not None
        body = passages_html(focus_sentences(diff.alignment))
    except IntegrityError as err:
        summary = f"+{rev.words_added} &minus;{rev.words_removed} words"
        body = f'<p class="gap">diff unavailable: {esc(str(err))}</p>'
    ident = f' id="{esc(anchor)}"' if anchor else ""
    links = []
    href = diff_href(change) if diff_href else None
    if href:
        links.append(f'<a href="{esc(href)}">full side-by-side diff</a>')
    url = web_link(rev.url)
    if url:
        links.append(f'<a href="{esc(url)}" rel="noreferrer">article</a>')
    ref = f"<code>{esc(rev.ref)}</code>"
    if not href:
        ref = f"full diff: <code>newsarchive diff {esc(rev.ref)} --format html</code>"
    links.append(ref)
    return (f'<article class="change"{ident}>\n'
            f"<{heading}>{headline_html(change)}</{heading}>\n"
            f'<p class="meta"><b>{esc(rev.source)}</b> \u00b7 {captured(change)} \u00b7 '
            f"{kinds_html(change)} \u00b7 {summary}</p>\n"
            + (f'<div class="text">\n{body}\n</div>\n' if body else "") +
            f'<p class="links">{DOT.join(links)}</p>\n</article>')


CSS = """
.change del,.change ins{text-decoration:none;border-radius:2px;padding:0 1px}
.change del{background:#ffd7d5;color:#82071e;text-decoration:line-through}
.change ins{background:#ccffd8;color:#055d20}
.change del+ins{margin-left:2px}
.change del.was{background:none;color:#666}
.change .ctx{color:#555}
.change .moved b{font-weight:normal;font-size:.75em;background:#ddf4ff;color:#0a3069;
padding:0 3px;border-radius:2px}
.change .gap{color:#888}
.change .meta,.change .links{color:#555;font-size:.85em;margin:.2em 0}
.change .kind{background:#eee;border-radius:3px;padding:0 .3em}
.change .text p{margin:.3em 0}
"""

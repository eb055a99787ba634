"""The HTML report of ``changes --format html``: one static page, readable at a glance.

A table of contents first (each change's headline, kinds and word counts, linked to its
entry), then one entry a change (:mod:`newsarchive.changes.digest`): only the changed
passages, with a sentence of context, and a link to the full side-by-side diff when the
report is written to a directory with a page for each. On a wide screen the contents
sit in a column on the left, so the first screen shows the edits themselves; on a narrow
one they are a compact list above them. One font family throughout.

The page has inline CSS and nothing else: no script, no external resource, and a
Content-Security-Policy (``default-src 'none'; style-src 'unsafe-inline'``) that forbids
the browser to load or run anything; every character from an article is escaped. About
1.5 KB of HTML a one-sentence edit, plus 2 KB for the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from newsarchive.changes.digest import CSS as CHANGE_CSS
from newsarchive.changes.digest import DiffHref, DiffOf, change_html, esc, kinds_html
from newsarchive.model import Change
from newsarchive.version import __version__

CSP = "default-src 'none'; style-src 'unsafe-inline'"

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;
background:#fff;margin:0}
.page{display:grid;grid-template-columns:17rem minmax(0,52rem);gap:0 2rem;
justify-content:center;padding:0 1rem}
header{grid-column:1/-1}
h1{font-size:1.25rem;margin:.8rem 0 .1rem}
header p{color:#555;font-size:.85rem;margin:0 0 .6rem}
nav{position:sticky;top:0;align-self:start;max-height:100vh;overflow-y:auto;font-size:.8rem;
padding:.3rem 0}
nav ol{margin:0;padding-left:1.4rem}
nav li{margin:0 0 .35rem}
nav a{color:#0a3069;text-decoration:none}
nav .n{color:#666;white-space:nowrap}
nav .kind{background:#eee;border-radius:3px;padding:0 .25em;color:#444}
main h2{font-size:1.05rem;margin:0 0 .15rem}
.change{border-top:1px solid #ddd;padding:.55rem 0}
@media (max-width:60rem){.page{grid-template-columns:minmax(0,1fr)}
nav{position:static;max-height:none}nav ol{columns:2;column-gap:1.6rem}
nav ol{padding:0}nav li{margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
list-style-position:inside}nav .n{display:none}}
"""


def _toc_entry(n: int, change: Change) -> str:
    rev = change.revision
    counts = f"+{rev.words_added} &minus;{rev.words_removed}"
    return (f'<li><a href="#c{n}">{esc(rev.title)}</a> '
            f'<span class="n">{kinds_html(change)} {counts}</span></li>')


def to_html_report(changes: Sequence[Change], diff_of: DiffOf,
                   diff_href: DiffHref | None = None, *,
                   title: str = "newsarchive changes") -> str:
    """The report page (see the module docstring); ``diff_href`` gives the relative link
    of a change's full diff page, when there are such pages."""
    times = sorted(c.revision.captured_at for c in changes)
    span = (f", captured {esc(times[0][:16].replace('T', ' '))} to "
            f"{esc(times[-1][:16].replace('T', ' '))} UTC" if times else "")
    entries = "\n".join(change_html(c, diff_of, diff_href, anchor=f"c{n}")
                        for n, c in enumerate(changes, 1))
    toc = "\n".join(_toc_entry(n, c) for n, c in enumerate(changes, 1))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}{CHANGE_CSS}</style></head><body>\n"
        '<div class="page">\n'
        f"<header><h1>{esc(title)}</h1>\n"
        f"<p>{len(changes)} change{'s' if len(changes) != 1 else ''}{span}; "
        f"generated {_now()} by newsarchive {esc(__version__)}</p></header>\n"
        f'<nav aria-label="Contents"><ol>\n{toc}\n</ol></nav>\n'
        f"<main>\n{entries}\n</main>\n</div>\n</body></html>\n")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

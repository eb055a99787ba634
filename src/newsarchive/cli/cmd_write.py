"""Commands that write: ``init``, ``add``, ``import``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import State, emit_json, json_option, pass_state, style, words_delta
from newsarchive.cli.errors import error_line, message_of
from newsarchive.cli.progress import Progress
from newsarchive.errors import InputError, NewsArchiveError
from newsarchive.model import AddResult, Draft

if TYPE_CHECKING:
    from newsarchive.ingest.warc import WarcCounts


@command("init")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@pass_state
def init(state: State, path: str | None) -> None:
    """\b
    newsarchive init ~/news
    """
    if path:
        state.store_flag = path
    state.archive.init()
    click.echo(f"archive ready at {state.archive.path}")


def result_line(state: State, r: AddResult) -> str:
    rev = r.revision
    if r.status == "unchanged":
        return f"unchanged {rev.ref}"
    status = style(state, r.status, fg="green" if r.status == "added" else "yellow")
    line = f"{status} {rev.ref} {rev.hash[:7]}"
    extra = []
    if r.status == "inserted":  # older than the article's newest capture
        extra.append("backfill")
    if r.status in ("revised", "inserted") and rev.number > 1:
        extra.append(words_delta(rev.words_added, rev.words_removed))
        if rev.reverts:
            extra.append(f"reverts @{rev.reverts}")
    if r.named_from is not None:  # a new article named from its text: say how
        extra.append(f"named from the {r.named_from}; --id ID revises an article instead")
    return f"{line} ({', '.join(extra)})" if extra else line


def report(state: State, results: Iterable[AddResult | NewsArchiveError], *, as_json: bool,
           show: frozenset[str] = frozenset({"added", "revised", "unchanged"}),
           progress: Progress | None = None) -> int:
    """Print one line a result and errors on stderr; returns the number of failures."""
    failed = 0
    for r in results:
        if progress:
            progress.clear()
        if isinstance(r, NewsArchiveError):
            failed += 1
            error_line(message_of(r))
        elif as_json:
            emit_json(r.to_dict())
        elif r.status in show:
            click.echo(result_line(state, r))
    if progress:
        progress.clear()
    return failed


def _fetch_page(state: State, fetched: set[str] | None = None) -> Callable[[str], Draft]:
    """``add URL``'s fetch; the origins of the pages fetched go into ``fetched``."""
    def fetch(url: str) -> Draft:
        draft = state.archive.fetch(url,
                                    allow_private_networks=state.config.allow_private_networks)
        if fetched is not None:
            fetched.add(draft.origin)
        return draft

    return fetch


def _watching(state: State, results: Iterable[AddResult | NewsArchiveError],
              fetched: set[str]) -> Iterator[AddResult | NewsArchiveError]:
    """The results, each article added from a URL watched once its result is committed."""
    for r in results:
        if isinstance(r, AddResult) and r.origin in fetched:
            state.archive.watch_fetched(r, r.origin, watch=state.config.watch)
        yield r


@command("add")
@click.argument("inputs", nargs=-1, metavar="[FILES|URLS|-]...")
@click.option("--id", "article_id", metavar="ID",
              help="Revise this article (SOURCE/DATE/SLUG), or create it with this ID.")
@click.option("--source", help="Source name (else from the input's header or URL).")
@click.option("--date", help="Publication date (any common form).")
@click.option("--title", help="Title (else the header's, or the first sentence).")
@click.option("--url", help="The article's URL.")
@click.option("--slug", help="The slug part of the article ID.")
@click.option("--author", help="Author.")
@click.option("--captured-at",
              help="Capture time (else the input's, a file's modification time, or now).")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "jsonl", "html"]),
              default="auto", show_default=True, help="Input format (auto: by extension/content).")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Print only changes and errors.")
@pass_state
def add(state: State, inputs: tuple[str, ...], article_id: str | None, source: str | None,
        date: str | None, title: str | None, url: str | None, slug: str | None,
        author: str | None, captured_at: str | None, fmt: str, as_json: bool,
        quiet: bool) -> None:
    """One line an input: `added ID@1 HASH7`, `revised ID@N HASH7 (+A -D words)`,
    `inserted ID@N HASH7 (backfill, ...)` for a capture older than the article's newest,
    or `unchanged ID@N`.

    Which article: the one `--id` (or an `id:` header, a JSON `id`) names; else the one
    first captured at the same URL (http/https, tracking parameters and a trailing slash
    aside), whatever its date; else a new one, named SOURCE/DATE/SLUG from `--slug`, the
    URL, the title, the file name (less a version suffix: story.v2.txt is story), the
    first sentence or first words. A new article named from its text says so.

    When: `--captured-at`, else the input's own capture time, else a file's modification
    time, else now. Revisions follow capture time, not the order of adding. An input
    whose text and title equal the capture before it (or a capture at the same time) is
    `unchanged`, so adding the same files again adds nothing. Inputs that fail are
    reported on stderr; the rest are still archived, and the exit code is 1.

    \b
    newsarchive add article.txt --source politico.eu
    newsarchive add ./articles/       # .txt .text .md .html .htm .jsonl .ndjson, recursively
    curl -s https://example.org/a | newsarchive add - --source example --format html
    newsarchive add https://example.org/news/story.html
    """
    if not inputs:
        raise click.UsageError("give files, directories, URLs or - (stdin) to add")
    # the input readers (trafilatura, lxml) load when there is something to add: start-up time
    from newsarchive.ingest.inputs import count_inputs, read_inputs
    from newsarchive.ingest.prepare import apply_overrides

    overrides = dict(id=article_id, source=source, date=date, title=title, url=url, slug=slug,
                     author=author, captured_at=captured_at)

    fetched: set[str] = set()

    def drafts() -> Iterator[Draft | InputError]:
        for d in read_inputs(list(inputs), fmt=fmt, stdin=sys.stdin.buffer,
                             fetch=_fetch_page(state, fetched), noise=state.archive.noise):
            yield d if isinstance(d, InputError) else apply_overrides(d, **overrides)

    show = frozenset({"added", "revised", "inserted"} if quiet
                     else {"added", "revised", "inserted", "unchanged"})
    progress = None
    if sys.stderr.isatty() and not as_json:
        progress = Progress(count_inputs(list(inputs), fmt=fmt))
    results = _watching(state, state.archive.add_stream(
        drafts(), on_progress=progress.tick if progress else None), fetched)
    failed = report(state, results, as_json=as_json, show=show, progress=progress)
    if failed:
        sys.exit(1)


@command("import")
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (no summary line).")
@pass_state
def import_(state: State, files: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Each record's text is checked against its `hash`. Records already present are
    `unchanged`, so importing twice adds nothing.

    A .warc, .warc.gz or .wacz file (ArchiveBox, Browsertrix, wget, Heritrix, or
    `export --format warc`): every HTML capture in it becomes a revision of its URL at
    its WARC-Date, extracted as a fetched page; revisits are resolved to their original;
    other records are counted and skipped. A damaged record is one error line; the rest
    are imported, and the exit code is 1. See docs/interop.md.

    \b
    newsarchive export > all.jsonl
    newsarchive --store ./copy import all.jsonl
    newsarchive import crawl.warc.gz archive.wacz
    """
    from newsarchive.ingest.inputs import read_inputs  # the input readers: start-up time
    from newsarchive.ingest.warc import WarcCounts, is_warc_name

    warcs = [f for f in files if is_warc_name(f)]
    if warcs and len(warcs) != len(files):
        raise click.UsageError("give WARC/WACZ files or JSON Lines, not both, to one import")
    counts = {"added": 0, "revised": 0, "inserted": 0, "unchanged": 0}
    warc_counts = WarcCounts()
    if warcs:
        outcomes = state.archive.import_warc(warcs, counts=warc_counts)
    else:
        drafts = read_inputs(list(files) or ["-"], fmt="jsonl", stdin=sys.stdin.buffer)
        outcomes = state.archive.import_(drafts)

    def counted() -> Iterator[AddResult | NewsArchiveError]:
        for r in outcomes:
            if not isinstance(r, NewsArchiveError):
                counts[r.status] += 1
            yield r

    failed = report(state, counted(), as_json=as_json, show=frozenset())
    if not as_json and not quiet:
        line = (f"imported: {counts['added']} added, {counts['revised']} revised, "
                f"{counts['inserted']} inserted, {counts['unchanged']} unchanged, "
                f"{failed} failed")
        if warcs:
            line += "; " + warc_summary(warc_counts)
        click.echo(line, err=True)
    if failed:
        sys.exit(1)


def warc_summary(c: WarcCounts) -> str:
    """``30 HTML captures (2 revisits), 12 records skipped (10 not HTML, 2 HTTP 404), 31
    other records`` for the summary line of a WARC import."""
    captures = f"{c.captures:,} HTML captures" + (f" ({c.revisits:,} revisits)"
                                                  if c.revisits else "")
    skipped = sum(c.skipped.values())
    reasons = ", ".join(f"{n:,} {why}" for why, n in sorted(c.skipped.items(),
                                                             key=lambda kv: (-kv[1], kv[0])))
    parts = [captures, f"{skipped:,} records skipped" + (f" ({reasons})" if reasons else ""),
             f"{c.other:,} other records"]
    return ", ".join(parts)


COMMANDS = [init, add, import_]

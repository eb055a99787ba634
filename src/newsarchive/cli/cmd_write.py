"""Commands that write: ``init``, ``add``, ``import``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import click

from newsarchive.cli.context import State, emit_json, json_option, pass_state, style, words_delta
from newsarchive.cli.errors import error_line
from newsarchive.cli.progress import Progress

if TYPE_CHECKING:
    from newsarchive.errors import InputError, NewsArchiveError
    from newsarchive.model import AddResult, Draft


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@pass_state
def init(state: State, path: str | None) -> None:
    """Create an archive (optional: adding creates one too).

    \b
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
    if r.status == "revised":
        extra = [words_delta(rev.words_added, rev.words_removed)]
        if rev.reverts:
            extra.append(f"reverts @{rev.reverts}")
        line += f" ({', '.join(extra)})"
    return line


def report(state: State, results: Iterable[AddResult | NewsArchiveError], *, as_json: bool,
           show: frozenset[str] = frozenset({"added", "revised", "unchanged"}),
           progress: Progress | None = None) -> int:
    """Print one line a result and errors on stderr; returns the number of failures."""
    from newsarchive.errors import NewsArchiveError

    failed = 0
    for r in results:
        if progress:
            progress.clear()
        if isinstance(r, NewsArchiveError):
            failed += 1
            error_line(str(r))
        elif as_json:
            emit_json(r.to_dict())
        elif r.status in show:
            click.echo(result_line(state, r))
    if progress:
        progress.clear()
    return failed


def _fetch_page(state: State) -> Callable[[str], Draft]:
    def fetch(url: str) -> Draft:
        return state.archive.fetch(url,
                                   allow_private_networks=state.config.allow_private_networks)

    return fetch


@click.command()
@click.argument("inputs", nargs=-1, metavar="[FILES|URLS|-]...")
@click.option("--source", help="Source name (else from the input's header or URL).")
@click.option("--date", help="Publication date (any common form).")
@click.option("--title", help="Title (else the header's, or the first sentence).")
@click.option("--url", help="The article's URL.")
@click.option("--slug", help="The slug part of the article ID.")
@click.option("--author", help="Author.")
@click.option("--captured-at", help="Capture time for backfills (default: now, UTC).")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "jsonl", "html"]),
              default="auto", show_default=True, help="Input format (auto: by extension/content).")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Print only changes and errors.")
@pass_state
def add(state: State, inputs: tuple[str, ...], source: str | None, date: str | None,
        title: str | None, url: str | None, slug: str | None, author: str | None,
        captured_at: str | None, fmt: str, as_json: bool, quiet: bool) -> None:
    """Archive articles from files, directories, URLs or - (stdin).

    One line an input: `added ID@1 HASH7`, `revised ID@N HASH7 (+A -D words)` or
    `unchanged ID@N`. An input equal to a revision already held (same text and title,
    and the same capture time when it names one) is `unchanged`, so adding the same
    files again adds nothing. Inputs that fail are reported on stderr; the rest are still
    archived, and the exit code is 1.

    \b
    newsarchive add article.txt --source politico
    newsarchive add ./articles/       # .txt .text .md .html .htm .jsonl .ndjson, recursively
    curl -s https://example.org/a | newsarchive add - --source example --format html
    newsarchive add https://example.org/news/story.html
    """
    if not inputs:
        raise click.UsageError("give files, directories, URLs or - (stdin) to add")
    from newsarchive.errors import InputError
    from newsarchive.ingest.inputs import count_inputs, read_inputs
    from newsarchive.ingest.prepare import apply_overrides

    overrides = dict(source=source, date=date, title=title, url=url, slug=slug, author=author,
                     captured_at=captured_at)

    def drafts() -> Iterator[Draft | InputError]:
        for d in read_inputs(list(inputs), fmt=fmt, stdin=sys.stdin.buffer,
                             fetch=_fetch_page(state)):
            yield d if isinstance(d, InputError) else apply_overrides(d, **overrides)

    show = frozenset({"added", "revised"} if quiet else {"added", "revised", "unchanged"})
    progress = None
    if sys.stderr.isatty() and not as_json:
        progress = Progress(count_inputs(list(inputs), fmt=fmt))
    results = state.archive.add_stream(drafts(), on_progress=progress.tick if progress else None)
    failed = report(state, results, as_json=as_json, show=show, progress=progress)
    if failed:
        sys.exit(1)


@click.command("import")
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (no summary line).")
@pass_state
def import_(state: State, files: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Read back JSON Lines written by `export` (default: stdin).

    Each record's text is checked against its `hash`. Records already present are
    `unchanged`, so importing twice adds nothing.

    \b
    newsarchive export > all.jsonl
    newsarchive --store ./copy import all.jsonl
    """
    from newsarchive.errors import NewsArchiveError
    from newsarchive.ingest.inputs import read_inputs

    drafts = read_inputs(list(files) or ["-"], fmt="jsonl", stdin=sys.stdin.buffer)
    counts = {"added": 0, "revised": 0, "unchanged": 0}

    def counted() -> Iterator[AddResult | NewsArchiveError]:
        for r in state.archive.import_(drafts):
            if not isinstance(r, NewsArchiveError):
                counts[r.status] += 1
            yield r

    failed = report(state, counted(), as_json=as_json, show=frozenset())
    if not as_json and not quiet:
        click.echo(f"imported: {counts['added']} added, {counts['revised']} revised, "
                   f"{counts['unchanged']} unchanged, {failed} failed", err=True)
    if failed:
        sys.exit(1)


COMMANDS = [init, add, import_]

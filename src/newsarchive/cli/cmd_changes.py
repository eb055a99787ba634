"""``changes``: recent edits across the archive, classified."""

from __future__ import annotations

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import (
    COUNT,
    State,
    emit_json,
    capture_filter_options,
    pass_state,
    style,
    timeout_option,
)
from newsarchive.model import KINDS
from newsarchive.text.canonical import visible


@command("changes")
@capture_filter_options
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only changes of this kind (repeatable).")
@click.option("--limit", type=COUNT, default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "atom", "html"]),
              default="text", show_default=True,
              help="json: JSON Lines; atom: a feed for readers and bots; html: a static report.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", metavar="DIR",
              help="html/atom: write the report into DIR (index.html or changes.atom) with a "
                   "full side-by-side diff page for each change, linked from it.")
@timeout_option
@pass_state
def changes(state: State, sources: tuple[str, ...], since: str | None, until: str | None,
            kinds: tuple[str, ...], limit: int, fmt: str, as_json: bool, output: str | None,
            timeout: float) -> None:
    """Kinds: headline, substantive, minor, correction, revert, extraction-suspect,
    headline-test, removed, restored. The switches of one headline test are one change,
    with the variants and how often each was seen. --since and --until bound the capture
    time of the revision (list, search and export: the publication date).

    \b
    newsarchive changes --kind substantive --since 2024-04-01
    newsarchive changes --format atom > changes.atom
    newsarchive changes --format html > report.html
    newsarchive changes --format html --output report/   # with a diff page per change
    """
    if output is not None and (as_json or fmt not in ("atom", "html")):
        raise click.UsageError("--output writes an html or atom report (--format html|atom)")
    archive = state.archive
    found = archive.changes(source=sources, since=since, until=until, kind=kinds, limit=limit,
                            timeout=timeout)
    if as_json:
        fmt = "json"
    if fmt == "json":
        for c in found:
            emit_json(c.to_dict())
    elif fmt in ("atom", "html") and output is not None:
        written = archive.write_changes_report(found, output, fmt)
        click.echo(f"wrote {written.report} and {len(written.pages)} diff "
                   f"page{'s' if len(written.pages) != 1 else ''}")
    elif fmt in ("atom", "html"):
        click.echo(archive.changes_report(found, fmt).rstrip("\n"))
    else:
        for c in found:
            rev = c.revision
            kinds_s = ",".join(rev.kind) or rev.event or "change"
            flip = " (flip-flop)" if rev.flipflop else ""
            click.echo(f"{style(state, rev.ref, fg='cyan')}  {rev.captured_at}  {kinds_s}{flip}  "
                       f"+{rev.words_added} -{rev.words_removed} words")
            if c.headline_test is not None:
                test = c.headline_test
                shown = ", ".join(f"{v['title']!r} {v['seen']}x" for v in test["variants"])
                click.echo(f"    headline test: {shown}; {len(test['revisions'])} switches "
                           f"from {test['start']} to {test['end']}")
            elif c.title_changed:
                click.echo(f"    title: {c.previous.title!r} -> {rev.title!r}")
            if c.first_changed:
                click.echo(f"    {visible(c.first_changed)}")


COMMANDS = [changes]

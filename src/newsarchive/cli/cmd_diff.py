"""``diff``: what changed between two revisions."""

from __future__ import annotations

import sys

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import State, emit_json, pass_state
from newsarchive.errors import NothingToCompare
from newsarchive.text.canonical import visible

GRANULARITIES = ("word", "sentence", "line", "char")
FORMATS = ("inline", "unified", "html", "json")
INLINE_CONTEXT = 1    # paragraphs around each change, inline
UNIFIED_CONTEXT = 3   # lines, as diff -u


@command("diff")
@click.argument("a")
@click.argument("b", required=False)
@click.option("--by", type=click.Choice(GRANULARITIES), default="word", show_default=True,
              help="Granularity of the diff (sentence: whole sentences, as the sentence "
                   "alignment pairs them).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="inline", show_default=True,
              help="inline [-removed-]{+added+}; unified like diff -u; html page; json.")
@click.option("--stat", is_flag=True, help="Print only the summary of the change.")
@click.option("-U", "--context", type=click.IntRange(min=0), default=None, metavar="N",
              help=f"Paragraphs of context around each change (default {INLINE_CONTEXT}; in "
                   f"the unified format lines, default {UNIFIED_CONTEXT}).")
@click.option("--full", is_flag=True, help="Show every paragraph, not only the changed ones.")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when the revisions differ, like git (0 for a first revision).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_state
def diff(state: State, a: str, b: str | None, by: str, fmt: str, stat: bool,
         context: int | None, full: bool, exit_code: bool, as_json: bool) -> None:
    """Inline, the default: a header (the revisions, their capture times, the title's
    change, a one-line summary), then only the paragraphs that changed, each with one
    paragraph around it (-U N for more, --full for all). A changed title is always
    shown first. B may belong to another article (the same story from two outlets).
    A first revision has nothing to compare: that is said on stderr, and the exit
    status is 0. On a terminal the output goes through a pager (see --no-pager).

    \b
    newsarchive diff putin-reaffirms-war-aims            # latest against the one before
    newsarchive diff putin-reaffirms-war-aims --full     # every paragraph
    newsarchive diff putin-reaffirms-war-aims@1 putin-reaffirms-war-aims@3 --by sentence
    newsarchive diff putin-reaffirms-war-aims --format html > change.html
    """

    if as_json and fmt not in ("inline", "json"):  # inline: the default, not a choice
        raise click.UsageError(f"--json and --format {fmt} ask for two formats")
    if stat and fmt in ("unified", "html"):
        raise click.UsageError(f"--stat prints a summary as text or JSON, not {fmt}")
    try:
        d = state.archive.diff(a, b, by=by)
    except NothingToCompare as err:
        click.echo(visible(str(err)), err=True)
        return
    if as_json:
        fmt = "json"
    if stat:
        if fmt == "json":

            emit_json({"a": d.a, "b": d.b, "stats": d.stats.to_dict()})
        else:
            click.echo(d.to_stat().rstrip("\n"))
    elif fmt == "json":
        click.echo(d.to_json())
    elif fmt == "html":
        click.echo(d.to_html().rstrip("\n"))
    elif fmt == "unified":
        text = d.to_unified(context=UNIFIED_CONTEXT if context is None else context)
        if not state.stdout_tty:  # a patch: exactly the texts' characters
            sys.stdout.write(text)
        else:
            _show(state, visible(text))
    else:
        shown = None if full else (INLINE_CONTEXT if context is None else context)
        _show(state, d.to_text(color=state.color, context=shown, header=True))
    if exit_code and d.changed:
        sys.exit(1)


def _show(state: State, text: str) -> None:
    if not text:
        return
    if state.paging:
        from newsarchive.cli.pager import page  # only on a terminal: start-up time

        page(text)
    else:
        click.echo(text, nl=False)


COMMANDS = [diff]

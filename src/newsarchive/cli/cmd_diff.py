"""``diff``: what changed between two revisions."""

from __future__ import annotations

import sys

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import State, pass_state
from newsarchive.text.canonical import visible

GRANULARITIES = ("word", "sentence", "line", "char")
FORMATS = ("inline", "unified", "html", "json")


@command("diff")
@click.argument("a")
@click.argument("b", required=False)
@click.option("--by", type=click.Choice(GRANULARITIES), default="word", show_default=True,
              help="Granularity of the diff.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="inline", show_default=True,
              help="inline [-removed-]{+added+}; unified like diff -u; html page; json.")
@click.option("--stat", is_flag=True, help="Print only the summary of the change.")
@click.option("-U", "--context", type=click.IntRange(min=0), default=3, show_default=True,
              help="Lines of context in the unified format (a paragraph is a line).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the revisions differ, like git.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_state
def diff(state: State, a: str, b: str | None, by: str, fmt: str, stat: bool, context: int,
         exit_code: bool, as_json: bool) -> None:
    """A changed title is always shown first. B may belong to another article (the same
    story from two outlets).

    \b
    newsarchive diff putin-reaffirms-war-aims            # latest against the one before
    newsarchive diff putin-reaffirms-war-aims@1 putin-reaffirms-war-aims@3 --by sentence
    newsarchive diff putin-reaffirms-war-aims --format html > change.html
    """
    if as_json and fmt not in ("inline", "json"):  # inline: the default, not a choice
        raise click.UsageError(f"--json and --format {fmt} ask for two formats")
    if stat and fmt in ("unified", "html"):
        raise click.UsageError(f"--stat prints a summary as text or JSON, not {fmt}")
    d = state.archive.diff(a, b, by=by)
    if as_json:
        fmt = "json"
    if stat:
        if fmt == "json":
            from newsarchive.cli.context import emit_json

            emit_json({"a": d.a, "b": d.b, "stats": d.stats.to_dict()})
        else:
            click.echo(d.to_stat().rstrip("\n"))
    elif fmt == "json":
        click.echo(d.to_json())
    elif fmt == "html":
        click.echo(d.to_html().rstrip("\n"))
    else:
        text = d.to_unified(context=context) if fmt == "unified" else d.to_text(color=state.color)
        text = text.rstrip("\n")
        if fmt == "unified" and not state.stdout_tty:
            if text:  # a patch: exactly the texts' characters (click.echo strips escapes)
                sys.stdout.write(text + "\n")
        else:
            if fmt == "unified":
                text = visible(text)
            if state.stdout_tty and text.count("\n") > 60:
                click.echo_via_pager(text + "\n", color=state.color)
            elif text:
                click.echo(text)
    if exit_code and d.changed:
        sys.exit(1)


COMMANDS = [diff]

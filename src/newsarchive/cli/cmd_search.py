"""``search``: full-text search over every version and inside the edits."""

from __future__ import annotations

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import (
    COUNT,
    State,
    emit_json,
    filter_options,
    json_option,
    pass_state,
    style,
    timeout_option,
)
from newsarchive.text.canonical import visible

BOLD = ("\x1b[1m", "\x1b[22m")
# on a terminal, edits as diff shows them: removed struck and red, an arrow, added green
EDIT_STANDINS = ("\ue002", "\ue003", "\ue004", "\ue005")
EDIT_COLOURS = {"\ue002": "\x1b[9;31m", "\ue003": "\x1b[0m", "\ue004": "\x1b[32m",
                "\ue005": "\x1b[0m"}


@command("search")
@click.argument("query", nargs=-1, required=True)
@filter_options
@click.option("--limit", type=COUNT, default=20, show_default=True,
              help="At most this many results.")
@click.option("--all-revisions", is_flag=True, help="Search every revision, not only the latest.")
@click.option("--removed", is_flag=True, help="Match only text that an edit took out.")
@click.option("--added", is_flag=True, help="Match only text that an edit put in.")
@timeout_option
@json_option
@pass_state
def search(state: State, query: tuple[str, ...], sources: tuple[str, ...], since: str | None,
           until: str | None, limit: int, all_revisions: bool, removed: bool, added: bool,
           timeout: float, as_json: bool) -> None:
    """Words are ANDed; "exact phrase", OR, NOT, prefix*, (parentheses). Matches are
    marked [like this] off a terminal and in bold on one. With --removed or --added the
    snippet is the edited sentence (or title), the change marked [-removed-]{+added+}.

    \b
    newsarchive search sanctions putin --source politico.eu
    newsarchive search '"press on with the war" OR ceasefire' --since 2024-04-01
    newsarchive search --removed "16,000"       # which edit took it out?
    """
    # on a terminal: private-use stand-ins, turned bold once the snippet is made visible
    painted = state.color and not as_json
    markers = ("\ue000", "\ue001") if painted else ("[", "]")
    edit_markers = EDIT_STANDINS if painted else ("[-", "-]", "{+", "+}")
    hits = state.archive.search(" ".join(query), source=sources, since=since, until=until,
                                limit=limit, all_revisions=all_revisions, removed=removed,
                                added=added, markers=markers, edit_markers=edit_markers,
                                timeout=timeout)
    if as_json:
        for h in hits:
            emit_json(h.to_dict())
        return
    for h in hits:
        snippet = visible(h.snippet).replace("\ue000", BOLD[0]).replace("\ue001", BOLD[1])
        snippet = snippet.replace("\ue003\ue004", "\x1b[0m\x1b[2m\u2192\x1b[0m\x1b[32m")
        for standin, sgr in EDIT_COLOURS.items():
            snippet = snippet.replace(standin, sgr)
        click.echo(f"{style(state, h.ref, fg='cyan')}  {h.date}  {visible(h.title)}")
        click.echo(f"    {snippet}")


COMMANDS = [search]

"""``watch``: the articles revisited after they leave their feed (list, add, stop, run)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from newsarchive.cli.commands import COMMANDS as SUMMARIES
from newsarchive.cli.context import COUNT, State, emit_json, json_option, pass_state
from newsarchive.cli.errors import error_line
from newsarchive.cli.notifying import notify_option, send_run
from newsarchive.cli.progress import bar_for

if TYPE_CHECKING:
    from newsarchive.web.watch import WatchReport
    from newsarchive.web.watchlist import WatchEntry


@click.group("watch", help=f"""{SUMMARIES["watch"][1]}

Every article archived from a URL (by `snapshot` or `add URL`) is watched: fetched again,
conditionally, when the schedule says it is due (often while it is young, less often
while nothing changes, stopping 30 days after its last change; the [watch] table of the
config sets it, see docs/cron.md). A URL that answers 404 or 410 twice in a row gets a
`removed` revision, and one that comes back a `restored` one.

\b
newsarchive watch list
newsarchive watch run --notify 'json://127.0.0.1:8080/hook'
""")
def watch() -> None:
    pass


def _line(e: WatchEntry) -> str:
    due = e.next_due if e.next_due is not None else e.status
    note = f"  ({e.note})" if e.note else ""
    return f"{due:<20} {e.id}  {e.url}{note}"


@watch.command("list", short_help="The watched articles and when each is next due.")
@json_option
@pass_state
def watch_list(state: State, as_json: bool) -> None:
    """The watched articles, the next due first: when each is next due (UTC; `done` when
    the schedule has stopped, `stopped` after `watch stop`), its ID and URL, and a note
    on its last check. `--json`: one object a line (`id url status next_due first_seen
    last_checked last_changed unchanged_checks missing_checks note`). With none, a line
    on stderr says so."""
    state.archive.store.require()
    entries = state.archive.watch_list(watch=state.config.watch)
    if not entries and not as_json:  # say so on stderr: stdout stays empty for scripts
        click.echo("no article is watched (articles added from a URL are; see watch add)",
                   err=True)
    for e in entries:
        if as_json:
            emit_json(e.to_dict())
        else:
            click.echo(_line(e))


@watch.command("add", short_help="Watch an article (a URL or an ID).")
@click.argument("target", metavar="URL|ID")
@json_option
@pass_state
def watch_add(state: State, target: str, as_json: bool) -> None:
    """Watch an article: a URL (fetched and archived first when it is not yet) or an
    archived article's ID. Watching a stopped article again starts its schedule over."""
    config = state.config
    entry = state.archive.watch_add(target, watch=config.watch,
                                    allow_private_networks=config.allow_private_networks)
    if as_json:
        emit_json(entry.to_dict())
    else:
        click.echo(f"watching {entry.id} (next due {entry.next_due or 'never'})")


@watch.command("stop", short_help="Stop watching an article.")
@click.argument("ref", metavar="ID")
@json_option
@pass_state
def watch_stop(state: State, ref: str, as_json: bool) -> None:
    """Stop watching an article (`watch add` watches it again). Its history stays."""
    state.archive.store.require()
    entry = state.archive.watch_stop(ref, watch=state.config.watch)
    if as_json:
        emit_json(entry.to_dict())
    else:
        click.echo(f"stopped watching {entry.id}")


@watch.command("run", short_help="Revisit the articles that are due (--all: every one).")
@click.option("--all", "everything", is_flag=True,
              help="Revisit every watched article now, whatever the schedule.")
@click.option("--max-fetches", type=COUNT, metavar="N",
              help="Revisit at most N articles (default: the config's [watch] max_fetches, "
                   "500).")
@notify_option
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@json_option
@pass_state
def watch_run(state: State, everything: bool, max_fetches: int | None,
              notify_urls: tuple[str, ...], quiet: bool, as_json: bool) -> None:
    """Revisit the watched articles that are due, without reading any feed: most overdue
    first, within `--max-fetches` and the config's time budget (the rest wait for the next
    run, first in line), one request at a time to a site. One summary line: checked,
    revised, removed, restored, redirected, unchanged, missing (a 404 not yet confirmed),
    failed, deferred. Exit 1 when a fetch failed (the rest are still archived). A failed
    notification is a warning line.

    \b
    */10 * * * *  newsarchive watch run -q      # crontab, when `snapshot` runs elsewhere
    """
    config = state.config
    state.archive.store.require()
    with bar_for("watched articles planned", wanted=not quiet and not as_json) as planning:
        report = state.archive.watch_run(everything=everything, max_fetches=max_fetches,
                                         watch=config.watch, on_progress=planning,
                                         allow_private_networks=config.allow_private_networks)
    show_report(report, quiet=quiet, as_json=as_json)
    send_run(state, notify_urls, report.results)
    if report.failed:
        sys.exit(1)


def show_report(report: WatchReport, *, quiet: bool, as_json: bool) -> None:
    """A watch run's errors (stderr) and its summary line or JSON object."""
    for err in report.errors:
        error_line(err)
    if as_json:
        emit_json(report.to_dict())
    elif not quiet:
        click.echo(report.summary())


COMMANDS = [watch]

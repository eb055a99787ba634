"""``snapshot``: archive every article of RSS/Atom/JSON feeds (for cron)."""

from __future__ import annotations

import sys
from typing import Any

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import COUNT, State, emit_json, json_option, pass_state
from newsarchive.cli.errors import error_line
from newsarchive.cli.cmd_watch import show_report
from newsarchive.cli.notifying import notify_option, send_run
from newsarchive.cli.progress import bar_for


@command("snapshot")
@click.argument("feeds", nargs=-1, metavar="[FEED_URLS|FILES]...")
@click.option("--source", help="Source name for every article (default: the article's host).")
@click.option("--no-fetch", is_flag=True, help="Use each entry's own content; fetch no pages.")
@click.option("--force", is_flag=True, help="Fetch feeds and pages even when unchanged.")
@click.option("--no-watch", is_flag=True,
              help="Do not revisit the watched articles that are due (only the feeds).")
@click.option("--max-fetches", type=COUNT, metavar="N",
              help="Revisit at most N watched articles (default: the config's [watch] "
                   "max_fetches, 500).")
@notify_option
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@json_option
@pass_state
def snapshot(state: State, feeds: tuple[str, ...], source: str | None, no_fetch: bool,
             force: bool, no_watch: bool, max_fetches: int | None,
             notify_urls: tuple[str, ...], quiet: bool, as_json: bool) -> None:
    """One summary line a feed: entries, added, revised, unchanged, failed; under it, a
    line per source whose captures looked like failed extractions (extraction-suspect: a
    paywall or consent page, empty or collapsed text), and on stderr a warning for a
    source whose every capture of the last day did. Feeds and pages are fetched
    conditionally, so an unchanged feed costs a few 304s. The config's [[noise]] rules
    apply (see docs/cron.md). Every article fetched is watched, and the watched articles
    that are due are revisited after the feeds (as `watch run` does; then one more summary
    line, `watch: ...`, or with `--json` one more object; none when nothing was due): with
    no feeds given or configured, only that (a usage error when there is no archive yet).
    Exit 1 when any feed or article failed (the rest are still archived), 3 when the store
    stayed locked. A failed notification is a warning line, never a failure.

    \b
    newsarchive snapshot https://example.org/rss.xml --source example
    */10 * * * *  newsarchive snapshot -q       # crontab: the feeds of the config file
    """
    from newsarchive.web.snapshot import FeedSpec  # the web client: start-up time

    config = state.config
    if feeds:
        specs = [FeedSpec(url=f, source=source, no_fetch=no_fetch) for f in feeds]
    else:
        specs = [FeedSpec(url=f.url, source=source or f.source, no_fetch=no_fetch or f.no_fetch)
                 for f in config.feeds]
        if not specs and (no_watch or not state.archive.store.exists()):
            raise click.UsageError(
                "no feeds given and none configured ([[feeds]] url = ... in the config file)"
            )
    progress = sys.stderr.isatty() and not quiet and not as_json

    def on_event(name: str, data: dict[str, Any]) -> None:
        if progress and name == "entry_done":
            click.echo(f"\r\033[K{data.get('status', '')} {data.get('url', '')}"[:120], nl=False,
                       err=True)
        elif planning is not None and name == "watch_planned":
            planning(data["planned"], data["total"])

    # the watch list is planned again (after a changed schedule) before the feeds when
    # there are feeds, else by the revisits: the same bar either way
    with bar_for("watched articles planned", wanted=progress) as planning:
        reports = state.archive.snapshot(specs, no_fetch=no_fetch, force=force,
                                         on_event=on_event, watch=config.watch,
                                         allow_private_networks=config.allow_private_networks,
                                         ) if specs else []
        watched = None
        if not no_watch:
            watched = state.archive.watch_run(
                max_fetches=max_fetches, watch=config.watch, on_progress=planning,
                allow_private_networks=config.allow_private_networks)
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    failed = False
    for rep in reports:
        failed = failed or not rep.ok
        for err in rep.errors:
            error_line(err)
        if as_json:
            emit_json(rep.to_dict())
        elif not quiet:
            note = " (feed unchanged)" if rep.not_modified else ""
            click.echo(f"{rep.url}: {rep.entries} entries, {rep.added} added, {rep.revised} "
                       f"revised, {rep.unchanged} unchanged, {rep.failed} failed{note}")
            for name, count in sorted(rep.suspect_sources.items()):
                click.echo(f"  {name}: {count} suspect capture{'s' if count != 1 else ''} "
                           "(extraction-suspect: a wall, empty or collapsed text)")
    if watched is not None and (watched.due or watched.errors):  # silent when none was due
        failed = failed or watched.failed > 0
        show_report(watched, quiet=quiet, as_json=as_json)
    send_run(state, notify_urls, [r for rep in reports for r in rep.results]
             + (watched.results if watched is not None else []))
    # a source whose every capture of the last day was suspect: one line, even with -q
    sources = {s for rep in reports for s in rep.suspect_sources}
    sources |= {r.revision.id.split("/", 1)[0] for r in (watched.results if watched else [])}
    for line in state.archive.suspect_warnings(sources):
        click.echo(line, err=True)
    if failed:
        sys.exit(1)


COMMANDS = [snapshot]

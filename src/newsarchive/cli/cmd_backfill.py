"""``backfill``: a URL's history from the Wayback Machine."""

from __future__ import annotations

import sys
from typing import Any

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import (
    DATE_FORMS,
    Seconds,
    State,
    emit_json,
    json_option,
    pass_state,
)
from newsarchive.cli.errors import error_line


@command("backfill")
@click.argument("urls", nargs=-1, metavar="[URLS]...")
@click.option("--all", "all_articles", is_flag=True,
              help="Also every article already archived (its URL).")
@click.option("--from", "since", metavar="DATE",
              help=f"Only captures on or after DATE ({DATE_FORMS}; or up to 14 digits).")
@click.option("--to", "until", metavar="DATE",
              help="Only captures on or before DATE (a day or month: to its end).")
@click.option("--wayback-url", metavar="URL",
              help="The Wayback Machine (else the config's wayback_url, else "
                   "https://web.archive.org).")
@click.option("--delay", type=Seconds(), default=1.0, show_default=True, metavar="SECONDS",
              help="Politeness: seconds between requests.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@json_option
@pass_state
def backfill(state: State, urls: tuple[str, ...], all_articles: bool, since: str | None,
             until: str | None, wayback_url: str | None, delay: float, quiet: bool,
             as_json: bool) -> None:
    """Lists the captures with the CDX API (collapse=digest: a page archived unchanged is
    fetched once), fetches each original (`/web/TIMESTAMPid_/URL`) one request a second,
    and adds them in capture order, each at its capture time. One line a capture as `add`
    prints them, and a summary line a URL. Resumable: a run without --from goes on after
    the last capture the previous run dealt with, so running it again adds nothing new.
    Exit 1 when a capture failed (the rest are still added). See docs/interop.md.

    \b
    newsarchive backfill https://www.politico.eu/article/putin-reaffirms-war-aims/
    newsarchive backfill --from 2024-01-01 --to 2024-06-30 URL
    newsarchive backfill --all          # every archived article's history
    """
    # the write command and the Wayback client load with this command only: start-up time
    from newsarchive.cli.cmd_write import result_line
    from newsarchive.web.wayback import DEFAULT_WAYBACK_URL

    if not urls and not all_articles:
        raise click.UsageError("give URLs to backfill, or --all")
    if all_articles:
        state.archive.store.require()
    where = wayback_url or state.config.wayback_url or DEFAULT_WAYBACK_URL

    def on_event(name: str, data: dict[str, Any]) -> None:
        if name == "capture_done":
            if data["status"] == "failed":
                error_line(data["error"])
            elif not quiet and not as_json:
                click.echo(result_line(state, data["result"]))
        elif name == "url_done":
            if as_json:
                emit_json(data)
            else:
                if not data["failed"]:  # the URL's own (CDX, not tried); captures' are out
                    for message in data["errors"]:
                        error_line(message)
                if not quiet:
                    click.echo(_summary(data))

    reports = state.archive.backfill(
        list(urls), all_articles=all_articles, since=since, until=until, wayback_url=where,
        delay=delay, allow_private_networks=state.config.allow_private_networks,
        on_event=on_event)
    if any(not r.ok for r in reports):
        sys.exit(1)


def _summary(d: dict[str, Any]) -> str:
    resumed = f" after {d['resumed_from']}" if d["resumed_from"] else ""
    return (f"{d['url']}: {d['captures']} captures{resumed}, {d['added']} added, "
            f"{d['revised']} revised, {d['inserted']} inserted, {d['unchanged']} unchanged, "
            f"{d['skipped']} skipped, "
            f"{d['failed']} failed")


COMMANDS = [backfill]

"""Maintenance: ``check``, ``reindex``, ``gc``."""

from __future__ import annotations

import sys
import time

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import Seconds, State, emit_json, json_option, pass_state
from newsarchive.cli.progress import bar_for


@command("check")
@click.option("--repair", is_flag=True,
              help="Rebuild the catalog, set corrupt objects aside in quarantine/.")
@click.option("-q", "--quiet", is_flag=True, help="Print only damage.")
@json_option
@pass_state
def check(state: State, repair: bool, quiet: bool, as_json: bool) -> None:
    """Exit 1 when anything is damaged that `--repair` can act on. Notes are listed but are
    not damage: leftovers of interrupted writes (which `gc` removes), and revisions whose
    text an earlier repair set aside (kept in `log`, marked DAMAGED).

    \b
    newsarchive check
    newsarchive check --repair
    """

    start = time.monotonic()
    with bar_for("objects", wanted=not as_json and not quiet) as on_progress:
        problems = state.archive.check(repair=repair, on_progress=on_progress)
    elapsed = time.monotonic() - start
    damage = [p for p in problems if p.damage]
    if as_json:
        emit_json({"ok": not damage, "seconds": round(elapsed, 3),
                   "problems": [p.to_dict() for p in problems]})
    else:
        for p in problems:
            if quiet and not p.damage:
                continue
            tag = "damage" if p.damage else "note"
            arts = f" [{', '.join(p.articles)}]" if p.articles else ""
            click.echo(f"{tag}: {p.kind} {p.object}: {p.detail}{arts}")
        if not quiet:
            click.echo(f"{'damage found' if damage else 'ok'}: {len(damage)} problem(s), "
                       f"{len(problems) - len(damage)} note(s) in {elapsed:.2f} s", err=True)
    if damage:
        sys.exit(1)


@command("reindex")
@json_option
@pass_state
def reindex(state: State, as_json: bool) -> None:
    with bar_for("revisions", wanted=not as_json) as on_progress:
        done = state.archive.reindex(on_progress=on_progress)
    if as_json:
        emit_json(done.to_dict())
    else:
        click.echo(f"reindexed {done.articles:,} articles, {done.revisions:,} revisions"
                   + (f" ({done.damaged} damaged)" if done.damaged else ""))


@command("gc")
@click.option("--grace", type=Seconds(), default=3600.0, show_default=True,
              metavar="SECONDS",
              help="Keep unreferenced objects younger than this (a running add may own them).")
@json_option
@pass_state
def gc(state: State, grace: float, as_json: bool) -> None:
    with bar_for("objects", wanted=not as_json) as on_progress:
        r = state.archive.gc(grace=grace, on_progress=on_progress)
    if as_json:
        emit_json(r.to_dict())
    else:
        click.echo(f"removed {r.objects_removed:,} objects and {r.temp_files_removed:,} "
                   f"temp files, packed {r.objects_packed:,}, freed {r.bytes_freed:,} bytes")
        for note in r.notes:
            click.echo(f"note: {note}", err=True)


COMMANDS = [check, reindex, gc]

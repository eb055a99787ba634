"""Commands that read: ``list``, ``log``, ``show``, ``export``, ``stats``."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from newsarchive.cli.commands import command
from newsarchive.cli.context import (
    COUNT,
    F,
    State,
    emit_json,
    emit_lines,
    filter_options,
    json_option,
    pass_state,
    style,
    timeout_option,
    words_delta,
)
from newsarchive.cli.errors import error_line, message_of
from newsarchive.errors import IntegrityError
from newsarchive.model import KINDS
from newsarchive.text.canonical import visible


def article_options(f: F) -> F:
    """The filters of `list`, which `export` takes too."""
    f = click.option("--limit", type=COUNT,
                     help="At most this many articles (the most recently changed).")(f)
    f = click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
                     help="Only articles with a revision of this kind (repeatable).")(f)
    f = click.option("--changed", is_flag=True,
                     help="Only articles with two or more revisions.")(f)
    return filter_options(f)


@command("list")
@article_options
@timeout_option
@json_option
@pass_state
def list_(state: State, sources: tuple[str, ...], since: str | None, until: str | None,
          changed: bool, kinds: tuple[str, ...], limit: int | None, timeout: float,
          as_json: bool) -> None:
    """\b
    newsarchive list --source politico.eu --since 2024-04-01
    newsarchive list --changed --kind headline
    """
    state.archive.store.require()
    articles = state.archive.articles(source=sources, since=since, until=until,
                                      changed=changed or bool(kinds), kind=kinds, limit=limit,
                                      timeout=timeout)
    if as_json:
        for a in articles:
            emit_json(a.to_dict())
        return
    emit_lines((f"{a.id}  {a.revisions} rev  {a.last_captured}  {visible(a.title)}"
                for a in articles),
               state, page=True)


@command("log")
@click.argument("ref")
@json_option
@pass_state
def log(state: State, ref: str, as_json: bool) -> None:
    """\b
    newsarchive log putin-reaffirms-war-aims
    """
    revisions = state.archive.log(ref)
    if as_json:
        for r in revisions:
            emit_json(r.to_dict())
        return
    click.echo(revisions[0].id)
    for r in revisions:
        notes = []
        if r.reverts:
            notes.append(f"reverts @{r.reverts}")
        if r.flipflop:
            notes.append("flip-flop")
        if r.damaged:
            notes.append(style(state, "DAMAGED: text lost", fg="red"))
        kinds = ",".join(r.kind) if r.kind else (
            "first" if r.number == 1 else r.event or "")  # an event of no kind: redirected
        delta = words_delta(r.words_added, r.words_removed) if r.number > 1 else f"{r.words} words"
        extra = f"  ({'; '.join(notes)})" if notes else ""
        click.echo(f"@{r.number:<3} {r.captured_at}  {style(state, r.hash[:7], fg='yellow')}  "
                   f"{delta:<18} {kinds:<22} {visible(r.title)}{extra}")


@command("show")
@click.argument("ref")
@click.option("--original", is_flag=True, help="Print the stored original input instead.")
@json_option
@pass_state
def show(state: State, ref: str, original: bool, as_json: bool) -> None:
    """Piped, the output is exactly the text; on a terminal, control characters and escape
    sequences are shown as symbols and bidirectional controls by name, never obeyed.

    \b
    newsarchive show putin-reaffirms-war-aims@2
    newsarchive show putin-reaffirms-war-aims | sha256sum
    """
    archive = state.archive
    if original:
        data, media_type = archive.original(ref)
        if as_json:
            emit_json({"original_type": media_type, "original": data.decode("utf-8", "replace")})
        elif state.stdout_tty:
            sys.stdout.write(visible(data.decode("utf-8", "replace")))
            sys.stdout.flush()
        else:
            sys.stdout.buffer.write(data)
        return
    rev = archive.get(ref)
    text = archive.text_of(rev.hash)
    if as_json:
        emit_json({**rev.to_dict(), "text": text})
        return
    if state.stdout_tty:  # escape sequences shown, never obeyed; piped: exactly the text,
        sys.stdout.write(visible(text))  # whose SHA-256 is the revision's hash
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


@command("export")
@click.argument("dest", required=False, metavar="[FILE|DIR]")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "warc", "parquet"]),
              default="jsonl", show_default=True,
              help="jsonl: JSON Lines; warc: WARC records (gzipped unless FILE ends in "
                   ".warc); parquet: a dataset in DIR (needs newsarchive[parquet]).")
@article_options
@pass_state
def export(state: State, dest: str | None, fmt: str, sources: tuple[str, ...],
           since: str | None, until: str | None, changed: bool, kinds: tuple[str, ...],
           limit: int | None) -> None:
    """The filters choose articles as `list` does; every revision of each is written, to
    FILE or standard output. `--format warc` writes each revision's original (or its
    text) and a metadata record of its facts, read back by `import` as they were;
    `--format parquet DIR` writes a dataset partitioned by source and year for DuckDB or
    Spark. See docs/interop.md.

    \b
    newsarchive export > archive.jsonl
    newsarchive export --source politico.eu | gzip > politico.jsonl.gz
    newsarchive export --changed --kind correction > corrected.jsonl
    newsarchive export --format warc archive.warc.gz
    newsarchive export --format parquet ./dataset
    """
    archive = state.archive
    archive.store.require()
    filters = dict(source=sources, since=since, until=until, changed=changed or bool(kinds),
                   kind=kinds, limit=limit)
    if fmt == "parquet":
        if not dest or dest == "-":
            raise click.UsageError("--format parquet writes a directory: give DIR")
        result = archive.export_parquet(dest, **filters)  # type: ignore[arg-type]
        for message in result.errors:
            error_line(message)
        click.echo(f"exported {result.rows:,} revisions to {result.files:,} files in "
                   f"{result.partitions:,} partitions under {dest}", err=True)
        if result.errors:
            sys.exit(1)
        return
    with _output(dest, terminal_ok=fmt == "jsonl") as out:
        if fmt == "warc":
            gz = not (dest or "").lower().endswith(".warc")
            report = archive.export_warc(out, gzip=gz, **filters)  # type: ignore[arg-type]
            for message in report.errors:
                error_line(message)
            click.echo(f"exported {report.revisions:,} revisions ({report.originals:,} with "
                       f"their original, {report.texts:,} as text)", err=True)
            failed = len(report.errors)
        else:
            failed = _export_jsonl(state, out, filters)
    if failed:
        sys.exit(1)


@contextlib.contextmanager
def _output(dest: str | None, *, terminal_ok: bool) -> Iterator[IO[bytes]]:
    """FILE, or standard output (never a terminal for WARC's binary records)."""
    if not dest or dest == "-":
        if not terminal_ok and sys.stdout.isatty():
            raise click.UsageError("refusing to write a WARC file to a terminal: give FILE "
                                   "or redirect the output")
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(dest, "wb") as f:
        yield f


def _export_jsonl(state: State, out: IO[bytes], filters: dict[str, Any]) -> int:

    archive = state.archive
    failed = 0
    for rev in archive.revisions(**filters):
        try:
            rec = archive.export_record(rev)
        except IntegrityError as err:  # one damaged revision: the others are still written
            failed += 1
            out.flush()
            error_line(f"{rev.ref}: {message_of(err)}")
            continue
        out.write(json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()
    return failed


@command("stats")
@json_option
@pass_state
def stats(state: State, as_json: bool) -> None:
    st = state.archive.stats()
    if as_json:
        emit_json(st.to_dict())
        return
    s = st.to_dict()
    ratio = s["disk_bytes"] / s["text_bytes"] if s["text_bytes"] else 0.0
    click.echo(f"store:     {s['store']}")
    click.echo(f"articles:  {s['articles']:,} from {s['sources']:,} sources")
    click.echo(f"revisions: {s['revisions']:,} ({s['texts']:,} distinct texts)")
    click.echo(f"text:      {s['text_bytes']:,} bytes archived")
    click.echo(f"on disk:   {s['disk_bytes']:,} bytes = {ratio:.2f}x the text: objects "
               f"{s['objects_bytes']:,} bytes ({s['objects']:,} objects, {s['packs']:,} "
               f"packs), catalog and index {s['catalog_bytes']:,} bytes")
    if s["damaged"]:
        click.echo(f"damaged:   {s['damaged']:,} revisions lost their text (see check)")


COMMANDS = [list_, log, show, export, stats]

"""The table of commands: each one's module and one-line summary."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import click

# Each command's module and summary, in this one place: the group lists the commands
# from it without importing their modules (a module is imported only when its command
# runs, shows its help or completes: importing them all cost every start 6 to 9 ms), and
# each command's help begins with it (:func:`command`).
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("cmd_write", "Archive articles from files, directories, URLs or - (stdin)."),
    "backfill": ("cmd_backfill",
                 "Add a URL's past captures from the Wayback Machine as backfilled revisions."),
    "changes": ("cmd_changes",
                "Recent revisions across the archive, newest first, with the kind of each edit."),
    "check": ("cmd_maint",
              "Verify every object against its hash and the catalog against the objects."),
    "diff": ("cmd_diff", "Show how a revision differs from its predecessor, or A from B."),
    "export": ("cmd_read", "Write every revision with its text: JSON Lines (read back by "
                           "`import`), WARC or Parquet."),
    "gc": ("cmd_maint", "Remove objects nothing refers to and temp files of interrupted writes."),
    "import": ("cmd_write", "Read back JSON Lines written by `export` (default: stdin), or "
                            "WARC/WACZ files."),
    "init": ("cmd_write", "Create an archive (optional: adding creates one too)."),
    "list": ("cmd_read", "List articles, most recently changed first."),
    "log": ("cmd_read", "Show an article's revisions, newest first."),
    "reindex": ("cmd_maint", "Rebuild the catalog and search index from the stored objects."),
    "search": ("cmd_search", "Full-text search, best match first."),
    "show": ("cmd_read",
             "Print a revision's canonical text (its SHA-256 is the revision's hash)."),
    "snapshot": ("cmd_snapshot",
                 "Archive every article of the given feeds, or of the config's [[feeds]]."),
    "stats": ("cmd_read", "Articles, revisions and sources; bytes of text against bytes on disk."),
    "watch": ("cmd_watch", "Revisit archived articles on a schedule: list, add, stop, run."),
}


def command(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """``click.command(name)`` whose help is the summary above, then the function's
    docstring (which holds the rest of the help: examples, details)."""
    def decorate(f: Callable[..., Any]) -> click.Command:
        body = inspect.getdoc(f) or ""
        return click.command(name, help=f"{COMMANDS[name][1]}\n\n{body}".strip())(f)

    return decorate

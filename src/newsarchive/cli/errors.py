"""The one place where errors become ``error: ...`` lines and exit codes (SPEC 7)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from newsarchive.errors import NewsArchiveError


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_CONTROL[ord("\n")], _CONTROL[ord("\r")], _CONTROL[ord("\t")] = "\\n", "\\r", "\\t"


def error_line(message: str) -> None:
    """Print ``error: message`` as one line, whatever the message holds (names, refs)."""
    click.echo(f"error: {message.translate(_CONTROL)}", err=True)


# How the CLI words each remedy an error names (the library says what is wrong, not which
# command mends it): the separator before the hint, and the hint.
HINTS = {
    "init": (" (", "add an article or run 'newsarchive init' to create one)"),
    "reindex": ("; ", "run 'newsarchive reindex' to rebuild it"),
    "repair": ("; ", "run 'newsarchive check --repair'"),
    "check": ("; ", "run 'newsarchive check'"),
    "narrow": ("; ", "narrow it (fewer words, --source, --since) or raise --timeout"),
    "wait": (" (", "retry later or raise --wait)"),
}


def message_of(err: NewsArchiveError) -> str:
    """The error's message with the CLI's hint for its remedy."""
    sep, hint = HINTS.get(err.remedy or "", ("", ""))
    return f"{err}{sep}{hint}"


def exit_code_of(err: BaseException) -> int:
    return getattr(err, "exit_code", 1)


@contextmanager
def handled(debug: Callable[[], bool]) -> Iterator[None]:
    """Turn expected exceptions into a one-line message and the right exit code."""
    try:
        yield
    except NewsArchiveError as err:
        if debug():
            raise
        error_line(message_of(err))
        sys.exit(exit_code_of(err))
    except BrokenPipeError:
        # the reader went away (``| head``): not an error of ours
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except OSError as err:
        if debug():
            raise
        where = f" ({err.filename})" if err.filename else ""
        error_line(f"{err.strerror or err}{where}")
        sys.exit(1)


def warning_line(message: str) -> None:
    """Print ``warning: message`` as one line: something the user should know that did
    not fail the command."""
    click.echo(f"warning: {message.translate(_CONTROL)}", err=True)
